//! `stele demo`: the whole flow on this machine, explained step by step.
//!
//! An immigration office issues a residence permit into a citizen's wallet;
//! a counter asks for it with a fresh challenge; the citizen discloses only
//! what the counter needs; the clerk's verifier says green. Then a tampered,
//! an expired and a replayed presentation are shown to be refused.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;
use stele_core::credential::issuer::CredentialFormat;
use stele_core::did::key::did_key_from_public;
use stele_core::encoding::b64url;
use stele_core::key::{KeyType, SecretKey};
use stele_core::time::{Clock, SystemClock};
use stele_core::verify::{Policy, ReasonCode, TrustList, Verdict};

use std::sync::Arc;

use stele_core::did::Did;
use stele_core::qr::{PayloadKind, QrMatrix, encode, pack_presentation};
use stele_core::wallet::{PassphraseKeyWrap, RedbStore, Wallet};
use stele_registry::agency::Agency;
use stele_registry::contracts::deploy;
use stele_registry::{Account, Chain, EmbeddedChain, EmbeddedConfig};
use stele_verifier::apikey::ApiKey;
use stele_verifier::config::{Config, CounterConfig, PolicyConfig};
use stele_verifier::state::{StartError, StartOptions};

use super::issue::{Issuance, issue_as_agency};
use super::present::present;
use super::verify::{ChainContext, Check, verify};
use crate::chain::chain_failure;
use crate::{Failure, exit, files, output};

/// The sample residence permit claims (also used by the tests).
const SAMPLE_CLAIMS: &str =
    include_str!("../../../schemas/examples/ResidencePermitCredential.json");

/// Arguments of `stele demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Directory for the demo's key files and credentials (default: a new temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where the verifier service listens (default 127.0.0.1:8080, or a free
    /// port when that one is taken; 127.0.0.1:0 always picks a free port).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// End after the scripted steps, without starting the verifier service.
    #[arg(long)]
    no_serve: bool,
}

/// The demo wallet's passphrase (`STELE_WALLET_PASSPHRASE` for `stele wallet`).
const DEMO_PASSPHRASE: &str = "demo";

fn step(n: u32, title: &str) {
    outln!("\n── {n}. {title}");
}

fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    b64url(bytes)
}

fn show(v: &Verdict) {
    for line in output::verdict_text(v).lines() {
        outln!("   {line}");
    }
}

fn expect_reason(v: &Verdict, code: ReasonCode, what: &str) -> Result<(), Failure> {
    if v.verified || !v.has_reason(code) {
        return Err(Failure::failed(format!(
            "demo: the {what} was not rejected with {}",
            code.as_str()
        )));
    }
    Ok(())
}

