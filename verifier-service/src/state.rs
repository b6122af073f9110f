//! The service's shared state, built from the configuration: the chain and
//! its readers (did:ethr with a bounded cache, accreditation, status lists),
//! did:web and status lists over HTTPS through the guarded fetcher when the
//! configuration has a `[fetch]` section,
//! the counters with their policies and verifiers, open challenges, the
//! audit log, metrics and rate limits.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use serde_json::{Value, json};
use stele_core::did::{CachingResolver, DidResolver, MethodResolver};
use stele_core::key::{KeyType, SecretKey};
use stele_core::qr::Challenge;
use stele_core::time::{Clock, SystemClock, Timestamp};
use stele_core::verify::{
    AnyOf, CheckName, CheckSelection, HolderBinding, MemoryNonceStore, Outcome, Policy, Reason,
    ReasonCode, StatusChecker, TrustList, TrustSource, Verdict, Verifier, VerifyError,
    VerifyOptions,
};
use stele_registry::did_ethr::EthrDidResolver;
use stele_registry::embedded::{EmbeddedChain, EmbeddedConfig};
use stele_registry::fetch::{Fetch, FetchError, FetchPolicy, Fetched, GuardedFetcher, NoFetch};
use stele_registry::status::ChainStatus;
use stele_registry::trust::ChainTrust;
use stele_registry::{
    Account, Chain, Deployment, FallbackStatus, HttpStatus, HttpTransport, RpcChain,
    TransportError, WebResolver,
};

use crate::apikey::{ApiKey, bearer, hash_hex};
use crate::audit::{self, Anchoring, AuditLog, Entry};
use crate::config::{ChainSetting, Config, CounterConfig, FetchConfig, PolicyConfig};
use crate::metrics::{CacheSnapshot, Metrics};
use crate::problem::Problem;
use crate::ratelimit::RateLimiter;
use crate::workers::{Workers, default_threads};

/// The file the generated counter key is written to (mode 0600).
pub const COUNTER_KEY_FILE: &str = "counter-api-key";
/// The hashed counters generated when the configuration lists none.
pub const COUNTERS_STATE_FILE: &str = "counters.json";
/// The governance key created with a new embedded chain.
pub const GOVERNANCE_KEY_FILE: &str = "governance.jwk";

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A file in the data directory could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The chain could not be opened or the contracts deployed.
    #[error("chain: {0}")]
    Chain(String),
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        error: std::io::Error,
    },
    /// The issuer configuration is unusable.
    #[error("issuer: {0}")]
    Issuer(String),
    /// The `[tls]` certificate or key is unusable.
    #[error("tls: {0}")]
    Tls(#[from] crate::tls::TlsError),
}

/// One counter: its identity, audience, policy and verifier.
pub struct Counter {
    /// The counter's id.
    pub id: String,
    /// The audience its presentations must name.
    pub audience: String,
    /// The policy's id (for audit records).
    pub policy_id: String,
    /// The policy core applies.
    pub policy: Policy,
    /// Whether a challenge (holder binding) is required.
    pub require_holder_binding: bool,
    /// Credentials valid from longer ago than this are refused.
    pub max_credential_age_secs: Option<i64>,
    /// Whether the issuer must be trusted (accredited or listed).
    pub require_trusted_issuer: bool,
    verifier: Arc<Verifier>,
    /// For VC-API presentations whose challenge this service did not issue.
    verifier_without_nonces: Arc<Verifier>,
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counter")
            .field("id", &self.id)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// A challenge this service issued.
#[derive(Debug, Clone)]
pub struct OpenChallenge {
    /// The counter that asked for it.
    pub counter: String,
    /// The challenge.
    pub challenge: Challenge,
}

#[derive(Default)]
struct ChallengeBook {
    open: HashMap<String, OpenChallenge>,
    order: VecDeque<String>,
}

/// The issuer this service issues for.
pub enum IssuerState {
    /// An agency file (did:ethr), re-read for each request and written back
    /// after a status index is allocated.
    Agency {
        /// The agency file.
        path: PathBuf,
        /// Serialises issuance (one status index at a time).
        lock: tokio::sync::Mutex<()>,
    },
    /// A did:key issuer.
    Key(SecretKey),
}

/// Options of a verification run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The challenge nonce (holder binding required with it).
    pub nonce: Option<String>,
    /// The audience a holder binding must name.
    pub audience: Audience,
    /// Whether the nonce must be one this service issued (single use).
    pub nonce_from_store: bool,
    /// The optional checks a VC-API request asked for (`None`: a counter
    /// route, every check). The counter's policy adds issuer trust when it
    /// requires it.
    pub checks: Option<CheckSelection>,
}

