//! The verdict: every check with its outcome and typed reasons.
//! Its JSON form is documented by `schemas/verdict.schema.json`.

use serde::Serialize;
use serde_json::{Map, Value};

/// Why a credential was rejected: the documented list (PRODUCT.md §6).
/// The `snake_case` names are stable and appear in JSON and exit reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonCode {
    /// The input is not a well-formed credential or presentation.
    Malformed,
    /// The algorithm is not allowed (`none`, HMAC, unknown, or left out of the allow-list).
    UnsupportedAlgorithm,
    /// The issuer's signature does not verify.
    BadSignature,
    /// The key is unusable (weak, wrong type, not for assertions).
    InvalidKey,
    /// The issuer is not trusted or not accredited for this credential type.
    UntrustedIssuer,
    /// Claims contradict each other or the credential type's schema.
    ClaimMismatch,
    /// The credential's validity period has ended.
    Expired,
    /// The credential's validity period has not begun.
    NotYetValid,
    /// The presentation was made for another verifier.
    WrongAudience,
    /// The presentation answers another challenge.
    WrongNonce,
    /// The presentation (its nonce) was already used.
    Replay,
    /// Holder binding was required but is absent or impossible.
    HolderBinding,
    /// A disclosure is malformed, unreferenced, duplicated or clashes.
    DisclosureError,
    /// The key-binding JWT is malformed, badly signed, stale or does not match.
    KeyBindingError,
    /// A proof (Data Integrity) is malformed or does not verify.
    ProofError,
    /// A JSON-LD context that is not allowed.
    ContextNotAllowed,
    /// The issuer DID is invalid, unknown, deactivated or lacks the key.
    DidInvalid,
    /// Resolving the DID or fetching a resource was refused by policy.
    ResolutionForbidden,
    /// The status list could not be retrieved.
    StatusRetrievalError,
    /// The status list's own proof does not verify.
    StatusVerificationError,
    /// The status index is outside the list.
    StatusRangeError,
    /// The issuer revoked the credential.
    Revoked,
    /// The issuer suspended the credential.
    Suspended,
    /// The input exceeds a size or count limit.
    ResourceLimit,
    /// Stored data is corrupt.
    StorageCorrupt,
}

impl ReasonCode {
    /// The stable `snake_case` code.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Malformed => "malformed",
            ReasonCode::UnsupportedAlgorithm => "unsupported_algorithm",
            ReasonCode::BadSignature => "bad_signature",
            ReasonCode::InvalidKey => "invalid_key",
            ReasonCode::UntrustedIssuer => "untrusted_issuer",
            ReasonCode::ClaimMismatch => "claim_mismatch",
            ReasonCode::Expired => "expired",
            ReasonCode::NotYetValid => "not_yet_valid",
            ReasonCode::WrongAudience => "wrong_audience",
            ReasonCode::WrongNonce => "wrong_nonce",
            ReasonCode::Replay => "replay",
            ReasonCode::HolderBinding => "holder_binding",
            ReasonCode::DisclosureError => "disclosure_error",
            ReasonCode::KeyBindingError => "key_binding_error",
            ReasonCode::ProofError => "proof_error",
            ReasonCode::ContextNotAllowed => "context_not_allowed",
            ReasonCode::DidInvalid => "did_invalid",
            ReasonCode::ResolutionForbidden => "resolution_forbidden",
            ReasonCode::StatusRetrievalError => "status_retrieval_error",
            ReasonCode::StatusVerificationError => "status_verification_error",
            ReasonCode::StatusRangeError => "status_range_error",
            ReasonCode::Revoked => "revoked",
            ReasonCode::Suspended => "suspended",
            ReasonCode::ResourceLimit => "resource_limit",
            ReasonCode::StorageCorrupt => "storage_corrupt",
        }
    }

    /// A plain-words explanation for a clerk (English).
    pub fn plain_words(self) -> &'static str {
        match self {
            ReasonCode::Malformed => "The code could not be read as a credential.",
            ReasonCode::UnsupportedAlgorithm => {
                "The credential is signed with a method this counter does not accept."
            }
            ReasonCode::BadSignature => {
                "The issuer's signature is not valid: the credential was altered or forged."
            }
            ReasonCode::InvalidKey => "The signing key is not usable for credentials.",
            ReasonCode::UntrustedIssuer => {
                "The issuer is not trusted to issue this kind of credential."
            }
            ReasonCode::ClaimMismatch => {
                "The credential's contents are inconsistent or not what this counter needs."
            }
            ReasonCode::Expired => "The credential has expired.",
            ReasonCode::NotYetValid => "The credential is not valid yet.",
            ReasonCode::WrongAudience => "The credential was shown to another counter.",
            ReasonCode::WrongNonce => {
                "The credential was not shown for this counter's current request."
            }
            ReasonCode::Replay => "This presentation was already used once; ask for a new one.",
            ReasonCode::HolderBinding => {
                "It could not be confirmed that the person showing the credential holds it."
            }
            ReasonCode::DisclosureError => {
                "The disclosed details do not match what the issuer signed."
            }
            ReasonCode::KeyBindingError => {
                "The holder's confirmation of the presentation is not valid."
            }
            ReasonCode::ProofError => "The credential's proof is not valid.",
            ReasonCode::ContextNotAllowed => {
                "The credential refers to a vocabulary this counter does not accept."
            }
            ReasonCode::DidInvalid => {
                "The issuer's identifier could not be resolved to a valid key."
            }
            ReasonCode::ResolutionForbidden => {
                "Looking up the issuer was not permitted by this service's policy."
            }
            ReasonCode::StatusRetrievalError => {
                "The credential's revocation status could not be retrieved."
            }
            ReasonCode::StatusVerificationError => {
                "The revocation list could not be authenticated."
            }
            ReasonCode::StatusRangeError => "The credential's revocation entry is out of range.",
            ReasonCode::Revoked => "The issuer has revoked the credential.",
            ReasonCode::Suspended => "The issuer has suspended the credential.",
            ReasonCode::ResourceLimit => "The code is too large or too complex to process.",
            ReasonCode::StorageCorrupt => "Stored data is damaged.",
        }
    }
}

