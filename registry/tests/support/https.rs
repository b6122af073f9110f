//! A tiny HTTPS/1.1 server for tests of the guarded fetch layer: listens on
//! 127.0.0.1 only, with a certificate for `localhost` and `127.0.0.1` issued
//! by a test CA generated here (trust it with [`TestServer::root_der`]);
//! answers each path with the [`Reply`] set by [`TestServer::route`], one
//! request per connection; stops (and joins its accept thread) on drop.
//!
//! Shared with the verifier service's tests (`#[path]`), so it uses only
//! rustls, rcgen and std.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What the server answers on a path.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Wait this long before answering.
    pub delay: Duration,
}

/// A body: bytes with a `Content-Length`, or `total` bytes streamed without
/// one (the connection closes at the end).
#[derive(Clone, Debug)]
pub enum Body {
    /// Sent with `Content-Length`.
    Bytes(Vec<u8>),
    /// Streamed in 16 KiB writes without a length; [`TestServer::streamed`]
    /// counts what the client accepted.
    Stream {
        /// Bytes to send in all.
        total: usize,
    },
    /// Announces `Content-Length: claimed` and sends only a little.
    Claimed {
        /// The announced length.
        claimed: usize,
    },
}

impl Reply {
    /// 200 with this content type and body.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
            delay: Duration::ZERO,
        }
    }

    /// A 302 redirect to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply {
            status: 302,
            headers: vec![("Location".into(), location.into())],
            body: Body::Bytes(Vec::new()),
            delay: Duration::ZERO,
        }
    }

    /// A bare status.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            delay: Duration::ZERO,
        }
    }

    /// The same reply after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// The running server.
pub struct TestServer {
    addr: SocketAddr,
    root_der: Vec<u8>,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    streamed: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1 with a free port.
    pub fn start() -> TestServer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "stele test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let ca = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let leaf_params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("leaf params");
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca)
            .expect("leaf certificate");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .expect("server config");
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let streamed = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, streamed, requests, stop) = (
                routes.clone(),
                streamed.clone(),
                requests.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (config, routes, streamed, requests) = (
                        config.clone(),
                        routes.clone(),
                        streamed.clone(),
                        requests.clone(),
                    );
                    std::thread::spawn(move || {
                        let _ = serve(conn, config, &routes, &streamed, &requests);
                    });
                }
            })
        };
        TestServer {
            addr,
            root_der: CertificateDer::from(ca_cert.der().to_vec()).to_vec(),
            routes,
            streamed,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The test CA's certificate (DER), to trust explicitly.
    pub fn root_der(&self) -> Vec<u8> {
        self.root_der.clone()
    }

    /// `https://localhost:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port())
    }

    /// Answers `path` with `reply` from now on.
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.to_owned(), reply);
    }

    /// Bytes of streamed bodies the clients accepted so far.
    pub fn streamed(&self) -> usize {
        self.streamed.load(Ordering::SeqCst)
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    routes: &Mutex<HashMap<String, Reply>>,
    streamed: &AtomicUsize,
    requests: &AtomicUsize,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(10)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tls.read(&mut byte)? == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let line = String::from_utf8_lossy(&head);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let reply = routes
        .lock()
        .expect("routes")
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Reply::status(404));
    std::thread::sleep(reply.delay);
    let mut out = format!("HTTP/1.1 {} Test\r\nConnection: close\r\n", reply.status);
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    match &reply.body {
        Body::Bytes(b) => {
            out.push_str(&format!("Content-Length: {}\r\n\r\n", b.len()));
            tls.write_all(out.as_bytes())?;
            tls.write_all(b)?;
        }
        Body::Claimed { claimed } => {
            out.push_str(&format!("Content-Length: {claimed}\r\n\r\n"));
            tls.write_all(out.as_bytes())?;
            tls.write_all(&[b' '; 16])?;
        }
        Body::Stream { total } => {
            out.push_str("\r\n");
            tls.write_all(out.as_bytes())?;
            let chunk = [b' '; 16 * 1024];
            let mut sent = 0;
            while sent < *total {
                tls.write_all(&chunk)?;
                tls.flush()?;
                sent += chunk.len();
                streamed.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        }
    }
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(())
}
