//! The conformance suite every [`Chain`] backend passes (JSON-RPC against
//! Anvil, and the embedded chain): one function per behaviour, instantiated
//! per backend by [`chain_conformance!`].
//!
//! A test crate declares `mod conformance;` at its root and invokes
//! `conformance::chain_conformance!(name, { /* an expression giving a Backend */ });`.
//! The expression runs once per test, so each test gets a fresh chain.
//!
//! The suite assumes what both backends provide: a gas price of 0 is
//! accepted, each transaction is mined into its own new block, and block
//! timestamps never decrease.

use std::any::Any;
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use stele_registry::account::{Account, add_delegate_digest, change_owner_digest};
use stele_registry::contracts::{
    self, Accreditation, AuditAnchors, DIDRegistry, Deployment, StatusLists,
};
use stele_registry::{BlockRef, Chain, ChainError, LogFilter, Receipt, TxRequest};

/// What a backend hands the suite: the chain, a funded account, and whatever
/// must live as long as the chain (a node process, a temporary directory).
pub struct Backend {
    /// The chain under test.
    pub chain: Arc<dyn Chain>,
    /// An account that can pay for transactions on it.
    pub account: Account,
    /// Dropped last: stops the node or removes its files.
    pub _guard: Box<dyn Any>,
}

/// Instantiates the suite for one backend: `chain_conformance!(name, make)`,
/// where `make` is an expression of type [`Backend`].
macro_rules! chain_conformance {
    ($backend:ident, $make:expr) => {
        $crate::conformance::chain_conformance!(@tests $backend, $make, [
            chain_id_is_stable,
            blocks_advance_with_non_decreasing_timestamps,
            deploy_puts_code_at_every_address,
            call_without_code_is_empty,
            identity_owner_defaults_to_self_and_changes,
            attribute_changes_link_to_the_previous_change,
            revoke_attribute_gives_valid_to_zero,
            delegates_are_valid_until_their_validity,
            change_owner_signed_by_the_owner,
            a_non_owner_cannot_change_the_owner,
            accreditation_holds_inside_its_window_and_until_revoked,
            a_non_governor_cannot_accredit,
            status_lists_publication_rules,
            audit_anchors_chain_their_blocks,
            log_filters_honour_blocks_and_topics
        ]);
    };
    (@tests $backend:ident, $make:expr, [$($test:ident),* $(,)?]) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;

            fn make() -> $crate::conformance::Backend {
                $make
            }

            $(
                #[test]
                fn $test() {
                    $crate::conformance::$test(&make());
                }
            )*
        }
    };
}
pub(crate) use chain_conformance;

// ---- helpers ---------------------------------------------------------------

fn fresh() -> Account {
    Account::generate(&mut rand_core::OsRng)
}

fn request(to: Address, call: &impl SolCall, gas: Option<u64>) -> TxRequest {
    TxRequest {
        to: Some(to),
        data: call.abi_encode().into(),
        gas,
    }
}

fn try_send<C: SolCall>(b: &Backend, to: Address, call: &C) -> Result<Receipt, ChainError> {
    b.account.send(&*b.chain, &request(to, call, None))
}

fn send<C: SolCall>(b: &Backend, to: Address, call: &C) -> Receipt {
    let receipt =
        try_send(b, to, call).unwrap_or_else(|e| panic!("{} should succeed: {e}", C::SIGNATURE));
    assert!(receipt.success);
    receipt
}

fn view_at<C: SolCall>(b: &Backend, to: Address, call: &C, block: BlockRef) -> C::Return {
    let out = b
        .chain
        .call(to, &call.abi_encode(), block)
        .unwrap_or_else(|e| panic!("{} should answer: {e}", C::SIGNATURE));
    C::abi_decode_returns(&out).unwrap_or_else(|e| panic!("{} answer decodes: {e}", C::SIGNATURE))
}

fn view<C: SolCall>(b: &Backend, to: Address, call: &C) -> C::Return {
    view_at(b, to, call, BlockRef::Latest)
}

fn assert_reverted<T: std::fmt::Debug>(result: Result<T, ChainError>, expected: &str) {
    match result {
        Err(ChainError::Reverted { reason }) => assert_eq!(reason, expected),
        other => panic!("expected a revert with {expected:?}, got {other:?}"),
    }
}

