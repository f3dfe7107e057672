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
