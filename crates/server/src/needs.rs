//! The stigmergic signals over HTTP: needs and their open remainder,
//! capacity, claims and each step of a claim's life, the gap signal, and
//! the economic events confirmed deliveries record. Everyone reads;
//! writing needs an account, and each claim step only its party.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDate, SubsecRound, Utc};
use serde::Deserialize;
use stigmergy_core::matching::{MAKERS_LIMIT, fit};
use stigmergy_core::unit::to_milli;
use stigmergy_core::{
    AgentId, AskDecision, Capacity, CapacityInput, Claim, ClaimAction, ClaimInput, CoalitionPlan,
    DesignId, EconomicEvent, ErrorBody, Gaps, MakerMatch, MembershipRole, Need, NeedInput,
    NeedMatch, NeedQuery, NeedState, Page, Party, PlanRow, RawCapacityQuery, RawNeedQuery,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path, Query};
use crate::organizations::require_steward;
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_needs, create_need))
        .routes(routes!(get_need))
        .routes(routes!(list_gaps))
        .routes(routes!(list_claims, create_claim))
        .routes(routes!(get_claim))
        .routes(routes!(act_on_claim))
        .routes(routes!(my_claims))
        .routes(routes!(list_capacities, create_capacity))
        .routes(routes!(list_economic_events))
        .routes(routes!(makers_for_need))
        .routes(routes!(my_matches))
        .routes(routes!(coalition_plan))
        .routes(routes!(decide_ask))
}

fn no_need(id: u64) -> impl Fn(StoreError) -> AppError {
    move |error| match error {
        StoreError::NotFound => AppError::NotFound(format!("There is no need number {id}.")),
        other => other.into(),
    }
}

fn no_claim(id: u64) -> impl Fn(StoreError) -> AppError {
    move |error| match error {
        StoreError::NotFound => AppError::NotFound(format!("There is no claim number {id}.")),
        other => other.into(),
    }
}

/// Who acts: the sender, or an organization they steward.
async fn acting_as(
    state: &AppState,
    auth: &Auth,
    on_behalf: Option<&AgentId>,
    field: &str,
    doing: &str,
) -> AppResult<AgentId> {
    match on_behalf {
        None => Ok(auth.handle.clone()),
        Some(id) if *id == auth.handle => Ok(id.clone()),
        Some(id) => {
            state.store.organization(id).await.map_err(|e| match e {
                StoreError::NotFound => {
                    AppError::field(field, format!("There is no organization {id}."))
                }
                other => other.into(),
            })?;
            require_steward(state, id, &auth.handle, doing).await?;
            Ok(id.clone())
        }
    }
}

/// Refuses a date that is not a real calendar date, or one in the past.
fn check_not_past(field: &str, date: &str, label: &str) -> AppResult<()> {
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| AppError::field(field, format!("{label} must be a date like 2026-12-24.")))?;
    if date < Utc::now().date_naive() {
        return Err(AppError::field(field, format!("{label} is in the past.")));
    }
    Ok(())
}

/// Declares a need: a design (in pieces) or a resource, how much, by when
/// and where, optionally asked of a coalition. Asked by an active member
/// (or for an organization that is one), it is the coalition's at once;
/// asked by anyone else, it waits for a steward to accept it
/// (`asked_of.state` is `asked`) and counts for nobody meanwhile.
#[utoipa::path(post, path = "/api/needs", tag = "needs", request_body = NeedInput,
    responses(
        (status = 201, description = "The new need", body = Need),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "You do not steward the receiver", body = ErrorBody),
    ))]
async fn create_need(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<NeedInput>,
) -> AppResult<(StatusCode, Json<Need>)> {
    input.validate().map_err(AppError::invalid)?;
    check_not_past("due", &input.due, "The due date")?;
    if let Some(coalition) = &input.coalition {
        let is_coalition = state
            .store
            .organization(coalition)
            .await
            .ok()
            .is_some_and(|o| o.coalition_licences.is_some());
        if !is_coalition {
            return Err(AppError::field(
                "coalition",
                format!("There is no coalition {coalition}."),
            ));
        }
    }
    let receiver = acting_as(
        &state,
        &auth,
        input.receiver.as_ref(),
        "receiver",
        "declare needs for it",
    )
    .await?;
    let id = state
        .store
        .create_need(&input, &receiver, &auth.handle, Utc::now().trunc_subsecs(3))
        .await?;
    Ok((StatusCode::CREATED, Json(state.store.need(id).await?)))
}

