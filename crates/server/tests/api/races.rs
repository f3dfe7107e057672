//! Races that race, on both stores: contenders released together by a
//! barrier (the overlap they reached is printed), over real HTTP. Each
//! harness returns what it found wrong instead of asserting, so that the
//! same harness, run on a store built without its guards
//! (`SqlStore::without_guards`: check first, write after), must find the
//! violation: a harness that cannot catch a broken guard proves nothing.
//!
//! - 64 makers on the last units of one need, round after round: never
//!   over-claimed, what won is what is gone.
//! - Stewards' entries appended while deliveries are confirmed into the
//!   same ledger: gapless numbers, a chain that verifies, a treasury that
//!   moved by exactly what was recorded.
//! - Eight payouts of half of one share at once: never more than was owed.
//! - Sixteen edits of one design from one revision: exactly one is saved
//!   (here the control shows a second guard: without the compare-and-set,
//!   the primary key of the revisions kept still lets one edit through).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use stigmergy_server::Application;
use stigmergy_server::store::{Backend, SqlStore, Store};
use tokio::sync::Barrier;

use crate::helpers::{Seed, TestApp, TestDb, demo_account, person, post_as, put_as};

crate::helpers::both_stores!(multi_thread: racing_claims_never_over_claim_on, ledger_appends_and_deliveries_interleave_on, payouts_never_settle_more_than_is_owed_on, of_sixteen_edits_from_one_revision_exactly_one_is_saved_on, parallel_wrong_passwords_are_limited_on);

const OHA: &str = "open-hardware-africa";

/// A server on a fresh database, guarded as in production or not.
async fn spawn(backend: Backend, seed: Seed, guarded: bool) -> TestApp {
    let db = TestDb::for_backend(backend).await;
    let mut config = crate::helpers::test_config(&db);
    config.demo = seed == Seed::Demo;
    let store = SqlStore::connect(&db.url).await.expect("the store opens");
    let store: Arc<dyn Store> = Arc::new(if guarded {
        store
    } else {
        store.without_guards()
    });
    let app = Application::build_on(&config, store)
        .await
        .expect("the server starts");
    let address = format!("http://{}", app.local_addr().expect("a bound address"));
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap(),
        db,
    }
}

/// Runs the contenders together: each waits at one barrier, then sends.
/// Returns their outcomes in order and the most that were in flight at
/// once (the overlap really reached).
async fn race<T, F>(contenders: Vec<F>) -> (Vec<T>, usize)
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(contenders.len()));
    let tasks: Vec<_> = contenders
        .into_iter()
        .map(|contender| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let start = Instant::now();
                let outcome = contender.await;
                (outcome, start, Instant::now())
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut spans = Vec::new();
    for task in tasks {
        let (outcome, start, end) = task.await.expect("a contender");
        outcomes.push(outcome);
        spans.push((start, end));
    }
    let mut edges: Vec<(Instant, i32)> = spans
        .iter()
        .flat_map(|&(start, end)| [(start, 1), (end, -1)])
        .collect();
    edges.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    (outcomes, most as usize)
}

async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// What went wrong in one round of a race, in words; empty when nothing.
type Violations = Vec<String>;

// ---------------------------------------------------------------- claims

const MAKERS: usize = 64;

