//! `GET /1.0/identifiers/{did}`: the DID Resolution HTTP binding.
//!
//! `Accept: application/did-resolution` (or the older
//! `application/ld+json;profile="https://w3id.org/did-resolution"`, or
//! none, or `*/*`) gets the resolution result; `application/did+ld+json`,
//! `application/did+json`, `application/ld+json` or `application/json` get
//! the document alone. Status codes: 200; 400 `invalidDid`; 404 `notFound`;
//! 406 `representationNotSupported`; 410 for a deactivated DID (with its
//! result); 501 `methodNotSupported`; 503 when the source is unreachable;
//! 500 otherwise. Errors are problem details carrying the resolution
//! metadata (`didResolutionMetadata.error`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stele_core::did::{Did, DidError, DidResolver, ResolutionOptions};

use crate::problem::Problem;
use crate::state::AppState;

/// The media type of a resolution result.
pub const DID_RESOLUTION: &str = "application/did-resolution";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Representation {
    Result,
    Document(&'static str),
}

fn negotiate(headers: &HeaderMap) -> Option<Representation> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Representation::Result);
    };
    for item in accept.split(',') {
        let item = item.trim().to_ascii_lowercase();
        let media = item.split(';').next().unwrap_or_default().trim();
        let result = media == DID_RESOLUTION
            || (media == "application/ld+json" && item.contains("w3id.org/did-resolution"));
        if result || media == "*/*" || media == "application/*" {
            return Some(Representation::Result);
        }
        match media {
            "application/did+ld+json" | "application/ld+json" => {
                return Some(Representation::Document("application/did+ld+json"));
            }
            "application/did+json" | "application/json" => {
                return Some(Representation::Document("application/did+json"));
            }
            _ => {}
        }
    }
    None
}

fn error_problem(status: StatusCode, code: &'static str, error: &str, message: &str) -> Problem {
    let title: &'static str = match code {
        "invalid_did" => "The DID is not valid",
        "not_found" => "The DID was not found",
        "method_not_supported" => "This DID method is not supported here",
        "representation_not_supported" => "The requested representation is not supported",
        "could_not_check" => "The DID's source is unavailable",
        _ => "The DID could not be resolved",
    };
    Problem::new(status, code, title)
        .detail(message)
        .extra(json!({
            "didDocument": Value::Null,
            "didDocumentMetadata": {},
            "didResolutionMetadata": { "error": error, "errorMessage": message },
        }))
}

/// `GET /1.0/identifiers/{did}`.
pub(crate) async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(did): Path<String>,
) -> Result<Response, Problem> {
    if !state.config().access.public_did_resolution {
        state.counter(&headers)?;
    }
    let Some(repr) = negotiate(&headers) else {
        return Err(error_problem(
            StatusCode::NOT_ACCEPTABLE,
            "representation_not_supported",
            "representationNotSupported",
            "supported: application/did-resolution, application/did+ld+json, application/did+json",
        ));
    };
    let did = Did::parse(&did).map_err(|e| {
        error_problem(
            StatusCode::BAD_REQUEST,
            "invalid_did",
            "invalidDid",
            &e.to_string(),
        )
    })?;
    let resolver = state.resolver();
    let result =
        tokio::task::spawn_blocking(move || resolver.resolve(&did, &ResolutionOptions::default()))
            .await
            .map_err(|_| Problem::internal())?;
    let resolution = match result {
        Ok(r) => r,
        Err(e) => {
            let (status, code) = match &e {
                DidError::InvalidDid(_) => (StatusCode::BAD_REQUEST, "invalid_did"),
                DidError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
                DidError::MethodNotSupported(_) => {
                    (StatusCode::NOT_IMPLEMENTED, "method_not_supported")
                }
                DidError::Unavailable(_) => {
                    state.metrics().chain_error();
                    (StatusCode::SERVICE_UNAVAILABLE, "could_not_check")
                }
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            };
            return Err(error_problem(
                status,
                code,
                e.resolution_error_code(),
                &e.to_string(),
            ));
        }
    };
    let status = if resolution.is_deactivated() {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    let (body, content_type) = match repr {
        Representation::Result => {
            let mut v = resolution.to_resolution_result();
            if let Some(m) = v
                .get_mut("didResolutionMetadata")
                .and_then(Value::as_object_mut)
            {
                if resolution.is_deactivated() {
                    m.insert("error".into(), Value::String("deactivated".into()));
                }
            }
            (v, DID_RESOLUTION)
        }
        Representation::Document(ct) => (
            serde_json::to_value(&resolution.document).map_err(|_| Problem::internal())?,
            ct,
        ),
    };
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Representation::Result));
        assert_eq!(
            negotiate(&accept(DID_RESOLUTION)),
            Some(Representation::Result)
        );
        assert_eq!(
            negotiate(&accept(
                "application/ld+json;profile=\"https://w3id.org/did-resolution\""
            )),
            Some(Representation::Result)
        );
        assert_eq!(
            negotiate(&accept("application/did+ld+json")),
            Some(Representation::Document("application/did+ld+json"))
        );
        assert_eq!(
            negotiate(&accept("text/html, application/did+json;q=0.5")),
            Some(Representation::Document("application/did+json"))
        );
        assert_eq!(negotiate(&accept("text/html")), None);
    }
}
