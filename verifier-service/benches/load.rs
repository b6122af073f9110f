//! Load benchmark of `POST /v1/verify` (run by hand, not in CI):
//!
//! ```sh
//! cargo bench -p stele-verifier --bench load            # ~70 s, 8 s per level
//! STELE_BENCH_QUICK=1 cargo bench -p stele-verifier --bench load   # 2 s per level
//! STELE_BENCH_ONLY=ed25519 cargo bench -p stele-verifier --bench load  # one payload (profiling)
//! ```
//!
//! The service runs in this process on 127.0.0.1 with an embedded chain and
//! an agency accredited on it. The load generator (a minimal HTTP/1.1
//! client: one keep-alive connection per request in flight, each request's
//! bytes built once, buffers reused; in the same process, so it shares the
//! cores with the service) keeps 1, 16 and 64 requests in flight for a
//! bounded time each and reports requests/s, p50/p99 latency, errors, the
//! process CPU time per request (robust on a shared machine, where req/s is
//! not), and the ratio to the same-run floor of the payload's two
//! signatures (core/benches/support): Ed25519 + P-256, or Ed25519 + Ed25519.
//!
//! Payloads, all chain-anchored SD-JWT VC presentations with key binding:
//! - `p256`: one presentation bound to a P-256 holder key (phones' secure
//!   hardware), verified again and again without a challenge (issuer
//!   signature, disclosures, KB-JWT signature, status, trust — the nonce is
//!   not consumed, so it can be repeated);
//! - `ed25519`: the same with an Ed25519 holder key;
//! - `challenge`: a fresh challenge per request, issued beforehand, each
//!   presentation bound to its own nonce and consumed (single use) — the
//!   real counter flow; bounded by the number of challenges prepared.
//!
//! And two Data Integrity credentials of a did:key issuer (listed in
//! `trusted_issuers`), quick-checked: `di-jcs` (eddsa-jcs-2022) and
//! `di-rdfc` (eddsa-rdfc-2022, JSON-LD with the bundled contexts); their
//! floor is one Ed25519 `verify_strict`.
//!
//! Every answer is also an audit record committed (fsync'd) to redb before
//! it is sent.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;
#[path = "../../core/benches/support/mod.rs"]
mod timing;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use stele_verifier::{StartOptions, start_with};
use support::*;

struct Row {
    mode: &'static str,
    concurrency: usize,
    requests: usize,
    errors: usize,
    secs: f64,
    /// Process CPU time (service + load generator) during the level.
    cpu: Duration,
    p50: Duration,
    p99: Duration,
}

/// One keep-alive HTTP/1.1 connection: a minimal client, so that the load
/// generator takes as little of the shared CPU as possible (like wrk: one
/// connection per concurrent request).
struct Conn {
    reader: tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        let (r, w) = s.into_split();
        Conn {
            reader: tokio::io::BufReader::new(r),
            writer: w,
        }
    }

    /// Sends one prebuilt request (see [`request`]); returns the status and
    /// the body, read into `buf` (reused: no allocation per request).
    async fn post(&mut self, req: &[u8], buf: &mut Vec<u8>) -> std::io::Result<u16> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        self.writer.write_all(req).await?;
        buf.clear();
        self.reader.read_until(b'\n', buf).await?;
        let status: u16 = std::str::from_utf8(buf)
            .ok()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status line"))?;
        let mut len = 0usize;
        loop {
            buf.clear();
            self.reader.read_until(b'\n', buf).await?;
            let l = buf.trim_ascii_end();
            if l.is_empty() {
                break;
            }
            if l.len() > 15 && l[..15].eq_ignore_ascii_case(b"content-length:") {
                len = std::str::from_utf8(&l[15..])
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
            }
        }
        buf.clear();
        buf.resize(len, 0);
        self.reader.read_exact(buf).await?;
        Ok(status)
    }
}