/// The audience a presentation's holder binding must name.
#[derive(Debug, Clone, Default)]
pub enum Audience {
    /// The counter's audience (the counter routes).
    #[default]
    Counter,
    /// This one (a VC-API `domain`).
    Given(String),
    /// None checked (a VC-API request without `domain`).
    Unchecked,
}

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub chain: Arc<dyn Chain>,
    pub deployment: Deployment,
    pub resolver: Arc<CachingResolver<MethodResolver>>,
    pub trust: Arc<dyn TrustSource>,
    pub counters: HashMap<String, Arc<Counter>>,
    pub public_counter: Arc<Counter>,
    pub nonces: Arc<MemoryNonceStore>,
    challenges: Mutex<ChallengeBook>,
    pub audit: AuditLog,
    pub metrics: Arc<Metrics>,
    pub rate: RateLimiter,
    pub issuer: Option<IssuerState>,
    pub issuer_key_hash: Option<String>,
    pub status_reader: ChainStatus,
    /// The counters' status-list readers (one per distinct maximum age).
    pub status_caches: Vec<Arc<ChainStatus>>,
    pub generated_counter_key: Option<String>,
    /// The threads verifications run on.
    verify_workers: Workers,
}

/// What the caller of [`crate::start_with`] may supply instead of opening things itself.
#[derive(Default, Clone)]
pub struct StartOptions {
    /// An already open chain and its deployment (e.g. `stele demo`'s
    /// embedded chain, shared in-process). Without it, the configured chain
    /// is opened (and, if embedded and new, the contracts deployed).
    pub chain: Option<(Arc<dyn Chain>, Deployment)>,
    /// The clock (default: the system clock).
    pub clock: Option<Arc<dyn Clock>>,
}

impl AppState {
    /// Builds the state from `config` (blocking: opens files and the chain).
    pub fn build(config: Config, options: StartOptions) -> Result<AppState, StartError> {
        config.validate()?;
        let io = |what: &str, e: std::io::Error| StartError::Io(format!("{what}: {e}"));
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| io(&config.data_dir.display().to_string(), e))?;
        let clock = options.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let (chain, deployment) = match options.chain {
            Some(c) => c,
            None => open_chain(&config)?,
        };
        let metrics = Arc::new(Metrics::default());

        let ethr = EthrDidResolver::new(
            chain.clone(),
            deployment.did_registry,
            deployment.chain_id,
            &[],
        );
        let fetch = config.fetch.as_ref().map(fetcher_of).transpose()?;
        // Without a [fetch] section did:web is still known, and refused as
        // "resolution forbidden": no host is allowed.
        let web = match (&fetch, &config.fetch) {
            (Some(fetch), Some(f)) => {
                WebResolver::new(fetch.clone()).with_max_document_bytes(f.max_bytes)
            }
            _ => WebResolver::new(Arc::new(NoFetch)),
        };
        let methods = MethodResolver::default()
            .with("ethr", ethr)
            .with("web", web);
        let resolver = Arc::new(CachingResolver::new(
            methods,
            clock.clone(),
            config.cache.did_ttl_secs,
            config.cache.did_capacity,
        ));
        let mut list = TrustList::empty();
        for t in &config.trusted_issuers {
            let types: Option<Vec<&str>> = t
                .types
                .as_ref()
                .map(|v| v.iter().map(String::as_str).collect());
            list = list.with(&t.did, types.as_deref());
        }
        let trust: Arc<dyn TrustSource> = Arc::new(AnyOf(vec![
            Arc::new(ChainTrust::new(chain.clone(), deployment.accreditation)),
            Arc::new(list),
        ]));
        let nonces = Arc::new(MemoryNonceStore::new());

