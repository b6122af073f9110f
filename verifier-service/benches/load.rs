//! Load benchmark of `POST /v1/verify` (run by hand, not in CI):
//!
//! ```sh
//! cargo bench -p stele-verifier --bench load            # ~40 s
//! STELE_BENCH_QUICK=1 cargo bench -p stele-verifier --bench load
//! ```
//!
//! The service runs in this process on 127.0.0.1 with an embedded chain,
//! an agency accredited on it and a residence permit SD-JWT bound to a
//! citizen's P-256 key. The load generator (a minimal HTTP/1.1 client, one
//! keep-alive connection per request in flight, in the same process: it
//! shares the 2 cores with the service) keeps 1, 16 and 64
//! requests in flight for a bounded time each and reports requests/s,
//! p50/p99 latency and errors, next to the Ed25519 `verify_strict` floor
//! measured in the same run (core/benches/support).
//!
//! Two payloads, both chain-anchored SD-JWT presentations with key binding:
//! - `quick`: one presentation verified again and again without a challenge
//!   (issuer signature, disclosures, KB-JWT signature, status, trust — the
//!   nonce is not consumed, so it can be repeated);
//! - `challenge`: a fresh challenge per request, issued beforehand, each
//!   presentation bound to its own nonce and consumed (single use) — the
//!   real counter flow; bounded by the number of challenges prepared.
//!
//! Every answer is also an audit record committed to redb before it is sent.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;
#[path = "../../core/benches/support/mod.rs"]
mod timing;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use stele_verifier::{StartOptions, start_with};
use support::*;

struct Row {
    mode: &'static str,
    concurrency: usize,
    requests: usize,
    errors: usize,
    secs: f64,
    p50: Duration,
    p99: Duration,
}

/// One keep-alive HTTP/1.1 connection: a minimal client, so that the load
/// generator takes as little of the shared CPU as possible (like wrk: one
/// connection per concurrent request).
struct Conn {
    reader: tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        let (r, w) = s.into_split();
        Conn {
            reader: tokio::io::BufReader::new(r),
            writer: w,
        }
    }

    /// POSTs `body` to `/v1/verify`; returns the status and the body.
    async fn post(&mut self, key: &str, body: &str) -> std::io::Result<(u16, Vec<u8>)> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let req = format!(
            "POST /v1/verify HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status line"))?;
        let mut len = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut buf = vec![0u8; len];
        self.reader.read_exact(&mut buf).await?;
        Ok((status, buf))
    }
}

