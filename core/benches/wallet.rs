//! Wallet benchmarks (issue 4, item 6): open a wallet holding 1 000
//! credentials and list them, receive a credential, present one (3 of 12
//! claims disclosed, key binding) as a QR payload — on the redb store the
//! phones use, next to the Ed25519 `verify_strict` floor measured in the same
//! run.
//!
//! `cargo bench -p stele-core --features redb-store --bench wallet` runs the
//! criterion groups and then prints the table; `STELE_BENCH_QUICK=1` shortens
//! everything; `-- --test` runs each bench once (with 20 stored credentials
//! instead of 1 000) and skips the table.
//!
//! The data key is wrapped with Argon2id at test-only cost, standing in for
//! the platform key store (Android Keystore / iOS Keychain), whose cost is
//! the device's; unlocking with a passphrase at the default Argon2id cost is
//! measured separately (`wallet/unlock_passphrase_argon2id`).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod support;
use support::ops_per_sec;

use criterion::{BatchSize, Criterion};
use ed25519_dalek::Signer as _;

use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::MethodResolver;
use stele_core::did::key::did_key_from_public;
use stele_core::key::{KeyType, SecretKey};
use stele_core::qr::{PayloadKind, encode, pack_presentation};
use stele_core::time::Timestamp;
use stele_core::verify::{TrustList, Verifier};
use stele_core::wallet::{Argon2Params, KeyWrap, PassphraseKeyWrap, RedbStore, Wallet};

const ISSUED: i64 = 1_790_000_000;
const NOW: i64 = ISSUED + 86_400;
const AUDIENCE: &str = "did:web:counter.example:berlin-lea-7";
const NONCE: &str = "q2X0b7hT9mZ4nVYcK1sD8w";
const DISCLOSE: [&str; 3] = ["given_name", "family_name", "permit_type"];

fn now() -> Timestamp {
    Timestamp::from_unix(NOW)
}

/// A wallet directory that is removed when the fixture is dropped.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Fixture {
    _dir: Dir,
    /// The wallet holding `stored` credentials, closed: opened by `open_and_list`.
    db: PathBuf,
    wrap: PassphraseKeyWrap,
    /// A second, open wallet (redb allows one handle per file) that receives and presents.
    wallet: Wallet,
    issuer: SecretKey,
    holder_did: String,
    trust: TrustList,
    verifier: Verifier,
    stored: usize,
    present_id: String,
    floor_key: ed25519_dalek::VerifyingKey,
    floor_msg: Vec<u8>,
    floor_sig: ed25519_dalek::Signature,
}

