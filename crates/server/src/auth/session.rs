//! Who is asking: sessions in an HttpOnly cookie for the browser, personal
//! API tokens (`Authorization: Bearer …`) for other software, and the CSRF
//! rule for cookie-authenticated writes.

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use stigmergy_core::AgentId;

use crate::AppState;
use crate::error::AppError;

/// The session cookie's name over plain HTTP…
pub const COOKIE: &str = "stigmergy_session";
/// …and with secure cookies: the `__Host-` prefix makes the browser refuse
/// it unless it is `Secure`, for `Path=/` and without a `Domain`, so no
/// sibling subdomain can plant or shadow it.
pub const SECURE_COOKIE: &str = "__Host-stigmergy_session";
/// The header the app sends with every write; a cross-site form or script
/// cannot set it without a CORS preflight, which this server never grants.
pub const CSRF_HEADER: &str = "x-stigmergy-csrf";
/// A session ends after this long without a request (ASVS 3.3.2, level 2)…
pub const IDLE: Duration = Duration::minutes(30);
/// …and this long after sign-in, whatever happens.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// Activity is written down at most this often per session.
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// Personal API tokens start with this, so leaked ones are easy to spot.
pub const TOKEN_PREFIX: &str = "stg_";

/// A new random secret: 256 bits, URL-safe.
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a secret.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The session cookie's name: [`SECURE_COOKIE`] when cookies are secure.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { COOKIE }
}

/// The `Set-Cookie` value that stores a session in the browser.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        ABSOLUTE.num_seconds()
    );
    HeaderValue::from_str(&value).expect("a cookie of URL-safe characters")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("a static cookie")
}

/// The session token the request's cookies carry, if any, under the name
/// the `secure` setting gives the cookie (and no other).
pub fn session_token(headers: &HeaderMap, secure: bool) -> Option<&str> {
    let wanted = cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A session's public id: the first 16 hex digits of the SHA-256 of its
/// token hash. It names the session in the owner's list without giving
/// away the hash (let alone the token), and needs no column of its own.
pub fn session_id(token_hash: &str) -> String {
    let mut id = hash_secret(token_hash);
    id.truncate(16);
    id
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Whether a session last seen at `last_seen_at` and ending at
/// `expires_at` still signs its person in at `now`: neither idle for
/// [`IDLE`] nor past its absolute limit.
pub fn is_live(last_seen_at: DateTime<Utc>, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < expires_at && now - last_seen_at < IDLE
}

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; holds the hash of its token.
    Session(String),
    ApiToken,
}

/// The signed-in agent. As an extractor it answers 401 when nobody is.
#[derive(Debug, Clone)]
pub struct Auth {
    pub handle: AgentId,
    pub credential: Credential,
}

fn unauthenticated(message: &str) -> AppError {
    AppError::Unauthenticated(message.to_owned())
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Auth>, AppError> {
    // A layer in front (the idempotency guard) may have looked already.
    if let Some(auth) = parts.extensions.get::<Auth>() {
        return Ok(Some(auth.clone()));
    }
    authenticate_headers(&parts.headers, state).await
}

/// Who the request's credential (API token or session cookie) signs in, if
/// anyone; an error for a token that is not valid.
pub(crate) async fn authenticate_headers(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<Auth>, AppError> {
    let now = Utc::now();
    if let Some(token) = bearer_token(headers) {
        let owner = state.store.token_owner(&hash_secret(token), now).await?;
        return match owner {
            Some(owner) if owner.expired(now) => Err(unauthenticated(
                "That API token has expired; create a new one on your account page.",
            )),
            Some(owner) => Ok(Some(Auth {
                handle: owner.handle,
                credential: Credential::ApiToken,
            })),
            None => Err(unauthenticated(
                "That API token is not valid; it may have been revoked.",
            )),
        };
    }
    let Some(token) = session_token(headers, state.secure_cookies) else {
        return Ok(None);
    };
    let token_hash = hash_secret(token);
    let Some(session) = state.store.session(&token_hash).await? else {
        return Ok(None);
    };
    if !is_live(session.last_seen_at, session.expires_at, now) {
        state.store.delete_session(&token_hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_EVERY {
        state.store.touch_session(&token_hash, now).await?;
    }
    Ok(Some(Auth {
        handle: session.handle,
        credential: Credential::Session(token_hash),
    }))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state)
            .await?
            .ok_or_else(|| unauthenticated("Sign in first."))
    }
}

impl OptionalFromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        authenticate(parts, state).await
    }
}

/// Refuses API writes that rely on the cookie but lack the CSRF header.
/// Bearer-token requests carry no ambient credential and are exempt.
pub async fn csrf_guard(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let api = request.uri().path().starts_with("/api/");
    let headers = request.headers();
    if safe || !api || bearer_token(headers).is_some() || headers.contains_key(CSRF_HEADER) {
        return next.run(request).await;
    }
    AppError::BadRequest {
        status: StatusCode::FORBIDDEN,
        code: "csrf",
        message: format!(
            "Writes from a browser must send the {CSRF_HEADER} header (the Stigmergy app does)."
        ),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_is_read_from_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; stigmergy_session=abc123; x=1"),
        );
        assert_eq!(session_token(&headers, false), Some("abc123"));
        assert_eq!(session_token(&headers, true), None, "not the secure name");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("stigmergy_session="),
        );
        assert_eq!(session_token(&headers, false), None);
    }

    #[test]
    fn secure_cookies_use_the_host_prefix_and_are_read_only_by_that_name() {
        let cookie = session_cookie("tok", true);
        let cookie = cookie.to_str().unwrap();
        assert!(
            cookie.starts_with("__Host-stigmergy_session=tok;"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain"), "{cookie}");
        assert!(
            clear_cookie(true)
                .to_str()
                .unwrap()
                .starts_with("__Host-stigmergy_session=;")
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("stigmergy_session=old; __Host-stigmergy_session=new"),
        );
        assert_eq!(session_token(&headers, true), Some("new"));
        assert_eq!(session_token(&headers, false), Some("old"));
    }

    #[test]
    fn a_session_id_is_short_stable_and_not_the_hash() {
        let hash = hash_secret("a session token");
        let id = session_id(&hash);
        assert_eq!(id.len(), 16);
        assert_eq!(id, session_id(&hash));
        assert!(!hash.contains(&id));
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_when_asked() {
        let cookie = session_cookie("tok", true);
        let cookie = cookie.to_str().unwrap();
        for part in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=43200",
        ] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
        assert!(
            !session_cookie("tok", false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        assert!(clear_cookie(false).to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn secrets_are_long_random_and_stored_only_as_hashes() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }
}
