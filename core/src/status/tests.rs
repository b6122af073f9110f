//! Bitstring Status List: the specification's examples, the encoding, the
//! entries in both forms, and the list credential issued and verified.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::credential::read_list_credential;
use super::entry::{MAX_ENTRIES, SD_JWT_STATUS_MEMBER};
use super::list::gunzip_bounded;
use super::*;
use crate::credential::model::Credential;
use crate::encoding::{b64url, b64url_decode};
use crate::jose::sign_compact;
use crate::json::{self, JsonLimits};
use crate::key::{KeyType, SecretKey};
use crate::time::Timestamp;
use crate::verify::{StatusError, StatusOutcome};

/// The specification's `encodedList`: 131 072 clear bits.
const SPEC_ENCODED: &str = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

const URL: &str = "https://agency.example/status/1";
const ISSUER: &str = "did:example:agency";
const KID: &str = "did:example:agency#key-1";
const FROM: i64 = 1_790_000_000;
const UNTIL: i64 = FROM + 86_400;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn multibase(bytes: &[u8]) -> String {
    format!("u{}", b64url(bytes))
}

// ---- the specification's examples -----------------------------------------

fn vector(file: &str) -> String {
    let path = format!(
        "{}/../../shared/vectors/bitstring-status-list/spec-examples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `.txt` examples are JSON with `//` comments and `...` elisions:
/// drop those lines, then the commas the elisions left dangling.
fn unelide(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            let t = l.trim();
            !t.starts_with("//") && t != "..."
        })
        .collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let next = lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty());
        let closes = next.is_some_and(|n| n.starts_with(']') || n.starts_with('}'));
        match line.trim_end().strip_suffix(',') {
            Some(head) if closes => out.push_str(head),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// What an example holds.
enum Expect {
    /// A credential whose status entries are these (purpose, index, list URL).
    Entries(&'static [(StatusPurpose, u64, &'static str)]),
    /// A credential whose status entry Stele refuses as unsupported.
    Unsupported,
    /// A status list credential with this `id` and purpose, all bits clear.
    List(&'static str, StatusPurpose),
}

