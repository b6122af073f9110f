//! `stele-ffi`: Stele's UniFFI bindings for Kotlin, Swift and Python.
//!
//! Thin by rule (STYLE.md "The FFI layer is thin"): every exported function
//! converts its arguments, calls `stele-core`, and converts the result.
//! Errors reach the app as one [`StelError`], mapped in `error.rs`. What the
//! platform does better (hardware keys, key wrapping, HTTP) comes in as
//! foreign traits: [`Signer`], [`KeyWrap`], [`HttpTransport`].
//!
//! Bindings are generated from the built library by the workspace's
//! `uniffi-bindgen`; see `ffi/README.md`.

// The scaffolding UniFFI generates is `extern "C"` glue; this crate's own
// code has no `unsafe`.
uniffi::setup_scaffolding!();

mod error;
mod holder;
mod key;
mod platform;
mod signer;
mod verifier;
mod wallet;

pub use error::StelError;
pub use holder::present_sd_jwt;
pub use key::{HolderKey, KeyAlg, did_key_from_jwk, generate_holder_key};
pub use platform::{HttpResponse, HttpTransport, KeyWrap};
pub use signer::{SignatureEncoding, Signer};
pub use verifier::{CredentialFormat, HolderBindingState, ReasonRecord, VerdictRecord, Verifier};
pub use wallet::{
    ActivityEntry, ChallengeRequest, ClaimInfo, CredentialDetails, CredentialSummary,
    HolderKeyInfo, Presentation, QrCodeMatrix, RestoredWallet, Wallet, restore_wallet,
    wallet_exists,
};

/// The version of Stele these bindings were built from.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