        let (counter_configs, generated) = counters(&config)?;
        let mut statuses: HashMap<i64, Arc<dyn StatusChecker>> = HashMap::new();
        // The chain readers behind them, for the cache figures in /metrics.
        let mut status_caches: Vec<Arc<ChainStatus>> = Vec::new();
        let mut make_counter = |c: &CounterConfig, trust_by_default: bool| -> Arc<Counter> {
            let max_age = c
                .policy
                .status_max_age_secs
                .unwrap_or(config.cache.status_max_age_secs);
            let status = statuses
                .entry(max_age)
                .or_insert_with(|| {
                    let reader = Arc::new(ChainStatus::new(
                        chain.clone(),
                        deployment.status_lists,
                        max_age,
                    ));
                    status_caches.push(reader.clone());
                    let on_chain: Arc<dyn StatusChecker> = reader;
                    match &fetch {
                        // The chain first; lists it does not carry over HTTPS.
                        Some(fetch) => Arc::new(FallbackStatus::new(
                            on_chain,
                            Arc::new(HttpStatus::new(
                                fetch.clone(),
                                resolver.clone() as Arc<dyn DidResolver>,
                                max_age,
                            )),
                        )),
                        None => on_chain,
                    }
                })
                .clone();
            let base = || {
                Verifier::new(resolver.clone() as Arc<dyn DidResolver>).with_status(status.clone())
            };
            Arc::new(Counter {
                id: c.id.clone(),
                audience: c
                    .audience
                    .clone()
                    .unwrap_or_else(|| format!("{}/{}", config.verifier_id, c.id)),
                policy_id: c.policy.id.clone().unwrap_or_else(|| c.id.clone()),
                policy: policy_of(&c.policy),
                require_holder_binding: c.policy.require_holder_binding,
                max_credential_age_secs: c.policy.max_credential_age_secs,
                require_trusted_issuer: c.policy.require_trusted_issuer.unwrap_or(trust_by_default),
                verifier: Arc::new(base().with_nonce_store(nonces.clone())),
                verifier_without_nonces: Arc::new(base()),
            })
        };
        let counters: HashMap<String, Arc<Counter>> = counter_configs
            .iter()
            .map(|c| (c.api_key_sha256.clone(), make_counter(c, true)))
            .collect();
        let public_counter = make_counter(
            &CounterConfig {
                id: "public".into(),
                api_key_sha256: String::new(),
                audience: Some(config.verifier_id.clone()),
                policy: config.access.public_policy.clone(),
            },
            false,
        );

        let anchoring = {
            let key_path = config
                .audit
                .anchor_key
                .clone()
                .unwrap_or_else(|| config.data_dir.join(audit::ANCHOR_KEY_FILE));
            let account = audit::load_or_create_anchor_key(&key_path)?;
            let enabled =
                config.audit.anchor_every_records > 0 || config.audit.anchor_every_secs > 0;
            enabled.then(|| Anchoring {
                chain: chain.clone(),
                contract: deployment.audit_anchors,
                account,
                every_records: config.audit.anchor_every_records,
                every: Duration::from_secs(config.audit.anchor_every_secs),
            })
        };
        let audit = AuditLog::open(&config.data_dir, anchoring, metrics.clone())?;

