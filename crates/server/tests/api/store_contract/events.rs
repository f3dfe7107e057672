//! Economic events: a confirmed claim records what was made and what changed
//! hands, counted in a coalition's accounts only for its members; the
//! events page by id and filter by coalition and claim; and a coalition
//! that keeps a ledger gets each delivery there, in the same transaction.

use std::collections::BTreeSet;

use stigmergy_core::ledger::LedgerAction;
use stigmergy_core::{
    ClaimAction, ClaimState, EconomicEvent, EventAction, Quantity, Timestamp, Unit,
};
use stigmergy_server::store::{Backend, Claims, Events, LedgerReads, Ledgers, SqlStore};

use super::claims::{act, claim, confirm};
use super::needs::{any_state, declare, design_need, every_need, place};
use super::{activity_store, agent, demo_store, now};

contract!(
    a_confirmed_claim_records_what_was_made_and_what_changed_hands,
    events_page_by_id_and_filter_by_coalition_and_claim,
    a_delivery_reaches_the_coalitions_ledger_with_its_events,
);

const OHA: &str = "open-hardware-africa";

async fn every_event(store: &SqlStore) -> Vec<EconomicEvent> {
    store.economic_events(None, None, 0, 10_000).await.unwrap()
}

async fn a_confirmed_claim_records_what_was_made_and_what_changed_hands(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let tamale = place("Tamale, Ghana", 9.4075, -0.8533);
    let mut seeders = design_need("push-seeder", 30.0, tamale.clone(), 60);
    seeders.coalition = Some(agent(OHA));
    let need = declare(&store, &seeders, "samuel-mensah").await;
    let member = claim(&store, need, "suame-agro-works", 20.0).await.unwrap();
    let outsider = claim(&store, need, "eastside-fab-coop", 10.0)
        .await
        .unwrap();
    let before = now();

    confirm(&store, member).await;
    confirm(&store, outsider).await;

    let events = store
        .economic_events(None, Some(member), 0, 10)
        .await
        .unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action).collect();
    assert_eq!(actions, [EventAction::Produce, EventAction::Transfer]);
    let (produce, transfer) = (&events[0], &events[1]);
    assert_eq!(
        (&produce.provider.id, &produce.receiver.id),
        (&agent("suame-agro-works"), &agent("suame-agro-works"))
    );
    assert_eq!(
        (&transfer.provider.id, &transfer.receiver.id),
        (&agent("suame-agro-works"), &agent("samuel-mensah"))
    );
    for event in &events {
        assert_eq!(event.what, "Push seeder");
        assert_eq!(
            event.design.as_ref().map(|d| d.id.as_str()),
            Some("push-seeder")
        );
        assert_eq!(event.quantity, Quantity::new(20.0, Unit::Piece));
        assert_eq!(event.fulfils, Some(member));
        assert_eq!(event.place.as_ref(), Some(&tamale));
        assert_eq!(event.coalition, Some(agent(OHA)));
        assert!(event.in_accounts, "a member's delivery counts");
        assert!(event.at >= Timestamp::from(before));
    }
    let outside = store
        .economic_events(None, Some(outsider), 0, 10)
        .await
        .unwrap();
    assert_eq!(outside.len(), 2);
    assert!(
        outside.iter().all(|e| !e.in_accounts),
        "a delivery by a maker outside the coalition is not its own work"
    );
    // Made and delivered but not confirmed, or withdrawn: nothing yet.
    let wheelchairs = declare(
        &store,
        &design_need(
            "rough-terrain-wheelchair",
            4.0,
            place("Dhaka, Bangladesh", 23.8103, 90.4125),
            90,
        ),
        "hana-yusuf",
    )
    .await;
    let pending = claim(&store, wheelchairs, "buriganga-cycle-works", 3.0)
        .await
        .unwrap();
    act(&store, pending, ClaimAction::Deliver).await.unwrap();
    let gone = claim(&store, wheelchairs, "jonas-lindqvist", 1.0)
        .await
        .unwrap();
    act(&store, gone, ClaimAction::Withdraw).await.unwrap();
    assert_eq!(every_event(&store).await.len(), 4);
}

