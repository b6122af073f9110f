//! `stele demo`, run as a user would: the scripted flow, then the verifier
//! service with its clerk page on the demo's embedded chain, spoken to over
//! a real socket, stopped with Ctrl-C (SIGINT), and its audit log checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

mod support;

use support::stele;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stele-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn demo_runs_the_whole_flow() {
    let dir = scratch("demo");
    let out = Command::new(stele())
        .args(["demo", "--dir", "demo", "--no-serve"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .expect("stele runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "VERIFIED",
        "bad_signature",
        "expired",
        "wrong_nonce",
        "revoked",
        "did:ethr:",
        "All steps behaved as expected",
    ] {
        assert!(stdout.contains(expected), "demo output lacks {expected:?}");
    }
    // The files it leaves let the user repeat the check by hand.
    let p = std::fs::read_to_string(dir.join("demo/presentation.txt")).expect("presentation");
    assert!(p.contains('~'));
}

/// A minimal HTTP/1.0 client (one request per connection, the answer read to
/// its end): status and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the demo's service");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = key
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Stops the demo if the test fails before it does.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn stele_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(stele())
        .args(args)
        .current_dir(dir)
        .env("STELE_WALLET_PASSPHRASE", "demo")
        .stdin(Stdio::null())
        .output()
        .expect("stele runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_serves_the_clerk_page_until_interrupted() {
    let dir = scratch("demo-serve");
    // The default port is taken (by this test, or by whatever already holds
    // it): the demo must fall back to a free port rather than fail.
    let _held = std::net::TcpListener::bind("127.0.0.1:8080");
    let mut child = Command::new(stele())
        .args(["demo", "--dir", "demo"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stele demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let pid = child.id();
    let demo = Demo(child);

    // Read the demo's output on a thread until it prints "Press Ctrl-C".
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| {
                panic!("the demo did not start its service:\n{}", lines.join("\n"))
            });
        let done = line.contains("Press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    let text = lines.join("\n");
    assert!(
        text.contains("All steps") || text.contains("revoked"),
        "{text}"
    );
    let url = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("http://") && l.contains("#key="))
        .unwrap_or_else(|| panic!("no clerk page URL in:\n{text}"));
    let (base, key) = url.split_once("/#key=").expect("the key in the fragment");
    let addr = base.trim_start_matches("http://").to_owned();
    assert_ne!(addr, "127.0.0.1:8080", "the taken default port");
    assert!(text.contains("is in use"), "{text}");
    let credential = text
        .split("--credential ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the wallet command names the credential")
        .to_owned();

    // The clerk page.
    let (status, page) = http(&addr, "GET", "/", None, None);
    assert_eq!(status, 200);
    assert!(page.contains("/assets/app.js"), "{page}");

    // A challenge, answered by the citizen's wallet (the CLI wallet over the phones' core).
    let (status, body) = http(&addr, "POST", "/v1/challenges", Some(key), Some(&json!({})));
    assert_eq!(status, 201, "{body}");
    let challenge = json_of(&body);
    let (code, payload, err) = stele_in(
        &dir,
        &[
            "wallet",
            "present",
            "--dir",
            "demo/wallet",
            "--credential",
            &credential,
            "--challenge",
            challenge["qr_payload"].as_str().expect("qr_payload"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let verify = json!({"payload": payload.trim(), "challenge": challenge["nonce"]});
    let (status, body) = http(&addr, "POST", "/v1/verify", Some(key), Some(&verify));
    assert_eq!(status, 200, "{body}");
    let verdict = json_of(&body);
    assert_eq!(verdict["verified"], true, "{body}");
    assert_eq!(verdict["holder_binding"], "verified");
    assert_eq!(verdict["claims"]["given_name"], "Amira");
    assert!(
        verdict["claims"].get("birth_date").is_none(),
        "not disclosed"
    );

    // The same presentation again is a replay.
    let (status, body) = http(&addr, "POST", "/v1/verify", Some(key), Some(&verify));
    assert_eq!(status, 200, "{body}");
    let again = json_of(&body);
    assert_eq!(again["verified"], false);
    assert!(body.contains("replay"), "{body}");

    // The printed quick-check code verifies without a challenge, and says so.
    let quick = std::fs::read_to_string(dir.join("demo/quick-check.txt")).expect("quick-check.txt");
    let (status, body) = http(
        &addr,
        "POST",
        "/v1/verify",
        Some(key),
        Some(&json!({"payload": quick.trim()})),
    );
    assert_eq!(status, 200, "{body}");
    let quick = json_of(&body);
    assert_eq!(quick["verified"], true, "{body}");
    assert_ne!(quick["holder_binding"], "verified");

    // Ctrl-C: the service stops gracefully and the demo exits 0.
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let mut demo = demo;
    let exit = demo.0.wait().expect("the demo ends");
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(exit.code(), Some(0), "{}", rest.join("\n"));
    assert!(
        rest.join("\n").contains("audit verify"),
        "{}",
        rest.join("\n")
    );

    // Every verification left a record, and the hash chain is intact.
    let (code, out, err) = stele_in(
        &dir,
        &[
            "audit",
            "verify",
            "--data-dir",
            "demo/verifier",
            "--chain",
            "embedded:demo/chain",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let report = json_of(&out);
    assert_eq!(report["intact"], true, "{out}");
    assert!(report["records"].as_u64().unwrap_or(0) >= 3, "{out}");
}
