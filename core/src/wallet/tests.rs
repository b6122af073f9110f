//! Wallet tests: storage conformance, encryption failures, receive, show,
//! present (checked by core's verifier), activity log, backup and restore,
//! the schema-version fixture.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::*;
use crate::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use crate::did::key::DidKeyResolver;
use crate::verify::{HolderBinding, HolderBindingStatus, TrustList};

const ISSUED: i64 = 1_790_000_000; // 2026-09-21
const NOW: i64 = ISSUED + 86_400;
const UNTIL: i64 = ISSUED + 365 * 86_400;
const PASS: &str = "correct horse battery staple";
const FIXTURE_V1: &str = include_str!("../../tests/fixtures/wallet-v1.json");
const FIXTURE_PASSPHRASE: &str = "stele fixture v1";

fn now() -> Timestamp {
    Timestamp::from_unix(NOW)
}

fn wrap(pass: &str) -> PassphraseKeyWrap {
    PassphraseKeyWrap::with_params(pass, Argon2Params::INSECURE_FOR_TESTS)
}

fn permit_claims() -> Map<String, Value> {
    match json!({
        "given_name": "Amira", "family_name": "Haddad", "birth_date": "1990-04-12",
        "nationality": "SYR", "document_number": "RP-2026-000123",
        "permit_type": "temporary", "valid_from": "2026-09-21", "valid_until": "2027-09-20",
        "issuing_authority": "Landesamt für Einwanderung Berlin", "issuing_country": "DEU",
        "address": {"street_address": "Hauptstr. 1", "locality": "Berlin", "postal_code": "10115", "country": "DEU"},
        "access_to_labour_market": true
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

struct Agency {
    key: SecretKey,
}

impl Agency {
    fn new() -> Self {
        Agency {
            key: SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng),
        }
    }

    fn did(&self) -> String {
        did_key_from_public(&self.key.public_key())
            .as_str()
            .to_owned()
    }

    fn issue_to(&self, holder_did: &str, format: CredentialFormat) -> String {
        Issuer::with_did_key(&self.key)
            .issue(
                &IssueRequest {
                    credential_type: "ResidencePermitCredential",
                    claims: permit_claims(),
                    holder: Some(Did::parse(holder_did).expect("holder did")),
                    valid_from: None,
                    valid_until: Some(Timestamp::from_unix(UNTIL)),
                    format,
                    status: None,
                },
                Timestamp::from_unix(ISSUED),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    }

    fn trust(&self) -> TrustList {
        TrustList::empty().with(&self.did(), Some(&["ResidencePermitCredential"]))
    }
}

fn verifier() -> Verifier {
    Verifier::new(Arc::new(DidKeyResolver::default()))
}

fn new_wallet() -> (Arc<MemoryStore>, Wallet) {
    let store = Arc::new(MemoryStore::new());
    let w = Wallet::create(store.clone(), &wrap(PASS), now()).expect("create");
    (store, w)
}

/// A wallet with one P-256 software key and one received SD-JWT permit.
fn wallet_with_permit() -> (Arc<MemoryStore>, Wallet, Agency, CredentialId) {
    let (store, w) = new_wallet();
    let key = w.create_holder_key(KeyType::P256, now()).expect("key");
    let agency = Agency::new();
    let sd = agency.issue_to(&key.did, CredentialFormat::SdJwt);
    let id = w
        .receive(&sd, &verifier(), &agency.trust(), now())
        .expect("receive");
    (store, w, agency, id)
}

/// Verifies a presentation as the counter would.
fn verify_at_counter(p: &str, trust: &TrustList, aud: &str, nonce: &str) -> crate::verify::Verdict {
    let options = VerifyOptions {
        holder_binding: HolderBinding {
            required: true,
            audience: Some(aud),
            nonce: Some(nonce),
            max_age_secs: 300,
        },
        ..VerifyOptions::new(now(), trust)
    };
    verifier().verify(p, &options).expect("could check")
}

// ---- storage conformance ---------------------------------------------------

/// The conformance suite every [`RecordStore`] runs.
fn store_conformance(s: &dyn RecordStore) {
    assert_eq!(s.get("t", "a").unwrap(), None);
    assert!(s.list_keys("t").unwrap().is_empty());
    s.put("t", "b", b"2").unwrap();
    s.put("t", "a", b"1").unwrap();
    s.put("u", "a", b"other table").unwrap();
    assert_eq!(s.get("t", "a").unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(s.list_keys("t").unwrap(), vec!["a", "b"]);
    s.put("t", "a", b"replaced").unwrap();
    assert_eq!(s.get("t", "a").unwrap().as_deref(), Some(&b"replaced"[..]));
    s.delete("t", "a").unwrap();
    s.delete("t", "never-there").unwrap();
    assert_eq!(s.get("t", "a").unwrap(), None);
    s.write_batch(vec![
        BatchOp::Put {
            table: "v".into(),
            key: "x".into(),
            value: b"x".to_vec(),
        },
        BatchOp::Delete {
            table: "t".into(),
            key: "b".into(),
        },
        BatchOp::Put {
            table: "v".into(),
            key: "y".into(),
            value: Vec::new(),
        },
    ])
    .unwrap();
    assert_eq!(s.list_keys("v").unwrap(), vec!["x", "y"]);
    assert_eq!(s.get("v", "y").unwrap().as_deref(), Some(&b""[..]));
    assert!(s.list_keys("t").unwrap().is_empty());
    assert_eq!(s.list_keys("u").unwrap(), vec!["a"]);
}

#[test]
fn memory_store_conformance() {
    store_conformance(&MemoryStore::new());
    let s = MemoryStore::new();
    s.put("t", "k", b"\x00\xff").unwrap();
    let back = MemoryStore::from_json(&s.to_json()).unwrap();
    assert_eq!(
        back.get("t", "k").unwrap().as_deref(),
        Some(&b"\x00\xff"[..])
    );
    assert!(MemoryStore::from_json("[1]").is_err());
    assert!(MemoryStore::from_json(r#"{"t":{"k":"!!"}}"#).is_err());
}

// ---- opening and encryption ---------------------------------------------

#[test]
fn create_open_and_wrong_passphrase() {
    let (store, w) = new_wallet();
    let key = w.create_holder_key(KeyType::Ed25519, now()).unwrap();
    assert!(key.did.starts_with("did:key:z6Mk"));
    drop(w);
    assert_eq!(
        Wallet::create(store.clone(), &wrap(PASS), now()).unwrap_err(),
        WalletError::AlreadyInitialised
    );
    let w = Wallet::open(store.clone(), &wrap(PASS)).unwrap();
    assert_eq!(w.holder_dids().unwrap(), vec![key.did]);
    assert_eq!(
        Wallet::open(store.clone(), &wrap("wrong")).unwrap_err(),
        WalletError::WrongKey
    );
    let empty: Arc<dyn RecordStore> = Arc::new(MemoryStore::new());
    assert_eq!(
        Wallet::open(empty, &wrap(PASS)).unwrap_err(),
        WalletError::NotInitialised
    );
}

#[test]
fn nothing_readable_in_the_store() {
    let (store, _w, _agency, _id) = wallet_with_permit();
    let dump = store.to_json();
    for secret_ish in ["Amira", "Haddad", "1990-04-12", "RP-2026", "Berlin", PASS] {
        assert!(!dump.contains(secret_ish), "{secret_ish} in the store");
    }
    // Nor in base64url: every value is ciphertext, so decode and look again.
    let parsed: Value = serde_json::from_str(&dump).unwrap();
    for (table, records) in parsed.as_object().unwrap() {
        for (_, v) in records.as_object().unwrap() {
            let bytes = b64url_decode(v.as_str().unwrap()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("Amira"), "plaintext in {table}");
        }
    }
}

#[test]
fn a_bit_flip_fails_closed() {
    let (store, w, _agency, id) = wallet_with_permit();
    let mut stored = store.get(T_CREDENTIALS, &id).unwrap().unwrap();
    let i = stored.len() / 2;
    stored[i] ^= 0x01;
    store.put(T_CREDENTIALS, &id, &stored).unwrap();
    assert!(matches!(
        w.show(&id, "en"),
        Err(WalletError::StorageCorrupt(_))
    ));
    assert!(matches!(w.list(), Err(WalletError::StorageCorrupt(_))));
    assert!(matches!(
        w.present(&id, "aud", "nonce", &[], now()),
        Err(WalletError::StorageCorrupt(_))
    ));
    assert!(matches!(
        w.backup_with_params("b", Argon2Params::INSECURE_FOR_TESTS),
        Err(WalletError::StorageCorrupt(_))
    ));
    // A truncated record and an unknown record version fail the same way.
    store.put(T_CREDENTIALS, &id, &[1, 2, 3]).unwrap();
    assert!(matches!(
        w.show(&id, "en"),
        Err(WalletError::StorageCorrupt(_))
    ));
    stored[0] = 9;
    store.put(T_CREDENTIALS, &id, &stored).unwrap();
    assert!(matches!(
        w.show(&id, "en"),
        Err(WalletError::StorageCorrupt(_))
    ));
}

#[test]
fn a_bit_flip_in_the_meta_record_or_header_fails_closed() {
    let (store, w) = new_wallet();
    drop(w);
    let mut meta = store.get(T_META, META_KEY).unwrap().unwrap();
    let last = meta.len() - 1;
    meta[last] ^= 0x80;
    store.put(T_META, META_KEY, &meta).unwrap();
    assert!(matches!(
        Wallet::open(store.clone(), &wrap(PASS)),
        Err(WalletError::StorageCorrupt(_))
    ));
    let (store, w) = new_wallet();
    drop(w);
    store.put(T_HEADER, HEADER_KEY, b"stele-wallet").unwrap();
    assert!(matches!(
        Wallet::open(store.clone(), &wrap(PASS)),
        Err(WalletError::StorageCorrupt(_))
    ));
}

#[test]
fn swapped_records_are_caught_by_the_associated_data() {
    let (store, w) = new_wallet();
    let a = w.create_holder_key(KeyType::Ed25519, now()).unwrap();
    let b = w.create_holder_key(KeyType::P256, now()).unwrap();
    // Swap the two secret keys: each ciphertext is intact, but bound to its own key id.
    let sa = store.get(T_SECRETS, &a.id).unwrap().unwrap();
    let sb = store.get(T_SECRETS, &b.id).unwrap().unwrap();
    store.put(T_SECRETS, &a.id, &sb).unwrap();
    store.put(T_SECRETS, &b.id, &sa).unwrap();
    assert!(matches!(
        w.signer(&a.id),
        Err(WalletError::StorageCorrupt(_))
    ));
    // Moving a record to another table is caught too.
    let ka = store.get(T_KEYS, &a.id).unwrap().unwrap();
    store.put(T_CREDENTIALS, &a.id, &ka).unwrap();
    assert!(matches!(w.list(), Err(WalletError::StorageCorrupt(_))));
}

#[test]
fn newer_schema_is_refused() {
    let (store, w) = new_wallet();
    let op = w
        .sealed_json(
            T_META,
            META_KEY,
            &MetaRecord {
                schema_version: SCHEMA_VERSION + 1,
                created: NOW,
            },
        )
        .unwrap();
    store.write_batch(vec![op]).unwrap();
    assert_eq!(
        Wallet::open(store, &wrap(PASS)).unwrap_err(),
        WalletError::UnsupportedVersion(SCHEMA_VERSION + 1)
    );
}

#[test]
fn secrets_stay_out_of_debug() {
    let kw = PassphraseKeyWrap::new("hunter2-passphrase");
    assert!(!format!("{kw:?}").contains("hunter2"));
    let (_store, w, _agency, _id) = wallet_with_permit();
    let debug = format!("{w:?}");
    assert!(
        !debug.contains("key") || debug == "Wallet { .. }",
        "{debug}"
    );
}

#[test]
fn passphrase_key_wrap_round_trip_and_tamper() {
    let kw = wrap("p");
    let wrapped = kw.wrap(&[7u8; 32]).unwrap();
    assert_eq!(kw.unwrap(&wrapped).unwrap().as_slice(), &[7u8; 32]);
    assert_eq!(
        wrap("q").unwrap(&wrapped).unwrap_err(),
        WalletError::WrongKey
    );
    let mut bad = wrapped.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(kw.unwrap(&bad).unwrap_err(), WalletError::WrongKey);
    // Lowering the stored Argon2 cost changes the associated data.
    let mut cheaper = wrapped.clone();
    cheaper[b"stele-pkw1".len() + 7] ^= 1;
    assert!(kw.unwrap(&cheaper).is_err());
    // A header asking for absurd memory is refused before any work.
    let mut huge = wrapped;
    huge[b"stele-pkw1".len()] = 0xff;
    assert!(matches!(
        kw.unwrap(&huge),
        Err(WalletError::StorageCorrupt(_))
    ));
    assert!(matches!(
        kw.unwrap(b"short"),
        Err(WalletError::StorageCorrupt(_))
    ));
}

// ---- receive ---------------------------------------------------------------

#[test]
fn receive_list_show_delete() {
    let (_store, w, agency, id) = wallet_with_permit();
    let list = w.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].issuer, agency.did());
    assert_eq!(list[0].types, vec!["ResidencePermitCredential"]);
    assert_eq!(list[0].valid_until, Some(Timestamp::from_unix(UNTIL)));
    assert_eq!(list[0].added, now());

    let de = w.show(&id, "de").unwrap();
    assert_eq!(de.summary, list[0]);
    assert_eq!(de.format, Format::DcSdJwt);
    let given = de.claims.iter().find(|c| c.name == "given_name").unwrap();
    assert_eq!(given.display_name, "Vornamen");
    assert_eq!(given.value, "Amira");
    assert!(given.selectively_disclosable);
    let en = w.show(&id, "en").unwrap();
    let given = en.claims.iter().find(|c| c.name == "given_name").unwrap();
    assert_eq!(given.display_name, "Given names");
    let permit_type = en.claims.iter().find(|c| c.name == "permit_type").unwrap();
    assert!(!permit_type.selectively_disclosable);
    assert!(en.disclosable_paths.iter().any(|p| p == "birth_date"));
    assert!(!en.claims.iter().any(|c| c.name == "id"));

    // The same credential twice is one credential.
    let again = agency.issue_to(&w.holder_dids().unwrap()[0], CredentialFormat::SdJwt);
    let id2 = w
        .receive(&again, &verifier(), &agency.trust(), now())
        .unwrap();
    assert_ne!(id, id2);
    assert_eq!(w.list().unwrap().len(), 2);

    w.delete(&id).unwrap();
    assert_eq!(w.list().unwrap().len(), 1);
    assert_eq!(
        w.show(&id, "en").unwrap_err(),
        WalletError::NotFound(id.clone())
    );
    assert_eq!(w.delete(&id).unwrap_err(), WalletError::NotFound(id));
}

#[test]
fn receive_vc_jwt_bound_by_subject_id() {
    let (_store, w) = new_wallet();
    let key = w.create_holder_key(KeyType::Ed25519, now()).unwrap();
    let agency = Agency::new();
    let jwt = agency.issue_to(&key.did, CredentialFormat::Jwt);
    let id = w
        .receive(&jwt, &verifier(), &agency.trust(), now())
        .unwrap();
    assert_eq!(
        w.receive(&jwt, &verifier(), &agency.trust(), now())
            .unwrap(),
        id
    );
    let details = w.show(&id, "en").unwrap();
    assert_eq!(details.format, Format::VcJwt);
    assert!(details.disclosable_paths.is_empty());
    assert_eq!(
        w.present(&id, "aud", "n", &[], now()).unwrap_err(),
        WalletError::NotPresentable
    );
}

fn assert_rejected(w: &Wallet, input: &str, trust: &TrustList, expected: ReasonCode) {
    match w.receive(input, &verifier(), trust, now()) {
        Err(WalletError::Rejected { reasons }) => {
            assert!(reasons.contains(&expected), "{reasons:?}");
        }
        other => panic!("expected rejection {expected:?}, got {other:?}"),
    }
    assert!(w.list().unwrap().is_empty(), "nothing stored");
}

#[test]
fn receive_rejects_and_stores_nothing() {
    let (_store, w) = new_wallet();
    w.create_holder_key(KeyType::P256, now()).unwrap();
    let agency = Agency::new();
    let trust = agency.trust();

    // Bound to someone else's key.
    let other = SecretKey::generate(KeyType::P256, &mut rand_core::OsRng);
    let other_did = did_key_from_public(&other.public_key());
    for format in [CredentialFormat::SdJwt, CredentialFormat::Jwt] {
        let elsewhere = agency.issue_to(other_did.as_str(), format);
        assert_rejected(&w, &elsewhere, &trust, ReasonCode::HolderBinding);
    }

    let mine = agency.issue_to(&w.holder_dids().unwrap()[0], CredentialFormat::SdJwt);
    // Untrusted issuer.
    assert_rejected(&w, &mine, &TrustList::empty(), ReasonCode::UntrustedIssuer);
    // Tampered signature.
    let (jws, rest) = mine.split_once('~').unwrap();
    let mut sig: Vec<char> = jws.chars().collect();
    let i = sig.len() - 5;
    sig[i] = if sig[i] == 'A' { 'B' } else { 'A' };
    let tampered = format!("{}~{rest}", sig.into_iter().collect::<String>());
    assert_rejected(&w, &tampered, &trust, ReasonCode::BadSignature);
    // A disclosure that the issuer did not sign.
    let forged = format!("{mine}WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkV2ZSJd~");
    assert_rejected(&w, &forged, &trust, ReasonCode::DisclosureError);
    // Expired at receipt.
    let later = Timestamp::from_unix(UNTIL + 86_400);
    assert!(matches!(
        w.receive(&mine, &verifier(), &trust, later),
        Err(WalletError::Rejected { reasons }) if reasons.contains(&ReasonCode::Expired)
    ));
    // Not a credential at all.
    assert_rejected(&w, "hello", &trust, ReasonCode::Malformed);
    assert!(w.list().unwrap().is_empty());
}

// ---- present -----------------------------------------------------------------

#[test]
fn present_verifies_at_the_counter_and_is_logged() {
    let (_store, w, agency, id) = wallet_with_permit();
    let p = w
        .present(
            &id,
            "counter-7",
            "nonce-123",
            &["given_name", "family_name"],
            now(),
        )
        .unwrap();
    let verdict = verify_at_counter(&p, &agency.trust(), "counter-7", "nonce-123");
    assert!(verdict.verified, "{:?}", verdict.reasons);
    assert_eq!(verdict.holder_binding, HolderBindingStatus::Verified);
    assert_eq!(verdict.claims["given_name"], "Amira");
    for hidden in ["birth_date", "address", "document_number", "nationality"] {
        assert!(!verdict.claims.contains_key(hidden), "{hidden}");
    }
    // Another counter's challenge does not accept it.
    let other = verify_at_counter(&p, &agency.trust(), "counter-8", "nonce-123");
    assert!(other.has_reason(ReasonCode::WrongAudience));
    let other = verify_at_counter(&p, &agency.trust(), "counter-7", "nonce-999");
    assert!(other.has_reason(ReasonCode::WrongNonce));

    let log = w.activity_log().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0],
        ActivityEntry {
            at: now(),
            audience: "counter-7".into(),
            credential_id: id.clone(),
            credential_type: "ResidencePermitCredential".into(),
            disclosed: vec!["family_name".into(), "given_name".into()],
        }
    );
    assert_eq!(
        w.present(&id, "c", "n", &["no_such_claim"], now())
            .unwrap_err(),
        WalletError::UnknownClaim("no_such_claim".into())
    );
    assert_eq!(
        w.activity_log().unwrap().len(),
        1,
        "a failed presentation is not logged"
    );
    w.present(&id, "counter-8", "n2", &["birth_date"], now().plus(1))
        .unwrap();
    let log = w.activity_log().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].audience, "counter-8");
    assert_eq!(
        w.present("nope", "c", "n", &[], now()).unwrap_err(),
        WalletError::NotFound("nope".into())
    );
}

