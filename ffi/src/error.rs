//! The one error the app sees, and every mapping into it — in this file only.
//!
//! Each variant is something the app can act on; anything else is `Other`
//! (application-services `components/example/src/error.rs`). Messages are
//! plain words from core, which never carry claim values or key material.
//! The text field is `detail`, not `message`: Kotlin exceptions already
//! have a `message`, and a field of that name makes the generated Kotlin
//! ambiguous (it does not compile).

use std::cell::RefCell;

use stele_core::key::{KeyError, SignError};
use stele_core::qr::QrError;
use stele_core::sdjwt::SdJwtError;
use stele_core::verify::{TrustError, VerifyError};
use stele_core::wallet::WalletError;

use crate::verifier::ReasonRecord;

/// Why a call into Stele failed.
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
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
    /// The passphrase or platform key does not open this wallet or backup.
    /// A foreign `KeyWrap` throws it when its key does not decrypt (AEAD tag).
    #[error("wrong passphrase or key")]
    WrongKey,
    /// The user dismissed an authentication prompt. A foreign `KeyWrap` or
    /// `Signer` throws it; it reaches the caller unchanged. Nothing was done.
    #[error("cancelled by the user")]
    Cancelled,
    /// A hardware key of the wallet has no signer yet (after `open` or a
    /// restore): call `bind_hardware_key` with the platform key of that alias.
    #[error("hardware key {alias:?} is not bound")]
    KeyNotBound {
        /// The key's alias in the platform key store.
        alias: String,
    },
    /// No credential, key or wallet with this identifier.
    #[error("not found: {detail}")]
    NotFound {
        /// What was not found.
        detail: String,
    },
    /// A wallet already exists there: open it instead.
    #[error("already exists: {detail}")]
    AlreadyExists {
        /// What exists.
        detail: String,
    },
    /// The challenge's expiry has passed: ask the counter for a new one.
    #[error("challenge expired")]
    ChallengeExpired,
    /// The wallet's storage is damaged or was tampered with; nothing of it
    /// was returned. Restore from a backup.
    #[error("wallet storage is corrupt: {detail}")]
    StorageCorrupt {
        /// Which record or structure.
        detail: String,
    },
    /// The storage could not be read or written (disk full, file locked, I/O).
    #[error("storage: {detail}")]
    Storage {
        /// What the storage reported.
        detail: String,
    },
    /// The wallet or backup was written by a newer Stele: update the app.
    #[error("unsupported: {detail}")]
    Unsupported {
        /// What is not supported.
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

// ---- foreign errors ----------------------------------------------------------
//
// Core sees a foreign callback's failure as a string (`SignError::KeyStore`,
// `WalletError::KeyStore`); the adapters remember the app's own error here
// so that `Cancelled` or `KeyStore` thrown by a Kotlin or Swift callback
// reaches the caller as the same variant. Callbacks run synchronously on the
// calling thread, so a thread-local slot is enough.

thread_local! {
    static FOREIGN: RefCell<Option<StelError>> = const { RefCell::new(None) };
}

/// Remembers the error a foreign callback threw, for [`wallet_call`].
pub(crate) fn remember_foreign(e: &StelError) {
    FOREIGN.with(|f| *f.borrow_mut() = Some(e.clone()));
}

fn take_foreign() -> Option<StelError> {
    FOREIGN.with(|f| f.borrow_mut().take())
}

/// Runs a wallet operation and maps its error: the one place a
/// [`WalletError`] becomes a [`StelError`].
pub(crate) fn wallet_call<T>(f: impl FnOnce() -> Result<T, WalletError>) -> Result<T, StelError> {
    take_foreign();
    let result = f();
    let foreign = take_foreign();
    result.map_err(|e| match (e, foreign) {
        (WalletError::KeyStore(_) | WalletError::Sign(_), Some(thrown)) => thrown,
        (e, _) => e.into(),
    })
}

impl From<WalletError> for StelError {
    fn from(e: WalletError) -> Self {
        let detail = e.to_string();
        match e {
            WalletError::WrongKey => StelError::WrongKey,
            WalletError::StorageCorrupt(_) => StelError::StorageCorrupt { detail },
            WalletError::Storage(s) => StelError::Storage { detail: s.0 },
            WalletError::KeyStore(m) | WalletError::Sign(m) => StelError::KeyStore { detail: m },
            WalletError::NotInitialised | WalletError::NotFound(_) => {
                StelError::NotFound { detail }
            }
            WalletError::AlreadyInitialised => StelError::AlreadyExists { detail },
            WalletError::UnsupportedVersion(_) => StelError::Unsupported { detail },
            WalletError::Rejected { reasons } => StelError::Rejected {
                reasons: reasons
                    .into_iter()
                    .map(|code| ReasonRecord {
                        code: code.as_str().to_owned(),
                        message: code.plain_words().to_owned(),
                    })
                    .collect(),
            },
            WalletError::CouldNotCheck(v) => v.into(),
            WalletError::HardwareKeyUnavailable(alias) => StelError::KeyNotBound { alias },
            WalletError::UnsupportedKeyType(_)
            | WalletError::KeyMismatch(_)
            | WalletError::NotPresentable
            | WalletError::UnknownClaim(_)
            | WalletError::InvalidBackup => StelError::InvalidInput { detail },
            // `WalletError` is non-exhaustive: a new variant is reported, not guessed at.
            _ => StelError::Other { detail },
        }
    }
}

impl From<QrError> for StelError {
    fn from(e: QrError) -> Self {
        match e {
            QrError::Expired => StelError::ChallengeExpired,
            other => StelError::invalid(other),
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
    /// A foreign signer's failure, as core's signing step sees it (and
    /// remembered for `wallet_call`).
    fn from(e: StelError) -> Self {
        remember_foreign(&e);
        match e {
            StelError::KeyStore { detail } => SignError::KeyStore(detail),
            other => SignError::KeyStore(other.to_string()),
        }
    }
}
