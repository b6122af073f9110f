//! The embedded chain: Stele's contracts executed in-process by `revm`, one
//! block per accepted transaction, persisted as an append-only block log in a
//! local `redb` file (ADR 0015).
//!
//! It behaves like a single-node Ethereum chain with these differences, all
//! deliberate for a single machine:
//! - **no fees**: gas price 0 is accepted and accounts need no balance (the
//!   base fee is 0 and [`Chain::gas_price`] answers 0); a transaction that
//!   offers a non-zero price is rejected for lack of funds, as a node would;
//! - **instant mining**: each accepted transaction is mined into its own block
//!   before [`Chain::send_raw_transaction`] returns; a transaction whose nonce
//!   is not the sender's next one is rejected rather than queued;
//! - block timestamps come from the injected [`Clock`] and never go back
//!   (`max(previous, now)`, so two blocks may share a second);
//! - the block hash is `keccak256(parent hash ‖ number ‖ timestamp ‖ tx hashes)`
//!   (numbers as 8-byte big-endian), not an RLP header hash.
//!
//! Durability: a block is committed to `<dir>/chain.redb` in one redb write
//! transaction before its receipt is returned, so a crash (even `kill -9`)
//! loses no block whose receipt was seen. At open, the log is replayed through
//! revm and every stored receipt is compared with the replayed one; any
//! difference is [`ChainError::Storage`], never silently different state.

mod evm;
mod state;
mod store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use alloy_primitives::{Address, B256, Bytes, TxKind, keccak256};
use revm::context::result::ExecutionResult;
use revm::state::EvmState;
use stele_core::time::{Clock, SystemClock};

use self::evm::{BLOCK_GAS_LIMIT, BlockCtx, call_tx, check_raw, execute, failure};
use self::state::VersionedState;
use self::store::{Store, StoredBlock, StoredLog, StoredReceipt};
use crate::chain::{BlockRef, Chain, ChainError, Log, LogFilter, Receipt, TxRequest};

/// The chain id of an embedded chain unless configured otherwise: 1337, the
/// conventional id of a local development chain (Geth `--dev`, Ganache), so
/// wallets and tools treat it as local. Anvil's 31337 is left to Anvil so the
/// two backends cannot be mistaken for one another.
pub const DEFAULT_CHAIN_ID: u64 = 1337;

/// The file holding the block log inside the chain's directory.
pub const CHAIN_FILE: &str = "chain.redb";

/// How an embedded chain is set up.
#[derive(Clone)]
pub struct EmbeddedConfig {
    /// The chain id (EIP-155) transactions must be signed for; recorded at
    /// creation and checked at every open.
    pub chain_id: u64,
    /// Where block timestamps come from.
    pub clock: Arc<dyn Clock>,
}

