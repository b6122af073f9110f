use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use proptest::prelude::*;
use serde_json::{Value, json};

use super::key::{public_key_multibase, read_varint, write_varint, x25519_multibase_from_ed25519};
use super::*;
use crate::encoding::multibase_b58;
use crate::key::SecretKey;
use crate::time::{Clock, Timestamp};

// ---------------------------------------------------------------------------
// did:key test vectors, all driven through `check`.
// ---------------------------------------------------------------------------

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/did-key");

fn load(rel: &str) -> Value {
    let path = format!("{VECTORS}/{rel}");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_slice(&bytes).unwrap()
}

/// What a did:key vector says about its DID.
#[allow(clippy::large_enum_variant)] // a handful of test values
enum Expected {
    /// A signing key. `key`: the key given by the vector (seed, JWK or
    /// base58), `x25519`: the derived key-agreement multibase, `document`:
    /// the vector's DID document.
    Key {
        key: Option<PublicKey>,
        x25519: Option<String>,
        document: Option<DidDocument>,
    },
    /// An X25519 did:key: not a signing key, but it resolves to a document
    /// with only `keyAgreement`.
    KeyAgreementOnly { document: Option<DidDocument> },
    /// A key type Stele refuses (P-384, P-521, BLS12-381, RSA).
    Refused,
}

fn check(input: &str, expected: &Expected) {
    let did = Did::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    assert_eq!(did.method(), "key");
    let resolver = DidKeyResolver::default();
    let opts = ResolutionOptions::default();
    match expected {
        Expected::Key {
            key,
            x25519,
            document,
        } => {
            let pk = public_key_from_did_key(&did).unwrap_or_else(|e| panic!("{input}: {e}"));
            if let Some(k) = key {
                assert_eq!(&pk, k, "{input}: key");
            }
            assert_eq!(did_key_from_public(&pk), did, "{input}: did from key");
            assert_eq!(public_key_multibase(&pk), did.method_specific_id());

            let res = resolver.resolve(&did, &opts).unwrap();
            let doc = &res.document;
            assert_eq!(doc.id, input);
            let vm_id = did_key_method_id(&did);
            for rel in [
                Relationship::Authentication,
                Relationship::AssertionMethod,
                Relationship::CapabilityInvocation,
                Relationship::CapabilityDelegation,
            ] {
                let vm = doc
                    .find_method(&vm_id, rel)
                    .unwrap_or_else(|| panic!("{input}: {rel:?}"));
                assert_eq!(vm.type_, "Multikey");
                assert_eq!(vm.public_key().unwrap(), pk, "{input}: {rel:?}");
                assert_eq!(doc.method_ids(rel), vec![vm_id.clone()]);
            }
            match x25519 {
                Some(x) => {
                    assert_eq!(x25519_multibase_from_ed25519(&pk).as_deref(), Some(&**x));
                    let ka = doc.methods_for(Relationship::KeyAgreement);
                    assert_eq!(ka.len(), 1);
                    assert_eq!(ka[0].id, format!("{input}#{x}"));
                    assert_eq!(ka[0].public_key_multibase.as_deref(), Some(&**x));
                    assert!(
                        matches!(ka[0].public_key(), Err(DidError::InvalidDocument(_))),
                        "X25519 is not a signing key"
                    );
                    assert!(
                        doc.find_method(&ka[0].id, Relationship::AssertionMethod)
                            .is_none()
                    );
                }
                None => {
                    // Ed25519 always gets a derived X25519 key; ECDSA keys list themselves.
                    let ka = doc.method_ids(Relationship::KeyAgreement);
                    let expected = match x25519_multibase_from_ed25519(&pk) {
                        Some(x) => format!("{input}#{x}"),
                        None => vm_id.clone(),
                    };
                    assert_eq!(ka, vec![expected], "{input}: keyAgreement");
                }
            }
            // Without derivation there is no keyAgreement.
            let plain = DidKeyResolver {
                derive_x25519: false,
            }
            .resolve(&did, &opts)
            .unwrap();
            assert!(plain.document.key_agreement.is_empty());
            assert_eq!(plain.document.verification_method.len(), 1);

            if let Some(vdoc) = document {
                compare_documents(input, doc, vdoc);
                // The vector's own methods, where they use a type we read, give the same key.
                for vm in vdoc.methods_for(Relationship::AssertionMethod) {
                    if ["Multikey", "JsonWebKey2020", "JsonWebKey"].contains(&vm.type_.as_str()) {
                        assert_eq!(vm.public_key().unwrap(), pk, "{input}: vector {}", vm.id);
                    }
                }
            }
            check_serialization(&res);
        }
        Expected::KeyAgreementOnly { document } => {
            let err = public_key_from_did_key(&did).unwrap_err();
            assert!(
                matches!(&err, DidError::InvalidDid(m) if m.contains("X25519")),
                "{input}: {err}"
            );
            let res = resolver.resolve(&did, &opts).unwrap();
            let doc = &res.document;
            let vm_id = did_key_method_id(&did);
            assert_eq!(
                doc.method_ids(Relationship::KeyAgreement),
                vec![vm_id.clone()]
            );
            for rel in [
                Relationship::Authentication,
                Relationship::AssertionMethod,
                Relationship::CapabilityInvocation,
                Relationship::CapabilityDelegation,
            ] {
                assert!(doc.find_method(&vm_id, rel).is_none(), "{input}: {rel:?}");
            }
            if let Some(vdoc) = document {
                compare_documents(input, doc, vdoc);
            }
            check_serialization(&res);
        }
        Expected::Refused => {
            let err = public_key_from_did_key(&did).unwrap_err();
            assert!(
                matches!(&err, DidError::InvalidDid(m) if m.contains("unsupported public key type")),
                "{input}: {err}"
            );
            let err = resolver.resolve(&did, &opts).unwrap_err();
            assert_eq!(err.resolution_error_code(), "invalidDid");
            assert!(!err.is_unavailable());
        }
    }
}

