//! The append-only block log in `<dir>/chain.redb`.
//!
//! Format (version 1):
//! - table `meta` (`&str` → bytes): `format` = `[1]`, `chain_id` = u64 big-endian;
//! - table `blocks` (u64 → bytes): one record per block, keyed by its number:
//!   `[1]` ‖ RLP([`StoredBlock`]) ‖ keccak256 of what precedes (32 bytes).
//!
//! Each block is written and made durable in ONE redb write transaction
//! ([`redb::Durability::Immediate`], redb's default) before the chain answers.
//! redb's own commit protocol makes a torn write invisible; the checksum on
//! each record catches bytes changed under redb's feet.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use alloy_primitives::{Address, B256, Bytes, keccak256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableError};

use crate::chain::ChainError;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");

/// The record format version written by this code.
const FORMAT: u8 = 1;

/// One log as stored (and as re-derived by replay).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredLog {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
}

/// One receipt as stored. `contract_address` holds zero or one address.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredReceipt {
    pub success: bool,
    pub gas_used: u64,
    pub contract_address: Vec<Address>,
    pub logs: Vec<StoredLog>,
}

/// One block as stored: its header fields, the raw signed transactions (EIP-2718
/// envelopes) and the receipts they produced.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(crate) struct StoredBlock {
    pub number: u64,
    pub timestamp: u64,
    pub parent_hash: B256,
    pub hash: B256,
    pub transactions: Vec<Bytes>,
    pub receipts: Vec<StoredReceipt>,
}

impl StoredBlock {
    /// `[FORMAT] ‖ rlp ‖ keccak256(FORMAT ‖ rlp)`.
    pub(crate) fn encode_record(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        self.encode(&mut out);
        let sum = keccak256(&out);
        out.extend_from_slice(sum.as_slice());
        out
    }

    /// Parses a record written by [`Self::encode_record`].
    pub(crate) fn decode_record(key: u64, bytes: &[u8]) -> Result<Self, ChainError> {
        let corrupt =
            |what: &str| ChainError::Storage(format!("corrupt block record {key}: {what}"));
        let body_len = bytes
            .len()
            .checked_sub(32)
            .ok_or_else(|| corrupt("too short"))?;
        let (body, sum) = bytes.split_at(body_len);
        if keccak256(body).as_slice() != sum {
            return Err(corrupt("checksum mismatch"));
        }
        let (&format, mut rlp) = body.split_first().ok_or_else(|| corrupt("empty"))?;
        if format != FORMAT {
            return Err(corrupt(&format!("unknown format {format}")));
        }
        let block = StoredBlock::decode(&mut rlp).map_err(|e| corrupt(&e.to_string()))?;
        if !rlp.is_empty() {
            return Err(corrupt("trailing bytes"));
        }
        if block.number != key {
            return Err(corrupt("number does not match its key"));
        }
        Ok(block)
    }
}

fn storage(context: &str, e: impl std::fmt::Display) -> ChainError {
    ChainError::Storage(format!("{context}: {e}"))
}

/// Runs a redb operation, turning a panic inside redb (its debug builds assert
/// on some corrupt pages) into a typed storage error.
fn guarded<T>(f: impl FnOnce() -> Result<T, ChainError>) -> Result<T, ChainError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(ChainError::Storage(
            "corrupt chain file: panic while reading or replaying it".into(),
        ))
    })
}

/// The block log.
pub(crate) struct Store {
    db: Database,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the log at `path`. Fails if another process (or
    /// another handle in this one) has it open.
    pub(crate) fn open(path: &Path) -> Result<Self, ChainError> {
        guarded(|| match Database::create(path) {
            Ok(db) => Ok(Store { db }),
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => Err(ChainError::Storage(format!(
                "{} is already open (by another process or handle)",
                path.display()
            ))),
            Err(e) => Err(storage("corrupt or unreadable chain file", e)),
        })
    }

    /// The chain id recorded at creation, or `None` for a new, empty log.
    pub(crate) fn chain_id(&self) -> Result<Option<u64>, ChainError> {
        guarded(|| {
            let txn = self.db.begin_read().map_err(|e| storage("read", e))?;
            let meta = match txn.open_table(META) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(storage("corrupt chain file (meta)", e)),
            };
            let format = meta
                .get("format")
                .map_err(|e| storage("corrupt chain file (meta)", e))?;
            match format.as_ref().map(|g| g.value().to_vec()) {
                None => return Ok(None),
                Some(v) if v == [FORMAT] => {}
                Some(v) => {
                    return Err(ChainError::Storage(format!(
                        "unsupported chain file format {v:?}"
                    )));
                }
            }
            let id = meta
                .get("chain_id")
                .map_err(|e| storage("corrupt chain file (meta)", e))?
                .ok_or_else(|| ChainError::Storage("corrupt chain file: no chain id".into()))?;
            let bytes: [u8; 8] = id
                .value()
                .try_into()
                .map_err(|_| ChainError::Storage("corrupt chain file: bad chain id".into()))?;
            Ok(Some(u64::from_be_bytes(bytes)))
        })
    }

