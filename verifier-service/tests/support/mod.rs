//! Shared fixtures of the service's tests: a chain with Stele's contracts,
//! an accredited agency, a citizen's wallet key, credentials and
//! presentations made the way the wallet makes them, and a service
//! configuration on a temporary data directory.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};
use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::Did;
use stele_core::did::key::did_key_from_public;
use stele_core::key::{KeyType, SecretKey};
use stele_core::qr::{PayloadKind, encode, pack_presentation};
use stele_core::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use stele_core::status::{StatusPurpose, sd_jwt_status_claim};
use stele_core::time::{Clock, SystemClock, Timestamp};
use stele_registry::agency::Agency;
use stele_registry::contracts::deploy;
use stele_registry::{Account, Chain, Deployment, EmbeddedChain, EmbeddedConfig};
use stele_verifier::Config;
use stele_verifier::apikey::hash_hex;

/// The counter key the test configurations use.
pub const COUNTER_KEY: &str = "stele_c_test-counter-key-0123456789abcdefghijklmnopq";
/// A second counter (strict policy).
pub const STRICT_KEY: &str = "stele_c_test-strict-key-0123456789abcdefghijklmnopqr";
/// A third counter: quick checks, status lists reused for 5 minutes.
pub const CACHED_KEY: &str = "stele_c_test-cached-key-0123456789abcdefghijklmnopqr";
/// The issuer API key.
pub const ISSUER_KEY: &str = "stele_i_test-issuer-key-0123456789abcdefghijklmnopqr";

pub const PERMIT: &str = "ResidencePermitCredential";
pub const SAMPLE_CLAIMS: &str =
    include_str!("../../../schemas/examples/ResidencePermitCredential.json");

