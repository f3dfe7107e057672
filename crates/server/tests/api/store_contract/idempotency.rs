//! Idempotency keys: the first request with a key claims it, a retry of
//! the same request reads its kept answer, another request with the key is
//! told so, and keys are per account, freed on failure and forgotten after
//! their lifetime.

use chrono::Duration;
use stigmergy_server::store::idempotency::{IN_FLIGHT_LIMIT, KEY_LIFETIME, KeptAnswer, KeyState};
use stigmergy_server::store::{Backend, Idempotency};

use super::accounts::second_account;
use super::{account_store, now};

contract!(
    a_key_is_claimed_once_and_a_retry_reads_the_kept_answer,
    of_two_racing_first_uses_of_a_key_one_claims_it,
    a_key_is_freed_on_failure_and_forgotten_after_its_lifetime,
);

const CLAIM_REQUEST: &str = "sha256:POST /api/needs/7/claims {\"quantity\":40}";

fn created() -> KeptAnswer {
    KeptAnswer {
        status: 201,
        content_type: Some("application/json".into()),
        body: br#"{"id":12,"state":"committed"}"#.to_vec(),
    }
}

async fn a_key_is_claimed_once_and_a_retry_reads_the_kept_answer(backend: Backend) {
    let (store, _db, ana) = account_store(backend).await;
    let bo = second_account(&store).await;
    let at = now();

    let first = store
        .claim_key(&ana, "claim-7-a", CLAIM_REQUEST, at)
        .await
        .unwrap();
    let while_running = store
        .claim_key(&ana, "claim-7-a", CLAIM_REQUEST, at)
        .await
        .unwrap();
    store
        .keep_answer(&ana, "claim-7-a", &created())
        .await
        .unwrap();
    let retry = store
        .claim_key(&ana, "claim-7-a", CLAIM_REQUEST, at)
        .await
        .unwrap();
    let other = store
        .claim_key(&ana, "claim-7-a", "sha256:POST /api/needs/8/claims", at)
        .await
        .unwrap();
    let someone_else = store
        .claim_key(&bo, "claim-7-a", CLAIM_REQUEST, at)
        .await
        .unwrap();

    assert_eq!(first, KeyState::New);
    assert_eq!(while_running, KeyState::InFlight);
    assert_eq!(retry, KeyState::Answered(created()), "kept byte for byte");
    assert_eq!(other, KeyState::OtherRequest);
    assert_eq!(someone_else, KeyState::New, "keys are per account");
}

async fn of_two_racing_first_uses_of_a_key_one_claims_it(backend: Backend) {
    let (store, _db, ana) = account_store(backend).await;
    let at = now();

    let (a, b) = tokio::join!(
        store.claim_key(&ana, "claim-7-b", CLAIM_REQUEST, at),
        store.claim_key(&ana, "claim-7-b", CLAIM_REQUEST, at),
    );

    let mut states = [a.unwrap(), b.unwrap()];
    states.sort_by_key(|s| s != &KeyState::New);
    assert_eq!(states, [KeyState::New, KeyState::InFlight]);
}

async fn a_key_is_freed_on_failure_and_forgotten_after_its_lifetime(backend: Backend) {
    let (store, _db, ana) = account_store(backend).await;
    let at = now();
    store
        .claim_key(&ana, "k1", CLAIM_REQUEST, at)
        .await
        .unwrap();

    store.release_key(&ana, "k1").await.unwrap();

    assert_eq!(
        store
            .claim_key(&ana, "k1", CLAIM_REQUEST, at)
            .await
            .unwrap(),
        KeyState::New,
        "a failed first try runs again"
    );
    // Its server stopped before answering: taken as lost after the limit.
    let lost = at + IN_FLIGHT_LIMIT + Duration::seconds(1);
    assert_eq!(
        store
            .claim_key(&ana, "k1", CLAIM_REQUEST, lost)
            .await
            .unwrap(),
        KeyState::New
    );
    store.keep_answer(&ana, "k1", &created()).await.unwrap();
    let within = lost + KEY_LIFETIME - Duration::seconds(1);
    assert_eq!(
        store
            .claim_key(&ana, "k1", "another request", within)
            .await
            .unwrap(),
        KeyState::OtherRequest
    );
    let after = lost + KEY_LIFETIME + Duration::seconds(1);
    assert_eq!(
        store
            .claim_key(&ana, "k1", "another request", after)
            .await
            .unwrap(),
        KeyState::New,
        "forgotten after its lifetime"
    );
}
