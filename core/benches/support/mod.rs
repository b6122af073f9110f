//! The same-run timing harness every Stele benchmark uses for its summary
//! table (core/benches/*.rs and registry/benches/chain.rs include this file).

#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// `STELE_BENCH_QUICK=1` shortens every benchmark.
pub fn quick() -> bool {
    std::env::var_os("STELE_BENCH_QUICK").is_some_and(|v| v != "0" && !v.is_empty())
}

/// Criterion as every Stele bench runs it: `measure`, `warm` and `samples`,
/// or 300 ms / 100 ms / 10 samples under `STELE_BENCH_QUICK`; the command
/// line has the last word.
pub fn criterion(measure: Duration, warm: Duration, samples: usize) -> criterion::Criterion {
    let (measure, warm, samples) = if quick() {
        (Duration::from_millis(300), Duration::from_millis(100), 10)
    } else {
        (measure, warm, samples)
    };
    criterion::Criterion::default()
        .measurement_time(measure)
        .warm_up_time(warm)
        .sample_size(samples)
        .configure_from_args()
}

/// The rounds of a same-run summary: `round` × `rounds`, or one round of
/// `quick_round` under `STELE_BENCH_QUICK`.
pub fn summary_rounds(round: Duration, rounds: u32, quick_round: Duration) -> (Duration, u32) {
    if quick() {
        (quick_round, 1)
    } else {
        (round, rounds)
    }
}

/// One summary row: the bench, (its ops/s, its floor's ops/s), the floor's name.
pub type Row<'a> = (&'a str, (f64, f64), &'a str);

/// Prints the summary table: each op next to the floor measured in the
/// same alternating rounds, and their ratio.
pub fn print_summary(rows: &[Row<'_>], round: Duration, rounds: u32) {
    println!();
    println!(
        "Summary (each op and its floor in {rounds} alternating rounds of {} ms, best of each{}):",
        round.as_millis(),
        if quick() { ", STELE_BENCH_QUICK" } else { "" }
    );
    println!();
    println!("| bench | ops/s | floor | floor ops/s | ratio |");
    println!("|---|---:|---|---:|---:|");
    for (name, (ops, floor_ops), floor) in rows {
        let ratio = 100.0 * ops / floor_ops;
        // Two decimals for the small ratios (a slow path next to the floor).
        let decimals = if ratio < 10.0 { 2 } else { 1 };
        println!("| {name} | {ops:.0} | {floor} | {floor_ops:.0} | {ratio:.decimals$} % |");
    }
    println!();
}

/// The floor's message: 300 bytes, the size of a small signing input.
pub fn floor_message() -> Vec<u8> {
    (0..300u32).map(|i| (i % 251) as u8).collect()
}

/// Raw Ed25519 `verify_strict` of one message: the floor of every bench.
pub struct EdFloor {
    vk: ed25519_dalek::VerifyingKey,
    msg: Vec<u8>,
    sig: ed25519_dalek::Signature,
}

impl EdFloor {
    /// `sk`'s signature over `msg`.
    pub fn new(sk: &ed25519_dalek::SigningKey, msg: &[u8]) -> Self {
        use ed25519_dalek::Signer;
        EdFloor {
            vk: sk.verifying_key(),
            msg: msg.to_vec(),
            sig: sk.sign(msg),
        }
    }

    /// A signature someone else made over `msg` with the key `vk`.
    pub fn of(vk: ed25519_dalek::VerifyingKey, msg: &[u8], sig: ed25519_dalek::Signature) -> Self {
        EdFloor {
            vk,
            msg: msg.to_vec(),
            sig,
        }
    }

    /// The verifying key.
    pub fn key(&self) -> ed25519_dalek::VerifyingKey {
        self.vk
    }

    /// One `verify_strict`; true when it verifies.
    pub fn verify(&self) -> bool {
        self.vk
            .verify_strict(black_box(&self.msg), black_box(&self.sig))
            .is_ok()
    }
}

/// Whether the summary table is wanted: not under `cargo test` (which passes
/// no `--bench`: criterion then runs each bench once, in the debug profile),
/// nor in criterion's `--test`, `--list` and `--profile-time` modes.
pub fn summary_wanted() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"))
}

/// Best-of-`rounds` ops/s of `op`, after a warm-up. Best-of, because the
/// machine is shared: interference only ever makes an op slower. The clock
/// is read every `batch` ops to keep its cost out of fast ops.
pub fn ops_per_sec<R>(mut op: impl FnMut() -> R, round: Duration, rounds: u32, batch: u64) -> f64 {
    let warm = Instant::now();
    while warm.elapsed() < round / 3 {
        black_box(op());
    }
    let mut best = 0.0f64;
    for _ in 0..rounds {
        let start = Instant::now();
        let mut n = 0u64;
        loop {
            for _ in 0..batch {
                black_box(op());
            }
            n += batch;
            let el = start.elapsed();
            if el >= round {
                best = best.max(n as f64 / el.as_secs_f64());
                break;
            }
        }
    }
    best
}

/// ops/s of `op` and of its `floor`, in alternating rounds so that both see
/// the same machine load; best of each.
pub fn paired(
    op: &dyn Fn() -> bool,
    floor: &dyn Fn() -> bool,
    round: Duration,
    rounds: u32,
    batch: u64,
) -> (f64, f64) {
    let (mut best_op, mut best_floor) = (0.0f64, 0.0f64);
    for _ in 0..rounds {
        best_floor = best_floor.max(ops_per_sec(floor, round, 1, batch));
        best_op = best_op.max(ops_per_sec(op, round, 1, batch));
    }
    (best_op, best_floor)
}