fn check_example(file: &str, expected: &Expect) {
    let raw = vector(file);
    let text = if file.ends_with(".txt") {
        // The raw text is not JSON; the strict parser must say so.
        assert!(
            json::parse(raw.as_bytes(), JsonLimits::DEFAULT).is_err(),
            "{file}"
        );
        unelide(&raw)
    } else {
        raw
    };
    let doc = json::parse_object(text.as_bytes(), JsonLimits::DEFAULT)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let vc = Credential::from_document(doc.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    match expected {
        Expect::Entries(want) => {
            let got = entries_from_status_claim(&doc["credentialStatus"])
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let got: Vec<_> = got
                .iter()
                .map(|e| (e.purpose, e.index, e.list_url.as_str()))
                .collect();
            assert_eq!(&got, want, "{file}");
            // Each entry also reads on its own, as the pipeline hands them over.
            for v in &vc.status {
                StatusEntry::from_value(v).unwrap();
            }
        }
        Expect::Unsupported => {
            assert!(
                matches!(
                    entries_from_status_claim(&doc["credentialStatus"]),
                    Err(StatusListError::Unsupported(_))
                ),
                "{file}"
            );
        }
        Expect::List(id, purpose) => {
            let list = read_list_credential(vc, DecodeLimits::DEFAULT)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(list.url, *id);
            assert_eq!(list.purposes, vec![*purpose]);
            assert_eq!(list.list.len(), MIN_ENTRIES);
            assert!(list.list.as_bytes().iter().all(|b| *b == 0), "{file}");
        }
    }
}

#[test]
fn specification_examples() {
    use StatusPurpose::{Revocation, Suspension};
    let cases: [(&str, Expect); 7] = [
        (
            "example-01.json",
            Expect::Entries(&[
                (
                    Revocation,
                    94567,
                    "https://example.com/credentials/status/3",
                ),
                (
                    Suspension,
                    23452,
                    "https://example.com/credentials/status/4",
                ),
            ]),
        ),
        ("example-02.txt", Expect::Unsupported),
        (
            "example-03.json",
            Expect::List("https://example.com/credentials/status/3", Revocation),
        ),
        (
            "example-04.json",
            Expect::Entries(&[(
                Revocation,
                94567,
                "https://example.com/credentials/status/3",
            )]),
        ),
        (
            "example-05.json",
            Expect::List("https://example.com/credentials/status/3", Revocation),
        ),
        (
            "example-06.txt",
            Expect::Entries(&[
                (
                    Revocation,
                    94567,
                    "https://example.com/credentials/status/3",
                ),
                (
                    Suspension,
                    12345,
                    "https://example.com/credentials/status/4",
                ),
            ]),
        ),
        (
            "example-07.txt",
            Expect::Entries(&[
                (
                    Revocation,
                    94567,
                    "https://example.com/credentials/status/5",
                ),
                (
                    Suspension,
                    12345,
                    "https://example.com/credentials/status/5",
                ),
            ]),
        ),
    ];
    // Every example the index lists is covered.
    let index: Value = serde_json::from_str(&vector("INDEX.json")).unwrap();
    let listed: Vec<&str> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert_eq!(listed, cases.iter().map(|(f, _)| *f).collect::<Vec<_>>());
    for (file, expected) in &cases {
        check_example(file, expected);
    }
}

#[test]
fn decodes_the_specification_list() {
    let list = StatusList::decode(SPEC_ENCODED).unwrap();
    assert_eq!(list.len(), 131_072);
    assert!(list.as_bytes().iter().all(|b| *b == 0));
    assert_eq!(list, StatusList::with_min_len());
    assert_eq!(list.get(131_071), Ok(false));
}

// ---- the bitstring ---------------------------------------------------------

#[test]
fn index_zero_is_the_most_significant_bit_of_the_first_byte() {
    let mut list = StatusList::with_min_len();
    list.set(0, true).unwrap();
    assert_eq!(list.as_bytes()[0], 0x80);
    list.set(7, true).unwrap();
    assert_eq!(list.as_bytes()[0], 0x81);
    list.set(8, true).unwrap();
    assert_eq!(list.as_bytes()[1], 0x80);
    list.set(131_071, true).unwrap();
    assert_eq!(list.as_bytes()[16_383], 0x01);
    list.set(0, false).unwrap();
    assert_eq!(list.as_bytes()[0], 0x01);
    assert_eq!(list.get(7), Ok(true));
    assert_eq!(list.get(1), Ok(false));
    // The same order survives encoding.
    let decoded = StatusList::decode(&list.encode()).unwrap();
    assert_eq!(decoded.as_bytes()[..2], [0x01, 0x80]);
}

#[test]
fn lengths_and_ranges() {
    assert_eq!(
        StatusList::new(MIN_ENTRIES - 8),
        Err(StatusListError::Length {
            entries: MIN_ENTRIES as u64 - 8
        })
    );
    assert!(matches!(
        StatusList::new(MIN_ENTRIES + 1),
        Err(StatusListError::Length { .. })
    ));
    let mut big = StatusList::new(MIN_ENTRIES + 8).unwrap();
    assert_eq!(big.len(), MIN_ENTRIES + 8);
    assert!(!big.is_empty());
    big.set(MIN_ENTRIES + 7, true).unwrap();
    let oob = StatusListError::IndexOutOfRange {
        index: MIN_ENTRIES as u64 + 8,
        len: MIN_ENTRIES + 8,
    };
    assert_eq!(big.get(MIN_ENTRIES + 8), Err(oob.clone()));
    assert_eq!(big.set(MIN_ENTRIES + 8, true), Err(oob));
    assert!(matches!(
        StatusList::from_bytes(vec![0; 100]),
        Err(StatusListError::Length { entries: 800 })
    ));
    assert_eq!(
        format!("{big:?}"),
        "StatusList { len: 131080, .. }",
        "Debug prints no bits"
    );
}

#[test]
fn encoding_is_multibase_base64url_gzip() {
    let mut list = StatusList::with_min_len();
    list.set(42, true).unwrap();
    let encoded = list.encode();
    assert!(
        encoded.starts_with("uH4sI"),
        "u + base64url of the GZIP magic"
    );
    assert!(!encoded.contains(['=', '+', '/']));
    let gz = b64url_decode(&encoded[1..]).unwrap();
    assert_eq!(gunzip_bounded(&gz, 1 << 20).unwrap(), list.as_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn round_trips(
        indices in proptest::collection::btree_set(0..MIN_ENTRIES * 2, 0..300),
        double in any::<bool>(),
    ) {
        let len = if double { MIN_ENTRIES * 2 } else { MIN_ENTRIES };
        let mut list = StatusList::new(len).unwrap();
        for &i in indices.iter().filter(|&&i| i < len) {
            list.set(i, true).unwrap();
        }
        let decoded = StatusList::decode(&list.encode()).unwrap();
        prop_assert_eq!(&decoded, &list);
        for i in 0..len {
            prop_assert_eq!(decoded.get(i).unwrap(), indices.contains(&i));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(s in "u?[A-Za-z0-9_=+/-]{0,200}") {
        let _ = StatusList::decode(&s);
    }

    #[test]
    fn arbitrary_gzip_bodies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut gz = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
        gz.extend_from_slice(&bytes);
        let _ = StatusList::decode(&multibase(&gz));
    }
}

#[test]
fn a_compression_bomb_is_refused_without_being_inflated() {
    // 100 MB of zeros compress to about 100 KB.
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..100 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 200_000);
    let encoded = multibase(&bomb);
    assert_eq!(
        StatusList::decode(&encoded),
        Err(StatusListError::TooLarge {
            limit: 16 * 1024 * 1024
        })
    );
    let small = DecodeLimits {
        max_encoded_bytes: 1 << 20,
        max_decompressed_bytes: 64 * 1024,
    };
    assert_eq!(
        StatusList::decode_with_limits(&encoded, small),
        Err(StatusListError::TooLarge { limit: 64 * 1024 })
    );
}

#[test]
fn inflation_never_allocates_past_its_cap() {
    let payload = vec![0xA5u8; 100_000];
    let gz = gzip(&payload);
    let exact = gunzip_bounded(&gz, payload.len()).unwrap();
    assert_eq!(exact, payload);
    assert!(exact.capacity() <= payload.len(), "{}", exact.capacity());
    assert_eq!(
        gunzip_bounded(&gz, payload.len() - 1),
        Err(StatusListError::TooLarge {
            limit: payload.len() - 1
        })
    );
}

#[test]
fn garbage_gets_typed_errors() {
    let zeros = gzip(&[0u8; MIN_ENTRIES / 8]);
    let malformed = |s: &str| matches!(StatusList::decode(s), Err(StatusListError::Malformed(_)));
    assert!(malformed(""));
    assert!(malformed("H4sIAAAAAAAAA"), "no multibase prefix");
    assert!(
        malformed(&format!("z{}", b64url(&zeros))),
        "base58btc prefix"
    );
    assert!(
        malformed(&format!("U{}", b64url(&zeros))),
        "padded base64url prefix"
    );
    assert!(malformed("u!!!!"), "not base64url");
    assert!(malformed(&format!("{SPEC_ENCODED}=")), "padding");
    assert!(malformed(&format!(
        "u{}",
        crate::encoding::b64url(b"not gzip at all")
    )));
    assert!(
        malformed(&multibase(&zeros[..zeros.len() - 5])),
        "truncated"
    );
    let mut trailing = zeros.clone();
    trailing.push(0);
    assert!(malformed(&multibase(&trailing)), "bytes after the stream");
    let mut two_members = zeros.clone();
    two_members.extend_from_slice(&zeros);
    assert!(malformed(&multibase(&two_members)), "a second GZIP member");
    let mut bad_crc = zeros.clone();
    let crc_at = bad_crc.len() - 8;
    bad_crc[crc_at] ^= 1;
    assert!(malformed(&multibase(&bad_crc)), "CRC");
    let raw_deflate = {
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), Compression::best());
        d.write_all(&[0u8; MIN_ENTRIES / 8]).unwrap();
        d.finish().unwrap()
    };
    assert!(
        malformed(&multibase(&raw_deflate)),
        "raw DEFLATE is not GZIP"
    );
    assert_eq!(
        StatusList::decode(&multibase(&gzip(&[0u8; 100]))),
        Err(StatusListError::Length { entries: 800 })
    );
    let tiny = DecodeLimits {
        max_encoded_bytes: 10,
        max_decompressed_bytes: 1 << 20,
    };
    assert_eq!(
        StatusList::decode_with_limits(SPEC_ENCODED, tiny),
        Err(StatusListError::TooLarge { limit: 10 })
    );
}

