//! The live map: a visitor filters it to one coalition, watches a claim made
//! elsewhere appear within a second, and follows a flow to its design.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Browser;
use crate::helpers::{person, post_as};

#[tokio::test]
async fn a_visitor_filters_the_map_sees_a_claim_arrive_and_follows_a_flow_to_its_design() {
    let browser = Browser::start().await;
    browser.goto("/map").await;
    browser
        .choose("#map-coalition", "open-hardware-africa")
        .await;
    browser.until_path("/map").await;
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.query()
            .unwrap_or_default()
            .contains("coalition=open-hardware-africa"),
        "{url}"
    );
    // The map draws on a canvas (no DOM node per flow), over the offline basemap.
    browser.find("[data-testid=map] canvas").await;
    browser
        .find("[data-testid=map] .leaflet-overlay-pane")
        .await;
    let rows = browser
        .until("[data-testid=flow]", "the coalition's flows", |t| {
            !t.is_empty()
        })
        .await;
    let before = rows.len();
    assert!(
        !rows.iter().any(|r| r.contains("Porto")),
        "only the coalition: {rows:?}"
    );

    // Someone claims part of one of the coalition's needs elsewhere.
    let app = &browser.app;
    let needs = app
        .get_json("/api/needs?coalition=open-hardware-africa&limit=100", 200)
        .await;
    let need = needs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["minimum_quantity"].is_null()
                || n["remainder"].as_f64().unwrap() >= n["minimum_quantity"].as_f64().unwrap()
        })
        .expect("an open need")
        .clone();
    let maker = person(app, "kwame-asante").await;
    // A maker is drawn where they are.
    let profile = crate::helpers::put_as(
        app,
        &maker,
        "/api/me/profile",
        json!({"name": "Kwame Asante", "place": {"name": "Tamale, Ghana", "lat": 9.4008, "lon": -0.8393}}),
    )
    .await;
    assert_eq!(profile.status().as_u16() / 100, 2);
    tokio::time::sleep(Duration::from_millis(300)).await; // the stream connects
    let claimed = Instant::now();
    let quantity = need["minimum_quantity"].as_f64().unwrap_or(1.0);
    let response = post_as(
        app,
        &maker,
        &format!("/api/needs/{}/claims", need["id"]),
        json!({"quantity": quantity}),
    )
    .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    browser
        .until("[data-testid=flow]", "the new flow", |t| {
            t.len() == before + 1
        })
        .await;
    let seen = claimed.elapsed();
    browser
        .until("[data-testid=feed]", "the activity feed", |t| {
            t.iter().any(|t| t.contains("A claim was made"))
        })
        .await;
    eprintln!("claim elsewhere to the map's table: {seen:?}");
    browser.snapshot("map").await;
    assert!(seen < Duration::from_secs(1), "within a second: {seen:?}");

    // The view and filters are in the address: a link reproduces them.
    browser.choose("#map-state", "delivered").await;
    let delivered = browser
        .until("[data-testid=flow]", "delivered flows only", |t| {
            !t.is_empty() && t.iter().all(|r| r.contains("Delivered"))
        })
        .await;
    let link = browser.client.current_url().await.unwrap();
    assert!(link.query().unwrap().contains("state=delivered"), "{link}");
    browser.client.goto(link.as_str()).await.unwrap();
    browser
        .until("[data-testid=flow]", "the same view again", |t| {
            t.len() == delivered.len()
        })
        .await;

    // Follow a flow to the need, and on to the design it makes.
    let first: Value = json!(browser.text("[data-testid=flow] td a").await);
    browser.click("[data-testid=flow] td a").await;
    browser
        .until("[data-testid=need-title]", "the need", |t| {
            t.iter().any(|t| json!(t) == first)
        })
        .await;
    browser.click("[data-testid=need-title] a").await;
    browser
        .until("[data-testid=design-title]", "the design", |t| {
            t.iter().any(|t| json!(t) == first)
        })
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_design_page_draws_its_supply_chain_from_suppliers_to_receivers() {
    let browser = Browser::start().await;
    browser.goto("/designs/plastic-sheet-press").await;
    let labels = browser
        .until(
            "[data-testid=supply-chain] svg text",
            "the chain's labels",
            |t| t.iter().any(|t| t == "Maas Materials"),
        )
        .await;
    for name in ["Plástico Circular", "Tomáš Novák"] {
        assert!(labels.iter().any(|l| l == name), "{name} in {labels:?}");
    }
    let links = browser
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=supply-chain] path"))
        .await
        .unwrap();
    assert!(
        links.len() >= 2,
        "a link from the supplier and one to the receiver"
    );
    browser.close().await;
}
