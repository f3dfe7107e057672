//! The stigmergic signals in the browser: a need declared, part of it
//! claimed by someone else, the remainder on the board, each step of the
//! claim taken by its party, and the delivery confirmed.

use serde_json::Value;

use stigmergy_server::store::Backend;

use super::Browser;
use crate::helpers::{PASSWORD, both_stores};

// The needs flows on both stores; on PostgreSQL the live board also goes
// through the hub's hold behind uncommitted event ids.
both_stores!(
    a_need_is_declared_claimed_in_part_delivered_and_confirmed_in_the_browser,
    a_claim_made_elsewhere_shows_on_the_board_and_the_need_page_without_reloading,
);

impl Browser {
    /// Sets a date input the way a date picker does (typing into one
    /// depends on the browser's locale).
    async fn set_date(&self, css: &str, date: &str) {
        self.find(css).await;
        let script = format!(
            "const input = document.querySelector({css:?}); input.value = {date:?}; \
             input.dispatchEvent(new Event('input', {{ bubbles: true }}));"
        );
        self.client
            .execute(&script, vec![])
            .await
            .expect("the date is set");
    }

    /// The text of the need card linking to `/needs/{id}` on the board.
    async fn board_card(&self, id: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
        let css = format!("[data-testid=need-card]:has(a[href='/needs/{id}'])");
        self.until(&css, what, |t| t.iter().any(|t| check(t)))
            .await
            .concat()
    }
}

async fn a_need_is_declared_claimed_in_part_delivered_and_confirmed_in_the_browser(
    backend: Backend,
) {
    let browser = Browser::start_on(backend).await;
    let due = (chrono::Utc::now() + chrono::Duration::days(400))
        .format("%Y-%m-%d")
        .to_string();

    // Akua declares a need for 120 face shields in Kumasi.
    browser.sign_up("akua-mensah", "Akua Mensah").await;
    browser.goto("/needs").await;
    browser.click("[data-testid=declare-need]").await;
    browser.until_path("/needs/new").await;
    // Sent empty, it says what is missing beside the fields.
    browser.click("form button[type=submit]").await;
    browser
        .until("#design-error", "the design's error", |t| {
            t.iter().any(|t| t.contains("Choose a design"))
        })
        .await;
    browser.choose("#design", "face-shield-petg").await;
    browser.fill("#quantity", "120").await;
    browser.fill("#minimum_quantity", "10").await;
    browser.set_date("#due", &due).await;
    browser.fill("[id='place.name']", "Kumasi, Ghana").await;
    browser.fill("[id='place.lat']", "6.6885").await;
    browser.fill("[id='place.lon']", "-1.6244").await;
    browser.choose("#coalition", "open-hardware-africa").await;
    browser.click("form button[type=submit]").await;
    browser
        .until("[data-testid=need-title]", "the new need", |t| {
            t.iter().any(|t| t == "Face shield, laser-cut PETG")
        })
        .await;
    let url = browser.client.current_url().await.unwrap();
    let id = url.path().trim_start_matches("/needs/").to_owned();
    assert!(id.parse::<u64>().is_ok(), "the need's address: {url}");
    assert!(
        browser
            .text("[data-testid=need-remainder]")
            .await
            .starts_with("120 pcs of 120")
    );
    // Nobody claims their own need: the form is not offered (once the page
    // knows who is looking).
    browser.until_session_known().await;
    assert!(!browser.shows("#quantity").await);

    // Kwame sees it on the board and claims 45.
    browser.sign_out().await;
    browser.sign_up("kwame-asante", "Kwame Asante").await;
    browser.goto("/needs?design=face-shield-petg").await;
    browser
        .board_card(&id, "the need on the board", |t| {
            t.contains("120 pcs of 120 still open")
        })
        .await;
    browser.click(&format!("a[href='/needs/{id}']")).await;
    browser.until_path(&format!("/needs/{id}")).await;
    browser.replace("#quantity", "500").await;
    browser.click(".claim-form button[type=submit]").await;
    let error = browser
        .error_beside("#quantity", "the too-large claim")
        .await;
    assert!(error.contains("Only 120 pcs"), "{error}");
    browser.replace("#quantity", "45").await;
    browser.click(".claim-form button[type=submit]").await;
    browser
        .until("[data-testid=need-remainder]", "the remainder", |t| {
            t.iter().any(|t| t.starts_with("75 pcs of 120"))
        })
        .await;
    browser
        .until("[data-testid=claim]", "the claim", |t| {
            t.iter()
                .any(|t| t.contains("Kwame Asante") && t.contains("Committed"))
        })
        .await;

    // The board shows the new remainder.
    browser.goto("/needs?design=face-shield-petg").await;
    browser
        .board_card(&id, "the remainder on the board", |t| {
            t.contains("75 pcs of 120 still open")
        })
        .await;
    browser.snapshot("needs-board").await;

    // Kwame makes and delivers; only his steps are offered to him.
    browser.goto(&format!("/needs/{id}")).await;
    assert!(!browser.shows("[data-action=confirm]").await);
    browser
        .click("[data-testid=claim] [data-action=start]")
        .await;
    browser
        .until("[data-testid=claim]", "in progress", |t| {
            t.iter().any(|t| t.contains("In progress"))
        })
        .await;
    browser
        .click("[data-testid=claim] [data-action=deliver]")
        .await;
    browser
        .until("[data-testid=claim]", "delivered", |t| {
            t.iter().any(|t| t.contains("Delivered"))
        })
        .await;
    assert!(
        !browser.shows("[data-testid=claim] button").await,
        "nothing left for the maker"
    );

    // Akua confirms the delivery from her work page.
    browser.sign_out().await;
    browser.sign_in("akua-mensah", PASSWORD).await;
    browser.goto("/work").await;
    let row = "[data-testid=claims-on-my-needs] [data-testid=claim]";
    browser
        .until(row, "the delivered claim", |t| {
            t.iter()
                .any(|t| t.contains("Delivered") && t.contains("Confirm delivery"))
        })
        .await;
    browser.snapshot("my-work").await;
    browser.click(&format!("{row} [data-action=confirm]")).await;
    browser
        .until(row, "the confirmed claim", |t| {
            t.iter().any(|t| t.contains("Confirmed"))
        })
        .await;

    // The delivery is recorded: the maker produced 45 and handed them over.
    let claims: Value = browser
        .app
        .get_json(&format!("/api/needs/{id}/claims"), 200)
        .await;
    let claim = claims[0]["id"].as_u64().unwrap();
    let events = browser
        .app
        .get_json(&format!("/api/economic-events?claim={claim}"), 200)
        .await;
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["produce", "transfer"]);
    browser.goto(&format!("/needs/{id}")).await;
    let facts = browser.text(".facts").await;
    browser.snapshot("need-page").await;
    assert!(facts.contains("0 pcs · 45 pcs"), "{facts}");
    browser.close().await;
}