// ---- entries ---------------------------------------------------------------

fn entry_json() -> Value {
    json!({
        "id": format!("{URL}#94567"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": URL
    })
}

fn with(member: &str, value: Value) -> Value {
    let mut v = entry_json();
    v[member] = value;
    v
}

fn without(member: &str) -> Value {
    let mut v = entry_json();
    v.as_object_mut().unwrap().remove(member);
    v
}

#[test]
fn reads_and_writes_entries() {
    let e = StatusEntry::from_value(&entry_json()).unwrap();
    assert_eq!(
        e,
        StatusEntry::new(StatusPurpose::Revocation, 94567, URL).unwrap()
    );
    assert_eq!(e.to_value(), entry_json());
    assert_eq!(StatusEntry::from_value(&e.to_value()).unwrap(), e);
    // Optional and extension members.
    let e = StatusEntry::from_value(&without("id")).unwrap();
    assert_eq!(e.id, None);
    assert!(StatusEntry::from_value(&with("statusSize", json!(1))).is_ok());
    assert!(StatusEntry::from_value(&with("type", json!(["BitstringStatusListEntry"]))).is_ok());
    assert!(StatusEntry::from_value(&with("statusListIndex", json!("0"))).is_ok());
    assert_eq!(
        StatusEntry::from_value(&with("statusListIndex", json!("18446744073709551615")))
            .unwrap()
            .index,
        u64::MAX
    );
    assert!(StatusEntry::from_value(&with("x-extension", json!({"a": 1}))).is_ok());
    assert!(StatusEntry::new(StatusPurpose::Suspension, 1, "not a url").is_err());
}

#[test]
fn refuses_malformed_entries() {
    let entry = |v: &Value| StatusEntry::from_value(v);
    for (case, v) in [
        ("not an object", json!("https://x")),
        ("no type", without("type")),
        ("wrong type", with("type", json!("StatusList2021Entry"))),
        ("type not a string", with("type", json!(7))),
        ("no purpose", without("statusPurpose")),
        ("unknown purpose", with("statusPurpose", json!("expiry"))),
        (
            "purpose not a string",
            with("statusPurpose", json!(["revocation"])),
        ),
        ("no index", without("statusListIndex")),
        ("index as a number", with("statusListIndex", json!(94567))),
        ("leading zero", with("statusListIndex", json!("094567"))),
        ("sign", with("statusListIndex", json!("+1"))),
        ("negative", with("statusListIndex", json!("-1"))),
        ("fraction", with("statusListIndex", json!("1.0"))),
        ("space", with("statusListIndex", json!(" 1"))),
        ("empty", with("statusListIndex", json!(""))),
        ("non-ASCII digit", with("statusListIndex", json!("١٢"))),
        (
            "too large",
            with("statusListIndex", json!("18446744073709551616")),
        ),
        ("no list", without("statusListCredential")),
        (
            "list not a URL",
            with("statusListCredential", json!("status/3")),
        ),
        (
            "list with a space",
            with("statusListCredential", json!("https://x/ y")),
        ),
        (
            "list empty after scheme",
            with("statusListCredential", json!("https:")),
        ),
        (
            "list too long",
            with(
                "statusListCredential",
                json!(format!("https://x/{}", "a".repeat(3000))),
            ),
        ),
        ("id not a string", with("id", json!(1))),
        ("statusSize 0", with("statusSize", json!(0))),
        ("statusSize text", with("statusSize", json!("1"))),
    ] {
        assert!(
            matches!(entry(&v), Err(StatusListError::Entry(_))),
            "{case}: {:?}",
            entry(&v)
        );
    }
    for (case, v) in [
        ("statusSize 2", with("statusSize", json!(2))),
        ("statusMessage", with("statusMessage", json!([]))),
        ("purpose message", with("statusPurpose", json!("message"))),
        ("purpose refresh", with("statusPurpose", json!("refresh"))),
    ] {
        assert!(
            matches!(entry(&v), Err(StatusListError::Unsupported(_))),
            "{case}: {:?}",
            entry(&v)
        );
    }
}

#[test]
fn status_claims_in_both_forms() {
    let revocation = StatusEntry::new(StatusPurpose::Revocation, 7, URL).unwrap();
    let suspension = StatusEntry::new(
        StatusPurpose::Suspension,
        9,
        "https://agency.example/status/2",
    )
    .unwrap();
    let both = vec![revocation.clone(), suspension.clone()];

    // VC credentialStatus: one object, or an array.
    assert_eq!(credential_status(&both[..1]), revocation.to_value());
    assert_eq!(
        entries_from_status_claim(&credential_status(&both[..1])).unwrap(),
        both[..1]
    );
    assert_eq!(
        entries_from_status_claim(&credential_status(&both)).unwrap(),
        both
    );

    // SD-JWT VC status claim.
    let claim = sd_jwt_status_claim(&both);
    assert_eq!(
        claim,
        json!({"bitstring_status_list": [revocation.to_value(), suspension.to_value()]})
    );
    assert_eq!(entries_from_status_claim(&claim).unwrap(), both);
    assert_eq!(
        entries_from_status_claim(&sd_jwt_status_claim(&both[1..])).unwrap(),
        both[1..]
    );

    let refused = |v: Value| entries_from_status_claim(&v).unwrap_err();
    assert!(matches!(
        refused(json!({"status_list": {"idx": 7, "uri": URL}})),
        StatusListError::Unsupported(_)
    ));
    assert!(matches!(
        refused(
            json!({SD_JWT_STATUS_MEMBER: [revocation.to_value()], "status_list": {"idx": 7, "uri": URL}})
        ),
        StatusListError::Unsupported(_)
    ));
    assert!(matches!(
        refused(json!({"other_mechanism": {}})),
        StatusListError::Unsupported(_)
    ));
    for v in [
        json!({}),
        json!([]),
        json!({SD_JWT_STATUS_MEMBER: []}),
        json!({SD_JWT_STATUS_MEMBER: revocation.to_value()}),
        json!("https://agency.example/status/1"),
        json!(null),
        json!([revocation.to_value(), {"type": "BitstringStatusListEntry"}]),
        Value::Array(vec![revocation.to_value(); MAX_ENTRIES + 1]),
    ] {
        assert!(
            matches!(refused(v.clone()), StatusListError::Entry(_)),
            "{v}"
        );
    }
    assert_eq!(
        entries_from_status_claim(&Value::Array(vec![revocation.to_value(); MAX_ENTRIES]))
            .unwrap()
            .len(),
        MAX_ENTRIES
    );
}

#[test]
fn status_of_and_outcomes() {
    let mut list = StatusList::with_min_len();
    list.set(5, true).unwrap();
    let at = |i: u64, p| StatusEntry::new(p, i, URL).unwrap();
    assert_eq!(list.status_of(&at(5, StatusPurpose::Revocation)), Ok(true));
    assert_eq!(list.status_of(&at(6, StatusPurpose::Revocation)), Ok(false));
    for index in [MIN_ENTRIES as u64, u64::MAX] {
        assert_eq!(
            list.status_of(&at(index, StatusPurpose::Revocation)),
            Err(StatusListError::IndexOutOfRange {
                index,
                len: MIN_ENTRIES
            })
        );
    }
    assert_eq!(
        StatusPurpose::Revocation.outcome(true),
        StatusOutcome::Revoked
    );
    assert_eq!(
        StatusPurpose::Suspension.outcome(true),
        StatusOutcome::Suspended
    );
    assert_eq!(
        StatusPurpose::Revocation.outcome(false),
        StatusOutcome::Valid
    );
    assert_eq!(
        StatusPurpose::Suspension.outcome(false),
        StatusOutcome::Valid
    );
}

#[test]
fn maps_onto_the_pipeline_status_errors() {
    let range = |e: StatusListError| matches!(StatusError::from(e), StatusError::Range(_));
    let verification =
        |e: StatusListError| matches!(StatusError::from(e), StatusError::Verification(_));
    assert!(range(StatusListError::IndexOutOfRange { index: 1, len: 0 }));
    assert!(range(StatusListError::Entry("x")));
    assert!(range(StatusListError::Unsupported("x")));
    assert!(verification(StatusListError::TooLarge { limit: 1 }));
    assert!(verification(StatusListError::Malformed("x")));
    assert!(verification(StatusListError::Issuer));
    assert!(verification(StatusListError::Expired(
        Timestamp::from_unix(0)
    )));
}

// ---- the list credential ---------------------------------------------------

fn params(purpose: StatusPurpose) -> StatusListCredentialParams<'static> {
    StatusListCredentialParams {
        issuer_did: ISSUER,
        kid: KID,
        list_url: URL,
        purpose,
        valid_from: Timestamp::from_unix(FROM),
        valid_until: Timestamp::from_unix(UNTIL),
    }
}

