//! Benchmarks of Stele's hot paths, each next to the signature floor
//! measured in the same run (PRODUCT.md §7).
//!
//! `cargo bench -p stele-core --bench engine` runs the criterion groups and
//! then prints a Markdown table of ops/s and ratios to the floor.
//! `STELE_BENCH_QUICK=1` shortens everything; `-- --test` runs each bench
//! once and skips the table. See `benches/README.md`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

mod support;
use support::paired;

use criterion::Criterion;
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;

use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::key::{DidKeyResolver, did_key_from_public, public_key_from_did_key};
use stele_core::did::{Did, DidResolver, ResolutionOptions};
use stele_core::encoding::b64url_decode;
use stele_core::key::{KeyType, SecretKey};
use stele_core::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use stele_core::time::Timestamp;
use stele_core::verify::{HolderBinding, TrustList, Verifier, VerifyOptions};

const ISSUED: i64 = 1_790_000_000;
const NOW: i64 = ISSUED + 86_400;
const UNTIL: i64 = ISSUED + 365 * 86_400;
const AUDIENCE: &str = "counter-1";
const NONCE: &str = "n-0123456789abcdef";
const DISCLOSE: [&str; 3] = ["given_name", "family_name", "birth_date"];

/// Everything the benches need, built once.
struct Fixture {
    issuer: SecretKey,
    holder_p256: SecretKey,
    issuer_did: Did,
    request_jwt: IssueRequest<'static>,
    request_sd_jwt: IssueRequest<'static>,
    trust: TrustList,
    verifier: Verifier,
    vc_jwt: String,
    sd_jwt_p256: String,
    presentation_p256: String,
    presentation_ed25519: String,
    /// Raw floor material.
    ed_vk: ed25519_dalek::VerifyingKey,
    ed_msg: Vec<u8>,
    ed_sig: ed25519_dalek::Signature,
    p256_vk: p256::ecdsa::VerifyingKey,
    p256_sig: p256::ecdsa::Signature,
    /// The VC-JOSE credential's own signing input and signature: the floor
    /// for "overhead beyond the signature itself" on that exact message.
    vc_input: Vec<u8>,
    vc_sig: ed25519_dalek::Signature,
    /// The two signatures of each presentation, as raw verifies.
    two_sig_p256: TwoSig,
    two_sig_ed25519: TwoSig,
}

/// The issuer and holder signatures of one SD-JWT+KB presentation, with
/// their exact signing inputs and keys.
struct TwoSig {
    issuer_vk: ed25519_dalek::VerifyingKey,
    issuer_input: Vec<u8>,
    issuer_sig: ed25519_dalek::Signature,
    holder: HolderSig,
}

enum HolderSig {
    P256(p256::ecdsa::VerifyingKey, Vec<u8>, p256::ecdsa::Signature),
    Ed25519(
        ed25519_dalek::VerifyingKey,
        Vec<u8>,
        ed25519_dalek::Signature,
    ),
}

impl TwoSig {
    fn from_presentation(issuer: &SecretKey, holder: &SecretKey, presentation: &str) -> Self {
        let issuer_jwt = presentation.split('~').next().expect("issuer jwt");
        let kb_jwt = presentation.rsplit('~').next().expect("kb jwt");
        let (issuer_input, issuer_sig) = split_sig(issuer_jwt);
        let (holder_input, holder_sig) = split_sig(kb_jwt);
        let SecretKey::Ed25519(issuer_sk) = issuer else {
            panic!("issuer is Ed25519")
        };
        let holder = match holder {
            SecretKey::Ed25519(sk) => HolderSig::Ed25519(
                sk.verifying_key(),
                holder_input,
                ed25519_dalek::Signature::from_slice(&holder_sig).expect("sig"),
            ),
            SecretKey::P256(sk) => HolderSig::P256(
                *sk.verifying_key(),
                holder_input,
                p256::ecdsa::Signature::from_slice(&holder_sig).expect("sig"),
            ),
            _ => panic!("holder keys are Ed25519 or P-256"),
        };
        TwoSig {
            issuer_vk: issuer_sk.verifying_key(),
            issuer_input,
            issuer_sig: ed25519_dalek::Signature::from_slice(&issuer_sig).expect("sig"),
            holder,
        }
    }

