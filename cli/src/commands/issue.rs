//! `stele issue`.

use clap::Args;
use serde_json::{Map, Value};
use stele_core::credential::issuer::{CredentialFormat, IssueError, IssueRequest, Issuer};
use stele_core::did::Did;
use stele_core::json::{self, JsonLimits};
use stele_core::key::SecretKey;
use stele_core::time::{Clock, SystemClock, Timestamp};

use super::parse_time;
use crate::{Failure, exit, files};

/// Arguments of `stele issue`.
#[derive(Args)]
pub struct IssueArgs {
    /// The issuer's private key (JWK); the issuer is its did:key.
    #[arg(long)]
    key: String,
    /// Credential type: ResidencePermitCredential or NationalIdCredential.
    #[arg(long = "type")]
    credential_type: String,
    /// The subject's claims as a JSON object (a file, or - for stdin).
    #[arg(long)]
    subject: String,
    /// The holder's DID (a did:key): the credential is bound to its key.
    #[arg(long)]
    holder: Option<String>,
    /// sd-jwt (SD-JWT VC, selective disclosure; default) or jwt (VC-JOSE).
    #[arg(long, default_value = "sd-jwt")]
    format: String,
    /// Start of validity (RFC 3339); default now.
    #[arg(long)]
    valid_from: Option<String>,
    /// End of validity (RFC 3339).
    #[arg(long)]
    valid_until: Option<String>,
}

/// What `issue` needs, already read and checked.
pub struct Issuance<'a> {
    /// The issuer's key.
    pub key: &'a SecretKey,
    /// The type name.
    pub credential_type: &'a str,
    /// The claims.
    pub claims: Map<String, Value>,
    /// The holder.
    pub holder: Option<Did>,
    /// The format.
    pub format: CredentialFormat,
    /// Validity.
    pub valid_from: Option<Timestamp>,
    /// Validity.
    pub valid_until: Option<Timestamp>,
    /// Issuance time.
    pub now: Timestamp,
}

/// Issues a credential as the did:key of `key`.
pub fn issue(i: Issuance<'_>) -> Result<String, Failure> {
    Issuer::with_did_key(i.key)
        .issue(
            &IssueRequest {
                credential_type: i.credential_type,
                claims: i.claims,
                holder: i.holder,
                valid_from: i.valid_from,
                valid_until: i.valid_until,
                format: i.format,
                status: None,
            },
            i.now,
            &mut rand_core::OsRng,
        )
        .map_err(|e| match e {
            IssueError::UnknownType(_) | IssueError::Holder(_) | IssueError::Validity => {
                Failure::usage(e.to_string())
            }
            IssueError::Schema(..) => Failure::failed(e.to_string()),
            other => Failure::failed(other.to_string()),
        })
}

/// Runs `stele issue`.
pub fn run(a: IssueArgs) -> Result<u8, Failure> {
    let key = files::read_key(&a.key)?;
    let text = files::read_text(&a.subject, "subject claims")?;
    let claims = match json::parse(text.as_bytes(), JsonLimits::DEFAULT) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(Failure::usage(
                "--subject must hold a JSON object of claims",
            ));
        }
        Err(e) => return Err(Failure::usage(format!("--subject: {e}"))),
    };
    let holder = a
        .holder
        .as_deref()
        .map(Did::parse)
        .transpose()
        .map_err(|e| Failure::usage(format!("--holder: {e}")))?;
    let format = CredentialFormat::from_name(&a.format).ok_or_else(|| {
        Failure::usage(format!(
            "--format must be sd-jwt or jwt, not {:?}",
            a.format
        ))
    })?;
    let valid_from = a
        .valid_from
        .as_deref()
        .map(|t| parse_time(t, "--valid-from"))
        .transpose()?;
    let valid_until = a
        .valid_until
        .as_deref()
        .map(|t| parse_time(t, "--valid-until"))
        .transpose()?;
    let credential = issue(Issuance {
        key: &key,
        credential_type: &a.credential_type,
        claims,
        holder,
        format,
        valid_from,
        valid_until,
        now: SystemClock.now(),
    })?;
    outln!("{credential}");
    Ok(exit::OK)
}
