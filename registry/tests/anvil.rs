//! The JSON-RPC backend against a real Anvil node: the conformance suite,
//! plus what only a network backend can do wrong (a node down, a node silent).

mod conformance;
#[path = "support/anvil.rs"]
mod node;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes};
use conformance::Backend;
use node::Anvil;
use stele_registry::rpc::{ReqwestTransport, RpcChain};
use stele_registry::{BlockRef, Chain, ChainError, LogFilter, TxRequest};

conformance::chain_conformance!(anvil, {
    let node = Anvil::start();
    Backend {
        chain: Arc::new(node.chain()),
        account: node.account(),
        _guard: Box::new(node),
    }
});

#[test]
fn anvil_has_the_configured_chain_id_and_free_gas() {
    let node = Anvil::start();
    let chain = node.chain();
    assert_eq!(chain.chain_id().expect("chain id"), node::CHAIN_ID);
    assert_eq!(chain.gas_price().expect("gas price"), 0);
    assert!(node.url().starts_with("http://127.0.0.1:"));
}

fn client(url: &str, timeout: Duration) -> RpcChain {
    RpcChain::new(
        url,
        Arc::new(ReqwestTransport::new().expect("HTTP client builds")),
    )
    .with_timeout(timeout)
    .with_receipt_wait(timeout)
}

/// Every method of the trait, each expected to fail with "could not check".
fn assert_every_method_unavailable(chain: &RpcChain) {
    let request = TxRequest {
        to: Some(Address::ZERO),
        data: Bytes::new(),
        gas: None,
    };
    let filter = LogFilter {
        address: Address::ZERO,
        from_block: 0,
        to_block: None,
        topics: vec![],
    };
    let results: Vec<(&str, Result<(), ChainError>)> = vec![
        ("chain_id", chain.chain_id().map(drop)),
        ("block_number", chain.block_number().map(drop)),
        ("block_timestamp", chain.block_timestamp(0).map(drop)),
        (
            "call",
            chain.call(Address::ZERO, &[], BlockRef::Latest).map(drop),
        ),
        ("logs", chain.logs(&filter).map(drop)),
        ("code", chain.code(Address::ZERO).map(drop)),
        ("nonce", chain.nonce(Address::ZERO).map(drop)),
        ("gas_price", chain.gas_price().map(drop)),
        (
            "estimate_gas",
            chain.estimate_gas(Address::ZERO, &request).map(drop),
        ),
        (
            "send_raw_transaction",
            chain.send_raw_transaction(&[0xc0]).map(drop),
        ),
    ];
    for (method, result) in results {
        match result {
            Err(e) if e.is_unavailable() => {}
            other => panic!("{method}: expected Unavailable, got {other:?}"),
        }
    }
}

#[test]
fn a_node_that_is_down_is_unavailable() {
    // A port that was free a moment ago and that nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let chain = client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5));
    let started = Instant::now();
    assert_every_method_unavailable(&chain);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refusals are immediate"
    );
}

#[test]
fn a_silent_node_times_out_into_unavailable() {
    // Accepts connections (the kernel completes them into the backlog) and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let timeout = Duration::from_millis(300);
    let chain = client(&url, timeout);
    let started = Instant::now();
    let r = chain.block_number();
    let took = started.elapsed();
    assert!(matches!(r, Err(ChainError::Unavailable(_))), "{r:?}");
    assert!(
        took >= timeout && took < timeout * 5,
        "timed out after {took:?}"
    );
    assert_every_method_unavailable(&chain);
    drop(listener);
}

#[test]
fn a_dead_node_mid_session_is_unavailable() {
    let node = Anvil::start();
    let chain = client(node.url(), Duration::from_secs(2));
    assert!(chain.block_number().is_ok());
    drop(node);
    assert_every_method_unavailable(&chain);
}
