//! The ledger read in bounded pieces, on both stores: filtered pages that
//! follow `next` add up to the whole filtered ledger; the sums cached per
//! head show a write at once and agree with core's sums over the whole
//! export; the shares a sale is split by include the contribution recorded
//! just before it; a tampered older row is reported by the verification
//! even after the head's sums were cached.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sqlx::Connection;
use stigmergy_core::ledger::{self, LedgerEntry, ValueEquation};
use stigmergy_server::store::Backend;

use crate::helpers::{TestApp, both_stores, demo_account, demo_app, person, post_as};

both_stores!(
    filtered_pages_following_next_add_up_to_the_filtered_ledger,
    a_read_right_after_a_write_shows_it_and_agrees_with_the_whole_ledger,
    a_sale_right_after_a_contribution_is_split_with_it,
    a_tampered_older_row_is_reported_even_after_the_sums_were_cached,
);

const OHA: &str = "open-hardware-africa";

async fn export(app: &TestApp) -> Vec<LedgerEntry> {
    let export = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/export"), 200)
        .await;
    serde_json::from_value(export["entries"].clone()).expect("entries")
}

/// Follows `next` from the first page of `query` with small pages.
async fn all_pages(app: &TestApp, query: &str) -> (Vec<Value>, Vec<(u64, u64)>, u64) {
    let path = format!("/api/coalitions/{OHA}/ledger?limit=7&{query}");
    let mut items = Vec::new();
    let mut corrected_by = Vec::new();
    let mut page = app.get_json(&path, 200).await;
    let total = page["total"].as_u64().expect("a total");
    loop {
        assert_eq!(
            page["total"].as_u64(),
            Some(total),
            "{query}: the same total on every page"
        );
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        corrected_by.extend(
            serde_json::from_value::<Vec<(u64, u64)>>(page["corrected_by"].clone()).expect("pairs"),
        );
        let Some(next) = page["next"].as_u64() else {
            break;
        };
        page = app.get_json(&format!("{path}&before={next}"), 200).await;
    }
    (items, corrected_by, total)
}

async fn filtered_pages_following_next_add_up_to_the_filtered_ledger(backend: Backend) {
    let app = demo_app(backend).await;
    let whole = export(&app).await;
    let corrections: Vec<(u64, u64)> = whole
        .iter()
        .filter_map(|e| e.corrects.map(|old| (old, e.seq)))
        .collect();
    assert!(!corrections.is_empty(), "the demo ledger has a correction");
    type Keep = fn(&LedgerEntry) -> bool;
    let filters: [(&str, Keep); 8] = [
        ("", |_| true),
        ("kind=money", |e| e.is_money()),
        ("kind=in_kind", |e| !e.is_money()),
        ("category=sale", |e| e.category == "sale"),
        ("kind=money&category=materials", |e| {
            e.is_money() && e.category == "materials"
        }),
        ("action=work&account=grace-wanjiru", |e| {
            e.action == ledger::LedgerAction::Work
                && (e.provider == "grace-wanjiru" || e.receiver == "grace-wanjiru")
        }),
        ("account=%40treasury", |e| {
            e.provider == ledger::TREASURY || e.receiver == ledger::TREASURY
        }),
        ("action=cite&kind=money", |_| false),
    ];
    for (query, keep) in filters {
        let (items, corrected_by, total) = all_pages(&app, query).await;
        let expected: Vec<u64> = whole
            .iter()
            .rev()
            .filter(|e| keep(e))
            .map(|e| e.seq)
            .collect();
        let got: Vec<u64> = items.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert_eq!(
            got, expected,
            "{query}: the pages in order are the filtered ledger"
        );
        assert_eq!(total as usize, expected.len(), "{query}");
        // Each page names the corrections of its own entries, and only those.
        let shown: BTreeSet<u64> = expected.iter().copied().collect();
        let mut want: Vec<(u64, u64)> = corrections
            .iter()
            .copied()
            .filter(|(old, _)| shown.contains(old))
            .collect();
        let mut corrected_by = corrected_by;
        want.sort();
        corrected_by.sort();
        assert_eq!(corrected_by, want, "{query}");
        // The entries are the export's, field for field.
        for item in &items {
            let seq = item["seq"].as_u64().unwrap() as usize;
            let entry: LedgerEntry = serde_json::from_value(item.clone()).unwrap();
            assert_eq!(entry, whole[seq - 1], "{query}: entry {seq}");
        }
    }
    // Past the last entry, and before the first: empty, not an error.
    let none = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger?before=1"), 200)
        .await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["next"], Value::Null);
}

