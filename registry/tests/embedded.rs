//! The embedded chain: execution, persistence, crash safety and damage.
//!
//! Transactions are signed here with alloy-consensus + k256 (no `Account`
//! dependency), so these tests exercise the chain exactly as a node would be.

// Helpers outside `#[test]` fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use alloy_sol_types::{SolCall, SolEvent};
use k256::ecdsa::SigningKey;
use stele_core::time::{Clock, FixedClock, Timestamp};
use stele_registry::contracts::{DIDRegistry, bytecode};
use stele_registry::embedded::{CHAIN_FILE, DEFAULT_CHAIN_ID};
use stele_registry::{
    BlockRef, Chain, ChainError, EmbeddedChain, EmbeddedConfig, LogFilter, Receipt, TxRequest,
};

const CHAIN_ID: u64 = 4242;
const T0: i64 = 1_800_000_000;

// ---------------------------------------------------------------- helpers

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "stele-embedded-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A clock the test moves by hand.
struct ManualClock(AtomicI64);

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.0.load(Ordering::SeqCst))
    }
}

fn config() -> EmbeddedConfig {
    EmbeddedConfig {
        chain_id: CHAIN_ID,
        clock: Arc::new(FixedClock(Timestamp::from_unix(T0))),
    }
}

fn open(dir: &Path) -> EmbeddedChain {
    EmbeddedChain::open(dir, config()).unwrap()
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn address(key: &SigningKey) -> Address {
    Address::from_public_key(key.verifying_key())
}

fn signature(key: &SigningKey, hash: B256) -> Signature {
    let (sig, recid) = key.sign_prehash_recoverable(hash.as_slice()).unwrap();
    Signature::from((sig, recid))
}

fn legacy(chain_id: Option<u64>, nonce: u64, to: TxKind, input: Bytes) -> TxLegacy {
    TxLegacy {
        chain_id,
        nonce,
        gas_price: 0,
        gas_limit: 5_000_000,
        to,
        value: U256::ZERO,
        input,
    }
}

fn sign_legacy(key: &SigningKey, tx: TxLegacy) -> Vec<u8> {
    let sig = signature(key, tx.signature_hash());
    TxEnvelope::Legacy(tx.into_signed(sig)).encoded_2718()
}

/// A signer that tracks its nonce from the chain.
struct Sender<'a> {
    chain: &'a dyn Chain,
    key: SigningKey,
}

impl Sender<'_> {
    fn raw(&self, to: TxKind, data: Vec<u8>) -> Vec<u8> {
        let nonce = self.chain.nonce(address(&self.key)).unwrap();
        sign_legacy(&self.key, legacy(Some(CHAIN_ID), nonce, to, data.into()))
    }
    fn send(&self, to: TxKind, data: Vec<u8>) -> Receipt {
        self.chain
            .send_raw_transaction(&self.raw(to, data))
            .unwrap()
    }
    fn deploy_registry(&self) -> Address {
        let r = self.send(TxKind::Create, bytecode::did_registry().to_vec());
        assert!(r.success);
        r.contract_address.unwrap()
    }
}

fn set_attribute(identity: Address, name: &str, value: &[u8]) -> Vec<u8> {
    DIDRegistry::setAttributeCall {
        identity,
        name: B256::right_padding_from(name.as_bytes()),
        value: Bytes::copy_from_slice(value),
        validity: U256::from(86_400),
    }
    .abi_encode()
}

fn owner_of(chain: &dyn Chain, registry: Address, identity: Address, at: BlockRef) -> Address {
    let out = chain
        .call(
            registry,
            &DIDRegistry::identityOwnerCall { identity }.abi_encode(),
            at,
        )
        .unwrap();
    DIDRegistry::identityOwnerCall::abi_decode_returns(&out).unwrap()
}

fn changed(chain: &dyn Chain, registry: Address, identity: Address, at: BlockRef) -> U256 {
    let out = chain
        .call(
            registry,
            &DIDRegistry::changedCall(identity).abi_encode(),
            at,
        )
        .unwrap();
    DIDRegistry::changedCall::abi_decode_returns(&out).unwrap()
}

