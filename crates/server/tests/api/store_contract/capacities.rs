//! Declared capacity: it reads back exactly, with what its provider has
//! committed; the listing pages through everything once and its filters
//! agree with the data; a forged cursor is invalid input; and the
//! candidates for a need run its processes and are within reach.

use std::collections::BTreeSet;

use stigmergy_core::geo::distance_km;
use stigmergy_core::{
    Capacity, CapacityInput, CapacityQuery, ClaimAction, Need, Page, Place, ProcessKind,
};
use stigmergy_server::store::{Backend, Capacities, SqlStore, StoreError, StoreResult};

use super::claims::{act, claim};
use super::needs::{any_state, declare, design_need, every_need, place};
use super::{activity_store, agent, date_in, demo_store, now};

contract!(
    a_capacity_reads_back_exactly_with_what_its_provider_has_committed,
    bad_capacity_is_refused_and_adds_nothing,
    the_listing_pages_through_every_capacity_once_and_filters_agree,
    a_forged_capacity_cursor_is_invalid_input,
    the_makers_for_a_need_run_its_processes_within_reach,
);

/// Declares `input` for `provider`, by `declared_by`, now: the suite's one
/// call of `create_capacity`.
pub(super) async fn try_offer(
    store: &SqlStore,
    input: &CapacityInput,
    provider: &str,
    declared_by: &str,
) -> StoreResult<u64> {
    store
        .create_capacity(input, &agent(provider), &agent(declared_by), now())
        .await
        .map(|capacity| capacity.id)
}

/// What a workshop at `at` can make, from today for four months.
pub(super) fn workshop(processes: &[ProcessKind], at: Place, radius_km: f64) -> CapacityInput {
    CapacityInput {
        provider: None,
        processes: processes.to_vec(),
        materials: vec!["Mild steel".into()],
        rate: 40.0,
        available_from: date_in(0),
        available_until: Some(date_in(120)),
        radius_km,
        place: at,
        note: String::new(),
    }
}

fn query(limit: u32) -> CapacityQuery {
    CapacityQuery {
        limit,
        ..CapacityQuery::default()
    }
}

/// Every capacity `query` matches, page after page.
async fn every_capacity(store: &SqlStore, query: &CapacityQuery) -> Vec<Capacity> {
    let mut query = query.clone();
    let mut all = Vec::new();
    loop {
        let Page {
            items,
            next_cursor,
            total,
        } = store.capacities(&query).await.unwrap();
        all.extend(items);
        match next_cursor {
            Some(next) => query.cursor = Some(next),
            None => {
                assert_eq!(total as usize, all.len(), "{query:?}");
                return all;
            }
        }
    }
}

fn ids(capacities: &[Capacity]) -> BTreeSet<u64> {
    capacities.iter().map(|c| c.id).collect()
}

async fn a_capacity_reads_back_exactly_with_what_its_provider_has_committed(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let suame = place("Kumasi, Ghana", 6.72, -1.629);
    let input = CapacityInput {
        materials: vec![" Mild steel ".into(), "Steel tube".into()],
        rate: 40.5,
        available_from: date_in(-3),
        radius_km: 400.25,
        note: "  Two welding bays and a 1.5 kW fibre laser.  ".into(),
        ..workshop(
            &[
                ProcessKind::Welding,
                ProcessKind::LaserCutting,
                ProcessKind::SheetMetal,
            ],
            suame.clone(),
            400.0,
        )
    };

    let id = try_offer(&store, &input, "suame-agro-works", "samuel-mensah")
        .await
        .unwrap();

    let capacity = store.capacity(id).await.unwrap();
    assert_eq!(capacity.id, id);
    assert_eq!(capacity.provider.id, agent("suame-agro-works"));
    assert_eq!(capacity.provider.name, "Suame Agro Works");
    assert_eq!(capacity.processes, input.processes);
    assert_eq!(capacity.materials, ["Mild steel", "Steel tube"], "trimmed");
    assert_eq!((capacity.rate, capacity.radius_km), (40.5, 400.25));
    assert_eq!(capacity.available_from, input.available_from);
    assert_eq!(capacity.available_until, input.available_until);
    assert_eq!(capacity.place, suame);
    assert_eq!(capacity.note, "Two welding bays and a 1.5 kW fibre laser.");
    assert_eq!(capacity.committed, 0.0);
    assert!(matches!(
        store.capacity(id + 1000).await,
        Err(StoreError::NotFound)
    ));

    // What the provider has claimed and not yet delivered.
    let tamale = place("Tamale, Ghana", 9.4075, -0.8533);
    let need = declare(
        &store,
        &design_need("push-seeder", 30.0, tamale, 60),
        "samuel-mensah",
    )
    .await;
    let first = claim(&store, need, "suame-agro-works", 12.0).await.unwrap();
    claim(&store, need, "suame-agro-works", 8.0).await.unwrap();
    assert_eq!(store.capacity(id).await.unwrap().committed, 20.0);
    act(&store, first, ClaimAction::Deliver).await.unwrap();
    assert_eq!(store.capacity(id).await.unwrap().committed, 8.0);
}

