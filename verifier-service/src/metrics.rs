//! Prometheus metrics, written in the text exposition format by hand (a few
//! counters and one histogram do not need a metrics crate).
//!
//! Labels carry only route templates, methods, statuses, outcomes and reason
//! codes: never a DID, a nonce, a key or a claim.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// outcome → reason → count.
type VerificationCounts = BTreeMap<String, BTreeMap<String, AtomicU64>>;
/// method → route → status → count.
type RequestCounts = BTreeMap<String, BTreeMap<String, BTreeMap<u16, AtomicU64>>>;

/// The service's metrics. Counting a request or a verification takes a
/// read lock and an atomic add (no allocation); only the first sight of a
/// label set takes the write lock.
#[derive(Debug, Default)]
pub struct Metrics {
    verifications: RwLock<VerificationCounts>,
    requests: RwLock<RequestCounts>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    chain_errors: AtomicU64,
    audit_records: AtomicU64,
    audit_anchors: AtomicU64,
    audit_anchor_errors: AtomicU64,
}

/// Values read elsewhere at scrape time (caches).
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheSnapshot {
    /// DID document cache hits.
    pub did_hits: u64,
    /// DID document cache misses.
    pub did_misses: u64,
    /// DID documents held.
    pub did_entries: usize,
    /// Open challenges.
    pub open_challenges: usize,
    /// Status-list lookups of the counters' chain readers, and lists held.
    pub status: stele_registry::status::StatusCacheStats,
}