fn key(kt: KeyType) -> SecretKey {
    SecretKey::generate(kt, &mut rand_core::OsRng)
}

fn now() -> Timestamp {
    Timestamp::from_unix(FROM + 60)
}

fn payload_of(token: &str) -> Map<String, Value> {
    let part = token.split('.').nth(1).unwrap();
    json::parse_object(&b64url_decode(part).unwrap(), JsonLimits::DEFAULT).unwrap()
}

/// Signs `payload` as the issuer would, for credentials the issuing
/// function would never make.
fn sign(signer: &SecretKey, payload: &Value, typ: &str) -> String {
    sign_compact(
        signer,
        Some(typ),
        Some(KID),
        Map::new(),
        payload.as_object().unwrap(),
    )
    .unwrap()
}

#[test]
fn issues_and_verifies_a_list_credential() {
    for kt in [KeyType::Ed25519, KeyType::P256, KeyType::Secp256k1] {
        let signer = key(kt);
        let mut list = StatusList::with_min_len();
        list.set(3, true).unwrap();
        list.set(94_567, true).unwrap();
        let token =
            issue_status_list_credential(&signer, &params(StatusPurpose::Suspension), &list)
                .unwrap();
        let v = verify_status_list_credential(&token, &signer.public_key(), ISSUER, URL, now())
            .unwrap();
        assert_eq!(v.url, URL);
        assert_eq!(v.purposes, vec![StatusPurpose::Suspension]);
        assert_eq!(v.list, list);
        assert_eq!(v.valid_from, Some(Timestamp::from_unix(FROM)));
        assert_eq!(v.valid_until, Some(Timestamp::from_unix(UNTIL)));

        let entry = |i| StatusEntry::new(StatusPurpose::Suspension, i, URL).unwrap();
        assert_eq!(v.check(&entry(94_567)), Ok(StatusOutcome::Suspended));
        assert_eq!(v.check(&entry(94_568)), Ok(StatusOutcome::Valid));
        assert!(matches!(
            v.check(&entry(MIN_ENTRIES as u64)),
            Err(StatusListError::IndexOutOfRange { .. })
        ));
        assert_eq!(
            v.check(&StatusEntry::new(StatusPurpose::Revocation, 3, URL).unwrap()),
            Err(StatusListError::PurposeMismatch {
                entry: StatusPurpose::Revocation,
                list: StatusPurpose::Suspension
            })
        );
        assert_eq!(
            v.check(
                &StatusEntry::new(StatusPurpose::Suspension, 3, "https://other.example/1").unwrap()
            ),
            Err(StatusListError::Url)
        );
    }
}

