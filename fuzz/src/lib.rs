//! The bodies of Stele's fuzz targets, one `pub fn <target>(data: &[u8])`
//! per parser family.
//!
//! The property under test is the same for every target: no input makes the
//! parser panic (or overflow its stack, or abort). The libFuzzer binaries in
//! `fuzz/fuzz_targets/` call these functions, and `core/tests/fuzz_corpus.rs`
//! includes this very file (`#[path]`) to replay the committed corpora in the
//! ordinary `cargo test`, on the stable toolchain. So this file uses only
//! `std` and `stele_core::…` paths, and no libFuzzer API.

use std::sync::OnceLock;

use stele_core::alg::AlgorithmSet;
use stele_core::credential::jwt::credential_from_payload;
use stele_core::credential::model::Credential;
use stele_core::credential::schema::builtin_types;
use stele_core::di::{ProofCheck, UnverifiedSecuredDocument, context, jcs};
use stele_core::did::key::{DidKeyResolver, public_key_from_did_key};
use stele_core::did::{Did, DidDocument, DidUrl, Relationship};
use stele_core::jose::{
    HeaderPolicy, JwsLimits, UnverifiedJws, sign_compact, typ, verify_compact_bytes,
};
use stele_core::json::{self, JsonLimits};
use stele_core::key::{Jwk, KeyType, PublicKey, SecretKey, ecdsa_der_to_p1363};
use stele_core::sdjwt::holder::HeldSdJwt;
use stele_core::sdjwt::verifier::{KeyBindingCheck, UnverifiedSdJwt};
use stele_core::sdjwt::{Disclosure, SdJwtLimits};
use stele_core::status::{DecodeLimits, StatusEntry, StatusList, entries_from_status_claim};
use stele_core::time::Timestamp;

/// A target body: takes one input, must not panic on any.
pub type Target = fn(&[u8]);

/// Every target, by name, as `(name, body)`: the corpus directory
/// `fuzz/corpus/<name>/` belongs to the target of the same name.
pub const TARGETS: &[(&str, Target)] = &[
    ("json", json),
    ("jws", jws),
    ("sdjwt", sdjwt),
    ("disclosure", disclosure),
    ("did", did),
    ("did_document", did_document),
    ("jwk", jwk),
    ("key_bytes", key_bytes),
    ("credential", credential),
    ("timestamp", timestamp),
    ("status", status),
    ("qr", qr),
    ("data_integrity", data_integrity),
];

const KEY_TYPES: [KeyType; 3] = [KeyType::Ed25519, KeyType::P256, KeyType::Secp256k1];

/// A header policy that accepts every algorithm and any `typ`, so the
/// fuzzer reaches the payload.
fn open_policy() -> HeaderPolicy<'static> {
    HeaderPolicy {
        algorithms: AlgorithmSet::ALL,
        typ: &[],
        understood_crit: &[],
        limits: JwsLimits::default(),
    }
}

/// A strict policy as a verifier of VC-JOSE credentials uses it.
fn strict_policy() -> HeaderPolicy<'static> {
    HeaderPolicy {
        algorithms: AlgorithmSet::ALL,
        typ: &[
            Some(typ::VC_JWT),
            Some(typ::DC_SD_JWT),
            Some(typ::KB_JWT),
            None,
        ],
        understood_crit: &["b64"],
        limits: JwsLimits::default(),
    }
}

/// One fixed key pair of each type (deterministic, so crashes reproduce).
fn fixed_keys() -> &'static [SecretKey] {
    static KEYS: OnceLock<Vec<SecretKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        KEY_TYPES
            .iter()
            .filter_map(|&kt| SecretKey::from_bytes(kt, &[7u8; 32]).ok())
            .collect()
    })
}