/// The sample residence permit's 12 claims every benchmark issues.
pub fn permit_claims() -> serde_json::Map<String, serde_json::Value> {
    match serde_json::json!({
        "given_name": "Amira", "family_name": "Haddad", "birth_date": "1990-04-12",
        "nationality": "SYR", "document_number": "RP-2026-000123",
        "permit_type": "temporary", "valid_from": "2026-09-21", "valid_until": "2027-09-20",
        "issuing_authority": "Landesamt für Einwanderung Berlin", "issuing_country": "DEU",
        "address": {"street_address": "Hauptstr. 1", "locality": "Berlin", "postal_code": "10115", "country": "DEU"},
        "access_to_labour_market": true
    }) {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// The benches' residence permit in `format`: issuer key `[42; 32]` and
/// holder key `[43; 32]` (Ed25519, did:key), issued at `issued`, valid until
/// `until` (Unix seconds). Returns the issuer's key and the credential.
pub fn did_key_permit(
    format: stele_core::credential::issuer::CredentialFormat,
    issued: i64,
    until: i64,
) -> (stele_core::key::SecretKey, String) {
    use stele_core::credential::issuer::{IssueRequest, Issuer};
    use stele_core::did::key::did_key_from_public;
    use stele_core::key::{KeyType, SecretKey};
    use stele_core::time::Timestamp;
    let key = |seed: u8| match SecretKey::from_bytes(KeyType::Ed25519, &[seed; 32]) {
        Ok(k) => k,
        Err(e) => panic!("a fixed Ed25519 key: {e}"),
    };
    let (issuer, holder) = (key(42), key(43));
    let credential = Issuer::with_did_key(&issuer).issue(
        &IssueRequest {
            credential_type: "ResidencePermitCredential",
            claims: permit_claims(),
            holder: Some(did_key_from_public(&holder.public_key())),
            valid_from: None,
            valid_until: Some(Timestamp::from_unix(until)),
            format,
            status: None,
        },
        Timestamp::from_unix(issued),
        &mut rand_core::OsRng,
    );
    match credential {
        Ok(c) => (issuer, c),
        Err(e) => panic!("the benches' permit issues: {e}"),
    }
}

/// The floor rows' names in every summary table.
pub const FLOOR_300: &str = "ed25519 verify_strict (300 B)";
/// The floor over a Data Integrity credential's own 64-byte hash data.
pub const FLOOR_SAME_HASH: &str = "ed25519 verify_strict, same 64 B hash data";

/// A Data Integrity permit for the benches ([`did_key_permit`] in `format`,
/// signed with `suite`), a verifier that trusts its issuer for the type, the
/// 300-byte floor, and the floor over the credential's own signed bytes
/// (the 64-byte hash data and the proof's signature).
pub struct DiPermit {
    /// The credential (JSON text).
    pub credential: String,
    /// Trusts the issuer for `ResidencePermitCredential`.
    pub trust: stele_core::verify::TrustList,
    /// Resolves did:key.
    pub verifier: stele_core::verify::Verifier,
    /// The 300-byte floor, with the issuer's key.
    pub floor: EdFloor,
    /// `verify_strict` of the credential's own hash data and signature.
    pub floor_di: EdFloor,
}

impl DiPermit {
    /// Issues the permit at `issued`, valid until `until`.
    pub fn new(
        format: stele_core::credential::issuer::CredentialFormat,
        suite: &stele_core::di::eddsa_jcs::Suite,
        issued: i64,
        until: i64,
    ) -> Self {
        use stele_core::di::UnverifiedSecuredDocument;
        use stele_core::json::{JsonLimits, parse_object};
        let (issuer, credential) = did_key_permit(format, issued, until);
        let issuer_did = stele_core::did::key::did_key_from_public(&issuer.public_key());
        let stele_core::key::SecretKey::Ed25519(sk) = &issuer else {
            panic!("the benches' issuer is Ed25519")
        };
        let parsed = parse_object(credential.as_bytes(), JsonLimits::DEFAULT)
            .ok()
            .and_then(|d| UnverifiedSecuredDocument::from_document(d).ok())
            .unwrap_or_else(|| panic!("the benches' permit is a Data Integrity document"));
        let proof = &parsed.proofs()[0];
        let data = match suite.hash_data(parsed.unverified_document(), proof.members()) {
            Ok(d) => d,
            Err(e) => panic!("hash data: {e}"),
        };
        let signature = match ed25519_dalek::Signature::from_slice(proof.proof_value()) {
            Ok(s) => s,
            Err(e) => panic!("proofValue: {e}"),
        };
        let permit = DiPermit {
            trust: stele_core::verify::TrustList::empty()
                .with(issuer_did.as_str(), Some(&["ResidencePermitCredential"])),
            verifier: stele_core::verify::Verifier::new(std::sync::Arc::new(
                stele_core::did::key::DidKeyResolver::default(),
            )),
            credential,
            floor: EdFloor::new(sk, &floor_message()),
            floor_di: EdFloor::of(sk.verifying_key(), &data.to_bytes(), signature),
        };
        assert!(permit.floor_di.verify(), "the proof signs the hash data");
        permit
    }

    /// Stele's `Verifier::verify` of the credential text at `now` (the whole
    /// pipeline, a quick check); true when it verifies.
    pub fn verify(&self, now: i64) -> bool {
        let opts = stele_core::verify::VerifyOptions::new(
            stele_core::time::Timestamp::from_unix(now),
            &self.trust,
        );
        self.verifier
            .verify(black_box(&self.credential), &opts)
            .is_ok_and(|v| v.verified)
    }
}
