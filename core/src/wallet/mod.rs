//! The citizen's wallet: encrypted storage of credentials and holder keys,
//! receiving (verify fully, then store), showing, presenting with key
//! binding, an activity log, and encrypted backups.
//!
//! Layers, from the bottom:
//! - [`RecordStore`]: namespaced key-value storage, behind a trait so that
//!   `core` stays I/O-free ([`MemoryStore`] here; `RedbStore` under the
//!   `redb-store` feature, ADR 0018).
//! - Every record is sealed with XChaCha20-Poly1305 under a random 256-bit
//!   data key; the associated data is the record's table and key, so records
//!   cannot be swapped. The data key is wrapped by a [`KeyWrap`] (the phone's
//!   keystore, or [`PassphraseKeyWrap`] with Argon2id).
//! - [`Wallet`]: the operations the app and the CLI use.
//!
//! Reading fails closed: a wrong key is [`WalletError::WrongKey`], any
//! damaged record is [`WalletError::StorageCorrupt`], and a listing with one
//! damaged record returns the error, not the other records.
//!
//! Storage layout (schema version [`SCHEMA_VERSION`]):
//!
//! | table | key | contents |
//! |---|---|---|
//! | `header` | `wallet` | plaintext: `"stele-wallet" ‖ 0x01 ‖ key check (16) ‖ wrapped data key` |
//! | `meta` | `meta` | JSON `{"schema_version", "created"}` |
//! | `keys` | key id (JWK thumbprint) | JSON: key type, public key, hardware alias, created |
//! | `secrets` | key id | the 32 secret bytes of a software key |
//! | `credentials` | credential id | JSON: the credential as received and what verification established |
//! | `log` | time ‖ random | JSON: one activity-log entry (no claim values) |
//!
//! Every table but `header` holds `0x01 ‖ nonce (24) ‖ ciphertext ‖ tag (16)`.

mod backup;
mod crypto;
#[cfg(feature = "redb-store")]
mod redb_store;
mod store;

pub use crypto::{Argon2Params, KeyWrap, PassphraseKeyWrap};
#[cfg(feature = "redb-store")]
pub use redb_store::RedbStore;
pub use store::{BatchOp, MemoryStore, RecordStore, StoreError};

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::credential::schema::credential_type;
use crate::did::Did;
use crate::did::key::{did_key_from_public, public_key_from_did_key};
use crate::encoding::{b64url, b64url_decode};
use crate::key::{KeyType, PublicKey, SecretKey, Signer};
use crate::sdjwt::SdJwtError;
use crate::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use crate::sdjwt::verifier::cnf_key;
use crate::time::Timestamp;
use crate::verify::{
    Format, Policy, ReasonCode, TrustSource, Verifier, VerifyError, VerifyOptions,
};

use crypto::{KEY_LEN, RecordCipher};

/// The storage schema version this code writes. Older versions are migrated
/// by [`Wallet::open`]; newer ones are refused.
pub const SCHEMA_VERSION: u32 = 1;

const T_HEADER: &str = "header";
const T_META: &str = "meta";
const T_KEYS: &str = "keys";
const T_SECRETS: &str = "secrets";
const T_CREDENTIALS: &str = "credentials";
const T_LOG: &str = "log";
/// The encrypted tables, in the order a backup lists them.
const ENCRYPTED_TABLES: [&str; 5] = [T_META, T_KEYS, T_SECRETS, T_CREDENTIALS, T_LOG];
const HEADER_KEY: &str = "wallet";
const META_KEY: &str = "meta";
const HEADER_MAGIC: &[u8] = b"stele-wallet";
const HEADER_FORMAT: u8 = 1;

