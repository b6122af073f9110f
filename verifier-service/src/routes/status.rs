//! `GET /status/{issuer}/{list}`: the signed `BitstringStatusListCredential`
//! of an issuer this service publishes for (the configured agency). The
//! bits are the list as published on the chain, so what this route serves
//! and what verifiers sync from the chain never disagree.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use stele_core::status::{StatusListCredentialParams, issue_status_list_credential};

use crate::problem::Problem;
use crate::state::{AppState, IssuerState};

/// How long a served list credential is valid.
const LIST_VALIDITY_SECS: i64 = 3600;

/// `GET /status/{issuer}/{list}`: `list` is the last segment of the list's
/// URL (`revocation-1`, `suspension-1`).
pub(crate) async fn status_list(
    State(state): State<AppState>,
    Path((issuer, list)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let Some(IssuerState::Agency { path, .. }) = state.0.issuer.as_ref() else {
        return Err(Problem::not_found("this service publishes no status lists"));
    };
    let path = path.clone();
    let s = state.clone();
    let now = state.now();
    let answer = tokio::task::spawn_blocking(move || -> Result<String, Problem> {
        let agency = crate::state::read_agency(&path).map_err(|_| Problem::internal())?;
        if agency.did() != issuer {
            return Err(Problem::not_found(
                "no status lists are published here for this issuer",
            ));
        }
        let entry = agency
            .lists
            .iter()
            .find(|l| l.url.rsplit('/').next() == Some(list.as_str()))
            .ok_or_else(|| Problem::not_found("no such status list"))?;
        let published =
            s.0.status_reader
                .list(agency.address(), &entry.url, now)
                .map_err(|e| {
                    s.metrics().chain_error();
                    Problem::could_not_check(format!("the published list could not be read: {e}"))
                })?;
        let key = agency.signing_key().ok_or_else(Problem::internal)?;
        issue_status_list_credential(
            &key.key,
            &StatusListCredentialParams {
                issuer_did: &agency.did(),
                kid: &key.kid,
                list_url: &entry.url,
                purpose: entry.purpose,
                valid_from: now,
                valid_until: now.plus(LIST_VALIDITY_SECS),
            },
            &published,
        )
        .map_err(|_| Problem::internal())
    })
    .await
    .map_err(|_| Problem::internal())??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+jwt"),
            (header::CACHE_CONTROL, "max-age=60"),
        ],
        answer,
    )
        .into_response())
}
