//! The same-run timing harness every Stele benchmark uses for its summary
//! table (core/benches/*.rs and registry/benches/chain.rs include this file).

#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// `STELE_BENCH_QUICK=1` shortens every benchmark.
pub fn quick() -> bool {
    std::env::var_os("STELE_BENCH_QUICK").is_some_and(|v| v != "0" && !v.is_empty())
}

/// Whether the summary table is wanted: not under `cargo test` (which passes
/// no `--bench`: criterion then runs each bench once, in the debug profile),
/// nor in criterion's `--test`, `--list` and `--profile-time` modes.
pub fn summary_wanted() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"))
}

/// Best-of-`rounds` ops/s of `op`, after a warm-up. Best-of, because the
/// machine is shared: interference only ever makes an op slower. The clock
/// is read every `batch` ops to keep its cost out of fast ops.
pub fn ops_per_sec<R>(mut op: impl FnMut() -> R, round: Duration, rounds: u32, batch: u64) -> f64 {
    let warm = Instant::now();
    while warm.elapsed() < round / 3 {
        black_box(op());
    }
    let mut best = 0.0f64;
    for _ in 0..rounds {
        let start = Instant::now();
        let mut n = 0u64;
        loop {
            for _ in 0..batch {
                black_box(op());
            }
            n += batch;
            let el = start.elapsed();
            if el >= round {
                best = best.max(n as f64 / el.as_secs_f64());
                break;
            }
        }
    }
    best
}

/// ops/s of `op` and of its `floor`, in alternating rounds so that both see
/// the same machine load; best of each.
pub fn paired(
    op: &dyn Fn() -> bool,
    floor: &dyn Fn() -> bool,
    round: Duration,
    rounds: u32,
    batch: u64,
) -> (f64, f64) {
    let (mut best_op, mut best_floor) = (0.0f64, 0.0f64);
    for _ in 0..rounds {
        best_floor = best_floor.max(ops_per_sec(floor, round, 1, batch));
        best_op = best_op.max(ops_per_sec(op, round, 1, batch));
    }
    (best_op, best_floor)
}

/// The sample residence permit's 12 claims every benchmark issues.
pub fn permit_claims() -> serde_json::Map<String, serde_json::Value> {
    match serde_json::json!({
        "given_name": "Amira", "family_name": "Haddad", "birth_date": "1990-04-12",
        "nationality": "SYR", "document_number": "RP-2026-000123",
        "permit_type": "temporary", "valid_from": "2026-09-21", "valid_until": "2027-09-20",
        "issuing_authority": "Landesamt für Einwanderung Berlin", "issuing_country": "DEU",
        "address": {"street_address": "Hauptstr. 1", "locality": "Berlin", "postal_code": "10115", "country": "DEU"},
        "access_to_labour_market": true
    }) {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
