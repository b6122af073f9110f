//! The HTTP routes. [`ROUTES`] lists every route the service itself serves
//! (the clerk's page adds its own); `schemas/verifier-openapi.json`
//! describes exactly these, which a test checks.

mod counter;
mod did;
mod ops;
mod status;
mod vcapi;

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};
use stele_core::json::{self, JsonError, JsonLimits};

use crate::locale::Locale;
use crate::problem::Problem;
use crate::state::AppState;

/// Every (method, path template) the service's own router serves.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/challenges"),
    ("GET", "/v1/challenges/{nonce}/qr.svg"),
    ("GET", "/v1/challenges/{nonce}/qr.png"),
    ("POST", "/v1/verify"),
    ("POST", "/credentials/verify"),
    ("POST", "/presentations/verify"),
    ("POST", "/challenges"),
    ("POST", "/credentials/issue"),
    ("GET", "/1.0/identifiers/{did}"),
    ("GET", "/status/{issuer}/{list}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
];

/// The service's router over `state`: the API routes, the clerk's page,
/// limits (body size, concurrency, timeout) and request logging without
/// personal data.
pub fn router(state: AppState) -> Router {
    let limits = state.config().limits.clone();
    let api: Router<AppState> = Router::new()
        .route("/v1/challenges", post(counter::create_challenge))
        .route("/v1/challenges/{nonce}/qr.svg", get(counter::challenge_svg))
        .route("/v1/challenges/{nonce}/qr.png", get(counter::challenge_png))
        .route("/v1/verify", post(counter::verify))
        .route("/credentials/verify", post(vcapi::verify_credential))
        .route("/presentations/verify", post(vcapi::verify_presentation))
        .route("/challenges", post(vcapi::create_challenge))
        .route("/credentials/issue", post(vcapi::issue_credential))
        .route("/1.0/identifiers/{did}", get(did::resolve))
        .route("/status/{issuer}/{list}", get(status::status_list))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi));
    // The clerk's page (verifier-service/src/page.rs, built separately):
    let app = api.merge(crate::page::routes());
    let semaphore =
        std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent_requests));
    app.fallback(|| async { Problem::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            (state.clone(), semaphore),
            guard,
        ))
        .with_state(state)
}

/// Reason codes a handler attaches to its response for the request log.
#[derive(Debug, Clone, Default)]
pub struct LoggedReasons(pub Vec<&'static str>);

/// Concurrency limit, timeout, metrics and the request log line.
async fn guard(
    State((state, semaphore)): State<(AppState, std::sync::Arc<tokio::sync::Semaphore>)>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    // A `Method` and a `MatchedPath` (an `Arc<str>`) are cheap to clone.
    let method = req.method().clone();
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("<unmatched>", MatchedPath::as_str);
    let timeout = Duration::from_millis(state.config().limits.request_timeout_ms);
    let response = match tokio::time::timeout(timeout, async {
        let _permit = semaphore.acquire().await;
        next.run(req).await
    })
    .await
    {
        Ok(r) => r,
        Err(_) => Problem::timeout().into_response(),
    };
    let status = response.status().as_u16();
    state.metrics().request(method.as_str(), route, status);
    if state.config().log_requests {
        let reasons = response
            .extensions()
            .get::<LoggedReasons>()
            .map(|r| r.0.join(","))
            .unwrap_or_default();
        eprintln!(
            "stele-verifier: {method} {route} {status} {:.1}ms{}{reasons}",
            started.elapsed().as_secs_f64() * 1e3,
            if reasons.is_empty() { "" } else { " reasons=" },
        );
    }
    response
}

/// A JSON request body as an object, under the configured limits.
pub(crate) fn json_object(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, Problem> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::too_large()
        } else {
            Problem::bad_request("the request body could not be read")
        }
    })?;
    let limits = JsonLimits {
        max_bytes: state.config().limits.max_body_bytes,
        max_depth: state.config().limits.max_json_depth,
    };
    json::parse_object(&bytes, limits).map_err(|e| match e {
        JsonError::TooLarge { .. } => Problem::too_large(),
        JsonError::TooDeep { .. } => Problem::new(
            StatusCode::BAD_REQUEST,
            "resource_limit",
            "The request nests JSON too deeply",
        ),
        other => Problem::bad_request(format!("the body is not a JSON object: {other}")),
    })
}

/// The locale of a request: `?lang=`, else `Accept-Language`, else English.
pub(crate) fn locale(headers: &HeaderMap, query: Option<&str>) -> Locale {
    if let Some(q) = query {
        for pair in q.split('&') {
            if let Some(l) = pair.strip_prefix("lang=").and_then(Locale::from_tag) {
                return l;
            }
        }
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::from_accept_language)
        .unwrap_or_default()
}

/// A JSON response with `status` and `Cache-Control: no-store` (verdicts
/// carry claims: no cache may keep them).
pub(crate) fn json_no_store(status: StatusCode, v: &Value) -> Response {
    let mut r = (status, v.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
