//! The W3C Verifiable Credentials Data Model: 2.0, and 1.1 read as well.

use serde_json::{Map, Value};

use crate::time::Timestamp;

/// The base context of VCDM 2.0.
pub const VCDM2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The base context of VCDM 1.1.
pub const VCDM1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";

/// Which version of the data model a credential follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VcdmVersion {
    /// VCDM 2.0 (`validFrom` / `validUntil`).
    V2,
    /// VCDM 1.1 (`issuanceDate` / `expirationDate`).
    V1_1,
}

/// Why a credential document is not a well-formed VC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// `@context` is missing or does not start with a VCDM base context.
    #[error("@context must start with the VCDM 2.0 or 1.1 base context")]
    Context,
    /// `type` is missing or lacks `VerifiableCredential`.
    #[error("type must include VerifiableCredential")]
    Type,
    /// `issuer` is missing or neither a URL string nor an object with an `id`.
    #[error("issuer must be a URL or an object with an id")]
    Issuer,
    /// `credentialSubject` is missing, or is not one object.
    #[error("credentialSubject must be one object")]
    Subject,
    /// A date (`validFrom`, `validUntil`, `issuanceDate`, `expirationDate`) is not an RFC 3339 date-time.
    #[error("{0} is not an RFC 3339 date-time")]
    Date(&'static str),
    /// A member has the wrong JSON type.
    #[error("{0} has the wrong JSON type")]
    Member(&'static str),
}

/// A credential document, checked for the data model's required shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    /// 2.0 or 1.1.
    pub version: VcdmVersion,
    /// `id`, if any.
    pub id: Option<String>,
    /// `type`.
    pub types: Vec<String>,
    /// The issuer's identifier.
    pub issuer: String,
    /// `validFrom` (2.0) or `issuanceDate` (1.1).
    pub valid_from: Option<Timestamp>,
    /// `validUntil` (2.0) or `expirationDate` (1.1).
    pub valid_until: Option<Timestamp>,
    /// `credentialSubject` (an array of one is read as that one).
    pub subject: Map<String, Value>,
    /// `credentialStatus` entries.
    pub status: Vec<Value>,
    /// The whole document.
    pub document: Map<String, Value>,
}

impl Credential {
    /// Reads and checks a credential document.
    pub fn from_document(document: Map<String, Value>) -> Result<Self, CredentialError> {
        Self::read(document, true)
    }

    /// [`Credential::from_document`] for the verifier, which never looks at
    /// the whole document: `credentialSubject` and `credentialStatus` are
    /// moved out of it instead of cloned, and `document` is left empty.
    /// Same checks, same errors.
    pub(crate) fn from_document_discarding(
        document: Map<String, Value>,
    ) -> Result<Self, CredentialError> {
        Self::read(document, false)
    }