/// The bytes of one `POST /v1/verify` request, built once per payload.
fn request(key: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /v1/verify HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// CPU time (user + system) of this whole process so far: the service and
/// the load generator, every thread. From /proc (USER_HZ ticks, 10 ms).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the
    // 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

async fn drive(
    addr: Arc<String>,
    requests: Arc<Vec<Vec<u8>>>,
    concurrency: usize,
    duration: Duration,
    mode: &'static str,
) -> Row {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Connect first, then start the clock.
    let mut conns = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        conns.push(Conn::open(&addr).await);
    }
    let cpu0 = process_cpu();
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let (addr, requests, next) = (addr.clone(), requests.clone(), next.clone());
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(64 * 1024);
                let mut buf = Vec::with_capacity(4096);
                let mut errors = 0usize;
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let req = if requests.len() == 1 {
                        &requests[0]
                    } else if let Some(b) = requests.get(i) {
                        b
                    } else {
                        break;
                    };
                    let t = Instant::now();
                    let ok = match conn.post(req, &mut buf).await {
                        Ok(200) => buf.starts_with(b"{\"verified\":true"),
                        Ok(_) => false,
                        Err(_) => {
                            conn = Conn::open(&addr).await;
                            false
                        }
                    };
                    lat.push(t.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = process_cpu().saturating_sub(cpu0);
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Row {
        mode,
        concurrency,
        requests: all.len(),
        errors,
        secs,
        cpu,
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // `cargo test --all-targets` runs this without `--bench`: a smoke run
    // (a few requests per level, debug build) that keeps the harness working.
    let smoke = !args.iter().any(|a| a == "--bench");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let quick = timing::quick();
    let per_level = Duration::from_millis(if smoke {
        200
    } else if quick {
        2000
    } else {
        8000
    });
    let round = Duration::from_millis(if smoke { 20 } else { 400 });

    // The same-run floor: one Ed25519 verify_strict, one core.
    let floor = {
        use ed25519_dalek::{Signer, SigningKey};
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let msg = [42u8; 200];
        let sig = sk.sign(&msg);
        let vk = sk.verifying_key();
        timing::ops_per_sec(|| vk.verify_strict(&msg, &sig).is_ok(), round, 3, 64)
    };

    // The floor of an SD-JWT+KB with a P-256 holder: one Ed25519 and one
    // P-256 verify (phones' secure hardware only does P-256).
    let p256_floor = {
        use ed25519_dalek::{Signer, SigningKey};
        use p256::ecdsa::signature::Verifier as _;
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let msg = [42u8; 300];
        let sig = sk.sign(&msg);
        let vk = sk.verifying_key();
        let psk = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let psig: p256::ecdsa::Signature = psk.sign(&msg[..200]);
        let pvk = *psk.verifying_key();
        timing::ops_per_sec(
            || vk.verify_strict(&msg, &sig).is_ok() && pvk.verify(&msg[..200], &psig).is_ok(),
            round,
            3,
            16,
        )
    };
    // The floor of an SD-JWT+KB with an Ed25519 holder: two verify_strict.
    let ed_floor = {
        use ed25519_dalek::{Signer, SigningKey};
        let (sk, hk) = (
            SigningKey::from_bytes(&[7u8; 32]),
            SigningKey::from_bytes(&[8u8; 32]),
        );
        let msg = [42u8; 300];
        let (sig, hsig) = (sk.sign(&msg), hk.sign(&msg[..200]));
        let (vk, hvk) = (sk.verifying_key(), hk.verifying_key());
        timing::ops_per_sec(
            || {
                vk.verify_strict(&msg, &sig).is_ok()
                    && hvk.verify_strict(&msg[..200], &hsig).is_ok()
            },
            round,
            3,
            32,
        )
    };
    // `STELE_BENCH_ONLY=p256|ed25519|challenge|di-jcs|di-rdfc` runs one payload (profiling).
    let only = std::env::var("STELE_BENCH_ONLY").unwrap_or_default();
    let wanted = |mode: &str| only.is_empty() || only == mode;

    let mut world = World::embedded("load");
    let (permit, _) = world.issue_permit(now().plus(86_400));
    // The same permit bound to an Ed25519 holder key, for comparison.
    let p256_holder = std::mem::replace(
        &mut world.citizen,
        stele_core::key::SecretKey::generate(
            stele_core::key::KeyType::Ed25519,
            &mut rand_core::OsRng,
        ),
    );
    let (permit_ed, _) = world.issue_permit(now().plus(86_400));
    let ed_holder = std::mem::replace(&mut world.citizen, p256_holder);
    // Steady state: the permit was issued in the chain's past, so its
    // accreditation at issuance is a settled answer the service keeps.
    std::thread::sleep(Duration::from_millis(1100));
    let (_, spare) = world.issue_permit(now().plus(86_400));
    world.set_status(stele_core::status::StatusPurpose::Suspension, spare);
    let data = world.dir.join("service");
    let di_issuer = stele_core::key::SecretKey::generate(
        stele_core::key::KeyType::Ed25519,
        &mut rand_core::OsRng,
    );
    let di_issuer_did = stele_core::did::key::did_key_from_public(&di_issuer.public_key());
    let di = |format| did_key_permit_as(&di_issuer, Some(world.citizen_did()), format);
    let di_jcs = di(stele_core::credential::issuer::CredentialFormat::DataIntegrityJcs);
    let di_rdfc = di(stele_core::credential::issuer::CredentialFormat::DataIntegrityRdfc);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(async {
        let running = start_with(
            config(
                &data,
                &format!(
                    "[rate_limit]\nper_second = 0\n[audit]\nanchor_every_secs = 0\nanchor_every_records = 0\n[[trusted_issuers]]\ndid = \"{}\"",
                    di_issuer_did.as_str()
                ),
            ),
            StartOptions {
                chain: Some((world.chain.clone(), world.deployment.clone())),
                clock: None,
            },
        )
        .await
        .unwrap();
        let base = format!("http://{}", running.addr());
        let url = Arc::new(running.addr().to_string());
        // The `cached` counter: quick checks, status lists reused for 5 min.
        let quick_body = json!({"payload": present_qr(&world.citizen, &permit, "https://verifier.test/cached", "load-test-nonce-0001")}).to_string();
        let quick_ed = json!({"payload": present_qr(&ed_holder, &permit_ed, "https://verifier.test/cached", "load-test-nonce-0001")}).to_string();
        let di_jcs_body = json!({"payload": di_jcs}).to_string();
        let di_rdfc_body = json!({"payload": di_rdfc}).to_string();
        let mut rows = Vec::new();
        for (mode, body) in [
            ("p256", &quick_body),
            ("ed25519", &quick_ed),
            ("di-jcs", &di_jcs_body),
            ("di-rdfc", &di_rdfc_body),
        ] {
            if !wanted(mode) {
                continue;
            }
            // A figure of rejections would mean nothing: each payload verifies.
            let verdict: serde_json::Value = reqwest::Client::new()
                .post(format!("{base}/v1/verify"))
                .header("authorization", format!("Bearer {CACHED_KEY}"))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap()
                .json_value()
                .await;
            assert_eq!(verdict["verified"], true, "{mode}: {verdict}");
            let one = Arc::new(vec![request(CACHED_KEY, body)]);
            for c in [1usize, 16, 64] {
                rows.push(drive(url.clone(), one.clone(), c, per_level, mode).await);
            }
        }
        if !wanted("challenge") {
            running.shutdown().await.unwrap();
            return rows;
        }
        // Challenge-bound: prepare fresh challenges + presentations.
        let prepared = if smoke {
            20
        } else if quick {
            2_000
        } else {
            12_000
        };
        let client = reqwest::Client::new();
        let mut bodies = Vec::with_capacity(prepared);
        for _ in 0..prepared {
            let c: serde_json::Value = client
                .post(format!("{base}/v1/challenges"))
                .header("authorization", format!("Bearer {COUNTER_KEY}"))
                .send()
                .await
                .unwrap()
                .json_value()
                .await;
            let n = c["nonce"].as_str().unwrap().to_owned();
            let qr = present_qr(&world.citizen, &permit, c["verifier"].as_str().unwrap(), &n);
            let body = json!({"payload": qr, "challenge": n}).to_string();
            bodies.push(request(COUNTER_KEY, &body));
        }
        let bodies = Arc::new(bodies);
        rows.push(drive(url.clone(), bodies, 16, per_level, "challenge").await);
        running.shutdown().await.unwrap();
        rows
    });
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!();
    println!(
        "stele-verifier load: POST /v1/verify, chain-anchored SD-JWT VC (did:ethr agency on the embedded chain) + KB-JWT, audit record committed (fsync, group commit) per request"
    );
    println!(
        "load generator in the same process, {cores} cores shared with it (and with whatever else runs on the machine); {:.1} s per level",
        per_level.as_secs_f64()
    );
    println!(
        "floors (same run, one core): Ed25519 verify_strict {floor:.0}/s; two signatures of an SD-JWT+KB: Ed25519 + P-256 {p256_floor:.0}/s, Ed25519 + Ed25519 {ed_floor:.0}/s"
    );
    println!(
        "{:<10} {:>5} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>9} {:>8}",
        "payload",
        "conc",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "cpu us/rq",
        "sig us/rq",
        "% floor"
    );
    for r in &rows {
        let rate = r.requests as f64 / r.secs;
        // The two signatures' floor for this payload, on every core.
        let sig_floor = match r.mode {
            "ed25519" => ed_floor,
            "di-jcs" | "di-rdfc" => floor,
            _ => p256_floor,
        };
        println!(
            "{:<10} {:>5} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>7} {:>9.0} {:>9.0} {:>7.1}%",
            r.mode,
            r.concurrency,
            r.requests,
            rate,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.errors,
            r.cpu.as_secs_f64() * 1e6 / r.requests.max(1) as f64,
            1e6 / sig_floor,
            100.0 * rate / (sig_floor * cores as f64),
        );
    }
    println!(
        "p256 = one presentation with KB (P-256 holder, what phones sign with), no challenge (nonce not consumed); ed25519 = the same with an Ed25519 holder;"
    );
    println!(
        "challenge = a fresh challenge per request (issued beforehand), single use, P-256 holder, status list synced each second;"
    );
    println!(
        "di-jcs / di-rdfc = a did:key issuer's Data Integrity credential (eddsa-jcs-2022 / eddsa-rdfc-2022), quick check, one signature;"
    );
    println!(
        "cpu us/rq = process CPU (service + load generator) per request; sig us/rq = the signatures alone; % floor = req/s / (the payload's signature floor x {cores} cores)"
    );
    drop(world);
}

trait JsonValue {
    async fn json_value(self) -> serde_json::Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}