#[test]
fn hardware_keys_sign_without_entering_the_store() {
    let (store, w) = new_wallet();
    // Stands in for the Secure Enclave: a signer the wallet cannot export.
    let enclave: Arc<SecretKey> =
        Arc::new(SecretKey::generate(KeyType::P256, &mut rand_core::OsRng));
    let hk = w
        .add_hardware_key("se-key-1", enclave.clone(), now())
        .unwrap();
    assert_eq!(hk.hardware_alias.as_deref(), Some("se-key-1"));
    assert!(hk.available);
    assert!(
        store.list_keys(T_SECRETS).unwrap().is_empty(),
        "no secret stored"
    );
    assert_eq!(
        w.add_hardware_key("se-key-1", enclave.clone(), now())
            .unwrap_err(),
        WalletError::KeyMismatch("se-key-1".into())
    );
    let k1 = SecretKey::generate(KeyType::Secp256k1, &mut rand_core::OsRng);
    assert_eq!(
        w.add_hardware_key("k1", Arc::new(k1), now()).unwrap_err(),
        WalletError::UnsupportedKeyType(KeyType::Secp256k1)
    );
    assert_eq!(
        w.create_holder_key(KeyType::Secp256k1, now()).unwrap_err(),
        WalletError::UnsupportedKeyType(KeyType::Secp256k1)
    );

    let agency = Agency::new();
    let sd = agency.issue_to(&hk.did, CredentialFormat::SdJwt);
    let id = w.receive(&sd, &verifier(), &agency.trust(), now()).unwrap();
    let p = w.present(&id, "aud", "n", &["given_name"], now()).unwrap();
    assert!(verify_at_counter(&p, &agency.trust(), "aud", "n").verified);
    drop(w);

    let w = Wallet::open(store, &wrap(PASS)).unwrap();
    assert!(!w.holder_keys().unwrap()[0].available);
    assert_eq!(
        w.present(&id, "aud", "n", &[], now()).unwrap_err(),
        WalletError::HardwareKeyUnavailable("se-key-1".into())
    );
    let impostor = Arc::new(SecretKey::generate(KeyType::P256, &mut rand_core::OsRng));
    assert_eq!(
        w.bind_hardware_key("se-key-1", impostor).unwrap_err(),
        WalletError::KeyMismatch("se-key-1".into())
    );
    assert_eq!(
        w.bind_hardware_key("unknown", enclave.clone()).unwrap_err(),
        WalletError::NotFound("unknown".into())
    );
    w.bind_hardware_key("se-key-1", enclave).unwrap();
    let p = w.present(&id, "aud", "n2", &[], now()).unwrap();
    assert!(verify_at_counter(&p, &agency.trust(), "aud", "n2").verified);
}

