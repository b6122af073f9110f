//! Keys: Ed25519, P-256 and secp256k1 public and secret keys, strict
//! signature verification, JWK import/export and the [`Signer`] trait.
//!
//! Verification rules (pinned, see ADR 0010):
//! - Ed25519: `verify_strict` (cofactorless equation), public keys must be
//!   canonical encodings of points that are not of small order; signatures
//!   with small-order or non-canonical `R`, or `S ≥ ℓ`, are refused.
//! - ES256: 64-byte `r‖s` (IEEE P1363), `0 < r, s < n`; both `s` and `n − s`
//!   are accepted as JOSE does not require low-S.
//! - ES256K: as ES256 on secp256k1, and `s` must be low (≤ n/2), as on Ethereum.

mod jwk;
mod signer;

pub use jwk::{Jwk, jwk_thumbprint};
pub use signer::{SignError, Signer};

use std::fmt;

use ed25519_dalek::Verifier as _;
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::alg::Algorithm;
use crate::encoding::{b64url, b64url_decode};

/// The kinds of key Stele signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Ed25519 (EdDSA).
    Ed25519,
    /// NIST P-256 (ES256).
    P256,
    /// secp256k1 (ES256K).
    Secp256k1,
}

impl KeyType {
    /// The signature algorithm used with this key type.
    pub fn algorithm(self) -> Algorithm {
        match self {
            KeyType::Ed25519 => Algorithm::EdDSA,
            KeyType::P256 => Algorithm::ES256,
            KeyType::Secp256k1 => Algorithm::ES256K,
        }
    }

    /// Parses the names used by the CLI and configuration: `ed25519`, `p256`, `secp256k1`.
    pub fn from_name(name: &str) -> Result<Self, KeyError> {
        match name.to_ascii_lowercase().as_str() {
            "ed25519" => Ok(KeyType::Ed25519),
            "p256" | "p-256" | "secp256r1" | "es256" => Ok(KeyType::P256),
            "secp256k1" | "es256k" => Ok(KeyType::Secp256k1),
            _ => Err(KeyError::UnsupportedKeyType(name.to_owned())),
        }
    }

    /// The lower-case name used by the CLI.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::P256 => "p256",
            KeyType::Secp256k1 => "secp256k1",
        }
    }
}

/// Why a key could not be read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key type or curve Stele does not implement.
    #[error("unsupported key type {0:?}")]
    UnsupportedKeyType(String),
    /// The key bytes have the wrong length or are not a point on the curve.
    #[error("invalid {0:?} public key encoding")]
    InvalidPublicKey(KeyType),
    /// An Ed25519 key that is of small order, or encoded non-canonically.
    #[error("weak or non-canonical Ed25519 public key")]
    WeakKey,
    /// Secret key bytes of the wrong length or out of range.
    #[error("invalid {0:?} secret key")]
    InvalidSecretKey(KeyType),
    /// A JWK that is malformed, inconsistent, or carries a private part where none belongs.
    #[error("invalid JWK: {0}")]
    InvalidJwk(&'static str),
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature was made with another algorithm than the key's.
    #[error("algorithm {alg} cannot be used with a {key:?} key")]
    AlgorithmMismatch {
        /// The algorithm the token names.
        alg: Algorithm,
        /// The key's type.
        key: KeyType,
    },
    /// Wrong length, or a scalar out of range (including high-S on secp256k1).
    #[error("malformed or non-canonical signature")]
    Malformed,
    /// Well-formed, but does not verify under this key and message.
    #[error("signature does not verify")]
    Invalid,
}

