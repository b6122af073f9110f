//! Compact serialisation: decode, verify, sign.

use serde_json::{Map, Value};

use super::{HeaderPolicy, JoseError};
use crate::alg::Algorithm;
use crate::encoding::{b64url, b64url_decode};
use crate::json;
use crate::key::{Jwk, PublicKey, SignError, Signer};

/// Registered header parameters; `crit` may not list them (RFC 7515 §4.1.11).
const REGISTERED: [&str; 11] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
];

/// A protected header that passed the header policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The algorithm, from the allow-list.
    pub alg: Algorithm,
    /// `typ`, if present.
    pub typ: Option<String>,
    /// `kid`, if present (a DID URL for Stele's issuers).
    pub kid: Option<String>,
    /// An embedded public key, if present; only used where the format says so.
    pub jwk: Option<Jwk>,
    /// All header members.
    pub members: Map<String, Value>,
}

/// A JWS whose header passed the policy but whose signature is not checked yet.
#[derive(Debug, Clone)]
pub struct UnverifiedJws<'t> {
    header: Header,
    unverified_payload: Map<String, Value>,
    signing_input: &'t str,
    signature: Vec<u8>,
}

/// A JWS whose signature verified under a key the caller chose.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    /// The protected header.
    pub header: Header,
    /// The payload claims.
    pub payload: Map<String, Value>,
}

impl<'t> UnverifiedJws<'t> {
    /// Splits and decodes `token`, applying `policy` to the header; the
    /// payload must be a JSON object.
    pub fn decode(token: &'t str, policy: &HeaderPolicy<'_>) -> Result<Self, JoseError> {
        let parts = split(token, policy)?;
        let unverified_payload = json::parse_object(&parts.payload, policy.limits.json)?;
        Ok(UnverifiedJws {
            header: parts.header,
            unverified_payload,
            signing_input: parts.signing_input,
            signature: parts.signature,
        })
    }

    /// The header (checked against the policy, but not yet authenticated).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The payload before its signature is checked: use only to find the key.
    pub fn unverified_payload(&self) -> &Map<String, Value> {
        &self.unverified_payload
    }

    /// Checks the signature under `key`; the header's `alg` must be the key's.
    pub fn verify(self, key: &PublicKey) -> Result<VerifiedJws, JoseError> {
        key.verify(
            self.header.alg,
            self.signing_input.as_bytes(),
            &self.signature,
        )?;
        Ok(VerifiedJws {
            header: self.header,
            payload: self.unverified_payload,
        })
    }
}

struct Parts<'t> {
    header: Header,
    payload: Vec<u8>,
    signing_input: &'t str,
    signature: Vec<u8>,
}

fn split<'t>(token: &'t str, policy: &HeaderPolicy<'_>) -> Result<Parts<'t>, JoseError> {
    if token.len() > policy.limits.max_token_bytes {
        return Err(JoseError::TooLarge(token.len()));
    }
    let (signing_input, sig_b64) = token
        .rsplit_once('.')
        .ok_or(JoseError::Malformed("expected three parts"))?;
    let (header_b64, payload_b64) = signing_input
        .split_once('.')
        .ok_or(JoseError::Malformed("expected three parts"))?;
    if payload_b64.contains('.') {
        return Err(JoseError::Malformed("expected three parts"));
    }
    if header_b64.is_empty() || payload_b64.is_empty() || sig_b64.is_empty() {
        return Err(JoseError::Malformed("empty part"));
    }
    let header_bytes =
        b64url_decode(header_b64).map_err(|_| JoseError::Malformed("header is not base64url"))?;
    let members = json::parse_object(&header_bytes, policy.limits.json)?;
    let header = check_header(members, policy)?;
    let payload =
        b64url_decode(payload_b64).map_err(|_| JoseError::Malformed("payload is not base64url"))?;
    let signature =
        b64url_decode(sig_b64).map_err(|_| JoseError::Malformed("signature is not base64url"))?;
    Ok(Parts {
        header,
        payload,
        signing_input,
        signature,
    })
}

