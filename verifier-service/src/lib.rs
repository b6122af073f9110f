//! `stele-verifier`: the HTTP verifier service and the clerk's counter page.
//!
//! The service wraps `stele-core`'s verification pipeline and `stele-registry`'s
//! chain reads behind axum routes: the counter flow (`/v1/challenges`,
//! `/v1/verify`), VC-API, the DID Resolution HTTP binding, status lists and
//! operations endpoints. See ARCHITECTURE.md.

#![forbid(unsafe_code)]

use axum::{Router, routing::get};

/// The service's router. Built out by the service modules; for now the
/// liveness route only.
pub fn router() -> Router {
    Router::new().route("/healthz", get(|| async { "ok" }))
}
