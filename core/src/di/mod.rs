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
//!   hashing, Ed25519 signing and strict verification (the steps both EdDSA
//!   suites share are one routine, `eddsa`, parameterised by the
//!   canonicalisation).
//! - [`presentation`] — a holder's presentation of one such credential,
//!   signed for `authentication` with the verifier's `challenge` and `domain`.
//!
//! - `eddsa_rdfc` and `jsonld` (feature `rdfc`, ADR 0006) — the
//!   `eddsa-rdfc-2022` cryptosuite: JSON-LD expansion with the bundled
//!   contexts and RDF Dataset Canonicalization (ssi's `ssi-json-ld` and
//!   `ssi-rdf`, and a direct path for the common shapes), then the same
//!   hashing and Ed25519 signature as `eddsa-jcs-2022`.
//!
//! `eddsa-jcs-2022` signs the JSON itself, with no JSON-LD processing.
//! Without the `rdfc` feature, `eddsa-rdfc-2022` proofs are refused as
//! unsupported ([`Cryptosuite::is_available`]).

pub mod context;
mod eddsa;
pub mod eddsa_jcs;
#[cfg(feature = "rdfc")]
pub mod eddsa_rdfc;
pub mod jcs;
#[cfg(feature = "rdfc")]
pub mod jsonld;
pub mod presentation;
pub mod proof;
#[cfg(feature = "rdfc")]
mod to_rdf;

pub use proof::{
    DataIntegrityProof, ProofCheck, ProofOptions, UnverifiedSecuredDocument, VerifiedDocument,
};

use crate::key::{SignError, SignatureError};

/// The proof `type` of every Data Integrity proof.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// The cryptosuites Stele knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cryptosuite {
    /// `eddsa-jcs-2022`: JSON Canonicalization Scheme, Stele's own code; always available.
    EddsaJcs2022,
    /// `eddsa-rdfc-2022`: RDF Dataset Canonicalization; available with the `rdfc` feature.
    EddsaRdfc2022,
}

impl Cryptosuite {
    /// The `eddsa-rdfc-2022` cryptosuite name (also when the feature is off).
    pub const EDDSA_RDFC_2022: &'static str = "eddsa-rdfc-2022";

    /// The cryptosuite's name, as in a proof's `cryptosuite`.
    pub fn name(self) -> &'static str {
        match self {
            Cryptosuite::EddsaJcs2022 => eddsa_jcs::CRYPTOSUITE,
            Cryptosuite::EddsaRdfc2022 => Self::EDDSA_RDFC_2022,
        }
    }

    /// The cryptosuite a proof's `cryptosuite` names, if Stele knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022]
            .into_iter()
            .find(|c| c.name() == name)
    }

    /// Whether this build can sign and verify with it (`eddsa-rdfc-2022`
    /// needs the `rdfc` feature).
    pub fn is_available(self) -> bool {
        match self {
            Cryptosuite::EddsaJcs2022 => true,
            Cryptosuite::EddsaRdfc2022 => cfg!(feature = "rdfc"),
        }
    }
}

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
    /// JSON-LD expansion or RDF canonicalisation failed: an undefined term, an invalid value, or a malformed JSON-LD document.
    #[error("JSON-LD processing failed: {0}")]
    Canonicalization(String),
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
    #[error("eddsa cryptosuites need an Ed25519 key")]
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
#[cfg(test)]
#[cfg(feature = "rdfc")]
mod tests_rdfc;