        let (issuer, issuer_key_hash) = match &config.issuer {
            None => (None, None),
            Some(i) => {
                let state = if let Some(p) = &i.agency_file {
                    // Read once now so that a broken file stops the start.
                    read_agency(p).map_err(StartError::Issuer)?;
                    IssuerState::Agency {
                        path: p.clone(),
                        lock: tokio::sync::Mutex::new(()),
                    }
                } else if let Some(p) = &i.key_file {
                    let text = zeroize::Zeroizing::new(
                        std::fs::read_to_string(p).map_err(|e| io(&p.display().to_string(), e))?,
                    );
                    IssuerState::Key(
                        SecretKey::from_private_jwk_json(&text)
                            .map_err(|e| StartError::Issuer(e.to_string()))?,
                    )
                } else {
                    return Err(StartError::Issuer("no agency_file or key_file".into()));
                };
                (Some(state), Some(i.api_key_sha256.clone()))
            }
        };
        let status_reader = ChainStatus::new(
            chain.clone(),
            deployment.status_lists,
            config.cache.status_max_age_secs,
        );
        let rate = RateLimiter::new(config.rate_limit.per_second, config.rate_limit.burst);
        Ok(AppState(Arc::new(Inner {
            config,
            clock,
            chain,
            deployment,
            resolver,
            trust,
            counters,
            public_counter,
            nonces,
            challenges: Mutex::new(ChallengeBook::default()),
            audit,
            metrics,
            rate,
            issuer,
            issuer_key_hash,
            status_reader,
            status_caches,
            generated_counter_key: generated,
            verify_workers: Workers::start(default_threads(), "stele-verify"),
        })))
    }

    /// The configuration the service runs with.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The chain's contract addresses.
    pub fn deployment(&self) -> &Deployment {
        &self.0.deployment
    }

    /// The chain the service reads.
    pub fn chain(&self) -> Arc<dyn Chain> {
        self.0.chain.clone()
    }

    /// The counter key generated at this start (no counters configured and
    /// none generated before), to be printed once.
    pub fn generated_counter_key(&self) -> Option<&str> {
        self.0.generated_counter_key.as_deref()
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The current time on the service's clock.
    pub fn now(&self) -> Timestamp {
        self.0.clock.now()
    }

    /// The counter whose API key is in `headers`' bearer token.
    pub fn counter(&self, headers: &HeaderMap) -> Result<Arc<Counter>, Problem> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or_else(Problem::unauthorized)?;
        let counter = self
            .0
            .counters
            .get(&hash_hex(token))
            .cloned()
            .ok_or_else(Problem::unauthorized)?;
        self.rate_limit(&counter.id)?;
        Ok(counter)
    }

    /// The counter of the bearer token if one is sent, else the public
    /// policy when `public` allows it. Calls without a key share one rate
    /// limit bucket, so anonymous callers together cannot take the
    /// counters' capacity.
    pub fn counter_or_public(
        &self,
        headers: &HeaderMap,
        public: bool,
    ) -> Result<Arc<Counter>, Problem> {
        if public && !headers.contains_key(axum::http::header::AUTHORIZATION) {
            // Not a valid counter id (a space), so no counter shares it.
            self.rate_limit(" anonymous")?;
            return Ok(self.0.public_counter.clone());
        }
        self.counter(headers)
    }

    /// Checks the issuer API key of `headers`.
    pub fn check_issuer_key(&self, headers: &HeaderMap) -> Result<(), Problem> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or_else(Problem::unauthorized)?;
        match &self.0.issuer_key_hash {
            Some(h) if *h == hash_hex(token) => self.rate_limit("issuer"),
            _ => Err(Problem::unauthorized()),
        }
    }

    fn rate_limit(&self, key: &str) -> Result<(), Problem> {
        self.0
            .rate
            .check(key, Instant::now())
            .map_err(Problem::rate_limited)
    }

    /// Issues a challenge for `counter`: a fresh nonce registered single-use
    /// until its expiry, with the counter's types and claims.
    pub fn issue_challenge(&self, counter: &Counter) -> Challenge {
        let mut bytes = [0u8; 18];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        let nonce = stele_core::encoding::b64url(bytes);
        let now = self.now();
        let expires = now.plus(self.0.config.limits.challenge_ttl_secs);
        self.0.nonces.issue(&nonce, expires, now);
        let challenge = Challenge {
            nonce: nonce.clone(),
            verifier: counter.audience.clone(),
            expires,
            credential_types: counter.policy.accepted_types.clone(),
            claims: counter.policy.required_claims.clone(),
        };
        let mut book = self.0.challenges.lock().unwrap_or_else(|p| p.into_inner());
        // Drop expired ones from the front, and the oldest beyond capacity.
        while let Some(front) = book.order.front().cloned() {
            let expired = book
                .open
                .get(&front)
                .is_none_or(|c| c.challenge.expires < now);
            if expired || book.order.len() >= self.0.config.limits.max_open_challenges {
                book.order.pop_front();
                book.open.remove(&front);
            } else {
                break;
            }
        }
        book.order.push_back(nonce.clone());
        book.open.insert(
            nonce,
            OpenChallenge {
                counter: counter.id.clone(),
                challenge: challenge.clone(),
            },
        );
        challenge
    }

    /// Issues a challenge for the counter named `counter_id` (in-process
    /// callers such as `stele demo`; HTTP clients use `POST /v1/challenges`).
    pub fn challenge_for(&self, counter_id: &str) -> Option<Challenge> {
        let counter = self
            .0
            .counters
            .values()
            .find(|c| c.id == counter_id)?
            .clone();
        Some(self.issue_challenge(&counter))
    }

    /// A challenge this service issued and that has not expired.
    pub fn open_challenge(&self, nonce: &str) -> Option<OpenChallenge> {
        let now = self.now();
        let book = self.0.challenges.lock().unwrap_or_else(|p| p.into_inner());
        book.open
            .get(nonce)
            .filter(|c| c.challenge.expires >= now)
            .cloned()
    }

    fn open_challenges(&self) -> usize {
        self.0
            .challenges
            .lock()
            .map(|b| b.open.len())
            .unwrap_or_default()
    }

    /// Verifies `payload` for `counter`, applies the counter's policy,
    /// appends the audit record (durably) and counts it. `Err` is a problem
    /// to answer: 503 "could not check" or an audit failure.
    pub async fn run_verification(
        &self,
        counter: Arc<Counter>,
        payload: String,
        run: RunOptions,
    ) -> Result<Verdict, Problem> {
        let started = Instant::now();
        let now = self.now();
        let input_sha256 = audit::input_hash(payload.as_bytes());
        let state = self.clone();
        let c = counter.clone();
        let ttl = self.0.config.limits.challenge_ttl_secs;
        let result = self
            .0
            .verify_workers
            .run(move || {
                let verifier = if run.nonce.is_some() && !run.nonce_from_store {
                    &c.verifier_without_nonces
                } else {
                    &c.verifier
                };
                let audience = match &run.audience {
                    Audience::Counter => Some(c.audience.as_str()),
                    Audience::Given(a) => Some(a.as_str()),
                    Audience::Unchecked => None,
                };
                let checks = match run.checks {
                    None => CheckSelection {
                        trust: c.require_trusted_issuer,
                        ..CheckSelection::ALL
                    },
                    Some(asked) => CheckSelection {
                        trust: asked.trust || c.require_trusted_issuer,
                        ..asked
                    },
                };
                let holder_binding = match run.nonce.as_deref() {
                    Some(nonce) => HolderBinding {
                        required: true,
                        audience,
                        nonce: Some(nonce),
                        max_age_secs: ttl.max(300),
                    },
                    None => HolderBinding::NONE,
                };
                let options = VerifyOptions {
                    holder_binding,
                    checks,
                    policy: &c.policy,
                    ..VerifyOptions::new(now, state.0.trust.as_ref())
                };
                verifier.verify(&payload, &options)
            })
            .await
            .map_err(|()| Problem::internal())?;

        let (verdict, outcome) = match result {
            Ok(mut v) => {
                apply_max_age(&mut v, counter.max_credential_age_secs, now);
                let outcome = if v.verified { "verified" } else { "rejected" };
                (Ok(v), outcome)
            }
            Err(e) => (Err(e), "could_not_check"),
        };
        let (types, issuer, reasons): (Option<String>, Option<String>, Vec<&'static str>) =
            match &verdict {
                Ok(v) => (
                    credential_type(v),
                    v.issuer.clone(),
                    v.reasons.iter().map(|r| r.code.as_str()).collect(),
                ),
                Err(_) => (None, None, Vec::new()),
            };
        let entry = Entry {
            time: now.unix(),
            counter: counter.id.clone(),
            policy: counter.policy_id.clone(),
            credential_type: types,
            issuer,
            verdict: outcome.to_owned(),
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            input_sha256,
        };
        let audited = self.0.audit.append(entry).await;
        self.0
            .metrics
            .verification(outcome, &reasons, started.elapsed());
        if audited.is_err() {
            return Err(Problem::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "audit_unavailable",
                "The verification could not be recorded in the audit log",
            ));
        }
        verdict.map_err(|e| {
            self.0.metrics.chain_error();
            Problem::could_not_check(could_not_check_detail(&e))
        })
    }

    /// Cache figures for `/metrics`.
    pub fn cache_snapshot(&self) -> CacheSnapshot {
        let s = self.0.resolver.stats();
        let mut status = stele_registry::status::StatusCacheStats::default();
        for reader in &self.0.status_caches {
            let r = reader.stats();
            status.fresh += r.fresh;
            status.revalidated += r.revalidated;
            status.fetched += r.fetched;
            status.lists += r.lists;
        }
        CacheSnapshot {
            did_hits: s.hits,
            did_misses: s.misses,
            did_entries: s.entries,
            open_challenges: self.open_challenges(),
            status,
        }
    }

    /// Resolves a DID through the service's resolver (blocking).
    pub fn resolver(&self) -> Arc<CachingResolver<MethodResolver>> {
        self.0.resolver.clone()
    }

    /// Closes the audit log (blocking): everything queued is committed.
    pub fn close(&self) {
        self.0.audit.close();
    }
}