impl Default for EmbeddedConfig {
    /// Chain id [`DEFAULT_CHAIN_ID`] and the system clock.
    fn default() -> Self {
        EmbeddedConfig {
            chain_id: DEFAULT_CHAIN_ID,
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for EmbeddedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedConfig")
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

/// What the chain keeps of a block in memory.
#[derive(Debug, Clone, Copy)]
struct BlockMeta {
    timestamp: u64,
    hash: B256,
}

/// The in-memory chain: rebuilt from the block log at open.
#[derive(Debug, Default)]
struct Inner {
    state: VersionedState,
    blocks: Vec<BlockMeta>,
    /// Every log in chain order.
    logs: Vec<Log>,
    /// Positions in `logs` by emitting address, ascending.
    by_address: HashMap<Address, Vec<usize>>,
    /// Positions in `logs` by (address, topic 0), ascending.
    by_topic0: HashMap<(Address, B256), Vec<usize>>,
}

/// One transaction executed for a new block, not yet applied.
struct Executed {
    hash: B256,
    changes: EvmState,
    receipt: StoredReceipt,
}

/// An Ethereum-compatible chain executed in-process and persisted locally.
///
/// Thread-safe: reads share a lock, and transactions are mined one at a time
/// (reads go on while a block is being made durable).
pub struct EmbeddedChain {
    chain_id: u64,
    clock: Arc<dyn Clock>,
    dir: PathBuf,
    store: Store,
    inner: RwLock<Inner>,
    /// Serialises mining. Holds why the chain stopped accepting blocks, if a
    /// write failed in a way that leaves the file's state uncertain.
    writer: Mutex<Option<String>>,
}

impl std::fmt::Debug for EmbeddedChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedChain")
            .field("chain_id", &self.chain_id)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// `keccak256(parent ‖ number ‖ timestamp ‖ tx hashes)`.
fn block_hash(parent: B256, number: u64, timestamp: u64, txs: &[B256]) -> B256 {
    let mut buf = Vec::with_capacity(48 + 32 * txs.len());
    buf.extend_from_slice(parent.as_slice());
    buf.extend_from_slice(&number.to_be_bytes());
    buf.extend_from_slice(&timestamp.to_be_bytes());
    for tx in txs {
        buf.extend_from_slice(tx.as_slice());
    }
    keccak256(&buf)
}

fn poisoned() -> ChainError {
    ChainError::Storage("embedded chain lock poisoned by an earlier panic; reopen it".into())
}

impl Inner {
    fn latest(&self) -> u64 {
        // `blocks` always holds at least the genesis block once open returns.
        self.blocks.len().saturating_sub(1) as u64
    }

    fn block(&self, number: u64) -> Result<BlockMeta, ChainError> {
        usize::try_from(number)
            .ok()
            .and_then(|n| self.blocks.get(n))
            .copied()
            .ok_or(ChainError::NoSuchBlock(number))
    }

    fn resolve(&self, block: BlockRef) -> Result<u64, ChainError> {
        match block {
            BlockRef::Latest => Ok(self.latest()),
            BlockRef::Number(n) => self.block(n).map(|_| n),
        }
    }

    /// Executes one signed transaction as the next block would, without
    /// applying it.
    fn execute_tx(&self, chain_id: u64, ctx: BlockCtx, raw: &[u8]) -> Result<Executed, ChainError> {
        let tx = check_raw(raw, chain_id)?;
        let expected = self.state.nonce(tx.sender, ctx.number);
        if tx.nonce != expected {
            let which = if tx.nonce < expected {
                "too low"
            } else {
                "too high"
            };
            return Err(ChainError::Rejected(format!(
                "nonce {which}: {} for sender {}, expected {expected}",
                tx.nonce, tx.sender
            )));
        }
        // The view "as of the new block" is the previous block's state plus
        // any earlier transaction of the same block.
        let outcome = execute(&self.state, ctx.number, chain_id, ctx, tx.env, false)?;
        let result = outcome.result;
        let receipt = StoredReceipt {
            success: result.is_success(),
            gas_used: result.tx_gas_used(),
            contract_address: result.created_address().into_iter().collect(),
            logs: result
                .logs()
                .iter()
                .map(|l| StoredLog {
                    address: l.address,
                    topics: l.topics().to_vec(),
                    data: l.data.data.clone(),
                })
                .collect(),
        };
        Ok(Executed {
            hash: tx.hash,
            changes: outcome.state,
            receipt,
        })
    }

    /// Applies a mined block (its transactions' changes, in order).
    fn apply(&mut self, block: &StoredBlock, executed: Vec<Executed>) {
        let number = block.number;
        let mut log_index = 0u64;
        for tx in executed {
            self.state.apply(number, tx.changes);
            for l in tx.receipt.logs {
                let pos = self.logs.len();
                self.by_address.entry(l.address).or_default().push(pos);
                if let Some(t0) = l.topics.first() {
                    self.by_topic0
                        .entry((l.address, *t0))
                        .or_default()
                        .push(pos);
                }
                self.logs.push(Log {
                    address: l.address,
                    topics: l.topics,
                    data: l.data,
                    block_number: number,
                    log_index,
                    transaction_hash: tx.hash,
                });
                log_index += 1;
            }
        }
        self.state.push_block_hash(block.hash);
        self.blocks.push(BlockMeta {
            timestamp: block.timestamp,
            hash: block.hash,
        });
    }

    /// Replays a stored block at open, checking it against what execution
    /// gives now.
    fn replay(&mut self, chain_id: u64, block: StoredBlock) -> Result<(), ChainError> {
        let n = block.number;
        let corrupt =
            |what: String| ChainError::Storage(format!("corrupt chain file: block {n}: {what}"));
        if n != self.blocks.len() as u64 {
            return Err(corrupt(format!("expected block {}", self.blocks.len())));
        }
        let parent = match self.blocks.last() {
            Some(p) => *p,
            None => BlockMeta {
                timestamp: 0,
                hash: B256::ZERO,
            },
        };
        if block.parent_hash != parent.hash {
            return Err(corrupt(
                "parent hash does not match the previous block".into(),
            ));
        }
        if block.timestamp < parent.timestamp {
            return Err(corrupt("timestamp goes back".into()));
        }
        if block.transactions.len() != block.receipts.len()
            || (n == 0) != block.transactions.is_empty()
        {
            return Err(corrupt("transactions and receipts do not match".into()));
        }
        let ctx = BlockCtx {
            number: n,
            timestamp: block.timestamp,
        };
        let mut executed = Vec::with_capacity(block.transactions.len());
        for (raw, stored) in block.transactions.iter().zip(&block.receipts) {
            let tx = self
                .execute_tx(chain_id, ctx, raw)
                .map_err(|e| corrupt(format!("stored transaction no longer valid: {e}")))?;
            if &tx.receipt != stored {
                return Err(corrupt(format!(
                    "replay of {} gives a different receipt",
                    tx.hash
                )));
            }
            // Later transactions of the same block see this one's changes.
            self.state.apply(n, tx.changes);
            executed.push(Executed {
                hash: tx.hash,
                changes: EvmState::default(),
                receipt: tx.receipt,
            });
        }
        let hashes: Vec<B256> = executed.iter().map(|t| t.hash).collect();
        if block_hash(block.parent_hash, n, block.timestamp, &hashes) != block.hash {
            return Err(corrupt("block hash mismatch".into()));
        }
        self.apply(&block, executed);
        Ok(())
    }
}

impl EmbeddedChain {
    /// Opens the chain in `dir`, creating the directory and the genesis block
    /// (block 0, timestamp from the clock) if it holds no chain yet.
    ///
    /// Fails with [`ChainError::Storage`] if the directory holds a chain with
    /// another chain id, if its file is damaged or does not replay to the
    /// stored receipts, or if another process (or handle) has it open.
    pub fn open(dir: &Path, config: EmbeddedConfig) -> Result<Self, ChainError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| ChainError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        let store = Store::open(&dir.join(CHAIN_FILE))?;
        match store.chain_id()? {
            None => {
                let timestamp = now(config.clock.as_ref());
                let genesis = StoredBlock {
                    number: 0,
                    timestamp,
                    parent_hash: B256::ZERO,
                    hash: block_hash(B256::ZERO, 0, timestamp, &[]),
                    transactions: Vec::new(),
                    receipts: Vec::new(),
                };
                store.init(config.chain_id, &genesis)?;
            }
            Some(id) if id != config.chain_id => {
                return Err(ChainError::Storage(format!(
                    "{} holds chain id {id}, not {}",
                    dir.display(),
                    config.chain_id
                )));
            }
            Some(_) => {}
        }
        let mut inner = Inner::default();
        store.for_each_block(|block| inner.replay(config.chain_id, block))?;
        if inner.blocks.is_empty() {
            return Err(ChainError::Storage(
                "corrupt chain file: no genesis block".into(),
            ));
        }
        Ok(EmbeddedChain {
            chain_id: config.chain_id,
            clock: config.clock,
            dir: dir.to_path_buf(),
            store,
            inner: RwLock::new(inner),
            writer: Mutex::new(None),
        })
    }

    /// The directory the chain lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, Inner>, ChainError> {
        self.inner.read().map_err(|_| poisoned())
    }

    /// Executes a read-only transaction from `from` against block `at`.
    fn simulate(
        &self,
        inner: &Inner,
        at: u64,
        from: Address,
        kind: TxKind,
        data: Bytes,
        gas: u64,
    ) -> Result<ExecutionResult, ChainError> {
        let meta = inner.block(at)?;
        let ctx = BlockCtx {
            number: at,
            timestamp: meta.timestamp,
        };
        let nonce = inner.state.nonce(from, at);
        let tx = call_tx(self.chain_id, from, kind, data, gas, nonce);
        Ok(execute(&inner.state, at, self.chain_id, ctx, tx, true)?.result)
    }
}

/// The clock's now in Unix seconds (0 before the epoch).
fn now(clock: &dyn Clock) -> u64 {
    u64::try_from(clock.now().unix()).unwrap_or(0)
}

fn to_receipt(number: u64, hash: B256, r: &StoredReceipt, first_log_index: u64) -> Receipt {
    Receipt {
        transaction_hash: hash,
        block_number: number,
        success: r.success,
        contract_address: r.contract_address.first().copied(),
        gas_used: r.gas_used,
        logs: r
            .logs
            .iter()
            .zip(first_log_index..)
            .map(|(l, log_index)| Log {
                address: l.address,
                topics: l.topics.clone(),
                data: l.data.clone(),
                block_number: number,
                log_index,
                transaction_hash: hash,
            })
            .collect(),
    }
}

impl Chain for EmbeddedChain {
    fn chain_id(&self) -> Result<u64, ChainError> {
        Ok(self.chain_id)
    }