#[test]
fn the_issued_credential_has_the_specified_shape() {
    let signer = key(KeyType::Ed25519);
    let token = issue_status_list_credential(
        &signer,
        &params(StatusPurpose::Revocation),
        &StatusList::with_min_len(),
    )
    .unwrap();
    let header = token.split('.').next().unwrap();
    let header = json::parse(&b64url_decode(header).unwrap(), JsonLimits::DEFAULT).unwrap();
    assert_eq!(header["typ"], "vc+jwt");
    assert_eq!(header["kid"], KID);
    assert_eq!(
        Value::Object(payload_of(&token)),
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": URL,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": ISSUER,
            "validFrom": Timestamp::from_unix(FROM).to_rfc3339(),
            "validUntil": Timestamp::from_unix(UNTIL).to_rfc3339(),
            "credentialSubject": {
                "id": format!("{URL}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": StatusList::with_min_len().encode()
            }
        })
    );
}

#[test]
fn refuses_bad_list_credentials() {
    let signer = key(KeyType::Ed25519);
    let pk = signer.public_key();
    let list = StatusList::with_min_len();
    let token =
        issue_status_list_credential(&signer, &params(StatusPurpose::Revocation), &list).unwrap();
    let verify = |t: &str, issuer: &str, url: &str, at: i64| {
        verify_status_list_credential(t, &pk, issuer, url, Timestamp::from_unix(at))
    };
    assert!(verify(&token, ISSUER, URL, FROM).is_ok());
    assert!(verify(&token, ISSUER, URL, UNTIL).is_ok());

    // Tampered: a bit flipped in the signed payload, then a signature byte.
    let mut payload = payload_of(&token);
    payload["credentialSubject"]["encodedList"] = Value::String({
        let mut l = list.clone();
        l.set(1, true).unwrap();
        l.encode()
    });
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64url(Value::Object(payload.clone()).to_string()),
        parts[2]
    );
    assert!(matches!(
        verify(&forged, ISSUER, URL, FROM),
        Err(StatusListError::Proof(_))
    ));
    let mut sig = b64url_decode(parts[2]).unwrap();
    sig[0] ^= 1;
    let forged = format!("{}.{}.{}", parts[0], parts[1], b64url(&sig));
    assert!(matches!(
        verify(&forged, ISSUER, URL, FROM),
        Err(StatusListError::Proof(_))
    ));
    // Another issuer's key, of the same and of another algorithm.
    for other in [key(KeyType::Ed25519), key(KeyType::P256)] {
        assert!(matches!(
            verify_status_list_credential(&token, &other.public_key(), ISSUER, URL, now()),
            Err(StatusListError::Proof(_))
        ));
    }
    assert!(matches!(
        verify("not.a.jws", ISSUER, URL, FROM),
        Err(StatusListError::Proof(_))
    ));

    // Signed, but not the list asked for.
    assert_eq!(
        verify(&token, "did:example:other", URL, FROM),
        Err(StatusListError::Issuer)
    );
    assert_eq!(
        verify(&token, ISSUER, "https://agency.example/status/2", FROM),
        Err(StatusListError::Url)
    );
    assert_eq!(
        verify(&token, ISSUER, URL, UNTIL + 1),
        Err(StatusListError::Expired(Timestamp::from_unix(UNTIL)))
    );
    assert_eq!(
        verify(&token, ISSUER, URL, FROM - 1),
        Err(StatusListError::NotYetValid(Timestamp::from_unix(FROM)))
    );

    // Signed by the issuer, but not a proper list credential.
    let good = Value::Object(payload_of(&token));
    let variant = |path: &[&str], value: Option<Value>| {
        let mut v = good.clone();
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut v;
        for p in parents {
            at = &mut at[*p];
        }
        match value {
            Some(x) => at[*last] = x,
            None => {
                at.as_object_mut().unwrap().remove(*last);
            }
        }
        sign(&signer, &v, "vc+jwt")
    };
    type Expected = fn(&StatusListError) -> bool;
    let cases: Vec<(&str, String, Expected)> = vec![
        ("typ JWT", sign(&signer, &good, "JWT"), |e| {
            matches!(e, StatusListError::Proof(_))
        }),
        (
            "not a list credential",
            variant(
                &["type"],
                Some(json!(["VerifiableCredential", "ResidencePermitCredential"])),
            ),
            |e| matches!(e, StatusListError::ListCredential(_)),
        ),
        (
            "VCDM 1.1",
            variant(
                &["@context"],
                Some(json!(["https://www.w3.org/2018/credentials/v1"])),
            ),
            |e| matches!(e, StatusListError::Credential(_)),
        ),
        (
            "subject type",
            variant(
                &["credentialSubject", "type"],
                Some(json!("StatusList2021")),
            ),
            |e| matches!(e, StatusListError::ListCredential(_)),
        ),
        (
            "no encodedList",
            variant(&["credentialSubject", "encodedList"], None),
            |e| matches!(e, StatusListError::ListCredential(_)),
        ),
        (
            "no purpose",
            variant(&["credentialSubject", "statusPurpose"], None),
            |e| matches!(e, StatusListError::ListCredential(_)),
        ),
        (
            "message purpose",
            variant(
                &["credentialSubject", "statusPurpose"],
                Some(json!("message")),
            ),
            |e| matches!(e, StatusListError::Unsupported(_)),
        ),
        (
            "unknown purpose",
            variant(
                &["credentialSubject", "statusPurpose"],
                Some(json!("expiry")),
            ),
            |e| matches!(e, StatusListError::ListCredential(_)),
        ),
        (
            "garbage list",
            variant(&["credentialSubject", "encodedList"], Some(json!("uAAAA"))),
            |e| matches!(e, StatusListError::Malformed(_)),
        ),
        (
            "short list",
            variant(
                &["credentialSubject", "encodedList"],
                Some(Value::String(multibase(&gzip(&[0; 1024])))),
            ),
            |e| matches!(e, StatusListError::Length { .. }),
        ),
        (
            "bomb",
            variant(
                &["credentialSubject", "encodedList"],
                Some(Value::String(multibase(&gzip(&vec![0; 17 * 1024 * 1024])))),
            ),
            |e| matches!(e, StatusListError::TooLarge { .. }),
        ),
    ];
    for (case, t, expected) in &cases {
        let got = verify(t, ISSUER, URL, FROM);
        assert!(got.as_ref().is_err_and(expected), "{case}: {got:?}");
    }

    // A list serving both purposes, as the specification allows.
    let both = variant(
        &["credentialSubject", "statusPurpose"],
        Some(json!(["revocation", "suspension"])),
    );
    let v = verify(&both, ISSUER, URL, FROM).unwrap();
    assert_eq!(
        v.purposes,
        vec![StatusPurpose::Revocation, StatusPurpose::Suspension]
    );
}

#[test]
fn refuses_to_issue_nonsense() {
    let signer = key(KeyType::Ed25519);
    let list = StatusList::with_min_len();
    let mut p = params(StatusPurpose::Revocation);
    p.list_url = "status/1";
    assert!(matches!(
        issue_status_list_credential(&signer, &p, &list),
        Err(StatusListError::Issue(_))
    ));
    let mut p = params(StatusPurpose::Revocation);
    p.valid_until = Timestamp::from_unix(FROM - 1);
    assert!(matches!(
        issue_status_list_credential(&signer, &p, &list),
        Err(StatusListError::Issue(_))
    ));
}
