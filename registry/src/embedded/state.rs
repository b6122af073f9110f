//! The world state of the embedded chain, versioned by block number.
//!
//! Every account and storage slot keeps the list of values it took, each with
//! the block that wrote it, so a read "as of block `n`" is a binary search and
//! the latest state is the last entry. This answers `call` against a past
//! block exactly, without snapshots or replay, at the cost of keeping history in
//! memory (it is rebuilt from the block log at open).

use std::collections::HashMap;
use std::convert::Infallible;

use alloy_primitives::{Address, B256, U256};
use revm::DatabaseRef;
use revm::bytecode::Bytecode;
use revm::primitives::KECCAK_EMPTY;
use revm::state::{AccountInfo, EvmState};

/// One version of an account: what revm's `AccountInfo` holds minus the code,
/// plus the incarnation that scopes its storage (a contract created anew or
/// self-destructed starts from empty storage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AccountVersion {
    balance: U256,
    nonce: u64,
    code_hash: B256,
    incarnation: u64,
    exists: bool,
}

/// Values over time: `(block, value)` in ascending block order.
#[derive(Debug)]
struct History<T>(Vec<(u64, T)>);

impl<T> Default for History<T> {
    fn default() -> Self {
        History(Vec::new())
    }
}

impl<T: Copy + PartialEq> History<T> {
    /// The value as of block `at` (the last write at or before it).
    fn at(&self, at: u64) -> Option<T> {
        let idx = self.0.partition_point(|(b, _)| *b <= at);
        idx.checked_sub(1).map(|i| self.0[i].1)
    }

    /// Records `value` written in `block` (blocks are applied in order; a
    /// second write in the same block replaces the first).
    fn set(&mut self, block: u64, value: T) {
        match self.0.last_mut() {
            Some((b, v)) if *b == block => *v = value,
            Some((_, v)) if *v == value => {}
            _ => self.0.push((block, value)),
        }
    }
}

/// The versioned world state.
#[derive(Debug, Default)]
pub(crate) struct VersionedState {
    accounts: HashMap<Address, History<AccountVersion>>,
    storage: HashMap<(Address, u64, U256), History<U256>>,
    code: HashMap<B256, Bytecode>,
    /// Block hashes by number, for the BLOCKHASH opcode.
    block_hashes: Vec<B256>,
}

impl VersionedState {
    fn account(&self, address: Address, at: u64) -> Option<AccountVersion> {
        self.accounts
            .get(&address)
            .and_then(|h| h.at(at))
            .filter(|a| a.exists)
    }

    /// The nonce of `address` after block `at`.
    pub(crate) fn nonce(&self, address: Address, at: u64) -> u64 {
        self.account(address, at).map_or(0, |a| a.nonce)
    }

    /// The code of `address` after block `at` (empty if none).
    pub(crate) fn code(&self, address: Address, at: u64) -> alloy_primitives::Bytes {
        self.account(address, at)
            .and_then(|a| self.code.get(&a.code_hash))
            .map(Bytecode::original_bytes)
            .unwrap_or_default()
    }

    /// Records the hash of a new block (blocks are pushed in order from 0).
    pub(crate) fn push_block_hash(&mut self, hash: B256) {
        self.block_hashes.push(hash);
    }

    /// A read-only view as of block `at`, for revm.
    pub(crate) fn view(&self, at: u64) -> StateView<'_> {
        StateView { state: self, at }
    }

    /// Applies the changes of a transaction mined in block `block` (the same
    /// rules as revm's `CacheDB::commit`).
    pub(crate) fn apply(&mut self, block: u64, changes: EvmState) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            let previous = self.accounts.get(&address).and_then(|h| h.at(block));
            let prev_incarnation = previous.map_or(0, |a| a.incarnation);
            if account.is_selfdestructed() {
                let gone = AccountVersion {
                    balance: U256::ZERO,
                    nonce: 0,
                    code_hash: KECCAK_EMPTY,
                    incarnation: prev_incarnation + 1,
                    exists: false,
                };
                self.accounts.entry(address).or_default().set(block, gone);
                continue;
            }
            let incarnation = if account.is_created() {
                prev_incarnation + 1
            } else {
                prev_incarnation
            };
            let mut code_hash = account.info.code_hash;
            if let Some(code) = account.info.code.as_ref().filter(|c| !c.is_empty()) {
                if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
                    code_hash = code.hash_slow();
                }
                self.code.entry(code_hash).or_insert_with(|| code.clone());
            }
            let version = AccountVersion {
                balance: account.info.balance,
                nonce: account.info.nonce,
                code_hash,
                incarnation,
                exists: true,
            };
            self.accounts
                .entry(address)
                .or_default()
                .set(block, version);
            for (slot, value) in account.storage {
                let key = (address, incarnation, slot);
                let now = value.present_value();
                let before = self
                    .storage
                    .get(&key)
                    .and_then(|h| h.at(block))
                    .unwrap_or_default();
                if now != before {
                    self.storage.entry(key).or_default().set(block, now);
                }
            }
        }
    }
}

/// The state as of one block, as revm reads it.
pub(crate) struct StateView<'a> {
    state: &'a VersionedState,
    at: u64,
}

impl DatabaseRef for StateView<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.state.account(address, self.at).map(|a| {
            let code = self.state.code.get(&a.code_hash).cloned();
            AccountInfo {
                balance: a.balance,
                nonce: a.nonce,
                code_hash: a.code_hash,
                code,
                ..AccountInfo::default()
            }
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.state.code.get(&code_hash).cloned().unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        let Some(account) = self.state.account(address, self.at) else {
            return Ok(U256::ZERO);
        };
        Ok(self
            .state
            .storage
            .get(&(address, account.incarnation, index))
            .and_then(|h| h.at(self.at))
            .unwrap_or_default())
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        // BLOCKHASH only sees the 256 most recent ancestors; revm enforces the
        // window, this answers zero for anything unknown.
        Ok(usize::try_from(number)
            .ok()
            .filter(|_| number <= self.at)
            .and_then(|n| self.state.block_hashes.get(n).copied())
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_answers_as_of_a_block() {
        let mut h = History::default();
        assert_eq!(h.at(5), None);
        h.set(2, 20u64);
        h.set(4, 40);
        h.set(4, 41);
        h.set(7, 41); // unchanged: not recorded
        assert_eq!(h.0.len(), 2);
        assert_eq!(h.at(1), None);
        assert_eq!(h.at(2), Some(20));
        assert_eq!(h.at(3), Some(20));
        assert_eq!(h.at(4), Some(41));
        assert_eq!(h.at(100), Some(41));
    }
}
