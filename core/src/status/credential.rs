//! The `BitstringStatusListCredential`: a status list published by its
//! issuer as a VC-JOSE `vc+jwt` (VCDM 2.0), and its verification.

use serde_json::{Map, Value};

use super::entry::is_url;
use super::{DecodeLimits, StatusEntry, StatusList, StatusListError, StatusPurpose};
use crate::alg::AlgorithmSet;
use crate::credential::model::{Credential, VCDM2_CONTEXT, VcdmVersion, string_or_strings};
use crate::jose::{HeaderPolicy, JwsLimits, UnverifiedJws, typ};
use crate::json::JsonLimits;
use crate::key::{PublicKey, Signer};
use crate::time::Timestamp;
use crate::verify::StatusOutcome;

/// The `type` of a status list credential (besides `VerifiableCredential`).
pub const LIST_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";

/// The `type` of a status list credential's subject.
pub const LIST_SUBJECT_TYPE: &str = "BitstringStatusList";

/// Room, beyond the `encodedList` itself, for the rest of a list credential
/// and its JWS header and signature.
const ENVELOPE_BYTES: usize = 64 * 1024;

/// What to issue a status list credential as. Named fields, because three
/// of them are strings that would be easy to swap by position.
#[derive(Debug, Clone, Copy)]
pub struct StatusListCredentialParams<'a> {
    /// The issuer's DID (`issuer`).
    pub issuer_did: &'a str,
    /// The verification method that signs, a DID URL (`kid`).
    pub kid: &'a str,
    /// The URL the list credential is published at: its `id`, and the
    /// `statusListCredential` of the entries that point into it. The
    /// subject's `id` is this URL with `#list`.
    pub list_url: &'a str,
    /// The list's purpose (one list per purpose).
    pub purpose: StatusPurpose,
    /// `validFrom`: the time of publication.
    pub valid_from: Timestamp,
    /// `validUntil`: after this, verifiers treat the list as stale.
    pub valid_until: Timestamp,
}

/// Issues `list` as a `BitstringStatusListCredential` secured as VC-JOSE
/// (`vc+jwt`), signed by `signer`.
pub fn issue_status_list_credential(
    signer: &dyn Signer,
    params: &StatusListCredentialParams<'_>,
    list: &StatusList,
) -> Result<String, StatusListError> {
    if !is_url(params.list_url) {
        return Err(StatusListError::Issue(
            "the list URL is not an absolute URL".into(),
        ));
    }
    if params.valid_until < params.valid_from {
        return Err(StatusListError::Issue(
            "the validity period ends before it begins".into(),
        ));
    }
    let mut subject = Map::new();
    subject.insert(
        "id".into(),
        Value::String(format!("{}#list", params.list_url)),
    );
    subject.insert("type".into(), Value::String(LIST_SUBJECT_TYPE.into()));
    subject.insert(
        "statusPurpose".into(),
        Value::String(params.purpose.as_str().into()),
    );
    subject.insert("encodedList".into(), Value::String(list.encode()));

    let mut vc = Map::new();
    vc.insert(
        "@context".into(),
        Value::Array(vec![Value::String(VCDM2_CONTEXT.into())]),
    );
    vc.insert("id".into(), Value::String(params.list_url.into()));
    vc.insert(
        "type".into(),
        Value::Array(vec![
            "VerifiableCredential".into(),
            Value::String(LIST_CREDENTIAL_TYPE.into()),
        ]),
    );
    vc.insert("issuer".into(), Value::String(params.issuer_did.into()));
    vc.insert(
        "validFrom".into(),
        Value::String(params.valid_from.to_rfc3339()),
    );
    vc.insert(
        "validUntil".into(),
        Value::String(params.valid_until.to_rfc3339()),
    );
    vc.insert("credentialSubject".into(), Value::Object(subject));
    crate::credential::jwt::issue(signer, params.kid, &vc)
        .map_err(|e| StatusListError::Issue(e.to_string()))
}

/// A status list whose credential verified: signed by the expected issuer,
/// published under the expected URL, valid at the time asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The list credential's `id`: the URL entries name it by.
    pub url: String,
    /// The list's purposes: one for the lists Stele issues; the
    /// specification lets one list serve several.
    pub purposes: Vec<StatusPurpose>,
    /// The bitstring.
    pub list: StatusList,
    /// `validFrom`, if any.
    pub valid_from: Option<Timestamp>,
    /// `validUntil`, if any: when a cached copy goes stale.
    pub valid_until: Option<Timestamp>,
}

impl VerifiedStatusList {
    /// The status `entry` records in this list: the entry must name this
    /// list's URL and one of its purposes, and its index must be inside it.
    pub fn check(&self, entry: &StatusEntry) -> Result<StatusOutcome, StatusListError> {
        if entry.list_url != self.url {
            return Err(StatusListError::Url);
        }
        if !self.purposes.contains(&entry.purpose) {
            return Err(StatusListError::PurposeMismatch {
                entry: entry.purpose,
                list: self.purposes.first().copied().unwrap_or(entry.purpose),
            });
        }
        Ok(entry.purpose.outcome(self.list.status_of(entry)?))
    }
}

