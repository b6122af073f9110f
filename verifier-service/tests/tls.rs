//! HTTPS with a configured certificate (`[tls]`): the built service on a
//! real socket with a self-signed certificate for `localhost` and
//! `127.0.0.1` (rcgen), a client that trusts exactly that certificate, a
//! client that does not, plain HTTP on the TLS port, a client that never
//! finishes its handshake, and certificate/key files that cannot be used.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use stele_core::credential::issuer::CredentialFormat;
use stele_core::key::{KeyType, SecretKey};
use stele_verifier::tls::TlsError;
use stele_verifier::{StartError, StartOptions, start_blocking};
use support::*;

struct Cert {
    cert: PathBuf,
    key: PathBuf,
    cert_pem: String,
}

/// A self-signed certificate and its key, written to `dir`.
fn self_signed(dir: &Path, name: &str) -> Cert {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let paths = Cert {
        cert: dir.join(format!("{name}-cert.pem")),
        key: dir.join(format!("{name}-key.pem")),
        cert_pem: cert.pem(),
    };
    std::fs::write(&paths.cert, cert.pem()).unwrap();
    std::fs::write(&paths.key, signing_key.serialize_pem()).unwrap();
    paths
}

fn tls_config(data: &Path, cert: &Path, key: &Path) -> stele_verifier::Config {
    config(
        data,
        &format!(
            "[access]\npublic_vc_api = true\n[tls]\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
            cert.display(),
            key.display()
        ),
    )
}

fn trusting(cert_pem: &str) -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap()])
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn serves_https_with_the_configured_certificate() {
    let dir = tempdir("tls");
    let cert = self_signed(&dir, "server");
    let service = start_blocking(
        tls_config(&dir.join("service"), &cert.cert, &cert.key),
        StartOptions::default(),
    )
    .unwrap();
    let addr = service.running().addr();
    assert!(
        service.running().url().starts_with("https://"),
        "{}",
        service.running().url()
    );
    let base = format!("https://127.0.0.1:{}", addr.port());
    let client = trusting(&cert.cert_pem);

    let r = client.get(format!("{base}/healthz")).send().unwrap();
    assert_eq!(r.status(), 200);
    // By name too: the certificate names localhost.
    let r = client
        .get(format!("https://localhost:{}/openapi.json", addr.port()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    // A verification over HTTPS: a did:key issuer's Data Integrity credential.
    let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let vc = did_key_permit_as(&issuer, None, CredentialFormat::DataIntegrityJcs);
    let vc: Value = serde_json::from_str(&vc).unwrap();
    let r = client
        .post(format!("{base}/credentials/verify"))
        .header("content-type", "application/json")
        .body(json!({"verifiableCredential": vc, "options": {"checks": ["proof"]}}).to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_slice(&r.bytes().unwrap()).unwrap();
    assert_eq!(v["verified"], true, "{v}");

    // A client that does not trust the certificate is refused by its own TLS.
    let other = self_signed(&dir, "other");
    assert!(
        trusting(&other.cert_pem)
            .get(format!("{base}/healthz"))
            .send()
            .is_err()
    );
    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{}/healthz", addr.port()))
        .send();
    assert!(plain.is_err(), "{plain:?}");

    // Connections that never finish their handshake hold up no one.
    let mut stalled: Vec<std::net::TcpStream> = (0..8)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    stalled[0].write_all(b"\x16\x03\x01").unwrap(); // half a ClientHello
    let started = std::time::Instant::now();
    let r = client.get(format!("{base}/healthz")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        started.elapsed() < stele_verifier::tls::HANDSHAKE_TIMEOUT,
        "a served request waited behind stalled handshakes: {:?}",
        started.elapsed()
    );
    drop(stalled);

    service.shutdown().unwrap();
}

#[test]
fn unusable_certificate_or_key_stops_the_start() {
    let dir = tempdir("tls-bad");
    let a = self_signed(&dir, "a");
    let b = self_signed(&dir, "b");
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let start = |cert: &Path, key: &Path| {
        start_blocking(
            tls_config(&dir.join("service"), cert, key),
            StartOptions::default(),
        )
        .map(|s| s.shutdown())
    };
    // The key of another certificate.
    assert!(matches!(
        start(&a.cert, &b.key),
        Err(StartError::Tls(TlsError::Unusable(_)))
    ));
    // No certificate in the file; no key in the file; no file.
    assert!(matches!(
        start(&not_pem, &a.key),
        Err(StartError::Tls(TlsError::NoCertificate(_)))
    ));
    assert!(matches!(
        start(&a.cert, &not_pem),
        Err(StartError::Tls(TlsError::Read { .. }))
    ));
    assert!(matches!(
        start(&dir.join("missing.pem"), &a.key),
        Err(StartError::Tls(TlsError::Read { .. }))
    ));
    // Nothing was opened: the data directory was never created.
    assert!(!dir.join("service").exists());
    // The error names the file, never the key's content.
    let key_text = std::fs::read_to_string(&a.key).unwrap();
    let message = match start(&a.cert, &not_pem) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("started with a bad key"),
    };
    assert!(message.contains("not.pem"), "{message}");
    assert!(
        !message.contains(key_text.lines().nth(1).unwrap()),
        "{message}"
    );
}

/// The binary as an operator starts it: `--tls-cert` / `--tls-key` (or
/// `STELE_VERIFIER_TLS_*`), HTTPS on the printed address; SIGTERM stops it.
#[test]
fn the_binary_serves_https_with_flags() {
    use std::process::Command;
    let dir = tempdir("tls-bin");
    let cert = self_signed(&dir, "server");
    let mut command = Command::new(env!("CARGO_BIN_EXE_stele-verifier"));
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--tls-cert")
        .arg(&cert.cert)
        .env("STELE_VERIFIER_TLS_KEY", &cert.key);
    let (mut child, base) = start_binary(command);
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let r = trusting(&cert.cert_pem)
        .get(format!("{base}/healthz"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // SIGTERM (by this child's id): a graceful stop.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
