//! Composite resolvers: dispatch by DID method, and an in-memory cache.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Did, DidError, DidKeyResolver, DidResolver, Resolution, ResolutionOptions};
use crate::time::{Clock, Timestamp};

/// Dispatches on the DID method to the resolver registered for it. Unknown
/// methods are [`DidError::MethodNotSupported`].
pub struct MethodResolver {
    methods: HashMap<String, Box<dyn DidResolver>>,
}

impl MethodResolver {
    /// A resolver that knows no method.
    pub fn new() -> Self {
        MethodResolver {
            methods: HashMap::new(),
        }
    }

    /// Registers `resolver` for `method` (`key`, `web`, `ethr`), replacing any
    /// earlier one.
    #[must_use]
    pub fn with(mut self, method: &str, resolver: impl DidResolver + 'static) -> Self {
        self.methods.insert(method.to_owned(), Box::new(resolver));
        self
    }

    /// The methods this resolver dispatches, sorted.
    pub fn methods(&self) -> Vec<&str> {
        let mut m: Vec<&str> = self.methods.keys().map(String::as_str).collect();
        m.sort_unstable();
        m
    }
}

impl Default for MethodResolver {
    /// did:key only.
    fn default() -> Self {
        MethodResolver::new().with("key", DidKeyResolver::default())
    }
}

impl std::fmt::Debug for MethodResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodResolver")
            .field("methods", &self.methods())
            .finish()
    }
}

impl DidResolver for MethodResolver {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        match self.methods.get(did.method()) {
            Some(r) => r.resolve(did, options),
            None => Err(DidError::MethodNotSupported(format!(
                "did:{}",
                did.method()
            ))),
        }
    }
}

/// Counters of a [`CachingResolver`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups passed to the inner resolver (absent or expired entries).
    pub misses: u64,
    /// Entries dropped to stay within the capacity.
    pub evictions: u64,
    /// Entries currently held (expired ones included until looked up or evicted).
    pub entries: usize,
}

type CacheKey = (Did, ResolutionOptions);

struct Entry {
    resolution: Resolution,
    stored_at: Timestamp,
    seq: u64,
}

#[derive(Default)]
struct CacheState {
    entries: HashMap<CacheKey, Entry>,
    /// Insertion order: sequence number → key, oldest first.
    order: BTreeMap<u64, CacheKey>,
    next_seq: u64,
    stats: CacheStats,
}

impl CacheState {
    fn remove(&mut self, key: &CacheKey) {
        if let Some(e) = self.entries.remove(key) {
            self.order.remove(&e.seq);
        }
    }
}

/// An in-memory cache in front of a resolver.
///
/// Successful resolutions are kept for `ttl_secs` seconds by (DID, options),
/// at most `capacity` entries; when full, the oldest entry is evicted. Time
/// comes from the injected [`Clock`]; an entry whose stored time is in the
/// clock's future (the clock went back) counts as expired.
///
/// Errors are never cached. Syntax errors and unknown methods are cheap to
/// recompute; `NotFound` may turn into a document moments later (a DID just
/// registered) and outages must be retried, so none of them gains from a
/// cache, and a cached outage would hide recovery.
///
/// Thread-safe; the lock is not held while the inner resolver runs, so two
/// threads missing on the same DID at once may both resolve it.
pub struct CachingResolver<R> {
    inner: R,
    clock: Arc<dyn Clock>,
    ttl_secs: i64,
    capacity: usize,
    state: Mutex<CacheState>,
}

impl<R: DidResolver> CachingResolver<R> {
    /// Caches `inner`'s successes for `ttl_secs` (≤ 0 disables caching), at
    /// most `capacity` entries (0 disables caching).
    pub fn new(inner: R, clock: Arc<dyn Clock>, ttl_secs: i64, capacity: usize) -> Self {
        CachingResolver {
            inner,
            clock,
            ttl_secs,
            capacity,
            state: Mutex::new(CacheState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, CacheState> {
        // The state stays consistent even if a thread panicked holding the
        // lock (every update is a few infallible map operations).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hit, miss and eviction counts, and the number of entries held.
    pub fn stats(&self) -> CacheStats {
        let state = self.lock();
        CacheStats {
            entries: state.entries.len(),
            ..state.stats
        }
    }

    /// Drops every cached resolution of `did`, whatever the options.
    pub fn invalidate(&self, did: &Did) {
        let mut state = self.lock();
        let keys: Vec<CacheKey> = state
            .entries
            .keys()
            .filter(|(d, _)| d == did)
            .cloned()
            .collect();
        for k in keys {
            state.remove(&k);
        }
    }

    /// Drops every cached resolution.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.entries.clear();
        state.order.clear();
    }

    /// The inner resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    fn fresh(&self, stored_at: Timestamp, now: Timestamp) -> bool {
        now >= stored_at && now < stored_at.plus(self.ttl_secs)
    }
}

impl<R: DidResolver> DidResolver for CachingResolver<R> {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        if self.ttl_secs <= 0 || self.capacity == 0 {
            let mut state = self.lock();
            state.stats.misses += 1;
            drop(state);
            return self.inner.resolve(did, options);
        }
        let key: CacheKey = (did.clone(), options.clone());
        {
            let now = self.clock.now();
            let mut state = self.lock();
            match state.entries.get(&key) {
                Some(e) if self.fresh(e.stored_at, now) => {
                    let hit = e.resolution.clone();
                    state.stats.hits += 1;
                    return Ok(hit);
                }
                Some(_) => state.remove(&key),
                None => {}
            }
            state.stats.misses += 1;
        }

        let resolution = self.inner.resolve(did, options)?;

        let now = self.clock.now();
        let mut state = self.lock();
        state.remove(&key);
        while state.entries.len() >= self.capacity {
            let Some((_, oldest)) = state.order.pop_first() else {
                break;
            };
            state.entries.remove(&oldest);
            state.stats.evictions += 1;
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        state.order.insert(seq, key.clone());
        state.entries.insert(
            key,
            Entry {
                resolution: resolution.clone(),
                stored_at: now,
                seq,
            },
        );
        Ok(resolution)
    }
}

impl<R> std::fmt::Debug for CachingResolver<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingResolver")
            .field("ttl_secs", &self.ttl_secs)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}