/// Why a wallet operation failed. Every variant is something the app can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The passphrase or platform key does not open this wallet or backup.
    #[error("wrong passphrase or key")]
    WrongKey,
    /// A stored record or the file is damaged or was tampered with; nothing of it is returned.
    #[error("wallet storage is corrupt: {0}")]
    StorageCorrupt(String),
    /// The storage backend failed (disk full, file locked, I/O error).
    #[error("{0}")]
    Storage(#[from] StoreError),
    /// The platform keystore failed to wrap or unwrap (locked, user cancelled, key removed).
    #[error("the key store failed: {0}")]
    KeyStore(String),
    /// The store holds no wallet yet: create one first.
    #[error("no wallet in this store")]
    NotInitialised,
    /// The store already holds a wallet.
    #[error("a wallet already exists in this store")]
    AlreadyInitialised,
    /// The wallet or backup was written by a newer version of Stele.
    #[error("unsupported wallet schema version {0}")]
    UnsupportedVersion(u32),
    /// No credential, key or alias with this identifier.
    #[error("not found: {0}")]
    NotFound(String),
    /// The credential was verified and rejected; nothing was stored. The
    /// codes are the verdict's (PRODUCT.md §6), or `holder_binding` when the
    /// credential is not bound to one of this wallet's keys.
    #[error("credential rejected: {reasons:?}")]
    Rejected {
        /// Why, as stable reason codes.
        reasons: Vec<ReasonCode>,
    },
    /// The credential could not be checked (issuer resolution, trust or
    /// status source unreachable); nothing was stored. Try again later.
    #[error("could not check the credential: {0}")]
    CouldNotCheck(VerifyError),
    /// Holder keys of this type are not supported (Ed25519 and P-256 are).
    #[error("unsupported holder key type {0:?}")]
    UnsupportedKeyType(KeyType),
    /// A hardware key's signer was not supplied since the wallet was opened
    /// (call `bind_hardware_key`), or was restored from a backup and must be re-bound.
    #[error("hardware key {0:?} is not available")]
    HardwareKeyUnavailable(String),
    /// The signer supplied for a hardware key has another public key, or the alias is taken.
    #[error("hardware key {0:?} does not match")]
    KeyMismatch(String),
    /// The credential cannot be presented this way (a `vc+jwt` has no selective disclosure).
    #[error("this credential cannot be presented with selective disclosure")]
    NotPresentable,
    /// A claim asked to be disclosed does not exist in the credential.
    #[error("no such claim to disclose: {0}")]
    UnknownClaim(String),
    /// The holder key could not sign (hardware key store refused, user cancelled).
    #[error("signing failed: {0}")]
    Sign(String),
    /// The bytes are not a Stele wallet backup.
    #[error("not a Stele wallet backup")]
    InvalidBackup,
}

/// A credential's identifier in the wallet (derived from its contents).
pub type CredentialId = String;

/// A holder key of this wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderKey {
    /// The key's identifier: the RFC 7638 thumbprint of its public JWK.
    pub id: String,
    /// The key's `did:key`.
    pub did: String,
    /// Its type.
    pub key_type: KeyType,
    /// For hardware keys, the alias the app's keystore knows it by.
    pub hardware_alias: Option<String>,
    /// Whether the wallet can sign with it now (software keys always;
    /// hardware keys once their signer is bound).
    pub available: bool,
}

/// A stored credential, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSummary {
    /// Its identifier in the wallet.
    pub id: CredentialId,
    /// Its types (`ResidencePermitCredential`, …).
    pub types: Vec<String>,
    /// The issuer's DID.
    pub issuer: String,
    /// End of its validity period, if any.
    pub valid_until: Option<Timestamp>,
    /// When the wallet received it.
    pub added: Timestamp,
}

/// One claim of a stored credential, with its display name.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimView {
    /// The claim's name (`birth_date`).
    pub name: String,
    /// Its display name in the requested locale, from the type's schema
    /// (the claim name when the schema does not know it).
    pub display_name: String,
    /// Its value.
    pub value: Value,
    /// Whether it can be withheld when presenting.
    pub selectively_disclosable: bool,
}

/// A stored credential with its claims.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialDetails {
    /// The summary.
    pub summary: CredentialSummary,
    /// The credential's format.
    pub format: Format,
    /// Start of its validity period, if stated.
    pub valid_from: Option<Timestamp>,
    /// The claims, in the issuer's order.
    pub claims: Vec<ClaimView>,
    /// Claim paths that can be disclosed one by one (`address.locality`, `nationalities[]`).
    pub disclosable_paths: Vec<String>,
}

