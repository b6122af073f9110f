//! did:ethr resolution against the registry, on both backends: the embedded
//! chain (with a clock the test moves) and a real Anvil node (moved with
//! `evm_increaseTime`). Every case is one function instantiated per backend
//! by [`did_ethr_cases!`], like the conformance suite.
//!
//! Time is deterministic on both: before each step whose time matters, the
//! test moves the chain's clock forward, so the next block is strictly later.

#[path = "support/anvil.rs"]
mod node;

use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use base64::Engine as _;
use serde_json::{Value, json};
use stele_core::did::{Did, DidError, DidResolver, Relationship, Resolution, ResolutionOptions};
use stele_core::key::{KeyType, PublicKey};
use stele_core::time::{Clock, Timestamp};
use stele_registry::contracts::{self, DIDRegistry, Deployment};
use stele_registry::did_ethr::{COMPROMISED_ATTRIBUTE, EthrDidResolver, text_bytes32};
use stele_registry::rpc::{HttpTransport, ReqwestTransport};
use stele_registry::{
    Account, BlockRef, Chain, ChainError, EmbeddedChain, EmbeddedConfig, Log, LogFilter, Receipt,
    TxRequest,
};

// ---- a chain decorator that counts reads and can fail --------------------------

/// Counts `eth_call`s and log queries, and fails every method with
/// "unavailable" once `down` is set.
struct Counting {
    inner: Arc<dyn Chain>,
    calls: AtomicU64,
    logs: AtomicU64,
    down: AtomicBool,
}

impl Counting {
    fn new(inner: Arc<dyn Chain>) -> Self {
        Counting {
            inner,
            calls: AtomicU64::new(0),
            logs: AtomicU64::new(0),
            down: AtomicBool::new(false),
        }
    }
    fn check(&self) -> Result<(), ChainError> {
        if self.down.load(Ordering::SeqCst) {
            Err(ChainError::Unavailable("test: the chain is down".into()))
        } else {
            Ok(())
        }
    }
    fn reset(&self) {
        self.calls.store(0, Ordering::SeqCst);
        self.logs.store(0, Ordering::SeqCst);
    }
    fn counts(&self) -> (u64, u64) {
        (
            self.calls.load(Ordering::SeqCst),
            self.logs.load(Ordering::SeqCst),
        )
    }
}

impl Chain for Counting {
    fn chain_id(&self) -> Result<u64, ChainError> {
        self.check()?;
        self.inner.chain_id()
    }
    fn block_number(&self) -> Result<u64, ChainError> {
        self.check()?;
        self.inner.block_number()
    }
    fn block_timestamp(&self, number: u64) -> Result<u64, ChainError> {
        self.check()?;
        self.inner.block_timestamp(number)
    }
    fn call(&self, to: Address, data: &[u8], block: BlockRef) -> Result<Bytes, ChainError> {
        self.check()?;
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.call(to, data, block)
    }
    fn logs(&self, filter: &LogFilter) -> Result<Vec<Log>, ChainError> {
        self.check()?;
        self.logs.fetch_add(1, Ordering::SeqCst);
        self.inner.logs(filter)
    }
    fn code(&self, address: Address) -> Result<Bytes, ChainError> {
        self.check()?;
        self.inner.code(address)
    }
    fn nonce(&self, address: Address) -> Result<u64, ChainError> {
        self.check()?;
        self.inner.nonce(address)
    }
    fn send_raw_transaction(&self, raw: &[u8]) -> Result<Receipt, ChainError> {
        self.check()?;
        self.inner.send_raw_transaction(raw)
    }
    fn gas_price(&self) -> Result<u128, ChainError> {
        self.check()?;
        self.inner.gas_price()
    }
    fn estimate_gas(&self, from: Address, request: &TxRequest) -> Result<u64, ChainError> {
        self.check()?;
        self.inner.estimate_gas(from, request)
    }
}

// ---- backends ------------------------------------------------------------------

/// One chain with the contracts deployed, and the means to move its time and
/// to take it down.
pub struct Env {
    counting: Arc<Counting>,
    chain: Arc<dyn Chain>,
    chain_id: u64,
    deployer: Account,
    deployment: Deployment,
    /// Moves the time of the next block forward by this many seconds.
    advance_by: Box<dyn Fn(u64)>,
    /// Makes the chain unreachable ("down").
    stop: Box<dyn Fn()>,
    _guard: Box<dyn Any>,
}

/// A clock the test moves by hand.
struct ManualClock(AtomicI64);

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.0.load(Ordering::SeqCst))
    }
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const EMBEDDED_CHAIN_ID: u64 = 4242;
const T0: i64 = 1_800_000_000;

fn finish(
    inner: Arc<dyn Chain>,
    deployer: Account,
    advance: Box<dyn Fn(u64)>,
    stop: Option<Box<dyn Fn()>>,
    guard: Box<dyn Any>,
) -> Env {
    let counting = Arc::new(Counting::new(inner));
    let chain: Arc<dyn Chain> = counting.clone();
    let chain_id = chain.chain_id().expect("chain id");
    let deployment =
        contracts::deploy(&*chain, &deployer, &[deployer.address()]).expect("contracts deploy");
    let stop = stop.unwrap_or_else(|| {
        let c = counting.clone();
        Box::new(move || c.down.store(true, Ordering::SeqCst))
    });
    Env {
        counting,
        chain,
        chain_id,
        deployer,
        deployment,
        advance_by: advance,
        stop,
        _guard: guard,
    }
}

