//! Declared capacity over HTTP (VF `Proposal`s of offers): declaring it and
//! reading it a page at a time.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use stigmergy_core::{Capacity, CapacityInput, ErrorBody, Page, RawCapacityQuery};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::access::acting_as;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_capacities, create_capacity))
}

/// Declares capacity: processes, materials, a weekly rate, when, how far.
#[utoipa::path(post, path = "/api/capacities", tag = "needs", request_body = CapacityInput,
    responses(
        (status = 201, description = "The capacity", body = Capacity),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "You do not steward the provider", body = ErrorBody),
    ))]
async fn create_capacity(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<CapacityInput>,
) -> AppResult<(StatusCode, Json<Capacity>)> {
    let provider = acting_as(
        &state,
        &auth,
        input.provider.as_ref(),
        "provider",
        "declare capacity for it",
    )
    .await?;
    let capacity = state
        .store
        .create_capacity(&input, &provider, &auth.handle, Utc::now().trunc_subsecs(3))
        .await?;
    Ok((StatusCode::CREATED, Json(capacity)))
}

/// Declared capacity, by provider name, a page at a time: at most 100 a
/// page (50 unless `limit` says), the rest behind `next_cursor`.
#[utoipa::path(get, path = "/api/capacities", tag = "needs", params(RawCapacityQuery),
    responses(
        (status = 200, description = "A page of capacity", body = Page<Capacity>),
        (status = 400, description = "A filter, the cursor or the limit (1 to 100) is invalid", body = ErrorBody),
    ))]
async fn list_capacities(
    State(state): State<AppState>,
    Query(raw): Query<RawCapacityQuery>,
) -> AppResult<Json<Page<Capacity>>> {
    let query = raw.parse().map_err(AppError::invalid)?;
    Ok(Json(state.store.capacities(&query).await?))
}