/// One presentation the wallet made: what was shown to whom, without values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEntry {
    /// When.
    pub at: Timestamp,
    /// The verifier (the presentation's audience).
    pub audience: String,
    /// Which credential.
    pub credential_id: CredentialId,
    /// Its type.
    pub credential_type: String,
    /// The claim names disclosed on request (no values).
    pub disclosed: Vec<String>,
}

/// What a restore could not bring back by itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Hardware keys whose private key stayed on the old device: credentials
    /// bound to them must be re-issued to a new key, or the key re-bound.
    pub hardware_keys_needing_rebinding: Vec<String>,
    /// How many credentials were restored.
    pub credentials: usize,
}

// ---- records -------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct MetaRecord {
    schema_version: u32,
    created: i64,
}

#[derive(Serialize, Deserialize)]
struct KeyRecord {
    key_type: String,
    public: String,
    hardware_alias: Option<String>,
    created: i64,
}

#[derive(Serialize, Deserialize)]
struct LogRecord {
    at: i64,
    audience: String,
    credential_id: String,
    credential_type: String,
    disclosed: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct CredentialRecord {
    format: String,
    raw: String,
    types: Vec<String>,
    issuer: String,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    added: i64,
    holder_key: String,
    claims: Map<String, Value>,
    disclosable_paths: Vec<String>,
}

impl CredentialRecord {
    fn summary(&self, id: &str) -> CredentialSummary {
        CredentialSummary {
            id: id.to_owned(),
            types: self.types.clone(),
            issuer: self.issuer.clone(),
            valid_until: self.valid_until.map(Timestamp::from_unix),
            added: Timestamp::from_unix(self.added),
        }
    }

    /// The type used for display names: the first one Stele has a schema for.
    fn primary_type(&self) -> String {
        self.types
            .iter()
            .find(|t| credential_type(t).is_some())
            .or_else(|| self.types.iter().rfind(|t| *t != "VerifiableCredential"))
            .cloned()
            .unwrap_or_default()
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::DcSdJwt => "dc+sd-jwt",
        Format::VcJwt => "vc+jwt",
        Format::DiEddsaJcs2022 => "di-eddsa-jcs-2022",
        Format::DiEddsaRdfc2022 => "di-eddsa-rdfc-2022",
    }
}

fn corrupt(what: &str) -> WalletError {
    WalletError::StorageCorrupt(what.to_owned())
}

fn key_type_of(name: &str) -> Result<KeyType, WalletError> {
    KeyType::from_name(name).map_err(|_| corrupt("key record: key type"))
}

fn rejected(code: ReasonCode) -> WalletError {
    WalletError::Rejected {
        reasons: vec![code],
    }
}

// ---- the wallet ------------------------------------------------------------

/// An open wallet. Cheap to share: every method takes `&self`.
pub struct Wallet {
    store: Arc<dyn RecordStore>,
    cipher: RecordCipher,
    /// Signers of hardware keys, by alias, supplied by the app since opening.
    hardware: RwLock<HashMap<String, Arc<dyn Signer>>>,
}

impl fmt::Debug for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wallet").finish_non_exhaustive()
    }
}

impl Wallet {
    /// Whether `store` already holds a wallet.
    pub fn exists(store: &dyn RecordStore) -> Result<bool, WalletError> {
        Ok(store.get(T_HEADER, HEADER_KEY)?.is_some())
    }

    /// Creates a new, empty wallet in `store`, its data key wrapped by `keywrap`.
    pub fn create(
        store: Arc<dyn RecordStore>,
        keywrap: &dyn KeyWrap,
        now: Timestamp,
    ) -> Result<Wallet, WalletError> {
        let wallet = Self::init(store)?;
        let meta = wallet.sealed_json(
            T_META,
            META_KEY,
            &MetaRecord {
                schema_version: SCHEMA_VERSION,
                created: now.unix(),
            },
        )?;
        let header = wallet.header_op(keywrap)?;
        // Header last in the batch, but the batch is atomic anyway.
        wallet.store.write_batch(vec![meta, header])?;
        Ok(wallet)
    }

