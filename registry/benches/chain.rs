//! Benchmarks of the chain-anchored paths (issue 3, item 7), next to the
//! Ed25519 signature floor measured in the same run (PRODUCT.md §7):
//!
//! - did:ethr resolution, cold (a fresh resolver) and cached (same resolver,
//!   unchanged DID), for DIDs with 1, 10 and 100 changes, on the embedded
//!   chain and on Anvil (started here; skipped with a note when not installed);
//! - status lists: sync (a fresh `ChainStatus` fetching and decoding a
//!   published 131 072-entry list) and lookup (a cached `check`);
//! - end-to-end verify of a chain-anchored SD-JWT (an `Agency` issuer,
//!   `ChainTrust` accreditation, `ChainStatus` status, `EthrDidResolver`)
//!   with warm caches, and the parts of it that touch the chain.
//!
//! `cargo bench -p stele-registry --bench chain` runs the criterion groups and
//! then prints a Markdown table; `STELE_BENCH_QUICK=1` shortens everything;
//! under `cargo test` (no `--bench`) or with `-- --test` each bench runs once
//! and there is no table. See `benches/README.md`.

#[allow(dead_code)] // the test support module; the benches use part of it
#[path = "../tests/support/anvil.rs"]
mod node;

use std::any::Any;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[path = "../../core/benches/support/mod.rs"]
mod support;
use support::{ops_per_sec, paired, quick};

use alloy_primitives::{Bytes, U256};
use alloy_sol_types::SolCall;
use criterion::Criterion;
use ed25519_dalek::Signer as _;
use serde_json::Value;
use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::{Did, DidResolver, ResolutionOptions};
use stele_core::encoding::b64url_decode;
use stele_core::key::SecretKey;
use stele_core::status::{StatusPurpose, sd_jwt_status_claim};
use stele_core::time::{Clock, SystemClock, Timestamp};
use stele_core::verify::{StatusChecker, TrustSource, Verifier, VerifyOptions};
use stele_registry::agency::Agency;
use stele_registry::contracts::{self, DIDRegistry, Deployment};
use stele_registry::did_ethr::{EthrDidResolver, text_bytes32};
use stele_registry::status::ChainStatus;
use stele_registry::trust::{self, ChainTrust};
use stele_registry::{Account, Chain, EmbeddedChain, EmbeddedConfig, TxRequest};

const SIZES: [usize; 3] = [1, 10, 100];
const TYPE: &str = "ResidencePermitCredential";

// ---- fixtures -------------------------------------------------------------------

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One chain with the contracts, DIDs with 1, 10 and 100 changes, and a
/// chain-anchored credential with everything needed to verify it.
struct Backend {
    name: &'static str,
    chain: Arc<dyn Chain>,
    deployment: Deployment,
    /// (number of changes, DID)
    dids: Vec<(usize, Did)>,
    /// Warm resolvers, one per DID.
    warm: Vec<EthrDidResolver>,
    e2e: E2e,
    _guard: Box<dyn Any>,
}

struct E2e {
    issuer: String,
    credential: String,
    now: Timestamp,
    issued: Timestamp,
    verifier: Verifier,
    resolver: Arc<EthrDidResolver>,
    trust: ChainTrust,
    status: Arc<ChainStatus>,
    status_claim: Value,
    list_url: String,
    /// The issuer JWT's signing input and signature: the floor on the same message.
    jwt_input: Vec<u8>,
    jwt_sig: ed25519_dalek::Signature,
    jwt_vk: ed25519_dalek::VerifyingKey,
}

impl Backend {
    fn new(
        name: &'static str,
        chain: Arc<dyn Chain>,
        deployer: Account,
        guard: Box<dyn Any>,
    ) -> Self {
        let deployment =
            contracts::deploy(&*chain, &deployer, &[deployer.address()]).expect("deploy");
        let chain_id = deployment.chain_id;
        let mut dids = Vec::new();
        for n in SIZES {
            let owner = Account::generate(&mut rand_core::OsRng);
            for i in 0..n {
                let call = DIDRegistry::setAttributeCall {
                    identity: owner.address(),
                    name: text_bytes32("did/svc/Bench").expect("short"),
                    value: Bytes::from(format!("https://bench.example/{i}").into_bytes()),
                    validity: U256::from(86_400u64 * 365),
                };
                owner
                    .send(
                        &*chain,
                        &TxRequest {
                            to: Some(deployment.did_registry),
                            data: call.abi_encode().into(),
                            gas: None,
                        },
                    )
                    .expect("setAttribute");
            }
            let did =
                Did::parse(&EthrDidResolver::did_for(chain_id, owner.address())).expect("DID");
            dids.push((n, did));
        }
        let warm = dids
            .iter()
            .map(|(n, did)| {
                let r = resolver(&chain, &deployment);
                let doc = r
                    .resolve(did, &ResolutionOptions::default())
                    .expect("resolves");
                assert_eq!(doc.document.service.len(), *n, "every change is a service");
                r
            })
            .collect();
        let e2e = E2e::new(&chain, &deployment, &deployer);
        let backend = Backend {
            name,
            chain,
            deployment,
            dids,
            warm,
            e2e,
            _guard: guard,
        };
        assert!(backend.sync(), "the status list syncs");
        backend
    }

