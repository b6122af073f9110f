//! [`RpcChain`]: the [`Chain`] seam over Ethereum JSON-RPC 2.0, for any node
//! (Besu, Geth, Anvil).
//!
//! The HTTP transport is a trait, [`HttpTransport`], so the phone app can
//! supply its platform's HTTP stack; [`ReqwestTransport`] (feature `http`) is
//! the one servers and the CLI use. Every answer is parsed strictly and with a
//! size cap: a node that cannot be reached, times out or answers garbage gives
//! [`ChainError::Unavailable`] ("could not check"), never a value.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, keccak256};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::chain::{BlockRef, Chain, ChainError, Log, LogFilter, Receipt, TxRequest};
use crate::contracts::revert_reason;

/// Why an HTTP exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made (node down, DNS, TLS).
    #[error("could not connect: {0}")]
    Connect(String),
    /// No complete answer within the timeout.
    #[error("timed out")]
    Timeout,
    /// The server answered with a non-success HTTP status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The answer exceeded the size limit.
    #[error("answer too large")]
    TooLarge,
    /// Any other transport failure.
    #[error("{0}")]
    Other(String),
}

/// Posts a JSON body and returns the answer's body: the host's HTTP stack.
pub trait HttpTransport: Send + Sync {
    /// POSTs `body` (`Content-Type: application/json`) to `url`; the whole
    /// exchange must finish within `timeout` and the answer must not exceed
    /// `max_response_bytes` (else [`TransportError::TooLarge`], without reading
    /// more than that).
    fn post_json(
        &self,
        url: &str,
        body: &[u8],
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<Vec<u8>, TransportError>;
}

/// Default time limit of one JSON-RPC exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time to wait for a sent transaction to be mined.
pub const DEFAULT_RECEIPT_WAIT: Duration = Duration::from_secs(60);
/// Default size limit of one JSON-RPC answer (logs of large status lists fit).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A [`Chain`] reached over JSON-RPC 2.0.
pub struct RpcChain {
    url: String,
    transport: Arc<dyn HttpTransport>,
    timeout: Duration,
    receipt_wait: Duration,
    max_response_bytes: usize,
    next_id: AtomicU64,
}

impl std::fmt::Debug for RpcChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry an API key in its path or query: show the scheme and host only.
        let shown = self.url.split('/').take(3).collect::<Vec<_>>().join("/");
        f.debug_struct("RpcChain")
            .field("url", &shown)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A JSON-RPC 2.0 response, read strictly.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Response {
    jsonrpc: String,
    id: Value,
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    error: Option<ErrorObject>,
}

/// Keeps `"result": null` apart from a missing `result`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct ErrorObject {
    code: i64,
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

fn garbage(what: impl std::fmt::Display) -> ChainError {
    ChainError::Unavailable(format!("malformed node answer: {what}"))
}

fn hex(bytes: impl AsRef<[u8]>) -> Value {
    Value::String(alloy_primitives::hex::encode_prefixed(bytes))
}

fn quantity(n: u64) -> String {
    format!("{n:#x}")
}

fn block_tag(block: BlockRef) -> String {
    match block {
        BlockRef::Latest => "latest".to_owned(),
        BlockRef::Number(n) => quantity(n),
    }
}

fn hex_str(v: &Value, what: &str) -> Result<String, ChainError> {
    let s = v
        .as_str()
        .ok_or_else(|| garbage(format_args!("{what} is not a string")))?;
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| garbage(format_args!("{what} lacks 0x")))?;
    Ok(digits.to_owned())
}

/// A JSON-RPC quantity: `0x`-prefixed hex, at most 128 bits.
fn parse_u128(v: &Value, what: &str) -> Result<u128, ChainError> {
    let digits = hex_str(v, what)?;
    if digits.is_empty() || digits.len() > 32 {
        return Err(garbage(format_args!("{what} is not a quantity")));
    }
    u128::from_str_radix(&digits, 16).map_err(|_| garbage(format_args!("{what} is not hex")))
}

fn parse_u64(v: &Value, what: &str) -> Result<u64, ChainError> {
    u64::try_from(parse_u128(v, what)?).map_err(|_| garbage(format_args!("{what} out of range")))
}

