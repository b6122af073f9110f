//! QR payload benchmarks (issue 4, item 6): encode + matrix and decode of a
//! residence permit presentation payload, next to the Ed25519
//! `verify_strict` floor measured in the same run.
//!
//! `cargo bench -p stele-core --bench qr` runs the criterion groups and then
//! prints a small table; `STELE_BENCH_QUICK=1` shortens everything;
//! `-- --test` runs each bench once and skips the table.

use std::hint::black_box;
use std::time::Duration;

mod support;
use support::ops_per_sec;

use criterion::Criterion;
use ed25519_dalek::Signer as _;

use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::key::did_key_from_public;
use stele_core::key::{KeyType, SecretKey};
use stele_core::qr::{
    PayloadKind, PayloadLimits, QrMatrix, decode, encode, pack_presentation, unpack_presentation,
};
use stele_core::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use stele_core::time::Timestamp;

const ISSUED: i64 = 1_790_000_000;

struct Fixture {
    presentation: String,
    payload: String,
    floor_key: ed25519_dalek::VerifyingKey,
    floor_msg: Vec<u8>,
    floor_sig: ed25519_dalek::Signature,
}

impl Fixture {
    fn new() -> Self {
        let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
        let holder = SecretKey::generate(KeyType::P256, &mut rand_core::OsRng);
        let sd_jwt = Issuer::with_did_key(&issuer)
            .issue(
                &IssueRequest {
                    credential_type: "ResidencePermitCredential",
                    claims: support::permit_claims(),
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
        let presentation = HeldSdJwt::parse(&sd_jwt)
            .expect("held")
            .present(
                &["given_name", "family_name", "birth_date"],
                Some((
                    &holder,
                    KeyBindingInput {
                        audience: "did:web:counter.example:berlin-lea-7",
                        nonce: "q2X0b7hT9mZ4nVYcK1sD8w",
                        issued_at: Timestamp::from_unix(ISSUED + 86_400),
                    },
                )),
            )
            .expect("present");
        let payload = encode(PayloadKind::Presentation, &pack_presentation(&presentation));
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let floor_msg = vec![0x5a; 300];
        let floor_sig = signing.sign(&floor_msg);
        Fixture {
            presentation,
            payload,
            floor_key: signing.verifying_key(),
            floor_msg,
            floor_sig,
        }
    }

    fn floor(&self) -> bool {
        self.floor_key
            .verify_strict(black_box(&self.floor_msg), black_box(&self.floor_sig))
            .is_ok()
    }

    /// Pack, deflate, base45, and the QR matrix: what the wallet does to show it.
    fn encode_and_matrix(&self) -> bool {
        let payload = encode(
            PayloadKind::Presentation,
            &pack_presentation(black_box(&self.presentation)),
        );
        QrMatrix::new(&payload).is_ok_and(|m| m.size > 0)
    }

    /// Trim, base45, inflate, unpack: what the counter does with the scanned text.
    fn decode(&self) -> bool {
        decode(black_box(&self.payload), PayloadLimits::DEFAULT)
            .ok()
            .and_then(|(_, bytes)| unpack_presentation(&bytes).ok())
            .is_some_and(|p| p.len() == self.presentation.len())
    }
}

fn criterion_benches(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("qr");
    g.bench_function("ed25519_verify_strict_floor", |b| b.iter(|| f.floor()));
    g.bench_function("encode_and_matrix", |b| b.iter(|| f.encode_and_matrix()));
    g.bench_function("decode", |b| b.iter(|| f.decode()));
    g.finish();
}

fn summary(f: &Fixture) {
    let (round, rounds) =
        support::summary_rounds(Duration::from_millis(250), 4, Duration::from_millis(100));
    let (mut floor, mut enc, mut dec) = (0.0f64, 0.0f64, 0.0f64);
    for _ in 0..rounds {
        floor = floor.max(ops_per_sec(&|| f.floor(), round, 1, 1));
        enc = enc.max(ops_per_sec(&|| f.encode_and_matrix(), round, 1, 1));
        dec = dec.max(ops_per_sec(&|| f.decode(), round, 1, 1));
    }
    let matrix = QrMatrix::new(&f.payload).map_or(0, |m| m.version());
    println!();
    println!(
        "Summary (alternating rounds of {} ms, best of {rounds}):",
        round.as_millis()
    );
    println!();
    println!("| bench | ops/s | µs/op | × ed25519 verify_strict time |");
    println!("|---|---:|---:|---:|");
    for (name, ops) in [
        ("floor/ed25519_verify_strict (300 B)", floor),
        ("qr/encode_and_matrix", enc),
        ("qr/decode", dec),
    ] {
        println!(
            "| {name} | {ops:.0} | {:.1} | {:.2} |",
            1e6 / ops,
            floor / ops
        );
    }
    println!();
    println!(
        "Payload: {} characters (QR version {matrix}, level M) for a {}-character presentation.",
        f.payload.len(),
        f.presentation.len()
    );
}

fn main() {
    let test_mode = !support::summary_wanted();
    let fixture = Fixture::new();
    let mut c = support::criterion(Duration::from_secs(3), Duration::from_secs(1), 20);
    criterion_benches(&mut c, &fixture);
    c.final_summary();
    if !test_mode {
        summary(&fixture);
    }
}
