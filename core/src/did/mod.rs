//! Decentralized identifiers: DID syntax, DID documents, verification
//! relationships, the [`DidResolver`] trait and its errors.
//!
//! Methods live in their own files: [`key`] (did:key, no I/O) and
//! [`resolver`] (dispatch by method, caching). Network-backed methods
//! (did:web, did:ethr) implement [`DidResolver`] elsewhere.
//!
//! Resolution is synchronous on purpose: core has no async runtime. Resolvers
//! that need the network block; async hosts call them on a blocking thread.
//!
//! ```
//! use stele_core::did::{Did, DidResolver, MethodResolver, Relationship, ResolutionOptions};
//!
//! let resolver = MethodResolver::default(); // did:key; register did:web, did:ethr with `with`
//! let did = Did::parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")?;
//! let resolution = resolver.resolve(&did, &ResolutionOptions::default())?;
//! let method = resolution
//!     .document
//!     .find_method(&stele_core::did::did_key_method_id(&did), Relationship::AssertionMethod)
//!     .expect("a did:key lists its key under assertionMethod");
//! let key = method.public_key()?;
//! assert_eq!(key, stele_core::did::public_key_from_did_key(&did)?);
//! # Ok::<(), stele_core::did::DidError>(())
//! ```

pub mod key;
pub mod resolver;

pub use key::{DidKeyResolver, did_key_from_public, did_key_method_id, public_key_from_did_key};
pub use resolver::{CacheStats, CachingResolver, MethodResolver};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::json::{self, JsonError, JsonLimits};
use crate::key::{Jwk, KeyError, KeyType, PublicKey};

/// Longest DID accepted, in bytes.
pub const MAX_DID_LEN: usize = 2048;
/// Longest DID URL accepted (DID plus fragment), in bytes.
pub const MAX_DID_URL_LEN: usize = 4096;

/// The `@context` of a DID Resolution result.
pub const RESOLUTION_CONTEXT: &str = "https://w3id.org/did-resolution/v1";
/// Media type of a DID document in its JSON-LD representation.
pub const CONTENT_TYPE_DID_LD_JSON: &str = "application/did+ld+json";
/// Media type of a DID document in its plain JSON representation.
pub const CONTENT_TYPE_DID_JSON: &str = "application/did+json";

/// A syntactically valid DID (`did:<method>:<method-specific-id>`), at most
/// [`MAX_DID_LEN`] bytes. The method is lowercase `[a-z0-9]+`; the
/// method-specific id uses the DID Core ABNF characters (ALPHA, DIGIT, `.`,
/// `-`, `_`, `:` and `%XX`) and does not end with `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Did(String);

impl Did {
    /// Parses a DID; [`DidError::InvalidDid`] on bad syntax. DID URLs (with a
    /// path, query or fragment) are refused here: see [`DidUrl::parse`].
    pub fn parse(s: &str) -> Result<Did, DidError> {
        if s.len() > MAX_DID_LEN {
            return Err(DidError::InvalidDid(format!(
                "DID of {} bytes exceeds the limit of {MAX_DID_LEN}",
                s.len()
            )));
        }
        let rest = s
            .strip_prefix("did:")
            .ok_or_else(|| invalid_did(s, "does not start with \"did:\""))?;
        let (method, msid) = rest
            .split_once(':')
            .ok_or_else(|| invalid_did(s, "has no method-specific id"))?;
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(invalid_did(s, "method name must be [a-z0-9]+"));
        }
        check_method_specific_id(msid).map_err(|why| invalid_did(s, why))?;
        Ok(Did(s.to_owned()))
    }

    /// The DID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The method name (`key` in `did:key:z6Mk...`).
    pub fn method(&self) -> &str {
        self.parts().0
    }

    /// The method-specific id (`z6Mk...` in `did:key:z6Mk...`).
    pub fn method_specific_id(&self) -> &str {
        self.parts().1
    }

    fn parts(&self) -> (&str, &str) {
        // `parse` checked the "did:" prefix and the second colon; the fallbacks
        // are unreachable but keep this free of panics.
        let rest = self.0.get(4..).unwrap_or_default();
        rest.split_once(':').unwrap_or((rest, ""))
    }
}

