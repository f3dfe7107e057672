//! The supply-chain map over HTTP: who makes what for whom, planned and
//! delivered, for the map page and its table.

use axum::extract::State;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use stigmergy_core::{AgentId, DesignId, ErrorBody, FieldErrors, FlowKind, FlowMap};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(flows))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FlowQuery {
    /// Only this coalition's needs and members.
    coalition: Option<String>,
    /// Only flows of this design.
    design: Option<String>,
    /// `planned`, `delivered` or `all` (the default).
    state: Option<String>,
    /// Only flows that changed on or after this date (`2026-11-01`).
    since: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    let mut fields = FieldErrors::new();
    fields.add(field, message);
    AppError::invalid(fields)
}

/// Agents by role and flows from provider to receiver: planned (active
/// claims) and delivered (confirmed transfers), with where each goes.
#[utoipa::path(get, path = "/api/flows", tag = "live", params(FlowQuery),
    responses(
        (status = 200, description = "Agents and flows", body = FlowMap),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
    ))]
async fn flows(
    State(state): State<AppState>,
    Query(query): Query<FlowQuery>,
) -> AppResult<Json<FlowMap>> {
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let coalition = filled(&query.coalition)
        .map(|c| AgentId::parse(&c).map_err(|m| invalid("coalition", m)))
        .transpose()?;
    let design = filled(&query.design)
        .map(|d| DesignId::parse(&d).map_err(|m| invalid("design", m)))
        .transpose()?;
    let kind = match filled(&query.state).as_deref() {
        None | Some("all") => None,
        Some("planned") => Some(FlowKind::Planned),
        Some("delivered") => Some(FlowKind::Delivered),
        Some(_) => return Err(invalid("state", "The state is planned, delivered or all.")),
    };
    let since = filled(&query.since)
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Utc.from_utc_datetime(&t))
                .ok_or_else(|| invalid("since", "Give a date like 2026-11-01."))
        })
        .transpose()?;
    let mut map = state
        .store
        .flow_map(coalition.as_ref(), design.as_ref(), since)
        .await?;
    if let Some(kind) = kind {
        map.flows.retain(|f| f.kind == kind);
    }
    Ok(Json(map))
}
