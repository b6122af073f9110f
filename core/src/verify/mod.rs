//! The verification pipeline.
//!
//! `parse → resolve issuer → check proof → check claims → check validity →
//! check trust → check status → check holder binding → apply policy →`
//! [`Verdict`]. Each step returns the typed value the next one needs, so an
//! unchecked credential cannot reach the verdict. Everything a verification
//! depends on is injected through [`VerifyOptions`] (time, trust, algorithms,
//! holder binding, policy, limits) and the [`Verifier`]'s seams (DID
//! resolution, status, nonces).
//!
//! `Result<Verdict, VerifyError>`: a [`Verdict`] means the checks ran (and
//! says which failed and why); a [`VerifyError`] means something could not
//! be checked (an outage) — never reported as valid nor as forged.

pub mod nonce;
mod pipeline;
pub mod policy;
pub mod status;
pub mod trust;
pub mod verdict;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use nonce::{MemoryNonceStore, NonceState, NonceStore};
pub use policy::Policy;
pub use status::{StatusChecker, StatusError, StatusOutcome};
pub use trust::{AnyOf, TrustError, TrustList, TrustSource};
pub use verdict::{
    Check, CheckName, Format, HolderBindingStatus, Outcome, Reason, ReasonCode, Verdict,
};

use crate::alg::AlgorithmSet;
use crate::did::{DidError, DidResolver};
use crate::jose::JwsLimits;
use crate::key::PublicKey;
use crate::sdjwt::SdJwtLimits;
use crate::time::Timestamp;

/// Why a verification could not be carried out ("could not check").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The issuer's DID could not be resolved because its source is unreachable.
    #[error("could not resolve the issuer: {0}")]
    Resolution(DidError),
    /// The trust / accreditation source is unreachable.
    #[error("could not check the issuer's accreditation: {0}")]
    Trust(TrustError),
    /// The status list source is unreachable and nothing fresh is cached.
    #[error("could not check the credential's status: {0}")]
    Status(StatusError),
    /// The nonce store failed.
    #[error("could not check the nonce: {0}")]
    Nonce(nonce::NonceError),
}

/// What holder binding the verifier requires, and the transaction it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct HolderBinding<'a> {
    /// A key-binding proof must be present.
    pub required: bool,
    /// This verifier's identifier, which the presentation's audience must equal.
    pub audience: Option<&'a str>,
    /// This transaction's nonce, which the presentation must carry (single use).
    pub nonce: Option<&'a str>,
    /// How old a key-binding proof may be, in seconds.
    pub max_age_secs: i64,
}

impl HolderBinding<'_> {
    /// No holder binding required (a "quick check").
    pub const NONE: HolderBinding<'static> = HolderBinding {
        required: false,
        audience: None,
        nonce: None,
        max_age_secs: 300,
    };
}

/// Size and count limits for one verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_input_bytes: usize,
    /// JWS limits.
    pub jws: JwsLimits,
    /// SD-JWT limits.
    pub sd_jwt: SdJwtLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 512 * 1024,
            jws: JwsLimits::default(),
            sd_jwt: SdJwtLimits::default(),
        }
    }
}

/// The context of one verification.
#[derive(Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// The time to verify at.
    pub now: Timestamp,
    /// Who may issue what.
    pub trust: &'a dyn TrustSource,
    /// The algorithm allow-list.
    pub algorithms: AlgorithmSet,
    /// The holder binding required, with audience and nonce.
    pub holder_binding: HolderBinding<'a>,
    /// The counter's policy.
    pub policy: &'a Policy,
    /// Tolerated clock difference for validity periods, in seconds.
    pub clock_skew_secs: i64,
    /// Limits.
    pub limits: Limits,
    /// Which of the optional checks run (default: all).
    pub checks: CheckSelection,
}