/// Same method ids under every relationship; every method the vector lists is ours too.
fn compare_documents(input: &str, ours: &DidDocument, theirs: &DidDocument) {
    assert_eq!(ours.id, theirs.id);
    for rel in Relationship::ALL {
        assert_eq!(
            ours.method_ids(rel),
            theirs.method_ids(rel),
            "{input}: {}",
            rel.property()
        );
    }
    for vm in &theirs.verification_method {
        assert!(
            ours.verification_method.iter().any(|o| o.id == vm.id),
            "{input}: missing method {}",
            vm.id
        );
    }
    // Embedded methods in the vector with a multibase key carry the same key as ours.
    for rel in Relationship::ALL {
        for (o, t) in ours.methods_for(rel).iter().zip(theirs.methods_for(rel)) {
            if t.type_ == "Multikey" {
                assert_eq!(o.public_key_multibase, t.public_key_multibase);
            }
        }
    }
}

fn check_serialization(res: &Resolution) {
    let text = serde_json::to_vec(&res.document).unwrap();
    let back = DidDocument::from_json(&text, crate::json::JsonLimits::DEFAULT).unwrap();
    assert_eq!(&back, &res.document);
    let v: Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(v["@context"], json!(super::key::DID_KEY_CONTEXT));
    assert!(v.get("service").is_none(), "empty lists are not written");
    assert!(v.get("controller").is_none());
}

fn vector_doc(v: &Value) -> Option<DidDocument> {
    Some(serde_json::from_value(v.get("didDocument")?.clone()).unwrap())
}

fn b58(s: &str) -> Vec<u8> {
    bs58::decode(s).into_vec().unwrap()
}

fn jwk_key(v: &Value) -> PublicKey {
    PublicKey::from_jwk(&crate::key::Jwk::from_value(v).unwrap()).unwrap()
}

fn is_supported_prefix(did: &str) -> bool {
    ["did:key:z6Mk", "did:key:zQ3s", "did:key:zDn"]
        .iter()
        .any(|p| did.starts_with(p))
}

#[test]
fn vectors_ed25519_x25519() {
    let v = load("did-method-key-repo/test-vectors/ed25519-x25519.json");
    let map = v.as_object().unwrap();
    assert_eq!(map.len(), 5);
    for (did, entry) in map {
        let seed = hex::decode(entry["seed"].as_str().unwrap()).unwrap();
        let from_seed = SecretKey::from_bytes(crate::key::KeyType::Ed25519, &seed)
            .unwrap()
            .public_key();
        let vkp = &entry["verificationKeyPair"];
        let key = match vkp.get("publicKeyJwk") {
            Some(jwk) => jwk_key(jwk),
            None => {
                let raw = b58(vkp["publicKeyBase58"].as_str().unwrap());
                PublicKey::from_bytes(crate::key::KeyType::Ed25519, &raw).unwrap()
            }
        };
        assert_eq!(from_seed, key, "{did}: seed vs vector key");

        let ka = &entry["keyAgreementKeyPair"];
        let id = ka["id"].as_str().unwrap();
        let x = id.rsplit_once('#').map_or(id, |(_, f)| f).to_owned();
        let raw_x = match ka.get("publicKeyJwk") {
            Some(jwk) => {
                assert_eq!(jwk["crv"], "X25519");
                crate::encoding::b64url_decode(jwk["x"].as_str().unwrap()).unwrap()
            }
            None => b58(ka["publicKeyBase58"].as_str().unwrap()),
        };
        assert_eq!(
            multibase_b58(&prefixed(&[0xec, 0x01], &raw_x)),
            x,
            "{did}: X25519 id vs key"
        );

        check(
            did,
            &Expected::Key {
                key: Some(key),
                x25519: Some(x),
                document: vector_doc(entry),
            },
        );
    }
}

#[test]
fn vectors_secp256k1() {
    let v = load("did-method-key-repo/test-vectors/secp256k1.json");
    let map = v.as_object().unwrap();
    assert_eq!(map.len(), 6);
    for (did, entry) in map {
        let vkp = &entry["verificationKeyPair"];
        let key = if let Some(jwk) = vkp.get("publicKeyJwk") {
            jwk_key(jwk)
        } else {
            let raw = b58(vkp["publicKeyBase58"].as_str().unwrap());
            PublicKey::from_bytes(crate::key::KeyType::Secp256k1, &raw).unwrap()
        };
        if let Some(seed) = entry.get("seed").and_then(Value::as_str) {
            let sk =
                SecretKey::from_bytes(crate::key::KeyType::Secp256k1, &hex::decode(seed).unwrap())
                    .unwrap();
            assert_eq!(sk.public_key(), key, "{did}: seed");
        }
        check(
            did,
            &Expected::Key {
                key: Some(key),
                x25519: None,
                document: vector_doc(entry),
            },
        );
    }
}

#[test]
fn vectors_nist_curves() {
    let v = load("did-method-key-repo/test-vectors/nist-curves.json");
    let map = v.as_object().unwrap();
    assert_eq!(map.len(), 7);
    let (mut ok, mut refused) = (0, 0);
    for (did, entry) in map {
        let vm = &entry["verificationMethod"];
        let crv = vm["publicKeyJwk"]["crv"].as_str();
        if crv.is_some_and(|c| c != "P-256") {
            refused += 1;
            check(did, &Expected::Refused);
            continue;
        }
        let key = match vm.get("publicKeyJwk") {
            Some(jwk) => jwk_key(jwk),
            None => {
                let raw = b58(vm["publicKeyBase58"].as_str().unwrap());
                assert_eq!(raw.len(), 33);
                PublicKey::from_bytes(crate::key::KeyType::P256, &raw).unwrap()
            }
        };
        ok += 1;
        check(
            did,
            &Expected::Key {
                key: Some(key),
                x25519: None,
                document: vector_doc(entry),
            },
        );
    }
    assert_eq!((ok, refused), (3, 4));
}

#[test]
fn vectors_x25519() {
    let v = load("did-method-key-repo/test-vectors/x25519.json");
    let map = v["didDocument"].as_object().unwrap();
    assert_eq!(map.len(), 4);
    for (did, doc) in map {
        check(
            did,
            &Expected::KeyAgreementOnly {
                document: Some(serde_json::from_value(doc.clone()).unwrap()),
            },
        );
    }
}

