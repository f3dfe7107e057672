//! Coalitions in the browser: the public list and member lists, asking to
//! join, and a steward admitting the request; each person sees only what
//! they may do.

use super::Browser;

const DEMO_PASSWORD: &str = "open hardware for everyone";
const COALITION: &str = "/coalitions/open-hardware-africa";

#[tokio::test]
async fn a_person_asks_to_join_a_coalition_and_its_steward_admits_them() {
    let browser = Browser::start().await;

    // A visitor reads the coalitions and their members, and may not ask.
    browser.goto("/coalitions").await;
    let cards = browser
        .until("[data-testid=coalition-card]", "the coalitions", |t| {
            t.len() == 3
        })
        .await;
    assert!(
        cards.iter().any(|c| c.contains("Open Hardware Africa")),
        "{cards:?}"
    );
    browser.click(&format!("a[href='{COALITION}']")).await;
    browser.until_path(COALITION).await;
    browser
        .until("[data-testid=member]", "the members", |t| {
            t.iter()
                .any(|m| m.contains("Amara Okafor") && m.contains("Steward"))
        })
        .await;
    browser.find("[data-testid=sign-in-to-join]").await;
    assert!(!browser.shows("[data-testid=ask-to-join]").await);
    assert!(!browser.shows("[data-testid=make-plan]").await);
    let page = browser.text("main").await;
    assert!(page.contains("Peer Production License"), "{page}");

    // Kofi asks to join; he sees no requests panel, and cannot ask twice.
    browser.sign_up("kofi-boateng", "Kofi Boateng").await;
    browser.goto(COALITION).await;
    browser.click("[data-testid=ask-to-join]").await;
    browser
        .until("[data-testid=asked]", "the answer", |t| {
            t.iter().any(|t| t.contains("A steward will answer"))
        })
        .await;
    assert!(!browser.shows("[data-testid=requests]").await);
    browser.goto(COALITION).await;
    browser.click("[data-testid=ask-to-join]").await;
    browser
        .until("[role=alert]", "the second request refused", |t| {
            t.iter().any(|t| !t.is_empty())
        })
        .await;

    // Amara, a steward, sees the request and admits him.
    browser.sign_out().await;
    browser.sign_in("amara-okafor", DEMO_PASSWORD).await;
    browser.goto(COALITION).await;
    browser
        .until("[data-testid=standing]", "her standing", |t| {
            t.iter().any(|t| t.contains("steward"))
        })
        .await;
    browser
        .until("[data-testid=request]", "Kofi's request", |t| {
            t.iter().any(|t| t.contains("Kofi Boateng"))
        })
        .await;
    browser
        .click("[data-testid=request] button[data-action=approve]")
        .await;
    browser
        .until("[data-testid=member]", "Kofi among the members", |t| {
            t.iter()
                .any(|m| m.contains("Kofi Boateng") && m.contains("Member"))
        })
        .await;
    browser
        .until("[data-testid=requests]", "no request left", |t| {
            t.iter().any(|t| t.contains("No requests waiting"))
        })
        .await;

    // As a steward she can also plan the coalition's open needs.
    browser.click("[data-testid=make-plan]").await;
    let caption = browser
        .until("[data-testid=plan] caption", "the plan", |t| {
            t.iter().any(|t| t.contains("units assigned"))
        })
        .await
        .concat();
    assert!(caption.contains("open needs over"), "{caption}");
    browser.snapshot("coalition-steward").await;
    let rows = browser.texts("[data-testid=plan] tbody tr").await;
    assert!(!rows.is_empty(), "the plan has rows");
    assert!(rows.iter().all(|r| r.contains(" km")), "{rows:?}");

    // The public member list shows him too; he now sees he belongs.
    browser.sign_out().await;
    browser.goto(COALITION).await;
    browser
        .until("[data-testid=member]", "the public member list", |t| {
            t.iter().any(|m| m.contains("Kofi Boateng"))
        })
        .await;
    browser
        .sign_in("kofi-boateng", crate::helpers::PASSWORD)
        .await;
    browser.goto(COALITION).await;
    browser
        .until("[data-testid=standing]", "his membership", |t| {
            t.iter().any(|t| t.contains("You are a member"))
        })
        .await;
    assert!(!browser.shows("[data-testid=ask-to-join]").await);
    browser.close().await;
}