fn check_method_specific_id(msid: &str) -> Result<(), &'static str> {
    if msid.is_empty() {
        return Err("has an empty method-specific id");
    }
    if msid.ends_with(':') {
        return Err("method-specific id ends with ':'");
    }
    let b = msid.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b':' => i += 1,
            b'%' => {
                let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
                if !ok {
                    return Err("bad percent-encoding in method-specific id");
                }
                i += 3;
            }
            _ => return Err("character not allowed in method-specific id"),
        }
    }
    Ok(())
}

/// An `InvalidDid` error that quotes at most the first 64 characters of the input.
fn invalid_did(s: &str, why: &str) -> DidError {
    let shown: String = s.chars().take(64).collect();
    let ellipsis = if shown.len() < s.len() { "…" } else { "" };
    DidError::InvalidDid(format!("{shown:?}{ellipsis} {why}"))
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Did {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Did::parse(s)
    }
}

impl TryFrom<String> for Did {
    type Error = DidError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Did::parse(&s)
    }
}

impl AsRef<str> for Did {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A DID URL reduced to what Stele uses: the DID and an optional fragment
/// (`did:example:123#key-1`). DID URLs with a path or query are refused with
/// [`DidError::InvalidDid`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DidUrl {
    /// The DID.
    pub did: Did,
    /// The fragment, without `#`.
    pub fragment: Option<String>,
}

impl DidUrl {
    /// Parses `did[#fragment]`.
    pub fn parse(s: &str) -> Result<DidUrl, DidError> {
        if s.len() > MAX_DID_URL_LEN {
            return Err(DidError::InvalidDid(format!(
                "DID URL of {} bytes exceeds the limit of {MAX_DID_URL_LEN}",
                s.len()
            )));
        }
        let (did_part, fragment) = match s.split_once('#') {
            Some((d, f)) => (d, Some(f)),
            None => (s, None),
        };
        if did_part.contains(['/', '?']) {
            return Err(invalid_did(
                s,
                "DID URLs with a path or query are not supported",
            ));
        }
        let did = Did::parse(did_part)?;
        if let Some(f) = fragment {
            check_fragment(f).map_err(|why| invalid_did(s, why))?;
        }
        Ok(DidUrl {
            did,
            fragment: fragment.map(str::to_owned),
        })
    }

    /// The DID URL as text.
    pub fn to_url_string(&self) -> String {
        match &self.fragment {
            Some(f) => format!("{}#{f}", self.did),
            None => self.did.to_string(),
        }
    }
}

impl fmt::Display for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_url_string())
    }
}

/// RFC 3986 fragment: pchar / "/" / "?".
fn check_fragment(f: &str) -> Result<(), &'static str> {
    let b = f.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b':'
            | b'@'
            | b'/'
            | b'?' => i += 1,
            b'%' => {
                let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
                if !ok {
                    return Err("bad percent-encoding in fragment");
                }
                i += 3;
            }
            _ => return Err("character not allowed in fragment"),
        }
    }
    Ok(())
}

/// A verification method of a DID document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// The method's id: a DID URL, or `#fragment` relative to the document.
    pub id: String,
    /// `Multikey`, `JsonWebKey`, `JsonWebKey2020`, `Ed25519VerificationKey2020`, ...
    #[serde(rename = "type")]
    pub type_: String,
    /// The DID that controls the method.
    pub controller: String,
    /// A multibase key (`z...`), with a multicodec prefix for `Multikey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_multibase: Option<String>,
    /// A public JWK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_jwk: Option<Value>,
    /// A hex key (did:ethr's `Ed25519VerificationKey2018`, `EcdsaSecp256k1VerificationKey2019`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_hex: Option<String>,
    /// A base58btc key without multibase prefix (`Ed25519VerificationKey2018`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_base58: Option<String>,
    /// A base64 key (did:ethr attributes with the `base64` encoding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_base64: Option<String>,
    /// A CAIP-10 account (`eip155:<chain>:<address>`) of an `EcdsaSecp256k1RecoveryMethod2020`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blockchain_account_id: Option<String>,
}

