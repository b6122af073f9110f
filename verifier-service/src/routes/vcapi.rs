//! VC-API: `POST /credentials/verify`, `POST /presentations/verify` and
//! `POST /credentials/issue` (only when an issuer is configured).
//!
//! Credentials and presentations are accepted as compact strings (`vc+jwt`,
//! SD-JWT VC) or as `EnvelopedVerifiableCredential` /
//! `EnvelopedVerifiablePresentation` objects whose `id` is a `data:` URL;
//! other JSON objects are handed to core as they are. The answer is
//! `{"verified", "checks", "warnings", "errors"}`, each error a problem
//! object with the reason's stable `type`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::Did;
use stele_core::verify::{CheckName, CheckSelection, Outcome, Verdict};

use super::{LoggedReasons, json_no_store, json_object, locale};
use crate::locale::{Locale, localize_message};
use crate::problem::{Problem, TYPE_BASE};
use crate::state::{AppState, Audience, IssuerState, RunOptions};

const VCDM2: &str = "https://www.w3.org/ns/credentials/v2";

/// The text of a credential or presentation member.
fn secured_text(v: &Value, what: &str) -> Result<String, Problem> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::Object(o) => {
            let enveloped = o
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("Enveloped"));
            if enveloped {
                let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
                let (media, data) = id
                    .strip_prefix("data:")
                    .and_then(|rest| rest.split_once(','))
                    .ok_or_else(|| {
                        Problem::bad_request(format!("{what}: an enveloped id must be a data: URL"))
                    })?;
                if media.contains(";base64") {
                    return Err(Problem::bad_request(format!(
                        "{what}: base64 data: URLs are not supported; send the token as is"
                    )));
                }
                Ok(data.to_owned())
            } else {
                Ok(Value::Object(o.clone()).to_string())
            }
        }
        _ => Err(Problem::bad_request(format!(
            "\"{what}\" must be a string or an object"
        ))),
    }
}

/// The VC-API verification result for `v`.
fn vc_api_result(v: &Verdict, l: Locale, warnings: Vec<Value>) -> Value {
    let checks: Vec<String> = v
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Passed)
        .map(|c| check_name(c.name))
        .collect();
    let errors: Vec<Value> = v
        .reasons
        .iter()
        .map(|r| {
            json!({
                "type": format!("{TYPE_BASE}{}", r.code.as_str()),
                "title": l.reason(r.code),
                "detail": localize_message(l, r.code, &r.message),
            })
        })
        .collect();
    json!({
        "verified": v.verified,
        "checks": checks,
        "warnings": warnings,
        "errors": errors,
    })
}

fn check_name(n: stele_core::verify::CheckName) -> String {
    // The verdict's own snake_case names (`proof`, `holder_binding` …).
    match serde_json::to_value(n) {
        Ok(Value::String(s)) => s,
        _ => "unknown".into(),
    }
}

fn respond(v: &Verdict, body: &Value, status: StatusCode) -> Response {
    let mut r = json_no_store(status, body);
    r.extensions_mut().insert(LoggedReasons(
        v.reasons.iter().map(|r| r.code.as_str()).collect(),
    ));
    r
}

fn options(req: &Map<String, Value>, known: &[&str]) -> Result<Map<String, Value>, Problem> {
    let options = match req.get("options") {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(Problem::bad_request("\"options\" must be an object")),
    };
    // VC-API: an option the endpoint does not understand is an error.
    if let Some(k) = options.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Problem::bad_request(format!(
            "options.{} is not understood here (known: {})",
            short(k),
            known.join(", ")
        )));
    }
    Ok(options.clone())
}

/// At most 64 characters of a caller's text, for an error message.
fn short(text: &str) -> String {
    text.chars().take(64).collect()
}

/// The checks run when a request names none: the proof, the validity
/// period and the status list (issuer trust when the policy requires it).
const DEFAULT_CHECKS: CheckSelection = CheckSelection {
    validity: true,
    trust: false,
    status: true,
};