    fn read(mut document: Map<String, Value>, keep: bool) -> Result<Self, CredentialError> {
        let version = match document.get("@context") {
            Some(Value::Array(items)) => match items.first().and_then(Value::as_str) {
                Some(VCDM2_CONTEXT) => VcdmVersion::V2,
                Some(VCDM1_CONTEXT) => VcdmVersion::V1_1,
                _ => return Err(CredentialError::Context),
            },
            _ => return Err(CredentialError::Context),
        };
        let types = string_or_strings(document.get("type")).ok_or(CredentialError::Type)?;
        if !types.iter().any(|t| t == "VerifiableCredential") {
            return Err(CredentialError::Type);
        }
        let issuer = match document.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => o
                .get("id")
                .and_then(Value::as_str)
                .ok_or(CredentialError::Issuer)?
                .to_owned(),
            _ => return Err(CredentialError::Issuer),
        };
        // Shapes are checked here, in order; values are taken at the end.
        match document.get("credentialSubject") {
            Some(Value::Object(_)) => {}
            Some(Value::Array(a)) if a.len() == 1 && a[0].is_object() => {}
            _ => return Err(CredentialError::Subject),
        }
        let (from_name, until_name) = match version {
            VcdmVersion::V2 => ("validFrom", "validUntil"),
            VcdmVersion::V1_1 => ("issuanceDate", "expirationDate"),
        };
        let valid_from = date(&document, from_name)?;
        let valid_until = date(&document, until_name)?;
        if version == VcdmVersion::V1_1 && valid_from.is_none() {
            return Err(CredentialError::Date("issuanceDate"));
        }
        let id = match document.get("id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(CredentialError::Member("id")),
        };
        match document.get("credentialStatus") {
            None | Some(Value::Array(_) | Value::Object(_)) => {}
            Some(_) => return Err(CredentialError::Member("credentialStatus")),
        }
        let (subject, status) = if keep {
            (
                document.get("credentialSubject").cloned(),
                document.get("credentialStatus").cloned(),
            )
        } else {
            let taken = (
                document.remove("credentialSubject"),
                document.remove("credentialStatus"),
            );
            document = Map::new();
            taken
        };
        let subject = match subject {
            Some(Value::Object(o)) => o,
            Some(Value::Array(a)) => match a.into_iter().next() {
                Some(Value::Object(o)) => o,
                _ => return Err(CredentialError::Subject),
            },
            _ => return Err(CredentialError::Subject),
        };
        let status = match status {
            None => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(v @ Value::Object(_)) => vec![v],
            Some(_) => return Err(CredentialError::Member("credentialStatus")),
        };
        Ok(Credential {
            version,
            id,
            types,
            issuer,
            valid_from,
            valid_until,
            subject,
            status,
            document,
        })
    }

    /// The most specific type: the first one that is not `VerifiableCredential`.
    pub fn specific_type(&self) -> Option<&str> {
        self.types
            .iter()
            .map(String::as_str)
            .find(|t| *t != "VerifiableCredential")
    }
}

fn date(
    doc: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<Timestamp>, CredentialError> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Timestamp::parse_rfc3339(s)
            .map(Some)
            .map_err(|_| CredentialError::Date(name)),
        Some(_) => Err(CredentialError::Date(name)),
    }
}

/// `"A"` or `["A", "B"]` as a list; anything else is `None`.
pub(crate) fn string_or_strings(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn reads_2_0_and_1_1() {
        let c = Credential::from_document(doc(json!({
            "@context": [VCDM2_CONTEXT],
            "type": ["VerifiableCredential", "ResidencePermitCredential"],
            "issuer": {"id": "did:example:1", "name": "Immigration"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"given_name": "A"}
        })))
        .unwrap();
        assert_eq!(c.version, VcdmVersion::V2);
        assert_eq!(c.issuer, "did:example:1");
        assert_eq!(c.specific_type(), Some("ResidencePermitCredential"));
        let c = Credential::from_document(doc(json!({
            "@context": [VCDM1_CONTEXT],
            "type": "VerifiableCredential",
            "issuer": "did:example:1",
            "issuanceDate": "2020-01-01T00:00:00Z",
            "expirationDate": "2030-01-01T00:00:00Z",
            "credentialSubject": [{"id": "did:example:2"}]
        })))
        .unwrap();
        assert_eq!(c.version, VcdmVersion::V1_1);
        assert!(c.valid_until.is_some());
    }

    #[test]
    fn refuses_malformed_documents() {
        let base = json!({
            "@context": [VCDM2_CONTEXT], "type": ["VerifiableCredential"],
            "issuer": "did:example:1", "credentialSubject": {}
        });
        assert!(Credential::from_document(doc(base.clone())).is_ok());
        for (k, v, e) in [
            (
                "@context",
                json!(["https://example.com"]),
                CredentialError::Context,
            ),
            ("type", json!(["Other"]), CredentialError::Type),
            ("issuer", json!(5), CredentialError::Issuer),
            (
                "credentialSubject",
                json!([{}, {}]),
                CredentialError::Subject,
            ),
            (
                "validFrom",
                json!("tomorrow"),
                CredentialError::Date("validFrom"),
            ),
        ] {
            let mut d = doc(base.clone());
            d.insert(k.into(), v);
            assert_eq!(Credential::from_document(d), Err(e), "{k}");
        }
    }
}
