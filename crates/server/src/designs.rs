//! The design commons' read API.

use axum::extract::State;
use stigmergy_core::{
    Design, DesignId, DesignQuery, DesignSummary, ErrorBody, Facets, Page, RawDesignQuery,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path, Query};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_designs))
        .routes(routes!(get_design))
        .routes(routes!(list_facets))
}

/// Searches and filters the commons, a page at a time, ordered by name.
#[utoipa::path(get, path = "/api/designs", tag = "designs",
    params(RawDesignQuery),
    responses(
        (status = 200, description = "One page of matching designs", body = Page<DesignSummary>),
        (status = 400, description = "A parameter is invalid; `fields` names it", body = ErrorBody),
    ))]
async fn list_designs(
    State(state): State<AppState>,
    Query(raw): Query<RawDesignQuery>,
) -> AppResult<Json<Page<DesignSummary>>> {
    let query: DesignQuery = raw.parse().map_err(AppError::invalid)?;
    Ok(Json(state.store.list_designs(&query).await?))
}

/// A whole design: bill of materials, contributors and lineage.
#[utoipa::path(get, path = "/api/designs/{id}", tag = "designs",
    params(("id" = String, Path, description = "The design's id")),
    responses(
        (status = 200, description = "The design", body = Design),
        (status = 404, description = "No design has this id", body = ErrorBody),
    ))]
async fn get_design(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Design>> {
    let not_found = || {
        AppError::NotFound(format!(
            "There is no design with the id \u{201c}{id}\u{201d}."
        ))
    };
    // An id that cannot be valid cannot exist either.
    let design_id = DesignId::parse(&id).map_err(|_| not_found())?;
    match state.store.get_design(&design_id).await {
        Err(StoreError::NotFound) => Err(not_found()),
        other => Ok(Json(other?)),
    }
}

/// Every licence, process kind, material and tag in use, with how many
/// designs use each: the values the commons can be filtered by.
#[utoipa::path(get, path = "/api/facets", tag = "designs",
    responses((status = 200, description = "Filter values with counts", body = Facets)))]
async fn list_facets(State(state): State<AppState>) -> AppResult<Json<Facets>> {
    Ok(Json(state.store.facets().await?))
}