/// The accounts' sums against core's over the whole export.
async fn assert_accounts_agree(app: &TestApp, whole: &[LedgerEntry]) -> Value {
    let accounts = app
        .get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
        .await;
    assert_eq!(accounts["entries"].as_u64(), Some(whole.len() as u64));
    assert_eq!(
        accounts["head"].as_str(),
        whole.last().map(|e| e.hash.as_str())
    );
    let balances = ledger::balances(whole);
    let shown = accounts["balances"].as_array().unwrap();
    assert_eq!(shown.len(), balances.len(), "{accounts}");
    for b in shown {
        let account = b["account"].as_str().unwrap();
        assert_eq!(
            stigmergy_core::unit::to_milli(b["amount"].as_f64().unwrap()),
            balances[account],
            "{account}"
        );
    }
    let flows = serde_json::to_value(ledger::flows(whole)).unwrap();
    assert_eq!(accounts["flows"], flows);
    let equation: ValueEquation = serde_json::from_value(accounts["equation"].clone()).unwrap();
    let shares = serde_json::to_value(ledger::shares(whole, &equation)).unwrap();
    assert!(
        close(&accounts["shares"], &shares),
        "{}\n{shares}",
        accounts["shares"]
    );
    accounts
}

/// The same JSON, numbers equal to within a part in 10^12 (points are
/// products of floats, and the wire rounds them).
fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}

async fn a_read_right_after_a_write_shows_it_and_agrees_with_the_whole_ledger(backend: Backend) {
    let app = demo_app(backend).await;
    let steward = demo_account(&app, "amara-okafor").await;
    let path = format!("/api/coalitions/{OHA}/ledger");
    // Read twice, so the head's sums are cached.
    let before = assert_accounts_agree(&app, &export(&app).await).await;
    assert_accounts_agree(&app, &export(&app).await).await;
    let treasury = |accounts: &Value| {
        accounts["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["account"] == ledger::TREASURY)
            .map(|b| b["amount"].as_f64().unwrap())
            .unwrap()
    };

    let grant = post_as(
        &app,
        &steward,
        &path,
        json!({"action": "transfer", "provider": "grace-wanjiru", "receiver": "@treasury",
               "resource": "USD", "quantity": 1234.5, "unit": "USD", "category": "grant"}),
    )
    .await;
    assert_eq!(grant.status(), 201);
    let grant: Value = grant.json().await.unwrap();
    let after = assert_accounts_agree(&app, &export(&app).await).await;
    assert_eq!(after["head"], grant["hash"]);
    assert_eq!(treasury(&after), treasury(&before) + 1234.5);
    let first = app.get_json(&format!("{path}?limit=1"), 200).await;
    assert_eq!(first["items"][0]["seq"], grant["seq"]);

    // A correction takes the grant out of every sum at once.
    let fix = post_as(
        &app,
        &steward,
        &path,
        json!({"action": "transfer", "provider": "grace-wanjiru", "receiver": "@treasury",
               "resource": "USD", "quantity": 123.45, "unit": "USD", "category": "grant",
               "corrects": grant["seq"], "note": "a decimal point"}),
    )
    .await;
    assert_eq!(fix.status(), 201);
    let fixed = assert_accounts_agree(&app, &export(&app).await).await;
    assert!((treasury(&fixed) - (treasury(&before) + 123.45)).abs() < 1e-9);
    let page = app
        .get_json(&format!("{path}?limit=2&category=grant"), 200)
        .await;
    assert_eq!(
        page["corrected_by"],
        json!([[grant["seq"], page["items"][0]["seq"]]])
    );

    // Voiding a contribution: read by its number; a number past the head
    // is a 404 and writes nothing.
    let work = post_as(
        &app,
        &steward,
        &path,
        json!({"action": "work", "provider": "grace-wanjiru", "receiver": "@treasury",
               "resource": "welding", "quantity": 30, "unit": "h", "category": "production"}),
    )
    .await;
    let work: Value = work.json().await.unwrap();
    let missing = post_as(
        &app,
        &steward,
        &format!("{path}/999999/void"),
        json!({"reason": "never happened"}),
    )
    .await;
    assert_eq!(missing.status(), 404);
    let void = post_as(
        &app,
        &steward,
        &format!("{path}/{}/void", work["seq"]),
        json!({"reason": "counted twice"}),
    )
    .await;
    assert_eq!(void.status(), 201);
    let whole = export(&app).await;
    assert_eq!(whole.len() as u64, work["seq"].as_u64().unwrap() + 1);
    assert_accounts_agree(&app, &whole).await;
}

async fn a_sale_right_after_a_contribution_is_split_with_it(backend: Backend) {
    let app = demo_app(backend).await;
    let steward = demo_account(&app, "amara-okafor").await;
    person(&app, "kofi-newcomer").await;
    let path = format!("/api/coalitions/{OHA}/ledger");
    // The head's sums cached, then a contribution from someone new, then a
    // sale: its shares must count the contribution.
    assert_accounts_agree(&app, &export(&app).await).await;
    let work = post_as(
        &app,
        &steward,
        &path,
        json!({"action": "work", "provider": "kofi-newcomer", "receiver": "@treasury",
               "resource": "assembly", "quantity": 400, "unit": "h", "category": "production"}),
    )
    .await;
    assert_eq!(work.status(), 201);
    let sale = post_as(
        &app,
        &steward,
        &path,
        json!({"action": "transfer", "provider": "grace-wanjiru", "receiver": "@treasury",
               "resource": "USD", "quantity": 1000, "unit": "USD", "category": "sale"}),
    )
    .await;
    assert_eq!(sale.status(), 201);
    let sale: Value = sale.json().await.unwrap();
    let owed = app
        .get_json(&format!("/api/coalitions/{OHA}/owed"), 200)
        .await;
    let of_sale: Vec<&Value> = owed
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["triggered_by"] == sale["seq"])
        .collect();
    // What core splits the sale into over the whole ledger before it.
    let whole = export(&app).await;
    let accounts = assert_accounts_agree(&app, &whole).await;
    let equation: ValueEquation = serde_json::from_value(accounts["equation"].clone()).unwrap();
    let seq = sale["seq"].as_u64().unwrap() as usize;
    let shares = ledger::shares(&whole[..seq - 1], &equation);
    let mut expected = ledger::split_sale(1_000_000, &equation, &shares);
    let mut got: Vec<(String, i64)> = of_sale
        .iter()
        .map(|o| {
            (
                o["creditor"].as_str().unwrap().to_owned(),
                stigmergy_core::unit::to_milli(o["amount"].as_f64().unwrap()),
            )
        })
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    // The accounts' totals per creditor are the sums of what is owed.
    let mut sums: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for o in owed.as_array().unwrap() {
        let sum = sums
            .entry(o["creditor"].as_str().unwrap().to_owned())
            .or_default();
        sum.0 += stigmergy_core::unit::to_milli(o["amount"].as_f64().unwrap());
        sum.1 += stigmergy_core::unit::to_milli(o["settled"].as_f64().unwrap());
    }
    let shown: std::collections::BTreeMap<String, (i64, i64)> = accounts["owed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["creditor"].as_str().unwrap().to_owned(),
                (
                    stigmergy_core::unit::to_milli(t["owed"].as_f64().unwrap()),
                    stigmergy_core::unit::to_milli(t["settled"].as_f64().unwrap()),
                ),
            )
        })
        .collect();
    assert_eq!(shown, sums);
    assert!(
        sums.values().any(|s| s.1 > 0),
        "the demo has payouts: {sums:?}"
    );
    assert!(got.iter().any(|(c, _)| c == "kofi-newcomer"), "{got:?}");
}

