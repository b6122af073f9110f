//! The counter flow: challenges (JSON, QR payload, SVG, PNG) and `/v1/verify`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stele_core::qr::{Challenge, MAX_NONCE_CHARS, MIN_NONCE_CHARS, QrMatrix};
use stele_core::verify::Verdict;

use super::{LoggedReasons, json_no_store, json_object, locale};
use crate::locale::{Locale, localize_message};
use crate::problem::Problem;
use crate::state::{AppState, RunOptions};

/// The JSON answer to `POST /v1/challenges`.
pub(crate) fn challenge_json(c: &Challenge) -> Result<Value, Problem> {
    let payload = c.to_qr_payload();
    let svg = QrMatrix::new(&payload)
        .map_err(|_| Problem::internal())?
        .to_svg();
    Ok(json!({
        "nonce": c.nonce,
        "verifier": c.verifier,
        "expires": c.expires.to_rfc3339(),
        "types": c.credential_types,
        "claims": c.claims,
        "qr_payload": payload,
        "qr_svg": svg,
        "qr_svg_url": format!("/v1/challenges/{}/qr.svg", c.nonce),
        "qr_png_url": format!("/v1/challenges/{}/qr.png", c.nonce),
    }))
}

/// `POST /v1/challenges`: a fresh challenge for the calling counter.
pub(crate) async fn create_challenge(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let counter = state.counter(&headers)?;
    let c = state.issue_challenge(&counter);
    let body = challenge_json(&c)?;
    let mut r = json_no_store(StatusCode::CREATED, &body);
    if let Ok(loc) = HeaderValue::from_str(&format!("/v1/challenges/{}/qr.svg", c.nonce)) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

fn open_matrix(state: &AppState, nonce: &str) -> Result<QrMatrix, Problem> {
    let open = state
        .open_challenge(nonce)
        .ok_or_else(|| Problem::not_found("no open challenge with this nonce"))?;
    QrMatrix::new(&open.challenge.to_qr_payload()).map_err(|_| Problem::internal())
}

/// `GET /v1/challenges/{nonce}/qr.svg`: the open challenge's QR code. The
/// nonce (144 random bits) is the capability; an `<img>` sends no API key.
pub(crate) async fn challenge_svg(
    State(state): State<AppState>,
    Path(nonce): Path<String>,
) -> Result<Response, Problem> {
    let m = open_matrix(&state, &nonce)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        m.to_svg(),
    )
        .into_response())
}

/// `GET /v1/challenges/{nonce}/qr.png`: the same as a PNG.
pub(crate) async fn challenge_png(
    State(state): State<AppState>,
    Path(nonce): Path<String>,
) -> Result<Response, Problem> {
    let m = open_matrix(&state, &nonce)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        crate::png::qr_png(&m, 8),
    )
        .into_response())
}

/// A verdict's JSON with its reason messages in `locale`.
pub(crate) fn localized_verdict(v: &Verdict, l: Locale) -> Value {
    let mut j = v.to_json();
    if let Some(reasons) = j.get_mut("reasons").and_then(Value::as_array_mut) {
        for (out, r) in reasons.iter_mut().zip(&v.reasons) {
            out["message"] = Value::String(localize_message(l, r.code, &r.message));
        }
    }
    j
}

/// A response carrying a verdict: 200, no-store, its locale, and its reason
/// codes for the request log.
pub(crate) fn verdict_response(v: &Verdict, body: &Value, l: Locale) -> Response {
    let mut r = json_no_store(StatusCode::OK, body);
    r.headers_mut()
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(l.tag()));
    r.extensions_mut().insert(LoggedReasons(
        v.reasons.iter().map(|r| r.code.as_str()).collect(),
    ));
    r
}

fn valid_nonce(n: &str) -> bool {
    (MIN_NONCE_CHARS..=MAX_NONCE_CHARS).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `POST /v1/verify` `{"payload": "<scanned text>", "challenge": "<nonce>"?}`.
pub(crate) async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let counter = state.counter(&headers)?;
    let req = json_object(&state, body)?;
    let payload = match req.get("payload") {
        Some(Value::String(p)) if !p.trim().is_empty() => p.clone(),
        _ => {
            return Err(Problem::bad_request(
                "\"payload\" must be a non-empty string",
            ));
        }
    };
    if req.keys().any(|k| k != "payload" && k != "challenge") {
        return Err(Problem::bad_request(
            "unknown member: only \"payload\" and \"challenge\" are accepted",
        ));
    }
    let nonce = match req.get("challenge") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if valid_nonce(n) => Some(n.clone()),
        Some(_) => {
            return Err(Problem::bad_request(
                "\"challenge\" must be a nonce: 16-128 base64url characters",
            ));
        }
    };
    if nonce.is_none() && counter.require_holder_binding {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "challenge_required",
            "This counter requires a challenge (holder binding); a quick check is not allowed",
        ));
    }
    let l = locale(&headers, query.as_deref());
    let verdict = state
        .run_verification(
            counter,
            payload,
            RunOptions {
                nonce,
                nonce_from_store: true,
                ..RunOptions::default()
            },
        )
        .await?;
    if !verdict.reasons.is_empty() {
        return Ok(verdict_response(
            &verdict,
            &localized_verdict(&verdict, l),
            l,
        ));
    }
    // No reason to localise: serialise the verdict directly, without the
    // intermediate `Value` tree (the same bytes: `to_json` is `to_value`).
    let body = serde_json::to_vec(&verdict).map_err(|_| Problem::internal())?;
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(l.tag()));
    r.extensions_mut().insert(LoggedReasons::default());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stele_core::verify::verdict::{
        Check, CheckName, Format, HolderBindingStatus, Outcome, Verdict,
    };

    use super::*;

    /// The direct serialisation `verify` answers a verified verdict with is
    /// byte for byte the localised `Value` of the other routes.
    #[test]
    fn direct_verdict_bytes_equal_the_localized_json() {
        let mut claims = serde_json::Map::new();
        claims.insert("given_name".into(), json!("Ana"));
        claims.insert("address".into(), json!({"city": "Köln", "zip": "50667"}));
        let v = Verdict {
            verified: true,
            format: Some(Format::DcSdJwt),
            issuer: Some("did:ethr:0x1".into()),
            types: vec!["ResidencePermitCredential".into()],
            claims,
            valid_from: Some("2026-01-01T00:00:00Z".into()),
            valid_until: None,
            holder_binding: HolderBindingStatus::Verified,
            checks: vec![Check {
                name: CheckName::Parse,
                outcome: Outcome::Passed,
                reason: None,
            }],
            reasons: Vec::new(),
        };
        for l in [
            Locale::default(),
            Locale::from_tag("de").unwrap_or_default(),
        ] {
            assert_eq!(
                serde_json::to_vec(&v).unwrap(),
                localized_verdict(&v, l).to_string().into_bytes()
            );
        }
    }
}