/// The single event of type `E` in `receipt`.
fn event<E: SolEvent>(receipt: &Receipt) -> E {
    let mut found = receipt
        .logs
        .iter()
        .filter(|l| l.topics.first() == Some(&E::SIGNATURE_HASH))
        .map(|l| {
            E::decode_raw_log(l.topics.iter().copied(), &l.data)
                .unwrap_or_else(|e| panic!("{} decodes: {e}", E::SIGNATURE))
        });
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no {} in the receipt", E::SIGNATURE));
    assert!(found.next().is_none(), "more than one {}", E::SIGNATURE);
    first
}

/// A short string as a right-padded `bytes32` (Solidity's `"veriKey"` literal).
fn bytes32(s: &str) -> B256 {
    let mut out = [0u8; 32];
    out[..s.len()].copy_from_slice(s.as_bytes());
    B256::from(out)
}

fn deploy(b: &Backend) -> Deployment {
    contracts::deploy(&*b.chain, &b.account, &[b.account.address()]).expect("deploys")
}

fn now(b: &Backend) -> u64 {
    let n = b.chain.block_number().expect("block number");
    b.chain
        .block_timestamp(n)
        .expect("timestamp of the latest block")
}

// ---- the suite -------------------------------------------------------------

/// The chain id is non-zero and stable; a transaction signed for it is mined once, a replay is refused.
pub fn chain_id_is_stable(b: &Backend) {
    let id = b.chain.chain_id().expect("chain id");
    assert_ne!(id, 0);
    assert_eq!(b.chain.chain_id().expect("chain id"), id);
    // A single node (Anvil) and the embedded chain are never catching up.
    assert!(!b.chain.syncing().expect("eth_syncing"));
    // Signed for this chain: accepted. Sent again (its nonce is used): rejected.
    let nonce = b.chain.nonce(b.account.address()).expect("nonce");
    let raw = b
        .account
        .sign_transaction(id, nonce, 0, 100_000, Some(Address::ZERO), &[]);
    let receipt = b.chain.send_raw_transaction(&raw).expect("mined");
    assert!(receipt.success);
    assert_eq!(
        b.chain.nonce(b.account.address()).expect("nonce"),
        nonce + 1
    );
    match b.chain.send_raw_transaction(&raw) {
        Err(ChainError::Rejected(_)) => {}
        other => panic!("a replayed transaction was not rejected: {other:?}"),
    }
    assert_eq!(
        b.chain.nonce(b.account.address()).expect("nonce"),
        nonce + 1
    );
    let d = deploy(b);
    assert_eq!(d.chain_id, id);
}

/// Each transaction lands in a new block; timestamps never decrease; a future block does not exist.
pub fn blocks_advance_with_non_decreasing_timestamps(b: &Backend) {
    let d = deploy(b);
    let before = b.chain.block_number().expect("block number");
    let nonce = b.chain.nonce(b.account.address()).expect("nonce");
    let r = send(
        b,
        d.audit_anchors,
        &AuditAnchors::anchorCall {
            headHash: B256::repeat_byte(1),
            count: 1,
        },
    );
    let after = b.chain.block_number().expect("block number");
    assert!(after > before, "{after} > {before}");
    assert!(r.block_number > before && r.block_number <= after);
    assert_eq!(
        b.chain.nonce(b.account.address()).expect("nonce"),
        nonce + 1
    );
    let mut last = 0;
    for n in 0..=after {
        let t = b.chain.block_timestamp(n).expect("timestamp");
        assert!(t >= last, "block {n}: {t} < {last}");
        last = t;
    }
    assert!(last > 1_600_000_000, "a plausible Unix time: {last}");
    assert_eq!(
        b.chain.block_timestamp(after + 100),
        Err(ChainError::NoSuchBlock(after + 100))
    );
}

/// `deploy` puts code at four distinct addresses.
pub fn deploy_puts_code_at_every_address(b: &Backend) {
    let d = deploy(b);
    let addresses = [
        d.did_registry,
        d.accreditation,
        d.status_lists,
        d.audit_anchors,
    ];
    for (i, a) in addresses.iter().enumerate() {
        assert!(
            !b.chain.code(*a).expect("code").is_empty(),
            "no code at {a}"
        );
        assert!(!addresses[..i].contains(a), "address reused");
    }
    assert!(d.deployed_at_block <= b.chain.block_number().expect("block number"));
    assert_eq!(
        view(b, d.status_lists, &StatusLists::registryCall {}),
        d.did_registry
    );
    assert!(view(
        b,
        d.accreditation,
        &Accreditation::isGovernorCall(b.account.address())
    ));
    let json = serde_json::to_string(&d).expect("serialises");
    assert_eq!(
        serde_json::from_str::<Deployment>(&json).expect("parses"),
        d
    );
}

