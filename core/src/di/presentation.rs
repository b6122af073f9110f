//! Verifiable presentations secured with Data Integrity: the holder wraps
//! one Data Integrity credential in a `VerifiablePresentation` and signs it
//! with an `authentication` proof bound to the verifier's nonce
//! (`challenge`) and identifier (`domain`).

use serde_json::{Map, Value};

use super::DiError;
use super::proof::{ProofOptions, add_proof};
use crate::credential::model::VCDM2_CONTEXT;
use crate::did::Relationship;
use crate::key::Signer;
use crate::time::Timestamp;

/// The presentation type.
pub const VERIFIABLE_PRESENTATION: &str = "VerifiablePresentation";

/// What the holder binds the presentation to.
#[derive(Debug, Clone, Copy)]
pub struct PresentationInput<'a> {
    /// The holder's DID (the credential's subject).
    pub holder: &'a str,
    /// The verification method (DID URL) of the holder's key, listed under `authentication`.
    pub verification_method: &'a str,
    /// The verifier's nonce.
    pub challenge: &'a str,
    /// The verifier's identifier.
    pub domain: &'a str,
    /// When the presentation is made.
    pub created: Timestamp,
}

/// A signed presentation of `credential` (a Data Integrity secured
/// credential, unchanged: Data Integrity has no selective disclosure).
pub fn present(
    credential: Map<String, Value>,
    input: &PresentationInput<'_>,
    signer: &dyn Signer,
) -> Result<Map<String, Value>, DiError> {
    let mut vp = Map::new();
    vp.insert(
        "@context".into(),
        Value::Array(vec![Value::String(VCDM2_CONTEXT.into())]),
    );
    vp.insert(
        "type".into(),
        Value::Array(vec![Value::String(VERIFIABLE_PRESENTATION.into())]),
    );
    vp.insert("holder".into(), Value::String(input.holder.into()));
    vp.insert(
        "verifiableCredential".into(),
        Value::Array(vec![Value::Object(credential)]),
    );
    let options = ProofOptions {
        id: None,
        verification_method: input.verification_method.to_owned(),
        proof_purpose: Relationship::Authentication,
        created: Some(input.created),
        expires: None,
        challenge: Some(input.challenge.to_owned()),
        domain: Some(input.domain.to_owned()),
        previous_proof: Vec::new(),
    };
    add_proof(&mut vp, &options, signer)?;
    Ok(vp)
}

/// Whether `document`'s `type` names a verifiable presentation.
pub fn is_presentation(document: &Map<String, Value>) -> bool {
    match document.get("type") {
        Some(Value::String(t)) => t == VERIFIABLE_PRESENTATION,
        Some(Value::Array(types)) => types
            .iter()
            .any(|t| t.as_str() == Some(VERIFIABLE_PRESENTATION)),
        _ => false,
    }
}

/// A copy of the one credential a presentation carries (the presentation
/// keeps its own, which the holder's proof signs over).
pub fn single_credential(presentation: &Map<String, Value>) -> Result<Map<String, Value>, DiError> {
    let one = match presentation.get("verifiableCredential") {
        Some(Value::Array(items)) if items.len() == 1 => &items[0],
        Some(v @ Value::Object(_)) => v,
        _ => {
            return Err(DiError::MalformedProof(
                "a presentation must carry exactly one credential".into(),
            ));
        }
    };
    match one {
        Value::Object(vc) => Ok(vc.clone()),
        _ => Err(DiError::MalformedProof(
            "the presented credential must be a JSON credential with a Data Integrity proof".into(),
        )),
    }
}