impl Metrics {
    /// Counts one verification: `outcome` is `verified`, `rejected` or
    /// `could_not_check`; a rejection counts once per reason code.
    pub fn verification(&self, outcome: &str, reasons: &[&str], took: Duration) {
        if reasons.is_empty() {
            self.count_verification(outcome, "");
        }
        for r in reasons {
            self.count_verification(outcome, r);
        }
        let secs = took.as_secs_f64();
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn count_verification(&self, outcome: &str, reason: &str) {
        {
            let v = self.verifications.read().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = v.get(outcome).and_then(|m| m.get(reason)) {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let mut v = self
            .verifications
            .write()
            .unwrap_or_else(|p| p.into_inner());
        v.entry(outcome.to_owned())
            .or_default()
            .entry(reason.to_owned())
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one HTTP request by route template.
    pub fn request(&self, method: &str, route: &str, status: u16) {
        {
            let r = self.requests.read().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = r
                .get(method)
                .and_then(|m| m.get(route))
                .and_then(|m| m.get(&status))
            {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let mut r = self.requests.write().unwrap_or_else(|p| p.into_inner());
        r.entry(method.to_owned())
            .or_default()
            .entry(route.to_owned())
            .or_default()
            .entry(status)
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a chain error (an outage seen by a verification or a probe).
    pub fn chain_error(&self) {
        self.chain_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts appended audit records.
    pub fn audit_records(&self, n: u64) {
        self.audit_records.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts an anchoring attempt.
    pub fn audit_anchor(&self, ok: bool) {
        if ok {
            self.audit_anchors.fetch_add(1, Ordering::Relaxed);
        } else {
            self.audit_anchor_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The number of verifications counted with `outcome` (any reason).
    pub fn verifications_with(&self, outcome: &str) -> u64 {
        let v = self.verifications.read().unwrap_or_else(|p| p.into_inner());
        v.get(outcome).map_or(0, |m| {
            m.iter()
                .filter(|(r, _)| r.is_empty() || outcome != "rejected")
                .map(|(_, n)| n.load(Ordering::Relaxed))
                .sum()
        })
    }

    /// The text exposition.
    pub fn render(&self, caches: CacheSnapshot) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP stele_verifications_total Verifications by outcome and reason code.\n",
        );
        out.push_str("# TYPE stele_verifications_total counter\n");
        {
            let v = self.verifications.read().unwrap_or_else(|p| p.into_inner());
            for (outcome, reasons) in v.iter() {
                for (reason, n) in reasons {
                    let n = n.load(Ordering::Relaxed);
                    let _ = writeln!(
                        out,
                        "stele_verifications_total{{outcome=\"{outcome}\",reason=\"{reason}\"}} {n}"
                    );
                }
            }
        }
        out.push_str(
            "# HELP stele_verification_duration_seconds Time to verify, audit included.\n",
        );
        out.push_str("# TYPE stele_verification_duration_seconds histogram\n");
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "stele_verification_duration_seconds_bucket{{le=\"{le}\"}} {}",
                self.latency_buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "stele_verification_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "stele_verification_duration_seconds_sum {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "stele_verification_duration_seconds_count {count}");

        out.push_str("# HELP stele_http_requests_total HTTP requests by method, route template and status.\n");
        out.push_str("# TYPE stele_http_requests_total counter\n");
        {
            let r = self.requests.read().unwrap_or_else(|p| p.into_inner());
            for (method, routes) in r.iter() {
                for (route, statuses) in routes {
                    for (status, n) in statuses {
                        let n = n.load(Ordering::Relaxed);
                        let _ = writeln!(
                            out,
                            "stele_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                        );
                    }
                }
            }
        }
        let counters = [
            (
                "stele_chain_errors_total",
                "Chain outages seen.",
                self.chain_errors.load(Ordering::Relaxed),
            ),
            (
                "stele_audit_records_total",
                "Audit records appended by this process.",
                self.audit_records.load(Ordering::Relaxed),
            ),
            (
                "stele_audit_anchors_total",
                "Audit log heads anchored on the chain.",
                self.audit_anchors.load(Ordering::Relaxed),
            ),
            (
                "stele_audit_anchor_errors_total",
                "Failed anchoring attempts.",
                self.audit_anchor_errors.load(Ordering::Relaxed),
            ),
            (
                "stele_did_cache_hits_total",
                "DID documents answered from the cache.",
                caches.did_hits,
            ),
            (
                "stele_did_cache_misses_total",
                "DID documents resolved from the chain.",
                caches.did_misses,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let name = "stele_status_list_lookups_total";
        let _ = writeln!(
            out,
            "# HELP {name} Status-list lookups: fresh (cache, within the counter's maximum age), revalidated (unchanged on the chain), fetched (a new publication read).\n# TYPE {name} counter"
        );
        for (result, value) in [
            ("fresh", caches.status.fresh),
            ("revalidated", caches.status.revalidated),
            ("fetched", caches.status.fetched),
        ] {
            let _ = writeln!(out, "{name}{{result=\"{result}\"}} {value}");
        }
        let lookups = caches.did_hits + caches.did_misses;
        let ratio = if lookups == 0 {
            0.0
        } else {
            caches.did_hits as f64 / lookups as f64
        };
        let gauges = [
            (
                "stele_did_cache_hit_ratio",
                "DID cache hits / lookups since start.",
                ratio,
            ),
            (
                "stele_did_cache_entries",
                "DID documents held.",
                caches.did_entries as f64,
            ),
            (
                "stele_open_challenges",
                "Challenges issued and not yet expired.",
                caches.open_challenges as f64,
            ),
            (
                "stele_status_lists_cached",
                "Status lists held by the counters' chain readers.",
                caches.status.lists as f64,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition() {
        let m = Metrics::default();
        m.verification("verified", &[], Duration::from_micros(1500));
        m.verification(
            "rejected",
            &["replay", "expired"],
            Duration::from_millis(30),
        );
        m.request("POST", "/v1/verify", 200);
        m.chain_error();
        let text = m.render(CacheSnapshot {
            did_hits: 3,
            did_misses: 1,
            status: stele_registry::status::StatusCacheStats {
                fresh: 5,
                revalidated: 2,
                fetched: 1,
                lists: 1,
            },
            ..CacheSnapshot::default()
        });
        assert!(text.contains("stele_status_list_lookups_total{result=\"fresh\"} 5"));
        assert!(text.contains("stele_status_list_lookups_total{result=\"revalidated\"} 2"));
        assert!(text.contains("stele_status_list_lookups_total{result=\"fetched\"} 1"));
        assert!(text.contains("stele_status_lists_cached 1"));
        assert!(text.contains("stele_verifications_total{outcome=\"verified\",reason=\"\"} 1"));
        assert!(
            text.contains("stele_verifications_total{outcome=\"rejected\",reason=\"replay\"} 1")
        );
        assert!(text.contains("stele_verification_duration_seconds_bucket{le=\"0.002\"} 1"));
        assert!(text.contains("stele_verification_duration_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(text.contains("stele_verification_duration_seconds_count 2"));
        assert!(text.contains(
            "stele_http_requests_total{method=\"POST\",route=\"/v1/verify\",status=\"200\"} 1"
        ));
        assert!(text.contains("stele_chain_errors_total 1"));
        assert!(text.contains("stele_did_cache_hit_ratio 0.75"));
        assert_eq!(m.verifications_with("verified"), 1);
    }
}