/// Multicodec codes for the public keys did:key and Multikey carry.
pub(crate) mod multicodec {
    /// ed25519-pub.
    pub const ED25519_PUB: u64 = 0xed;
    /// x25519-pub.
    pub const X25519_PUB: u64 = 0xec;
    /// secp256k1-pub (compressed).
    pub const SECP256K1_PUB: u64 = 0xe7;
    /// p256-pub (compressed).
    pub const P256_PUB: u64 = 0x1200;
    /// p384-pub.
    pub const P384_PUB: u64 = 0x1201;
    /// p521-pub.
    pub const P521_PUB: u64 = 0x1202;
    /// bls12_381-g1-pub.
    pub const BLS12_381_G1_PUB: u64 = 0xea;
    /// bls12_381-g2-pub.
    pub const BLS12_381_G2_PUB: u64 = 0xeb;
    /// bls12_381-g1g2-pub.
    pub const BLS12_381_G1G2_PUB: u64 = 0xee;
    /// rsa-pub.
    pub const RSA_PUB: u64 = 0x1205;

    /// A human name for error messages.
    pub fn name(code: u64) -> Option<&'static str> {
        Some(match code {
            ED25519_PUB => "Ed25519",
            X25519_PUB => "X25519",
            SECP256K1_PUB => "secp256k1",
            P256_PUB => "P-256",
            P384_PUB => "P-384",
            P521_PUB => "P-521",
            BLS12_381_G1_PUB | BLS12_381_G2_PUB | BLS12_381_G1G2_PUB => "BLS12-381",
            RSA_PUB => "RSA",
            _ => return None,
        })
    }
}

/// A public key decoded from multicodec-prefixed bytes (did:key, Multikey).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MulticodecKey {
    /// A signing key.
    Signing(PublicKey),
    /// An X25519 key-agreement key (32 bytes); not usable for signatures.
    X25519([u8; 32]),
}

/// Why multicodec key bytes were refused; the caller turns this into
/// `InvalidDid` (did:key) or `InvalidDocument` (a document's Multikey).
#[derive(Debug)]
pub(crate) struct MulticodecKeyError(pub String);

/// Decodes `varint(code) ‖ key` as did:key and Multikey define it: Ed25519
/// (32 bytes, canonical and not of small order), P-256 and secp256k1 (33-byte
/// compressed SEC1 only), X25519 (32 bytes). Other codes are refused.
pub(crate) fn decode_multicodec_key(bytes: &[u8]) -> Result<MulticodecKey, MulticodecKeyError> {
    let (code, key) = key::read_varint(bytes).map_err(|why| MulticodecKeyError(why.to_owned()))?;
    let err = |s: String| Err(MulticodecKeyError(s));
    let key_err = |kt: KeyType, e: KeyError| {
        MulticodecKeyError(match e {
            KeyError::WeakKey => "weak or non-canonical Ed25519 key (small order)".to_owned(),
            _ => format!("invalid {} public key", kt.name()),
        })
    };
    let compressed = |kt: KeyType, key: &[u8]| -> Result<PublicKey, MulticodecKeyError> {
        if key.len() != 33 || !matches!(key.first(), Some(2 | 3)) {
            return Err(MulticodecKeyError(format!(
                "a {} key must be a 33-byte compressed point, got {} bytes",
                kt.name(),
                key.len()
            )));
        }
        PublicKey::from_bytes(kt, key).map_err(|e| key_err(kt, e))
    };
    match code {
        multicodec::ED25519_PUB => {
            if key.len() != 32 {
                return err(format!("an Ed25519 key is 32 bytes, got {}", key.len()));
            }
            PublicKey::from_bytes(KeyType::Ed25519, key)
                .map(MulticodecKey::Signing)
                .map_err(|e| key_err(KeyType::Ed25519, e))
        }
        multicodec::P256_PUB => compressed(KeyType::P256, key).map(MulticodecKey::Signing),
        multicodec::SECP256K1_PUB => {
            compressed(KeyType::Secp256k1, key).map(MulticodecKey::Signing)
        }
        multicodec::X25519_PUB => match <[u8; 32]>::try_from(key) {
            Ok(k) => Ok(MulticodecKey::X25519(k)),
            Err(_) => err(format!("an X25519 key is 32 bytes, got {}", key.len())),
        },
        other => match multicodec::name(other) {
            Some(name) => err(format!(
                "unsupported public key type {name} (multicodec 0x{other:x})"
            )),
            None => err(format!("unknown multicodec 0x{other:x}")),
        },
    }
}

