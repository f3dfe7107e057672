//! Limits that hold under load, over real HTTP: a client that stalls in
//! its headers (or idles between requests) is disconnected; a request slower than the request timeout
//! is answered 503 in the error envelope, but the live stream is never cut;
//! sign-ups are limited per client address (each forwarded address behind
//! a trusted proxy has its own allowance), atomically under a race; and
//! password checks that wait too long for their turn get 503 with
//! Retry-After, never a 500. Timings are printed, not asserted tightly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;
use stigmergy_server::config::Config;
use stigmergy_server::store::Backend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

use crate::helpers::{PASSWORD, Seed, TestApp, TestDb, assert_error, person, post_as};
use crate::needs::gauze;

crate::helpers::both_stores!(
    a_request_slower_than_the_request_timeout_gets_503_and_writes_nothing_on,
    the_live_stream_stays_open_past_the_request_timeout_on,
    sign_ups_past_the_limit_get_429_and_make_no_account_on,
    behind_a_trusted_proxy_each_forwarded_address_has_its_own_sign_ups_on,
);
crate::helpers::both_stores!(multi_thread: of_sixteen_sign_ups_racing_for_the_last_slot_exactly_one_succeeds_on, sign_ins_that_wait_too_long_for_a_hash_get_503_never_500_on);

async fn spawn(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_configured(TestDb::for_backend(backend).await, Seed::Empty, configure).await
}

fn sign_up_body(handle: &str) -> Value {
    json!({"handle": handle, "email": format!("{handle}@example.org"), "password": PASSWORD})
}

/// A sign-up from a client of its own, optionally through the proxy that
/// forwards for `forwarded_for`.
async fn sign_up(app: &TestApp, handle: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app
        .other_client()
        .post(app.url("/api/auth/register"))
        .header("x-stigmergy-csrf", "1")
        .json(&sign_up_body(handle));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.expect("the sign-up is answered")
}

/// Whether `handle` can sign in with the test password (an account exists).
async fn can_sign_in(app: &TestApp, handle: &str) -> bool {
    let response = post_as(
        app,
        &app.other_client(),
        "/api/auth/login",
        json!({"login": handle, "password": PASSWORD}),
    )
    .await;
    match response.status().as_u16() {
        200 => true,
        401 => false,
        other => panic!("signing in {handle}: {other}"),
    }
}

/// Checks a 429 or 503 answer: the envelope with `code`, and Retry-After.
async fn assert_retry_later(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status().as_u16(), status);
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|s| s > 0), "{retry_after:?}");
    assert_error(&response.json().await.unwrap(), code);
}

// ------------------------------------------------------------- timeouts

/// How long the server takes to close `stream` (EOF or reset), at most `bound`.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + bound).into(), stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {} // an answer; wait for the close
        }
    }
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let timeout = Duration::from_millis(300);
    let app = spawn(Backend::Sqlite, |config| {
        config.header_read_timeout = timeout
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let bound = Duration::from_secs(10);

    // A whole request on the same kind of raw connection is answered.
    let mut whole = TcpStream::connect(&address).await.unwrap();
    whole
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    whole.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A kept-alive connection left idle after its answer is closed too.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    idle.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let closed = closed_within(&mut idle, bound).await;
    println!("a kept-alive connection left idle after its answer: closed after {closed:?}");
    assert!(
        closed.is_some(),
        "an idle connection is still open after {bound:?}"
    );

    for (what, sent) in [
        ("half a request line", &b"GET /api/hea"[..]),
        (
            "a request line and half the headers",
            b"GET /api/health HTTP/1.1\r\nHost: x\r\nAccept: app",
        ),
        ("nothing", b""),
        ("half an HTTP/2 preface", b"PRI * HTTP/2.0\r\n"),
    ] {
        let mut stalled = TcpStream::connect(&address).await.unwrap();
        stalled.write_all(sent).await.unwrap();
        let closed = closed_within(&mut stalled, bound).await;
        println!(
            "a client that sent {what} and stalled: closed after {closed:?} (timeout {timeout:?})"
        );
        let closed = closed.unwrap_or_else(|| panic!("still open after {bound:?}: {what}"));
        assert!(closed >= timeout / 2, "closed before the timeout: {what}");
    }
}

/// Holds the database so that `POST /api/needs` (and, on PostgreSQL, any
/// read of needs) waits: an exclusive lock on the needs table, or SQLite's
/// one write lock. Released by `release`.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Blocker {
    async fn hold(app: &TestApp) -> Blocker {
        if app.db.url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut db)
                .await
                .unwrap();
            Blocker::Sqlite(db)
        } else {
            let mut db = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::raw_sql("BEGIN; LOCK TABLE needs IN ACCESS EXCLUSIVE MODE")
                .execute(&mut db)
                .await
                .unwrap();
            Blocker::Postgres(db)
        }
    }

    async fn release(self) {
        match self {
            Blocker::Sqlite(mut db) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut db).await.unwrap();
            }
            Blocker::Postgres(mut db) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut db).await.unwrap();
            }
        }
    }
}