/// `options.checks`: the checks to perform. `proof` (the input read, the
/// issuer resolved, every proof verified, the data model) must be named
/// and always runs; `validity`, `credentialStatus` (or `status`) and `trust`
/// (the issuer accredited or listed for the type) are chosen. Any other
/// name is an error (ADR 0033).
fn requested_checks(options: &Map<String, Value>) -> Result<CheckSelection, Problem> {
    let Some(list) = options.get("checks") else {
        return Ok(DEFAULT_CHECKS);
    };
    let items = list
        .as_array()
        .ok_or_else(|| Problem::bad_request("options.checks must be an array of check names"))?;
    let mut selection = CheckSelection {
        validity: false,
        trust: false,
        status: false,
    };
    let mut proof = false;
    for item in items {
        match item.as_str() {
            Some("proof") => proof = true,
            Some("validity") => selection.validity = true,
            Some("credentialStatus" | "status") => selection.status = true,
            Some("trust") => selection.trust = true,
            _ => {
                return Err(Problem::bad_request(format!(
                    "options.checks: {} is not a check this service performs \
                     (proof, validity, credentialStatus, trust)",
                    short(&item.to_string())
                )));
            }
        }
    }
    if !proof {
        return Err(Problem::bad_request(
            "options.checks must include \"proof\": nothing is judged without its proof",
        ));
    }
    Ok(selection)
}

fn is_presentation_object(v: &Value) -> bool {
    let names = |t: &str| t == "VerifiablePresentation" || t == "EnvelopedVerifiablePresentation";
    match v.get("type") {
        Some(Value::String(t)) => names(t),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(names),
        _ => false,
    }
}

/// Whether the input could not even be read (VC-API: 400, "invalid or
/// malformed input that prevented the verification process").
fn unreadable(v: &Verdict) -> bool {
    v.checks
        .iter()
        .any(|c| c.name == CheckName::Parse && c.outcome == Outcome::Failed)
}

/// `POST /credentials/verify` `{"verifiableCredential": …, "options":
/// {"checks": […]}}`: 200 with the result when the credential verifies,
/// 400 with the result when it does not (VC-API and the W3C test suites:
/// a credential that fails verification is invalid input), 503 when a
/// check could not be made.
pub(crate) async fn verify_credential(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let counter = state.counter_or_public(&headers, state.config().access.public_vc_api)?;
    let req = json_object(&state, body)?;
    let options = options(&req, &["checks"])?;
    let checks = requested_checks(&options)?;
    let vc = req
        .get("verifiableCredential")
        .ok_or_else(|| Problem::bad_request("\"verifiableCredential\" is required"))?;
    if is_presentation_object(vc) {
        return Err(Problem::bad_request(
            "verifiableCredential is a presentation: use /presentations/verify",
        ));
    }
    let text = secured_text(vc, "verifiableCredential")?;
    let l = locale(&headers, query.as_deref());
    let v = state
        .run_verification(
            counter,
            text,
            RunOptions {
                checks: Some(checks),
                ..RunOptions::default()
            },
        )
        .await?;
    let status = if v.verified {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(respond(&v, &vc_api_result(&v, l, Vec::new()), status))
}

/// `POST /presentations/verify` `{"verifiablePresentation": …, "options":
/// {"challenge", "domain", "checks", "returnPresentation"}}`, or an
/// unsigned `{"presentation": …}`: the presentation's proof (with the
/// challenge and the domain when given, the holder its signer) and the
/// credential it carries. 200 with the result whether or not it verifies;
/// 400 only when the input cannot be read (VC-API).
pub(crate) async fn verify_presentation(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let counter = state.counter_or_public(&headers, state.config().access.public_vc_api)?;
    let req = json_object(&state, body)?;
    let options = options(
        &req,
        &["challenge", "domain", "checks", "returnPresentation"],
    )?;
    let checks = requested_checks(&options)?;
    let vp = match (req.get("verifiablePresentation"), req.get("presentation")) {
        (Some(vp), None) | (None, Some(vp)) => vp,
        (Some(_), Some(_)) => {
            return Err(Problem::bad_request(
                "send \"verifiablePresentation\" or \"presentation\", not both",
            ));
        }
        (None, None) => {
            return Err(Problem::bad_request(
                "\"verifiablePresentation\" (or an unsigned \"presentation\") is required",
            ));
        }
    };
    if vp.is_object() && !is_presentation_object(vp) {
        return Err(Problem::bad_request(
            "the presentation's type must include VerifiablePresentation",
        ));
    }
    let text = secured_text(vp, "verifiablePresentation")?;
    let str_option = |k: &str| -> Result<Option<String>, Problem> {
        match options.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 256 => Ok(Some(s.clone())),
            Some(_) => Err(Problem::bad_request(format!(
                "options.{k} must be a string of 1-256 characters"
            ))),
        }
    };
    let challenge = str_option("challenge")?;
    let domain = str_option("domain")?;
    let return_presentation = match options.get("returnPresentation") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(Problem::bad_request(
                "options.returnPresentation must be a boolean",
            ));
        }
    };
    if challenge.is_none() && counter.require_holder_binding {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "challenge_required",
            "This policy requires a challenge (holder binding)",
        ));
    }
    let mut warnings = Vec::new();
    let from_store = challenge
        .as_deref()
        .is_some_and(|c| state.open_challenge(c).is_some());
    if challenge.is_some() && !from_store {
        warnings.push(json!({
            "type": format!("{TYPE_BASE}challenge_not_issued_here"),
            "title": "The challenge was not issued by this service: its single use is the caller's to enforce",
        }));
    }
    if challenge.is_none() {
        warnings.push(json!({
            "type": format!("{TYPE_BASE}holder_binding_not_checked"),
            "title": "No challenge was given: holder binding was not checked",
        }));
    }
    let l = locale(&headers, query.as_deref());
    let v = state
        .run_verification(
            counter,
            text,
            RunOptions {
                nonce: challenge,
                audience: domain.map_or(Audience::Unchecked, Audience::Given),
                nonce_from_store: from_store,
                checks: Some(checks),
            },
        )
        .await?;
    let mut result = vc_api_result(&v, l, warnings);
    if return_presentation {
        result["verifiablePresentation"] = vp.clone();
    }
    let status = if unreadable(&v) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(respond(&v, &result, status))
}