    fn verify(&self) -> bool {
        let a = self
            .issuer_vk
            .verify_strict(black_box(&self.issuer_input), &self.issuer_sig)
            .is_ok();
        let b = match &self.holder {
            HolderSig::P256(vk, m, s) => vk.verify(black_box(m), s).is_ok(),
            HolderSig::Ed25519(vk, m, s) => vk.verify_strict(black_box(m), s).is_ok(),
        };
        a && b
    }
}

fn split_sig(jws: &str) -> (Vec<u8>, Vec<u8>) {
    let (input, sig) = jws.rsplit_once('.').expect("compact jws");
    (
        input.as_bytes().to_vec(),
        b64url_decode(sig).expect("base64url signature"),
    )
}

impl Fixture {
    fn new() -> Self {
        let rng = &mut rand_core::OsRng;
        let issuer = SecretKey::generate(KeyType::Ed25519, rng);
        let holder_p256 = SecretKey::generate(KeyType::P256, rng);
        let holder_ed25519 = SecretKey::generate(KeyType::Ed25519, rng);
        let issuer_did = did_key_from_public(&issuer.public_key());
        let holder_p256_did = did_key_from_public(&holder_p256.public_key());
        let holder_ed25519_did = did_key_from_public(&holder_ed25519.public_key());
        let trust =
            TrustList::empty().with(issuer_did.as_str(), Some(&["ResidencePermitCredential"]));
        let verifier = Verifier::new(Arc::new(DidKeyResolver::default()));

        let vc_jwt = issue(&issuer, &holder_p256_did, CredentialFormat::Jwt);
        let sd_jwt_p256 = issue(&issuer, &holder_p256_did, CredentialFormat::SdJwt);
        let sd_jwt_ed25519 = issue(&issuer, &holder_ed25519_did, CredentialFormat::SdJwt);
        let presentation_p256 = present(&sd_jwt_p256, &holder_p256);
        let presentation_ed25519 = present(&sd_jwt_ed25519, &holder_ed25519);

        let ed_sk = ed25519_dalek::SigningKey::generate(rng);
        let ed_msg: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        let ed_sig = ed_sk.sign(&ed_msg);
        let p256_sk = p256::ecdsa::SigningKey::random(rng);
        let p256_sig: p256::ecdsa::Signature = p256_sk.sign(&ed_msg);

        let (vc_input, vc_sig) = split_sig(&vc_jwt);
        let vc_sig = ed25519_dalek::Signature::from_slice(&vc_sig).expect("sig");
        let two_sig_p256 = TwoSig::from_presentation(&issuer, &holder_p256, &presentation_p256);
        let two_sig_ed25519 =
            TwoSig::from_presentation(&issuer, &holder_ed25519, &presentation_ed25519);

        let f = Fixture {
            issuer,
            holder_p256,
            request_jwt: request(&holder_p256_did, CredentialFormat::Jwt),
            request_sd_jwt: request(&holder_p256_did, CredentialFormat::SdJwt),
            issuer_did,
            trust,
            verifier,
            vc_jwt,
            sd_jwt_p256,
            presentation_p256,
            presentation_ed25519,
            ed_vk: ed_sk.verifying_key(),
            ed_msg,
            ed_sig,
            p256_vk: *p256_sk.verifying_key(),
            p256_sig,
            vc_input,
            vc_sig,
            two_sig_p256,
            two_sig_ed25519,
        };
        f.self_check();
        f
    }

    /// Every bench must measure a success, not a fast rejection.
    fn self_check(&self) {
        assert!(self.floor_ed25519());
        assert!(self.floor_p256());
        assert!(self.floor_vc_input());
        assert!(self.two_sig_p256.verify());
        assert!(self.two_sig_ed25519.verify());
        assert!(self.verify_vc_jwt());
        assert!(self.verify_sd_jwt_kb(&self.presentation_p256));
        assert!(self.verify_sd_jwt_kb(&self.presentation_ed25519));
    }

    fn floor_ed25519(&self) -> bool {
        self.ed_vk
            .verify_strict(black_box(&self.ed_msg), black_box(&self.ed_sig))
            .is_ok()
    }

    /// Raw `verify_strict` over the VC-JOSE credential's own signing input.
    fn floor_vc_input(&self) -> bool {
        let SecretKey::Ed25519(sk) = &self.issuer else {
            return false;
        };
        sk.verifying_key()
            .verify_strict(black_box(&self.vc_input), black_box(&self.vc_sig))
            .is_ok()
    }

