//! The `stele` CLI, run as a user would: real key files on disk, real
//! processes, exit statuses and JSON output checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod support;

use support::{Run, stele};

fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(stele());
    cmd.args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("stele starts");
    if let Some(text) = stdin {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    Run::of(child.wait_with_output().expect("stele runs"))
}

/// A scratch directory with an agency key, a citizen key, the sample claims and a trust file.
struct Desk {
    dir: PathBuf,
    agency: String,
    citizen: String,
}

impl Desk {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("stele-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let claims = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schemas/examples/ResidencePermitCredential.json");
        std::fs::copy(claims, dir.join("claims.json")).expect("claims");
        let mut desk = Desk {
            dir,
            agency: String::new(),
            citizen: String::new(),
        };
        desk.agency = desk.key("agency.jwk", "ed25519");
        desk.citizen = desk.key("citizen.jwk", "p256");
        let trust = format!(
            r#"{{"issuers":[{{"did":"{}","types":["ResidencePermitCredential"]}}]}}"#,
            desk.agency
        );
        desk.write("trust.json", &trust);
        desk
    }

    fn key(&self, file: &str, alg: &str) -> String {
        let r = self.run(&[
            "key", "new", "--alg", alg, "--out", file, "--output", "json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json()["did"].as_str().expect("did").to_owned()
    }

    fn run(&self, args: &[&str]) -> Run {
        run_in(&self.dir, args, None)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).expect("write");
    }

    fn issue(&self, extra: &[&str]) -> String {
        let mut args = vec![
            "issue",
            "--key",
            "agency.jwk",
            "--type",
            "ResidencePermitCredential",
            "--subject",
            "claims.json",
        ];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        assert_eq!(r.code, 0, "issue failed: {}", r.stderr);
        r.stdout.trim().to_owned()
    }

    fn present(&self, credential: &str, disclose: &str, aud: &str, nonce: &str) -> String {
        self.write("credential.txt", credential);
        let r = self.run(&[
            "present",
            "--key",
            "citizen.jwk",
            "--credential",
            "credential.txt",
            "--disclose",
            disclose,
            "--audience",
            aud,
            "--nonce",
            nonce,
        ]);
        assert_eq!(r.code, 0, "present failed: {}", r.stderr);
        r.stdout.trim().to_owned()
    }

    fn verify(&self, input: &str, extra: &[&str]) -> Run {
        self.write("input.txt", input);
        let mut args = vec!["verify", "--output", "json"];
        args.extend_from_slice(extra);
        args.push("input.txt");
        self.run(&args)
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const COUNTER: &[&str] = &[
    "--trust",
    "trust.json",
    "--audience",
    "counter-1",
    "--nonce",
    "n-1",
];

#[test]
fn key_files_are_private_and_not_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let desk = Desk::new("keys");
    let mode = std::fs::metadata(desk.dir.join("agency.jwk"))
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(desk.agency.starts_with("did:key:z6Mk"), "{}", desk.agency);
    assert!(desk.citizen.starts_with("did:key:zDn"), "{}", desk.citizen);
    let again = desk.run(&["key", "new", "--out", "agency.jwk"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"));
    let text = desk.run(&[
        "key",
        "new",
        "--alg",
        "secp256k1",
        "--out",
        "k.jwk",
        "--output",
        "text",
    ]);
    assert!(
        text.stdout.trim().starts_with("did:key:zQ3s"),
        "{}",
        text.stdout
    );
    assert_eq!(
        desk.run(&["key", "new", "--alg", "rsa", "--out", "x.jwk"])
            .code,
        64
    );
}

#[test]
fn issue_present_verify_round_trip() {
    let desk = Desk::new("flow");
    let credential = desk.issue(&["--holder", &desk.citizen]);
    let p = desk.present(&credential, "given_name,family_name", "counter-1", "n-1");
    let r = desk.verify(&p, COUNTER);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["verified"], true);
    assert_eq!(v["format"], "dc-sd-jwt");
    assert_eq!(v["issuer"], desk.agency.as_str());
    assert_eq!(v["types"][0], "ResidencePermitCredential");
    assert_eq!(v["holder_binding"], "verified");
    assert_eq!(v["claims"]["given_name"], "Amira");
    assert_eq!(v["claims"]["permit_type"], "temporary");
    for hidden in [
        "birth_date",
        "address",
        "nationality",
        "portrait",
        "document_number",
    ] {
        assert!(
            v["claims"].get(hidden).is_none(),
            "{hidden} must not be disclosed"
        );
    }
    let schema = stele_core::credential::schema::Schema::from_json(include_str!(
        "../../schemas/verdict.schema.json"
    ))
    .expect("verdict schema");
    schema.validate(&v).expect("verdict matches its schema");

    // The counter's policy: types, required claims, schema conformance.
    let mut policy = COUNTER.to_vec();
    policy.extend_from_slice(&[
        "--accept-type",
        "ResidencePermitCredential",
        "--require-claims",
        "given_name,permit_type",
        "--require-schema",
    ]);
    let fresh = desk.present(&credential, "given_name,family_name", "counter-1", "n-1");
    let r = desk.verify(&fresh, &policy);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let mut needs_birth_date = COUNTER.to_vec();
    needs_birth_date.extend_from_slice(&["--require-claims", "birth_date"]);
    let r = desk.verify(&fresh, &needs_birth_date);
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["claim_mismatch".to_owned()])
    );
    let mut ids_only = COUNTER.to_vec();
    ids_only.extend_from_slice(&["--accept-type", "NationalIdCredential"]);
    let r = desk.verify(&fresh, &ids_only);
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["claim_mismatch".to_owned()])
    );

    // VC-JOSE, full disclosure, quick check: verified, holder binding not checked.
    let jwt = desk.issue(&["--format", "jwt", "--holder", &desk.citizen]);
    let r = desk.verify(&jwt, &["--trust", "trust.json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["holder_binding"], "not_checked");
    assert_eq!(r.json()["claims"]["birth_date"], "1990-04-12");
    // Text output for people.
    desk.write("jwt.txt", &jwt);
    let text = desk.run(&[
        "verify",
        "--output",
        "text",
        "--trust",
        "trust.json",
        "jwt.txt",
    ]);
    assert!(text.stdout.contains("VERIFIED"), "{}", text.stdout);
    // Reading from stdin.
    let piped = run_in(
        &desk.dir,
        &["verify", "--output", "json", "--trust", "trust.json", "-"],
        Some(&jwt),
    );
    assert_eq!(piped.code, 0);
}

#[test]
fn tampered_expired_wrongly_bound_and_untrusted_are_rejected() {
    let desk = Desk::new("reject");
    let credential = desk.issue(&[
        "--holder",
        &desk.citizen,
        "--valid-until",
        "2099-01-01T00:00:00Z",
    ]);
    let p = desk.present(&credential, "given_name", "counter-1", "n-1");

    // Tampered: one character of the issuer signature changed.
    let sig_end = p.find('~').expect("sd-jwt");
    let mut bytes = p.clone().into_bytes();
    bytes[sig_end - 3] = if bytes[sig_end - 3] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let tampered = String::from_utf8(bytes).expect("ascii");
    let r = desk.verify(&tampered, COUNTER);
    assert_eq!((r.code, r.reasons()), (1, vec!["bad_signature".to_owned()]));
    assert_eq!(
        r.json()["claims"],
        serde_json::json!({}),
        "a rejected input yields no claims"
    );

    // Expired: verified as of a time after valid-until.
    let mut later = COUNTER.to_vec();
    later.extend_from_slice(&["--now", "2099-06-01T00:00:00Z"]);
    let r = desk.verify(&p, &later);
    assert_eq!(r.code, 1);
    assert!(
        r.reasons().contains(&"expired".to_owned()),
        "{:?}",
        r.reasons()
    );

    // Not yet valid.
    let future = desk.issue(&[
        "--holder",
        &desk.citizen,
        "--valid-from",
        "2090-01-01T00:00:00Z",
    ]);
    let r = desk.verify(&future, &["--trust", "trust.json"]);
    assert_eq!((r.code, r.reasons()), (1, vec!["not_yet_valid".to_owned()]));

    // Wrong nonce, wrong audience.
    let r = desk.verify(
        &p,
        &[
            "--trust",
            "trust.json",
            "--audience",
            "counter-1",
            "--nonce",
            "n-2",
        ],
    );
    assert_eq!((r.code, r.reasons()), (1, vec!["wrong_nonce".to_owned()]));
    let r = desk.verify(
        &p,
        &[
            "--trust",
            "trust.json",
            "--audience",
            "counter-2",
            "--nonce",
            "n-1",
        ],
    );
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["wrong_audience".to_owned()])
    );

    // Wrongly bound: a VC-JOSE credential cannot satisfy required holder binding,
    // and the holder cannot present a credential bound to someone else's key.
    let jwt = desk.issue(&["--format", "jwt", "--holder", &desk.citizen]);
    let r = desk.verify(&jwt, &["--trust", "trust.json", "--require-holder-binding"]);
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["holder_binding".to_owned()])
    );
    let someone_else = desk.key("other.jwk", "p256");
    let not_mine = desk.issue(&["--holder", &someone_else]);
    desk.write("not-mine.txt", &not_mine);
    let r = desk.run(&[
        "present",
        "--key",
        "citizen.jwk",
        "--credential",
        "not-mine.txt",
        "--disclose",
        "given_name",
        "--audience",
        "a",
        "--nonce",
        "n",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bound to another key"), "{}", r.stderr);
    // An unbound SD-JWT shown where holder binding is required.
    let r = desk.verify(&not_mine, COUNTER);
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["holder_binding".to_owned()])
    );

    // Untrusted: no trust file, or a trust file for another type.
    let r = desk.verify(&p, &["--audience", "counter-1", "--nonce", "n-1"]);
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["untrusted_issuer".to_owned()])
    );
    desk.write(
        "ids-only.json",
        &format!(
            r#"{{"issuers":[{{"did":"{}","types":["NationalIdCredential"]}}]}}"#,
            desk.agency
        ),
    );
    let r = desk.verify(
        &p,
        &[
            "--trust",
            "ids-only.json",
            "--audience",
            "counter-1",
            "--nonce",
            "n-1",
        ],
    );
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["untrusted_issuer".to_owned()])
    );
}

