//! Safe retries: a signed-in POST that carries an `Idempotency-Key` header
//! is run once per account and key. Sent again within 24 hours with the
//! same method, path and body, it gets the first answer back
//! (`Idempotent-Replayed: true`) and writes nothing; with another request
//! it is a 422; while the first is still running, a 409. A failure on the
//! server's side (5xx) frees the key, so the retry runs again.
//!
//! Signing up, in and out and minting API tokens are left out: their
//! answers set cookies or carry secrets, which are never stored.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

use crate::AppState;
use crate::auth::session::authenticate_headers;
use crate::error::AppError;
use crate::store::idempotency::{KeptAnswer, KeyState};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// The longest key accepted.
pub const MAX_KEY_LENGTH: usize = 255;

/// Whether a POST to `path` takes an idempotency key.
pub fn covers(path: &str) -> bool {
    path.starts_with("/api/")
        && !path.starts_with("/api/auth/")
        && !path.starts_with("/api/me/tokens")
}

/// A key as sent: 1 to 255 visible ASCII characters (a UUID, say).
pub fn parse_key(value: &HeaderValue) -> Result<String, String> {
    let text = value.to_str().map_err(|_| key_rule())?;
    let ok = !text.is_empty()
        && text.len() <= MAX_KEY_LENGTH
        && text.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(text.to_owned())
    } else {
        Err(key_rule())
    }
}

fn key_rule() -> String {
    format!(
        "The Idempotency-Key is 1 to {MAX_KEY_LENGTH} visible ASCII characters, such as a UUID."
    )
}

/// What makes two requests the same: method, path with query, body.
fn request_hash(method: &Method, uri: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str());
    hash.update(b"\n");
    hash.update(uri);
    hash.update(b"\n");
    hash.update(body);
    format!("{:x}", hash.finalize())
}

/// The middleware: see the module's documentation.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !covers(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(value) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    let key = match parse_key(value) {
        Ok(key) => key,
        Err(message) => return AppError::field("Idempotency-Key", message).into_response(),
    };
    // Keys are per account; without one the handler answers 401 itself.
    let Ok(Some(auth)) = authenticate_headers(request.headers(), &state).await else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    // The handler's `Auth` reads it from here rather than asking the store again.
    parts.extensions.insert(auth.clone());
    let bytes = match to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return AppError::BadRequest {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "payload_too_large",
                message: "The body is over 1 MiB.".into(),
            }
            .into_response();
        }
    };
    let hash = request_hash(&parts.method, &parts.uri.to_string(), &bytes);
    let claimed = state
        .store
        .claim_key(&auth.handle, &key, &hash, Utc::now())
        .await;
    match claimed {
        Err(error) => AppError::from(error).into_response(),
        Ok(KeyState::Answered(answer)) => replay(answer),
        Ok(KeyState::InFlight) => AppError::BadRequest {
            status: StatusCode::CONFLICT,
            code: "idempotency_in_flight",
            message:
                "A request with this Idempotency-Key is still being handled; retry in a moment."
                    .into(),
        }
        .into_response(),
        Ok(KeyState::OtherRequest) => AppError::BadRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "idempotency_key_reused",
            message: "This Idempotency-Key was used for another request in the last 24 hours; \
                      send a new key for a new request."
                .into(),
        }
        .into_response(),
        Ok(KeyState::New) => {
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = next.run(request).await;
            keep(&state, &auth.handle, &key, response).await
        }
    }
}

/// Keeps the answer (unless the server failed) and sends it on.
async fn keep(
    state: &AppState,
    agent: &stigmergy_core::AgentId,
    key: &str,
    response: Response,
) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = if parts.status.is_server_error() {
        None
    } else {
        to_bytes(body, 4 * crate::MAX_BODY_BYTES).await.ok()
    };
    let Some(bytes) = bytes else {
        if let Err(error) = state.store.release_key(agent, key).await {
            tracing::error!(?error, "cannot release an idempotency key");
        }
        return AppError::Internal(anyhow::anyhow!("the answer could not be kept")).into_response();
    };
    let answer = KeptAnswer {
        status: parts.status.as_u16(),
        content_type: content_type(&parts.headers),
        body: bytes.to_vec(),
    };
    if let Err(error) = state.store.keep_answer(agent, key, &answer).await {
        tracing::error!(?error, "cannot keep an idempotent answer");
    }
    Response::from_parts(parts, Body::from(Bytes::from(answer.body)))
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn replay(answer: KeptAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(kind) = answer
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        headers.insert(header::CONTENT_TYPE, kind);
    }
    headers.insert(
        HeaderName::from_static(REPLAYED),
        HeaderValue::from_static("true"),
    );
    response
}

/// Documents the header and its two refusals on every POST it covers.
pub fn document(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, description) in [
        (
            "IdempotencyKeyReused",
            "`idempotency_key_reused`: the Idempotency-Key was used for another request in \
             the last 24 hours; or `invalid_json`: the JSON does not have the documented shape",
        ),
        (
            "IdempotencyInFlightOrConflict",
            "`idempotency_in_flight`: the first request with this Idempotency-Key is still \
             being handled; or `conflict`: what the operation describes",
        ),
    ] {
        components.responses.insert(
            name.to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        if !covers(path) {
            continue;
        }
        if let Some(operation) = item.post.as_mut() {
            document_operation(operation);
        }
    }
}

fn document_operation(operation: &mut Operation) {
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .description(Some(
            "Makes a retry safe: the same key and request within 24 hours replays the first \
             answer (with `Idempotent-Replayed: true`) and writes nothing; 1 to 255 visible \
             ASCII characters, such as a UUID.",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX_KEY_LENGTH))
                .pattern(Some("^[!-~]+$")),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(parameter);
    let responses = &mut operation.responses.responses;
    responses.insert(
        "422".to_owned(),
        RefOr::Ref(Ref::from_response_name("IdempotencyKeyReused")),
    );
    responses
        .entry("409".to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name("IdempotencyInFlightOrConflict")));
    responses
        .entry("400".to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name("BadParameter")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255_characters() {
        let ok = HeaderValue::from_static("6f1c2a4e-7d1b-4c0e-9a55-1f2d3c4b5a69");
        assert!(parse_key(&ok).is_ok());
        for bad in ["", "has space", &"x".repeat(256)] {
            assert!(
                parse_key(&HeaderValue::from_str(bad).unwrap()).is_err(),
                "{bad:?}"
            );
        }
        assert!(parse_key(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()).is_err());
    }

    #[test]
    fn the_same_request_hashes_the_same_and_any_change_differs() {
        let a = request_hash(&Method::POST, "/api/needs", b"{\"quantity\":1}");
        assert_eq!(
            a,
            request_hash(&Method::POST, "/api/needs", b"{\"quantity\":1}")
        );
        assert_ne!(
            a,
            request_hash(&Method::POST, "/api/needs", b"{\"quantity\":2}")
        );
        assert_ne!(
            a,
            request_hash(&Method::POST, "/api/needs/1/claims", b"{\"quantity\":1}")
        );
    }

    #[test]
    fn sign_in_and_token_minting_are_left_out() {
        assert!(covers("/api/needs"));
        assert!(covers("/api/claims/4/confirm"));
        assert!(!covers("/api/auth/login"));
        assert!(!covers("/api/me/tokens"));
        assert!(!covers("/needs"));
    }
}
