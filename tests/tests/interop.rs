//! eddsa-jcs-2022 across implementations: Stele against an independent one
//! written in plain Node.js (`tests/interop/eddsa-jcs-2022.mjs`: JCS as
//! `JSON.stringify` with sorted members, Ed25519 from `node:crypto`), in both
//! directions. Node is already needed by the project (contract builds).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

mod support;

use support::stele;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/eddsa-jcs-2022.mjs")
}

/// Runs the Node implementation with `input` on stdin.
fn node(mode: &str, input: &str) -> (i32, String) {
    let mut child = Command::new("node")
        .arg(script())
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs (it is needed for the contracts too)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("node finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn run(dir: &Path, args: &[&str]) -> support::Run {
    let out = Command::new(stele())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("stele runs");
    support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn stele_and_an_independent_implementation_agree() {
    let dir = std::env::temp_dir().join(format!("stele-e2e-interop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let claims = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas/examples/ResidencePermitCredential.json");
    std::fs::copy(claims, dir.join("claims.json")).expect("claims");
    let key = run(
        &dir,
        &[
            "key", "new", "--alg", "ed25519", "--out", "a.jwk", "--output", "json",
        ],
    );
    assert_eq!(key.code, 0, "{}", key.stderr);
    let issued = run(
        &dir,
        &[
            "issue",
            "--key",
            "a.jwk",
            "--type",
            "ResidencePermitCredential",
            "--subject",
            "claims.json",
            "--format",
            "di-jcs",
        ],
    );
    assert_eq!(issued.code, 0, "{}", issued.stderr);
    let credential = issued.stdout.trim();

    // Stele signs, Node verifies; a changed claim does not verify there either.
    assert_eq!(node("verify", credential).0, 0, "node rejects {credential}");
    assert_eq!(
        node("verify", &credential.replacen("Amira", "Amina", 1)).0,
        1
    );
    // The W3C vector verifies in Node too (the script is not trivially true).
    let vector = std::fs::read_to_string(format!(
        "{}/../../shared/vectors/vc-di-eddsa/TestVectors/eddsa-jcs-2022/signedJCS.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("vector");
    assert_eq!(node("verify", &vector).0, 0);

    // Node signs (a fresh did:key of its own), Stele verifies.
    let mut unsigned: Value = serde_json::from_str(credential).expect("json");
    unsigned.as_object_mut().expect("object").remove("proof");
    let (code, signed) = node("sign", &unsigned.to_string());
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&signed).expect("node's output is JSON");
    let issuer = doc["issuer"].as_str().expect("issuer");
    std::fs::write(
        dir.join("trust.json"),
        format!(r#"{{"issuers":[{{"did":"{issuer}"}}]}}"#),
    )
    .expect("trust");
    std::fs::write(dir.join("node.json"), &signed).expect("write");
    let r = run(
        &dir,
        &[
            "verify",
            "--output",
            "json",
            "--trust",
            "trust.json",
            "node.json",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["format"], "di-eddsa-jcs-2022");
    assert_eq!(r.json()["issuer"], issuer);
    std::fs::write(
        dir.join("forged.json"),
        signed.replacen("Amira", "Amina", 1),
    )
    .expect("w");
    let r = run(
        &dir,
        &[
            "verify",
            "--output",
            "json",
            "--trust",
            "trust.json",
            "forged.json",
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.reasons(), ["bad_signature"]);
    let _ = std::fs::remove_dir_all(&dir);
}