/// Verifies a `BitstringStatusListCredential` secured as VC-JOSE, under
/// [`DecodeLimits::DEFAULT`]; see [`verify_status_list_credential_with_limits`].
pub fn verify_status_list_credential(
    token: &str,
    issuer_key: &PublicKey,
    expected_issuer: &str,
    expected_url: &str,
    now: Timestamp,
) -> Result<VerifiedStatusList, StatusListError> {
    verify_status_list_credential_with_limits(
        token,
        issuer_key,
        expected_issuer,
        expected_url,
        now,
        DecodeLimits::DEFAULT,
    )
}

/// Verifies a `BitstringStatusListCredential` secured as VC-JOSE, in this
/// order: the JWS (`typ` `vc+jwt`, the algorithm of `issuer_key`, its
/// signature), the VCDM 2.0 shape, `issuer` is `expected_issuer`, `id` is
/// `expected_url`, `validFrom` ≤ `now` ≤ `validUntil`, the types and the
/// subject (`BitstringStatusList`, supported purposes), and last the
/// `encodedList` under `limits`, so only a list the issuer signed is ever
/// decompressed. No clock skew is allowed for: the caller picks `now`.
pub fn verify_status_list_credential_with_limits(
    token: &str,
    issuer_key: &PublicKey,
    expected_issuer: &str,
    expected_url: &str,
    now: Timestamp,
    limits: DecodeLimits,
) -> Result<VerifiedStatusList, StatusListError> {
    let json_bytes = limits.max_encoded_bytes.saturating_add(ENVELOPE_BYTES);
    let policy = HeaderPolicy {
        algorithms: AlgorithmSet::of(&[issuer_key.algorithm()]),
        typ: &[Some(typ::VC_JWT)],
        understood_crit: &[],
        limits: JwsLimits {
            max_token_bytes: (json_bytes / 3)
                .saturating_mul(4)
                .saturating_add(ENVELOPE_BYTES),
            json: JsonLimits {
                max_bytes: json_bytes,
                max_depth: JsonLimits::DEFAULT.max_depth,
            },
        },
    };
    let jws = UnverifiedJws::decode(token, &policy)?.verify(issuer_key)?;
    let vc = Credential::from_document_discarding(jws.payload)?;
    if vc.issuer != expected_issuer {
        return Err(StatusListError::Issuer);
    }
    if vc.id.as_deref() != Some(expected_url) {
        return Err(StatusListError::Url);
    }
    if let Some(from) = vc.valid_from {
        if from > now {
            return Err(StatusListError::NotYetValid(from));
        }
    }
    if let Some(until) = vc.valid_until {
        if until < now {
            return Err(StatusListError::Expired(until));
        }
    }
    read_list_credential(vc, limits)
}

/// Reads the list out of a status list credential whose proof and issuer
/// the caller has settled: VCDM 2.0, the types, the subject, the list.
pub(crate) fn read_list_credential(
    vc: Credential,
    limits: DecodeLimits,
) -> Result<VerifiedStatusList, StatusListError> {
    if vc.version != VcdmVersion::V2 {
        return Err(StatusListError::ListCredential("not a VCDM 2.0 credential"));
    }
    if !vc.types.iter().any(|t| t == LIST_CREDENTIAL_TYPE) {
        return Err(StatusListError::ListCredential(
            "type lacks BitstringStatusListCredential",
        ));
    }
    let url = vc
        .id
        .ok_or(StatusListError::ListCredential("the credential has no id"))?;
    let subject = &vc.subject;
    let types = string_or_strings(subject.get("type"))
        .ok_or(StatusListError::ListCredential("subject type is missing"))?;
    if !types.iter().any(|t| t == LIST_SUBJECT_TYPE) {
        return Err(StatusListError::ListCredential(
            "subject type is not BitstringStatusList",
        ));
    }
    let purposes = string_or_strings(subject.get("statusPurpose"))
        .filter(|p| !p.is_empty())
        .ok_or(StatusListError::ListCredential(
            "statusPurpose is missing or not strings",
        ))?
        .iter()
        .map(|p| {
            StatusPurpose::parse(p).map_err(|e| match e {
                StatusListError::Entry(_) => {
                    StatusListError::ListCredential("unknown statusPurpose")
                }
                other => other,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let encoded = match subject.get("encodedList") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(StatusListError::ListCredential(
                "encodedList is missing or not a string",
            ));
        }
    };
    let list = StatusList::decode_with_limits(encoded, limits)?;
    Ok(VerifiedStatusList {
        url,
        purposes,
        list,
        valid_from: vc.valid_from,
        valid_until: vc.valid_until,
    })
}