    fn floor_p256(&self) -> bool {
        self.p256_vk
            .verify(black_box(&self.ed_msg), black_box(&self.p256_sig))
            .is_ok()
    }

    fn verify_vc_jwt(&self) -> bool {
        let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &self.trust);
        self.verifier
            .verify(black_box(&self.vc_jwt), &opts)
            .expect("could check")
            .verified
    }

    fn verify_sd_jwt_kb(&self, presentation: &str) -> bool {
        let opts = VerifyOptions {
            holder_binding: HolderBinding {
                required: true,
                audience: Some(AUDIENCE),
                nonce: Some(NONCE),
                max_age_secs: 300,
            },
            ..VerifyOptions::new(Timestamp::from_unix(NOW), &self.trust)
        };
        self.verifier
            .verify(black_box(presentation), &opts)
            .expect("could check")
            .verified
    }

    fn issue(&self, format: CredentialFormat) -> String {
        let request = match format {
            CredentialFormat::Jwt => &self.request_jwt,
            CredentialFormat::SdJwt => &self.request_sd_jwt,
            other => {
                panic!("the engine bench issues sd-jwt and jwt, not {other:?} (see the di bench)")
            }
        };
        issue_request(&self.issuer, black_box(request))
    }

    fn present(&self) -> String {
        present(black_box(&self.sd_jwt_p256), &self.holder_p256)
    }

    fn resolve(&self) -> usize {
        DidKeyResolver::default()
            .resolve(black_box(&self.issuer_did), &ResolutionOptions::default())
            .expect("resolve")
            .document
            .verification_method
            .len()
    }

    fn decode(&self) -> bool {
        public_key_from_did_key(black_box(&self.issuer_did)).is_ok()
    }
}

fn request(holder: &Did, format: CredentialFormat) -> IssueRequest<'static> {
    IssueRequest {
        credential_type: "ResidencePermitCredential",
        claims: support::permit_claims(),
        holder: Some(holder.clone()),
        valid_from: None,
        valid_until: Some(Timestamp::from_unix(UNTIL)),
        format,
        status: None,
    }
}

fn issue(issuer: &SecretKey, holder: &Did, format: CredentialFormat) -> String {
    issue_request(issuer, &request(holder, format))
}

fn issue_request(issuer: &SecretKey, request: &IssueRequest<'_>) -> String {
    Issuer::with_did_key(issuer)
        .issue(request, Timestamp::from_unix(ISSUED), &mut rand_core::OsRng)
        .expect("issue")
}

fn present(sd_jwt: &str, holder: &SecretKey) -> String {
    HeldSdJwt::parse(sd_jwt)
        .expect("held")
        .present(
            &DISCLOSE,
            Some((
                holder,
                KeyBindingInput {
                    audience: AUDIENCE,
                    nonce: NONCE,
                    issued_at: Timestamp::from_unix(NOW),
                },
            )),
        )
        .expect("present")
}

// ---- criterion -------------------------------------------------------------

fn criterion_benches(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("floor");
    g.bench_function("ed25519_verify_strict", |b| b.iter(|| f.floor_ed25519()));
    g.bench_function("p256_verify", |b| b.iter(|| f.floor_p256()));
    g.bench_function("two_sig_ed25519_issuer_p256_holder", |b| {
        b.iter(|| f.two_sig_p256.verify())
    });
    g.bench_function("two_sig_ed25519_issuer_ed25519_holder", |b| {
        b.iter(|| f.two_sig_ed25519.verify())
    });
    g.finish();

    let mut g = c.benchmark_group("verify");
    g.bench_function("vc_jwt", |b| b.iter(|| f.verify_vc_jwt()));
    g.bench_function("sd_jwt_kb_p256_holder", |b| {
        b.iter(|| f.verify_sd_jwt_kb(&f.presentation_p256))
    });
    g.bench_function("sd_jwt_kb_ed25519_holder", |b| {
        b.iter(|| f.verify_sd_jwt_kb(&f.presentation_ed25519))
    });
    g.finish();

    let mut g = c.benchmark_group("issue");
    g.bench_function("sd_jwt", |b| b.iter(|| f.issue(CredentialFormat::SdJwt)));
    g.bench_function("vc_jwt", |b| b.iter(|| f.issue(CredentialFormat::Jwt)));
    g.finish();

    let mut g = c.benchmark_group("present");
    g.bench_function("sd_jwt_kb", |b| b.iter(|| f.present()));
    g.finish();

    let mut g = c.benchmark_group("resolve");
    g.bench_function("did_key", |b| b.iter(|| f.resolve()));
    g.finish();

    let mut g = c.benchmark_group("did_key");
    g.bench_function("decode", |b| b.iter(|| f.decode()));
    g.finish();
}

