//! A kill -9 in the middle of a burst of verifications loses no
//! acknowledged audit record: the built `stele-verifier` binary is started
//! on a temporary data directory, 16 clients verify distinct credentials,
//! the process is killed with SIGKILL once 150 answers came back, and the
//! reopened log must hold a record of every verification answered 200,
//! with an intact chain of hashes. With SIGTERM instead, the service stops
//! gracefully: exit status 0, and exactly the answered verifications are
//! recorded. (The binary's `--generate-api-key` is checked here too.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use stele_core::key::{KeyType, SecretKey};
use stele_verifier::apikey::hash_hex;
use support::*;

#[test]
fn kill_9_mid_burst_loses_no_acknowledged_record() {
    let (acked, records) = burst_then("KILL");
    assert!(records >= acked);
}

#[cfg(unix)]
#[test]
fn sigterm_mid_burst_is_a_graceful_shutdown() {
    let (acked, records) = burst_then("TERM");
    assert_eq!(
        records, acked,
        "graceful: every recorded verification was answered"
    );
}

/// Runs the burst, sends `signal` after 150 answers; returns (answered, recorded).
fn burst_then(signal: &str) -> (usize, usize) {
    let data = tempdir(&format!("sig{signal}"));
    let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let issuer_did = stele_core::did::key::did_key_from_public(&issuer.public_key());
    let config_path = data.join("verifier.toml");
    std::fs::write(
        &config_path,
        format!(
            r#"
listen = "127.0.0.1:0"
data_dir = "{data}"
log_requests = false
[rate_limit]
per_second = 0
[audit]
anchor_every_records = 0
anchor_every_secs = 0
[[counters]]
id = "counter-1"
api_key_sha256 = "{key}"
[[trusted_issuers]]
did = "{issuer}"
"#,
            data = data.display(),
            key = hash_hex(COUNTER_KEY),
            issuer = issuer_did.as_str(),
        ),
    )
    .unwrap();
    let credentials: Arc<Vec<String>> =
        Arc::new((0..600).map(|_| did_key_permit(&issuer, None)).collect());

    let mut command = Command::new(env!("CARGO_BIN_EXE_stele-verifier"));
    command.arg("--config").arg(&config_path);
    let (mut child, base) = start_binary(command);

    let acked: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|t| {
            let (acked, stop, credentials, base) = (
                acked.clone(),
                stop.clone(),
                credentials.clone(),
                base.clone(),
            );
            std::thread::spawn(move || {
                let http = client();
                for (i, c) in credentials.iter().enumerate().filter(|(i, _)| i % 16 == t) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = http
                        .post(format!("{base}/v1/verify"))
                        .header("authorization", format!("Bearer {COUNTER_KEY}"))
                        .header("content-type", "application/json")
                        .body(json!({"payload": c}).to_string())
                        .send();
                    match r {
                        Ok(r) if r.status().as_u16() == 200 => {
                            let v: serde_json::Value = r.json_body();
                            assert_eq!(v["verified"], true, "credential {i}: {v}");
                            acked
                                .lock()
                                .unwrap()
                                .push(stele_verifier::audit::input_hash(c.as_bytes()));
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < 150 {
        assert!(
            Instant::now() < deadline,
            "the burst did not get 150 answers"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    if signal == "KILL" {
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    } else {
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert!(status.success(), "graceful shutdown exits 0, not {status}");
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150);
    assert!(
        acked.len() < credentials.len(),
        "the kill came after the burst"
    );

    let report = stele_verifier::verify_audit_log(&data, None).unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    let records = stele_verifier::audit::read_log(&data).unwrap();
    let logged: HashSet<&str> = records.iter().map(|r| r.input_sha256.as_str()).collect();
    for h in &acked {
        assert!(
            logged.contains(h.as_str()),
            "an acknowledged verification has no record"
        );
    }
    assert!(records.len() >= acked.len());
    eprintln!(
        "SIG{signal}: {} acknowledged, {} records after the signal",
        acked.len(),
        records.len()
    );
    std::fs::remove_dir_all(&data).ok();
    (acked.len(), records.len())
}

trait JsonBody {
    fn json_body(self) -> serde_json::Value;
}

impl JsonBody for reqwest::blocking::Response {
    fn json_body(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().unwrap()).unwrap()
    }
}

#[test]
fn generate_api_key_prints_the_key_and_its_hash() {
    let out = Command::new(env!("CARGO_BIN_EXE_stele-verifier"))
        .args(["--generate-api-key", "counter"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let key = lines.next().unwrap();
    assert!(key.starts_with("stele_c_"));
    assert_eq!(
        lines.next().unwrap(),
        format!("api_key_sha256 = \"{}\"", hash_hex(key))
    );
}
