//! The clerk's page in a real browser (issue 5, item 4).
//!
//! Starts the service in-process on 127.0.0.1 with a did:key issuer it
//! trusts and a counter whose key we know, then runs `tests/browser/run.mjs`
//! (playwright-core driving Debian's headless Chromium). The page shows a
//! challenge; this side makes a presentation for it with core's SD-JWT
//! holder code, packs it as a QR payload, draws its QR matrix into a Y4M
//! video and hands that to Chromium's fake camera; the page must show GREEN
//! with the disclosed claims. Then a tampered presentation typed into the
//! scanner field must show RED with reasons in words, and a replay must
//! show RED in German. Screenshots go to `target/browser-screenshots/`.
//!
//! Without `/usr/bin/chromium` (or `$STELE_CHROMIUM`) or
//! `verifier-service/web/node_modules`, the test skips loudly, except under
//! `CI`, where missing tools fail it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::key::did_key_from_public;
use stele_core::key::{KeyType, SecretKey};
use stele_core::qr::{self, PayloadKind, QrMatrix};
use stele_core::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use stele_core::time::{Clock, SystemClock};

const CHROMIUM: &str = "/usr/bin/chromium";
/// Light modules around the QR code (core draws 4 in its SVG, as ISO/IEC 18004 asks).
const QUIET_ZONE: usize = 4;
const CLAIMS: &str = include_str!("../../schemas/examples/ResidencePermitCredential.json");
/// What the citizen discloses: what the counter asks for, not the birth date.
const DISCLOSE: &[&str] = &[
    "given_name",
    "family_name",
    "permit_type",
    "valid_until",
    "access_to_labour_market",
];
/// The whole browser run may take this long before it is stopped.
const DEADLINE: Duration = Duration::from_secs(150);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Chromium and playwright-core, or why the test cannot run.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium =
        std::env::var_os("STELE_CHROMIUM").map_or_else(|| PathBuf::from(CHROMIUM), PathBuf::from);
    let playwright = manifest_dir().join("web/node_modules/playwright-core");
    let mut missing = Vec::new();
    if !chromium.is_file() {
        missing.push(format!(
            "{} (Debian package `chromium`)",
            chromium.display()
        ));
    }
    if !playwright.join("index.mjs").is_file() {
        missing.push(format!(
            "{} (`npm ci --prefix verifier-service/web`)",
            playwright.display()
        ));
    }
    if missing.is_empty() {
        Ok((chromium, playwright))
    } else {
        Err(missing.join(" and "))
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn fresh_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "stele-browser-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../target"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `matrix` as a Y4M video (4:2:0, 8-bit, gray): the QR code with its
/// quiet zone, black on white, scaled to fill most of a 960×720 frame.
fn write_y4m(path: &Path, matrix: &QrMatrix) -> std::io::Result<()> {
    const W: usize = 960;
    const H: usize = 720;
    const FRAMES: usize = 3;
    let modules = matrix.size + 2 * QUIET_ZONE;
    let scale = (H - 40) / modules;
    assert!(
        scale >= 3,
        "QR version {} too large for the frame",
        matrix.version()
    );
    let side = modules * scale;
    let (left, top) = ((W - side) / 2, (H - side) / 2);
    let mut luma = vec![235u8; W * H];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (x / scale, y / scale);
            let dark = mx >= QUIET_ZONE
                && my >= QUIET_ZONE
                && matrix.is_dark(mx - QUIET_ZONE, my - QUIET_ZONE);
            if dark {
                luma[(top + y) * W + left + x] = 16;
            }
        }
    }
    let chroma = vec![128u8; (W / 2) * (H / 2)];
    let mut out = Vec::with_capacity(64 + FRAMES * (luma.len() + 2 * chroma.len() + 6));
    writeln!(out, "YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg")?;
    for _ in 0..FRAMES {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&luma);
        out.extend_from_slice(&chroma);
        out.extend_from_slice(&chroma);
    }
    // Written whole, then renamed: Chromium never reads a half-written file.
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, out)?;
    std::fs::rename(tmp, path)
}

/// The citizen's wallet, reduced to what the test needs: a holder key and
/// a residence permit from a did:key issuer, bound to that key.
struct Citizen {
    holder: SecretKey,
    credential: HeldSdJwt,
}

impl Citizen {
    fn new(issuer: &SecretKey) -> Citizen {
        let holder = SecretKey::generate(KeyType::P256, &mut rand_core::OsRng);
        let claims: Map<String, Value> =
            serde_json::from_str(CLAIMS).expect("example claims are an object");
        let issued = Issuer::with_did_key(issuer)
            .issue(
                &IssueRequest {
                    credential_type: "ResidencePermitCredential",
                    claims,
                    holder: Some(did_key_from_public(&holder.public_key())),
                    valid_from: None,
                    valid_until: Some(SystemClock.now().plus(365 * 86_400)),
                    format: CredentialFormat::SdJwt,
                    status: None,
                },
                SystemClock.now(),
                &mut rand_core::OsRng,
            )
            .expect("issue the residence permit");
        Citizen {
            holder,
            credential: HeldSdJwt::parse(&issued).expect("parse the issued SD-JWT"),
        }
    }

    /// The SD-JWT presentation for a counter's challenge.
    fn present(&self, verifier: &str, nonce: &str) -> String {
        self.credential
            .present(
                DISCLOSE,
                Some((
                    &self.holder,
                    KeyBindingInput {
                        audience: verifier,
                        nonce,
                        issued_at: SystemClock.now(),
                    },
                )),
            )
            .expect("present")
    }
}