fn embedded() -> Env {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "stele-did-ethr-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let clock = Arc::new(ManualClock(AtomicI64::new(T0)));
    let chain = EmbeddedChain::open(
        &dir,
        EmbeddedConfig {
            chain_id: EMBEDDED_CHAIN_ID,
            clock: clock.clone(),
        },
    )
    .expect("embedded chain opens");
    let advance = Box::new(move |secs: u64| {
        clock.0.fetch_add(secs as i64, Ordering::SeqCst);
    });
    // No balances on the embedded chain: any account sends at gas price 0.
    finish(
        Arc::new(chain),
        Account::generate(&mut rand_core::OsRng),
        advance,
        None,
        Box::new(Scratch(dir)),
    )
}

/// A raw JSON-RPC request (the test-node methods the chain client does not have).
fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer = ReqwestTransport::new()
        .expect("HTTP client")
        .post_json(
            url,
            body.to_string().as_bytes(),
            Duration::from_secs(10),
            1 << 20,
        )
        .unwrap_or_else(|e| panic!("{method}: {e:?}"));
    let v: Value = serde_json::from_slice(&answer).expect("JSON-RPC answer");
    assert!(v.get("error").is_none(), "{method}: {v}");
    v["result"].clone()
}

fn anvil() -> Env {
    let node = node::Anvil::start();
    let url = node.url().to_owned();
    let inner: Arc<dyn Chain> = Arc::new(node.chain());
    let deployer = node.account();
    let slot = Arc::new(Mutex::new(Some(node)));
    let advance = Box::new(move |secs: u64| {
        rpc(&url, "evm_increaseTime", json!([secs]));
    });
    let stopper = slot.clone();
    // Stopping kills the node; dropping the guard kills it if still running.
    let stop: Box<dyn Fn()> = Box::new(move || {
        if let Some(node) = stopper.lock().expect("lock").take() {
            drop(node);
        }
    });
    finish(inner, deployer, advance, Some(stop), Box::new(slot))
}

// ---- helpers ----------------------------------------------------------------

impl Env {
    fn advance(&self, secs: u64) {
        (self.advance_by)(secs);
    }

    fn resolver(&self) -> EthrDidResolver {
        EthrDidResolver::new(
            self.chain.clone(),
            self.deployment.did_registry,
            self.chain_id,
            &[],
        )
    }

    fn did(&self, identity: Address) -> Did {
        Did::parse(&EthrDidResolver::did_for(self.chain_id, identity)).expect("a valid DID")
    }

    /// Sends `call` to the DID registry from `from`; returns the block it was mined in.
    fn send<C: SolCall>(&self, from: &Account, call: C) -> u64 {
        let receipt = from
            .send(
                &*self.chain,
                &TxRequest {
                    to: Some(self.deployment.did_registry),
                    data: call.abi_encode().into(),
                    gas: None,
                },
            )
            .unwrap_or_else(|e| panic!("{} should succeed: {e}", C::SIGNATURE));
        assert!(receipt.success);
        receipt.block_number
    }

    fn set_attribute(
        &self,
        owner: &Account,
        identity: Address,
        name: &str,
        value: &[u8],
        validity: u64,
    ) -> u64 {
        self.send(
            owner,
            DIDRegistry::setAttributeCall {
                identity,
                name: text_bytes32(name).expect("short name"),
                value: Bytes::copy_from_slice(value),
                validity: U256::from(validity),
            },
        )
    }

    fn revoke_attribute(
        &self,
        owner: &Account,
        identity: Address,
        name: &str,
        value: &[u8],
    ) -> u64 {
        self.send(
            owner,
            DIDRegistry::revokeAttributeCall {
                identity,
                name: text_bytes32(name).expect("short name"),
                value: Bytes::copy_from_slice(value),
            },
        )
    }

    /// Mines an empty block (a plain transaction to an account without code).
    fn mine(&self) -> u64 {
        let receipt = self
            .deployer
            .send(
                &*self.chain,
                &TxRequest {
                    to: Some(Address::repeat_byte(0x11)),
                    data: Bytes::new(),
                    gas: Some(21_000),
                },
            )
            .expect("an empty transaction is mined");
        receipt.block_number
    }

    fn timestamp(&self, block: u64) -> i64 {
        self.chain.block_timestamp(block).expect("block timestamp") as i64
    }

    fn account_id(&self, a: Address) -> String {
        format!("eip155:{}:{}", self.chain_id, a.to_checksum(None))
    }
}

fn resolve(r: &EthrDidResolver, did: &Did) -> Resolution {
    r.resolve(did, &ResolutionOptions::default())
        .unwrap_or_else(|e| panic!("{did:?} resolves: {e}"))
}

