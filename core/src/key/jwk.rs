//! JSON Web Keys (RFC 7517, RFC 8037 for OKP) and thumbprints (RFC 7638).

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{KeyError, KeyType};
use crate::encoding::{b64url, b64url_decode};
use crate::json::{self, JsonLimits};

/// A JWK as Stele reads and writes it. Serializing a `Jwk` never writes the
/// private member `d`; see [`super::SecretKey::to_private_jwk_json`].
#[derive(Clone, Default, Serialize, PartialEq, Eq)]
pub struct Jwk {
    /// Key type: `OKP` or `EC`.
    pub kty: String,
    /// Curve: `Ed25519`, `X25519`, `P-256` or `secp256k1`.
    pub crv: String,
    /// The x coordinate, or the OKP public key.
    pub x: String,
    /// The y coordinate of an EC key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// The private part; never serialized by `Serialize`.
    #[serde(skip)]
    pub d: Option<Zeroizing<String>>,
    /// Key identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use (`sig`).
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Permitted operations (`verify`, `sign`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
}

impl Jwk {
    pub(crate) fn okp(crv: &str, x: String) -> Self {
        Jwk {
            kty: "OKP".into(),
            crv: crv.into(),
            x,
            ..Jwk::default()
        }
    }

    pub(crate) fn ec(crv: &str, x: String, y: String) -> Self {
        Jwk {
            kty: "EC".into(),
            crv: crv.into(),
            x,
            y: Some(y),
            ..Jwk::default()
        }
    }

    /// Reads a public JWK from a JSON value (a JOSE header's `jwk`, a DID
    /// document's `publicKeyJwk`, an SD-JWT `cnf.jwk`). A `d` member is refused.
    pub fn from_value(v: &Value) -> Result<Self, KeyError> {
        let jwk = Self::from_value_allow_private(v)?;
        if jwk.d.is_some() {
            return Err(KeyError::InvalidJwk("a public JWK must not carry \"d\""));
        }
        Ok(jwk)
    }

    /// Reads a public JWK from JSON text.
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeyError> {
        let v = json::parse(bytes, JsonLimits::DEFAULT)
            .map_err(|_| KeyError::InvalidJwk("not a JSON object"))?;
        Self::from_value(&v)
    }

    pub(crate) fn from_json_allow_private(bytes: &[u8]) -> Result<Self, KeyError> {
        let mut v = json::parse(bytes, JsonLimits::DEFAULT)
            .map_err(|_| KeyError::InvalidJwk("not a JSON object"))?;
        let jwk = Self::from_value_allow_private(&v);
        scrub(&mut v);
        jwk
    }

    fn from_value_allow_private(v: &Value) -> Result<Self, KeyError> {
        let m = v
            .as_object()
            .ok_or(KeyError::InvalidJwk("not a JSON object"))?;
        let s = |name: &'static str| -> Result<Option<String>, KeyError> {
            match m.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(KeyError::InvalidJwk("a JWK member is not a string")),
            }
        };
        let req = |name: &'static str| -> Result<String, KeyError> {
            s(name)?.ok_or(KeyError::InvalidJwk("missing kty, crv or x"))
        };
        Ok(Jwk {
            kty: req("kty")?,
            crv: req("crv")?,
            x: req("x")?,
            y: s("y")?,
            d: s("d")?.map(Zeroizing::new),
            kid: s("kid")?,
            alg: s("alg")?,
            use_: s("use")?,
            key_ops: match m.get("key_ops") {
                None => None,
                Some(Value::Array(ops)) => Some(
                    ops.iter()
                        .map(|o| o.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or(KeyError::InvalidJwk("key_ops entries must be strings"))?,
                ),
                Some(_) => return Err(KeyError::InvalidJwk("key_ops must be an array")),
            },
        })
    }

    /// The key type and public key bytes (raw for OKP, uncompressed SEC1 for EC).
    pub(crate) fn public_parts(&self) -> Result<(KeyType, Vec<u8>), KeyError> {
        let dec = |s: &str| b64url_decode(s).map_err(|_| KeyError::InvalidJwk("not base64url"));
        match (self.kty.as_str(), self.crv.as_str()) {
            ("OKP", "Ed25519") => {
                if self.y.is_some() {
                    return Err(KeyError::InvalidJwk("an OKP key has no \"y\""));
                }
                Ok((KeyType::Ed25519, dec(&self.x)?))
            }
            ("EC", crv @ ("P-256" | "secp256k1")) => {
                let kt = if crv == "P-256" {
                    KeyType::P256
                } else {
                    KeyType::Secp256k1
                };
                let x = dec(&self.x)?;
                let y = dec(self
                    .y
                    .as_deref()
                    .ok_or(KeyError::InvalidJwk("EC key without \"y\""))?)?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(KeyError::InvalidJwk("EC coordinates must be 32 bytes"));
                }
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok((kt, point))
            }
            (kty, crv) => Err(KeyError::UnsupportedKeyType(format!("{kty}/{crv}"))),
        }
    }

    pub(crate) fn to_json_with_private(&self) -> String {
        let mut m = match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if let Some(d) = &self.d {
            m.insert("d".into(), Value::String(d.as_str().to_owned()));
        }
        let text = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default();
        text + "\n"
    }

    /// This JWK as a JSON value (public members only).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("crv", &self.crv)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("d", &self.d.as_ref().map(|_| "<redacted>"))
            .field("kid", &self.kid)
            .finish()
    }
}

/// Overwrites every string in a parsed document that held a private key.
fn scrub(v: &mut Value) {
    use zeroize::Zeroize as _;
    match v {
        Value::String(s) => s.zeroize(),
        Value::Array(a) => a.iter_mut().for_each(scrub),
        Value::Object(m) => m.values_mut().for_each(scrub),
        _ => {}
    }
}

/// The RFC 7638 thumbprint: SHA-256 over the required members in
/// lexicographic order, base64url-encoded.
pub fn jwk_thumbprint(jwk: &Jwk) -> String {
    // `serde_json::Map` keeps keys sorted, which is the order RFC 7638 asks for.
    let canonical = match jwk.kty.as_str() {
        "EC" => serde_json::json!({
            "crv": jwk.crv, "kty": "EC", "x": jwk.x, "y": jwk.y.as_deref().unwrap_or("")
        }),
        _ => serde_json::json!({ "crv": jwk.crv, "kty": jwk.kty, "x": jwk.x }),
    };
    b64url(Sha256::digest(canonical.to_string().as_bytes()))
}
