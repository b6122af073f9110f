//! Payload tests: encode/decode, limits, and real SD-JWT presentations
//! (issued and presented through `credential` and `sdjwt`) with their sizes.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use crate::did::key::did_key_from_public;
use crate::key::{KeyType, SecretKey};
use crate::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use crate::time::Timestamp;

use std::io::Write as _;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// Version 1 compression: a zlib stream at best compression.
fn deflate_v1(bytes: &[u8]) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 16),
        Compression::best(),
    );
    // Writing to a Vec cannot fail.
    let ok = enc.write_all(bytes).is_ok();
    debug_assert!(ok, "in-memory deflate");
    enc.finish().unwrap_or_default()
}

const ISSUED: i64 = 1_790_000_000;
const NOW: i64 = ISSUED + 86_400;

/// The one helper: `text` decodes (default limits) to `expected`.
fn check(text: &str, expected: Result<(PayloadKind, Vec<u8>), QrError>) {
    assert_eq!(decode(text, PayloadLimits::DEFAULT), expected, "{text:?}");
}

#[test]
fn prefixes_versions_and_whitespace() {
    let p = encode(PayloadKind::Presentation, b"hello");
    assert!(p.starts_with("SP2:"));
    let c = encode(PayloadKind::Challenge, b"hello");
    assert!(c.starts_with("SC2:"));
    check(&p, Ok((PayloadKind::Presentation, b"hello".to_vec())));
    check(
        &format!("\n {c}\r\n"),
        Ok((PayloadKind::Challenge, b"hello".to_vec())),
    );
    let body = &p[4..];
    check(&format!("SP3:{body}"), Err(QrError::UnsupportedVersion(3)));
    check(&format!("SP1:{body}"), Err(QrError::Decompress));
    check(&format!("SP0:{body}"), Err(QrError::UnsupportedVersion(0)));
    check(&format!("HC1:{body}"), Err(QrError::UnknownPrefix));
    check(&format!("SP:{body}"), Err(QrError::UnknownPrefix));
    check(&format!("sp1:{body}"), Err(QrError::UnknownPrefix));
    check(&format!("SPX:{body}"), Err(QrError::UnknownPrefix));
    check(body, Err(QrError::UnknownPrefix));
    check("", Err(QrError::UnknownPrefix));
    check(
        &format!("SP2:{body}a"),
        Err(QrError::Base45(base45::Base45Error::InvalidChar(
            body.len(),
        ))),
    );
}

/// Version 1 payloads (zlib, no dictionary), as the first release wrote
/// them, still load.
#[test]
fn version_1_fixtures_still_load() {
    check(
        "SP1:NCFKVPV0QSIP600GP5L0",
        Ok((PayloadKind::Presentation, b"hello".to_vec())),
    );
    let fixture = "SC1:NCFTY63UPWOODP2YFWU3MOZMDFL+-AD.DRT8*24RY9I/NPS80RCGEHP6UBPS9$1ICJ+MA1%8:LE ANT CO%V9R4P/EHDAQ$UT48R0V2LBKJDFWL7:UJH2D33X0UJ%15Z8%P3G$1-UAWD1JY8HCT6QKZL6DXKLZMQ7P4KOOJH$D7GG4ZE2F39:ZH%8QIREHDQ0:T/I243U%0OJ%Q6BPTGIZ+2NWU.LPX:6";
    let c = Challenge::from_qr_payload(fixture, Timestamp::from_unix(1_790_000_000))
        .expect("v1 challenge");
    assert_eq!(c.verifier, "did:web:counter.example:berlin-lea-7");
    assert_eq!(c.claims.len(), 3);
}

