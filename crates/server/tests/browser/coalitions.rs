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