#[test]
fn schema_violations_are_refused_before_signing() {
    let desk = Desk::new("schema");
    desk.write(
        "bad.json",
        r#"{"given_name": "A", "birth_date": "1990-02-30"}"#,
    );
    let r = desk.run(&[
        "issue",
        "--key",
        "agency.jwk",
        "--type",
        "ResidencePermitCredential",
        "--subject",
        "bad.json",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("/birth_date"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("1990-02-30"),
        "no claim values in errors: {}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "nothing issued");
    let r = desk.run(&[
        "issue",
        "--key",
        "agency.jwk",
        "--type",
        "LibraryCard",
        "--subject",
        "claims.json",
    ]);
    assert_eq!(r.code, 64);
}

#[test]
fn usage_errors_exit_64() {
    let desk = Desk::new("usage");
    for args in [
        vec!["verify"],
        vec!["verify", "--bogus", "x"],
        vec!["verify", "no-such-file"],
        vec!["verify", "--now", "yesterday", "claims.json"],
        vec!["verify", "--trust", "claims.json", "claims.json"],
        vec![
            "issue",
            "--key",
            "no-such.jwk",
            "--type",
            "ResidencePermitCredential",
            "--subject",
            "claims.json",
        ],
        vec![
            "issue",
            "--key",
            "claims.json",
            "--type",
            "ResidencePermitCredential",
            "--subject",
            "claims.json",
        ],
        vec![
            "issue",
            "--key",
            "agency.jwk",
            "--type",
            "ResidencePermitCredential",
            "--subject",
            "claims.json",
            "--format",
            "cbor",
        ],
        vec![
            "present",
            "--key",
            "citizen.jwk",
            "--credential",
            "claims.json",
            "--audience",
            "a",
            "--nonce",
            "n",
        ],
        vec!["frobnicate"],
    ] {
        let r = desk.run(&args);
        assert_eq!(r.code, 64, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.is_empty());
    }
    assert_eq!(desk.run(&["--help"]).code, 0);
}

#[test]
fn garbage_input_is_rejected_not_a_crash() {
    let desk = Desk::new("garbage");
    let inputs = [
        String::new(),
        "not a credential".to_owned(),
        "a.b.c".to_owned(),
        "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.".to_owned(),
        "~~~~".to_owned(),
        "\u{0}\u{1}binary".to_owned(),
        format!("{}.{}.{}", "e".repeat(1000), "x".repeat(1000), "y"),
        "[".repeat(100_000),
    ];
    for input in inputs {
        let r = desk.verify(&input, &["--trust", "trust.json"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(r.json()["verified"], false);
    }
}

#[test]
fn resolve_did_key() {
    let desk = Desk::new("resolve");
    let r = desk.run(&["resolve", &desk.agency]);
    assert_eq!(r.code, 0);
    let v = r.json();
    assert_eq!(v["didDocument"]["id"], desk.agency.as_str());
    assert_eq!(
        v["didResolutionMetadata"]["contentType"],
        "application/did+ld+json"
    );
    let r = desk.run(&["resolve", "did:key:z6MkInvalid"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["didResolutionMetadata"]["error"], "invalidDid");
    // did:web without --allow-fetch: refused by the fetch policy (no host is
    // allowed), which DID Resolution reports as internalError (ADR 0032).
    let r = desk.run(&["resolve", "did:web:example.com"]);
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(v["didResolutionMetadata"]["error"], "internalError");
    assert!(
        v["didResolutionMetadata"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("forbidden") && m.contains("not allowed")),
        "{v}"
    );
    let r = desk.run(&["resolve", "did:example:123"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.json()["didResolutionMetadata"]["error"],
        "methodNotSupported"
    );
}

/// Data Integrity `eddsa-jcs-2022`: issue, verify (the format is detected),
/// tamper, a context outside the allow-list, present.
#[test]
fn data_integrity_jcs_issue_verify_tamper() {
    data_integrity_issue_verify_tamper("di-jcs", "eddsa-jcs-2022");
}

/// Data Integrity `eddsa-rdfc-2022` (JSON-LD expansion with the bundled
/// contexts, RDF canonicalisation): the same flow through the CLI.
#[test]
fn data_integrity_rdfc_issue_verify_tamper() {
    data_integrity_issue_verify_tamper("di-rdfc", "eddsa-rdfc-2022");
}

fn data_integrity_issue_verify_tamper(flag: &str, suite: &str) {
    let desk = Desk::new(flag);
    let credential = desk.issue(&["--format", flag, "--holder", &desk.citizen]);
    let doc: serde_json::Value = serde_json::from_str(&credential).expect("a JSON credential");
    assert_eq!(doc["proof"]["type"], "DataIntegrityProof");
    assert_eq!(doc["proof"]["cryptosuite"], suite);
    assert_eq!(doc["proof"]["proofPurpose"], "assertionMethod");
    assert!(
        doc["proof"]["proofValue"]
            .as_str()
            .is_some_and(|v| v.starts_with('z'))
    );

    let mut policy = vec!["--trust", "trust.json", "--require-schema"];
    policy.extend_from_slice(&["--accept-type", "ResidencePermitCredential"]);
    let r = desk.verify(&credential, &policy);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["verified"], true);
    assert_eq!(v["format"], format!("di-{suite}"));
    assert_eq!(v["issuer"], desk.agency.as_str());
    assert_eq!(v["types"][1], "ResidencePermitCredential");
    assert_eq!(v["holder_binding"], "not_checked");
    assert_eq!(v["claims"]["given_name"], "Amira");
    assert_eq!(v["claims"]["id"], desk.citizen.as_str());
    let schema = stele_core::credential::schema::Schema::from_json(include_str!(
        "../../schemas/verdict.schema.json"
    ))
    .expect("verdict schema");
    schema.validate(&v).expect("verdict matches its schema");

    // Pretty-printed and reordered, it still verifies: both suites sign
    // the data (JCS: the JSON value; RDFC: the RDF graph), not the text.
    let pretty = serde_json::to_string_pretty(&doc).expect("json");
    assert_eq!(desk.verify(&pretty, &policy).code, 0);

    // One changed claim: the signature no longer verifies; no claims leak.
    let tampered = credential.replacen("Amira", "Amina", 1);
    assert_ne!(tampered, credential);
    let r = desk.verify(&tampered, &policy);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.reasons(), vec!["bad_signature".to_owned()]);
    assert_eq!(r.json()["claims"], serde_json::json!({}));
    schema
        .validate(&r.json())
        .expect("verdict matches its schema");

    // A member no context defines: RDFC would drop it from what is signed,
    // so it is refused (JCS signs it: the signature breaks).
    let mut undefined = doc.clone();
    undefined["credentialSubject"]["nickname"] = serde_json::json!("Ami");
    let r = desk.verify(&undefined.to_string(), &policy);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let expected = if suite == "eddsa-rdfc-2022" {
        "malformed"
    } else {
        "bad_signature"
    };
    assert_eq!(r.reasons(), vec![expected.to_owned()], "{}", r.stdout);

    // A context outside the allow-list is refused before anything else.
    let mut other = doc.clone();
    other["@context"]
        .as_array_mut()
        .expect("context list")
        .push(serde_json::json!("https://evil.example/context.jsonld"));
    let r = desk.verify(&other.to_string(), &policy);
    assert_eq!(
        (r.code, r.reasons()),
        (1, vec!["context_not_allowed".to_owned()])
    );
    assert_eq!(r.json()["format"], serde_json::Value::Null);

    // A counter that requires holder binding: this format carries none.
    let r = desk.verify(&credential, COUNTER);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.reasons(), vec!["holder_binding".to_owned()]);

    // An untrusted issuer is still named as such.
    let r = desk.verify(&credential, &[]);
    assert_eq!(r.reasons(), vec!["untrusted_issuer".to_owned()]);

    // Presented by an Ed25519 holder for the counter's challenge.
    let holder = desk.key("holder.jwk", "ed25519");
    let credential = desk.issue(&["--format", flag, "--holder", &holder]);
    desk.write("di.json", &credential);
    let present = |nonce: &str| {
        desk.run(&[
            "present",
            "--key",
            "holder.jwk",
            "--credential",
            "di.json",
            "--audience",
            "counter-1",
            "--nonce",
            nonce,
        ])
    };
    let p = present("n-1");
    assert_eq!(p.code, 0, "{}", p.stderr);
    let r = desk.verify(p.stdout.trim(), COUNTER);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["holder_binding"], "verified");
    assert_eq!(r.json()["format"], format!("di-{suite}"));
    schema
        .validate(&r.json())
        .expect("verdict matches its schema");
    let r = desk.verify(present("n-2").stdout.trim(), COUNTER);
    assert_eq!((r.code, r.reasons()), (1, vec!["wrong_nonce".to_owned()]));
    // Someone else's key cannot present it.
    let r = desk.run(&[
        "present",
        "--key",
        "citizen.jwk",
        "--credential",
        "di.json",
        "--audience",
        "c",
        "--nonce",
        "n",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}