/// Needs with their open remainder, most urgent first; open ones unless
/// `state` says otherwise.
#[utoipa::path(get, path = "/api/needs", tag = "needs", params(RawNeedQuery),
    responses(
        (status = 200, description = "A page of needs", body = Page<Need>),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
    ))]
async fn list_needs(
    State(state): State<AppState>,
    Query(raw): Query<RawNeedQuery>,
) -> AppResult<Json<Page<Need>>> {
    let query = raw.parse().map_err(AppError::invalid)?;
    Ok(Json(state.store.list_needs(&query).await?))
}

/// One need.
#[utoipa::path(get, path = "/api/needs/{id}", tag = "needs",
    params(("id" = u64, Path, description = "The need's number")),
    responses(
        (status = 200, description = "The need", body = Need),
        (status = 404, description = "No such need", body = ErrorBody),
    ))]
async fn get_need(State(state): State<AppState>, Path(id): Path<u64>) -> AppResult<Json<Need>> {
    Ok(Json(state.store.need(id).await.map_err(no_need(id))?))
}

/// The gap signal: demand − committed − delivered, per design and per
/// region, largest first, over the needs not yet fulfilled; the 50
/// largest of each.
#[utoipa::path(get, path = "/api/needs/gaps", tag = "needs",
    responses((status = 200, description = "The gaps, at most 50 designs and 50 regions", body = Gaps)))]
async fn list_gaps(State(state): State<AppState>) -> AppResult<Json<Gaps>> {
    Ok(Json(state.store.gaps().await?))
}

/// A need's claims, oldest first.
#[utoipa::path(get, path = "/api/needs/{id}/claims", tag = "needs",
    params(("id" = u64, Path, description = "The need's number")),
    responses(
        (status = 200, description = "The claims", body = Vec<Claim>),
        (status = 404, description = "No such need", body = ErrorBody),
    ))]
async fn list_claims(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> AppResult<Json<Vec<Claim>>> {
    state.store.need(id).await.map_err(no_need(id))?;
    Ok(Json(state.store.claims_of_need(id).await?))
}

/// Claims part or all of a need's open remainder. Of concurrent claims for
/// the last units, exactly as many succeed as fit; the rest get 409.
#[utoipa::path(post, path = "/api/needs/{id}/claims", tag = "needs", request_body = ClaimInput,
    params(("id" = u64, Path, description = "The need's number")),
    responses(
        (status = 201, description = "The claim, committed", body = Claim),
        (status = 400, description = "The quantity is invalid or below the need's minimum", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Your own need, or an organization you do not steward", body = ErrorBody),
        (status = 404, description = "No such need", body = ErrorBody),
        (status = 409, description = "Less than that is left to claim", body = ErrorBody),
    ))]
async fn create_claim(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<ClaimInput>,
) -> AppResult<(StatusCode, Json<Claim>)> {
    input.validate().map_err(AppError::invalid)?;
    let need = state.store.need(id).await.map_err(no_need(id))?;
    let provider = acting_as(
        &state,
        &auth,
        input.provider.as_ref(),
        "provider",
        "claim needs for it",
    )
    .await?;
    if provider == need.receiver.id || auth.handle == need.declared_by {
        return Err(AppError::Forbidden(
            "This is a need you declared: others claim it.".into(),
        ));
    }
    let claim = state
        .store
        .create_claim(
            id,
            &provider,
            &auth.handle,
            to_milli(input.quantity),
            &input.note,
            Utc::now().trunc_subsecs(3),
        )
        .await
        .map_err(no_need(id))?;
    Ok((StatusCode::CREATED, Json(state.store.claim(claim).await?)))
}

/// One claim.
#[utoipa::path(get, path = "/api/claims/{id}", tag = "needs",
    params(("id" = u64, Path, description = "The claim's number")),
    responses(
        (status = 200, description = "The claim", body = Claim),
        (status = 404, description = "No such claim", body = ErrorBody),
    ))]