/// JSON-RPC data: `0x`-prefixed hex of whole bytes.
fn parse_bytes(v: &Value, what: &str) -> Result<Bytes, ChainError> {
    let digits = hex_str(v, what)?;
    alloy_primitives::hex::decode(&digits)
        .map(Bytes::from)
        .map_err(|_| garbage(format_args!("{what} is not hex data")))
}

fn parse_b256(v: &Value, what: &str) -> Result<B256, ChainError> {
    let b = parse_bytes(v, what)?;
    if b.len() != 32 {
        return Err(garbage(format_args!("{what} is not 32 bytes")));
    }
    Ok(B256::from_slice(&b))
}

fn parse_address(v: &Value, what: &str) -> Result<Address, ChainError> {
    let b = parse_bytes(v, what)?;
    if b.len() != 20 {
        return Err(garbage(format_args!("{what} is not 20 bytes")));
    }
    Ok(Address::from_slice(&b))
}

fn field<'a>(obj: &'a Value, name: &str) -> Result<&'a Value, ChainError> {
    obj.get(name)
        .ok_or_else(|| garbage(format_args!("missing field {name}")))
}

fn parse_log(v: &Value) -> Result<Log, ChainError> {
    let topics = field(v, "topics")?
        .as_array()
        .ok_or_else(|| garbage("log topics is not an array"))?
        .iter()
        .map(|t| parse_b256(t, "log topic"))
        .collect::<Result<Vec<_>, _>>()?;
    if topics.len() > 4 {
        return Err(garbage("a log has more than 4 topics"));
    }
    Ok(Log {
        address: parse_address(field(v, "address")?, "log address")?,
        topics,
        data: parse_bytes(field(v, "data")?, "log data")?,
        block_number: parse_u64(field(v, "blockNumber")?, "log blockNumber")?,
        log_index: parse_u64(field(v, "logIndex")?, "log logIndex")?,
        transaction_hash: parse_b256(field(v, "transactionHash")?, "log transactionHash")?,
    })
}

fn parse_receipt(v: &Value) -> Result<Receipt, ChainError> {
    let status = parse_u64(field(v, "status")?, "receipt status")?;
    let contract_address = match v.get("contractAddress") {
        None | Some(Value::Null) => None,
        Some(a) => Some(parse_address(a, "receipt contractAddress")?),
    };
    let logs = field(v, "logs")?
        .as_array()
        .ok_or_else(|| garbage("receipt logs is not an array"))?
        .iter()
        .map(parse_log)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Receipt {
        transaction_hash: parse_b256(field(v, "transactionHash")?, "receipt transactionHash")?,
        block_number: parse_u64(field(v, "blockNumber")?, "receipt blockNumber")?,
        success: match status {
            1 => true,
            0 => false,
            _ => return Err(garbage("receipt status is neither 0 nor 1")),
        },
        contract_address,
        gas_used: parse_u64(field(v, "gasUsed")?, "receipt gasUsed")?,
        logs,
    })
}

/// A JSON-RPC error object as a [`ChainError`]: a revert (with its reason)
/// when it carries revert data or says so, otherwise [`ChainError::Rpc`].
fn rpc_error(e: ErrorObject) -> ChainError {
    // Geth, Anvil and Besu put the revert data in `data` as hex (Besu may nest it).
    let data = match &e.data {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(o)) => o.get("data").and_then(Value::as_str),
        _ => None,
    };
    if let Some(bytes) = data
        .and_then(|s| s.strip_prefix("0x"))
        .and_then(|h| alloy_primitives::hex::decode(h).ok())
    {
        return ChainError::Reverted {
            reason: revert_reason(&bytes),
        };
    }
    if let Some(rest) = e.message.strip_prefix("execution reverted") {
        let reason = rest.trim_start_matches(':').trim();
        return ChainError::Reverted {
            reason: if reason.is_empty() {
                "0x".to_owned()
            } else {
                reason.to_owned()
            },
        };
    }
    ChainError::Rpc {
        code: e.code,
        message: e.message,
    }
}

