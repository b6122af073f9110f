//! `stele resolve` and `stele verify` with `--allow-fetch`: did:web issuers
//! and status lists over HTTPS from a local HTTPS server on 127.0.0.1
//! (registry/tests/support/https.rs), its test CA given with `--fetch-roots`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

#[path = "../../registry/tests/support/https.rs"]
mod https;
mod support;

use https::{Reply, TestServer};
use serde_json::{Map, Value, json};
use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::Did;
use stele_core::key::{KeyType, SecretKey};
use stele_core::status::{
    StatusEntry, StatusList, StatusListCredentialParams, StatusPurpose, credential_status,
    issue_status_list_credential,
};
use stele_core::time::{Clock, SystemClock};
use support::{Run, stele};

fn run(args: &[&str]) -> Run {
    let out = Command::new(stele())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("stele runs");
    Run::of(out)
}

fn claims() -> Map<String, Value> {
    match serde_json::from_str(include_str!(
        "../../schemas/examples/ResidencePermitCredential.json"
    )) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

#[test]
fn resolve_and_verify_a_did_web_issuer() {
    let server = TestServer::start();
    let dir = std::env::temp_dir().join(format!("stele-e2e-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let roots: PathBuf = dir.join("ca.der");
    std::fs::write(&roots, server.root_der()).expect("write CA");
    let roots = roots.display().to_string();

    let key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let did = Did::parse(&format!("did:web:localhost%3A{}", server.port())).expect("did");
    let kid = format!("{}#key-1", did.as_str());
    server.route(
        "/.well-known/did.json",
        Reply::ok(
            "application/did+json",
            json!({
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did.as_str(),
                "verificationMethod": [{"id": kid, "type": "JsonWebKey", "controller": did.as_str(),
                    "publicKeyJwk": key.public_key().to_jwk().to_value()}],
                "assertionMethod": [kid]
            })
            .to_string(),
        ),
    );
    let fetching = [
        "--allow-fetch",
        "localhost",
        "--fetch-allow-private",
        "--fetch-roots",
        roots.as_str(),
    ];

    // resolve: allowed, not allowed, loopback not allowed.
    let mut args = vec!["resolve", did.as_str()];
    args.extend(fetching);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["didDocument"]["id"], did.as_str());
    let r = run(&["resolve", did.as_str()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.json()["didResolutionMetadata"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("not allowed"))
    );
    let r = run(&[
        "resolve",
        did.as_str(),
        "--allow-fetch",
        "localhost",
        "--fetch-roots",
        &roots,
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.json()["didResolutionMetadata"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("loopback"))
    );

    // verify: a credential with a status list served by the issuer.
    let now = SystemClock.now();
    let list_url = server.url("/status/1");
    let mut list = StatusList::with_min_len();
    let publish = |list: &StatusList| {
        let token = issue_status_list_credential(
            &key,
            &StatusListCredentialParams {
                issuer_did: did.as_str(),
                kid: &kid,
                list_url: &list_url,
                purpose: StatusPurpose::Revocation,
                valid_from: now.plus(-3600),
                valid_until: now.plus(86_400),
            },
            list,
        )
        .expect("status list");
        server.route("/status/1", Reply::ok("application/vc+jwt", token));
    };
    publish(&list);
    let entry = StatusEntry::new(StatusPurpose::Revocation, 3, &list_url).expect("entry");
    let credential = Issuer::new(&key, did.clone(), kid.clone())
        .issue(
            &IssueRequest {
                credential_type: "ResidencePermitCredential",
                claims: claims(),
                holder: None,
                valid_from: None,
                valid_until: Some(now.plus(86_400)),
                format: CredentialFormat::Jwt,
                status: Some(credential_status(&[entry])),
            },
            now.plus(-60),
            &mut rand_core::OsRng,
        )
        .expect("issue");
    let cred_file = dir.join("permit.jwt");
    std::fs::write(&cred_file, &credential).expect("write");
    let trust_file = dir.join("trust.json");
    std::fs::write(
        &trust_file,
        json!({"issuers": [{"did": did.as_str()}]}).to_string(),
    )
    .expect("write");
    let (cred_file, trust_file) = (
        cred_file.display().to_string(),
        trust_file.display().to_string(),
    );
    let mut args = vec!["--output", "json", "verify", "--trust", trust_file.as_str()];
    args.extend(fetching);
    args.push(cred_file.as_str());
    let r = run(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["verified"], true);

    list.set(3, true).expect("in range");
    publish(&list);
    let r = run(&args);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["reasons"][0]["code"], "revoked");

    // Without --allow-fetch the issuer cannot be resolved: rejected, not "could not check".
    let r = run(&[
        "--output",
        "json",
        "verify",
        "--trust",
        &trust_file,
        &cred_file,
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["reasons"][0]["code"], "resolution_forbidden");
    let _ = std::fs::remove_dir_all(&dir);
}