async fn needs_total(app: &TestApp) -> u64 {
    app.get_json("/api/needs?state=all&limit=1", 200).await["total"]
        .as_u64()
        .unwrap()
}

async fn a_request_slower_than_the_request_timeout_gets_503_and_writes_nothing_on(
    backend: Backend,
) {
    // Under SQLite's busy timeout (5 s), so the write is still waiting;
    // over what a sign-up takes on a loaded machine (the setup's).
    let timeout = Duration::from_secs(2);
    let app = spawn(backend, |config| config.request_timeout = timeout).await;
    let clinic = person(&app, "akua-mensah").await;
    assert_eq!(needs_total(&app).await, 0);

    let blocker = Blocker::hold(&app).await;
    let asked = Instant::now();
    let response = post_as(&app, &clinic, "/api/needs", gauze(10.0)).await;
    let took = asked.elapsed();
    println!(
        "{backend:?}: a write held behind a lock answered after {took:?} (timeout {timeout:?})"
    );
    assert_retry_later(response, 503, "unavailable").await;
    assert!(took >= timeout, "answered before the timeout: {took:?}");
    if backend == Backend::Postgres {
        let asked = Instant::now();
        let response = app.get("/api/needs").await;
        println!(
            "{backend:?}: a read held behind a lock answered after {:?}",
            asked.elapsed()
        );
        assert_retry_later(response, 503, "unavailable").await;
    }
    blocker.release().await;

    assert_eq!(
        needs_total(&app).await,
        0,
        "the timed-out write left nothing"
    );
    let response = post_as(&app, &clinic, "/api/needs", gauze(10.0)).await;
    assert_eq!(response.status(), 201, "the server recovers");
    assert_eq!(needs_total(&app).await, 1);
}