/// One round: a need of 12 with 8 left, 64 makers claiming 1 or 2 each.
async fn claims_round(
    app: &Arc<TestApp>,
    clinic: &reqwest::Client,
    makers: &[reqwest::Client],
) -> (Violations, usize) {
    let need = post_as(app, clinic, "/api/needs", crate::needs::gauze(12.0)).await;
    assert_eq!(need.status(), 201);
    let need = need.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let first = post_as(
        app,
        &makers[0],
        &format!("/api/needs/{need}/claims"),
        json!({"quantity": 4.0}),
    )
    .await;
    assert_eq!(first.status(), 201);
    let contenders = makers
        .iter()
        .enumerate()
        .map(|(m, maker)| {
            let (app, maker) = (app.clone(), maker.clone());
            let quantity = (m % 2 + 1) as f64;
            async move {
                let response = post_as(
                    &app,
                    &maker,
                    &format!("/api/needs/{need}/claims"),
                    json!({"quantity": quantity}),
                )
                .await;
                (response.status().as_u16(), quantity)
            }
        })
        .collect();
    let (outcomes, in_flight) = race(contenders).await;
    let mut wrong = Violations::new();
    let won: f64 = outcomes
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, q)| q)
        .sum();
    if let Some((status, _)) = outcomes.iter().find(|(s, _)| *s != 201 && *s != 409) {
        wrong.push(format!("need {need}: a claim was answered {status}"));
    }
    if won > 8.0 {
        wrong.push(format!("need {need}: {won} units won of the 8 left"));
    }
    let shown = app.get_json(&format!("/api/needs/{need}"), 200).await;
    let claims = app
        .get_json(&format!("/api/needs/{need}/claims"), 200)
        .await;
    let active: f64 = claims
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["quantity"]["value"].as_f64().unwrap())
        .sum();
    let remainder = shown["remainder"].as_f64().unwrap();
    if active > 12.0 || remainder < 0.0 || (12.0 - active - remainder).abs() > 1e-9 {
        wrong.push(format!(
            "need {need}: claims add up to {active} of 12, remainder {remainder}"
        ));
    }
    (wrong, in_flight)
}

async fn claim_rounds(backend: Backend, guarded: bool, rounds: usize) -> (Vec<Violations>, usize) {
    let app = Arc::new(spawn(backend, Seed::Empty, guarded).await);
    let clinic = person(&app, "akua-mensah").await;
    let mut makers = Vec::new();
    for m in 0..MAKERS {
        makers.push(person(&app, &format!("maker-{m}")).await);
    }
    let mut found = Vec::new();
    let mut overlap = 0;
    for _ in 0..rounds {
        let (wrong, in_flight) = claims_round(&app, &clinic, &makers).await;
        overlap = overlap.max(in_flight);
        let caught = !wrong.is_empty();
        found.push(wrong);
        if !guarded && caught {
            break;
        }
    }
    (found, overlap)
}

async fn racing_claims_never_over_claim_on(backend: Backend) {
    let (rounds, overlap) = claim_rounds(backend, true, 10).await;
    println!(
        "{backend:?}: {} rounds of {MAKERS} makers on the last 8 units, up to {overlap} in flight",
        rounds.len()
    );
    let wrong: Vec<&String> = rounds.iter().flatten().collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    // The control: the same harness on a store that checks, then writes.
    let (rounds, overlap) = claim_rounds(backend, false, 10).await;
    println!(
        "{backend:?} without the guard: caught in round {} ({overlap} in flight): {:?}",
        rounds.len(),
        rounds.last()
    );
    assert!(
        rounds.iter().any(|r| !r.is_empty()),
        "the harness must catch a claim guard that checks before it writes"
    );
}

// ---------------------------------------------------------------- ledger

async fn treasury(app: &TestApp) -> f64 {
    let accounts = app
        .get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
        .await;
    accounts["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"] == "@treasury")
        .map_or(0.0, |b| b["amount"].as_f64().unwrap())
}

async fn ledger_entries(app: &TestApp) -> Vec<Value> {
    app.get_json(&format!("/api/coalitions/{OHA}/ledger/export"), 200)
        .await["entries"]
        .as_array()
        .unwrap()
        .clone()
}

/// A contender of the ledger race: its answer's status, and the amount it
/// gave (0 for a confirmed delivery).
type Contender = std::pin::Pin<Box<dyn Future<Output = (u16, f64)> + Send>>;

