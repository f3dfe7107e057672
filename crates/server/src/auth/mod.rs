//! Accounts: register, sign in and out, who am I, personal API tokens.
//!
//! Security measures, each tested in `tests/api/auth.rs`:
//! argon2id hashes; common passwords refused; a fresh session id at every
//! sign-in (the old one is dropped); HttpOnly, SameSite=Lax cookies, Secure
//! when configured; idle and absolute expiry checked on the server; sign-out
//! deletes the session on the server; a CSRF header on cookie writes;
//! API tokens stored hashed, shown once, revocable, optionally expiring;
//! failed sign-ins limited per account and per address; with secure cookies,
//! a `__Host-` cookie name and HSTS; `Cache-Control: no-store` on answers
//! with personal data or secrets. A person's own password and sessions are
//! in [`own_account`], tested in `tests/api/own_account.rs`.

pub mod access;
pub mod hashing;
pub mod own_account;
pub mod password;
pub mod session;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, SubsecRound, Utc};
use stigmergy_core::{
    AgentId, ErrorBody, FieldErrors, LoginInput, Me, NewToken, RegisterInput, TokenInput,
    TokenSummary,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path};
use crate::store::NewAccount;
use session::{
    Auth, Credential, clear_cookie, hash_secret, new_secret, session_cookie, session_token,
};

/// Failed sign-ins are counted over this window…
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
/// …and refused past this many for one account…
pub const FAILURES_PER_ACCOUNT: u64 = 10;
/// …or this many from one address.
pub const FAILURES_PER_ADDRESS: u64 = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .merge(own_account::router())
}

/// `Cache-Control: no-store`, for answers no cache (the browser's, a
/// proxy's) should keep: personal data, secrets, session lists.
pub const NO_STORE: [(header::HeaderName, &str); 1] = [(header::CACHE_CONTROL, "no-store")];

/// What failed sign-ins (and wrong current passwords) of an account are
/// counted under.
pub(crate) fn failures_key(account: &str) -> String {
    format!("account:{account}")
}

/// The 429 once the failures in [`FAILURE_WINDOW`] reach their limit.
pub(crate) fn locked_out(what: &str) -> AppError {
    AppError::TooManyRequests {
        message: format!("{what} Wait 15 minutes, then try again."),
        retry_after_seconds: FAILURE_WINDOW.num_seconds() as u64,
    }
}

/// The address the request came from: the TCP peer, or, when the peer is
/// a trusted proxy (`STIGMERGY_TRUSTED_PROXY`), the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Anyone can write
/// that header, so it is never believed from anyone else.
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddress(peer.map(|peer| {
            client_address(peer, &parts.headers, &state.trusted_proxies)
        })))
    }
}

/// See [`ClientAddress`].
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

/// Starts a new session for `handle`, ending the one the request carried:
/// a fresh id at every sign-in, so a planted id is worth nothing. Every
/// sign-in also deletes the sessions past their limits, anyone's: they
/// could never be used again, and the store keeps no more than it must.
async fn start_session(
    state: &AppState,
    handle: &AgentId,
    headers: &HeaderMap,
) -> AppResult<HeaderMap> {
    if let Some(previous) = session_token(headers, state.secure_cookies) {
        state.store.delete_session(&hash_secret(previous)).await?;
    }
    let token = new_secret()?;
    let now = Utc::now().trunc_subsecs(3);
    state.store.purge_sessions(now, now - session::IDLE).await?;
    state
        .store
        .create_session(&hash_secret(&token), handle, now, now + session::ABSOLUTE)
        .await?;
    let mut out = HeaderMap::new();
    out.insert(
        header::SET_COOKIE,
        session_cookie(&token, state.secure_cookies),
    );
    Ok(out)
}

/// Sign-ups are counted per client address over this window…
pub const SIGN_UP_WINDOW: Duration = Duration::hours(1);