impl VerificationMethod {
    /// The signing key of this method:
    /// - `Multikey`: `publicKeyMultibase` with a multicodec prefix
    ///   (ed25519-pub 0xed, p256-pub 0x1200, secp256k1-pub 0xe7);
    /// - `JsonWebKey` / `JsonWebKey2020`: `publicKeyJwk`;
    /// - `Ed25519VerificationKey2020`: `publicKeyMultibase` holding the 32 raw
    ///   bytes, with or without the ed25519-pub prefix.
    ///
    /// X25519 keys are key-agreement keys, not signing keys, and are refused
    /// with [`DidError::InvalidDocument`], as are other types, methods that
    /// carry both a multibase and a JWK key, and unusable keys.
    pub fn public_key(&self) -> Result<PublicKey, DidError> {
        let bad = |why: String| DidError::InvalidDocument(format!("{}: {why}", self.id));
        if self.public_key_multibase.is_some() && self.public_key_jwk.is_some() {
            return Err(bad(
                "carries both publicKeyMultibase and publicKeyJwk".to_owned()
            ));
        }
        let key_fields = [
            self.public_key_multibase.is_some(),
            self.public_key_jwk.is_some(),
            self.public_key_hex.is_some(),
            self.public_key_base58.is_some(),
            self.public_key_base64.is_some(),
        ];
        if key_fields.iter().filter(|f| **f).count() > 1 {
            return Err(bad(
                "carries more than one public key representation".to_owned()
            ));
        }
        let multibase = || {
            let mb = self
                .public_key_multibase
                .as_deref()
                .ok_or_else(|| bad(format!("a {} needs publicKeyMultibase", self.type_)))?;
            crate::encoding::multibase_b58_decode(mb)
                .map_err(|e| bad(format!("publicKeyMultibase: {e}")))
        };
        match self.type_.as_str() {
            "Multikey" => match decode_multicodec_key(&multibase()?) {
                Ok(MulticodecKey::Signing(k)) => Ok(k),
                Ok(MulticodecKey::X25519(_)) => Err(bad(
                    "an X25519 key-agreement key is not a signing key".to_owned(),
                )),
                Err(MulticodecKeyError(why)) => Err(bad(why)),
            },
            "Ed25519VerificationKey2020" => {
                let bytes = multibase()?;
                let raw = match bytes.as_slice() {
                    [0xed, 0x01, rest @ ..] if rest.len() == 32 => rest,
                    raw => raw,
                };
                if raw.len() != 32 {
                    return Err(bad(format!(
                        "an Ed25519 key is 32 bytes, got {}",
                        raw.len()
                    )));
                }
                PublicKey::from_bytes(KeyType::Ed25519, raw).map_err(|e| bad(e.to_string()))
            }
            "JsonWebKey" | "JsonWebKey2020" => {
                let v = self
                    .public_key_jwk
                    .as_ref()
                    .ok_or_else(|| bad(format!("a {} needs publicKeyJwk", self.type_)))?;
                let jwk = Jwk::from_value(v).map_err(|e| bad(e.to_string()))?;
                if jwk.crv == "X25519" {
                    return Err(bad(
                        "an X25519 key-agreement key is not a signing key".to_owned()
                    ));
                }
                PublicKey::from_jwk(&jwk).map_err(|e| bad(e.to_string()))
            }
            // did:ethr's key types: the key in hex, base58 or base64.
            "Ed25519VerificationKey2018" => {
                let raw = self.raw_key().map_err(bad)?;
                PublicKey::from_bytes(KeyType::Ed25519, &raw).map_err(|e| bad(e.to_string()))
            }
            "EcdsaSecp256k1VerificationKey2019" => match &self.public_key_jwk {
                Some(v) => {
                    let jwk = Jwk::from_value(v).map_err(|e| bad(e.to_string()))?;
                    PublicKey::from_jwk(&jwk).map_err(|e| bad(e.to_string()))
                }
                None => {
                    let raw = self.raw_key().map_err(bad)?;
                    PublicKey::from_bytes(KeyType::Secp256k1, &raw).map_err(|e| bad(e.to_string()))
                }
            },
            "EcdsaSecp256k1RecoveryMethod2020" => Err(bad(
                "a recovery method names an account, not a public key".to_owned(),
            )),
            "X25519KeyAgreementKey2019" | "X25519KeyAgreementKey2020" => Err(bad(
                "an X25519 key-agreement key is not a signing key".to_owned(),
            )),
            other => Err(bad(format!(
                "unsupported verification method type {other:?}"
            ))),
        }
    }
}

