//! `stele audit verify`: checks a verifier service's audit log — every
//! record's hash, the chain of hashes, no gap — against the head hashes the
//! service anchored on the chain.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use stele_verifier::audit::{AnchorSource, anchor_address, verify_audit_log};

use crate::chain::ChainArgs;
use crate::{Failure, OutputMode, exit, output};

/// Audit log commands.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit log of a verifier service (stopped) against its anchors on the chain.
    Verify(VerifyArgs),
}

/// Arguments of `stele audit verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The service's data directory (where audit.redb and its anchoring key are).
    #[arg(long)]
    data_dir: PathBuf,
    /// The chain the service anchors on: embedded:DIR or rpc:URL (default: the
    /// service's own embedded chain, embedded:DATA_DIR/chain).
    #[arg(long, env = "STELE_CHAIN")]
    chain: Option<String>,
    /// The chain's contract addresses (default: deployment.json beside the embedded chain).
    #[arg(long, env = "STELE_DEPLOYMENT")]
    deployment: Option<PathBuf>,
    /// Check the hash chain only, without reading anchors from the chain.
    #[arg(long)]
    no_anchors: bool,
}

/// Runs an audit command: exit 0 when the log is intact, 1 when anything
/// was found, 2 when the chain could not be read.
pub fn run(cmd: AuditCommand, mode: OutputMode) -> Result<u8, Failure> {
    let AuditCommand::Verify(a) = cmd;
    if !a.data_dir.is_dir() {
        return Err(Failure::usage(format!(
            "--data-dir {}: not a directory",
            a.data_dir.display()
        )));
    }
    let loaded = if a.no_anchors {
        None
    } else {
        let args = ChainArgs {
            chain: a
                .chain
                .clone()
                .unwrap_or_else(|| format!("embedded:{}", a.data_dir.join("chain").display())),
            deployment: a.deployment.clone(),
        };
        Some(args.load()?)
    };
    let verifier = anchor_address(&a.data_dir)
        .map_err(|e| Failure::failed(format!("the anchoring key: {e}")))?;
    let anchors = match (&loaded, verifier) {
        (Some((chain, deployment)), Some(verifier)) => Some(AnchorSource {
            chain: chain.as_ref(),
            deployment,
            verifier,
        }),
        _ => None,
    };
    let report = verify_audit_log(&a.data_dir, anchors).map_err(|e| Failure {
        code: if matches!(e, stele_verifier::audit::AuditError::Chain(_)) {
            exit::UNAVAILABLE
        } else {
            exit::REJECTED
        },
        message: format!("audit log: {e}"),
    })?;
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    match mode {
        OutputMode::Json => output::print_json(&json!({
            "intact": report.is_intact(),
            "records": report.records,
            "head": report.head,
            "anchors_checked": report.anchors_checked,
            "anchored_records": report.anchored_records,
            "findings": findings,
        })),
        OutputMode::Text => {
            outln!(
                "{} — {} records, {} anchors checked covering {} records",
                if report.is_intact() {
                    "intact"
                } else {
                    "NOT INTACT"
                },
                report.records,
                report.anchors_checked,
                report.anchored_records
            );
            if let Some(head) = &report.head {
                outln!("  head: {head}");
            }
            if loaded.is_some() && verifier.is_none() {
                outln!("  note: no anchoring key in the data directory, so no anchor was read");
            }
            for f in &findings {
                outln!("  {f}");
            }
        }
    }
    Ok(if report.is_intact() {
        exit::OK
    } else {
        exit::REJECTED
    })
}
