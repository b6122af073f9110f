//! The chain flow through the `stele` CLI, as an agency, a governance
//! authority and a counter would run it: on the embedded chain, and on a
//! real Ethereum node (Anvil) over JSON-RPC.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../registry/tests/support/anvil.rs"]
mod anvil;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

mod support;

use support::{Run, stele};

/// A scratch office: its own directory, one chain, and helpers that run
/// `stele` with `--chain` set.
struct Office {
    dir: PathBuf,
    chain: String,
}

impl Office {
    fn new(name: &str, chain: Option<&str>) -> Self {
        let dir =
            std::env::temp_dir().join(format!("stele-chain-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let claims = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schemas/examples/ResidencePermitCredential.json");
        std::fs::copy(claims, dir.join("claims.json")).unwrap();
        Office {
            chain: chain.map_or_else(
                || format!("embedded:{}", dir.join("chain").display()),
                str::to_owned,
            ),
            dir,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(stele())
            .args(args)
            .current_dir(&self.dir)
            .env("STELE_CHAIN", &self.chain)
            .env("STELE_DEPLOYMENT", self.dir.join("deployment.json"))
            .stdin(Stdio::null())
            .output()
            .expect("stele runs");
        Run::of(out)
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    /// chain init + an agency + a holder key; returns (agency DID, holder DID).
    fn set_up(&self) -> (String, String) {
        self.ok(&[
            "chain",
            "init",
            "--governance-key",
            "gov.jwk",
            "--output",
            "json",
        ]);
        let agency = self.ok(&[
            "agency",
            "create",
            "--name",
            "Immigration Office",
            "--out",
            "agency.json",
            "--output",
            "json",
        ]);
        let did = agency.json()["did"].as_str().unwrap().to_owned();
        let holder = self.ok(&[
            "key",
            "new",
            "--alg",
            "p256",
            "--out",
            "citizen.jwk",
            "--output",
            "json",
        ]);
        (did, holder.json()["did"].as_str().unwrap().to_owned())
    }

    fn accredit(&self, issuer: &str, extra: &[&str]) {
        let mut args = vec![
            "trust",
            "accredit",
            "--governance-key",
            "gov.jwk",
            "--issuer",
            issuer,
            "--type",
            "ResidencePermitCredential",
        ];
        args.extend_from_slice(extra);
        self.ok(&args);
    }

    fn issue(&self, name: &str, holder: &str) {
        let r = self.ok(&[
            "issue",
            "--key",
            "agency.json",
            "--type",
            "ResidencePermitCredential",
            "--subject",
            "claims.json",
            "--holder",
            holder,
        ]);
        self.write(name, r.stdout.trim());
    }

    fn present(&self, credential: &str, nonce: &str) -> String {
        let r = self.ok(&[
            "present",
            "--key",
            "citizen.jwk",
            "--credential",
            credential,
            "--disclose",
            "given_name,family_name",
            "--audience",
            "counter-1",
            "--nonce",
            nonce,
        ]);
        let name = format!("{credential}.{nonce}.presentation");
        self.write(&name, r.stdout.trim());
        name
    }

    fn verify(&self, file: &str, extra: &[&str]) -> Run {
        let chain = self.chain.clone();
        let mut args = vec!["verify", "--output", "json", "--chain", chain.as_str()];
        args.extend_from_slice(extra);
        args.push(file);
        self.run(&args)
    }

    fn verify_presented(&self, credential: &str, nonce: &str) -> Run {
        let p = self.present(credential, nonce);
        self.verify(&p, &["--audience", "counter-1", "--nonce", nonce])
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn assert_verified(r: &Run) {
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["verified"], true);
    assert_eq!(v["holder_binding"], "verified");
    let statuses: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "status" || c["name"] == "trust")
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["passed", "passed"],
        "trust and status were checked on the chain"
    );
}

fn assert_rejected(r: &Run, code: &str) {
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.reasons(), [code], "{}", r.stdout);
}

/// The whole life of a residence permit on the embedded chain.
#[test]
fn agency_accreditation_issuance_revocation_rotation_on_the_embedded_chain() {
    let office = Office::new("embedded", None);
    let (agency, holder) = office.set_up();
    assert!(agency.starts_with("did:ethr:0x539:0x"), "{agency}");

    // Not accredited yet: untrusted.
    office.issue("early.txt", &holder);
    assert_rejected(
        &office.verify_presented("early.txt", "n0"),
        "untrusted_issuer",
    );

    // Accredited: valid at the counter.
    office.accredit(&agency, &[]);
    office.issue("permit.txt", &holder);
    assert_verified(&office.verify_presented("permit.txt", "n1"));

    // Revoked: rejected, for good.
    office.ok(&[
        "status",
        "revoke",
        "--key",
        "agency.json",
        "--credential",
        "permit.txt",
    ]);
    assert_rejected(&office.verify_presented("permit.txt", "n2"), "revoked");

    // Suspended, then reinstated.
    office.issue("second.txt", &holder);
    office.ok(&[
        "status",
        "suspend",
        "--key",
        "agency.json",
        "--credential",
        "second.txt",
    ]);
    assert_rejected(&office.verify_presented("second.txt", "n3"), "suspended");
    office.ok(&[
        "status",
        "reinstate",
        "--key",
        "agency.json",
        "--credential",
        "second.txt",
    ]);
    assert_verified(&office.verify_presented("second.txt", "n4"));

    // Key rotation: the credential signed with the old key stays valid, the
    // new key signs new credentials.
    let before = office.ok(&["resolve", &agency]).json();
    // did:ethr versions are whole seconds (block timestamps): rotate in a later
    // second than the credential was issued in.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    office.ok(&["agency", "rotate-key", "--key", "agency.json"]);
    assert_verified(&office.verify_presented("second.txt", "n5"));
    office.issue("third.txt", &holder);
    assert_verified(&office.verify_presented("third.txt", "n6"));
    let after = office.ok(&["resolve", &agency]).json();
    assert_ne!(
        before["didDocument"]["assertionMethod"],
        after["didDocument"]["assertionMethod"]
    );
    // The document as it was when the first key signed still lists it.
    let t = before["didDocumentMetadata"]["updated"]
        .as_str()
        .unwrap()
        .to_owned();
    let then = office
        .ok(&["resolve", &agency, "--version-time", &t])
        .json();
    assert_eq!(
        then["didDocument"]["assertionMethod"],
        before["didDocument"]["assertionMethod"]
    );

    // The old key is then found compromised: what it signed is no longer valid.
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(office.dir.join("agency.json")).unwrap())
            .unwrap();
    let old_kid = file["keys"][0]["kid"].as_str().unwrap().to_owned();
    office.ok(&[
        "agency",
        "compromised",
        "--key",
        "agency.json",
        "--kid",
        &old_kid,
    ]);
    assert_rejected(&office.verify_presented("second.txt", "n7"), "did_invalid");
    assert_verified(&office.verify_presented("third.txt", "n8"));