/// A public key of one of the supported types, already checked to be valid.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 key (canonical, not of small order).
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 key.
    P256(p256::ecdsa::VerifyingKey),
    /// A secp256k1 key.
    Secp256k1(k256::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Reads a public key: 32 raw bytes for Ed25519, a SEC1 point (compressed
    /// or uncompressed) for the ECDSA curves.
    pub fn from_bytes(kt: KeyType, bytes: &[u8]) -> Result<Self, KeyError> {
        match kt {
            KeyType::Ed25519 => {
                let arr: &[u8; 32] = bytes
                    .try_into()
                    .map_err(|_| KeyError::InvalidPublicKey(kt))?;
                let vk = ed25519_dalek::VerifyingKey::from_bytes(arr)
                    .map_err(|_| KeyError::InvalidPublicKey(kt))?;
                // Non-canonical encodings decompress to a point whose
                // encoding differs from the input; small-order points are weak.
                if vk.is_weak() || vk.as_bytes() != arr {
                    return Err(KeyError::WeakKey);
                }
                Ok(PublicKey::Ed25519(vk))
            }
            KeyType::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
                .map(PublicKey::P256)
                .map_err(|_| KeyError::InvalidPublicKey(kt)),
            KeyType::Secp256k1 => k256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
                .map(PublicKey::Secp256k1)
                .map_err(|_| KeyError::InvalidPublicKey(kt)),
        }
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Ed25519(_) => KeyType::Ed25519,
            PublicKey::P256(_) => KeyType::P256,
            PublicKey::Secp256k1(_) => KeyType::Secp256k1,
        }
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.key_type().algorithm()
    }

    /// Raw Ed25519 bytes, or the compressed SEC1 point for ECDSA keys.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::Ed25519(k) => k.to_bytes().to_vec(),
            PublicKey::P256(k) => k.to_encoded_point(true).as_bytes().to_vec(),
            PublicKey::Secp256k1(k) => k.to_encoded_point(true).as_bytes().to_vec(),
        }
    }

    /// The uncompressed SEC1 point of an ECDSA key (`None` for Ed25519).
    pub fn to_uncompressed_point(&self) -> Option<Vec<u8>> {
        match self {
            PublicKey::Ed25519(_) => None,
            PublicKey::P256(k) => Some(k.to_encoded_point(false).as_bytes().to_vec()),
            PublicKey::Secp256k1(k) => Some(k.to_encoded_point(false).as_bytes().to_vec()),
        }
    }

    /// Verifies `signature` over `message` under the strict rules in the module docs.
    pub fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        if alg != self.algorithm() {
            return Err(SignatureError::AlgorithmMismatch {
                alg,
                key: self.key_type(),
            });
        }
        match self {
            PublicKey::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| SignatureError::Malformed)?;
                k.verify_strict(message, &sig)
                    .map_err(|_| SignatureError::Invalid)
            }
            PublicKey::P256(k) => {
                let sig = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| SignatureError::Malformed)?;
                k.verify(message, &sig).map_err(|_| SignatureError::Invalid)
            }
            PublicKey::Secp256k1(k) => {
                let sig = k256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| SignatureError::Malformed)?;
                if sig.normalize_s().is_some() {
                    return Err(SignatureError::Malformed);
                }
                k.verify(message, &sig).map_err(|_| SignatureError::Invalid)
            }
        }
    }

    /// The public JWK (RFC 7517 / RFC 8037).
    pub fn to_jwk(&self) -> Jwk {
        match self {
            PublicKey::Ed25519(k) => Jwk::okp("Ed25519", b64url(k.as_bytes())),
            PublicKey::P256(k) => {
                let p = k.to_encoded_point(false);
                Jwk::ec("P-256", ec_coord(p.x()), ec_coord(p.y()))
            }
            PublicKey::Secp256k1(k) => {
                let p = k.to_encoded_point(false);
                Jwk::ec("secp256k1", ec_coord(p.x()), ec_coord(p.y()))
            }
        }
    }

    /// Reads a public JWK; a JWK that carries a private part (`d`) is refused.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if jwk.d.is_some() {
            return Err(KeyError::InvalidJwk("a public JWK must not carry \"d\""));
        }
        let (kt, bytes) = jwk.public_parts()?;
        if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(KeyError::InvalidJwk("the key's \"use\" is not \"sig\""));
        }
        if jwk
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|o| o == "verify"))
        {
            return Err(KeyError::InvalidJwk(
                "the key's \"key_ops\" do not include \"verify\"",
            ));
        }
        if jwk
            .alg
            .as_deref()
            .is_some_and(|a| Algorithm::from_jose_name(a) != Ok(kt.algorithm()))
        {
            return Err(KeyError::InvalidJwk(
                "the key's \"alg\" does not fit its curve",
            ));
        }
        Self::from_bytes(kt, &bytes)
    }

    /// The RFC 7638 thumbprint of the public JWK, base64url-encoded.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.to_jwk())
    }
}

fn ec_coord(c: Option<&p256::FieldBytes>) -> String {
    // Coordinates are present for every uncompressed, non-identity point,
    // which is all `to_encoded_point(false)` returns for a verifying key.
    c.map(b64url).unwrap_or_default()
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({:?}, {})",
            self.key_type(),
            b64url(self.to_bytes())
        )
    }
}

/// A secret signing key held in this process. Zeroized on drop; its `Debug`
/// shows only the key type and the public key's thumbprint; it is not
/// serializable: exporting it is the explicit [`SecretKey::to_private_jwk_json`].
pub enum SecretKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// P-256.
    P256(p256::ecdsa::SigningKey),
    /// secp256k1.
    Secp256k1(k256::ecdsa::SigningKey),
}

impl SecretKey {
    /// Generates a fresh key from a cryptographic random source.
    pub fn generate(kt: KeyType, rng: &mut impl CryptoRngCore) -> Self {
        match kt {
            KeyType::Ed25519 => SecretKey::Ed25519(ed25519_dalek::SigningKey::generate(rng)),
            KeyType::P256 => SecretKey::P256(p256::ecdsa::SigningKey::random(rng)),
            KeyType::Secp256k1 => SecretKey::Secp256k1(k256::ecdsa::SigningKey::random(rng)),
        }
    }