impl RpcChain {
    /// A client of the node at `url`, reached through `transport`.
    pub fn new(url: &str, transport: Arc<dyn HttpTransport>) -> Self {
        RpcChain {
            url: url.to_owned(),
            transport,
            timeout: DEFAULT_TIMEOUT,
            receipt_wait: DEFAULT_RECEIPT_WAIT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            next_id: AtomicU64::new(1),
        }
    }

    /// Sets the time limit of each JSON-RPC exchange.
    pub fn with_timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Sets how long [`Chain::send_raw_transaction`] waits for the transaction to be mined.
    pub fn with_receipt_wait(mut self, d: Duration) -> Self {
        self.receipt_wait = d;
        self
    }

    /// Sets the size limit of one answer.
    pub fn with_max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// One JSON-RPC exchange; returns `result` (possibly `null`).
    fn request(&self, method: &str, params: Value) -> Result<Value, ChainError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let body = serde_json::to_vec(&body)
            .map_err(|e| ChainError::Unavailable(format!("cannot encode request: {e}")))?;
        let answer = self
            .transport
            .post_json(&self.url, &body, self.timeout, self.max_response_bytes)
            .map_err(|e| match e {
                TransportError::TooLarge => ChainError::TooLarge,
                e => ChainError::Unavailable(format!("{method}: {e}")),
            })?;
        if answer.len() > self.max_response_bytes {
            return Err(ChainError::TooLarge);
        }
        let response: Response = serde_json::from_slice(&answer)
            .map_err(|e| garbage(format_args!("{method}: not a JSON-RPC response ({e})")))?;
        if response.jsonrpc != "2.0" || response.id != json!(id) {
            return Err(garbage(format_args!(
                "{method}: wrong jsonrpc version or id"
            )));
        }
        match (response.result, response.error) {
            (Some(result), None) => Ok(result),
            (None, Some(error)) => Err(rpc_error(error)),
            _ => Err(garbage(format_args!(
                "{method}: needs exactly one of result and error"
            ))),
        }
    }

    fn receipt(&self, hash: B256) -> Result<Option<Receipt>, ChainError> {
        let v = self.request("eth_getTransactionReceipt", json!([hex(hash)]))?;
        if v.is_null() {
            return Ok(None);
        }
        let receipt = parse_receipt(&v)?;
        if receipt.transaction_hash != hash {
            return Err(garbage("receipt of another transaction"));
        }
        Ok(Some(receipt))
    }
}

impl Chain for RpcChain {
    fn chain_id(&self) -> Result<u64, ChainError> {
        parse_u64(&self.request("eth_chainId", json!([]))?, "chain id")
    }

    fn block_number(&self) -> Result<u64, ChainError> {
        parse_u64(&self.request("eth_blockNumber", json!([]))?, "block number")
    }

    /// `eth_syncing`: `false`, or an object describing the sync in progress.
    fn syncing(&self) -> Result<bool, ChainError> {
        match self.request("eth_syncing", json!([]))? {
            Value::Bool(false) => Ok(false),
            Value::Object(_) => Ok(true),
            _ => Err(garbage("eth_syncing is neither false nor an object")),
        }
    }

    fn block_timestamp(&self, number: u64) -> Result<u64, ChainError> {
        let block = self.request("eth_getBlockByNumber", json!([quantity(number), false]))?;
        if block.is_null() {
            return Err(ChainError::NoSuchBlock(number));
        }
        if parse_u64(field(&block, "number")?, "block number")? != number {
            return Err(garbage("block of another number"));
        }
        parse_u64(field(&block, "timestamp")?, "block timestamp")
    }

    fn call(&self, to: Address, data: &[u8], block: BlockRef) -> Result<Bytes, ChainError> {
        let tx = json!({ "to": hex(to), "data": hex(data) });
        parse_bytes(
            &self.request("eth_call", json!([tx, block_tag(block)]))?,
            "call result",
        )
    }