fn save(dir: &std::path::Path, name: &str, text: &str) -> Result<PathBuf, Failure> {
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n"))
        .map_err(|e| Failure::failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Runs the demo; exit 0 when every step behaved as it should.
pub fn run(a: DemoArgs) -> Result<u8, Failure> {
    let dir = match a.dir {
        Some(d) => d,
        None => {
            std::env::temp_dir().join(format!("stele-demo-{}", nonce().replace(['-', '_'], "x")))
        }
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
    let now = SystemClock.now();
    let claims = match serde_json::from_str::<Value>(SAMPLE_CLAIMS) {
        Ok(Value::Object(m)) => m,
        _ => return Err(Failure::failed("demo: sample claims are not a JSON object")),
    };

    outln!("Stele demo — a residence permit from the immigration office to a service counter.");
    outln!("Files are kept in {}", dir.display());

    step(1, "The chain");
    let chain_dir = dir.join("chain");
    let chain: Arc<dyn Chain> = Arc::new(
        EmbeddedChain::open(&chain_dir, EmbeddedConfig::default())
            .map_err(|e| Failure::failed(format!("embedded chain: {e}")))?,
    );
    let governance = SecretKey::generate(KeyType::Secp256k1, &mut rand_core::OsRng);
    files::write_key(&dir.join("governance.jwk"), &governance, true)?;
    let governor =
        Account::from_secret_key(&governance).map_err(|e| Failure::failed(e.to_string()))?;
    let deployment =
        deploy(chain.as_ref(), &governor, &[governor.address()]).map_err(chain_failure)?;
    files::write_atomic(
        &chain_dir.join("deployment.json"),
        serde_json::to_string_pretty(&deployment)
            .unwrap_or_default()
            .as_bytes(),
        0o644,
    )?;
    outln!("   An embedded Ethereum-compatible chain runs in this process, kept in chain/.");
    outln!("   Stele's contracts are deployed: a DID registry (ERC-1056), accreditation,");
    outln!("   status lists and audit anchors. The governance authority holds governance.jwk.");

    step(
        2,
        "The immigration office becomes an agency, and is accredited",
    );
    let mut agency = Agency::create(
        &chain,
        &deployment,
        "Landesamt für Einwanderung",
        STATUS_URL,
        &mut rand_core::OsRng,
    )
    .map_err(super::agency::agency_failure)?;
    let agency_did = agency.did();
    stele_registry::trust::accredit(
        chain.as_ref(),
        deployment.accreditation,
        &governor,
        &agency_did,
        "ResidencePermitCredential",
        u64::try_from(now.unix()).unwrap_or(0),
        u64::try_from(now.plus(10 * 365 * 86_400).unix()).unwrap_or(0),
    )
    .map_err(chain_failure)?;
    super::agency::write_agency(&dir.join("agency.json"), &agency)?;
    outln!("   Its DID lives on the chain: {agency_did}");
    outln!("   It signs with an Ed25519 key registered in its DID document; its keys and");
    outln!("   status lists are in agency.json (mode 0600).");
    outln!(
        "   The governance authority accredited it for ResidencePermitCredential (a public event)."
    );

    step(3, "The citizen's wallet key");
    let citizen = SecretKey::generate(KeyType::P256, &mut rand_core::OsRng);
    files::write_key(&dir.join("citizen.jwk"), &citizen, true)?;
    let citizen_did = did_key_from_public(&citizen.public_key());
    outln!("   A P-256 key (phones keep it in secure hardware): {citizen_did}");

    // Setting up the chain took time: the credential is issued now, after
    // the agency's key was registered (keys are judged at issuance time).
    let now = SystemClock.now();

    step(4, "The agency issues a residence permit (SD-JWT VC)");
    let credential = issue_as_agency(
        &mut agency,
        Issuance {
            key: None,
            credential_type: "ResidencePermitCredential",
            claims: claims.clone(),
            holder: Some(citizen_did.clone()),
            format: CredentialFormat::SdJwt,
            valid_from: None,
            valid_until: Some(now.plus(2 * 365 * 86_400)),
            now,
        },
    )?;
    super::agency::write_agency(&dir.join("agency.json"), &agency)?;
    save(&dir, "permit.sd-jwt", &credential)?;
    outln!("   Claims are checked against the ResidencePermitCredential schema, then signed.");
    outln!("   Names, birth date, address, portrait… are selectively disclosable; permit type,");
    outln!("   validity and issuing authority are always shown. Bound to the citizen's key, with");
    outln!(
        "   an entry in the agency's revocation and suspension lists. {} bytes → permit.sd-jwt",
        credential.len()
    );

    step(5, "The counter shows a challenge");
    let audience = "counter-7.buergeramt.example";
    let challenge = nonce();
    outln!("   verifier: {audience}");
    outln!("   nonce:    {challenge} (single use, short-lived)");

    step(6, "The citizen discloses only what the counter needs");
    let disclose = ["given_name", "family_name"];
    let presentation = present(&citizen, &credential, &disclose, audience, &challenge, now)?;
    save(&dir, "presentation.txt", &presentation)?;
    outln!(
        "   Disclosed: {} (+ the always-shown permit facts).",
        disclose.join(", ")
    );
    outln!("   Not disclosed: birth date, nationality, address, portrait, document number.");
    outln!("   A key-binding signature ties it to this counter and nonce → presentation.txt");

    step(7, "The clerk's verifier checks it against the chain");
    let trust = TrustList::empty();
    let context = ChainContext {
        chain: chain.clone(),
        deployment: deployment.clone(),
        status_max_age: 0,
    };
    // The counter needs a residence permit, with the holder's names.
    let policy = Policy {
        accepted_types: vec!["ResidencePermitCredential".into()],
        required_claims: vec![
            "given_name".into(),
            "family_name".into(),
            "permit_type".into(),
            "valid_until".into(),
        ],
        require_schema: true,
    };
    let counter = |input: &str, nonce: &str, at| {
        verify(
            input,
            &Check {
                trust: &trust,
                now: at,
                audience: Some(audience),
                nonce: Some(nonce),
                require_holder_binding: true,
                policy: &policy,
                chain: Some(&context),
                fetch: None,
            },
        )
    };
    let green = counter(&presentation, &challenge, now)?;
    show(&green);
    if !green.verified {
        return Err(Failure::failed(
            "demo: the genuine presentation was rejected",
        ));
    }
    outln!("   The issuer's key came from its DID document on the chain, as it was at issuance;");
    outln!("   its accreditation and the permit's status were read from the chain too.");

    step(8, "A tampered copy is refused");
    let tampered = tamper(&presentation);
    let red = counter(&tampered, &challenge, now)?;
    show(&red);
    expect_reason(&red, ReasonCode::BadSignature, "tampered presentation")?;
    outln!("   (the permit type was changed from \"temporary\" to \"permanent\")");

    step(9, "An expired permit is refused");
    let expired = issue_as_agency(
        &mut agency,
        Issuance {
            key: None,
            credential_type: "ResidencePermitCredential",
            claims: claims.clone(),
            holder: Some(citizen_did),
            format: CredentialFormat::SdJwt,
            valid_from: Some(now.plus(-2 * 86_400)),
            valid_until: Some(now.plus(-86_400)),
            now,
        },
    )?;
    super::agency::write_agency(&dir.join("agency.json"), &agency)?;
    let fresh = nonce();
    let old = present(&citizen, &expired, &disclose, audience, &fresh, now)?;
    let red = counter(&old, &fresh, now)?;
    show(&red);
    expect_reason(&red, ReasonCode::Expired, "expired permit")?;

    step(
        10,
        "A screenshot shown again at the next challenge is refused",
    );
    let next = nonce();
    let red = counter(&presentation, &next, now)?;
    show(&red);
    expect_reason(&red, ReasonCode::WrongNonce, "replayed presentation")?;

    step(11, "The agency revokes the permit; the next check sees it");
    let entry = stele_core::status::StatusEntry::new(
        stele_core::status::StatusPurpose::Revocation,
        0,
        &agency.lists[0].url,
    )
    .map_err(|e| Failure::failed(e.to_string()))?;
    agency
        .set_status(entry.purpose, entry.index, true)
        .map_err(super::agency::agency_failure)?;
    agency
        .publish(&chain, &deployment, entry.purpose)
        .map_err(super::agency::agency_failure)?;
    super::agency::write_agency(&dir.join("agency.json"), &agency)?;
    let again = nonce();
    let p = present(&citizen, &credential, &disclose, audience, &again, now)?;
    let red = counter(&p, &again, now)?;
    show(&red);
    expect_reason(&red, ReasonCode::Revoked, "revoked permit")?;
    outln!("   The revocation list was published on the chain; verifiers sync it without ever");
    outln!("   telling the agency which permit they are looking at.");

    if !a.no_serve {
        return serve(&dir, &a.listen, &mut agency, chain, &deployment, &claims);
    }
    drop(chain);
    outln!("\nAll steps behaved as expected. Try it yourself:");
    outln!(
        "   stele resolve --chain embedded:{0}/chain {agency_did}",
        dir.display()
    );
    outln!(
        "   stele verify --chain embedded:{0}/chain --output text {0}/permit.sd-jwt",
        dir.display()
    );
    Ok(exit::OK)
}

/// Step 12: the verifier service with the clerk's page, on the same
/// embedded chain, and a citizen's wallet holding a fresh permit; runs until
/// Ctrl-C.
fn serve(
    dir: &std::path::Path,
    listen: &Option<std::net::SocketAddr>,
    agency: &mut Agency,
    chain: Arc<dyn Chain>,
    deployment: &stele_registry::Deployment,
    claims: &serde_json::Map<String, Value>,
) -> Result<u8, Failure> {
    step(12, "The counter's verifier service and the clerk's page");
    // The citizen's wallet (the phones' wallet core, kept in a file): a
    // P-256 holder key and a fresh permit, verified against the chain before
    // it is stored.
    let wallet_dir = dir.join("wallet");
    std::fs::create_dir_all(&wallet_dir)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", wallet_dir.display())))?;
    let store = RedbStore::open(wallet_dir.join("wallet.redb"))
        .map_err(|e| Failure::failed(format!("demo wallet: {e}")))?;
    let wallet_error =
        |e: stele_core::wallet::WalletError| Failure::failed(format!("demo wallet: {e}"));
    let now = SystemClock.now();
    let wallet = Wallet::create(
        Arc::new(store),
        &PassphraseKeyWrap::new(DEMO_PASSPHRASE),
        now,
    )
    .map_err(wallet_error)?;
    let holder = wallet
        .create_holder_key(KeyType::P256, now)
        .map_err(wallet_error)?;
    let holder_did =
        Did::parse(&holder.did).map_err(|e| Failure::failed(format!("holder DID: {e}")))?;
    let now = SystemClock.now();
    let permit = issue_as_agency(
        agency,
        Issuance {
            key: None,
            credential_type: "ResidencePermitCredential",
            claims: claims.clone(),
            holder: Some(holder_did),
            format: CredentialFormat::SdJwt,
            valid_from: None,
            valid_until: Some(now.plus(2 * 365 * 86_400)),
            now,
        },
    )?;
    super::agency::write_agency(&dir.join("agency.json"), agency)?;
    let context = ChainContext {
        chain: chain.clone(),
        deployment: deployment.clone(),
        status_max_age: 0,
    };
    let (verifier, sources) = context.verifier(TrustList::empty());
    let id = wallet
        .receive(&permit, &verifier, &sources, now)
        .map_err(wallet_error)?;
    // A code for the page's quick check (no challenge: holder binding is not checked).
    let mut quick_nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut quick_nonce);
    let quick = wallet
        .present(
            &id,
            "quick-check",
            &b64url(quick_nonce),
            &["given_name", "family_name"],
            now,
        )
        .map_err(wallet_error)?;
    let quick = encode(PayloadKind::Presentation, &pack_presentation(&quick));
    // `stele wallet` opens the file itself while the service runs.
    drop(wallet);
    save(dir, "quick-check.txt", &quick)?;
    outln!(
        "   The citizen's wallet is in wallet/ (passphrase: {DEMO_PASSPHRASE}); it holds a new permit,"
    );
    outln!("   verified against the chain before it was stored.");

    // The service, on this process's chain, with one counter that asks for
    // a residence permit and the holder's names.
    let key = ApiKey::generate_counter(&mut rand_core::OsRng);
    let config = |listen| Config {
        listen,
        data_dir: dir.join("verifier"),
        verifier_id: "buergeramt-mitte".into(),
        counters: vec![CounterConfig {
            id: "counter-7".into(),
            api_key_sha256: key.sha256_hex(),
            audience: None,
            policy: PolicyConfig {
                accepted_types: vec!["ResidencePermitCredential".into()],
                required_claims: vec!["given_name".into(), "family_name".into()],
                ..PolicyConfig::default()
            },
        }],
        ..Config::default()
    };
    let options = || StartOptions {
        chain: Some((chain.clone(), deployment.clone())),
        clock: None,
    };
    let default = std::net::SocketAddr::from(([127, 0, 0, 1], 8080));
    let service =
        match stele_verifier::start_blocking(config(listen.unwrap_or(default)), options()) {
            // The default port is taken (another service, an earlier demo): a
            // free one will do. An address the user asked for is not replaced.
            Err(StartError::Bind { .. }) if listen.is_none() => {
                outln!("   (127.0.0.1:8080 is in use; the service takes a free port instead)");
                stele_verifier::start_blocking(
                    config(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
                    options(),
                )
            }
            other => other,
        }
        .map_err(|e| Failure::failed(format!("verifier service: {e}")))?;
    let url = format!("{}#key={}", service.running().url(), key.expose_secret());
    outln!("   The verifier service runs on the same chain, with its audit log in verifier/.");
    outln!();
    outln!("   Clerk page (open it in a browser; the counter key is in the link):");
    outln!("     {url}");
    outln!();
    outln!("   At the counter, with a challenge bound to this counter and moment: copy the page's");
    outln!(
        "   \"code as text\" and answer it with the citizen's wallet, then scan or paste its answer:"
    );
    outln!(
        "     STELE_WALLET_PASSPHRASE={DEMO_PASSPHRASE} stele wallet present --dir {} --credential {id} --qr --challenge 'SC2:…'",
        wallet_dir.display()
    );
    outln!();
    outln!("   Or tick \"Quick check\" on the page and scan this code (also in quick-check.txt):");
    if let Ok(matrix) = QrMatrix::new(&quick) {
        out!("{}", matrix.to_terminal());
    }
    outln!("   {quick}");
    outln!();
    outln!("   Press Ctrl-C to stop.");
    service.wait_for_signal();
    outln!("\nStopping: finishing requests and committing the audit log.");
    service
        .shutdown()
        .map_err(|e| Failure::failed(format!("verifier service: {e}")))?;
    outln!(
        "   Check the audit log: stele audit verify --data-dir {}",
        dir.join("verifier").display()
    );
    Ok(exit::OK)
}

/// Where the demo agency says its status list credentials are published.
const STATUS_URL: &str = "https://status.stele.example/status";

/// Changes `temporary` to `permanent` inside the issuer-signed payload.
fn tamper(presentation: &str) -> String {
    let Some((jwt, rest)) = presentation.split_once('~') else {
        return presentation.to_owned();
    };
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    if let Some(payload) = parts
        .get(1)
        .and_then(|p| stele_core::encoding::b64url_decode(p).ok())
    {
        let text = String::from_utf8_lossy(&payload).replace("temporary", "permanent");
        parts[1] = b64url(text.as_bytes());
    }
    format!("{}~{rest}", parts.join("."))
}