// ---- backup -------------------------------------------------------------------

#[test]
fn backup_restores_everything_on_a_new_device() {
    let (_store, w, agency, id) = wallet_with_permit();
    let enclave = Arc::new(SecretKey::generate(KeyType::P256, &mut rand_core::OsRng));
    w.add_hardware_key("se-key", enclave, now()).unwrap();
    w.present(&id, "counter-1", "n", &["given_name"], now())
        .unwrap();
    let backup = w
        .backup_with_params("backup pass", Argon2Params::INSECURE_FOR_TESTS)
        .unwrap();
    assert!(backup.starts_with(b"stele-backup1"));
    assert!(!String::from_utf8_lossy(&backup).contains("Amira"));

    let fresh: Arc<dyn RecordStore> = Arc::new(MemoryStore::new());
    assert_eq!(
        Wallet::restore(&backup, "wrong", fresh.clone(), &wrap("new")).unwrap_err(),
        WalletError::WrongKey
    );
    assert!(!Wallet::exists(fresh.as_ref()).unwrap(), "nothing written");
    let mut flipped = backup.clone();
    let i = flipped.len() - 20;
    flipped[i] ^= 4;
    assert_eq!(
        Wallet::restore(&flipped, "backup pass", fresh.clone(), &wrap("new")).unwrap_err(),
        WalletError::WrongKey
    );
    assert_eq!(
        Wallet::restore(b"not a backup", "backup pass", fresh.clone(), &wrap("new")).unwrap_err(),
        WalletError::InvalidBackup
    );

    let (restored, report) =
        Wallet::restore(&backup, "backup pass", fresh.clone(), &wrap("new")).unwrap();
    assert_eq!(report.hardware_keys_needing_rebinding, vec!["se-key"]);
    assert_eq!(report.credentials, 1);
    assert_eq!(restored.list().unwrap(), w.list().unwrap());
    assert_eq!(
        restored.show(&id, "de").unwrap(),
        w.show(&id, "de").unwrap()
    );
    assert_eq!(restored.activity_log().unwrap(), w.activity_log().unwrap());
    assert_eq!(restored.holder_dids().unwrap(), w.holder_dids().unwrap());
    // The software key came along: the restored wallet presents.
    let p = restored
        .present(&id, "counter-2", "n2", &[], now())
        .unwrap();
    assert!(verify_at_counter(&p, &agency.trust(), "counter-2", "n2").verified);
    // It opens with its new wrap, and a restore never overwrites a wallet.
    drop(restored);
    Wallet::open(fresh.clone(), &wrap("new")).unwrap();
    assert_eq!(
        Wallet::restore(&backup, "backup pass", fresh, &wrap("new")).unwrap_err(),
        WalletError::AlreadyInitialised
    );
}