async fn get_claim(State(state): State<AppState>, Path(id): Path<u64>) -> AppResult<Json<Claim>> {
    Ok(Json(state.store.claim(id).await.map_err(no_claim(id))?))
}

/// One step of a claim's life: `start`, `deliver` or `withdraw` by the
/// maker; `confirm` or `decline` by whoever declared the need. Confirming
/// records the produce and transfer events.
#[utoipa::path(post, path = "/api/claims/{id}/{action}", tag = "needs",
    params(
        ("id" = u64, Path, description = "The claim's number"),
        ("action" = String, Path, description = "start, deliver, confirm, decline or withdraw"),
    ),
    responses(
        (status = 200, description = "The claim in its new state", body = Claim),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Not your step to take", body = ErrorBody),
        (status = 404, description = "No such claim or action", body = ErrorBody),
        (status = 409, description = "The claim's state does not allow it", body = ErrorBody),
    ))]
async fn act_on_claim(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, action)): Path<(u64, String)>,
) -> AppResult<Json<Claim>> {
    let action = ClaimAction::from_slug(&action).ok_or_else(|| {
        AppError::NotFound(format!(
            "A claim can be started, delivered, confirmed, declined or withdrawn, not \u{201c}{action}\u{201d}."
        ))
    })?;
    let claim = state.store.claim(id).await.map_err(no_claim(id))?;
    if !claim.parties(&auth.handle).contains(&action.party()) {
        return Err(AppError::Forbidden(match action.party() {
            Party::Provider => "Only the maker who made this claim can do that.".into(),
            Party::Receiver => "Only whoever declared the need can do that.".into(),
        }));
    }
    let claim = state
        .store
        .act_on_claim(id, action, Utc::now().trunc_subsecs(3))
        .await
        .map_err(no_claim(id))?;
    Ok(Json(claim))
}

/// The claims the signed-in person makes, newest first.
#[utoipa::path(get, path = "/api/me/claims", tag = "needs",
    responses(
        (status = 200, description = "Your claims", body = Vec<Claim>),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
    ))]
async fn my_claims(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Vec<Claim>>> {
    Ok(Json(state.store.claims_by(&auth.handle).await?))
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
    input.validate().map_err(AppError::invalid)?;
    if let Some(until) = &input.available_until {
        check_not_past("available_until", until, "The end")?;
    }
    let provider = acting_as(
        &state,
        &auth,
        input.provider.as_ref(),
        "provider",
        "declare capacity for it",
    )
    .await?;
    let id = state
        .store
        .create_capacity(&input, &provider, &auth.handle, Utc::now().trunc_subsecs(3))
        .await?;
    let capacity = state.store.capacity(id).await?;
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

/// A steward's answer to a need asked of the coalition: accepted, the need
/// becomes the coalition's (its gap signal, plans, map and accounts);
/// declined, it stays a need of its own, with the reason shown on it.
/// The needs waiting for an answer are `GET /api/needs?asked_of={id}&state=all`.
#[utoipa::path(post, path = "/api/coalitions/{id}/asks/{need}", tag = "needs", request_body = AskDecision,
    params(
        ("id" = String, Path, description = "The coalition"),
        ("need" = u64, Path, description = "The need's number"),
    ),
    responses(
        (status = 200, description = "Answered; the need as it is now", body = Need),
        (status = 400, description = "Declined without a reason, or the reason is too long", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Only the coalition's stewards answer", body = ErrorBody),
        (status = 404, description = "No such coalition, or the need was not asked of it", body = ErrorBody),
        (status = 409, description = "The ask was answered already", body = ErrorBody),
    ))]
async fn decide_ask(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, need)): Path<(String, u64)>,
    Json(decision): Json<AskDecision>,
) -> AppResult<Json<Need>> {
    let id = AgentId::parse(&id)
        .map_err(|_| AppError::NotFound(format!("There is no coalition \u{201c}{id}\u{201d}.")))?;
    require_steward(&state, &id, &auth.handle, "answer what is asked of it").await?;
    let need = state
        .store
        .decide_ask(
            need,
            &id,
            &decision,
            &auth.handle,
            Utc::now().trunc_subsecs(3),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound(format!(
                "Need number {need} was not asked of \u{201c}{id}\u{201d}."
            )),
            other => other.into(),
        })?;
    Ok(Json(need))
}