fn at_time(r: &EthrDidResolver, did: &Did, t: i64) -> Resolution {
    r.resolve(
        did,
        &ResolutionOptions {
            version_time: Some(Timestamp::from_unix(t)),
            version_id: None,
        },
    )
    .unwrap_or_else(|e| panic!("{did:?} at {t} resolves: {e}"))
}

fn at_version(r: &EthrDidResolver, did: &Did, block: u64) -> Resolution {
    r.resolve(
        did,
        &ResolutionOptions {
            version_time: None,
            version_id: Some(block.to_string()),
        },
    )
    .unwrap_or_else(|e| panic!("{did:?} version {block} resolves: {e}"))
}

fn doc_json(r: &Resolution) -> Value {
    serde_json::to_value(&r.document).expect("document serialises")
}

fn meta_json(r: &Resolution) -> Value {
    serde_json::to_value(&r.metadata).expect("metadata serialises")
}

/// The Ed25519 keys of the document's assertion methods.
fn assertion_keys(r: &Resolution) -> Vec<PublicKey> {
    r.document
        .methods_for(Relationship::AssertionMethod)
        .into_iter()
        .filter(|m| m.type_ == "Ed25519VerificationKey2018")
        .map(|m| m.public_key().expect("a usable key"))
        .collect()
}

fn ed25519() -> (Vec<u8>, PublicKey) {
    let sk = stele_core::key::SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let pk = sk.public_key();
    (pk.to_bytes(), pk)
}

fn fresh() -> Account {
    Account::generate(&mut rand_core::OsRng)
}

fn rfc3339(t: i64) -> String {
    Timestamp::from_unix(t).to_rfc3339()
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const YEAR: u64 = 365 * 86_400;

// ---- the cases ------------------------------------------------------------------

macro_rules! did_ethr_cases {
    ($backend:ident, $make:expr) => {
        did_ethr_cases!(@tests $backend, $make, [
            a_fresh_identity_has_only_its_controller,
            key_attributes_in_every_encoding_and_purpose,
            rotation_and_versions,
            version_id_judges_validity_at_that_block,
            attributes_expire,
            delegates_are_added_and_revoked,
            services_are_listed,
            owner_change_and_deactivation,
            a_compromised_key_is_absent_in_every_version,
            the_cache_costs_one_call_until_a_change,
            a_public_key_did_has_its_controller_key,
            invalid_dids_are_refused,
            a_chain_that_is_down_is_unavailable,
            the_document_matches_ethr_did_resolver,
            settled_accreditation_answers_are_kept,
        ]);
    };
    (@tests $backend:ident, $make:expr, [$($case:ident),* $(,)?]) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;

            fn make() -> Env {
                $make
            }

            $(
                #[test]
                fn $case() {
                    super::$case(&make());
                }
            )*
        }
    };
}

did_ethr_cases!(embedded, embedded());
did_ethr_cases!(anvil, anvil());

fn a_fresh_identity_has_only_its_controller(env: &Env) {
    let identity = fresh().address();
    let did = env.did(identity);
    let r = resolve(&env.resolver(), &did);
    let d = doc_json(&r);
    let id = did.as_str();
    assert_eq!(d["id"], id);
    assert_eq!(
        d["verificationMethod"],
        json!([{
            "id": format!("{id}#controller"),
            "type": "EcdsaSecp256k1RecoveryMethod2020",
            "controller": id,
            "blockchainAccountId": env.account_id(identity),
        }])
    );
    assert_eq!(d["authentication"], json!([format!("{id}#controller")]));
    assert_eq!(d["assertionMethod"], json!([format!("{id}#controller")]));
    assert!(d.get("service").is_none() && d.get("keyAgreement").is_none());
    assert_eq!(meta_json(&r), json!({}), "no versionId, not deactivated");
    assert!(!r.is_deactivated());
}