async fn drive(
    addr: Arc<String>,
    bodies: Arc<Vec<String>>,
    concurrency: usize,
    duration: Duration,
    mode: &'static str,
    key: &'static str,
) -> Row {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (addr, bodies, next) = (addr.clone(), bodies.clone(), next.clone());
            tokio::spawn(async move {
                let mut conn = Conn::open(&addr).await;
                let mut lat = Vec::new();
                let mut errors = 0usize;
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let body = if bodies.len() == 1 {
                        &bodies[0]
                    } else if let Some(b) = bodies.get(i) {
                        b
                    } else {
                        break;
                    };
                    let t = Instant::now();
                    let ok = match conn.post(key, body).await {
                        Ok((200, b)) => b.starts_with(b"{\"verified\":true"),
                        Ok(_) => false,
                        Err(_) => {
                            conn = Conn::open(&addr).await;
                            false
                        }
                    };
                    lat.push(t.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Row {
        mode,
        concurrency,
        requests: all.len(),
        errors,
        secs,
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // `cargo test --all-targets` runs this without `--bench`: a smoke run
    // (a few requests per level, debug build) that keeps the harness working.
    let smoke = !args.iter().any(|a| a == "--bench");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let quick = timing::quick();
    let per_level = Duration::from_millis(if smoke {
        200
    } else if quick {
        2000
    } else {
        8000
    });
    let round = Duration::from_millis(if smoke { 20 } else { 400 });

    // The same-run floor: one Ed25519 verify_strict, one core.
    let floor = {
        use ed25519_dalek::{Signer, SigningKey};
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let msg = [42u8; 200];
        let sig = sk.sign(&msg);
        let vk = sk.verifying_key();
        timing::ops_per_sec(|| vk.verify_strict(&msg, &sig).is_ok(), round, 3, 64)
    };

    // The floor of an SD-JWT+KB with a P-256 holder: one Ed25519 and one
    // P-256 verify (phones' secure hardware only does P-256).
    let two_sig_floor = {
        use ed25519_dalek::{Signer, SigningKey};
        use p256::ecdsa::signature::Verifier as _;
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let msg = [42u8; 300];
        let sig = sk.sign(&msg);
        let vk = sk.verifying_key();
        let psk = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let psig: p256::ecdsa::Signature = psk.sign(&msg[..200]);
        let pvk = *psk.verifying_key();
        timing::ops_per_sec(
            || vk.verify_strict(&msg, &sig).is_ok() && pvk.verify(&msg[..200], &psig).is_ok(),
            round,
            3,
            16,
        )
    };

    let mut world = World::embedded("load");
    let (permit, _) = world.issue_permit(now().plus(86_400));
    // The same permit bound to an Ed25519 holder key, for comparison.
    let p256_holder = std::mem::replace(
        &mut world.citizen,
        stele_core::key::SecretKey::generate(
            stele_core::key::KeyType::Ed25519,
            &mut rand_core::OsRng,
        ),
    );
    let (permit_ed, _) = world.issue_permit(now().plus(86_400));
    let ed_holder = std::mem::replace(&mut world.citizen, p256_holder);
    // Steady state: the permit was issued in the chain's past, so its
    // accreditation at issuance is a settled answer the service keeps.
    std::thread::sleep(Duration::from_millis(1100));
    let (_, spare) = world.issue_permit(now().plus(86_400));
    world.set_status(stele_core::status::StatusPurpose::Suspension, spare);
    let data = world.dir.join("service");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(async {
        let running = start_with(
            config(&data, "[rate_limit]\nper_second = 0\n[audit]\nanchor_every_secs = 0\nanchor_every_records = 0"),
            StartOptions {
                chain: Some((world.chain.clone(), world.deployment.clone())),
                clock: None,
            },
        )
        .await
        .unwrap();
        let base = format!("http://{}", running.addr());
        let url = Arc::new(running.addr().to_string());
        // The `cached` counter: quick checks, status lists reused for 5 min.
        let quick_body = json!({"payload": present_qr(&world.citizen, &permit, "https://verifier.test/cached", "load-test-nonce-0001")}).to_string();
        let quick_ed = json!({"payload": present_qr(&ed_holder, &permit_ed, "https://verifier.test/cached", "load-test-nonce-0001")}).to_string();
        let mut rows = Vec::new();
        for c in [1usize, 16, 64] {
            let one = Arc::new(vec![quick_body.clone()]);
            rows.push(drive(url.clone(), one, c, per_level, "quick", CACHED_KEY).await);
        }
        for c in [16usize, 64] {
            let one = Arc::new(vec![quick_ed.clone()]);
            rows.push(drive(url.clone(), one, c, per_level, "quick-ed", CACHED_KEY).await);
        }
        // Challenge-bound: prepare fresh challenges + presentations.
        let prepared = if smoke {
            20
        } else if quick {
            2_000
        } else {
            12_000
        };
        let client = reqwest::Client::new();
        let mut bodies = Vec::with_capacity(prepared);
        for _ in 0..prepared {
            let c: serde_json::Value = client
                .post(format!("{base}/v1/challenges"))
                .header("authorization", format!("Bearer {COUNTER_KEY}"))
                .send()
                .await
                .unwrap()
                .json_value()
                .await;
            let n = c["nonce"].as_str().unwrap().to_owned();
            let qr = present_qr(&world.citizen, &permit, c["verifier"].as_str().unwrap(), &n);
            bodies.push(json!({"payload": qr, "challenge": n}).to_string());
        }
        let bodies = Arc::new(bodies);
        rows.push(drive(url.clone(), bodies.clone(), 16, per_level, "challenge", COUNTER_KEY).await);
        running.shutdown().await.unwrap();
        rows
    });
    println!();
    println!(
        "stele-verifier load: POST /v1/verify, SD-JWT VC (did:ethr agency on the embedded chain) + KB-JWT (P-256), audit record committed per request"
    );
    println!(
        "client and service share this machine ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "{:<10} {:>5} {:>9} {:>10} {:>9} {:>9} {:>7}",
        "payload", "conc", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for r in &rows {
        println!(
            "{:<10} {:>5} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>7}",
            r.mode,
            r.concurrency,
            r.requests,
            r.requests as f64 / r.secs,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.errors
        );
    }
    let best = |mode: &str| {
        rows.iter()
            .filter(|r| r.mode == mode)
            .map(|r| r.requests as f64 / r.secs)
            .fold(0.0, f64::max)
    };
    println!(
        "floor (same run, one core): Ed25519 verify_strict {floor:.0}/s; Ed25519 + P-256 verify (an SD-JWT+KB's two signatures) {two_sig_floor:.0}/s"
    );
    println!(
        "best quick (P-256 holder): {:.0} req/s = {:.1} % of the two-signature floor x 2 cores",
        best("quick"),
        100.0 * best("quick") / (2.0 * two_sig_floor)
    );
    println!(
        "best quick-ed (Ed25519 holder): {:.0} req/s = {:.1} % of the Ed25519 floor x 2 cores / 2 signatures",
        best("quick-ed"),
        100.0 * best("quick-ed") / floor
    );
    println!(
        "quick = one presentation with KB (P-256 holder), no challenge (nonce not consumed); quick-ed = the same with an Ed25519 holder;"
    );
    println!(
        "challenge = a fresh challenge per request (issued beforehand), single use, P-256 holder, status list synced each second"
    );
    drop(world);
}

trait JsonValue {
    async fn json_value(self) -> serde_json::Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}
