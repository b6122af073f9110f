//! In-process tests of every route and error, through the router
//! (`tower::ServiceExt::oneshot`), on an embedded chain with a real,
//! accredited agency.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use stele_core::credential::issuer::CredentialFormat;
use stele_core::di::presentation::{PresentationInput, present as di_vp};
use stele_core::did::Did;
use stele_core::did::key::{did_key_from_public, did_key_method_id};
use stele_core::key::{KeyType, SecretKey};
use stele_core::status::StatusPurpose;
use stele_verifier::{AppState, StartOptions, router};
use support::*;
use tower::ServiceExt;

struct Fixture {
    world: World,
    state: AppState,
    app: Router,
}

fn setup(name: &str, extra: &str) -> Fixture {
    let world = World::embedded(name);
    let data = world.dir.join("service");
    let state = state_on(&world, config(&data, extra));
    let app = router(state.clone());
    Fixture { world, state, app }
}

impl Fixture {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20)
            .await
            .unwrap();
        (status, headers, bytes)
    }

    async fn json(
        &self,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let auth = key.map(|k| format!("Bearer {k}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        let (s, _, b) = self
            .call(method, uri, &headers, body.map(|b| b.to_string()))
            .await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    async fn challenge(&self, key: &str) -> Value {
        let (s, c) = self.json("POST", "/v1/challenges", Some(key), None).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        c
    }

    async fn verify(&self, key: &str, payload: &str, nonce: Option<&str>) -> (StatusCode, Value) {
        let mut body = json!({"payload": payload});
        if let Some(n) = nonce {
            body["challenge"] = json!(n);
        }
        self.json("POST", "/v1/verify", Some(key), Some(body)).await
    }

    async fn close(self) {
        let s = self.state;
        tokio::task::spawn_blocking(move || s.close())
            .await
            .unwrap();
        std::fs::remove_dir_all(&self.world.dir).ok();
    }
}

fn reasons(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn assert_problem(status: StatusCode, body: &Value, expect: StatusCode, code: &str) {
    assert_eq!(status, expect, "{body}");
    assert_eq!(
        body["type"],
        format!("https://stele.example/problems/{code}"),
        "{body}"
    );
    assert_eq!(body["status"], expect.as_u16());
}

#[tokio::test(flavor = "multi_thread")]
async fn routes_match_openapi() {
    let f = setup("openapi", "");
    let (s, h, b) = f.call("GET", "/openapi.json", &[], None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/json");
    let doc: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut served: Vec<(String, String)> = stele_verifier::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    served.sort();
    assert_eq!(documented, served, "openapi.json and ROUTES differ");
    // Every listed route is really routed (not the 404 fallback, not 405).
    for (method, path) in &served {
        let uri = path
            .replace("{nonce}", "AAAAAAAAAAAAAAAAAAAAAAAA")
            .replace("{did}", "did:example:x")
            .replace("{issuer}", "did:example:x")
            .replace("{list}", "revocation-1");
        let (s, _, b) = f.call(method, &uri, &[], None).await;
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
        assert_ne!(
            v["detail"], "no such route",
            "{method} {path} is not routed"
        );
    }
    // And the fallbacks are problems too.
    let (s, v) = f.json("GET", "/nope", None, None).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = f.json("DELETE", "/v1/verify", None, None).await;
    assert_problem(s, &v, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    f.close().await;
}

/// A node that is catching up: everything as the embedded chain, but
/// `eth_syncing` says a sync is in progress.
struct Syncing(std::sync::Arc<dyn stele_registry::Chain>);

impl stele_registry::Chain for Syncing {
    fn chain_id(&self) -> Result<u64, stele_registry::ChainError> {
        self.0.chain_id()
    }
    fn block_number(&self) -> Result<u64, stele_registry::ChainError> {
        self.0.block_number()
    }
    fn block_timestamp(&self, n: u64) -> Result<u64, stele_registry::ChainError> {
        self.0.block_timestamp(n)
    }
    fn call(
        &self,
        to: alloy_primitives::Address,
        data: &[u8],
        block: stele_registry::BlockRef,
    ) -> Result<alloy_primitives::Bytes, stele_registry::ChainError> {
        self.0.call(to, data, block)
    }
    fn logs(
        &self,
        filter: &stele_registry::LogFilter,
    ) -> Result<Vec<stele_registry::Log>, stele_registry::ChainError> {
        self.0.logs(filter)
    }
    fn code(
        &self,
        address: alloy_primitives::Address,
    ) -> Result<alloy_primitives::Bytes, stele_registry::ChainError> {
        self.0.code(address)
    }
    fn nonce(&self, address: alloy_primitives::Address) -> Result<u64, stele_registry::ChainError> {
        self.0.nonce(address)
    }
    fn send_raw_transaction(
        &self,
        raw: &[u8],
    ) -> Result<stele_registry::Receipt, stele_registry::ChainError> {
        self.0.send_raw_transaction(raw)
    }
    fn gas_price(&self) -> Result<u128, stele_registry::ChainError> {
        self.0.gas_price()
    }
    fn estimate_gas(
        &self,
        from: alloy_primitives::Address,
        request: &stele_registry::TxRequest,
    ) -> Result<u64, stele_registry::ChainError> {
        self.0.estimate_gas(from, request)
    }
    fn syncing(&self) -> Result<bool, stele_registry::ChainError> {
        Ok(true)
    }
}

/// A verifier whose node is still syncing is not ready: it may not see the
/// latest revocations.
#[tokio::test(flavor = "multi_thread")]
async fn not_ready_while_the_node_syncs() {
    let world = World::embedded("syncing");
    let state = AppState::build(
        config(&world.dir.join("service"), ""),
        StartOptions {
            chain: Some((
                std::sync::Arc::new(Syncing(world.chain.clone())),
                world.deployment.clone(),
            )),
            clock: None,
        },
    )
    .unwrap();
    let f = Fixture {
        world,
        app: router(state.clone()),
        state,
    };
    let (s, v) = f.json("GET", "/readyz", None, None).await;
    assert_problem(s, &v, StatusCode::SERVICE_UNAVAILABLE, "not_ready");
    assert!(v["detail"].as_str().unwrap().contains("syncing"), "{v}");
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn operations() {
    let f = setup("ops", "");
    let (s, v) = f.json("GET", "/healthz", None, None).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (s, v) = f.json("GET", "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "ready");
    let (s, h, b) = f.call("GET", "/metrics", &[], None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(b.to_vec()).unwrap();
    assert!(text.contains("# TYPE stele_verification_duration_seconds histogram"));
    assert!(
        text.contains(
            "stele_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"
        )
    );
    f.close().await;
}

/// The status-list cache figures in /metrics: each counter's reader (one
/// per maximum age) reads a list from the chain once, then answers from
/// its cache (fresh) or after asking whether it changed (revalidated).
#[tokio::test(flavor = "multi_thread")]
async fn status_cache_metrics() {
    let mut f = setup("status-metrics", "");
    let (permit, _) = f.world.issue_permit(now().plus(86_400));
    for key in [CACHED_KEY, CACHED_KEY, COUNTER_KEY, COUNTER_KEY] {
        let (_, v) = f.verify(key, &permit, None).await;
        assert_eq!(v["verified"], true, "{v}");
    }
    let (_, _, b) = f.call("GET", "/metrics", &[], None).await;
    let text = String::from_utf8(b.to_vec()).unwrap();
    let value = |line: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(line))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{line} in {text}"))
    };
    // Two readers (max ages 300 s and 0 s); the permit names two lists (the
    // agency's revocation and suspension lists): each reader read each once.
    assert_eq!(
        value("stele_status_list_lookups_total{result=\"fetched\"}"),
        4
    );
    assert_eq!(value("stele_status_lists_cached"), 4);
    // The second look-up of each: from the cache, or (max age 0, a new
    // second) one eth_call that found the list unchanged.
    assert_eq!(
        value("stele_status_list_lookups_total{result=\"fresh\"}")
            + value("stele_status_list_lookups_total{result=\"revalidated\"}"),
        4
    );
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn counter_flow_green_replay_and_quick_check() {
    let mut f = setup("flow", "");
    let (permit, _) = f.world.issue_permit(now().plus(86_400));

    // No key, wrong key.
    let (s, v) = f.json("POST", "/v1/challenges", None, None).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, v) = f
        .json("POST", "/v1/challenges", Some("stele_c_wrong"), None)
        .await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "unauthorized");

    let c = f.challenge(COUNTER_KEY).await;
    assert_eq!(c["verifier"], "https://verifier.test/counter-1");
    assert_eq!(c["types"], json!(["ResidencePermitCredential"]));
    assert_eq!(c["claims"], json!(["given_name", "family_name"]));
    assert!(c["qr_payload"].as_str().unwrap().starts_with("SC2:"));
    assert!(c["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let parsed =
        stele_core::qr::Challenge::from_qr_payload(c["qr_payload"].as_str().unwrap(), now())
            .unwrap();
    let nonce = c["nonce"].as_str().unwrap();
    assert_eq!(parsed.nonce, nonce);
    let expires =
        stele_core::time::Timestamp::parse_rfc3339(c["expires"].as_str().unwrap()).unwrap();
    assert!((expires.unix() - now().unix() - 120).abs() <= 2);

    // The QR images of the open challenge.
    let (s, h, b) = f
        .call("GET", &format!("/v1/challenges/{nonce}/qr.svg"), &[], None)
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "image/svg+xml")
    );
    assert!(b.starts_with(b"<svg"));
    let (s, h, b) = f
        .call("GET", &format!("/v1/challenges/{nonce}/qr.png"), &[], None)
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "image/png")
    );
    assert!(b.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (s, v) = f
        .json(
            "GET",
            "/v1/challenges/AAAAAAAAAAAAAAAAAAAAAAAA/qr.png",
            None,
            None,
        )
        .await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");

    // The wallet answers the challenge: green.
    let qr = present_qr(
        &f.world.citizen,
        &permit,
        c["verifier"].as_str().unwrap(),
        nonce,
    );
    let (s, v) = f.verify(COUNTER_KEY, &qr, Some(nonce)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["holder_binding"], "verified");
    assert_eq!(v["claims"]["given_name"], "Amira");
    assert!(v["claims"].get("birth_date").is_none());

    // The same presentation again: replay.
    let (s, v) = f.verify(COUNTER_KEY, &qr, Some(nonce)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["verified"], false);
    assert_eq!(reasons(&v), ["replay"]);
    assert_eq!(v["claims"], json!({}));

    // Quick check of the credential itself: holder binding not checked.
    let (s, v) = f.verify(COUNTER_KEY, &permit, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["holder_binding"], "not_checked");

    // A presentation for another counter's audience, with this counter's nonce.
    let c2 = f.challenge(COUNTER_KEY).await;
    let n2 = c2["nonce"].as_str().unwrap();
    let other = present_qr(
        &f.world.citizen,
        &permit,
        "https://verifier.test/strict",
        n2,
    );
    let (_, v) = f.verify(COUNTER_KEY, &other, Some(n2)).await;
    assert_eq!(reasons(&v), ["wrong_audience"], "{v}");

    // A nonce this service never issued.
    let made_up = "BBBBBBBBBBBBBBBBBBBBBBBB";
    let p = present_qr(
        &f.world.citizen,
        &permit,
        "https://verifier.test/counter-1",
        made_up,
    );
    let (_, v) = f.verify(COUNTER_KEY, &p, Some(made_up)).await;
    assert_eq!(reasons(&v), ["wrong_nonce"], "{v}");

    // A screenshot of the first presentation shown at the next challenge.
    let c3 = f.challenge(COUNTER_KEY).await;
    let (_, v) = f.verify(COUNTER_KEY, &qr, c3["nonce"].as_str()).await;
    assert_eq!(reasons(&v), ["wrong_nonce"], "{v}");

    // Metrics counted them.
    let (_, _, b) = f.call("GET", "/metrics", &[], None).await;
    let text = String::from_utf8(b.to_vec()).unwrap();
    assert!(
        text.contains("stele_verifications_total{outcome=\"verified\",reason=\"\"} 2"),
        "{text}"
    );
    assert!(text.contains("stele_verifications_total{outcome=\"rejected\",reason=\"replay\"} 1"));
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_challenge() {
    let mut f = setup("expired", "[limits]\nchallenge_ttl_secs = 1");
    let (permit, _) = f.world.issue_permit(now().plus(86_400));
    let c = f.challenge(COUNTER_KEY).await;
    let nonce = c["nonce"].as_str().unwrap();
    let qr = present_qr(
        &f.world.citizen,
        &permit,
        c["verifier"].as_str().unwrap(),
        nonce,
    );
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (s, v) = f.verify(COUNTER_KEY, &qr, Some(nonce)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(reasons(&v), ["wrong_nonce"], "{v}");
    let (s, _, _) = f
        .call("GET", &format!("/v1/challenges/{nonce}/qr.svg"), &[], None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_suspended_unaccredited_expired() {
    let mut f = setup("status", "");
    let (revoked, ri) = f.world.issue_permit(now().plus(86_400));
    let (suspended, si) = f.world.issue_permit(now().plus(86_400));
    f.world.set_status(StatusPurpose::Revocation, ri);
    f.world.set_status(StatusPurpose::Suspension, si);
    let (_, v) = f.verify(COUNTER_KEY, &revoked, None).await;
    assert_eq!(reasons(&v), ["revoked"], "{v}");
    let (_, v) = f.verify(COUNTER_KEY, &suspended, None).await;
    assert_eq!(reasons(&v), ["suspended"], "{v}");

    // A did:key issuer nobody accredited or trusts.
    let rogue = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let (_, v) = f
        .verify(
            COUNTER_KEY,
            &did_key_permit(&rogue, Some(f.world.citizen_did())),
            None,
        )
        .await;
    assert_eq!(reasons(&v), ["untrusted_issuer"], "{v}");

    // German, via Accept-Language and ?lang=.
    let body = json!({"payload": revoked}).to_string();
    let auth = format!("Bearer {COUNTER_KEY}");
    let (_, h, b) = f
        .call(
            "POST",
            "/v1/verify",
            &[
                ("authorization", &auth),
                ("accept-language", "de-DE,de;q=0.9"),
            ],
            Some(body.clone()),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(h["content-language"], "de");
    let msg = v["reasons"][0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Die ausstellende Stelle hat den Nachweis widerrufen."),
        "{msg}"
    );
    let (_, _, b) = f
        .call(
            "POST",
            "/v1/verify?lang=en",
            &[("authorization", &auth), ("accept-language", "de")],
            Some(body),
        )
        .await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    let msg = v["reasons"][0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("The issuer has revoked the credential."),
        "{msg}"
    );
    // An agency whose accreditation was withdrawn before it issued.
    stele_registry::trust::revoke(
        f.world.chain.as_ref(),
        f.world.deployment.accreditation,
        &f.world.governor,
        &f.world.agency.did(),
        PERMIT,
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (late, _) = f.world.issue_permit(now().plus(86_400));
    let (_, v) = f.verify(COUNTER_KEY, &late, None).await;
    assert_eq!(reasons(&v), ["untrusted_issuer"], "{v}");

    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn counter_policies() {
    let mut f = setup("policy", "");
    let (permit, _) = f.world.issue_permit(now().plus(86_400));
    // The strict counter refuses quick checks …
    let (s, v) = f.verify(STRICT_KEY, &permit, None).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "challenge_required");
    // … and credentials older than its maximum age (0 s).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let c = f.challenge(STRICT_KEY).await;
    assert_eq!(c["types"], json!([]));
    let n = c["nonce"].as_str().unwrap();
    let qr = present_qr(
        &f.world.citizen,
        &permit,
        c["verifier"].as_str().unwrap(),
        n,
    );
    let (_, v) = f.verify(STRICT_KEY, &qr, Some(n)).await;
    assert_eq!(v["verified"], false, "{v}");
    assert_eq!(reasons(&v), ["expired"]);
    assert_eq!(v["claims"], json!({}));
    // counter-1 needs the names: a credential without them disclosed is refused.
    let held = stele_core::sdjwt::holder::HeldSdJwt::parse(&permit).unwrap();
    let bare = held.present(&[], None).unwrap();
    let (_, v) = f.verify(COUNTER_KEY, &bare, None).await;
    assert_eq!(reasons(&v), ["claim_mismatch"], "{v}");
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn request_errors() {
    let f = setup(
        "errors",
        "[limits]\nmax_body_bytes = 2048\nmax_json_depth = 8\n[rate_limit]\nper_second = 1\nburst = 12",
    );
    let auth = format!("Bearer {COUNTER_KEY}");
    let h = [("authorization", auth.as_str())];
    for (body, code) in [
        ("not json".to_owned(), "bad_request"),
        ("[]".to_owned(), "bad_request"),
        (r#"{"payload": 1}"#.to_owned(), "bad_request"),
        (r#"{"payload": ""}"#.to_owned(), "bad_request"),
        (r#"{"payload": "x", "extra": 1}"#.to_owned(), "bad_request"),
        (
            r#"{"payload": "x", "challenge": "short"}"#.to_owned(),
            "bad_request",
        ),
        (
            r#"{"payload": "x", "payload": "y"}"#.to_owned(),
            "bad_request",
        ),
        (
            format!(
                r#"{{"payload": "x", "challenge": {}}}"#,
                "[".repeat(20) + &"]".repeat(20)
            ),
            "resource_limit",
        ),
    ] {
        let (s, hd, b) = f.call("POST", "/v1/verify", &h, Some(body.clone())).await;
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_problem(s, &v, StatusCode::BAD_REQUEST, code);
        assert_eq!(hd["content-type"], "application/problem+json", "{body}");
    }
    let big = json!({"payload": "x".repeat(4096)}).to_string();
    let (s, _, b) = f.call("POST", "/v1/verify", &h, Some(big)).await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_problem(s, &v, StatusCode::PAYLOAD_TOO_LARGE, "resource_limit");
    // A malformed payload is a verdict, not an error.
    let (s, v) = f.verify(COUNTER_KEY, "hello", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(reasons(&v), ["malformed"]);
    // The burst is spent: 429 with Retry-After.
    let mut limited = None;
    for _ in 0..5 {
        let (s, hd, b) = f.call("POST", "/v1/challenges", &h, None).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((hd, b));
            break;
        }
    }
    let (hd, b) = limited.expect("rate limited");
    assert_eq!(hd["retry-after"], "1");
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["type"], "https://stele.example/problems/rate_limited");
    f.close().await;

    // Anonymous VC-API calls share one bucket: spent, they are refused
    // while a counter's own key still works.
    let f = setup(
        "anonymous-limit",
        "[rate_limit]\nper_second = 0.01\nburst = 3\n[access]\npublic_vc_api = true",
    );
    let body = json!({"verifiableCredential": "x"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (s, _) = f
            .json("POST", "/credentials/verify", None, Some(body.clone()))
            .await;
        statuses.push(s);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_REQUEST,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let (s, _) = f
        .json("POST", "/credentials/verify", Some(COUNTER_KEY), Some(body))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vc_api() {
    let issuer_key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let world_dir = tempdir("vcapi-key");
    let key_path = world_dir.join("issuer.jwk");
    std::fs::write(&key_path, issuer_key.to_private_jwk_json().as_bytes()).unwrap();
    let issuer_did = stele_core::did::key::did_key_from_public(&issuer_key.public_key());
    let f = setup(
        "vcapi",
        &format!(
            "[issuer]\nkey_file = \"{}\"\napi_key_sha256 = \"{}\"\n\n[[trusted_issuers]]\ndid = \"{}\"\n",
            key_path.display(),
            stele_verifier::apikey::hash_hex(ISSUER_KEY),
            issuer_did.as_str()
        ),
    );
    let mut f = f;
    let (permit, _) = f.world.issue_permit(now().plus(86_400));

    // Verify: needs a key (access.public_vc_api is off).
    let (s, v) = f
        .json(
            "POST",
            "/credentials/verify",
            None,
            Some(json!({"verifiableCredential": permit})),
        )
        .await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, v) = f
        .json(
            "POST",
            "/credentials/verify",
            Some(COUNTER_KEY),
            Some(json!({"verifiableCredential": permit, "options": {}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["verified"], true, "{v}");
    assert!(v["checks"].as_array().unwrap().contains(&json!("proof")));
    assert_eq!(v["errors"], json!([]));
    // Enveloped.
    let env = json!({"@context": "https://www.w3.org/ns/credentials/v2", "type": "EnvelopedVerifiableCredential", "id": format!("data:application/dc+sd-jwt,{permit}")});
    let (_, v) = f
        .json(
            "POST",
            "/credentials/verify",
            Some(COUNTER_KEY),
            Some(json!({"verifiableCredential": env})),
        )
        .await;
    assert_eq!(v["verified"], true, "{v}");
    // A forged one: errors carry the reason's problem type.
    let forged = permit.replacen('.', ".e", 1);
    let (_, v) = f
        .json(
            "POST",
            "/credentials/verify",
            Some(COUNTER_KEY),
            Some(json!({"verifiableCredential": forged})),
        )
        .await;
    assert_eq!(v["verified"], false);
    assert!(
        v["errors"][0]["type"]
            .as_str()
            .unwrap()
            .starts_with("https://stele.example/problems/")
    );
    let (s, v) = f
        .json(
            "POST",
            "/credentials/verify",
            Some(COUNTER_KEY),
            Some(json!({"verifiableCredential": 5})),
        )
        .await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "bad_request");

    // Presentations with a challenge issued here (single use) and domain.
    let c = f.challenge(COUNTER_KEY).await;
    let n = c["nonce"].as_str().unwrap();
    let vp = present(&f.world.citizen, &permit, "https://rp.example", n);
    let body = json!({"verifiablePresentation": vp, "options": {"challenge": n, "domain": "https://rp.example"}});
    let (_, v) = f
        .json(
            "POST",
            "/presentations/verify",
            Some(COUNTER_KEY),
            Some(body.clone()),
        )
        .await;
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["warnings"], json!([]));
    let (_, v) = f
        .json(
            "POST",
            "/presentations/verify",
            Some(COUNTER_KEY),
            Some(body),
        )
        .await;
    assert_eq!(
        v["errors"][0]["type"], "https://stele.example/problems/replay",
        "{v}"
    );
    // A challenge from elsewhere: checked for equality, with a warning.
    let ext = "external-challenge-0001";
    let vp = present(&f.world.citizen, &permit, "https://rp.example", ext);
    let (_, v) = f
        .json("POST", "/presentations/verify", Some(COUNTER_KEY), Some(json!({"verifiablePresentation": vp, "options": {"challenge": ext, "domain": "https://rp.example"}})))
        .await;
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(
        v["warnings"][0]["type"],
        "https://stele.example/problems/challenge_not_issued_here"
    );
    let (_, v) = f
        .json("POST", "/presentations/verify", Some(COUNTER_KEY), Some(json!({"verifiablePresentation": vp, "options": {"challenge": "another-challenge-0002", "domain": "https://rp.example"}})))
        .await;
    assert_eq!(v["verified"], false);

    // Issue: its own key; the result verifies (the did:key issuer is trusted by configuration).
    let cred = json!({"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential", "ResidencePermitCredential"], "credentialSubject": claims()}});
    let (s, v) = f
        .json(
            "POST",
            "/credentials/issue",
            Some(COUNTER_KEY),
            Some(cred.clone()),
        )
        .await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, v) = f
        .json(
            "POST",
            "/credentials/issue",
            Some(ISSUER_KEY),
            Some(cred.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["verifiableCredential"]["type"],
        "EnvelopedVerifiableCredential"
    );
    let (_, r) = f
        .json(
            "POST",
            "/credentials/verify",
            Some(COUNTER_KEY),
            Some(json!({"verifiableCredential": v["verifiableCredential"]})),
        )
        .await;
    assert_eq!(r["verified"], true, "{r}");
    // Data Integrity, selected by options as VC-API says: the answer is the
    // secured JSON(-LD) document itself, and it verifies.
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        let mut body = cred.clone();
        body["options"] = json!({"type": "DataIntegrityProof", "cryptosuite": suite});
        let (s, v) = f
            .json("POST", "/credentials/issue", Some(ISSUER_KEY), Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            v["verifiableCredential"]["proof"]["cryptosuite"], suite,
            "{v}"
        );
        let (s, r) = f
            .json(
                "POST",
                "/credentials/verify",
                Some(COUNTER_KEY),
                Some(json!({"verifiableCredential": v["verifiableCredential"]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["verified"], true, "{r}");
    }
    for options in [
        json!({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"}),
        json!({"type": "Ed25519Signature2020"}),
        json!({"format": "mdoc"}),
    ] {
        let mut body = cred.clone();
        body["options"] = options;
        let (s, v) = f
            .json("POST", "/credentials/issue", Some(ISSUER_KEY), Some(body))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    let bad = json!({"credential": {"type": ["VerifiableCredential", "NoSuchCredential"], "credentialSubject": {}}});
    let (s, v) = f
        .json("POST", "/credentials/issue", Some(ISSUER_KEY), Some(bad))
        .await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "issue_refused");
    f.close().await;
    std::fs::remove_dir_all(&world_dir).ok();
}

/// A Data Integrity credential of a did:key issuer the service knows
/// nothing about, issued to `holder`.
fn di_permit(issuer: &SecretKey, holder: &Did, format: CredentialFormat) -> Value {
    serde_json::from_str(&did_key_permit_as(issuer, Some(holder.clone()), format)).unwrap()
}

/// The holder's presentation of `credential`, signed for `challenge` and
/// `domain`.
fn di_present(holder: &SecretKey, credential: &Value, challenge: &str, domain: &str) -> Value {
    let did = did_key_from_public(&holder.public_key());
    let vm = did_key_method_id(&did);
    let vp = di_vp(
        credential.as_object().unwrap().clone(),
        &PresentationInput {
            holder: did.as_str(),
            verification_method: &vm,
            challenge,
            domain,
            created: now(),
        },
        holder,
    )
    .unwrap();
    Value::Object(vp)
}

impl Fixture {
    /// A public VC-API call; whatever the input, never a 5xx.
    async fn vc_api(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, v) = self.json("POST", path, None, Some(body)).await;
        assert!(!s.is_server_error(), "{path}: {s} {v}");
        (s, v)
    }
}

fn has_error(v: &Value, code: &str) -> bool {
    v["errors"].as_array().is_some_and(|e| {
        e.iter()
            .any(|e| e["type"] == format!("https://stele.example/problems/{code}"))
    })
}

/// VC-API over Data Integrity, as a W3C test-suite client sees it: a
/// public endpoint, any well-formed did:key issuer, `options.checks`, 200
/// for a credential that verifies and 400 for one that does not (or that
/// is malformed); presentations 200 whether or not they verify, 400 when
/// unreadable.
#[tokio::test(flavor = "multi_thread")]
async fn vc_api_data_integrity() {
    let f = setup("vcapi-di", "[access]\npublic_vc_api = true\n");
    let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let holder = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let holder_did = did_key_from_public(&holder.public_key());
    let proof_only = json!({"checks": ["proof"]});
    for format in [
        CredentialFormat::DataIntegrityJcs,
        CredentialFormat::DataIntegrityRdfc,
    ] {
        let vc = di_permit(&issuer, &holder_did, format);
        let verify =
            |vc: &Value, options: &Value| json!({"verifiableCredential": vc, "options": options});
        // Verifies on the proof (and by default validity and status): the
        // issuer's trust is not asked for.
        for options in [
            proof_only.clone(),
            json!({}),
            json!({"checks": ["proof", "validity", "credentialStatus"]}),
        ] {
            let (s, v) = f.vc_api("/credentials/verify", verify(&vc, &options)).await;
            assert_eq!(s, StatusCode::OK, "{format:?} {options} {v}");
            assert_eq!(v["verified"], true);
            assert!(v["checks"].as_array().unwrap().contains(&json!("proof")));
            assert!(!v["checks"].as_array().unwrap().contains(&json!("trust")));
        }
        // Asked for: the issuer is not accredited nor listed.
        let (s, v) = f
            .vc_api(
                "/credentials/verify",
                verify(&vc, &json!({"checks": ["proof", "trust"]})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["verified"], false);
        assert!(has_error(&v, "untrusted_issuer"), "{v}");
        // A changed claim: the proof fails, 400 with the reason.
        let mut forged = vc.clone();
        forged["credentialSubject"]["given_name"] = json!("Eve");
        let (s, v) = f
            .vc_api("/credentials/verify", verify(&forged, &proof_only))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(has_error(&v, "bad_signature"), "{v}");
        // The W3C VC-API verifier test suite's negative cases: each 400.
        let mut cases: Vec<Value> = Vec::new();
        for member in ["@context", "type", "issuer", "credentialSubject", "proof"] {
            let mut c = vc.clone();
            c.as_object_mut().unwrap().remove(member);
            cases.push(c);
        }
        for member in [
            "type",
            "created",
            "verificationMethod",
            "proofValue",
            "proofPurpose",
            "cryptosuite",
        ] {
            let mut c = vc.clone();
            c["proof"].as_object_mut().unwrap().remove(member);
            cases.push(c);
        }
        let odd = [
            json!("string"),
            json!({}),
            Value::Null,
            json!(10),
            json!(true),
            json!([]),
        ];
        for (member, values) in [
            ("@context", &odd[..]),
            ("type", &odd[..]),
            ("issuer", &odd[2..]),
            ("credentialSubject", &odd[..]),
            ("proof", &odd[..]),
        ] {
            for value in values {
                let mut c = vc.clone();
                c[member] = value.clone();
                cases.push(c);
                if member == "@context" || member == "type" {
                    let mut c = vc.clone();
                    c[member] = json!([value]);
                    cases.push(c);
                }
            }
        }
        for case in cases {
            let (s, v) = f
                .vc_api("/credentials/verify", verify(&case, &proof_only))
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{case} → {v}");
            assert_ne!(v["verified"], true, "{case} → {v}");
        }

        // Presentations.
        let vp = di_present(&holder, &vc, "c-ext-0001", "https://rp.example");
        let present_with =
            |vp: &Value, options: Value| json!({"verifiablePresentation": vp, "options": options});
        let bound = json!({"challenge": "c-ext-0001", "domain": "https://rp.example"});
        let (s, v) = f
            .vc_api("/presentations/verify", present_with(&vp, bound.clone()))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["verified"], true, "{v}");
        assert!(
            v["checks"]
                .as_array()
                .unwrap()
                .contains(&json!("holder_binding")),
            "{v}"
        );
        assert_eq!(
            v["warnings"][0]["type"],
            "https://stele.example/problems/challenge_not_issued_here"
        );
        assert!(v.get("verifiablePresentation").is_none());
        // Another challenge, another domain: 200, not verified.
        for (options, reason) in [
            (
                json!({"challenge": "c-ext-0002", "domain": "https://rp.example"}),
                "wrong_nonce",
            ),
            (
                json!({"challenge": "c-ext-0001", "domain": "https://other.example"}),
                "wrong_audience",
            ),
        ] {
            let (s, v) = f
                .vc_api("/presentations/verify", present_with(&vp, options))
                .await;
            assert_eq!((s, &v["verified"]), (StatusCode::OK, &json!(false)), "{v}");
            assert!(has_error(&v, reason), "{v}");
        }
        // No domain given: only the challenge is checked (VC-API).
        let (s, v) = f
            .vc_api(
                "/presentations/verify",
                present_with(
                    &vp,
                    json!({"challenge": "c-ext-0001", "returnPresentation": true}),
                ),
            )
            .await;
        assert_eq!((s, &v["verified"]), (StatusCode::OK, &json!(true)), "{v}");
        assert_eq!(v["verifiablePresentation"], vp);
        // No challenge: the credential verifies, holder binding unchecked.
        let (s, v) = f
            .vc_api("/presentations/verify", present_with(&vp, json!({})))
            .await;
        assert_eq!((s, &v["verified"]), (StatusCode::OK, &json!(true)), "{v}");
        assert_eq!(
            v["warnings"][0]["type"],
            "https://stele.example/problems/holder_binding_not_checked"
        );
        // A challenge issued here (VC-API POST /challenges, a key
        // required): single use.
        let (s, c) = f.vc_api("/challenges", json!({})).await;
        assert_problem(s, &c, StatusCode::UNAUTHORIZED, "unauthorized");
        let (s, c) = f.json("POST", "/challenges", Some(COUNTER_KEY), None).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let n = c["challenge"].as_str().unwrap();
        let fresh = di_present(&holder, &vc, n, "https://rp.example");
        let body = present_with(
            &fresh,
            json!({"challenge": n, "domain": "https://rp.example"}),
        );
        let (_, v) = f.vc_api("/presentations/verify", body.clone()).await;
        assert_eq!(v["verified"], true, "{v}");
        assert_eq!(v["warnings"], json!([]));
        let (s, v) = f.vc_api("/presentations/verify", body).await;
        assert_eq!((s, &v["verified"]), (StatusCode::OK, &json!(false)), "{v}");
        assert!(has_error(&v, "replay"), "{v}");
        // Unsigned: `presentation` (or a verifiablePresentation without proof).
        let mut unsigned = vp.clone();
        unsigned.as_object_mut().unwrap().remove("proof");
        for member in ["presentation", "verifiablePresentation"] {
            let (s, v) = f
                .vc_api("/presentations/verify", json!({member: unsigned}))
                .await;
            assert_eq!(
                (s, &v["verified"]),
                (StatusCode::OK, &json!(true)),
                "{member} {v}"
            );
            let (s, v) = f
                .vc_api(
                    "/presentations/verify",
                    json!({member: unsigned, "options": {"challenge": "c-ext-0001"}}),
                )
                .await;
            assert_eq!(
                (s, &v["verified"]),
                (StatusCode::OK, &json!(false)),
                "{member} {v}"
            );
        }
        // A presentation of a forged credential: 200, not verified.
        let mut bad = vp.clone();
        bad["verifiableCredential"][0]["credentialSubject"]["given_name"] = json!("Eve");
        let (s, v) = f
            .vc_api("/presentations/verify", present_with(&bad, bound.clone()))
            .await;
        assert_eq!((s, &v["verified"]), (StatusCode::OK, &json!(false)), "{v}");
        // Unreadable input: 400.
        let mut foreign = vp.clone();
        foreign["@context"] = json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://evil.example/ctx"
        ]);
        let mut no_credential = vp.clone();
        no_credential
            .as_object_mut()
            .unwrap()
            .remove("verifiableCredential");
        for body in [
            present_with(&foreign, bound.clone()),
            present_with(&no_credential, json!({})),
            present_with(&json!("not a presentation"), json!({})),
            present_with(&json!(5), json!({})),
            present_with(&vc, json!({})),
            json!({"verifiablePresentation": vp, "presentation": unsigned}),
            json!({"options": {}}),
            present_with(&vp, json!({"challenge": 5})),
            present_with(&vp, json!({"returnPresentation": "yes"})),
            present_with(&vp, json!({"unknownOption": true})),
        ] {
            let (s, v) = f.vc_api("/presentations/verify", body.clone()).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {v}");
        }
    }
    // Options the endpoint does not understand, bad check lists, a
    // presentation sent as a credential: 400 problems.
    let vc = di_permit(&issuer, &holder_did, CredentialFormat::DataIntegrityJcs);
    let vp = di_present(&holder, &vc, "c", "d");
    for body in [
        json!({"verifiableCredential": vc, "options": {"challenge": "x"}}),
        json!({"verifiableCredential": vc, "options": {"checks": "proof"}}),
        json!({"verifiableCredential": vc, "options": {"checks": ["proof", "astrology"]}}),
        json!({"verifiableCredential": vc, "options": {"checks": ["validity"]}}),
        json!({"verifiableCredential": vc, "options": {"checks": [1]}}),
        json!({"verifiableCredential": vp}),
        json!({"verifiableCredential": vc, "options": []}),
    ] {
        let (s, v) = f.vc_api("/credentials/verify", body.clone()).await;
        assert_problem(s, &v, StatusCode::BAD_REQUEST, "bad_request");
    }
    f.close().await;

    // A public policy that asks for a trusted issuer.
    let f = setup(
        "vcapi-di-trust",
        "[access]\npublic_vc_api = true\n[access.public_policy]\nrequire_trusted_issuer = true\n",
    );
    let (s, v) = f
        .vc_api(
            "/credentials/verify",
            json!({"verifiableCredential": vc, "options": proof_only}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(has_error(&v, "untrusted_issuer"), "{v}");
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_is_404_without_issuer() {
    let f = setup("noissuer", "");
    let (s, v) = f
        .json(
            "POST",
            "/credentials/issue",
            Some(ISSUER_KEY),
            Some(json!({"credential": {}})),
        )
        .await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    let did = f.world.agency.did();
    let (s, v) = f
        .json("GET", &format!("/status/{did}/revocation-1"), None, None)
        .await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "not_found");
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn did_resolution() {
    let f = setup("did", "");
    let did = f.world.agency.did();
    let (s, h, b) = f
        .call("GET", &format!("/1.0/identifiers/{did}"), &[], None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/did-resolution");
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["didDocument"]["id"], did);
    let (s, h, b) = f
        .call(
            "GET",
            &format!("/1.0/identifiers/{did}"),
            &[("accept", "application/did+ld+json")],
            None,
        )
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "application/did+ld+json")
    );
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["id"], did);
    let citizen = f.world.citizen_did();
    let (s, _, _) = f
        .call(
            "GET",
            &format!("/1.0/identifiers/{}", citizen.as_str()),
            &[],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for (uri, accept, status, error) in [
        (
            "/1.0/identifiers/not-a-did",
            "application/did-resolution",
            StatusCode::BAD_REQUEST,
            "invalidDid",
        ),
        (
            "/1.0/identifiers/did:key:zNope",
            "application/did-resolution",
            StatusCode::BAD_REQUEST,
            "invalidDid",
        ),
        (
            "/1.0/identifiers/did:example:123",
            "application/did-resolution",
            StatusCode::NOT_IMPLEMENTED,
            "methodNotSupported",
        ),
        (
            &format!("/1.0/identifiers/{did}"),
            "text/html",
            StatusCode::NOT_ACCEPTABLE,
            "representationNotSupported",
        ),
    ] {
        let (s, h, b) = f.call("GET", uri, &[("accept", accept)], None).await;
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(s, status, "{uri}: {v}");
        assert_eq!(h["content-type"], "application/problem+json");
        assert_eq!(v["didResolutionMetadata"]["error"], error, "{uri}");
    }
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_lists_are_served_for_the_agency() {
    let world = World::embedded("statuslist");
    let mut world = world;
    let (_, index) = world.issue_permit(now().plus(86_400));
    world.set_status(StatusPurpose::Revocation, index);
    let agency_path = world.write_agency();
    let data = world.dir.join("service");
    let extra = format!(
        "[issuer]\nagency_file = \"{}\"\napi_key_sha256 = \"{}\"\n",
        agency_path.display(),
        stele_verifier::apikey::hash_hex(ISSUER_KEY)
    );
    let state = state_on(&world, config(&data, &extra));
    let f = Fixture {
        app: router(state.clone()),
        state,
        world,
    };
    let did = f.world.agency.did();
    let (s, h, b) = f
        .call("GET", &format!("/status/{did}/revocation-1"), &[], None)
        .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(h["content-type"], "application/vc+jwt");
    let token = String::from_utf8(b.to_vec()).unwrap();
    let key = f.world.agency.signing_key().unwrap().key.public_key();
    let url = f.world.agency.lists[0].url.clone();
    let list =
        stele_core::status::verify_status_list_credential(&token, &key, &did, &url, now()).unwrap();
    let entry =
        stele_core::status::StatusEntry::new(StatusPurpose::Revocation, index, &url).unwrap();
    assert_eq!(
        list.check(&entry).unwrap(),
        stele_core::verify::StatusOutcome::Revoked
    );
    let (s, _, _) = f
        .call("GET", &format!("/status/{did}/nope-1"), &[], None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = f
        .call("GET", "/status/did:key:z6Mkx/revocation-1", &[], None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Issue as the agency: a status index is allocated and written back.
    let cred = json!({"credential": {"type": ["VerifiableCredential", "ResidencePermitCredential"], "credentialSubject": claims()}, "options": {"format": "jwt"}});
    let (s, v) = f
        .json("POST", "/credentials/issue", Some(ISSUER_KEY), Some(cred))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(
        v["verifiableCredential"]["id"]
            .as_str()
            .unwrap()
            .starts_with("data:application/vc+jwt,")
    );
    let after =
        stele_registry::agency::Agency::from_json(&std::fs::read_to_string(&agency_path).unwrap())
            .unwrap();
    assert_eq!(after.next_index, index + 2);
    let (_, r) = f
        .json(
            "POST",
            "/credentials/verify",
            Some(COUNTER_KEY),
            Some(json!({"verifiableCredential": v["verifiableCredential"]})),
        )
        .await;
    assert_eq!(r["verified"], true, "{r}");
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_log_is_chained_and_anchored() {
    let mut f = setup(
        "audit",
        "[audit]\nanchor_every_records = 2\nanchor_every_secs = 0",
    );
    let (permit, _) = f.world.issue_permit(now().plus(86_400));
    for _ in 0..3 {
        let (_, v) = f.verify(COUNTER_KEY, &permit, None).await;
        assert_eq!(v["verified"], true);
    }
    let (_, v) = f.verify(COUNTER_KEY, "garbage", None).await;
    assert_eq!(v["verified"], false);
    // Give the anchoring thread a moment to send the anchors.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let state = f.state.clone();
    tokio::task::spawn_blocking(move || state.close())
        .await
        .unwrap();
    let data = f.world.dir.join("service");
    let records = stele_verifier::audit::read_log(&data).unwrap();
    assert_eq!(records.len(), 4);
    let r = &records[0];
    assert_eq!(
        (r.counter.as_str(), r.policy.as_str(), r.verdict.as_str()),
        ("counter-1", "counter-1", "verified")
    );
    assert_eq!(r.credential_type.as_deref(), Some(PERMIT));
    assert_eq!(r.issuer.as_deref(), Some(f.world.agency.did().as_str()));
    assert_eq!(
        r.input_sha256,
        stele_verifier::audit::input_hash(permit.as_bytes())
    );
    assert_eq!(records[3].reasons, ["malformed"]);
    // No claim value in the stored log.
    let raw = serde_json::to_string(&records).unwrap();
    assert!(!raw.contains("Amira") && !raw.contains("Haddad"));
    let verifier = stele_verifier::audit::anchor_address(&data)
        .unwrap()
        .unwrap();
    let report = stele_verifier::verify_audit_log(
        &data,
        Some(stele_verifier::AnchorSource {
            chain: f.world.chain.as_ref(),
            deployment: &f.world.deployment,
            verifier,
        }),
    )
    .unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert!(report.anchors_checked >= 2, "{report:?}");
    assert_eq!(report.anchored_records, 4);
    assert_eq!(report.records, 4);

    // A consistent rewrite (record 1 changed, every later hash recomputed)
    // passes the chain of hashes but not the anchors; so does a truncation.
    const RECORDS: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("records");
    let rewrite = |records: &[stele_verifier::audit::Record]| {
        let db = redb::Database::create(data.join("audit.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(RECORDS).unwrap();
            t.retain(|_, _| false).unwrap();
            for r in records {
                t.insert(r.seq, serde_json::to_vec(r).unwrap().as_slice())
                    .unwrap();
            }
        }
        txn.commit().unwrap();
    };
    let mut forged = records.clone();
    forged[1].counter = "another-counter".into();
    for i in 1..forged.len() {
        forged[i].prev = forged[i - 1].hash.clone();
        forged[i].hash = forged[i].compute_hash();
    }
    rewrite(&forged);
    let check = || {
        stele_verifier::verify_audit_log(
            &data,
            Some(stele_verifier::AnchorSource {
                chain: f.world.chain.as_ref(),
                deployment: &f.world.deployment,
                verifier,
            }),
        )
        .unwrap()
    };
    let report = check();
    assert!(!report.findings.is_empty());
    assert!(
        report
            .findings
            .iter()
            .all(|x| matches!(x, stele_verifier::audit::Finding::AnchorMismatch { .. })),
        "{:?}",
        report.findings
    );
    rewrite(&records[..3]);
    let report = check();
    assert!(
        report
            .findings
            .contains(&stele_verifier::audit::Finding::Truncated {
                anchored: 4,
                present: 3
            }),
        "{:?}",
        report.findings
    );
    std::fs::remove_dir_all(&f.world.dir).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivated_did_is_410() {
    use alloy_sol_types::SolCall;
    let f = setup("deactivated", "");
    let account = stele_registry::Account::generate(&mut rand_core::OsRng);
    let identity = account.address();
    let call = stele_registry::contracts::DIDRegistry::changeOwnerCall {
        identity: account.address(),
        newOwner: alloy_primitives::Address::ZERO,
    };
    let chain = f.world.chain.clone();
    let registry = f.world.deployment.did_registry;
    tokio::task::spawn_blocking(move || {
        account
            .send(
                chain.as_ref(),
                &stele_registry::TxRequest {
                    to: Some(registry),
                    data: call.abi_encode().into(),
                    gas: None,
                },
            )
            .unwrap();
    })
    .await
    .unwrap();
    let did =
        stele_registry::did_ethr::EthrDidResolver::did_for(f.world.deployment.chain_id, identity);
    let (s, h, b) = f
        .call("GET", &format!("/1.0/identifiers/{did}"), &[], None)
        .await;
    assert_eq!(s, StatusCode::GONE);
    assert_eq!(h["content-type"], "application/did-resolution");
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["didDocumentMetadata"]["deactivated"], true, "{v}");
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_requests_time_out() {
    // 1 ms is less than any verification against the chain takes.
    let mut f = setup("timeout", "[limits]\nrequest_timeout_ms = 1");
    let (permit, _) = f.world.issue_permit(now().plus(86_400));
    let (s, v) = f.verify(COUNTER_KEY, &permit, None).await;
    assert_problem(s, &v, StatusCode::SERVICE_UNAVAILABLE, "timeout");
    f.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_head_is_anchored_by_time() {
    let mut f = setup(
        "anchor-time",
        "[audit]\nanchor_every_records = 0\nanchor_every_secs = 1",
    );
    let (permit, _) = f.world.issue_permit(now().plus(86_400));
    let (_, v) = f.verify(COUNTER_KEY, &permit, None).await;
    assert_eq!(v["verified"], true);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let state = f.state.clone();
    tokio::task::spawn_blocking(move || state.close())
        .await
        .unwrap();
    let data = f.world.dir.join("service");
    let verifier = stele_verifier::audit::anchor_address(&data)
        .unwrap()
        .unwrap();
    let report = stele_verifier::verify_audit_log(
        &data,
        Some(stele_verifier::AnchorSource {
            chain: f.world.chain.as_ref(),
            deployment: &f.world.deployment,
            verifier,
        }),
    )
    .unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(
        (report.anchors_checked, report.anchored_records),
        (1, 1),
        "{report:?}"
    );
    std::fs::remove_dir_all(&f.world.dir).ok();
}
