//! did:web issuers and status lists over HTTPS through the service (the
//! `[fetch]` section, ADR 0032): router tests against a real local HTTPS
//! server on 127.0.0.1 (registry/tests/support/https.rs) whose test CA the
//! configuration trusts through `roots_file`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "../../registry/tests/support/https.rs"]
mod https;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use https::{Reply, TestServer};
use serde_json::{Value, json};
use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::Did;
use stele_core::key::{KeyType, SecretKey};
use stele_core::status::{
    StatusEntry, StatusList, StatusListCredentialParams, StatusPurpose, credential_status,
    issue_status_list_credential,
};
use stele_verifier::router;
use support::*;
use tower::ServiceExt;

struct WebAgency {
    key: SecretKey,
    did: Did,
    kid: String,
}

impl WebAgency {
    fn new(host: &str) -> WebAgency {
        let key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
        let did = Did::parse(&format!("did:web:{host}")).unwrap();
        let kid = format!("{}#key-1", did.as_str());
        WebAgency { key, did, kid }
    }

    fn document(&self) -> String {
        json!({
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did.as_str(),
            "verificationMethod": [{
                "id": self.kid, "type": "JsonWebKey", "controller": self.did.as_str(),
                "publicKeyJwk": self.key.public_key().to_jwk().to_value()
            }],
            "assertionMethod": [self.kid]
        })
        .to_string()
    }

    fn issue(&self, status: Option<Value>) -> String {
        Issuer::new(&self.key, self.did.clone(), self.kid.clone())
            .issue(
                &IssueRequest {
                    credential_type: PERMIT,
                    claims: claims(),
                    holder: None,
                    valid_from: None,
                    valid_until: Some(now().plus(365 * 86_400)),
                    format: CredentialFormat::Jwt,
                    status,
                },
                now().plus(-3600),
                &mut rand_core::OsRng,
            )
            .unwrap()
    }

    fn status_list(&self, url: &str, list: &StatusList) -> String {
        issue_status_list_credential(
            &self.key,
            &StatusListCredentialParams {
                issuer_did: self.did.as_str(),
                kid: &self.kid,
                list_url: url,
                purpose: StatusPurpose::Revocation,
                valid_from: now().plus(-3600),
                valid_until: now().plus(86_400),
            },
            list,
        )
        .unwrap()
    }
}

async fn call(app: &axum::Router, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {COUNTER_KEY}"));
    req = match body {
        Some(_) => req
            .method("POST")
            .header("content-type", "application/json"),
        None => req.method("GET"),
    };
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn reasons(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["code"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_did_web_credential_verifies_through_the_service() {
    let server = TestServer::start();
    let agency = WebAgency::new(&format!("localhost%3A{}", server.port()));
    let stranger = WebAgency::new("issuer.invalid");
    server.route(
        "/.well-known/did.json",
        Reply::ok("application/did+json", agency.document()),
    );
    let list_url = server.url("/status/1");
    let mut list = StatusList::with_min_len();
    server.route(
        "/status/1",
        Reply::ok("application/vc+jwt", agency.status_list(&list_url, &list)),
    );

    let world = World::embedded("did-web");
    let data = world.dir.join("service");
    std::fs::create_dir_all(&data).unwrap();
    let roots = world.dir.join("test-ca.der");
    std::fs::write(&roots, server.root_der()).unwrap();
    let extra = format!(
        r#"
[fetch]
allowed_hosts = ["localhost"]
allow_private = true
timeout_ms = 3000
max_bytes = 65536
roots_file = "{roots}"

[[trusted_issuers]]
did = "{agency}"

[[trusted_issuers]]
did = "{stranger}"
"#,
        roots = roots.display(),
        agency = agency.did.as_str(),
        stranger = stranger.did.as_str(),
    );
    let config = config(&data, &extra);
    let state = tokio::task::spawn_blocking(move || state_on(&world, config))
        .await
        .unwrap();
    let app = router(state.clone());

    // The DID Resolution binding resolves the did:web (its `%` escaped in the path).
    let path = agency.did.as_str().replace('%', "%25");
    let (s, v) = call(&app, &format!("/1.0/identifiers/{path}"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["didDocument"]["id"], agency.did.as_str());

    // A credential whose status list is served by the issuer over HTTPS.
    let entry = StatusEntry::new(StatusPurpose::Revocation, 7, &list_url).unwrap();
    let credential = agency.issue(Some(credential_status(&[entry])));
    let (s, v) = call(&app, "/v1/verify", Some(json!({"payload": credential}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["claims"]["given_name"], "Amira");

    // Revoked in the list the issuer publishes (counter-1 reuses a list
    // within the same second only).
    list.set(7, true).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    server.route(
        "/status/1",
        Reply::ok("application/vc+jwt", agency.status_list(&list_url, &list)),
    );
    let (s, v) = call(&app, "/v1/verify", Some(json!({"payload": credential}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], false, "{v}");
    assert_eq!(reasons(&v), ["revoked"]);

    // An issuer on a host that is not allowed: rejected, not "could not check".
    let (s, v) = call(
        &app,
        "/v1/verify",
        Some(json!({"payload": stranger.issue(None)})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], false, "{v}");
    assert_eq!(reasons(&v), ["resolution_forbidden"]);

    // The issuer's server fails: could not check (503), never valid.
    server.route("/.well-known/did.json", Reply::status(503));
    state.resolver().clear();
    let (s, v) = call(
        &app,
        "/v1/verify",
        Some(json!({"payload": agency.issue(None)})),
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");

    tokio::task::spawn_blocking(move || state.close())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_fetch_section_did_web_is_forbidden() {
    let agency = WebAgency::new("issuer.example");
    let world = World::embedded("no-fetch");
    let data = world.dir.join("service");
    let extra = format!("[[trusted_issuers]]\ndid = \"{}\"\n", agency.did.as_str());
    let config = config(&data, &extra);
    let state = tokio::task::spawn_blocking(move || state_on(&world, config))
        .await
        .unwrap();
    let app = router(state.clone());
    let (s, v) = call(
        &app,
        "/v1/verify",
        Some(json!({"payload": agency.issue(None)})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], false, "{v}");
    assert_eq!(reasons(&v), ["resolution_forbidden"]);
    tokio::task::spawn_blocking(move || state.close())
        .await
        .unwrap();
}