/// Outsiders ask the coalition to take needs on; a steward declines one
/// with a reason (refused first without one) and takes the other on, from
/// the coalition page; the declined need says so; then she voids a
/// contribution from the accounts page. The portal says it is a demo.
#[tokio::test]
async fn a_steward_answers_what_is_asked_of_the_coalition_and_voids_a_contribution() {
    let browser = Browser::start().await;
    let app = &browser.app;
    let asker = crate::helpers::person(app, "esi-appiah").await;
    let mut ids = Vec::new();
    for (what, quantity) in [
        ("Face shields, washable", 300),
        ("Face shields for a fun run", 90000),
    ] {
        let response = crate::helpers::post_as(
            app,
            &asker,
            "/api/needs",
            serde_json::json!({
                "resource": what, "quantity": {"value": quantity, "unit": "piece"},
                "due": (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string(),
                "place": {"name": "Cape Coast, Ghana", "lat": 5.1053, "lon": -1.2466},
                "coalition": "open-hardware-africa"
            }),
        )
        .await;
        assert_eq!(response.status(), 201);
        ids.push(
            response.json::<serde_json::Value>().await.unwrap()["id"]
                .as_u64()
                .unwrap(),
        );
    }

    // A visitor sees the asks, and that this is a demo portal, but no buttons.
    browser.goto(COALITION).await;
    browser
        .until("[data-testid=demo-banner]", "the demo banner", |t| {
            t.iter().any(|t| t.contains("Demo portal"))
        })
        .await;
    browser
        .until("[data-testid=ask]", "the two asks", |t| {
            t.iter().any(|t| t.contains("washable")) && t.iter().any(|t| t.contains("fun run"))
        })
        .await;
    assert!(
        !browser
            .shows("[data-testid=ask] button[data-action=accept]")
            .await
    );

    browser.sign_in("amara-okafor", DEMO_PASSWORD).await;
    browser.goto(COALITION).await;
    let fun_run = format!("[data-testid=ask]:has(a[href='/needs/{}'])", ids[1]);
    browser
        .click(&format!("{fun_run} button[data-action=decline-ask]"))
        .await;
    browser
        .until(
            "[data-testid=asks] [role=alert]",
            "a reason asked for",
            |t| t.iter().any(|t| t.contains("Say why")),
        )
        .await;
    browser
        .fill(
            &format!("{fun_run} input"),
            "Not a medical need; ask a local printer.",
        )
        .await;
    browser
        .click(&format!("{fun_run} button[data-action=decline-ask]"))
        .await;
    browser
        .until("[data-testid=ask]", "the declined ask gone", |t| {
            !t.iter().any(|t| t.contains("fun run"))
        })
        .await;
    let washable = format!("[data-testid=ask]:has(a[href='/needs/{}'])", ids[0]);
    browser
        .click(&format!("{washable} button[data-action=accept]"))
        .await;
    browser
        .until("[data-testid=ask]", "the accepted ask gone", |t| {
            !t.iter().any(|t| t.contains("washable")) && t.iter().any(|t| t.contains("Push seeder"))
        })
        .await;
    let taken = app.get_json(&format!("/api/needs/{}", ids[0]), 200).await;
    assert_eq!(taken["coalition"]["id"], "open-hardware-africa");

    // The declined need tells everyone why.
    browser.goto(&format!("/needs/{}", ids[1])).await;
    browser
        .until("[data-testid=asked-of]", "the answer on the need", |t| {
            t.iter().any(|t| {
                t.contains("Open Hardware Africa") && t.contains("declined: Not a medical need")
            })
        })
        .await;

    // A contribution that should not count, voided from the accounts page.
    let export = app
        .get_json("/api/coalitions/open-hardware-africa/ledger/export", 200)
        .await;
    let entries = export["entries"].as_array().unwrap();
    let corrected: Vec<u64> = entries
        .iter()
        .filter_map(|e| e["corrects"].as_u64())
        .collect();
    let work = entries
        .iter()
        .rev()
        .find(|e| e["action"] == "work" && !corrected.contains(&e["seq"].as_u64().unwrap()))
        .expect("hours of work in the demo ledger");
    let seq = work["seq"].as_u64().unwrap();
    browser
        .goto("/coalitions/open-hardware-africa/accounts")
        .await;
    browser.click("[data-testid=void] > summary").await;
    browser.fill("#void-seq", &seq.to_string()).await;
    browser
        .click("[data-testid=void-form] button[type=submit]")
        .await;
    browser
        .until("#void-reason-error", "a reason asked for", |t| {
            t.iter().any(|t| t.contains("Say why"))
        })
        .await;
    browser
        .fill("#void-reason", "Logged twice: the same Saturday's welding.")
        .await;
    browser
        .click("[data-testid=void-form] button[type=submit]")
        .await;
    browser
        .until("[data-testid=void-result]", "the void", |t| {
            t.iter()
                .any(|t| t.contains(&format!("Entry {seq} is void")))
        })
        .await;
    let page = app
        .get_json("/api/coalitions/open-hardware-africa/ledger?limit=1", 200)
        .await;
    assert_eq!(page["items"][0]["corrects"], seq);
    assert_eq!(page["items"][0]["recorded_by"], "amara-okafor");
    browser.close().await;
}
