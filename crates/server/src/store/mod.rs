//! Persistence: one [`Store`] trait, implemented once over SQLite (the
//! embedded default) and PostgreSQL (for several replicas on one database).
//! The backend is chosen from the database URL's scheme at start-up, and its
//! migrations are applied before the store is handed out.

mod accounts;
mod capacities;
mod claims;
mod designs;
mod events;
pub mod idempotency;
mod import;
pub mod ledger;
pub mod ledger_reads;
pub mod live;
mod map;
mod needs;
mod organizations;
mod pool;
mod sign_ups;
mod sql;
mod tx;

use std::sync::Arc;

use async_trait::async_trait;
use stigmergy_core::FieldErrors;

pub use accounts::{AccountSecret, Accounts, NewAccount, OwnSession, Session, TokenOwner};
pub use capacities::Capacities;
pub use claims::Claims;
pub use designs::Designs;
pub use events::Events;
pub use idempotency::Idempotency;
pub use import::{Import, ImportedAccount};
pub use ledger::Ledgers;
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
    /// Not found, with what the caller should be told.
    #[error("{0}")]
    Missing(String),
    /// The write contradicts what is stored (a duplicate id, say).
    #[error("{0}")]
    Conflict(String),
    /// The one asking may not do this to it (a rule about who, checked
    /// with the data, such as claiming one's own need).
    #[error("{0}")]
    Refused(String),
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

pub(crate) use sql::{parse_stored, place_of, stored};

/// Everything the API needs from a database: one trait, made of one part
/// per feature (each in its own module), so `Arc<dyn Store>` offers them all.
#[async_trait]
pub trait Store:
    Designs
    + Import
    + Accounts
    + Organizations
    + Needs
    + Claims
    + Capacities
    + Events
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
