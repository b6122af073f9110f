//! did:key (<https://w3c-ccg.github.io/did-key-spec/>): a public key as a
//! DID, `did:key:` + multibase base58btc of `varint(multicodec) ‖ key`.
//!
//! Supported: Ed25519 (`0xed`, 32 bytes, `z6Mk…`), P-256 (`0x1200`, 33-byte
//! compressed point, `zDn…`), secp256k1 (`0xe7`, 33-byte compressed point,
//! `zQ3s…`), and X25519 (`0xec`, `z6LS…`) for key agreement only.
//!
//! Other key types (P-384, P-521, BLS12-381, RSA) are refused with
//! [`DidError::InvalidDid`] naming the key type: the did:key method is
//! supported, but such a DID denotes no key Stele can verify with, which is
//! a property of the DID itself rather than of the resolver's configuration
//! (that is what [`DidError::MethodNotSupported`] reports).

use serde_json::json;

use super::{
    CONTENT_TYPE_DID_LD_JSON, Did, DidDocument, DidError, DidResolver, DocumentMetadata, MethodRef,
    MulticodecKey, MulticodecKeyError, Resolution, ResolutionOptions, VerificationMethod,
    decode_multicodec_key, multicodec,
};
use crate::encoding::{EncodingError, multibase_b58, multibase_b58_decode};
use crate::key::PublicKey;

/// The `@context` of the documents [`DidKeyResolver`] produces.
pub const DID_KEY_CONTEXT: [&str; 2] = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
];

/// Reads an unsigned LEB128 varint (multiformats unsigned-varint) from the
/// front of `bytes`, returning the value and the rest. Non-minimal encodings
/// (a trailing `0x00` group) and values above `u64::MAX` are refused.
pub(crate) fn read_varint(bytes: &[u8]) -> Result<(u64, &[u8]), &'static str> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let byte = *bytes.get(i).ok_or("truncated multicodec varint")?;
        let low = u64::from(byte & 0x7f);
        if i == 9 && low > 1 {
            return Err("multicodec varint exceeds 64 bits");
        }
        value |= low << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err("non-minimal multicodec varint");
            }
            return Ok((value, bytes.get(i + 1..).unwrap_or_default()));
        }
    }
    Err("multicodec varint exceeds 64 bits")
}