#[test]
fn vectors_bls_and_rsa_are_refused() {
    for file in ["bls12381.json", "rsa.json"] {
        let v = load(&format!("did-method-key-repo/test-vectors/{file}"));
        let map = v.as_object().unwrap();
        assert!(!map.is_empty());
        for did in map.keys() {
            check(did, &Expected::Refused);
        }
    }
}

#[test]
fn vectors_spec_appendix() {
    let v = load("did-key-spec/test-vectors-appendix.json");
    let mut seen = 0;
    for ex in v["examples"].as_array().unwrap() {
        let mut dids: Vec<&str> = ex
            .get("dids")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        dids.extend(ex.get("did").and_then(Value::as_str));
        for did in dids {
            seen += 1;
            if is_supported_prefix(did) {
                check(
                    did,
                    &Expected::Key {
                        key: None,
                        x25519: None,
                        document: None,
                    },
                );
            } else {
                check(did, &Expected::Refused);
            }
        }
        if let Some(doc) = ex.get("didDocument") {
            seen += 1;
            let doc: DidDocument = serde_json::from_value(doc.clone()).unwrap();
            let x = doc.methods_for(Relationship::KeyAgreement)[0]
                .public_key_multibase
                .clone();
            check(
                &doc.id.clone(),
                &Expected::Key {
                    key: None,
                    x25519: x,
                    document: Some(doc),
                },
            );
        }
    }
    assert!(seen >= 10, "{seen}");
}

// ---------------------------------------------------------------------------
// did:key negative cases.
// ---------------------------------------------------------------------------

fn did_key_of(bytes: &[u8]) -> Did {
    Did::parse(&format!("did:key:{}", multibase_b58(bytes))).unwrap()
}

fn prefixed(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    [prefix, key].concat()
}

fn ed25519_sample() -> PublicKey {
    SecretKey::from_bytes(crate::key::KeyType::Ed25519, &[7; 32])
        .unwrap()
        .public_key()
}

fn refused_because(did: &Did, needle: &str) {
    match public_key_from_did_key(did) {
        Err(DidError::InvalidDid(m)) => {
            assert!(m.contains(needle), "{did}: {m:?} lacks {needle:?}")
        }
        other => panic!("{did}: {other:?}"),
    }
    let err = DidKeyResolver::default()
        .resolve(did, &ResolutionOptions::default())
        .unwrap_err();
    assert!(matches!(err, DidError::InvalidDid(_)), "{did}: {err:?}");
}

#[test]
fn did_key_negative_cases() {
    let ed = ed25519_sample().to_bytes();

    // Another multibase (base16 'f', base58 without 'z').
    let hex_did = Did::parse(&format!("did:key:fed01{}", hex::encode(&ed))).unwrap();
    refused_because(&hex_did, "base58btc");
    let no_prefix = Did::parse(&format!(
        "did:key:{}",
        bs58::encode(prefixed(&[0xed, 0x01], &ed)).into_string()
    ))
    .unwrap();
    assert!(public_key_from_did_key(&no_prefix).is_err());
    // Not base58 ('0' is not in the alphabet).
    refused_because(&Did::parse("did:key:z0abc").unwrap(), "base58");

    refused_because(
        &did_key_of(&prefixed(&[0x99, 0x01], &ed)),
        "unknown multicodec",
    );
    refused_because(&did_key_of(&prefixed(&[0xed, 0x01], &ed[..31])), "32 bytes");
    refused_because(
        &did_key_of(&prefixed(&[0xed, 0x01], &[&ed[..], &[0]].concat())),
        "32 bytes",
    );
    refused_because(
        &did_key_of(&prefixed(&[0xed, 0x81, 0x00], &ed)),
        "non-minimal",
    );
    refused_because(&did_key_of(&[0xed]), "truncated");
    refused_because(&did_key_of(&[]), "truncated");
    refused_because(&did_key_of(&[0xff; 12]), "64 bits");

    // Small-order Ed25519 points: all zero (order 4) and the identity.
    refused_because(&did_key_of(&prefixed(&[0xed, 0x01], &[0; 32])), "weak");
    let mut identity = [0u8; 32];
    identity[0] = 1;
    refused_because(&did_key_of(&prefixed(&[0xed, 0x01], &identity)), "weak");

    // P-256 and secp256k1 must be compressed inside did:key.
    for kt in [crate::key::KeyType::P256, crate::key::KeyType::Secp256k1] {
        let pk = SecretKey::from_bytes(kt, &[9; 32]).unwrap().public_key();
        let code: &[u8] = if kt == crate::key::KeyType::P256 {
            &[0x80, 0x24]
        } else {
            &[0xe7, 0x01]
        };
        let uncompressed = pk.to_uncompressed_point().unwrap();
        refused_because(&did_key_of(&prefixed(code, &uncompressed)), "compressed");
        // Compressed works; one byte more or less does not.
        let compressed = pk.to_bytes();
        assert_eq!(
            public_key_from_did_key(&did_key_of(&prefixed(code, &compressed))).unwrap(),
            pk
        );
        refused_because(
            &did_key_of(&prefixed(code, &compressed[..32])),
            "compressed",
        );
        refused_because(
            &did_key_of(&prefixed(code, &[&compressed[..], &[1]].concat())),
            "compressed",
        );
        // A 33-byte x coordinate that is not on the curve.
        let mut off = [0xffu8; 33];
        off[0] = 2;
        refused_because(&did_key_of(&prefixed(code, &off)), "invalid");
    }

    // Not a did:key at all.
    refused_because(&Did::parse("did:web:example.com").unwrap(), "not a did:key");
    // X25519 is not a signing key (but it resolves, for key agreement only).
    let x = did_key_of(&prefixed(&[0xec, 0x01], &[5; 32]));
    assert!(
        matches!(public_key_from_did_key(&x), Err(DidError::InvalidDid(m)) if m.contains("X25519"))
    );
    refused_because(&did_key_of(&prefixed(&[0xec, 0x01], &[5; 31])), "32 bytes");
}

