//! Claims: a claim raises its need's claimed total and reads back; one for
//! more than is left is a conflict that names what is left and changes
//! nothing; withdrawing or declining gives the quantity back; each step is
//! a compare-and-set, so the second of two identical moves is a conflict.

use stigmergy_core::{Claim, ClaimAction, ClaimInput, ClaimState, NeedState, Quantity, Unit};
use stigmergy_server::store::{Backend, Claims, Events, Needs, SqlStore, StoreError, StoreResult};

use super::needs::{declare, design_need, place, resource_need};
use super::{agent, demo_store, now};

contract!(
    a_claim_raises_the_needs_claimed_total_and_reads_back,
    a_claim_for_more_than_is_left_is_a_conflict_that_names_what_is_left,
    withdrawing_or_declining_gives_the_quantity_back,
    a_claim_walks_each_step_to_confirmed_and_fulfils_its_need,
    of_two_identical_moves_the_second_is_a_conflict,
    of_two_racing_claims_for_the_last_units_one_wins,
    nobody_claims_a_need_they_declared_or_receive_and_a_refusal_changes_nothing,
);

/// Claims `quantity` of `need` for `provider`, by `claimed_by`: the suite's
/// one call of `create_claim`.
pub(super) async fn claim_as(
    store: &SqlStore,
    need: u64,
    provider: &str,
    claimed_by: &str,
    quantity: f64,
    note: &str,
) -> StoreResult<u64> {
    let input = ClaimInput {
        quantity,
        provider: Some(agent(provider)),
        note: note.to_owned(),
    };
    store
        .create_claim(need, &input, &agent(provider), &agent(claimed_by), now())
        .await
        .map(|claim| claim.id)
}

/// `provider` claims `quantity` of `need` for themselves.
pub(super) async fn claim(
    store: &SqlStore,
    need: u64,
    provider: &str,
    quantity: f64,
) -> StoreResult<u64> {
    claim_as(store, need, provider, provider, quantity, "").await
}

/// Moves a claim on by `action`, now.
pub(super) async fn act(store: &SqlStore, claim: u64, action: ClaimAction) -> StoreResult<Claim> {
    store.act_on_claim(claim, action, now()).await
}

/// Walks a claim from committed through delivered to confirmed.
pub(super) async fn confirm(store: &SqlStore, claim: u64) -> Claim {
    for action in [ClaimAction::Start, ClaimAction::Deliver] {
        act(store, claim, action).await.unwrap();
    }
    act(store, claim, ClaimAction::Confirm).await.unwrap()
}