    fn resolve_cold(&self, i: usize) -> bool {
        resolver(&self.chain, &self.deployment)
            .resolve(black_box(&self.dids[i].1), &ResolutionOptions::default())
            .is_ok()
    }

    fn resolve_cached(&self, i: usize) -> bool {
        self.warm[i]
            .resolve(black_box(&self.dids[i].1), &ResolutionOptions::default())
            .is_ok()
    }
}

fn resolver(chain: &Arc<dyn Chain>, d: &Deployment) -> EthrDidResolver {
    EthrDidResolver::new(chain.clone(), d.did_registry, d.chain_id, &[])
}

impl E2e {
    fn new(chain: &Arc<dyn Chain>, d: &Deployment, governor: &Account) -> Self {
        let rng = &mut rand_core::OsRng;
        let mut agency = Agency::create(chain, d, "Bench agency", "https://status.example", rng)
            .expect("agency");
        let issuer = agency.did();
        // A 131 072-entry revocation list with some bits set (not index 0,
        // which the credential gets).
        for i in (1..131_072u64).step_by(97) {
            agency
                .set_status(StatusPurpose::Revocation, i, true)
                .expect("set");
        }
        agency
            .publish(chain, d, StatusPurpose::Revocation)
            .expect("publish");
        let entries = agency.allocate_status().expect("index");
        let list_url = entries[0].list_url.clone();
        assert_eq!(agency.lists[0].list.len(), 131_072);

        let start = SystemClock.now();
        trust::accredit(
            &**chain,
            d.accreditation,
            governor,
            &issuer,
            TYPE,
            (start.unix() - 86_400) as u64,
            (start.unix() + 86_400 * 365) as u64,
        )
        .expect("accredit");
        let issued = SystemClock.now();
        let now = issued.plus(60);
        let key = agency.signing_key().expect("a key");
        let status_claim = sd_jwt_status_claim(&entries);
        let credential = Issuer::new(&key.key, Did::parse(&issuer).expect("DID"), key.kid.clone())
            .issue(
                &IssueRequest {
                    credential_type: TYPE,
                    claims: support::permit_claims(),
                    holder: None,
                    valid_from: None,
                    valid_until: Some(issued.plus(86_400 * 365)),
                    format: CredentialFormat::SdJwt,
                    status: Some(status_claim.clone()),
                },
                issued,
                rng,
            )
            .expect("issue");
        // Credentials shown at a counter were issued before the chain's
        // latest block (chains make blocks all the time): a block a second
        // later settles the credential's accreditation answer (ADR 0017).
        std::thread::sleep(std::time::Duration::from_millis(1100));
        trust::accredit(
            &**chain,
            d.accreditation,
            governor,
            "did:example:other",
            TYPE,
            0,
            1,
        )
        .expect("a later block");
        let jwt = credential.split('~').next().expect("issuer JWT");
        let (input, sig) = jwt.rsplit_once('.').expect("compact JWS");
        let (jwt_input, jwt_sig) = (input.as_bytes().to_vec(), b64url_decode(sig).expect("b64"));
        let SecretKey::Ed25519(sk) = &key.key else {
            panic!("agency keys are Ed25519")
        };
        let resolver = Arc::new(resolver(chain, d));
        let status = Arc::new(ChainStatus::new(chain.clone(), d.status_lists, 3600));
        let e2e = E2e {
            verifier: Verifier::new(resolver.clone()).with_status(status.clone()),
            resolver,
            trust: ChainTrust::new(chain.clone(), d.accreditation),
            status,
            status_claim,
            list_url,
            issuer,
            credential,
            now,
            issued,
            jwt_input,
            jwt_sig: ed25519_dalek::Signature::from_slice(&jwt_sig).expect("sig"),
            jwt_vk: sk.verifying_key(),
        };
        // Every bench must measure a success, not a fast rejection.
        assert!(e2e.verify(), "the chain-anchored credential verifies");
        assert!(e2e.floor_same_input());
        assert!(e2e.lookup());
        assert!(e2e.accredited());
        assert!(e2e.resolve_at_issuance());
        e2e
    }