/// Sixteen donations recorded by a steward while eight deliveries are
/// confirmed into the same ledger, all at once.
async fn appends_and_deliveries(backend: Backend, guarded: bool) -> (Violations, usize) {
    const DONATIONS: usize = 16;
    const DELIVERIES: usize = 8;
    let app = Arc::new(spawn(backend, Seed::Demo, guarded).await);
    let steward = demo_account(&app, "amara-okafor").await;
    let member = demo_account(&app, "kenji-watanabe").await;
    let mut need = crate::needs::gauze(100.0);
    need["coalition"] = json!(OHA);
    let need = post_as(&app, &steward, "/api/needs", need).await;
    assert_eq!(need.status(), 201);
    let need = need.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let mut delivered = Vec::new();
    for _ in 0..DELIVERIES {
        let claim = post_as(
            &app,
            &member,
            &format!("/api/needs/{need}/claims"),
            json!({"quantity": 5.0}),
        )
        .await;
        assert_eq!(claim.status(), 201);
        let claim = claim.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
        for step in ["start", "deliver"] {
            let response = post_as(
                &app,
                &member,
                &format!("/api/claims/{claim}/{step}"),
                json!({}),
            )
            .await;
            assert_eq!(response.status(), 200, "{step}");
        }
        delivered.push(claim);
    }
    let before = ledger_entries(&app).await.len();
    let treasury_before = treasury(&app).await;

    let mut contenders: Vec<Contender> = Vec::new();
    for d in 0..DONATIONS {
        let (app, steward) = (app.clone(), steward.clone());
        let amount = 100.0 + d as f64;
        contenders.push(Box::pin(async move {
            let entry = json!({
                "action": "transfer", "provider": "komfo-anokye-hospital", "receiver": "@treasury",
                "resource": "USD", "quantity": amount, "unit": "USD", "category": "donation",
                "note": format!("Gift {d} towards the visor run")
            });
            let path = format!("/api/coalitions/{OHA}/ledger");
            (
                post_as(&app, &steward, &path, entry)
                    .await
                    .status()
                    .as_u16(),
                amount,
            )
        }));
    }
    for claim in delivered {
        let (app, steward) = (app.clone(), steward.clone());
        contenders.push(Box::pin(async move {
            let path = format!("/api/claims/{claim}/confirm");
            (
                post_as(&app, &steward, &path, json!({}))
                    .await
                    .status()
                    .as_u16(),
                0.0,
            )
        }));
    }
    let (outcomes, in_flight) = race(contenders).await;

    let mut wrong = Violations::new();
    let failed: Vec<u16> = outcomes
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| !matches!(s, 200 | 201))
        .collect();
    if !failed.is_empty() {
        wrong.push(format!("answers that are not 200/201: {failed:?}"));
    }
    let recorded: f64 = outcomes
        .iter()
        .filter(|(s, a)| *s == 201 && *a > 0.0)
        .map(|(_, a)| a)
        .sum();
    let confirmed = outcomes
        .iter()
        .filter(|(s, a)| *s == 200 && *a == 0.0)
        .count();
    let donated = outcomes
        .iter()
        .filter(|(s, a)| *s == 201 && *a > 0.0)
        .count();
    let entries = ledger_entries(&app).await;
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    if seqs != (1..=entries.len() as u64).collect::<Vec<_>>() {
        wrong.push(format!("the entry numbers have gaps or repeats: {seqs:?}"));
    }
    if entries.len() != before + donated + 2 * confirmed {
        wrong.push(format!(
            "{} entries, expected {before} + {donated} donations + 2 × {confirmed} deliveries",
            entries.len()
        ));
    }
    let verified = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    if verified["valid"] != true {
        wrong.push(format!("the chain does not verify: {verified}"));
    }
    let moved = treasury(&app).await - treasury_before;
    if (moved - recorded).abs() > 1e-6 {
        wrong.push(format!(
            "the treasury moved by {moved}, the recorded gifts add up to {recorded}"
        ));
    }
    (wrong, in_flight)
}

async fn ledger_appends_and_deliveries_interleave_on(backend: Backend) {
    let (wrong, overlap) = appends_and_deliveries(backend, true).await;
    println!("{backend:?}: 16 entries and 8 deliveries into one ledger, {overlap} in flight");
    assert!(wrong.is_empty(), "{wrong:?}");
    let (wrong, overlap) = appends_and_deliveries(backend, false).await;
    println!("{backend:?} without the ledger lock ({overlap} in flight): {wrong:?}");
    assert!(
        !wrong.is_empty(),
        "the harness must catch appends that do not lock the ledger"
    );
}

// --------------------------------------------------------------- payouts

