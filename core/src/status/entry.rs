//! Status entries: where in which list a credential's status bit lives.
//!
//! A VC (VC-JOSE) carries `BitstringStatusListEntry` objects in
//! `credentialStatus`, one per purpose. An SD-JWT VC carries the same
//! objects in its `status` claim under the member
//! [`SD_JWT_STATUS_MEMBER`] (`bitstring_status_list`), always an array:
//!
//! ```json
//! "status": {
//!   "bitstring_status_list": [{
//!     "id": "https://agency.example/status/1#94567",
//!     "type": "BitstringStatusListEntry",
//!     "statusPurpose": "revocation",
//!     "statusListIndex": "94567",
//!     "statusListCredential": "https://agency.example/status/1"
//!   }]
//! }
//! ```
//!
//! ADR 0016 says why this and not the IETF Token Status List's
//! `status_list`, which [`entries_from_status_claim`] refuses as
//! [`StatusListError::Unsupported`] rather than misreading its bits.

use serde_json::{Map, Value};

use super::{StatusListError, StatusPurpose};
use crate::credential::model::string_or_strings;

/// The `type` of a Bitstring Status List entry.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";

/// The member of an SD-JWT VC's `status` claim that holds Bitstring Status
/// List entries.
pub const SD_JWT_STATUS_MEMBER: &str = "bitstring_status_list";

/// The most entries one credential may carry; more is refused as a likely
/// attempt to make the verifier fetch many lists.
pub const MAX_ENTRIES: usize = 16;

/// Longest accepted list URL.
const MAX_URL_BYTES: usize = 2048;

/// One `BitstringStatusListEntry` (status size 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// `id`, if any (by convention `<list URL>#<index>`).
    pub id: Option<String>,
    /// `statusPurpose`.
    pub purpose: StatusPurpose,
    /// `statusListIndex`, parsed from its base-10 string.
    pub index: u64,
    /// `statusListCredential`: the URL of the list credential.
    pub list_url: String,
}

impl StatusEntry {
    /// An entry for bit `index` of the list credential at `list_url`, with
    /// `id` `<list_url>#<index>`.
    pub fn new(
        purpose: StatusPurpose,
        index: u64,
        list_url: &str,
    ) -> Result<Self, StatusListError> {
        if !is_url(list_url) {
            return Err(StatusListError::Entry(
                "statusListCredential is not an absolute URL",
            ));
        }
        Ok(StatusEntry {
            id: Some(format!("{list_url}#{index}")),
            purpose,
            index,
            list_url: list_url.to_owned(),
        })
    }

    /// Reads a `BitstringStatusListEntry` object strictly: `type` must name
    /// it, `statusListIndex` must be a canonical base-10 string (digits, no
    /// sign, no leading zero), `statusListCredential` an absolute URL.
    /// `statusSize` other than 1 and `statusMessage` are
    /// [`StatusListError::Unsupported`]. Other members are ignored.
    pub fn from_value(v: &Value) -> Result<Self, StatusListError> {
        let Value::Object(m) = v else {
            return Err(StatusListError::Entry("a status entry must be an object"));
        };
        let types =
            string_or_strings(m.get("type")).ok_or(StatusListError::Entry("type is missing"))?;
        if !types.iter().any(|t| t == ENTRY_TYPE) {
            return Err(StatusListError::Entry(
                "type is not BitstringStatusListEntry",
            ));
        }
        match m.get("statusSize") {
            None => {}
            Some(s) if s.as_u64() == Some(1) => {}
            Some(s) if s.as_u64().is_some_and(|n| n > 1) => {
                return Err(StatusListError::Unsupported("statusSize greater than 1"));
            }
            Some(_) => {
                return Err(StatusListError::Entry(
                    "statusSize is not a positive integer",
                ));
            }
        }
        if m.contains_key("statusMessage") {
            return Err(StatusListError::Unsupported("statusMessage"));
        }
        let purpose = StatusPurpose::parse(str_member(m, "statusPurpose")?)?;
        let index = parse_index(str_member(m, "statusListIndex")?)?;
        let list_url = str_member(m, "statusListCredential")?;
        if !is_url(list_url) {
            return Err(StatusListError::Entry(
                "statusListCredential is not an absolute URL",
            ));
        }
        let id = match m.get("id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(StatusListError::Entry("id is not a string")),
        };
        Ok(StatusEntry {
            id,
            purpose,
            index,
            list_url: list_url.to_owned(),
        })
    }