fn could_not_check_detail(e: &VerifyError) -> String {
    match e {
        VerifyError::Resolution(_) => "the issuer's DID could not be resolved (chain unavailable)",
        VerifyError::Trust(_) => "the issuer's accreditation could not be read (chain unavailable)",
        VerifyError::Status(_) => "the credential's status could not be read (chain unavailable)",
        VerifyError::Nonce(_) => "the nonce store is unavailable",
        _ => "a source needed for verification is unavailable",
    }
    .to_owned()
}

/// The credential type of a verdict: its first type other than `VerifiableCredential`.
pub fn credential_type(v: &Verdict) -> Option<String> {
    v.types
        .iter()
        .find(|t| t.as_str() != "VerifiableCredential")
        .or_else(|| v.types.first())
        .cloned()
}

/// The counter's maximum credential age: a credential valid from longer ago
/// is refused (`expired`, at the policy step), and its claims are dropped.
fn apply_max_age(v: &mut Verdict, max_age: Option<i64>, now: Timestamp) {
    let (Some(max), true) = (max_age, v.verified) else {
        return;
    };
    let Some(from) = v
        .valid_from
        .as_deref()
        .and_then(|t| Timestamp::parse_rfc3339(t).ok())
    else {
        return;
    };
    if now.unix() - from.unix() <= max {
        return;
    }
    v.verified = false;
    v.claims.clear();
    v.reasons.push(Reason::new(
        ReasonCode::Expired,
        "older than this counter's maximum credential age",
    ));
    if let Some(c) = v.checks.iter_mut().find(|c| c.name == CheckName::Policy) {
        c.outcome = Outcome::Failed;
        c.reason = Some(ReasonCode::Expired);
    }
}