/// Creates an account (and its person agent) and signs it in. Each client
/// address may attempt so many sign-ups an hour (20 unless configured,
/// `STIGMERGY_SIGN_UPS_PER_HOUR`): every one that passes the form checks
/// counts, whether it then succeeds or not, except one turned away because
/// the server was busy (503), which is turned away before it is counted.
#[utoipa::path(post, path = "/api/auth/register", tag = "accounts", request_body = RegisterInput,
    responses(
        (status = 201, description = "Registered and signed in (session cookie set)", body = Me),
        (status = 400, description = "A field is invalid, or the password too common", body = ErrorBody),
        (status = 409, description = "The handle or email address is taken", body = ErrorBody),
        (status = 429, description = "`rate_limited`: this address has attempted as many sign-ups in the last hour as it may; nothing was written; see Retry-After", body = ErrorBody),
        (status = 503, description = "`unavailable`: the server is checking as many passwords as it does at once and this one's turn did not come (nothing was written or counted), or the database is not answering; see Retry-After", body = ErrorBody),
    ))]
async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Json(input): Json<RegisterInput>,
) -> AppResult<Response> {
    input.validate().map_err(AppError::invalid)?;
    let handle = AgentId::parse(input.handle.trim()).map_err(|e| {
        let mut fields = FieldErrors::new();
        fields.add("handle", e);
        AppError::invalid(fields)
    })?;
    let turn = state.hashing.turn().await?;
    // Counted before the password work, atomically: of many attempts at
    // once from one address, no more get through than the limit allows.
    if let Some(address) = address {
        let limit = state.sign_ups_per_hour;
        let now = Utc::now().trunc_subsecs(3);
        let begun = state
            .store
            .begin_sign_up(&address.to_string(), limit, now, now - SIGN_UP_WINDOW)
            .await?;
        if !begun {
            return Err(AppError::TooManyRequests {
                message: format!(
                    "At most {limit} sign-ups an hour may come from one address; try again later."
                ),
                retry_after_seconds: SIGN_UP_WINDOW.num_seconds() as u64,
            });
        }
    }
    let (secret, who, email) = (input.password.clone(), handle.clone(), input.email.clone());
    let password_hash = turn
        .run(move || {
            password::check_guessability(&secret, who.as_str(), &email)
                .map(|()| password::hash(&secret))
        })
        .await?
        .map_err(|why| AppError::field("password", why))??;
    let now = Utc::now().trunc_subsecs(3);
    state
        .store
        .create_account(&NewAccount {
            handle: &handle,
            name: input.display_name(),
            email: &input.email,
            password_hash: &password_hash,
            now,
        })
        .await?;
    let cookie = start_session(&state, &handle, &headers).await?;
    let me = state.store.me(&handle).await?;
    Ok((StatusCode::CREATED, cookie, Json(me)).into_response())
}

/// Signs in with a handle or email address and a password.
#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in (a new session cookie set)", body = Me),
        (status = 401, description = "The login and password do not match", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins; see Retry-After", body = ErrorBody),
        (status = 503, description = "`unavailable`: the server is checking as many passwords as it does at once and this one's turn did not come, or the database is not answering; see Retry-After", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Json(input): Json<LoginInput>,
) -> AppResult<Response> {
    // The turn first: a sign-in turned away as busy counts as no attempt.
    let turn = state.hashing.turn().await?;
    let now = Utc::now().trunc_subsecs(3);
    let since = now - FAILURE_WINDOW;
    let account = state.store.account_for_login(&input.login).await?;
    let account_key = match &account {
        Some(account) => failures_key(account.handle.as_str()),
        None => failures_key(&input.login.trim().to_lowercase()),
    };
    let address_key = address.map(|ip| format!("address:{ip}"));
    // Counted before the check, atomically: of many checks at once, no
    // more are made than the limits allow.
    let mut limits = vec![(account_key.clone(), FAILURES_PER_ACCOUNT)];
    limits.extend(address_key.clone().map(|key| (key, FAILURES_PER_ADDRESS)));
    if !state
        .store
        .begin_password_check(&limits, now, since)
        .await?
    {
        return Err(locked_out("Too many failed sign-ins."));
    }

    let (handle, stored) = match account {
        Some(account) => (Some(account.handle), account.password_hash),
        None => (None, password::DUMMY_HASH.clone()),
    };
    let secret = input.password.clone();
    let matches = turn.run(move || password::verify(&secret, &stored)).await?;
    match handle.filter(|_| matches) {
        Some(handle) => {
            state.store.clear_login_failures(&account_key).await?;
            if let Some(key) = &address_key {
                state.store.forgive_password_check(key, now).await?;
            }
            let cookie = start_session(&state, &handle, &headers).await?;
            let me = state.store.me(&handle).await?;
            Ok((cookie, Json(me)).into_response())
        }
        None => Err(AppError::Unauthenticated(
            "That handle or email and password do not match an account.".into(),
        )),
    }
}

/// Signs out: the session ends on the server and the cookie is cleared.
#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    responses((status = 204, description = "Signed out (also when nobody was signed in)")))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(token) = session_token(&headers, state.secure_cookies) {
        state.store.delete_session(&hash_secret(token)).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie(state.secure_cookies))],
    )
        .into_response())
}