    fn verify(&self) -> bool {
        let opts = VerifyOptions::new(self.now, &self.trust);
        let verdict = self
            .verifier
            .verify(black_box(&self.credential), &opts)
            .expect("could check");
        verdict.verified
    }

    fn floor_same_input(&self) -> bool {
        self.jwt_vk
            .verify_strict(black_box(&self.jwt_input), &self.jwt_sig)
            .is_ok()
    }

    /// A cached status check (the list synced and within its maximum age).
    fn lookup(&self) -> bool {
        self.status
            .check(&self.issuer, black_box(&self.status_claim), self.now)
            .is_ok_and(|o| o == stele_core::verify::StatusOutcome::Valid)
    }

    /// A fresh `ChainStatus`: `published()` call, the log of that block, and
    /// decoding (base64url + GZIP) of the 131 072-entry list.
    fn sync(&self, chain: &Arc<dyn Chain>, d: &Deployment) -> bool {
        let fresh = ChainStatus::new(chain.clone(), d.status_lists, 3600);
        let identity = self
            .issuer
            .rsplit(':')
            .next()
            .and_then(|a| a.parse().ok())
            .expect("address");
        fresh
            .list(identity, black_box(&self.list_url), self.now)
            .is_ok_and(|l| l.len() == 131_072)
    }

    /// The accreditation `eth_call` the verifier makes.
    fn accredited(&self) -> bool {
        self.trust
            .is_accredited(&self.issuer, TYPE, self.issued)
            .unwrap_or(false)
    }

    /// The resolution the verifier makes: the issuer's DID at issuance time, warm cache.
    fn resolve_at_issuance(&self) -> bool {
        let did = Did::parse(&self.issuer).expect("DID");
        self.resolver
            .resolve(
                black_box(&did),
                &ResolutionOptions {
                    version_time: Some(self.issued),
                    version_id: None,
                },
            )
            .is_ok()
    }
}

// The status sync needs the chain and deployment; keep the E2e API uniform.
impl Backend {
    fn sync(&self) -> bool {
        self.e2e.sync(&self.chain, &self.deployment)
    }
}

/// The 300-byte Ed25519 floor.
struct Floor {
    vk: ed25519_dalek::VerifyingKey,
    msg: Vec<u8>,
    sig: ed25519_dalek::Signature,
}

impl Floor {
    fn new() -> Self {
        let sk = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        let msg: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        let sig = sk.sign(&msg);
        Floor {
            vk: sk.verifying_key(),
            msg,
            sig,
        }
    }
    fn verify(&self) -> bool {
        self.vk
            .verify_strict(black_box(&self.msg), black_box(&self.sig))
            .is_ok()
    }
}

