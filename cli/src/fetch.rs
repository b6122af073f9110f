//! `--allow-fetch` and its companions: the guarded fetch layer for `stele
//! verify` and `stele resolve` (did:web documents, status lists over HTTPS;
//! ADR 0032). Without `--allow-fetch` nothing is fetched.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use stele_core::did::{DidResolver, MethodResolver};
use stele_registry::fetch::{DEFAULT_CONNECT_TIMEOUT, Fetch, FetchPolicy, GuardedFetcher, NoFetch};
use stele_registry::{HttpStatus, WebResolver};

use crate::Failure;

/// Which hosts may be fetched from, and how.
#[derive(Args, Clone, Debug, Default)]
pub struct FetchArgs {
    /// Hosts that did:web documents and status lists may be fetched from
    /// (comma-separated, exact names; https only, public addresses only).
    /// Without it nothing is fetched.
    #[arg(long = "allow-fetch", value_delimiter = ',', value_name = "HOST,…")]
    pub allow_fetch: Vec<String>,
    /// Also allow private, loopback and link-local addresses (tests, closed networks).
    #[arg(long)]
    pub fetch_allow_private: bool,
    /// Trust these root certificates (a PEM or DER file) instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub fetch_roots: Option<PathBuf>,
    /// Time limit of one fetch, redirects and body included, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    pub fetch_timeout_ms: u64,
}

impl FetchArgs {
    /// The guarded fetcher, or `None` when no host is allowed.
    pub fn fetcher(&self) -> Result<Option<Arc<dyn Fetch>>, Failure> {
        let hosts: Vec<String> = self
            .allow_fetch
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if hosts.is_empty() {
            return Ok(None);
        }
        for h in &hosts {
            stele_registry::fetch::parse_host(h)
                .map_err(|e| Failure::usage(format!("--allow-fetch {h:?}: {e}")))?;
        }
        if self.fetch_timeout_ms == 0 || self.fetch_timeout_ms > 60_000 {
            return Err(Failure::usage("--fetch-timeout-ms must be 1-60000"));
        }
        let timeout = Duration::from_millis(self.fetch_timeout_ms);
        let policy = FetchPolicy {
            allowed_hosts: hosts,
            allow_private: self.fetch_allow_private,
            timeout,
            connect_timeout: timeout.min(DEFAULT_CONNECT_TIMEOUT),
            ..FetchPolicy::default()
        };
        let fetcher = match &self.fetch_roots {
            None => GuardedFetcher::new(policy),
            Some(p) => {
                let roots = std::fs::read(p)
                    .map_err(|e| Failure::usage(format!("--fetch-roots {}: {e}", p.display())))?;
                GuardedFetcher::with_roots(policy, &[roots])
            }
        }
        .map_err(|e| Failure::usage(format!("fetching: {e}")))?;
        Ok(Some(Arc::new(fetcher)))
    }
}

/// `resolver` with did:web added: fetched when allowed, else refused as
/// "resolution forbidden" (no host is allowed).
pub fn with_web(resolver: MethodResolver, fetch: Option<&Arc<dyn Fetch>>) -> MethodResolver {
    let fetch = fetch.cloned().unwrap_or_else(|| Arc::new(NoFetch));
    resolver.with("web", WebResolver::new(fetch))
}

/// Status lists over HTTPS, when fetching is allowed.
pub fn http_status(
    fetch: Option<&Arc<dyn Fetch>>,
    resolver: &Arc<dyn DidResolver>,
    max_age_secs: i64,
) -> Option<HttpStatus> {
    fetch.map(|f| HttpStatus::new(f.clone(), resolver.clone(), max_age_secs))
}
