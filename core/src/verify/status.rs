//! The status step's seam: a [`StatusChecker`] answers whether a credential's
//! status entry says revoked or suspended. Bitstring Status List checking
//! against the chain plugs in here (`stele-registry`).

use serde_json::Value;

use crate::time::Timestamp;

/// The status a checker found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    /// Neither revoked nor suspended.
    Valid,
    /// Revoked by the issuer.
    Revoked,
    /// Suspended by the issuer.
    Suspended,
}

/// Why a status could not be established.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The source of status lists is unreachable and no fresh copy is cached: could not check.
    #[error("status source unavailable: {0}")]
    Unavailable(String),
    /// The list referenced by the entry does not exist or cannot be read.
    #[error("status list could not be retrieved: {0}")]
    Retrieval(String),
    /// The list's own proof or publisher is not valid.
    #[error("status list could not be verified: {0}")]
    Verification(String),
    /// The entry's index is outside the list, or the entry is malformed.
    #[error("status entry out of range: {0}")]
    Range(String),
}

/// Checks one status entry (`credentialStatus` of a VC, `status` of an SD-JWT VC).
pub trait StatusChecker: Send + Sync {
    /// The status of the credential issued by `issuer` with this `entry`, as of `now`.
    fn check(
        &self,
        issuer: &str,
        entry: &Value,
        now: Timestamp,
    ) -> Result<StatusOutcome, StatusError>;
}