fn policy_of(p: &PolicyConfig) -> Policy {
    Policy {
        accepted_types: p.accepted_types.clone(),
        required_claims: p.required_claims.clone(),
        require_schema: p.require_schema,
    }
}

/// The counters: configured ones, or the one generated at the first start
/// (its key printed once and written to `<data dir>/counter-api-key`).
fn counters(config: &Config) -> Result<(Vec<CounterConfig>, Option<String>), StartError> {
    if !config.counters.is_empty() {
        return Ok((config.counters.clone(), None));
    }
    let state_path = config.data_dir.join(COUNTERS_STATE_FILE);
    if state_path.exists() {
        let text = std::fs::read_to_string(&state_path)
            .map_err(|e| StartError::Io(format!("{}: {e}", state_path.display())))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| StartError::Io(format!("{}: {e}", state_path.display())))?;
        let list = v["counters"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| {
                        Some(CounterConfig {
                            id: c["id"].as_str()?.to_owned(),
                            api_key_sha256: c["api_key_sha256"].as_str()?.to_owned(),
                            audience: None,
                            policy: PolicyConfig::default(),
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if !list.is_empty() {
            return Ok((list, None));
        }
    }
    let key = ApiKey::generate_counter(&mut rand_core::OsRng);
    let hash = key.sha256_hex();
    crate::files::write_secret(
        &config.data_dir.join(COUNTER_KEY_FILE),
        format!("{}\n", key.expose_secret()).as_bytes(),
    )
    .map_err(|e| StartError::Io(format!("{COUNTER_KEY_FILE}: {e}")))?;
    let state = json!({"counters": [{"id": "counter-1", "api_key_sha256": hash}]});
    crate::files::write_atomic(&state_path, format!("{state:#}\n").as_bytes(), 0o600)
        .map_err(|e| StartError::Io(format!("{COUNTERS_STATE_FILE}: {e}")))?;
    Ok((
        vec![CounterConfig {
            id: "counter-1".into(),
            api_key_sha256: hash,
            audience: None,
            policy: PolicyConfig::default(),
        }],
        Some(key.expose_secret().to_owned()),
    ))
}

/// Reads an agency file.
pub fn read_agency(path: &Path) -> Result<stele_registry::agency::Agency, String> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
    );
    stele_registry::agency::Agency::from_json(&text).map_err(|e| e.to_string())
}

/// Opens the configured chain; an embedded chain without a deployment gets
/// the contracts deployed (governance key created in the data directory).
fn open_chain(config: &Config) -> Result<(Arc<dyn Chain>, Deployment), StartError> {
    let chain_err = |e: stele_registry::ChainError| StartError::Chain(e.to_string());
    let deployment_path = config.deployment_path()?;
    match config.chain_setting()? {
        ChainSetting::Embedded(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| StartError::Io(format!("{}: {e}", dir.display())))?;
            let chain: Arc<dyn Chain> =
                Arc::new(EmbeddedChain::open(&dir, EmbeddedConfig::default()).map_err(chain_err)?);
            let deployment = if deployment_path.exists() {
                read_deployment(&deployment_path)?
            } else {
                let gov_path = config.data_dir.join(GOVERNANCE_KEY_FILE);
                let governance = if gov_path.exists() {
                    let text = zeroize::Zeroizing::new(
                        std::fs::read_to_string(&gov_path)
                            .map_err(|e| StartError::Io(format!("{}: {e}", gov_path.display())))?,
                    );
                    SecretKey::from_private_jwk_json(&text)
                        .map_err(|e| StartError::Io(format!("{}: {e}", gov_path.display())))?
                } else {
                    let k = SecretKey::generate(KeyType::Secp256k1, &mut rand_core::OsRng);
                    crate::files::write_secret(&gov_path, k.to_private_jwk_json().as_bytes())
                        .map_err(|e| StartError::Io(format!("{}: {e}", gov_path.display())))?;
                    k
                };
                let governor = Account::from_secret_key(&governance)
                    .map_err(|e| StartError::Chain(e.to_string()))?;
                let d = stele_registry::contracts::deploy(
                    chain.as_ref(),
                    &governor,
                    &[governor.address()],
                )
                .map_err(chain_err)?;
                let text = serde_json::to_string_pretty(&d).unwrap_or_default();
                crate::files::write_atomic(&deployment_path, text.as_bytes(), 0o644)
                    .map_err(|e| StartError::Io(format!("{}: {e}", deployment_path.display())))?;
                d
            };
            let id = chain.chain_id().map_err(chain_err)?;
            if id != deployment.chain_id {
                return Err(StartError::Chain(format!(
                    "{} is for chain {} but the chain is {id}",
                    deployment_path.display(),
                    deployment.chain_id
                )));
            }
            Ok((chain, deployment))
        }
        ChainSetting::Rpc(url) => {
            // The node may be down at start: the service starts anyway,
            // /readyz says 503 and verifications answer "could not check".
            let deployment = read_deployment(&deployment_path)?;
            let transport = stele_registry::ReqwestTransport::new()
                .map_err(|e| StartError::Chain(e.to_string()))?;
            let chain: Arc<dyn Chain> = Arc::new(
                RpcChain::new(&url, Arc::new(DropOffRuntime(Some(transport))))
                    .with_timeout(Duration::from_secs(5)),
            );
            Ok((chain, deployment))
        }
    }
}

