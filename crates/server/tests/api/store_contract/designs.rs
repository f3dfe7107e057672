//! The commons: imports read back exactly, listing pages and filters agree
//! with the data, refused imports add nothing, and edits make revisions.

use chrono::{SubsecRound, Utc};
use stigmergy_core::{AgentId, DesignId, ImportBundle, RawDesignQuery};
use stigmergy_server::demo;
use stigmergy_server::store::{Backend, Designs, SqlStore, Store, StoreError};

use super::{demo_store, store_on};

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
    edits_make_revisions_and_exactly_one_of_two_racing_edits_wins,
    a_new_design_reads_back_at_revision_one_and_its_id_is_taken_once,
);

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

async fn a_new_design_reads_back_at_revision_one_and_its_id_is_taken_once(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let parent = bundle
        .designs
        .iter()
        .find(|d| d.id.as_str() == "rocket-cookstove")
        .unwrap();
    let mut fork = parent.clone();
    fork.id = DesignId::parse("rocket-cookstove-clay-liner").unwrap();
    fork.parent = Some(parent.id.clone());
    fork.draft.name = "Rocket cookstove, clay liner".into();
    fork.draft.version = "0.3.0".into();
    let before = store.count_designs().await.unwrap();

    store
        .create_design(&fork, "A fired clay liner instead of steel.", Utc::now())
        .await
        .unwrap();
    let again = store.create_design(&fork, "Twice.", Utc::now()).await;

    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.count_designs().await.unwrap(), before + 1);
    let design = store.get_design(&fork.id).await.unwrap();
    assert_eq!(
        (design.name.as_str(), design.revision),
        (fork.draft.name.as_str(), 1)
    );
    assert_eq!(design.lineage.parent.map(|p| p.id), Some(parent.id.clone()));
    let credited: Vec<_> = design
        .contributors
        .iter()
        .map(|c| c.agent.id.clone())
        .collect();
    let expected: Vec<_> = fork.contributors.iter().map(|c| c.agent.clone()).collect();
    assert_eq!(credited, expected);
    let parent_now = store.get_design(&parent.id).await.unwrap();
    assert!(parent_now.lineage.forks.iter().any(|f| f.id == fork.id));
    assert_eq!(store.list_versions(&fork.id).await.unwrap().len(), 1);
}