fn all_logs(chain: &dyn Chain, registry: Address) -> Vec<stele_registry::Log> {
    chain
        .logs(&LogFilter {
            address: registry,
            from_block: 0,
            to_block: None,
            topics: vec![],
        })
        .unwrap()
}

// ---------------------------------------------------------------- execution

#[test]
fn genesis_and_basics() {
    let dir = TempDir::new("genesis");
    let chain = open(dir.path());
    assert_eq!(chain.chain_id().unwrap(), CHAIN_ID);
    assert_eq!(chain.block_number().unwrap(), 0);
    assert_eq!(chain.block_timestamp(0).unwrap(), T0 as u64);
    assert_eq!(chain.block_timestamp(1), Err(ChainError::NoSuchBlock(1)));
    assert_eq!(chain.gas_price().unwrap(), 0);
    assert_eq!(chain.nonce(Address::repeat_byte(1)).unwrap(), 0);
    assert!(chain.code(Address::repeat_byte(1)).unwrap().is_empty());
    assert_eq!(
        chain.call(Address::repeat_byte(1), &[], BlockRef::Number(5)),
        Err(ChainError::NoSuchBlock(5))
    );
    assert_eq!(EmbeddedConfig::default().chain_id, DEFAULT_CHAIN_ID);
}

#[test]
fn did_registry_set_attribute_change_owner_read_back() {
    let dir = TempDir::new("did");
    let chain = open(dir.path());
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let registry = alice.deploy_registry();
    assert_eq!(chain.block_number().unwrap(), 1);
    assert_eq!(chain.nonce(address(&alice.key)).unwrap(), 1);
    assert!(chain.code(registry).unwrap().len() > 100);

    let me = address(&alice.key);
    let r = alice.send(
        TxKind::Call(registry),
        set_attribute(me, "did/svc/Hub", b"https://x"),
    );
    assert!(r.success);
    assert_eq!(r.block_number, 2);
    assert!(r.gas_used > 21_000);
    assert_eq!(r.logs.len(), 1);
    let ev = DIDRegistry::DIDAttributeChanged::decode_raw_log(
        r.logs[0].topics.iter().copied(),
        &r.logs[0].data,
    )
    .unwrap();
    assert_eq!(ev.identity, me);
    assert_eq!(ev.value.as_ref(), b"https://x");
    assert_eq!(ev.previousChange, U256::ZERO);
    assert_eq!(
        changed(&chain, registry, me, BlockRef::Latest),
        U256::from(2)
    );

    let bob = address(&key(2));
    let r = alice.send(
        TxKind::Call(registry),
        DIDRegistry::changeOwnerCall {
            identity: me,
            newOwner: bob,
        }
        .abi_encode(),
    );
    assert!(r.success);
    assert_eq!(owner_of(&chain, registry, me, BlockRef::Latest), bob);
    // A past block still answers the old owner.
    assert_eq!(owner_of(&chain, registry, me, BlockRef::Number(2)), me);
    assert_eq!(owner_of(&chain, registry, me, BlockRef::Number(3)), bob);

    let logs = all_logs(&chain, registry);
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].block_number, 2);
    assert_eq!(logs[1].block_number, 3);
    assert_eq!(
        logs[1].topics[0],
        DIDRegistry::DIDOwnerChanged::SIGNATURE_HASH
    );
    assert_eq!(logs[1].transaction_hash, r.transaction_hash);
    assert_eq!(logs[1], r.logs[0]);
}

