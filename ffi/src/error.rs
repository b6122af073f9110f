//! The one error the app sees, and every mapping into it — in this file only.
//!
//! Each variant is something the app can act on; anything else is `Other`
//! (application-services `components/example/src/error.rs`). Messages are
//! plain words from core, which never carry claim values or key material.
//! The text field is `detail`, not `message`: Kotlin exceptions already
//! have a `message`, and a field of that name makes the generated Kotlin
//! ambiguous (it does not compile).

use stele_core::key::{KeyError, SignError};
use stele_core::sdjwt::SdJwtError;
use stele_core::verify::{TrustError, VerifyError};

use crate::verifier::ReasonRecord;

/// Why a call into Stele failed.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum StelError {
    /// The app passed something Stele cannot read: a malformed credential,
    /// trust list or JWK, or a claim the credential does not have. Fix the input.
    #[error("invalid input: {detail}")]
    InvalidInput {
        /// What was wrong, in plain words.
        detail: String,
    },
    /// The input was read and checked, and refused for these reasons (show them).
    #[error("rejected ({} reasons)", reasons.len())]
    Rejected {
        /// The reasons, with stable codes.
        reasons: Vec<ReasonRecord>,
    },
    /// Something Stele depends on could not be reached (network, chain, a
    /// resolver): nothing was decided; retry later.
    #[error("unavailable: {detail}")]
    Unavailable {
        /// What could not be reached.
        detail: String,
    },
    /// The platform key store refused or failed (locked, user cancelled,
    /// key removed), or returned a signature that does not fit its key.
    #[error("key store: {detail}")]
    KeyStore {
        /// What the key store reported.
        detail: String,
    },
    /// Anything else: a bug, or a failure inside a foreign callback. Report it.
    #[error("{detail}")]
    Other {
        /// A description for the report.
        detail: String,
    },
}

impl StelError {
    pub(crate) fn invalid(message: impl ToString) -> Self {
        StelError::InvalidInput {
            detail: message.to_string(),
        }
    }
}

impl From<KeyError> for StelError {
    fn from(e: KeyError) -> Self {
        StelError::invalid(e)
    }
}

impl From<TrustError> for StelError {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::Unavailable(m) => StelError::Unavailable { detail: m },
            other => StelError::invalid(other),
        }
    }
}

impl From<VerifyError> for StelError {
    /// A `VerifyError` is always "could not check": an outage, never a verdict.
    fn from(e: VerifyError) -> Self {
        StelError::Unavailable {
            detail: e.to_string(),
        }
    }
}

impl From<SignError> for StelError {
    fn from(e: SignError) -> Self {
        StelError::KeyStore {
            detail: e.to_string(),
        }
    }
}

impl From<SdJwtError> for StelError {
    fn from(e: SdJwtError) -> Self {
        match e {
            SdJwtError::Sign(stele_core::jose::JoseError::Sign(sign)) => sign.into(),
            SdJwtError::Sign(other) => StelError::Other {
                detail: other.to_string(),
            },
            other => StelError::invalid(other),
        }
    }
}

/// The app's side of a callback failed in a way its signature does not
/// allow (an unchecked exception); UniFFI needs this to report it.
impl From<uniffi::UnexpectedUniFFICallbackError> for StelError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        StelError::Other {
            detail: format!("unexpected error in a platform callback: {}", e.reason),
        }
    }
}

impl From<StelError> for SignError {
    /// A foreign signer's failure, as core's signing step sees it.
    fn from(e: StelError) -> Self {
        match e {
            StelError::KeyStore { detail } => SignError::KeyStore(detail),
            other => SignError::KeyStore(other.to_string()),
        }
    }
}
