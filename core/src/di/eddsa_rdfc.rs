//! The `eddsa-rdfc-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites
//! v1.0, §3.2): RDF Dataset Canonicalization of the JSON-LD document and of
//! the proof configuration (through [`super::jsonld`], feature `rdfc`), then
//! the same hashing, signature and strict verification as `eddsa-jcs-2022`:
//! Ed25519 over `SHA-256(canonical proof config) ‖ SHA-256(canonical document)`.
//!
//! Every `@context` is checked against the allow-list before any JSON-LD
//! processing.

use serde_json::{Map, Value};

use super::context::check_contexts;
use super::eddsa_jcs::{HashData, starts_with};
use super::jsonld::canonical_nquads;
use super::proof::{DataIntegrityProof, ProofOptions};
use super::{DATA_INTEGRITY_PROOF, DiError};
use crate::alg::Algorithm;
use crate::encoding::multibase_b58;
use crate::key::{PublicKey, SignatureError, Signer};

/// The cryptosuite's name.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

/// Transformation (§3.2.3): the canonical N-Quads of the unsecured document.
pub fn transform(unsecured: &Map<String, Value>) -> Result<String, DiError> {
    check_contexts(unsecured)?;
    canonical_nquads(unsecured)
}

/// Proof configuration (§3.2.5): the proof options (a proof without
/// `proofValue`) with the document's `@context`, canonicalised. Refuses
/// options of another type or cryptosuite.
pub fn proof_configuration(
    options: &Map<String, Value>,
    document_context: Option<&Value>,
) -> Result<String, DiError> {
    let named = |name: &str| options.get(name).and_then(Value::as_str);
    if named("type") != Some(DATA_INTEGRITY_PROOF) || named("cryptosuite") != Some(CRYPTOSUITE) {
        return Err(DiError::UnsupportedCryptosuite(
            named("cryptosuite")
                .unwrap_or_default()
                .chars()
                .take(64)
                .collect(),
        ));
    }
    let mut config = options.clone();
    config.remove("proofValue");
    match document_context {
        Some(ctx) => {
            config.insert("@context".into(), ctx.clone());
        }
        None => {
            config.remove("@context");
        }
    }
    check_contexts(&config)?;
    canonical_nquads(&config)
}

/// The hash data of a proof over `unsecured` with `options` (Create Proof
/// steps 2–4), exposed so that tests can compare every intermediate value.
pub fn hash_data(
    unsecured: &Map<String, Value>,
    options: &Map<String, Value>,
) -> Result<HashData, DiError> {
    let config = proof_configuration(options, unsecured.get("@context"))?;
    Ok(HashData::new(config, transform(unsecured)?))
}

/// Create Proof (§3.2.1): the proof object — the options, and `proofValue` —
/// for `unsecured` (which must not carry the proof being made; in a chain it
/// carries the proofs it chains to).
pub fn create_proof(
    unsecured: &Map<String, Value>,
    options: &ProofOptions,
    signer: &dyn Signer,
) -> Result<Map<String, Value>, DiError> {
    if signer.algorithm() != Algorithm::EdDSA {
        return Err(DiError::KeyType);
    }
    let mut proof = options.to_object(CRYPTOSUITE);
    let data = hash_data(unsecured, &proof)?;
    let signature = signer.sign(&data.to_bytes())?;
    proof.insert("proofValue".into(), multibase_b58(&signature).into());
    Ok(proof)
}

/// Verify Proof (§3.2.2) of one proof over `document` (the document without
/// `proof`); `chained` is the value of `proof` in the signed document when
/// this proof is part of a chain (the proofs it names in `previousProof`).
/// `key` is the key of the proof's verification method, already resolved.
pub fn verify_proof(
    document: &Map<String, Value>,
    chained: Option<&Value>,
    proof: &DataIntegrityProof,
    key: &PublicKey,
) -> Result<(), DiError> {
    if proof.cryptosuite() != CRYPTOSUITE {
        return Err(DiError::UnsupportedCryptosuite(
            proof.cryptosuite().chars().take(64).collect(),
        ));
    }
    if !matches!(key, PublicKey::Ed25519(_)) {
        return Err(DiError::KeyType);
    }
    if proof.proof_value().len() != 64 {
        return Err(DiError::Signature(SignatureError::Malformed));
    }
    let config = proof.members();
    // Step 4: a proof with its own @context must have been made for a
    // document whose @context starts with it; the document is then
    // canonicalised with the proof's @context.
    let context = match config.get("@context") {
        Some(proof_ctx) => {
            let doc_ctx = document.get("@context").ok_or(DiError::ContextMismatch)?;
            if !starts_with(doc_ctx, proof_ctx) {
                return Err(DiError::ContextMismatch);
            }
            Some(proof_ctx)
        }
        None => document.get("@context"),
    };
    let canonical_document = match (config.get("@context"), chained) {
        (None, None) => transform(document)?,
        _ => {
            let mut unsecured = document.clone();
            if let Some(ctx) = context {
                unsecured.insert("@context".into(), ctx.clone());
            }
            if let Some(proofs) = chained {
                unsecured.insert("proof".into(), proofs.clone());
            }
            transform(&unsecured)?
        }
    };
    let canonical_config = proof_configuration(config, context)?;
    let data = HashData::new(canonical_config, canonical_document);
    key.verify(Algorithm::EdDSA, &data.to_bytes(), proof.proof_value())?;
    Ok(())
}
