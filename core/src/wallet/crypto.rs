//! Encryption of the wallet: XChaCha20-Poly1305 records under a random data
//! key, the [`KeyWrap`] seam that protects the data key, and the Argon2id
//! passphrase wrapping used on desktops, in tests and for backups.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::WalletError;

/// Length of the data key and of derived keys, in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// Length of an XChaCha20 nonce.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of an Argon2 salt.
const SALT_LEN: usize = 16;
/// Version byte at the start of every encrypted record.
const RECORD_VERSION: u8 = 1;

/// Protects the wallet's data key: the app implements it with Android
/// Keystore or the iOS Keychain; [`PassphraseKeyWrap`] derives a key from a
/// passphrase.
pub trait KeyWrap: Send + Sync {
    /// Encrypts (wraps) the 32-byte data key.
    fn wrap(&self, key: &[u8]) -> Result<Vec<u8>, WalletError>;
    /// Decrypts what [`KeyWrap::wrap`] returned. A wrong key or passphrase
    /// must fail ([`WalletError::WrongKey`]), never return other bytes.
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WalletError>;
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Argon2Params {
    /// The default for wallets and backups: 64 MiB, 3 passes, 1 lane
    /// (about 0.2–0.3 s on one desktop core; within what a phone can afford
    /// once per unlock). OWASP's minimum for Argon2id is 19 MiB, 2 passes.
    pub const DEFAULT: Argon2Params = Argon2Params {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters for tests only: never use them for real data.
    pub const INSECURE_FOR_TESTS: Argon2Params = Argon2Params {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// The most a stored header may ask for (1 GiB, 16 passes, 8 lanes), so
    /// that a crafted backup or wallet cannot exhaust the device.
    const MAX: Argon2Params = Argon2Params {
        memory_kib: 1024 * 1024,
        iterations: 16,
        parallelism: 8,
    };

    fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.extend_from_slice(&self.parallelism.to_be_bytes());
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let u = |i: usize| {
            bytes
                .get(i..i + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
        };
        let p = Argon2Params {
            memory_kib: u(0)?,
            iterations: u(4)?,
            parallelism: u(8)?,
        };
        (p.memory_kib <= Self::MAX.memory_kib
            && p.iterations <= Self::MAX.iterations
            && p.parallelism <= Self::MAX.parallelism)
            .then_some(p)
    }
}

/// Derives a 32-byte key from `passphrase` and `salt` with Argon2id.
fn derive(
    passphrase: &[u8],
    salt: &[u8],
    params: Argon2Params,
) -> Result<Zeroizing<[u8; KEY_LEN]>, WalletError> {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(KEY_LEN),
    )
    .map_err(|_| WalletError::StorageCorrupt("invalid Argon2 parameters".into()))?;
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(passphrase, salt, out.as_mut_slice())
        .map_err(|_| WalletError::StorageCorrupt("invalid Argon2 input".into()))?;
    Ok(out)
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

/// A fresh random data key.
pub(crate) fn random_key() -> Zeroizing<[u8; KEY_LEN]> {
    let mut k = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(k.as_mut_slice());
    k
}

/// XChaCha20-Poly1305 of `msg` under `key`, bound to `aad`: `nonce ‖ ciphertext ‖ tag`.
pub(crate) fn seal(key: &[u8; KEY_LEN], aad: &[u8], msg: &[u8]) -> Vec<u8> {
    let nonce: [u8; NONCE_LEN] = random();
    let cipher = XChaCha20Poly1305::new(key.into());
    // Encryption fails only for messages longer than 2^38 bytes, which no
    // wallet record or backup approaches; an empty result is refused on open.
    let ct = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg, aad })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens what [`seal`] made; `None` when the key, the associated data or a bit is wrong.
pub(crate) fn open(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad })
        .ok()
        .map(Zeroizing::new)
}

/// Encrypts and decrypts the wallet's records under the data key. The
/// associated data is the record's table and key, so a record moved to
/// another key or table no longer opens.
pub(crate) struct RecordCipher {
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordCipher(..)")
    }
}

fn record_aad(table: &str, key: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + table.len() + key.len());
    aad.extend_from_slice(b"stele-wallet-record\0");
    aad.push(RECORD_VERSION);
    aad.extend_from_slice(&(table.len() as u64).to_be_bytes());
    aad.extend_from_slice(table.as_bytes());
    aad.extend_from_slice(key.as_bytes());
    aad
}