    /// Creates the log: the chain id and the genesis block, in one transaction.
    pub(crate) fn init(&self, chain_id: u64, genesis: &StoredBlock) -> Result<(), ChainError> {
        guarded(|| {
            let txn = self.db.begin_write().map_err(|e| storage("write", e))?;
            {
                let mut meta = txn.open_table(META).map_err(|e| storage("write", e))?;
                meta.insert("format", [FORMAT].as_slice())
                    .map_err(|e| storage("write", e))?;
                meta.insert("chain_id", chain_id.to_be_bytes().as_slice())
                    .map_err(|e| storage("write", e))?;
                let mut blocks = txn.open_table(BLOCKS).map_err(|e| storage("write", e))?;
                blocks
                    .insert(genesis.number, genesis.encode_record().as_slice())
                    .map_err(|e| storage("write", e))?;
            }
            txn.commit().map_err(|e| storage("commit", e))
        })
    }

    /// Appends one block and makes it durable before returning.
    pub(crate) fn append(&self, block: &StoredBlock) -> Result<(), ChainError> {
        guarded(|| {
            let txn = self.db.begin_write().map_err(|e| storage("write", e))?;
            {
                let mut blocks = txn.open_table(BLOCKS).map_err(|e| storage("write", e))?;
                if blocks
                    .get(block.number)
                    .map_err(|e| storage("write", e))?
                    .is_some()
                {
                    return Err(ChainError::Storage(format!(
                        "block {} already stored",
                        block.number
                    )));
                }
                blocks
                    .insert(block.number, block.encode_record().as_slice())
                    .map_err(|e| storage("write", e))?;
            }
            txn.commit().map_err(|e| storage("commit", e))
        })
    }

    /// Calls `f` with every stored block in ascending order.
    pub(crate) fn for_each_block(
        &self,
        mut f: impl FnMut(StoredBlock) -> Result<(), ChainError>,
    ) -> Result<(), ChainError> {
        guarded(|| {
            let txn = self.db.begin_read().map_err(|e| storage("read", e))?;
            let blocks = match txn.open_table(BLOCKS) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => {
                    return Err(ChainError::Storage(
                        "corrupt chain file: no block table".into(),
                    ));
                }
                Err(e) => return Err(storage("corrupt chain file (blocks)", e)),
            };
            for entry in blocks
                .iter()
                .map_err(|e| storage("corrupt chain file (blocks)", e))?
            {
                let (key, value) = entry.map_err(|e| storage("corrupt chain file (blocks)", e))?;
                f(StoredBlock::decode_record(key.value(), value.value())?)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredBlock {
        StoredBlock {
            number: 3,
            timestamp: 1_700_000_000,
            parent_hash: B256::repeat_byte(1),
            hash: B256::repeat_byte(2),
            transactions: vec![Bytes::from_static(b"\x02\x03")],
            receipts: vec![StoredReceipt {
                success: true,
                gas_used: 21_000,
                contract_address: vec![Address::repeat_byte(9)],
                logs: vec![StoredLog {
                    address: Address::repeat_byte(7),
                    topics: vec![B256::repeat_byte(5)],
                    data: Bytes::from_static(b"hi"),
                }],
            }],
        }
    }

    #[test]
    fn record_round_trip_and_damage() {
        let block = sample();
        let record = block.encode_record();
        assert_eq!(StoredBlock::decode_record(3, &record), Ok(block));
        // Wrong key, every flipped byte and every truncation is a typed error.
        assert!(matches!(
            StoredBlock::decode_record(4, &record),
            Err(ChainError::Storage(_))
        ));
        for i in 0..record.len() {
            let mut bad = record.clone();
            bad[i] ^= 0x40;
            assert!(matches!(
                StoredBlock::decode_record(3, &bad),
                Err(ChainError::Storage(_))
            ));
            assert!(matches!(
                StoredBlock::decode_record(3, &record[..i]),
                Err(ChainError::Storage(_))
            ));
        }
    }
}
