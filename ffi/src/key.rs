//! Holder keys made in Rust ([`HolderKey`]) and the did:key of a key made
//! on the platform.

use std::sync::Arc;

use rand_core::OsRng;
use stele_core::did::did_key_from_public;
use stele_core::key::{Jwk, KeyType, PublicKey, SecretKey};

use crate::error::StelError;
use crate::signer::{SignatureEncoding, Signer};

/// The key algorithms a holder key can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyAlg {
    /// Ed25519 (EdDSA): software keys.
    Ed25519,
    /// NIST P-256 (ES256): software keys, and hardware keys (StrongBox, Secure Enclave).
    P256,
}

impl From<KeyAlg> for KeyType {
    fn from(alg: KeyAlg) -> Self {
        match alg {
            KeyAlg::Ed25519 => KeyType::Ed25519,
            KeyAlg::P256 => KeyType::P256,
        }
    }
}

impl TryFrom<KeyType> for KeyAlg {
    type Error = StelError;
    fn try_from(kt: KeyType) -> Result<Self, StelError> {
        match kt {
            KeyType::Ed25519 => Ok(KeyAlg::Ed25519),
            KeyType::P256 => Ok(KeyAlg::P256),
            other => Err(StelError::invalid(format!(
                "{} is not a holder key algorithm (Ed25519 or P-256)",
                other.name()
            ))),
        }
    }
}

/// A software holder key generated and kept in Rust. The secret never
/// crosses the FFI: the app gets the DID, the public JWK and signatures.
#[derive(uniffi::Object)]
pub struct HolderKey {
    secret: SecretKey,
}

/// Generates a fresh holder key from the operating system's random source.
#[uniffi::export]
pub fn generate_holder_key(alg: KeyAlg) -> Arc<HolderKey> {
    Arc::new(HolderKey {
        secret: SecretKey::generate(alg.into(), &mut OsRng),
    })
}

/// The did:key of a public key given as a JWK (JSON text), e.g. one the
/// platform key store generated. Refuses private JWKs.
#[uniffi::export]
pub fn did_key_from_jwk(public_jwk: String) -> Result<String, StelError> {
    let jwk = Jwk::from_json(public_jwk.as_bytes())?;
    let key = PublicKey::from_jwk(&jwk)?;
    Ok(did_key_from_public(&key).to_string())
}

#[uniffi::export]
impl HolderKey {
    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlg {
        match self.secret.key_type() {
            KeyType::P256 => KeyAlg::P256,
            // Only Ed25519 and P-256 keys are ever generated here.
            _ => KeyAlg::Ed25519,
        }
    }

    /// The key's did:key (the holder DID credentials are bound to).
    pub fn did(&self) -> String {
        did_key_from_public(&self.secret.public_key()).to_string()
    }

    /// The public key as a JWK (JSON text).
    pub fn public_jwk(&self) -> String {
        self.secret.public_key().to_jwk().to_value().to_string()
    }

    /// Signs `message`: Ed25519, or ES256 as 64-byte `r‖s`.
    pub fn sign(&self, message: Vec<u8>) -> Vec<u8> {
        self.secret.sign_bytes(&message)
    }

    /// This key as a [`Signer`], for the calls that take one.
    pub fn signer(self: Arc<Self>) -> Arc<dyn Signer> {
        self
    }
}

/// A Rust-held key is a [`Signer`] too (raw signatures).
impl Signer for HolderKey {
    fn algorithm(&self) -> KeyAlg {
        HolderKey::algorithm(self)
    }
    fn signature_encoding(&self) -> SignatureEncoding {
        SignatureEncoding::Raw
    }
    fn public_key_jwk(&self) -> String {
        self.public_jwk()
    }
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, StelError> {
        Ok(HolderKey::sign(self, message))
    }
}
