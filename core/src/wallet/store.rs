//! The storage seam: a namespaced key-value [`RecordStore`] the wallet keeps
//! its (already encrypted) records in, and the in-memory [`MemoryStore`].
//!
//! A store sees only ciphertext, table names and record keys; it never sees
//! plaintext. Record keys are not secret (credential ids, key ids, times).

use std::collections::BTreeMap;
use std::sync::RwLock;

use serde_json::{Map, Value};

use crate::encoding::{b64url, b64url_decode};

/// Why a store could not read or write (the device's disk, the database file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("wallet storage failed: {0}")]
pub struct StoreError(pub String);

/// One write of an atomic [`RecordStore::write_batch`].
#[derive(Clone, PartialEq, Eq)]
pub enum BatchOp {
    /// Inserts or replaces a record.
    Put {
        /// The table.
        table: String,
        /// The record's key within the table.
        key: String,
        /// The stored bytes.
        value: Vec<u8>,
    },
    /// Removes a record, if present.
    Delete {
        /// The table.
        table: String,
        /// The record's key within the table.
        key: String,
    },
}

impl std::fmt::Debug for BatchOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values are ciphertext, but there is no reason to print them.
        match self {
            BatchOp::Put { table, key, value } => {
                write!(f, "Put({table}/{key}, {} bytes)", value.len())
            }
            BatchOp::Delete { table, key } => write!(f, "Delete({table}/{key})"),
        }
    }
}

/// Namespaced key-value storage of the wallet's records. Implementations must
/// make [`RecordStore::write_batch`] atomic: either every operation is
/// visible afterwards or none is.
pub trait RecordStore: Send + Sync {
    /// The record `key` in `table`, if present.
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// The keys of every record in `table`, in ascending byte order.
    fn list_keys(&self, table: &str) -> Result<Vec<String>, StoreError>;

    /// Applies every operation atomically.
    fn write_batch(&self, batch: Vec<BatchOp>) -> Result<(), StoreError>;

    /// Inserts or replaces one record.
    fn put(&self, table: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write_batch(vec![BatchOp::Put {
            table: table.to_owned(),
            key: key.to_owned(),
            value: value.to_vec(),
        }])
    }

    /// Removes one record, if present.
    fn delete(&self, table: &str, key: &str) -> Result<(), StoreError> {
        self.write_batch(vec![BatchOp::Delete {
            table: table.to_owned(),
            key: key.to_owned(),
        }])
    }
}

type Tables = BTreeMap<String, BTreeMap<String, Vec<u8>>>;

/// A [`RecordStore`] in memory: for tests, and for apps that persist the
/// whole store themselves through [`MemoryStore::to_json`].
#[derive(Default)]
pub struct MemoryStore {
    tables: RwLock<Tables>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        let counts: BTreeMap<&str, usize> =
            tables.iter().map(|(t, m)| (t.as_str(), m.len())).collect();
        f.debug_struct("MemoryStore")
            .field("records", &counts)
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole store as JSON text (`{table: {key: base64url(bytes)}}`):
    /// the records stay encrypted. Used for the schema-version fixtures.
    pub fn to_json(&self) -> String {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        let mut out = Map::new();
        for (table, records) in tables.iter() {
            let mut t = Map::new();
            for (k, v) in records {
                t.insert(k.clone(), Value::String(b64url(v)));
            }
            out.insert(table.clone(), Value::Object(t));
        }
        Value::Object(out).to_string()
    }

    /// Reads what [`MemoryStore::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Self, StoreError> {
        let bad = |m: &str| StoreError(format!("memory store JSON: {m}"));
        let v: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        let obj = v.as_object().ok_or_else(|| bad("not an object"))?;
        let mut tables = Tables::new();
        for (table, records) in obj {
            let records = records
                .as_object()
                .ok_or_else(|| bad("table not an object"))?;
            let mut t = BTreeMap::new();
            for (k, v) in records {
                let bytes = v
                    .as_str()
                    .and_then(|s| b64url_decode(s).ok())
                    .ok_or_else(|| bad("record not base64url"))?;
                t.insert(k.clone(), bytes);
            }
            tables.insert(table.clone(), t);
        }
        Ok(MemoryStore {
            tables: RwLock::new(tables),
        })
    }
}

impl RecordStore for MemoryStore {
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        Ok(tables.get(table).and_then(|t| t.get(key)).cloned())
    }

    fn list_keys(&self, table: &str) -> Result<Vec<String>, StoreError> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        Ok(tables
            .get(table)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default())
    }

    fn write_batch(&self, batch: Vec<BatchOp>) -> Result<(), StoreError> {
        // One lock for the whole batch: readers see all of it or none of it.
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        for op in batch {
            match op {
                BatchOp::Put { table, key, value } => {
                    tables.entry(table).or_default().insert(key, value);
                }
                BatchOp::Delete { table, key } => {
                    if let Some(t) = tables.get_mut(&table) {
                        t.remove(&key);
                    }
                }
            }
        }
        Ok(())
    }
}
