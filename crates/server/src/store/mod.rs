//! Persistence: one [`Store`] trait, implemented once over SQLite (the
//! embedded default) and PostgreSQL (for several replicas on one database).
//! The backend is chosen from the database URL's scheme at start-up, and its
//! migrations are applied before the store is handed out.

mod accounts;
mod capacities;
mod commons;
pub mod idempotency;
pub mod ledger;
pub mod ledger_reads;
pub mod live;
mod map;
mod needs;
mod organizations;
mod pool;
mod sign_ups;

use std::sync::Arc;

use async_trait::async_trait;
use stigmergy_core::FieldErrors;

pub use accounts::{AccountSecret, Accounts, NewAccount, OwnSession, Session, TokenOwner};
pub use capacities::Capacities;
pub use commons::{Commons, ImportedAccount};
pub use idempotency::Idempotency;
pub use ledger::{BudgetLine, Ledgers};
pub use ledger_reads::{EntryFilter, EntryPage, LedgerHead, LedgerReads};
pub use live::Live;
pub use map::{FlowFilter, SupplyMap};
pub use needs::Needs;
pub use organizations::Organizations;
pub use pool::{Backend, SqlStore, redacted};
pub use sign_ups::SignUps;

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

/// The text a wire enum is stored as: its serde name.
pub(crate) fn stored<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => unreachable!("stored enums serialise as strings"),
    }
}

/// Reads a stored enum back from the text it was stored as.
pub(crate) fn parse_stored<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Other(anyhow::anyhow!("unexpected stored value {text:?}")))
}

/// An agent's place from its three nullable columns (all set or none).
pub(crate) fn place_of(
    name: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Option<stigmergy_core::Place> {
    match (name, lat, lon) {
        (Some(name), Some(lat), Some(lon)) => Some(stigmergy_core::Place { name, lat, lon }),
        _ => None,
    }
}

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
pub trait Store:
    Commons
    + Accounts
    + Organizations
    + Needs
    + Capacities
    + Live
    + SupplyMap
    + Ledgers
    + LedgerReads
    + Idempotency
    + SignUps
    + Send
    + Sync
    + 'static
{
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
