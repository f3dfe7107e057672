//! Extractors whose rejections use the app's error envelope, so a malformed
//! body or query string gets the same JSON as every other error.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

use crate::error::AppError;

/// `axum::Json`, rejecting with [`AppError`].
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, rejecting with [`AppError`].
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path`, rejecting with [`AppError`].
#[derive(Debug, Clone, Copy, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let (code, message) = match &rejection {
            JsonRejection::JsonSyntaxError(_) => (
                "malformed_json",
                format!("The body is not valid JSON: {}", rejection.body_text()),
            ),
            JsonRejection::JsonDataError(_) => (
                "invalid_json",
                format!(
                    "The JSON does not have the expected shape: {}",
                    rejection.body_text()
                ),
            ),
            JsonRejection::MissingJsonContentType(_) => (
                "unsupported_media_type",
                "Send the body as JSON with `Content-Type: application/json`.".to_owned(),
            ),
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The body is too large.".to_owned())
            }
            _ => ("bad_request", rejection.body_text()),
        };
        AppError::BadRequest {
            status: rejection.status(),
            code,
            message,
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_query",
            message: format!("The query string is not valid: {}", rejection.body_text()),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_path",
            message: format!("The address is not valid: {}", rejection.body_text()),
        }
    }
}

/// A query parameter's value, trimmed; `None` when absent or blank.
pub fn filled(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::extract::DefaultBodyLimit;
    use axum::http::{Request, StatusCode, header};
    use axum::routing::post;
    use tower::ServiceExt;

    use super::Json;

    #[derive(serde::Deserialize, serde::Serialize)]
    struct Named {
        name: String,
    }

    /// A JSON endpoint behind the app's body limit.
    fn echo() -> Router {
        Router::new()
            .route(
                "/echo",
                post(|Json(body): Json<Named>| async move { Json(body) }),
            )
            .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
    }

    async fn send(
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::post("/echo");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let response = echo()
            .oneshot(request.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn malformed_json_gets_the_error_envelope() {
        let (status, body) = send(Some("application/json"), "{\"name\": ").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "malformed_json");
        assert!(body["error"]["fields"].is_object());
    }

    #[tokio::test]
    async fn json_of_the_wrong_shape_gets_the_error_envelope() {
        let (status, body) = send(Some("application/json"), "{\"title\": 1}").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid_json");
    }

    #[tokio::test]
    async fn a_body_without_the_json_content_type_is_refused() {
        let (status, body) = send(None, "{\"name\": \"x\"}").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_gets_413_in_the_envelope() {
        let huge = format!(
            "{{\"name\": \"{}\"}}",
            "x".repeat(crate::MAX_BODY_BYTES + 1)
        );
        let (status, body) = send(Some("application/json"), huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["error"]["code"], "payload_too_large");
    }

    #[tokio::test]
    async fn a_good_body_passes_through() {
        let (status, body) = send(Some("application/json"), "{\"name\": \"Face shield\"}").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["name"], "Face shield");
    }
}