/// `eth_call` on an address without code returns empty data.
pub fn call_without_code_is_empty(b: &Backend) {
    let nobody = fresh().address();
    assert!(b.chain.code(nobody).expect("code").is_empty());
    let out = b
        .chain
        .call(nobody, &[0x12, 0x34, 0x56, 0x78], BlockRef::Latest)
        .expect("call");
    assert!(out.is_empty());
}

/// `identityOwner` is the identity itself until `changeOwner`; history stays readable.
pub fn identity_owner_defaults_to_self_and_changes(b: &Backend) {
    let d = deploy(b);
    let me = b.account.address();
    let other = fresh().address();
    assert_eq!(
        view(
            b,
            d.did_registry,
            &DIDRegistry::identityOwnerCall { identity: other }
        ),
        other
    );
    assert_eq!(
        view(
            b,
            d.did_registry,
            &DIDRegistry::identityOwnerCall { identity: me }
        ),
        me
    );
    let before = b.chain.block_number().expect("block number");

    let new_owner = fresh().address();
    let r = send(
        b,
        d.did_registry,
        &DIDRegistry::changeOwnerCall {
            identity: me,
            newOwner: new_owner,
        },
    );
    let e: DIDRegistry::DIDOwnerChanged = event(&r);
    assert_eq!(
        (e.identity, e.owner, e.previousChange),
        (me, new_owner, U256::ZERO)
    );
    assert_eq!(
        view(
            b,
            d.did_registry,
            &DIDRegistry::identityOwnerCall { identity: me }
        ),
        new_owner
    );
    assert_eq!(
        view(b, d.did_registry, &DIDRegistry::changedCall(me)),
        U256::from(r.block_number)
    );
    // Reads at an earlier block see the earlier state.
    let then = view_at(
        b,
        d.did_registry,
        &DIDRegistry::identityOwnerCall { identity: me },
        BlockRef::Number(before),
    );
    assert_eq!(then, me);
}

/// `setAttribute` events link to the previous change; a resolver walks them back via `changed`.
pub fn attribute_changes_link_to_the_previous_change(b: &Backend) {
    let d = deploy(b);
    let me = b.account.address();
    let name = bytes32("did/pub/Ed25519/veriKey/base64");
    let values: Vec<Vec<u8>> = (1u8..=3).map(|i| vec![i; 32]).collect();
    let mut blocks = Vec::new();
    for v in &values {
        let r = send(
            b,
            d.did_registry,
            &DIDRegistry::setAttributeCall {
                identity: me,
                name,
                value: v.clone().into(),
                validity: U256::from(86_400),
            },
        );
        blocks.push(r.block_number);
    }
    assert!(blocks.windows(2).all(|w| w[0] < w[1]));

    // Walk backwards: changed → logs of that single block → previousChange.
    let mut at: u64 = view(b, d.did_registry, &DIDRegistry::changedCall(me)).to();
    let mut seen = Vec::new();
    while at != 0 {
        let logs = b
            .chain
            .logs(&LogFilter {
                address: d.did_registry,
                from_block: at,
                to_block: Some(at),
                topics: vec![None, Some(me.into_word())],
            })
            .expect("logs");
        assert_eq!(logs.len(), 1, "one change in block {at}");
        let log = &logs[0];
        assert_eq!(log.block_number, at);
        let e =
            DIDRegistry::DIDAttributeChanged::decode_raw_log(log.topics.iter().copied(), &log.data)
                .expect("DIDAttributeChanged decodes");
        assert_eq!((e.identity, e.name), (me, name));
        let ts = b.chain.block_timestamp(at).expect("timestamp");
        assert_eq!(e.validTo, U256::from(ts + 86_400));
        seen.push((at, e.value.to_vec()));
        at = e.previousChange.to();
        assert!(seen.len() <= values.len(), "the walk does not end");
    }
    let expected: Vec<_> = blocks.iter().copied().zip(values).rev().collect();
    assert_eq!(seen, expected);
}

/// `revokeAttribute` emits the attribute with `validTo` 0.
pub fn revoke_attribute_gives_valid_to_zero(b: &Backend) {
    let d = deploy(b);
    let me = b.account.address();
    let name = bytes32("did/svc/LinkedDomains");
    let value: alloy_primitives::Bytes = b"https://agency.example".to_vec().into();
    let set = send(
        b,
        d.did_registry,
        &DIDRegistry::setAttributeCall {
            identity: me,
            name,
            value: value.clone(),
            validity: U256::from(600),
        },
    );
    let r = send(
        b,
        d.did_registry,
        &DIDRegistry::revokeAttributeCall {
            identity: me,
            name,
            value: value.clone(),
        },
    );
    let e: DIDRegistry::DIDAttributeChanged = event(&r);
    assert_eq!((e.name, e.value, e.validTo), (name, value, U256::ZERO));
    assert_eq!(e.previousChange, U256::from(set.block_number));
}