/// Eight payouts of half of one outstanding share, at once.
async fn payouts(backend: Backend, guarded: bool) -> (Violations, usize) {
    const PAYERS: usize = 8;
    let app = Arc::new(spawn(backend, Seed::Demo, guarded).await);
    let steward = demo_account(&app, "amara-okafor").await;
    let owed = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    let share = owed
        .as_array()
        .unwrap()
        .iter()
        .find(|o| {
            o["void"] == false
                && o["kind"] == "revenue_share"
                && o["settled"].as_f64() == Some(0.0)
                && o["amount"].as_f64().unwrap() >= 0.01
        })
        .expect("an outstanding share in the demo")
        .clone();
    let amount = share["amount"].as_f64().unwrap();
    let half = (amount * 1000.0 / 2.0).floor() / 1000.0;
    let contenders = (0..PAYERS)
        .map(|_| {
            let (app, steward, share) = (app.clone(), steward.clone(), share.clone());
            async move {
                let payout = json!({
                    "action": "transfer", "provider": share["debtor"], "receiver": share["creditor"],
                    "resource": "USD", "quantity": half, "unit": "USD", "category": "payout",
                    "settles": share["id"]
                });
                let path = format!("/api/coalitions/{OHA}/ledger");
                status_and_body(post_as(&app, &steward, &path, payout).await).await
            }
        })
        .collect();
    let (outcomes, in_flight) = race(contenders).await;
    let mut wrong = Violations::new();
    let paid = outcomes.iter().filter(|(s, _)| *s == 201).count();
    if let Some((status, body)) = outcomes.iter().find(|(s, _)| *s != 201 && *s != 400) {
        wrong.push(format!("a payout was answered {status}: {body}"));
    }
    if paid > 2 {
        wrong.push(format!(
            "{paid} payouts of {half} settled a share of {amount}"
        ));
    }
    let after = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    let settled = after
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == share["id"])
        .map(|o| o["settled"].as_f64().unwrap())
        .unwrap_or_default();
    if settled > amount + 1e-9 {
        wrong.push(format!("{settled} settled of {amount} owed"));
    }
    (wrong, in_flight)
}

async fn payouts_never_settle_more_than_is_owed_on(backend: Backend) {
    let (wrong, overlap) = payouts(backend, true).await;
    println!("{backend:?}: 8 payouts of half a share, {overlap} in flight");
    assert!(wrong.is_empty(), "{wrong:?}");
    let (wrong, overlap) = payouts(backend, false).await;
    println!("{backend:?} without the ledger lock ({overlap} in flight): {wrong:?}");
    assert!(
        !wrong.is_empty(),
        "the harness must catch payouts checked outside the lock"
    );
}

// ------------------------------------------------------------- revisions

/// Rounds of sixteen edits of one design from its current revision.
async fn revisions(backend: Backend, guarded: bool, rounds: u32) -> (Vec<Violations>, usize) {
    const EDITORS: usize = 16;
    let app = Arc::new(spawn(backend, Seed::Empty, guarded).await);
    let author = person(&app, "ana-souza").await;
    let design = crate::design_writes::draft("Hand grain mill");
    let response = post_as(&app, &author, "/api/designs", &design).await;
    assert_eq!(response.status(), 201);
    let path = "/api/designs/hand-grain-mill";
    let mut found = Vec::new();
    let mut overlap = 0;
    for round in 1..=rounds {
        let contenders = (0..EDITORS)
            .map(|e| {
                let (app, author) = (app.clone(), author.clone());
                async move {
                    let edit = crate::design_writes::edit(
                        round,
                        &format!("Hand grain mill, round {round}, edit {e}"),
                    );
                    status_and_body(put_as(&app, &author, path, edit).await).await
                }
            })
            .collect();
        let (outcomes, in_flight) = race(contenders).await;
        overlap = overlap.max(in_flight);
        let mut wrong = Violations::new();
        let saved = outcomes.iter().filter(|(s, _)| *s == 200).count();
        if let Some((status, body)) = outcomes.iter().find(|(s, _)| *s != 200 && *s != 409) {
            wrong.push(format!(
                "round {round}: an edit was answered {status}: {body}"
            ));
        }
        if saved != 1 {
            wrong.push(format!(
                "round {round}: {saved} of {EDITORS} edits were saved"
            ));
        }
        let versions = app.get_json(&format!("{path}/versions"), 200).await;
        let count = versions.as_array().unwrap().len() as u32;
        if count != round + 1 {
            wrong.push(format!("round {round}: {count} revisions kept"));
        }
        let caught = !wrong.is_empty();
        found.push(wrong);
        if caught {
            break;
        }
    }
    (found, overlap)
}