#[test]
fn log_filters_honour_address_range_and_topics() {
    let dir = TempDir::new("logs");
    let chain = open(dir.path());
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let registry = alice.deploy_registry();
    let other = alice.deploy_registry();
    let me = address(&alice.key);
    for i in 0..4u8 {
        alice.send(TxKind::Call(registry), set_attribute(me, "did/svc/A", &[i]));
    }
    alice.send(TxKind::Call(other), set_attribute(me, "did/svc/A", b"o"));
    alice.send(
        TxKind::Call(registry),
        DIDRegistry::changeOwnerCall {
            identity: me,
            newOwner: me,
        }
        .abi_encode(),
    );
    // Blocks: 1,2 deployments; 3..=6 attributes; 7 other; 8 owner.
    let f = |from, to, topics| LogFilter {
        address: registry,
        from_block: from,
        to_block: to,
        topics,
    };
    let blocks =
        |logs: Vec<stele_registry::Log>| logs.iter().map(|l| l.block_number).collect::<Vec<_>>();
    assert_eq!(
        blocks(chain.logs(&f(0, None, vec![])).unwrap()),
        vec![3, 4, 5, 6, 8]
    );
    assert_eq!(
        blocks(chain.logs(&f(4, Some(5), vec![])).unwrap()),
        vec![4, 5]
    );
    assert_eq!(
        blocks(chain.logs(&f(7, Some(100), vec![])).unwrap()),
        vec![8]
    );
    assert_eq!(
        blocks(chain.logs(&f(9, None, vec![])).unwrap()),
        Vec::<u64>::new()
    );
    assert_eq!(
        blocks(chain.logs(&f(5, Some(4), vec![])).unwrap()),
        Vec::<u64>::new()
    );
    let attr = DIDRegistry::DIDAttributeChanged::SIGNATURE_HASH;
    let owner = DIDRegistry::DIDOwnerChanged::SIGNATURE_HASH;
    assert_eq!(
        blocks(chain.logs(&f(0, None, vec![Some(attr)])).unwrap()),
        vec![3, 4, 5, 6]
    );
    assert_eq!(
        blocks(chain.logs(&f(0, None, vec![Some(owner)])).unwrap()),
        vec![8]
    );
    let me_topic = B256::left_padding_from(me.as_slice());
    assert_eq!(
        blocks(chain.logs(&f(0, None, vec![None, Some(me_topic)])).unwrap()),
        vec![3, 4, 5, 6, 8]
    );
    assert_eq!(
        blocks(
            chain
                .logs(&f(0, None, vec![Some(attr), Some(B256::repeat_byte(7))]))
                .unwrap()
        ),
        Vec::<u64>::new()
    );
    // A position past the log's topics with a required value matches nothing.
    assert!(
        chain
            .logs(&f(0, None, vec![Some(attr), None, None, None, Some(attr)]))
            .unwrap()
            .is_empty()
    );
    let o = LogFilter {
        address: other,
        from_block: 0,
        to_block: None,
        topics: vec![],
    };
    assert_eq!(blocks(chain.logs(&o).unwrap()), vec![7]);
    // Log indexes within a block.
    assert!(
        chain
            .logs(&f(0, None, vec![]))
            .unwrap()
            .iter()
            .all(|l| l.log_index == 0)
    );
}

#[test]
fn reverted_transaction_is_mined_and_changes_nothing() {
    let dir = TempDir::new("revert");
    let chain = open(dir.path());
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let mallory = Sender {
        chain: &chain,
        key: key(3),
    };
    let registry = alice.deploy_registry();
    let me = address(&alice.key);
    alice.send(TxKind::Call(registry), set_attribute(me, "did/svc/A", b"1"));
    let before = (
        changed(&chain, registry, me, BlockRef::Latest),
        all_logs(&chain, registry),
    );

    // Mallory is not the owner: the registry reverts with "bad_actor".
    let data = DIDRegistry::changeOwnerCall {
        identity: me,
        newOwner: address(&mallory.key),
    }
    .abi_encode();
    assert_eq!(
        chain.call(registry, &data, BlockRef::Latest),
        Err(ChainError::Reverted {
            reason: "bad_actor".into()
        })
    );
    assert_eq!(
        chain.estimate_gas(
            address(&mallory.key),
            &TxRequest {
                to: Some(registry),
                data: data.clone().into(),
                gas: None
            }
        ),
        Err(ChainError::Reverted {
            reason: "bad_actor".into()
        })
    );
    let r = mallory.send(TxKind::Call(registry), data);
    assert!(!r.success);
    assert!(r.logs.is_empty());
    assert_eq!(r.block_number, 3);
    assert_eq!(chain.block_number().unwrap(), 3);
    // Like a node: the nonce advances, the state does not change.
    assert_eq!(chain.nonce(address(&mallory.key)).unwrap(), 1);
    assert_eq!(owner_of(&chain, registry, me, BlockRef::Latest), me);
    assert_eq!(
        (
            changed(&chain, registry, me, BlockRef::Latest),
            all_logs(&chain, registry)
        ),
        before
    );

    // A deployment that reverts creates nothing.
    let r = mallory.send(TxKind::Create, vec![0x60, 0x00, 0x80, 0xfd]); // PUSH1 0 DUP1 REVERT
    assert!(!r.success);
    assert_eq!(r.contract_address, None);
}

