//! Claims over HTTP: a maker claims part or all of a need's open remainder
//! and takes each step of the claim's life; only the claim's parties act.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use stigmergy_core::{Claim, ClaimAction, ClaimInput, ErrorBody, Party};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::access::acting_as;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path};
use crate::needs::no_need;
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_claims, create_claim))
        .routes(routes!(get_claim))
        .routes(routes!(act_on_claim))
        .routes(routes!(my_claims))
}

fn no_claim(id: u64) -> impl Fn(StoreError) -> AppError {
    move |error| match error {
        StoreError::NotFound => AppError::NotFound(format!("There is no claim number {id}.")),
        other => other.into(),
    }
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
    let provider = acting_as(
        &state,
        &auth,
        input.provider.as_ref(),
        "provider",
        "claim needs for it",
    )
    .await?;
    let claim = state
        .store
        .create_claim(
            id,
            &input,
            &provider,
            &auth.handle,
            Utc::now().trunc_subsecs(3),
        )
        .await
        .map_err(no_need(id))?;
    Ok((StatusCode::CREATED, Json(claim)))
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