/// One reason for a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The stable code.
    pub code: ReasonCode,
    /// Plain words, safe to show and log: never contains claim values.
    pub message: String,
}

impl Reason {
    /// A reason with a technical detail appended to the plain words.
    pub fn new(code: ReasonCode, detail: impl std::fmt::Display) -> Self {
        Reason {
            code,
            message: format!("{} ({detail})", code.plain_words()),
        }
    }
}

/// The named steps of verification, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// Read the input and recognise its format.
    Parse,
    /// Resolve the issuer's DID to its signing key.
    ResolveIssuer,
    /// Verify the issuer's signature (and, for SD-JWT, the disclosures).
    Proof,
    /// Check the data model and the credential type's schema.
    Claims,
    /// Check the validity period against `now`.
    Validity,
    /// Check the issuer is trusted / accredited for the type at issuance.
    Trust,
    /// Check the status list (revocation, suspension).
    Status,
    /// Check holder binding (key binding, nonce, audience, single use).
    HolderBinding,
    /// Apply the counter's policy.
    Policy,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check ran and passed.
    Passed,
    /// The check ran and failed; see `reason`.
    Failed,
    /// The check did not run because an earlier one failed.
    Skipped,
    /// The check does not apply (nothing to check, not requested).
    NotApplicable,
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which step.
    pub name: CheckName,
    /// Its outcome.
    pub outcome: Outcome,
    /// The reason code when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonCode>,
}

/// The securing format of the verified input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// VC-JOSE (`vc+jwt`), or a VCDM 1.1 JWT-VC.
    VcJwt,
    /// SD-JWT VC (`dc+sd-jwt`), possibly with key binding.
    DcSdJwt,
    /// A JSON credential secured with Data Integrity proofs of the
    /// `eddsa-jcs-2022` cryptosuite.
    #[serde(rename = "di-eddsa-jcs-2022")]
    DiEddsaJcs2022,
    /// A JSON-LD credential secured with Data Integrity proofs of the
    /// `eddsa-rdfc-2022` cryptosuite (verified with the `rdfc` feature;
    /// `unsupported_algorithm` without it).
    #[serde(rename = "di-eddsa-rdfc-2022")]
    DiEddsaRdfc2022,
}

/// What was established about holder binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderBindingStatus {
    /// Key binding verified, for this verifier's audience and nonce.
    Verified,
    /// A key-binding JWT verified, but no challenge was given to compare with.
    KeyBindingOnly,
    /// Holder binding was not checked (quick check, or format without it).
    NotChecked,
    /// Holder binding was checked and failed.
    Failed,
}

/// The result of a verification that could run to the end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// True only when every applicable check passed.
    pub verified: bool,
    /// The format, once recognised.
    pub format: Option<Format>,
    /// The issuer DID, once read.
    pub issuer: Option<String>,
    /// The credential types.
    pub types: Vec<String>,
    /// The verified, disclosed subject claims; empty unless `verified`.
    pub claims: Map<String, Value>,
    /// Start of the validity period (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// End of the validity period (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// What was established about holder binding.
    pub holder_binding: HolderBindingStatus,
    /// Every check in order.
    pub checks: Vec<Check>,
    /// The reasons for rejection (empty when verified).
    pub reasons: Vec<Reason>,
}

impl Verdict {
    /// The JSON form.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether `code` is among the reasons.
    pub fn has_reason(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}