#[test]
fn invalid_transactions_are_rejected_and_not_mined() {
    let dir = TempDir::new("reject");
    let chain = open(dir.path());
    let k = key(1);
    let create =
        |chain_id, nonce| legacy(chain_id, nonce, TxKind::Create, bytecode::audit_anchors());
    let rejected = |raw: &[u8]| match chain.send_raw_transaction(raw) {
        Err(ChainError::Rejected(why)) => why,
        other => panic!("expected Rejected, got {other:?}"),
    };
    assert!(rejected(&sign_legacy(&k, create(Some(1), 0))).contains("chain id"));
    assert!(rejected(&sign_legacy(&k, create(None, 0))).contains("chain id"));
    assert!(rejected(&sign_legacy(&k, create(Some(CHAIN_ID), 1))).contains("nonce too high"));
    assert!(rejected(b"\x02garbage").contains("malformed"));
    assert!(rejected(&[]).contains("malformed"));
    // A signature that recovers to no key (r = s = 0... here s = 0).
    let tx = create(Some(CHAIN_ID), 0);
    let bad = Signature::new(U256::from(1), U256::ZERO, false);
    assert!(
        rejected(&TxEnvelope::Legacy(tx.clone().into_signed(bad)).encoded_2718())
            .contains("signature")
    );
    // A high-s signature (EIP-2) is refused too.
    let good = signature(&k, tx.signature_hash());
    let n = U256::from_be_slice(&hex_n());
    let high = Signature::new(good.r(), n - good.s(), !good.v());
    assert!(
        rejected(&TxEnvelope::Legacy(tx.clone().into_signed(high)).encoded_2718())
            .contains("signature")
    );
    // A non-zero gas price cannot be paid: there are no balances.
    let mut priced = create(Some(CHAIN_ID), 0);
    priced.gas_price = 1;
    assert!(rejected(&sign_legacy(&k, priced)).contains("insufficient funds"));
    // A gas limit below the intrinsic cost.
    let mut starved = create(Some(CHAIN_ID), 0);
    starved.gas_limit = 20_000;
    rejected(&sign_legacy(&k, starved));
    assert_eq!(chain.block_number().unwrap(), 0);

    // The valid one goes through, and replaying it is a nonce error.
    let raw = sign_legacy(&k, tx);
    assert!(chain.send_raw_transaction(&raw).unwrap().success);
    assert!(rejected(&raw).contains("nonce too low"));
    assert_eq!(chain.block_number().unwrap(), 1);
}

/// The order of secp256k1.
fn hex_n() -> Vec<u8> {
    alloy_primitives::hex::decode(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
    )
    .unwrap()
}

#[test]
fn eip1559_transactions_are_accepted() {
    let dir = TempDir::new("1559");
    let chain = open(dir.path());
    let k = key(5);
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 3_000_000,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to: TxKind::Create,
        value: U256::ZERO,
        access_list: Default::default(),
        input: bytecode::did_registry(),
    };
    let sig = signature(&k, tx.signature_hash());
    let raw = TxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718();
    let r = chain.send_raw_transaction(&raw).unwrap();
    assert!(r.success);
    assert_eq!(r.contract_address, Some(address(&k).create(0)));
}

