//! A person's own account through real HTTP: HSTS and the `__Host-` cookie
//! with secure cookies, `no-store` on personal answers, changing the
//! password, seeing and ending sessions, expired sessions purged, and API
//! tokens that expire. Those that move stored times run on both stores.

use std::path::PathBuf;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::Connection;
use stigmergy_server::store::Backend;

use crate::helpers::{
    PASSWORD, Seed, TestApp, TestDb, assert_error, both_stores, person, post_as, put_as,
};

both_stores!(
    secure_cookies_bring_hsts_and_a_host_prefixed_cookie_read_by_that_name_only,
    plain_http_has_neither_hsts_nor_the_host_prefix,
    personal_answers_and_new_secrets_are_never_cached,
    a_wrong_current_password_is_refused_beside_that_field_and_changes_nothing,
    a_weak_or_unchanged_new_password_is_refused_with_the_reason,
    a_new_password_signs_in_and_ends_every_other_session_but_this_one,
    wrong_current_passwords_are_limited_like_failed_sign_ins,
    api_tokens_cannot_change_the_password_or_touch_sessions,
    sessions_are_listed_without_secrets_and_end_one_or_all_others,
    nobody_ends_another_persons_session_and_ending_ones_own_signs_out,
    expired_sessions_are_purged_at_the_next_sign_in,
    a_token_expiry_in_the_past_too_far_ahead_or_not_a_date_is_refused,
    a_token_works_until_its_expiry_then_gets_401,
);

const NEW_PASSWORD: &str = "kelp drying on the north pier";

async fn app_on(backend: Backend) -> TestApp {
    let db = TestDb::for_backend(backend).await;
    TestApp::spawn_on(db, Seed::Empty, PathBuf::from("/nonexistent")).await
}

/// How many session rows the app's database holds.
async fn stored_sessions(app: &TestApp) -> i64 {
    let sql = "SELECT count(*) FROM sessions";
    let (count,): (i64,) = if app.db.url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_as(sql).fetch_one(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_as(sql).fetch_one(&mut db).await.unwrap()
    };
    count
}

/// Signs `login` in on a client of its own (another browser).
async fn sign_in(app: &TestApp, login: &str, password: &str) -> reqwest::Client {
    sign_in_with_token(app, login, password).await.0
}

/// Signs in like [`sign_in`], also returning the session's token.
async fn sign_in_with_token(
    app: &TestApp,
    login: &str,
    password: &str,
) -> (reqwest::Client, String) {
    let client = app.other_client();
    let response = post_as(
        app,
        &client,
        "/api/auth/login",
        json!({"login": login, "password": password}),
    )
    .await;
    assert_eq!(response.status(), 200, "signing in {login}");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    (client, token.to_owned())
}

