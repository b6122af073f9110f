//! VC-JOSE: a credential secured as a compact JWS (`typ: vc+jwt`, the payload
//! is the credential itself), and the VCDM 1.1 JWT-VC form (`vc` claim) read
//! for compatibility.

use serde_json::{Map, Value};

use super::model::{Credential, CredentialError};
use crate::jose::{JoseError, sign_compact, typ};
use crate::key::Signer;
use crate::time::Timestamp;

/// The `typ` values a VC-JOSE verifier accepts: `vc+jwt` (VC-JOSE-COSE) and
/// `JWT` or none (VCDM 1.1 JWT-VCs).
pub const ACCEPTED_TYP: &[Option<&str>] = &[Some(typ::VC_JWT), Some(typ::JWT), None];

/// Secures `credential` as a `vc+jwt` compact JWS signed by `signer`, with
/// `kid` naming the verification method (a DID URL).
pub fn issue(
    signer: &dyn Signer,
    kid: &str,
    credential: &Map<String, Value>,
) -> Result<String, JoseError> {
    let mut extra = Map::new();
    extra.insert("cty".into(), Value::String("vc".into()));
    sign_compact(signer, Some(typ::VC_JWT), Some(kid), extra, credential)
}

/// Reads the credential out of a verified JWS payload: the payload itself
/// (VC-JOSE-COSE) or its `vc` claim (VCDM 1.1 JWT-VC), whose registered
/// claims (`iss`, `nbf`, `exp`, `jti`, `sub`) must agree with the credential.
pub fn credential_from_payload(payload: Map<String, Value>) -> Result<Credential, CredentialError> {
    read_payload(payload, Credential::from_document)
}

/// [`credential_from_payload`] for the verifier: the same checks, but the
/// credential's `document` is not kept (see
/// [`Credential::from_document_discarding`]), which spares deep copies.
pub(crate) fn credential_from_verified_payload(
    payload: Map<String, Value>,
) -> Result<Credential, CredentialError> {
    read_payload(payload, Credential::from_document_discarding)
}

fn read_payload(
    mut payload: Map<String, Value>,
    read: fn(Map<String, Value>) -> Result<Credential, CredentialError>,
) -> Result<Credential, CredentialError> {
    let Some(vc) = payload.remove("vc") else {
        return read(payload);
    };
    let Value::Object(mut doc) = vc else {
        return Err(CredentialError::Member("vc"));
    };
    // JWT-VC 1.1: the JWT claims stand for the credential members.
    if let Some(iss) = payload.get("iss") {
        doc.insert("issuer".into(), iss.clone());
    }
    if let Some(jti) = payload.get("jti") {
        doc.insert("id".into(), jti.clone());
    }
    let time = |name: &'static str| -> Result<Option<String>, CredentialError> {
        match payload.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(|s| Some(Timestamp::from_unix(s).to_rfc3339()))
                .ok_or(CredentialError::Date(name)),
        }
    };
    if let Some(nbf) = time("nbf")? {
        doc.insert("issuanceDate".into(), Value::String(nbf));
    }
    if let Some(exp) = time("exp")? {
        doc.insert("expirationDate".into(), Value::String(exp));
    }
    if let (Some(Value::String(sub)), Some(Value::Object(s))) =
        (payload.get("sub"), doc.get_mut("credentialSubject"))
    {
        s.entry("id").or_insert_with(|| Value::String(sub.clone()));
    }
    read(doc)
}