async fn a_claim_raises_the_needs_claimed_total_and_reads_back(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let nairobi = place("Nairobi, Kenya", -1.2921, 36.8219);
    let need = declare(
        &store,
        &design_need("rocket-cookstove", 120.0, nairobi, 50),
        "grace-wanjiru",
    )
    .await;

    let first = claim_as(
        &store,
        need,
        "suame-agro-works",
        "samuel-mensah",
        45.0,
        "Welded from 1.5 mm sheet.",
    )
    .await
    .unwrap();
    let second = claim(&store, need, "kamukunji-metal-coop", 30.0)
        .await
        .unwrap();
    let third = claim(&store, need, "suame-agro-works", 15.0).await.unwrap();

    let read = store.claim(first).await.unwrap();
    assert_eq!((read.id, read.need), (first, need));
    assert_eq!(read.what, "Rocket cookstove");
    assert_eq!(read.provider.id, agent("suame-agro-works"));
    assert_eq!(read.provider.name, "Suame Agro Works");
    assert_eq!(read.receiver.id, agent("grace-wanjiru"));
    assert_eq!(read.claimed_by, agent("samuel-mensah"));
    assert_eq!(read.declared_by, agent("grace-wanjiru"));
    assert_eq!(read.quantity, Quantity::new(45.0, Unit::Piece));
    assert_eq!(read.state, ClaimState::Committed);
    assert_eq!(read.note, "Welded from 1.5 mm sheet.");
    let need_now = store.need(need).await.unwrap();
    assert_eq!((need_now.remainder, need_now.committed), (30.0, 90.0));
    assert_eq!(need_now.state, NeedState::Open);
    let of_need: Vec<_> = store
        .claims_of_need(need)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(of_need, [first, second, third], "oldest first");
    let by = |who: &'static str| {
        let store = &store;
        async move {
            let claims = store.claims_by(&agent(who)).await.unwrap();
            claims.iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(by("suame-agro-works").await, [third, first], "newest first");
    assert_eq!(by("samuel-mensah").await, [first], "who claimed for it");
    assert!(by("grace-wanjiru").await.is_empty(), "receivers make none");
    assert!(matches!(
        store.claim(third + 1000).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_claim_for_more_than_is_left_is_a_conflict_that_names_what_is_left(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let kumasi = place("Kumasi, Ghana", 6.6885, -1.6244);
    let mut gauze = resource_need(
        "Sterile gauze pads, 10 cm",
        Quantity::new(200.0, Unit::Piece),
        kumasi.clone(),
        30,
    );
    gauze.minimum_quantity = Some(20.0);
    let need = declare(&store, &gauze, "samuel-mensah").await;
    claim(&store, need, "kamukunji-metal-coop", 80.0)
        .await
        .unwrap();

    let too_much = claim(&store, need, "hana-yusuf", 121.0).await;
    let too_little = claim(&store, need, "hana-yusuf", 5.0).await;

    assert!(
        matches!(&too_much, Err(StoreError::Conflict(m)) if m.contains("Only 120 pcs")),
        "{too_much:?}"
    );
    assert!(
        matches!(&too_little, Err(StoreError::Invalid(f)) if f.get("quantity").is_some_and(|m| m.contains("20 pcs"))),
        "{too_little:?}"
    );
    let unchanged = store.need(need).await.unwrap();
    assert_eq!((unchanged.remainder, unchanged.committed), (120.0, 80.0));
    assert_eq!(store.claims_of_need(need).await.unwrap().len(), 1);
    assert!(
        store
            .claims_by(&agent("hana-yusuf"))
            .await
            .unwrap()
            .is_empty()
    );

    // All that is left is always allowed; then nothing is.
    claim(&store, need, "hana-yusuf", 120.0).await.unwrap();
    let full = store.need(need).await.unwrap();
    assert_eq!((full.remainder, full.state), (0.0, NeedState::Claimed));
    let late = claim(&store, need, "olga-petrenko", 1.0).await;
    assert!(
        matches!(&late, Err(StoreError::Conflict(m)) if m.contains("nothing is left")),
        "{late:?}"
    );
    assert!(matches!(
        claim(&store, need + 1000, "olga-petrenko", 1.0).await,
        Err(StoreError::NotFound)
    ));

    // Thousandths of a kilogram add up exactly.
    let flakes = resource_need(
        "HDPE flakes, washed",
        Quantity::new(12.375, Unit::Kilogram),
        kumasi,
        30,
    );
    let need = declare(&store, &flakes, "samuel-mensah").await;
    for part in [0.125, 4.25, 8.0] {
        claim(&store, need, "plastico-circular-porto", part)
            .await
            .unwrap();
    }
    let left = store.need(need).await.unwrap();
    assert_eq!((left.remainder, left.committed), (0.0, 12.375));
}

async fn withdrawing_or_declining_gives_the_quantity_back(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let nairobi = place("Nairobi, Kenya", -1.2921, 36.8219);
    let need = declare(
        &store,
        &design_need("infant-incubator", 6.0, nairobi, 75),
        "grace-wanjiru",
    )
    .await;

    let hana = claim(&store, need, "hana-yusuf", 4.0).await.unwrap();
    assert_eq!(remainder_of(&store, need).await, 2.0);
    let withdrawn = act(&store, hana, ClaimAction::Withdraw).await.unwrap();
    assert_eq!(withdrawn.state, ClaimState::Withdrawn);
    assert_eq!(remainder_of(&store, need).await, 6.0);

    let kenji = claim(&store, need, "kenji-watanabe", 6.0).await.unwrap();
    assert_eq!(store.need(need).await.unwrap().state, NeedState::Claimed);
    act(&store, kenji, ClaimAction::Deliver).await.unwrap();
    let declined = act(&store, kenji, ClaimAction::Decline).await.unwrap();
    assert_eq!(declined.state, ClaimState::Declined);
    let back = store.need(need).await.unwrap();
    assert_eq!(
        (back.remainder, back.delivered, back.state),
        (6.0, 0.0, NeedState::Open)
    );

    // Given back once: a finished claim takes no further step.
    for (id, action) in [(hana, ClaimAction::Start), (kenji, ClaimAction::Confirm)] {
        assert!(matches!(
            act(&store, id, action).await,
            Err(StoreError::Conflict(_))
        ));
    }
    assert_eq!(remainder_of(&store, need).await, 6.0);
}

async fn nobody_claims_a_need_they_declared_or_receive_and_a_refusal_changes_nothing(
    backend: Backend,
) {
    let (store, _db, _) = demo_store(backend).await;
    let nairobi = place("Nairobi, Kenya", -1.2921, 36.8219);
    let need = declare(
        &store,
        &design_need("rocket-cookstove", 40.0, nairobi, 5),
        "grace-wanjiru",
    )
    .await;
    // Grace as the maker of her own need, and Grace claiming it for the
    // co-operative she stewards: both refused, neither counted.
    for (provider, claimed_by) in [
        ("grace-wanjiru", "grace-wanjiru"),
        ("kamukunji-metal-coop", "grace-wanjiru"),
    ] {
        let refused = claim_as(&store, need, provider, claimed_by, 10.0, "").await;
        assert!(
            matches!(&refused, Err(StoreError::Refused(m)) if m.contains("others claim it")),
            "{provider} by {claimed_by}: {refused:?}"
        );
    }
    assert_eq!(remainder_of(&store, need).await, 40.0);
    assert!(store.claims_of_need(need).await.unwrap().is_empty());
    // Someone else's maker may.
    claim_as(&store, need, "suame-agro-works", "samuel-mensah", 10.0, "")
        .await
        .unwrap();
    assert_eq!(remainder_of(&store, need).await, 30.0);
}

async fn remainder_of(store: &SqlStore, need: u64) -> f64 {
    store.need(need).await.unwrap().remainder
}

async fn a_claim_walks_each_step_to_confirmed_and_fulfils_its_need(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let dhaka = place("Dhaka, Bangladesh", 23.8103, 90.4125);
    let need = declare(
        &store,
        &design_need("rough-terrain-wheelchair", 12.0, dhaka, 90),
        "hana-yusuf",
    )
    .await;
    let id = claim(&store, need, "buriganga-cycle-works", 12.0)
        .await
        .unwrap();
    let made = store.claim(id).await.unwrap();

    let started = act(&store, id, ClaimAction::Start).await.unwrap();
    let delivered = act(&store, id, ClaimAction::Deliver).await.unwrap();
    let in_transit = store.need(need).await.unwrap();
    let confirmed = act(&store, id, ClaimAction::Confirm).await.unwrap();

    assert_eq!(started.state, ClaimState::InProgress);
    assert_eq!(delivered.state, ClaimState::Delivered);
    assert_eq!((in_transit.committed, in_transit.delivered), (0.0, 12.0));
    assert_eq!(in_transit.state, NeedState::Claimed);
    assert_eq!(confirmed.state, ClaimState::Confirmed);
    assert_eq!(confirmed.created_at, made.created_at);
    assert!(confirmed.updated_at >= made.updated_at);
    let fulfilled = store.need(need).await.unwrap();
    assert_eq!(
        (fulfilled.state, fulfilled.remainder, fulfilled.delivered),
        (NeedState::Fulfilled, 0.0, 12.0)
    );
}

async fn of_two_identical_moves_the_second_is_a_conflict(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let cusco = place("Cusco, Peru", -13.532, -71.9675);
    let need = declare(
        &store,
        &design_need("ceramic-water-filter", 40.0, cusco, 30),
        "mateo-quispe",
    )
    .await;
    let id = claim(&store, need, "taller-abierto-lima", 40.0)
        .await
        .unwrap();

    act(&store, id, ClaimAction::Start).await.unwrap();
    let again = act(&store, id, ClaimAction::Start).await;
    assert!(
        matches!(&again, Err(StoreError::Conflict(m)) if m.contains("in progress")),
        "{again:?}"
    );
    let early = act(&store, id, ClaimAction::Confirm).await;
    assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
    act(&store, id, ClaimAction::Deliver).await.unwrap();

    let (a, b) = tokio::join!(
        act(&store, id, ClaimAction::Confirm),
        act(&store, id, ClaimAction::Confirm),
    );

    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1);
    assert!(matches!(
        a.as_ref().err().or(b.as_ref().err()),
        Some(StoreError::Conflict(_))
    ));
    let events = store.economic_events(None, Some(id), 0, 10).await.unwrap();
    assert_eq!(
        events.len(),
        2,
        "one confirmation, one produce and transfer"
    );
    assert!(matches!(
        act(&store, id + 1000, ClaimAction::Start).await,
        Err(StoreError::NotFound)
    ));
}

async fn of_two_racing_claims_for_the_last_units_one_wins(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let oaxaca = place("Oaxaca, Mexico", 17.0732, -96.7266);
    let need = declare(
        &store,
        &design_need("wheel-hoe", 100.0, oaxaca, 40),
        "diego-ramirez",
    )
    .await;
    claim(&store, need, "eastside-fab-coop", 40.0)
        .await
        .unwrap();

    let (a, b) = tokio::join!(
        claim(&store, need, "milpa-libre", 60.0),
        claim(&store, need, "suame-agro-works", 60.0),
    );

    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1);
    assert!(matches!(
        a.as_ref().err().or(b.as_ref().err()),
        Some(StoreError::Conflict(_))
    ));
    let need = store.need(need).await.unwrap();
    assert_eq!((need.remainder, need.committed), (0.0, 100.0));
    assert_eq!(store.claims_of_need(need.id).await.unwrap().len(), 2);
}
