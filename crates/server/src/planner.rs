//! The allocation planner over HTTP, for a coalition's stewards.

use axum::extract::State;
use stigmergy_core::{AgentId, CoalitionPlan, ErrorBody, NeedQuery, NeedState, PlanRow};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::access::require_steward;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(coalition_plan))
}

/// The allocation planner for a coalition's stewards: its open needs
/// assigned to its members' spare weekly capacity (rate − what they have
/// committed), most units made first, least total distance second.
#[utoipa::path(get, path = "/api/coalitions/{id}/plan", tag = "needs",
    params(("id" = String, Path, description = "The coalition")),
    responses(
        (status = 200, description = "The plan, by need", body = CoalitionPlan),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Only stewards plan", body = ErrorBody),
        (status = 404, description = "No such coalition", body = ErrorBody),
    ))]
async fn coalition_plan(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<CoalitionPlan>> {
    use stigmergy_core::planner::{PlanCapacity, PlanNeed, plan};
    let id = AgentId::parse(&id)
        .map_err(|_| AppError::NotFound(format!("There is no coalition \u{201c}{id}\u{201d}.")))?;
    let coalition = state.store.organization(&id).await.map_err(|e| match e {
        StoreError::NotFound => {
            AppError::NotFound(format!("There is no coalition \u{201c}{id}\u{201d}."))
        }
        other => other.into(),
    })?;
    require_steward(&state, &id, &auth.handle, "plan its allocations").await?;
    let mut needs = Vec::new();
    let mut query = NeedQuery {
        coalition: Some(id.clone()),
        state: Some(NeedState::Open),
        limit: 100,
        ..NeedQuery::default()
    };
    loop {
        let page = state.store.list_needs(&query).await?;
        needs.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    let mut capacities = Vec::new();
    for member in &coalition.members {
        capacities.extend(
            state
                .store
                .capacities_of(std::slice::from_ref(&member.agent.id))
                .await?,
        );
    }
    let plan_needs: Vec<PlanNeed> = needs
        .iter()
        .map(|n| PlanNeed {
            id: n.id,
            lat: n.place.lat,
            lon: n.place.lon,
            quantity: n.remainder.floor().max(0.0) as u64,
            processes: n.processes.clone(),
        })
        .collect();
    let plan_capacities: Vec<PlanCapacity> = capacities
        .iter()
        .map(|c| PlanCapacity {
            id: c.id,
            lat: c.place.lat,
            lon: c.place.lon,
            radius_km: c.radius_km,
            rate: (c.rate - c.committed).floor().max(0.0) as u64,
            processes: c.processes.clone(),
        })
        .collect();
    let result = tokio::task::spawn_blocking(move || plan(&plan_needs, &plan_capacities))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let rows = result
        .assignments
        .iter()
        .filter_map(|a| {
            let need = needs.iter().find(|n| n.id == a.need)?;
            let capacity = capacities.iter().find(|c| c.id == a.capacity)?;
            Some(PlanRow {
                need: a.need,
                what: need.what.clone(),
                need_place: need.place.name.clone(),
                capacity: a.capacity,
                provider: capacity.provider.name.clone(),
                provider_place: capacity.place.name.clone(),
                quantity: a.quantity,
                distance_km: a.distance_km,
            })
        })
        .collect();
    Ok(Json(CoalitionPlan {
        rows,
        needs: needs.len() as u64,
        capacities: capacities.len() as u64,
        assigned: result.assigned,
        unassigned: result.unassigned,
        total_distance_km: result.total_distance_km,
    }))
}
