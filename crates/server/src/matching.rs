//! Matching over HTTP: the makers who can make a need, and the needs a
//! maker can fill, by core's `fit`.

use axum::extract::State;
use stigmergy_core::matching::{MAKERS_LIMIT, fit};
use stigmergy_core::{
    DesignId, ErrorBody, MakerMatch, MembershipRole, NeedMatch, NeedQuery, NeedState,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::session::Auth;
use crate::error::AppResult;
use crate::extract::{Json, Path};
use crate::needs::no_need;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(makers_for_need))
        .routes(routes!(my_matches))
}

/// The materials a need's design uses (none for a resource need).
async fn materials_of(state: &AppState, design: Option<&DesignId>) -> AppResult<Vec<String>> {
    Ok(match design {
        Some(id) => state
            .store
            .get_design(id)
            .await?
            .bill_of_materials
            .materials(),
        None => Vec::new(),
    })
}

/// Makers who can make this: declared capacity that runs the design's
/// processes within reach, best fit first, each with its reasons; at most
/// 50, the best.
#[utoipa::path(get, path = "/api/needs/{id}/makers", tag = "needs",
    params(("id" = u64, Path, description = "The need's number")),
    responses(
        (status = 200, description = "Fitting capacity, best first, at most 50", body = Vec<MakerMatch>),
        (status = 404, description = "No such need", body = ErrorBody),
    ))]
async fn makers_for_need(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> AppResult<Json<Vec<MakerMatch>>> {
    let need = state.store.need(id).await.map_err(no_need(id))?;
    if need.remainder <= 0.0 {
        return Ok(Json(Vec::new()));
    }
    let materials = materials_of(&state, need.design.as_ref().map(|d| &d.id)).await?;
    let mut matches: Vec<MakerMatch> = state
        .store
        .capacities_for(&need)
        .await?
        .into_iter()
        .filter_map(|capacity| {
            fit(&need, &materials, &capacity).map(|fit| MakerMatch { capacity, fit })
        })
        .collect();
    matches.sort_by(|a, b| b.fit.score.total_cmp(&a.fit.score));
    matches.truncate(MAKERS_LIMIT);
    Ok(Json(matches))
}

/// Needs I can fill: open needs within reach of the capacity I (or an
/// organization I steward) declared, best fit first, at most 50.
#[utoipa::path(get, path = "/api/me/matches", tag = "needs",
    responses(
        (status = 200, description = "Fitting open needs, best first", body = Vec<NeedMatch>),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
    ))]
async fn my_matches(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Vec<NeedMatch>>> {
    let mut providers = vec![auth.handle.clone()];
    providers.extend(
        state
            .store
            .agent_profile(&auth.handle)
            .await?
            .memberships
            .into_iter()
            .filter(|m| m.role == MembershipRole::Steward)
            .map(|m| m.organization.id),
    );
    let mut capacities = Vec::new();
    for provider in &providers {
        capacities.extend(
            state
                .store
                .capacities_of(std::slice::from_ref(provider))
                .await?,
        );
    }
    if capacities.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let mut query = NeedQuery {
        state: Some(NeedState::Open),
        limit: 100,
        ..NeedQuery::default()
    };
    let mut materials = std::collections::HashMap::new();
    let mut matches = Vec::new();
    loop {
        let page = state.store.list_needs(&query).await?;
        for need in page.items {
            if providers.contains(&need.receiver.id) || need.declared_by == auth.handle {
                continue;
            }
            let key = need.design.as_ref().map(|d| d.id.clone());
            if !materials.contains_key(&key) {
                let list = materials_of(&state, key.as_ref()).await?;
                materials.insert(key.clone(), list);
            }
            let best = capacities
                .iter()
                .filter_map(|c| fit(&need, &materials[&key], c).map(|fit| (c.id, fit)))
                .max_by(|a, b| a.1.score.total_cmp(&b.1.score));
            if let Some((capacity, fit)) = best {
                matches.push(NeedMatch {
                    need,
                    capacity,
                    fit,
                });
            }
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    matches.sort_by(|a, b| b.fit.score.total_cmp(&a.fit.score));
    matches.truncate(50);
    Ok(Json(matches))
}
