//! The `eddsa-jcs-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites
//! v1.0, §3.3): JCS transformation, proof configuration, hashing, and an
//! Ed25519 signature over `SHA-256(canonical proof config) ‖
//! SHA-256(canonical document)`, verified with `verify_strict` (the steps
//! both EdDSA suites share are in [`super::eddsa`]).

use serde_json::{Map, Value};

use super::DiError;
pub use super::eddsa::HashData;
use super::eddsa::{Replace, Suite};
use super::jcs::canonicalize_object_with;
use super::proof::{DataIntegrityProof, ProofOptions};
use crate::key::{PublicKey, Signer};

/// The cryptosuite's name.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

const SUITE: Suite = Suite {
    name: CRYPTOSUITE,
    canonical,
    proof_carries_context: true,
};

/// JCS of `object` with members replaced, without copying it.
fn canonical(object: &Map<String, Value>, replace: &Replace<'_>) -> Result<String, DiError> {
    Ok(canonicalize_object_with(object, replace)?)
}

/// Transformation (§3.3.3): the canonical form of the unsecured document.
pub fn transform(unsecured: &Map<String, Value>) -> Result<String, DiError> {
    SUITE.transform(unsecured)
}

/// Proof configuration (§3.3.5): the proof options (a proof without
/// `proofValue`) with the document's `@context`, canonicalised. Refuses
/// options of another type or cryptosuite.
pub fn proof_configuration(
    options: &Map<String, Value>,
    document_context: Option<&Value>,
) -> Result<String, DiError> {
    SUITE.proof_configuration(options, document_context)
}

/// The hash data of a proof over `unsecured` with `options` (Create Proof
/// steps 2–4), exposed so that tests can compare every intermediate value.
pub fn hash_data(
    unsecured: &Map<String, Value>,
    options: &Map<String, Value>,
) -> Result<HashData, DiError> {
    SUITE.hash_data(unsecured, options)
}

/// Create Proof (§3.3.1): the proof object — the options, the document's
/// `@context`, and `proofValue` — for `unsecured` (which must not carry the
/// proof being made; in a chain it carries the proofs it chains to).
pub fn create_proof(
    unsecured: &Map<String, Value>,
    options: &ProofOptions,
    signer: &dyn Signer,
) -> Result<Map<String, Value>, DiError> {
    SUITE.create_proof(unsecured, options, signer)
}

/// Verify Proof (§3.3.2) of one proof over `document` (the document without
/// `proof`); `chained` is the value of `proof` in the signed document when
/// this proof is part of a chain. `key` is the key of the proof's
/// verification method, already resolved.
pub fn verify_proof(
    document: &Map<String, Value>,
    chained: Option<&Value>,
    proof: &DataIntegrityProof,
    key: &PublicKey,
) -> Result<(), DiError> {
    SUITE.verify_proof(document, chained, proof, key)
}
