//! `stele agency create | rotate-key | compromised`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;
use stele_registry::agency::{Agency, AgencyError};

use crate::chain::{ChainArgs, chain_failure};
use crate::{Failure, OutputMode, exit, files, output};

/// Agency commands.
#[derive(Subcommand)]
pub enum AgencyCommand {
    /// Create an agency: a did:ethr controlled by a new secp256k1 key, with an
    /// Ed25519 signing key registered on the chain and empty status lists published.
    Create(CreateArgs),
    /// Register a new signing key and retire the current one (credentials
    /// signed before stay valid).
    RotateKey(KeyArgs),
    /// Mark a (retired) signing key as compromised: credentials it signed become invalid.
    Compromised(CompromisedArgs),
}

/// Arguments of `stele agency create`.
#[derive(Args)]
pub struct CreateArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The agency's display name.
    #[arg(long)]
    name: String,
    /// Where to write the agency file (keys and status lists; mode 0600).
    #[arg(long)]
    out: PathBuf,
    /// Base URL under which the agency's status list credentials are published.
    #[arg(long, default_value = "https://status.stele.example/status")]
    status_url: String,
}

/// Arguments naming an agency file.
#[derive(Args)]
pub struct KeyArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The agency file.
    #[arg(long)]
    key: PathBuf,
}

/// Arguments of `stele agency compromised`.
#[derive(Args)]
pub struct CompromisedArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The agency file.
    #[arg(long)]
    key: PathBuf,
    /// The verification method id of the compromised key (from the agency file).
    #[arg(long)]
    kid: String,
}

/// An agency operation's error as a command failure.
pub fn agency_failure(e: AgencyError) -> Failure {
    match e {
        AgencyError::Chain(c) => chain_failure(c),
        other => Failure::failed(other.to_string()),
    }
}

/// Reads an agency file.
pub fn read_agency(path: &Path) -> Result<Agency, Failure> {
    let text = zeroize::Zeroizing::new(files::read_text(&path.to_string_lossy(), "agency file")?);
    Agency::from_json(&text).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

/// Writes an agency file (mode 0600).
pub fn write_agency(path: &Path, agency: &Agency) -> Result<(), Failure> {
    files::write_atomic(path, agency.to_json().as_bytes(), 0o600)
}

fn summary(agency: &Agency, path: &Path) -> serde_json::Value {
    json!({
        "name": agency.name,
        "did": agency.did(),
        "kid": agency.signing_key().map(|k| k.kid.clone()),
        "agency_file": path.display().to_string(),
    })
}

/// Runs an agency command.
pub fn run(cmd: AgencyCommand, mode: OutputMode) -> Result<u8, Failure> {
    let (agency, path) = match cmd {
        AgencyCommand::Create(a) => {
            if a.out.exists() {
                return Err(Failure::failed(format!(
                    "{} already exists",
                    a.out.display()
                )));
            }
            let (chain, deployment) = a.chain.load()?;
            let agency = Agency::create(
                &chain,
                &deployment,
                &a.name,
                &a.status_url,
                &mut rand_core::OsRng,
            )
            .map_err(agency_failure)?;
            write_agency(&a.out, &agency)?;
            (agency, a.out)
        }
        AgencyCommand::RotateKey(a) => {
            let mut agency = read_agency(&a.key)?;
            let (chain, deployment) = a.chain.load()?;
            let result = agency.rotate_key(&chain, &deployment, &mut rand_core::OsRng);
            // Keep whatever the chain accepted, even if a later step failed.
            write_agency(&a.key, &agency)?;
            result.map_err(agency_failure)?;
            (agency, a.key)
        }
        AgencyCommand::Compromised(a) => {
            let mut agency = read_agency(&a.key)?;
            let (chain, deployment) = a.chain.load()?;
            let result = agency.mark_compromised(&chain, &deployment, &a.kid);
            write_agency(&a.key, &agency)?;
            result.map_err(agency_failure)?;
            (agency, a.key)
        }
    };
    match mode {
        OutputMode::Json => output::print_json(&summary(&agency, &path)),
        OutputMode::Text => outln!("{}", agency.did()),
    }
    Ok(exit::OK)
}
