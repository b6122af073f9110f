//! Status lists over HTTPS (ADR 0032): [`HttpStatus`] fetches the issuer's
//! signed `BitstringStatusListCredential` from the URL a status entry names,
//! through the guarded [`Fetch`] layer, verifies it with core
//! (`verify_status_list_credential`: the issuer's assertion key, the URL, the
//! validity period) and keeps it for a maximum age. [`FallbackStatus`] puts
//! the chain first and HTTPS second, for lists that are not on the chain.
//!
//! A fetch the policy refuses is [`StatusError::Retrieval`] (a rejection:
//! `status_retrieval_error`); an outage is [`StatusError::Unavailable`]
//! ("could not check"), and a cached copy older than the maximum age is
//! never used in its place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use stele_core::alg::AlgorithmSet;
use stele_core::did::{Did, DidError, DidResolver, DidUrl, Relationship, ResolutionOptions};
use stele_core::jose::{HeaderPolicy, JwsLimits, UnverifiedJws, typ};
use stele_core::status::{
    VerifiedStatusList, entries_from_status_claim, verify_status_list_credential,
};
use stele_core::time::Timestamp;
use stele_core::verify::{StatusChecker, StatusError, StatusOutcome};

use crate::fetch::{Fetch, FetchError};

/// Media types a status list credential (`vc+jwt`) may be served as.
pub const STATUS_LIST_MEDIA_TYPES: [&str; 3] =
    ["application/vc+jwt", "application/jwt", "text/plain"];

/// Default number of lists kept.
pub const DEFAULT_CAPACITY: usize = 1024;

/// The status error a failed fetch of a status list is.
pub fn status_error_of(e: FetchError) -> StatusError {
    if e.is_outage() {
        StatusError::Unavailable(e.to_string())
    } else {
        StatusError::Retrieval(e.to_string())
    }
}

#[derive(Clone)]
struct Cached {
    list: Arc<VerifiedStatusList>,
    fetched: Timestamp,
}

/// Status checking against lists fetched over HTTPS.
pub struct HttpStatus {
    fetch: Arc<dyn Fetch>,
    resolver: Arc<dyn DidResolver>,
    max_age_secs: i64,
    capacity: usize,
    cache: Mutex<HashMap<(String, String), Cached>>,
}

