//! Accounts and sessions through real HTTP: each security measure, tested.

use serde_json::json;

use stigmergy_server::store::Backend;

use crate::helpers::{PASSWORD, Seed, TestApp, TestDb, assert_error, both_stores};

both_stores!(
    registering_signs_in_with_an_http_only_lax_cookie,
    cookies_are_secure_when_the_server_is_configured_for_https,
    bad_registrations_are_refused_field_by_field_and_create_nothing,
    a_taken_handle_or_email_is_a_conflict,
    signing_in_gives_a_fresh_session_and_ends_the_old_one,
    a_wrong_password_and_an_unknown_account_get_the_same_answer,
    signing_out_ends_the_session_on_the_server,
    cookie_writes_without_the_csrf_header_are_refused,
    idle_and_expired_sessions_end,
    repeated_failures_lock_an_account_for_a_while_even_with_the_right_password,
    repeated_failures_from_one_address_are_limited_across_accounts,
    api_tokens_are_shown_once_work_as_bearer_and_die_when_revoked,
    nobody_can_revoke_another_persons_token,
    the_account_endpoints_need_someone_signed_in,
);

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn session_of(cookie: &str) -> String {
    cookie.split(';').next().unwrap_or_default().to_owned()
}

async fn registering_signs_in_with_an_http_only_lax_cookie(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "ana-souza", "email": "Ana@Example.org", "password": PASSWORD, "name": "Ana Souza"}),
        )
        .await;

    assert_eq!(response.status(), 201);
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("stigmergy_session="), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP by default");
    let me = app.get_json("/api/me", 200).await;
    assert_eq!(me["handle"], "ana-souza");
    assert_eq!(me["name"], "Ana Souza");
    assert_eq!(me["email"], "Ana@Example.org");
}

async fn cookies_are_secure_when_the_server_is_configured_for_https(backend: Backend) {
    let app = TestApp::spawn_configured(TestDb::for_backend(backend).await, Seed::Empty, |c| {
        c.secure_cookies = true
    })
    .await;

    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "bo-li", "email": "bo@example.org", "password": PASSWORD}),
        )
        .await;

    assert!(set_cookie(&response).contains("; Secure"));
}

async fn bad_registrations_are_refused_field_by_field_and_create_nothing(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    for (body, field) in [
        (
            json!({"handle": "Ana Souza", "email": "ana@example.org", "password": PASSWORD}),
            "handle",
        ),
        (
            json!({"handle": "ana", "email": "ana-at-example", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"handle": "ana", "email": "ana@example.org", "password": "short"}),
            "password",
        ),
        (
            json!({"handle": "ana", "email": "ana@example.org", "password": "password123"}),
            "password",
        ),
        (
            json!({"handle": "ana", "email": "ana@example.org", "password": "qwertyuiop"}),
            "password",
        ),
    ] {
        let response = app.post_json("/api/auth/register", &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let error = assert_error(&response.json().await.unwrap(), "invalid_input");
        assert!(error["fields"][field].is_string(), "{body}: {error}");
    }
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "ana", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 401, "no account was created");
}

async fn a_taken_handle_or_email_is_a_conflict(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    let same_handle = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "ana-souza", "email": "other@example.org", "password": PASSWORD}),
        )
        .await;
    let same_email = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "ana-two", "email": "ANA-SOUZA@example.org", "password": PASSWORD}),
        )
        .await;

    assert_eq!(same_handle.status(), 409);
    assert!(
        assert_error(&same_handle.json().await.unwrap(), "conflict")["message"]
            .as_str()
            .unwrap()
            .contains("handle")
    );
    assert_eq!(same_email.status(), 409);
    assert!(
        assert_error(&same_email.json().await.unwrap(), "conflict")["message"]
            .as_str()
            .unwrap()
            .contains("email")
    );
}

async fn signing_in_gives_a_fresh_session_and_ends_the_old_one(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let registered = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "ana-souza", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    let first = session_of(&set_cookie(&registered));

    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "ANA@example.org", "password": PASSWORD}),
        )
        .await;

    assert_eq!(login.status(), 200);
    let second = session_of(&set_cookie(&login));
    assert_ne!(first, second, "a new session id at sign-in");
    let replay = app
        .other_client()
        .get(app.url("/api/me"))
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        401,
        "the session from before sign-in is gone"
    );
    let current = app
        .other_client()
        .get(app.url("/api/me"))
        .header("cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(current.status(), 200);
}

async fn a_wrong_password_and_an_unknown_account_get_the_same_answer(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let other = TestApp::for_backend(backend, Seed::Empty).await;

    let wrong = other
        .post_json(
            "/api/auth/login",
            &json!({"login": "ana-souza", "password": "not the password"}),
        )
        .await;
    let wrong_here = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "ana-souza", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "nobody", "password": PASSWORD}),
        )
        .await;

    assert_eq!(wrong.status(), 401);
    let a = assert_error(&wrong_here.json().await.unwrap(), "unauthenticated");
    let b = assert_error(&unknown.json().await.unwrap(), "unauthenticated");
    assert_eq!(a["message"], b["message"]);
}

