//! `stele verify`.

use std::sync::Arc;

use clap::Args;
use stele_core::did::{DidResolver, MethodResolver};
use stele_core::time::{Clock, SystemClock, Timestamp};
use stele_core::verify::{
    AnyOf, HolderBinding, Policy, StatusChecker, TrustList, TrustSource, Verdict, Verifier,
    VerifyOptions,
};
use stele_registry::FallbackStatus;
use stele_registry::did_ethr::EthrDidResolver;
use stele_registry::fetch::Fetch;
use stele_registry::status::ChainStatus;
use stele_registry::trust::ChainTrust;

use super::parse_time;
use crate::fetch::{FetchArgs, http_status, with_web};
use crate::{Failure, OutputMode, exit, files, output};

/// Arguments of `stele verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// Trusted issuers: {"issuers": [{"did": "...", "types": ["..."]}]}. Without it no issuer is trusted.
    #[arg(long)]
    trust: Option<String>,
    /// Verify as of this time (RFC 3339) instead of now.
    #[arg(long)]
    now: Option<String>,
    /// This verifier's identifier: the presentation's audience must be it.
    #[arg(long, allow_hyphen_values = true)]
    audience: Option<String>,
    /// This transaction's nonce: the presentation must carry it.
    #[arg(long, allow_hyphen_values = true)]
    nonce: Option<String>,
    /// Require holder binding (an SD-JWT presentation with key binding).
    #[arg(long)]
    require_holder_binding: bool,
    /// Accept only these credential types (comma-separated).
    #[arg(long, value_delimiter = ',')]
    accept_type: Vec<String>,
    /// Claims that must be disclosed (comma-separated; address.locality names a part).
    #[arg(long, value_delimiter = ',')]
    require_claims: Vec<String>,
    /// Require the disclosed claims to conform to the credential type's JSON Schema.
    #[arg(long)]
    require_schema: bool,
    /// Verify against a chain (embedded:DIR or rpc:URL): did:ethr issuers,
    /// accreditation at issuance time and status lists come from it; --trust
    /// still adds did:key issuers.
    #[arg(long)]
    chain: Option<String>,
    /// The chain's contract addresses (see `stele chain init`).
    #[arg(long, env = "STELE_DEPLOYMENT")]
    deployment: Option<std::path::PathBuf>,
    /// How long a status list synced from the chain is reused, in seconds.
    #[arg(long, default_value_t = 300)]
    status_max_age: i64,
    /// did:web issuers and status lists over HTTPS (`--allow-fetch HOST,…`).
    #[command(flatten)]
    fetch: FetchArgs,
    /// The credential or presentation (a file, or - for stdin).
    input: String,
}

/// The verification context the CLI builds from its arguments.
pub struct Check<'a> {
    /// Trusted issuers.
    pub trust: &'a TrustList,
    /// Time to verify at.
    pub now: Timestamp,
    /// Expected audience.
    pub audience: Option<&'a str>,
    /// Expected nonce.
    pub nonce: Option<&'a str>,
    /// Whether holder binding is required.
    pub require_holder_binding: bool,
    /// The counter's policy.
    pub policy: &'a Policy,
    /// The chain to verify against, if any.
    pub chain: Option<&'a ChainContext>,
    /// The guarded fetcher (did:web, status lists over HTTPS), if any host is allowed.
    pub fetch: Option<Arc<dyn Fetch>>,
}

/// Loads `--chain` / `--deployment` and builds a verifier that reads did:ethr
/// issuers, accreditation and status lists from that chain, with `trust`
/// adding did:key issuers.
pub fn chain_verifier(
    chain: &str,
    deployment: Option<std::path::PathBuf>,
    trust: TrustList,
    status_max_age: i64,
) -> Result<(Verifier, AnyOf), Failure> {
    let ctx = ChainContext::load(chain, deployment, status_max_age)?;
    Ok(ctx.verifier(trust))
}

/// What verifying against a chain needs.
pub struct ChainContext {
    /// The chain.
    pub chain: Arc<dyn stele_registry::Chain>,
    /// Its contracts.
    pub deployment: stele_registry::Deployment,
    /// Status-list cache age.
    pub status_max_age: i64,
}

impl ChainContext {
    /// Opens the chain named by `--chain` and reads its deployment; a chain
    /// that cannot be opened or reached is "could not check" (exit 2).
    pub fn load(
        chain: &str,
        deployment: Option<std::path::PathBuf>,
        status_max_age: i64,
    ) -> Result<Self, Failure> {
        let args = crate::chain::ChainArgs {
            chain: chain.to_owned(),
            deployment,
        };
        let (chain, deployment) = args.load().map_err(|f| Failure {
            code: if f.code == exit::REJECTED {
                exit::UNAVAILABLE
            } else {
                f.code
            },
            message: f.message,
        })?;
        Ok(ChainContext {
            chain,
            deployment,
            status_max_age,
        })
    }