#[test]
fn estimate_gas_suffices_and_commits_nothing() {
    let dir = TempDir::new("estimate");
    let chain = open(dir.path());
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let me = address(&alice.key);
    let deploy = TxRequest {
        to: None,
        data: bytecode::did_registry(),
        gas: None,
    };
    let gas = chain.estimate_gas(me, &deploy).unwrap();
    assert_eq!(chain.block_number().unwrap(), 0);
    assert_eq!(chain.nonce(me).unwrap(), 0);
    // Exactly the estimate is enough.
    let tx = TxLegacy {
        gas_limit: gas,
        ..legacy(Some(CHAIN_ID), 0, TxKind::Create, deploy.data.clone())
    };
    let r = chain
        .send_raw_transaction(&sign_legacy(&alice.key, tx))
        .unwrap();
    assert!(r.success);
    let registry = r.contract_address.unwrap();
    let data: Bytes = set_attribute(me, "did/pub/Ed25519/veriKey/hex", &[7; 32]).into();
    let gas = chain
        .estimate_gas(
            me,
            &TxRequest {
                to: Some(registry),
                data: data.clone(),
                gas: None,
            },
        )
        .unwrap();
    let tx = TxLegacy {
        gas_limit: gas,
        ..legacy(Some(CHAIN_ID), 1, TxKind::Call(registry), data)
    };
    assert!(
        chain
            .send_raw_transaction(&sign_legacy(&alice.key, tx))
            .unwrap()
            .success
    );
}

#[test]
fn timestamps_come_from_the_clock_and_never_go_back() {
    let dir = TempDir::new("clock");
    let clock = Arc::new(ManualClock(AtomicI64::new(T0)));
    let chain = EmbeddedChain::open(
        dir.path(),
        EmbeddedConfig {
            chain_id: CHAIN_ID,
            clock: clock.clone(),
        },
    )
    .unwrap();
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let registry = alice.deploy_registry();
    let me = address(&alice.key);
    clock.0.store(T0 + 100, Ordering::SeqCst);
    alice.send(TxKind::Call(registry), set_attribute(me, "a", b"1"));
    clock.0.store(T0 + 50, Ordering::SeqCst); // the clock steps back
    alice.send(TxKind::Call(registry), set_attribute(me, "a", b"2"));
    let ts: Vec<u64> = (0..=3).map(|n| chain.block_timestamp(n).unwrap()).collect();
    assert_eq!(
        ts,
        vec![T0 as u64, T0 as u64, T0 as u64 + 100, T0 as u64 + 100]
    );
    // The TIMESTAMP opcode sees the block's time: the attribute validity
    // is counted from it.
    let logs = all_logs(&chain, registry);
    let ev = DIDRegistry::DIDAttributeChanged::decode_raw_log(
        logs[0].topics.iter().copied(),
        &logs[0].data,
    )
    .unwrap();
    assert_eq!(ev.validTo, U256::from(T0 as u64 + 100 + 86_400));
}

#[test]
fn concurrent_readers_and_writers() {
    let dir = TempDir::new("threads");
    let chain = Arc::new(open(dir.path()));
    let registry = Sender {
        chain: chain.as_ref(),
        key: key(1),
    }
    .deploy_registry();
    std::thread::scope(|s| {
        for seed in 10..14u8 {
            let chain = chain.clone();
            s.spawn(move || {
                let k = key(seed);
                let me = address(&k);
                let sender = Sender {
                    chain: chain.as_ref(),
                    key: k,
                };
                for i in 0..5u8 {
                    assert!(
                        sender
                            .send(TxKind::Call(registry), set_attribute(me, "x", &[i]))
                            .success
                    );
                    let _ = chain.logs(&LogFilter {
                        address: registry,
                        from_block: 0,
                        to_block: None,
                        topics: vec![],
                    });
                }
            });
        }
    });
    assert_eq!(chain.block_number().unwrap(), 21);
    assert_eq!(all_logs(chain.as_ref(), registry).len(), 20);
}

// ---------------------------------------------------------------- persistence

