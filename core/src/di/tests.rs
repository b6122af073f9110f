//! eddsa-jcs-2022 against the W3C test vectors (vc-di-eddsa), byte for
//! byte, and proof sets, chains and the verifier's checks on Stele's own proofs.

use serde_json::{Map, Value, json};

use super::eddsa_jcs::{self, CRYPTOSUITE, HashData};
use super::proof::{ProofCheck, ProofOptions, UnverifiedSecuredDocument, add_proof};
use super::{DiError, jcs};
use crate::did::key::{did_key_method_id, public_key_from_did_key};
use crate::did::{Did, Relationship};
use crate::encoding::{multibase_b58, multibase_b58_decode};
use crate::json::{JsonLimits, parse_object};
use crate::key::{KeyType, PublicKey, SecretKey, SignatureError};
use crate::time::Timestamp;

/// The W3C vc-di-eddsa test vectors (both cryptosuites), under ../shared/vectors.
const VECTORS: &str = "vc-di-eddsa/TestVectors";

pub(super) fn read(path: &str) -> String {
    let full = format!(
        "{}/../../shared/vectors/{VECTORS}/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub(super) fn object(path: &str) -> Map<String, Value> {
    parse_object(read(path).as_bytes(), JsonLimits::DEFAULT).unwrap()
}

/// A key pair from the vectors: multibase Multikey (ed25519-pub 0xed01,
/// ed25519-priv 0x8026 + the 32-byte seed).
pub(super) fn key_pair(pair: &Value) -> (SecretKey, Did) {
    let secret = multibase_b58_decode(pair["privateKeyMultibase"].as_str().unwrap()).unwrap();
    assert_eq!(&secret[..2], &[0x80, 0x26]);
    let sk = SecretKey::from_bytes(KeyType::Ed25519, &secret[2..]).unwrap();
    let did = Did::parse(&format!(
        "did:key:{}",
        pair["publicKeyMultibase"].as_str().unwrap()
    ))
    .unwrap();
    assert_eq!(public_key_from_did_key(&did).unwrap(), sk.public_key());
    (sk, did)
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn vector(name: &str) -> String {
    read(&format!("eddsa-jcs-2022/{name}")).trim().to_owned()
}

fn check(now: i64) -> ProofCheck<'static> {
    ProofCheck {
        now: Timestamp::from_unix(now),
        clock_skew_secs: 60,
        purpose: Relationship::AssertionMethod,
        challenge: None,
        domain: None,
    }
}

const NOW: i64 = 1_790_000_000; // 2026-09

/// Every intermediate value of the W3C eddsa-jcs-2022 example (vc-di-eddsa
/// §B.2), then the signed document as a whole.
#[test]
fn w3c_eddsa_jcs_2022_vector_byte_for_byte() {
    let (sk, did) = key_pair(&serde_json::from_str(&read("keyPair.json")).unwrap());
    let unsigned = object("unsigned.json");
    let proof_config = object("eddsa-jcs-2022/proofConfigJCS.json");

    let canonical_document = eddsa_jcs::SUITE.transform(&unsigned).unwrap();
    assert_eq!(canonical_document, vector("canonDocJCS.txt"));
    let data = eddsa_jcs::SUITE
        .hash_data(&unsigned, &proof_config)
        .unwrap();
    assert_eq!(data.canonical_document, vector("canonDocJCS.txt"));
    assert_eq!(data.canonical_proof_config, vector("proofCanonJCS.txt"));
    assert_eq!(hex(&data.document_hash), vector("docHashJCS.txt"));
    assert_eq!(hex(&data.proof_config_hash), vector("proofHashJCS.txt"));
    assert_eq!(hex(&data.to_bytes()), vector("combinedHashJCS.txt"));

    // Ed25519 is deterministic: the same signature, the same proofValue.
    let signature = sk.sign_bytes(&data.to_bytes());
    assert_eq!(hex(&signature), vector("sigHexJCS.txt"));
    assert_eq!(multibase_b58(&signature), vector("sigBTC58JCS.txt"));

    // Create Proof from options gives the vector's proof, member for member.
    let created = Timestamp::parse_rfc3339("2023-02-24T23:36:38Z").unwrap();
    let options = ProofOptions::assertion(did_key_method_id(&did), created);
    let proof = eddsa_jcs::SUITE
        .create_proof(&unsigned, &options, &sk)
        .unwrap();
    let signed = object("eddsa-jcs-2022/signedJCS.json");
    assert_eq!(Value::Object(proof.clone()), signed["proof"]);
    let mut secured = unsigned.clone();
    add_proof(&mut secured, &options, &sk).unwrap();
    assert_eq!(secured, signed);

    // And the signed vector verifies.
    let doc = UnverifiedSecuredDocument::from_document(signed).unwrap();
    let key = public_key_from_did_key(&did).unwrap();
    let verified = doc.verify(&[key], &check(NOW)).unwrap();
    assert_eq!(verified.document, unsigned);
}

#[test]
fn tampering_with_the_vector_is_detected() {
    let (_, did) = key_pair(&serde_json::from_str(&read("keyPair.json")).unwrap());
    let key = public_key_from_did_key(&did).unwrap();
    let signed = object("eddsa-jcs-2022/signedJCS.json");
    type Tamper<'a> = &'a dyn Fn(&mut Map<String, Value>);
    let tamper: [Tamper<'_>; 5] = [
        &|d| d["credentialSubject"]["alumniOf"] = json!("The School of Forgery"),
        &|d| d["validFrom"] = json!("2023-01-01T00:00:01Z"),
        &|d| {
            d.insert("extra".into(), json!(1));
        },
        &|d| d["proof"]["created"] = json!("2023-02-24T23:36:39Z"),
        &|d| d["proof"]["proofPurpose"] = json!("authentication"),
    ];
    for (i, t) in tamper.iter().enumerate() {
        let mut d = signed.clone();
        t(&mut d);
        let mut c = check(NOW);
        if i == 4 {
            c.purpose = Relationship::Authentication;
        }
        let r = UnverifiedSecuredDocument::from_document(d)
            .unwrap()
            .verify(std::slice::from_ref(&key), &c);
        assert_eq!(
            r.unwrap_err(),
            DiError::Signature(SignatureError::Invalid),
            "tamper {i}"
        );
    }
    // Member order and whitespace are not part of what is signed.
    let reordered: Map<String, Value> = signed.clone().into_iter().rev().collect();
    let pretty = serde_json::to_string_pretty(&reordered).unwrap();
    let d = parse_object(pretty.as_bytes(), JsonLimits::DEFAULT).unwrap();
    assert!(
        UnverifiedSecuredDocument::from_document(d)
            .unwrap()
            .verify(&[key], &check(NOW))
            .is_ok()
    );
}

#[test]
fn wrong_key_and_malformed_values_are_refused() {
    let signed = object("eddsa-jcs-2022/signedJCS.json");
    let other = SecretKey::from_bytes(KeyType::Ed25519, &[7u8; 32]).unwrap();
    let r = UnverifiedSecuredDocument::from_document(signed.clone())
        .unwrap()
        .verify(&[other.public_key()], &check(NOW));
    assert_eq!(r.unwrap_err(), DiError::Signature(SignatureError::Invalid));
    let p256 = SecretKey::from_bytes(KeyType::P256, &[7u8; 32]).unwrap();
    let r = UnverifiedSecuredDocument::from_document(signed.clone())
        .unwrap()
        .verify(&[p256.public_key()], &check(NOW));
    assert_eq!(r.unwrap_err(), DiError::KeyType);

    for (member, value) in [
        ("proofValue", json!("u2HnFSSPPBzR36zdDgK8PbEH")),
        ("proofValue", json!("z0OIl")),
        ("proofValue", json!(5)),
        ("created", json!("yesterday")),
        ("verificationMethod", Value::Null),
        ("domain", json!([1])),
    ] {
        let mut d = signed.clone();
        d["proof"][member] = value;
        assert!(
            matches!(
                UnverifiedSecuredDocument::from_document(d),
                Err(DiError::MalformedProof(_))
            ),
            "{member}"
        );
    }
    // A short (but well-encoded) proofValue is a malformed signature.
    let mut d = signed.clone();
    d["proof"]["proofValue"] = json!(multibase_b58(&[1u8; 63]));
    let key = public_key_from_did_key(
        &Did::parse("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").unwrap(),
    )
    .unwrap();
    let r = UnverifiedSecuredDocument::from_document(d)
        .unwrap()
        .verify(std::slice::from_ref(&key), &check(NOW));
    assert_eq!(
        r.unwrap_err(),
        DiError::Signature(SignatureError::Malformed)
    );

    // Other proof types and cryptosuites, and documents without a proof.
    let mut d = signed.clone();
    d["proof"]["type"] = json!("Ed25519Signature2020");
    assert!(matches!(
        UnverifiedSecuredDocument::from_document(d),
        Err(DiError::UnsupportedCryptosuite(_))
    ));
    // eddsa-rdfc-2022 is read, and refused at verification when the build
    // has no `rdfc` feature; another cryptosuite is refused at once.
    let rdfc = object("eddsa-rdfc-2022/signedDataInt.json");
    let rdfc = UnverifiedSecuredDocument::from_document(rdfc).unwrap();
    assert_eq!(rdfc.cryptosuite(), super::Cryptosuite::EddsaRdfc2022);
    if !cfg!(feature = "rdfc") {
        assert_eq!(
            rdfc.verify(std::slice::from_ref(&key), &check(NOW))
                .unwrap_err(),
            DiError::UnsupportedCryptosuite("eddsa-rdfc-2022".into())
        );
    }
    let mut d = signed.clone();
    d["proof"]["cryptosuite"] = json!("eddsa-2099");
    assert_eq!(
        UnverifiedSecuredDocument::from_document(d).unwrap_err(),
        DiError::UnsupportedCryptosuite("eddsa-2099".into())
    );
    let mut d = signed;
    d.remove("proof");
    assert_eq!(
        UnverifiedSecuredDocument::from_document(d).unwrap_err(),
        DiError::NoProof
    );
}

/// Data Integrity §4.4 step 4: the proof's @context must start the document's.
#[test]
fn proof_context_must_prefix_the_document_context() {
    let (_, did) = key_pair(&serde_json::from_str(&read("keyPair.json")).unwrap());
    let key = public_key_from_did_key(&did).unwrap();
    let signed = object("eddsa-jcs-2022/signedJCS.json");
    // A context appended after signing is allowed by the spec (the signed
    // prefix is hashed); one taken away or reordered is not.
    let mut d = signed.clone();
    d["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://w3id.org/security/data-integrity/v2"));
    assert!(
        UnverifiedSecuredDocument::from_document(d)
            .unwrap()
            .verify(std::slice::from_ref(&key), &check(NOW))
            .is_ok()
    );
    for ctx in [
        json!(["https://www.w3.org/ns/credentials/v2"]),
        json!([
            "https://www.w3.org/ns/credentials/examples/v2",
            "https://www.w3.org/ns/credentials/v2"
        ]),
    ] {
        let mut d = signed.clone();
        d["@context"] = ctx;
        let r = UnverifiedSecuredDocument::from_document(d)
            .unwrap()
            .verify(std::slice::from_ref(&key), &check(NOW));
        assert_eq!(r.unwrap_err(), DiError::ContextMismatch);
    }
}

