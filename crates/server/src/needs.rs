//! Needs over HTTP (VF `Intent`s): declaring one, its open remainder, pages
//! of them, the gap signal, and a coalition's answer to a need asked of it.
//! Everyone reads; writing needs an account.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use stigmergy_core::{AgentId, AskDecision, ErrorBody, Gaps, Need, NeedInput, Page, RawNeedQuery};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::access::{acting_as, require_steward};
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path, Query};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_needs, create_need))
        .routes(routes!(get_need))
        .routes(routes!(list_gaps))
        .routes(routes!(decide_ask))
}

pub(crate) fn no_need(id: u64) -> impl Fn(StoreError) -> AppError {
    move |error| match error {
        StoreError::NotFound => AppError::NotFound(format!("There is no need number {id}.")),
        other => other.into(),
    }
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
    let receiver = acting_as(
        &state,
        &auth,
        input.receiver.as_ref(),
        "receiver",
        "declare needs for it",
    )
    .await?;
    let need = state
        .store
        .create_need(&input, &receiver, &auth.handle, Utc::now().trunc_subsecs(3))
        .await?;
    Ok((StatusCode::CREATED, Json(need)))
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
