//! Only a coalition decides what is its own, on both stores: a need asked
//! of a coalition by outsiders counts for nobody until a steward accepts it;
//! a delivery earns shares only when the need is the coalition's and its
//! maker an active member; stewards void a contribution that should not
//! count, in the open.

use serde_json::{Value, json};
use stigmergy_server::store::Backend;

use crate::helpers::{
    TestApp, assert_error, both_stores, demo_account as demo, demo_app, person, post_as,
};
use crate::needs::due;

both_stores!(
    the_share_attack_fails,
    stewards_void_a_contribution,
    racing_answers_settle_once,
    racing_voids_write_one_correction,
);

const OHA: &str = "open-hardware-africa";

fn face_shields(quantity: f64) -> Value {
    json!({
        "design": "face-shield-hospital",
        "quantity": {"value": quantity, "unit": "piece"},
        "due": due(40),
        "place": {"name": "Kumasi, Ghana", "lat": 6.6885, "lon": -1.6244},
        "coalition": OHA,
        "note": "Face shields for the wards of a teaching hospital."
    })
}

async fn created(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{what}: {body}");
    body
}

async fn ok(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{what}: {body}");
    body
}

/// Claims `quantity` of `need` as `maker` and takes it to delivered; the
/// receiver then confirms. Returns the claim's id.
async fn deliver(
    app: &TestApp,
    maker: &reqwest::Client,
    receiver: &reqwest::Client,
    need: &Value,
    quantity: f64,
) -> u64 {
    let claim = created(
        post_as(
            app,
            maker,
            &format!("/api/needs/{}/claims", need["id"]),
            json!({"quantity": quantity}),
        )
        .await,
        "claiming",
    )
    .await;
    let id = claim["id"].as_u64().unwrap();
    for (who, step) in [(maker, "start"), (maker, "deliver"), (receiver, "confirm")] {
        ok(
            post_as(app, who, &format!("/api/claims/{id}/{step}"), json!({})).await,
            step,
        )
        .await;
    }
    id
}

async fn entries(app: &TestApp) -> Vec<Value> {
    let export = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/export"), 200)
        .await;
    export["entries"].as_array().unwrap().clone()
}

async fn accounts(app: &TestApp) -> Value {
    app.get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
        .await
}

fn points_of(accounts: &Value, who: &str) -> f64 {
    accounts["shares"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["contributor"] == who)
        .map_or(0.0, |s| s["points"].as_f64().unwrap())
}

