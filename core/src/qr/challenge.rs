//! The challenge a counter shows (PRODUCT.md §5, step 1): a fresh nonce, the
//! verifier's id (the audience of the key-binding JWT), an expiry, and what
//! the counter asks for. The verifier service issues it; the wallet parses
//! it with [`Challenge::from_qr_payload`].
//!
//! Its JSON form uses one-letter member names to keep the QR code small and
//! is documented in `schemas/challenge.schema.json`:
//! `{"n": nonce, "v": verifier, "e": expiry (Unix seconds), "t": [types], "c": [claim paths]}`.

use serde_json::{Map, Value, json};

use super::{PayloadKind, PayloadLimits, QrError, decode, encode};
use crate::json::{self, JsonLimits};
use crate::time::Timestamp;

/// Shortest accepted nonce, in characters (16 base64url characters = 96 bits).
pub const MIN_NONCE_CHARS: usize = 16;
/// Longest accepted nonce, in characters.
pub const MAX_NONCE_CHARS: usize = 128;
/// Longest accepted verifier id, in characters.
pub const MAX_VERIFIER_CHARS: usize = 256;
/// Most credential types one challenge may request.
pub const MAX_TYPES: usize = 32;
/// Most claim paths one challenge may request.
pub const MAX_CLAIMS: usize = 64;
/// Longest accepted credential type or claim path, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// Caps for decoding a challenge payload: a challenge is small.
const LIMITS: PayloadLimits = PayloadLimits {
    max_chars: 4296,
    max_decompressed: 32 * 1024,
};

const JSON_LIMITS: JsonLimits = JsonLimits {
    max_bytes: 32 * 1024,
    max_depth: 4,
};

/// A verifier's challenge, as shown at the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Single-use nonce the key-binding JWT must carry (base64url alphabet, 16–128 characters).
    pub nonce: String,
    /// The verifier's id, used as the key-binding JWT's audience.
    pub verifier: String,
    /// After this instant the challenge is no longer accepted.
    pub expires: Timestamp,
    /// Credential types the counter accepts (`ResidencePermitCredential` …).
    pub credential_types: Vec<String>,
    /// Claim paths the counter requests (`given_name`, `address.locality` …).
    pub claims: Vec<String>,
}

impl Challenge {
    /// The challenge's JSON form (see the module docs).
    pub fn to_json(&self) -> Value {
        json!({
            "n": self.nonce,
            "v": self.verifier,
            "e": self.expires.unix(),
            "t": self.credential_types,
            "c": self.claims,
        })
    }

    /// The compact QR payload (`SC2:…`) of this challenge.
    pub fn to_qr_payload(&self) -> String {
        encode(
            PayloadKind::Challenge,
            self.to_json().to_string().as_bytes(),
        )
    }

    /// Parses and checks a scanned challenge payload at `now`: strict JSON,
    /// no unknown members, every bound of the module constants, and an
    /// expiry not before `now` ([`QrError::Expired`]).
    pub fn from_qr_payload(text: &str, now: Timestamp) -> Result<Challenge, QrError> {
        let (kind, bytes) = decode(text, LIMITS)?;
        if kind != PayloadKind::Challenge {
            return Err(QrError::WrongKind(kind));
        }
        let object = json::parse_object(&bytes, JSON_LIMITS)?;
        let challenge = Self::from_json(&object)?;
        if challenge.expires < now {
            return Err(QrError::Expired);
        }
        Ok(challenge)
    }

    fn from_json(object: &Map<String, Value>) -> Result<Challenge, QrError> {
        // The error never echoes the member name: it came from input.
        if object
            .keys()
            .any(|k| !["n", "v", "e", "t", "c"].contains(&k.as_str()))
        {
            return Err(QrError::InvalidChallenge("unknown member"));
        }
        let nonce = string(object, "n", "nonce missing or not a string")?;
        if !(MIN_NONCE_CHARS..=MAX_NONCE_CHARS).contains(&nonce.len())
            || !nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(QrError::InvalidChallenge(
                "nonce must be 16-128 base64url characters",
            ));
        }
        let verifier = string(object, "v", "verifier missing or not a string")?;
        if verifier.is_empty() || verifier.chars().count() > MAX_VERIFIER_CHARS {
            return Err(QrError::InvalidChallenge(
                "verifier must be 1-256 characters",
            ));
        }
        let expires = object
            .get("e")
            .and_then(Value::as_i64)
            .filter(|e| *e >= 0)
            .map(Timestamp::from_unix)
            .ok_or(QrError::InvalidChallenge(
                "expiry missing or not a non-negative integer",
            ))?;
        let credential_types = names(
            object,
            "t",
            MAX_TYPES,
            "credential types missing or not an array",
            "more than 32 credential types",
        )?;
        let claims = names(
            object,
            "c",
            MAX_CLAIMS,
            "claims missing or not an array",
            "more than 64 claims",
        )?;
        Ok(Challenge {
            nonce,
            verifier,
            expires,
            credential_types,
            claims,
        })
    }
}

fn string(object: &Map<String, Value>, key: &str, err: &'static str) -> Result<String, QrError> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(QrError::InvalidChallenge(err))
}