    // Accreditation withdrawn: credentials issued before stay valid, later ones
    // are not. (Times are whole seconds: withdraw in a later second than the issuance.)
    std::thread::sleep(std::time::Duration::from_millis(1100));
    office.ok(&[
        "trust",
        "revoke",
        "--governance-key",
        "gov.jwk",
        "--issuer",
        &agency,
        "--type",
        "ResidencePermitCredential",
    ]);
    assert_verified(&office.verify_presented("third.txt", "n9"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    office.issue("late.txt", &holder);
    assert_rejected(
        &office.verify_presented("late.txt", "n10"),
        "untrusted_issuer",
    );

    // The signed status list credential for HTTP publication verifies as a vc+jwt.
    let list = office.ok(&[
        "status",
        "credential",
        "--key",
        "agency.json",
        "--purpose",
        "revocation",
    ]);
    assert_eq!(list.stdout.trim().split('.').count(), 3);
}

/// Data Integrity (eddsa-jcs-2022) from a did:ethr agency: the proof's
/// verification method resolves through the registry's resolver (core's
/// `DidResolver`), accreditation and status are checked on the chain, a
/// presentation binds an Ed25519 holder, and revocation applies.
#[test]
fn data_integrity_credentials_of_a_did_ethr_agency() {
    let office = Office::new("di", None);
    let (agency, _) = office.set_up();
    office.accredit(&agency, &[]);
    let holder = office.ok(&[
        "key",
        "new",
        "--alg",
        "ed25519",
        "--out",
        "holder.jwk",
        "--output",
        "json",
    ]);
    let holder = holder.json()["did"].as_str().unwrap().to_owned();
    let r = office.ok(&[
        "issue",
        "--key",
        "agency.json",
        "--type",
        "ResidencePermitCredential",
        "--subject",
        "claims.json",
        "--holder",
        &holder,
        "--format",
        "di-jcs",
    ]);
    office.write("di.json", r.stdout.trim());
    let doc: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let method = doc["proof"]["verificationMethod"].as_str().unwrap();
    assert!(method.starts_with(&format!("{agency}#")), "{method}");
    assert!(!doc["credentialStatus"].is_null());

    let quick = office.verify("di.json", &[]);
    assert_eq!(quick.code, 0, "{}{}", quick.stdout, quick.stderr);
    assert_eq!(quick.json()["format"], "di-eddsa-jcs-2022");
    assert_eq!(quick.json()["issuer"], agency.as_str());

    let present = |nonce: &str| {
        let p = office.ok(&[
            "present",
            "--key",
            "holder.jwk",
            "--credential",
            "di.json",
            "--audience",
            "counter-1",
            "--nonce",
            nonce,
        ]);
        let name = format!("di.{nonce}.presentation");
        office.write(&name, p.stdout.trim());
        office.verify(&name, &["--audience", "counter-1", "--nonce", nonce])
    };
    assert_verified(&present("n1"));

    office.ok(&[
        "status",
        "revoke",
        "--key",
        "agency.json",
        "--credential",
        "di.json",
    ]);
    assert_rejected(&present("n2"), "revoked");
}

/// An accreditation that ended: a credential issued after its end is rejected.
#[test]
fn expired_accreditation() {
    let office = Office::new("expired", None);
    let (agency, holder) = office.set_up();
    office.accredit(
        &agency,
        &[
            "--from",
            "2020-01-01T00:00:00Z",
            "--until",
            "2021-01-01T00:00:00Z",
        ],
    );
    office.issue("permit.txt", &holder);
    assert_rejected(
        &office.verify_presented("permit.txt", "n1"),
        "untrusted_issuer",
    );
}

/// A chain that cannot be reached is "could not check" (exit 2), never valid.
#[test]
fn unreachable_chain_is_could_not_check() {
    let office = Office::new("down", None);
    let (agency, holder) = office.set_up();
    office.accredit(&agency, &[]);
    office.issue("permit.txt", &holder);
    let p = office.present("permit.txt", "n1");
    // Point the verifier at a JSON-RPC node that is not there, with the same contracts file.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let deployment = office.dir.join("deployment.json");
    let r = office.run(&[
        "verify",
        "--output",
        "json",
        "--chain",
        &format!("rpc:http://127.0.0.1:{port}"),
        "--deployment",
        deployment.to_str().unwrap(),
        "--audience",
        "counter-1",
        "--nonce",
        "n1",
        &p,
    ]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.is_empty(),
        "no verdict when the chain could not be checked"
    );
    assert!(
        r.stderr.contains("could not check") || r.stderr.contains("unavailable"),
        "{}",
        r.stderr
    );
}

/// The same flow against a real Ethereum node (Anvil) over JSON-RPC.
#[test]
fn agency_flow_on_a_real_node() {
    let node = anvil::Anvil::start();
    let office = Office::new("anvil", Some(&format!("rpc:{}", node.url())));
    let (agency, holder) = office.set_up();
    assert!(agency.starts_with("did:ethr:0x7a69:0x"), "{agency}");
    office.accredit(&agency, &[]);
    office.issue("permit.txt", &holder);
    assert_verified(&office.verify_presented("permit.txt", "n1"));
    office.ok(&[
        "status",
        "revoke",
        "--key",
        "agency.json",
        "--credential",
        "permit.txt",
    ]);
    assert_rejected(&office.verify_presented("permit.txt", "n2"), "revoked");
    let doc = office.ok(&["resolve", &agency]).json();
    assert_eq!(doc["didDocument"]["id"], agency.as_str());
}
