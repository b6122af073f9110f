//! The service against a real Ethereum node: Anvil from the pinned npm
//! package (`npm ci --prefix registry`), started and killed by this test.
//! A challenge flow verifies green over JSON-RPC; then the node is killed:
//! what was verified within the caches' maximum age still verifies (from
//! the DID cache, settled accreditation and a status list synced 5 minutes
//! ago at most), a counter that wants a fresh status list gets 503, and
//! nothing is ever reported valid that could not be checked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../registry/tests/support/anvil.rs"]
mod anvil;
mod support;

use std::sync::Arc;

use serde_json::json;
use stele_core::status::StatusPurpose;
use stele_registry::Chain;
use stele_verifier::{StartOptions, start_blocking};
use support::*;

#[test]
fn verifies_against_anvil_and_from_caches_when_it_is_down() {
    let node = anvil::Anvil::start();
    let chain: Arc<dyn Chain> = Arc::new(node.chain());
    let mut world = World::with_governor(tempdir("anvil"), chain, node.account());
    let (permit, _) = world.issue_permit(now().plus(86_400));
    let (other, other_index) = world.issue_permit(now().plus(86_400));
    let issued = u64::try_from(now().unix()).unwrap();
    // Let the chain's time pass the issuance time, so that accreditation
    // "at issuance" is a settled answer the service may keep. Anvil's block
    // times need not follow this process's clock to the second: publish
    // (the same suspension list again) until the latest block is later.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    world.set_status(StatusPurpose::Suspension, other_index);
    for _ in 0..5 {
        let latest = world.chain.block_number().unwrap();
        if world.chain.block_timestamp(latest).unwrap() > issued {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1100));
        world.set_status(StatusPurpose::Suspension, other_index);
    }
    let latest = world.chain.block_number().unwrap();
    let chain_time = world.chain.block_timestamp(latest).unwrap();
    assert!(
        chain_time > issued,
        "chain time {chain_time}, issued {issued}"
    );

    let data = world.dir.join("service");
    let extra = format!(
        "chain = \"rpc:{}\"\ndeployment = \"{}\"",
        node.url(),
        world.dir.join("deployment.json").display()
    );
    let service = start_blocking(config(&data, &extra), StartOptions::default()).unwrap();
    let base = format!("http://{}", service.running().addr());
    let http = client();
    assert_eq!(
        http.get(format!("{base}/readyz"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    let (s, c) = post(
        &http,
        &format!("{base}/v1/challenges"),
        COUNTER_KEY,
        &json!({}),
    );
    assert_eq!(s, 201);
    let nonce = c["nonce"].as_str().unwrap();
    let qr = present_qr(
        &world.citizen,
        &permit,
        c["verifier"].as_str().unwrap(),
        nonce,
    );
    let verify =
        |key: &str, body: serde_json::Value| post(&http, &format!("{base}/v1/verify"), key, &body);
    let (s, v) = verify(COUNTER_KEY, json!({"payload": qr, "challenge": nonce}));
    assert_eq!((s, &v["verified"]), (200, &json!(true)), "{v}");
    let (_, v) = verify(COUNTER_KEY, json!({"payload": qr, "challenge": nonce}));
    assert_eq!(v["reasons"][0]["code"], "replay");
    let (_, v) = verify(COUNTER_KEY, json!({"payload": other}));
    assert_eq!(v["reasons"][0]["code"], "suspended", "{v}");
    // Warm the caches of the `cached` counter.
    let (_, v) = verify(CACHED_KEY, json!({"payload": permit}));
    assert_eq!(v["verified"], true, "{v}");

    // The node goes down.
    drop(node);
    // A status list synced "0 s ago" is still fresh within the same second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        http.get(format!("{base}/readyz"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        503
    );
    let (s, v) = verify(CACHED_KEY, json!({"payload": permit}));
    assert_eq!(
        (s, &v["verified"]),
        (200, &json!(true)),
        "from the caches (chain time {chain_time}, issued {issued}): {v}"
    );
    // A counter that needs a fresh status list cannot check.
    let (s, v) = verify(COUNTER_KEY, json!({"payload": permit}));
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["type"], "https://stele.example/problems/could_not_check");
    service.shutdown().unwrap();
    std::fs::remove_dir_all(&world.dir).ok();
}
