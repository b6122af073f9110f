//! `stele status revoke | suspend | reinstate | publish | credential`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use stele_core::status::{
    StatusEntry, StatusListCredentialParams, StatusPurpose, entries_from_status_claim,
    issue_status_list_credential,
};
use stele_core::time::{Clock, SystemClock};

use super::agency::{agency_failure, read_agency, write_agency};
use crate::chain::ChainArgs;
use crate::{Failure, OutputMode, exit, files, output};

/// Status commands.
#[derive(Subcommand)]
pub enum StatusCommand {
    /// Revoke a credential (for good) and publish the revocation list.
    Revoke(ChangeArgs),
    /// Suspend a credential and publish the suspension list.
    Suspend(ChangeArgs),
    /// Lift a suspension and publish the suspension list.
    Reinstate(ChangeArgs),
    /// Publish the agency's current lists again.
    Publish(PublishArgs),
    /// Print the agency's signed BitstringStatusListCredential (for HTTP publication).
    Credential(CredentialArgs),
}

/// Arguments naming an agency and a credential it issued.
#[derive(Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The agency file.
    #[arg(long)]
    key: PathBuf,
    /// The credential (a file, or - for stdin).
    #[arg(long)]
    credential: String,
}

/// Arguments of `stele status publish`.
#[derive(Args)]
pub struct PublishArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The agency file.
    #[arg(long)]
    key: PathBuf,
}

/// Arguments of `stele status credential`.
#[derive(Args)]
pub struct CredentialArgs {
    /// The agency file.
    #[arg(long)]
    key: PathBuf,
    /// revocation or suspension.
    #[arg(long, default_value = "revocation")]
    purpose: String,
    /// How long the list credential is valid, in seconds.
    #[arg(long, default_value_t = 86_400)]
    ttl: i64,
}

/// The status entries a credential carries (read without verifying: the
/// agency only acts on credentials naming its own lists).
fn entries_of(credential: &str) -> Result<Vec<StatusEntry>, Failure> {
    let credential = credential.trim();
    let payload = if credential.starts_with('{') {
        // A JSON credential (Data Integrity): the document itself.
        credential.as_bytes().to_vec()
    } else {
        let jwt = credential.split('~').next().unwrap_or_default();
        jwt.split('.')
            .nth(1)
            .and_then(|p| stele_core::encoding::b64url_decode(p).ok())
            .ok_or_else(|| {
                Failure::usage("--credential is not a JWT, an SD-JWT or a JSON credential")
            })?
    };
    let v = stele_core::json::parse(&payload, stele_core::json::JsonLimits::DEFAULT)
        .map_err(|e| Failure::usage(format!("--credential: {e}")))?;
    let claim = v
        .get("credentialStatus")
        .or_else(|| v.get("status"))
        .ok_or_else(|| Failure::usage("the credential has no status entry"))?;
    entries_from_status_claim(claim).map_err(|e| Failure::usage(format!("--credential: {e}")))
}

/// Runs a status command.
pub fn run(cmd: StatusCommand, mode: OutputMode) -> Result<u8, Failure> {
    let (purpose, value, a) = match cmd {
        StatusCommand::Revoke(a) => (StatusPurpose::Revocation, true, a),
        StatusCommand::Suspend(a) => (StatusPurpose::Suspension, true, a),
        StatusCommand::Reinstate(a) => (StatusPurpose::Suspension, false, a),
        StatusCommand::Publish(p) => {
            let mut agency = read_agency(&p.key)?;
            let (chain, deployment) = p.chain.load()?;
            for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
                agency
                    .publish(&chain, &deployment, purpose)
                    .map_err(agency_failure)?;
            }
            write_agency(&p.key, &agency)?;
            report(mode, &json!({"published": agency.did()}));
            return Ok(exit::OK);
        }
        StatusCommand::Credential(c) => {
            let agency = read_agency(&c.key)?;
            let purpose =
                StatusPurpose::parse(&c.purpose).map_err(|e| Failure::usage(e.to_string()))?;
            let list = agency
                .lists
                .iter()
                .find(|l| l.purpose == purpose)
                .ok_or_else(|| Failure::usage("the agency has no such list"))?;
            let key = agency
                .signing_key()
                .ok_or_else(|| Failure::failed("the agency has no usable signing key"))?;
            let now = SystemClock.now();
            let token = issue_status_list_credential(
                &key.key,
                &StatusListCredentialParams {
                    issuer_did: &agency.did(),
                    kid: &key.kid,
                    list_url: &list.url,
                    purpose,
                    valid_from: now,
                    valid_until: now.plus(c.ttl),
                },
                &list.list,
            )
            .map_err(|e| Failure::failed(e.to_string()))?;
            outln!("{token}");
            return Ok(exit::OK);
        }
    };
    let credential = files::read_text(&a.credential, "credential")?;
    let entry = entries_of(&credential)?
        .into_iter()
        .find(|e| e.purpose == purpose)
        .ok_or_else(|| {
            Failure::usage(format!("the credential has no {} entry", purpose.as_str()))
        })?;
    let mut agency = read_agency(&a.key)?;
    if !agency.lists.iter().any(|l| l.url == entry.list_url) {
        return Err(Failure::usage(
            "the credential's status list is not this agency's",
        ));
    }
    let (chain, deployment) = a.chain.load()?;
    agency
        .set_status(purpose, entry.index, value)
        .map_err(agency_failure)?;
    let published = agency.publish(&chain, &deployment, purpose);
    write_agency(&a.key, &agency)?;
    published.map_err(agency_failure)?;
    report(
        mode,
        &json!({"list": entry.list_url, "index": entry.index, "purpose": purpose.as_str(), "set": value}),
    );
    Ok(exit::OK)
}

fn report(mode: OutputMode, v: &serde_json::Value) {
    match mode {
        OutputMode::Json => output::print_json(v),
        OutputMode::Text => outln!("{}", serde_json::to_string(v).unwrap_or_default()),
    }
}
