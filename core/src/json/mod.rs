//! Strict JSON parsing for everything that arrives from outside.
//!
//! `serde_json` silently keeps the last of two members with the same name,
//! which lets a forged token say one thing to one parser and another thing to
//! the next. Every JSON document Stele reads from input goes through
//! [`parse`], which rejects duplicate member names, caps the nesting depth and
//! the input size, and only then hands out a [`serde_json::Value`].

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

/// Limits applied while parsing untrusted JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays and objects.
    pub max_depth: usize,
}

impl JsonLimits {
    /// Limits for token headers and payloads: 256 KiB, depth 32.
    pub const DEFAULT: JsonLimits = JsonLimits {
        max_bytes: 256 * 1024,
        max_depth: 32,
    };
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a JSON document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The input is larger than [`JsonLimits::max_bytes`]; likely a hostile or wrong input.
    #[error("JSON input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Arrays or objects nest deeper than [`JsonLimits::max_depth`].
    #[error("JSON nesting exceeds the limit of {limit} levels")]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// An object holds the same member name twice; parsers would disagree on its value.
    #[error("JSON object has a duplicate member {0:?}")]
    DuplicateKey(String),
    /// The input is not well-formed JSON (or not UTF-8).
    #[error("malformed JSON: {0}")]
    Syntax(String),
}

/// Parses untrusted bytes as JSON under `limits`.
pub fn parse(input: &[u8], limits: JsonLimits) -> Result<Value, JsonError> {
    if input.len() > limits.max_bytes {
        return Err(JsonError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(input);
    let mut failure = None;
    let seed = StrictSeed {
        depth: 0,
        limits,
        failure: &mut failure,
    };
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (result, failure) {
        (Ok(v), None) => Ok(v),
        (_, Some(f)) => Err(f),
        (Err(e), None) => Err(JsonError::Syntax(e.to_string())),
    }
}

/// Parses untrusted bytes as a JSON object.
pub fn parse_object(input: &[u8], limits: JsonLimits) -> Result<Map<String, Value>, JsonError> {
    match parse(input, limits)? {
        Value::Object(m) => Ok(m),
        _ => Err(JsonError::Syntax("expected a JSON object".into())),
    }
}

struct StrictSeed<'a> {
    depth: usize,
    limits: JsonLimits,
    failure: &'a mut Option<JsonError>,
}

impl StrictSeed<'_> {
    fn fail<E: serde::de::Error>(&mut self, e: JsonError) -> E {
        let msg = e.to_string();
        *self.failure = Some(e);
        E::custom(msg)
    }
    fn child(&mut self) -> StrictSeed<'_> {
        StrictSeed {
            depth: self.depth + 1,
            limits: self.limits,
            failure: self.failure,
        }
    }
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// The map key serde_json uses for numbers under `arbitrary_precision`.
const ARBITRARY_PRECISION_TOKEN: &str = "$serde_json::private::Number";

/// Whether serde_json was built with `arbitrary_precision` (then numbers keep
/// their text, and arrive at visitors as [`ARBITRARY_PRECISION_TOKEN`] maps).
fn arbitrary_precision() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        serde_json::from_str::<Value>("10.50")
            .and_then(|v| serde_json::to_string(&v))
            .is_ok_and(|text| text == "10.50")
    })
}

impl<'de> Visitor<'de> for StrictSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= self.limits.max_depth {
            let limit = self.limits.max_depth;
            return Err(self.fail(JsonError::TooDeep { limit }));
        }
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.child())? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= self.limits.max_depth {
            let limit = self.limits.max_depth;
            return Err(self.fail(JsonError::TooDeep { limit }));
        }
        let mut out = Map::new();
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            // serde_json's `arbitrary_precision` (turned on in the whole
            // build by a dependency of the `rdfc` feature) hands numbers to
            // visitors as a one-member map with this token: read it back as
            // the number, as serde_json's own `Value` does.
            if first && key == ARBITRARY_PRECISION_TOKEN && arbitrary_precision() {
                let text: String = map.next_value()?;
                let number = text
                    .parse::<serde_json::Number>()
                    .map_err(serde::de::Error::custom)?;
                return Ok(Value::Number(number));
            }
            first = false;
            // One lookup per member: the vacant entry is filled once the
            // value is parsed.
            match out.entry(key) {
                Entry::Occupied(dup) => {
                    let key = dup.key().clone();
                    return Err(self.fail(JsonError::DuplicateKey(key)));
                }
                Entry::Vacant(slot) => {
                    slot.insert(map.next_value_seed(self.child())?);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicate_members_at_any_depth() {
        let e = parse(br#"{"a":1,"a":2}"#, JsonLimits::DEFAULT).unwrap_err();
        assert_eq!(e, JsonError::DuplicateKey("a".into()));
        let e = parse(br#"{"x":[{"b":1,"c":{"d":1,"d":1}}]}"#, JsonLimits::DEFAULT).unwrap_err();
        assert_eq!(e, JsonError::DuplicateKey("d".into()));
        // An escaped spelling of the same name is the same name.
        let e = parse(br#"{"alg":"EdDSA","\u0061lg":"none"}"#, JsonLimits::DEFAULT).unwrap_err();
        assert_eq!(e, JsonError::DuplicateKey("alg".into()));
    }

    #[test]
    fn enforces_depth_and_size() {
        let limits = JsonLimits {
            max_bytes: 64,
            max_depth: 3,
        };
        assert!(parse(b"[[[1]]]", limits).is_ok());
        assert_eq!(
            parse(b"[[[[1]]]]", limits).unwrap_err(),
            JsonError::TooDeep { limit: 3 }
        );
        let big = vec![b' '; 65];
        assert!(matches!(
            parse(&big, limits),
            Err(JsonError::TooLarge { .. })
        ));
        // Deep nesting far beyond serde_json's own recursion limit fails cleanly.
        let deep = "[".repeat(100_000);
        assert!(
            parse(
                deep.as_bytes(),
                JsonLimits {
                    max_bytes: 1 << 20,
                    max_depth: 32
                }
            )
            .is_err()
        );
    }

    #[test]
    fn parses_ordinary_documents() {
        let v = parse(
            br#"{"a":[1,2.5,"x",null,true],"b":{"c":-3}}"#,
            JsonLimits::DEFAULT,
        )
        .unwrap();
        assert_eq!(v["a"][1], serde_json::json!(2.5));
        assert_eq!(v["b"]["c"], serde_json::json!(-3));
        assert!(matches!(
            parse(b"{} x", JsonLimits::DEFAULT),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse(b"\xff", JsonLimits::DEFAULT),
            Err(JsonError::Syntax(_))
        ));
    }
}
