//! Data Integrity `eddsa-jcs-2022` verification next to the Ed25519
//! `verify_strict` floor, measured in the same run (issue 6: JCS ≥ 70 % of
//! the floor).
//!
//! `cargo bench -p stele-core --bench di` runs the criterion groups and then
//! prints a Markdown table of ops/s and ratios to the floor;
//! `STELE_BENCH_QUICK=1` shortens everything; `-- --test` runs each bench
//! once and skips the table. See `benches/README.md`.

use std::hint::black_box;
use std::time::Duration;

mod support;
use support::{DiPermit, FLOOR_300, FLOOR_SAME_HASH, paired};

use criterion::Criterion;
use serde_json::{Map, Value};

use stele_core::credential::issuer::CredentialFormat;
use stele_core::di::UnverifiedSecuredDocument;
use stele_core::di::eddsa_jcs;
use stele_core::di::jcs::canonicalize_object;
use stele_core::json::{self, JsonLimits};
use stele_core::time::Timestamp;

const ISSUED: i64 = 1_790_000_000;
const NOW: i64 = ISSUED + 86_400;
const UNTIL: i64 = ISSUED + 365 * 86_400;

struct Fixture {
    permit: DiPermit,
    /// The credential as a parsed object (for the JCS-only bench).
    document: Map<String, Value>,
}

impl Fixture {
    fn new() -> Self {
        let permit = DiPermit::new(
            CredentialFormat::DataIntegrityJcs,
            &eddsa_jcs::SUITE,
            ISSUED,
            UNTIL,
        );
        let document =
            json::parse_object(permit.credential.as_bytes(), JsonLimits::DEFAULT).expect("json");
        let fixture = Fixture { permit, document };
        assert!(fixture.verify_di(), "the benchmarked credential verifies");
        fixture
    }

    fn verify_di(&self) -> bool {
        self.permit.verify(NOW)
    }

    fn canonicalize(&self) -> usize {
        canonicalize_object(black_box(&self.document))
            .expect("jcs")
            .len()
    }

    /// Parse, allow-list, and read the proofs (incl. base58 decoding).
    fn read_document(&self) -> usize {
        let doc = json::parse_object(
            black_box(self.permit.credential.as_bytes()),
            JsonLimits::DEFAULT,
        )
        .expect("json");
        stele_core::di::context::check_contexts(&doc).expect("contexts");
        UnverifiedSecuredDocument::from_document(doc)
            .expect("di")
            .proofs()
            .len()
    }

    /// The Data Integrity verification alone (no pipeline): read, then verify
    /// every proof with the already-known key.
    fn verify_document(&self) -> bool {
        let doc = json::parse_object(
            black_box(self.permit.credential.as_bytes()),
            JsonLimits::DEFAULT,
        )
        .expect("json");
        let key = stele_core::key::PublicKey::Ed25519(self.permit.floor.key());
        let check = stele_core::di::ProofCheck {
            now: Timestamp::from_unix(NOW),
            clock_skew_secs: 60,
            purpose: stele_core::did::Relationship::AssertionMethod,
            challenge: None,
            domain: None,
        };
        UnverifiedSecuredDocument::from_document(doc)
            .expect("di")
            .verify(&[key], &check)
            .is_ok()
    }

    /// Transformation, proof configuration and both SHA-256 hashes.
    fn hash_data(&self) -> u8 {
        let mut doc = self.document.clone();
        let Some(Value::Object(proof)) = doc.remove("proof") else {
            return 0;
        };
        eddsa_jcs::SUITE
            .hash_data(black_box(&doc), &proof)
            .expect("hash data")
            .to_bytes()[0]
    }

    fn parse(&self) -> usize {
        json::parse_object(
            black_box(self.permit.credential.as_bytes()),
            JsonLimits::DEFAULT,
        )
        .expect("json")
        .len()
    }
}

fn criterion_benches(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("floor");
    g.bench_function("ed25519_verify_strict", |b| {
        b.iter(|| f.permit.floor.verify())
    });
    g.bench_function("ed25519_verify_strict_di_hash_data", |b| {
        b.iter(|| f.permit.floor_di.verify())
    });
    g.finish();

    let mut g = c.benchmark_group("verify");
    g.bench_function("di_eddsa_jcs_2022", |b| b.iter(|| f.verify_di()));
    g.finish();

    let mut g = c.benchmark_group("di");
    g.bench_function("jcs_canonicalize_credential", |b| {
        b.iter(|| f.canonicalize())
    });
    g.bench_function("json_parse_credential", |b| b.iter(|| f.parse()));
    g.bench_function("read_document", |b| b.iter(|| f.read_document()));
    g.bench_function("clone_and_hash_data", |b| b.iter(|| f.hash_data()));
    g.bench_function("verify_document_known_key", |b| {
        b.iter(|| f.verify_document())
    });
    g.finish();
}

fn summary(f: &Fixture) {
    let (round, rounds) =
        support::summary_rounds(Duration::from_millis(250), 6, Duration::from_millis(100));
    let ed_floor = || f.permit.floor.verify();
    let di_floor = || f.permit.floor_di.verify();
    let m = |op: &dyn Fn() -> bool, floor: &dyn Fn() -> bool| paired(op, floor, round, rounds, 16);
    let ed = m(&ed_floor, &ed_floor);
    let di = m(&|| f.verify_di(), &ed_floor);
    let di_same = m(&|| f.verify_di(), &di_floor);
    let jcs = m(&|| f.canonicalize() > 0, &ed_floor);
    let parse = m(&|| f.parse() > 0, &ed_floor);

    const ED: &str = FLOOR_300;
    const ED_SAME: &str = FLOOR_SAME_HASH;
    let rows: [(&str, (f64, f64), &str); 5] = [
        ("floor/ed25519_verify_strict", ed, ED),
        ("verify/di_eddsa_jcs_2022", di, ED),
        ("verify/di_eddsa_jcs_2022", di_same, ED_SAME),
        ("di/jcs_canonicalize_credential", jcs, ED),
        ("di/json_parse_credential", parse, ED),
    ];
    support::print_summary(&rows, round, rounds);
    println!(
        "Credential: {} B of JSON; signed bytes: 64 B (SHA-256 of the proof configuration ‖ SHA-256 of the document).",
        f.permit.credential.len()
    );
    let target = |ratio: f64| if ratio >= 0.70 { "met" } else { "MISSED" };
    println!(
        "Target (eddsa-jcs-2022 verify ≥ 70 % of the Ed25519 verify_strict floor): {} against the 300 B floor, {} against the same-input floor.",
        target(di.0 / di.1),
        target(di_same.0 / di_same.1),
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
