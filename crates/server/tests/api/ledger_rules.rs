//! The ledger's own rules, on both stores: a reciprocity fee falls away
//! with its claim, nothing pays a share that a correction voided, budget
//! lines are one per category, a ledger opens once however many ask at the
//! same moment.

use serde_json::{Value, json};
use stigmergy_server::store::Backend;

use crate::helpers::{
    Seed, TestApp, TestDb, assert_error, both_stores, demo_account as demo, demo_app, person,
    post_as, put_as,
};
use crate::needs::due;

both_stores!(
    fees_and_shares_fall_away_with_what_made_them,
    budgets_and_opening,
);

const OHA: &str = "open-hardware-africa";

async fn owed(app: &TestApp) -> Vec<Value> {
    app.get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn ledger_len(app: &TestApp) -> usize {
    app.get_json(&format!("/api/coalitions/{OHA}/ledger/export"), 200)
        .await["entries"]
        .as_array()
        .unwrap()
        .len()
}

fn payout(owed: &Value) -> Value {
    json!({
        "action": "transfer", "provider": owed["debtor"], "receiver": owed["creditor"],
        "resource": "USD", "quantity": owed["amount"], "unit": "USD", "category": "payout",
        "settles": owed["id"]
    })
}

async fn fees_and_shares_fall_away_with_what_made_them(backend: Backend) {
    let app = demo_app(backend).await;
    let steward = demo(&app, "amara-okafor").await;
    let ledger = format!("/api/coalitions/{OHA}/ledger");
    // A coalition need for a Peer Production License design; two makers
    // outside the coalition claim it, each owing the commons fund a fee.
    let need = post_as(
        &app,
        &steward,
        "/api/needs",
        json!({
            "design": "school-desk", "quantity": {"value": 40, "unit": "piece"},
            "due": due(60), "place": {"name": "Tamale, Ghana", "lat": 9.4008, "lon": -0.8393},
            "coalition": OHA, "note": "Desks for two classrooms"
        }),
    )
    .await;
    assert_eq!(need.status(), 201);
    let need: Value = need.json().await.unwrap();
    let mut claims = Vec::new();
    for handle in ["yaw-boateng", "efua-sarpong"] {
        let maker = person(&app, handle).await;
        let claim = post_as(
            &app,
            &maker,
            &format!("/api/needs/{}/claims", need["id"]),
            json!({"quantity": 8}),
        )
        .await;
        assert_eq!(claim.status(), 201);
        let claim: Value = claim.json().await.unwrap();
        claims.push((maker, claim));
    }
    let fee_of = |owed: &[Value], claim: &Value| {
        owed.iter()
            .find(|o| o["kind"] == "reciprocity_fee" && o["need_claim"] == claim["id"])
            .cloned()
    };
    let all = owed(&app).await;
    let fees: Vec<Value> = claims
        .iter()
        .map(|(_, c)| fee_of(&all, c).expect("a fee for each outside claim"))
        .collect();

    // One maker withdraws; the receiver declines the other's claim.
    let (first_maker, first) = &claims[0];
    let withdrawn = post_as(
        &app,
        first_maker,
        &format!("/api/claims/{}/withdraw", first["id"]),
        json!({}),
    )
    .await;
    assert_eq!(withdrawn.status(), 200);
    let (_, second) = &claims[1];
    let declined = post_as(
        &app,
        &steward,
        &format!("/api/claims/{}/decline", second["id"]),
        json!({}),
    )
    .await;
    assert_eq!(declined.status(), 200);
    let all = owed(&app).await;
    for (_, claim) in &claims {
        assert!(fee_of(&all, claim).is_none(), "the fee is void: {all:?}");
    }
    let accounts = app
        .get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
        .await;
    let fund = accounts["owed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["creditor"] == "@commons-fund")
        .cloned();
    // Nothing pays a void fee.
    let before = ledger_len(&app).await;
    for fee in &fees {
        let paid = post_as(&app, &steward, &ledger, payout(fee)).await;
        assert_eq!(paid.status(), 400);
        let body: Value = paid.json().await.unwrap();
        assert!(
            assert_error(&body, "invalid_input")["fields"]["settles"]
                .as_str()
                .unwrap()
                .contains("void"),
            "{body}"
        );
    }
    assert_eq!(ledger_len(&app).await, before);

    // A sale's shares are void once the sale is corrected: nothing pays them.
    let sale = post_as(
        &app,
        &steward,
        &ledger,
        json!({
            "action": "transfer", "provider": "komfo-anokye-hospital", "receiver": "@treasury",
            "resource": "USD", "quantity": 800, "unit": "USD", "category": "sale",
            "note": "Thirty visors, invoiced twice by mistake"
        }),
    )
    .await;
    assert_eq!(sale.status(), 201);
    let sale: Value = sale.json().await.unwrap();
    let shares: Vec<Value> = owed(&app)
        .await
        .into_iter()
        .filter(|o| o["triggered_by"] == sale["seq"])
        .collect();
    assert!(!shares.is_empty());
    let correction = post_as(
        &app,
        &steward,
        &ledger,
        json!({
            "action": "transfer", "provider": "komfo-anokye-hospital", "receiver": "@treasury",
            "resource": "USD", "quantity": 0, "unit": "USD", "category": "sale",
            "corrects": sale["seq"], "note": "Invoiced twice: cancelled"
        }),
    )
    .await;
    assert_eq!(correction.status(), 201);
    let before = ledger_len(&app).await;
    for share in &shares {
        let paid = post_as(&app, &steward, &ledger, payout(share)).await;
        assert_eq!(paid.status(), 400, "share {share}");
    }
    assert_eq!(ledger_len(&app).await, before);
    assert!(
        owed(&app)
            .await
            .iter()
            .all(|o| o["triggered_by"] != sale["seq"])
    );
    let after = app
        .get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
        .await;
    let fund_after = after["owed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["creditor"] == "@commons-fund")
        .cloned();
    assert_eq!(fund_after, fund, "the commons fund is owed what it was");
}

async fn budgets_and_opening(backend: Backend) {
    let app = TestApp::spawn_on(
        TestDb::for_backend(backend).await,
        Seed::Empty,
        "/nonexistent".into(),
    )
    .await;
    let steward = person(&app, "ines-carvalho").await;
    let year = chrono::Utc::now().format("%Y").to_string();
    // Five new coalitions, each opened by two requests at the same moment.
    for n in 0..5 {
        let id = format!("porto-makers-{n}");
        let created = post_as(
            &app,
            &steward,
            "/api/organizations",
            json!({
                "id": id, "name": format!("Porto Makers {n}"), "kind": "cooperative",
                "place": {"name": "Porto, Portugal", "lat": 41.1579, "lon": -8.6291},
                "coalition_licences": ["CERN-OHL-S-2.0"]
            }),
        )
        .await;
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
        let path = format!("/api/coalitions/{id}/ledger/open");
        let body = json!({"currency": "EUR"});
        let (a, b) = tokio::join!(
            post_as(&app, &steward, &path, &body),
            post_as(&app, &steward, &path, &body)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [204, 409], "coalition {n}");
        // Opening again later is a 409 too, in any currency.
        let again = post_as(&app, &steward, &path, json!({"currency": "USD"})).await;
        assert_eq!(again.status(), 409);
    }

    // Two lines for one category and direction: a 400 naming the second.
    let path = format!("/api/coalitions/porto-makers-0/budgets/{year}");
    let line = |amount: f64| json!({"year": year.parse::<i32>().unwrap(), "direction": "income", "category": "grant", "amount": amount});
    let duplicate = put_as(&app, &steward, &path, json!([line(1000.0), line(500.0)])).await;
    assert_eq!(duplicate.status(), 400);
    let body: Value = duplicate.json().await.unwrap();
    assert!(
        assert_error(&body, "invalid_input")["fields"]["1.category"].is_string(),
        "{body}"
    );
    let accounts = app
        .get_json("/api/coalitions/porto-makers-0/accounts", 200)
        .await;
    assert_eq!(accounts["budget"], json!([]), "nothing was written");
    let fine = put_as(&app, &steward, &path, json!([line(1000.0)])).await;
    assert_eq!(fine.status(), 204);

    // What was opened and put reads back, field by field.
    let year_number = year.parse::<i32>().unwrap();
    let spending = json!({"year": year_number, "direction": "spending", "category": "materials", "amount": 250.5});
    let set = put_as(&app, &steward, &path, json!([line(1200.0), spending])).await;
    assert_eq!(set.status(), 204);
    let accounts = app
        .get_json("/api/coalitions/porto-makers-0/accounts", 200)
        .await;
    assert_eq!(accounts["currency"], "EUR", "the currency it was opened in");
    assert_eq!(accounts["entries"], 0, "opening writes no entry");
    let mut budget = accounts["budget"].as_array().unwrap().clone();
    budget.sort_by_key(|b| b["direction"].as_str().unwrap().to_owned());
    assert_eq!(budget.len(), 2, "{budget:?}");
    for (got, (direction, category, amount)) in budget.iter().zip([
        ("income", "grant", 1200.0),
        ("spending", "materials", 250.5),
    ]) {
        assert_eq!(got["year"], year_number, "{got}");
        assert_eq!(got["direction"], direction, "{got}");
        assert_eq!(got["category"], category, "{got}");
        assert_eq!(got["budget"].as_f64(), Some(amount), "{got}");
        assert_eq!(got["actual"].as_f64(), Some(0.0), "{got}");
    }
    // A second PUT replaces the year's lines rather than adding to them.
    let replaced = put_as(&app, &steward, &path, json!([line(900.0)])).await;
    assert_eq!(replaced.status(), 204);
    let accounts = app
        .get_json("/api/coalitions/porto-makers-0/accounts", 200)
        .await;
    assert_eq!(
        accounts["budget"],
        json!([{"year": year_number, "direction": "income", "category": "grant", "budget": 900.0, "actual": 0.0}])
    );
}