/// Which of the optional checks run. Reading the input, resolving the
/// issuer, the proof, the data model, holder binding (when required) and
/// the policy always run; the validity period, issuer trust and the status
/// list can be left out — a VC-API caller's `options.checks` chooses them
/// (the counter routes run all). A check left out is reported as
/// [`verdict::Outcome::NotApplicable`] and cannot fail the verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSelection {
    /// `validFrom` / `validUntil` (`nbf` / `exp`) against the time.
    pub validity: bool,
    /// The issuer is trusted / accredited for the type at issuance.
    pub trust: bool,
    /// The status list entries (revocation, suspension).
    pub status: bool,
}

impl CheckSelection {
    /// Every check.
    pub const ALL: CheckSelection = CheckSelection {
        validity: true,
        trust: true,
        status: true,
    };
}

impl<'a> VerifyOptions<'a> {
    /// Options with defaults: all algorithms, no holder binding, no policy, 60 s skew.
    pub fn new(now: Timestamp, trust: &'a dyn TrustSource) -> Self {
        static NO_POLICY: Policy = Policy {
            accepted_types: Vec::new(),
            required_claims: Vec::new(),
            require_schema: false,
        };
        VerifyOptions {
            now,
            trust,
            algorithms: AlgorithmSet::ALL,
            holder_binding: HolderBinding::NONE,
            policy: &NO_POLICY,
            clock_skew_secs: 60,
            limits: Limits::default(),
            checks: CheckSelection::ALL,
        }
    }
}

/// Verifies credentials and presentations. Cheap to share across threads.
pub struct Verifier {
    resolver: Arc<dyn DidResolver>,
    status: Option<Arc<dyn StatusChecker>>,
    nonces: Option<Arc<dyn NonceStore>>,
    /// Decoded did:key keys: a did:key never changes, so its decoded,
    /// decompressed key is kept (bounded) to keep verification near the
    /// cost of the signature itself.
    did_key_cache: RwLock<HashMap<String, PublicKey>>,
    /// Decoded keys of resolved verification methods: method id → (the key
    /// material it was decoded from, the key).
    method_key_cache: RwLock<HashMap<String, (String, PublicKey)>>,
}

const DID_KEY_CACHE_CAPACITY: usize = 4096;

impl Verifier {
    /// A verifier that resolves issuers with `resolver`.
    pub fn new(resolver: Arc<dyn DidResolver>) -> Self {
        Verifier {
            resolver,
            status: None,
            nonces: None,
            did_key_cache: RwLock::new(HashMap::new()),
            method_key_cache: RwLock::new(HashMap::new()),
        }
    }

    /// Checks status entries with `checker`. Without one, the status step
    /// reports "not applicable".
    #[must_use]
    pub fn with_status(mut self, checker: Arc<dyn StatusChecker>) -> Self {
        self.status = Some(checker);
        self
    }

    /// Consumes presentation nonces in `store`, so each is accepted once.
    #[must_use]
    pub fn with_nonce_store(mut self, store: Arc<dyn NonceStore>) -> Self {
        self.nonces = Some(store);
        self
    }

    /// Verifies a credential or presentation (`vc+jwt`, SD-JWT VC with or
    /// without key binding), given as text or as a scanned presentation QR
    /// payload (`SP…:`, see [`crate::qr`]).
    pub fn verify(&self, input: &str, options: &VerifyOptions<'_>) -> Result<Verdict, VerifyError> {
        let trimmed = input.trim();
        if crate::qr::is_presentation_payload(trimmed) {
            let limits = crate::qr::PayloadLimits::DEFAULT;
            let unpacked = crate::qr::decode(trimmed, limits)
                .and_then(|(_, bytes)| crate::qr::unpack_presentation(&bytes));
            return match unpacked {
                Ok(text) => pipeline::run(self, &text, options),
                Err(e) => Ok(pipeline::rejected_at_parse(Reason::new(
                    ReasonCode::Malformed,
                    format!("QR payload: {e}"),
                ))),
            };
        }
        pipeline::run(self, input, options)
    }
}

#[cfg(test)]
mod tests;