fn read_deployment(path: &Path) -> Result<Deployment, StartError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        StartError::Io(format!(
            "cannot read the contract addresses in {} ({e}); run `stele chain init` first",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| StartError::Io(format!("{}: {e}", path.display())))
}

/// The guarded fetcher of a `[fetch]` section.
fn fetcher_of(f: &FetchConfig) -> Result<Arc<dyn Fetch>, StartError> {
    let timeout = Duration::from_millis(f.timeout_ms);
    let policy = FetchPolicy {
        allowed_hosts: f.allowed_hosts.clone(),
        allow_private: f.allow_private,
        timeout,
        connect_timeout: timeout.min(stele_registry::fetch::DEFAULT_CONNECT_TIMEOUT),
        max_bytes: f.max_bytes,
        ..FetchPolicy::default()
    };
    let fetcher = match &f.roots_file {
        None => GuardedFetcher::new(policy),
        Some(p) => {
            let roots = std::fs::read(p)
                .map_err(|e| StartError::Io(format!("fetch.roots_file {}: {e}", p.display())))?;
            GuardedFetcher::with_roots(policy, &[roots])
        }
    }
    .map_err(|e| StartError::Io(format!("fetch: {e}")))?;
    Ok(Arc::new(FetchOffRuntime(Some(fetcher))))
}

