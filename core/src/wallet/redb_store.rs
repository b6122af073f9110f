//! [`RedbStore`]: the wallet's [`RecordStore`] in a `redb` file (feature
//! `redb-store`; see ADR 0018). One redb table per wallet table, keys are
//! strings, values the encrypted record bytes.

use std::path::Path;

use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableError};

use super::store::{BatchOp, RecordStore, StoreError};

/// A [`RecordStore`] in a single `redb` database file (ACID, crash safe).
pub struct RedbStore {
    db: redb::Database,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbStore")
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn table(name: &str) -> TableDefinition<'_, &'static str, &'static [u8]> {
    TableDefinition::new(name)
}

impl RedbStore {
    /// Opens the database at `path`, creating the file if it does not exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let db = redb::Database::create(path).map_err(err)?;
        Ok(RedbStore { db })
    }
}

impl RecordStore for RedbStore {
    fn get(&self, table_name: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let t = match tx.open_table(table(table_name)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        Ok(t.get(key).map_err(err)?.map(|v| v.value().to_vec()))
    }

    fn list_keys(&self, table_name: &str) -> Result<Vec<String>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let t = match tx.open_table(table(table_name)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(err(e)),
        };
        let mut keys = Vec::new();
        for entry in t.iter().map_err(err)? {
            let (k, _) = entry.map_err(err)?;
            keys.push(k.value().to_owned());
        }
        Ok(keys)
    }

    fn write_batch(&self, batch: Vec<BatchOp>) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(err)?;
        for op in &batch {
            match op {
                BatchOp::Put {
                    table: name,
                    key,
                    value,
                } => {
                    let mut t = tx.open_table(table(name)).map_err(err)?;
                    t.insert(key.as_str(), value.as_slice()).map_err(err)?;
                }
                BatchOp::Delete { table: name, key } => {
                    let mut t = tx.open_table(table(name)).map_err(err)?;
                    t.remove(key.as_str()).map_err(err)?;
                }
            }
        }
        // Dropping an uncommitted transaction aborts it: nothing is written
        // unless every operation succeeded.
        tx.commit().map_err(err)
    }
}