// ---- schema versions ------------------------------------------------------

/// Writes `core/tests/fixtures/wallet-v1.json`: run once per schema version
/// with `cargo test -p stele-core -- --ignored write_wallet_fixture`.
#[test]
#[ignore = "writes the fixture of the current schema version"]
fn write_wallet_fixture() {
    let store = Arc::new(MemoryStore::new());
    let w = Wallet::create(store.clone(), &wrap(FIXTURE_PASSPHRASE), now()).unwrap();
    let key = w.create_holder_key(KeyType::Ed25519, now()).unwrap();
    let agency = Agency::new();
    let sd = agency.issue_to(&key.did, CredentialFormat::SdJwt);
    let id = w.receive(&sd, &verifier(), &agency.trust(), now()).unwrap();
    w.present(&id, "counter-1", "n-1", &["given_name"], now())
        .unwrap();
    let path = format!(
        "{}/tests/fixtures/wallet-v{SCHEMA_VERSION}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::write(path, store.to_json() + "\n").unwrap();
}

#[test]
fn the_v1_fixture_still_opens() {
    let store = Arc::new(MemoryStore::from_json(FIXTURE_V1).unwrap());
    assert_eq!(
        Wallet::open(store.clone(), &wrap("not it")).unwrap_err(),
        WalletError::WrongKey
    );
    let w = Wallet::open(store, &wrap(FIXTURE_PASSPHRASE)).unwrap();
    let dids = w.holder_dids().unwrap();
    assert_eq!(dids.len(), 1);
    let list = w.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].types, vec!["ResidencePermitCredential"]);
    let details = w.show(&list[0].id, "de").unwrap();
    assert!(details.claims.iter().any(|c| c.display_name == "Vornamen"));
    let log = w.activity_log().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].disclosed, vec!["given_name"]);
    // Its key still signs, and the presentation verifies.
    let trust = TrustList::empty().with(&list[0].issuer, None);
    let p = w
        .present(&list[0].id, "aud", "n", &["family_name"], now())
        .unwrap();
    assert!(verify_at_counter(&p, &trust, "aud", "n").verified);
}

