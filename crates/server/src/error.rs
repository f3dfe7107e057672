//! The API's one error type. Every failure, including malformed JSON, bad
//! query strings, unknown routes and oversized bodies, leaves the server as
//! the same envelope: `{"error": {"code", "message", "fields"}}`.
//! Internal details are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use stigmergy_core::{ApiError, ErrorBody, FieldErrors};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist; the message names it.
    #[error("{0}")]
    NotFound(String),
    /// The input is wrong; `fields` says where.
    #[error("{message}")]
    Invalid {
        message: String,
        fields: FieldErrors,
    },
    /// A request the server cannot read (bad JSON, wrong content type…).
    #[error("{message}")]
    BadRequest {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    /// Taken by something that exists: a 409 naming the field to change.
    #[error("{message}")]
    Taken {
        field: &'static str,
        message: String,
    },
    /// Nobody is signed in, or the credential is not valid.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_seconds: u64,
    },
    /// The server is at its limit for this kind of work (503 with
    /// Retry-After), e.g. password hashing.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_seconds: u64,
    },
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 400 naming one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.add(field, message);
        AppError::invalid(fields)
    }

    pub fn invalid(fields: FieldErrors) -> Self {
        let message = match fields.0.len() {
            1 => fields.0.values().next().cloned().unwrap_or_default(),
            n => format!("{n} fields need attention."),
        };
        AppError::Invalid { message, fields }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::BadRequest { status, .. } => *status,
            AppError::Conflict(_) | AppError::Taken { .. } => StatusCode::CONFLICT,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::Invalid { .. } => "invalid_input",
            AppError::BadRequest { code, .. } => code,
            AppError::Conflict(_) | AppError::Taken { .. } => "conflict",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::TooManyRequests { .. } => "rate_limited",
            AppError::Unavailable(_) | AppError::Busy { .. } => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound("Not found.".into()),
            StoreError::Missing(message) => AppError::NotFound(message),
            StoreError::Conflict(message) => AppError::Conflict(message),
            StoreError::Refused(message) => AppError::Forbidden(message),
            StoreError::Invalid(fields) => AppError::invalid(fields),
            StoreError::Other(e) => AppError::Internal(e),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let message = match &self {
            AppError::Unavailable(e) => {
                tracing::error!(error = ?e, "database unavailable");
                "The database is not answering; try again shortly.".to_owned()
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "Something went wrong on our side; it has been logged.".to_owned()
            }
            other => other.to_string(),
        };
        let fields = match &self {
            AppError::Invalid { fields, .. } => fields.clone(),
            AppError::Taken { field, message } => {
                let mut fields = FieldErrors::new();
                fields.add(*field, message.clone());
                fields
            }
            _ => FieldErrors::new(),
        };
        let retry_after = match &self {
            AppError::TooManyRequests {
                retry_after_seconds,
                ..
            }
            | AppError::Busy {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        };
        let body = ErrorBody {
            error: ApiError {
                code: self.code().to_owned(),
                message,
                fields,
            },
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
