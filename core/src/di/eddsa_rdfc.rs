//! The `eddsa-rdfc-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites
//! v1.0, §3.2): RDF Dataset Canonicalization of the JSON-LD document and of
//! the proof configuration (through [`super::jsonld`], feature `rdfc`), then
//! the same hashing, signature and strict verification as `eddsa-jcs-2022`
//! ([`super::eddsa`]).
//!
//! Every `@context` is checked against the allow-list before any JSON-LD
//! processing.

use serde_json::{Map, Value};

use super::DiError;
use super::context::check_contexts;
use super::eddsa::{HashData, Replace, Suite};
use super::jsonld::canonical_nquads;
use super::proof::{DataIntegrityProof, ProofOptions};
use crate::key::{PublicKey, Signer};

/// The cryptosuite's name.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

const SUITE: Suite = Suite {
    name: CRYPTOSUITE,
    canonical,
    proof_carries_context: false,
};

/// The canonical N-Quads of `object` with members replaced; the contexts
/// are checked against the allow-list first. The object is copied only
/// when a replacement changes it.
fn canonical(object: &Map<String, Value>, replace: &Replace<'_>) -> Result<String, DiError> {
    let unchanged = replace
        .iter()
        .all(|(name, value)| object.get(*name) == *value);
    if unchanged {
        check_contexts(object)?;
        return canonical_nquads(object);
    }
    let mut changed = object.clone();
    for (name, value) in replace {
        match value {
            Some(v) => {
                changed.insert((*name).to_owned(), (*v).clone());
            }
            None => {
                changed.remove(*name);
            }
        }
    }
    check_contexts(&changed)?;
    canonical_nquads(&changed)
}

/// Transformation (§3.2.3): the canonical N-Quads of the unsecured document.
pub fn transform(unsecured: &Map<String, Value>) -> Result<String, DiError> {
    SUITE.transform(unsecured)
}

/// Proof configuration (§3.2.5): the proof options (a proof without
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

/// Create Proof (§3.2.1): the proof object — the options, and `proofValue` —
/// for `unsecured` (which must not carry the proof being made; in a chain it
/// carries the proofs it chains to).
pub fn create_proof(
    unsecured: &Map<String, Value>,
    options: &ProofOptions,
    signer: &dyn Signer,
) -> Result<Map<String, Value>, DiError> {
    SUITE.create_proof(unsecured, options, signer)
}

/// Verify Proof (§3.2.2) of one proof over `document` (the document without
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
