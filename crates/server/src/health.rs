//! `GET /api/health`: is the server up and does its database answer?

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::Json;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` in a 200 response.
    status: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(value_type = String)]
    database: crate::store::Backend,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Checks the server and its database.
#[utoipa::path(get, path = "/api/health", tag = "health",
    responses(
        (status = 200, description = "The server and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = stigmergy_core::ErrorBody),
    ))]
async fn health(State(state): State<AppState>) -> AppResult<Json<Health>> {
    state
        .store
        .health()
        .await
        .map_err(|e| AppError::Unavailable(anyhow::anyhow!(e)))?;
    Ok(Json(Health {
        status: "ok",
        database: state.store.backend(),
    }))
}
