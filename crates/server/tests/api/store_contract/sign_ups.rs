//! Sign-ups per address: at most the limit within the window, however many
//! arrive at once; other addresses are not held back; old attempts age out.

use chrono::Duration;
use stigmergy_server::store::{Backend, SignUps};

use super::{now, store_on};

contract!(
    an_address_signs_up_at_most_its_limit_within_the_window,
    of_racing_sign_ups_from_one_address_at_most_the_limit_get_through,
);

async fn an_address_signs_up_at_most_its_limit_within_the_window(backend: Backend) {
    let (store, _db) = store_on(backend).await;
    let at = now();
    let hour_ago = at - Duration::hours(1);
    let mut allowed = Vec::new();

    for minute in 0..4 {
        let when = at + Duration::minutes(minute);
        allowed.push(
            store
                .begin_sign_up("203.0.113.7", 3, when, hour_ago)
                .await
                .unwrap(),
        );
    }

    assert_eq!(allowed, [true, true, true, false]);
    assert!(
        store
            .begin_sign_up("198.51.100.20", 3, at, hour_ago)
            .await
            .unwrap(),
        "another address"
    );
    // An hour on, the first attempts are out of the window.
    let later = at + Duration::minutes(61);
    assert!(
        store
            .begin_sign_up("203.0.113.7", 3, later, later - Duration::hours(1))
            .await
            .unwrap()
    );
}

async fn of_racing_sign_ups_from_one_address_at_most_the_limit_get_through(backend: Backend) {
    let (store, _db) = store_on(backend).await;
    let at = now();
    let since = at - Duration::hours(1);
    let attempt = || store.begin_sign_up("192.0.2.44", 2, at, since);

    let (a, b, c, d) = tokio::join!(attempt(), attempt(), attempt(), attempt());

    let through = [a, b, c, d]
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(through, 2);
}
