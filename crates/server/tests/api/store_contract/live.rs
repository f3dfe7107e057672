//! The live outbox: every write that changes what the board, a need page or
//! the map shows appends its event, in id order, in the write's own
//! transaction (a refused write appends none); the outbox reads after an id
//! in pages, prunes to the newest N without reusing ids, and tells when a
//! hole in the ids is final.

use sqlx::Connection;
use stigmergy_core::{
    AskDecision, Change, ClaimAction, ClaimState, DesignDraft, DesignEdit, DesignId, Place,
    ProcessKind, Quantity, Unit,
};
use stigmergy_server::store::{Backend, Designs, Live, SqlStore};

use super::capacities::{try_offer, workshop};
use super::claims::{act, claim};
use super::needs::{answer_ask, declare, design_need, place};
use super::{agent, demo_store, now, store_on};

contract!(
    every_write_appends_its_event_in_id_order,
    the_outbox_reads_after_an_id_a_page_at_a_time,
    pruning_keeps_the_newest_events_and_never_reuses_an_id,
    a_hole_in_the_ids_is_final_once_the_transactions_before_it_end,
);

const OHA: &str = "open-hardware-africa";

async fn every_write_appends_its_event_in_id_order(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    assert_eq!(
        store.live_event_range().await.unwrap(),
        None,
        "an import announces nothing"
    );
    let original = bundle
        .designs
        .iter()
        .find(|d| d.id.as_str() == "face-shield-petg")
        .unwrap();
    let mut fork = original.clone();
    fork.id = DesignId::parse("face-shield-petg-kumasi").unwrap();
    fork.parent = Some(original.id.clone());
    fork.draft.name = "Face shield, Kumasi visor".into();
    let editor = fork.contributors[0].agent.clone();
    let edit = DesignEdit {
        base_revision: 1,
        note: "A longer visor for surgical wards.".into(),
        draft: DesignDraft {
            name: "Face shield, Kumasi long visor".into(),
            ..fork.draft.clone()
        },
    };
    let kumasi = place("Kumasi, Ghana", 6.6885, -1.6244);
    let mut shields = design_need("face-shield-petg-kumasi", 20.0, kumasi.clone(), 18);
    shields.coalition = Some(agent(OHA));
    let cape_town = place("Cape Town, South Africa", -33.9249, 18.4241);
    let mut stoves = design_need("rocket-cookstove", 15.0, cape_town.clone(), 30);
    stoves.coalition = Some(agent(OHA));
    let offer = workshop(&[ProcessKind::LaserCutting], kumasi.clone(), 250.0);

    store
        .create_design(&fork, "Forked for the Kumasi wards.", now())
        .await
        .unwrap();
    let revision = store
        .update_design(&fork.id, &edit, &editor, now())
        .await
        .unwrap();
    let member_need = declare(&store, &shields, "samuel-mensah").await;
    let asked_need = declare(&store, &stoves, "table-bay-steel").await;
    let accept = AskDecision {
        accept: true,
        reason: String::new(),
    };
    answer_ask(&store, asked_need, OHA, &accept, now())
        .await
        .unwrap();
    let made = claim(&store, member_need, "suame-agro-works", 12.0)
        .await
        .unwrap();
    let refused = claim(&store, member_need, "kamukunji-metal-coop", 9.0).await;
    act(&store, made, ClaimAction::Start).await.unwrap();
    let offered = try_offer(&store, &offer, "suame-agro-works", "samuel-mensah")
        .await
        .unwrap();
    let note = Change::DesignRevised {
        design: fork.id.clone(),
        name: edit.draft.name.clone(),
        revision,
    };
    let recorded = store
        .record_live_event(Some(&agent(OHA)), &note, now())
        .await
        .unwrap();

    assert!(refused.is_err(), "only 8 are left");
    let events = store.live_events_after(0, 100).await.unwrap();
    let name = "Face shield, Kumasi long visor".to_owned();
    let declared = |need, what: &str, pieces, place: &Place, receiver: &str| Change::NeedDeclared {
        need,
        what: what.into(),
        quantity: Quantity::new(pieces, Unit::Piece),
        place: place.clone(),
        receiver: agent(receiver),
    };
    let stoves_declared = declared(
        asked_need,
        "Rocket cookstove",
        15.0,
        &cape_town,
        "table-bay-steel",
    );
    let expected = [
        (
            None,
            Change::DesignPublished {
                design: fork.id.clone(),
                name: "Face shield, Kumasi visor".into(),
            },
        ),
        (
            None,
            Change::DesignRevised {
                design: fork.id.clone(),
                name: name.clone(),
                revision: 2,
            },
        ),
        (
            Some(OHA),
            declared(member_need, &name, 20.0, &kumasi, "samuel-mensah"),
        ),
        // Asked of the coalition, then its own once a steward accepts.
        (None, stoves_declared.clone()),
        (Some(OHA), stoves_declared),
        (
            Some(OHA),
            Change::ClaimMade {
                claim: made,
                need: member_need,
                provider: agent("suame-agro-works"),
                quantity: Quantity::new(12.0, Unit::Piece),
                remainder: 8.0,
            },
        ),
        (
            Some(OHA),
            Change::ClaimChanged {
                claim: made,
                need: member_need,
                provider: agent("suame-agro-works"),
                state: ClaimState::InProgress,
                remainder: 8.0,
            },
        ),
        (
            None,
            Change::CapacityDeclared {
                capacity: offered,
                provider: agent("suame-agro-works"),
                place: kumasi,
            },
        ),
        (Some(OHA), note),
    ];
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.coalition.as_ref().map(|c| c.as_str()), e.change.clone()))
        .collect();
    assert_eq!(seen, expected);
    assert!(events.windows(2).all(|w| w[0].id < w[1].id), "in id order");
    assert_eq!(events.last().map(|e| e.id), Some(recorded));
    assert_eq!(
        store.live_event_range().await.unwrap(),
        Some((events[0].id, recorded))
    );
}