/// Decodes and verifies a compact JWS whose payload is not JSON (raw bytes).
pub fn verify_compact_bytes(
    token: &str,
    policy: &HeaderPolicy<'_>,
    key: &PublicKey,
) -> Result<(Header, Vec<u8>), JoseError> {
    let parts = split(token, policy)?;
    key.verify(
        parts.header.alg,
        parts.signing_input.as_bytes(),
        &parts.signature,
    )?;
    Ok((parts.header, parts.payload))
}

fn check_header(
    members: Map<String, Value>,
    policy: &HeaderPolicy<'_>,
) -> Result<Header, JoseError> {
    let alg_name = members
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JoseError::Malformed("header has no string \"alg\""))?;
    let alg = Algorithm::from_jose_name(alg_name)?;
    policy.algorithms.check(alg)?;

    for forbidden in ["jku", "x5u"] {
        if members.contains_key(forbidden) {
            return Err(JoseError::ForbiddenHeader(forbidden));
        }
    }
    if let Some(crit) = members.get("crit") {
        let list = crit
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| JoseError::Crit("crit must be a non-empty array".into()))?;
        for name in list {
            let name = name
                .as_str()
                .ok_or_else(|| JoseError::Crit("crit entries must be strings".into()))?;
            if REGISTERED.contains(&name)
                || !policy.understood_crit.contains(&name)
                || !members.contains_key(name)
            {
                return Err(JoseError::Crit(name.chars().take(64).collect()));
            }
        }
    }
    let typ = match members.get("typ") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(JoseError::Malformed("typ is not a string")),
    };
    if !policy.typ.is_empty() && !typ_allowed(typ.as_deref(), policy.typ) {
        return Err(JoseError::Typ { found: typ });
    }
    let kid = match members.get("kid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(JoseError::Malformed("kid is not a string")),
    };
    let jwk = match members.get("jwk") {
        None => None,
        Some(v) => {
            Some(Jwk::from_value(v).map_err(|_| JoseError::Malformed("header jwk is invalid"))?)
        }
    };
    Ok(Header {
        alg,
        typ,
        kid,
        jwk,
        members,
    })
}

fn typ_allowed(found: Option<&str>, allowed: &[Option<&str>]) -> bool {
    let found = found.map(|t| {
        let lower = t.to_ascii_lowercase();
        lower
            .strip_prefix("application/")
            .map(str::to_owned)
            .unwrap_or(lower)
    });
    allowed.iter().any(|a| match (a, &found) {
        (None, None) => true,
        (Some(a), Some(f)) => a.eq_ignore_ascii_case(f),
        _ => false,
    })
}

/// Signs `payload` as a compact JWS. The header holds `alg` (from the
/// signer), then `typ` and `kid` when given, then `extra` members.
pub fn sign_compact(
    signer: &dyn Signer,
    typ: Option<&str>,
    kid: Option<&str>,
    extra: Map<String, Value>,
    payload: &Map<String, Value>,
) -> Result<String, JoseError> {
    let mut header = Map::new();
    header.insert(
        "alg".into(),
        Value::String(signer.algorithm().jose_name().into()),
    );
    if let Some(t) = typ {
        header.insert("typ".into(), Value::String(t.into()));
    }
    if let Some(k) = kid {
        header.insert("kid".into(), Value::String(k.into()));
    }
    header.extend(extra);
    let header_json = Value::Object(header).to_string();
    let payload_json = Value::Object(payload.clone()).to_string();
    let mut token = String::with_capacity((header_json.len() + payload_json.len()) * 4 / 3 + 100);
    token.push_str(&b64url(header_json.as_bytes()));
    token.push('.');
    token.push_str(&b64url(payload_json.as_bytes()));
    let signature = signer.sign(token.as_bytes())?;
    // An external signer (secure hardware) could hand back garbage; a token
    // that does not verify must never leave this function.
    signer
        .public_key()
        .verify(signer.algorithm(), token.as_bytes(), &signature)
        .map_err(|_| SignError::BadSignature)?;
    token.push('.');
    token.push_str(&b64url(&signature));
    Ok(token)
}

#[cfg(test)]
mod tests;
