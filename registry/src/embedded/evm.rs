//! Transactions into revm: decoding and checking a signed envelope as a node
//! would, and executing it (or a read-only call) against a state view.

use std::convert::Infallible;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::{Revert, SolError};
use revm::context::result::{EVMError, ExecResultAndState, ExecutionResult, InvalidTransaction};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::primitives::hardfork::SpecId;
use revm::state::EvmState;
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};

use super::state::VersionedState;
use crate::chain::ChainError;

/// The gas limit of every block, and of calls and estimates.
pub(crate) const BLOCK_GAS_LIMIT: u64 = 30_000_000;

/// The hard fork the contracts are compiled for (`evmVersion: cancun`).
const SPEC: SpecId = SpecId::CANCUN;

/// A signed transaction that passed decoding and signature recovery.
#[derive(Debug)]
pub(crate) struct CheckedTx {
    pub hash: B256,
    pub sender: Address,
    pub nonce: u64,
    pub env: TxEnv,
}

/// Decodes an EIP-2718 envelope, recovers its sender and checks its chain id.
/// Legacy (EIP-155 only), EIP-2930 and EIP-1559 transactions are accepted;
/// blob and EIP-7702 transactions are not.
pub(crate) fn check_raw(raw: &[u8], chain_id: u64) -> Result<CheckedTx, ChainError> {
    let mut buf = raw;
    let envelope = TxEnvelope::decode_2718(&mut buf)
        .map_err(|e| ChainError::Rejected(format!("malformed transaction: {e}")))?;
    if !buf.is_empty() {
        return Err(ChainError::Rejected(
            "malformed transaction: trailing bytes".into(),
        ));
    }
    if matches!(envelope, TxEnvelope::Eip4844(_) | TxEnvelope::Eip7702(_)) {
        return Err(ChainError::Rejected("unsupported transaction type".into()));
    }
    match envelope.chain_id() {
        Some(id) if id == chain_id => {}
        Some(id) => {
            return Err(ChainError::Rejected(format!(
                "wrong chain id {id} (this chain is {chain_id})"
            )));
        }
        None => {
            return Err(ChainError::Rejected(
                "transaction without chain id (pre-EIP-155) not accepted".into(),
            ));
        }
    }
    let sender = envelope
        .recover_signer()
        .map_err(|_| ChainError::Rejected("invalid signature".into()))?;
    let access_list = envelope.access_list().cloned().unwrap_or_default();
    let env = TxEnv {
        tx_type: envelope.tx_type() as u8,
        caller: sender,
        gas_limit: envelope.gas_limit(),
        gas_price: envelope.max_fee_per_gas(),
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: Some(chain_id),
        access_list,
        gas_priority_fee: envelope.max_priority_fee_per_gas(),
        ..TxEnv::default()
    };
    Ok(CheckedTx {
        hash: *envelope.tx_hash(),
        sender,
        nonce: envelope.nonce(),
        env,
    })
}

/// The environment of the block a transaction or call runs in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockCtx {
    pub number: u64,
    pub timestamp: u64,
}

/// What a successful or failed execution produced.
pub(crate) type Outcome = ExecResultAndState<ExecutionResult, EvmState>;

/// Executes `tx` in `block` against the state as of block `at`, without
/// committing. `call` skips the nonce check (read-only calls and estimates).
pub(crate) fn execute(
    state: &VersionedState,
    at: u64,
    chain_id: u64,
    block: BlockCtx,
    tx: TxEnv,
    call: bool,
) -> Result<Outcome, ChainError> {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = chain_id;
    cfg.disable_nonce_check = call;
    let block_env = BlockEnv {
        number: U256::from(block.number),
        timestamp: U256::from(block.timestamp),
        gas_limit: BLOCK_GAS_LIMIT,
        basefee: 0,
        ..BlockEnv::default()
    };
    let mut evm = Context::mainnet()
        .with_ref_db(state.view(at))
        .with_cfg(cfg)
        .with_block(block_env)
        .build_mainnet();
    evm.transact(tx).map_err(evm_error)
}

fn evm_error(e: EVMError<Infallible>) -> ChainError {
    match e {
        EVMError::Transaction(InvalidTransaction::LackOfFundForMaxFee { .. }) => {
            ChainError::Rejected(
                "insufficient funds: the embedded chain has no balances, offer gas price 0".into(),
            )
        }
        EVMError::Transaction(t) => ChainError::Rejected(t.to_string()),
        EVMError::Header(h) => ChainError::Storage(format!("block environment: {h}")),
        other => ChainError::Storage(format!("execution failed: {other}")),
    }
}

/// A read-only call's transaction.
pub(crate) fn call_tx(
    chain_id: u64,
    from: Address,
    kind: TxKind,
    data: Bytes,
    gas: u64,
    nonce: u64,
) -> TxEnv {
    TxEnv {
        caller: from,
        gas_limit: gas,
        gas_price: 0,
        kind,
        data,
        nonce,
        chain_id: Some(chain_id),
        ..TxEnv::default()
    }
}

/// The revert reason of `output`: the `Error(string)` message if it is one,
/// else the raw data in hex.
pub(crate) fn revert_reason(output: &[u8]) -> String {
    match Revert::abi_decode(output) {
        Ok(r) => r.reason,
        Err(_) => alloy_primitives::hex::encode_prefixed(output),
    }
}

/// The `Reverted` error for a failed call result.
pub(crate) fn failure(result: &ExecutionResult) -> Option<ChainError> {
    match result {
        ExecutionResult::Success { .. } => None,
        ExecutionResult::Revert { output, .. } => Some(ChainError::Reverted {
            reason: revert_reason(output),
        }),
        ExecutionResult::Halt { reason, .. } => Some(ChainError::Reverted {
            reason: format!("halted: {reason:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_reasons() {
        let data = Revert::from("bad_actor").abi_encode();
        assert_eq!(revert_reason(&data), "bad_actor");
        assert_eq!(revert_reason(&[0xde, 0xad]), "0xdead");
        assert_eq!(revert_reason(&[]), "0x");
    }
}