#[test]
fn did_key_version_options() {
    let did = did_key_from_public(&ed25519_sample());
    let r = DidKeyResolver::default();
    let at = ResolutionOptions {
        version_time: Some(Timestamp::from_unix(0)),
        version_id: None,
    };
    assert_eq!(
        r.resolve(&did, &at).unwrap(),
        r.resolve(&did, &ResolutionOptions::default()).unwrap()
    );
    let v = ResolutionOptions {
        version_time: None,
        version_id: Some("1".into()),
    };
    let err = r.resolve(&did, &v).unwrap_err();
    assert!(
        matches!(&err, DidError::NotFound(m) if m.contains("single")),
        "{err}"
    );
}

#[test]
fn varint_encoding() {
    for (v, bytes) in [
        (0u64, vec![0x00]),
        (0x7f, vec![0x7f]),
        (0x80, vec![0x80, 0x01]),
        (0xed, vec![0xed, 0x01]),
        (0x1200, vec![0x80, 0x24]),
        (
            u64::MAX,
            vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
    ] {
        let mut out = Vec::new();
        write_varint(v, &mut out);
        assert_eq!(out, bytes, "{v:#x}");
        assert_eq!(read_varint(&bytes).unwrap(), (v, &[][..]));
    }
    assert!(read_varint(&[0x80, 0x00]).is_err(), "non-minimal zero");
    assert!(read_varint(&[0xff; 9].iter().chain(&[0x02]).copied().collect::<Vec<_>>()).is_err());
    assert!(read_varint(&[0xff; 11]).is_err());
    assert_eq!(read_varint(&[0x01, 0xaa]).unwrap(), (1, &[0xaa][..]));
}

// ---------------------------------------------------------------------------
// DID and DID URL syntax.
// ---------------------------------------------------------------------------

#[test]
fn did_syntax() {
    for ok in [
        "did:example:123",
        "did:web:example.com",
        "did:web:example.com%3A8443:user:alice",
        "did:ethr:0x5:0xb9c5714089478a327f09197987f16f9e5d936e8a",
        "did:a1:x",
        "did:example::a",
        "did:example:A-b_c.d",
    ] {
        let d = Did::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(d.as_str(), ok);
        assert_eq!(d.to_string(), ok);
        assert_eq!(ok.parse::<Did>().unwrap(), d);
        assert_eq!(format!("did:{}:{}", d.method(), d.method_specific_id()), ok);
    }
    let d = Did::parse("did:ethr:0x5:0xabc").unwrap();
    assert_eq!((d.method(), d.method_specific_id()), ("ethr", "0x5:0xabc"));

    for bad in [
        "",
        "did",
        "did:",
        "did:key",
        "did:key:",
        "did::x",
        "DID:key:x",
        "did:KEY:x",
        "did:k-y:x",
        "did:key:abc:",
        "did:key:a b",
        "did:key:a/b",
        "did:key:a#b",
        "did:key:a?b",
        "did:key:%zz",
        "did:key:%4",
        "did:key:é",
        "did:key:z\0",
        " did:key:z",
    ] {
        let err = Did::parse(bad).unwrap_err();
        assert!(matches!(err, DidError::InvalidDid(_)), "{bad:?}");
        assert_eq!(err.resolution_error_code(), "invalidDid");
    }

    // Huge input: refused by length, and the message does not echo it.
    let huge = format!("did:key:{}", "z".repeat(100_000));
    let err = Did::parse(&huge).unwrap_err();
    assert!(err.to_string().len() < 200, "{err}");
    let at_limit = format!("did:x:{}", "a".repeat(MAX_DID_LEN - 6));
    assert!(Did::parse(&at_limit).is_ok());
    assert!(Did::parse(&format!("{at_limit}a")).is_err());
    assert!(DidUrl::parse(&format!("{huge}#x")).is_err());
    let long_bad = format!("did:key:{}!", "a".repeat(1000));
    assert!(Did::parse(&long_bad).unwrap_err().to_string().len() < 200);
}

#[test]
fn did_serde() {
    let d = Did::parse("did:example:123").unwrap();
    assert_eq!(serde_json::to_value(&d).unwrap(), json!("did:example:123"));
    let back: Did = serde_json::from_value(json!("did:example:123")).unwrap();
    assert_eq!(back, d);
    assert!(serde_json::from_value::<Did>(json!("did:Example:123")).is_err());
}

#[test]
fn did_url_syntax() {
    let u = DidUrl::parse("did:example:123#key-1").unwrap();
    assert_eq!(u.did.as_str(), "did:example:123");
    assert_eq!(u.fragment.as_deref(), Some("key-1"));
    assert_eq!(u.to_string(), "did:example:123#key-1");
    let u = DidUrl::parse("did:example:123").unwrap();
    assert_eq!(u.fragment, None);
    let u = DidUrl::parse("did:example:123#").unwrap();
    assert_eq!(u.fragment.as_deref(), Some(""));
    let k = did_key_from_public(&ed25519_sample());
    let u = DidUrl::parse(&did_key_method_id(&k)).unwrap();
    assert_eq!(u.did, k);
    assert_eq!(u.fragment.as_deref(), Some(k.method_specific_id()));

    for bad in [
        "did:example:123/path",
        "did:example:123?service=x",
        "did:example:123/p#frag",
        "did:example:123#frag ment",
        "did:example:123#a#b",
        "did:example:123#%g0",
        "#frag",
        "did:example:#x",
    ] {
        assert!(
            matches!(DidUrl::parse(bad), Err(DidError::InvalidDid(_))),
            "{bad:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Documents: relationships and verification methods.
// ---------------------------------------------------------------------------

fn sample_document() -> DidDocument {
    let k1 = public_key_multibase(&ed25519_sample());
    let k2 = public_key_multibase(
        &SecretKey::from_bytes(crate::key::KeyType::P256, &[3; 32])
            .unwrap()
            .public_key(),
    );
    let text = json!({
        "@context": ["https://www.w3.org/ns/did/v1.1"],
        "id": "did:example:123",
        "verificationMethod": [
            {"id": "#k1", "type": "Multikey", "controller": "did:example:123", "publicKeyMultibase": k1},
            {"id": "did:example:123#k2", "type": "Multikey", "controller": "did:example:123", "publicKeyMultibase": k2}
        ],
        "assertionMethod": ["did:example:123#k1", "#k9"],
        "authentication": [
            "#k2",
            {"id": "did:example:123#k3", "type": "Multikey", "controller": "did:example:123", "publicKeyMultibase": k1}
        ],
        "service": [{"id": "#svc", "type": "LinkedDomains", "serviceEndpoint": "https://example.com"}]
    })
    .to_string();
    DidDocument::from_json(text.as_bytes(), crate::json::JsonLimits::DEFAULT).unwrap()
}

#[test]
fn find_method_respects_relationships() {
    let doc = sample_document();
    let am = Relationship::AssertionMethod;
    // k1 is under assertionMethod, by absolute, relative and bare id.
    for q in ["did:example:123#k1", "#k1", "k1"] {
        let vm = doc.find_method(q, am).unwrap_or_else(|| panic!("{q}"));
        assert_eq!(vm.id, "#k1");
        assert_eq!(vm.public_key().unwrap(), ed25519_sample());
    }
    // k2 is a verification method, but only for authentication.
    assert!(doc.find_method("#k2", am).is_none());
    assert!(doc.find_method("did:example:123#k2", am).is_none());
    assert!(
        doc.find_method("#k2", Relationship::Authentication)
            .is_some()
    );
    // k3 is embedded under authentication only.
    assert!(
        doc.find_method("k3", Relationship::Authentication)
            .is_some()
    );
    assert!(doc.find_method("k3", am).is_none());
    // The dangling #k9 is found nowhere; another DID's #k1 is not ours.
    assert!(doc.find_method("#k9", am).is_none());
    assert!(doc.find_method("did:other:1#k1", am).is_none());
    assert!(doc.find_method("#k1", Relationship::KeyAgreement).is_none());
    assert!(
        doc.find_method("#k1", Relationship::CapabilityInvocation)
            .is_none()
    );

    assert_eq!(doc.method_ids(am), vec!["did:example:123#k1"]);
    assert_eq!(
        doc.method_ids(Relationship::Authentication),
        vec!["did:example:123#k2", "did:example:123#k3"]
    );
    assert!(doc.methods_for(Relationship::KeyAgreement).is_empty());
    assert_eq!(doc.service.len(), 1);
}

#[test]
fn document_parsing_is_strict() {
    let limits = crate::json::JsonLimits::DEFAULT;
    let dup = br#"{"id": "did:example:1", "id": "did:example:2"}"#;
    assert!(matches!(
        DidDocument::from_json(dup, limits),
        Err(DidError::InvalidDocument(_))
    ));
    assert!(matches!(
        DidDocument::from_json(br#"{"id": "not a did"}"#, limits),
        Err(DidError::InvalidDocument(_))
    ));
    assert!(matches!(
        DidDocument::from_json(br#"{"verificationMethod": []}"#, limits),
        Err(DidError::InvalidDocument(_))
    ));
    assert!(matches!(
        DidDocument::from_json(
            br#"{"id": "did:example:1", "assertionMethod": [42]}"#,
            limits
        ),
        Err(DidError::InvalidDocument(_))
    ));
    let small = crate::json::JsonLimits {
        max_bytes: 10,
        max_depth: 8,
    };
    assert_eq!(
        DidDocument::from_json(br#"{"id": "did:example:1"}"#, small),
        Err(DidError::TooLarge)
    );
    // Two methods with one id (relative and absolute spelling, or listed and embedded).
    let twice = json!({
        "id": "did:example:1",
        "verificationMethod": [
            {"id": "#k", "type": "Multikey", "controller": "did:example:1", "publicKeyMultibase": "z1"},
            {"id": "did:example:1#k", "type": "Multikey", "controller": "did:example:1", "publicKeyMultibase": "z2"}
        ]
    });
    assert!(matches!(
        DidDocument::from_json(twice.to_string().as_bytes(), limits),
        Err(DidError::InvalidDocument(m)) if m.contains("twice")
    ));
    let twice = json!({
        "id": "did:example:1",
        "verificationMethod": [
            {"id": "#k", "type": "Multikey", "controller": "did:example:1", "publicKeyMultibase": "z1"}
        ],
        "assertionMethod": [
            {"id": "#k", "type": "Multikey", "controller": "did:example:1", "publicKeyMultibase": "z2"}
        ]
    });
    assert!(DidDocument::from_json(twice.to_string().as_bytes(), limits).is_err());
    let minimal = DidDocument::from_json(br#"{"id": "did:example:1"}"#, limits).unwrap();
    assert_eq!(
        serde_json::to_value(&minimal).unwrap(),
        json!({"id": "did:example:1"})
    );
}

fn vm(type_: &str, multibase: Option<String>, jwk: Option<Value>) -> VerificationMethod {
    VerificationMethod {
        id: "did:example:1#k".into(),
        type_: type_.into(),
        controller: "did:example:1".into(),
        public_key_multibase: multibase,
        public_key_jwk: jwk,
        ..VerificationMethod::default()
    }
}

#[test]
fn verification_method_keys() {
    let ed = ed25519_sample();
    let p256 = SecretKey::from_bytes(crate::key::KeyType::P256, &[3; 32])
        .unwrap()
        .public_key();
    let k1 = SecretKey::from_bytes(crate::key::KeyType::Secp256k1, &[4; 32])
        .unwrap()
        .public_key();
    for k in [&ed, &p256, &k1] {
        assert_eq!(
            vm("Multikey", Some(public_key_multibase(k)), None)
                .public_key()
                .unwrap(),
            *k
        );
        let jwk = serde_json::to_value(k.to_jwk()).unwrap();
        for t in ["JsonWebKey", "JsonWebKey2020"] {
            assert_eq!(vm(t, None, Some(jwk.clone())).public_key().unwrap(), *k);
        }
    }
    // Ed25519VerificationKey2020: raw 32 bytes, with or without the multicodec prefix.
    let raw = ed.to_bytes();
    for mb in [multibase_b58(&raw), public_key_multibase(&ed)] {
        assert_eq!(
            vm("Ed25519VerificationKey2020", Some(mb), None)
                .public_key()
                .unwrap(),
            ed
        );
    }

    let invalid_doc = |m: VerificationMethod, needle: &str| match m.public_key() {
        Err(DidError::InvalidDocument(msg)) => {
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
            assert!(msg.starts_with("did:example:1#k"), "{msg}");
        }
        other => panic!("{other:?}"),
    };
    let x = x25519_multibase_from_ed25519(&ed).unwrap();
    invalid_doc(vm("Multikey", Some(x.clone()), None), "not a signing key");
    invalid_doc(
        vm(
            "JsonWebKey",
            None,
            Some(json!({"kty": "OKP", "crv": "X25519", "x": crate::encoding::b64url([9u8; 32])})),
        ),
        "not a signing key",
    );
    invalid_doc(
        vm("X25519KeyAgreementKey2020", Some(x), None),
        "not a signing key",
    );
    invalid_doc(vm("Multikey", None, None), "needs publicKeyMultibase");
    invalid_doc(vm("JsonWebKey2020", None, None), "needs publicKeyJwk");
    invalid_doc(
        vm(
            "Multikey",
            Some(public_key_multibase(&ed)),
            Some(serde_json::to_value(ed.to_jwk()).unwrap()),
        ),
        "both",
    );
    invalid_doc(
        vm(
            "Multikey",
            Some(multibase_b58(&prefixed(&[0xed, 0x01], &[0; 32]))),
            None,
        ),
        "weak",
    );
    invalid_doc(vm("Multikey", Some("fed01".into()), None), "multibase");
    invalid_doc(
        vm(
            "Multikey",
            Some(multibase_b58(&prefixed(&[0x81, 0x24], &[2; 49]))),
            None,
        ),
        "P-384",
    );
    invalid_doc(
        vm(
            "Ed25519VerificationKey2020",
            Some(multibase_b58(&raw[..31])),
            None,
        ),
        "32 bytes",
    );
    invalid_doc(vm("BbsBlsSignature2020", None, None), "unsupported");
    let mut with_d = serde_json::to_value(p256.to_jwk()).unwrap();
    with_d["d"] = json!(crate::encoding::b64url([1u8; 32]));
    invalid_doc(vm("JsonWebKey", None, Some(with_d)), "\"d\"");
}

// ---------------------------------------------------------------------------
// Resolution results and errors.
// ---------------------------------------------------------------------------

#[test]
fn resolution_result_shape() {
    let did = did_key_from_public(&ed25519_sample());
    let res = DidKeyResolver::default()
        .resolve(&did, &ResolutionOptions::default())
        .unwrap();
    assert!(!res.is_deactivated());
    let v = res.to_resolution_result();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys.len(),
        4,
        "@context, didDocument, didResolutionMetadata, didDocumentMetadata: {keys:?}"
    );
    assert_eq!(v["@context"], "https://w3id.org/did-resolution/v1");
    assert_eq!(
        v["didResolutionMetadata"],
        json!({"contentType": "application/did+ld+json"})
    );
    assert_eq!(v["didDocumentMetadata"], json!({}));
    assert_eq!(v["didDocument"]["id"], did.as_str());
    assert_eq!(
        v["didDocument"]["assertionMethod"],
        json!([did_key_method_id(&did)])
    );

    let meta = DocumentMetadata {
        deactivated: Some(true),
        version_id: Some("7".into()),
        next_update: Some("2026-01-01T00:00:00Z".into()),
        ..DocumentMetadata::default()
    };
    let res = Resolution {
        metadata: meta,
        ..res
    };
    assert!(res.is_deactivated());
    assert_eq!(
        res.to_resolution_result()["didDocumentMetadata"],
        json!({"deactivated": true, "versionId": "7", "nextUpdate": "2026-01-01T00:00:00Z"})
    );
}

#[test]
fn error_results_and_codes() {
    let cases = [
        (DidError::InvalidDid("x".into()), "invalidDid", false),
        (
            DidError::MethodNotSupported("did:foo".into()),
            "methodNotSupported",
            false,
        ),
        (DidError::NotFound("x".into()), "notFound", false),
        (DidError::Deactivated, "internalError", false),
        (
            DidError::ResolutionForbidden("x".into()),
            "internalError",
            false,
        ),
        (
            DidError::Unavailable("timeout".into()),
            "internalError",
            true,
        ),
        (
            DidError::InvalidDocument("x".into()),
            "invalidDidDocument",
            false,
        ),
        (DidError::TooLarge, "internalError", false),
    ];
    for (err, code, unavailable) in cases {
        assert_eq!(err.resolution_error_code(), code, "{err:?}");
        assert_eq!(err.is_unavailable(), unavailable, "{err:?}");
        let v = error_resolution_result(&err);
        assert_eq!(v["@context"], RESOLUTION_CONTEXT);
        assert_eq!(v["didDocument"], Value::Null);
        assert_eq!(v["didResolutionMetadata"]["error"], code);
        assert_eq!(v["didResolutionMetadata"]["errorMessage"], err.to_string());
        let expected_meta = if err == DidError::Deactivated {
            json!({"deactivated": true})
        } else {
            json!({})
        };
        assert_eq!(v["didDocumentMetadata"], expected_meta);
    }
}

// ---------------------------------------------------------------------------
// Composite resolvers.
// ---------------------------------------------------------------------------

/// A clock tests can move.
struct TestClock(AtomicI64);

impl TestClock {
    fn at(secs: i64) -> Arc<Self> {
        Arc::new(TestClock(AtomicI64::new(secs)))
    }
    fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.0.load(Ordering::SeqCst))
    }
}

/// Counts calls to the resolver it wraps.
#[derive(Default)]
struct Counting<R> {
    inner: R,
    calls: AtomicUsize,
}

impl<R: DidResolver> DidResolver for Counting<R> {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.resolve(did, options)
    }
}

fn sample_did(n: u8) -> Did {
    did_key_from_public(
        &SecretKey::from_bytes(crate::key::KeyType::Ed25519, &[n; 32])
            .unwrap()
            .public_key(),
    )
}

#[test]
fn method_resolver_dispatches() {
    let r = MethodResolver::default();
    assert_eq!(r.methods(), vec!["key"]);
    let did = sample_did(1);
    assert_eq!(
        r.resolve(&did, &ResolutionOptions::default())
            .unwrap()
            .document
            .id,
        did.as_str()
    );
    let web = Did::parse("did:web:example.com").unwrap();
    let err = r.resolve(&web, &ResolutionOptions::default()).unwrap_err();
    assert_eq!(err, DidError::MethodNotSupported("did:web".into()));
    assert!(matches!(
        MethodResolver::new().resolve(&did, &ResolutionOptions::default()),
        Err(DidError::MethodNotSupported(_))
    ));

    struct Down;
    impl DidResolver for Down {
        fn resolve(&self, _: &Did, _: &ResolutionOptions) -> Result<Resolution, DidError> {
            Err(DidError::Unavailable("node down".into()))
        }
    }
    let r = MethodResolver::default().with("web", Down);
    assert_eq!(r.methods(), vec!["key", "web"]);
    assert!(
        r.resolve(&web, &ResolutionOptions::default())
            .unwrap_err()
            .is_unavailable()
    );
}

#[test]
#[allow(clippy::needless_borrows_for_generic_args)] // the borrows are what is tested
fn blanket_impls_forward() {
    fn resolve_with(r: impl DidResolver, did: &Did) -> Resolution {
        r.resolve(did, &ResolutionOptions::default()).unwrap()
    }
    let did = sample_did(2);
    let base = DidKeyResolver::default();
    let expected = resolve_with(base, &did);
    assert_eq!(resolve_with(&base, &did), expected);
    let boxed: Box<dyn DidResolver> = Box::new(base);
    assert_eq!(resolve_with(&boxed, &did), expected);
    assert_eq!(resolve_with(boxed, &did), expected);
    let shared: Arc<dyn DidResolver> = Arc::new(MethodResolver::default());
    assert_eq!(resolve_with(shared.clone(), &did), expected);
    assert_eq!(resolve_with(&*shared, &did), expected);
}

#[test]
fn cache_hits_and_expiry() {
    let clock = TestClock::at(1_000);
    let cache = CachingResolver::new(Counting::<DidKeyResolver>::default(), clock.clone(), 60, 10);
    let did = sample_did(1);
    let opts = ResolutionOptions::default();
    let first = cache.resolve(&did, &opts).unwrap();
    assert_eq!(cache.resolve(&did, &opts).unwrap(), first);
    assert_eq!(
        cache.stats(),
        CacheStats {
            hits: 1,
            misses: 1,
            evictions: 0,
            entries: 1
        }
    );
    clock.advance(59);
    cache.resolve(&did, &opts).unwrap();
    assert_eq!(cache.stats().hits, 2);
    assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 1);

    // At ttl the entry has expired.
    clock.advance(1);
    cache.resolve(&did, &opts).unwrap();
    assert_eq!((cache.stats().hits, cache.stats().misses), (2, 2));
    assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 2);

    // Options are part of the key.
    let at = ResolutionOptions {
        version_time: Some(Timestamp::from_unix(5)),
        version_id: None,
    };
    cache.resolve(&did, &at).unwrap();
    assert_eq!(cache.stats().misses, 3);
    assert_eq!(cache.stats().entries, 2);
    cache.resolve(&did, &at).unwrap();
    assert_eq!(cache.stats().hits, 3);

    // invalidate drops every entry of the DID.
    cache.invalidate(&did);
    assert_eq!(cache.stats().entries, 0);
    cache.resolve(&did, &opts).unwrap();
    assert_eq!(cache.stats().misses, 4);

    // A clock that goes back does not extend an entry's life.
    clock.advance(-10);
    cache.resolve(&did, &opts).unwrap();
    assert_eq!(cache.stats().misses, 5);
}

#[test]
fn cache_does_not_keep_errors() {
    let cache = CachingResolver::new(
        Counting {
            inner: MethodResolver::default(),
            calls: AtomicUsize::new(0),
        },
        TestClock::at(0),
        60,
        10,
    );
    let bad = did_key_of(&prefixed(&[0xed, 0x01], &[0; 32]));
    let web = Did::parse("did:web:example.com").unwrap();
    for _ in 0..2 {
        assert!(cache.resolve(&bad, &ResolutionOptions::default()).is_err());
        assert!(cache.resolve(&web, &ResolutionOptions::default()).is_err());
    }
    assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 4);
    assert_eq!(cache.stats().entries, 0);
    assert_eq!(cache.stats().hits, 0);
}

#[test]
fn cache_evicts_oldest() {
    let cache = CachingResolver::new(
        Counting::<DidKeyResolver>::default(),
        TestClock::at(0),
        3_600,
        2,
    );
    let opts = ResolutionOptions::default();
    let (a, b, c) = (sample_did(1), sample_did(2), sample_did(3));
    for d in [&a, &b, &c] {
        cache.resolve(d, &opts).unwrap();
    }
    assert_eq!(cache.stats().evictions, 1);
    assert_eq!(cache.stats().entries, 2);
    // b and c are held; a was the oldest.
    cache.resolve(&c, &opts).unwrap();
    cache.resolve(&b, &opts).unwrap();
    assert_eq!(cache.stats().hits, 2);
    cache.resolve(&a, &opts).unwrap(); // miss; evicts b (oldest insertion)
    assert_eq!(cache.stats().misses, 4);
    cache.resolve(&c, &opts).unwrap();
    assert_eq!(cache.stats().hits, 3);
    cache.resolve(&b, &opts).unwrap();
    assert_eq!(cache.stats().misses, 5);
    assert_eq!(cache.stats().evictions, 3);
    assert_eq!(cache.stats().entries, 2);

    cache.clear();
    assert_eq!(cache.stats().entries, 0);
}

#[test]
fn cache_disabled_and_shared_across_threads() {
    let off = CachingResolver::new(DidKeyResolver::default(), TestClock::at(0), 0, 10);
    let did = sample_did(1);
    off.resolve(&did, &ResolutionOptions::default()).unwrap();
    off.resolve(&did, &ResolutionOptions::default()).unwrap();
    assert_eq!(
        (off.stats().hits, off.stats().misses, off.stats().entries),
        (0, 2, 0)
    );

    let cache = Arc::new(CachingResolver::new(
        MethodResolver::default(),
        TestClock::at(0),
        60,
        4,
    ));
    let handles: Vec<_> = (0..4u8)
        .map(|t| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                for i in 0..20u8 {
                    let did = sample_did(1 + (i + t) % 6);
                    cache.resolve(&did, &ResolutionOptions::default()).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let s = cache.stats();
    assert_eq!(s.hits + s.misses, 80);
    assert!(s.entries <= 4);
}

// ---------------------------------------------------------------------------
// Property tests.
// ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn did_key_round_trips(seed in any::<[u8; 32]>(), kind in 0..3u8) {
        let kt = [crate::key::KeyType::Ed25519, crate::key::KeyType::P256, crate::key::KeyType::Secp256k1][kind as usize];
        let sk = SecretKey::from_bytes(kt, &seed);
        prop_assume!(sk.is_ok());
        let pk = sk.unwrap().public_key();
        let did = did_key_from_public(&pk);
        prop_assert_eq!(Did::parse(did.as_str()).unwrap(), did.clone());
        prop_assert_eq!(public_key_from_did_key(&did).unwrap(), pk.clone());
        let doc = DidKeyResolver::default().resolve(&did, &ResolutionOptions::default()).unwrap().document;
        let vm = doc.find_method(&did_key_method_id(&did), Relationship::AssertionMethod).unwrap();
        prop_assert_eq!(vm.public_key().unwrap(), pk);
    }

    #[test]
    fn did_parse_never_panics(s in any::<String>()) {
        let _ = Did::parse(&s);
        let _ = DidUrl::parse(&s);
    }

    #[test]
    fn did_like_strings_never_panic(s in "did:[a-z0-9:]{0,6}:[a-zA-Z0-9%:._#/?-]{0,40}") {
        if let Ok(d) = Did::parse(&s) {
            prop_assert_eq!(d.to_string(), s.clone());
            prop_assert_eq!(format!("did:{}:{}", d.method(), d.method_specific_id()), s.clone());
        }
        let _ = DidUrl::parse(&s);
    }

    #[test]
    fn did_key_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let did = did_key_of(&bytes);
        let _ = public_key_from_did_key(&did);
        let _ = DidKeyResolver::default().resolve(&did, &ResolutionOptions::default());
        let _ = vm("Multikey", Some(multibase_b58(&bytes)), None).public_key();
        let _ = vm("Ed25519VerificationKey2020", Some(multibase_b58(&bytes)), None).public_key();
    }

    #[test]
    fn varint_round_trips(v in any::<u64>(), tail in proptest::collection::vec(any::<u8>(), 0..4)) {
        let mut bytes = Vec::new();
        write_varint(v, &mut bytes);
        bytes.extend_from_slice(&tail);
        let (back, rest) = read_varint(&bytes).unwrap();
        prop_assert_eq!(back, v);
        prop_assert_eq!(rest, &tail[..]);
    }
}