fn key_attributes_in_every_encoding_and_purpose(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let id = did.as_str();
    let (b64_raw, b64_key) = ed25519();
    let (hex_raw, hex_key) = ed25519();
    let (b58_raw, b58_key) = ed25519();
    let (auth_raw, auth_key) = ed25519();
    let x25519 = [7u8; 32];
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base64",
        &b64_raw,
        YEAR,
    );
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/hex",
        &hex_raw,
        YEAR,
    );
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base58",
        &b58_raw,
        YEAR,
    );
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/sigAuth/base64",
        &auth_raw,
        YEAR,
    );
    let last = env.set_attribute(&owner, identity, "did/pub/X25519/enc/base64", &x25519, YEAR);

    let r = resolve(&env.resolver(), &did);
    let d = doc_json(&r);
    let vms = d["verificationMethod"].as_array().expect("methods");
    assert_eq!(vms.len(), 6, "{d:#}");
    let vm = |n: usize| {
        vms.iter()
            .find(|m| m["id"] == format!("{id}#delegate-{n}"))
            .unwrap_or_else(|| panic!("#delegate-{n} in {d:#}"))
    };
    assert_eq!(vm(1)["type"], "Ed25519VerificationKey2018");
    assert_eq!(vm(1)["publicKeyBase64"], B64.encode(&b64_raw));
    assert_eq!(
        vm(2)["publicKeyHex"],
        alloy_primitives::hex::encode(&hex_raw)
    );
    assert_eq!(
        vm(3)["publicKeyBase58"],
        bs58::encode(&b58_raw).into_string()
    );
    assert_eq!(vm(4)["type"], "Ed25519VerificationKey2018");
    assert_eq!(vm(5)["type"], "X25519KeyAgreementKey2019");
    assert_eq!(vm(5)["publicKeyBase64"], B64.encode(x25519));
    for n in 1..=5 {
        assert_eq!(vm(n)["controller"], id);
    }

    // Every encoding decodes to the registered key.
    let method = |n: usize| {
        r.document
            .verification_method
            .iter()
            .find(|m| m.id == format!("{id}#delegate-{n}"))
            .expect("method")
    };
    assert_eq!(method(1).public_key().expect("base64 key"), b64_key);
    assert_eq!(method(2).public_key().expect("hex key"), hex_key);
    assert_eq!(method(3).public_key().expect("base58 key"), b58_key);
    assert_eq!(method(4).public_key().expect("sigAuth key"), auth_key);
    assert!(
        method(5).public_key().is_err(),
        "X25519 is not a signing key"
    );

    let refs = |n: &[usize]| -> Value {
        let mut v = vec![json!(format!("{id}#controller"))];
        v.extend(n.iter().map(|n| json!(format!("{id}#delegate-{n}"))));
        Value::Array(v)
    };
    assert_eq!(d["assertionMethod"], refs(&[1, 2, 3, 4]));
    assert_eq!(
        d["authentication"],
        refs(&[4]),
        "sigAuth also authenticates"
    );
    assert_eq!(d["keyAgreement"], json!([format!("{id}#delegate-5")]));
    assert_eq!(
        assertion_keys(&r),
        vec![b64_key, hex_key, b58_key, auth_key]
    );

    let m = meta_json(&r);
    assert_eq!(m["versionId"], last.to_string());
    assert_eq!(m["updated"], rfc3339(env.timestamp(last)));
    assert!(m.get("nextVersionId").is_none() && m.get("deactivated").is_none());
}

fn rotation_and_versions(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let (a_raw, a) = ed25519();
    let (b_raw, b) = ed25519();
    const NAME: &str = "did/pub/Ed25519/veriKey/base64";
    env.advance(10);
    let added_a = env.set_attribute(&owner, identity, NAME, &a_raw, YEAR);
    let t_a = env.timestamp(added_a);
    env.advance(100);
    let added_b = env.set_attribute(&owner, identity, NAME, &b_raw, YEAR);
    env.advance(10);
    let revoked_a = env.revoke_attribute(&owner, identity, NAME, &a_raw);
    let t_b = env.timestamp(added_b);
    assert!(t_b >= t_a + 100, "the clock moved: {t_a} → {t_b}");
    let resolver = env.resolver();

    let latest = resolve(&resolver, &did);
    assert_eq!(
        assertion_keys(&latest),
        vec![b.clone()],
        "B only after the rotation"
    );
    assert_eq!(meta_json(&latest)["versionId"], revoked_a.to_string());

    // Before the rotation: A only, and the metadata names the next version.
    let before = at_time(&resolver, &did, t_a + 50);
    assert_eq!(assertion_keys(&before), vec![a.clone()]);
    assert_eq!(
        meta_json(&before),
        json!({
            "updated": rfc3339(t_a),
            "versionId": added_a.to_string(),
            "nextVersionId": added_b.to_string(),
            "nextUpdate": rfc3339(t_b),
        })
    );
    // Between adding B and revoking A both are listed (the overlap of a rotation).
    let both = at_version(&resolver, &did, added_b);
    assert_eq!(assertion_keys(&both), vec![a.clone(), b.clone()]);
    assert_eq!(meta_json(&both)["versionId"], added_b.to_string());
    assert_eq!(meta_json(&both)["nextVersionId"], revoked_a.to_string());
    // An older block by versionId.
    let first = at_version(&resolver, &did, added_a);
    assert_eq!(assertion_keys(&first), vec![a]);
    // Before anything happened: the bare controller document.
    let empty = at_time(&resolver, &did, t_a - 5);
    assert!(assertion_keys(&empty).is_empty());
    assert_eq!(meta_json(&empty)["nextVersionId"], added_a.to_string());
    assert!(meta_json(&empty).get("versionId").is_none());
    // A versionId that is not a block number, or a block not mined yet.
    for bad in ["latest".to_owned(), (revoked_a + 1000).to_string()] {
        let r = resolver.resolve(
            &did,
            &ResolutionOptions {
                version_time: None,
                version_id: Some(bad.clone()),
            },
        );
        assert!(
            matches!(r, Err(DidError::NotFound(_))),
            "versionId {bad}: {r:?}"
        );
    }
}

