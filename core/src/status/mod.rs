//! W3C Bitstring Status List v1.0: the lists an issuer publishes to revoke
//! and suspend credentials, the entries credentials carry to point into
//! them, and the signed `BitstringStatusListCredential` that carries a list.
//!
//! Scope: status size 1 and the purposes `revocation` and `suspension`.
//! `statusSize` > 1, `statusMessage` and the purposes `message` and
//! `refresh` are refused with [`StatusListError::Unsupported`] rather than
//! misread.
//!
//! - [`StatusList`] ([`list`]): the bitstring; GZIP + multibase base64url
//!   encoding; decoding that never allocates past [`DecodeLimits`].
//! - [`StatusEntry`] ([`entry`]): a `BitstringStatusListEntry`, read from a
//!   VC's `credentialStatus` or from an SD-JWT VC's `status` claim
//!   ([`entries_from_status_claim`]; the SD-JWT form is in ADR 0016).
//! - [`issue_status_list_credential`] / [`verify_status_list_credential`]
//!   ([`credential`]): the list as a VC-JOSE `vc+jwt`.
//!
//! This module performs no I/O: fetching a list (HTTP, chain) is the
//! caller's; the [`crate::verify::StatusChecker`] seam is where a fetched,
//! verified list answers the pipeline, with [`StatusListError`] mapping onto
//! [`StatusError`].

pub mod credential;
pub mod entry;
pub mod list;

pub use credential::{
    StatusListCredentialParams, VerifiedStatusList, issue_status_list_credential,
    verify_status_list_credential, verify_status_list_credential_with_limits,
};
pub use entry::{StatusEntry, credential_status, entries_from_status_claim, sd_jwt_status_claim};
pub use list::{DecodeLimits, MIN_ENTRIES, StatusList};

use std::fmt;

use crate::credential::model::CredentialError;
use crate::jose::JoseError;
use crate::time::Timestamp;
use crate::verify::{StatusError, StatusOutcome};

/// What a status list's bits mean (`statusPurpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// A set bit means revoked, for good.
    Revocation,
    /// A set bit means suspended; clearing it reinstates the credential.
    Suspension,
}

impl StatusPurpose {
    /// The `statusPurpose` value: `revocation` or `suspension`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }

    /// Reads a `statusPurpose` value. `message` and `refresh` are valid in
    /// the specification but not supported here; anything else is malformed.
    pub fn parse(s: &str) -> Result<Self, StatusListError> {
        match s {
            "revocation" => Ok(StatusPurpose::Revocation),
            "suspension" => Ok(StatusPurpose::Suspension),
            "message" | "refresh" => Err(StatusListError::Unsupported(
                "statusPurpose other than revocation or suspension",
            )),
            _ => Err(StatusListError::Entry("unknown statusPurpose")),
        }
    }

    /// The outcome a bit of a list with this purpose stands for: a set
    /// revocation bit is [`StatusOutcome::Revoked`], a set suspension bit
    /// [`StatusOutcome::Suspended`], a clear bit [`StatusOutcome::Valid`].
    pub fn outcome(self, bit: bool) -> StatusOutcome {
        match (self, bit) {
            (_, false) => StatusOutcome::Valid,
            (StatusPurpose::Revocation, true) => StatusOutcome::Revoked,
            (StatusPurpose::Suspension, true) => StatusOutcome::Suspended,
        }
    }
}

impl fmt::Display for StatusPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a status list, a status entry or a status list credential was
/// refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// `encodedList` is not multibase base64url (`u`) GZIP, or the GZIP
    /// stream is corrupt or followed by other bytes; likely a truncated or
    /// mangled list.
    #[error("malformed encoded status list: {0}")]
    Malformed(&'static str),
    /// The encoded or the decompressed list exceeds its cap; likely a
    /// compression bomb or a wrong input.
    #[error("status list exceeds the size limit of {limit} bytes")]
    TooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The list has fewer than [`MIN_ENTRIES`] entries (the specification's
    /// minimum for herd privacy), or a length that is not whole bytes.
    #[error("status list of {entries} entries: at least 131072, in whole bytes, are required")]
    Length {
        /// The number of entries asked for or found.
        entries: u64,
    },
    /// The index is not inside the list; the entry points past the end of
    /// the list it names.
    #[error("status index {index} is outside the list of {len} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The list's number of entries.
        len: usize,
    },
    /// A status entry is malformed: wrong `type`, missing member, an index
    /// that is not a canonical base-10 string, a list URL that is not a URL.
    #[error("malformed status entry: {0}")]
    Entry(&'static str),
    /// A feature of Bitstring Status List that Stele does not implement
    /// (`statusSize` > 1, `statusMessage`, purposes `message`/`refresh`), or
    /// another status mechanism (IETF Token Status List `status_list`).
    #[error("unsupported status feature: {0}")]
    Unsupported(&'static str),
    /// The status list credential is not a well-formed VC.
    #[error("status list credential: {0}")]
    Credential(#[from] CredentialError),
    /// The status list credential is a VC but not a
    /// `BitstringStatusListCredential` as the specification describes it.
    #[error("not a BitstringStatusListCredential: {0}")]
    ListCredential(&'static str),
    /// The status list credential's JWS is malformed or its signature does
    /// not verify under the issuer's key; likely forged or tampered with.
    #[error("status list credential proof: {0}")]
    Proof(#[from] JoseError),
    /// The status list credential was issued by someone else than the
    /// credential's issuer.
    #[error("status list credential issuer is not the expected issuer")]
    Issuer,
    /// The status list credential's `id` is not the URL the entry names;
    /// likely a list served under the wrong URL.
    #[error("status list credential id is not the expected list URL")]
    Url,
    /// The entry's `statusPurpose` differs from the list's.
    #[error("status purpose {entry} does not match the list's purpose {list}")]
    PurposeMismatch {
        /// The entry's purpose.
        entry: StatusPurpose,
        /// The list's purpose.
        list: StatusPurpose,
    },
    /// The status list credential's `validFrom` is in the future.
    #[error("status list credential is valid only from {0}")]
    NotYetValid(Timestamp),
    /// The status list credential's `validUntil` has passed: a stale list.
    #[error("status list credential expired at {0}")]
    Expired(Timestamp),
    /// Issuing a status list credential failed (signer, or invalid parameters).
    #[error("cannot issue the status list credential: {0}")]
    Issue(String),
}

impl From<StatusListError> for StatusError {
    /// Maps onto the pipeline's status errors: problems with the entry are
    /// [`StatusError::Range`], problems with the list or its credential are
    /// [`StatusError::Verification`]. Neither is ever "valid".
    fn from(e: StatusListError) -> Self {
        match e {
            StatusListError::IndexOutOfRange { .. }
            | StatusListError::Entry(_)
            | StatusListError::Unsupported(_)
            | StatusListError::PurposeMismatch { .. } => StatusError::Range(e.to_string()),
            StatusListError::Malformed(_)
            | StatusListError::TooLarge { .. }
            | StatusListError::Length { .. }
            | StatusListError::Credential(_)
            | StatusListError::ListCredential(_)
            | StatusListError::Proof(_)
            | StatusListError::Issuer
            | StatusListError::Url
            | StatusListError::NotYetValid(_)
            | StatusListError::Expired(_)
            | StatusListError::Issue(_) => StatusError::Verification(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests;
