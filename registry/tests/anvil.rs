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

/// Serves one canned HTTP answer per connection (after reading the request
/// head), then holds the connection open for `hold`.
fn one_shot_server(answer: Vec<u8>, hold: Duration) -> String {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(&answer);
                let _ = stream.flush();
                std::thread::sleep(hold);
            });
        }
    });
    url
}

#[test]
fn a_node_that_stalls_mid_answer_times_out_into_unavailable() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"jsonrpc\":\"2.0\",";
    let url = one_shot_server(head.to_vec(), Duration::from_secs(10));
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let r = client(&url, timeout).chain_id();
    let took = started.elapsed();
    assert!(matches!(r, Err(ChainError::Unavailable(_))), "{r:?}");
    assert!(took < timeout * 5, "timed out after {took:?}");
}

#[test]
fn an_oversized_answer_is_cut_off() {
    // No content-length: the body ends when the connection closes, so the cap
    // must hold while reading.
    let mut answer =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".to_vec();
    answer.extend(std::iter::repeat_n(b' ', 256 * 1024));
    let url = one_shot_server(answer, Duration::ZERO);
    let chain = client(&url, Duration::from_secs(5)).with_max_response_bytes(64 * 1024);
    assert_eq!(chain.block_number(), Err(ChainError::TooLarge));

    let declared = b"HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\n{}".to_vec();
    let url = one_shot_server(declared, Duration::from_secs(1));
    let chain = client(&url, Duration::from_secs(5)).with_max_response_bytes(64 * 1024);
    assert_eq!(chain.block_number(), Err(ChainError::TooLarge));
}

#[test]
fn an_http_error_status_is_unavailable() {
    let answer = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n".to_vec();
    let url = one_shot_server(answer, Duration::ZERO);
    let r = client(&url, Duration::from_secs(5)).chain_id();
    assert!(matches!(r, Err(ChainError::Unavailable(_))), "{r:?}");
}