impl std::fmt::Debug for HttpStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpStatus")
            .field("max_age_secs", &self.max_age_secs)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl HttpStatus {
    /// Fetches lists through `fetch` and finds the issuer's key with
    /// `resolver`; a verified list is reused for `max_age_secs` (and never
    /// past its `validUntil`), at most [`DEFAULT_CAPACITY`] lists.
    pub fn new(fetch: Arc<dyn Fetch>, resolver: Arc<dyn DidResolver>, max_age_secs: i64) -> Self {
        HttpStatus {
            fetch,
            resolver,
            max_age_secs,
            capacity: DEFAULT_CAPACITY,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps at most `n` lists (0: none).
    #[must_use]
    pub fn with_capacity(mut self, n: usize) -> Self {
        self.capacity = n;
        self
    }

    /// The verified list `issuer` publishes at `url`, from the cache when
    /// younger than the maximum age, else fetched and verified.
    pub fn list(
        &self,
        issuer: &str,
        url: &str,
        now: Timestamp,
    ) -> Result<Arc<VerifiedStatusList>, StatusError> {
        let key = (issuer.to_owned(), url.to_owned());
        let cached = self.cache.lock().ok().and_then(|c| c.get(&key).cloned());
        if let Some(c) = cached {
            let young = now.unix() >= c.fetched.unix()
                && now.unix() - c.fetched.unix() <= self.max_age_secs;
            let valid = c.list.valid_until.is_none_or(|u| now <= u);
            if young && valid {
                return Ok(c.list);
            }
        }
        let fetched = self
            .fetch
            .get(url, &STATUS_LIST_MEDIA_TYPES)
            .map_err(status_error_of)?;
        let token = std::str::from_utf8(&fetched.body)
            .map_err(|_| {
                StatusError::Verification("the status list credential is not text".into())
            })?
            .trim();
        let key_of_issuer = self.issuer_key(issuer, token)?;
        let list = Arc::new(
            verify_status_list_credential(token, &key_of_issuer, issuer, url, now)
                .map_err(StatusError::from)?,
        );
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= self.capacity {
                // Full: drop the oldest list (a rare, linear walk).
                let oldest = c
                    .iter()
                    .min_by_key(|(_, v)| v.fetched)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    c.remove(&k);
                }
            }
            if self.capacity > 0 {
                c.insert(
                    key,
                    Cached {
                        list: list.clone(),
                        fetched: now,
                    },
                );
            }
        }
        Ok(list)
    }

    /// The issuer's assertion key named by the list credential's `kid`.
    fn issuer_key(
        &self,
        issuer: &str,
        token: &str,
    ) -> Result<stele_core::key::PublicKey, StatusError> {
        let verification = |why: String| StatusError::Verification(why);
        let policy = HeaderPolicy {
            algorithms: AlgorithmSet::ALL,
            typ: &[Some(typ::VC_JWT)],
            understood_crit: &[],
            // The fetch policy capped the token; the header is all that is read here.
            limits: JwsLimits {
                max_token_bytes: token.len(),
                json: stele_core::json::JsonLimits {
                    max_bytes: token.len(),
                    ..stele_core::json::JsonLimits::DEFAULT
                },
            },
        };
        let jws = UnverifiedJws::decode(token, &policy)
            .map_err(|e| verification(format!("status list credential: {e}")))?;
        let did = Did::parse(issuer).map_err(|e| StatusError::Retrieval(e.to_string()))?;
        let kid = match jws.header().kid.as_deref() {
            None => None,
            Some(k) if k.starts_with('#') => Some(format!("{}{k}", did.as_str())),
            Some(k) => match DidUrl::parse(k) {
                Ok(u) if u.did == did => Some(k.to_owned()),
                _ => {
                    return Err(verification(
                        "the status list credential's key does not belong to the issuer".into(),
                    ));
                }
            },
        };
        let resolution = self
            .resolver
            .resolve(&did, &ResolutionOptions::default())
            .map_err(|e| match e {
                DidError::Unavailable(_) => StatusError::Unavailable(e.to_string()),
                e => StatusError::Verification(format!("the issuer's DID: {e}")),
            })?;
        let doc = &resolution.document;
        let method = match &kid {
            Some(k) => doc.find_method(k, Relationship::AssertionMethod),
            None => match doc.methods_for(Relationship::AssertionMethod).as_slice() {
                [only] => Some(*only),
                _ => None,
            },
        };
        let method = method.ok_or_else(|| {
            verification("no matching assertion key in the issuer's DID document".into())
        })?;
        method
            .public_key()
            .map_err(|e| verification(format!("the issuer's key: {e}")))
    }
}

impl StatusChecker for HttpStatus {
    fn check(
        &self,
        issuer: &str,
        entry: &Value,
        now: Timestamp,
    ) -> Result<StatusOutcome, StatusError> {
        let entries = entries_from_status_claim(entry).map_err(StatusError::from)?;
        // Revoked outranks suspended; any unreadable list is reported.
        let mut outcome = StatusOutcome::Valid;
        for e in entries {
            let list = self.list(issuer, &e.list_url, now)?;
            match list.check(&e).map_err(StatusError::from)? {
                StatusOutcome::Revoked => return Ok(StatusOutcome::Revoked),
                StatusOutcome::Suspended => outcome = StatusOutcome::Suspended,
                StatusOutcome::Valid => {}
            }
        }
        Ok(outcome)
    }
}

/// Asks `primary` (the chain) first and, when it cannot retrieve the list
/// ([`StatusError::Retrieval`]: not published there, or not a chain issuer),
/// `fallback` (HTTPS). Every other answer of `primary` — valid, revoked,
/// suspended, an outage, a bad list — stands.
pub struct FallbackStatus {
    primary: Arc<dyn StatusChecker>,
    fallback: Arc<dyn StatusChecker>,
}

impl FallbackStatus {
    /// `primary` first, `fallback` for lists `primary` cannot retrieve.
    pub fn new(primary: Arc<dyn StatusChecker>, fallback: Arc<dyn StatusChecker>) -> Self {
        FallbackStatus { primary, fallback }
    }
}

impl StatusChecker for FallbackStatus {
    fn check(
        &self,
        issuer: &str,
        entry: &Value,
        now: Timestamp,
    ) -> Result<StatusOutcome, StatusError> {
        match self.primary.check(issuer, entry, now) {
            Err(StatusError::Retrieval(first)) => match self.fallback.check(issuer, entry, now) {
                Err(StatusError::Retrieval(second)) => Err(StatusError::Retrieval(format!(
                    "{first}; over HTTPS: {second}"
                ))),
                other => other,
            },
            other => other,
        }
    }
}