// ---- summary table -----------------------------------------------------------

fn summary(f: &Fixture) {
    let (round, rounds) =
        support::summary_rounds(Duration::from_millis(250), 6, Duration::from_millis(100));
    let ed_floor = || f.floor_ed25519();
    let two_p_floor = || f.two_sig_p256.verify();
    let two_e_floor = || f.two_sig_ed25519.verify();
    let m = |op: &dyn Fn() -> bool, floor: &dyn Fn() -> bool| paired(op, floor, round, rounds, 16);
    let ed = m(&ed_floor, &ed_floor);
    let p256 = m(&|| f.floor_p256(), &ed_floor);
    let two_p256 = m(&two_p_floor, &ed_floor);
    let two_ed = m(&two_e_floor, &ed_floor);
    let vc_jwt = m(&|| f.verify_vc_jwt(), &ed_floor);
    let vc_floor = || f.floor_vc_input();
    let vc_jwt_same = m(&|| f.verify_vc_jwt(), &vc_floor);
    let sd_p256 = m(&|| f.verify_sd_jwt_kb(&f.presentation_p256), &two_p_floor);
    let sd_ed = m(
        &|| f.verify_sd_jwt_kb(&f.presentation_ed25519),
        &two_e_floor,
    );
    let issue_sd = m(&|| !f.issue(CredentialFormat::SdJwt).is_empty(), &ed_floor);
    let issue_jwt = m(&|| !f.issue(CredentialFormat::Jwt).is_empty(), &ed_floor);
    let present = m(&|| !f.present().is_empty(), &ed_floor);
    let resolve = m(&|| f.resolve() > 0, &ed_floor);
    let decode = m(&|| f.decode(), &ed_floor);

    const ED: &str = "ed25519 verify_strict";
    const TWO_P: &str = "Ed25519 + P-256 verify";
    const TWO_E: &str = "Ed25519 + Ed25519 verify";
    const ED_SAME: &str = "ed25519 verify_strict, same signing input";
    let rows: [(&str, (f64, f64), &str); 13] = [
        ("floor/ed25519_verify_strict", ed, ED),
        ("floor/p256_verify", p256, ED),
        ("floor/two_sig_ed25519_issuer_p256_holder", two_p256, ED),
        ("floor/two_sig_ed25519_issuer_ed25519_holder", two_ed, ED),
        ("verify/vc_jwt", vc_jwt, ED),
        ("verify/vc_jwt", vc_jwt_same, ED_SAME),
        ("verify/sd_jwt_kb_p256_holder", sd_p256, TWO_P),
        ("verify/sd_jwt_kb_ed25519_holder", sd_ed, TWO_E),
        ("issue/sd_jwt", issue_sd, ED),
        ("issue/vc_jwt", issue_jwt, ED),
        ("present/sd_jwt_kb", present, ED),
        ("resolve/did_key", resolve, ED),
        ("did_key/decode", decode, ED),
    ];

    support::print_summary(&rows, round, rounds);
    println!(
        "Message sizes: floor 300 B; vc_jwt signing input {} B; SD-JWT issuer signing input {} B, KB-JWT signing input {} B.",
        f.vc_jwt.rsplit_once('.').map_or(0, |(i, _)| i.len()),
        f.two_sig_p256.issuer_input.len(),
        match &f.two_sig_p256.holder {
            HolderSig::P256(_, m, _) | HolderSig::Ed25519(_, m, _) => m.len(),
        }
    );
    let target = |ratio: f64| if ratio >= 0.85 { "met" } else { "MISSED" };
    println!(
        "Targets (≥ 85 % of the signatures over the same signing inputs): VC-JOSE {} ({} against the 300 B floor); SD-JWT+KB P-256 holder {}; SD-JWT+KB Ed25519 holder {}.",
        target(vc_jwt_same.0 / vc_jwt_same.1),
        target(vc_jwt.0 / vc_jwt.1),
        target(sd_p256.0 / sd_p256.1),
        target(sd_ed.0 / sd_ed.1),
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
