//! The [`Signer`] trait: a signing key that may live outside this process.

use crate::alg::Algorithm;

use super::PublicKey;

/// Something that signs with one key: an in-process [`super::SecretKey`], a
/// phone's Secure Enclave or StrongBox, or an HSM. The private key never has
/// to enter Rust.
pub trait Signer: Send + Sync {
    /// The algorithm of the signatures this signer makes.
    fn algorithm(&self) -> Algorithm;

    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> PublicKey;

    /// Signs `message`. ECDSA signatures must be 64-byte `r‖s` (IEEE P1363);
    /// use [`crate::key::ecdsa_der_to_p1363`] to convert a DER signature.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The external key store refused or failed (locked, user cancelled, removed).
    #[error("the key store could not sign: {0}")]
    KeyStore(String),
    /// The external signer returned a signature that does not verify under its own public key.
    #[error("the signer returned an invalid signature")]
    BadSignature,
}
