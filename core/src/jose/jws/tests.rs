use serde_json::{Map, Value, json};

use super::*;
use crate::alg::{Algorithm, AlgorithmSet};
use crate::jose::typ;
use crate::jose::{HeaderPolicy, JoseError, JwsLimits};
use crate::key::{KeyType, PublicKey, SecretKey};

fn vectors(path: &str) -> Value {
    let full = format!("{}/../../shared/vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).expect("vector file")).expect("json")
}

const ANY: HeaderPolicy<'static> = HeaderPolicy {
    algorithms: AlgorithmSet::ALL,
    typ: &[],
    understood_crit: &[],
    limits: JwsLimits {
        max_token_bytes: 256 * 1024,
        json: crate::json::JsonLimits::DEFAULT,
    },
};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// One helper for every vector: does `token` verify under `key` with `policy`?
fn check(token: &str, key: &PublicKey, policy: &HeaderPolicy<'_>, expected: bool, id: &str) {
    let got = verify_compact_bytes(token, policy, key);
    assert_eq!(got.is_ok(), expected, "vector {id}: {got:?}");
}

#[test]
fn rfc8037_a4_a5() {
    let v = vectors("jose/rfc8037-appendix-a.json");
    let key = PublicKey::from_jwk(
        &crate::key::Jwk::from_value(&v["A.2_ed25519_public_jwk"]).expect("jwk"),
    )
    .expect("key");
    let compact = v["A.4_ed25519_signing"]["compact"]
        .as_str()
        .expect("compact");
    check(compact, &key, &ANY, true, "A.5");
    let (_, payload) = verify_compact_bytes(compact, &ANY, &key).expect("A.5");
    assert_eq!(payload, b"Example of Ed25519 signing");
    // Tampering with any part breaks it.
    let tampered = compact.replacen("RXhh", "RXhi", 1);
    check(&tampered, &key, &ANY, false, "A.5 tampered");
}

/// Wycheproof's JWS file: HMAC and RSA groups must be refused outright
/// (even their "valid" tokens); the ES256 group must match the file.
#[test]
fn wycheproof_json_web_signature() {
    let v = vectors("wycheproof/json_web_signature_test.json");
    let mut es256_checked = 0;
    for group in v["testGroups"].as_array().expect("groups") {
        let public = group.get("public").cloned().unwrap_or(Value::Null);
        let key = crate::key::Jwk::from_value(&public)
            .ok()
            .and_then(|j| PublicKey::from_jwk(&j).ok());
        for t in group["tests"].as_array().expect("tests") {
            let jws = t["jws"].as_str().unwrap_or("");
            let id = t["tcId"].to_string();
            match &key {
                Some(key) => {
                    let valid = t["result"] == "valid";
                    check(jws, key, &ANY, valid, &id);
                    es256_checked += 1;
                }
                None => {
                    // No key Stele can use (HMAC secret, RSA): a throwaway
                    // Ed25519 key must not make any of these verify.
                    let other =
                        SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng).public_key();
                    check(jws, &other, &ANY, false, &id);
                }
            }
        }
    }
    assert!(es256_checked >= 15);
}