    fn block_number(&self) -> Result<u64, ChainError> {
        Ok(self.read()?.latest())
    }

    fn block_timestamp(&self, number: u64) -> Result<u64, ChainError> {
        Ok(self.read()?.block(number)?.timestamp)
    }

    fn call(&self, to: Address, data: &[u8], block: BlockRef) -> Result<Bytes, ChainError> {
        let inner = self.read()?;
        let at = inner.resolve(block)?;
        let result = self.simulate(
            &inner,
            at,
            Address::ZERO,
            TxKind::Call(to),
            Bytes::copy_from_slice(data),
            BLOCK_GAS_LIMIT,
        )?;
        if let Some(err) = failure(&result) {
            return Err(err);
        }
        Ok(result.into_output().unwrap_or_default())
    }

    fn logs(&self, filter: &LogFilter) -> Result<Vec<Log>, ChainError> {
        let inner = self.read()?;
        let latest = inner.latest();
        let to = filter.to_block.unwrap_or(latest).min(latest);
        if filter.from_block > to {
            return Ok(Vec::new());
        }
        let empty = Vec::new();
        let candidates = match filter.topics.first() {
            Some(Some(t0)) => inner.by_topic0.get(&(filter.address, *t0)),
            _ => inner.by_address.get(&filter.address),
        }
        .unwrap_or(&empty);
        let start = candidates.partition_point(|&i| inner.logs[i].block_number < filter.from_block);
        let mut out = Vec::new();
        for &i in &candidates[start..] {
            let log = &inner.logs[i];
            if log.block_number > to {
                break;
            }
            let matches = filter
                .topics
                .iter()
                .enumerate()
                .all(|(pos, want)| want.is_none_or(|t| log.topics.get(pos) == Some(&t)));
            if matches {
                out.push(log.clone());
            }
        }
        Ok(out)
    }