/// A key valid at an old block is listed in that version even if it has
/// expired since (as ethr-did-resolver does: validity is judged at the
/// version's block time, not now).
fn version_id_judges_validity_at_that_block(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let (raw, key) = ed25519();
    env.advance(10);
    let added = env.set_attribute(&owner, identity, "did/pub/Ed25519/veriKey/hex", &raw, 100);
    env.advance(500);
    env.mine();
    let resolver = env.resolver();
    assert!(
        assertion_keys(&resolve(&resolver, &did)).is_empty(),
        "expired now"
    );
    assert_eq!(
        assertion_keys(&at_version(&resolver, &did, added)),
        vec![key]
    );
}

fn attributes_expire(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let (raw, key) = ed25519();
    let (long_raw, long_key) = ed25519();
    env.advance(10);
    let added = env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base64",
        &raw,
        100,
    );
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base64",
        &long_raw,
        YEAR,
    );
    env.set_attribute(
        &owner,
        identity,
        "did/svc/Short",
        b"https://short.example",
        100,
    );
    let t = env.timestamp(added);
    let resolver = env.resolver();
    let r = resolve(&resolver, &did);
    assert_eq!(assertion_keys(&r), vec![key.clone(), long_key.clone()]);
    assert_eq!(r.document.service.len(), 1);

    env.advance(200);
    env.mine();
    let r = resolve(&resolver, &did);
    assert_eq!(
        assertion_keys(&r),
        vec![long_key.clone()],
        "the short key expired"
    );
    assert!(r.document.service.is_empty(), "the short service expired");
    // It was valid inside its window, and not after it.
    assert_eq!(
        assertion_keys(&at_time(&resolver, &did, t + 50)),
        vec![key, long_key.clone()]
    );
    assert_eq!(
        assertion_keys(&at_time(&resolver, &did, t + 100)),
        vec![long_key.clone()],
        "validTo is exclusive, like the registry's validDelegate"
    );
    assert_eq!(
        assertion_keys(&at_time(&resolver, &did, t + 150)),
        vec![long_key]
    );
}

fn delegates_are_added_and_revoked(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let id = did.as_str();
    let veri = fresh().address();
    let auth = fresh().address();
    let add = |kind: &str, delegate: Address| {
        env.send(
            &owner,
            DIDRegistry::addDelegateCall {
                identity,
                delegateType: text_bytes32(kind).expect("short"),
                delegate,
                validity: U256::from(YEAR),
            },
        )
    };
    add("veriKey", veri);
    add("sigAuth", auth);
    let resolver = env.resolver();
    let d = doc_json(&resolve(&resolver, &did));
    let vms = d["verificationMethod"].as_array().expect("methods");
    assert_eq!(
        vms[1],
        json!({"id": format!("{id}#delegate-1"), "type": "EcdsaSecp256k1RecoveryMethod2020", "controller": id, "blockchainAccountId": env.account_id(veri)})
    );
    assert_eq!(
        vms[2],
        json!({"id": format!("{id}#delegate-2"), "type": "EcdsaSecp256k1RecoveryMethod2020", "controller": id, "blockchainAccountId": env.account_id(auth)})
    );
    assert_eq!(
        d["assertionMethod"],
        json!([
            format!("{id}#controller"),
            format!("{id}#delegate-1"),
            format!("{id}#delegate-2")
        ])
    );
    assert_eq!(
        d["authentication"],
        json!([format!("{id}#controller"), format!("{id}#delegate-2")])
    );

    env.send(
        &owner,
        DIDRegistry::revokeDelegateCall {
            identity,
            delegateType: text_bytes32("veriKey").expect("short"),
            delegate: veri,
        },
    );
    let d = doc_json(&resolve(&resolver, &did));
    let ids: Vec<&Value> = d["verificationMethod"]
        .as_array()
        .expect("methods")
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(
        ids,
        [
            &json!(format!("{id}#controller")),
            &json!(format!("{id}#delegate-2"))
        ]
    );
    assert!(
        !d.to_string().contains(&veri.to_checksum(None)),
        "revoked delegate gone"
    );
}

fn services_are_listed(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let id = did.as_str();
    env.set_attribute(
        &owner,
        identity,
        "did/svc/Verifier",
        b"https://verifier.example/api",
        YEAR,
    );
    env.set_attribute(
        &owner,
        identity,
        "did/svc/Status",
        br#"{"uri":"https://status.example"}"#,
        YEAR,
    );
    let resolver = env.resolver();
    let d = doc_json(&resolve(&resolver, &did));
    assert_eq!(
        d["service"],
        json!([
            {"id": format!("{id}#service-1"), "type": "Verifier", "serviceEndpoint": "https://verifier.example/api"},
            {"id": format!("{id}#service-2"), "type": "Status", "serviceEndpoint": {"uri": "https://status.example"}},
        ])
    );
    env.revoke_attribute(
        &owner,
        identity,
        "did/svc/Verifier",
        b"https://verifier.example/api",
    );
    let d = doc_json(&resolve(&resolver, &did));
    assert_eq!(
        d["service"],
        json!([{"id": format!("{id}#service-2"), "type": "Status", "serviceEndpoint": {"uri": "https://status.example"}}])
    );
}