    /// A wallet object with a fresh data key, for `create` and `restore`;
    /// nothing is written yet.
    fn init(store: Arc<dyn RecordStore>) -> Result<Wallet, WalletError> {
        if Self::exists(store.as_ref())? {
            return Err(WalletError::AlreadyInitialised);
        }
        Ok(Wallet {
            store,
            cipher: RecordCipher::new(crypto::random_key()),
            hardware: RwLock::new(HashMap::new()),
        })
    }

    /// The header record. Wrapping is checked to round-trip before anything
    /// is stored, so a misbehaving platform keystore cannot leave a wallet
    /// that does not open.
    fn header_op(&self, keywrap: &dyn KeyWrap) -> Result<BatchOp, WalletError> {
        let wrapped = keywrap.wrap(self.cipher.key_bytes())?;
        let back = keywrap.unwrap(&wrapped)?;
        if back.as_slice() != self.cipher.key_bytes().as_slice() {
            return Err(WalletError::KeyStore(
                "the key wrap does not give back the key it wrapped".into(),
            ));
        }
        let mut header = HEADER_MAGIC.to_vec();
        header.push(HEADER_FORMAT);
        header.extend_from_slice(&self.cipher.key_check());
        header.extend_from_slice(&wrapped);
        Ok(BatchOp::Put {
            table: T_HEADER.into(),
            key: HEADER_KEY.into(),
            value: header,
        })
    }

    /// Opens the wallet in `store`: unwraps the data key with `keywrap`,
    /// checks it, and migrates the schema if it is older than [`SCHEMA_VERSION`].
    /// Hardware keys must then be re-supplied with [`Wallet::bind_hardware_key`].
    pub fn open(store: Arc<dyn RecordStore>, keywrap: &dyn KeyWrap) -> Result<Wallet, WalletError> {
        let header = store
            .get(T_HEADER, HEADER_KEY)?
            .ok_or(WalletError::NotInitialised)?;
        let rest = header
            .strip_prefix(HEADER_MAGIC)
            .and_then(|r| r.split_first())
            .filter(|(format, _)| **format == HEADER_FORMAT)
            .map(|(_, r)| r)
            .filter(|r| r.len() > 16)
            .ok_or_else(|| corrupt("wallet header"))?;
        let (check, wrapped) = rest.split_at(16);
        let unwrapped = keywrap.unwrap(wrapped)?;
        let key: [u8; KEY_LEN] = unwrapped
            .as_slice()
            .try_into()
            .map_err(|_| WalletError::WrongKey)?;
        let wallet = Wallet {
            store,
            cipher: RecordCipher::new(Zeroizing::new(key)),
            hardware: RwLock::new(HashMap::new()),
        };
        if wallet.cipher.key_check().as_slice() != check {
            return Err(WalletError::WrongKey);
        }
        let meta: MetaRecord = wallet
            .get_json(T_META, META_KEY)?
            .ok_or_else(|| corrupt("meta record missing"))?;
        wallet.migrate(meta.schema_version)?;
        Ok(wallet)
    }

    /// Brings the stored records from schema `from` to [`SCHEMA_VERSION`],
    /// one version at a time, each step in one atomic batch.
    fn migrate(&self, from: u32) -> Result<(), WalletError> {
        if from == 0 {
            return Err(corrupt("meta record: schema version 0"));
        }
        if from > SCHEMA_VERSION {
            return Err(WalletError::UnsupportedVersion(from));
        }
        // Version 1 is the first schema: no steps yet. A step from version
        // N to N+1 goes here, rewriting its records and the meta record in
        // one batch, with a fixture of version N in the tests.
        Ok(())
    }

    // ---- records ----