/// `POST /challenges` (VC-API): a challenge for `options.challenge`,
/// `{"challenge": nonce}`. The same single-use nonce as `/v1/challenges`,
/// for the calling counter (a key is required: open challenges are a
/// bounded resource the counters share); `/presentations/verify` consumes it.
pub(crate) async fn create_challenge(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let counter = state.counter(&headers)?;
    let c = state.issue_challenge(&counter);
    Ok(json_no_store(
        StatusCode::OK,
        &json!({ "challenge": c.nonce }),
    ))
}

/// `POST /credentials/issue` `{"credential": {…}, "options": {"format":
/// "sd-jwt"|"jwt"}}` → 201 `{"verifiableCredential": <enveloped>}`. Only
/// with a configured issuer, and only with the issuer's API key.
pub(crate) async fn issue_credential(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Some(issuer) = state.0.issuer.as_ref() else {
        return Err(Problem::not_found(
            "this service is not configured to issue credentials",
        ));
    };
    state.check_issuer_key(&headers)?;
    let req = json_object(&state, body)?;
    let options = options(&req, &["type", "cryptosuite", "format"])?;
    let credential = match req.get("credential") {
        Some(Value::Object(o)) => o.clone(),
        _ => return Err(Problem::bad_request("\"credential\" must be an object")),
    };
    let format = issue_format(&options)?;
    let credential_type = credential
        .get("type")
        .and_then(|t| match t {
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "VerifiableCredential")
                .map(str::to_owned),
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .ok_or_else(|| Problem::bad_request("credential.type must name the credential type"))?;
    let mut claims = match credential.get("credentialSubject") {
        Some(Value::Object(s)) => s.clone(),
        _ => {
            return Err(Problem::bad_request(
                "credential.credentialSubject must be an object",
            ));
        }
    };
    let holder = match claims.remove("id") {
        None => None,
        Some(Value::String(d)) => Some(
            Did::parse(&d)
                .map_err(|_| Problem::bad_request("credentialSubject.id must be a DID"))?,
        ),
        Some(_) => return Err(Problem::bad_request("credentialSubject.id must be a DID")),
    };
    let time = |k: &str| -> Result<Option<stele_core::time::Timestamp>, Problem> {
        credential
            .get(k)
            .and_then(Value::as_str)
            .map(|t| {
                stele_core::time::Timestamp::parse_rfc3339(t)
                    .map_err(|_| Problem::bad_request(format!("credential.{k} must be RFC 3339")))
            })
            .transpose()
    };
    let valid_from = time("validFrom")?;
    let valid_until = time("validUntil")?;
    let now = state.now();
    let issue_err = |e: stele_core::credential::issuer::IssueError| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "issue_refused",
            "The credential cannot be issued",
        )
        .detail(e.to_string())
    };
    let token = match issuer {
        IssuerState::Key(key) => {
            let req = IssueRequest {
                credential_type: &credential_type,
                claims,
                holder,
                valid_from,
                valid_until,
                format,
                status: None,
            };
            Issuer::with_did_key(key)
                .issue(&req, now, &mut rand_core::OsRng)
                .map_err(issue_err)?
        }
        IssuerState::Agency { path, lock } => {
            let _guard = lock.lock().await;
            let path = path.clone();
            let ct = credential_type.clone();
            tokio::task::spawn_blocking(move || -> Result<String, Problem> {
                let mut agency =
                    crate::state::read_agency(&path).map_err(|_| Problem::internal())?;
                let did = Did::parse(&agency.did()).map_err(|_| Problem::internal())?;
                let entries = agency.allocate_status().map_err(|e| {
                    Problem::new(
                        StatusCode::CONFLICT,
                        "status_exhausted",
                        "No status index is left",
                    )
                    .detail(e.to_string())
                })?;
                let status = match format {
                    CredentialFormat::SdJwt => stele_core::status::sd_jwt_status_claim(&entries),
                    CredentialFormat::Jwt
                    | CredentialFormat::DataIntegrityJcs
                    | CredentialFormat::DataIntegrityRdfc => {
                        stele_core::status::credential_status(&entries)
                    }
                };
                let key = agency.signing_key().ok_or_else(Problem::internal)?;
                let req = IssueRequest {
                    credential_type: &ct,
                    claims,
                    holder,
                    valid_from,
                    valid_until,
                    format,
                    status: Some(status),
                };
                let token = Issuer::new(&key.key, did, key.kid.clone())
                    .issue(&req, now, &mut rand_core::OsRng)
                    .map_err(issue_err)?;
                // The allocated index is on disk before the credential leaves.
                crate::files::write_secret(&path, agency.to_json().as_bytes())
                    .map_err(|_| Problem::internal())?;
                Ok(token)
            })
            .await
            .map_err(|_| Problem::internal())??
        }
    };
    let credential = match format {
        CredentialFormat::SdJwt | CredentialFormat::Jwt => {
            let media = if format == CredentialFormat::SdJwt {
                "application/dc+sd-jwt"
            } else {
                "application/vc+jwt"
            };
            json!({
                "@context": VCDM2,
                "type": "EnvelopedVerifiableCredential",
                "id": format!("data:{media},{token}"),
            })
        }
        // A Data Integrity credential is the JSON document itself.
        CredentialFormat::DataIntegrityJcs | CredentialFormat::DataIntegrityRdfc => {
            serde_json::from_str(&token).map_err(|_| Problem::internal())?
        }
    };
    Ok(json_no_store(
        StatusCode::CREATED,
        &json!({ "verifiableCredential": credential }),
    ))
}

/// The securing mechanism `options` select: a Data Integrity proof
/// (`{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022" |
/// "eddsa-jcs-2022"}`), or `options.format` (`sd-jwt`, default, or `jwt`).
fn issue_format(options: &Map<String, Value>) -> Result<CredentialFormat, Problem> {
    match options.get("type").and_then(Value::as_str) {
        Some("DataIntegrityProof") => {
            return match options.get("cryptosuite").and_then(Value::as_str) {
                Some("eddsa-rdfc-2022") => Ok(CredentialFormat::DataIntegrityRdfc),
                Some("eddsa-jcs-2022") => Ok(CredentialFormat::DataIntegrityJcs),
                _ => Err(Problem::bad_request(
                    "options.cryptosuite must be eddsa-rdfc-2022 or eddsa-jcs-2022",
                )),
            };
        }
        Some(_) => {
            return Err(Problem::bad_request(
                "options.type must be DataIntegrityProof",
            ));
        }
        None => {}
    }
    let name = options
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("sd-jwt");
    CredentialFormat::from_name(name).ok_or_else(|| {
        Problem::bad_request("options.format must be sd-jwt, jwt, di-jcs or di-rdfc")
    })
}
