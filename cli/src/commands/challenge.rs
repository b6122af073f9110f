//! `stele challenge`: what a counter shows (the verifier service issues
//! these; the command serves scripts and tests).

use clap::Args;
use serde_json::json;
use stele_core::encoding::b64url;
use stele_core::qr::{Challenge, QrMatrix};
use stele_core::time::{Clock, SystemClock};

use crate::{Failure, OutputMode, exit, output};

/// Arguments of `stele challenge`.
#[derive(Args)]
pub struct ChallengeArgs {
    /// The verifier's id (the presentation's audience).
    #[arg(long)]
    verifier: String,
    /// Credential types asked for (comma-separated).
    #[arg(long = "type", value_delimiter = ',')]
    types: Vec<String>,
    /// Claims asked for (comma-separated).
    #[arg(long, value_delimiter = ',')]
    claims: Vec<String>,
    /// How long the challenge is valid, in seconds.
    #[arg(long, default_value_t = 120)]
    ttl: i64,
    /// Also draw the QR code in the terminal.
    #[arg(long)]
    qr: bool,
}

/// Runs `stele challenge`.
pub fn run(a: ChallengeArgs, mode: OutputMode) -> Result<u8, Failure> {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    let clean = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let challenge = Challenge {
        nonce: b64url(bytes),
        verifier: a.verifier,
        expires: SystemClock.now().plus(a.ttl),
        credential_types: clean(a.types),
        claims: clean(a.claims),
    };
    let payload = challenge.to_qr_payload();
    match mode {
        OutputMode::Json => output::print_json(&json!({
            "payload": payload, "nonce": challenge.nonce, "verifier": challenge.verifier,
            "expires": challenge.expires.to_rfc3339(),
        })),
        OutputMode::Text => outln!("{payload}"),
    }
    if a.qr {
        let m = QrMatrix::new(&payload).map_err(|e| Failure::failed(e.to_string()))?;
        eprint!("{}", m.to_terminal());
    }
    Ok(exit::OK)
}
