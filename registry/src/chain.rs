//! The chain access seam: what Stele needs from an Ethereum-compatible chain.
//!
//! Two implementations pass one conformance suite: [`crate::rpc::RpcChain`]
//! (JSON-RPC to any node: Besu, Geth, Anvil) and the embedded in-process chain.
//! The trait is synchronous like core's seams (ADR 0011); async hosts call it
//! on blocking threads.

use alloy_primitives::{Address, B256, Bytes};

/// Which block a read is made against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockRef {
    /// The latest block.
    #[default]
    Latest,
    /// A block by number.
    Number(u64),
}

/// A log filter: one contract, a block range, and optional topics by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter {
    /// The emitting contract.
    pub address: Address,
    /// First block (inclusive).
    pub from_block: u64,
    /// Last block (inclusive); `None` = latest.
    pub to_block: Option<u64>,
    /// `topics[i]`: `None` matches anything at position `i`.
    pub topics: Vec<Option<B256>>,
}

/// One event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// The emitting contract.
    pub address: Address,
    /// Topics (topic 0 is the event signature hash).
    pub topics: Vec<B256>,
    /// ABI-encoded non-indexed data.
    pub data: Bytes,
    /// Block number.
    pub block_number: u64,
    /// Index of the log in its block.
    pub log_index: u64,
    /// The transaction that emitted it.
    pub transaction_hash: B256,
}

/// The outcome of a mined transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction hash.
    pub transaction_hash: B256,
    /// The block it was mined in.
    pub block_number: u64,
    /// Whether it succeeded.
    pub success: bool,
    /// The created contract, for a deployment.
    pub contract_address: Option<Address>,
    /// Gas used.
    pub gas_used: u64,
    /// The logs it emitted.
    pub logs: Vec<Log>,
}

/// A transaction to sign and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRequest {
    /// The callee; `None` deploys `data` as a contract.
    pub to: Option<Address>,
    /// Calldata or init code.
    pub data: Bytes,
    /// Gas limit; `None` = estimate.
    pub gas: Option<u64>,
}

/// Why a chain operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The node could not be reached, timed out or answered garbage: could not check.
    #[error("chain unavailable: {0}")]
    Unavailable(String),
    /// The node answered with a JSON-RPC error.
    #[error("chain error {code}: {message}")]
    Rpc {
        /// JSON-RPC error code.
        code: i64,
        /// Its message.
        message: String,
    },
    /// A call or transaction reverted; `reason` is the decoded revert string if any.
    #[error("reverted: {reason}")]
    Reverted {
        /// The revert reason (`bad_actor`, `not_governor`, ...), or the raw data in hex.
        reason: String,
    },
    /// The transaction was invalid (nonce, funds, signature, gas).
    #[error("transaction rejected: {0}")]
    Rejected(String),
    /// The requested block does not exist (yet).
    #[error("no such block {0}")]
    NoSuchBlock(u64),
    /// The embedded chain's storage failed or is corrupt.
    #[error("chain storage: {0}")]
    Storage(String),
    /// An answer exceeded a size limit.
    #[error("chain answer too large")]
    TooLarge,
}

impl ChainError {
    /// Whether this is an outage ("could not check") rather than an answer.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ChainError::Unavailable(_))
    }
}

/// Reads from and writes to an Ethereum-compatible chain.
pub trait Chain: Send + Sync {
    /// The chain id (EIP-155).
    fn chain_id(&self) -> Result<u64, ChainError>;

    /// The latest block number.
    fn block_number(&self) -> Result<u64, ChainError>;

    /// The timestamp (Unix seconds) of block `number`.
    fn block_timestamp(&self, number: u64) -> Result<u64, ChainError>;

    /// Executes a read-only call against `block`.
    fn call(&self, to: Address, data: &[u8], block: BlockRef) -> Result<Bytes, ChainError>;

    /// The logs matching `filter`, in chain order.
    fn logs(&self, filter: &LogFilter) -> Result<Vec<Log>, ChainError>;

    /// The code deployed at `address` (empty if none).
    fn code(&self, address: Address) -> Result<Bytes, ChainError>;

    /// The next nonce of `address`.
    fn nonce(&self, address: Address) -> Result<u64, ChainError>;

    /// Submits a signed raw transaction (EIP-2718 envelope) and waits until
    /// it is mined; returns its receipt (a reverted transaction is a receipt
    /// with `success: false`, not an error).
    fn send_raw_transaction(&self, raw: &[u8]) -> Result<Receipt, ChainError>;

    /// The gas price to offer (wei).
    fn gas_price(&self) -> Result<u128, ChainError>;

    /// Estimates the gas of a transaction from `from`.
    fn estimate_gas(&self, from: Address, request: &TxRequest) -> Result<u64, ChainError>;

    /// Whether the node is still catching up with the network (its state,
    /// and so revocations and accreditations, may lag). A chain that is its
    /// own network (the embedded chain) never is.
    fn syncing(&self) -> Result<bool, ChainError> {
        Ok(false)
    }
}