/// A fresh temporary directory.
pub fn tempdir(name: &str) -> PathBuf {
    let mut b = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    let d = std::env::temp_dir().join(format!(
        "stele-verifier-{name}-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn now() -> Timestamp {
    SystemClock.now()
}

pub fn claims() -> Map<String, Value> {
    match serde_json::from_str(SAMPLE_CLAIMS).unwrap() {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// A chain with the contracts, a governor, an accredited agency and a citizen.
pub struct World {
    pub dir: PathBuf,
    pub chain: Arc<dyn Chain>,
    pub deployment: Deployment,
    pub governor: Account,
    pub agency: Agency,
    pub citizen: SecretKey,
}

impl World {
    /// Everything on a new embedded chain in a temporary directory.
    pub fn embedded(name: &str) -> World {
        let dir = tempdir(name);
        let chain: Arc<dyn Chain> =
            Arc::new(EmbeddedChain::open(&dir.join("chain"), EmbeddedConfig::default()).unwrap());
        World::on(dir, chain)
    }

    /// Everything on `chain` (deploys the contracts).
    pub fn on(dir: PathBuf, chain: Arc<dyn Chain>) -> World {
        let gov_key = SecretKey::generate(KeyType::Secp256k1, &mut rand_core::OsRng);
        let governor = Account::from_secret_key(&gov_key).unwrap();
        World::with_governor(dir, chain, governor)
    }

    /// Everything on `chain`, deploying from `governor` (a funded account on a node).
    pub fn with_governor(dir: PathBuf, chain: Arc<dyn Chain>, governor: Account) -> World {
        let deployment = deploy(chain.as_ref(), &governor, &[governor.address()]).unwrap();
        let agency = Agency::create(
            &chain,
            &deployment,
            "Landesamt für Einwanderung",
            "https://status.stele.example/status",
            &mut rand_core::OsRng,
        )
        .unwrap();
        let t = now();
        stele_registry::trust::accredit(
            chain.as_ref(),
            deployment.accreditation,
            &governor,
            &agency.did(),
            PERMIT,
            u64::try_from(t.unix() - 3600).unwrap(),
            u64::try_from(t.plus(365 * 86_400).unix()).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.join("deployment.json"),
            serde_json::to_string_pretty(&deployment).unwrap(),
        )
        .unwrap();
        World {
            dir,
            chain,
            deployment,
            governor,
            agency,
            citizen: SecretKey::generate(KeyType::P256, &mut rand_core::OsRng),
        }
    }

    pub fn citizen_did(&self) -> Did {
        did_key_from_public(&self.citizen.public_key())
    }

    /// A residence permit SD-JWT from the agency, bound to the citizen;
    /// returns it and its status index.
    pub fn issue_permit(&mut self, valid_until: Timestamp) -> (String, u64) {
        let entries = self.agency.allocate_status().unwrap();
        let index = entries[0].index;
        let did = Did::parse(&self.agency.did()).unwrap();
        let key = self.agency.signing_key().unwrap();
        let token = Issuer::new(&key.key, did, key.kid.clone())
            .issue(
                &IssueRequest {
                    credential_type: PERMIT,
                    claims: claims(),
                    holder: Some(self.citizen_did()),
                    valid_from: None,
                    valid_until: Some(valid_until),
                    format: CredentialFormat::SdJwt,
                    status: Some(sd_jwt_status_claim(&entries)),
                },
                now(),
                &mut rand_core::OsRng,
            )
            .unwrap();
        (token, index)
    }

    /// Sets a status bit and publishes the list on the chain.
    pub fn set_status(&mut self, purpose: StatusPurpose, index: u64) {
        self.agency.set_status(purpose, index, true).unwrap();
        self.agency
            .publish(&self.chain, &self.deployment, purpose)
            .unwrap();
    }

    /// Writes the agency file (mode 0600) and returns its path.
    pub fn write_agency(&self) -> PathBuf {
        let p = self.dir.join("agency.json");
        std::fs::write(&p, self.agency.to_json().as_bytes()).unwrap();
        p
    }
}

/// The citizen's presentation of `credential` disclosing the names, bound
/// to `audience` and `nonce`, as the QR payload the wallet shows.
pub fn present_qr(holder: &SecretKey, credential: &str, audience: &str, nonce: &str) -> String {
    let p = present(holder, credential, audience, nonce);
    encode(PayloadKind::Presentation, &pack_presentation(&p))
}

/// The same presentation as compact text.
pub fn present(holder: &SecretKey, credential: &str, audience: &str, nonce: &str) -> String {
    HeldSdJwt::parse(credential)
        .unwrap()
        .present(
            &["given_name", "family_name"],
            Some((
                holder,
                KeyBindingInput {
                    audience,
                    nonce,
                    issued_at: now(),
                },
            )),
        )
        .unwrap()
}

/// A did:key issuer's permit (not on the chain), as an SD-JWT.
pub fn did_key_permit(issuer: &SecretKey, holder: Option<Did>) -> String {
    did_key_permit_as(issuer, holder, CredentialFormat::SdJwt)
}

/// A did:key issuer's permit in `format`, valid for a day.
pub fn did_key_permit_as(
    issuer: &SecretKey,
    holder: Option<Did>,
    format: CredentialFormat,
) -> String {
    Issuer::with_did_key(issuer)
        .issue(
            &IssueRequest {
                credential_type: PERMIT,
                claims: claims(),
                holder,
                valid_from: None,
                valid_until: Some(now().plus(86_400)),
                format,
                status: None,
            },
            now(),
            &mut rand_core::OsRng,
        )
        .unwrap()
}

/// A configuration on `data_dir` with three counters (`counter-1`: names
/// required, quick check allowed, fresh status; `cached`: anything, status
/// lists reused for 5 minutes; `strict`: holder binding required, a maximum
/// credential age of 0 s). `extra` goes before the counters: top-level
/// keys first, then tables.
pub fn config(data_dir: &Path, extra: &str) -> Config {
    Config::from_toml(&format!(
        r#"
listen = "127.0.0.1:0"
data_dir = "{data}"
verifier_id = "https://verifier.test"
log_requests = false
{extra}

[[counters]]
id = "counter-1"
api_key_sha256 = "{k1}"
[counters.policy]
accepted_types = ["ResidencePermitCredential"]
required_claims = ["given_name", "family_name"]
status_max_age_secs = 0

[[counters]]
id = "cached"
api_key_sha256 = "{k3}"
[counters.policy]
status_max_age_secs = 300

[[counters]]
id = "strict"
api_key_sha256 = "{k2}"
[counters.policy]
require_holder_binding = true
max_credential_age_secs = 0
status_max_age_secs = 0
"#,
        data = data_dir.display(),
        k1 = hash_hex(COUNTER_KEY),
        k2 = hash_hex(STRICT_KEY),
        k3 = hash_hex(CACHED_KEY),
    ))
    .unwrap()
}

/// An HTTP client for the tests over a real socket.
pub fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// POSTs JSON with a bearer key; returns the status and the JSON answer.
pub fn post(
    client: &reqwest::blocking::Client,
    url: &str,
    key: &str,
    body: &Value,
) -> (u16, Value) {
    let r = client
        .post(url)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().unwrap()).unwrap_or(Value::Null),
    )
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts the built `stele-verifier` with `command`'s arguments and
/// environment (stdout piped, stderr inherited) and waits up to a minute
/// for the address it prints (`stele-verifier listening on URL/`); the
/// child is killed if none comes. Returns the child and the base URL.
pub fn start_binary(mut command: std::process::Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("stele-verifier listening on ") {
                let _ = tx.send(url.trim_end_matches('/').to_owned());
            }
        }
    });
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(base) => (child, base),
        Err(_) => {
            let _ = child.kill();
            panic!("stele-verifier did not start");
        }
    }
}

/// The service's state on `world`'s chain (blocking: opens the data directory).
pub fn state_on(world: &World, config: Config) -> stele_verifier::AppState {
    stele_verifier::AppState::build(
        config,
        stele_verifier::StartOptions {
            chain: Some((world.chain.clone(), world.deployment.clone())),
            clock: None,
        },
    )
    .unwrap()
}