fn multi_keys() -> Vec<(SecretKey, Did)> {
    let pairs: Value = serde_json::from_str(&read("proof-set-chain/multiKeyPairs.json")).unwrap();
    (1..=4)
        .map(|i| key_pair(&pairs[format!("keyPair{i}")]))
        .collect()
}

fn options(did: &Did, id: Option<&str>, previous: &[&str]) -> ProofOptions {
    let mut o = ProofOptions::assertion(
        did_key_method_id(did),
        Timestamp::parse_rfc3339("2023-02-24T23:36:38Z").unwrap(),
    );
    o.id = id.map(str::to_owned);
    o.previous_proof = previous.iter().map(|s| (*s).to_owned()).collect();
    o
}

/// The proof-set-chain vectors' structure (their signatures are
/// eddsa-rdfc-2022), signed here with eddsa-jcs-2022: a set of two proofs,
/// a chain link over both, and a second link over the first.
#[test]
fn proof_sets_and_chains() {
    let keys = multi_keys();
    let pub_keys: Vec<PublicKey> = keys.iter().map(|(sk, _)| sk.public_key()).collect();
    let mut doc = object("proof-set-chain/unsigned.json");
    let (id1, id2, id3) = (
        "urn:uuid:26329423-bec9-4b2e-88cb-a7c7d9dc4544",
        "urn:uuid:8cc9022b-6b14-4cf3-8571-74972c5feb54",
        "urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23",
    );
    add_proof(&mut doc, &options(&keys[0].1, Some(id1), &[]), &keys[0].0).unwrap();
    assert!(doc["proof"].is_object());
    add_proof(&mut doc, &options(&keys[1].1, Some(id2), &[]), &keys[1].0).unwrap();
    assert_eq!(doc["proof"].as_array().unwrap().len(), 2);
    let set = doc.clone();
    let verify = |d: &Map<String, Value>, n: usize| {
        UnverifiedSecuredDocument::from_document(d.clone())
            .unwrap()
            .verify(&pub_keys[..n], &check(NOW))
    };
    assert!(verify(&set, 2).is_ok());

    add_proof(
        &mut doc,
        &options(&keys[2].1, Some(id3), &[id1, id2]),
        &keys[2].0,
    )
    .unwrap();
    add_proof(&mut doc, &options(&keys[3].1, None, &[id3]), &keys[3].0).unwrap();
    let proofs = doc["proof"].as_array().unwrap();
    assert_eq!(proofs.len(), 4);
    assert_eq!(proofs[2]["previousProof"], json!([id1, id2]));
    assert_eq!(proofs[3]["previousProof"], json!(id3));
    assert_eq!(verify(&doc, 4).unwrap().proofs.len(), 4);

    // The chain link signed over the proofs it names: swapping the first
    // proof's value for another valid-looking one breaks link 3 as well.
    let mut d = doc.clone();
    d["proof"][0]["proofValue"] = doc["proof"][1]["proofValue"].clone();
    assert!(verify(&d, 4).is_err());
    // Dropping a proof a link names is refused.
    let mut d = doc.clone();
    d["proof"].as_array_mut().unwrap().remove(0);
    let keys3 = [
        pub_keys[1].clone(),
        pub_keys[2].clone(),
        pub_keys[3].clone(),
    ];
    let r = UnverifiedSecuredDocument::from_document(d)
        .unwrap()
        .verify(&keys3, &check(NOW));
    assert_eq!(r.unwrap_err(), DiError::PreviousProofMissing);
    // Every proof of a set must verify, not just one.
    let mut d = set.clone();
    d["proof"][1]["created"] = json!("2023-02-24T23:36:39Z");
    assert!(verify(&d, 2).is_err());
    // A chain to an id that is not there cannot even be made, and the
    // document keeps its proofs.
    let mut d = set.clone();
    assert_eq!(
        add_proof(&mut d, &options(&keys[2].1, None, &["urn:x"]), &keys[2].0),
        Err(DiError::PreviousProofMissing)
    );
    assert_eq!(d, set);
}