async fn the_share_attack_fails(backend: Backend) {
    // Arrange: two accounts made a minute ago, members of nothing.
    let app = demo_app(backend).await;
    let asker = person(&app, "ama-darko").await;
    let maker = person(&app, "kofi-owusu").await;
    let steward = demo(&app, "amara-okafor").await;
    let member = demo(&app, "kenji-watanabe").await;
    let ledger_before = entries(&app).await.len();

    // Act: the attack as tried on a fresh portal. A asks the coalition for a
    // million face shields; B claims them all, makes and delivers; A confirms.
    let asked = created(
        post_as(&app, &asker, "/api/needs", face_shields(1_000_000.0)).await,
        "asking",
    )
    .await;
    assert_eq!(asked["coalition"], Value::Null, "{asked}");
    assert_eq!(asked["asked_of"]["coalition"]["id"], OHA);
    assert_eq!(asked["asked_of"]["state"], "asked");
    let claim = deliver(&app, &maker, &asker, &asked, 1_000_000.0).await;

    // Assert: nothing of it is the coalition's.
    let events = app
        .get_json(&format!("/api/economic-events?claim={claim}"), 200)
        .await;
    let events = events.as_array().unwrap();
    assert_eq!(
        events.len(),
        2,
        "the delivery is still recorded: {events:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| e["coalition"].is_null() && e["in_accounts"] == false)
    );
    assert_eq!(entries(&app).await.len(), ledger_before);
    let ours = app
        .get_json(
            &format!("/api/needs?coalition={OHA}&state=all&limit=100"),
            200,
        )
        .await;
    assert!(
        ours["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["id"] != asked["id"]),
        "an ask is not the coalition's need"
    );

    // Outsiders cannot answer for the coalition.
    let answer = json!({"accept": true});
    let path = |need: &Value| format!("/api/coalitions/{OHA}/asks/{}", need["id"]);
    for who in [&asker, &maker, &member] {
        let response = post_as(&app, who, &path(&asked), &answer).await;
        assert_eq!(response.status(), 403);
    }
    let anonymous = post_as(&app, &app.other_client(), &path(&asked), &answer).await;
    assert_eq!(anonymous.status(), 401);

    // A steward declines the first ask (a reason is required) …
    let no_reason = post_as(&app, &steward, &path(&asked), json!({"accept": false})).await;
    assert_eq!(no_reason.status(), 400);
    assert_error(&no_reason.json().await.unwrap(), "invalid_input");
    let declined = ok(
        post_as(
            &app,
            &steward,
            &path(&asked),
            json!({"accept": false, "reason": "Already delivered, and far more than any ward uses."}),
        )
        .await,
        "declining",
    )
    .await;
    assert_eq!(declined["asked_of"]["state"], "declined");
    assert_eq!(declined["asked_of"]["decided_by"], "amara-okafor");
    assert!(
        declined["asked_of"]["reason"]
            .as_str()
            .unwrap()
            .contains("far more")
    );
    let again = post_as(&app, &steward, &path(&asked), &answer).await;
    assert_eq!(again.status(), 409, "an ask is answered once");

    // … and accepts a real one: the need becomes the coalition's.
    let hospital = created(
        post_as(&app, &asker, "/api/needs", face_shields(300.0)).await,
        "asking again",
    )
    .await;
    let waiting = app
        .get_json(&format!("/api/needs?asked_of={OHA}&state=all"), 200)
        .await;
    assert!(
        waiting["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == hospital["id"])
    );
    let accepted = ok(
        post_as(&app, &steward, &path(&hospital), &answer).await,
        "accepting",
    )
    .await;
    assert_eq!(accepted["coalition"]["id"], OHA);
    assert_eq!(accepted["asked_of"]["state"], "accepted");
    let not_asked_here = post_as(
        &app,
        &steward,
        &format!(
            "/api/coalitions/circular-plastics-europe/asks/{}",
            hospital["id"]
        ),
        &answer,
    )
    .await;
    assert_eq!(not_asked_here.status(), 403, "not a steward there");

    // The outsider delivers on the accepted need: on the map, not in the accounts.
    let outsider_claim = deliver(&app, &maker, &asker, &hospital, 200.0).await;
    let events = app
        .get_json(&format!("/api/economic-events?claim={outsider_claim}"), 200)
        .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["coalition"] == OHA && e["in_accounts"] == false)
    );
    assert_eq!(entries(&app).await.len(), ledger_before);

    // A member's delivery to the outside receiver counts.
    let member_points = points_of(&accounts(&app).await, "kenji-watanabe");
    let member_claim = deliver(&app, &member, &asker, &hospital, 100.0).await;
    let all = entries(&app).await;
    let new = &all[ledger_before..];
    assert_eq!(new.len(), 2, "produce and transfer: {new:?}");
    assert!(new.iter().all(|e| e["claim"] == member_claim));
    assert_eq!(new[0]["action"], "produce");
    assert_eq!(new[0]["provider"], "kenji-watanabe");
    let after = accounts(&app).await;
    assert!(points_of(&after, "kenji-watanabe") > member_points);

    // A sale afterwards owes the outsiders nothing.
    let currency = after["currency"].as_str().unwrap().to_owned();
    let sale = created(
        post_as(
            &app,
            &steward,
            &format!("/api/coalitions/{OHA}/ledger"),
            json!({
                "action": "transfer", "provider": "ama-darko", "receiver": "@treasury",
                "resource": currency, "quantity": 3000, "unit": currency,
                "category": "sale", "note": "Face shields for the teaching hospital"
            }),
        )
        .await,
        "recording the sale",
    )
    .await;
    let owed = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    let of_sale: Vec<&Value> = owed
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["triggered_by"] == sale["seq"])
        .collect();
    assert!(!of_sale.is_empty());
    assert!(
        of_sale
            .iter()
            .all(|o| o["creditor"] != "ama-darko" && o["creditor"] != "kofi-owusu"),
        "{of_sale:?}"
    );
    let after = accounts(&app).await;
    assert_eq!(points_of(&after, "ama-darko"), 0.0);
    assert_eq!(points_of(&after, "kofi-owusu"), 0.0);
    let check = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(check["valid"], true, "{check}");
}