async fn status_of_me(app: &TestApp, client: &reqwest::Client) -> u16 {
    client
        .get(app.url("/api/me"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn change_password(
    app: &TestApp,
    client: &reqwest::Client,
    current: &str,
    new: &str,
) -> reqwest::Response {
    put_as(
        app,
        client,
        "/api/me/password",
        json!({"current_password": current, "new_password": new}),
    )
    .await
}

async fn login_status(app: &TestApp, password: &str) -> u16 {
    post_as(
        app,
        &app.other_client(),
        "/api/auth/login",
        json!({"login": "ana-souza", "password": password}),
    )
    .await
    .status()
    .as_u16()
}

async fn delete(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client
        .delete(app.url(path))
        .header("x-stigmergy-csrf", "1")
        .send()
        .await
        .unwrap()
}

async fn sessions(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let response = client
        .get(app.url("/api/me/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

// Headers

async fn secure_cookies_bring_hsts_and_a_host_prefixed_cookie_read_by_that_name_only(
    backend: Backend,
) {
    let app = TestApp::spawn_configured(TestDb::for_backend(backend).await, Seed::Empty, |c| {
        c.secure_cookies = true
    })
    .await;

    let registered = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "ana-souza", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;

    assert_eq!(
        registered.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    let cookie = registered.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-stigmergy_session="), "{cookie}");
    for part in ["; Secure", "; Path=/", "HttpOnly"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let health = app.get("/api/health").await;
    assert_eq!(
        health.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains",
        "on every response"
    );
    let pair = cookie.split(';').next().unwrap();
    let token = pair.split_once('=').unwrap().1;
    let me_with = |cookie: String| {
        reqwest::Client::new()
            .get(app.url("/api/me"))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(me_with(pair.to_owned()).await.unwrap().status(), 200);
    assert_eq!(
        me_with(format!("stigmergy_session={token}"))
            .await
            .unwrap()
            .status(),
        401,
        "the plain name is not read when cookies are secure"
    );
    let logout = reqwest::Client::new()
        .post(app.url("/api/auth/logout"))
        .header("cookie", pair)
        .header("x-stigmergy-csrf", "1")
        .send()
        .await
        .unwrap();
    assert!(
        logout.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("__Host-stigmergy_session=;")
    );
    assert_eq!(me_with(pair.to_owned()).await.unwrap().status(), 401);
}

async fn plain_http_has_neither_hsts_nor_the_host_prefix(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    let registered = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "ana-souza", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;

    assert!(
        registered
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    let cookie = registered.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("stigmergy_session="), "{cookie}");
    assert!(
        app.get("/api/health")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let prefixed = reqwest::Client::new()
        .get(app.url("/api/me"))
        .header("cookie", format!("__Host-stigmergy_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        prefixed.status(),
        401,
        "only the name that matches the setting"
    );
}

async fn personal_answers_and_new_secrets_are_never_cached(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    let me = app.get("/api/me").await;
    let token = app
        .post_json("/api/me/tokens", &json!({"name": "sync"}))
        .await;
    let tokens = app.get("/api/me/tokens").await;
    let sessions = app.get("/api/me/sessions").await;

    for (what, response) in [
        ("GET /api/me", me),
        ("POST /api/me/tokens", token),
        ("GET /api/me/tokens", tokens),
        ("GET /api/me/sessions", sessions),
    ] {
        assert!(response.status().is_success(), "{what}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{what}");
    }
    let designs = app.get("/api/designs").await;
    assert!(
        designs.headers().get("cache-control").is_none(),
        "only personal answers"
    );
}

// Changing the password

async fn a_wrong_current_password_is_refused_beside_that_field_and_changes_nothing(
    backend: Backend,
) {
    let app = app_on(backend).await;
    app.register("ana-souza").await;
    let laptop = sign_in(&app, "ana-souza", PASSWORD).await;

    let response = change_password(&app, &app.client, "not my password at all", NEW_PASSWORD).await;

    assert_eq!(response.status(), 400);
    let error = assert_error(&response.json().await.unwrap(), "invalid_input");
    assert!(
        error["fields"]["current_password"]
            .as_str()
            .unwrap()
            .contains("not your current password"),
        "{error}"
    );
    assert!(error["fields"].get("new_password").is_none(), "{error}");
    assert_eq!(
        login_status(&app, PASSWORD).await,
        200,
        "the old one still works"
    );
    assert_eq!(login_status(&app, NEW_PASSWORD).await, 401);
    assert_eq!(status_of_me(&app, &laptop).await, 200, "no session ended");
}

async fn a_weak_or_unchanged_new_password_is_refused_with_the_reason(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    for (new, why) in [
        ("short", "at least 8"),
        ("password123", "guesser would try"),
        ("ana-souza1", "guesser would try"),
        (PASSWORD, "not the one you have"),
    ] {
        let response = change_password(&app, &app.client, PASSWORD, new).await;
        assert_eq!(response.status(), 400, "{new}");
        let error = assert_error(&response.json().await.unwrap(), "invalid_input");
        let message = error["fields"]["new_password"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{new}: {error}");
    }
    let missing = change_password(&app, &app.client, "", NEW_PASSWORD).await;
    let error = assert_error(&missing.json().await.unwrap(), "invalid_input");
    assert!(error["fields"]["current_password"].is_string(), "{error}");
    assert_eq!(login_status(&app, PASSWORD).await, 200, "nothing changed");
}

async fn a_new_password_signs_in_and_ends_every_other_session_but_this_one(backend: Backend) {
    let app = app_on(backend).await;
    app.register("ana-souza").await;
    let laptop = sign_in(&app, "ana-souza", PASSWORD).await;
    let bo = person(&app, "bo-li").await;

    let response = change_password(&app, &app.client, PASSWORD, NEW_PASSWORD).await;

    assert_eq!(response.status(), 204);
    assert_eq!(
        status_of_me(&app, &app.client).await,
        200,
        "this session stays"
    );
    assert_eq!(
        status_of_me(&app, &laptop).await,
        401,
        "the other one ended"
    );
    assert_eq!(
        status_of_me(&app, &bo).await,
        200,
        "other people are untouched"
    );
    assert_eq!(
        login_status(&app, PASSWORD).await,
        401,
        "the old password is gone"
    );
    assert_eq!(login_status(&app, NEW_PASSWORD).await, 200);
}

async fn wrong_current_passwords_are_limited_like_failed_sign_ins(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    for _ in 0..stigmergy_server::auth::FAILURES_PER_ACCOUNT {
        let response = change_password(&app, &app.client, "guess guess guess", NEW_PASSWORD).await;
        assert_eq!(response.status(), 400);
    }
    let limited = change_password(&app, &app.client, PASSWORD, NEW_PASSWORD).await;

    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "900");
    assert_error(&limited.json().await.unwrap(), "rate_limited");
    assert_eq!(
        login_status(&app, PASSWORD).await,
        429,
        "one count for the account: signing in is limited too"
    );
}

async fn api_tokens_cannot_change_the_password_or_touch_sessions(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let created: Value = app
        .post_json("/api/me/tokens", &json!({"name": "sync"}))
        .await
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap();
    let software = reqwest::Client::new();

    let password = software
        .put(app.url("/api/me/password"))
        .bearer_auth(token)
        .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    let listed = software
        .get(app.url("/api/me/sessions"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let others = software
        .post(app.url("/api/me/sessions/end-others"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();

    for response in [password, listed, others] {
        assert_eq!(response.status(), 403);
        assert_error(&response.json().await.unwrap(), "forbidden");
    }
    assert_eq!(login_status(&app, PASSWORD).await, 200);
    let nobody = TestApp::for_backend(backend, Seed::Empty).await;
    assert_error(
        &nobody.get_json("/api/me/sessions", 401).await,
        "unauthenticated",
    );
    let anonymous = change_password(&nobody, &nobody.client, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(anonymous.status(), 401);
}

// Sessions

async fn sessions_are_listed_without_secrets_and_end_one_or_all_others(backend: Backend) {
    let app = app_on(backend).await;
    app.register("ana-souza").await;
    let (laptop, token) = sign_in_with_token(&app, "ana-souza", PASSWORD).await;
    let phone = sign_in(&app, "ana-souza", PASSWORD).await;
    let _bo = person(&app, "bo-li").await;

    let listed = sessions(&app, &app.client).await;

    assert_eq!(listed.len(), 3, "hers only: {listed:?}");
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{listed:?}");
    assert_eq!(
        listed.last().unwrap()["current"],
        true,
        "newest first; this is the oldest"
    );
    for session in &listed {
        let keys: Vec<&String> = session.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["created_at", "current", "expires_at", "id", "last_seen_at"],
            "nothing secret: {session}"
        );
        assert_eq!(session["id"].as_str().unwrap().len(), 16);
    }
    let text = serde_json::to_string(&listed).unwrap();
    let hash = stigmergy_server::auth::session::hash_secret(&token);
    assert!(!text.contains(&token) && !text.contains(&hash), "{text}");

    // End the phone's session from here: its id is the newest.
    let phone_id = listed[0]["id"].as_str().unwrap();
    let ended = delete(&app, &app.client, &format!("/api/me/sessions/{phone_id}")).await;
    assert_eq!(ended.status(), 204);
    assert_eq!(status_of_me(&app, &phone).await, 401);
    assert_eq!(status_of_me(&app, &laptop).await, 200);
    assert_eq!(sessions(&app, &app.client).await.len(), 2);
    let again = delete(&app, &app.client, &format!("/api/me/sessions/{phone_id}")).await;
    assert_eq!(again.status(), 404);
    assert_error(&again.json().await.unwrap(), "not_found");

    // Signing out everywhere else keeps this one.
    let others = post_as(&app, &app.client, "/api/me/sessions/end-others", json!({})).await;
    assert_eq!(others.status(), 204);
    assert_eq!(status_of_me(&app, &laptop).await, 401);
    assert_eq!(status_of_me(&app, &app.client).await, 200);
    let left = sessions(&app, &app.client).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
}

async fn nobody_ends_another_persons_session_and_ending_ones_own_signs_out(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let bo = person(&app, "bo-li").await;
    let hers = sessions(&app, &app.client).await;
    let id = hers[0]["id"].as_str().unwrap();

    let refused = delete(&app, &bo, &format!("/api/me/sessions/{id}")).await;
    assert_eq!(refused.status(), 404);
    assert_eq!(status_of_me(&app, &app.client).await, 200);

    let own = delete(&app, &app.client, &format!("/api/me/sessions/{id}")).await;
    assert_eq!(own.status(), 204);
    assert!(
        own.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(status_of_me(&app, &app.client).await, 401);
}

async fn expired_sessions_are_purged_at_the_next_sign_in(backend: Backend) {
    let app = app_on(backend).await;
    app.register("ana-souza").await;
    let laptop = sign_in(&app, "ana-souza", PASSWORD).await;
    let _phone = sign_in(&app, "ana-souza", PASSWORD).await;
    // The first session idle for 31 minutes, the newest past its absolute
    // limit, and nobody asks with them again.
    app.at_time(
        "UPDATE sessions SET last_seen_at = $1 \
         WHERE created_at = (SELECT min(created_at) FROM sessions)",
        Utc::now() - Duration::minutes(31),
    )
    .await;
    app.at_time(
        "UPDATE sessions SET expires_at = $1 \
         WHERE created_at = (SELECT max(created_at) FROM sessions)",
        Utc::now() - Duration::seconds(1),
    )
    .await;
    assert_eq!(stored_sessions(&app).await, 3);

    let _tablet = sign_in(&app, "ana-souza", PASSWORD).await;

    assert_eq!(
        stored_sessions(&app).await,
        2,
        "the laptop's and the tablet's; the expired rows are gone"
    );
    assert_eq!(status_of_me(&app, &laptop).await, 200);
}

// API tokens that expire

async fn a_token_expiry_in_the_past_too_far_ahead_or_not_a_date_is_refused(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let yesterday = (Utc::now() - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let too_far = (Utc::now() + Duration::days(400)).to_rfc3339();

    for (expiry, why) in [
        (yesterday.as_str(), "in the future"),
        (too_far.as_str(), "at most a year"),
        ("soon", "as a date"),
    ] {
        let response = app
            .post_json(
                "/api/me/tokens",
                &json!({"name": "sync", "expires_at": expiry}),
            )
            .await;
        assert_eq!(response.status(), 400, "{expiry}");
        let error = assert_error(&response.json().await.unwrap(), "invalid_input");
        let message = error["fields"]["expires_at"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{expiry}: {error}");
    }
    assert_eq!(
        app.get_json("/api/me/tokens", 200).await,
        json!([]),
        "none made"
    );
}

async fn a_token_works_until_its_expiry_then_gets_401(backend: Backend) {
    let app = app_on(backend).await;
    app.register("ana-souza").await;
    let in_a_month = (Utc::now() + Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let created = app
        .post_json(
            "/api/me/tokens",
            &json!({"name": "sync", "expires_at": in_a_month}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert!(
        created["expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{in_a_month}T00:00:00")),
        "{created}"
    );
    let token = created["token"].as_str().unwrap();
    let software = reqwest::Client::new();
    let me = || software.get(app.url("/api/me")).bearer_auth(token).send();
    assert_eq!(me().await.unwrap().status(), 200);
    let listed = app.get_json("/api/me/tokens", 200).await;
    assert_eq!(
        listed[0]["expires_at"], created["expires_at"],
        "shown in the list"
    );

    app.at_time(
        "UPDATE api_tokens SET expires_at = $1",
        Utc::now() - Duration::seconds(1),
    )
    .await;

    let refused = me().await.unwrap();
    assert_eq!(refused.status(), 401);
    let error = assert_error(&refused.json().await.unwrap(), "unauthenticated");
    assert!(
        error["message"].as_str().unwrap().contains("expired"),
        "{error}"
    );
    let listed = app.get_json("/api/me/tokens", 200).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "still listed, to revoke"
    );
}
