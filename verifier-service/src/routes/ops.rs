//! Operations: liveness, readiness, metrics and the API description.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::problem::Problem;
use crate::state::AppState;

/// The OpenAPI 3.1 description of every route (`schemas/verifier-openapi.json`).
pub const OPENAPI: &str = include_str!("../../../schemas/verifier-openapi.json");

/// `GET /healthz`: the process answers.
pub(crate) async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        json!({"status": "ok"}).to_string(),
    )
        .into_response()
}

/// `GET /readyz`: the chain answers, the contracts are there and the node
/// is not catching up (`eth_syncing`); 503 otherwise.
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Response, Problem> {
    let chain = state.chain();
    let registry = state.deployment().did_registry;
    let probe = tokio::task::spawn_blocking(move || {
        let block = chain.block_number()?;
        let code = chain.code(registry)?;
        let syncing = chain.syncing()?;
        Ok::<_, stele_registry::ChainError>((block, !code.is_empty(), syncing))
    })
    .await
    .map_err(|_| Problem::internal())?;
    match probe {
        // A node still catching up may not show the latest revocations.
        Ok((_, _, true)) => {
            Err(
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
                    .detail("the chain node is still syncing: revocations may not be visible yet"),
            )
        }
        Ok((block, true, false)) => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            json!({"status": "ready", "block": block}).to_string(),
        )
            .into_response()),
        Ok((_, false, false)) => {
            Err(
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
                    .detail("the chain has no DID registry at the configured address"),
            )
        }
        Err(_) => {
            state.metrics().chain_error();
            Err(
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
                    .detail("the chain node cannot be reached"),
            )
        }
    }
}

/// `GET /metrics`: Prometheus text exposition.
pub(crate) async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if !state.config().access.public_metrics {
        state.counter(&headers)?;
    }
    let text = state.metrics().render(state.cache_snapshot());
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