fn embedded() -> Backend {
    let dir = std::env::temp_dir().join(format!("stele-bench-chain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let chain = EmbeddedChain::open(&dir, EmbeddedConfig::default()).expect("embedded chain");
    Backend::new(
        "embedded",
        Arc::new(chain),
        Account::generate(&mut rand_core::OsRng),
        Box::new(Scratch(dir)),
    )
}

fn anvil() -> Option<Backend> {
    if !node::is_installed() {
        println!(
            "note: Anvil is not installed (npm ci --prefix registry): the Anvil rows are skipped"
        );
        return None;
    }
    let node = node::Anvil::start();
    let chain: Arc<dyn Chain> = Arc::new(node.chain());
    let deployer = node.account();
    Some(Backend::new("anvil", chain, deployer, Box::new(node)))
}

// ---- criterion ------------------------------------------------------------------

fn criterion_benches(c: &mut Criterion, floor: &Floor, backends: &[Backend]) {
    let mut g = c.benchmark_group("floor");
    g.bench_function("ed25519_verify_strict", |b| b.iter(|| floor.verify()));
    g.finish();
    for be in backends {
        let mut g = c.benchmark_group(format!("resolve_{}", be.name));
        for (i, (n, _)) in be.dids.iter().enumerate() {
            g.bench_function(format!("cold/{n}"), |b| b.iter(|| be.resolve_cold(i)));
            g.bench_function(format!("cached/{n}"), |b| b.iter(|| be.resolve_cached(i)));
        }
        g.finish();
        let mut g = c.benchmark_group(format!("status_{}", be.name));
        g.bench_function("sync_131072", |b| b.iter(|| be.sync()));
        g.bench_function("lookup", |b| b.iter(|| be.e2e.lookup()));
        g.finish();
        let mut g = c.benchmark_group(format!("verify_{}", be.name));
        g.bench_function("sd_jwt_chain_warm", |b| b.iter(|| be.e2e.verify()));
        g.bench_function("part/resolve_at_issuance_cached", |b| {
            b.iter(|| be.e2e.resolve_at_issuance())
        });
        g.bench_function("part/is_accredited", |b| b.iter(|| be.e2e.accredited()));
        g.finish();
    }
}

// ---- summary table ----------------------------------------------------------------

fn summary(floor: &Floor, backends: &[Backend], anvil_missing: bool) {
    let (round, rounds) =
        support::summary_rounds(Duration::from_millis(250), 4, Duration::from_millis(100));
    let fl = || floor.verify();
    let floor_ops = ops_per_sec(&fl, round, rounds * 2, 1);
    let mut rows: Vec<(String, f64, f64, &str)> = vec![(
        "floor/ed25519_verify_strict (300 B)".into(),
        floor_ops,
        floor_ops,
        "ed25519",
    )];
    for be in backends {
        for (i, (n, _)) in be.dids.iter().enumerate() {
            for (kind, op) in [
                ("cold", &(|| be.resolve_cold(i)) as &dyn Fn() -> bool),
                ("cached", &(|| be.resolve_cached(i)) as &dyn Fn() -> bool),
            ] {
                rows.push((
                    format!("resolve_{}/{kind}/{n} changes", be.name),
                    ops_per_sec(op, round, rounds, 1),
                    floor_ops,
                    "ed25519",
                ));
            }
        }
        rows.push((
            format!("status_{}/sync_131072 (fresh ChainStatus)", be.name),
            ops_per_sec(&|| be.sync(), round, rounds, 1),
            floor_ops,
            "ed25519",
        ));
        rows.push((
            format!("status_{}/lookup (cached check)", be.name),
            ops_per_sec(&|| be.e2e.lookup(), round, rounds, 1),
            floor_ops,
            "ed25519",
        ));
        rows.push((
            format!("verify_{}/part: resolve at issuance (cached)", be.name),
            ops_per_sec(&|| be.e2e.resolve_at_issuance(), round, rounds, 1),
            floor_ops,
            "ed25519",
        ));
        rows.push((
            format!(
                "verify_{}/part: accreditation (settled answer, kept)",
                be.name
            ),
            ops_per_sec(&|| be.e2e.accredited(), round, rounds, 1),
            floor_ops,
            "ed25519",
        ));
        let (v, f) = paired(&|| be.e2e.verify(), &fl, round, rounds + 2, 1);
        rows.push((
            format!("verify_{}/sd_jwt_chain_warm", be.name),
            v,
            f,
            "ed25519 (paired)",
        ));
        let (v2, f2) = paired(
            &|| be.e2e.verify(),
            &|| be.e2e.floor_same_input(),
            round,
            rounds + 2,
            1,
        );
        rows.push((
            format!("verify_{}/sd_jwt_chain_warm", be.name),
            v2,
            f2,
            "ed25519, same signing input (paired)",
        ));
    }

    println!();
    println!(
        "Summary (best of {rounds} rounds of {} ms; verify rows alternate with their floor{}):",
        round.as_millis(),
        if quick() { ", STELE_BENCH_QUICK" } else { "" }
    );
    println!();
    println!("| bench | ops/s | µs/op | floor | floor ops/s | ratio |");
    println!("|---|---:|---:|---|---:|---:|");
    for (name, ops, f, floor_name) in &rows {
        println!(
            "| {name} | {ops:.0} | {:.1} | {floor_name} | {f:.0} | {:.1} % |",
            1e6 / ops,
            100.0 * ops / f
        );
    }
    if anvil_missing {
        println!();
        println!("Anvil rows skipped: Anvil is not installed (npm ci --prefix registry).");
    }
    if let Some(be) = backends.first() {
        let jwt = be.e2e.jwt_input.len();
        println!();
        println!("SD-JWT issuer signing input: {jwt} B (the floor signs 300 B).");
        let verify = rows
            .iter()
            .find(|r| r.0 == format!("verify_{}/sd_jwt_chain_warm", be.name));
        if let Some((_, v, f, _)) = verify {
            println!(
                "Target (verify with warm caches ≥ 80 % of the floor, {}): {}.",
                be.name,
                if v / f >= 0.8 { "met" } else { "MISSED" }
            );
        }
    }
}

fn main() {
    let test_mode = !support::summary_wanted();
    let floor = Floor::new();
    assert!(floor.verify());
    let mut backends = vec![embedded()];
    let anvil = anvil();
    let anvil_missing = anvil.is_none();
    backends.extend(anvil);

    let mut c = support::criterion(Duration::from_millis(1500), Duration::from_millis(500), 10);
    criterion_benches(&mut c, &floor, &backends);
    c.final_summary();

    if !test_mode {
        summary(&floor, &backends, anvil_missing);
    }
}