fn qr_payload(presentation: &str) -> String {
    qr::encode(
        PayloadKind::Presentation,
        &qr::pack_presentation(presentation),
    )
}

/// The presentation with one character of the issuer's signature changed.
fn tampered(presentation: &str) -> String {
    let jws_end = presentation.find('~').expect("an SD-JWT has a ~");
    let sig_start = presentation[..jws_end].rfind('.').expect("a JWS has dots") + 1;
    let at = sig_start + (jws_end - sig_start) / 2;
    let mut bytes = presentation.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("still ASCII")
}

/// Prints past the test harness's capture, so `cargo test` always shows it.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Kills the browser run (node, whose Chromium exits with its pipe) when
/// the test ends early.
struct KillOnDrop(Arc<Mutex<Child>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(mut c) = self.0.lock() {
            if matches!(c.try_wait(), Ok(None)) {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// Stops the browser run if it outlives [`DEADLINE`].
struct Watchdog {
    done: Arc<AtomicBool>,
}

impl Watchdog {
    fn start(child: Arc<Mutex<Child>>) -> Watchdog {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            while !flag.load(Ordering::SeqCst) {
                if started.elapsed() > DEADLINE {
                    eprintln!("browser test: deadline passed, stopping the browser run");
                    if let Ok(mut c) = child.lock() {
                        let _ = c.kill();
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Watchdog { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

#[test]
fn clerk_page_in_chromium() {
    let (chromium, playwright) = match tools() {
        Ok(t) => t,
        Err(missing) if !in_ci() => {
            report(&format!(
                "\n\n!!!!!!!! SKIPPED: the clerk page's browser test needs {missing}.\n\
                 !!!!!!!! Under CI=true this is a failure. See scripts/test for the install lines.\n\n"
            ));
            return;
        }
        Err(missing) => panic!("the browser test needs {missing} (CI is set, so no skipping)"),
    };
    let started = Instant::now();
    let work = fresh_dir("run");

    // The service: a counter with a known key, a trusted did:key issuer.
    let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let issuer_did = did_key_from_public(&issuer.public_key()).to_string();
    let key = hex(&SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng).to_secret_bytes());
    let config = stele_verifier::Config::from_toml(&format!(
        r#"
listen = "127.0.0.1:0"
data_dir = "{data}"
verifier_id = "https://counter.buergeramt.example"

[[counters]]
id = "counter-7"
api_key_sha256 = "{hash}"
[counters.policy]
accepted_types = ["ResidencePermitCredential"]
required_claims = ["given_name", "family_name"]

[[trusted_issuers]]
did = "{issuer_did}"
types = ["ResidencePermitCredential"]
"#,
        data = work.join("data").display(),
        hash = hex(&Sha256::digest(key.as_bytes())),
    ))
    .expect("test configuration");
    let service = stele_verifier::start_blocking(config, stele_verifier::StartOptions::default())
        .expect("start the service");
    let url = service.running().url().to_owned();
    eprintln!("browser test: service at {url} ({:.1?})", started.elapsed());

    let citizen = Citizen::new(&issuer);
    let y4m = work.join("camera.y4m");
    let screenshots = target_dir().join("browser-screenshots");
    let options = json!({
        "url": url,
        "key": key,
        "chromium": chromium,
        "playwright": playwright,
        "y4m": y4m,
        "profile": work.join("chromium-profile"),
        "screenshots": screenshots,
    });
    let mut child = Command::new("node")
        .arg(manifest_dir().join("tests/browser/run.mjs"))
        .arg(options.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node (Node.js must be installed)");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut stderr = child.stderr.take().expect("piped stderr");
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let child = Arc::new(Mutex::new(child));
    let _kill = KillOnDrop(child.clone());
    let watchdog = Watchdog::start(child.clone());

    let mut shots = Vec::new();
    let mut done = false;
    for line in stdout.lines() {
        let Ok(line) = line else { break };
        let Ok(event) = serde_json::from_str::<Value>(&line) else {
            eprintln!("browser: {line}");
            continue;
        };
        match event["event"].as_str() {
            Some("challenge") => {
                let nonce = event["nonce"].as_str().expect("nonce");
                let verifier = event["verifier"].as_str().expect("verifier");
                let presentation = citizen.present(verifier, nonce);
                let payload = qr_payload(&presentation);
                let matrix = QrMatrix::new(&payload).expect("QR matrix");
                eprintln!(
                    "browser test: presentation for nonce {nonce}: {} characters, QR version {}",
                    payload.len(),
                    matrix.version()
                );
                write_y4m(&y4m, &matrix).expect("write the camera's Y4M file");
                let answer = json!({
                    "tampered": qr_payload(&tampered(&presentation)),
                    "replayed": payload,
                });
                writeln!(stdin, "{answer}").expect("answer the browser script");
                stdin.flush().expect("flush");
            }
            Some("screenshot") => shots.push(event["path"].as_str().unwrap_or("").to_owned()),
            Some("done") => done = true,
            _ => eprintln!("browser: {line}"),
        }
    }
    drop(stdin);
    let status = child
        .lock()
        .expect("child lock")
        .wait()
        .expect("wait for node");
    drop(watchdog);
    let log = log.join().unwrap_or_default();
    eprintln!("{log}");
    let _ = service.shutdown();
    let _ = std::fs::remove_dir_all(&work);

    for s in &shots {
        report(&format!("browser test: screenshot {s}"));
    }
    report(&format!("browser test: took {:.1?}", started.elapsed()));
    assert!(
        status.success() && done,
        "the browser run failed ({status}); its log is above"
    );
    assert_eq!(
        shots.len(),
        4,
        "green, red, quick check and German red screenshots"
    );
}
