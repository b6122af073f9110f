//! The [`Signer`] foreign trait (a key the platform holds: Android
//! Keystore / StrongBox, the Secure Enclave) and its adapter to core's
//! [`stele_core::key::Signer`].

use std::sync::Arc;

use stele_core::alg::Algorithm;
use stele_core::key::{self, Jwk, KeyType, PublicKey, SignError, ecdsa_der_to_p1363};

use crate::error::StelError;
use crate::key::KeyAlg;

/// How a [`Signer`] encodes its signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignatureEncoding {
    /// What JOSE uses: 64 bytes for Ed25519, `r‖s` (IEEE P1363) for ECDSA.
    Raw,
    /// ASN.1 DER `ECDSA-Sig-Value` (what Android Keystore, `java.security`
    /// `SHA256withECDSA` and the Secure Enclave return); converted here.
    Der,
}

/// A signing key the app holds; the private key never enters Rust.
/// `sign` gets the message itself (the platform hashes: SHA-256 for P-256).
#[uniffi::export(with_foreign)]
pub trait Signer: Send + Sync {
    /// The key's algorithm.
    fn algorithm(&self) -> KeyAlg;
    /// How `sign` encodes signatures.
    fn signature_encoding(&self) -> SignatureEncoding;
    /// The public key as a JWK (JSON text).
    fn public_key_jwk(&self) -> String;
    /// Signs `message`. Fails with `KeyStore` when the key store refuses
    /// (locked, cancelled, key removed).
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, StelError>;
}

/// A foreign [`Signer`] as core's signer: the public key is read and
/// checked once, DER signatures are converted to `r‖s`. (Core checks each
/// signature against the public key before it leaves a token.)
pub(crate) struct CoreSigner {
    inner: Arc<dyn Signer>,
    key_type: KeyType,
    public: PublicKey,
    encoding: SignatureEncoding,
}

impl CoreSigner {
    pub(crate) fn new(inner: Arc<dyn Signer>) -> Result<Self, StelError> {
        let key_type: KeyType = inner.algorithm().into();
        let jwk = Jwk::from_json(inner.public_key_jwk().as_bytes())?;
        let public = PublicKey::from_jwk(&jwk)?;
        if public.key_type() != key_type {
            return Err(StelError::KeyStore {
                detail: format!(
                    "the signer says {} but its public key is {}",
                    key_type.name(),
                    public.key_type().name()
                ),
            });
        }
        let encoding = inner.signature_encoding();
        Ok(CoreSigner {
            inner,
            key_type,
            public,
            encoding,
        })
    }
}

impl key::Signer for CoreSigner {
    fn algorithm(&self) -> Algorithm {
        self.key_type.algorithm()
    }
    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature = self.inner.sign(message.to_vec())?;
        match self.encoding {
            SignatureEncoding::Raw => Ok(signature),
            SignatureEncoding::Der => ecdsa_der_to_p1363(self.key_type, &signature)
                .map_err(|_| SignError::KeyStore("the signer's DER signature is malformed".into())),
        }
    }
}
