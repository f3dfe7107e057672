//! The supply-chain map over HTTP: who makes what for whom, planned and
//! delivered, for the map page and its table.

use axum::extract::State;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

use stigmergy_core::{
    AgentId, Chain, ChainLink, ChainNode, DesignId, ErrorBody, FlowKind, FlowMap,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Query, filled};
use crate::store::FlowFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(flows))
        .routes(routes!(chain))
        .routes(routes!(map_settings))
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
    /// Only this need's flows, with just the agents they touch (what a live
    /// map asks for when the need changes).
    need: Option<u64>,
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
    let coalition = filled(&query.coalition)
        .map(|c| AgentId::parse(&c).map_err(|m| AppError::field("coalition", m)))
        .transpose()?;
    let design = filled(&query.design)
        .map(|d| DesignId::parse(&d).map_err(|m| AppError::field("design", m)))
        .transpose()?;
    let kind = match filled(&query.state).as_deref() {
        None | Some("all") => None,
        Some("planned") => Some(FlowKind::Planned),
        Some("delivered") => Some(FlowKind::Delivered),
        Some(_) => {
            return Err(AppError::field(
                "state",
                "The state is planned, delivered or all.",
            ));
        }
    };
    let since = filled(&query.since)
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Utc.from_utc_datetime(&t))
                .ok_or_else(|| AppError::field("since", "Give a date like 2026-11-01."))
        })
        .transpose()?;
    let filter = FlowFilter {
        coalition,
        design,
        need: query.need,
        since,
        ..FlowFilter::default()
    };
    let mut map = state.store.flow_map(&filter).await?;
    if let Some(kind) = kind {
        map.flows.retain(|f| f.kind == kind);
    }
    Ok(Json(map))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ChainQuery {
    /// The design whose chain to draw.
    design: Option<String>,
    /// Or the one need whose chain to draw.
    need: Option<u64>,
}

/// The supply chain of a design or a need: the makers of its claims and
/// deliveries, whom they make for, and who supplied those makers with
/// materials (resource needs they declared). Links are summed per pair
/// and per planned or delivered.
#[utoipa::path(get, path = "/api/chains", tag = "live", params(ChainQuery),
    responses(
        (status = 200, description = "Nodes in three columns, and links", body = Chain),
        (status = 400, description = "Neither a design nor a need", body = ErrorBody),
    ))]
async fn chain(
    State(state): State<AppState>,
    Query(query): Query<ChainQuery>,
) -> AppResult<Json<Chain>> {
    let design = match (&query.design, query.need) {
        (Some(d), None) => Some(DesignId::parse(d).map_err(|m| AppError::field("design", m))?),
        (None, Some(_)) => None,
        _ => {
            return Err(AppError::field(
                "design",
                "Ask for the chain of one design or one need.",
            ));
        }
    };
    // Two narrow reads: the flows of the design or need, then the
    // materials flowing to its makers. Never the whole map.
    let made = state
        .store
        .flow_map(&FlowFilter {
            design: design.clone(),
            need: design.is_none().then_some(query.need).flatten(),
            flows_only: true,
            ..FlowFilter::default()
        })
        .await?
        .flows;
    let makers: Vec<AgentId> = made
        .iter()
        .map(|f| f.provider.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let supplied = state
        .store
        .flow_map(&FlowFilter {
            supplying: Some(makers),
            flows_only: true,
            ..FlowFilter::default()
        })
        .await?
        .flows;
    let mut nodes: Vec<ChainNode> = Vec::new();
    let mut placed: HashSet<(AgentId, u8)> = HashSet::new();
    let mut links: Vec<ChainLink> = Vec::new();
    let mut linked: HashMap<(AgentId, AgentId, FlowKind, String), usize> = HashMap::new();
    for (flows, from_column) in [(&supplied, 0u8), (&made, 1u8)] {
        for flow in flows.iter() {
            for (id, name, column) in [
                (&flow.provider, &flow.provider_name, from_column),
                (&flow.receiver, &flow.receiver_name, from_column + 1),
            ] {
                if placed.insert((id.clone(), column)) {
                    nodes.push(ChainNode {
                        id: id.clone(),
                        name: name.clone(),
                        column,
                    });
                }
            }
            let key = (
                flow.provider.clone(),
                flow.receiver.clone(),
                flow.kind,
                flow.what.clone(),
            );
            match linked.get(&key) {
                Some(&at) => links[at].quantity += flow.quantity,
                None => {
                    linked.insert(key, links.len());
                    links.push(ChainLink {
                        from: flow.provider.clone(),
                        to: flow.receiver.clone(),
                        what: flow.what.clone(),
                        quantity: flow.quantity,
                        unit: flow.unit,
                        kind: flow.kind,
                    });
                }
            }
        }
    }
    Ok(Json(Chain { nodes, links }))
}

/// How the map page draws its background.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct MapSettings {
    /// A tile URL template (`{z}/{x}/{y}`), or null for the built-in offline
    /// country outlines alone.
    tiles: Option<String>,
}

/// The map page's settings: the deployment's tile server, if it has one.
#[utoipa::path(get, path = "/api/map", tag = "live",
    responses((status = 200, description = "The map's settings", body = MapSettings)))]
async fn map_settings(State(state): State<AppState>) -> Json<MapSettings> {
    Json(MapSettings {
        tiles: state.map_tiles.clone(),
    })
}