fn owner_change_and_deactivation(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let id = did.as_str();
    let (raw, _) = ed25519();
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base64",
        &raw,
        YEAR,
    );
    let next = fresh();
    env.advance(10);
    let changed = env.send(
        &owner,
        DIDRegistry::changeOwnerCall {
            identity,
            newOwner: next.address(),
        },
    );
    let resolver = env.resolver();
    let r = resolve(&resolver, &did);
    let d = doc_json(&r);
    assert_eq!(d["verificationMethod"][0]["id"], format!("{id}#controller"));
    assert_eq!(
        d["verificationMethod"][0]["blockchainAccountId"],
        env.account_id(next.address())
    );
    assert_eq!(assertion_keys(&r).len(), 1, "keys survive an owner change");
    // The old owner can no longer change anything; the new one can.
    let refused = owner.send(
        &*env.chain,
        &TxRequest {
            to: Some(env.deployment.did_registry),
            data: DIDRegistry::changeOwnerCall {
                identity,
                newOwner: owner.address(),
            }
            .abi_encode()
            .into(),
            gas: Some(200_000),
        },
    );
    assert!(refused.is_err(), "{refused:?}");

    env.advance(10);
    let gone = env.send(
        &next,
        DIDRegistry::changeOwnerCall {
            identity,
            newOwner: Address::ZERO,
        },
    );
    let r = resolve(&resolver, &did);
    assert!(r.is_deactivated());
    let d = doc_json(&r);
    assert!(d.get("verificationMethod").is_none(), "no methods: {d:#}");
    assert!(d.get("assertionMethod").is_none() && d.get("authentication").is_none());
    assert!(d.get("service").is_none());
    assert_eq!(d["id"], id);
    let m = meta_json(&r);
    assert_eq!(m["deactivated"], true);
    assert_eq!(m["versionId"], gone.to_string());
    // Before the deactivation it was alive, with the second owner.
    let before = at_version(&resolver, &did, changed);
    assert!(!before.is_deactivated());
    assert_eq!(
        doc_json(&before)["verificationMethod"][0]["blockchainAccountId"],
        env.account_id(next.address())
    );
}

fn a_compromised_key_is_absent_in_every_version(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let (a_raw, _) = ed25519();
    let (b_raw, b) = ed25519();
    const NAME: &str = "did/pub/Ed25519/veriKey/base64";
    env.advance(10);
    let added_a = env.set_attribute(&owner, identity, NAME, &a_raw, YEAR);
    let t_a = env.timestamp(added_a);
    env.advance(100);
    let added_b = env.set_attribute(&owner, identity, NAME, &b_raw, YEAR);
    env.advance(100);
    env.revoke_attribute(&owner, identity, NAME, &a_raw);
    env.advance(100);
    env.set_attribute(&owner, identity, COMPROMISED_ATTRIBUTE, &a_raw, YEAR);
    let resolver = env.resolver();
    assert_eq!(assertion_keys(&resolve(&resolver, &did)), vec![b.clone()]);
    assert!(
        assertion_keys(&at_time(&resolver, &did, t_a + 50)).is_empty(),
        "not even before it was marked"
    );
    assert!(assertion_keys(&at_version(&resolver, &did, added_a)).is_empty());
    assert_eq!(
        assertion_keys(&at_version(&resolver, &did, added_b)),
        vec![b]
    );
    // The attribute itself is no method and no service.
    let d = doc_json(&resolve(&resolver, &did));
    assert!(d.get("service").is_none());
    assert_eq!(d["verificationMethod"].as_array().map(Vec::len), Some(2));
}

fn the_cache_costs_one_call_until_a_change(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let (a_raw, a) = ed25519();
    let (b_raw, b) = ed25519();
    for i in 0..3u8 {
        env.set_attribute(&owner, identity, "did/svc/Filler", &[b'x', i], YEAR);
    }
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/hex",
        &a_raw,
        YEAR,
    );
    let resolver = env.resolver();
    env.counting.reset();
    let first = resolve(&resolver, &did);
    let (calls, logs) = env.counting.counts();
    assert_eq!(
        (calls, logs),
        (1, 4),
        "cold: changed() and one log query per change"
    );
    env.counting.reset();
    let second = resolve(&resolver, &did);
    assert_eq!(
        env.counting.counts(),
        (1, 0),
        "warm: one eth_call, no log query"
    );
    assert_eq!(first, second);
    // A versionTime query of an unchanged DID is served from the same history.
    env.counting.reset();
    at_time(
        &resolver,
        &did,
        env.timestamp(env.chain.block_number().expect("n")),
    );
    assert_eq!(env.counting.counts(), (1, 0));

    // A change moves changed(): the history is read again, and the new key shows.
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/hex",
        &b_raw,
        YEAR,
    );
    env.counting.reset();
    let third = resolve(&resolver, &did);
    assert_eq!(env.counting.counts(), (1, 5));
    assert_eq!(assertion_keys(&third), vec![a, b]);
    env.counting.reset();
    resolve(&resolver, &did);
    assert_eq!(env.counting.counts(), (1, 0));
}

