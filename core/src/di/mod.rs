//! W3C Verifiable Credential Data Integrity 1.0 with the `eddsa-jcs-2022`
//! cryptosuite (W3C Data Integrity EdDSA Cryptosuites v1.0, §3.3).
//!
//! - [`jcs`] — RFC 8785 JSON Canonicalization Scheme, Stele's own.
//! - [`context`] — the JSON-LD `@context` allow-list: only bundled contexts
//!   are accepted, nothing is ever fetched.
//! - [`proof`] — the `DataIntegrityProof` model, proof options, and
//!   [`proof::UnverifiedSecuredDocument`] (a document with its proof set or
//!   proof chain, before any signature is checked).
//! - [`eddsa_jcs`] — the cryptosuite: transformation, proof configuration,
//!   hashing, Ed25519 signing and strict verification.
//! - [`presentation`] — a holder's presentation of one such credential,
//!   signed for `authentication` with the verifier's `challenge` and `domain`.
//!
//! No JSON-LD processing happens here: `eddsa-jcs-2022` signs the JSON
//! itself. `eddsa-rdfc-2022` (RDF canonicalisation) is not implemented yet.

pub mod context;
pub mod eddsa_jcs;
pub mod jcs;
pub mod presentation;
pub mod proof;

pub use proof::{
    DataIntegrityProof, ProofCheck, ProofOptions, UnverifiedSecuredDocument, VerifiedDocument,
};

use crate::key::{SignError, SignatureError};

/// The proof `type` of every Data Integrity proof.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// Why a Data Integrity document or proof was refused, or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiError {
    /// The document has no canonical form (a number outside the exact range of a double, or nesting too deep).
    #[error("no canonical JSON form: {0}")]
    Jcs(#[from] jcs::JcsError),
    /// A JSON-LD context outside the allow-list (a remote URL Stele does not bundle, or an inline context).
    #[error("JSON-LD context not allowed: {0}")]
    ContextNotAllowed(String),
    /// The document carries no `proof`.
    #[error("the document has no proof")]
    NoProof,
    /// A proof is not a well-formed Data Integrity proof (a member missing or of the wrong type).
    #[error("malformed proof: {0}")]
    MalformedProof(String),
    /// The proof is of another type or cryptosuite than the ones Stele implements.
    #[error("unsupported proof type or cryptosuite {0:?}")]
    UnsupportedCryptosuite(String),
    /// More proofs than the limit; likely a hostile input.
    #[error("more than {0} proofs")]
    TooManyProofs(usize),
    /// The proof's `@context` is not a prefix of the document's: the proof was made for another document.
    #[error("the proof's @context does not match the document's")]
    ContextMismatch,
    /// A `previousProof` names no proof of the document's proof set.
    #[error("previousProof names a proof that is not in the document")]
    PreviousProofMissing,
    /// `proofPurpose` is not the purpose the verifier expects (assertionMethod for credentials, authentication for presentations).
    #[error("proof purpose {found:?} where {expected:?} is required")]
    WrongPurpose {
        /// The purpose the verifier requires.
        expected: &'static str,
        /// The purpose the proof states (at most 64 characters).
        found: String,
    },
    /// The proof's `challenge` is not the verifier's nonce (or is missing).
    #[error("the proof's challenge does not match")]
    WrongChallenge,
    /// The proof's `domain` does not contain the verifier's audience (or is missing).
    #[error("the proof's domain does not match")]
    WrongDomain,
    /// The proof's `created` is later than the verification time.
    #[error("the proof was created in the future")]
    CreatedInFuture,
    /// The proof's `expires` has passed.
    #[error("the proof has expired")]
    ProofExpired,
    /// The verification method's key is not an Ed25519 key, or a signer is not Ed25519.
    #[error("eddsa-jcs-2022 needs an Ed25519 key")]
    KeyType,
    /// The signature is malformed or does not verify.
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
    /// The signer failed.
    #[error("signing failed: {0}")]
    Sign(#[from] SignError),
}

#[cfg(test)]
mod tests;