/// The guarded fetcher, dropped off the async runtime like [`DropOffRuntime`].
struct FetchOffRuntime(Option<GuardedFetcher>);

impl Fetch for FetchOffRuntime {
    fn get(&self, url: &str, accept: &[&str]) -> Result<Fetched, FetchError> {
        match &self.0 {
            Some(f) => f.get(url, accept),
            None => Err(FetchError::Unavailable("fetcher closed".into())),
        }
    }
}

impl Drop for FetchOffRuntime {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            let _ = std::thread::Builder::new()
                .name("stele-fetch-drop".into())
                .spawn(move || drop(f));
        }
    }
}

/// reqwest's blocking client owns a runtime that must not be dropped inside
/// an async context; the service's state may be dropped there, so the
/// transport is dropped on a thread of its own.
struct DropOffRuntime(Option<stele_registry::ReqwestTransport>);

impl HttpTransport for DropOffRuntime {
    fn post_json(
        &self,
        url: &str,
        body: &[u8],
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<Vec<u8>, TransportError> {
        match &self.0 {
            Some(t) => t.post_json(url, body, timeout, max_response_bytes),
            None => Err(TransportError::Other("transport closed".into())),
        }
    }
}

impl Drop for DropOffRuntime {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            let _ = std::thread::Builder::new()
                .name("stele-rpc-drop".into())
                .spawn(move || drop(t));
        }
    }
}
