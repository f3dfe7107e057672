//! The store contract: the same checks against every backend. Each test runs
//! once on SQLite and once on PostgreSQL (which must be running: these tests
//! fail, not skip, without it).

use chrono::{Duration, SubsecRound, Utc};
use stigmergy_core::AgentId;
use stigmergy_core::{DesignId, ImportBundle, RawDesignQuery};
use stigmergy_server::demo;
use stigmergy_server::store::{
    Accounts, Backend, Designs, NewAccount, Organizations, SqlStore, Store, StoreError, TokenOwner,
};

use crate::helpers::TestDb;

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

contract!(
    migrations_apply_once_and_reopen_cleanly,
    an_import_reads_back_exactly,
    listing_pages_through_everything_in_name_order,
    filters_and_search_agree_with_the_data,
    a_duplicate_design_is_a_conflict_and_adds_nothing,
    a_fork_of_a_missing_design_is_refused_and_adds_nothing,
    an_unknown_contributor_is_refused,
    invalid_input_never_reaches_the_database,
    a_forged_cursor_is_invalid_input,
    accounts_are_unique_by_handle_and_email,
    sessions_live_until_deleted,
    a_persons_sessions_are_listed_ended_and_purged,
    a_new_password_ends_every_other_session_of_that_account_only,
    login_failures_count_within_their_window,
    tokens_are_found_by_hash_until_revoked,
    an_expiring_token_is_listed_with_its_expiry_and_unused_after_it,
    edits_make_revisions_and_exactly_one_of_two_racing_edits_wins,
    memberships_go_from_request_to_decision,
);

async fn store_on(backend: Backend) -> (SqlStore, TestDb) {
    let db = TestDb::for_backend(backend).await;
    let store = SqlStore::connect(&db.url).await.expect("the store opens");
    assert_eq!(store.backend(), backend);
    (store, db)
}

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

fn query(pairs: &[(&str, &str)]) -> stigmergy_core::DesignQuery {
    let mut raw = RawDesignQuery::from_pairs(pairs.iter().copied());
    raw.limit.get_or_insert_with(|| "100".into());
    raw.parse().expect("a valid query")
}

async fn migrations_apply_once_and_reopen_cleanly(backend: Backend) {
    let (store, db) = store_on(backend).await;
    store.health().await.unwrap();
    assert_eq!(store.count_designs().await.unwrap(), 0);
    store.close().await;

    let again = SqlStore::connect(&db.url)
        .await
        .expect("reopening applies nothing twice");
    assert_eq!(again.count_designs().await.unwrap(), 0);
}