#[test]
fn version_2_failures() {
    let z = dictionary::deflate(&[1u8; 100]);
    let truncated = format!("SP2:{}", base45::encode(&z[..z.len() - 2]));
    check(&truncated, Err(QrError::Decompress));
    let mut trailing = z.clone();
    trailing.push(0);
    check(
        &format!("SP2:{}", base45::encode(&trailing)),
        Err(QrError::Decompress),
    );
    check(
        &format!("SP2:{}", base45::encode(&[0xFF; 8])),
        Err(QrError::Decompress),
    );
    let limits = PayloadLimits {
        max_chars: 4296,
        max_decompressed: 1000,
    };
    let at = encode(PayloadKind::Presentation, &[5u8; 1000]);
    assert_eq!(decode(&at, limits).map(|(_, b)| b.len()), Ok(1000));
    let over = encode(PayloadKind::Presentation, &[5u8; 1001]);
    assert!(matches!(
        decode(&over, limits),
        Err(QrError::TooLarge { .. })
    ));
    // A large payload inflates exactly: the output buffer grows from a few
    // times the input to the size it needs, and stops at the cap.
    let text: Vec<u8> = (0..60_000u32)
        .map(|i| b"given_name family_name 0123456789"[(i * 7 % 31) as usize])
        .collect();
    let big = encode(PayloadKind::Presentation, &text);
    assert_eq!(
        decode(&big, PayloadLimits::DEFAULT).map(|(_, b)| b),
        Ok(text.clone())
    );
    let tight = PayloadLimits {
        max_chars: 4296,
        max_decompressed: 59_999,
    };
    assert!(matches!(decode(&big, tight), Err(QrError::TooLarge { .. })));
    // The dictionary really is used: a header costs a fraction of v1.
    let header = br#"{"alg":"EdDSA","typ":"dc+sd-jwt","kid":"did:key:z6Mk"#;
    assert!(dictionary::deflate(header).len() * 2 < deflate_v1(header).len());
}

