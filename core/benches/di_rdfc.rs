//! Data Integrity `eddsa-rdfc-2022` verification (feature `rdfc`) next to
//! the Ed25519 `verify_strict` floor and next to `ssi`'s own verification of
//! the same credential, all measured in the same run (issue 6: Stele's rdfc
//! verification at least 3× the rate `ssi` reaches).
//!
//! `cargo bench -p stele-core --features rdfc --bench di_rdfc` runs the
//! criterion groups and then prints a Markdown table of ops/s, ratios to the
//! floor and the Stele ÷ ssi ratio; `STELE_BENCH_QUICK=1` shortens
//! everything; `-- --test` runs each bench once and skips the table. See
//! `benches/README.md`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

mod support;
use support::{DiPermit, FLOOR_300, FLOOR_SAME_HASH, paired};

use criterion::Criterion;
use serde_json::{Map, Value};
use ssi::claims::VerificationParameters;
use ssi::claims::data_integrity::{AnySuite, DataIntegrity};
use ssi::claims::vc::v2::JsonCredential;
use ssi::dids::{AnyDidMethod, VerificationMethodDIDResolver};
use ssi::json_ld::ContextLoader;
use ssi::verification_methods::AnyMethod;

use stele_core::credential::issuer::CredentialFormat;
use stele_core::di::eddsa_rdfc;
use stele_core::di::jsonld::{BUNDLED_CONTEXTS, canonical_nquads};
use stele_core::json::{self, JsonLimits};

const ISSUED: i64 = 1_790_000_000;
const NOW: i64 = ISSUED + 86_400;
const UNTIL: i64 = ISSUED + 365 * 86_400;

type SsiResolver = VerificationMethodDIDResolver<AnyDidMethod, AnyMethod>;

struct Fixture {
    permit: DiPermit,
    /// The credential without its proof (for the canonicalisation bench).
    unsecured: Map<String, Value>,
    /// The proof (for the hash-data bench).
    proof: Map<String, Value>,
    /// ssi's verification: its did:key resolver, a loader with the same
    /// bundled context documents Stele uses, and a runtime to drive it.
    ssi_resolver: SsiResolver,
    ssi_loader: ContextLoader,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn new() -> Self {
        let permit = DiPermit::new(
            CredentialFormat::DataIntegrityRdfc,
            &eddsa_rdfc::SUITE,
            ISSUED,
            UNTIL,
        );
        let mut unsecured =
            json::parse_object(permit.credential.as_bytes(), JsonLimits::DEFAULT).expect("json");
        let Some(Value::Object(proof)) = unsecured.remove("proof") else {
            panic!("one proof object")
        };
        let map: HashMap<String, String> = BUNDLED_CONTEXTS
            .iter()
            .map(|(url, doc)| ((*url).to_owned(), (*doc).to_owned()))
            .collect();
        let fixture = Fixture {
            permit,
            unsecured,
            proof,
            ssi_resolver: VerificationMethodDIDResolver::new(AnyDidMethod::default()),
            ssi_loader: ContextLoader::empty()
                .with_context_map_from(map)
                .expect("ssi loader"),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime"),
        };
        assert!(fixture.verify_rdfc(), "Stele verifies the credential");
        assert!(fixture.verify_ssi(), "ssi verifies the credential");
        fixture
    }

    /// Stele: `Verifier::verify` of the credential text (the whole pipeline).
    fn verify_rdfc(&self) -> bool {
        self.permit.verify(NOW)
    }

    /// ssi: the credential text read into its Data Integrity model, then its
    /// own verification (did:key resolved by ssi's resolver, the bundled
    /// contexts from memory).
    fn verify_ssi(&self) -> bool {
        let vc: DataIntegrity<JsonCredential, AnySuite> =
            serde_json::from_str(black_box(&self.permit.credential))
                .expect("ssi reads the credential");
        let params = VerificationParameters::from_resolver(&self.ssi_resolver)
            .with_json_ld_loader(&self.ssi_loader);
        self.runtime
            .block_on(vc.verify(params))
            .expect("ssi could check")
            .is_ok()
    }

    /// Stele's canonicalisation of the unsecured credential (expansion +
    /// RDFC-1.0 to N-Quads).
    fn canonicalize(&self) -> usize {
        canonical_nquads(black_box(&self.unsecured))
            .expect("rdfc")
            .len()
    }

    /// Both canonicalisations and both hashes (the document and the proof
    /// configuration): everything but the parse and the signature.
    fn hash_data(&self) -> u8 {
        eddsa_rdfc::SUITE
            .hash_data(black_box(&self.unsecured), &self.proof)
            .expect("hash data")
            .to_bytes()[0]
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
    g.bench_function("di_eddsa_rdfc_2022", |b| b.iter(|| f.verify_rdfc()));
    g.bench_function("ssi_eddsa_rdfc_2022", |b| b.iter(|| f.verify_ssi()));
    g.finish();

    let mut g = c.benchmark_group("rdfc");
    g.bench_function("canonicalize_credential", |b| b.iter(|| f.canonicalize()));
    g.bench_function("hash_data", |b| b.iter(|| f.hash_data()));
    g.finish();
}

fn summary(f: &Fixture) {
    let (round, rounds) =
        support::summary_rounds(Duration::from_millis(250), 6, Duration::from_millis(100));
    let ed_floor = || f.permit.floor.verify();
    let di_floor = || f.permit.floor_di.verify();
    let m = |op: &dyn Fn() -> bool, floor: &dyn Fn() -> bool| paired(op, floor, round, rounds, 4);
    let ed = m(&ed_floor, &ed_floor);
    let stele = m(&|| f.verify_rdfc(), &ed_floor);
    let stele_same = m(&|| f.verify_rdfc(), &di_floor);
    let ssi = m(&|| f.verify_ssi(), &ed_floor);
    let canon = m(&|| f.canonicalize() > 0, &ed_floor);
    let hash = m(
        &|| {
            black_box(f.hash_data());
            true
        },
        &ed_floor,
    );

    const ED: &str = FLOOR_300;
    const ED_SAME: &str = FLOOR_SAME_HASH;
    let rows: [(&str, (f64, f64), &str); 6] = [
        ("floor/ed25519_verify_strict", ed, ED),
        ("verify/di_eddsa_rdfc_2022 (Stele)", stele, ED),
        ("verify/di_eddsa_rdfc_2022 (Stele)", stele_same, ED_SAME),
        ("verify/ssi_eddsa_rdfc_2022 (ssi)", ssi, ED),
        ("rdfc/canonicalize_credential", canon, ED),
        ("rdfc/hash_data (2 canonicalisations)", hash, ED),
    ];
    support::print_summary(&rows, round, rounds);
    println!(
        "Credential: {} B of JSON, eddsa-rdfc-2022, did:key Ed25519 issuer.",
        f.permit.credential.len()
    );
    // Each rate normalised by the floor of its own rounds, so that load
    // changes between the two measurements cancel.
    let ratio = (stele.0 / stele.1) / (ssi.0 / ssi.1);
    println!(
        "Stele ÷ ssi (same credential, each normalised by its same-run floor): {ratio:.2}× — target ≥ 3×: {}.",
        if ratio >= 3.0 { "met" } else { "MISSED" }
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
