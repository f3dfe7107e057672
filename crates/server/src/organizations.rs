//! Agents, organizations and coalitions: profiles, creating organizations,
//! asking to join, and stewards admitting or declining members. Everyone
//! reads the member lists; only stewards admit.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use stigmergy_core::{
    AgentId, AgentProfile, Decision, ErrorBody, FieldErrors, JoinRequest, MembershipRole,
    Organization, OrganizationInput, PendingRequest, ProfileInput, slug_from_name,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::access::require_steward;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_organization))
        .routes(routes!(get_organization))
        .routes(routes!(list_coalitions))
        .routes(routes!(ask_to_join))
        .routes(routes!(list_requests))
        .routes(routes!(decide_request))
        .routes(routes!(get_agent))
        .routes(routes!(update_profile))
}

fn agent_id(id: &str, what: &str) -> AppResult<AgentId> {
    AgentId::parse(id)
        .map_err(|_| AppError::NotFound(format!("There is no {what} \u{201c}{id}\u{201d}.")))
}

fn naming<'a>(id: &'a AgentId, what: &'static str) -> impl Fn(StoreError) -> AppError + 'a {
    move |error| match error {
        StoreError::NotFound => {
            AppError::NotFound(format!("There is no {what} \u{201c}{id}\u{201d}."))
        }
        other => other.into(),
    }
}

/// Creates an organization (a coalition when it names licences); the
/// sender becomes its first steward.
#[utoipa::path(post, path = "/api/organizations", tag = "organizations", request_body = OrganizationInput,
    responses(
        (status = 201, description = "The new organization", body = Organization),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
    ))]
async fn create_organization(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<OrganizationInput>,
) -> AppResult<(StatusCode, Json<Organization>)> {
    input.validate().map_err(AppError::invalid)?;
    let id = input
        .id
        .clone()
        .or_else(|| slug_from_name(&input.name).and_then(|slug| AgentId::parse(slug.as_str()).ok()))
        .ok_or_else(|| {
            let mut fields = FieldErrors::new();
            fields.add("id", "Choose an id: lowercase letters, digits and hyphens.");
            AppError::invalid(fields)
        })?;
    let now = Utc::now().trunc_subsecs(3);
    state
        .store
        .create_organization(&id, &input, &auth.handle, now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.organization(&id).await?),
    ))
}

/// An organization, its coalition licences and its active members.
#[utoipa::path(get, path = "/api/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, description = "The organization's id")),
    responses(
        (status = 200, description = "The organization", body = Organization),
        (status = 404, description = "No organization has this id", body = ErrorBody),
    ))]
async fn get_organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Organization>> {
    let id = agent_id(&id, "organization")?;
    Ok(Json(
        state
            .store
            .organization(&id)
            .await
            .map_err(naming(&id, "organization"))?,
    ))
}

/// Every coalition with its licences and members.
#[utoipa::path(get, path = "/api/coalitions", tag = "organizations",
    responses((status = 200, description = "The coalitions, by name", body = Vec<Organization>)))]
async fn list_coalitions(State(state): State<AppState>) -> AppResult<Json<Vec<Organization>>> {
    Ok(Json(state.store.coalitions().await?))
}

/// Asks to join an organization, as yourself or as an organization you steward.
#[utoipa::path(post, path = "/api/organizations/{id}/join", tag = "organizations", request_body = JoinRequest,
    params(("id" = String, Path, description = "The organization to join")),
    responses(
        (status = 202, description = "Asked; a steward will answer"),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "You may not ask for that member", body = ErrorBody),
        (status = 404, description = "No organization has this id", body = ErrorBody),
        (status = 409, description = "Already asked, or already a member", body = ErrorBody),
    ))]
