//! Disclosures: `base64url(JSON [salt, name, value])` or `[salt, value]` for array elements.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SdJwtError;
use crate::encoding::{b64url, b64url_decode};
use crate::json::{self, JsonLimits};

/// One disclosure, decoded, with its digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The salt.
    pub salt: String,
    /// The claim name; `None` for an array element.
    pub name: Option<String>,
    /// The disclosed value.
    pub value: Value,
    /// The encoded form as it appears in the SD-JWT.
    pub encoded: String,
    /// base64url(SHA-256(encoded)).
    pub digest: String,
}

impl Disclosure {
    /// Makes a disclosure for an object member (`name` given) or array element.
    pub fn new(salt: String, name: Option<&str>, value: Value) -> Self {
        let array = match name {
            Some(n) => Value::Array(vec![
                Value::String(salt.clone()),
                Value::String(n.into()),
                value.clone(),
            ]),
            None => Value::Array(vec![Value::String(salt.clone()), value.clone()]),
        };
        let encoded = b64url(array.to_string());
        let digest = digest(&encoded);
        Disclosure {
            salt,
            name: name.map(str::to_owned),
            value,
            encoded,
            digest,
        }
    }

    /// Decodes and checks one encoded disclosure (RFC 9901 §7.1 step 3).
    pub fn parse(encoded: &str, limits: JsonLimits) -> Result<Self, SdJwtError> {
        let bytes = b64url_decode(encoded)
            .map_err(|_| SdJwtError::Disclosure("a disclosure is not base64url".into()))?;
        let Value::Array(mut items) = json::parse(&bytes, limits)? else {
            return Err(SdJwtError::Disclosure(
                "a disclosure is not a JSON array".into(),
            ));
        };
        let (salt, name, value) = match items.len() {
            2 => {
                let value = items.pop().unwrap_or(Value::Null);
                (items.pop(), None, value)
            }
            3 => {
                let value = items.pop().unwrap_or(Value::Null);
                let name = match items.pop() {
                    Some(Value::String(n)) => n,
                    _ => {
                        return Err(SdJwtError::Disclosure(
                            "a disclosure's claim name is not a string".into(),
                        ));
                    }
                };
                if name == "_sd" || name == "..." {
                    return Err(SdJwtError::Disclosure(
                        "a disclosure uses a reserved claim name".into(),
                    ));
                }
                (items.pop(), Some(name), value)
            }
            _ => {
                return Err(SdJwtError::Disclosure(
                    "a disclosure must have 2 or 3 elements".into(),
                ));
            }
        };
        let Some(Value::String(salt)) = salt else {
            return Err(SdJwtError::Disclosure(
                "a disclosure's salt is not a string".into(),
            ));
        };
        Ok(Disclosure {
            salt,
            name,
            value,
            encoded: encoded.to_owned(),
            digest: digest(encoded),
        })
    }
}

/// The SD-JWT digest of an encoded disclosure.
pub fn digest(encoded: &str) -> String {
    b64url(Sha256::digest(encoded.as_bytes()))
}