impl VerificationMethod {
    /// The raw key bytes of a method that carries `publicKeyHex`,
    /// `publicKeyBase58`, `publicKeyBase64` or `publicKeyMultibase` (no multicodec).
    fn raw_key(&self) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        if let Some(h) = &self.public_key_hex {
            let h = h.strip_prefix("0x").unwrap_or(h);
            return hex_decode(h).ok_or_else(|| "publicKeyHex is not hex".to_owned());
        }
        if let Some(b) = &self.public_key_base58 {
            return bs58::decode(b)
                .into_vec()
                .map_err(|_| "publicKeyBase58 is not base58".to_owned());
        }
        if let Some(b) = &self.public_key_base64 {
            let engine = base64::engine::general_purpose::STANDARD;
            return engine
                .decode(b)
                .or_else(|_| crate::encoding::b64url_decode(b))
                .map_err(|_| "publicKeyBase64 is not base64".to_owned());
        }
        if let Some(m) = &self.public_key_multibase {
            return crate::encoding::multibase_b58_decode(m)
                .map_err(|e| format!("publicKeyMultibase: {e}"));
        }
        Err(format!("a {} needs a public key", self.type_))
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// Verification relationships (DID Core §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// `authentication`: proving control of the DID (holder binding).
    Authentication,
    /// `assertionMethod`: issuing credentials.
    AssertionMethod,
    /// `keyAgreement`: encryption key agreement.
    KeyAgreement,
    /// `capabilityInvocation`: updating the DID document, invoking capabilities.
    CapabilityInvocation,
    /// `capabilityDelegation`: delegating capabilities.
    CapabilityDelegation,
}

impl Relationship {
    /// All relationships, in DID Core order.
    pub const ALL: [Relationship; 5] = [
        Relationship::Authentication,
        Relationship::AssertionMethod,
        Relationship::KeyAgreement,
        Relationship::CapabilityInvocation,
        Relationship::CapabilityDelegation,
    ];

    /// The document property name (`assertionMethod`, ...).
    pub fn property(self) -> &'static str {
        match self {
            Relationship::Authentication => "authentication",
            Relationship::AssertionMethod => "assertionMethod",
            Relationship::KeyAgreement => "keyAgreement",
            Relationship::CapabilityInvocation => "capabilityInvocation",
            Relationship::CapabilityDelegation => "capabilityDelegation",
        }
    }
}