    /// The entry as a `BitstringStatusListEntry` object.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        if let Some(id) = &self.id {
            m.insert("id".into(), Value::String(id.clone()));
        }
        m.insert("type".into(), Value::String(ENTRY_TYPE.into()));
        m.insert(
            "statusPurpose".into(),
            Value::String(self.purpose.as_str().into()),
        );
        m.insert(
            "statusListIndex".into(),
            Value::String(self.index.to_string()),
        );
        m.insert(
            "statusListCredential".into(),
            Value::String(self.list_url.clone()),
        );
        Value::Object(m)
    }
}

/// Reads the status entries of a credential from either form:
///
/// - a VC's `credentialStatus`: one `BitstringStatusListEntry` object, or an
///   array of them;
/// - an SD-JWT VC's `status` claim: `{"bitstring_status_list": [entry, ...]}`.
///
/// Refused: no entries, more than [`MAX_ENTRIES`], any malformed entry, and
/// in the SD-JWT form any other member (an unknown status mechanism left
/// unchecked could hide a revocation), the IETF `status_list` included.
pub fn entries_from_status_claim(v: &Value) -> Result<Vec<StatusEntry>, StatusListError> {
    let items: &[Value] = match v {
        Value::Array(a) => a,
        Value::Object(m) if m.contains_key("type") => std::slice::from_ref(v),
        Value::Object(m) => {
            if let Some(key) = m.keys().find(|k| *k != SD_JWT_STATUS_MEMBER) {
                return Err(if key == "status_list" {
                    StatusListError::Unsupported("IETF Token Status List (status_list)")
                } else {
                    StatusListError::Unsupported("unknown status mechanism")
                });
            }
            match m.get(SD_JWT_STATUS_MEMBER) {
                Some(Value::Array(a)) => a,
                Some(_) => {
                    return Err(StatusListError::Entry(
                        "bitstring_status_list must be an array",
                    ));
                }
                None => return Err(StatusListError::Entry("no status entries")),
            }
        }
        _ => {
            return Err(StatusListError::Entry(
                "status must be an object or an array",
            ));
        }
    };
    if items.is_empty() {
        return Err(StatusListError::Entry("no status entries"));
    }
    if items.len() > MAX_ENTRIES {
        return Err(StatusListError::Entry("too many status entries"));
    }
    items.iter().map(StatusEntry::from_value).collect()
}

/// The SD-JWT VC `status` claim for `entries`:
/// `{"bitstring_status_list": [entry, ...]}`.
pub fn sd_jwt_status_claim(entries: &[StatusEntry]) -> Value {
    let mut m = Map::new();
    m.insert(
        SD_JWT_STATUS_MEMBER.into(),
        Value::Array(entries.iter().map(StatusEntry::to_value).collect()),
    );
    Value::Object(m)
}

/// The VC `credentialStatus` value for `entries`: the entry itself when
/// there is one, an array otherwise.
pub fn credential_status(entries: &[StatusEntry]) -> Value {
    match entries {
        [one] => one.to_value(),
        _ => Value::Array(entries.iter().map(StatusEntry::to_value).collect()),
    }
}

fn str_member<'a>(
    m: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, StatusListError> {
    match m.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(StatusListError::Entry(match name {
            "statusPurpose" => "statusPurpose is not a string",
            "statusListIndex" => "statusListIndex is not a string",
            _ => "statusListCredential is not a string",
        })),
        None => Err(StatusListError::Entry(match name {
            "statusPurpose" => "statusPurpose is missing",
            "statusListIndex" => "statusListIndex is missing",
            _ => "statusListCredential is missing",
        })),
    }
}

/// A canonical base-10 `u64`: ASCII digits, no sign, no leading zero, so
/// that one index has one spelling.
fn parse_index(s: &str) -> Result<u64, StatusListError> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return Err(StatusListError::Entry(
            "statusListIndex is not a base-10 integer string",
        ));
    }
    s.parse()
        .map_err(|_| StatusListError::Entry("statusListIndex is too large"))
}

/// An absolute URL as far as a status entry needs: a scheme
/// (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")`), a colon, something after
/// it, no whitespace or control characters, at most 2 KiB. Whether it may
/// be fetched is the fetch layer's decision.
pub(crate) fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sb = scheme.bytes();
    s.len() <= MAX_URL_BYTES
        && sb.next().is_some_and(|b| b.is_ascii_alphabetic())
        && sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
