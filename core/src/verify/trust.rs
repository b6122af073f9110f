//! Trust: which issuers may issue which credential types, and when.
//!
//! [`TrustSource`] is the seam: the trust file ([`TrustList`]) implements it
//! here; the chain's accreditation registry implements it in `stele-registry`.

use serde_json::Value;

use crate::credential::schema::trust_file_schema;
use crate::json::{self, JsonLimits};
use crate::time::Timestamp;

/// Answers "may this issuer issue this credential type at this time?".
pub trait TrustSource: Send + Sync {
    /// Whether `issuer` was accredited for `credential_type` at `at`.
    fn is_accredited(
        &self,
        issuer: &str,
        credential_type: &str,
        at: Timestamp,
    ) -> Result<bool, TrustError>;
}

/// Why trust could not be decided or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The trust source is unreachable (chain node down): could not check.
    #[error("trust source unavailable: {0}")]
    Unavailable(String),
    /// The trust file is malformed or does not match `schemas/trust.schema.json`.
    #[error("invalid trust file: {0}")]
    Invalid(String),
}

/// One trusted issuer from the trust file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    /// The issuer's DID.
    pub did: String,
    /// A display name.
    pub name: Option<String>,
    /// The types it may issue; `None` means any type.
    pub types: Option<Vec<String>>,
}

/// A static list of trusted issuers (the `--trust` file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustList {
    /// The issuers.
    pub issuers: Vec<TrustedIssuer>,
}

impl TrustList {
    /// An empty list: no issuer is trusted.
    pub fn empty() -> Self {
        TrustList::default()
    }

    /// Reads `{"issuers": [{"did": …, "types": […]}]}`, checked against the trust schema.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustError> {
        let v = json::parse(
            bytes,
            JsonLimits {
                max_bytes: 4 << 20,
                max_depth: 8,
            },
        )
        .map_err(|e| TrustError::Invalid(e.to_string()))?;
        trust_file_schema()
            .validate(&v)
            .map_err(|e| TrustError::Invalid(e.to_string()))?;
        let issuers = v["issuers"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|i| TrustedIssuer {
                        did: i["did"].as_str().unwrap_or_default().to_owned(),
                        name: i.get("name").and_then(Value::as_str).map(str::to_owned),
                        types: i.get("types").and_then(Value::as_array).map(|t| {
                            t.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        }),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(TrustList { issuers })
    }

    /// Adds an issuer.
    #[must_use]
    pub fn with(mut self, did: &str, types: Option<&[&str]>) -> Self {
        self.issuers.push(TrustedIssuer {
            did: did.to_owned(),
            name: None,
            types: types.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
        });
        self
    }
}

impl TrustSource for TrustList {
    fn is_accredited(
        &self,
        issuer: &str,
        credential_type: &str,
        _at: Timestamp,
    ) -> Result<bool, TrustError> {
        Ok(self.issuers.iter().any(|i| {
            i.did == issuer
                && i.types
                    .as_ref()
                    .is_none_or(|t| t.iter().any(|t| t == credential_type))
        }))
    }
}

/// Trusts an issuer when any of its sources does: e.g. accreditation on the
/// chain for agencies, plus a trust file for did:key issuers in development.
/// An outage of any source that is asked is "could not check", unless an
/// earlier source already said yes.
pub struct AnyOf(pub Vec<std::sync::Arc<dyn TrustSource>>);

impl TrustSource for AnyOf {
    fn is_accredited(
        &self,
        issuer: &str,
        credential_type: &str,
        at: Timestamp,
    ) -> Result<bool, TrustError> {
        for source in &self.0 {
            if source.is_accredited(issuer, credential_type, at)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_file() {
        let t = TrustList::from_json(
            br#"{"issuers":[{"did":"did:key:z6Mk1","types":["ResidencePermitCredential"]},{"did":"did:key:z6Mk2"}]}"#,
        )
        .unwrap();
        let now = Timestamp::from_unix(0);
        assert!(
            t.is_accredited("did:key:z6Mk1", "ResidencePermitCredential", now)
                .unwrap()
        );
        assert!(
            !t.is_accredited("did:key:z6Mk1", "NationalIdCredential", now)
                .unwrap()
        );
        assert!(
            t.is_accredited("did:key:z6Mk2", "NationalIdCredential", now)
                .unwrap()
        );
        assert!(
            !t.is_accredited("did:key:z6Mk3", "NationalIdCredential", now)
                .unwrap()
        );
        assert!(TrustList::from_json(br#"{"issuers":[{"types":[]}]}"#).is_err());
        assert!(TrustList::from_json(br#"{"issuers":[],"issuers":[]}"#).is_err());
        assert!(TrustList::from_json(b"not json").is_err());
    }

    #[test]
    fn any_of() {
        use std::sync::Arc;
        let now = Timestamp::from_unix(0);
        let a = TrustList::empty().with("did:key:a", None);
        let b = TrustList::empty().with("did:key:b", Some(&["T"]));
        let both = AnyOf(vec![Arc::new(a), Arc::new(b)]);
        assert!(both.is_accredited("did:key:a", "T", now).unwrap());
        assert!(both.is_accredited("did:key:b", "T", now).unwrap());
        assert!(!both.is_accredited("did:key:b", "U", now).unwrap());
        assert!(
            !AnyOf(Vec::new())
                .is_accredited("did:key:a", "T", now)
                .unwrap()
        );
    }
}
