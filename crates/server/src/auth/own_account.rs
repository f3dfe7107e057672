//! A person's own account: changing the password, and seeing and ending
//! their sessions. Only the person signed in to the portal may do these,
//! never an API token; every answer listing sessions is `no-store`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{SubsecRound, Utc};
use stigmergy_core::ErrorBody;
use stigmergy_core::account::{PasswordChange, SessionInfo};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::session::{self, Auth, clear_cookie, session_id};
use super::{
    FAILURE_WINDOW, FAILURES_PER_ACCOUNT, NO_STORE, failures_key, locked_out, password,
    signed_in_person,
};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(change_password))
        .routes(routes!(list_sessions))
        .routes(routes!(end_session))
        .routes(routes!(end_other_sessions))
}

/// Changes the signed-in person's password. The current password is
/// required; the new one meets the registration rules. Every other session
/// of the account ends; this one stays signed in. (API tokens are not
/// revoked: they are revoked one by one.)
///
/// A wrong current password is a 400 naming `current_password`, and counts
/// as a failed sign-in of the account: past 10 in 15 minutes, 429.
#[utoipa::path(put, path = "/api/me/password", tag = "accounts", request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every other session of the account ended"),
        (status = 400, description = "The current password is missing or wrong (`fields.current_password`), or the new one is too short, too long, unchanged or too common (`fields.new_password`)", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Asked with an API token, which cannot change the password", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords for this account; see Retry-After", body = ErrorBody),
    ))]
async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<PasswordChange>,
) -> AppResult<StatusCode> {
    let keep = signed_in_person(&auth)?.to_owned();
    let mut fields = input.validate().err().unwrap_or_default();
    if fields.get("new_password").is_none() {
        let me = state.store.me(&auth.handle).await?;
        let secret = input.new_password.clone();
        let guessable = state
            .hashing
            .run(move || password::check_guessability(&secret, me.handle.as_str(), &me.email))
            .await?;
        if let Err(why) = guessable {
            fields.add("new_password", why);
        }
    }
    if !fields.is_empty() {
        return Err(AppError::invalid(fields));
    }

    let now = Utc::now().trunc_subsecs(3);
    let since = now - FAILURE_WINDOW;
    let account_key = failures_key(auth.handle.as_str());
    let limits = [(account_key.clone(), FAILURES_PER_ACCOUNT)];
    if !state
        .store
        .begin_password_check(&limits, now, since)
        .await?
    {
        return Err(locked_out("Too many wrong passwords."));
    }
    let stored = state
        .store
        .account_for_login(auth.handle.as_str())
        .await?
        .ok_or_else(|| AppError::NotFound("Your account is gone.".into()))?
        .password_hash;
    let current = input.current_password.clone();
    if !state
        .hashing
        .run(move || password::verify(&current, &stored))
        .await?
    {
        return Err(AppError::field(
            "current_password",
            "That is not your current password.",
        ));
    }
    let new = input.new_password.clone();
    let hash = state.hashing.run(move || password::hash(&new)).await??;
    state.store.set_password(&auth.handle, &hash, &keep).await?;
    state.store.clear_login_failures(&account_key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in person's live sessions, newest first, the one asking
/// marked `current`. Never a session's secret or its hash.
#[utoipa::path(get, path = "/api/me/sessions", tag = "accounts",
    responses(
        (status = 200, description = "Live sessions, newest first; `Cache-Control: no-store`", body = Vec<SessionInfo>),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Asked with an API token, which cannot see sessions", body = ErrorBody),
    ))]
async fn list_sessions(State(state): State<AppState>, auth: Auth) -> AppResult<Response> {
    let current = signed_in_person(&auth)?;
    let now = Utc::now();
    let sessions: Vec<SessionInfo> = state
        .store
        .sessions_of(&auth.handle)
        .await?
        .into_iter()
        .filter(|s| session::is_live(s.last_seen_at, s.expires_at, now))
        .map(|s| SessionInfo {
            id: session_id(&s.token_hash),
            created_at: s.created_at.into(),
            last_seen_at: s.last_seen_at.into(),
            expires_at: s.expires_at.into(),
            current: s.token_hash == current,
        })
        .collect();
    Ok((NO_STORE, Json(sessions)).into_response())
}

/// Ends one of the signed-in person's sessions (signs that browser out).
/// Ending the current one signs out here too, clearing the cookie.
#[utoipa::path(delete, path = "/api/me/sessions/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The session's id, from `GET /api/me/sessions`")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Asked with an API token, which cannot end sessions", body = ErrorBody),
        (status = 404, description = "You have no session with that id", body = ErrorBody),
    ))]
async fn end_session(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let current = signed_in_person(&auth)?.to_owned();
    let not_found = || AppError::NotFound("You have no session with that id.".into());
    let token_hash = state
        .store
        .sessions_of(&auth.handle)
        .await?
        .into_iter()
        .map(|s| s.token_hash)
        .find(|hash| session_id(hash) == id)
        .ok_or_else(not_found)?;
    state
        .store
        .delete_session_of(&auth.handle, &token_hash)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => not_found(),
            other => other.into(),
        })?;
    let mut headers = HeaderMap::new();
    if token_hash == current {
        headers.insert(header::SET_COOKIE, clear_cookie(state.secure_cookies));
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Signs out everywhere else: every session of the signed-in person but
/// the one asking ends.
#[utoipa::path(post, path = "/api/me/sessions/end-others", tag = "accounts",
    responses(
        (status = 204, description = "Every other session ended (also when there was none)"),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Asked with an API token, which cannot end sessions", body = ErrorBody),
    ))]
async fn end_other_sessions(State(state): State<AppState>, auth: Auth) -> AppResult<StatusCode> {
    let current = signed_in_person(&auth)?;
    state
        .store
        .delete_other_sessions(&auth.handle, current)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