// ---- redb ---------------------------------------------------------------------

#[cfg(feature = "redb-store")]
mod redb {
    use super::*;

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "stele-wallet-{}-{name}-{}",
            std::process::id(),
            rand_core::RngCore::next_u64(&mut rand_core::OsRng)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("wallet.redb")
    }

    #[test]
    fn redb_store_conformance() {
        let path = temp_path("conformance");
        store_conformance(&RedbStore::open(&path).unwrap());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_redb_wallet_reopens_from_its_file() {
        let path = temp_path("reopen");
        let agency = Agency::new();
        let id = {
            let store = Arc::new(RedbStore::open(&path).unwrap());
            let w = Wallet::create(store, &wrap(PASS), now()).unwrap();
            let key = w.create_holder_key(KeyType::P256, now()).unwrap();
            let sd = agency.issue_to(&key.did, CredentialFormat::SdJwt);
            w.receive(&sd, &verifier(), &agency.trust(), now()).unwrap()
        };
        let store = Arc::new(RedbStore::open(&path).unwrap());
        assert_eq!(
            Wallet::open(store.clone(), &wrap("wrong")).unwrap_err(),
            WalletError::WrongKey
        );
        let w = Wallet::open(store.clone(), &wrap(PASS)).unwrap();
        assert_eq!(w.list().unwrap().len(), 1);
        let p = w.present(&id, "aud", "n", &["given_name"], now()).unwrap();
        assert!(verify_at_counter(&p, &agency.trust(), "aud", "n").verified);
        // A flipped bit in the file's record fails closed.
        let mut stored = store.get(T_CREDENTIALS, &id).unwrap().unwrap();
        stored[30] ^= 1;
        store.put(T_CREDENTIALS, &id, &stored).unwrap();
        assert!(matches!(w.list(), Err(WalletError::StorageCorrupt(_))));
        drop((w, store));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}

/// The default Argon2id cost, measured (debug build, crypto crates at
/// opt-level 3): run with `--ignored argon2_default_cost --nocapture`.
#[test]
#[ignore = "timing, not a check"]
fn argon2_default_cost() {
    let kw = PassphraseKeyWrap::new(PASS);
    let wrapped = kw.wrap(&[1u8; 32]).unwrap();
    let start = std::time::Instant::now();
    kw.unwrap(&wrapped).unwrap();
    println!(
        "Argon2id {:?}: {:?}",
        Argon2Params::DEFAULT,
        start.elapsed()
    );
}