impl RecordCipher {
    pub(crate) fn new(key: Zeroizing<[u8; KEY_LEN]>) -> Self {
        RecordCipher { key }
    }

    /// The data key, for wrapping it.
    pub(crate) fn key_bytes(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// A value that shows whether an unwrapped key is the wallet's key
    /// (a wrong key is [`WalletError::WrongKey`], a damaged record
    /// [`WalletError::StorageCorrupt`]). One-way: it reveals nothing of the key.
    pub(crate) fn key_check(&self) -> [u8; 16] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"stele-wallet-key-check\0");
        h.update(self.key.as_slice());
        let d = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        out
    }

    /// `version ‖ nonce ‖ ciphertext ‖ tag`.
    pub(crate) fn seal(&self, table: &str, key: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut out = vec![RECORD_VERSION];
        out.extend_from_slice(&seal(&self.key, &record_aad(table, key), plaintext));
        out
    }

    /// Opens one record; any change to it, or to where it is stored, is
    /// [`WalletError::StorageCorrupt`].
    pub(crate) fn open(
        &self,
        table: &str,
        key: &str,
        stored: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        match stored.split_first() {
            Some((&RECORD_VERSION, sealed)) => open(&self.key, &record_aad(table, key), sealed)
                .ok_or_else(|| WalletError::StorageCorrupt(format!("record {table}/{key}"))),
            _ => Err(WalletError::StorageCorrupt(format!(
                "record {table}/{key}: unknown record version"
            ))),
        }
    }
}

/// A passphrase sealed with Argon2id + XChaCha20-Poly1305, in the format
/// `magic ‖ params ‖ salt ‖ nonce ‖ ciphertext ‖ tag`; the header is the
/// associated data, so its parameters cannot be lowered unnoticed.
pub(crate) fn passphrase_seal(
    magic: &[u8],
    passphrase: &[u8],
    params: Argon2Params,
    plaintext: &[u8],
) -> Result<Vec<u8>, WalletError> {
    let salt: [u8; SALT_LEN] = random();
    let mut out = magic.to_vec();
    params.encode(&mut out);
    out.extend_from_slice(&salt);
    let kek = derive(passphrase, &salt, params)?;
    let sealed = seal(&kek, &out, plaintext);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens what [`passphrase_seal`] made: a wrong passphrase or any change is
/// [`WalletError::WrongKey`]; a header that is not ours is `not_ours`.
pub(crate) fn passphrase_open(
    magic: &[u8],
    passphrase: &[u8],
    sealed: &[u8],
    not_ours: WalletError,
) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    let header_len = magic.len() + 12 + SALT_LEN;
    if sealed.len() < header_len || !sealed.starts_with(magic) {
        return Err(not_ours);
    }
    let (header, body) = sealed.split_at(header_len);
    let params = Argon2Params::decode(&header[magic.len()..]).ok_or(not_ours)?;
    let salt = &header[magic.len() + 12..];
    let kek = derive(passphrase, salt, params)?;
    open(&kek, header, body).ok_or(WalletError::WrongKey)
}

const WRAP_MAGIC: &[u8] = b"stele-pkw1";

/// A [`KeyWrap`] that derives the wrapping key from a passphrase with
/// Argon2id (random 16-byte salt and the parameters stored with the wrapped
/// key). For desktops, the CLI and tests; phones use the platform keystore.
pub struct PassphraseKeyWrap {
    passphrase: Zeroizing<String>,
    params: Argon2Params,
}

impl fmt::Debug for PassphraseKeyWrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassphraseKeyWrap")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PassphraseKeyWrap {
    /// Wraps with [`Argon2Params::DEFAULT`].
    pub fn new(passphrase: &str) -> Self {
        Self::with_params(passphrase, Argon2Params::DEFAULT)
    }

    /// Wraps with the given parameters (unwrapping uses those stored with the key).
    pub fn with_params(passphrase: &str, params: Argon2Params) -> Self {
        PassphraseKeyWrap {
            passphrase: Zeroizing::new(passphrase.to_owned()),
            params,
        }
    }
}

impl KeyWrap for PassphraseKeyWrap {
    fn wrap(&self, key: &[u8]) -> Result<Vec<u8>, WalletError> {
        passphrase_seal(WRAP_MAGIC, self.passphrase.as_bytes(), self.params, key)
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        passphrase_open(
            WRAP_MAGIC,
            self.passphrase.as_bytes(),
            wrapped,
            WalletError::StorageCorrupt("wrapped data key".into()),
        )
    }
}