#[test]
fn header_policy() {
    let sk = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let pk = sk.public_key();
    let payload = obj(json!({"sub": "x"}));
    let sign = |extra: Value, typ: Option<&str>| {
        sign_compact(&sk, typ, None, obj(extra), &payload).expect("sign")
    };
    let vc_only = HeaderPolicy {
        typ: &[Some(typ::VC_JWT)],
        ..ANY
    };
    // typ must match; the application/ prefix and case do not matter.
    let good = sign(json!({}), Some("vc+jwt"));
    assert!(
        UnverifiedJws::decode(&good, &vc_only)
            .and_then(|j| j.verify(&pk))
            .is_ok()
    );
    let prefixed = sign(json!({}), Some("application/VC+JWT"));
    assert!(UnverifiedJws::decode(&prefixed, &vc_only).is_ok());
    let wrong = sign(json!({}), Some("kb+jwt"));
    assert!(matches!(
        UnverifiedJws::decode(&wrong, &vc_only),
        Err(JoseError::Typ { .. })
    ));
    let missing = sign(json!({}), None);
    assert!(matches!(
        UnverifiedJws::decode(&missing, &vc_only),
        Err(JoseError::Typ { .. })
    ));

    // crit: refused unless understood and present.
    let crit = sign(json!({"crit": ["exp2"], "exp2": 1}), None);
    assert!(matches!(
        UnverifiedJws::decode(&crit, &ANY),
        Err(JoseError::Crit(_))
    ));
    let understood = HeaderPolicy {
        understood_crit: &["exp2"],
        ..ANY
    };
    assert!(UnverifiedJws::decode(&crit, &understood).is_ok());
    let b64 = sign(json!({"crit": ["b64"], "b64": false}), None);
    assert!(UnverifiedJws::decode(&b64, &ANY).is_err());
    let registered = sign(json!({"crit": ["alg"]}), None);
    assert!(UnverifiedJws::decode(&registered, &understood).is_err());

    // jku / x5u are never followed: refused.
    for h in ["jku", "x5u"] {
        let t = sign(json!({ h: "https://attacker.example/keys" }), None);
        assert!(matches!(
            UnverifiedJws::decode(&t, &ANY),
            Err(JoseError::ForbiddenHeader(_))
        ));
    }

    // Algorithm not in the allow-list.
    let es256_only = HeaderPolicy {
        algorithms: AlgorithmSet::of(&[Algorithm::ES256]),
        ..ANY
    };
    assert!(matches!(
        UnverifiedJws::decode(&good, &es256_only),
        Err(JoseError::Algorithm(_))
    ));
}

fn forge(header: &str, payload: &str, sig: &[u8]) -> String {
    use crate::encoding::b64url;
    format!("{}.{}.{}", b64url(header), b64url(payload), b64url(sig))
}

