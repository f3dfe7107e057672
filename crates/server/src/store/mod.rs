//! Persistence: one [`Store`] trait, implemented once over SQLite (the
//! embedded default) and PostgreSQL (for several replicas on one database).
//! The backend is chosen from the database URL's scheme at start-up, and its
//! migrations are applied before the store is handed out.

mod accounts;
mod commons;
mod organizations;
mod pool;

use std::sync::Arc;

use async_trait::async_trait;
use stigmergy_core::FieldErrors;

pub use accounts::{AccountSecret, Accounts, NewAccount, Session};
pub use commons::{Commons, ImportedAccount};
pub use organizations::Organizations;
pub use pool::{Backend, SqlStore};

/// What went wrong in the store, in terms the API can map to a status.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The write contradicts what is stored (a duplicate id, say).
    #[error("{0}")]
    Conflict(String),
    /// The input refers to things that do not exist, or is otherwise invalid
    /// in a way only the database can tell.
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            other => StoreError::Other(other.into()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How many of each thing an import added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ImportReport {
    pub agents: u64,
    pub designs: u64,
    pub accounts: u64,
}

/// Everything the API needs from a database: one trait, made of one part
/// per feature (each in its own module), so `Arc<dyn Store>` offers them all.
#[async_trait]
pub trait Store: Commons + Accounts + Organizations + Send + Sync + 'static {
    /// Which database this is (`sqlite` or `postgres`).
    fn backend(&self) -> Backend;

    /// Checks that the database answers.
    async fn health(&self) -> StoreResult<()>;

    /// Closes every connection, waiting for the ones in use (at shutdown,
    /// so SQLite checkpoints its write-ahead log).
    async fn close(&self);
}

/// Opens the database at `url` (`sqlite://…` or `postgres://…`), creating a
/// SQLite file if needed, and applies the migrations.
pub async fn connect(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::connect(url).await?))
}
