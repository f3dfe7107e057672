//! The live event stream over real HTTP: events as changes happen, resuming
//! with Last-Event-ID without missing any, being told when too far behind,
//! filters, and a change on one server process reaching a subscriber of
//! another on the same PostgreSQL database.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stigmergy_server::store::{Backend, Live, SqlStore};

use crate::helpers::{Seed, TestApp, TestDb, person, post_as};
use crate::needs::gauze;

crate::helpers::both_stores!(a_change_between_reading_and_subscribing_arrives_on);

/// One server-sent event.
#[derive(Debug, Clone)]
struct SseEvent {
    id: Option<u64>,
    name: String,
    data: Value,
}

/// Reads `text/event-stream` from a response, event by event.
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    async fn open(url: &str, last_event_id: Option<u64>) -> SseReader {
        let mut request = reqwest::Client::new().get(url);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.expect("the stream opens");
        assert_eq!(response.status(), 200, "GET {url}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (heartbeat comments skipped), or `None` after `wait`.
    async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: None,
                    name: "message".into(),
                    data: Value::Null,
                };
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(id) = line.strip_prefix("id:") {
                        event.id = id.trim().parse().ok();
                    } else if let Some(name) = line.strip_prefix("event:") {
                        event.name = name.trim().to_owned();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a comment: the heartbeat
                }
                event.data = serde_json::from_str(&data).expect("JSON data");
                return Some(event);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

async fn declare(app: &TestApp, client: &reqwest::Client, quantity: f64) -> u64 {
    let response = post_as(app, client, "/api/needs", gauze(quantity)).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap()
}

async fn claim(app: &TestApp, client: &reqwest::Client, need: u64, quantity: f64) -> u64 {
    let response = post_as(
        app,
        client,
        &format!("/api/needs/{need}/claims"),
        json!({"quantity": quantity}),
    )
    .await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_client_that_reconnects_gets_every_event_it_missed() {
    let app = TestApp::spawn(Seed::Empty).await;
    let clinic = person(&app, "akua-mensah").await;
    let maker = person(&app, "kwame-asante").await;
    let url = app.url("/api/events");

    let mut stream = SseReader::open(&url, None).await;
    let need = declare(&app, &clinic, 100.0).await;
    let first = stream
        .next(Duration::from_secs(5))
        .await
        .expect("the need's event");
    assert_eq!(first.name, "need_declared");
    assert_eq!(first.data["change"]["need"], need);
    assert_eq!(first.data["id"].as_u64(), first.id);
    let claim_id = claim(&app, &maker, need, 30.0).await;
    let second = stream
        .next(Duration::from_secs(5))
        .await
        .expect("the claim's event");
    assert_eq!(second.name, "claim_made");
    assert_eq!(second.data["change"]["remainder"], 70.0);
    let seen = second.id.unwrap();
    drop(stream);

    // While away: a claim step, another claim, a withdrawal.
    assert_eq!(
        post_as(
            &app,
            &maker,
            &format!("/api/claims/{claim_id}/start"),
            json!({})
        )
        .await
        .status(),
        200
    );
    let other = claim(&app, &maker, need, 20.0).await;
    post_as(
        &app,
        &maker,
        &format!("/api/claims/{other}/withdraw"),
        json!({}),
    )
    .await;

    let mut stream = SseReader::open(&url, Some(seen)).await;
    let mut missed = Vec::new();
    for _ in 0..3 {
        missed.push(
            stream
                .next(Duration::from_secs(5))
                .await
                .expect("a missed event"),
        );
    }
    let names: Vec<&str> = missed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["claim_changed", "claim_made", "claim_changed"]);
    let ids: Vec<u64> = missed.iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(
        ids,
        [seen + 1, seen + 2, seen + 3],
        "in order, none missing"
    );
    assert_eq!(missed[0].data["change"]["state"], "in_progress");
    assert_eq!(missed[2].data["change"]["remainder"], 70.0);
    // And then live again, with nothing sent twice.
    let next = declare(&app, &clinic, 5.0).await;
    let live = stream.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(live.data["change"]["need"], next);
    assert_eq!(live.id, Some(seen + 4));
}

#[tokio::test]
async fn a_client_too_far_behind_is_told_so_and_filters_apply() {
    let app = TestApp::spawn(Seed::Demo).await;
    let store = SqlStore::connect(&app.db.url).await.unwrap();
    let (low, high) = store
        .live_event_range()
        .await
        .unwrap()
        .expect("the demo's events");
    assert!(high > low);
    store.prune_live_events(1).await.unwrap();

    let mut stream = SseReader::open(&app.url("/api/events"), Some(low)).await;
    let reset = stream.next(Duration::from_secs(5)).await.expect("a reset");
    assert_eq!(reset.name, "reset");
    assert!(reset.data["message"].as_str().unwrap().contains("reload"));

    // Filtered to one coalition and one kind: other changes do not arrive.
    let clinic = person(&app, "akua-mensah").await;
    let mut filtered = SseReader::open(
        &app.url("/api/events?coalition=open-hardware-africa&kind=need_declared"),
        None,
    )
    .await;
    declare(&app, &clinic, 3.0).await; // no coalition
    let mut asked = gauze(4.0);
    asked["coalition"] = json!("open-hardware-africa");
    // Asked by an outsider, it is not the coalition's: no event for it.
    let outside = post_as(&app, &clinic, "/api/needs", &asked).await;
    assert_eq!(outside.status(), 201);
    // Declared by a member (a steward of it), it is.
    let steward = app.other_client();
    let signed_in = post_as(
        &app,
        &steward,
        "/api/auth/login",
        json!({"login": "amara-okafor", "password": "open hardware for everyone"}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let response = post_as(&app, &steward, "/api/needs", &asked).await;
    let need = response.json::<Value>().await.unwrap()["id"].clone();
    let event = filtered.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(event.data["change"]["need"], need);
    assert_eq!(event.data["coalition"], "open-hardware-africa");

    let bad = app.get("/api/events?kind=gossip").await;
    assert_eq!(bad.status(), 400);
}

/// A `stigmergy` server process on `database_url`, stopped when dropped.
struct Replica {
    child: Child,
    url: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a replica on a port it chooses itself (127.0.0.1:0) and reads
/// the address back from the line it prints, so no other test can take
/// the port in between.
async fn replica(database_url: &str, demo: bool) -> Replica {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_stigmergy"))
        .env("STIGMERGY_BIND", "127.0.0.1:0")
        .env("STIGMERGY_DATABASE_URL", database_url)
        .env("STIGMERGY_DEMO", if demo { "1" } else { "0" })
        .env("STIGMERGY_STATIC_DIR", "/nonexistent")
        .env("STIGMERGY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts");
    let stdout = child.stdout.take().expect("the replica's output");
    let url = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let url = lines.by_ref().map_while(Result::ok).find_map(|line| {
            line.split_once("running at ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .map(|url| url.trim_end_matches('/').to_owned())
        });
        // Keep reading, so the replica never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        url
    })
    .await
    .unwrap()
    .expect("the replica says where it listens");
    let response = reqwest::get(format!("{url}/api/health")).await.unwrap();
    assert_eq!(response.status(), 200, "the replica at {url} answers");
    Replica { child, url }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_on_one_replica_reaches_subscribers_of_another() {
    let db = TestDb::postgres().await;
    let a = replica(&db.url, true).await;
    let b = replica(&db.url, false).await;
    // Two people on replica A: one declares a need, the other claims it.
    let sign_up = |handle: &'static str| {
        let url = a.url.clone();
        async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap();
            let body = json!({
                "handle": handle,
                "email": format!("{handle}@example.org"),
                "password": crate::helpers::PASSWORD,
            });
            let response = client
                .post(format!("{url}/api/auth/register"))
                .header("x-stigmergy-csrf", "1")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            client
        }
    };
    let clinic = sign_up("akua-mensah").await;
    let client = sign_up("kwame-asante").await;
    let need: Value = clinic
        .post(format!("{}/api/needs", a.url))
        .header("x-stigmergy-csrf", "1")
        .json(&gauze(100.0))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let need = need["id"].as_u64().unwrap();

    let mut on_b = SseReader::open(&format!("{}/api/events?kind=claim_made", b.url), None).await;
    let mut latencies = Vec::new();
    for _ in 0..5 {
        let sent = Instant::now();
        let response = client
            .post(format!("{}/api/needs/{need}/claims", a.url))
            .header("x-stigmergy-csrf", "1")
            .json(&json!({"quantity": 1.0}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let event = on_b
            .next(Duration::from_secs(10))
            .await
            .expect("the claim on A reached B");
        latencies.push(sent.elapsed());
        assert_eq!(event.data["change"]["need"], need);
        assert_eq!(event.data["change"]["provider"], "kwame-asante");
    }
    eprintln!("claim on replica A to event on replica B: {latencies:?}");
}

#[tokio::test]
async fn designs_published_and_revised_are_live_events_too() {
    let app = TestApp::spawn(Seed::Empty).await;
    let author = person(&app, "ana-souza").await;
    let mut stream = SseReader::open(
        &app.url("/api/events?kind=design_published,design_revised"),
        None,
    )
    .await;
    let design = crate::design_writes::draft("Hand grain mill");
    let response = post_as(&app, &author, "/api/designs", &design).await;
    assert_eq!(response.status(), 201);
    let published = stream
        .next(Duration::from_secs(5))
        .await
        .expect("published");
    assert_eq!(published.name, "design_published");
    assert_eq!(published.data["change"]["design"], "hand-grain-mill");
    let edit = crate::design_writes::edit(1, "Hand grain mill, steel burrs");
    let response =
        crate::helpers::put_as(&app, &author, "/api/designs/hand-grain-mill", &edit).await;
    assert_eq!(response.status(), 200);
    let revised = stream.next(Duration::from_secs(5)).await.expect("revised");
    assert_eq!(revised.name, "design_revised");
    assert_eq!(revised.data["change"]["revision"], 2);
}

/// The `Live-Position` header of a GET answer.
fn position_of(response: &reqwest::Response) -> u64 {
    response.headers()["live-position"]
        .to_str()
        .unwrap()
        .parse()
        .expect("a position")
}

/// A page reads its list, then opens the stream: a change made between the
/// two still arrives, because the stream starts where the list was read.
async fn a_change_between_reading_and_subscribing_arrives_on(backend: Backend) {
    let app = TestApp::spawn_on(
        TestDb::for_backend(backend).await,
        Seed::Empty,
        "/nonexistent".into(),
    )
    .await;
    let clinic = person(&app, "akua-mensah").await;
    let first = declare(&app, &clinic, 10.0).await;
    // Wait until the hub has sent the first need's event, so the position
    // below is past it.
    let mut watcher = SseReader::open(&app.url("/api/events"), Some(0)).await;
    let seen = watcher
        .next(Duration::from_secs(10))
        .await
        .expect("the first need's event");
    assert_eq!(seen.data["change"]["need"], first);

    let list = app.get("/api/needs").await;
    assert_eq!(list.status(), 200);
    let at = position_of(&list);
    assert_eq!(Some(at), seen.id, "the list was read after the first event");
    let page: Value = list.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // The change nobody is subscribed for yet.
    let between = declare(&app, &clinic, 20.0).await;
    // Wait until the hub has sent it too: a stream opened now without a
    // position would start after it and never show it.
    let sent = watcher
        .next(Duration::from_secs(10))
        .await
        .expect("the second event");
    assert_eq!(sent.data["change"]["need"], between);
    let mut unpositioned = SseReader::open(&app.url("/api/events"), None).await;

    let mut stream =
        SseReader::open(&app.url(&format!("/api/events?last_event_id={at}")), None).await;
    let event = stream
        .next(Duration::from_secs(10))
        .await
        .expect("the change in between");
    assert_eq!(event.name, "need_declared");
    assert_eq!(event.data["change"]["need"], between);
    // The control: without the position, the change is lost.
    let after = declare(&app, &clinic, 30.0).await;
    let next = unpositioned.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        next.data["change"]["need"], after,
        "a stream without the position skips {between}"
    );
    let next = stream.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        next.data["change"]["need"], after,
        "then live, nothing twice"
    );
    // Every GET of the API carries the position; the stream does not.
    for path in [
        "/api/needs/gaps",
        "/api/flows",
        "/api/designs",
        &format!("/api/needs/{first}"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(position_of(&response) >= at, "{path}");
    }
}

/// On PostgreSQL an event id is taken when its transaction writes, and
/// transactions commit in any order. The hub holds the events after a hole
/// for as long as the transaction that may fill it runs (here far longer
/// than the two seconds it used to wait), sends the late event in its
/// place when it commits, and moves past a hole at once when its
/// transaction rolls back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_late_commit_is_sent_in_its_place_and_a_rollback_is_skipped() {
    use sqlx::Connection;
    let app = TestApp::spawn_on(TestDb::postgres().await, Seed::Empty, "/nonexistent".into()).await;
    let clinic = person(&app, "akua-mensah").await;
    let mut stream = SseReader::open(&app.url("/api/events"), None).await;
    declare(&app, &clinic, 1.0).await;
    stream
        .next(Duration::from_secs(10))
        .await
        .expect("the first need's event");
    let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
    let late_change: (String,) =
        sqlx::query_as("SELECT change FROM live_events ORDER BY id DESC LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();

    // A transaction takes an id and takes its time.
    let mut slow = conn.begin().await.unwrap();
    let (late,): (i64,) = sqlx::query_as(
        "INSERT INTO live_events (kind, coalition_id, change, at) VALUES ('need_declared', NULL, $1, now()) RETURNING id",
    )
    .bind(&late_change.0)
    .fetch_one(&mut *slow)
    .await
    .unwrap();
    let behind = declare(&app, &clinic, 2.0).await;
    let held = Instant::now();
    let early = stream.next(Duration::from_secs(4)).await;
    assert!(
        early.is_none(),
        "nothing passes the hole while its transaction runs: {early:?}"
    );
    slow.commit().await.unwrap();
    let first = stream
        .next(Duration::from_secs(10))
        .await
        .expect("the late event");
    assert_eq!(first.id, Some(late as u64), "the late event, in its place");
    let second = stream
        .next(Duration::from_secs(10))
        .await
        .expect("the one behind it");
    assert_eq!(second.data["change"]["need"], behind);
    assert_eq!(second.id, Some(late as u64 + 1));
    println!("held behind a running transaction for {:?}", held.elapsed());

    // A transaction that rolls back leaves a hole for good: skipped at once.
    let mut undone = conn.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO live_events (kind, coalition_id, change, at) VALUES ('need_declared', NULL, $1, now())",
    )
    .bind(&late_change.0)
    .execute(&mut *undone)
    .await
    .unwrap();
    undone.rollback().await.unwrap();
    let declared = Instant::now();
    let after = declare(&app, &clinic, 3.0).await;
    let event = stream
        .next(Duration::from_secs(10))
        .await
        .expect("past the hole");
    assert_eq!(event.data["change"]["need"], after);
    println!("past a rolled-back hole in {:?}", declared.elapsed());
}

/// One address holds at most 16 streams at once; the 17th is told to wait,
/// and a stream that closes gives its place back.
#[tokio::test]
async fn one_address_holds_a_bounded_number_of_streams() {
    let app = TestApp::spawn(Seed::Empty).await;
    let url = app.url("/api/events");
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(SseReader::open(&url, None).await);
    }
    let refused = reqwest::get(&url).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    crate::helpers::assert_error(&body, "rate_limited");
    drop(open.pop());
    let closed = Instant::now();
    loop {
        let again = reqwest::get(&url).await.unwrap();
        if again.status() == 200 {
            break;
        }
        assert_eq!(again.status(), 429);
        assert!(
            closed.elapsed() < Duration::from_secs(40),
            "the closed stream's place never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "a closed stream's place came back after {:?}",
        closed.elapsed()
    );
}

async fn open_from(url: &str, forwarded_for: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
}

/// `X-Forwarded-For` names the client only when the request comes from a
/// configured trusted proxy; from anyone else it is ignored.
#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // Not trusted: every stream is 127.0.0.1's, whatever the header says.
    let app = TestApp::spawn(Seed::Empty).await;
    let url = app.url("/api/events");
    let mut open = Vec::new();
    for n in 0..16 {
        let response = open_from(&url, &format!("198.51.100.{n}")).await;
        assert_eq!(response.status(), 200);
        open.push(response);
    }
    assert_eq!(open_from(&url, "198.51.100.99").await.status(), 429);

    // Behind a trusted proxy at 127.0.0.1: each forwarded client has its
    // own 16, and a forged hop to the left of the proxy's is not believed.
    let app = TestApp::spawn_configured(TestDb::sqlite(), Seed::Empty, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let url = app.url("/api/events");
    let mut open = Vec::new();
    for _ in 0..16 {
        let response = open_from(&url, "203.0.113.7, 127.0.0.1").await;
        assert_eq!(response.status(), 200);
        open.push(response);
    }
    assert_eq!(open_from(&url, "203.0.113.7").await.status(), 429);
    assert_eq!(
        open_from(&url, "203.0.113.7, 198.51.100.1").await.status(),
        200,
        "the right-most untrusted address is the client"
    );
    assert_eq!(open_from(&url, "192.0.2.55").await.status(), 200);
}
