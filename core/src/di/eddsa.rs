//! What the two EdDSA cryptosuites share (W3C Data Integrity EdDSA
//! Cryptosuites v1.0, §3.2 and §3.3): the proof configuration, the hash data
//! `SHA-256(canonical proof config) ‖ SHA-256(canonical document)`, Ed25519
//! signing, and strict verification. They differ only in the
//! canonicalisation ([`Suite::canonical`]: JCS, or RDFC over JSON-LD) and in
//! whether the proof carries the document's `@context`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::proof::{DataIntegrityProof, ProofOptions};
use super::{DATA_INTEGRITY_PROOF, DiError};
use crate::alg::Algorithm;
use crate::encoding::multibase_b58;
use crate::key::{PublicKey, SignatureError, Signer};

/// Members of an object replaced for canonicalisation: `(name, Some(v))`
/// sets `name` to `v`, `(name, None)` leaves it out.
pub type Replace<'a> = [(&'a str, Option<&'a Value>)];

/// A canonicalisation: the canonical form of an object with members replaced.
pub type Canonical = fn(&Map<String, Value>, &Replace<'_>) -> Result<String, DiError>;

/// One EdDSA cryptosuite: [`super::eddsa_jcs::SUITE`] or
/// `eddsa_rdfc::SUITE` (feature `rdfc`).
pub struct Suite {
    /// Its name, as in a proof's `cryptosuite`.
    pub(super) name: &'static str,
    /// The canonical form of an object with some members replaced.
    pub(super) canonical: Canonical,
    /// Whether a new proof carries the document's `@context` (eddsa-jcs-2022 does).
    pub(super) proof_carries_context: bool,
}

/// The intermediate values of one signature: what the W3C test vectors list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashData {
    /// The canonical proof configuration.
    pub canonical_proof_config: String,
    /// The canonical document, the transformation's output.
    pub canonical_document: String,
    /// SHA-256 of the canonical proof configuration.
    pub proof_config_hash: [u8; 32],
    /// SHA-256 of the canonical document.
    pub document_hash: [u8; 32],
}

impl HashData {
    /// Hashes a canonical proof configuration and a canonical document.
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

impl Suite {
    /// The cryptosuite's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Transformation: the canonical form of the unsecured document.
    pub fn transform(&self, unsecured: &Map<String, Value>) -> Result<String, DiError> {
        (self.canonical)(unsecured, &[])
    }

    /// Proof configuration: the proof options (a proof without
    /// `proofValue`) with the document's `@context`, canonicalised. Refuses
    /// options of another type or cryptosuite.
    pub fn proof_configuration(
        &self,
        options: &Map<String, Value>,
        document_context: Option<&Value>,
    ) -> Result<String, DiError> {
        let named = |name: &str| options.get(name).and_then(Value::as_str);
        if named("type") != Some(DATA_INTEGRITY_PROOF) || named("cryptosuite") != Some(self.name) {
            return Err(unsupported(named("cryptosuite").unwrap_or_default()));
        }
        (self.canonical)(
            options,
            &[("@context", document_context), ("proofValue", None)],
        )
    }

    /// The hash data of a proof over `unsecured` with `options` (Create
    /// Proof steps 2–4).
    pub fn hash_data(
        &self,
        unsecured: &Map<String, Value>,
        options: &Map<String, Value>,
    ) -> Result<HashData, DiError> {
        let config = self.proof_configuration(options, unsecured.get("@context"))?;
        Ok(HashData::new(config, self.transform(unsecured)?))
    }

    /// Create Proof: the proof object — the options (with the document's
    /// `@context` where the suite says so) and `proofValue` — for
    /// `unsecured` (which must not carry the proof being made; in a chain it
    /// carries the proofs it chains to).
    pub fn create_proof(
        &self,
        unsecured: &Map<String, Value>,
        options: &ProofOptions,
        signer: &dyn Signer,
    ) -> Result<Map<String, Value>, DiError> {
        if signer.algorithm() != Algorithm::EdDSA {
            return Err(DiError::KeyType);
        }
        let mut proof = options.to_object(self.name);
        if self.proof_carries_context {
            if let Some(ctx) = unsecured.get("@context") {
                proof.insert("@context".into(), ctx.clone());
            }
        }
        let data = self.hash_data(unsecured, &proof)?;
        let signature = signer.sign(&data.to_bytes())?;
        proof.insert("proofValue".into(), multibase_b58(&signature).into());
        Ok(proof)
    }

    /// Verify Proof of one proof over `document` (the document without
    /// `proof`); `chained` is the value of `proof` in the signed document
    /// when this proof is part of a chain (the proofs it names in
    /// `previousProof`). `key` is the key of the proof's verification
    /// method, already resolved.
    pub fn verify_proof(
        &self,
        document: &Map<String, Value>,
        chained: Option<&Value>,
        proof: &DataIntegrityProof,
        key: &PublicKey,
    ) -> Result<(), DiError> {
        if proof.cryptosuite() != self.name {
            return Err(unsupported(proof.cryptosuite()));
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
        let canonical_document =
            (self.canonical)(document, &[("@context", context), ("proof", chained)])?;
        let canonical_config = self.proof_configuration(config, context)?;
        let data = HashData::new(canonical_config, canonical_document);
        key.verify(Algorithm::EdDSA, &data.to_bytes(), proof.proof_value())?;
        Ok(())
    }
}

fn unsupported(name: &str) -> DiError {
    DiError::UnsupportedCryptosuite(name.chars().take(64).collect())
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