/// `addDelegate` makes a delegate valid for its type only, until `validTo`.
pub fn delegates_are_valid_until_their_validity(b: &Backend) {
    let d = deploy(b);
    let me = b.account.address();
    let delegate = fresh().address();
    let veri_key = bytes32("veriKey");
    let valid = |who: Address, kind: B256| {
        view(
            b,
            d.did_registry,
            &DIDRegistry::validDelegateCall {
                identity: me,
                delegateType: kind,
                delegate: who,
            },
        )
    };
    assert!(!valid(delegate, veri_key));
    let r = send(
        b,
        d.did_registry,
        &DIDRegistry::addDelegateCall {
            identity: me,
            delegateType: veri_key,
            delegate,
            validity: U256::from(3600),
        },
    );
    let e: DIDRegistry::DIDDelegateChanged = event(&r);
    let ts = b.chain.block_timestamp(r.block_number).expect("timestamp");
    assert_eq!(
        (e.delegate, e.delegateType, e.validTo),
        (delegate, veri_key, U256::from(ts + 3600))
    );
    assert!(valid(delegate, veri_key));
    assert!(!valid(delegate, bytes32("sigAuth")));
    assert!(!valid(fresh().address(), veri_key));

    send(
        b,
        d.did_registry,
        &DIDRegistry::revokeDelegateCall {
            identity: me,
            delegateType: veri_key,
            delegate,
        },
    );
    assert!(!valid(delegate, veri_key));
}

/// `changeOwnerSigned` with the owner's signature over the ERC-1056 digest; a replay fails.
pub fn change_owner_signed_by_the_owner(b: &Backend) {
    let d = deploy(b);
    let identity = fresh();
    let id = identity.address();
    let new_owner = fresh().address();
    let nonce = view(b, d.did_registry, &DIDRegistry::nonceCall(id));
    assert_eq!(nonce, U256::ZERO);
    let (v, r, s) = identity.sign_digest(change_owner_digest(d.did_registry, nonce, id, new_owner));
    let call = DIDRegistry::changeOwnerSignedCall {
        identity: id,
        sigV: v,
        sigR: r,
        sigS: s,
        newOwner: new_owner,
    };
    // Sent by the funded account: the identity itself needs no funds.
    let receipt = send(b, d.did_registry, &call);
    let e: DIDRegistry::DIDOwnerChanged = event(&receipt);
    assert_eq!((e.identity, e.owner), (id, new_owner));
    assert_eq!(
        view(
            b,
            d.did_registry,
            &DIDRegistry::identityOwnerCall { identity: id }
        ),
        new_owner
    );
    assert_eq!(
        view(b, d.did_registry, &DIDRegistry::nonceCall(id)),
        U256::from(1)
    );
    assert_reverted(try_send(b, d.did_registry, &call), "bad_signature");
}

/// Only the owner may change the owner: the estimate refuses it, and a forced
/// transaction is mined as failed and reported with its reason.
pub fn a_non_owner_cannot_change_the_owner(b: &Backend) {
    let d = deploy(b);
    let victim = fresh().address();
    let call = DIDRegistry::changeOwnerCall {
        identity: victim,
        newOwner: b.account.address(),
    };
    assert_reverted(try_send(b, d.did_registry, &call), "bad_actor");

    let before = b.chain.nonce(b.account.address()).expect("nonce");
    let forced = b
        .account
        .send(&*b.chain, &request(d.did_registry, &call, Some(200_000)));
    assert_reverted(forced, "bad_actor");
    assert_eq!(
        b.chain.nonce(b.account.address()).expect("nonce"),
        before + 1,
        "mined, as failed"
    );
    assert_eq!(
        view(
            b,
            d.did_registry,
            &DIDRegistry::identityOwnerCall { identity: victim }
        ),
        victim
    );
}

