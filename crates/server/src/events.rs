//! Economic events over HTTP (VF `EconomicEvent`s): what confirmed
//! deliveries recorded, append-only.

use axum::extract::State;
use serde::Deserialize;
use stigmergy_core::{AgentId, EconomicEvent, ErrorBody};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_economic_events))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventQuery {
    /// Events of this coalition's needs.
    coalition: Option<String>,
    /// Events fulfilling this claim.
    claim: Option<u64>,
    /// Events after this id (for paging and catching up).
    after: Option<u64>,
    /// At most this many, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Economic events (VF `EconomicEvent`), append-only, oldest first.
#[utoipa::path(get, path = "/api/economic-events", tag = "needs", params(EventQuery),
    responses(
        (status = 200, description = "The events", body = Vec<EconomicEvent>),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
    ))]
async fn list_economic_events(
    State(state): State<AppState>,
    Query(query): Query<EventQuery>,
) -> AppResult<Json<Vec<EconomicEvent>>> {
    let coalition = query
        .coalition
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| AgentId::parse(c).map_err(|message| AppError::field("coalition", message)))
        .transpose()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::field("limit", "The limit is from 1 to 500."));
    }
    // Claims are numbered within i64; a larger number names none (and the
    // store would say not found for the whole list).
    if query
        .claim
        .is_some_and(|claim| i64::try_from(claim).is_err())
    {
        return Err(AppError::field("claim", "No claim has that number."));
    }
    Ok(Json(
        state
            .store
            .economic_events(
                coalition.as_ref(),
                query.claim,
                query.after.unwrap_or(0),
                limit,
            )
            .await?,
    ))
}
