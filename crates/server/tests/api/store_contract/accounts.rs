//! Accounts: unique handles and emails, sessions, sign-in failures and
//! password checks counted in their window, and API tokens.

use chrono::{Duration, SubsecRound, Utc};
use stigmergy_core::AgentId;
use stigmergy_server::store::{Accounts, Backend, NewAccount, SqlStore, StoreError, TokenOwner};

use super::{account_store, store_on};

contract!(
    accounts_are_unique_by_handle_and_email,
    sessions_live_until_deleted,
    a_persons_sessions_are_listed_ended_and_purged,
    a_new_password_ends_every_other_session_of_that_account_only,
    login_failures_count_within_their_window,
    tokens_are_found_by_hash_until_revoked,
    an_expiring_token_is_listed_with_its_expiry_and_unused_after_it,
    password_checks_are_counted_before_they_are_made_and_forgiven_when_right,
);

async fn accounts_are_unique_by_handle_and_email(backend: Backend) {
    let (store, _db, handle) = account_store(backend).await;
    let other = AgentId::parse("ana-two").unwrap();
    let now = Utc::now();

    let same_handle = NewAccount {
        handle: &handle,
        name: "x",
        email: "new@example.org",
        password_hash: "h",
        now,
    };
    let same_email = NewAccount {
        handle: &other,
        name: "x",
        email: "ANA@example.ORG",
        password_hash: "h",
        now,
    };

    assert!(
        matches!(store.create_account(&same_handle).await, Err(StoreError::Conflict(m)) if m.contains("handle"))
    );
    assert!(
        matches!(store.create_account(&same_email).await, Err(StoreError::Conflict(m)) if m.contains("email"))
    );
    assert!(
        store.account_for_login("ana-two").await.unwrap().is_none(),
        "the failed account left no trace"
    );
    let found = store
        .account_for_login("ana@EXAMPLE.org")
        .await
        .unwrap()
        .expect("found by email");
    assert_eq!(found.handle, handle);
    let me = store.me(&handle).await.unwrap();
    assert_eq!(
        (me.name.as_str(), me.email.as_str(), me.place),
        ("Ana Souza", "Ana@Example.org", None)
    );
}

async fn sessions_live_until_deleted(backend: Backend) {
    let (store, _db, handle) = account_store(backend).await;
    let now = Utc::now().trunc_subsecs(3);

    store
        .create_session("hash-1", &handle, now, now + Duration::hours(12))
        .await
        .unwrap();
    store
        .touch_session("hash-1", now + Duration::minutes(5))
        .await
        .unwrap();

    let session = store.session("hash-1").await.unwrap().expect("the session");
    assert_eq!(session.handle, handle);
    assert_eq!(session.last_seen_at, now + Duration::minutes(5));
    assert_eq!(session.expires_at, now + Duration::hours(12));
    store.delete_session("hash-1").await.unwrap();
    assert!(store.session("hash-1").await.unwrap().is_none());
}