/// `isAccredited(issuer, type, t)`: true inside `[from, until)` and before a
/// withdrawal, false outside, and false from the withdrawal on.
pub fn accreditation_holds_inside_its_window_and_until_revoked(b: &Backend) {
    let d = deploy(b);
    let issuer = "did:ethr:0x7a69:0x1000000000000000000000000000000000000001".to_owned();
    let kind = "ResidencePermit".to_owned();
    let t0 = now(b);
    let (from, until) = (t0 - 1000, t0 + 1000);
    let at = |t: u64| {
        view(
            b,
            d.accreditation,
            &Accreditation::isAccreditedCall {
                issuer: issuer.clone(),
                credentialType: kind.clone(),
                at: t,
            },
        )
    };
    assert!(!at(t0));
    let r = send(
        b,
        d.accreditation,
        &Accreditation::accreditCall {
            issuer: issuer.clone(),
            credentialType: kind.clone(),
            validFrom: from,
            validUntil: until,
        },
    );
    let e: Accreditation::Accredited = event(&r);
    assert_eq!(
        (e.issuer.as_str(), e.validFrom, e.validUntil, e.by),
        (issuer.as_str(), from, until, b.account.address())
    );
    assert!(!at(from - 1), "before the window");
    assert!(at(from) && at(t0) && at(until - 1), "inside the window");
    assert!(!at(until), "after the window");
    let other_type = view(
        b,
        d.accreditation,
        &Accreditation::isAccreditedCall {
            issuer: issuer.clone(),
            credentialType: "OtherType".into(),
            at: t0,
        },
    );
    assert!(!other_type);

    let revoke = Accreditation::revokeCall {
        issuer: issuer.clone(),
        credentialType: kind.clone(),
    };
    let r = send(b, d.accreditation, &revoke);
    let revoked_at = b.chain.block_timestamp(r.block_number).expect("timestamp");
    let e: Accreditation::AccreditationRevoked = event(&r);
    assert_eq!(e.revokedAt, revoked_at);
    assert!(at(revoked_at - 1), "still true before the withdrawal");
    assert!(
        !at(revoked_at) && !at(revoked_at + 1),
        "false from the withdrawal on"
    );
    assert_reverted(try_send(b, d.accreditation, &revoke), "not_accredited");
}

/// Only governors accredit.
pub fn a_non_governor_cannot_accredit(b: &Backend) {
    let governor = fresh().address();
    let d = contracts::deploy(&*b.chain, &b.account, &[governor]).expect("deploys");
    assert!(view(
        b,
        d.accreditation,
        &Accreditation::isGovernorCall(governor)
    ));
    assert!(!view(
        b,
        d.accreditation,
        &Accreditation::isGovernorCall(b.account.address())
    ));
    let call = Accreditation::accreditCall {
        issuer: "did:ethr:0x1".into(),
        credentialType: "T".into(),
        validFrom: 0,
        validUntil: 10,
    };
    assert_reverted(try_send(b, d.accreditation, &call), "not_governor");
}

/// The owner publishes with increasing versions; a stranger cannot; a `veriKey`
/// delegate can; the event carries the encoded list.
pub fn status_lists_publication_rules(b: &Backend) {
    let d = deploy(b);
    let me = b.account.address();
    let list = bytes32("revocation-1");
    let encoded = b"uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA".to_vec();
    let publish = |identity: Address, version: u64| StatusLists::publishCall {
        identity,
        listId: list,
        newVersion: version,
        encodedList: encoded.clone().into(),
    };
    let r = send(b, d.status_lists, &publish(me, 1));
    let e: StatusLists::StatusListPublished = event(&r);
    assert_eq!((e.identity, e.listId, e.version), (me, list, 1));
    assert_eq!(e.encodedList.to_vec(), encoded);
    assert_eq!(e.previousPublication, U256::ZERO);
    assert_eq!(
        view(
            b,
            d.status_lists,
            &StatusLists::versionCall { _0: me, _1: list }
        ),
        1
    );

    assert_reverted(
        try_send(b, d.status_lists, &publish(me, 1)),
        "stale_version",
    );
    let r2 = send(b, d.status_lists, &publish(me, 2));
    let e2: StatusLists::StatusListPublished = event(&r2);
    assert_eq!(e2.previousPublication, U256::from(r.block_number));

    // A stranger: this account is neither owner nor delegate of `other`.
    let other = fresh();
    assert_reverted(
        try_send(b, d.status_lists, &publish(other.address(), 1)),
        "bad_actor",
    );

    // `other` makes this account its veriKey delegate by a signed meta-transaction.
    let veri_key = bytes32("veriKey");
    let validity = U256::from(3600);
    let nonce = view(b, d.did_registry, &DIDRegistry::nonceCall(other.address()));
    let (v, r, s) = other.sign_digest(add_delegate_digest(
        d.did_registry,
        nonce,
        other.address(),
        veri_key,
        me,
        validity,
    ));
    send(
        b,
        d.did_registry,
        &DIDRegistry::addDelegateSignedCall {
            identity: other.address(),
            sigV: v,
            sigR: r,
            sigS: s,
            delegateType: veri_key,
            delegate: me,
            validity,
        },
    );
    let r3 = send(b, d.status_lists, &publish(other.address(), 1));
    let e3: StatusLists::StatusListPublished = event(&r3);
    assert_eq!(e3.identity, other.address());
}