#[test]
fn version_1_failures_and_caps() {
    // Truncated zlib stream, and bytes after a complete one.
    let z = deflate_v1(&[1u8; 100]);
    let truncated = format!("SP1:{}", base45::encode(&z[..z.len() - 3]));
    check(&truncated, Err(QrError::Decompress));
    let mut trailing = z.clone();
    trailing.push(0);
    check(
        &format!("SP1:{}", base45::encode(&trailing)),
        Err(QrError::Decompress),
    );
    check(
        &format!("SP1:{}", base45::encode(b"not zlib")),
        Err(QrError::Decompress),
    );
    // A zip bomb: 2 MiB of zeros in about 2 KB.
    let bomb = encode(PayloadKind::Presentation, &vec![0u8; 2 << 20]);
    assert!(
        bomb.len() < PayloadLimits::DEFAULT.max_chars,
        "{}",
        bomb.len()
    );
    check(
        &bomb,
        Err(QrError::TooLarge {
            what: "decompressed",
            limit: 64 * 1024,
        }),
    );
    // Exactly at the cap is fine; one byte over is not.
    let limits = PayloadLimits {
        max_chars: 4296,
        max_decompressed: 1000,
    };
    let at = encode(PayloadKind::Presentation, &[5u8; 1000]);
    assert_eq!(decode(&at, limits).map(|(_, b)| b.len()), Ok(1000));
    let over = encode(PayloadKind::Presentation, &[5u8; 1001]);
    assert!(matches!(
        decode(&over, limits),
        Err(QrError::TooLarge { .. })
    ));
    check(
        &format!("SP1:{}", "0".repeat(4300)),
        Err(QrError::TooLarge {
            what: "text",
            limit: 4296,
        }),
    );
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

/// A residence permit SD-JWT VC (issuer Ed25519 did:key, holder P-256),
/// presented with key binding, disclosing `disclose`.
pub(super) fn permit_presentation(disclose: &[&str]) -> String {
    let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let holder = SecretKey::generate(KeyType::P256, &mut rand_core::OsRng);
    let sd_jwt = Issuer::with_did_key(&issuer)
        .issue(
            &IssueRequest {
                credential_type: "ResidencePermitCredential",
                claims: permit_claims(),
                holder: Some(did_key_from_public(&holder.public_key())),
                valid_from: None,
                valid_until: Some(Timestamp::from_unix(ISSUED + 365 * 86_400)),
                format: CredentialFormat::SdJwt,
                status: None,
            },
            Timestamp::from_unix(ISSUED),
            &mut rand_core::OsRng,
        )
        .expect("issue");
    HeldSdJwt::parse(&sd_jwt)
        .expect("held")
        .present(
            disclose,
            Some((
                &holder,
                KeyBindingInput {
                    audience: "did:web:counter.example:berlin-lea-7",
                    nonce: "q2X0b7hT9mZ4nVYcK1sD8w",
                    issued_at: Timestamp::from_unix(NOW),
                },
            )),
        )
        .expect("present")
}

#[test]
fn real_presentations_round_trip() {
    for disclose in [
        &[][..],
        &["given_name"],
        &["given_name", "family_name", "valid_until"],
        &["address", "address.locality", "nationality", "birth_date"],
    ] {
        let p = permit_presentation(disclose);
        let packed = pack_presentation(&p);
        assert_eq!(packed[0], 1, "segments, not raw text");
        assert_eq!(unpack_presentation(&packed).unwrap(), p);
        let payload = encode(PayloadKind::Presentation, &packed);
        let (kind, bytes) = decode(&payload, PayloadLimits::DEFAULT).unwrap();
        assert_eq!(kind, PayloadKind::Presentation);
        assert_eq!(unpack_presentation(&bytes).unwrap(), p);
    }
}

/// Item 6 of issue 4: the payload size of a residence permit presentation
/// with key binding, 3 of 12 claims disclosed (run with `--nocapture`).
#[test]
fn report_payload_size() {
    let p = permit_presentation(&["given_name", "family_name", "birth_date"]);
    let packed = pack_presentation(&p);
    let v1 = |b: &[u8]| format!("SP1:{}", base45::encode(&deflate_v1(b)));
    let v1_unpacked = v1(p.as_bytes());
    let v1_packed = v1(&packed);
    let unpacked_payload = encode(PayloadKind::Presentation, p.as_bytes());
    let payload = encode(PayloadKind::Presentation, &packed);
    let m1 = QrMatrix::new(&v1_packed).unwrap();
    let m = QrMatrix::new(&payload).unwrap();
    println!(
        "residence permit presentation (KB, 3 of 12 disclosed): compact {} chars, packed {} bytes\n\
         v1 (zlib): payload {} chars (without packing {}), QR version {}\n\
         v2 (deflate + dictionary): payload {} chars (without packing {}), QR version {} ({}x{}) at level M\n\
         target: 1000",
        p.len(),
        packed.len(),
        v1_packed.len(),
        v1_unpacked.len(),
        m1.version(),
        payload.len(),
        unpacked_payload.len(),
        m.version(),
        m.size,
        m.size
    );
    assert!(payload.len() < v1_packed.len() && v1_packed.len() < v1_unpacked.len());
}

proptest! {
    #[test]
    fn decode_never_panics(text in "(SP1:|SC1:|SP2:|SC2:|SP9:)?[0-9A-Z $%*+./:-]{0,120}|\\PC{0,80}") {
        let _ = decode(&text, PayloadLimits::DEFAULT);
        let _ = Challenge::from_qr_payload(&text, Timestamp::from_unix(NOW));
    }

    #[test]
    fn decode_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for version in ["SP1:", "SP2:"] {
            let text = format!("{version}{}", base45::encode(&bytes));
            if let Ok((_, b)) = decode(&text, PayloadLimits::DEFAULT) {
                let _ = unpack_presentation(&b);
            }
        }
    }

    #[test]
    fn payloads_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = encode(PayloadKind::Presentation, &bytes);
        prop_assert_eq!(decode(&text, PayloadLimits::DEFAULT).unwrap(), (PayloadKind::Presentation, bytes));
    }
}
