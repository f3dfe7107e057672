//! Accounts, sessions, API tokens and failed sign-ins in SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::error::ErrorKind;
use stigmergy_core::{AgentId, Me, TokenSummary};

use super::pool::{SqlStore, dispatch};
use super::{StoreError, StoreResult, place_of};

/// An account to create, with its person agent.
pub struct NewAccount<'a> {
    pub handle: &'a AgentId,
    pub name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub now: DateTime<Utc>,
}

/// What signing in checks a password against.
pub struct AccountSecret {
    pub handle: AgentId,
    pub password_hash: String,
}

/// A stored session.
pub struct Session {
    pub handle: AgentId,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One of a person's sessions, as their session list needs it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OwnSession {
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Whose an API token is, and until when it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub handle: AgentId,
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenOwner {
    /// Whether the token no longer works at `now`.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

#[async_trait]
pub trait Accounts {
    /// Creates the person agent and its account together. A taken handle or
    /// email address is a conflict that says which.
    async fn create_account(&self, account: &NewAccount<'_>) -> StoreResult<()>;

    /// The account whose handle or email (ignoring case) is `login`.
    async fn account_for_login(&self, login: &str) -> StoreResult<Option<AccountSecret>>;

    /// The signed-in person's own view of their account.
    async fn me(&self, handle: &AgentId) -> StoreResult<Me>;

    async fn create_session(
        &self,
        token_hash: &str,
        handle: &AgentId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>>;

    /// Records activity on a session (for the idle limit).
    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    /// `handle`'s sessions, newest first, expired ones included until purged.
    async fn sessions_of(&self, handle: &AgentId) -> StoreResult<Vec<OwnSession>>;

    /// Ends one of `handle`'s sessions; `NotFound` when they have no such session.
    async fn delete_session_of(&self, handle: &AgentId, token_hash: &str) -> StoreResult<()>;

    /// Ends every session of `handle` but `keep`; how many ended.
    async fn delete_other_sessions(&self, handle: &AgentId, keep: &str) -> StoreResult<u64>;

    /// Deletes the sessions past their absolute limit (`expires_at <= now`)
    /// or idle since `idle_before`; how many.
    async fn purge_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Replaces `handle`'s password hash and ends every other session but
    /// `keep`, in one transaction: a stolen session dies with the old password.
    async fn set_password(
        &self,
        handle: &AgentId,
        password_hash: &str,
        keep: &str,
    ) -> StoreResult<()>;

    /// Records a failed sign-in against each key and prunes rows older than `forget_before`.
    async fn record_login_failure(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Counts a password check against each `(key, limit)` before it is
    /// made, as if it will fail, in one step that concurrent checks wait
    /// for: `false`, and nothing recorded, when a key already has `limit`
    /// since `since`. So however many checks arrive at once, at most
    /// `limit` are made. Prunes rows older than `since`.
    async fn begin_password_check(
        &self,
        keys: &[(String, u64)],
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Takes back the attempt [`Accounts::begin_password_check`] counted
    /// against `key` at `at`, for a check that succeeded.
    async fn forgive_password_check(&self, key: &str, at: DateTime<Utc>) -> StoreResult<()>;

    /// Failed sign-ins against `key` since `since`.
    async fn login_failures(&self, key: &str, since: DateTime<Utc>) -> StoreResult<u64>;

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;

    async fn create_token(
        &self,
        handle: &AgentId,
        id: &str,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> StoreResult<TokenSummary>;

    /// The owner's tokens that are not revoked (expired ones too), newest first.
    async fn list_tokens(&self, handle: &AgentId) -> StoreResult<Vec<TokenSummary>>;

    /// Revokes one of `handle`'s tokens; `NotFound` when they have no such token.
    async fn revoke_token(&self, handle: &AgentId, id: &str, now: DateTime<Utc>)
    -> StoreResult<()>;

    /// The owner of a token that is not revoked, noting its use unless it
    /// has expired (see [`TokenOwner::expired`]).
    async fn token_owner(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TokenOwner>>;
}

fn handle_of(id: String) -> StoreResult<AgentId> {
    AgentId::parse(&id).map_err(|e| StoreError::Other(anyhow::anyhow!("stored handle {id:?}: {e}")))
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for TokenSummary {
    fn from(row: TokenRow) -> Self {
        TokenSummary {
            id: row.id,
            name: row.name,
            created_at: row.created_at.into(),
            last_used_at: row.last_used_at.map(Into::into),
            expires_at: row.expires_at.map(Into::into),
        }
    }
}

#[async_trait]
impl Accounts for SqlStore {
    async fn create_account(&self, account: &NewAccount<'_>) -> StoreResult<()> {
        let email = account.email.trim();
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO agents (id, name, kind, note, created_at) VALUES ($1, $2, 'person', '', $3)")
                .bind(account.handle.as_str())
                .bind(account.name.trim())
                .bind(account.now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
                    Some(ErrorKind::UniqueViolation) => StoreError::Conflict(format!(
                        "The handle \u{201c}{}\u{201d} is taken; choose another.",
                        account.handle
                    )),
                    _ => e.into(),
                })?;
            sqlx::query(
                "INSERT INTO accounts (agent_id, email, email_key, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(account.handle.as_str())
            .bind(email)
            .bind(email.to_lowercase())
            .bind(account.password_hash)
            .bind(account.now)
            .execute(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
                Some(ErrorKind::UniqueViolation) => StoreError::Conflict(
                    "An account with this email address exists already; sign in instead.".into(),
                ),
                _ => e.into(),
            })?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn account_for_login(&self, login: &str) -> StoreResult<Option<AccountSecret>> {
        let key = login.trim().to_lowercase();
        let row: Option<(String, String)> = dispatch!(&self.pool, p => {
            sqlx::query_as("SELECT agent_id, password_hash FROM accounts WHERE agent_id = $1 OR email_key = $1")
                .bind(&key)
                .fetch_optional(p)
                .await?
        });
        row.map(|(handle, password_hash)| {
            Ok(AccountSecret {
                handle: handle_of(handle)?,
                password_hash,
            })
        })
        .transpose()
    }

    async fn me(&self, handle: &AgentId) -> StoreResult<Me> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<f64>,
            Option<f64>,
        );
        let row: Option<Row> = dispatch!(&self.pool, p => {
            sqlx::query_as(
                "SELECT a.id, a.name, c.email, a.place_name, a.lat, a.lon \
                 FROM accounts c JOIN agents a ON a.id = c.agent_id WHERE c.agent_id = $1",
            )
            .bind(handle.as_str())
            .fetch_optional(p)
            .await?
        });
        let (id, name, email, place_name, lat, lon) = row.ok_or(StoreError::NotFound)?;
        let place = place_of(place_name, lat, lon);
        Ok(Me {
            handle: handle_of(id)?,
            name,
            email,
            place,
        })
    }

    async fn create_session(
        &self,
        token_hash: &str,
        handle: &AgentId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, agent_id, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $3, $4)",
            )
            .bind(token_hash)
            .bind(handle.as_str())
            .bind(now)
            .bind(expires_at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let row: Option<(String, DateTime<Utc>, DateTime<Utc>)> = dispatch!(&self.pool, p => {
            sqlx::query_as("SELECT agent_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(p)
                .await?
        });
        row.map(|(handle, last_seen_at, expires_at)| {
            Ok(Session {
                handle: handle_of(handle)?,
                last_seen_at,
                expires_at,
            })
        })
        .transpose()
    }

    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(now)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await?;
        });
        Ok(())
    }

    async fn sessions_of(&self, handle: &AgentId) -> StoreResult<Vec<OwnSession>> {
        Ok(dispatch!(&self.pool, p => {
            sqlx::query_as(
                "SELECT token_hash, created_at, last_seen_at, expires_at FROM sessions \
                 WHERE agent_id = $1 ORDER BY created_at DESC, token_hash",
            )
            .bind(handle.as_str())
            .fetch_all(p)
            .await?
        }))
    }

    async fn delete_session_of(&self, handle: &AgentId, token_hash: &str) -> StoreResult<()> {
        let done = dispatch!(&self.pool, p => {
            sqlx::query("DELETE FROM sessions WHERE agent_id = $1 AND token_hash = $2")
                .bind(handle.as_str())
                .bind(token_hash)
                .execute(p)
                .await?
                .rows_affected()
        });
        if done == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn delete_other_sessions(&self, handle: &AgentId, keep: &str) -> StoreResult<u64> {
        Ok(dispatch!(&self.pool, p => {
            sqlx::query("DELETE FROM sessions WHERE agent_id = $1 AND token_hash <> $2")
                .bind(handle.as_str())
                .bind(keep)
                .execute(p)
                .await?
                .rows_affected()
        }))
    }

    async fn purge_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> StoreResult<u64> {
        Ok(dispatch!(&self.pool, p => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now)
                .bind(idle_before)
                .execute(p)
                .await?
                .rows_affected()
        }))
    }

    async fn set_password(
        &self,
        handle: &AgentId,
        password_hash: &str,
        keep: &str,
    ) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let done = sqlx::query("UPDATE accounts SET password_hash = $2 WHERE agent_id = $1")
                .bind(handle.as_str())
                .bind(password_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE agent_id = $1 AND token_hash <> $2")
                .bind(handle.as_str())
                .bind(keep)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn record_login_failure(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            for key in keys {
                sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                    .bind(key)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(forget_before).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn begin_password_check(
        &self,
        keys: &[(String, u64)],
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut keys = keys.to_vec();
        // One order for every transaction, so two never wait on each other.
        keys.sort();
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            if self.is_postgres() {
                for (key, _) in &keys {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            // On SQLite the first write takes the database's one write lock.
            for (key, _) in &keys {
                sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                    .bind(key)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            for (key, limit) in &keys {
                let (count,): (i64,) =
                    sqlx::query_as("SELECT count(*) FROM login_failures WHERE key = $1 AND at >= $2")
                        .bind(key)
                        .bind(since)
                        .fetch_one(&mut *tx)
                        .await?;
                if u64::try_from(count).unwrap_or_default() > *limit {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(since).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(true)
    }

    async fn forgive_password_check(&self, key: &str, at: DateTime<Utc>) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at = $2")
                .bind(key)
                .bind(at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn login_failures(&self, key: &str, since: DateTime<Utc>) -> StoreResult<u64> {
        let (count,): (i64,) = dispatch!(&self.pool, p => {
            sqlx::query_as("SELECT count(*) FROM login_failures WHERE key = $1 AND at >= $2")
                .bind(key)
                .bind(since)
                .fetch_one(p)
                .await?
        });
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        dispatch!(&self.pool, p => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(p).await?;
        });
        Ok(())
    }

    async fn create_token(
        &self,
        handle: &AgentId,
        id: &str,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> StoreResult<TokenSummary> {
        dispatch!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO api_tokens (id, agent_id, name, token_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(handle.as_str())
            .bind(name.trim())
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
            .execute(p)
            .await?;
        });
        Ok(TokenSummary {
            id: id.to_owned(),
            name: name.trim().to_owned(),
            created_at: now.into(),
            last_used_at: None,
            expires_at: expires_at.map(Into::into),
        })
    }

    async fn list_tokens(&self, handle: &AgentId) -> StoreResult<Vec<TokenSummary>> {
        let rows: Vec<TokenRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(
                "SELECT id, name, created_at, last_used_at, expires_at FROM api_tokens \
                 WHERE agent_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id",
            )
            .bind(handle.as_str())
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn revoke_token(
        &self,
        handle: &AgentId,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let done = dispatch!(&self.pool, p => {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND agent_id = $2 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(handle.as_str())
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        if done == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn token_owner(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TokenOwner>> {
        // An expired token's failed attempts are not uses.
        let row: Option<(String, Option<DateTime<Utc>>)> = dispatch!(&self.pool, p => {
            sqlx::query_as(
                "UPDATE api_tokens SET last_used_at = CASE \
                     WHEN expires_at IS NULL OR expires_at > $2 THEN $2 ELSE last_used_at END \
                 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING agent_id, expires_at",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(p)
            .await?
        });
        row.map(|(handle, expires_at)| {
            Ok(TokenOwner {
                handle: handle_of(handle)?,
                expires_at,
            })
        })
        .transpose()
    }
}