#[test]
fn restart_keeps_blocks_state_and_logs() {
    let dir = TempDir::new("restart");
    let (registry, me, logs, ts) = {
        let chain = open(dir.path());
        let alice = Sender {
            chain: &chain,
            key: key(1),
        };
        let registry = alice.deploy_registry();
        let me = address(&alice.key);
        alice.send(TxKind::Call(registry), set_attribute(me, "did/svc/A", b"x"));
        alice.send(
            TxKind::Call(registry),
            DIDRegistry::changeOwnerCall {
                identity: me,
                newOwner: Address::repeat_byte(9),
            }
            .abi_encode(),
        );
        let ts: Vec<u64> = (0..=3).map(|n| chain.block_timestamp(n).unwrap()).collect();
        (registry, me, all_logs(&chain, registry), ts)
    };
    // Reopen with a clock that has moved on: history keeps its timestamps.
    let later = EmbeddedConfig {
        chain_id: CHAIN_ID,
        clock: Arc::new(FixedClock(Timestamp::from_unix(T0 + 999))),
    };
    let chain = EmbeddedChain::open(dir.path(), later).unwrap();
    assert_eq!(chain.block_number().unwrap(), 3);
    assert_eq!(
        (0..=3)
            .map(|n| chain.block_timestamp(n).unwrap())
            .collect::<Vec<_>>(),
        ts
    );
    assert_eq!(all_logs(&chain, registry), logs);
    assert_eq!(
        owner_of(&chain, registry, me, BlockRef::Latest),
        Address::repeat_byte(9)
    );
    assert_eq!(owner_of(&chain, registry, me, BlockRef::Number(2)), me);
    assert_eq!(chain.nonce(me).unwrap(), 3);
    // And it goes on from there.
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let r = alice.send(TxKind::Call(registry), set_attribute(me, "b", b"y"));
    assert!(!r.success); // alice no longer owns `me`
    assert_eq!(r.block_number, 4);
    assert_eq!(chain.block_timestamp(4).unwrap(), T0 as u64 + 999);
}

#[test]
fn another_chain_id_is_refused() {
    let dir = TempDir::new("chainid");
    drop(open(dir.path()));
    let other = EmbeddedConfig {
        chain_id: CHAIN_ID + 1,
        ..config()
    };
    match EmbeddedChain::open(dir.path(), other) {
        Err(ChainError::Storage(why)) => assert!(why.contains("chain id"), "{why}"),
        other => panic!("expected Storage, got {other:?}"),
    }
}

#[test]
fn a_second_open_fails_cleanly() {
    let dir = TempDir::new("lock");
    let chain = open(dir.path());
    match EmbeddedChain::open(dir.path(), config()) {
        Err(ChainError::Storage(why)) => assert!(why.contains("already open"), "{why}"),
        other => panic!("expected Storage, got {other:?}"),
    }
    assert_eq!(chain.block_number().unwrap(), 0);
    drop(chain);
    open(dir.path());
}

/// Builds a small chain in `dir` and returns what a correct reopen must show.
fn build_small_chain(dir: &Path) -> (Address, u64, Vec<stele_registry::Log>) {
    let chain = open(dir);
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let registry = alice.deploy_registry();
    let me = address(&alice.key);
    for i in 0..5u8 {
        alice.send(
            TxKind::Call(registry),
            set_attribute(me, "did/svc/A", &[i; 40]),
        );
    }
    (
        registry,
        chain.block_number().unwrap(),
        all_logs(&chain, registry),
    )
}

/// Opening a damaged copy must give `Storage`, or (if the damage hit bytes
/// redb does not use) exactly the original chain; never a panic or other state.
fn check_damaged(dir: &Path, expect: &(Address, u64, Vec<stele_registry::Log>)) -> bool {
    match EmbeddedChain::open(dir, config()) {
        Err(ChainError::Storage(_)) => true,
        Err(other) => panic!("damage gave {other:?}, not Storage"),
        Ok(chain) => {
            assert_eq!(chain.block_number().unwrap(), expect.1);
            assert_eq!(all_logs(&chain, expect.0), expect.2);
            false
        }
    }
}

#[test]
fn a_damaged_file_is_a_storage_error() {
    let dir = TempDir::new("damage");
    let expect = build_small_chain(dir.path());
    let file = dir.path().join(CHAIN_FILE);
    let pristine = std::fs::read(&file).unwrap();

    // Truncation. An empty file is what a crash before the genesis commit
    // leaves: it holds no block, so it starts a new chain.
    std::fs::write(&file, []).unwrap();
    assert_eq!(open(dir.path()).block_number().unwrap(), 0);
    for len in [100, 4096, pristine.len() / 2, pristine.len() - 1] {
        std::fs::write(&file, &pristine[..len]).unwrap();
        assert!(
            check_damaged(dir.path(), &expect),
            "truncation to {len} not detected"
        );
    }

    // A flipped byte inside a stored transaction: caught by the record checksum.
    let needle = &expect.2[4].data[..];
    let at = pristine
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("log data is stored verbatim in the record");
    let mut bad = pristine.clone();
    bad[at + needle.len() / 2] ^= 0x01;
    std::fs::write(&file, &bad).unwrap();
    assert!(
        check_damaged(dir.path(), &expect),
        "flipped record byte not detected"
    );

    // Flips spread over the whole file: typed error or the intact chain.
    let step = (pristine.len() / 64).max(1);
    let mut detected = 0;
    for at in (0..pristine.len()).step_by(step) {
        let mut bad = pristine.clone();
        bad[at] ^= 0xff;
        std::fs::write(&file, &bad).unwrap();
        detected += usize::from(check_damaged(dir.path(), &expect));
    }
    assert!(detected > 0, "no flip anywhere in the file was detected");

    // Restored, it opens again.
    std::fs::write(&file, &pristine).unwrap();
    assert!(!check_damaged(dir.path(), &expect));
}