/// Appends `value` as an unsigned LEB128 varint.
pub(crate) fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    loop {
        // The mask keeps the value below 0x80, so the cast is lossless.
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn multikey(code: u64, key: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(key.len() + 3);
    write_varint(code, &mut bytes);
    bytes.extend_from_slice(key);
    multibase_b58(&bytes)
}

/// The multibase `publicKeyMultibase` of a key in Multikey form (`z6Mk…`,
/// `zDn…`, `zQ3s…`); also the method-specific id of its did:key.
pub fn public_key_multibase(key: &PublicKey) -> String {
    let code = match key {
        PublicKey::Ed25519(_) => multicodec::ED25519_PUB,
        PublicKey::P256(_) => multicodec::P256_PUB,
        PublicKey::Secp256k1(_) => multicodec::SECP256K1_PUB,
    };
    multikey(code, &key.to_bytes())
}

/// The X25519 key-agreement key derived from an Ed25519 key (birational map
/// to Montgomery form), as multibase (`z6LS…`); `None` for other key types.
pub fn x25519_multibase_from_ed25519(key: &PublicKey) -> Option<String> {
    match key {
        PublicKey::Ed25519(k) => Some(multikey(
            multicodec::X25519_PUB,
            &k.to_montgomery().to_bytes(),
        )),
        _ => None,
    }
}

/// The did:key of a public key (ECDSA keys in compressed form).
pub fn did_key_from_public(key: &PublicKey) -> Did {
    Did(format!("did:key:{}", public_key_multibase(key)))
}

fn encoding_error(e: EncodingError) -> DidError {
    DidError::InvalidDid(match e {
        EncodingError::MultibasePrefix => {
            "did:key must be multibase base58btc (prefix 'z')".to_owned()
        }
        e => format!("did:key: {e}"),
    })
}

fn decode_did_key(did: &Did) -> Result<MulticodecKey, DidError> {
    if did.method() != "key" {
        return Err(DidError::InvalidDid(format!(
            "not a did:key but did:{}",
            did.method()
        )));
    }
    let bytes = multibase_b58_decode(did.method_specific_id()).map_err(encoding_error)?;
    decode_multicodec_key(&bytes)
        .map_err(|MulticodecKeyError(why)| DidError::InvalidDid(format!("did:key: {why}")))
}

/// The signing key a did:key denotes. Refused with [`DidError::InvalidDid`]:
/// X25519 (not a signing key), weak or invalid keys, uncompressed ECDSA
/// points (the spec requires compressed), trailing bytes, non-minimal
/// varints, other multibase encodings and unsupported key types.
pub fn public_key_from_did_key(did: &Did) -> Result<PublicKey, DidError> {
    match decode_did_key(did)? {
        // Base58btc has one encoding per byte string, and the key checks
        // above accept only canonical key bytes, so the DID round-trips;
        // checked anyway because two DIDs for one key would break equality.
        MulticodecKey::Signing(k) if did_key_from_public(&k) == *did => Ok(k),
        MulticodecKey::Signing(_) => Err(DidError::InvalidDid(
            "did:key is not the canonical encoding of its key".to_owned(),
        )),
        MulticodecKey::X25519(_) => Err(DidError::InvalidDid(
            "did:key holds an X25519 key-agreement key, not a signing key".to_owned(),
        )),
    }
}

/// The verification-method id of a did:key: `did:key:z…#z…`.
pub fn did_key_method_id(did: &Did) -> String {
    format!("{did}#{}", did.method_specific_id())
}

/// Resolves did:key DIDs locally (no I/O) to Multikey documents: the key is
/// listed under `authentication`, `assertionMethod`, `capabilityInvocation`
/// and `capabilityDelegation`. X25519 did:keys resolve to a document with
/// only `keyAgreement`.
#[derive(Debug, Clone, Copy)]
pub struct DidKeyResolver {
    /// The spec's `enableEncryptionKeyDerivation` (default `true`): list a
    /// `keyAgreement` method. For Ed25519 it is the derived X25519 key
    /// (`z6LS…`); for P-256 and secp256k1 the spec's encryption method is the
    /// key itself, as in the did:key test vectors.
    pub derive_x25519: bool,
}

impl Default for DidKeyResolver {
    fn default() -> Self {
        DidKeyResolver {
            derive_x25519: true,
        }
    }
}

impl DidKeyResolver {
    /// The DID document of a did:key.
    pub fn document(&self, did: &Did) -> Result<DidDocument, DidError> {
        let key = decode_did_key(did)?;
        let id = did_key_method_id(did);
        let method = |id: String, multibase: String| VerificationMethod {
            id,
            type_: "Multikey".to_owned(),
            controller: did.to_string(),
            public_key_multibase: Some(multibase),
            ..VerificationMethod::default()
        };
        let reference = |id: &str| vec![MethodRef::Reference(id.to_owned())];
        let mut doc = DidDocument {
            context: json!(DID_KEY_CONTEXT),
            id: did.to_string(),
            controller: None,
            also_known_as: Vec::new(),
            verification_method: vec![method(id.clone(), did.method_specific_id().to_owned())],
            authentication: Vec::new(),
            assertion_method: Vec::new(),
            key_agreement: Vec::new(),
            capability_invocation: Vec::new(),
            capability_delegation: Vec::new(),
            service: Vec::new(),
        };
        match key {
            MulticodecKey::X25519(_) => doc.key_agreement = reference(&id),
            MulticodecKey::Signing(pk) => {
                doc.authentication = reference(&id);
                doc.assertion_method = reference(&id);
                doc.capability_invocation = reference(&id);
                doc.capability_delegation = reference(&id);
                if self.derive_x25519 {
                    match x25519_multibase_from_ed25519(&pk) {
                        Some(x) => {
                            let x_id = format!("{did}#{x}");
                            doc.verification_method.push(method(x_id.clone(), x));
                            doc.key_agreement = reference(&x_id);
                        }
                        None => doc.key_agreement = reference(&id),
                    }
                }
            }
        }
        Ok(doc)
    }
}

impl DidResolver for DidKeyResolver {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        // A did:key has exactly one version, valid at every time, so
        // `version_time` changes nothing; a `version_id` names a version that
        // does not exist.
        if let Some(v) = &options.version_id {
            let shown: String = v.chars().take(64).collect();
            return Err(DidError::NotFound(format!(
                "versionId {shown:?}: a did:key has a single, unversioned document"
            )));
        }
        Ok(Resolution {
            document: self.document(did)?,
            metadata: DocumentMetadata::default(),
            content_type: CONTENT_TYPE_DID_LD_JSON,
        })
    }
}