async fn signing_out_ends_the_session_on_the_server(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let registered = app
        .post_json(
            "/api/auth/register",
            &json!({"handle": "ana-souza", "email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    let session = session_of(&set_cookie(&registered));

    let logout = app.post_json("/api/auth/logout", &json!({})).await;

    assert_eq!(logout.status(), 204);
    assert!(set_cookie(&logout).contains("Max-Age=0"));
    assert_eq!(app.get("/api/me").await.status(), 401);
    let replay = app
        .other_client()
        .get(app.url("/api/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        401,
        "a copied cookie is worthless after sign-out"
    );
}

async fn cookie_writes_without_the_csrf_header_are_refused(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    let forged = app
        .client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    let forged_login = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"login": "ana-souza", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(forged.status(), 403);
    assert_error(&forged.json().await.unwrap(), "csrf");
    assert_eq!(forged_login.status(), 403);
    assert_eq!(app.get("/api/me").await.status(), 200, "still signed in");
}

async fn idle_and_expired_sessions_end(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    // 29 minutes idle: still in, and the activity is written down.
    let nearly = chrono::Utc::now() - chrono::Duration::minutes(29);
    app.at_time("UPDATE sessions SET last_seen_at = $1", nearly)
        .await;
    assert_eq!(app.get("/api/me").await.status(), 200);
    let seen = app.time_of("SELECT last_seen_at FROM sessions").await;
    assert!(seen > nearly + chrono::Duration::minutes(28));

    // 31 minutes idle: out.
    let idle = chrono::Utc::now() - chrono::Duration::minutes(31);
    app.at_time("UPDATE sessions SET last_seen_at = $1", idle)
        .await;
    assert_eq!(app.get("/api/me").await.status(), 401);

    // Active, but past the absolute limit: out.
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "ana-souza", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200, "signing in again");
    assert_eq!(app.get("/api/me").await.status(), 200);
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    app.at_time("UPDATE sessions SET expires_at = $1", past)
        .await;
    assert_eq!(app.get("/api/me").await.status(), 401);
}

async fn repeated_failures_lock_an_account_for_a_while_even_with_the_right_password(
    backend: Backend,
) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let attacker = app.other_client();

    for _ in 0..stigmergy_server::auth::FAILURES_PER_ACCOUNT {
        let response = attacker
            .post(app.url("/api/auth/login"))
            .header("x-stigmergy-csrf", "1")
            .json(&json!({"login": "ana-souza", "password": "guess guess guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let locked = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "ana-souza@example.org", "password": PASSWORD}),
        )
        .await;

    assert_eq!(locked.status(), 429);
    assert_eq!(locked.headers()["retry-after"], "900");
    assert_error(&locked.json().await.unwrap(), "rate_limited");
}

async fn repeated_failures_from_one_address_are_limited_across_accounts(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    for i in 0..stigmergy_server::auth::FAILURES_PER_ADDRESS {
        let response = app
            .post_json(
                "/api/auth/login",
                &json!({"login": format!("someone-{i}"), "password": "guess guess guess"}),
            )
            .await;
        assert_eq!(response.status(), 401);
    }
    let limited = app
        .post_json(
            "/api/auth/login",
            &json!({"login": "ana-souza", "password": PASSWORD}),
        )
        .await;

    assert_eq!(limited.status(), 429);
}

async fn api_tokens_are_shown_once_work_as_bearer_and_die_when_revoked(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    let created = app
        .post_json("/api/me/tokens", &json!({"name": "inventory sync"}))
        .await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("stg_") && token.len() > 40);

    let software = reqwest::Client::new();
    let me = software
        .get(app.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let minting = software
        .post(app.url("/api/me/tokens"))
        .bearer_auth(&token)
        .json(&json!({"name": "another"}))
        .send()
        .await
        .unwrap();
    assert_eq!(minting.status(), 403, "a token cannot mint tokens");

    let listed = app.get_json("/api/me/tokens", 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        listed[0].get("token").is_none(),
        "the secret is never listed"
    );
    assert!(listed[0]["last_used_at"].is_string());

    let id = created["id"].as_str().unwrap();
    let revoked = app
        .client
        .delete(app.url(&format!("/api/me/tokens/{id}")))
        .header("x-stigmergy-csrf", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let after = software
        .get(app.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    assert_eq!(app.get_json("/api/me/tokens", 200).await, json!([]));
}

async fn nobody_can_revoke_another_persons_token(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let created: serde_json::Value = app
        .post_json("/api/me/tokens", &json!({"name": "mine"}))
        .await
        .json()
        .await
        .unwrap();
    let other = TestApp {
        address: app.address.clone(),
        client: app.other_client(),
        db: app.db.sharing(),
    };
    other.register("bo-li").await;

    let response = other
        .client
        .delete(other.url(&format!(
            "/api/me/tokens/{}",
            created["id"].as_str().unwrap()
        )))
        .header("x-stigmergy-csrf", "1")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(
        app.get_json("/api/me/tokens", 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn the_account_endpoints_need_someone_signed_in(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    for path in ["/api/me", "/api/me/tokens"] {
        let body = app.get_json(path, 401).await;
        assert_error(&body, "unauthenticated");
    }
    let bogus = reqwest::Client::new()
        .get(app.url("/api/me"))
        .bearer_auth("stg_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), 401);
}
