//! The `eddsa-jcs-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites
//! v1.0, §3.3): JCS transformation, proof configuration, hashing, and an
//! Ed25519 signature over `SHA-256(canonical proof config) ‖
//! SHA-256(canonical document)`, verified with `verify_strict`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::jcs::{canonicalize_object, canonicalize_object_with};
use super::proof::{DataIntegrityProof, ProofOptions};
use super::{DATA_INTEGRITY_PROOF, DiError};
use crate::alg::Algorithm;
use crate::encoding::multibase_b58;
use crate::key::{PublicKey, SignatureError, Signer};

/// The cryptosuite's name.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// The intermediate values of one signature: what the W3C test vectors list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashData {
    /// The canonical proof configuration (JCS).
    pub canonical_proof_config: String,
    /// The canonical document (JCS), the transformation's output.
    pub canonical_document: String,
    /// SHA-256 of the canonical proof configuration.
    pub proof_config_hash: [u8; 32],
    /// SHA-256 of the canonical document.
    pub document_hash: [u8; 32],
}

impl HashData {
    /// Hashes a canonical proof configuration and a canonical document (§3.3.4).
    pub fn new(canonical_proof_config: String, canonical_document: String) -> Self {
        let proof_config_hash = Sha256::digest(canonical_proof_config.as_bytes()).into();
        let document_hash = Sha256::digest(canonical_document.as_bytes()).into();
        HashData {
            canonical_proof_config,
            canonical_document,
            proof_config_hash,
            document_hash,
        }
    }

    /// The signed bytes: the proof configuration's hash, then the document's.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.proof_config_hash);
        out[32..].copy_from_slice(&self.document_hash);
        out
    }
}

/// Transformation (§3.3.3): the canonical form of the unsecured document.
pub fn transform(unsecured: &Map<String, Value>) -> Result<String, DiError> {
    Ok(canonicalize_object(unsecured)?)
}

/// Proof configuration (§3.3.5): the proof options (a proof without
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
    Ok(canonicalize_object_with(
        options,
        &[("@context", document_context), ("proofValue", None)],
    )?)
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

/// Create Proof (§3.3.1): the proof object — the options, the document's
/// `@context`, and `proofValue` — for `unsecured` (which must not carry the
/// proof being made; in a chain it carries the proofs it chains to).
pub fn create_proof(
    unsecured: &Map<String, Value>,
    options: &ProofOptions,
    signer: &dyn Signer,
) -> Result<Map<String, Value>, DiError> {
    if signer.algorithm() != Algorithm::EdDSA {
        return Err(DiError::KeyType);
    }
    let mut proof = options.to_object(CRYPTOSUITE);
    if let Some(ctx) = unsecured.get("@context") {
        proof.insert("@context".into(), ctx.clone());
    }
    let data = hash_data(unsecured, &proof)?;
    let signature = signer.sign(&data.to_bytes())?;
    proof.insert("proofValue".into(), multibase_b58(&signature).into());
    Ok(proof)
}

/// Verify Proof (§3.3.2) of one proof over `document` (the document without
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
    let config = proof.members();
    // Step 4: a proof with its own @context must have been made for a
    // document whose @context starts with it; the document is then hashed
    // with the proof's @context.
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
    let canonical_document =
        canonicalize_object_with(document, &[("@context", context), ("proof", chained)])?;
    let canonical_config = proof_configuration(config, context)?;
    let data = HashData::new(canonical_config, canonical_document);
    if proof.proof_value().len() != 64 {
        return Err(DiError::Signature(SignatureError::Malformed));
    }
    key.verify(Algorithm::EdDSA, &data.to_bytes(), proof.proof_value())?;
    Ok(())
}

/// Whether the `@context` value `doc` starts with every entry of `prefix`, in order.
pub(crate) fn starts_with(doc: &Value, prefix: &Value) -> bool {
    fn as_slice(v: &Value) -> &[Value] {
        match v {
            Value::Array(a) => a,
            other => std::slice::from_ref(other),
        }
    }
    let (doc, prefix) = (as_slice(doc), as_slice(prefix));
    doc.len() >= prefix.len() && doc.iter().zip(prefix).all(|(a, b)| a == b)
}