// ---------------------------------------------------------------- kill -9

const CHILD_ENV: &str = "STELE_EMBEDDED_KILL_CHILD_DIR";

/// Child mode (when `CHILD_ENV` is set): mines blocks until killed, printing
/// `BLOCK <n>` after each receipt. Parent mode: runs that child, SIGKILLs it
/// mid-stream, and checks every printed block survived with its state.
#[test]
fn kill_9_mid_write_loses_no_committed_block() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        return kill_child(Path::new(&dir));
    }
    let dir = TempDir::new("kill9");
    let (registry, identity) = {
        let chain = open(dir.path());
        let alice = Sender {
            chain: &chain,
            key: key(1),
        };
        (alice.deploy_registry(), address(&alice.key))
    };
    let mut last_seen = 0;
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "kill_9_mid_write_loses_no_committed_block",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut printed = Vec::new();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while printed.len() < 15 + 10 * round {
            let line = lines.next().expect("child exited early").unwrap();
            if let Some(n) = line.strip_prefix("BLOCK ") {
                printed.push(n.trim().parse::<u64>().unwrap());
            }
        }
        // While it runs, the directory is locked against a second process.
        match EmbeddedChain::open(dir.path(), config()) {
            Err(ChainError::Storage(why)) => assert!(why.contains("already open"), "{why}"),
            other => panic!("expected the lock to refuse a second open, got {other:?}"),
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let chain = open(dir.path());
        let latest = chain.block_number().unwrap();
        let top = *printed.last().unwrap();
        assert!(
            latest >= top,
            "round {round}: block {top} was printed but the chain ends at {latest}"
        );
        assert!(printed.windows(2).all(|w| w[1] == w[0] + 1));
        assert!(printed[0] > last_seen);
        // Every block (printed or committed unseen) holds its state: the
        // registry's `changed` is the block of the identity's last change.
        for n in 2..=latest {
            assert_eq!(
                changed(&chain, registry, identity, BlockRef::Number(n)),
                U256::from(n),
                "block {n}"
            );
        }
        let logs = all_logs(&chain, registry);
        assert_eq!(logs.len() as u64, latest - 1);
        assert!(logs.iter().zip(2..).all(|(l, n)| l.block_number == n));
        last_seen = latest;
    }
}

fn kill_child(dir: &Path) {
    use std::io::Write;
    let chain = open(dir);
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let registry = address(&alice.key).create(0);
    assert!(
        !chain.code(registry).unwrap().is_empty(),
        "the parent deploys the registry first"
    );
    let me = address(&alice.key);
    let mut out = std::io::stdout().lock();
    for i in 0..100_000u32 {
        let r = alice.send(
            TxKind::Call(registry),
            set_attribute(me, "did/svc/A", &i.to_be_bytes()),
        );
        assert!(r.success);
        writeln!(out, "BLOCK {}", r.block_number).unwrap();
        out.flush().unwrap();
    }
}

// ---------------------------------------------------------------- supply chain