#[test]
fn purpose_challenge_domain_and_time_window() {
    let sk = SecretKey::from_bytes(KeyType::Ed25519, &[9u8; 32]).unwrap();
    let did = crate::did::key::did_key_from_public(&sk.public_key());
    let mut doc = object("unsigned.json");
    let mut o = ProofOptions::assertion(did_key_method_id(&did), Timestamp::from_unix(NOW));
    o.proof_purpose = Relationship::Authentication;
    o.challenge = Some("nonce-1".into());
    o.domain = Some("counter-1".into());
    o.expires = Some(Timestamp::from_unix(NOW + 300));
    add_proof(&mut doc, &o, &sk).unwrap();
    let run = |c: ProofCheck<'_>| {
        UnverifiedSecuredDocument::from_document(doc.clone())
            .unwrap()
            .verify(&[sk.public_key()], &c)
    };
    let good = ProofCheck {
        now: Timestamp::from_unix(NOW),
        clock_skew_secs: 60,
        purpose: Relationship::Authentication,
        challenge: Some("nonce-1"),
        domain: Some("counter-1"),
    };
    assert!(run(good).is_ok());
    assert!(matches!(
        run(ProofCheck {
            purpose: Relationship::AssertionMethod,
            ..good
        }),
        Err(DiError::WrongPurpose {
            expected: "assertionMethod",
            ..
        })
    ));
    assert_eq!(
        run(ProofCheck {
            challenge: Some("nonce-2"),
            ..good
        })
        .unwrap_err(),
        DiError::WrongChallenge
    );
    assert_eq!(
        run(ProofCheck {
            domain: Some("counter-2"),
            ..good
        })
        .unwrap_err(),
        DiError::WrongDomain
    );
    assert_eq!(
        run(ProofCheck {
            now: Timestamp::from_unix(NOW - 61),
            ..good
        })
        .unwrap_err(),
        DiError::CreatedInFuture
    );
    assert!(
        run(ProofCheck {
            now: Timestamp::from_unix(NOW + 360),
            ..good
        })
        .is_ok()
    );
    assert_eq!(
        run(ProofCheck {
            now: Timestamp::from_unix(NOW + 361),
            ..good
        })
        .unwrap_err(),
        DiError::ProofExpired
    );
}

#[test]
fn hash_data_layout_and_limits() {
    let d = HashData::new("a".into(), "b".into());
    let bytes = d.to_bytes();
    assert_eq!(&bytes[..32], &d.proof_config_hash);
    assert_eq!(&bytes[32..], &d.document_hash);
    // A document with an integer a double cannot hold has no canonical form.
    let mut doc = object("unsigned.json");
    doc.insert("n".into(), json!(9_007_199_254_740_993u64));
    let sk = SecretKey::from_bytes(KeyType::Ed25519, &[9u8; 32]).unwrap();
    let o = ProofOptions::assertion("did:key:z#z", Timestamp::from_unix(NOW));
    assert_eq!(
        eddsa_jcs::SUITE.create_proof(&doc, &o, &sk).unwrap_err(),
        DiError::Jcs(jcs::JcsError::IntegerOutOfRange)
    );
    let p256 = SecretKey::from_bytes(KeyType::P256, &[9u8; 32]).unwrap();
    assert_eq!(
        eddsa_jcs::SUITE
            .create_proof(&object("unsigned.json"), &o, &p256)
            .unwrap_err(),
        DiError::KeyType
    );
    assert_eq!(CRYPTOSUITE, "eddsa-jcs-2022");
}
