//! The connection pool behind [`SqlStore`], for either backend.
//!
//! The store's queries are written once, in the `$1, $2…` placeholder style
//! both SQLite and PostgreSQL accept, and run on whichever pool is open:
//! [`dispatch!`] expands a block once per backend, so each copy is checked
//! and compiled against that backend's real types (unlike `sqlx::Any`, which
//! would lose timestamps and checks to a lowest common denominator).

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use super::tx::Guard;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, from its scheme.
    pub fn of_url(url: &str) -> anyhow::Result<Backend> {
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme)
            .unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => anyhow::bail!(
                "unsupported database URL {:?}: use sqlite://path/to/file.db or postgres://user@host/db",
                redacted(url)
            ),
        }
    }
}

/// A database URL fit for logs and error messages: its password, in the
/// user part (`postgres://u:secret@h/db`) or a `password=` parameter,
/// replaced by `***`. URLs without one are returned as they are.
pub fn redacted(url: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(url);
    // A SQLite URL is a file name, whatever characters it holds.
    if url.starts_with("sqlite:") {
        return out;
    }
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
        {
            let start = scheme_end + 3 + colon + 1;
            let end = scheme_end + 3 + at;
            out = Cow::Owned(format!("{}***{}", &url[..start], &url[end..]));
        }
    }
    if let Some(query_at) = out.find('?') {
        let (base, query) = out.split_at(query_at + 1);
        if query
            .split('&')
            .any(|pair| pair.to_ascii_lowercase().starts_with("password="))
        {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            out = Cow::Owned(format!("{base}{}", query.join("&")));
        }
    }
    out
}

/// One value per backend: the pool, a connection, a transaction. The
/// store's code is written once and run on whichever it holds through
/// [`dispatch!`].
pub(crate) enum Backends<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// The open pool.
pub(crate) type Pool = Backends<SqlitePool, PgPool>;

/// Runs `$body` with `$p` bound to what `$on` holds (a pool, a connection
/// or a transaction), whichever backend it is: the body is compiled once
/// per backend, against its real types. The store's one macro.
macro_rules! dispatch {
    ($on:expr, $p:ident => $body:expr) => {
        match $on {
            $crate::store::pool::Backends::Sqlite($p) => $body,
            $crate::store::pool::Backends::Postgres($p) => $body,
        }
    };
}
pub(crate) use dispatch;

/// The SQL implementation of [`super::Store`].
pub struct SqlStore {
    pub(crate) pool: Pool,
    /// Each ledger's sums at its head (see `ledger_reads`).
    pub(crate) ledger_cache: super::ledger_reads::LedgerCache,
    /// The race tests' breaking control (see [`SqlStore::without_guards`]).
    #[cfg(feature = "test-doubles")]
    naive: bool,
}

impl SqlStore {
    /// Whether the guards that keep concurrent writes apart are off: only
    /// ever in the race tests' breaking control, never in a real server.
    pub(crate) fn unguarded(&self) -> bool {
        #[cfg(feature = "test-doubles")]
        return self.naive;
        #[cfg(not(feature = "test-doubles"))]
        false
    }

    /// The guard writes keep (see [`Guard`]).
    pub(crate) fn guard(&self) -> Guard {
        if self.unguarded() {
            Guard::Off
        } else {
            Guard::On
        }
    }

    /// A store that checks before it writes, the naive way, instead of
    /// guarding: a claim's fit is read before the claim is written, a
    /// ledger is not locked while an entry is checked and appended, a
    /// design's revision is compared before it is replaced. The race tests
    /// run their harness on it to show that the harness catches a broken
    /// guard. Only built with the `test-doubles` feature (tests only).
    #[cfg(feature = "test-doubles")]
    pub fn without_guards(mut self) -> SqlStore {
        self.naive = true;
        self
    }
}

impl SqlStore {
    /// Opens the database at `url` and applies its backend's migrations.
    pub async fn connect(url: &str) -> anyhow::Result<SqlStore> {
        let pool = match Backend::of_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("invalid SQLite URL {:?}", redacted(url)))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // In WAL mode, NORMAL loses no committed transaction when
                    // the process dies; only a power cut can take the last ones.
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                // A new database file's folder may not exist yet (data/ on first run).
                if let Some(folder) = options
                    .get_filename()
                    .parent()
                    .filter(|f| !f.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(folder).with_context(|| {
                        format!("cannot create the folder {}", folder.display())
                    })?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await
                    .with_context(|| {
                        format!("cannot open the SQLite database {:?}", redacted(url))
                    })?;
                sqlx::migrate!("./migrations/sqlite")
                    .run(&pool)
                    .await
                    .context("cannot apply the SQLite migrations")?;
                Pool::Sqlite(pool)
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .with_context(|| format!("invalid PostgreSQL URL {:?}", redacted(url)))?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .with_context(|| {
                        format!("cannot connect to PostgreSQL at {:?}", redacted(url))
                    })?;
                sqlx::migrate!("./migrations/postgres")
                    .run(&pool)
                    .await
                    .context("cannot apply the PostgreSQL migrations")?;
                Pool::Postgres(pool)
            }
        };
        Ok(SqlStore {
            pool,
            ledger_cache: Default::default(),
            #[cfg(feature = "test-doubles")]
            naive: false,
        })
    }
}

#[async_trait::async_trait]
impl super::Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn health(&self) -> super::StoreResult<()> {
        dispatch!(&self.pool, p => sqlx::query("SELECT 1").execute(p).await.map(drop)?);
        Ok(())
    }

    async fn close(&self) {
        dispatch!(&self.pool, p => p.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_comes_from_the_url_scheme() {
        assert_eq!(
            Backend::of_url("sqlite://data/stigmergy.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(Backend::of_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::of_url("postgres://localhost/test").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://localhost/test").is_err());
        assert!(Backend::of_url("stigmergy.db").is_err());
    }

    #[test]
    fn database_urls_are_logged_without_their_password() {
        assert_eq!(
            redacted("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redacted("postgresql://app:p%40ss:w@db.example.org/stigmergy?sslmode=require"),
            "postgresql://app:***@db.example.org/stigmergy?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
        for unchanged in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://localhost/test",
            "sqlite://data/stigmergy.db",
            "sqlite::memory:",
            "sqlite://data/a:b@c.db",
            "sqlite://a:b@c.db",
        ] {
            assert_eq!(redacted(unchanged), unchanged);
        }
        let error = Backend::of_url("mysql://u:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("secret"), "{error}");
    }
}