    fn code(&self, address: Address) -> Result<Bytes, ChainError> {
        let inner = self.read()?;
        Ok(inner.state.code(address, inner.latest()))
    }

    fn nonce(&self, address: Address) -> Result<u64, ChainError> {
        let inner = self.read()?;
        Ok(inner.state.nonce(address, inner.latest()))
    }

    fn send_raw_transaction(&self, raw: &[u8]) -> Result<Receipt, ChainError> {
        let mut writer = self.writer.lock().map_err(|_| poisoned())?;
        if let Some(why) = writer.as_ref() {
            return Err(ChainError::Storage(format!(
                "embedded chain stopped after a failed write ({why}); reopen it"
            )));
        }
        // Only this writer changes `inner`, so what is read here stays true
        // until the block is applied below.
        let (block, executed) = {
            let inner = self.read()?;
            let parent = inner.block(inner.latest())?;
            let number = inner.latest() + 1;
            let timestamp = now(self.clock.as_ref()).max(parent.timestamp);
            let ctx = BlockCtx { number, timestamp };
            let executed = inner.execute_tx(self.chain_id, ctx, raw)?;
            let block = StoredBlock {
                number,
                timestamp,
                parent_hash: parent.hash,
                hash: block_hash(parent.hash, number, timestamp, &[executed.hash]),
                transactions: vec![Bytes::copy_from_slice(raw)],
                receipts: vec![executed.receipt.clone()],
            };
            (block, executed)
        };
        if let Err(e) = self.store.append(&block) {
            // Whether a failed commit reached the disk is unknown: stop
            // mining until a reopen replays whatever the file holds.
            *writer = Some(e.to_string());
            return Err(e);
        }
        let receipt = to_receipt(block.number, executed.hash, &executed.receipt, 0);
        self.inner
            .write()
            .map_err(|_| poisoned())?
            .apply(&block, vec![executed]);
        Ok(receipt)
    }

    fn gas_price(&self) -> Result<u128, ChainError> {
        Ok(0)
    }

    fn estimate_gas(&self, from: Address, request: &TxRequest) -> Result<u64, ChainError> {
        let inner = self.read()?;
        let at = inner.latest();
        let kind = request.to.map_or(TxKind::Create, TxKind::Call);
        let run = |gas: u64| self.simulate(&inner, at, from, kind, request.data.clone(), gas);
        let first = run(BLOCK_GAS_LIMIT)?;
        if let Some(err) = failure(&first) {
            return Err(err);
        }
        // The gas spent before refunds is a lower bound; the 63/64 rule for
        // nested calls may need more. Find the least limit that succeeds.
        let mut lo = first.gas().total_gas_spent();
        if run(lo)?.is_success() {
            return Ok(lo);
        }
        let mut hi = BLOCK_GAS_LIMIT;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if run(mid)?.is_success() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_hash_covers_every_field() {
        let base = block_hash(B256::ZERO, 1, 2, &[B256::repeat_byte(1)]);
        assert_ne!(
            base,
            block_hash(B256::repeat_byte(9), 1, 2, &[B256::repeat_byte(1)])
        );
        assert_ne!(base, block_hash(B256::ZERO, 2, 2, &[B256::repeat_byte(1)]));
        assert_ne!(base, block_hash(B256::ZERO, 1, 3, &[B256::repeat_byte(1)]));
        assert_ne!(base, block_hash(B256::ZERO, 1, 2, &[B256::repeat_byte(2)]));
        assert_ne!(base, block_hash(B256::ZERO, 1, 2, &[]));
    }
}
