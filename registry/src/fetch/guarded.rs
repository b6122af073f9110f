//! [`GuardedFetcher`]: the [`Fetch`] seam over reqwest's blocking client
//! (rustls with ring, ADR 0014), under a [`FetchPolicy`].

use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Once};
use std::time::Instant;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};

use super::{Fetch, FetchError, FetchPolicy, FetchUrl, Fetched, Host, MAX_REDIRECTS};

static PROVIDER: Once = Once::new();

/// [`Fetch`] over HTTPS with the policy enforced at every step:
///
/// - the URL (and every redirect target) is checked before a connection:
///   `https`, no user info, host on the allow-list, IP literals checked;
/// - host names are resolved once, by a resolver that refuses the whole
///   answer if any address is forbidden, and the connection is made only to
///   the addresses it returned, so a DNS answer that changes between check
///   and connect (rebinding) cannot reach a private address;
/// - redirects are not followed by the HTTP client but here, at most
///   `max_redirects` (≤ [`MAX_REDIRECTS`]) and each re-checked;
/// - the body is read through the size cap (a larger `Content-Length` is
///   refused before reading); connect and total time limits; no proxy.
///
/// The blocking client runs its own runtime thread: do not create or drop it
/// inside an async context (build it at start-up, call it from `spawn_blocking`).
#[derive(Clone)]
pub struct GuardedFetcher {
    policy: Arc<FetchPolicy>,
    client: reqwest::blocking::Client,
}

impl std::fmt::Debug for GuardedFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedFetcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl GuardedFetcher {
    /// A fetcher trusting the operating system's certificate store.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        Self::build(policy, None)
    }

    /// A fetcher trusting only these root certificates, each DER or a PEM
    /// bundle: a private PKI, or a test's own CA.
    pub fn with_roots(policy: FetchPolicy, roots: &[Vec<u8>]) -> Result<Self, FetchError> {
        let unusable =
            |e: reqwest::Error| FetchError::Unavailable(format!("unusable root certificate: {e}"));
        let mut certs = Vec::with_capacity(roots.len());
        for root in roots {
            if root.starts_with(b"-----BEGIN") {
                certs.extend(reqwest::Certificate::from_pem_bundle(root).map_err(unusable)?);
            } else {
                certs.push(reqwest::Certificate::from_der(root).map_err(unusable)?);
            }
        }
        if certs.is_empty() {
            return Err(FetchError::Unavailable("no root certificate given".into()));
        }
        Self::build(policy, Some(certs))
    }

    fn build(
        policy: FetchPolicy,
        roots: Option<Vec<reqwest::Certificate>>,
    ) -> Result<Self, FetchError> {
        PROVIDER.call_once(|| {
            // Fails only if a provider is already installed, which is as good.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let policy = Arc::new(policy);
        let mut builder = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(true)
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.timeout)
            .user_agent(concat!("stele/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(CheckingResolver {
                policy: policy.clone(),
            }));
        if let Some(roots) = roots {
            builder = builder.tls_certs_only(roots);
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Unavailable(format!("cannot build HTTP client: {e}")))?;
        Ok(GuardedFetcher { policy, client })
    }

    /// The policy in force.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    fn get_once(
        &self,
        url: &FetchUrl,
        accept: &[&str],
        deadline: Instant,
    ) -> Result<Step, FetchError> {
        let text = url.to_string();
        let parsed = reqwest::Url::parse(&text)
            .map_err(|_| FetchError::InvalidUrl("not a URL the HTTP client accepts".into()))?;
        // The client must connect to the host that was checked.
        let client_host = match parsed.host_str() {
            Some(h) if h.starts_with('[') => h
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::Ipv6Addr>()
                .map(|a| Host::Ip(a.into()))
                .ok(),
            Some(h) => Some(match h.parse::<std::net::Ipv4Addr>() {
                Ok(a) => Host::Ip(a.into()),
                Err(_) => Host::Name(h.to_owned()),
            }),
            None => None,
        };
        let same_host = client_host.as_ref() == Some(&url.host);
        if !same_host {
            return Err(FetchError::InvalidUrl(
                "the host reads differently to the HTTP client".into(),
            ));
        }
        let remaining = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(FetchError::Timeout)?;
        let mut request = self.client.get(parsed).timeout(remaining);
        if !accept.is_empty() {
            request = request.header(ACCEPT, accept.join(", "));
        }
        let response = request.send().map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or(FetchError::Redirect)?;
            return Ok(Step::Redirect(url.join(location)?));
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        if !accept.is_empty() {
            match &content_type {
                Some(t) if accept.iter().any(|a| a.eq_ignore_ascii_case(t)) => {}
                Some(t) => return Err(FetchError::ContentType(t.clone())),
                None => return Err(FetchError::ContentType("(none)".into())),
            }
        }
        let max = self.policy.max_bytes;
        let cap = u64::try_from(max).unwrap_or(u64::MAX);
        if response.content_length().is_some_and(|n| n > cap) {
            return Err(FetchError::TooLarge { limit: max });
        }
        let mut body = Vec::new();
        response
            .take(cap.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| {
                let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                    || e.get_ref()
                        .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
                        .is_some_and(reqwest::Error::is_timeout);
                if timed_out {
                    FetchError::Timeout
                } else {
                    FetchError::Unavailable(format!("reading the answer: {e}"))
                }
            })?;
        if body.len() > max {
            return Err(FetchError::TooLarge { limit: max });
        }
        Ok(Step::Done(Fetched {
            url: text,
            content_type,
            body,
        }))
    }
}

enum Step {
    Done(Fetched),
    Redirect(FetchUrl),
}

impl Fetch for GuardedFetcher {
    fn get(&self, url: &str, accept: &[&str]) -> Result<Fetched, FetchError> {
        let deadline = Instant::now() + self.policy.timeout;
        let mut url = self.policy.check_url(url)?;
        let max_redirects = self.policy.max_redirects.min(MAX_REDIRECTS);
        for _ in 0..=max_redirects {
            match self.get_once(&url, accept, deadline)? {
                Step::Done(fetched) => return Ok(fetched),
                Step::Redirect(next) => url = self.policy.check_url(&next.to_string())?,
            }
        }
        Err(FetchError::Redirect)
    }
}

/// The refusal the resolver returns; found again in the client's error chain.
#[derive(Debug)]
struct AddressRefused {
    host: String,
    reason: &'static str,
}

impl std::fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to a {} address", self.host, self.reason)
    }
}

impl std::error::Error for AddressRefused {}

/// Resolves a host name once and hands the client only checked addresses.
struct CheckingResolver {
    policy: Arc<FetchPolicy>,
}

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let policy = self.policy.clone();
        Box::pin(async move {
            let lookup = host.clone();
            let addrs: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
                (lookup.as_str(), 0)
                    .to_socket_addrs()
                    .map(Iterator::collect)
            })
            .await??;
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            // One forbidden address spoils the answer: refusing it alone would
            // let a name that mixes public and private addresses through.
            if let Some(reason) = addrs.iter().find_map(|a| policy.address_refusal(a.ip())) {
                return Err(Box::new(AddressRefused { host, reason }) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn classify(e: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<AddressRefused>() {
            return FetchError::ForbiddenAddress {
                host: r.host.clone(),
                reason: r.reason,
            };
        }
        source = s.source();
    }
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Unavailable(error_chain(e))
    }
}

/// The error and its causes on one line (reqwest's own message says little).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