async fn of_sixteen_edits_from_one_revision_exactly_one_is_saved_on(backend: Backend) {
    let (rounds, overlap) = revisions(backend, true, 5).await;
    println!("{backend:?}: 5 rounds of 16 edits from one revision, up to {overlap} in flight");
    let wrong: Vec<&String> = rounds.iter().flatten().collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    // The control: without the compare-and-set every edit replaces the
    // design, and the second guard, the primary key of the revisions kept,
    // still lets exactly one through (the others get its 409). The harness
    // finds nothing wrong because nothing is: two guards hold here, and only
    // removing both would break the invariant.
    let (rounds, overlap) = revisions(backend, false, 2).await;
    println!(
        "{backend:?} without compare-and-set ({overlap} in flight): {:?}",
        rounds.last()
    );
    let wrong: Vec<&String> = rounds.iter().flatten().collect();
    assert!(
        wrong.is_empty(),
        "the revisions' key holds alone: {wrong:?}"
    );
}

// -------------------------------------------------------------- sign-ins

/// 200 wrong passwords for one account at once: the limit (10 in 15
/// minutes) is counted before each check, atomically, so at most 10 are
/// checked (401) and the rest refused (429); then the right password is
/// refused too until the window passes.
async fn parallel_wrong_passwords_are_limited_on(backend: Backend) {
    const TRIES: usize = 200;
    let app = Arc::new(spawn(backend, Seed::Empty, true).await);
    app.register("akua-mensah").await;
    let contenders = (0..TRIES)
        .map(|t| {
            let app = app.clone();
            async move {
                let body =
                    json!({"login": "akua-mensah", "password": format!("not my password {t}")});
                app.post_json("/api/auth/login", &body)
                    .await
                    .status()
                    .as_u16()
            }
        })
        .collect();
    let (statuses, in_flight) = race(contenders).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    println!(
        "{backend:?}: {TRIES} wrong passwords at once ({in_flight} in flight): {checked} checked, {refused} refused"
    );
    assert_eq!(checked + refused, TRIES, "only 401 and 429: {statuses:?}");
    assert!(
        checked <= 10,
        "{checked} passwords were checked; the limit is 10"
    );
    assert!(checked > 0, "some were checked");
    let right = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "akua-mensah", "password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(
        right.status(),
        429,
        "locked for a while, even with the right password"
    );
}

/// 100 sign-ups at once: the password hashes take turns (at most a few at
/// once), so the server stays responsive; each sign-up is created or told
/// to retry (503 with Retry-After), never anything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sign_ups_takes_turns_and_health_still_answers() {
    const SIGN_UPS: usize = 100;
    let app = Arc::new(spawn(Backend::Sqlite, Seed::Empty, true).await);
    let probe = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut slowest = std::time::Duration::ZERO;
            for _ in 0..40 {
                let asked = Instant::now();
                assert_eq!(app.get("/api/health").await.status(), 200);
                slowest = slowest.max(asked.elapsed());
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            slowest
        })
    };
    let contenders = (0..SIGN_UPS)
        .map(|n| {
            let app = app.clone();
            async move {
                let handle = format!("maker-{n}");
                let body = json!({"handle": handle, "email": format!("{handle}@example.org"), "password": crate::helpers::PASSWORD});
                let response = post_as(&app, &app.other_client(), "/api/auth/register", body).await;
                let retry = response.headers().contains_key("retry-after");
                (response.status().as_u16(), retry)
            }
        })
        .collect();
    let started = Instant::now();
    let (outcomes, in_flight) = race(contenders).await;
    let took = started.elapsed();
    let slowest = probe.await.unwrap();
    let created = outcomes.iter().filter(|(s, _)| *s == 201).count();
    let busy = outcomes
        .iter()
        .filter(|(s, retry)| *s == 503 && *retry)
        .count();
    println!(
        "{SIGN_UPS} sign-ups at once ({in_flight} in flight): {created} created, {busy} told to retry, in {took:?}; slowest /api/health meanwhile {slowest:?}"
    );
    assert_eq!(created + busy, SIGN_UPS, "{outcomes:?}");
    assert!(created > 0);
}