async fn a_claim_made_elsewhere_shows_on_the_board_and_the_need_page_without_reloading(
    backend: Backend,
) {
    let browser = Browser::start_on(backend).await;
    // A visitor watches the board and a need page in another browser.
    let app = &browser.app;
    let clinic = crate::helpers::person(app, "akua-mensah").await;
    let maker = crate::helpers::person(app, "kwame-asante").await;
    let due = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let need: Value = crate::helpers::post_as(
        app,
        &clinic,
        "/api/needs",
        serde_json::json!({
            "design": "face-shield-petg",
            "quantity": {"value": 80.0, "unit": "piece"},
            "due": due,
            "place": {"name": "Tamale, Ghana", "lat": 9.4008, "lon": -0.8393},
        }),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = need["id"].as_u64().unwrap().to_string();
    browser.goto("/needs?design=face-shield-petg").await;
    browser
        .board_card(&id, "the need", |t| t.contains("80 pcs of 80 still open"))
        .await;
    let (other, _driver) = browser.another().await;
    other.goto(&app.url(&format!("/needs/{id}"))).await.unwrap();
    let remainder_on = |client: &fantoccini::Client| {
        let client = client.clone();
        async move {
            crate::texts_in(&client, "[data-testid=need-remainder]")
                .await
                .concat()
        }
    };
    let started = std::time::Instant::now();
    while !remainder_on(&other).await.starts_with("80 pcs") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "the need page loads"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    // No pause for the streams to connect: each page opens its stream from
    // where it read its data, so a claim made right now still arrives.
    let claimed = std::time::Instant::now();
    let response = crate::helpers::post_as(
        app,
        &maker,
        &format!("/api/needs/{id}/claims"),
        serde_json::json!({"quantity": 30.0}),
    )
    .await;
    assert_eq!(response.status(), 201);
    browser
        .board_card(&id, "the new remainder on the board", |t| {
            t.contains("50 pcs of 80 still open")
        })
        .await;
    let on_board = claimed.elapsed();
    while !remainder_on(&other).await.starts_with("50 pcs") {
        assert!(
            claimed.elapsed() < std::time::Duration::from_secs(15),
            "the need page updates"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let on_page = claimed.elapsed();
    println!("claim to board: {on_board:?}; claim to need page: {on_page:?}");
    let _ = other.close().await;
    browser.close().await;
}
