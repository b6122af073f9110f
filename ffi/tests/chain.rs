//! The wallet's chain read path over the app's `HttpTransport`: a credential
//! from a did:ethr issuer makes `receive` read the chain through the
//! foreign transport (JSON-RPC to the configured node), and a node that
//! cannot be reached is `Unavailable` ("could not check"), with nothing
//! stored. (A full did:ethr flow against a node is the registry's and the
//! CLI's tests; no JSON-RPC node runs in this test.)

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use stele_core::did::Did;
use stele_core::did::key::public_key_from_did_key;
use stele_core::key::{KeyType, SecretKey};
use stele_core::sdjwt::issuer::{SdOptions, issue};
use stele_ffi::{HttpResponse, HttpTransport, KeyAlg, StelError, Wallet};

/// Records every request and answers with `answer`.
struct RecordingTransport {
    calls: Mutex<Vec<(String, String, u32)>>,
    answer: Result<HttpResponse, StelError>,
}

impl HttpTransport for RecordingTransport {
    fn post_json(
        &self,
        url: String,
        body: String,
        timeout_ms: u32,
    ) -> Result<HttpResponse, StelError> {
        self.calls
            .lock()
            .expect("test mutex")
            .push((url, body, timeout_ms));
        self.answer.clone()
    }
}

const ISSUER: &str = "did:ethr:0x7a69:0x1234567890abcdef1234567890abcdef12345678";

fn deployment() -> String {
    json!({
        "chain_id": 31337,
        "did_registry": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        "accreditation": "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
        "status_lists": "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
        "audit_anchors": "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9",
        "deployed_at_block": 0
    })
    .to_string()
}

/// A directory under the system's temp dir, removed when dropped.
struct TempDir(String);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("stele-ffi-{name}-{}-{nanos}", std::process::id()));
    TempDir(dir.to_string_lossy().into_owned())
}

/// An SD-JWT VC from the did:ethr issuer, bound to `holder_did`.
fn ethr_credential(holder_did: &str) -> String {
    let holder =
        public_key_from_did_key(&Did::parse(holder_did).expect("holder did")).expect("holder key");
    let issuer_key = SecretKey::generate(KeyType::Secp256k1, &mut rand_core::OsRng);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let payload: Map<String, Value> = serde_json::from_value(json!({
        "iss": ISSUER,
        "iat": now,
        "vct": "ResidencePermitCredential",
        "cnf": {"jwk": holder.to_jwk().to_value()},
        "given_name": "Amira",
    }))
    .expect("payload object");
    let options = SdOptions {
        disclosable: &["given_name"],
        decoys: 0,
    };
    issue(
        &issuer_key,
        Some(&format!("{ISSUER}#controller")),
        "dc+sd-jwt",
        &payload,
        &options,
        &mut rand_core::OsRng,
    )
    .expect("issue")
    .compact
}

/// A wallet with a P-256 holder key, reading the chain through a recording
/// transport that answers `answer`.
struct ChainWallet {
    wallet: Arc<Wallet>,
    transport: Arc<RecordingTransport>,
    holder: String,
    _dir: TempDir,
}

fn wallet_with_chain(name: &str, answer: Result<HttpResponse, StelError>) -> ChainWallet {
    let dir = temp_dir(name);
    let wallet =
        Wallet::create_with_passphrase(dir.0.clone(), "test passphrase".into()).expect("create");
    let holder = wallet.create_holder_key(KeyAlg::P256).expect("holder key");
    let transport = Arc::new(RecordingTransport {
        calls: Mutex::new(Vec::new()),
        answer,
    });
    wallet
        .connect_chain(
            "https://node.example/rpc".into(),
            deployment(),
            transport.clone(),
        )
        .expect("connect");
    ChainWallet {
        wallet,
        transport,
        holder: holder.did,
        _dir: dir,
    }
}

#[test]
fn an_unreachable_node_is_unavailable_and_nothing_is_stored() {
    let ChainWallet {
        wallet,
        transport,
        holder,
        _dir,
    } = wallet_with_chain(
        "unreachable",
        Err(StelError::Unavailable {
            detail: "no network".into(),
        }),
    );
    let result = wallet.receive(ethr_credential(&holder));
    assert!(
        matches!(result, Err(StelError::Unavailable { .. })),
        "{result:?}"
    );
    let calls = transport.calls.lock().expect("test mutex");
    assert!(!calls.is_empty(), "the chain was not read");
    let (url, body, timeout_ms) = &calls[0];
    assert_eq!(url, "https://node.example/rpc");
    let request: Value = serde_json::from_str(body).expect("a JSON-RPC request");
    assert_eq!(request["jsonrpc"], "2.0");
    assert!(
        request["method"]
            .as_str()
            .is_some_and(|m| m.starts_with("eth_")),
        "{request}"
    );
    assert!(*timeout_ms > 0);
    assert!(wallet.list().expect("list").is_empty());
}

#[test]
fn a_failing_node_is_unavailable() {
    let ChainWallet {
        wallet,
        transport,
        holder,
        _dir,
    } = wallet_with_chain(
        "failing",
        Ok(HttpResponse {
            status: 503,
            body: "busy".into(),
        }),
    );
    let result = wallet.receive(ethr_credential(&holder));
    assert!(
        matches!(result, Err(StelError::Unavailable { .. })),
        "{result:?}"
    );
    assert!(!transport.calls.lock().expect("test mutex").is_empty());
    assert!(wallet.list().expect("list").is_empty());
}

#[test]
fn a_node_answering_garbage_is_unavailable() {
    let ChainWallet {
        wallet,
        holder,
        _dir,
        ..
    } = wallet_with_chain(
        "garbage",
        Ok(HttpResponse {
            status: 200,
            body: "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":42}".into(),
        }),
    );
    let result = wallet.receive(ethr_credential(&holder));
    assert!(
        matches!(result, Err(StelError::Unavailable { .. })),
        "{result:?}"
    );
}

#[test]
fn without_a_chain_a_did_ethr_issuer_is_not_read_from_the_network() {
    let dir = temp_dir("no-chain");
    let wallet =
        Wallet::create_with_passphrase(dir.0.clone(), "test passphrase".into()).expect("create");
    let holder = wallet.create_holder_key(KeyAlg::P256).expect("holder key");
    let result = wallet.receive(ethr_credential(&holder.did));
    assert!(result.is_err(), "accepted an unresolvable issuer");
    assert!(wallet.list().expect("list").is_empty());
}

#[test]
fn a_bad_deployment_is_invalid_input() {
    let dir = temp_dir("bad-deployment");
    let wallet =
        Wallet::create_with_passphrase(dir.0.clone(), "test passphrase".into()).expect("create");
    let transport = Arc::new(RecordingTransport {
        calls: Mutex::new(Vec::new()),
        answer: Err(StelError::Unavailable {
            detail: "unused".into(),
        }),
    });
    let result = wallet.connect_chain("https://node.example".into(), "{}".into(), transport);
    assert!(
        matches!(result, Err(StelError::InvalidInput { .. })),
        "{result:?}"
    );
}
