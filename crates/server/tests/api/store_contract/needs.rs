//! Needs: a need reads back exactly what was declared, the board pages
//! through everything in due order, every filter agrees with the data, asks
//! of a coalition are answered once, and the gap signal matches the needs.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use stigmergy_core::geo::distance_km;
use stigmergy_core::needs::region_of;
use stigmergy_core::unit::to_milli;
use stigmergy_core::{
    AskDecision, AskState, DesignId, Need, NeedInput, NeedQuery, NeedState, Place, ProcessKind,
    Quantity, Unit,
};
use stigmergy_server::store::{Backend, Needs, SqlStore, StoreError, StoreResult};

use super::claims::{claim, confirm};
use super::{activity_store, agent, date_in, demo_store, now};

contract!(
    a_need_reads_back_exactly_what_was_declared,
    a_need_for_a_missing_design_or_with_bad_input_adds_nothing,
    the_board_pages_through_every_need_in_due_order,
    every_filter_agrees_with_the_needs_it_returns,
    a_forged_needs_cursor_is_invalid_input,
    an_ask_of_a_coalition_waits_for_a_steward_and_is_answered_once,
    the_gap_signal_matches_the_needs,
);

const OHA: &str = "open-hardware-africa";

/// Declares `input` received by `receiver` and declared by `declared_by`
/// at `at`: the suite's one call of `create_need`.
pub(super) async fn try_declare_at(
    store: &SqlStore,
    input: &NeedInput,
    receiver: &str,
    declared_by: &str,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    store
        .create_need(input, &agent(receiver), &agent(declared_by), at)
        .await
        .map(|need| need.id)
}

/// Declares `input` for `receiver`, who declares it, now; returns its id.
pub(super) async fn declare(store: &SqlStore, input: &NeedInput, receiver: &str) -> u64 {
    try_declare_at(store, input, receiver, receiver, now())
        .await
        .unwrap_or_else(|e| panic!("declaring {input:?}: {e:?}"))
}

/// A steward of the Open Hardware Africa Coalition answers a need asked of
/// `coalition`, at `at`: the suite's one call of `decide_ask`.
pub(super) async fn answer_ask(
    store: &SqlStore,
    need: u64,
    coalition: &str,
    decision: &AskDecision,
    at: DateTime<Utc>,
) -> StoreResult<Need> {
    store
        .decide_ask(need, &agent(coalition), decision, &agent(OHA_STEWARD), at)
        .await
}

/// Who answers the coalition's asks in these checks.
const OHA_STEWARD: &str = "amara-okafor";

pub(super) fn place(name: &str, lat: f64, lon: f64) -> Place {
    Place {
        name: name.into(),
        lat,
        lon,
    }
}

/// A need for `pieces` of the demo design `design`, due in `days`.
pub(super) fn design_need(design: &str, pieces: f64, at: Place, days: i64) -> NeedInput {
    NeedInput {
        design: Some(DesignId::parse(design).unwrap()),
        resource: None,
        quantity: Quantity::new(pieces, Unit::Piece),
        minimum_quantity: None,
        due: date_in(days),
        place: at,
        coalition: None,
        receiver: None,
        note: String::new(),
    }
}

/// A need for a material or part that is no design.
pub(super) fn resource_need(resource: &str, quantity: Quantity, at: Place, days: i64) -> NeedInput {
    NeedInput {
        design: None,
        resource: Some(resource.into()),
        quantity,
        ..design_need("face-shield-petg", 1.0, at, days)
    }
}

/// Every state, a page of `limit`.
pub(super) fn any_state(limit: u32) -> NeedQuery {
    NeedQuery {
        state: None,
        limit,
        ..NeedQuery::default()
    }
}

