//! Sign-ups counted per client address, for the limit on how many one
//! address may attempt per hour (see `auth::register`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use super::pool::{SqlStore, dispatch};

#[async_trait]
pub trait SignUps {
    /// Records a sign-up attempt of `address` at `now`, in one step that
    /// concurrent attempts wait for: `false`, and nothing recorded, when `address` already has `limit` attempts since `since`.
    /// So however many arrive at once, at most `limit` get through. Prunes
    /// attempts older than `since`.
    async fn begin_sign_up(
        &self,
        address: &str,
        limit: u64,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

#[async_trait]
impl SignUps for SqlStore {
    async fn begin_sign_up(
        &self,
        address: &str,
        limit: u64,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<bool> {
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            if self.is_postgres() {
                // Attempts of one address take turns here; other addresses'
                // go on (READ COMMITTED alone would let two both count the
                // same rows and both insert).
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext('sign-up:' || $1))")
                    .bind(address)
                    .execute(&mut *tx)
                    .await?;
            }
            // Written first: on SQLite the first write takes the database's
            // one write lock, so the count below sees every attempt made.
            sqlx::query("INSERT INTO sign_ups (address, at) VALUES ($1, $2)")
                .bind(address)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let (count,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM sign_ups WHERE address = $1 AND at >= $2")
                    .bind(address)
                    .bind(since)
                    .fetch_one(&mut *tx)
                    .await?;
            // The count includes this attempt.
            if u64::try_from(count).unwrap_or(u64::MAX) > limit {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("DELETE FROM sign_ups WHERE at < $1")
                .bind(since)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}