async fn an_import_reads_back_exactly(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;

    for input in &bundle.designs {
        let design = store
            .get_design(&input.id)
            .await
            .expect("every imported design reads back");
        assert_eq!(design.name, input.draft.name);
        assert_eq!(design.summary, input.draft.summary);
        assert_eq!(design.licence, input.draft.licence);
        assert_eq!(design.version, input.draft.version);
        assert_eq!(design.tags, input.draft.tags);
        assert_eq!(design.repository, input.draft.repository);
        assert_eq!(design.bill_of_materials, input.draft.bill_of_materials);
        let credited: Vec<_> = design
            .contributors
            .iter()
            .map(|c| (c.agent.id.clone(), c.role))
            .collect();
        let expected: Vec<_> = input
            .contributors
            .iter()
            .map(|c| (c.agent.clone(), c.role))
            .collect();
        assert_eq!(credited, expected, "{}", input.id);
        assert_eq!(design.lineage.parent.map(|p| p.id), input.parent);
        let forks: Vec<_> = bundle
            .designs
            .iter()
            .filter(|d| d.parent.as_ref() == Some(&input.id))
            .collect();
        assert_eq!(design.lineage.forks.len(), forks.len(), "{}", input.id);
    }
    assert!(matches!(
        store
            .get_design(&DesignId::parse("no-such-design").unwrap())
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn listing_pages_through_everything_in_name_order(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;

    loop {
        let mut pairs = vec![("limit", "9")];
        if let Some(cursor) = &cursor {
            pairs.push(("cursor", cursor));
        }
        let page = store.list_designs(&query(&pairs)).await.unwrap();
        assert_eq!(page.total, bundle.designs.len() as u64);
        names.extend(page.items.iter().map(|d| d.name.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    let mut expected: Vec<_> = bundle
        .designs
        .iter()
        .map(|d| d.draft.name.clone())
        .collect();
    expected.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, expected);
}

async fn filters_and_search_agree_with_the_data(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let facets = store.facets().await.unwrap();

    let licence = facets.licences[0].value;
    let page = store
        .list_designs(&query(&[("licence", licence.spdx_id())]))
        .await
        .unwrap();
    let expected = bundle
        .designs
        .iter()
        .filter(|d| d.draft.licence == licence)
        .count();
    assert_eq!(page.total as usize, expected);
    assert_eq!(facets.licences[0].count as usize, expected);

    let process = facets.processes[0].value;
    let page = store
        .list_designs(&query(&[("process", process.slug())]))
        .await
        .unwrap();
    let expected = bundle
        .designs
        .iter()
        .filter(|d| d.draft.bill_of_materials.process_kinds().contains(&process))
        .count();
    assert_eq!(page.total as usize, expected);

    let material = &facets.materials[0].value;
    let page = store
        .list_designs(&query(&[("material", &material.to_uppercase())]))
        .await
        .unwrap();
    let expected = bundle
        .designs
        .iter()
        .filter(|d| {
            d.draft
                .bill_of_materials
                .materials()
                .iter()
                .any(|m| m.eq_ignore_ascii_case(material))
        })
        .count();
    assert_eq!(
        page.total as usize, expected,
        "materials match ignoring case"
    );

    let tag = &facets.tags[0].value;
    let page = store.list_designs(&query(&[("tag", tag)])).await.unwrap();
    assert_eq!(
        page.total as usize,
        bundle
            .designs
            .iter()
            .filter(|d| d.draft.tags.contains(tag))
            .count()
    );

    let first = &bundle.designs[0];
    let word = first
        .draft
        .name
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap();
    let page = store.list_designs(&query(&[("q", word)])).await.unwrap();
    assert!(
        page.items.iter().any(|d| d.id == first.id),
        "searching {word:?} finds {}",
        first.id
    );
    let page = store
        .list_designs(&query(&[("q", "zzzz-nothing-like-it")]))
        .await
        .unwrap();
    assert_eq!(page.total, 0);
}

async fn a_duplicate_design_is_a_conflict_and_adds_nothing(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let before = store.count_designs().await.unwrap();
    let mut again = ImportBundle {
        designs: vec![bundle.designs[1].clone()],
        ..ImportBundle::default()
    };
    // A new design first, so "adds nothing" checks the rollback.
    let mut fresh = bundle.designs[0].clone();
    fresh.id = DesignId::parse("a-brand-new-design").unwrap();
    fresh.parent = None;
    again.designs.insert(0, fresh);

    let result = demo::import(&store, &again).await;

    assert!(
        matches!(result, Err(StoreError::Conflict(ref m)) if m.contains(bundle.designs[1].id.as_str())),
        "{result:?}"
    );
    assert_eq!(store.count_designs().await.unwrap(), before);
}

async fn a_fork_of_a_missing_design_is_refused_and_adds_nothing(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let before = store.count_designs().await.unwrap();
    let mut orphan = bundle.designs[0].clone();
    orphan.id = DesignId::parse("orphan-fork").unwrap();
    orphan.parent = Some(DesignId::parse("never-existed").unwrap());

    let result = demo::import(
        &store,
        &ImportBundle {
            designs: vec![orphan],
            ..ImportBundle::default()
        },
    )
    .await;

    match result {
        Err(StoreError::Invalid(fields)) => {
            assert!(fields.get("designs[0].parent").is_some(), "{fields:?}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(store.count_designs().await.unwrap(), before);
}

async fn an_unknown_contributor_is_refused(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let mut design = bundle.designs[0].clone();
    design.id = DesignId::parse("credited-to-nobody").unwrap();
    design.parent = None;
    design.contributors[0].agent = stigmergy_core::AgentId::parse("nobody-at-all").unwrap();

    let result = demo::import(
        &store,
        &ImportBundle {
            designs: vec![design],
            ..ImportBundle::default()
        },
    )
    .await;

    match result {
        Err(StoreError::Invalid(fields)) => {
            assert!(
                fields.get("designs[0].contributors[0].agent").is_some(),
                "{fields:?}"
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn invalid_input_never_reaches_the_database(backend: Backend) {
    let (store, _db) = store_on(backend).await;
    let mut bundle = demo::bundle().unwrap();
    bundle.designs.truncate(3);
    bundle.designs[2].draft.name = String::new();

    let result = demo::import(&store, &bundle).await;

    match result {
        Err(StoreError::Invalid(fields)) => {
            assert!(fields.get("designs[2].name").is_some(), "{fields:?}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(store.count_designs().await.unwrap(), 0);
}

async fn a_forged_cursor_is_invalid_input(backend: Backend) {
    let (store, _db) = store_on(backend).await;

    let result = store
        .list_designs(&query(&[("cursor", "bm90IGEgY3Vyc29y")]))
        .await;

    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
}

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
async fn second_account(store: &SqlStore) -> AgentId {
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

async fn edits_make_revisions_and_exactly_one_of_two_racing_edits_wins(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let original = &bundle.designs[0];
    let editor = original.contributors[0].agent.clone();
    let edit = |name: &str| stigmergy_core::DesignEdit {
        base_revision: 1,
        note: format!("Renamed to {name}."),
        draft: stigmergy_core::DesignDraft {
            name: name.to_owned(),
            ..original.draft.clone()
        },
    };
    let (edit_a, edit_b) = (edit("Racing edit A"), edit("Racing edit B"));
    let now = Utc::now().trunc_subsecs(3);

    let (a, b) = tokio::join!(
        store.update_design(&original.id, &edit_a, &editor, now),
        store.update_design(&original.id, &edit_b, &editor, now),
    );

    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "{a:?} / {b:?}"
    );
    assert!(matches!(
        a.as_ref().err().or(b.as_ref().err()),
        Some(StoreError::Conflict(_))
    ));
    let design = store.get_design(&original.id).await.unwrap();
    assert_eq!(design.revision, 2);
    let versions = store.list_versions(&original.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.revision).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(versions[0].name, design.name);
    assert_eq!(versions[0].credits[0].agent.id, editor);
    let first = store.get_version(&original.id, 1).await.unwrap();
    assert_eq!(first.name, original.draft.name);
    assert!(matches!(
        store.get_version(&original.id, 3).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.is_contributor(&original.id, &editor).await.unwrap());
    let stranger = AgentId::parse("not-a-contributor").unwrap();
    assert!(!store.is_contributor(&original.id, &stranger).await.unwrap());
}

async fn memberships_go_from_request_to_decision(backend: Backend) {
    use stigmergy_core::{
        AgentKind, MembershipRole, MembershipState, OrganizationInput, Place, ProfileInput,
    };
    let (store, _db, steward) = account_store(backend).await;
    let now = Utc::now().trunc_subsecs(3);
    let coalition = AgentId::parse("andean-makers").unwrap();
    let input = OrganizationInput {
        id: None,
        name: "Andean Makers".into(),
        kind: AgentKind::Hub,
        note: String::new(),
        place: Place {
            name: "Cusco, Peru".into(),
            lat: -13.53,
            lon: -71.97,
        },
        coalition_licences: Some(vec![stigmergy_core::Licence::PeerProduction]),
    };
    store
        .create_organization(&coalition, &input, &steward, now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_organization(&coalition, &input, &steward, now)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let joiner = AgentId::parse("mateo").unwrap();
    let joiner_account = NewAccount {
        handle: &joiner,
        name: "Mateo",
        email: "m@example.org",
        password_hash: "h",
        now,
    };
    store.create_account(&joiner_account).await.unwrap();

    store
        .request_membership(&coalition, &joiner, &joiner, now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .request_membership(&coalition, &joiner, &joiner, now)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.pending_requests(&coalition).await.unwrap().len(), 1);
    store
        .decide_request(&coalition, &joiner, None, &steward, now)
        .await
        .unwrap();
    assert_eq!(
        store.membership(&coalition, &joiner).await.unwrap(),
        Some((MembershipRole::Member, MembershipState::Declined))
    );
    store
        .request_membership(&coalition, &joiner, &joiner, now)
        .await
        .unwrap();
    store
        .decide_request(
            &coalition,
            &joiner,
            Some(MembershipRole::Steward),
            &steward,
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .decide_request(&coalition, &joiner, None, &steward, now)
            .await,
        Err(StoreError::NotFound)
    ));

    let organization = store.organization(&coalition).await.unwrap();
    assert_eq!(
        organization.coalition_licences,
        Some(vec![stigmergy_core::Licence::PeerProduction])
    );
    assert_eq!(organization.members.len(), 2);
    assert!(
        organization
            .members
            .iter()
            .all(|m| m.role == MembershipRole::Steward)
    );
    assert_eq!(store.coalitions().await.unwrap().len(), 1);
    assert!(
        matches!(store.organization(&joiner).await, Err(StoreError::NotFound)),
        "people are not organizations"
    );

    let profile = ProfileInput {
        name: "Mateo Quispe".into(),
        note: "Welder.".into(),
        place: Some(Place {
            name: "Cusco, Peru".into(),
            lat: -13.53,
            lon: -71.97,
        }),
    };
    store.update_profile(&joiner, &profile).await.unwrap();
    let seen = store.agent_profile(&joiner).await.unwrap();
    assert_eq!(seen.agent.name, "Mateo Quispe");
    assert_eq!(seen.agent.place.unwrap().name, "Cusco, Peru");
    assert_eq!(seen.memberships[0].organization.id, coalition);
}
