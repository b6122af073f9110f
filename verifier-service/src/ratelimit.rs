//! A token bucket per API key: `burst` requests at once, refilled at
//! `per_second`. The number of buckets is bounded by the configured keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets keyed by counter (or issuer) id.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` ≤ 0 disables the limit.
    pub fn new(per_second: f64, burst: u32) -> Self {
        RateLimiter {
            per_second,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`: `Ok` or `Err(seconds until one is available)`.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if !buckets.contains_key(key) {
            buckets.insert(key.to_owned(), (self.burst, now));
        }
        let Some((tokens, last)) = buckets.get_mut(key) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn bucket() {
        let r = RateLimiter::new(2.0, 3);
        let t = Instant::now();
        for _ in 0..3 {
            r.check("a", t).unwrap();
        }
        assert_eq!(r.check("a", t), Err(1));
        r.check("b", t).unwrap();
        r.check("a", t + Duration::from_millis(500)).unwrap();
        assert!(r.check("a", t + Duration::from_millis(500)).is_err());
        assert!(RateLimiter::new(0.0, 1).check("a", t).is_ok());
    }
}