/// An entry of a verification relationship: a reference to a method in
/// `verificationMethod`, or a method embedded in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
// Embedded methods are rare and documents are short-lived; boxing would only
// complicate matching.
#[allow(clippy::large_enum_variant)]
pub enum MethodRef {
    /// A DID URL (or `#fragment`) naming a method in `verificationMethod`.
    Reference(String),
    /// A method defined only for this relationship.
    Embedded(VerificationMethod),
}

/// A DID document (DID Core 1.0/1.1, JSON). Unknown properties are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocument {
    /// `@context` (a string or an array); `Value::Null` is not written.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// The DID the document describes.
    pub id: String,
    /// The controller DID(s): a string or an array of strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<Value>,
    /// Other identifiers of the subject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_known_as: Vec<String>,
    /// The verification methods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verification_method: Vec<VerificationMethod>,
    /// `authentication`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentication: Vec<MethodRef>,
    /// `assertionMethod`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assertion_method: Vec<MethodRef>,
    /// `keyAgreement`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_agreement: Vec<MethodRef>,
    /// `capabilityInvocation`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_invocation: Vec<MethodRef>,
    /// `capabilityDelegation`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_delegation: Vec<MethodRef>,
    /// Services, kept as JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service: Vec<Value>,
}

impl DidDocument {
    /// Reads a DID document from untrusted bytes with the strict JSON parser
    /// (duplicate members refused) and checks that `id` is a DID.
    pub fn from_json(bytes: &[u8], limits: JsonLimits) -> Result<Self, DidError> {
        let v = json::parse(bytes, limits).map_err(|e| match e {
            JsonError::TooLarge { .. } => DidError::TooLarge,
            e => DidError::InvalidDocument(e.to_string()),
        })?;
        let doc: DidDocument = serde_json::from_value(v)
            .map_err(|e| DidError::InvalidDocument(format!("not a DID document: {e}")))?;
        Did::parse(&doc.id)
            .map_err(|_| DidError::InvalidDocument("the document's id is not a DID".to_owned()))?;
        doc.check_unique_method_ids()?;
        Ok(doc)
    }

    /// Refuses two methods (listed or embedded) with the same absolute id:
    /// a reference to such an id would be ambiguous.
    fn check_unique_method_ids(&self) -> Result<(), DidError> {
        let embedded = Relationship::ALL
            .into_iter()
            .flat_map(|rel| self.relationship(rel))
            .filter_map(|r| match r {
                MethodRef::Embedded(vm) => Some(vm),
                MethodRef::Reference(_) => None,
            });
        let mut seen = std::collections::HashSet::new();
        for vm in self.verification_method.iter().chain(embedded) {
            if !seen.insert(self.absolute_id(&vm.id)) {
                return Err(DidError::InvalidDocument(format!(
                    "verification method id {:?} is used twice",
                    vm.id
                )));
            }
        }
        Ok(())
    }

    /// The entries listed under `rel`.
    pub fn relationship(&self, rel: Relationship) -> &[MethodRef] {
        match rel {
            Relationship::Authentication => &self.authentication,
            Relationship::AssertionMethod => &self.assertion_method,
            Relationship::KeyAgreement => &self.key_agreement,
            Relationship::CapabilityInvocation => &self.capability_invocation,
            Relationship::CapabilityDelegation => &self.capability_delegation,
        }
    }

    /// A method id made absolute: `#frag` becomes `<doc id>#frag`.
    fn absolute_id(&self, id: &str) -> String {
        if id.starts_with('#') {
            format!("{}{id}", self.id)
        } else {
            id.to_owned()
        }
    }

    /// The method in `verificationMethod` with this (absolute) id.
    fn lookup(&self, absolute: &str) -> Option<&VerificationMethod> {
        self.verification_method
            .iter()
            .find(|vm| self.absolute_id(&vm.id) == absolute)
    }