/// Anchors carry the head hash and count and link to the previous anchor's block.
pub fn audit_anchors_chain_their_blocks(b: &Backend) {
    let d = deploy(b);
    let me = b.account.address();
    let h1 = B256::repeat_byte(0xa1);
    let r1 = send(
        b,
        d.audit_anchors,
        &AuditAnchors::anchorCall {
            headHash: h1,
            count: 5,
        },
    );
    let e1: AuditAnchors::AuditAnchored = event(&r1);
    assert_eq!(
        (e1.verifier, e1.headHash, e1.recordCount, e1.previousAnchor),
        (me, h1, 5, U256::ZERO)
    );
    let r2 = send(
        b,
        d.audit_anchors,
        &AuditAnchors::anchorCall {
            headHash: B256::repeat_byte(0xa2),
            count: 9,
        },
    );
    let e2: AuditAnchors::AuditAnchored = event(&r2);
    assert_eq!(e2.previousAnchor, U256::from(r1.block_number));
    assert_eq!(
        view(b, d.audit_anchors, &AuditAnchors::latestCall(me)),
        U256::from(r2.block_number)
    );
    assert_eq!(
        view(b, d.audit_anchors, &AuditAnchors::recordCountCall(me)),
        9
    );
    assert_reverted(
        try_send(
            b,
            d.audit_anchors,
            &AuditAnchors::anchorCall {
                headHash: h1,
                count: 8,
            },
        ),
        "count_decreased",
    );
}

/// Log filters honour the block range (inclusive, open-ended) and topics by position.
pub fn log_filters_honour_blocks_and_topics(b: &Backend) {
    let d = deploy(b);
    let me = b.account.address();
    let receipts: Vec<Receipt> = (1u64..=3)
        .map(|i| {
            send(
                b,
                d.audit_anchors,
                &AuditAnchors::anchorCall {
                    headHash: B256::with_last_byte(i as u8),
                    count: i,
                },
            )
        })
        .collect();
    let blocks: Vec<u64> = receipts.iter().map(|r| r.block_number).collect();
    let sig = AuditAnchors::AuditAnchored::SIGNATURE_HASH;
    let query = |from: u64, to: Option<u64>, topics: Vec<Option<B256>>| {
        b.chain
            .logs(&LogFilter {
                address: d.audit_anchors,
                from_block: from,
                to_block: to,
                topics,
            })
            .expect("logs")
    };
    let all = query(0, None, vec![]);
    assert_eq!(
        all.iter().map(|l| l.block_number).collect::<Vec<_>>(),
        blocks
    );
    for (log, receipt) in all.iter().zip(&receipts) {
        assert_eq!(log.transaction_hash, receipt.transaction_hash);
        assert_eq!(Some(log), receipt.logs.first());
    }
    let middle = query(blocks[1], Some(blocks[1]), vec![]);
    assert_eq!(middle.len(), 1);
    assert_eq!(middle[0].block_number, blocks[1]);
    assert_eq!(query(blocks[1], None, vec![]).len(), 2);
    assert_eq!(query(0, Some(blocks[1]), vec![]).len(), 2);
    assert_eq!(query(blocks[2] + 1, None, vec![]).len(), 0);
    assert_eq!(
        query(0, None, vec![Some(sig), Some(me.into_word())]).len(),
        3
    );
    assert_eq!(query(0, None, vec![None, Some(me.into_word())]).len(), 3);
    assert_eq!(
        query(0, None, vec![None, Some(fresh().address().into_word())]).len(),
        0
    );
    assert_eq!(query(0, None, vec![Some(B256::repeat_byte(7))]).len(), 0);
    // Another contract's logs are not included.
    let other = LogFilter {
        address: d.did_registry,
        from_block: 0,
        to_block: None,
        topics: vec![],
    };
    assert!(b.chain.logs(&other).expect("logs").is_empty());
}
