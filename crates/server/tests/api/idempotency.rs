//! Retries are safe, on both stores: a POST sent again with the same
//! Idempotency-Key replays its first answer and writes nothing; the same
//! key with another request is a 422; racing retries write once.

use serde_json::{Value, json};
use sqlx::Connection;
use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, TestDb, assert_error, both_stores, person};
use crate::needs::gauze;

both_stores!(retried_posts_write_once,);

const DEMO_PASSWORD: &str = "open hardware for everyone";

/// POSTs `body` from `client` with the CSRF header and, when given, a key.
async fn post_keyed(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = client
        .post(app.url(path))
        .header("x-stigmergy-csrf", "1")
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("the request is answered")
}

async fn total_needs(app: &TestApp) -> u64 {
    app.get_json("/api/needs?state=all&limit=1", 200).await["total"]
        .as_u64()
        .unwrap()
}

async fn retried_posts_write_once(backend: Backend) {
    let app = TestApp::spawn_on(
        TestDb::for_backend(backend).await,
        Seed::Demo,
        "/nonexistent".into(),
    )
    .await;
    let clinic = person(&app, "akua-mensah").await;
    let maker = person(&app, "kwame-asante").await;
    let before = total_needs(&app).await;

    // A need declared twice with one key: one need, the same answer.
    let need_body = gauze(120.0);
    let first = post_keyed(&app, &clinic, "/api/needs", Some("need-7f3a"), &need_body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = post_keyed(&app, &clinic, "/api/needs", Some("need-7f3a"), &need_body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert!(
        again.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(total_needs(&app).await, before + 1);

    // The same key with another body: refused, nothing written.
    let other = post_keyed(&app, &clinic, "/api/needs", Some("need-7f3a"), &gauze(5.0)).await;
    assert_eq!(other.status(), 422);
    assert_error(&other.json().await.unwrap(), "idempotency_key_reused");
    assert_eq!(total_needs(&app).await, before + 1);
    // Keys are per account: another person's key of the same name is theirs.
    let theirs = post_keyed(&app, &maker, "/api/needs", Some("need-7f3a"), &need_body).await;
    assert_eq!(theirs.status(), 201);
    assert_eq!(total_needs(&app).await, before + 2);
    // A key that is not visible ASCII is a 400, and writes nothing.
    let bad = post_keyed(&app, &clinic, "/api/needs", Some("two words"), &need_body).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(total_needs(&app).await, before + 2);

    // A claim retried after a lost answer: claimed once.
    let id = first["id"].as_u64().unwrap();
    let claims = format!("/api/needs/{id}/claims");
    let claim_body = json!({"quantity": 40});
    let claim = post_keyed(&app, &maker, &claims, Some("claim-1"), &claim_body).await;
    assert_eq!(claim.status(), 201);
    let claim: Value = claim.json().await.unwrap();
    let retry = post_keyed(&app, &maker, &claims, Some("claim-1"), &claim_body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.json::<Value>().await.unwrap()["id"], claim["id"]);
    let need = app.get_json(&format!("/api/needs/{id}"), 200).await;
    assert_eq!(need["remainder"], 80.0, "claimed once");

    // Claim steps: a retried confirmation records its events once.
    let claim_id = claim["id"].as_u64().unwrap();
    for (who, step) in [(&maker, "start"), (&maker, "deliver"), (&clinic, "confirm")] {
        let path = format!("/api/claims/{claim_id}/{step}");
        let key = format!("step-{step}");
        for _ in 0..2 {
            let response = post_keyed(&app, who, &path, Some(&key), &json!({})).await;
            assert_eq!(response.status(), 200, "{step}");
        }
    }
    let events = app
        .get_json(&format!("/api/economic-events?claim={claim_id}"), 200)
        .await;
    assert_eq!(events.as_array().unwrap().len(), 2);
    // Without a key, a repeated step is refused as before.
    let unkeyed = post_keyed(
        &app,
        &clinic,
        &format!("/api/claims/{claim_id}/confirm"),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(unkeyed.status(), 409);

    // Ledger entries and payouts: recorded once.
    let steward = app.other_client();
    let signed_in = post_keyed(
        &app,
        &steward,
        "/api/auth/login",
        Some("login-1"),
        &json!({"login": "amara-okafor", "password": DEMO_PASSWORD}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let ledger = "/api/coalitions/open-hardware-africa/ledger";
    let entries_before = ledger_length(&app, ledger).await;
    let grant = json!({
        "action": "transfer", "provider": "komfo-anokye-hospital", "receiver": "@treasury",
        "resource": "USD", "quantity": 250, "unit": "USD", "category": "donation",
        "note": "Towards a second laser cutter"
    });
    for _ in 0..3 {
        let response = post_keyed(&app, &steward, ledger, Some("grant-2026-11"), &grant).await;
        assert_eq!(response.status(), 201);
    }
    assert_eq!(ledger_length(&app, ledger).await, entries_before + 1);

    // Racing retries of one request: one write, every answer the same need.
    let race_body = gauze(7.0);
    let before = total_needs(&app).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, url, body, barrier) = (
            clinic.clone(),
            app.url("/api/needs"),
            race_body.clone(),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let response = client
                .post(url)
                .header("x-stigmergy-csrf", "1")
                .header("Idempotency-Key", "race-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => {
                ids.insert(body["id"].as_u64().unwrap());
            }
            409 => {
                assert_error(&body, "idempotency_in_flight");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 names the one need: {ids:?}");
    assert_eq!(total_needs(&app).await, before + 1);

    // After 24 hours a key counts no more.
    move_keys_back(&app, backend).await;
    let later = post_keyed(&app, &clinic, "/api/needs", Some("need-7f3a"), &gauze(5.0)).await;
    assert_eq!(later.status(), 201);
}

async fn ledger_length(app: &TestApp, ledger: &str) -> usize {
    app.get_json(&format!("{ledger}/export"), 200).await["entries"]
        .as_array()
        .unwrap()
        .len()
}

/// Ages every stored key by 25 hours.
async fn move_keys_back(app: &TestApp, backend: Backend) {
    match backend {
        Backend::Sqlite => {
            let mut db = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(
                "UPDATE idempotency_keys SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '-25 hours')",
            )
            .execute(&mut db)
            .await
            .unwrap();
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(
                "UPDATE idempotency_keys SET created_at = created_at - INTERVAL '25 hours'",
            )
            .execute(&mut db)
            .await
            .unwrap();
        }
    }
}