async fn ask_to_join(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(request): Json<JoinRequest>,
) -> AppResult<StatusCode> {
    let id = agent_id(&id, "organization")?;
    state
        .store
        .organization(&id)
        .await
        .map_err(naming(&id, "organization"))?;
    let member = request.member.unwrap_or_else(|| auth.handle.clone());
    if member != auth.handle {
        state
            .store
            .organization(&member)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::Forbidden(
                    "You can ask for yourself or for an organization you steward.".into(),
                ),
                other => other.into(),
            })?;
        require_steward(&state, &member, &auth.handle, "ask for it to join").await?;
    }
    if member == id {
        let mut fields = FieldErrors::new();
        fields.add("member", "An organization cannot join itself.");
        return Err(AppError::invalid(fields));
    }
    state
        .store
        .request_membership(&id, &member, &auth.handle, Utc::now().trunc_subsecs(3))
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Requests waiting for an answer (stewards only).
#[utoipa::path(get, path = "/api/organizations/{id}/requests", tag = "organizations",
    params(("id" = String, Path, description = "The organization")),
    responses(
        (status = 200, description = "Waiting requests, oldest first", body = Vec<PendingRequest>),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Only stewards see requests", body = ErrorBody),
    ))]
async fn list_requests(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<PendingRequest>>> {
    let id = agent_id(&id, "organization")?;
    state
        .store
        .organization(&id)
        .await
        .map_err(naming(&id, "organization"))?;
    require_steward(&state, &id, &auth.handle, "see requests to join").await?;
    Ok(Json(state.store.pending_requests(&id).await?))
}

/// Approves or declines a request to join (stewards only).
#[utoipa::path(post, path = "/api/organizations/{id}/requests/{member}", tag = "organizations", request_body = Decision,
    params(
        ("id" = String, Path, description = "The organization"),
        ("member" = String, Path, description = "The agent that asked"),
    ),
    responses(
        (status = 200, description = "Decided; the organization as it is now", body = Organization),
        (status = 403, description = "Only stewards decide", body = ErrorBody),
        (status = 404, description = "No such waiting request", body = ErrorBody),
    ))]
async fn decide_request(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, member)): Path<(String, String)>,
    Json(decision): Json<Decision>,
) -> AppResult<Json<Organization>> {
    let id = agent_id(&id, "organization")?;
    state
        .store
        .organization(&id)
        .await
        .map_err(naming(&id, "organization"))?;
    require_steward(&state, &id, &auth.handle, "admit or decline members").await?;
    let member = agent_id(&member, "request from")?;
    let role = decision
        .approve
        .then(|| decision.role.unwrap_or(MembershipRole::Member));
    state
        .store
        .decide_request(
            &id,
            &member,
            role,
            &auth.handle,
            Utc::now().trunc_subsecs(3),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                AppError::NotFound(format!("{member} has no request waiting here."))
            }
            other => other.into(),
        })?;
    Ok(Json(state.store.organization(&id).await?))
}

/// Any agent (person or organization) and the organizations it belongs to.
#[utoipa::path(get, path = "/api/agents/{id}", tag = "organizations",
    params(("id" = String, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The agent", body = AgentProfile),
        (status = 404, description = "No agent has this id", body = ErrorBody),
    ))]
async fn get_agent(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<AgentProfile>> {
    let id = agent_id(&id, "agent")?;
    Ok(Json(
        state
            .store
            .agent_profile(&id)
            .await
            .map_err(naming(&id, "agent"))?,
    ))
}

/// Updates the signed-in person's name, note and place.
#[utoipa::path(put, path = "/api/me/profile", tag = "organizations", request_body = ProfileInput,
    responses(
        (status = 200, description = "The profile as saved", body = AgentProfile),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
    ))]
async fn update_profile(
    State(state): State<AppState>,
    auth: Auth,
    Json(profile): Json<ProfileInput>,
) -> AppResult<Json<AgentProfile>> {
    profile.validate().map_err(AppError::invalid)?;
    state.store.update_profile(&auth.handle, &profile).await?;
    Ok(Json(state.store.agent_profile(&auth.handle).await?))
}