async fn events_page_by_id_and_filter_by_coalition_and_claim(backend: Backend) {
    let (store, _db, activity) = activity_store(backend).await;
    let all = every_event(&store).await;

    let confirmed = activity
        .claims
        .iter()
        .filter(|c| c.state == ClaimState::Confirmed)
        .count();
    assert_eq!(all.len(), 2 * confirmed, "a produce and a transfer each");
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "in id order");
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.economic_events(None, None, after, 3).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        paged.extend(page);
    }
    assert_eq!(paged, all);

    for coalition in ["open-hardware-africa", "andes-commons"] {
        let coalition = agent(coalition);
        let theirs = store
            .economic_events(Some(&coalition), None, 0, 10_000)
            .await
            .unwrap();
        let expected: Vec<_> = all
            .iter()
            .filter(|e| e.coalition.as_ref() == Some(&coalition))
            .cloned()
            .collect();
        assert_eq!(theirs, expected, "{coalition}");
    }
    // Every claim of every need: events exactly when confirmed, for its
    // quantity, from its provider to its need's receiver.
    let mut fulfilled = BTreeSet::new();
    for need in every_need(&store, &any_state(100)).await {
        for claim in store.claims_of_need(need.id).await.unwrap() {
            let events = store
                .economic_events(None, Some(claim.id), 0, 10)
                .await
                .unwrap();
            if claim.state != ClaimState::Confirmed {
                assert!(events.is_empty(), "{claim:?}");
                continue;
            }
            fulfilled.insert(claim.id);
            assert_eq!(events.len(), 2);
            assert!(events.iter().all(|e| e.quantity == claim.quantity));
            assert!(events.iter().all(|e| e.provider.id == claim.provider.id));
            assert_eq!(events[1].receiver.id, claim.receiver.id);
        }
    }
    let fulfils: BTreeSet<_> = all.iter().filter_map(|e| e.fulfils).collect();
    assert_eq!(fulfils, fulfilled);
}

async fn a_delivery_reaches_the_coalitions_ledger_with_its_events(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let coalition = agent(OHA);
    let kisumu = place("Kisumu, Kenya", -0.0917, 34.768);
    let mut desks = design_need("school-desk", 60.0, kisumu, 45);
    desks.coalition = Some(coalition.clone());
    let need = declare(&store, &desks, "grace-wanjiru").await;
    // Confirmed before the coalition kept accounts: carried in on opening.
    let early = claim(&store, need, "kamukunji-metal-coop", 20.0)
        .await
        .unwrap();
    confirm(&store, early).await;

    store.open_ledger(&coalition, "KES", now()).await.unwrap();
    let carried = store.ledger_head(&coalition).await.unwrap();
    let later = claim(&store, need, "kamukunji-metal-coop", 40.0)
        .await
        .unwrap();
    confirm(&store, later).await;

    assert_eq!(carried.seq, 2, "the early delivery's two events");
    let head = store.ledger_head(&coalition).await.unwrap();
    let entries = store
        .ledger_run(&coalition, 0, head.seq, 100)
        .await
        .unwrap();
    let events = store
        .economic_events(Some(&coalition), None, 0, 100)
        .await
        .unwrap();
    assert_eq!(entries.len(), events.len());
    assert_eq!(entries.len(), 4);
    for (entry, event) in entries.iter().zip(&events) {
        assert_eq!(entry.event, Some(event.id));
        assert_eq!(entry.claim, event.fulfils);
        let action = match event.action {
            EventAction::Produce => LedgerAction::Produce,
            EventAction::Transfer => LedgerAction::Transfer,
        };
        assert_eq!(entry.action, action);
        assert_eq!(entry.provider, event.provider.id.as_str());
        assert_eq!(entry.receiver, event.receiver.id.as_str());
        assert_eq!(entry.resource, "Two-seat school desk");
        assert_eq!(
            (entry.quantity, entry.unit.as_str()),
            (event.quantity.value, "piece")
        );
        assert_eq!(entry.category, "delivery");
        assert_eq!(
            entry.recorded_by, None,
            "carried in, not recorded by a steward"
        );
    }
    assert_eq!(
        entries.iter().map(|e| e.claim).collect::<Vec<_>>(),
        [Some(early), Some(early), Some(later), Some(later)]
    );
}
