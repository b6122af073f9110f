//! End to end over a real socket (127.0.0.1, a free port): the service as
//! `stele demo` and operators start it, a wallet presentation made the way
//! the wallet makes it, the embedded chain; a first start with no
//! configuration; a chain node that is down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use stele_verifier::{Config, StartOptions, start_blocking};
use support::*;

#[test]
fn counter_flow_over_a_socket() {
    let mut world = World::embedded("e2e");
    let (permit, _) = world.issue_permit(now().plus(86_400));
    let data = world.dir.join("service");
    let service = start_blocking(
        config(
            &data,
            "[audit]\nanchor_every_records = 1\nanchor_every_secs = 0",
        ),
        StartOptions {
            chain: Some((world.chain.clone(), world.deployment.clone())),
            clock: None,
        },
    )
    .unwrap();
    let base = format!("http://{}", service.running().addr());
    assert!(service.running().addr().ip().is_loopback());
    let http = client();

    let (s, c) = post(
        &http,
        &format!("{base}/v1/challenges"),
        COUNTER_KEY,
        &json!({}),
    );
    assert_eq!(s, 201, "{c}");
    let nonce = c["nonce"].as_str().unwrap();
    // The wallet reads the challenge from its QR payload.
    let challenge =
        stele_core::qr::Challenge::from_qr_payload(c["qr_payload"].as_str().unwrap(), now())
            .unwrap();
    let qr = present_qr(
        &world.citizen,
        &permit,
        &challenge.verifier,
        &challenge.nonce,
    );
    let verify = |payload: &str, nonce: Option<&str>| {
        let mut body = json!({"payload": payload});
        if let Some(n) = nonce {
            body["challenge"] = json!(n);
        }
        post(&http, &format!("{base}/v1/verify"), COUNTER_KEY, &body)
    };
    let (s, v) = verify(&qr, Some(nonce));
    assert_eq!((s, &v["verified"]), (200, &json!(true)), "{v}");
    assert_eq!(v["holder_binding"], "verified");
    let (s, v) = verify(&qr, Some(nonce));
    assert_eq!(s, 200);
    assert_eq!(v["reasons"][0]["code"], "replay", "{v}");
    let png = http
        .get(format!("{base}/v1/challenges/{nonce}/qr.png"))
        .send()
        .unwrap();
    assert_eq!(png.status().as_u16(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    service.shutdown().unwrap();

    let verifier = stele_verifier::audit::anchor_address(&data)
        .unwrap()
        .unwrap();
    let report = stele_verifier::verify_audit_log(
        &data,
        Some(stele_verifier::AnchorSource {
            chain: world.chain.as_ref(),
            deployment: &world.deployment,
            verifier,
        }),
    )
    .unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.records, 2);
    std::fs::remove_dir_all(&world.dir).ok();
}

#[test]
fn first_start_without_configuration() {
    let data = tempdir("fresh");
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.clone(),
        log_requests: false,
        ..Config::default()
    };
    let service = start_blocking(config.clone(), StartOptions::default()).unwrap();
    let running = service.running();
    assert!(running.key_is_new());
    let key = running.counter_api_key().unwrap().to_owned();
    assert!(key.starts_with("stele_c_"));
    assert_eq!(running.url(), format!("http://{}/", running.addr()));
    // The embedded chain was created and deployed; the key is kept 0600 and only hashed in state.
    assert!(data.join("chain/deployment.json").is_file());
    let kept = std::fs::read_to_string(data.join("counter-api-key")).unwrap();
    assert_eq!(kept.trim(), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("counter-api-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let state = std::fs::read_to_string(data.join("counters.json")).unwrap();
    assert!(!state.contains(&key));
    assert!(state.contains(&stele_verifier::apikey::hash_hex(&key)));
    let http = client();
    let base = format!("http://{}", running.addr());
    let (s, c) = post(&http, &format!("{base}/v1/challenges"), &key, &json!({}));
    assert_eq!(s, 201, "{c}");
    let inproc = running.state().challenge_for("counter-1").unwrap();
    assert_eq!(inproc.verifier, "stele-verifier/counter-1");
    assert!(running.state().challenge_for("nope").is_none());
    assert_eq!(
        running.page_url_with_key().unwrap(),
        format!("http://{}/#key={key}", running.addr())
    );
    let ready = http.get(format!("{base}/readyz")).send().unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    service.shutdown().unwrap();

    // A second start keeps the chain and the key, and prints no new key.
    let service = start_blocking(config, StartOptions::default()).unwrap();
    assert!(!service.running().key_is_new());
    assert_eq!(service.running().counter_api_key(), Some(key.as_str()));
    let base = format!("http://{}", service.running().addr());
    let (s, _) = post(&http, &format!("{base}/v1/challenges"), &key, &json!({}));
    assert_eq!(s, 201);
    service.shutdown().unwrap();
    std::fs::remove_dir_all(&data).ok();
}

#[test]
fn chain_node_down_is_could_not_check() {
    let mut world = World::embedded("nodedown");
    let (permit, _) = world.issue_permit(now().plus(86_400));
    let data = world.dir.join("service");
    let extra = format!(
        "chain = \"rpc:http://127.0.0.1:{}\"\ndeployment = \"{}\"",
        closed_port(),
        world.dir.join("deployment.json").display()
    );
    let service = start_blocking(config(&data, &extra), StartOptions::default()).unwrap();
    let base = format!("http://{}", service.running().addr());
    let http = client();
    let ready = http.get(format!("{base}/readyz")).send().unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let (s, v) = post(
        &http,
        &format!("{base}/v1/verify"),
        COUNTER_KEY,
        &json!({"payload": permit}),
    );
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["type"], "https://stele.example/problems/could_not_check");
    assert!(v.get("verified").is_none());
    // The DID binding says the same.
    let r = http
        .get(format!("{base}/1.0/identifiers/{}", world.agency.did()))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("stele_verifications_total{outcome=\"could_not_check\",reason=\"\"} 1")
    );
    service.shutdown().unwrap();
    let records = stele_verifier::audit::read_log(&data).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].verdict, "could_not_check");
    std::fs::remove_dir_all(&world.dir).ok();
}