fn a_public_key_did_has_its_controller_key(env: &Env) {
    let sk = k256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let compressed = sk
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    assert_eq!(compressed.len(), 33);
    let owner =
        Account::from_private_hex(&alloy_primitives::hex::encode(sk.to_bytes())).expect("key");
    let identity = owner.address();
    let did = Did::parse(&format!(
        "did:ethr:0x{:x}:0x{}",
        env.chain_id,
        alloy_primitives::hex::encode(&compressed)
    ))
    .expect("DID");
    let id = did.as_str();
    let resolver = env.resolver();
    let (address, key) = resolver.identity(&did).expect("identity");
    assert_eq!(address, identity, "the address is derived from the key");
    assert_eq!(key.as_deref(), Some(compressed.as_slice()));
    let d = doc_json(&resolve(&resolver, &did));
    assert_eq!(
        d["verificationMethod"],
        json!([
            {"id": format!("{id}#controller"), "type": "EcdsaSecp256k1RecoveryMethod2020", "controller": id, "blockchainAccountId": env.account_id(identity)},
            {"id": format!("{id}#controllerKey"), "type": "EcdsaSecp256k1VerificationKey2019", "controller": id, "publicKeyHex": alloy_primitives::hex::encode(&compressed)},
        ])
    );
    assert_eq!(
        d["authentication"],
        json!([format!("{id}#controller"), format!("{id}#controllerKey")])
    );
    assert_eq!(
        d["assertionMethod"],
        json!([format!("{id}#controller"), format!("{id}#controllerKey")])
    );
    // Keys registered for the identity show under the key DID too.
    let (raw, ed) = ed25519();
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base64",
        &raw,
        YEAR,
    );
    let r = resolve(&resolver, &did);
    assert_eq!(assertion_keys(&r), vec![ed]);
    // Once the owner changed, the key no longer controls the DID.
    env.send(
        &owner,
        DIDRegistry::changeOwnerCall {
            identity,
            newOwner: fresh().address(),
        },
    );
    let d = doc_json(&resolve(&resolver, &did));
    assert!(!d.to_string().contains("#controllerKey"), "{d:#}");
}

fn invalid_dids_are_refused(env: &Env) {
    let resolver = env.resolver();
    let address = fresh().address().to_checksum(None);
    let chain = format!("0x{:x}", env.chain_id);
    let other = if env.chain_id == 1 { "0x2" } else { "0x1" };
    for did in [
        format!("did:ethr:{other}:{address}"),
        format!("did:ethr:mainnet:{address}"),
        format!("did:ethr:{address}"), // mainnet by default
        format!("did:ethr:{chain}:0x1234"),
        format!("did:ethr:{chain}:{}", &address[2..]),
        format!("did:ethr:{chain}:0x{}", "zz".repeat(20)),
        format!("did:ethr:{chain}:0x02{}", "00".repeat(32)), // 33 bytes, not on the curve
    ] {
        let did = Did::parse(&did).unwrap_or_else(|e| panic!("{did} parses: {e}"));
        match resolver.resolve(&did, &ResolutionOptions::default()) {
            Err(DidError::InvalidDid(_)) => {}
            other => panic!("{did:?}: expected InvalidDid, got {other:?}"),
        }
    }
    let did = Did::parse("did:web:example.com").expect("DID");
    assert!(matches!(
        resolver.resolve(&did, &ResolutionOptions::default()),
        Err(DidError::MethodNotSupported(_))
    ));
}

fn a_chain_that_is_down_is_unavailable(env: &Env) {
    let owner = fresh();
    let identity = owner.address();
    let did = env.did(identity);
    let (raw, _) = ed25519();
    let added = env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base64",
        &raw,
        YEAR,
    );
    let warm = env.resolver();
    resolve(&warm, &did);
    (env.stop)();
    let cold = env.resolver();
    let options = [
        ResolutionOptions::default(),
        ResolutionOptions {
            version_time: Some(Timestamp::from_unix(T0)),
            version_id: None,
        },
        ResolutionOptions {
            version_time: None,
            version_id: Some(added.to_string()),
        },
    ];
    for resolver in [&warm, &cold] {
        for o in &options {
            match resolver.resolve(&did, o) {
                Err(e) if e.is_unavailable() => assert!(matches!(e, DidError::Unavailable(_))),
                other => panic!("a chain that is down gives no document: {other:?}"),
            }
        }
    }
}

