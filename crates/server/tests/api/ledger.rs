//! Open accounting over HTTP on both stores: the demo year's accounts,
//! stewards recording entries and corrections, revenue shares owed and
//! paid, reciprocity fees, the exports parsed back, and tampering caught.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sqlx::Connection;
use stigmergy_server::store::Backend;

use crate::helpers::{
    Seed, TestApp, assert_error, both_stores, demo_account as demo, demo_app as app_on, person,
    post_as, put_as,
};

both_stores!(
    a_visitor_reads_a_year_of_accounts,
    the_ledger_pages_and_filters_newest_first,
    the_exports_parse_back_and_agree,
    stewards_record_entries_and_corrections,
    editing_a_row_in_the_database_breaks_the_chain_there,
    deliveries_and_reciprocity_fees_reach_the_ledger,
);

const OHA: &str = "open-hardware-africa";

async fn entries(app: &TestApp, coalition: &str) -> Vec<Value> {
    let export = app
        .get_json(&format!("/api/coalitions/{coalition}/ledger/export"), 200)
        .await;
    export["entries"].as_array().unwrap().clone()
}

async fn a_visitor_reads_a_year_of_accounts(backend: Backend) {
    let app = app_on(backend).await;
    let overview = app
        .get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
        .await;
    assert_eq!(overview["currency"], "USD");
    let count = overview["entries"].as_u64().unwrap();
    assert!(count > 200, "a year of entries: {count}");
    // Balances add up to zero: every payment leaves one account for another.
    let balances = overview["balances"].as_array().unwrap();
    let total: f64 = balances.iter().map(|b| b["amount"].as_f64().unwrap()).sum();
    assert!(total.abs() < 1e-6, "{total}");
    assert_eq!(balances[0]["account"], "@treasury", "own accounts first");
    assert!(balances[0]["amount"].as_f64().unwrap() > 0.0);
    // Twelve months of income and spending, by category.
    let months: std::collections::BTreeSet<&str> = overview["flows"]["income"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap())
        .collect();
    assert!(months.len() >= 12, "{months:?}");
    let categories: std::collections::BTreeSet<&str> = overview["flows"]["spending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[1].as_str().unwrap())
        .collect();
    for c in ["materials", "tools", "space", "payout"] {
        assert!(categories.contains(c), "{c} in {categories:?}");
    }
    assert!(
        overview["budget"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["category"] == "sale" && b["actual"].as_f64().unwrap() > 0.0)
    );
    // Shares under the value equation, with their reasons.
    assert_eq!(overview["equation"]["version"], 1);
    let shares = overview["shares"].as_array().unwrap();
    let sum: f64 = shares.iter().map(|s| s["share"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-9, "{sum}");
    let grace = shares
        .iter()
        .find(|s| s["contributor"] == "grace-wanjiru")
        .expect("Grace's share");
    assert!(
        grace["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["resource"] == "welding" && l["weight"] == 1.2)
    );
    let names: BTreeMap<&str, &str> = overview["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n[0].as_str().unwrap(), n[1].as_str().unwrap()))
        .collect();
    assert_eq!(names["grace-wanjiru"], "Grace Wanjiru");
    // Owed after sales: mostly paid, the last month's outstanding.
    let owed = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    let owed = owed.as_array().unwrap();
    assert!(owed.iter().any(|o| o["settled"] == o["amount"]));
    assert!(
        owed.iter()
            .any(|o| o["settled"].as_f64().unwrap() < o["amount"].as_f64().unwrap())
    );
    // The corrected steel invoice: both entries stay, the first no longer counts.
    let all = entries(&app, OHA).await;
    let fix = all
        .iter()
        .find(|e| !e["corrects"].is_null())
        .expect("a correction");
    let wrong = &all[fix["corrects"].as_u64().unwrap() as usize - 1];
    assert_eq!(wrong["quantity"], 11500.0);
    // The server re-checks the chain.
    let check = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(check["valid"], true, "{check}");
    assert_eq!(check["entries"].as_u64(), Some(count));
    assert_eq!(check["head"], overview["head"]);
    // A coalition without accounts, and no coalition at all.
    let none = app
        .get_json("/api/coalitions/fab-lab-barcelona/accounts", 404)
        .await;
    assert_error(&none, "not_found");
    app.get_json("/api/coalitions/Not%20Here/ledger", 404).await;
}

async fn the_ledger_pages_and_filters_newest_first(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let path = format!("/api/coalitions/{OHA}/ledger");
    let first = app.get_json(&format!("{path}?limit=20"), 200).await;
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    let seqs: Vec<u64> = items.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first");
    let next = first["next"].as_u64().unwrap();
    let second = app
        .get_json(&format!("{path}?limit=20&before={next}"), 200)
        .await;
    assert_eq!(second["items"][0]["seq"].as_u64(), Some(next - 1));
    let sales = app
        .get_json(&format!("{path}?category=sale&limit=500"), 200)
        .await;
    assert!(
        sales["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["category"] == "sale")
    );
    assert_eq!(
        sales["total"].as_u64().unwrap() as usize,
        sales["items"].as_array().unwrap().len()
    );
    let work = app
        .get_json(&format!("{path}?action=work&account=grace-wanjiru"), 200)
        .await;
    assert!(
        work["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] == "work" && e["provider"] == "grace-wanjiru")
    );
    assert!(work["total"].as_u64().unwrap() >= 12);
    let in_kind = app.get_json(&format!("{path}?kind=in_kind"), 200).await;
    assert!(
        in_kind["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["unit"] != "USD")
    );
    for bad in [
        "action=steal",
        "kind=gold",
        "limit=0",
        "limit=501",
        "before=soon",
    ] {
        let body = app.get_json(&format!("{path}?{bad}"), 400).await;
        assert!(body["error"]["code"].is_string(), "{bad}: {body}");
    }
}

/// The exports parsed back: CSV rows and JSON entries agree; the JSON-LD
/// events validate against the ValueFlows 1.0 JSON schemas.
async fn the_exports_parse_back_and_agree(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let all = entries(&app, "circular-plastics-europe").await;
    let csv = app
        .get("/api/coalitions/circular-plastics-europe/ledger/export?format=csv")
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let rows = parse_csv(&csv.text().await.unwrap());
    assert_eq!(rows[0], stigmergy_server::ledger::CSV_COLUMNS);
    assert_eq!(rows.len() - 1, all.len());
    for (row, entry) in rows[1..].iter().zip(&all) {
        assert_eq!(row[0], entry["seq"].to_string());
        assert_eq!(row[9], entry["note"].as_str().unwrap());
        assert_eq!(
            row[6].parse::<f64>().unwrap(),
            entry["quantity"].as_f64().unwrap()
        );
        assert_eq!(row[15], entry["hash"].as_str().unwrap());
        // Cells a spreadsheet would run as a formula start with a quote.
        for (cell, field) in [(&row[3], "provider"), (&row[4], "receiver")] {
            let account = entry[field].as_str().unwrap();
            if account.starts_with('@') {
                assert_eq!(*cell, format!("'{account}"));
            } else {
                assert_eq!(cell, account);
            }
        }
    }
    assert!(rows[1..].iter().any(|r| r[4] == "'@treasury"));
    // A note with a comma and quotes survives the round trip.
    assert!(rows.iter().any(|r| r[9].contains(',')));

    let ld = app
        .get_json(
            "/api/coalitions/circular-plastics-europe/ledger/export?format=jsonld",
            200,
        )
        .await;
    assert!(
        ld["@context"]["@vocab"]
            .as_str()
            .unwrap()
            .starts_with("https://w3id.org/valueflows/ont/vf#")
    );
    let graph = ld["@graph"].as_array().unwrap();
    assert_eq!(graph.len(), all.len());
    for (event, entry) in graph.iter().zip(&all) {
        conforms(event, "EconomicEvent");
        assert_eq!(event["action"], entry["action"]);
        let measure = if ["work", "use", "cite"].contains(&entry["action"].as_str().unwrap()) {
            &event["effortQuantity"]
        } else {
            &event["resourceQuantity"]
        };
        assert_eq!(measure["hasNumericalValue"], entry["quantity"]);
        assert_eq!(measure["hasUnit"]["symbol"], entry["unit"]);
    }
    assert!(graph.iter().any(|e| e["corrects"]["@id"].is_string()));
    let bad = app
        .get_json(
            "/api/coalitions/circular-plastics-europe/ledger/export?format=xlsx",
            400,
        )
        .await;
    assert_error(&bad, "invalid_input");
}

/// RFC 4180 CSV, as a spreadsheet reads it.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![Vec::new()];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => rows.last_mut().unwrap().push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                rows.last_mut().unwrap().push(std::mem::take(&mut field));
                rows.push(Vec::new());
            }
            (false, c) => field.push(c),
        }
    }
    rows.retain(|r| !r.is_empty());
    rows
}

/// Checks `value` against the ValueFlows 1.0 JSON schema `name` (copied
/// into `tests/api/valueflows/`): only its properties, each of the right
/// type, the required ones present; `$ref`s followed to the local files.
/// JSON-LD keys (`@id`, `@type`) are allowed everywhere.
fn conforms(value: &Value, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/valueflows");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("the VF schema {name}: {e}")),
    )
    .unwrap();
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{name} is an object: {value}"));
    for required in schema["required"].as_array().into_iter().flatten() {
        assert!(
            object.contains_key(required.as_str().unwrap()),
            "{name} needs {required}: {value}"
        );
    }
    for (key, field) in object {
        if key.starts_with('@') {
            continue;
        }
        let property = &schema["properties"][key];
        assert!(
            property.is_object(),
            "{name} has no property {key}: {value}"
        );
        if let Some(target) = property["$ref"].as_str() {
            let file = target.rsplit('/').next().unwrap().trim_end_matches(".json");
            if field.get("@id").is_some() && field.as_object().unwrap().len() == 1 {
                continue; // a reference to a node described elsewhere
            }
            conforms(field, file);
            continue;
        }
        let ok = match property["type"].as_str() {
            Some("string") => field.is_string(),
            Some("number") => field.is_number(),
            Some("boolean") => field.is_boolean(),
            Some("array") => field.is_array(),
            Some("object") => field.is_object(),
            _ => true,
        };
        assert!(ok, "{name}.{key} has the wrong type: {field}");
    }
}

async fn stewards_record_entries_and_corrections(backend: Backend) {
    let app = app_on(backend).await;
    let path = format!("/api/coalitions/{OHA}/ledger");
    let before = entries(&app, OHA).await.len();
    let sale = json!({
        "action": "transfer", "provider": "komfo-anokye-hospital", "receiver": "@treasury",
        "resource": "USD", "quantity": 1000, "unit": "USD", "category": "sale",
        "note": "Forty visors for the maternity wing"
    });
    // Nobody signed in; a member who is not a steward.
    assert_eq!(app.post_json(&path, &sale).await.status(), 401);
    let member = demo(&app, "kenji-watanabe").await;
    let refused = post_as(&app, &member, &path, &sale).await;
    assert_eq!(refused.status(), 403);
    let steward = demo(&app, "amara-okafor").await;
    // Bad input: a clear 400 naming each field, and nothing written.
    let bad = post_as(
        &app,
        &steward,
        &path,
        json!({
            "action": "transfer", "provider": "nobody-at-all", "receiver": "@treasury",
            "resource": "EUR", "quantity": -3, "unit": "EUR", "category": "snacks"
        }),
    )
    .await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    for field in ["quantity", "unit", "category"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let unknown = post_as(
        &app,
        &steward,
        &path,
        json!({
            "action": "transfer", "provider": "nobody-at-all", "receiver": "@treasury",
            "resource": "USD", "quantity": 3, "unit": "USD", "category": "donation"
        }),
    )
    .await;
    assert_eq!(unknown.status(), 400);
    let body: Value = unknown.json().await.unwrap();
    assert!(body["error"]["fields"]["provider"].is_string(), "{body}");
    assert_eq!(entries(&app, OHA).await.len(), before);

    // A sale: numbered, linked, and its shares owed.
    let owed_before = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await
        .as_array()
        .unwrap()
        .len();
    let recorded = post_as(&app, &steward, &path, &sale).await;
    assert_eq!(recorded.status(), 201);
    let entry: Value = recorded.json().await.unwrap();
    assert_eq!(entry["seq"].as_u64(), Some(before as u64 + 1));
    let all = entries(&app, OHA).await;
    assert_eq!(entry["prev_hash"], all[before - 1]["hash"]);
    let owed: Vec<Value> = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await
        .as_array()
        .unwrap()
        .clone();
    let new: Vec<&Value> = owed[owed_before..].iter().collect();
    assert!(new.iter().all(|o| o["triggered_by"] == entry["seq"]));
    let to_fund: f64 = new
        .iter()
        .filter(|o| o["creditor"] == "@commons-fund")
        .map(|o| o["amount"].as_f64().unwrap())
        .sum();
    let to_contributors: f64 = new
        .iter()
        .filter(|o| o["kind"] == "revenue_share")
        .map(|o| o["amount"].as_f64().unwrap())
        .sum();
    assert!(
        (to_fund - 100.0).abs() < 1e-9,
        "10% to the commons fund: {to_fund}"
    );
    assert!(
        (to_contributors - 550.0).abs() < 1e-9,
        "55% to contributors: {to_contributors}"
    );

    // Paying a share: no more than is outstanding, from the debtor.
    let share = new.iter().find(|o| o["kind"] == "revenue_share").unwrap();
    let pay = |quantity: f64| {
        json!({
            "action": "transfer", "provider": "@treasury", "receiver": share["creditor"],
            "resource": "USD", "quantity": quantity, "unit": "USD", "category": "payout",
            "settles": share["id"]
        })
    };
    let amount = share["amount"].as_f64().unwrap();
    let over = post_as(&app, &steward, &path, pay(amount + 1.0)).await;
    assert_eq!(over.status(), 400);
    assert_eq!(
        post_as(&app, &steward, &path, pay(amount)).await.status(),
        201
    );
    let owed = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    let paid = owed
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == share["id"])
        .unwrap();
    assert_eq!(paid["settled"], paid["amount"]);

    // Correcting the sale: the old entry stops counting, its shares are void;
    // an entry already corrected cannot be corrected again.
    let treasury = |overview: &Value| {
        overview["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["account"] == "@treasury")
            .unwrap()["amount"]
            .as_f64()
            .unwrap()
    };
    let before_fix = treasury(
        &app.get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
            .await,
    );
    let mut fix = sale.clone();
    fix["quantity"] = json!(100);
    fix["corrects"] = entry["seq"].clone();
    fix["note"] = json!("Four visors, not forty");
    assert_eq!(post_as(&app, &steward, &path, &fix).await.status(), 201);
    let after_fix = treasury(
        &app.get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
            .await,
    );
    assert!(
        (before_fix - after_fix - 900.0).abs() < 1e-6,
        "{before_fix} → {after_fix}"
    );
    let again = post_as(&app, &steward, &path, &fix).await;
    assert_eq!(again.status(), 400);
    let body: Value = again.json().await.unwrap();
    assert!(
        body["error"]["fields"]["corrects"]
            .as_str()
            .unwrap()
            .contains("already corrected")
    );
    let owed = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    assert!(
        !owed
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["triggered_by"] == entry["seq"]),
        "the corrected sale's shares are void"
    );
    let check = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(check["valid"], true);

    // The value equation: a new version, the old one kept; bad ones refused.
    let mut equation = app
        .get_json(&format!("/api/coalitions/{OHA}/value-equations"), 200)
        .await[0]
        .clone();
    equation["commons_share"] = json!(0.2);
    let set = post_as(
        &app,
        &steward,
        &format!("/api/coalitions/{OHA}/value-equations"),
        &equation,
    )
    .await;
    assert_eq!(set.status(), 201);
    let versions = app
        .get_json(&format!("/api/coalitions/{OHA}/value-equations"), 200)
        .await;
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["set_by"], "amara-okafor");
    assert_eq!(versions[1]["version"], 1);
    equation["contributors_share"] = json!(0.9);
    let bad = post_as(
        &app,
        &steward,
        &format!("/api/coalitions/{OHA}/value-equations"),
        &equation,
    )
    .await;
    assert_eq!(bad.status(), 400);
    let refused = post_as(
        &app,
        &member,
        &format!("/api/coalitions/{OHA}/value-equations"),
        &equation,
    )
    .await;
    assert_eq!(refused.status(), 403);

    // The budget.
    let year = 2026;
    let lines =
        json!([{"year": year, "direction": "income", "category": "grant", "amount": 30000}]);
    let set = put_as(
        &app,
        &steward,
        &format!("/api/coalitions/{OHA}/budgets/{year}"),
        &lines,
    )
    .await;
    assert_eq!(set.status(), 204);
    let bad = put_as(
        &app,
        &steward,
        &format!("/api/coalitions/{OHA}/budgets/{year}"),
        json!([{"year": year, "direction": "sideways", "category": "grant", "amount": 1}]),
    )
    .await;
    assert_eq!(bad.status(), 400);
}

/// Someone with the database edits an entry: the server's check names it.
async fn editing_a_row_in_the_database_breaks_the_chain_there(backend: Backend) {
    let app = app_on(backend).await;
    let before = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(before["valid"], true);
    let victim = 42i64;
    match backend {
        Backend::Sqlite => {
            let mut db = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query("DROP TRIGGER ledger_entries_are_append_only_update")
                .execute(&mut db)
                .await
                .unwrap();
            sqlx::query("UPDATE ledger_entries SET quantity = quantity + 1000 WHERE coalition_id = $1 AND seq = $2")
                .bind(OHA)
                .bind(victim)
                .execute(&mut db)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(
                "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_are_append_only",
            )
            .execute(&mut db)
            .await
            .unwrap();
            sqlx::query("UPDATE ledger_entries SET quantity = quantity + 1000 WHERE coalition_id = $1 AND seq = $2")
                .bind(OHA)
                .bind(victim)
                .execute(&mut db)
                .await
                .unwrap();
        }
    }
    let after = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(after["valid"], false, "{after}");
    assert_eq!(after["broken_at"], victim, "{after}");
    assert!(after["problem"].as_str().unwrap().contains("changed"));
    // The other coalitions' chains are untouched.
    let other = app
        .get_json("/api/coalitions/andes-commons/ledger/verify", 200)
        .await;
    assert_eq!(other["valid"], true);
}

/// A member's delivery reaches the ledger with the claim's confirmation, an
/// outsider's does not (its events are still recorded); a Peer Production
/// License design claimed by a maker outside the coalition owes the commons
/// fund its reciprocity fee, a member's claim does not.
async fn deliveries_and_reciprocity_fees_reach_the_ledger(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let steward = demo(&app, "amara-okafor").await;
    // A need for a PPL design in the coalition.
    let need = post_as(
        &app,
        &steward,
        "/api/needs",
        json!({
            "design": "school-desk", "quantity": {"value": 20, "unit": "piece"},
            "due": "2027-03-01", "place": {"name": "Kumasi, Ghana", "lat": 6.6885, "lon": -1.6244},
            "coalition": OHA, "note": "Desks for a new classroom block"
        }),
    )
    .await;
    assert_eq!(need.status(), 201, "{}", need.text().await.unwrap());
    let need: Value = need.json().await.unwrap();
    let outsider = person(&app, "yaw-boateng").await;
    let claim = post_as(
        &app,
        &outsider,
        &format!("/api/needs/{}/claims", need["id"]),
        json!({"quantity": 8}),
    )
    .await;
    assert_eq!(claim.status(), 201);
    let claim: Value = claim.json().await.unwrap();
    let member = demo(&app, "kenji-watanabe").await;
    let member_claim = post_as(
        &app,
        &member,
        &format!("/api/needs/{}/claims", need["id"]),
        json!({"quantity": 4}),
    )
    .await;
    assert_eq!(member_claim.status(), 201);
    let member_claim: Value = member_claim.json().await.unwrap();
    let owed = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    let fees: Vec<&Value> = owed
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "reciprocity_fee")
        .collect();
    assert_eq!(fees.len(), 1, "{fees:?}");
    assert_eq!(fees[0]["debtor"], "yaw-boateng");
    assert_eq!(fees[0]["creditor"], "@commons-fund");
    assert_eq!(fees[0]["need_claim"], claim["id"]);
    assert_eq!(fees[0]["amount"], 2.0, "0.25 USD a piece for 8 desks");
    assert_ne!(fees[0]["need_claim"], member_claim["id"]);

    // The outsider makes and delivers; the steward confirms: the events
    // are recorded, but an outsider's delivery earns no shares.
    let before = entries(&app, OHA).await.len();
    let deliver = |who: &reqwest::Client, claim: &Value, action: &str| {
        let path = format!("/api/claims/{}/{action}", claim["id"]);
        let who = who.clone();
        let app = &app;
        async move { post_as(app, &who, &path, json!({})).await }
    };
    for (who, action) in [
        (&outsider, "start"),
        (&outsider, "deliver"),
        (&steward, "confirm"),
    ] {
        let response = deliver(who, &claim, action).await;
        assert_eq!(
            response.status(),
            200,
            "{action}: {}",
            response.text().await.unwrap()
        );
    }
    assert_eq!(entries(&app, OHA).await.len(), before);
    let events = app
        .get_json(&format!("/api/economic-events?claim={}", claim["id"]), 200)
        .await;
    assert_eq!(events.as_array().unwrap().len(), 2);
    // The member's delivery is carried into the ledger.
    for (who, action) in [
        (&member, "start"),
        (&member, "deliver"),
        (&steward, "confirm"),
    ] {
        let response = deliver(who, &member_claim, action).await;
        assert_eq!(
            response.status(),
            200,
            "{action}: {}",
            response.text().await.unwrap()
        );
    }
    let all = entries(&app, OHA).await;
    let new = &all[before..];
    assert_eq!(new.len(), 2, "{new:?}");
    assert_eq!(new[0]["action"], "produce");
    assert_eq!(new[1]["action"], "transfer");
    assert!(
        new.iter()
            .all(|e| e["claim"] == member_claim["id"] && e["event"].is_u64())
    );
    assert_eq!(new[1]["quantity"], 4.0);
    let check = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    assert_eq!(check["valid"], true);
}
