//! eddsa-rdfc-2022 cross-checked with `ssi`'s own Data Integrity
//! implementation (ADR 0006): what Stele signs verifies in `ssi`, what `ssi`
//! signs verifies in Stele, and tampering is caught by both.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use ssi::claims::VerificationParameters;
use ssi::claims::data_integrity::{
    AnySuite, CryptographicSuite, DataIntegrity, ProofOptions as SsiProofOptions,
};
use ssi::claims::vc::v2::JsonCredential;
use ssi::dids::{AnyDidMethod, VerificationMethodDIDResolver};
use ssi::json_ld::ContextLoader;
use ssi::verification_methods::{AnyMethod, SingleSecretSigner};
use stele_core::di::context::{STELE_V1_CONTEXT, STELE_V1_CONTEXT_DOCUMENT};
use stele_core::di::proof::{ProofCheck, ProofOptions, UnverifiedSecuredDocument, add_proof_with};
use stele_core::di::{Cryptosuite, DiError};
use stele_core::did::key::{did_key_method_id, public_key_from_did_key};
use stele_core::did::{Did, Relationship};
use stele_core::key::{KeyType, SecretKey};
use stele_core::time::Timestamp;

const SEED: [u8; 32] = [42; 32];

fn key() -> (SecretKey, Did, String) {
    let sk = SecretKey::from_bytes(KeyType::Ed25519, &SEED).expect("key");
    let did = stele_core::did::key::did_key_from_public(&sk.public_key());
    let method = did_key_method_id(&did);
    (sk, did, method)
}

fn jwk(sk: &SecretKey) -> ssi::JWK {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let public = sk.public_key().to_bytes();
    serde_json::from_value(json!({
        "kty": "OKP", "crv": "Ed25519", "x": b64(&public), "d": b64(&SEED)
    }))
    .expect("jwk")
}

fn credential(issuer: &Did) -> Map<String, Value> {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", STELE_V1_CONTEXT],
        "id": "urn:uuid:0b9c6f3e-6a7e-4c58-9d39-2f4c1e8f7a10",
        "type": ["VerifiableCredential", "ResidencePermitCredential"],
        "issuer": issuer.as_str(),
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:holder",
            "given_name": "Nour",
            "family_name": "Haddad",
            "birth_date": "1990-04-01"
        }
    })
    .as_object()
    .cloned()
    .expect("object")
}

fn loader() -> ContextLoader {
    let map = HashMap::from([(
        STELE_V1_CONTEXT.to_owned(),
        STELE_V1_CONTEXT_DOCUMENT.to_owned(),
    )]);
    ContextLoader::default()
        .with_context_map_from(map)
        .expect("loader")
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Whether `ssi` verifies `document`.
fn ssi_verifies(document: &Map<String, Value>) -> bool {
    let vc: DataIntegrity<JsonCredential, AnySuite> =
        serde_json::from_value(Value::Object(document.clone())).expect("ssi reads the credential");
    let resolver = VerificationMethodDIDResolver::<_, AnyMethod>::new(AnyDidMethod::default());
    let params = VerificationParameters::from_resolver(resolver).with_json_ld_loader(loader());
    block_on(vc.verify(params))
        .expect("ssi could check the proof")
        .is_ok()
}

fn stele_verify(document: &Map<String, Value>, did: &Did) -> Result<(), DiError> {
    let key = public_key_from_did_key(did).expect("did:key");
    UnverifiedSecuredDocument::from_document(document.clone())?
        .verify(
            &[key],
            &ProofCheck {
                // ssi stamps its proofs with the current time.
                now: Timestamp::parse_rfc3339("2099-01-01T00:00:00Z").expect("time"),
                clock_skew_secs: 60,
                purpose: Relationship::AssertionMethod,
                challenge: None,
                domain: None,
            },
        )
        .map(|_| ())
}

#[test]
fn stele_signed_verifies_in_ssi() {
    let (sk, did, method) = key();
    let mut vc = credential(&did);
    let options = ProofOptions::assertion(
        method,
        Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").expect("time"),
    );
    add_proof_with(&mut vc, Cryptosuite::EddsaRdfc2022, &options, &sk).expect("sign");
    assert_eq!(stele_verify(&vc, &did), Ok(()));
    assert!(ssi_verifies(&vc));
    let mut forged = vc.clone();
    forged["credentialSubject"]["family_name"] = json!("Other");
    assert!(!ssi_verifies(&forged));
    assert!(stele_verify(&forged, &did).is_err());
}

#[test]
fn ssi_signed_verifies_in_stele() {
    let (sk, did, method) = key();
    let unsigned: JsonCredential =
        serde_json::from_value(Value::Object(credential(&did))).expect("ssi credential");
    let resolver = VerificationMethodDIDResolver::<_, AnyMethod>::new(AnyDidMethod::default());
    let signer = SingleSecretSigner::new(jwk(&sk)).into_local();
    let method = ssi::json_ld::IriBuf::new(method).expect("iri");
    let signed = block_on(AnySuite::EdDsaRdfc2022.sign_with(
        ssi::claims::SignatureEnvironment {
            json_ld_loader: loader(),
            eip712_loader: (),
        },
        unsigned,
        &resolver,
        signer,
        SsiProofOptions::from_method(method.into()),
        Default::default(),
    ))
    .expect("ssi signs");
    let document = serde_json::to_value(&signed).expect("json");
    let document = document.as_object().cloned().expect("object");
    assert_eq!(document["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    assert_eq!(stele_verify(&document, &did), Ok(()));
    let mut forged = document.clone();
    forged["validFrom"] = json!("2026-01-01T00:00:01Z");
    assert!(stele_verify(&forged, &did).is_err());
}
