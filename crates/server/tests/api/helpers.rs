//! Test scaffolding: a fresh database per test on either backend, the real
//! server on 127.0.0.1:0 talking real HTTP, and `both_stores!`, which runs a
//! test on SQLite and on PostgreSQL.

use std::borrow::Borrow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use stigmergy_server::config::Config;
use stigmergy_server::store::Backend;
use stigmergy_server::{Application, demo};
use tokio::sync::Mutex;

/// Runs each named test body (`async fn name(backend: Backend)`) once per
/// store: `both_stores!(name, …)` makes `name::sqlite` and `name::postgres`
/// tests; `both_stores!(multi_thread: name, …)` runs them on a two-thread
/// runtime for bodies that need real parallelism. A body left out of the
/// list is dead code, which clippy (`-D warnings`) refuses. (The browser
/// tests and the map benchmark include this file without using it.)
#[allow(unused_macros)]
macro_rules! both_stores {
    (multi_thread: $($name:ident),+ $(,)?) => {
        $($crate::helpers::both_stores!(@one $name, flavor = "multi_thread", worker_threads = 2);)+
    };
    (@one $name:ident, $($flavor:tt)*) => {
        mod $name {
            #[tokio::test($($flavor)*)]
            async fn sqlite() {
                super::$name(stigmergy_server::store::Backend::Sqlite).await
            }

            #[tokio::test($($flavor)*)]
            async fn postgres() {
                super::$name(stigmergy_server::store::Backend::Postgres).await
            }
        }
    };
    ($($name:ident),+ $(,)?) => {
        $($crate::helpers::both_stores!(@one $name, flavor = "current_thread");)+
    };
}
#[allow(unused_imports)]
pub(crate) use both_stores;

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("stigmergy.db").display());
        TestDb {
            url,
            _dir: Some(dir),
        }
    }

    /// A new, empty PostgreSQL database on the server named by
    /// `STIGMERGY_TEST_POSTGRES_URL` (default: the local `test` database).
    /// Fails, never skips, when PostgreSQL cannot be reached.
    pub async fn postgres() -> TestDb {
        let base = std::env::var("STIGMERGY_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        // Each test has its own runtime, so no connection outlives one: open
        // a connection per database made, one at a time (PostgreSQL refuses
        // concurrent copies of the template database).
        static CREATING: Mutex<bool> = Mutex::const_new(false);
        let mut cleaned = CREATING.lock().await;
        let mut admin = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required for these tests and does not answer at {base}: {e}. \
                 Run `scripts/ensure-postgres {base}` or set STIGMERGY_TEST_POSTGRES_URL."
                )
            });
        let mine = format!("stigmergy_t_{}_", std::process::id());
        if !*cleaned {
            // Drop what earlier runs left behind: the databases of test
            // processes that have ended (others may be running beside us).
            let stale: Vec<(String,)> = sqlx::query_as(
                "SELECT datname FROM pg_database WHERE datname LIKE 'stigmergy\\_t\\_%'",
            )
            .fetch_all(&mut admin)
            .await
            .expect("list databases");
            let ended = |name: &str| {
                name.strip_prefix("stigmergy_t_")
                    .and_then(|rest| rest.split('_').next())
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_none_or(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
            };
            for (name,) in stale.into_iter().filter(|(name,)| ended(name)) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
            *cleaned = true;
        }
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!("{mine}{}", COUNTER.fetch_add(1, Ordering::Relaxed));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let _ = admin.close().await;
        let (prefix, _) = base
            .rsplit_once('/')
            .expect("a database URL ends in /database");
        TestDb {
            url: format!("{prefix}/{name}"),
            _dir: None,
        }
    }

    /// The same database for a second server (the first keeps it alive).
    pub fn sharing(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            _dir: None,
        }
    }

    pub async fn for_backend(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres().await,
        }
    }
}

/// The configuration every test server starts from: `db`, no built app,
/// and a sign-up limit no test reaches by accident (every test signs up
/// from 127.0.0.1; `tests/api/limits.rs` lowers it to test it).
pub fn test_config(db: &TestDb) -> Config {
    let mut config = Config::for_database(db.url.clone());
    config.static_dir = PathBuf::from("/nonexistent");
    config.sign_ups_per_hour = 1_000_000;
    config
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    /// Keeps cookies, like a browser.
    pub client: reqwest::Client,
    pub db: TestDb,
}

/// What a test's database starts with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    Empty,
    Demo,
}

impl TestApp {
    /// The server on a fresh SQLite database, for the tests that are not
    /// yet run on both stores (tests/api/live.rs).
    pub async fn spawn(seed: Seed) -> TestApp {
        TestApp::for_backend(Backend::Sqlite, seed).await
    }