    fn logs(&self, filter: &LogFilter) -> Result<Vec<Log>, ChainError> {
        let mut topics: Vec<Value> = filter
            .topics
            .iter()
            .map(|t| t.map_or(Value::Null, hex))
            .collect();
        while topics.last().is_some_and(Value::is_null) {
            topics.pop();
        }
        let query = json!({
            "address": hex(filter.address),
            "fromBlock": quantity(filter.from_block),
            "toBlock": filter.to_block.map_or_else(|| "latest".to_owned(), quantity),
            "topics": topics,
        });
        let answer = match self.request("eth_getLogs", json!([query])) {
            Ok(answer) => answer,
            // Some nodes (Anvil) refuse a range that starts past the head;
            // for the trait it is simply a range without logs.
            Err(ChainError::Rpc { .. }) if filter.from_block > self.block_number()? => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let items = answer
            .as_array()
            .ok_or_else(|| garbage("logs is not an array"))?;
        let mut logs = Vec::with_capacity(items.len());
        for item in items {
            if item.get("removed").and_then(Value::as_bool) == Some(true) {
                continue; // reorganised away
            }
            let log = parse_log(item)?;
            // Check the node's answer against the filter rather than trust it.
            let in_range = log.block_number >= filter.from_block
                && filter.to_block.is_none_or(|to| log.block_number <= to);
            let topics_match = filter
                .topics
                .iter()
                .enumerate()
                .all(|(i, t)| t.is_none_or(|t| log.topics.get(i) == Some(&t)));
            if log.address != filter.address || !in_range || !topics_match {
                return Err(garbage("a log outside the filter"));
            }
            logs.push(log);
        }
        logs.sort_by_key(|l| (l.block_number, l.log_index));
        Ok(logs)
    }

    fn code(&self, address: Address) -> Result<Bytes, ChainError> {
        parse_bytes(
            &self.request("eth_getCode", json!([hex(address), "latest"]))?,
            "code",
        )
    }

    fn nonce(&self, address: Address) -> Result<u64, ChainError> {
        let v = self.request("eth_getTransactionCount", json!([hex(address), "pending"]))?;
        parse_u64(&v, "nonce")
    }

    fn send_raw_transaction(&self, raw: &[u8]) -> Result<Receipt, ChainError> {
        let expected = keccak256(raw);
        let hash = match self.request("eth_sendRawTransaction", json!([hex(raw)])) {
            Ok(v) => parse_b256(&v, "transaction hash")?,
            Err(ChainError::Rpc { message, .. }) => return Err(ChainError::Rejected(message)),
            Err(e) => return Err(e),
        };
        if hash != expected {
            return Err(garbage("the node named another transaction hash"));
        }
        let started = Instant::now();
        let deadline = started.checked_add(self.receipt_wait).unwrap_or(started);
        let mut pause = Duration::from_millis(20);
        loop {
            if let Some(receipt) = self.receipt(hash)? {
                return Ok(receipt);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ChainError::Unavailable(format!(
                    "transaction {hash} not mined within {:?}",
                    self.receipt_wait
                )));
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    fn gas_price(&self) -> Result<u128, ChainError> {
        parse_u128(&self.request("eth_gasPrice", json!([]))?, "gas price")
    }

    fn estimate_gas(&self, from: Address, request: &TxRequest) -> Result<u64, ChainError> {
        let mut tx = json!({ "from": hex(from), "data": hex(&request.data) });
        if let (Some(to), Some(obj)) = (request.to, tx.as_object_mut()) {
            obj.insert("to".to_owned(), hex(to));
        }
        parse_u64(
            &self.request("eth_estimateGas", json!([tx]))?,
            "gas estimate",
        )
    }
}

#[cfg(feature = "http")]
pub use http::ReqwestTransport;

#[cfg(feature = "http")]
mod http {
    use std::io::Read;
    use std::sync::Once;
    use std::time::Duration;

    use super::{HttpTransport, TransportError};

    /// [`HttpTransport`] over `reqwest`'s blocking client with rustls (ring
    /// provider; ADR 0014). No redirects are followed.
    ///
    /// The blocking client runs its own runtime thread: do not create or drop
    /// it inside an async context (call it from `spawn_blocking`).
    #[derive(Debug, Clone)]
    pub struct ReqwestTransport {
        client: reqwest::blocking::Client,
    }

    static PROVIDER: Once = Once::new();

    impl ReqwestTransport {
        /// A transport with its own connection pool.
        pub fn new() -> Result<Self, TransportError> {
            PROVIDER.call_once(|| {
                // Fails only if a provider is already installed, which is as good.
                let _ = rustls::crypto::ring::default_provider().install_default();
            });
            let client = reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(super::DEFAULT_TIMEOUT)
                .timeout(None)
                .build()
                .map_err(|e| TransportError::Other(format!("cannot build HTTP client: {e}")))?;
            Ok(ReqwestTransport { client })
        }
    }

    fn classify(e: &reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::Timeout
        } else if e.is_connect() {
            TransportError::Connect(e.to_string())
        } else {
            TransportError::Other(e.to_string())
        }
    }

    impl HttpTransport for ReqwestTransport {
        fn post_json(
            &self,
            url: &str,
            body: &[u8],
            timeout: Duration,
            max_response_bytes: usize,
        ) -> Result<Vec<u8>, TransportError> {
            let response = self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec())
                .timeout(timeout)
                .send()
                .map_err(|e| classify(&e))?;
            if !response.status().is_success() {
                return Err(TransportError::Status(response.status().as_u16()));
            }
            let cap = u64::try_from(max_response_bytes).unwrap_or(u64::MAX);
            if response.content_length().is_some_and(|n| n > cap) {
                return Err(TransportError::TooLarge);
            }
            let mut out = Vec::new();
            // The request timeout covers reading the body too.
            response
                .take(cap.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| {
                    if e.kind() == std::io::ErrorKind::TimedOut
                        || e.get_ref()
                            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
                            .is_some_and(reqwest::Error::is_timeout)
                    {
                        TransportError::Timeout
                    } else {
                        TransportError::Other(format!("reading the answer: {e}"))
                    }
                })?;
            if out.len() > max_response_bytes {
                return Err(TransportError::TooLarge);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers each request with the next canned body (the request id is 1, 2, ...).
    struct Canned(Mutex<Vec<Result<Vec<u8>, TransportError>>>);

    impl HttpTransport for Canned {
        fn post_json(
            &self,
            _url: &str,
            _body: &[u8],
            _timeout: Duration,
            _max: usize,
        ) -> Result<Vec<u8>, TransportError> {
            let mut answers = self.0.lock().expect("not poisoned");
            if answers.is_empty() {
                Err(TransportError::Other("no more".into()))
            } else {
                answers.remove(0)
            }
        }
    }

    fn chain(answers: Vec<Result<&str, TransportError>>) -> RpcChain {
        let answers = answers
            .into_iter()
            .map(|a| a.map(|s| s.as_bytes().to_vec()))
            .collect();
        RpcChain::new(
            "http://node.invalid/secret-key",
            Arc::new(Canned(Mutex::new(answers))),
        )
    }

    fn check_chain_id(answer: Result<&str, TransportError>, expected: Result<u64, ChainError>) {
        assert_eq!(chain(vec![answer]).chain_id(), expected);
    }

    #[test]
    fn syncing_answers() {
        let syncing = |answer: &str| chain(vec![Ok(answer)]).syncing();
        assert_eq!(
            syncing(r#"{"jsonrpc":"2.0","id":1,"result":false}"#),
            Ok(false)
        );
        assert_eq!(
            syncing(
                r#"{"jsonrpc":"2.0","id":1,"result":{"startingBlock":"0x0","currentBlock":"0x10","highestBlock":"0x400"}}"#
            ),
            Ok(true)
        );
        for garbage in [
            r#"{"jsonrpc":"2.0","id":1,"result":true}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":"0x1"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":null}"#,
        ] {
            assert!(syncing(garbage).unwrap_err().is_unavailable(), "{garbage}");
        }
    }

    #[test]
    fn chain_id_answers() {
        check_chain_id(
            Ok(r#"{"jsonrpc":"2.0","id":1,"result":"0x7a69"}"#),
            Ok(31337),
        );
        let unavailable = |r: Result<u64, ChainError>| assert!(r.unwrap_err().is_unavailable());
        for garbage in [
            "",
            "null",
            "[]",
            "{}",
            r#"{"jsonrpc":"2.0","id":1,"result":"7a69"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":"0x"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":"0xzz"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":31337}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":"0x1ffffffffffffffff"}"#,
            r#"{"jsonrpc":"2.0","id":2,"result":"0x1"}"#,
            r#"{"jsonrpc":"1.0","id":1,"result":"0x1"}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":"0x1","error":{"code":1,"message":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":"0x1","extra":1}"#,
            "\u{0}\u{1}binary",
        ] {
            unavailable(chain(vec![Ok(garbage)]).chain_id());
        }
        unavailable(chain(vec![Err(TransportError::Timeout)]).chain_id());
        unavailable(chain(vec![Err(TransportError::Connect("refused".into()))]).chain_id());
        check_chain_id(Err(TransportError::TooLarge), Err(ChainError::TooLarge));
        check_chain_id(
            Ok(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"}}"#),
            Err(ChainError::Rpc {
                code: -32601,
                message: "no such method".into(),
            }),
        );
    }

    #[test]
    fn revert_errors_carry_the_reason() {
        let data = "0x08c379a0\
            0000000000000000000000000000000000000000000000000000000000000020\
            0000000000000000000000000000000000000000000000000000000000000009\
            6261645f6163746f720000000000000000000000000000000000000000000000";
        let answer = format!(
            r#"{{"jsonrpc":"2.0","id":1,"error":{{"code":3,"message":"execution reverted: bad_actor","data":"{data}"}}}}"#
        );
        let r = chain(vec![Ok(&answer)]).call(Address::ZERO, &[], BlockRef::Latest);
        assert_eq!(
            r,
            Err(ChainError::Reverted {
                reason: "bad_actor".into()
            })
        );
        let r = chain(vec![Ok(
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"execution reverted: not_governor"}}"#,
        )])
        .estimate_gas(Address::ZERO, &TxRequest { to: None, data: Bytes::new(), gas: None });
        assert_eq!(
            r,
            Err(ChainError::Reverted {
                reason: "not_governor".into()
            })
        );
    }

    #[test]
    fn a_missing_block_is_no_such_block() {
        let r = chain(vec![Ok(r#"{"jsonrpc":"2.0","id":1,"result":null}"#)]).block_timestamp(9);
        assert_eq!(r, Err(ChainError::NoSuchBlock(9)));
    }

    #[test]
    fn logs_outside_the_filter_are_refused() {
        let log = r#"{"jsonrpc":"2.0","id":1,"result":[{"address":"0x0000000000000000000000000000000000000001",
            "topics":[],"data":"0x","blockNumber":"0x5","logIndex":"0x0",
            "transactionHash":"0x0000000000000000000000000000000000000000000000000000000000000001"}]}"#;
        let filter = |from| LogFilter {
            address: Address::with_last_byte(1),
            from_block: from,
            to_block: None,
            topics: vec![],
        };
        assert_eq!(
            chain(vec![Ok(log)])
                .logs(&filter(1))
                .expect("in range")
                .len(),
            1
        );
        assert!(
            chain(vec![Ok(log)])
                .logs(&filter(6))
                .unwrap_err()
                .is_unavailable()
        );
    }

    proptest::proptest! {
        /// Whatever a node answers, the client returns a value or an error, never panics.
        #[test]
        fn any_answer_is_handled(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
                                 result in "[\\[\\]{}\",:0-9a-fx ]{0,64}") {
            let wrapped = format!(r#"{{"jsonrpc":"2.0","id":1,"result":{result}}}"#);
            for answer in [String::from_utf8_lossy(&body).into_owned(), wrapped] {
                let c = || chain(vec![Ok(answer.as_str()), Ok(answer.as_str())]);
                let filter = LogFilter { address: Address::ZERO, from_block: 0, to_block: None, topics: vec![None] };
                let _ = c().chain_id();
                let _ = c().block_timestamp(1);
                let _ = c().call(Address::ZERO, &[], BlockRef::Number(3));
                let _ = c().logs(&filter);
                let _ = c().gas_price();
                let _ = c().send_raw_transaction(&[0xc0]);
            }
        }
    }

    #[test]
    fn debug_hides_the_url_path() {
        let shown = format!("{:?}", chain(vec![]));
        assert!(shown.contains("http://node.invalid"));
        assert!(!shown.contains("secret-key"));
    }
}