    fn sealed(&self, table: &str, key: &str, plaintext: &[u8]) -> BatchOp {
        BatchOp::Put {
            table: table.into(),
            key: key.into(),
            value: self.cipher.seal(table, key, plaintext),
        }
    }

    fn sealed_json<T: Serialize>(
        &self,
        table: &str,
        key: &str,
        value: &T,
    ) -> Result<BatchOp, WalletError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(value)
                .map_err(|e| WalletError::Storage(StoreError(e.to_string())))?,
        );
        Ok(self.sealed(table, key, &plain))
    }

    fn get_plain(&self, table: &str, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, WalletError> {
        match self.store.get(table, key)? {
            None => Ok(None),
            Some(stored) => self.cipher.open(table, key, &stored).map(Some),
        }
    }

    fn get_json<T: DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
    ) -> Result<Option<T>, WalletError> {
        match self.get_plain(table, key)? {
            None => Ok(None),
            Some(plain) => serde_json::from_slice(&plain).map(Some).map_err(|_| {
                WalletError::StorageCorrupt(format!("record {table}/{key}: contents"))
            }),
        }
    }

    /// Every record of a table; one damaged record fails the whole call.
    fn all_json<T: DeserializeOwned>(&self, table: &str) -> Result<Vec<(String, T)>, WalletError> {
        let mut out = Vec::new();
        for key in self.store.list_keys(table)? {
            let value = self.get_json(table, &key)?.ok_or_else(|| {
                WalletError::StorageCorrupt(format!("record {table}/{key} vanished"))
            })?;
            out.push((key, value));
        }
        Ok(out)
    }

    // ---- holder keys ----

    /// Generates a software holder key (Ed25519 or P-256), stored encrypted.
    pub fn create_holder_key(
        &self,
        key_type: KeyType,
        now: Timestamp,
    ) -> Result<HolderKey, WalletError> {
        if !matches!(key_type, KeyType::Ed25519 | KeyType::P256) {
            return Err(WalletError::UnsupportedKeyType(key_type));
        }
        let secret = SecretKey::generate(key_type, &mut rand_core::OsRng);
        let public = secret.public_key();
        let id = public.thumbprint();
        let record = KeyRecord {
            key_type: key_type.name().into(),
            public: b64url(public.to_bytes()),
            hardware_alias: None,
            created: now.unix(),
        };
        let ops = vec![
            self.sealed(T_SECRETS, &id, &secret.to_secret_bytes()),
            self.sealed_json(T_KEYS, &id, &record)?,
        ];
        self.store.write_batch(ops)?;
        Ok(self.holder_key_view(id, &record, &public))
    }

    /// Adds a hardware-backed holder key (Secure Enclave, StrongBox): only its
    /// public key and `alias` are stored; the signer is kept for this session.
    pub fn add_hardware_key(
        &self,
        alias: &str,
        signer: Arc<dyn Signer>,
        now: Timestamp,
    ) -> Result<HolderKey, WalletError> {
        let public = signer.public_key();
        let key_type = public.key_type();
        if !matches!(key_type, KeyType::Ed25519 | KeyType::P256) {
            return Err(WalletError::UnsupportedKeyType(key_type));
        }
        if self.find_alias(alias)?.is_some() {
            return Err(WalletError::KeyMismatch(alias.to_owned()));
        }
        let id = public.thumbprint();
        let record = KeyRecord {
            key_type: key_type.name().into(),
            public: b64url(public.to_bytes()),
            hardware_alias: Some(alias.to_owned()),
            created: now.unix(),
        };
        self.store
            .write_batch(vec![self.sealed_json(T_KEYS, &id, &record)?])?;
        self.hardware_map_mut().insert(alias.to_owned(), signer);
        Ok(self.holder_key_view(id, &record, &public))
    }

    /// Supplies the signer of a stored hardware key after [`Wallet::open`];
    /// its public key must be the stored one.
    pub fn bind_hardware_key(
        &self,
        alias: &str,
        signer: Arc<dyn Signer>,
    ) -> Result<(), WalletError> {
        let (_, record) = self
            .find_alias(alias)?
            .ok_or_else(|| WalletError::NotFound(alias.to_owned()))?;
        let stored = Self::record_public(&record)?;
        if signer.public_key() != stored {
            return Err(WalletError::KeyMismatch(alias.to_owned()));
        }
        self.hardware_map_mut().insert(alias.to_owned(), signer);
        Ok(())
    }

    fn hardware_map_mut(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<dyn Signer>>> {
        self.hardware.write().unwrap_or_else(|p| p.into_inner())
    }

    fn find_alias(&self, alias: &str) -> Result<Option<(String, KeyRecord)>, WalletError> {
        Ok(self
            .all_json::<KeyRecord>(T_KEYS)?
            .into_iter()
            .find(|(_, r)| r.hardware_alias.as_deref() == Some(alias)))
    }

    fn record_public(record: &KeyRecord) -> Result<PublicKey, WalletError> {
        let bytes = b64url_decode(&record.public).map_err(|_| corrupt("key record: public key"))?;
        PublicKey::from_bytes(key_type_of(&record.key_type)?, &bytes)
            .map_err(|_| corrupt("key record: public key"))
    }

    fn holder_key_view(&self, id: String, record: &KeyRecord, public: &PublicKey) -> HolderKey {
        let available = match &record.hardware_alias {
            None => true,
            Some(alias) => self
                .hardware
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(alias),
        };
        HolderKey {
            id,
            did: did_key_from_public(public).as_str().to_owned(),
            key_type: public.key_type(),
            hardware_alias: record.hardware_alias.clone(),
            available,
        }
    }

    /// Every holder key of this wallet.
    pub fn holder_keys(&self) -> Result<Vec<HolderKey>, WalletError> {
        self.all_json::<KeyRecord>(T_KEYS)?
            .into_iter()
            .map(|(id, r)| {
                let public = Self::record_public(&r)?;
                Ok(self.holder_key_view(id, &r, &public))
            })
            .collect()
    }

    /// The `did:key` of every holder key: what an issuer binds credentials to.
    pub fn holder_dids(&self) -> Result<Vec<String>, WalletError> {
        Ok(self.holder_keys()?.into_iter().map(|k| k.did).collect())
    }

    /// The signer of holder key `id`.
    fn signer(&self, id: &str) -> Result<Arc<dyn Signer>, WalletError> {
        let record: KeyRecord = self
            .get_json(T_KEYS, id)?
            .ok_or_else(|| corrupt("a credential's holder key is missing"))?;
        if let Some(alias) = &record.hardware_alias {
            return self
                .hardware
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(alias)
                .cloned()
                .ok_or_else(|| WalletError::HardwareKeyUnavailable(alias.clone()));
        }
        let secret = self
            .get_plain(T_SECRETS, id)?
            .ok_or_else(|| corrupt("a software key's secret is missing"))?;
        let key = SecretKey::from_bytes(key_type_of(&record.key_type)?, &secret)
            .map_err(|_| corrupt("secret key record"))?;
        if key.public_key() != Self::record_public(&record)? {
            return Err(corrupt("secret key does not match its public key"));
        }
        Ok(Arc::new(key))
    }

    // ---- credentials ----

    /// Verifies `credential` fully — signature, issuer (through `verifier`'s
    /// resolver), trust in `trust`, conformance to its type's schema,
    /// validity at `now`, status when `verifier` checks it — and that it is
    /// bound to one of this wallet's keys (the SD-JWT's `cnf`, or the VC's
    /// `credentialSubject.id`); then stores it. Otherwise nothing is stored.
    /// Receiving the same credential twice returns the same id.
    pub fn receive(
        &self,
        credential: &str,
        verifier: &Verifier,
        trust: &dyn TrustSource,
        now: Timestamp,
    ) -> Result<CredentialId, WalletError> {
        let credential = credential.trim();
        let policy = Policy {
            accepted_types: Vec::new(),
            required_claims: Vec::new(),
            require_schema: true,
        };
        let mut options = VerifyOptions::new(now, trust);
        options.policy = &policy;
        let verdict = verifier
            .verify(credential, &options)
            .map_err(WalletError::CouldNotCheck)?;
        if !verdict.verified {
            return Err(WalletError::Rejected {
                reasons: verdict.reasons.iter().map(|r| r.code).collect(),
            });
        }
        let format = verdict
            .format
            .ok_or_else(|| rejected(ReasonCode::Malformed))?;
        let (holder, disclosable_paths) = match format {
            Format::DcSdJwt => {
                // The issuer-signed payload was just verified; `cnf` is authentic.
                let held =
                    HeldSdJwt::parse(credential).map_err(|_| rejected(ReasonCode::Malformed))?;
                let cnf = held
                    .payload()
                    .get("cnf")
                    .ok_or_else(|| rejected(ReasonCode::HolderBinding))?;
                let key = cnf_key(cnf).map_err(|_| rejected(ReasonCode::HolderBinding))?;
                let paths = held
                    .disclosable_paths()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                (key, paths)
            }
            // The wallet presents SD-JWT VC and VC-JOSE credentials only.
            Format::DiEddsaJcs2022 | Format::DiEddsaRdfc2022 => {
                return Err(rejected(ReasonCode::UnsupportedAlgorithm));
            }
            Format::VcJwt => {
                let did = verdict
                    .claims
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| Did::parse(s).ok())
                    .ok_or_else(|| rejected(ReasonCode::HolderBinding))?;
                let key = public_key_from_did_key(&did)
                    .map_err(|_| rejected(ReasonCode::HolderBinding))?;
                (key, Vec::new())
            }
        };
        let holder_key = holder.thumbprint();
        match self.get_json::<KeyRecord>(T_KEYS, &holder_key)? {
            Some(r) if Self::record_public(&r)? == holder => {}
            _ => return Err(rejected(ReasonCode::HolderBinding)),
        }
        let id = credential_id(credential);
        if self.store.get(T_CREDENTIALS, &id)?.is_some() {
            // Already held; make sure the stored copy is intact.
            self.get_json::<CredentialRecord>(T_CREDENTIALS, &id)?;
            return Ok(id);
        }
        let parse = |s: &Option<String>| {
            s.as_deref()
                .and_then(|t| Timestamp::parse_rfc3339(t).ok())
                .map(Timestamp::unix)
        };
        let mut claims = verdict.claims.clone();
        claims.remove("id");
        let record = CredentialRecord {
            format: format_name(format).into(),
            raw: credential.to_owned(),
            types: verdict.types.clone(),
            issuer: verdict.issuer.clone().unwrap_or_default(),
            valid_from: parse(&verdict.valid_from),
            valid_until: parse(&verdict.valid_until),
            added: now.unix(),
            holder_key,
            claims,
            disclosable_paths,
        };
        self.store
            .write_batch(vec![self.sealed_json(T_CREDENTIALS, &id, &record)?])?;
        Ok(id)
    }

    fn credential(&self, id: &str) -> Result<CredentialRecord, WalletError> {
        self.get_json(T_CREDENTIALS, id)?
            .ok_or_else(|| WalletError::NotFound(id.to_owned()))
    }

    /// Every stored credential, oldest first.
    pub fn list(&self) -> Result<Vec<CredentialSummary>, WalletError> {
        let mut out: Vec<CredentialSummary> = self
            .all_json::<CredentialRecord>(T_CREDENTIALS)?
            .iter()
            .map(|(id, r)| r.summary(id))
            .collect();
        out.sort_by(|a, b| a.added.cmp(&b.added).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One credential with its claims, named in `locale` (`"de"`, `"fr-CH"`)
    /// from its type's schema.
    pub fn show(&self, id: &str, locale: &str) -> Result<CredentialDetails, WalletError> {
        let r = self.credential(id)?;
        let ctype = credential_type(&r.primary_type());
        let claims = r
            .claims
            .iter()
            .map(|(name, value)| ClaimView {
                name: name.clone(),
                display_name: ctype
                    .and_then(|t| t.display_name(name, locale))
                    .unwrap_or(name)
                    .to_owned(),
                value: value.clone(),
                selectively_disclosable: r.disclosable_paths.iter().any(|p| {
                    p == name
                        || p.starts_with(&format!("{name}."))
                        || p.starts_with(&format!("{name}[]"))
                }),
            })
            .collect();
        Ok(CredentialDetails {
            summary: r.summary(id),
            format: if r.format == "vc+jwt" {
                Format::VcJwt
            } else {
                Format::DcSdJwt
            },
            valid_from: r.valid_from.map(Timestamp::from_unix),
            claims,
            disclosable_paths: r.disclosable_paths.clone(),
        })
    }

    /// Deletes a credential.
    pub fn delete(&self, id: &str) -> Result<(), WalletError> {
        if self.store.get(T_CREDENTIALS, id)?.is_none() {
            return Err(WalletError::NotFound(id.to_owned()));
        }
        self.store.delete(T_CREDENTIALS, id)?;
        Ok(())
    }

    // ---- presenting ----

    /// Presents credential `id` to the verifier `audience`, answering its
    /// `nonce`: an SD-JWT that discloses `disclose` (claim paths; what the
    /// issuer made always-visible is always shown) with a key-binding JWT
    /// signed by the credential's holder key at `now`. Records the
    /// presentation in the activity log (claim names, no values); if the log
    /// cannot be written, no presentation is returned.
    pub fn present(
        &self,
        id: &str,
        audience: &str,
        nonce: &str,
        disclose: &[&str],
        now: Timestamp,
    ) -> Result<String, WalletError> {
        let r = self.credential(id)?;
        if r.format != "dc+sd-jwt" {
            return Err(WalletError::NotPresentable);
        }
        let held = HeldSdJwt::parse(&r.raw).map_err(|_| corrupt("stored credential"))?;
        let signer = self.signer(&r.holder_key)?;
        let kb = KeyBindingInput {
            audience,
            nonce,
            issued_at: now,
        };
        let presentation = held
            .present(disclose, Some((signer.as_ref(), kb)))
            .map_err(|e| match e {
                SdJwtError::UnknownClaim(c) => WalletError::UnknownClaim(c),
                SdJwtError::Sign(e) => WalletError::Sign(e.to_string()),
                _ => corrupt("stored credential"),
            })?;
        let mut disclosed: Vec<String> = disclose.iter().map(|s| s.trim().to_owned()).collect();
        disclosed.sort();
        disclosed.dedup();
        let entry = LogRecord {
            at: now.unix(),
            audience: audience.to_owned(),
            credential_id: id.to_owned(),
            credential_type: r.primary_type(),
            disclosed,
        };
        let key = log_key(now);
        self.store
            .write_batch(vec![self.sealed_json(T_LOG, &key, &entry)?])?;
        Ok(presentation)
    }

    /// The activity log, oldest first.
    pub fn activity_log(&self) -> Result<Vec<ActivityEntry>, WalletError> {
        Ok(self
            .all_json::<LogRecord>(T_LOG)?
            .into_iter()
            .map(|(_, e)| ActivityEntry {
                at: Timestamp::from_unix(e.at),
                audience: e.audience,
                credential_id: e.credential_id,
                credential_type: e.credential_type,
                disclosed: e.disclosed,
            })
            .collect())
    }
}

/// A credential's id: the first 16 bytes of SHA-256 of its text, base64url.
fn credential_id(credential: &str) -> String {
    use sha2::{Digest, Sha256};
    b64url(&Sha256::digest(credential.as_bytes())[..16])
}

/// Log keys sort by time: 20 decimal digits of the (offset) Unix time, then
/// random hex so that two entries in one second do not collide.
fn log_key(now: Timestamp) -> String {
    use rand_core::RngCore;
    let t = (i128::from(now.unix()) + i128::from(i64::MAX) + 1).clamp(0, i128::from(u64::MAX));
    format!("{t:020}-{:016x}", rand_core::OsRng.next_u64())
}

#[cfg(test)]
mod tests;
