//! `stele issue`.

use clap::Args;
use serde_json::{Map, Value};
use stele_core::credential::issuer::{CredentialFormat, IssueError, IssueRequest, Issuer};
use stele_core::did::Did;
use stele_core::json::{self, JsonLimits};
use stele_core::key::SecretKey;
use stele_core::time::{Clock, SystemClock, Timestamp};
use stele_registry::agency::Agency;

use super::parse_time;
use crate::{Failure, exit, files};

/// Arguments of `stele issue`.
#[derive(Args)]
pub struct IssueArgs {
    /// The issuer's key: a private JWK (the issuer is its did:key) or an
    /// agency file (the issuer is the agency's did:ethr; a status index is allocated).
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
    /// sd-jwt (SD-JWT VC, selective disclosure; default), jwt (VC-JOSE),
    /// di-jcs (JSON credential with a Data Integrity eddsa-jcs-2022 proof; Ed25519 keys) or
    /// di-rdfc (JSON-LD credential with a Data Integrity eddsa-rdfc-2022 proof; Ed25519 keys).
    #[arg(long, default_value = "sd-jwt")]
    format: String,
    /// Start of validity (RFC 3339); default now.
    #[arg(long)]
    valid_from: Option<String>,
    /// End of validity (RFC 3339).
    #[arg(long)]
    valid_until: Option<String>,
}

struct Common {
    claims: Map<String, Value>,
    holder: Option<Did>,
    format: CredentialFormat,
    valid_from: Option<Timestamp>,
    valid_until: Option<Timestamp>,
}

fn common(a: &IssueArgs) -> Result<Common, Failure> {
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
            "--format must be sd-jwt, jwt, di-jcs or di-rdfc, not {:?}",
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
    Ok(Common {
        claims,
        holder,
        format,
        valid_from,
        valid_until,
    })
}

/// Issues as an agency: its did:ethr and current key, with a status index
/// allocated in its lists (the agency file is updated before the credential
/// is printed, so an index is never handed out twice).
fn run_agency(a: IssueArgs) -> Result<u8, Failure> {
    let path = std::path::PathBuf::from(&a.key);
    let mut agency = super::agency::read_agency(&path)?;
    let c = common(&a)?;
    let credential = issue_as_agency(
        &mut agency,
        Issuance {
            key: None,
            credential_type: &a.credential_type,
            claims: c.claims,
            holder: c.holder,
            format: c.format,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            now: SystemClock.now(),
        },
    )?;
    // The allocated index is on disk before the credential leaves.
    super::agency::write_agency(&path, &agency)?;
    outln!("{credential}");
    Ok(exit::OK)
}

/// Issues as `agency` (its did:ethr and current key) with a newly allocated
/// status index; the caller saves the agency afterwards.
pub fn issue_as_agency(agency: &mut Agency, i: Issuance<'_>) -> Result<String, Failure> {
    use stele_core::status::{credential_status, sd_jwt_status_claim};
    let did = Did::parse(&agency.did()).map_err(|e| Failure::usage(e.to_string()))?;
    let entries = agency
        .allocate_status()
        .map_err(super::agency::agency_failure)?;
    let status = match i.format {
        CredentialFormat::Jwt
        | CredentialFormat::DataIntegrityJcs
        | CredentialFormat::DataIntegrityRdfc => credential_status(&entries),
        CredentialFormat::SdJwt => sd_jwt_status_claim(&entries),
    };
    let key = agency
        .signing_key()
        .ok_or_else(|| Failure::failed("the agency has no usable signing key"))?;
    Issuer::new(&key.key, did, key.kid.clone())
        .issue(
            &IssueRequest {
                credential_type: i.credential_type,
                claims: i.claims,
                holder: i.holder,
                valid_from: i.valid_from,
                valid_until: i.valid_until,
                format: i.format,
                status: Some(status),
            },
            i.now,
            &mut rand_core::OsRng,
        )
        .map_err(issue_failure)
}

fn issue_failure(e: IssueError) -> Failure {
    match e {
        IssueError::UnknownType(_) | IssueError::Holder(_) | IssueError::Validity => {
            Failure::usage(e.to_string())
        }
        other => Failure::failed(other.to_string()),
    }
}

/// What `issue` needs, already read and checked.
pub struct Issuance<'a> {
    /// The issuer's key (did:key issuers; `None` when issuing as an agency).
    pub key: Option<&'a SecretKey>,
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
    let key = i.key.ok_or_else(|| Failure::usage("no issuer key"))?;
    Issuer::with_did_key(key)
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
    let key_text = zeroize::Zeroizing::new(files::read_text(&a.key, "key file")?);
    let is_agency = stele_core::json::parse(
        key_text.as_bytes(),
        JsonLimits {
            max_bytes: 8 << 20,
            max_depth: 16,
        },
    )
    .map(|v| v["type"] == "SteleAgency")
    .unwrap_or(false);
    if is_agency {
        return run_agency(a);
    }
    let key = files::read_key(&a.key)?;
    let Common {
        claims,
        holder,
        format,
        valid_from,
        valid_until,
    } = common(&a)?;
    let credential = issue(Issuance {
        key: Some(&key),
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
