//! Idempotency keys in SQL: the first request with a key claims it (the
//! primary key decides between racing retries), its answer is kept, and a
//! retry reads it back.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use stigmergy_core::AgentId;

use super::StoreResult;
use super::pool::{SqlStore, dispatch};

/// How long a key counts.
pub const KEY_LIFETIME: Duration = Duration::hours(24);
/// A first request still unanswered after this long is taken as lost (its
/// server stopped), and the key may be used afresh.
pub const IN_FLIGHT_LIMIT: Duration = Duration::minutes(5);

/// A kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Where a key stands when a request brings it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// First use: the request runs, and its answer is kept.
    New,
    /// Used for the same request before: its answer.
    Answered(KeptAnswer),
    /// The first request with this key is still running.
    InFlight,
    /// Used for another request.
    OtherRequest,
}

#[async_trait]
pub trait Idempotency {
    /// Claims `key` for `agent`'s request (`request_hash`), or says how it
    /// was used within the last [`KEY_LIFETIME`].
    async fn claim_key(
        &self,
        agent: &AgentId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<KeyState>;

    /// Keeps the answer to the request that claimed `key`.
    async fn keep_answer(&self, agent: &AgentId, key: &str, answer: &KeptAnswer)
    -> StoreResult<()>;

    /// Frees `key` after its request failed on the server's side, so a
    /// retry runs it again.
    async fn release_key(&self, agent: &AgentId, key: &str) -> StoreResult<()>;
}

type Row = (String, Option<i64>, Option<String>, Option<Vec<u8>>);

#[async_trait]
impl Idempotency for SqlStore {
    async fn claim_key(
        &self,
        agent: &AgentId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<KeyState> {
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // Expired keys of this account go first (a write, so SQLite
            // takes its write lock before reading), then lost first tries.
            sqlx::query("DELETE FROM idempotency_keys WHERE agent_id = $1 AND created_at < $2")
                .bind(agent.as_str())
                .bind(now - KEY_LIFETIME)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE agent_id = $1 AND key = $2 \
                 AND status IS NULL AND created_at < $3",
            )
            .bind(agent.as_str())
            .bind(key)
            .bind(now - IN_FLIGHT_LIMIT)
            .execute(&mut *tx)
            .await?;
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys (agent_id, key, request_hash, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (agent_id, key) DO NOTHING",
            )
            .bind(agent.as_str())
            .bind(key)
            .bind(request_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let state = if claimed == 1 {
                KeyState::New
            } else {
                let (hash, status, content_type, body): Row = sqlx::query_as(
                    "SELECT request_hash, CAST(status AS BIGINT), content_type, body \
                     FROM idempotency_keys WHERE agent_id = $1 AND key = $2",
                )
                .bind(agent.as_str())
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                match status {
                    _ if hash != request_hash => KeyState::OtherRequest,
                    None => KeyState::InFlight,
                    Some(status) => KeyState::Answered(KeptAnswer {
                        status: u16::try_from(status).unwrap_or(200),
                        content_type,
                        body: body.unwrap_or_default(),
                    }),
                }
            };
            tx.commit().await?;
            Ok(state)
        })
    }

    async fn keep_answer(
        &self,
        agent: &AgentId,
        key: &str,
        answer: &KeptAnswer,
    ) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            sqlx::query(
                "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 \
                 WHERE agent_id = $1 AND key = $2",
            )
            .bind(agent.as_str())
            .bind(key)
            .bind(i32::from(answer.status))
            .bind(answer.content_type.as_deref())
            .bind(&answer.body)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    async fn release_key(&self, agent: &AgentId, key: &str) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            sqlx::query("DELETE FROM idempotency_keys WHERE agent_id = $1 AND key = $2")
                .bind(agent.as_str())
                .bind(key)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
