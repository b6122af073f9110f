//! Compact JWS (RFC 7515) with a strict header policy.
//!
//! Decoding never trusts the token to choose how it is checked: the caller
//! states which algorithms and which `typ` it accepts in a [`HeaderPolicy`],
//! the key comes from the caller (never from `jku`/`x5u`, which are refused),
//! `crit` is refused unless every listed parameter is understood, duplicate
//! JSON members are refused, and sizes are capped. A decoded token is an
//! [`UnverifiedJws`]; only [`UnverifiedJws::verify`] yields the payload as a
//! [`VerifiedJws`].

mod jws;

pub use jws::{Header, UnverifiedJws, VerifiedJws, sign_compact, verify_compact_bytes};

use crate::alg::{AlgError, AlgorithmSet};
use crate::json::{JsonError, JsonLimits};
use crate::key::{SignError, SignatureError};

/// `typ` values (media types without `application/`) per format.
pub mod typ {
    /// VC-JOSE-COSE: a credential secured as a JWS.
    pub const VC_JWT: &str = "vc+jwt";
    /// VC-JOSE-COSE: a presentation secured as a JWS.
    pub const VP_JWT: &str = "vp+jwt";
    /// SD-JWT VC (current draft name).
    pub const DC_SD_JWT: &str = "dc+sd-jwt";
    /// SD-JWT VC (earlier draft name, still read).
    pub const VC_SD_JWT: &str = "vc+sd-jwt";
    /// RFC 9901 key-binding JWT.
    pub const KB_JWT: &str = "kb+jwt";
    /// A plain JWT (VC Data Model 1.1 JWT-VCs).
    pub const JWT: &str = "JWT";
}

/// What a decoder accepts in a protected header.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy<'a> {
    /// Algorithms accepted.
    pub algorithms: AlgorithmSet,
    /// Accepted `typ` values (compared case-insensitively, `application/`
    /// prefix optional). Empty: `typ` is not checked. `None` in the list: a
    /// missing `typ` is accepted.
    pub typ: &'a [Option<&'a str>],
    /// Header parameters this caller understands when listed in `crit`.
    pub understood_crit: &'a [&'a str],
    /// Size limits.
    pub limits: JwsLimits,
}

/// Size limits for a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwsLimits {
    /// Largest accepted token, in bytes.
    pub max_token_bytes: usize,
    /// Limits for the decoded header and payload JSON.
    pub json: JsonLimits,
}

impl Default for JwsLimits {
    fn default() -> Self {
        JwsLimits {
            max_token_bytes: 256 * 1024,
            json: JsonLimits::DEFAULT,
        }
    }
}

/// Why a JWS was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// Not three base64url parts, or the parts do not decode; likely a truncated or mangled scan.
    #[error("malformed JWS: {0}")]
    Malformed(&'static str),
    /// The header or payload is not acceptable JSON (duplicate members, too deep, not an object).
    #[error("malformed JWS JSON: {0}")]
    Json(#[from] JsonError),
    /// The token exceeds the size limit.
    #[error("JWS of {0} bytes exceeds the size limit")]
    TooLarge(usize),
    /// `alg` is missing, forbidden (`none`, HMAC), unsupported or not allowed here.
    #[error("algorithm refused: {0}")]
    Algorithm(#[from] AlgError),
    /// `typ` is missing or not the one this format requires.
    #[error("unexpected typ {found:?}")]
    Typ {
        /// The `typ` the token carries.
        found: Option<String>,
    },
    /// `crit` names a parameter this verifier does not understand, or is malformed.
    #[error("critical header parameter not understood: {0}")]
    Crit(String),
    /// A header parameter Stele refuses (`jku`, `x5u`: keys are never fetched from a token's say-so).
    #[error("header parameter {0:?} is not allowed")]
    ForbiddenHeader(&'static str),
    /// The signature does not verify, or does not fit the key.
    #[error("signature check failed: {0}")]
    Signature(#[from] SignatureError),
    /// Signing failed (external key store).
    #[error("signing failed: {0}")]
    Sign(#[from] SignError),
}
