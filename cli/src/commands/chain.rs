//! `stele chain init`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use stele_core::key::{KeyType, SecretKey};
use stele_registry::Account;
use stele_registry::contracts::deploy;

use crate::chain::{ChainArgs, chain_failure};
use crate::{Failure, OutputMode, exit, files, output};

/// Chain commands.
#[derive(Subcommand)]
pub enum ChainCommand {
    /// Create the embedded chain (or use a node) and deploy Stele's contracts.
    Init(InitArgs),
}

/// Arguments of `stele chain init`.
#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The governance account's key file (secp256k1 JWK, mode 0600); created if missing.
    #[arg(long)]
    governance_key: PathBuf,
    /// Deploy from this key (e.g. a funded account on a real network) instead of the governance key.
    #[arg(long)]
    deployer_key: Option<String>,
}

/// Runs a chain command.
pub fn run(cmd: ChainCommand, mode: OutputMode) -> Result<u8, Failure> {
    let ChainCommand::Init(a) = cmd;
    let governance = if a.governance_key.exists() {
        files::read_key(&a.governance_key.to_string_lossy())?
    } else {
        let key = SecretKey::generate(KeyType::Secp256k1, &mut rand_core::OsRng);
        files::write_key(&a.governance_key, &key, false)?;
        key
    };
    let governor = Account::from_secret_key(&governance)
        .map_err(|e| Failure::usage(format!("--governance-key: {e}")))?;
    let deployer = match &a.deployer_key {
        Some(path) => Account::from_secret_key(&files::read_key(path)?)
            .map_err(|e| Failure::usage(format!("--deployer-key: {e}")))?,
        None => Account::from_secret_key(&governance).map_err(|e| Failure::usage(e.to_string()))?,
    };
    let path = a.chain.deployment_path()?;
    if path.exists() {
        return Err(Failure::failed(format!(
            "{} already exists: this chain is initialised",
            path.display()
        )));
    }
    let chain = a.chain.open(true)?;
    let deployment =
        deploy(chain.as_ref(), &deployer, &[governor.address()]).map_err(chain_failure)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let text = serde_json::to_string_pretty(&deployment).unwrap_or_default();
    files::write_atomic(&path, text.as_bytes(), 0o644)?;
    let v = json!({
        "chain": a.chain.chain,
        "chainId": deployment.chain_id,
        "governance": governor.address().to_checksum(None),
        "deployment": path.display().to_string(),
        "contracts": {
            "didRegistry": deployment.did_registry.to_checksum(None),
            "accreditation": deployment.accreditation.to_checksum(None),
            "statusLists": deployment.status_lists.to_checksum(None),
            "auditAnchors": deployment.audit_anchors.to_checksum(None),
        }
    });
    match mode {
        OutputMode::Json => output::print_json(&v),
        OutputMode::Text => {
            outln!(
                "chain {} (id {}) initialised",
                a.chain.chain,
                deployment.chain_id
            );
            outln!(
                "  DID registry:   {}",
                v["contracts"]["didRegistry"].as_str().unwrap_or_default()
            );
            outln!(
                "  accreditation:  {}",
                v["contracts"]["accreditation"].as_str().unwrap_or_default()
            );
            outln!(
                "  status lists:   {}",
                v["contracts"]["statusLists"].as_str().unwrap_or_default()
            );
            outln!(
                "  audit anchors:  {}",
                v["contracts"]["auditAnchors"].as_str().unwrap_or_default()
            );
            outln!(
                "  governance:     {} ({})",
                v["governance"].as_str().unwrap_or_default(),
                a.governance_key.display()
            );
            outln!("  addresses kept in {}", path.display());
        }
    }
    Ok(exit::OK)
}