async fn login_failures_count_within_their_window(backend: Backend) {
    let (store, _db) = store_on(backend).await;
    let now = Utc::now();
    let keys = vec!["account:ana".to_owned(), "address:127.0.0.1".to_owned()];

    store
        .record_login_failure(&keys, now - Duration::minutes(20), now - Duration::hours(1))
        .await
        .unwrap();
    store
        .record_login_failure(&keys, now, now - Duration::hours(1))
        .await
        .unwrap();

    assert_eq!(
        store
            .login_failures("account:ana", now - Duration::minutes(15))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .login_failures("address:127.0.0.1", now - Duration::hours(1))
            .await
            .unwrap(),
        2
    );
    store.clear_login_failures("account:ana").await.unwrap();
    assert_eq!(
        store
            .login_failures("account:ana", now - Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .login_failures("address:127.0.0.1", now - Duration::hours(1))
            .await
            .unwrap(),
        2
    );
}

async fn tokens_are_found_by_hash_until_revoked(backend: Backend) {
    let (store, _db, handle) = account_store(backend).await;
    let now = Utc::now().trunc_subsecs(3);
    let stranger = AgentId::parse("someone-else").unwrap();

    store
        .create_token(&handle, "tok1", "sync", "hash-a", now, None)
        .await
        .unwrap();

    assert_eq!(
        store.token_owner("hash-a", now).await.unwrap(),
        Some(TokenOwner {
            handle: handle.clone(),
            expires_at: None
        })
    );
    assert_eq!(store.token_owner("hash-b", now).await.unwrap(), None);
    let listed = store.list_tokens(&handle).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    assert!(matches!(
        store.revoke_token(&stranger, "tok1", now).await,
        Err(StoreError::NotFound)
    ));
    store.revoke_token(&handle, "tok1", now).await.unwrap();
    assert_eq!(store.token_owner("hash-a", now).await.unwrap(), None);
    assert!(store.list_tokens(&handle).await.unwrap().is_empty());
    assert!(matches!(
        store.revoke_token(&handle, "tok1", now).await,
        Err(StoreError::NotFound)
    ));
}

async fn an_expiring_token_is_listed_with_its_expiry_and_unused_after_it(backend: Backend) {
    let (store, _db, handle) = account_store(backend).await;
    let now = Utc::now().trunc_subsecs(3);
    let expiry = now + Duration::days(30);

    let created = store
        .create_token(&handle, "tok1", "sync", "hash-a", now, Some(expiry))
        .await
        .unwrap();

    assert_eq!(created.expires_at, Some(expiry.into()));
    let listed = store.list_tokens(&handle).await.unwrap();
    assert_eq!(listed[0].expires_at, Some(expiry.into()));
    let owner = store.token_owner("hash-a", now).await.unwrap().unwrap();
    assert!(!owner.expired(now));
    let later = expiry + Duration::seconds(1);
    let owner = store.token_owner("hash-a", later).await.unwrap().unwrap();
    assert!(owner.expired(later), "found, but expired");
    assert_eq!(
        store.list_tokens(&handle).await.unwrap()[0].last_used_at,
        Some(now.into()),
        "an expired token's attempt is not a use"
    );
}

async fn a_persons_sessions_are_listed_ended_and_purged(backend: Backend) {
    let (store, _db, handle) = account_store(backend).await;
    let bo = second_account(&store).await;
    let now = Utc::now().trunc_subsecs(3);
    let hour = Duration::hours(1);
    for (hash, who, created) in [
        ("old", &handle, now - hour * 2),
        ("mid", &handle, now - hour),
        ("new", &handle, now),
        ("bo-1", &bo, now),
    ] {
        store
            .create_session(hash, who, created, created + Duration::hours(12))
            .await
            .unwrap();
    }

    let hashes = |list: Vec<stigmergy_server::store::OwnSession>| {
        list.into_iter().map(|s| s.token_hash).collect::<Vec<_>>()
    };
    assert_eq!(
        hashes(store.sessions_of(&handle).await.unwrap()),
        ["new", "mid", "old"],
        "newest first, only hers"
    );
    assert!(matches!(
        store.delete_session_of(&bo, "mid").await,
        Err(StoreError::NotFound)
    ));
    store.delete_session_of(&handle, "mid").await.unwrap();
    assert_eq!(
        hashes(store.sessions_of(&handle).await.unwrap()),
        ["new", "old"]
    );

    // "old" was last seen two hours ago: idle, so purged; the rest stay.
    let purged = store
        .purge_sessions(now, now - Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(hashes(store.sessions_of(&handle).await.unwrap()), ["new"]);
    // Past the absolute limit: purged however recently seen.
    let purged = store
        .purge_sessions(now + Duration::hours(12), now - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(purged, 2);
    assert!(store.sessions_of(&bo).await.unwrap().is_empty());

    store
        .create_session("a", &handle, now, now + hour)
        .await
        .unwrap();
    store
        .create_session("b", &handle, now, now + hour)
        .await
        .unwrap();
    assert_eq!(store.delete_other_sessions(&handle, "a").await.unwrap(), 1);
    assert_eq!(hashes(store.sessions_of(&handle).await.unwrap()), ["a"]);
}

async fn a_new_password_ends_every_other_session_of_that_account_only(backend: Backend) {
    let (store, _db, handle) = account_store(backend).await;
    let bo = second_account(&store).await;
    let now = Utc::now().trunc_subsecs(3);
    for (hash, who) in [("here", &handle), ("there", &handle), ("bo-1", &bo)] {
        store
            .create_session(hash, who, now, now + Duration::hours(12))
            .await
            .unwrap();
    }

    store
        .set_password(&handle, "$argon2id$new", "here")
        .await
        .unwrap();

    let secret = store.account_for_login("ana-souza").await.unwrap().unwrap();
    assert_eq!(secret.password_hash, "$argon2id$new");
    assert!(store.session("here").await.unwrap().is_some());
    assert!(store.session("there").await.unwrap().is_none());
    assert!(store.session("bo-1").await.unwrap().is_some());
    let nobody = AgentId::parse("nobody").unwrap();
    assert!(matches!(
        store.set_password(&nobody, "$argon2id$x", "here").await,
        Err(StoreError::NotFound)
    ));
}

/// A second account, `bo-li`, beside the one `account_store` made.
pub(super) async fn second_account(store: &SqlStore) -> AgentId {
    let bo = AgentId::parse("bo-li").unwrap();
    store
        .create_account(&NewAccount {
            handle: &bo,
            name: "Bo Li",
            email: "bo@example.org",
            password_hash: "$argon2id$stand-in",
            now: Utc::now().trunc_subsecs(3),
        })
        .await
        .expect("the second account is created");
    bo
}

async fn password_checks_are_counted_before_they_are_made_and_forgiven_when_right(
    backend: Backend,
) {
    let (store, _db) = store_on(backend).await;
    let now = Utc::now().trunc_subsecs(3);
    let since = now - Duration::minutes(15);
    let keys = |account_limit| {
        vec![
            ("account:ana-souza".to_owned(), account_limit),
            ("address:203.0.113.7".to_owned(), 10),
        ]
    };
    let minute = Duration::minutes(1);

    let mut made = Vec::new();
    for i in 0..4 {
        made.push(
            store
                .begin_password_check(&keys(3), now + minute * i, since)
                .await
                .unwrap(),
        );
    }

    assert_eq!(made, [true, true, true, false], "the fourth is not made");
    assert_eq!(
        store
            .login_failures("account:ana-souza", since)
            .await
            .unwrap(),
        3,
        "the refused check recorded nothing"
    );
    assert_eq!(
        store
            .login_failures("address:203.0.113.7", since)
            .await
            .unwrap(),
        3
    );
    // The second check was right after all: taken back, one more may go.
    store
        .forgive_password_check("account:ana-souza", now + minute)
        .await
        .unwrap();
    assert_eq!(
        store
            .login_failures("account:ana-souza", since)
            .await
            .unwrap(),
        2
    );
    assert!(
        store
            .begin_password_check(&keys(3), now + minute * 5, since)
            .await
            .unwrap()
    );
    let last = keys(4);
    let (a, b) = tokio::join!(
        store.begin_password_check(&last, now + minute * 6, since),
        store.begin_password_check(&last, now + minute * 6, since),
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|made| **made)
            .count(),
        1,
        "of two racing checks for the last attempt, one is made"
    );
}
