//! The desktop wallet through the CLI: init, import, show, answer a
//! counter's challenge with a QR payload, verify it, log, backup, restore.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use support::{Run, stele};

struct Home {
    dir: PathBuf,
}

impl Home {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("stele-wallet-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let claims = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schemas/examples/ResidencePermitCredential.json");
        std::fs::copy(claims, dir.join("claims.json")).expect("claims");
        Home { dir }
    }

    fn run_with(&self, pass: &str, args: &[&str]) -> Run {
        let out = Command::new(stele())
            .args(args)
            .current_dir(&self.dir)
            .env("STELE_WALLET_PASSPHRASE", pass)
            .stdin(Stdio::null())
            .output()
            .expect("stele runs");
        Run::of(out)
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.run_with("a long wallet passphrase", args);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).expect("write");
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn wallet_answers_a_counter_challenge_with_a_qr_payload() {
    let h = Home::new("flow");
    let agency = h
        .ok(&["key", "new", "--out", "agency.jwk", "--output", "json"])
        .json()["did"]
        .as_str()
        .expect("did")
        .to_owned();
    h.write(
        "trust.json",
        &format!(r#"{{"issuers":[{{"did":"{agency}"}}]}}"#),
    );
    let holder = h
        .ok(&["wallet", "init", "--dir", "w", "--output", "json"])
        .json()["holder"]
        .as_str()
        .expect("holder")
        .to_owned();
    assert!(
        holder.starts_with("did:key:zDn"),
        "a P-256 holder key: {holder}"
    );

    // A credential bound to the wallet's key is verified and kept.
    let permit = h.ok(&[
        "issue",
        "--key",
        "agency.jwk",
        "--type",
        "ResidencePermitCredential",
        "--subject",
        "claims.json",
        "--holder",
        &holder,
    ]);
    h.write("permit.txt", permit.stdout.trim());
    let id = h
        .ok(&[
            "wallet",
            "import",
            "--dir",
            "w",
            "--trust",
            "trust.json",
            "permit.txt",
            "--output",
            "json",
        ])
        .json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let list = h
        .ok(&["wallet", "list", "--dir", "w", "--output", "json"])
        .json();
    assert_eq!(list[0]["id"], id.as_str());
    let shown = h
        .ok(&[
            "wallet", "show", "--dir", "w", "--locale", "de", &id, "--output", "json",
        ])
        .json();
    assert!(
        shown["claims"]
            .as_array()
            .expect("claims")
            .iter()
            .any(|c| c["display_name"] == "Geburtsdatum")
    );

    // One bound to someone else, or from an untrusted issuer, is refused and not kept.
    let other = h
        .ok(&[
            "key",
            "new",
            "--alg",
            "p256",
            "--out",
            "other.jwk",
            "--output",
            "json",
        ])
        .json()["did"]
        .as_str()
        .expect("did")
        .to_owned();
    let foreign = h.ok(&[
        "issue",
        "--key",
        "agency.jwk",
        "--type",
        "ResidencePermitCredential",
        "--subject",
        "claims.json",
        "--holder",
        &other,
    ]);
    h.write("foreign.txt", foreign.stdout.trim());
    let r = h.run_with(
        "a long wallet passphrase",
        &[
            "wallet",
            "import",
            "--dir",
            "w",
            "--trust",
            "trust.json",
            "foreign.txt",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = h.run_with(
        "a long wallet passphrase",
        &["wallet", "import", "--dir", "w", "permit.txt"],
    );
    assert_eq!(r.code, 1, "untrusted issuer: {}", r.stderr);
    assert_eq!(
        h.ok(&["wallet", "list", "--dir", "w", "--output", "json"])
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // The counter's challenge → the wallet's QR payload → the counter's verdict.
    let challenge = h
        .ok(&[
            "challenge",
            "--verifier",
            "counter-9",
            "--type",
            "ResidencePermitCredential",
            "--claims",
            "given_name,family_name",
            "--output",
            "json",
        ])
        .json();
    let payload = challenge["payload"].as_str().expect("payload");
    let nonce = challenge["nonce"].as_str().expect("nonce");
    let qr = h.ok(&[
        "wallet",
        "present",
        "--dir",
        "w",
        "--credential",
        &id,
        "--challenge",
        payload,
    ]);
    let qr = qr.stdout.trim();
    assert!(qr.starts_with("SP"), "{qr}");
    assert!(
        qr.chars()
            .all(|c| "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(c)),
        "QR alphanumeric mode"
    );
    h.write("qr.txt", &format!("{qr}\n"));
    let verdict = h
        .ok(&[
            "verify",
            "--output",
            "json",
            "--trust",
            "trust.json",
            "--audience",
            "counter-9",
            "--nonce",
            nonce,
            "qr.txt",
        ])
        .json();
    assert_eq!(verdict["verified"], true);
    assert_eq!(verdict["holder_binding"], "verified");
    assert_eq!(verdict["claims"]["given_name"], "Amira");
    assert!(
        verdict["claims"].get("birth_date").is_none(),
        "only what the challenge asked for"
    );
    let log = h
        .ok(&["wallet", "log", "--dir", "w", "--output", "json"])
        .json();
    assert_eq!(log[0]["verifier"], "counter-9");
    assert!(
        !log.to_string().contains("Amira"),
        "the log holds claim names, not values"
    );

    // Wrong passphrase: refused, nothing shown.
    let r = h.run_with("not the passphrase", &["wallet", "list", "--dir", "w"]);
    assert_eq!(r.code, 64);
    assert!(r.stdout.is_empty());

    // Backup and restore on a "new phone".
    h.ok(&["wallet", "backup", "--dir", "w", "--out", "backup.bin"]);
    h.ok(&["wallet", "restore", "--dir", "w2", "backup.bin"]);
    let restored = h
        .ok(&["wallet", "list", "--dir", "w2", "--output", "json"])
        .json();
    assert_eq!(restored[0]["id"], id.as_str());
    let again = h
        .ok(&[
            "challenge",
            "--verifier",
            "counter-9",
            "--claims",
            "given_name",
            "--output",
            "json",
        ])
        .json();
    let qr2 = h.ok(&[
        "wallet",
        "present",
        "--dir",
        "w2",
        "--credential",
        &id,
        "--challenge",
        again["payload"].as_str().expect("p"),
    ]);
    h.write("qr2.txt", qr2.stdout.trim());
    let v = h
        .ok(&[
            "verify",
            "--output",
            "json",
            "--trust",
            "trust.json",
            "--audience",
            "counter-9",
            "--nonce",
            again["nonce"].as_str().expect("n"),
            "qr2.txt",
        ])
        .json();
    assert_eq!(
        v["verified"], true,
        "the restored wallet's key still presents"
    );
}