    /// Reads a secret key from its 32 secret bytes (Ed25519 seed or ECDSA scalar).
    pub fn from_bytes(kt: KeyType, bytes: &[u8]) -> Result<Self, KeyError> {
        match kt {
            KeyType::Ed25519 => {
                let seed: &[u8; 32] = bytes
                    .try_into()
                    .map_err(|_| KeyError::InvalidSecretKey(kt))?;
                Ok(SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                    seed,
                )))
            }
            KeyType::P256 => p256::ecdsa::SigningKey::from_slice(bytes)
                .map(SecretKey::P256)
                .map_err(|_| KeyError::InvalidSecretKey(kt)),
            KeyType::Secp256k1 => k256::ecdsa::SigningKey::from_slice(bytes)
                .map(SecretKey::Secp256k1)
                .map_err(|_| KeyError::InvalidSecretKey(kt)),
        }
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match self {
            SecretKey::Ed25519(_) => KeyType::Ed25519,
            SecretKey::P256(_) => KeyType::P256,
            SecretKey::Secp256k1(_) => KeyType::Secp256k1,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            SecretKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            SecretKey::P256(k) => PublicKey::P256(*k.verifying_key()),
            SecretKey::Secp256k1(k) => PublicKey::Secp256k1(*k.verifying_key()),
        }
    }

    /// Signs `message`; ECDSA signatures are `r‖s` (P1363) and low-S.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        use ed25519_dalek::Signer as _;
        match self {
            SecretKey::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            SecretKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
            }
            SecretKey::Secp256k1(k) => {
                let sig: k256::ecdsa::Signature = k.sign(message);
                sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
            }
        }
    }

    /// The 32 secret bytes, in a buffer that is zeroized on drop.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match self {
            SecretKey::Ed25519(k) => k.to_bytes().to_vec(),
            SecretKey::P256(k) => k.to_bytes().to_vec(),
            SecretKey::Secp256k1(k) => k.to_bytes().to_vec(),
        })
    }

    /// Exports the private JWK as JSON text (zeroized on drop). This is the
    /// only way key material leaves a `SecretKey`; the CLI writes it to a
    /// file of mode 0600.
    pub fn to_private_jwk_json(&self) -> Zeroizing<String> {
        let mut jwk = self.public_key().to_jwk();
        jwk.d = Some(Zeroizing::new(b64url(self.to_secret_bytes().as_slice())));
        let json = jwk.to_json_with_private();
        Zeroizing::new(json)
    }

    /// Reads a private JWK, checking that its public part matches `d`.
    pub fn from_private_jwk_json(text: &str) -> Result<Self, KeyError> {
        let jwk = Jwk::from_json_allow_private(text.as_bytes())?;
        let d = jwk
            .d
            .as_ref()
            .ok_or(KeyError::InvalidJwk("a private JWK needs \"d\""))?;
        let secret = Zeroizing::new(
            b64url_decode(d).map_err(|_| KeyError::InvalidJwk("\"d\" is not base64url"))?,
        );
        let (kt, public) = jwk.public_parts()?;
        let sk = SecretKey::from_bytes(kt, &secret)?;
        let expected = PublicKey::from_bytes(kt, &public)?;
        if sk.public_key() != expected {
            return Err(KeyError::InvalidJwk("public part does not match \"d\""));
        }
        Ok(sk)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SecretKey({:?}, public thumbprint {})",
            self.key_type(),
            self.public_key().thumbprint()
        )
    }
}

impl Signer for SecretKey {
    fn algorithm(&self) -> Algorithm {
        self.key_type().algorithm()
    }
    fn public_key(&self) -> PublicKey {
        SecretKey::public_key(self)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(self.sign_bytes(message))
    }
}

/// Converts a DER-encoded ECDSA signature (what Android Keystore and the
/// Secure Enclave return) to the 64-byte `r‖s` form JOSE uses, normalised to low-S.
pub fn ecdsa_der_to_p1363(kt: KeyType, der: &[u8]) -> Result<Vec<u8>, SignatureError> {
    match kt {
        KeyType::P256 => {
            let sig =
                p256::ecdsa::Signature::from_der(der).map_err(|_| SignatureError::Malformed)?;
            Ok(sig.normalize_s().unwrap_or(sig).to_bytes().to_vec())
        }
        KeyType::Secp256k1 => {
            let sig =
                k256::ecdsa::Signature::from_der(der).map_err(|_| SignatureError::Malformed)?;
            Ok(sig.normalize_s().unwrap_or(sig).to_bytes().to_vec())
        }
        KeyType::Ed25519 => Err(SignatureError::Malformed),
    }
}

#[cfg(test)]
mod tests;
