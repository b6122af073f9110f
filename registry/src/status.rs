//! Status lists on the chain: the issuer side ([`list_id`], publication
//! calldata) and the verifier side, [`ChainStatus`], core's
//! [`StatusChecker`] over lists synced from the `StatusLists` contract.
//!
//! A list is named on the chain by `keccak256(statusListCredential URL)` under
//! the issuer's did:ethr identity, so a verifier goes from a credential's
//! status entry to the list without asking the issuer anything: one
//! `eth_call` (`published(identity, listId)`) and one log query for that block.
//! Synced lists are cached; within `max_age` the chain is not asked again, and
//! when the chain cannot be reached a list older than `max_age` is never used:
//! that is "could not check", not "valid".

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, B256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use serde_json::Value;
use stele_core::did::Did;
use stele_core::status::{StatusList, entries_from_status_claim};
use stele_core::time::Timestamp;
use stele_core::verify::{StatusChecker, StatusError, StatusOutcome};

use crate::chain::{BlockRef, Chain, ChainError, LogFilter};
use crate::contracts::StatusLists;

/// The on-chain id of the list published at `url`.
pub fn list_id(url: &str) -> B256 {
    keccak256(url.as_bytes())
}

/// Calldata publishing `list` as version `version` of the list at `url` for `identity`.
pub fn publish_calldata(identity: Address, url: &str, version: u64, list: &StatusList) -> Vec<u8> {
    StatusLists::publishCall {
        identity,
        listId: list_id(url),
        newVersion: version,
        encodedList: list.encode().into_bytes().into(),
    }
    .abi_encode()
}

#[derive(Clone)]
struct Synced {
    list: Arc<StatusList>,
    block: u64,
    fetched: Timestamp,
}

/// Status checking against lists published on the chain.
pub struct ChainStatus {
    chain: Arc<dyn Chain>,
    contract: Address,
    max_age_secs: i64,
    cache: Mutex<HashMap<(Address, B256), Synced>>,
    fresh: AtomicU64,
    revalidated: AtomicU64,
    fetched: AtomicU64,
}

/// How list lookups were answered since the start (for metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCacheStats {
    /// From the cache, within the maximum age: the chain was not asked.
    pub fresh: u64,
    /// The chain said the cached list is still the latest (one `eth_call`).
    pub revalidated: u64,
    /// A new publication was read from the chain's logs.
    pub fetched: u64,
    /// Lists held.
    pub lists: usize,
}

impl ChainStatus {
    /// Reads lists from the `StatusLists` contract at `contract`; a synced
    /// list is reused for `max_age_secs` before the chain is asked again.
    pub fn new(chain: Arc<dyn Chain>, contract: Address, max_age_secs: i64) -> Self {
        ChainStatus {
            chain,
            contract,
            max_age_secs,
            cache: Mutex::new(HashMap::new()),
            fresh: AtomicU64::new(0),
            revalidated: AtomicU64::new(0),
            fetched: AtomicU64::new(0),
        }
    }

    /// How lookups were answered since the start, and the lists held.
    pub fn stats(&self) -> StatusCacheStats {
        StatusCacheStats {
            fresh: self.fresh.load(Ordering::Relaxed),
            revalidated: self.revalidated.load(Ordering::Relaxed),
            fetched: self.fetched.load(Ordering::Relaxed),
            lists: self.cache.lock().map_or(0, |c| c.len()),
        }
    }

    /// The latest published list of `identity` at `url`, synced if the cached copy is older than the maximum age.
    pub fn list(
        &self,
        identity: Address,
        url: &str,
        now: Timestamp,
    ) -> Result<Arc<StatusList>, StatusError> {
        let key = (identity, list_id(url));
        let cached = self.cache.lock().ok().and_then(|c| c.get(&key).cloned());
        if let Some(c) = &cached {
            if now.unix() - c.fetched.unix() <= self.max_age_secs {
                self.fresh.fetch_add(1, Ordering::Relaxed);
                return Ok(c.list.clone());
            }
        }
        let block = self.published_block(identity, key.1)?;
        if let Some(c) = cached.filter(|c| c.block == block) {
            // Unchanged on the chain: refresh the age, keep the list.
            self.revalidated.fetch_add(1, Ordering::Relaxed);
            self.store(
                key,
                Synced {
                    fetched: now,
                    ..c.clone()
                },
            );
            return Ok(c.list);
        }
        let list = Arc::new(self.fetch(identity, key.1, block)?);
        self.fetched.fetch_add(1, Ordering::Relaxed);
        self.store(
            key,
            Synced {
                list: list.clone(),
                block,
                fetched: now,
            },
        );
        Ok(list)
    }