async fn the_live_stream_stays_open_past_the_request_timeout_on(backend: Backend) {
    // Over what a sign-up takes on a loaded machine (the setup's).
    let timeout = Duration::from_secs(2);
    let app = spawn(backend, |config| config.request_timeout = timeout).await;
    let clinic = person(&app, "akua-mensah").await;
    let mut stream = reqwest::Client::new()
        .get(app.url("/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let opened = Instant::now();

    // No fixed wait: a write held behind a lock, sent after the stream
    // opened, is cut by the request timeout; once it is, the stream has
    // been open past the timeout too. It still carries a new change.
    let blocker = Blocker::hold(&app).await;
    let held = post_as(&app, &clinic, "/api/needs", gauze(10.0)).await;
    assert_retry_later(held, 503, "unavailable").await;
    blocker.release().await;
    let response = post_as(&app, &clinic, "/api/needs", gauze(10.0)).await;
    assert_eq!(response.status(), 201);
    let mut received = String::new();
    while !received.contains("event: need_declared") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within 10 s")
            .expect("the stream is still open");
        let chunk = chunk.expect("the stream did not end");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    println!(
        "{backend:?}: the stream carried a change {:?} after it opened (request timeout {timeout:?})",
        opened.elapsed()
    );
}

// -------------------------------------------------------------- sign-ups

async fn sign_ups_past_the_limit_get_429_and_make_no_account_on(backend: Backend) {
    let app = spawn(backend, |config| config.sign_ups_per_hour = 3).await;
    for n in 0..3 {
        let response = sign_up(&app, &format!("maker-{n}"), None).await;
        assert_eq!(response.status(), 201, "sign-up {n}");
    }
    assert_retry_later(sign_up(&app, "maker-3", None).await, 429, "rate_limited").await;
    assert!(!can_sign_in(&app, "maker-3").await, "no account was made");
    assert_eq!(accounts(&app).await, 3);
    assert!(can_sign_in(&app, "maker-0").await);
    // A forwarded address is not believed from an untrusted peer.
    assert_eq!(
        sign_up(&app, "maker-4", Some("203.0.113.9")).await.status(),
        429
    );
}

async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_sign_ups_on(backend: Backend) {
    let app = spawn(backend, |config| {
        config.sign_ups_per_hour = 2;
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for (client, address) in [("a", "203.0.113.7"), ("b", "198.51.100.20")] {
        for n in 0..2 {
            let response = sign_up(&app, &format!("{client}-maker-{n}"), Some(address)).await;
            assert_eq!(response.status(), 201, "{address}: sign-up {n}");
        }
        let over = sign_up(&app, &format!("{client}-maker-2"), Some(address)).await;
        assert_retry_later(over, 429, "rate_limited").await;
        // A hop the client wrote itself, left of the proxy's, changes nothing.
        let forged = format!("192.0.2.1, {address}");
        let over = sign_up(&app, &format!("{client}-maker-3"), Some(&forged)).await;
        assert_eq!(over.status(), 429, "{forged}");
    }
    assert!(can_sign_in(&app, "b-maker-1").await);
    assert!(!can_sign_in(&app, "a-maker-2").await);
}

async fn of_sixteen_sign_ups_racing_for_the_last_slot_exactly_one_succeeds_on(backend: Backend) {
    const LIMIT: u64 = 3;
    const RACERS: usize = 16;
    let app = Arc::new(
        spawn(backend, |config| {
            config.sign_ups_per_hour = LIMIT;
            config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        })
        .await,
    );
    for round in 0..4 {
        let address = format!("203.0.113.{round}");
        for n in 0..LIMIT - 1 {
            let response = sign_up(&app, &format!("early-{round}-{n}"), Some(&address)).await;
            assert_eq!(response.status(), 201);
        }
        let barrier = Arc::new(Barrier::new(RACERS));
        let racers: Vec<_> = (0..RACERS)
            .map(|n| {
                let (app, barrier, address) = (app.clone(), barrier.clone(), address.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let sent = Instant::now();
                    let handle = format!("racer-{round}-{n}");
                    let status = sign_up(&app, &handle, Some(&address)).await.status();
                    (handle, status.as_u16(), sent, Instant::now())
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for racer in racers {
            outcomes.push(racer.await.unwrap());
        }
        let last_sent = outcomes.iter().map(|o| o.2).max().unwrap();
        let overlapping = outcomes.iter().filter(|o| o.3 > last_sent).count();
        let won: Vec<_> = outcomes.iter().filter(|o| o.1 == 201).collect();
        let refused = outcomes.iter().filter(|o| o.1 == 429).count();
        println!(
            "{backend:?} round {round}: {RACERS} sign-ups for 1 slot, {overlapping} still in flight when the last was sent: {} created, {refused} refused",
            won.len()
        );
        assert_eq!(won.len(), 1, "{outcomes:?}");
        assert_eq!(refused, RACERS - 1, "{outcomes:?}");
        assert!(can_sign_in(&app, &won[0].0).await);
        let made = (round + 1) * LIMIT;
        assert_eq!(accounts(&app).await, made, "only the winners have accounts");
    }
}

/// How many accounts the app's database holds.
async fn accounts(app: &TestApp) -> u64 {
    let sql = "SELECT count(*) FROM accounts";
    let count: i64 = if app.db.url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap()
    };
    count as u64
}

// ------------------------------------------------------- password turns

async fn sign_ins_that_wait_too_long_for_a_hash_get_503_never_500_on(backend: Backend) {
    const SIGN_INS: usize = 40;
    let app = Arc::new(
        spawn(backend, |config| {
            config.hash_wait = Duration::from_millis(1);
        })
        .await,
    );
    app.register("akua-mensah").await;
    let barrier = Arc::new(Barrier::new(SIGN_INS));
    let tasks: Vec<_> = (0..SIGN_INS)
        .map(|_| {
            let (app, barrier) = (app.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                post_as(
                    &app,
                    &app.other_client(),
                    "/api/auth/login",
                    json!({"login": "akua-mensah", "password": PASSWORD}),
                )
                .await
            })
        })
        .collect();
    let (mut signed_in, mut busy) = (0, 0);
    for task in tasks {
        let response = task.await.unwrap();
        match response.status().as_u16() {
            200 => signed_in += 1,
            503 => {
                assert_retry_later(response, 503, "unavailable").await;
                busy += 1;
            }
            other => panic!("a sign-in got {other}: {}", response.text().await.unwrap()),
        }
    }
    println!(
        "{backend:?}: {SIGN_INS} sign-ins at once with a 1 ms wait for a hash: {signed_in} signed in, {busy} told to retry"
    );
    assert!(signed_in >= 1, "the first turns were taken");
    assert!(busy >= 1, "some waited longer than 1 ms");
    // And the account still signs in once the burst is over.
    assert!(can_sign_in(&app, "akua-mensah").await);
}