    /// The server on a fresh database of `backend`.
    pub async fn for_backend(backend: Backend, seed: Seed) -> TestApp {
        let db = TestDb::for_backend(backend).await;
        TestApp::spawn_on(db, seed, PathBuf::from("/nonexistent")).await
    }

    /// The server on `db`, serving the app from `static_dir`.
    pub async fn spawn_on(db: TestDb, seed: Seed, static_dir: PathBuf) -> TestApp {
        TestApp::spawn_configured(db, seed, |config| config.static_dir = static_dir).await
    }

    /// The server on `db`, with the configuration adjusted by `configure`.
    pub async fn spawn_configured(
        db: TestDb,
        seed: Seed,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = test_config(&db);
        config.demo = seed == Seed::Demo;
        configure(&mut config);
        let app = Application::build(&config)
            .await
            .expect("the server starts");
        let address = format!("http://{}", app.local_addr().expect("a bound address"));
        tokio::spawn(app.run_until(std::future::pending()));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("an HTTP client");
        TestApp {
            address,
            client,
            db,
        }
    }

    /// Runs `sql` on the app's database with the time `at` bound as `$1`.
    pub async fn at_time(&self, sql: &str, at: chrono::DateTime<chrono::Utc>) {
        if self.db.url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&self.db.url).await.unwrap();
            sqlx::query(sql).bind(at).execute(&mut db).await.unwrap();
        } else {
            let mut db = sqlx::PgConnection::connect(&self.db.url).await.unwrap();
            sqlx::query(sql).bind(at).execute(&mut db).await.unwrap();
        }
    }

    /// The one time `sql` selects from the app's database.
    pub async fn time_of(&self, sql: &str) -> chrono::DateTime<chrono::Utc> {
        if self.db.url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&self.db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap()
        } else {
            let mut db = sqlx::PgConnection::connect(&self.db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the request is answered")
    }

    /// POSTs `body` as JSON with the CSRF header the app sends.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        post_as(self, &self.client, path, body).await
    }

    /// Registers `handle` (signing this client in) and checks it worked.
    pub async fn register(&self, handle: &str) -> serde_json::Value {
        let body = serde_json::json!({
            "handle": handle,
            "email": format!("{handle}@example.org"),
            "password": PASSWORD,
        });
        let response = self.post_json("/api/auth/register", &body).await;
        assert_eq!(response.status(), 201, "registering {handle}");
        response.json().await.expect("the new account")
    }

    /// A second client (another browser) on the same server.
    pub fn other_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("an HTTP client")
    }

    /// GETs `path` and decodes the JSON body, checking the status.
    pub async fn get_json(&self, path: &str, status: u16) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        response.json().await.expect("a JSON body")
    }
}

/// Sends a JSON write from `client` with the CSRF header the app sends.
pub async fn send_as(
    app: &TestApp,
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    client
        .request(method, app.url(path))
        .header("x-stigmergy-csrf", "1")
        .json(body)
        .send()
        .await
        .expect("the request is answered")
}

pub async fn post_as(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: impl Borrow<serde_json::Value>,
) -> reqwest::Response {
    send_as(app, client, reqwest::Method::POST, path, body.borrow()).await
}

pub async fn put_as(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: impl Borrow<serde_json::Value>,
) -> reqwest::Response {
    send_as(app, client, reqwest::Method::PUT, path, body.borrow()).await
}

/// Registers `handle` on a client of its own (another browser), signed in.
pub async fn person(app: &TestApp, handle: &str) -> reqwest::Client {
    let client = app.other_client();
    let body = serde_json::json!({"handle": handle, "email": format!("{handle}@example.org"), "password": PASSWORD});
    assert_eq!(
        post_as(app, &client, "/api/auth/register", &body)
            .await
            .status(),
        201,
        "registering {handle}"
    );
    client
}

/// The password of the demo accounts (the README prints it).
pub const DEMO_PASSWORD: &str = "open hardware for everyone";

/// A server with the demo commons on a fresh database of `backend`.
pub async fn demo_app(backend: Backend) -> TestApp {
    TestApp::for_backend(backend, Seed::Demo).await
}

/// A demo account, signed in on a client of its own.
pub async fn demo_account(app: &TestApp, handle: &str) -> reqwest::Client {
    let client = app.other_client();
    let response = post_as(
        app,
        &client,
        "/api/auth/login",
        serde_json::json!({"login": handle, "password": DEMO_PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), 200, "signing in {handle}");
    client
}

/// The password test accounts use.
pub const PASSWORD: &str = "mending nets by the harbour";

/// Checks that `body` is the error envelope with `code`, and returns it.
pub fn assert_error(body: &serde_json::Value, code: &str) -> serde_json::Value {
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(error["fields"].is_object(), "{body}");
    error.clone()
}

/// How many designs the demo commons holds.
pub fn demo_design_count() -> u64 {
    demo::bundle()
        .expect("the demo bundle parses")
        .designs
        .len() as u64
}