async fn the_outbox_reads_after_an_id_a_page_at_a_time(backend: Backend) {
    let (store, _db) = store_on(backend).await;
    let at = now();
    let mut ids = Vec::new();
    for revision in 1..=9 {
        let change = Change::DesignRevised {
            design: DesignId::parse("plastic-sheet-press").unwrap(),
            name: "Plastic sheet press".into(),
            revision,
        };
        let coalition = (revision.is_multiple_of(3)).then(|| agent("circular-plastics-europe"));
        ids.push(
            store
                .record_live_event(coalition.as_ref(), &change, at)
                .await
                .unwrap(),
        );
    }

    let mut read = Vec::new();
    let mut after = 0;
    loop {
        let page = store.live_events_after(after, 4).await.unwrap();
        assert!(page.len() <= 4);
        let Some(last) = page.last() else { break };
        after = last.id;
        read.extend(page);
    }

    assert_eq!(read.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    for (i, event) in read.iter().enumerate() {
        let revision = i as u32 + 1;
        assert_eq!(event.at, at.into());
        assert_eq!(
            event.coalition.is_some(),
            revision.is_multiple_of(3),
            "the coalition kept"
        );
        assert!(
            matches!(&event.change, Change::DesignRevised { revision: r, .. } if *r == revision)
        );
    }
    let tail = store.live_events_after(ids[5], 100).await.unwrap();
    assert_eq!(tail.iter().map(|e| e.id).collect::<Vec<_>>(), ids[6..]);
    assert!(
        store
            .live_events_after(ids[8], 100)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn record_some(store: &SqlStore, count: u32) -> Vec<u64> {
    let mut ids = Vec::new();
    for revision in 1..=count {
        let change = Change::DesignRevised {
            design: DesignId::parse("rope-pump").unwrap(),
            name: "Rope pump".into(),
            revision,
        };
        ids.push(store.record_live_event(None, &change, now()).await.unwrap());
    }
    ids
}

async fn pruning_keeps_the_newest_events_and_never_reuses_an_id(backend: Backend) {
    let (store, _db) = store_on(backend).await;
    let ids = record_some(&store, 10).await;

    let pruned = store.prune_live_events(4).await.unwrap();

    assert_eq!(pruned, 6);
    assert_eq!(
        store.live_event_range().await.unwrap(),
        Some((ids[6], ids[9]))
    );
    let left: Vec<_> = store
        .live_events_after(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, ids[6..]);
    assert_eq!(store.prune_live_events(4).await.unwrap(), 0, "nothing more");
    assert_eq!(store.prune_live_events(0).await.unwrap(), 4);
    assert_eq!(store.live_event_range().await.unwrap(), None);
    let next = record_some(&store, 1).await;
    assert!(next[0] > ids[9], "ids go on after a prune: {next:?}");
}

async fn a_hole_in_the_ids_is_final_once_the_transactions_before_it_end(backend: Backend) {
    let (store, db) = store_on(backend).await;
    if backend == Backend::Sqlite {
        // One writer at a time: a hole is always a rolled-back transaction.
        assert_eq!(store.live_horizon().await.unwrap(), None);
        assert!(store.live_settled(0).await.unwrap());
        return;
    }
    let first = record_some(&store, 1).await[0];
    // A write that took the next id and has not committed yet, while a
    // later write commits: the reader sees a hole, which may still fill.
    let mut other = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let mut slow = other.begin().await.unwrap();
    let change = Change::DesignRevised {
        design: DesignId::parse("rope-pump").unwrap(),
        name: "Rope pump".into(),
        revision: 2,
    };
    sqlx::query("INSERT INTO live_events (kind, change, at) VALUES ($1, $2, $3)")
        .bind(change.kind())
        .bind(serde_json::to_string(&change).unwrap())
        .bind(now())
        .execute(&mut *slow)
        .await
        .unwrap();
    let later = record_some(&store, 1).await[0];
    let seen: Vec<_> = store
        .live_events_after(first, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(seen, [later]);
    assert!(later > first + 1, "a hole at {}", first + 1);

    let horizon = store.live_horizon().await.unwrap().expect("a horizon");

    assert!(
        !store.live_settled(horizon).await.unwrap(),
        "the write in the hole is still running"
    );
    slow.commit().await.unwrap();
    // Settled once every transaction running at the horizon has ended, on
    // the whole server: other test processes' too (dropping their stale
    // databases takes seconds under load), so give them time.
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(90);
    while !store.live_settled(horizon).await.unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "still not settled after 90 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    eprintln!(
        "live outbox: settled {} ms after the write in the hole committed",
        started.elapsed().as_millis()
    );
    let filled = store.live_events_after(first, 10).await.unwrap();
    assert_eq!(
        filled.iter().map(|e| e.id).collect::<Vec<_>>(),
        [first + 1, later],
        "settled: the hole filled (or, rolled back, stays empty for good)"
    );
    assert_eq!(filled[0].change, change);
}