#[test]
fn resolvers_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MethodResolver>();
    assert_send_sync::<CachingResolver<MethodResolver>>();
    assert_send_sync::<DidKeyResolver>();
}

/// did:ethr documents carry keys as hex, base58 or base64 (Ed25519VerificationKey2018,
/// EcdsaSecp256k1VerificationKey2019); a recovery method has no key.
#[test]
fn did_ethr_key_representations() {
    let sk = crate::key::SecretKey::generate(crate::key::KeyType::Ed25519, &mut rand_core::OsRng);
    let raw = sk.public_key().to_bytes();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let base = VerificationMethod {
        id: "did:ethr:0x7a69:0xabc#delegate-1".into(),
        type_: "Ed25519VerificationKey2018".into(),
        controller: "did:ethr:0x7a69:0xabc".into(),
        ..VerificationMethod::default()
    };
    for vm in [
        VerificationMethod {
            public_key_hex: Some(hex.clone()),
            ..base.clone()
        },
        VerificationMethod {
            public_key_hex: Some(format!("0x{hex}")),
            ..base.clone()
        },
        VerificationMethod {
            public_key_base58: Some(bs58::encode(&raw).into_string()),
            ..base.clone()
        },
        VerificationMethod {
            public_key_base64: Some(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &raw,
            )),
            ..base.clone()
        },
    ] {
        assert_eq!(vm.public_key().unwrap(), sk.public_key(), "{vm:?}");
    }
    let two = VerificationMethod {
        public_key_hex: Some(hex.clone()),
        public_key_base58: Some(bs58::encode(&raw).into_string()),
        ..base.clone()
    };
    assert!(
        two.public_key().is_err(),
        "two key representations are ambiguous"
    );
    assert!(
        VerificationMethod {
            public_key_hex: Some("zz".into()),
            ..base.clone()
        }
        .public_key()
        .is_err()
    );
    let k1 = crate::key::SecretKey::generate(crate::key::KeyType::Secp256k1, &mut rand_core::OsRng);
    let k1_hex: String = k1
        .public_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let vm = VerificationMethod {
        type_: "EcdsaSecp256k1VerificationKey2019".into(),
        public_key_hex: Some(k1_hex),
        ..base.clone()
    };
    assert_eq!(vm.public_key().unwrap(), k1.public_key());
    let recovery = VerificationMethod {
        type_: "EcdsaSecp256k1RecoveryMethod2020".into(),
        blockchain_account_id: Some(
            "eip155:31337:0x0000000000000000000000000000000000000001".into(),
        ),
        ..base
    };
    assert!(recovery.public_key().is_err());
}
