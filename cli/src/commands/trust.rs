//! `stele trust accredit | revoke`: governance on the accreditation registry.

use clap::{Args, Subcommand};
use serde_json::json;
use stele_core::time::{Clock, SystemClock};
use stele_registry::Account;

use super::parse_time;
use crate::chain::{ChainArgs, chain_failure};
use crate::{Failure, OutputMode, exit, files, output};

/// Trust commands.
#[derive(Subcommand)]
pub enum TrustCommand {
    /// Accredit an issuer DID for a credential type during a window.
    Accredit(AccreditArgs),
    /// Withdraw an issuer's accreditation for a type, from now on.
    Revoke(RevokeArgs),
}

/// Arguments of `stele trust accredit`.
#[derive(Args)]
pub struct AccreditArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The governance account's key file.
    #[arg(long)]
    governance_key: String,
    /// The issuer DID.
    #[arg(long)]
    issuer: String,
    /// The credential type.
    #[arg(long = "type")]
    credential_type: String,
    /// Start of the accreditation (RFC 3339); default now.
    #[arg(long)]
    from: Option<String>,
    /// End of the accreditation (RFC 3339); default in 10 years.
    #[arg(long)]
    until: Option<String>,
}

/// Arguments of `stele trust revoke`.
#[derive(Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The governance account's key file.
    #[arg(long)]
    governance_key: String,
    /// The issuer DID.
    #[arg(long)]
    issuer: String,
    /// The credential type.
    #[arg(long = "type")]
    credential_type: String,
}

fn governor(path: &str) -> Result<Account, Failure> {
    Account::from_secret_key(&files::read_key(path)?)
        .map_err(|e| Failure::usage(format!("--governance-key: {e}")))
}

fn unix(t: stele_core::time::Timestamp) -> Result<u64, Failure> {
    u64::try_from(t.unix()).map_err(|_| Failure::usage("times before 1970 are not accepted"))
}

/// Runs a trust command.
pub fn run(cmd: TrustCommand, mode: OutputMode) -> Result<u8, Failure> {
    let v = match cmd {
        TrustCommand::Accredit(a) => {
            let gov = governor(&a.governance_key)?;
            let now = SystemClock.now();
            let from = a
                .from
                .as_deref()
                .map(|t| parse_time(t, "--from"))
                .transpose()?
                .unwrap_or(now);
            let until = a
                .until
                .as_deref()
                .map(|t| parse_time(t, "--until"))
                .transpose()?
                .unwrap_or(now.plus(10 * 365 * 86_400));
            if until <= from {
                return Err(Failure::usage("--until must be after --from"));
            }
            let (chain, deployment) = a.chain.load()?;
            stele_registry::trust::accredit(
                chain.as_ref(),
                deployment.accreditation,
                &gov,
                &a.issuer,
                &a.credential_type,
                unix(from)?,
                unix(until)?,
            )
            .map_err(chain_failure)?;
            json!({"accredited": a.issuer, "type": a.credential_type, "from": from.to_rfc3339(), "until": until.to_rfc3339()})
        }
        TrustCommand::Revoke(a) => {
            let gov = governor(&a.governance_key)?;
            let (chain, deployment) = a.chain.load()?;
            stele_registry::trust::revoke(
                chain.as_ref(),
                deployment.accreditation,
                &gov,
                &a.issuer,
                &a.credential_type,
            )
            .map_err(chain_failure)?;
            json!({"revoked": a.issuer, "type": a.credential_type})
        }
    };
    match mode {
        OutputMode::Json => output::print_json(&v),
        OutputMode::Text => outln!("{}", serde_json::to_string(&v).unwrap_or_default()),
    }
    Ok(exit::OK)
}