/// The embedded chain stays pure Rust: no C-backed crypto or TLS crates in the
/// registry's normal dependency tree (revm is built without `c-kzg`, `blst`,
/// `secp256k1`; ecrecover uses k256).
#[test]
fn no_c_crates_in_the_registry() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "stele-registry",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("revm v43"), "revm missing from the tree");
    for c in [
        "c-kzg",
        "secp256k1-sys",
        "blst",
        "aws-lc",
        "openssl",
        "gmp-mpfr",
    ] {
        // `openssl-probe` (pure Rust: it only looks for CA files, pulled in
        // by reqwest's rustls-platform-verifier) is not OpenSSL.
        assert!(
            !tree
                .lines()
                .any(|l| l.starts_with(c) && !l.starts_with("openssl-probe ")),
            "{c} is in the registry's dependency tree"
        );
    }
}

// ---------------------------------------------------------------- timings

/// Prints mining and reopen (replay) rates; `cargo test -p stele-registry
/// --test embedded -- --ignored --nocapture timings`. Figures in ADR 0015.
#[test]
#[ignore = "timing report, not a check"]
fn timings() {
    let dir = TempDir::new("timings");
    let n = 500u32;
    let (registry, me) = {
        let chain = open(dir.path());
        let alice = Sender {
            chain: &chain,
            key: key(1),
        };
        let registry = alice.deploy_registry();
        let me = address(&alice.key);
        let start = std::time::Instant::now();
        for i in 0..n {
            alice.send(
                TxKind::Call(registry),
                set_attribute(me, "did/svc/A", &i.to_be_bytes()),
            );
        }
        let mined = start.elapsed();
        let start = std::time::Instant::now();
        for _ in 0..n {
            changed(&chain, registry, me, BlockRef::Latest);
        }
        println!(
            "mine {n} blocks: {mined:?}; {n} latest calls: {:?}",
            start.elapsed()
        );
        (registry, me)
    };
    let start = std::time::Instant::now();
    let chain = open(dir.path());
    println!(
        "reopen (replay {} blocks): {:?}",
        chain.block_number().unwrap(),
        start.elapsed()
    );
    let start = std::time::Instant::now();
    for b in 2..(2 + u64::from(n)) {
        assert_eq!(
            changed(&chain, registry, me, BlockRef::Number(b)),
            U256::from(b)
        );
    }
    println!("{n} past-block calls: {:?}", start.elapsed());
    println!(
        "file size: {} bytes",
        std::fs::metadata(dir.path().join(CHAIN_FILE))
            .unwrap()
            .len()
    );
}

// ---------------------------------------------------------------- stored format

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/embedded-v1/chain.redb"
);

/// Writes the format fixture: `STELE_WRITE_FIXTURE=1 cargo test -p stele-registry
/// --test embedded -- --ignored write_format_fixture`. Regenerate only with a
/// format change, keeping the old fixture loadable.
#[test]
#[ignore = "writes the committed fixture"]
fn write_format_fixture() {
    if std::env::var_os("STELE_WRITE_FIXTURE").is_none() {
        return;
    }
    let dir = Path::new(FIXTURE).parent().unwrap();
    let _ = std::fs::remove_dir_all(dir);
    let chain = open(dir);
    let alice = Sender {
        chain: &chain,
        key: key(1),
    };
    let registry = alice.deploy_registry();
    let me = address(&alice.key);
    alice.send(
        TxKind::Call(registry),
        set_attribute(me, "did/svc/Hub", b"https://example.invalid"),
    );
    let bob = address(&key(2));
    alice.send(
        TxKind::Call(registry),
        DIDRegistry::changeOwnerCall {
            identity: me,
            newOwner: bob,
        }
        .abi_encode(),
    );
}

/// A chain written by format version 1 still opens, replays and answers.
#[test]
fn format_v1_fixture_still_loads() {
    let dir = TempDir::new("fixture");
    std::fs::copy(FIXTURE, dir.path().join(CHAIN_FILE)).unwrap();
    let chain = open(dir.path());
    assert_eq!(chain.block_number().unwrap(), 3);
    assert_eq!(chain.block_timestamp(3).unwrap(), T0 as u64);
    let me = address(&key(1));
    let registry = me.create(0);
    assert_eq!(
        owner_of(&chain, registry, me, BlockRef::Latest),
        address(&key(2))
    );
    assert_eq!(owner_of(&chain, registry, me, BlockRef::Number(2)), me);
    let logs = all_logs(&chain, registry);
    assert_eq!(
        logs.iter().map(|l| l.block_number).collect::<Vec<_>>(),
        vec![2, 3]
    );
}