async fn a_tampered_older_row_is_reported_even_after_the_sums_were_cached(backend: Backend) {
    let app = demo_app(backend).await;
    let verify = format!("/api/coalitions/{OHA}/ledger/verify");
    // Everything read for this head first: verification, accounts, a page.
    for _ in 0..2 {
        assert_eq!(app.get_json(&verify, 200).await["valid"], true);
        app.get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
            .await;
    }
    let head = app.get_json(&verify, 200).await["head"].clone();
    let victim = 7i64;
    let tamper =
        "UPDATE ledger_entries SET quantity = quantity + 1000 WHERE coalition_id = $1 AND seq = $2";
    match backend {
        Backend::Sqlite => {
            let mut db = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query("DROP TRIGGER ledger_entries_are_append_only_update")
                .execute(&mut db)
                .await
                .unwrap();
            let changed = sqlx::query(tamper)
                .bind(OHA)
                .bind(victim)
                .execute(&mut db)
                .await
                .unwrap();
            assert_eq!(changed.rows_affected(), 1);
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(
                "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_are_append_only",
            )
            .execute(&mut db)
            .await
            .unwrap();
            let changed = sqlx::query(tamper)
                .bind(OHA)
                .bind(victim)
                .execute(&mut db)
                .await
                .unwrap();
            assert_eq!(changed.rows_affected(), 1);
        }
    }
    // The head is the same, and the verification still finds the edit.
    let accounts = app
        .get_json(&format!("/api/coalitions/{OHA}/accounts"), 200)
        .await;
    assert_eq!(accounts["head"], head);
    let after = app.get_json(&verify, 200).await;
    assert_eq!(after["valid"], false, "{after}");
    assert_eq!(after["broken_at"], victim, "{after}");
    assert_eq!(after["entries"], victim - 1, "{after}");
}
