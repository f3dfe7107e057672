//! The store contract: the same checks against every backend, straight on
//! the store's API (no HTTP). Each check is an `async fn name(backend)` in
//! the file of the store part it covers, listed in that file's `contract!`,
//! which runs it once on SQLite and once on PostgreSQL (which must be
//! running: these tests fail, not skip, without it).
//!
//! One file per part of the `Store` trait: `designs` (Designs), `accounts`,
//! `organizations`, `needs` (needs, asks, gaps), `claims`, `events`
//! (economic events, and deliveries reaching a ledger), `capacities`,
//! `ledger` and `owed` (Ledgers), `ledger_reads`, `live`, `map`
//! (SupplyMap), `idempotency` and `sign_ups`. Each write the checks make
//! goes through one small helper in the file of its part (`declare`,
//! `claim_as`, `act`, `try_offer`, `record`, …), so a change to a write's
//! signature is one edit.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use stigmergy_core::{AgentId, ImportBundle};
use stigmergy_server::demo;
use stigmergy_server::store::{Accounts, Backend, Import, NewAccount, SqlStore, Store};

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
mod capacities;
mod claims;
mod designs;
mod events;
mod idempotency;
mod ledger;
mod ledger_reads;
mod live;
mod map;
mod needs;
mod organizations;
mod owed;
mod sign_ups;

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

/// A fresh store with the demo commons and its activity (needs, capacity
/// and claims in every state, declared through the store as the API would),
/// and the activity itself to check the reads against.
async fn activity_store(backend: Backend) -> (SqlStore, TestDb, demo::Activity) {
    let (store, db, _) = demo_store(backend).await;
    import_buyers_and_funders(&store).await;
    let activity = demo::activity().expect("the demo activity parses");
    let report = demo::load_activity(&store, &activity, now())
        .await
        .expect("the demo activity loads");
    assert_eq!(report.needs, activity.needs.len() as u64);
    (store, db, activity)
}

/// The agents the demo coalitions trade with (hospitals, farmers' unions,
/// funds), who receive some of the demo's needs and buy in its ledgers.
async fn import_buyers_and_funders(store: &SqlStore) {
    let seed = demo::accounts::seed().expect("the demo accounts parse");
    let agents = ImportBundle {
        agents: seed.agents,
        ..ImportBundle::default()
    };
    store.import(&agents, &[]).await.expect("the agents import");
}

/// Now, to the millisecond both stores keep.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// The date `days` from today, as needs and capacity take it.
fn date_in(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// An agent of the demo commons (or one a check makes).
fn agent(id: &str) -> AgentId {
    AgentId::parse(id).expect("a valid agent id")
}