fn utf8(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `stele_core::json::parse` and `parse_object` under the default limits.
pub fn json(data: &[u8]) {
    let _ = json::parse(data, JsonLimits::DEFAULT);
    let _ = json::parse_object(
        data,
        JsonLimits {
            max_bytes: 4096,
            max_depth: 4,
        },
    );
}

/// Compact JWS decoding under an open and a strict header policy, and
/// signature checks (against fixed keys) of whatever decodes.
pub fn jws(data: &[u8]) {
    let Some(token) = utf8(data) else { return };
    let _ = UnverifiedJws::decode(token, &strict_policy());
    if let Ok(jws) = UnverifiedJws::decode(token, &open_policy()) {
        let _ = jws.header();
        let _ = jws.unverified_payload();
        for sk in fixed_keys() {
            let _ = jws.clone().verify(&sk.public_key());
        }
    }
    if let Some(sk) = fixed_keys().first() {
        let _ = verify_compact_bytes(token, &open_policy(), &sk.public_key());
    }
}

/// SD-JWT decoding (verifier and holder side). When the issuer JWT decodes,
/// its payload is re-signed with a fixed key so that disclosure processing
/// and key binding, which come after the signature check, are fuzzed too.
pub fn sdjwt(data: &[u8]) {
    let Some(input) = utf8(data) else { return };
    if let Ok(held) = HeldSdJwt::parse(input) {
        let _ = held.disclosable_paths();
        let _ = held.payload();
    }
    let Ok(decoded) = UnverifiedSdJwt::decode(input, &open_policy(), SdJwtLimits::default()) else {
        return;
    };
    let _ = decoded.has_key_binding();
    let Some(issuer) = fixed_keys().first() else {
        return;
    };
    let payload = decoded.issuer_jws().unverified_payload().clone();
    let Ok(resigned) = sign_compact(
        issuer,
        Some(typ::DC_SD_JWT),
        None,
        Default::default(),
        &payload,
    ) else {
        return;
    };
    let Some((_, rest)) = input.split_once('~') else {
        return;
    };
    let token = format!("{resigned}~{rest}");
    let Ok(decoded) = UnverifiedSdJwt::decode(&token, &open_policy(), SdJwtLimits::default())
    else {
        return;
    };
    let Ok(verified) = decoded.verify_issuer(&issuer.public_key()) else {
        return;
    };
    let _ = verified.claims();
    let kb = KeyBindingCheck {
        required: false,
        audience: Some("https://verifier.example"),
        nonce: Some("n-0S6_WzA2Mj"),
        now: Timestamp::from_unix(1_767_225_600),
        max_age_secs: 300,
        max_skew_secs: 60,
    };
    let kb_policy = HeaderPolicy {
        typ: &[Some(typ::KB_JWT)],
        ..open_policy()
    };
    let _ = verified.bind(&kb_policy, &kb);
}

/// One encoded disclosure.
pub fn disclosure(data: &[u8]) {
    let Some(s) = utf8(data) else { return };
    let _ = Disclosure::parse(s, JsonLimits::DEFAULT);
}

/// DIDs and DID URLs, and did:key decoding and resolution.
pub fn did(data: &[u8]) {
    let Some(s) = utf8(data) else { return };
    if let Ok(url) = DidUrl::parse(s) {
        let _ = url.to_url_string();
    }
    let Ok(did) = Did::parse(s) else { return };
    let _ = (did.method(), did.method_specific_id());
    let _ = public_key_from_did_key(&did);
    for derive_x25519 in [true, false] {
        let _ = DidKeyResolver { derive_x25519 }.document(&did);
    }
}

/// DID documents, their relationships and the keys of their methods.
pub fn did_document(data: &[u8]) {
    let Ok(doc) = DidDocument::from_json(data, JsonLimits::DEFAULT) else {
        return;
    };
    for vm in &doc.verification_method {
        let _ = vm.public_key();
    }
    for rel in Relationship::ALL {
        let _ = doc.method_ids(rel);
        for vm in doc.methods_for(rel) {
            let _ = vm.public_key();
            let _ = doc.find_method(&vm.id, rel);
        }
    }
    let _ = doc.find_method("#key-1", Relationship::AssertionMethod);
}

/// Public and private JWKs.
pub fn jwk(data: &[u8]) {
    if let Ok(jwk) = Jwk::from_json(data)
        && let Ok(key) = PublicKey::from_jwk(&jwk)
    {
        let _ = key.thumbprint();
    }
    if let Some(s) = utf8(data) {
        let _ = SecretKey::from_private_jwk_json(s);
    }
}

/// Raw key bytes and DER signatures; the first byte picks the key type.
pub fn key_bytes(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kt = KEY_TYPES[usize::from(selector) % KEY_TYPES.len()];
    if let Ok(key) = PublicKey::from_bytes(kt, bytes) {
        let _ = key.to_uncompressed_point();
        let _ = key.to_bytes();
    }
    let _ = SecretKey::from_bytes(kt, bytes);
    let _ = ecdsa_der_to_p1363(kt, bytes);
}

/// A credential document: strict JSON, the data model checks (as a VC-JOSE
/// payload and as a JWT-VC), and every built-in type's schema.
pub fn credential(data: &[u8]) {
    let Ok(value) = json::parse(data, JsonLimits::DEFAULT) else {
        return;
    };
    for ty in builtin_types() {
        let _ = ty.schema.validate(&value);
    }
    let Some(document) = value.as_object() else {
        return;
    };
    let _ = credential_from_payload(document.clone());
    let Ok(cred) = Credential::from_document(document.clone()) else {
        return;
    };
    let _ = cred.specific_type();
    // `credentialSubject`, an array of one read as that one, as the model does.
    let subject = value
        .get("credentialSubject")
        .map(|s| s.get(0).unwrap_or(s));
    for ty in builtin_types() {
        if let Some(subject) = subject {
            let _ = ty.schema.validate(subject);
        }
    }
}

/// RFC 3339 timestamps; what formats back must parse to the same instant.
pub fn timestamp(data: &[u8]) {
    let Some(s) = utf8(data) else { return };
    let Ok(t) = Timestamp::parse_rfc3339(s) else {
        return;
    };
    if let Ok(back) = Timestamp::parse_rfc3339(&t.to_rfc3339()) {
        assert_eq!(back, t, "RFC 3339 round trip of {s:?}");
    }
}

/// Bitstring Status List: `StatusList::decode_with_limits` on the input as
/// `encodedList` text and on the input as GZIP bytes (so the fuzzer reaches
/// the inflater without having to learn base64url), and
/// `status::entries_from_status_claim` / `StatusEntry::from_value` on the
/// input as JSON; entries that parse are looked up in the decoded list.
pub fn status(data: &[u8]) {
    let limits = DecodeLimits {
        max_encoded_bytes: 1 << 20,
        max_decompressed_bytes: 1 << 20,
    };
    let mut list = utf8(data).and_then(|s| StatusList::decode_with_limits(s, limits).ok());
    let as_gzip = format!("u{}", stele_core::encoding::b64url(data));
    if let Ok(l) = StatusList::decode_with_limits(&as_gzip, limits) {
        list = Some(l);
    }
    let Ok(value) = json::parse(data, JsonLimits::DEFAULT) else {
        return;
    };
    let _ = StatusEntry::from_value(&value);
    let fallback = StatusList::with_min_len();
    let list = list.as_ref().unwrap_or(&fallback);
    if let Ok(entries) = entries_from_status_claim(&value) {
        for entry in &entries {
            let _ = list.status_of(entry);
            let _ = StatusEntry::from_value(&entry.to_value());
        }
    }
}

/// QR payloads (`SP`/`SC` prefixes, base45, deflate with and without the
/// dictionary), presentation unpacking and the counter challenge.
pub fn qr(data: &[u8]) {
    use stele_core::qr::{Challenge, PayloadLimits, decode, unpack_presentation};
    use stele_core::time::Timestamp;
    let limits = PayloadLimits::DEFAULT;
    if let Some(text) = utf8(data) {
        if let Ok((_, bytes)) = decode(text, limits) {
            let _ = unpack_presentation(&bytes);
        }
        let _ = Challenge::from_qr_payload(text, Timestamp::from_unix(0));
    }
    // The packed form directly, and as the body of a presentation payload.
    if let Ok(text) = unpack_presentation(data) {
        let _ = stele_core::qr::pack_presentation(&text);
    }
}

/// Data Integrity: RFC 8785 canonicalisation of any JSON value, which must be
/// idempotent (the canonical form of the parsed canonical form is itself);
/// the `@context` allow-list; the proof model; eddsa-jcs-2022 verification of
/// every proof against a fixed Ed25519 key (transformation, proof
/// configuration, chains), as a credential and as a presentation.
pub fn data_integrity(data: &[u8]) {
    let Ok(value) = json::parse(data, JsonLimits::DEFAULT) else {
        return;
    };
    if let Ok(canonical) = jcs::canonicalize(&value) {
        let limits = JsonLimits {
            max_bytes: canonical.len(),
            max_depth: JsonLimits::DEFAULT.max_depth,
        };
        let again = json::parse(canonical.as_bytes(), limits)
            .ok()
            .and_then(|v| jcs::canonicalize(&v).ok());
        assert_eq!(
            again.as_deref(),
            Some(canonical.as_str()),
            "JCS is not idempotent"
        );
    }
    let Some(document) = value.as_object() else {
        return;
    };
    let _ = context::check_contexts(document);
    let Ok(secured) = UnverifiedSecuredDocument::from_document(document.clone()) else {
        return;
    };
    let Some(key) = fixed_keys().first().map(SecretKey::public_key) else {
        return;
    };
    for proof in secured.proofs() {
        let _ = proof.relationship();
    }
    let keys = vec![key; secured.proofs().len()];
    for purpose in [Relationship::AssertionMethod, Relationship::Authentication] {
        let check = ProofCheck {
            now: Timestamp::from_unix(1_790_000_000),
            clock_skew_secs: 60,
            purpose,
            challenge: Some("n-1"),
            domain: Some("counter-1"),
        };
        let _ = secured.clone().verify(&keys, &check);
    }
}