async fn stewards_void_a_contribution(backend: Backend) {
    let app = demo_app(backend).await;
    let steward = demo(&app, "amara-okafor").await;
    let member = demo(&app, "kenji-watanabe").await;
    let hospital = demo(&app, "tomas-novak").await;
    // A member's need is the coalition's at once.
    let need = created(
        post_as(&app, &steward, "/api/needs", face_shields(50.0)).await,
        "a member's need",
    )
    .await;
    assert_eq!(need["coalition"]["id"], OHA);
    assert_eq!(need["asked_of"]["state"], "accepted");
    assert_eq!(need["asked_of"]["decided_by"], Value::Null);
    let before = points_of(&accounts(&app).await, "kenji-watanabe");
    deliver(&app, &member, &steward, &need, 50.0).await;
    let all = entries(&app).await;
    let produce = all
        .iter()
        .rev()
        .find(|e| e["action"] == "produce" && e["provider"] == "kenji-watanabe")
        .unwrap()
        .clone();
    let earned = points_of(&accounts(&app).await, "kenji-watanabe");
    assert!(earned > before);
    let path = format!("/api/coalitions/{OHA}/ledger/{}/void", produce["seq"]);
    let reason = json!({"reason": "The shields failed the hospital's splash test."});

    // Only stewards void, with a reason, and only contributions.
    assert_eq!(post_as(&app, &member, &path, &reason).await.status(), 403);
    assert_eq!(post_as(&app, &hospital, &path, &reason).await.status(), 403);
    let empty = post_as(&app, &steward, &path, json!({"reason": "  "})).await;
    assert_eq!(empty.status(), 400);
    let money = all.iter().find(|e| e["unit"] == "USD").unwrap();
    let money_path = format!("/api/coalitions/{OHA}/ledger/{}/void", money["seq"]);
    assert_eq!(
        post_as(&app, &steward, &money_path, &reason).await.status(),
        400
    );
    let missing = format!("/api/coalitions/{OHA}/ledger/999999/void");
    assert_eq!(
        post_as(&app, &steward, &missing, &reason).await.status(),
        404
    );
    assert_eq!(
        entries(&app).await.len(),
        all.len(),
        "refusals write nothing"
    );

    let void = created(post_as(&app, &steward, &path, &reason).await, "voiding").await;
    assert_eq!(void["corrects"], produce["seq"]);
    assert_eq!(void["quantity"], 0.0);
    assert_eq!(void["recorded_by"], "amara-okafor");
    assert!(void["note"].as_str().unwrap().contains("splash test"));
    let points = points_of(&accounts(&app).await, "kenji-watanabe");
    assert!(
        (points - before).abs() < 1e-9,
        "the voided points vanish: {before} → {earned} → {points}"
    );
    // Voided once; the page lists who corrected it.
    let twice = post_as(&app, &steward, &path, &reason).await;
    assert_eq!(twice.status(), 400);
    let page = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger?limit=5"), 200)
        .await;
    assert_eq!(page["items"][0]["recorded_by"], "amara-okafor");
    assert!(
        page["corrected_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|pair| pair[0] == produce["seq"] && pair[1] == void["seq"])
    );
    let check = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(check["valid"], true);
}

/// Two answers to one ask at the same moment (one accepting, one
/// declining): one wins, the other is told it was answered, and the need is
/// what the winner said, never both.
async fn racing_answers_settle_once(backend: Backend) {
    let app = demo_app(backend).await;
    let asker = person(&app, "abena-osei").await;
    let first = demo(&app, "amara-okafor").await;
    let second = demo(&app, "amara-okafor").await;
    for round in 0..5 {
        let need = created(
            post_as(
                &app,
                &asker,
                "/api/needs",
                face_shields(50.0 + f64::from(round)),
            )
            .await,
            "asking",
        )
        .await;
        let path = format!("/api/coalitions/{OHA}/asks/{}", need["id"]);
        let (accept, decline) = tokio::join!(
            post_as(&app, &first, &path, json!({"accept": true})),
            post_as(
                &app,
                &second,
                &path,
                json!({"accept": false, "reason": "Covered by the Accra workshop this month."})
            )
        );
        let statuses = (accept.status().as_u16(), decline.status().as_u16());
        let now = app
            .get_json(&format!("/api/needs/{}", need["id"]), 200)
            .await;
        match statuses {
            (200, 409) => {
                assert_eq!(now["asked_of"]["state"], "accepted");
                assert_eq!(now["coalition"]["id"], OHA);
            }
            (409, 200) => {
                assert_eq!(now["asked_of"]["state"], "declined");
                assert_eq!(now["coalition"], Value::Null);
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
}

/// Two stewards' voids of one entry at the same moment: one correction is
/// written, the other is refused (the ledger is locked while it checks).
async fn racing_voids_write_one_correction(backend: Backend) {
    let app = demo_app(backend).await;
    let (first, second) = (
        demo(&app, "amara-okafor").await,
        demo(&app, "amara-okafor").await,
    );
    let all = entries(&app).await;
    let corrected: Vec<&Value> = all.iter().map(|e| &e["corrects"]).collect();
    let work: Vec<u64> = all
        .iter()
        .filter(|e| e["action"] == "work" && !corrected.contains(&&e["seq"]))
        .filter_map(|e| e["seq"].as_u64())
        .take(3)
        .collect();
    assert_eq!(work.len(), 3, "hours of work in the demo ledger");
    for seq in work {
        let path = format!("/api/coalitions/{OHA}/ledger/{seq}/void");
        let reason = json!({"reason": "Recorded twice."});
        let before = entries(&app).await.len();
        let (a, b) = tokio::join!(
            post_as(&app, &first, &path, &reason),
            post_as(&app, &second, &path, &reason)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 400], "entry {seq}");
        assert_eq!(entries(&app).await.len(), before + 1);
    }
    let check = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(check["valid"], true);
}
