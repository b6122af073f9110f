//! Single-use nonces: a presentation's nonce is consumed when it verifies,
//! so the same presentation shown twice is a replay.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::time::Timestamp;

/// What the store knew about a nonce when it was consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceState {
    /// Issued, unexpired and not used before: now consumed.
    Fresh,
    /// Already consumed: a replay.
    AlreadyUsed,
    /// Never issued here, or expired.
    Unknown,
}

/// Why the nonce store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// The backing store failed: could not check.
    #[error("nonce store unavailable: {0}")]
    Unavailable(String),
}

/// Issues and consumes single-use nonces.
pub trait NonceStore: Send + Sync {
    /// Consumes `nonce` at `now`, saying whether it was fresh.
    fn consume(&self, nonce: &str, now: Timestamp) -> Result<NonceState, NonceError>;
}

/// An in-memory nonce store (one process, e.g. one verifier service).
#[derive(Debug, Default)]
pub struct MemoryNonceStore {
    /// nonce → (expiry, used).
    entries: Mutex<HashMap<String, (Timestamp, bool)>>,
}

impl MemoryNonceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `nonce` as issued, valid until `expires`. Expired entries are dropped.
    pub fn issue(&self, nonce: &str, expires: Timestamp, now: Timestamp) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (exp, _)| *exp >= now);
        map.insert(nonce.to_owned(), (expires, false));
    }
}

impl NonceStore for MemoryNonceStore {
    fn consume(&self, nonce: &str, now: Timestamp) -> Result<NonceState, NonceError> {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Ok(match map.get_mut(nonce) {
            Some((exp, _)) if *exp < now => NonceState::Unknown,
            Some((_, used)) if *used => NonceState::AlreadyUsed,
            Some((_, used)) => {
                *used = true;
                NonceState::Fresh
            }
            None => NonceState::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_single_use_and_expire() {
        let s = MemoryNonceStore::new();
        let t = Timestamp::from_unix(100);
        s.issue("a", t.plus(60), t);
        assert_eq!(s.consume("a", t).unwrap(), NonceState::Fresh);
        assert_eq!(s.consume("a", t).unwrap(), NonceState::AlreadyUsed);
        assert_eq!(s.consume("b", t).unwrap(), NonceState::Unknown);
        s.issue("c", t.plus(60), t);
        assert_eq!(s.consume("c", t.plus(61)).unwrap(), NonceState::Unknown);
    }
}
