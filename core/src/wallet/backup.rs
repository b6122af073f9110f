//! Backups: every encrypted record of the wallet (meta, holder keys and
//! their secrets, credentials, the activity log), decrypted and sealed again
//! under a key derived from the backup passphrase.
//!
//! Format (all integers big-endian):
//! ```text
//! "stele-backup1" ‖ Argon2id m_cost (KiB, u32) ‖ t_cost (u32) ‖ lanes (u32) ‖ salt (16)
//!   ‖ nonce (24) ‖ XChaCha20-Poly1305(plaintext, aad = everything before the nonce) ‖ tag (16)
//! plaintext = count (u32) ‖ count × (table length (u8) ‖ table ‖ key length (u16) ‖ key
//!                                    ‖ value length (u32) ‖ value)
//! ```
//! Restoring writes every record, sealed under a new data key, in one atomic batch.

use std::sync::{Arc, RwLock};

use zeroize::Zeroizing;

use super::crypto::{self, Argon2Params, RecordCipher, passphrase_open, passphrase_seal};
use super::{
    ENCRYPTED_TABLES, KeyRecord, KeyWrap, META_KEY, MetaRecord, RecordStore, RestoreReport,
    T_CREDENTIALS, T_KEYS, T_META, Wallet, WalletError,
};

const BACKUP_MAGIC: &[u8] = b"stele-backup1";
/// Most records a backup may hold, and its largest decrypted size.
const MAX_RECORDS: usize = 1_000_000;

fn push_len(out: &mut Vec<u8>, bytes: &[u8], width: usize) {
    let n = bytes.len() as u64;
    out.extend_from_slice(&n.to_be_bytes()[8 - width..]);
    out.extend_from_slice(bytes);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WalletError> {
        if self.0.len() < n {
            return Err(WalletError::InvalidBackup);
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }

    fn len(&mut self, width: usize) -> Result<usize, WalletError> {
        let mut buf = [0u8; 8];
        buf[8 - width..].copy_from_slice(self.take(width)?);
        usize::try_from(u64::from_be_bytes(buf)).map_err(|_| WalletError::InvalidBackup)
    }

    fn field(&mut self, width: usize) -> Result<&'a [u8], WalletError> {
        let n = self.len(width)?;
        self.take(n)
    }
}

/// A decrypted record of a backup: (table, key, plaintext).
type PlainRecord = (String, String, Zeroizing<Vec<u8>>);

impl Wallet {
    /// An encrypted export of every credential, software key and the
    /// activity log, protected by `passphrase` (Argon2id with
    /// [`Argon2Params::DEFAULT`]). Hardware keys are listed by alias only.
    pub fn backup(&self, passphrase: &str) -> Result<Vec<u8>, WalletError> {
        self.backup_with_params(passphrase, Argon2Params::DEFAULT)
    }

    /// [`Wallet::backup`] with explicit Argon2id parameters.
    pub fn backup_with_params(
        &self,
        passphrase: &str,
        params: Argon2Params,
    ) -> Result<Vec<u8>, WalletError> {
        let mut records: Vec<PlainRecord> = Vec::new();
        for table in ENCRYPTED_TABLES {
            for key in self.store.list_keys(table)? {
                let plain = self.get_plain(table, &key)?.ok_or_else(|| {
                    WalletError::StorageCorrupt(format!("record {table}/{key} vanished"))
                })?;
                records.push((table.to_owned(), key, plain));
            }
        }
        let mut plain = Zeroizing::new(Vec::new());
        plain.extend_from_slice(&(records.len() as u32).to_be_bytes());
        for (table, key, value) in &records {
            push_len(&mut plain, table.as_bytes(), 1);
            push_len(&mut plain, key.as_bytes(), 2);
            push_len(&mut plain, value, 4);
        }
        passphrase_seal(BACKUP_MAGIC, passphrase.as_bytes(), params, &plain)
    }

    /// Restores a backup into an empty `store`, under a new data key wrapped
    /// by `keywrap`. A wrong passphrase is [`WalletError::WrongKey`]; a
    /// damaged backup writes nothing. Hardware keys come back as public keys
    /// and aliases: the report lists them, and their signers must be bound
    /// again (or the credentials bound to them re-issued).
    pub fn restore(
        backup: &[u8],
        passphrase: &str,
        store: Arc<dyn RecordStore>,
        keywrap: &dyn KeyWrap,
    ) -> Result<(Wallet, RestoreReport), WalletError> {
        let plain = passphrase_open(
            BACKUP_MAGIC,
            passphrase.as_bytes(),
            backup,
            WalletError::InvalidBackup,
        )?;
        let mut r = Reader(&plain);
        let count = r.len(4)?;
        if count > MAX_RECORDS {
            return Err(WalletError::InvalidBackup);
        }
        let mut records: Vec<PlainRecord> = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let table = std::str::from_utf8(r.field(1)?).map_err(|_| WalletError::InvalidBackup)?;
            let key = std::str::from_utf8(r.field(2)?).map_err(|_| WalletError::InvalidBackup)?;
            if !ENCRYPTED_TABLES.contains(&table) {
                return Err(WalletError::InvalidBackup);
            }
            let value = Zeroizing::new(r.field(4)?.to_vec());
            records.push((table.to_owned(), key.to_owned(), value));
        }
        if !r.0.is_empty() {
            return Err(WalletError::InvalidBackup);
        }

        let wallet = Wallet {
            store,
            cipher: RecordCipher::new(crypto::random_key()),
            hardware: RwLock::new(Default::default()),
        };
        if Wallet::exists(wallet.store.as_ref())? {
            return Err(WalletError::AlreadyInitialised);
        }
        let parse_err = |what: &str| WalletError::StorageCorrupt(format!("backup: {what}"));
        let meta = records
            .iter()
            .find(|(t, k, _)| t == T_META && k == META_KEY)
            .ok_or_else(|| parse_err("no meta record"))?;
        let meta: MetaRecord =
            serde_json::from_slice(&meta.2).map_err(|_| parse_err("meta record"))?;
        if meta.schema_version > super::SCHEMA_VERSION {
            return Err(WalletError::UnsupportedVersion(meta.schema_version));
        }
        let mut report = RestoreReport::default();
        for (table, _, value) in &records {
            if table == T_KEYS {
                let k: KeyRecord =
                    serde_json::from_slice(value).map_err(|_| parse_err("key record"))?;
                if let Some(alias) = k.hardware_alias {
                    report.hardware_keys_needing_rebinding.push(alias);
                }
            } else if table == T_CREDENTIALS {
                report.credentials += 1;
            }
        }
        let mut ops: Vec<_> = records
            .iter()
            .map(|(t, k, v)| wallet.sealed(t, k, v))
            .collect();
        ops.push(wallet.header_op(keywrap)?);
        wallet.store.write_batch(ops)?;
        wallet.migrate(meta.schema_version)?;
        Ok((wallet, report))
    }
}