    fn store(&self, key: (Address, B256), value: Synced) {
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, value);
        }
    }

    fn published_block(&self, identity: Address, id: B256) -> Result<u64, StatusError> {
        let call = StatusLists::publishedCall {
            _0: identity,
            _1: id,
        }
        .abi_encode();
        let out = self
            .chain
            .call(self.contract, &call, BlockRef::Latest)
            .map_err(chain_error)?;
        let block = StatusLists::publishedCall::abi_decode_returns(&out).map_err(|_| {
            StatusError::Unavailable("the status-list contract gave no answer".into())
        })?;
        let block = u64::try_from(block)
            .map_err(|_| StatusError::Verification("block number overflows".into()))?;
        if block == 0 {
            return Err(StatusError::Retrieval(
                "no status list is published at that URL for this issuer".into(),
            ));
        }
        Ok(block)
    }

    fn fetch(&self, identity: Address, id: B256, block: u64) -> Result<StatusList, StatusError> {
        let logs = self
            .chain
            .logs(&LogFilter {
                address: self.contract,
                from_block: block,
                to_block: Some(block),
                topics: vec![
                    Some(StatusLists::StatusListPublished::SIGNATURE_HASH),
                    Some(B256::left_padding_from(identity.as_slice())),
                    Some(id),
                ],
            })
            .map_err(chain_error)?;
        let log = logs
            .last()
            .ok_or_else(|| StatusError::Verification("the publication event is missing".into()))?;
        let event =
            StatusLists::StatusListPublished::decode_raw_log(log.topics.iter().copied(), &log.data)
                .map_err(|_| {
                    StatusError::Verification("the publication event is malformed".into())
                })?;
        let text = std::str::from_utf8(&event.encodedList)
            .map_err(|_| StatusError::Verification("the published list is not text".into()))?;
        StatusList::decode(text).map_err(StatusError::from)
    }
}

fn chain_error(e: ChainError) -> StatusError {
    StatusError::Unavailable(e.to_string())
}

/// The identity (address) of a did:ethr issuer.
fn identity_of(issuer: &str) -> Result<Address, StatusError> {
    let did = Did::parse(issuer).map_err(|e| StatusError::Retrieval(e.to_string()))?;
    if did.method() != "ethr" {
        return Err(StatusError::Retrieval(
            "status lists are read from the chain for did:ethr issuers only".into(),
        ));
    }
    let id = did
        .method_specific_id()
        .rsplit(':')
        .next()
        .unwrap_or_default();
    let bytes = id
        .strip_prefix("0x")
        .and_then(|h| alloy_primitives::hex::decode(h).ok())
        .ok_or_else(|| StatusError::Retrieval("not a did:ethr address".into()))?;
    match bytes.len() {
        20 => Ok(Address::from_slice(&bytes)),
        33 => {
            let key = k256::PublicKey::from_sec1_bytes(&bytes)
                .map_err(|_| StatusError::Retrieval("not a secp256k1 public key".into()))?;
            let point = k256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key, false);
            Ok(Address::from_slice(
                &keccak256(&point.as_bytes()[1..])[12..],
            ))
        }
        _ => Err(StatusError::Retrieval("not a did:ethr address".into())),
    }
}

impl StatusChecker for ChainStatus {
    fn check(
        &self,
        issuer: &str,
        entry: &Value,
        now: Timestamp,
    ) -> Result<StatusOutcome, StatusError> {
        let entries = entries_from_status_claim(entry).map_err(StatusError::from)?;
        let identity = identity_of(issuer)?;
        // Revoked outranks suspended; any unreadable list is reported.
        let mut outcome = StatusOutcome::Valid;
        for e in entries {
            let list = self.list(identity, &e.list_url, now)?;
            let bit = list.status_of(&e).map_err(StatusError::from)?;
            match e.purpose.outcome(bit) {
                StatusOutcome::Revoked => return Ok(StatusOutcome::Revoked),
                StatusOutcome::Suspended => outcome = StatusOutcome::Suspended,
                StatusOutcome::Valid => {}
            }
        }
        Ok(outcome)
    }
}