/// The signed-in person (`Cache-Control: no-store`).
#[utoipa::path(get, path = "/api/me", tag = "accounts",
    responses(
        (status = 200, description = "The signed-in person; `Cache-Control: no-store`", body = Me),
        (status = 401, description = "Nobody is signed in, or the API token is not valid or has expired", body = ErrorBody),
    ))]
async fn me(State(state): State<AppState>, auth: Auth) -> AppResult<Response> {
    Ok((NO_STORE, Json(state.store.me(&auth.handle).await?)).into_response())
}

/// Managing the account (tokens, password, sessions) needs the person
/// signed in to the portal, not a token; the session's token hash.
fn signed_in_person(auth: &Auth) -> AppResult<&str> {
    match &auth.credential {
        Credential::Session(token_hash) => Ok(token_hash),
        Credential::ApiToken => Err(AppError::Forbidden(
            "API tokens cannot manage the account (its tokens, password or sessions); sign in to the portal to do that.".into(),
        )),
    }
}

/// The signed-in person's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/me/tokens", tag = "accounts",
    responses(
        (status = 200, description = "Tokens not revoked (expired ones too, with their `expires_at`), newest first; `Cache-Control: no-store`", body = Vec<TokenSummary>),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Asked with an API token, which cannot manage tokens", body = ErrorBody),
    ))]
async fn list_tokens(State(state): State<AppState>, auth: Auth) -> AppResult<Response> {
    signed_in_person(&auth)?;
    Ok((NO_STORE, Json(state.store.list_tokens(&auth.handle).await?)).into_response())
}

/// Creates a personal API token; the response is the only time its secret
/// is shown (`Cache-Control: no-store`). It may carry an expiry, at most
/// 366 days ahead, after which it is refused with 401.
#[utoipa::path(post, path = "/api/me/tokens", tag = "accounts", request_body = TokenInput,
    responses(
        (status = 201, description = "The new token, with its secret; `Cache-Control: no-store`", body = NewToken),
        (status = 400, description = "The name is missing or too long (`fields.name`), or the expiry is not a date, not in the future or more than 366 days ahead (`fields.expires_at`)", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Asked with an API token, which cannot mint tokens", body = ErrorBody),
    ))]
async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    Json(input): Json<TokenInput>,
) -> AppResult<Response> {
    signed_in_person(&auth)?;
    let now = Utc::now().trunc_subsecs(3);
    let expires_at = input.check(now).map_err(AppError::invalid)?;
    let token = format!("{}{}", session::TOKEN_PREFIX, new_secret()?);
    let id: String = new_secret()?
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    let summary = state
        .store
        .create_token(
            &auth.handle,
            &id,
            &input.name,
            &hash_secret(&token),
            now,
            expires_at,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        NO_STORE,
        Json(NewToken { summary, token }),
    )
        .into_response())
}

/// Revokes one of the signed-in person's tokens, at once.
#[utoipa::path(delete, path = "/api/me/tokens/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Asked with an API token, which cannot revoke tokens", body = ErrorBody),
        (status = 404, description = "You have no such token", body = ErrorBody),
    ))]
async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    signed_in_person(&auth)?;
    state
        .store
        .revoke_token(&auth.handle, &id, Utc::now())
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => {
                AppError::NotFound("You have no token with that id.".into())
            }
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
