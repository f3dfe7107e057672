//! The live events outbox in SQL: written inside the transactions of the
//! changes they announce (see `Conn::emit`), read back in id order by every
//! replica's hub, pruned to a bounded backlog.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::{AgentId, Change, LiveEvent};

use super::StoreResult;
use super::pool::{Pool, SqlStore, dispatch};
use super::sql::Conn;

/// The PostgreSQL channel that carries new outbox ids (a wake-up call; the
/// outbox is the record).
pub const CHANNEL: &str = "stigmergy_live";

#[async_trait]
pub trait Live {
    /// Events after `after`, oldest first, at most `limit`.
    async fn live_events_after(&self, after: u64, limit: u32) -> StoreResult<Vec<LiveEvent>>;

    /// The lowest and highest ids still in the outbox (`None` when empty).
    async fn live_event_range(&self) -> StoreResult<Option<(u64, u64)>>;

    /// Deletes all but the newest `keep` events.
    async fn prune_live_events(&self, keep: u64) -> StoreResult<u64>;

    /// A mark of the transactions running now, taken when the hub finds a
    /// hole in the ids: `None` when every hole is final (SQLite has one
    /// writer at a time, so a hole there is a rolled-back transaction).
    /// On PostgreSQL, the first transaction id not yet assigned.
    async fn live_horizon(&self) -> StoreResult<Option<u64>>;

    /// Whether every transaction running when `horizon` was taken has
    /// ended, so that a hole seen then is final (rolled back), not a
    /// transaction that may still commit.
    async fn live_settled(&self, horizon: u64) -> StoreResult<bool>;

    /// Appends an event outside any other change (tests and imports).
    async fn record_live_event(
        &self,
        coalition: Option<&AgentId>,
        change: &Change,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

impl SqlStore {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }
}

#[derive(sqlx::FromRow)]
struct LiveRow {
    id: i64,
    coalition_id: Option<String>,
    change: String,
    at: DateTime<Utc>,
}

#[async_trait]
impl Live for SqlStore {
    async fn live_events_after(&self, after: u64, limit: u32) -> StoreResult<Vec<LiveEvent>> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let rows: Vec<LiveRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(
                "SELECT id, coalition_id, change, at FROM live_events WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(LiveEvent {
                    id: u64::try_from(row.id).unwrap_or_default(),
                    at: row.at.into(),
                    coalition: row
                        .coalition_id
                        .as_deref()
                        .and_then(|c| AgentId::parse(c).ok()),
                    change: serde_json::from_str(&row.change).map_err(anyhow::Error::from)?,
                })
            })
            .collect()
    }

    async fn live_event_range(&self) -> StoreResult<Option<(u64, u64)>> {
        let row: (Option<i64>, Option<i64>) = dispatch!(&self.pool, p => {
            sqlx::query_as("SELECT MIN(id), MAX(id) FROM live_events").fetch_one(p).await?
        });
        Ok(match row {
            (Some(low), Some(high)) => Some((
                u64::try_from(low).unwrap_or_default(),
                u64::try_from(high).unwrap_or_default(),
            )),
            _ => None,
        })
    }

    async fn prune_live_events(&self, keep: u64) -> StoreResult<u64> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let deleted = dispatch!(&self.pool, p => {
            sqlx::query(
                "DELETE FROM live_events WHERE id <= (SELECT MAX(id) FROM live_events) - $1",
            )
            .bind(keep)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(deleted)
    }

    async fn live_horizon(&self) -> StoreResult<Option<u64>> {
        let Pool::Postgres(p) = &self.pool else {
            return Ok(None);
        };
        let (horizon,): (i64,) =
            sqlx::query_as("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
                .fetch_one(p)
                .await?;
        Ok(Some(u64::try_from(horizon).unwrap_or_default()))
    }

    async fn live_settled(&self, horizon: u64) -> StoreResult<bool> {
        let Pool::Postgres(p) = &self.pool else {
            return Ok(true);
        };
        // The oldest transaction still running, anywhere on the server.
        let (oldest,): (i64,) =
            sqlx::query_as("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                .fetch_one(p)
                .await?;
        Ok(u64::try_from(oldest).unwrap_or_default() >= horizon)
    }

    async fn record_live_event(
        &self,
        coalition: Option<&AgentId>,
        change: &Change,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let coalition = coalition.map(AgentId::as_str);
        let id = dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let id = Conn::from(&mut *tx).emit(coalition, change, now).await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }
}