/// Every need `query` matches, page after page; checks that each page
/// reports the same total and that the total is what was returned.
pub(super) async fn every_need(store: &SqlStore, query: &NeedQuery) -> Vec<Need> {
    let mut needs = Vec::new();
    let mut query = query.clone();
    let mut total = None;
    loop {
        let page = store.list_needs(&query).await.expect("a page of needs");
        assert!(page.items.len() <= query.limit as usize);
        assert_eq!(*total.get_or_insert(page.total), page.total, "{query:?}");
        needs.extend(page.items);
        match page.next_cursor {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(needs.len() as u64, total.unwrap_or_default(), "{query:?}");
    needs
}

fn ids(needs: &[Need]) -> BTreeSet<u64> {
    needs.iter().map(|n| n.id).collect()
}

async fn a_need_reads_back_exactly_what_was_declared(backend: Backend) {
    let (store, _db, bundle) = demo_store(backend).await;
    let quezon = place("Quezon City, Philippines", 14.676, 121.0437);
    let mut shields = design_need("face-shield-petg", 250.0, quezon.clone(), 21);
    shields.minimum_quantity = Some(25.0);
    shields.note = "  Visors for the barangay health centres.  ".into();
    let mut sheet = resource_need(
        " PETG sheet, 0.5 mm ",
        Quantity::new(12.375, Unit::Kilogram),
        place("Porto, Portugal", 41.1496, -8.611),
        9,
    );
    sheet.minimum_quantity = Some(0.125);
    let at = now();

    let shields_id = try_declare_at(&store, &shields, "bayanihan-makers", "mei-lin-chen", at)
        .await
        .unwrap();
    let sheet_id = declare(&store, &sheet, "ines-carvalho").await;

    let need = store.need(shields_id).await.unwrap();
    let design = bundle
        .designs
        .iter()
        .find(|d| d.id.as_str() == "face-shield-petg")
        .unwrap();
    let receiver = bundle
        .agents
        .iter()
        .find(|a| a.id.as_str() == "bayanihan-makers")
        .unwrap();
    assert_eq!(need.id, shields_id);
    assert_eq!(need.what, design.draft.name);
    assert_eq!(need.design.as_ref().map(|d| &d.id), Some(&design.id));
    assert_eq!(
        need.processes,
        design.draft.bill_of_materials.process_kinds()
    );
    assert_eq!(need.quantity, Quantity::new(250.0, Unit::Piece));
    assert_eq!(need.minimum_quantity, Some(25.0));
    assert_eq!(
        (need.remainder, need.committed, need.delivered),
        (250.0, 0.0, 0.0)
    );
    assert_eq!(need.state, NeedState::Open);
    assert_eq!(need.due, shields.due);
    assert_eq!(need.place, quezon);
    assert_eq!((need.coalition, need.asked_of), (None, None));
    assert_eq!(need.receiver.id, receiver.id);
    assert_eq!(need.receiver.name, receiver.name);
    assert_eq!(need.receiver.place.as_ref(), Some(&receiver.place));
    assert_eq!(need.declared_by, agent("mei-lin-chen"));
    assert_eq!(need.note, "Visors for the barangay health centres.");
    assert_eq!(need.created_at, at.into());

    let need = store.need(sheet_id).await.unwrap();
    assert_eq!(need.what, "PETG sheet, 0.5 mm", "trimmed");
    assert_eq!((need.design, need.processes), (None, vec![]));
    assert_eq!(
        need.quantity,
        Quantity::new(12.375, Unit::Kilogram),
        "thousandths round-trip"
    );
    assert_eq!(need.minimum_quantity, Some(0.125));
    assert_eq!(need.remainder, 12.375);
    assert!(matches!(
        store.need(sheet_id + 1000).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_need_for_a_missing_design_or_with_bad_input_adds_nothing(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let lagos = place("Lagos, Nigeria", 6.5244, 3.3792);
    declare(
        &store,
        &design_need("flexure-microscope", 10.0, lagos.clone(), 40),
        "amara-okafor",
    )
    .await;

    let missing = design_need("no-such-microscope", 10.0, lagos.clone(), 40);
    let mut in_kilos = design_need("flexure-microscope", 10.0, lagos.clone(), 40);
    in_kilos.quantity.unit = Unit::Kilogram;
    let mut nowhere = design_need("flexure-microscope", 10.0, lagos, 40);
    nowhere.place.lat = 91.0;

    for (input, field) in [
        (missing, "design"),
        (in_kilos, "quantity"),
        (nowhere, "place.lat"),
    ] {
        match try_declare_at(&store, &input, "amara-okafor", "amara-okafor", now()).await {
            Err(StoreError::Invalid(fields)) => {
                assert!(fields.get(field).is_some(), "{field}: {fields:?}")
            }
            other => panic!("expected Invalid {field}, got {other:?}"),
        }
    }
    assert_eq!(store.list_needs(&any_state(10)).await.unwrap().total, 1);
}

async fn the_board_pages_through_every_need_in_due_order(backend: Backend) {
    let (store, _db, activity) = activity_store(backend).await;

    let needs = every_need(&store, &any_state(5)).await;

    assert_eq!(needs.len(), activity.needs.len());
    let order: Vec<_> = needs.iter().map(|n| (n.due.clone(), n.id)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "earliest due first, then by id");
    assert_eq!(ids(&needs).len(), needs.len(), "no need on two pages");
    let mut read: Vec<_> = needs
        .iter()
        .map(|n| (n.receiver.id.to_string(), to_milli(n.quantity.value)))
        .collect();
    let mut seeded: Vec<_> = activity
        .needs
        .iter()
        .map(|s| (s.receiver.to_string(), to_milli(s.quantity.value)))
        .collect();
    read.sort();
    seeded.sort();
    assert_eq!(read, seeded);
    let open = store
        .list_needs(&NeedQuery {
            limit: 100,
            ..NeedQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        open.total as usize,
        needs.iter().filter(|n| n.state == NeedState::Open).count(),
        "a query left at its default lists open needs"
    );
}

async fn every_filter_agrees_with_the_needs_it_returns(backend: Backend) {
    let (store, _db, activity) = activity_store(backend).await;
    // One need claimed in full and one delivered in full too, so that
    // every state has needs in it.
    let untouched: Vec<_> = every_need(&store, &any_state(100))
        .await
        .into_iter()
        .filter(|n| n.remainder == n.quantity.value)
        .collect();
    let [.., claimed, fulfilled] = untouched.as_slice() else {
        panic!("two needs nobody has claimed yet")
    };
    claim(&store, claimed.id, "olga-petrenko", claimed.remainder)
        .await
        .unwrap();
    let delivery = claim(&store, fulfilled.id, "olga-petrenko", fulfilled.remainder)
        .await
        .unwrap();
    confirm(&store, delivery).await;
    let all = every_need(&store, &any_state(100)).await;
    let check = |query: NeedQuery, expected: BTreeSet<u64>, what: String| {
        let store = &store;
        async move {
            let found = every_need(store, &NeedQuery { limit: 7, ..query }).await;
            assert!(!expected.is_empty(), "{what} matches something");
            assert_eq!(ids(&found), expected, "{what}");
        }
    };

    for seed in &activity.needs {
        let Some(design) = &seed.design else { continue };
        let expected = activity
            .needs
            .iter()
            .filter(|s| s.design.as_ref() == Some(design))
            .count();
        let found = every_need(
            &store,
            &NeedQuery {
                design: Some(design.clone()),
                ..any_state(7)
            },
        )
        .await;
        assert_eq!(found.len(), expected, "needs for {design}");
    }
    let receiver = agent("samuel-mensah");
    let expected = all
        .iter()
        .filter(|n| n.receiver.id == receiver || n.declared_by == receiver)
        .map(|n| n.id)
        .collect();
    let query = NeedQuery {
        receiver: Some(receiver),
        ..any_state(7)
    };
    check(query, expected, "received or declared".into()).await;
    let coalition = agent(OHA);
    let expected = all
        .iter()
        .filter(|n| n.coalition.as_ref().map(|c| &c.id) == Some(&coalition))
        .map(|n| n.id)
        .collect();
    let query = NeedQuery {
        coalition: Some(coalition),
        ..any_state(7)
    };
    check(query, expected, "the coalition's".into()).await;
    for process in [ProcessKind::FdmPrinting, ProcessKind::Welding] {
        let expected = all
            .iter()
            .filter(|n| n.processes.contains(&process))
            .map(|n| n.id)
            .collect();
        let query = NeedQuery {
            process: Some(process),
            ..any_state(7)
        };
        check(query, expected, format!("using {}", process.slug())).await;
    }
    // Around Nairobi: the Kenyan needs, not Kumasi's or Addis Ababa's.
    let (lat, lon, radius) = (-1.2921, 36.8219, 150.0);
    let expected = all
        .iter()
        .filter(|n| distance_km(lat, lon, n.place.lat, n.place.lon) <= radius)
        .map(|n| n.id)
        .collect();
    let query = NeedQuery {
        near: Some((lat, lon, radius)),
        ..any_state(7)
    };
    check(query, expected, "near Nairobi".into()).await;
    for state in NeedState::ALL {
        let expected = all
            .iter()
            .filter(|n| n.state == state)
            .map(|n| n.id)
            .collect();
        let query = NeedQuery {
            state: Some(state),
            limit: 7,
            ..NeedQuery::default()
        };
        check(query, expected, format!("{state:?}")).await;
    }
}

async fn a_forged_needs_cursor_is_invalid_input(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    // Not base64; base64 of no cursor; a due date with no need id after it.
    for cursor in ["%%%", "bm90IGEgY3Vyc29y", "MjAyNy0wMS0wMR9ub3QtYS1udW1iZXI"] {
        let result = store
            .list_needs(&NeedQuery {
                cursor: Some(cursor.into()),
                ..any_state(10)
            })
            .await;
        assert!(
            matches!(&result, Err(StoreError::Invalid(f)) if f.get("cursor").is_some()),
            "{cursor}: {result:?}"
        );
    }
}

async fn an_ask_of_a_coalition_waits_for_a_steward_and_is_answered_once(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let tamale = place("Tamale, Ghana", 9.4075, -0.8533);
    let mut seeders = design_need("push-seeder", 30.0, tamale.clone(), 60);
    seeders.coalition = Some(agent(OHA));
    let mut stoves = design_need("rocket-cookstove", 80.0, tamale, 45);
    stoves.coalition = Some(agent(OHA));

    // A member declares: the coalition's at once. An outsider asks.
    let member = declare(&store, &seeders, "samuel-mensah").await;
    let asked = declare(&store, &stoves, "lucia-fernandez").await;
    let refused = declare(&store, &stoves, "jonas-lindqvist").await;

    let need = store.need(member).await.unwrap();
    assert_eq!(need.coalition.map(|c| c.id), Some(agent(OHA)));
    assert_eq!(need.asked_of.map(|a| a.state), Some(AskState::Accepted));
    let need = store.need(asked).await.unwrap();
    assert_eq!(need.coalition, None);
    assert_eq!(
        need.asked_of.as_ref().map(|a| (&a.coalition.id, a.state)),
        Some((&agent(OHA), AskState::Asked))
    );
    let waiting = NeedQuery {
        asked_of: Some(agent(OHA)),
        ..any_state(10)
    };
    assert_eq!(
        ids(&every_need(&store, &waiting).await),
        [asked, refused].into()
    );

    let steward = agent(OHA_STEWARD);
    let accept = AskDecision {
        accept: true,
        reason: String::new(),
    };
    let silent_no = AskDecision {
        accept: false,
        reason: "  ".into(),
    };
    let at = now();
    assert!(matches!(
        answer_ask(&store, asked, OHA, &silent_no, at).await,
        Err(StoreError::Invalid(f)) if f.get("reason").is_some()
    ));
    assert!(matches!(
        answer_ask(&store, asked, "andes-commons", &accept, at).await,
        Err(StoreError::NotFound)
    ));
    let need = answer_ask(&store, asked, OHA, &accept, at).await.unwrap();
    assert_eq!(need.coalition.map(|c| c.id), Some(agent(OHA)));
    let ask = need.asked_of.unwrap();
    assert_eq!(
        (ask.state, ask.decided_by, ask.decided_at),
        (AskState::Accepted, Some(steward.clone()), Some(at.into()))
    );
    let again = answer_ask(&store, asked, OHA, &accept, at).await;
    assert!(
        matches!(&again, Err(StoreError::Conflict(m)) if m.contains("accepted")),
        "{again:?}"
    );
    let no = AskDecision {
        accept: false,
        reason: "Cookstoves for Tamale are Ghana Stove Makers' work.".into(),
    };
    let need = answer_ask(&store, refused, OHA, &no, at).await.unwrap();
    assert_eq!(need.coalition, None);
    let ask = need.asked_of.unwrap();
    assert_eq!(
        (ask.state, ask.reason.as_str()),
        (AskState::Declined, no.reason.as_str())
    );
    assert!(every_need(&store, &waiting).await.is_empty());
}

/// demand, committed, delivered and gap, in thousandths.
type Sums = (i64, i64, i64, i64);

async fn the_gap_signal_matches_the_needs(backend: Backend) {
    let (store, _db, _) = activity_store(backend).await;
    let all = every_need(&store, &any_state(100)).await;
    let mut by_design: BTreeMap<String, (String, Sums)> = BTreeMap::new();
    let mut by_region: BTreeMap<String, (String, Sums)> = BTreeMap::new();
    for need in all.iter().filter(|n| n.state != NeedState::Fulfilled) {
        let Some(design) = &need.design else { continue };
        let region = region_of(&need.place.name).to_owned();
        for (map, key, label) in [
            (&mut by_design, design.id.to_string(), design.name.clone()),
            (&mut by_region, region.clone(), region),
        ] {
            let sums = &mut map.entry(key).or_insert((label, (0, 0, 0, 0))).1;
            sums.0 += to_milli(need.quantity.value);
            sums.1 += to_milli(need.committed);
            sums.2 += to_milli(need.delivered);
        }
    }

    let gaps = store.gaps().await.unwrap();

    for (section, expected) in [(&gaps.by_design, by_design), (&gaps.by_region, by_region)] {
        let expected: BTreeMap<_, _> = expected
            .into_iter()
            .map(|(key, (label, (d, c, v, _)))| (key, (label, (d, c, v, (d - c - v).max(0)))))
            .collect();
        let found: BTreeMap<_, _> = section
            .iter()
            .map(|g| {
                let sums = (
                    to_milli(g.demand),
                    to_milli(g.committed),
                    to_milli(g.delivered),
                    to_milli(g.gap),
                );
                (g.key.clone(), (g.label.clone(), sums))
            })
            .collect();
        assert_eq!(found, expected);
        assert!(
            section.windows(2).all(|w| w[0].gap >= w[1].gap),
            "largest gap first"
        );
    }
    assert!(gaps.by_design.iter().any(|g| g.gap > 0.0));
}
