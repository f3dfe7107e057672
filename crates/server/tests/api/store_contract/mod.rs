//! The store contract: the same checks against every backend, straight on
//! the store's API (no HTTP). Each check is an `async fn name(backend)` in
//! the file of the store part it covers, listed in that file's `contract!`,
//! which runs it once on SQLite and once on PostgreSQL (which must be
//! running: these tests fail, not skip, without it).

use chrono::{SubsecRound, Utc};
use stigmergy_core::{AgentId, ImportBundle};
use stigmergy_server::demo;
use stigmergy_server::store::{Accounts, Backend, NewAccount, SqlStore, Store};

use crate::helpers::TestDb;

/// `contract!(check, …)` makes `sqlite::check` and `postgres::check` tests
/// of each `async fn check(backend: Backend)` in the file that lists it.
macro_rules! contract {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(stigmergy_server::store::Backend::Sqlite).await })+
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(stigmergy_server::store::Backend::Postgres).await })+
        }
    };
}

mod accounts;
mod designs;
mod organizations;

/// A fresh, empty store of `backend`, migrated; the database lives as long
/// as the `TestDb`.
async fn store_on(backend: Backend) -> (SqlStore, TestDb) {
    let db = TestDb::for_backend(backend).await;
    let store = SqlStore::connect(&db.url).await.expect("the store opens");
    assert_eq!(store.backend(), backend);
    (store, db)
}

/// A fresh store with the demo commons imported: its agents, designs,
/// coalitions, memberships and accounts.
async fn demo_store(backend: Backend) -> (SqlStore, TestDb, ImportBundle) {
    let (store, db) = store_on(backend).await;
    let bundle = demo::bundle().unwrap();
    let report = demo::import(&store, &bundle)
        .await
        .expect("the demo imports");
    assert_eq!(report.designs, bundle.designs.len() as u64);
    assert_eq!(report.agents, bundle.agents.len() as u64);
    (store, db, bundle)
}

/// A fresh store with one account, `ana-souza`.
async fn account_store(backend: Backend) -> (SqlStore, TestDb, AgentId) {
    let (store, db) = store_on(backend).await;
    let handle = AgentId::parse("ana-souza").unwrap();
    let account = NewAccount {
        handle: &handle,
        name: "Ana Souza",
        email: "Ana@Example.org",
        password_hash: "$argon2id$stand-in",
        now: Utc::now().trunc_subsecs(3),
    };
    store
        .create_account(&account)
        .await
        .expect("the account is created");
    (store, db, handle)
}