fn names(
    object: &Map<String, Value>,
    key: &str,
    max: usize,
    missing: &'static str,
    too_many: &'static str,
) -> Result<Vec<String>, QrError> {
    let list = object
        .get(key)
        .and_then(Value::as_array)
        .ok_or(QrError::InvalidChallenge(missing))?;
    if list.len() > max {
        return Err(QrError::InvalidChallenge(too_many));
    }
    list.iter()
        .map(|v| {
            v.as_str()
                .filter(|s| !s.is_empty() && s.chars().count() <= MAX_NAME_CHARS)
                .map(str::to_owned)
                .ok_or(QrError::InvalidChallenge(
                    "a type or claim is not a string of 1-256 characters",
                ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::schema::Schema;

    const SCHEMA: &str = include_str!("../../../schemas/challenge.schema.json");
    const NOW: i64 = 1_790_000_000;

    fn sample() -> Challenge {
        Challenge {
            nonce: "q2X0b7hT9mZ4nVYcK1sD8w".into(),
            verifier: "did:web:counter.example:berlin-lea-7".into(),
            expires: Timestamp::from_unix(NOW + 120),
            credential_types: vec!["ResidencePermitCredential".into()],
            claims: vec![
                "given_name".into(),
                "family_name".into(),
                "valid_until".into(),
            ],
        }
    }

    /// Builds a payload from raw JSON text, bypassing [`Challenge::to_json`].
    fn raw(json: &str) -> String {
        encode(PayloadKind::Challenge, json.as_bytes())
    }

    /// The one helper: `payload` parses at NOW to `expected`, or fails with it.
    fn check(payload: &str, expected: Result<Challenge, QrError>) {
        assert_eq!(
            Challenge::from_qr_payload(payload, Timestamp::from_unix(NOW)),
            expected,
            "{payload}"
        );
    }

    #[test]
    fn round_trip_and_size() {
        let c = sample();
        let payload = c.to_qr_payload();
        assert!(payload.starts_with("SC2:"));
        assert!(
            payload
                .bytes()
                .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b))
        );
        println!("challenge payload: {} characters", payload.len());
        check(&payload, Ok(c.clone()));
        check(&format!("  {payload}\r\n"), Ok(c));
    }

    #[test]
    fn refusals() {
        let mut c = sample();
        c.expires = Timestamp::from_unix(NOW - 1);
        check(&c.to_qr_payload(), Err(QrError::Expired));
        let invalid = |m| Err(QrError::InvalidChallenge(m));
        let nonce = "nonce must be 16-128 base64url characters";
        for (json, expected) in [
            (
                r#"{"n":"short","v":"x","e":1790000100,"t":[],"c":[]}"#,
                invalid(nonce),
            ),
            (
                r#"{"n":"0123456789abcdef+","v":"x","e":1790000100,"t":[],"c":[]}"#,
                invalid(nonce),
            ),
            (
                r#"{"n":"0123456789abcdef","v":"","e":1790000100,"t":[],"c":[]}"#,
                invalid("verifier must be 1-256 characters"),
            ),
            (
                r#"{"n":"0123456789abcdef","v":"x","e":"soon","t":[],"c":[]}"#,
                invalid("expiry missing or not a non-negative integer"),
            ),
            (
                r#"{"n":"0123456789abcdef","v":"x","e":1790000100,"t":[],"c":[],"x":1}"#,
                invalid("unknown member"),
            ),
            (
                r#"{"n":"0123456789abcdef","v":"x","e":1790000100,"t":[1],"c":[]}"#,
                invalid("a type or claim is not a string of 1-256 characters"),
            ),
            (
                r#"{"n":"0123456789abcdef","v":"x","e":1790000100,"c":[]}"#,
                invalid("credential types missing or not an array"),
            ),
        ] {
            check(&raw(json), expected);
        }
        let dup = r#"{"n":"0123456789abcdef","v":"x","v":"y","e":1790000100,"t":[],"c":[]}"#;
        assert!(matches!(
            Challenge::from_qr_payload(&raw(dup), Timestamp::from_unix(NOW)),
            Err(QrError::Json(crate::json::JsonError::DuplicateKey(_)))
        ));
        let mut many = sample();
        many.claims = (0..65).map(|i| format!("c{i}")).collect();
        check(&many.to_qr_payload(), invalid("more than 64 claims"));
        many.claims.truncate(64);
        many.credential_types = (0..33).map(|i| format!("T{i}")).collect();
        check(
            &many.to_qr_payload(),
            invalid("more than 32 credential types"),
        );
        check(
            &encode(PayloadKind::Presentation, b"{}"),
            Err(QrError::WrongKind(PayloadKind::Presentation)),
        );
    }

    #[test]
    fn schema_documents_the_json_form() {
        let schema = Schema::from_json(SCHEMA).expect("schema loads under the supported subset");
        assert!(schema.validate(&sample().to_json()).is_ok());
        for bad in [
            json!({"n": "short", "v": "x", "e": 1, "t": [], "c": []}),
            json!({"n": "0123456789abcdef", "v": "x", "e": 1, "t": [], "c": [], "x": 1}),
            json!({"n": "0123456789abcdef", "v": "", "e": 1, "t": [], "c": []}),
            json!({"n": "0123456789abcdef", "v": "x", "e": -1, "t": [], "c": []}),
            json!({"n": "0123456789abcdef", "v": "x", "e": 1, "t": []}),
        ] {
            assert!(schema.validate(&bad).is_err(), "{bad}");
        }
    }
}