    fn resolve_ref<'a>(&'a self, r: &'a MethodRef) -> Option<&'a VerificationMethod> {
        match r {
            MethodRef::Reference(id) => self.lookup(&self.absolute_id(id)),
            MethodRef::Embedded(vm) => Some(vm),
        }
    }

    /// Finds the verification method `id_or_fragment` (`did:...#frag`,
    /// `#frag` relative to the document id, or a bare `frag`), but only if it
    /// is listed under `rel`, by reference or embedded. `None` otherwise,
    /// including when a reference dangles.
    pub fn find_method(
        &self,
        id_or_fragment: &str,
        rel: Relationship,
    ) -> Option<&VerificationMethod> {
        let target = if id_or_fragment.starts_with("did:") {
            id_or_fragment.to_owned()
        } else if id_or_fragment.starts_with('#') {
            format!("{}{id_or_fragment}", self.id)
        } else {
            format!("{}#{id_or_fragment}", self.id)
        };
        self.relationship(rel).iter().find_map(|r| match r {
            MethodRef::Reference(id) if self.absolute_id(id) == target => self.lookup(&target),
            MethodRef::Embedded(vm) if self.absolute_id(&vm.id) == target => Some(vm),
            _ => None,
        })
    }

    /// All methods listed under `rel`, references resolved against
    /// `verificationMethod` (dangling references are skipped).
    pub fn methods_for(&self, rel: Relationship) -> Vec<&VerificationMethod> {
        self.relationship(rel)
            .iter()
            .filter_map(|r| self.resolve_ref(r))
            .collect()
    }

    /// The absolute ids of the methods listed under `rel`, in order.
    pub fn method_ids(&self, rel: Relationship) -> Vec<String> {
        self.methods_for(rel)
            .into_iter()
            .map(|vm| self.absolute_id(&vm.id))
            .collect()
    }
}

/// Options of a resolution request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ResolutionOptions {
    /// Resolve the document as it was at this time (did:ethr `versionTime`);
    /// `None` = latest.
    pub version_time: Option<crate::time::Timestamp>,
    /// Resolve this version of the document (`versionId`); `None` = latest.
    pub version_id: Option<String>,
}

/// DID document metadata (DID Core §7.1.3).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentMetadata {
    /// When the DID was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the returned version was last updated (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// `true` when the DID has been deactivated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<bool>,
    /// The id of the returned version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The id of the next version, when an older version was requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_version_id: Option<String>,
    /// When the next version took effect (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<String>,
}

/// The result of a successful resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The DID document. A deactivated DID still resolves; see `metadata.deactivated`.
    pub document: DidDocument,
    /// The document metadata.
    pub metadata: DocumentMetadata,
    /// [`CONTENT_TYPE_DID_LD_JSON`] or [`CONTENT_TYPE_DID_JSON`].
    pub content_type: &'static str,
}

impl Resolution {
    /// `true` when the document metadata says the DID is deactivated.
    pub fn is_deactivated(&self) -> bool {
        self.metadata.deactivated == Some(true)
    }

    /// The W3C DID Resolution result:
    /// `{"@context", "didDocument", "didResolutionMetadata": {"contentType"}, "didDocumentMetadata"}`.
    pub fn to_resolution_result(&self) -> Value {
        json!({
            "@context": RESOLUTION_CONTEXT,
            "didDocument": serde_json::to_value(&self.document).unwrap_or_default(),
            "didResolutionMetadata": { "contentType": self.content_type },
            "didDocumentMetadata": serde_json::to_value(&self.metadata)
                .unwrap_or_else(|_| json!({})),
        })
    }
}