    /// A verifier reading did:ethr, accreditation and status from this chain,
    /// and the trust sources: the chain's accreditation, then `trust`.
    pub fn verifier(&self, trust: TrustList) -> (Verifier, AnyOf) {
        self.verifier_fetching(trust, None)
    }

    /// [`ChainContext::verifier`], with did:web issuers and status lists that
    /// are not on the chain fetched through `fetch`, if given.
    pub fn verifier_fetching(
        &self,
        trust: TrustList,
        fetch: Option<&Arc<dyn Fetch>>,
    ) -> (Verifier, AnyOf) {
        let d = &self.deployment;
        let resolver: Arc<dyn DidResolver> = Arc::new(with_web(
            MethodResolver::default().with(
                "ethr",
                EthrDidResolver::new(self.chain.clone(), d.did_registry, d.chain_id, &[]),
            ),
            fetch,
        ));
        let sources = AnyOf(vec![
            Arc::new(ChainTrust::new(self.chain.clone(), d.accreditation)) as Arc<dyn TrustSource>,
            Arc::new(trust),
        ]);
        let on_chain: Arc<dyn StatusChecker> = Arc::new(ChainStatus::new(
            self.chain.clone(),
            d.status_lists,
            self.status_max_age,
        ));
        let status: Arc<dyn StatusChecker> =
            match http_status(fetch, &resolver, self.status_max_age) {
                Some(http) => Arc::new(FallbackStatus::new(on_chain, Arc::new(http))),
                None => on_chain,
            };
        (Verifier::new(resolver).with_status(status), sources)
    }
}

/// Verifies `input`; `Err` means it could not be checked (exit 2).
pub fn verify(input: &str, c: &Check<'_>) -> Result<Verdict, Failure> {
    let any;
    let (verifier, trust): (Verifier, &dyn TrustSource) = match c.chain {
        None => {
            let resolver: Arc<dyn DidResolver> =
                Arc::new(with_web(MethodResolver::default(), c.fetch.as_ref()));
            let mut verifier = Verifier::new(resolver.clone());
            // Without a chain, status lists can only come over HTTPS.
            if let Some(http) = http_status(c.fetch.as_ref(), &resolver, 300) {
                verifier = verifier.with_status(Arc::new(http));
            }
            (verifier, c.trust)
        }
        Some(ctx) => {
            let (verifier, sources) = ctx.verifier_fetching(c.trust.clone(), c.fetch.as_ref());
            any = sources;
            (verifier, &any as &dyn TrustSource)
        }
    };
    let options = VerifyOptions {
        holder_binding: HolderBinding {
            required: c.require_holder_binding || c.nonce.is_some(),
            audience: c.audience,
            nonce: c.nonce,
            ..HolderBinding::NONE
        },
        policy: c.policy,
        ..VerifyOptions::new(c.now, trust)
    };
    verifier.verify(input, &options).map_err(|e| Failure {
        code: exit::UNAVAILABLE,
        message: format!("could not check: {e}"),
    })
}

/// Runs `stele verify`.
pub fn run(a: VerifyArgs, mode: OutputMode) -> Result<u8, Failure> {
    let trust = match &a.trust {
        Some(path) => TrustList::from_json(files::read_text(path, "trust file")?.as_bytes())
            .map_err(|e| Failure::usage(format!("--trust {path:?}: {e}")))?,
        None => TrustList::empty(),
    };
    let now = match &a.now {
        Some(t) => parse_time(t, "--now")?,
        None => SystemClock.now(),
    };
    let input = files::read_text(&a.input, "input")?;
    let fetch = a.fetch.fetcher()?;
    let context = match &a.chain {
        None => None,
        Some(chain) => Some(ChainContext::load(
            chain,
            a.deployment.clone(),
            a.status_max_age,
        )?),
    };
    let clean = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let policy = Policy {
        accepted_types: clean(a.accept_type),
        required_claims: clean(a.require_claims),
        require_schema: a.require_schema,
    };
    let verdict = verify(
        &input,
        &Check {
            trust: &trust,
            now,
            audience: a.audience.as_deref(),
            nonce: a.nonce.as_deref(),
            require_holder_binding: a.require_holder_binding,
            policy: &policy,
            chain: context.as_ref(),
            fetch,
        },
    )?;
    match mode {
        OutputMode::Json => output::print_json(&verdict.to_json()),
        OutputMode::Text => {
            out!("{}", output::verdict_text(&verdict));
            if a.trust.is_none() && a.chain.is_none() {
                outln!("  note: no --trust file was given, so no issuer is trusted");
            }
        }
    }
    Ok(if verdict.verified {
        exit::OK
    } else {
        exit::REJECTED
    })
}