fn the_document_matches_ethr_did_resolver(env: &Env) {
    // Fixed keys, so the whole document is known in advance.
    let owner = Account::from_private_hex(&"11".repeat(32)).expect("key");
    let delegate = Account::from_private_hex(&"22".repeat(32))
        .expect("key")
        .address();
    let identity = owner.address();
    let ed = [
        0x3bu8, 0x6a, 0x27, 0xbc, 0xce, 0xb6, 0xa4, 0x2d, 0x62, 0xa3, 0xa8, 0xd0, 0x2a, 0x6f, 0x0d,
        0x73, 0x65, 0x32, 0x15, 0x77, 0x1d, 0xe2, 0x43, 0xa6, 0x3a, 0xc0, 0x48, 0xa1, 0x8b, 0x59,
        0xda, 0x29,
    ];
    env.set_attribute(
        &owner,
        identity,
        "did/pub/Ed25519/veriKey/base64",
        &ed,
        YEAR,
    );
    env.send(
        &owner,
        DIDRegistry::addDelegateCall {
            identity,
            delegateType: text_bytes32("veriKey").expect("short"),
            delegate,
            validity: U256::from(YEAR),
        },
    );
    env.set_attribute(
        &owner,
        identity,
        "did/svc/Verifier",
        b"https://verifier.example/api",
        YEAR,
    );
    let did = env.did(identity);
    let r = resolve(&env.resolver(), &did);
    let id = format!(
        "did:ethr:0x{:x}:{}",
        env.chain_id,
        identity.to_checksum(None)
    );
    assert_eq!(did.as_str(), id);
    // What ethr-did-resolver (v8–v10, the version whose @context these three
    // entries are) builds from the same three events.
    let expected = json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
            "https://w3id.org/security/v3-unstable"
        ],
        "id": id,
        "verificationMethod": [
            {
                "id": format!("{id}#controller"),
                "type": "EcdsaSecp256k1RecoveryMethod2020",
                "controller": id,
                "blockchainAccountId": format!("eip155:{}:{}", env.chain_id, identity.to_checksum(None))
            },
            {
                "id": format!("{id}#delegate-1"),
                "type": "Ed25519VerificationKey2018",
                "controller": id,
                "publicKeyBase64": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="
            },
            {
                "id": format!("{id}#delegate-2"),
                "type": "EcdsaSecp256k1RecoveryMethod2020",
                "controller": id,
                "blockchainAccountId": format!("eip155:{}:{}", env.chain_id, delegate.to_checksum(None))
            }
        ],
        "authentication": [format!("{id}#controller")],
        "assertionMethod": [format!("{id}#controller"), format!("{id}#delegate-1"), format!("{id}#delegate-2")],
        "service": [
            {"id": format!("{id}#service-1"), "type": "Verifier", "serviceEndpoint": "https://verifier.example/api"}
        ]
    });
    assert_eq!(doc_json(&r), expected);
    assert_eq!(
        serde_json::to_string(&doc_json(&r)).expect("text"),
        serde_json::to_string(&expected).expect("text"),
        "same member order too"
    );
    let result = r.to_resolution_result();
    assert_eq!(
        result["didResolutionMetadata"]["contentType"],
        "application/did+ld+json"
    );
    assert!(result["didDocumentMetadata"]["versionId"].is_string());
}

/// `ChainTrust` keeps "accredited at t" once t is in the chain's past (it can
/// no longer change), and asks again for everything else.
fn settled_accreditation_answers_are_kept(env: &Env) {
    use stele_core::verify::TrustSource as _;
    use stele_registry::trust::{ChainTrust, accredit, revoke};
    let issuer = "did:ethr:0x1:0x0000000000000000000000000000000000000001";
    let t = |block: u64| env.timestamp(block);
    let at = Timestamp::from_unix;
    let start = t(env.chain.block_number().expect("n"));
    let contract = env.deployment.accreditation;
    let from = u64::try_from(start - 10).expect("t");
    let until = u64::try_from(start).expect("t") + 10 * YEAR;
    let block = accredit(
        &*env.chain,
        contract,
        &env.deployer,
        issuer,
        "T",
        from,
        until,
    )
    .expect("accredit")
    .block_number;
    let trust = ChainTrust::new(env.chain.clone(), contract);
    // An issuance time in the chain's past: asked once, then kept.
    let past = t(block) - 5;
    env.counting.reset();
    assert!(trust.is_accredited(issuer, "T", at(past)).expect("answer"));
    assert!(trust.is_accredited(issuer, "T", at(past)).expect("answer"));
    assert_eq!(env.counting.counts(), (1, 0), "a settled answer is kept");
    // Not accredited (another type) is asked every time.
    env.counting.reset();
    assert!(!trust.is_accredited(issuer, "U", at(past)).expect("answer"));
    assert!(!trust.is_accredited(issuer, "U", at(past)).expect("answer"));
    assert_eq!(env.counting.counts(), (2, 0));
    // An issuance time not yet in the chain's past is asked every time, so a
    // withdrawal is seen at once.
    env.advance(100);
    let later = t(env.mine());
    let future = later + 50;
    env.counting.reset();
    assert!(
        trust
            .is_accredited(issuer, "T", at(future))
            .expect("answer")
    );
    assert!(
        trust
            .is_accredited(issuer, "T", at(future))
            .expect("answer")
    );
    assert_eq!(
        env.counting.counts(),
        (2, 0),
        "an unsettled answer is asked again"
    );
    env.advance(100);
    let revoked_in = revoke(&*env.chain, contract, &env.deployer, issuer, "T")
        .expect("revoke")
        .block_number;
    assert!(t(revoked_in) > future);
    // Withdrawn: from its block time on, not accredited; times before the
    // withdrawal (settled or not) stay accredited.
    assert!(
        !trust
            .is_accredited(issuer, "T", at(t(revoked_in) + 1))
            .expect("answer")
    );
    assert!(trust.is_accredited(issuer, "T", at(past)).expect("answer"));
    assert!(
        trust
            .is_accredited(issuer, "T", at(future))
            .expect("answer")
    );
}