/// A failed resolution as a DID Resolution result: `didDocument` null and
/// `didResolutionMetadata.error` set to [`DidError::resolution_error_code`],
/// with the human-readable message in `errorMessage`. Used by the CLI and the
/// HTTP binding.
pub fn error_resolution_result(err: &DidError) -> Value {
    let document_metadata = if matches!(err, DidError::Deactivated) {
        json!({ "deactivated": true })
    } else {
        json!({})
    };
    json!({
        "@context": RESOLUTION_CONTEXT,
        "didDocument": Value::Null,
        "didResolutionMetadata": {
            "error": err.resolution_error_code(),
            "errorMessage": err.to_string(),
        },
        "didDocumentMetadata": document_metadata,
    })
}

/// Resolves DIDs to documents.
///
/// Synchronous on purpose: core has no async runtime; network-backed
/// resolvers (did:web, did:ethr) block, and async hosts call them on a
/// blocking thread.
pub trait DidResolver: Send + Sync {
    /// Resolves `did`. A deactivated DID resolves successfully with
    /// `metadata.deactivated == Some(true)`.
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError>;
}

impl<R: DidResolver + ?Sized> DidResolver for &R {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        (**self).resolve(did, options)
    }
}

impl<R: DidResolver + ?Sized> DidResolver for Box<R> {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        (**self).resolve(did, options)
    }
}

impl<R: DidResolver + ?Sized> DidResolver for std::sync::Arc<R> {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        (**self).resolve(did, options)
    }
}

/// Why a DID could not be resolved or used.
///
/// [`DidError::is_unavailable`] separates "could not check" (an outage) from
/// "checked and bad"; only the former may be retried or served from a cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    /// The DID is malformed: bad syntax, bad multibase or multicodec, a key of
    /// the wrong length, a weak key, or a key type Stele does not support
    /// (P-384, P-521, BLS12-381, RSA inside a did:key).
    #[error("invalid DID: {0}")]
    InvalidDid(String),
    /// No resolver is configured for this DID method.
    #[error("DID method not supported: {0}")]
    MethodNotSupported(String),
    /// The DID (or the requested version of its document) does not exist.
    #[error("DID not found: {0}")]
    NotFound(String),
    /// The DID has been deactivated, so it has no usable keys. Resolvers
    /// return `Ok` with `metadata.deactivated`; callers that need a key use this.
    #[error("DID has been deactivated")]
    Deactivated,
    /// Resolution was refused by policy: a host not on the allow-list, or a
    /// private, loopback or link-local address.
    #[error("DID resolution forbidden: {0}")]
    ResolutionForbidden(String),
    /// The resolver could not reach its source (network or chain outage,
    /// timeout); the DID could not be checked.
    #[error("DID resolution unavailable: {0}")]
    Unavailable(String),
    /// The resolved document is malformed, or a method's key is unusable or
    /// not a signing key.
    #[error("invalid DID document: {0}")]
    InvalidDocument(String),
    /// The resolver's source answered with more data than its cap allows.
    #[error("DID document exceeds the size limit")]
    TooLarge,
}

impl DidError {
    /// The DID Resolution error code for `didResolutionMetadata.error`.
    ///
    /// Spec names where they exist (`invalidDid`, `methodNotSupported`,
    /// `notFound`, `invalidDidDocument`); everything else, including policy
    /// refusals, outages, oversize answers and `Deactivated` (which a spec
    /// resolver reports as success with `deactivated: true`), is `internalError`.
    pub fn resolution_error_code(&self) -> &'static str {
        match self {
            DidError::InvalidDid(_) => "invalidDid",
            DidError::MethodNotSupported(_) => "methodNotSupported",
            DidError::NotFound(_) => "notFound",
            DidError::InvalidDocument(_) => "invalidDidDocument",
            DidError::Deactivated
            | DidError::ResolutionForbidden(_)
            | DidError::Unavailable(_)
            | DidError::TooLarge => "internalError",
        }
    }

    /// `true` for outages ("could not check"), `false` for answers ("checked
    /// and bad"): invalid DIDs, unknown methods, missing or deactivated DIDs,
    /// policy refusals and malformed or oversize documents.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DidError::Unavailable(_))
    }
}

#[cfg(test)]
mod tests;