impl Fixture {
    fn new(credentials: usize) -> Self {
        let dir = std::env::temp_dir().join(format!("stele-wallet-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        let db = dir.join("full.redb");
        let wrap = PassphraseKeyWrap::with_params("bench", Argon2Params::INSECURE_FOR_TESTS);
        let full = Wallet::create(Arc::new(RedbStore::open(&db).expect("redb")), &wrap, now())
            .expect("create");
        let full_holder = full
            .create_holder_key(KeyType::P256, now())
            .expect("holder key");
        let store = Arc::new(RedbStore::open(dir.join("working.redb")).expect("redb"));
        let wallet = Wallet::create(store, &wrap, now()).expect("create");
        let holder = wallet
            .create_holder_key(KeyType::P256, now())
            .expect("holder key");
        let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
        let issuer_did = did_key_from_public(&issuer.public_key());
        let trust =
            TrustList::empty().with(issuer_did.as_str(), Some(&["ResidencePermitCredential"]));
        let verifier = Verifier::new(Arc::new(MethodResolver::default()));
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let floor_msg = vec![0x5a; 300];
        let floor_sig = signing.sign(&floor_msg);
        let mut f = Fixture {
            _dir: Dir(dir),
            db,
            wrap,
            wallet,
            issuer,
            holder_did: holder.did.clone(),
            trust,
            verifier,
            stored: credentials,
            present_id: String::new(),
            floor_key: signing.verifying_key(),
            floor_msg,
            floor_sig,
        };
        for _ in 0..credentials {
            let credential = f.issue_to(&full_holder.did);
            full.receive(&credential, &f.verifier, &f.trust, now())
                .expect("receive");
        }
        drop(full);
        let credential = f.issue();
        f.present_id = f
            .wallet
            .receive(&credential, &f.verifier, &f.trust, now())
            .expect("receive");
        f
    }

    /// A fresh residence permit (SD-JWT VC, 12 claims) for the working wallet's key.
    fn issue(&self) -> String {
        self.issue_to(&self.holder_did)
    }

    fn issue_to(&self, holder_did: &str) -> String {
        Issuer::with_did_key(&self.issuer)
            .issue(
                &IssueRequest {
                    credential_type: "ResidencePermitCredential",
                    claims: support::permit_claims(),
                    holder: Some(stele_core::did::Did::parse(holder_did).expect("holder did")),
                    valid_from: None,
                    valid_until: Some(Timestamp::from_unix(ISSUED + 365 * 86_400)),
                    format: CredentialFormat::SdJwt,
                    status: None,
                },
                Timestamp::from_unix(ISSUED),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    }

    fn floor(&self) -> bool {
        self.floor_key
            .verify_strict(black_box(&self.floor_msg), black_box(&self.floor_sig))
            .is_ok()
    }

    /// What an app does at start: open the file, unwrap the data key, list
    /// every credential (each record decrypted and parsed).
    fn open_and_list(&self) -> bool {
        let Ok(store) = RedbStore::open(&self.db) else {
            return false;
        };
        Wallet::open(Arc::new(store), &self.wrap)
            .and_then(|w| w.list())
            .is_ok_and(|l| l.len() == self.stored)
    }

    /// Receive: verify fully, check the binding to a wallet key, seal, store.
    fn receive(&self, credential: &str) -> bool {
        self.wallet
            .receive(black_box(credential), &self.verifier, &self.trust, now())
            .is_ok()
    }

    /// Present one credential, 3 of 12 claims, key binding (P-256 software
    /// key), activity-log record written, packed into the QR payload.
    fn present(&self) -> Option<String> {
        let presentation = self
            .wallet
            .present(&self.present_id, AUDIENCE, NONCE, &DISCLOSE, now())
            .ok()?;
        Some(encode(
            PayloadKind::Presentation,
            &pack_presentation(&presentation),
        ))
    }
}

fn criterion_benches(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("wallet");
    g.bench_function("ed25519_verify_strict_floor", |b| b.iter(|| f.floor()));
    g.bench_function(format!("open_and_list_{}", f.stored), |b| {
        b.iter(|| f.open_and_list())
    });
    g.bench_function("receive", |b| {
        b.iter_batched(|| f.issue(), |c| f.receive(&c), BatchSize::SmallInput)
    });
    g.bench_function("present_qr", |b| b.iter(|| f.present()));
    g.finish();
}

fn summary(f: &Fixture) {
    let (round, rounds) =
        support::summary_rounds(Duration::from_millis(500), 3, Duration::from_millis(200));
    let pool: Vec<String> = (0..2000).map(|_| f.issue()).collect();
    let mut next = pool.iter().cycle();
    let (mut floor, mut open, mut receive, mut present) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for _ in 0..rounds {
        floor = floor.max(ops_per_sec(|| f.floor(), round, 1, 1));
        open = open.max(ops_per_sec(|| f.open_and_list(), round, 1, 1));
        receive = receive.max(ops_per_sec(
            || next.next().is_some_and(|c| f.receive(c)),
            round,
            1,
            1,
        ));
        present = present.max(ops_per_sec(|| f.present().is_some(), round, 1, 1));
    }
    let unlock_start = std::time::Instant::now();
    let unlock = PassphraseKeyWrap::new("bench")
        .wrap(&[0u8; 32])
        .map(|_| unlock_start.elapsed());
    let payload = f.present().unwrap_or_default();
    println!();
    println!(
        "Summary (alternating rounds of {} ms, best of {rounds}; redb file, P-256 software holder key):",
        round.as_millis()
    );
    println!();
    println!("| bench | ops/s | ms/op | × ed25519 verify_strict time |");
    println!("|---|---:|---:|---:|");
    for (name, ops) in [
        ("floor/ed25519_verify_strict (300 B)".to_owned(), floor),
        (
            format!("wallet/open_and_list ({} credentials)", f.stored),
            open,
        ),
        ("wallet/receive (verify + seal + store)".to_owned(), receive),
        ("wallet/present_qr (3 of 12 claims, KB)".to_owned(), present),
    ] {
        println!(
            "| {name} | {ops:.1} | {:.3} | {:.1} |",
            1e3 / ops,
            floor / ops
        );
    }
    if let Ok(t) = unlock {
        println!(
            "| wallet/unlock_passphrase_argon2id (64 MiB, 3 passes) | {:.1} | {:.3} | {:.1} |",
            1.0 / t.as_secs_f64(),
            t.as_secs_f64() * 1e3,
            floor * t.as_secs_f64()
        );
    }
    println!();
    println!(
        "Presentation QR payload: {} alphanumeric characters (residence permit, 3 of 12 claims, key binding; target ≤ 1 000).",
        payload.len()
    );
}

fn main() {
    let test_mode = !support::summary_wanted();
    let fixture = Fixture::new(if test_mode { 20 } else { 1000 });
    // Each benchmarked operation must do its work, or its figure means nothing.
    assert!(fixture.open_and_list(), "open_and_list failed");
    assert!(fixture.receive(&fixture.issue()), "receive failed");
    assert!(fixture.present().is_some(), "present failed");
    let mut c = support::criterion(Duration::from_secs(3), Duration::from_secs(1), 10);
    criterion_benches(&mut c, &fixture);
    c.final_summary();
    if !test_mode {
        summary(&fixture);
    }
}