async fn bad_capacity_is_refused_and_adds_nothing(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let lima = place("Lima, Peru", -12.0464, -77.0428);
    let nothing = workshop(&[], lima.clone(), 300.0);
    let backwards = CapacityInput {
        available_until: Some(date_in(-10)),
        ..workshop(&[ProcessKind::CncRouting], lima.clone(), 300.0)
    };
    let too_far = workshop(&[ProcessKind::CncRouting], lima, 25_000.0);

    for (input, field) in [
        (nothing, "processes"),
        (backwards, "available_until"),
        (too_far, "radius_km"),
    ] {
        match try_offer(&store, &input, "taller-abierto-lima", "mateo-quispe").await {
            Err(StoreError::Invalid(fields)) => {
                assert!(fields.get(field).is_some(), "{field}: {fields:?}")
            }
            other => panic!("expected Invalid {field}, got {other:?}"),
        }
    }
    assert_eq!(store.capacities(&query(10)).await.unwrap().total, 0);
}

async fn the_listing_pages_through_every_capacity_once_and_filters_agree(backend: Backend) {
    let (store, _db, activity) = activity_store(backend).await;

    let one_page = store.capacities(&query(100)).await.unwrap();
    let paged = every_capacity(&store, &query(4)).await;

    assert_eq!(one_page.items.len(), activity.capacities.len());
    assert_eq!(paged, one_page.items, "pages of 4 list the same, in order");
    let all = paged;
    assert_eq!(ids(&all).len(), all.len(), "none twice");
    for seed in &activity.capacities {
        let provider = seed.provider.clone();
        let theirs = every_capacity(
            &store,
            &CapacityQuery {
                provider: Some(provider.clone()),
                ..query(2)
            },
        )
        .await;
        let seeded = activity
            .capacities
            .iter()
            .filter(|s| s.provider == provider)
            .count();
        assert_eq!(theirs.len(), seeded, "{provider}");
        assert!(theirs.iter().all(|c| c.provider.id == provider));
    }
    for process in [
        ProcessKind::Welding,
        ProcessKind::FdmPrinting,
        ProcessKind::CncRouting,
    ] {
        let expected: Vec<_> = all
            .iter()
            .filter(|c| c.processes.contains(&process))
            .cloned()
            .collect();
        assert!(!expected.is_empty(), "{process:?}");
        let found = every_capacity(
            &store,
            &CapacityQuery {
                process: Some(process),
                ..query(3)
            },
        )
        .await;
        assert_eq!(found, expected, "{process:?}");
    }
    let providers = [agent("kamukunji-metal-coop"), agent("suame-agro-works")];
    let of: Vec<_> = all
        .iter()
        .filter(|c| providers.contains(&c.provider.id))
        .cloned()
        .collect();
    assert!(!of.is_empty());
    assert_eq!(store.capacities_of(&providers).await.unwrap(), of);
    assert!(store.capacities_of(&[]).await.unwrap().is_empty());
}

async fn a_forged_capacity_cursor_is_invalid_input(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    // Not base64; no cursor inside; a provider and a name but no id.
    for cursor in ["%%%", "bm90IGEgY3Vyc29y", "a2FtdWt1bmppH0thbXVrdW5qaQ"] {
        let result = store
            .capacities(&CapacityQuery {
                cursor: Some(cursor.into()),
                ..query(10)
            })
            .await;
        assert!(
            matches!(&result, Err(StoreError::Invalid(f)) if f.get("cursor").is_some()),
            "{cursor}: {result:?}"
        );
    }
}

/// Whether `capacity` could make something of `need` and reach it.
fn within_reach(need: &Need, capacity: &Capacity) -> bool {
    let runs = need.processes.is_empty()
        || need
            .processes
            .iter()
            .any(|p| capacity.processes.contains(p));
    let distance = distance_km(
        need.place.lat,
        need.place.lon,
        capacity.place.lat,
        capacity.place.lon,
    );
    runs && distance <= capacity.radius_km && capacity.provider.id != need.receiver.id
}

async fn the_makers_for_a_need_run_its_processes_within_reach(backend: Backend) {
    let (store, _db, _) = activity_store(backend).await;
    let all = every_capacity(&store, &query(100)).await;

    for need in every_need(&store, &any_state(100)).await {
        let candidates = store.capacities_for(&need).await.unwrap();

        let exact: BTreeSet<u64> = all
            .iter()
            .filter(|c| within_reach(&need, c))
            .map(|c| c.id)
            .collect();
        let found = ids(&candidates);
        assert!(
            exact.is_subset(&found),
            "need {} ({}): every maker in reach is a candidate",
            need.id,
            need.what
        );
        for capacity in &candidates {
            let runs = need.processes.is_empty()
                || need
                    .processes
                    .iter()
                    .any(|p| capacity.processes.contains(p));
            assert!(runs, "{} runs none of {:?}", capacity.id, need.processes);
            assert_ne!(
                capacity.provider.id, need.receiver.id,
                "nobody makes for themselves"
            );
            // Only a cheap bound north and south; core's `fit` does the rest.
            let north_south = distance_km(need.place.lat, 0.0, capacity.place.lat, 0.0);
            assert!(north_south <= capacity.radius_km + 1.0, "{}", capacity.id);
        }
    }
}
