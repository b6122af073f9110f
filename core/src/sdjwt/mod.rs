//! SD-JWT (RFC 9901): selective disclosure with key binding.
//!
//! One file per role: [`issuer`] makes an SD-JWT with chosen claims
//! selectively disclosable, [`holder`] presents a subset with a key-binding
//! JWT, [`verifier`] checks every rule of RFC 9901 §7. The compact form is
//! `<issuer JWS>~<disclosure>~…~<disclosure>~<KB-JWT or empty>`.

mod disclosure;
pub mod holder;
pub mod issuer;
pub mod verifier;

pub use disclosure::Disclosure;

use crate::jose::JoseError;
use crate::json::JsonError;

/// The only digest algorithm Stele issues and accepts (`_sd_alg`).
pub const SD_ALG: &str = "sha-256";

/// Limits applied when reading an SD-JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdJwtLimits {
    /// Most disclosures accepted in one presentation.
    pub max_disclosures: usize,
    /// Largest accepted presentation, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of disclosures inside disclosures.
    pub max_depth: usize,
}

impl Default for SdJwtLimits {
    fn default() -> Self {
        SdJwtLimits {
            max_disclosures: 256,
            max_bytes: 512 * 1024,
            max_depth: 16,
        }
    }
}

/// Why an SD-JWT was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdJwtError {
    /// Not of the form `jws~disclosures~[kb]`; likely truncated or not an SD-JWT at all.
    #[error("malformed SD-JWT: {0}")]
    Malformed(&'static str),
    /// Over a size or count limit.
    #[error("SD-JWT exceeds a resource limit: {0}")]
    ResourceLimit(&'static str),
    /// The issuer-signed JWS failed (header policy, signature, JSON).
    #[error("issuer JWS: {0}")]
    Jws(JoseError),
    /// `_sd_alg` names a digest algorithm other than sha-256.
    #[error("unsupported _sd_alg {0:?}")]
    UnsupportedSdAlg(String),
    /// A disclosure is malformed, unreferenced, referenced twice, or clashes
    /// with a claim: the presentation was tampered with or built wrongly.
    #[error("disclosure error: {0}")]
    Disclosure(String),
    /// A key-binding JWT was required but is absent.
    #[error("key binding JWT required but missing")]
    KeyBindingMissing,
    /// The key-binding JWT is malformed, badly signed, stale, or its `sd_hash` does not match.
    #[error("key binding JWT invalid: {0}")]
    KeyBinding(String),
    /// The key-binding JWT was made for another verifier.
    #[error("key binding JWT audience does not match")]
    WrongAudience,
    /// The key-binding JWT answers another challenge.
    #[error("key binding JWT nonce does not match")]
    WrongNonce,
    /// The SD-JWT carries no `cnf` key, so the holder cannot be bound.
    #[error("SD-JWT has no usable cnf key for holder binding")]
    NoHolderKey,
    /// The holder asked to disclose a claim the SD-JWT does not have.
    #[error("no such claim to disclose: {0}")]
    UnknownClaim(String),
    /// Issuing or key binding could not sign.
    #[error("signing failed: {0}")]
    Sign(JoseError),
}

impl From<JsonError> for SdJwtError {
    fn from(e: JsonError) -> Self {
        SdJwtError::Disclosure(e.to_string())
    }
}

/// A compact SD-JWT split into its parts, nothing verified.
#[derive(Debug, Clone, Copy)]
pub struct SdJwtParts<'a> {
    /// The issuer-signed JWT.
    pub issuer_jwt: &'a str,
    /// The encoded disclosures, in order.
    pub disclosures: &'a str,
    /// The key-binding JWT, if present.
    pub kb_jwt: Option<&'a str>,
    /// Everything up to and including the last `~`: the input of `sd_hash`.
    pub hashed_part: &'a str,
}

impl<'a> SdJwtParts<'a> {
    /// Splits a compact SD-JWT (with or without key binding).
    pub fn split(input: &'a str, limits: &SdJwtLimits) -> Result<Self, SdJwtError> {
        if input.len() > limits.max_bytes {
            return Err(SdJwtError::ResourceLimit("presentation too large"));
        }
        let last = input
            .rfind('~')
            .ok_or(SdJwtError::Malformed("no '~' separator"))?;
        let hashed_part = &input[..=last];
        let kb = &input[last + 1..];
        let (issuer_jwt, disclosures) = match hashed_part[..last].split_once('~') {
            Some((jwt, rest)) => (jwt, rest),
            None => (&hashed_part[..last], ""),
        };
        if issuer_jwt.is_empty() {
            return Err(SdJwtError::Malformed("empty issuer JWT"));
        }
        let count = if disclosures.is_empty() {
            0
        } else {
            disclosures.split('~').count()
        };
        if count > limits.max_disclosures {
            return Err(SdJwtError::ResourceLimit("too many disclosures"));
        }
        Ok(SdJwtParts {
            issuer_jwt,
            disclosures,
            kb_jwt: (!kb.is_empty()).then_some(kb),
            hashed_part,
        })
    }

    /// The encoded disclosures; an empty one (`~~`) is an error.
    pub fn disclosure_strs(&self) -> impl Iterator<Item = &'a str> {
        let d = self.disclosures;
        d.split('~').filter(move |_| !d.is_empty())
    }
}

/// `sd_hash`: base64url(SHA-256(the presentation up to and including the last `~`)).
pub fn sd_hash(hashed_part: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::encoding::b64url(Sha256::digest(hashed_part.as_bytes()))
}

#[cfg(test)]
mod tests;
