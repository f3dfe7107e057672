//! Open accounts in the browser: a visitor with no account reads a
//! coalition's accounts, sees the charts and the ledger, and verifies the
//! hash chain in the browser; a chain edited behind the ledger's back fails
//! there, at the entry that was edited.

use sqlx::Connection;

use serde_json::json;

use stigmergy_server::store::Backend;

use super::Browser;
use super::helpers::{PASSWORD, both_stores, post_as};

// The accounts on both stores: what a visitor reads and verifies, and a
// steward's sale, come out the same from SQLite and PostgreSQL.
both_stores!(
    a_visitor_reads_the_accounts_and_verifies_the_chain_in_the_browser,
    a_steward_records_a_sale_and_the_accounts_follow,
);

async fn a_visitor_reads_the_accounts_and_verifies_the_chain_in_the_browser(backend: Backend) {
    let browser = Browser::start_on(backend).await;
    browser.goto("/coalitions/open-hardware-africa").await;
    browser
        .click("a[href='/coalitions/open-hardware-africa/accounts']")
        .await;
    browser
        .until_path("/coalitions/open-hardware-africa/accounts")
        .await;
    let title = browser.text("[data-testid=accounts-title]").await;
    assert_eq!(title, "Open Hardware Africa Coalition: open accounts");

    // Balances in the coalition's currency, and the charts drawn by Chart.js.
    let cards = browser
        .until("[data-testid=balances] li", "the balances", |t| {
            t.len() == 4
        })
        .await;
    assert!(
        cards[0].starts_with("The treasury") && cards[0].contains("$"),
        "{cards:?}"
    );
    for chart in ["flows-chart", "budget-chart"] {
        let drawn = browser
            .client
            .execute(
                &format!(
                    "const c = document.querySelector('[data-testid={chart}]'); \
                     return !!(window.Chart && Chart.getChart(c) && c.width > 0);"
                ),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(drawn, serde_json::json!(true), "{chart} is drawn");
    }
    browser.snapshot("accounts-overview").await;
    // The charts' figures as tables too, for screen readers.
    let months = browser
        .client
        .find_all(fantoccini::Locator::Css("#flows-title ~ details tbody tr"))
        .await
        .unwrap();
    assert!(months.len() >= 12, "{} months", months.len());

    // Each contributor's share and why.
    let shares = browser
        .until("[data-testid=shares] tbody tr", "the shares", |t| {
            !t.is_empty()
        })
        .await;
    assert!(
        shares
            .iter()
            .any(|r| r.contains("Grace Wanjiru") && r.contains("welding")),
        "{shares:?}"
    );

    // The ledger, newest first, a page at a time, filtered.
    let rows = browser
        .until("[data-testid=ledger] tbody tr", "the ledger", |t| {
            t.len() == 50
        })
        .await;
    assert!(rows.iter().any(|r| r.contains("$")), "{rows:?}");
    browser.click("[data-testid=more-entries]").await;
    browser
        .until("[data-testid=ledger] tbody tr", "the next page", |t| {
            t.len() == 100
        })
        .await;
    browser.choose("#ledger-kind", "in_kind").await;
    browser
        .until(
            "[data-testid=ledger] tbody tr",
            "contributions in kind",
            |t| !t.is_empty() && t.len() <= 50 && t.iter().all(|r| !r.contains("$")),
        )
        .await;
    browser.choose("#ledger-category", "materials").await;
    browser.choose("#ledger-kind", "money").await;
    let corrected = browser
        .until(
            "[data-testid=ledger] tbody tr",
            "the corrected invoice",
            |t| t.iter().any(|r| r.contains("Corrected by entry")),
        )
        .await;
    assert!(
        corrected.iter().any(|r| r.contains("Corrects entry")),
        "{corrected:?}"
    );

    // Verify, in the browser.
    browser.click("[data-testid=verify]").await;
    let result = browser
        .until("[data-testid=verify-result]", "the verification", |t| {
            t.iter().any(|t| !t.is_empty())
        })
        .await;
    assert!(result[0].starts_with("Verified: all"), "{result:?}");
    browser.snapshot("accounts").await;

    // Someone edits entry 30 in the database: the browser finds it.
    let edit = "UPDATE ledger_entries SET note = 'nothing to see here' \
                WHERE coalition_id = 'open-hardware-africa' AND seq = 30";
    match backend {
        Backend::Sqlite => {
            let mut db = sqlx::SqliteConnection::connect(&browser.app.db.url)
                .await
                .unwrap();
            sqlx::query("DROP TRIGGER ledger_entries_are_append_only_update")
                .execute(&mut db)
                .await
                .unwrap();
            sqlx::query(edit).execute(&mut db).await.unwrap();
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(&browser.app.db.url)
                .await
                .unwrap();
            sqlx::query(
                "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_are_append_only",
            )
            .execute(&mut db)
            .await
            .unwrap();
            sqlx::query(edit).execute(&mut db).await.unwrap();
        }
    }
    browser.click("[data-testid=verify]").await;
    browser
        .until("[data-testid=verify-result]", "the broken chain", |t| {
            t.iter()
                .any(|t| t.starts_with("The chain is broken at entry 30"))
        })
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_cern_ohl_s_design_shows_its_share_alike_obligations() {
    let browser = Browser::start().await;
    browser.goto("/designs/flexure-microscope").await;
    let obligations = browser
        .until("[data-testid=obligations] li", "the obligations", |t| {
            !t.is_empty()
        })
        .await;
    assert!(
        obligations
            .iter()
            .any(|o| o.contains("publish the changed design's complete source")),
        "{obligations:?}"
    );
    browser.goto("/designs/face-shield-petg").await;
    browser.find("[data-testid=design-title]").await;
    assert!(
        browser
            .client
            .find_all(fantoccini::Locator::Css("[data-testid=obligations]"))
            .await
            .unwrap()
            .is_empty(),
        "CC BY asks only for credit"
    );
    browser.close().await;
}

async fn a_steward_records_a_sale_and_the_accounts_follow(backend: Backend) {
    let browser = Browser::start_on(backend).await;
    // A visitor sees no form.
    browser
        .goto("/coalitions/open-hardware-africa/accounts")
        .await;
    browser.find("[data-testid=verify]").await;
    browser.until_session_known().await;
    assert!(
        browser
            .client
            .find_all(fantoccini::Locator::Css("[data-testid=record-form]"))
            .await
            .unwrap()
            .is_empty()
    );
    browser
        .sign_in("amara-okafor", "open hardware for everyone")
        .await;
    browser
        .goto("/coalitions/open-hardware-africa/accounts")
        .await;
    browser.click("[data-testid=record] > summary").await;
    browser
        .fill("#entry-provider", "komfo-anokye-hospital")
        .await;
    browser.fill("#entry-quantity", "twelve hundred").await;
    browser.fill("#entry-category", "sale").await;
    browser
        .click("[data-testid=record-form] button[type=submit]")
        .await;
    let error = browser
        .error_beside("#entry-quantity", "the amount's problem")
        .await;
    assert!(error.contains("number"), "{error}");
    // The server's own checks, beside the fields it names.
    browser.replace("#entry-quantity", "1250.50").await;
    browser.replace("#entry-category", "snacks").await;
    browser
        .click("[data-testid=record-form] button[type=submit]")
        .await;
    let error = browser
        .error_beside("#entry-category", "the category's problem")
        .await;
    assert!(error.contains("sale"), "{error}");
    browser.replace("#entry-category", "sale").await;
    browser
        .fill("#entry-note", "Visors for the new maternity wing")
        .await;
    browser
        .click("[data-testid=record-form] button[type=submit]")
        .await;
    let result = browser
        .until("[data-testid=record-result]", "the recorded entry", |t| {
            t.iter().any(|t| t.starts_with("Recorded as entry"))
        })
        .await;
    let seq: u64 = result[0]
        .trim_start_matches("Recorded as entry ")
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let rows = browser
        .until(
            "[data-testid=ledger] tbody tr",
            "the new entry first",
            |t| {
                t.first()
                    .is_some_and(|r| r.starts_with(&seq.to_string()) && r.contains("$1,250.50"))
            },
        )
        .await;
    assert!(rows[0].contains("maternity wing"), "{rows:?}");
    browser.click("[data-testid=verify]").await;
    browser
        .until("[data-testid=verify-result]", "the verification", |t| {
            t.iter().any(|t| t.starts_with("Verified: all"))
        })
        .await;

    // A new version of the value equation: refused beside the field first,
    // then in force, with the earlier one still public.
    browser.click("[data-testid=equation-edit] > summary").await;
    browser.replace("#eq-contributors", "95").await;
    browser
        .click("[data-testid=equation-form] button[type=submit]")
        .await;
    let error = browser
        .error_beside("#eq-commons", "the shares' problem")
        .await;
    assert!(error.contains("cannot exceed"), "{error}");
    browser.replace("#eq-contributors", "50").await;
    browser.replace("#eq-commons", "15").await;
    browser
        .fill(
            "#eq-note",
            " Commons share raised for the documentation sprint.",
        )
        .await;
    browser
        .click("[data-testid=equation-form] button[type=submit]")
        .await;
    browser
        .until("[data-testid=equation-result]", "the new version", |t| {
            t.iter().any(|t| t.starts_with("Version 2 is in force"))
        })
        .await;
    browser
        .click("[data-testid=equation-history] > summary")
        .await;
    let versions = browser
        .until("[data-testid=equations] tbody tr", "both versions", |t| {
            t.len() == 2
        })
        .await;
    assert!(
        versions[0].starts_with('2') && versions[0].contains("15%"),
        "{versions:?}"
    );
    assert!(
        versions[1].starts_with('1') && versions[1].contains("55%"),
        "{versions:?}"
    );
    browser.close().await;
}

/// A person's own account: a wrong current password is refused beside that
/// field; the right one changes the password and signs out the other
/// session; signing in again takes the new one; the sessions list marks
/// this one.
#[tokio::test]
async fn a_person_changes_their_password_on_the_account_page_and_sees_their_sessions() {
    const NEW_PASSWORD: &str = "kelp drying on the north pier";
    let browser = Browser::start().await;
    browser.sign_up("eli-mendes", "Eli Mendes").await;
    // Signed in on a laptop too.
    let laptop = browser.app.other_client();
    let login = |password: &'static str| json!({"login": "eli-mendes", "password": password});
    let signed_in = post_as(&browser.app, &laptop, "/api/auth/login", login(PASSWORD)).await;
    assert_eq!(signed_in.status(), 200);
    browser.goto("/account").await;
    let rows = browser
        .until("[data-testid=session-row]", "both sessions", |rows| {
            rows.len() == 2
        })
        .await;
    assert_eq!(
        rows.iter().filter(|r| r.contains("This session")).count(),
        1,
        "{rows:?}"
    );
    assert!(
        rows[0].contains("Sign out"),
        "the laptop's, newest: {rows:?}"
    );
    assert!(rows[1].contains("This session"), "{rows:?}");

    // A wrong current password: refused beside that field, nothing changes.
    browser
        .fill("#current_password", "not my password at all")
        .await;
    browser.fill("#new_password", NEW_PASSWORD).await;
    browser
        .click("[data-testid=password-form] button[type=submit]")
        .await;
    let refusal = browser
        .until("#current_password-error", "the refusal", |t| {
            t.iter().any(|t| !t.is_empty())
        })
        .await
        .concat();
    assert!(refusal.contains("not your current password"), "{refusal}");
    assert_eq!(browser.text("#new_password-error").await, "");
    let field = browser.find("#current_password").await;
    assert_eq!(
        field.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let me = |client: &reqwest::Client| client.get(browser.app.url("/api/me")).send();
    assert_eq!(me(&laptop).await.unwrap().status(), 200, "not yet");

    // The right one: changed, and the laptop is signed out.
    field.clear().await.unwrap();
    browser.fill("#current_password", PASSWORD).await;
    browser
        .click("[data-testid=password-form] button[type=submit]")
        .await;
    browser
        .until("[data-testid=password-changed]", "the confirmation", |t| {
            t.iter().any(|t| t.contains("Your password is changed"))
        })
        .await;
    let rows = browser
        .until("[data-testid=session-row]", "this session alone", |rows| {
            rows.len() == 1
        })
        .await;
    assert!(rows[0].contains("This session"), "{rows:?}");
    assert_eq!(me(&laptop).await.unwrap().status(), 401);
    assert_eq!(
        browser
            .find("#current_password")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "the form is emptied"
    );

    // Sign out, then in with the new password.
    browser.click("[data-testid=account-menu] button").await;
    browser.until_path("/").await;
    browser.goto("/signin?next=/account").await;
    browser.fill("#login", "eli-mendes").await;
    browser.fill("#password", NEW_PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.until_path("/account").await;
    let rows = browser
        .until("[data-testid=session-row]", "the new session", |rows| {
            rows.len() == 1
        })
        .await;
    assert!(rows[0].contains("This session"), "{rows:?}");
    let old = post_as(&browser.app, &laptop, "/api/auth/login", login(PASSWORD)).await;
    assert_eq!(old.status(), 401, "the old password no longer signs in");
    browser.close().await;
}
