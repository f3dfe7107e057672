//! The request timeout: past it, a request is given up and answered 503
//! (`unavailable`, with Retry-After) in the app's error envelope, so a
//! slow database or a client that trickles its body cannot hold a worker
//! for ever. The live stream `/api/events` is meant to stay open and is
//! left out. (How long a client may take to send its headers is bounded
//! earlier, per connection: see `connections`.)

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// The path left out: the endless live stream.
const LIVE_STREAM: &str = "/api/events";

/// The middleware, with the timeout as its state.
pub async fn request_timeout(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == LIVE_STREAM {
        return next.run(request).await;
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, path, ?limit, "request timed out; answered 503");
            AppError::Busy {
                message: format!(
                    "The server gave up on this request after {:?}; try again shortly.",
                    limit
                ),
                retry_after_seconds: 5,
            }
            .into_response()
        }
    }
}