#[test]
fn none_hmac_and_duplicates_are_refused() {
    let sk = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let pk = sk.public_key();
    for alg in ["none", "HS256", "RS256"] {
        let t = forge(&format!(r#"{{"alg":"{alg}"}}"#), r#"{"a":1}"#, b"sig");
        assert!(
            matches!(
                UnverifiedJws::decode(&t, &ANY),
                Err(JoseError::Algorithm(_))
            ),
            "{alg}"
        );
    }
    // Duplicate alg: one parser could read EdDSA and another none.
    let input = format!(
        "{}.{}",
        crate::encoding::b64url(r#"{"alg":"EdDSA","alg":"none"}"#),
        crate::encoding::b64url(r#"{"a":1}"#)
    );
    let t = format!(
        "{input}.{}",
        crate::encoding::b64url(sk.sign_bytes(input.as_bytes()))
    );
    assert!(matches!(
        UnverifiedJws::decode(&t, &ANY),
        Err(JoseError::Json(_))
    ));
    // Duplicate payload claims likewise.
    let input = format!(
        "{}.{}",
        crate::encoding::b64url(r#"{"alg":"EdDSA"}"#),
        crate::encoding::b64url(r#"{"sub":"a","sub":"b"}"#)
    );
    let t = format!(
        "{input}.{}",
        crate::encoding::b64url(sk.sign_bytes(input.as_bytes()))
    );
    assert!(matches!(
        UnverifiedJws::decode(&t, &ANY),
        Err(JoseError::Json(_))
    ));
    // Size cap.
    let small = HeaderPolicy {
        limits: JwsLimits {
            max_token_bytes: 64,
            ..JwsLimits::default()
        },
        ..ANY
    };
    let big = sign_compact(
        &sk,
        None,
        None,
        Map::new(),
        &obj(json!({"x": "y".repeat(100)})),
    )
    .expect("sign");
    assert!(matches!(
        UnverifiedJws::decode(&big, &small),
        Err(JoseError::TooLarge(_))
    ));
    assert!(
        UnverifiedJws::decode(&big, &ANY)
            .and_then(|j| j.verify(&pk))
            .is_ok()
    );
    // Malformed shapes never panic.
    for bad in [
        "", ".", "..", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.", "e30..AA",
    ] {
        assert!(UnverifiedJws::decode(bad, &ANY).is_err(), "{bad}");
    }
}

/// Tokens Stele signs verify with josekit, and josekit's verify with Stele.
#[test]
fn josekit_interop_both_ways() {
    use josekit::jws::{ES256, ES256K, EdDSA, JwsHeader};
    for kt in [KeyType::Ed25519, KeyType::P256, KeyType::Secp256k1] {
        let sk = SecretKey::generate(kt, &mut rand_core::OsRng);
        let private =
            josekit::jwk::Jwk::from_bytes(sk.to_private_jwk_json().as_bytes()).expect("jwk");
        let public = josekit::jwk::Jwk::from_bytes(sk.public_key().to_jwk().to_value().to_string())
            .expect("jwk");
        let payload = obj(json!({"iss": "did:example:1", "n": 42}));

        // Stele → josekit.
        let token =
            sign_compact(&sk, Some("vc+jwt"), Some("k1"), Map::new(), &payload).expect("sign");
        let (bytes, header) = match kt {
            KeyType::Ed25519 => josekit::jws::deserialize_compact(
                &token,
                &EdDSA.verifier_from_jwk(&public).expect("v"),
            ),
            KeyType::P256 => josekit::jws::deserialize_compact(
                &token,
                &ES256.verifier_from_jwk(&public).expect("v"),
            ),
            KeyType::Secp256k1 => josekit::jws::deserialize_compact(
                &token,
                &ES256K.verifier_from_jwk(&public).expect("v"),
            ),
        }
        .unwrap_or_else(|e| panic!("josekit refused Stele's {kt:?} token: {e}"));
        assert_eq!(header.token_type(), Some("vc+jwt"));
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).expect("json"),
            Value::Object(payload.clone())
        );

        // josekit → Stele.
        let mut h = JwsHeader::new();
        h.set_token_type("vc+jwt");
        let body = Value::Object(payload.clone()).to_string();
        let theirs = match kt {
            KeyType::Ed25519 => josekit::jws::serialize_compact(
                body.as_bytes(),
                &h,
                &EdDSA.signer_from_jwk(&private).expect("s"),
            ),
            KeyType::P256 => josekit::jws::serialize_compact(
                body.as_bytes(),
                &h,
                &ES256.signer_from_jwk(&private).expect("s"),
            ),
            KeyType::Secp256k1 => josekit::jws::serialize_compact(
                body.as_bytes(),
                &h,
                &ES256K.signer_from_jwk(&private).expect("s"),
            ),
        }
        .expect("josekit signs");
        let policy = HeaderPolicy {
            typ: &[Some(typ::VC_JWT)],
            ..ANY
        };
        let ours = UnverifiedJws::decode(&theirs, &policy);
        let result = ours.and_then(|j| j.verify(&sk.public_key()));
        if kt == KeyType::Secp256k1 {
            // josekit (OpenSSL) does not normalise s: a high-S signature is
            // refused by Stele's low-S rule, anything else must verify.
            if let Err(e) = &result {
                assert!(
                    matches!(
                        e,
                        JoseError::Signature(crate::key::SignatureError::Malformed)
                    ),
                    "{e}"
                );
                continue;
            }
        }
        let verified =
            result.unwrap_or_else(|e| panic!("Stele refused josekit's {kt:?} token: {e}"));
        assert_eq!(verified.payload, payload);
    }
}

#[test]
fn external_signer_returning_garbage_is_caught() {
    struct Broken(SecretKey);
    impl crate::key::Signer for Broken {
        fn algorithm(&self) -> Algorithm {
            Algorithm::EdDSA
        }
        fn public_key(&self) -> PublicKey {
            self.0.public_key()
        }
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, crate::key::SignError> {
            Ok(vec![0; 64])
        }
    }
    let b = Broken(SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng));
    assert!(matches!(
        sign_compact(&b, None, None, Map::new(), &Map::new()),
        Err(JoseError::Sign(crate::key::SignError::BadSignature))
    ));
}
