//! The live map: a visitor filters it to one coalition, watches a claim made
//! elsewhere appear within a second, and follows a flow to its design.

use std::time::Instant;

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
    // No pause for the stream to connect: the page opened it from where it
    // read the map, so a claim made right now still arrives.
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
    println!("claim elsewhere to the map's table: {seen:?}");
    browser.snapshot("map").await;

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

/// Latitude and longitude of a Web Mercator point in pixels at zoom 0.
fn unproject((x, y): (f64, f64)) -> (f64, f64) {
    let lon = x / 256.0 * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * y / 256.0);
    (n.sinh().atan().to_degrees(), lon)
}

#[tokio::test]
async fn clicking_a_line_on_the_map_opens_its_flow_and_leads_to_its_design() {
    use stigmergy_core::map_layout::{Bounds, Layout, project};
    use stigmergy_core::{Flow, FlowMap};

    let browser = Browser::start().await;
    let query = "coalition=open-hardware-africa&state=delivered";
    let map: FlowMap = serde_json::from_value(
        browser
            .app
            .get_json(&format!("/api/flows?{query}"), 200)
            .await,
    )
    .unwrap();
    let layout = Layout::new(&map);
    // A delivered flow drawn alone at a zoom where its line is a good length,
    // with no marker and no other line near its middle.
    let (flow, zoom, middle): (&Flow, f64, (f64, f64)) = map
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| f.design.is_some())
        .find_map(|(i, flow)| {
            let (a, b) = (
                project(flow.from_lat, flow.from_lon),
                project(flow.to_lat, flow.to_lon),
            );
            let length = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
            let zoom = (5..=9).map(f64::from).find(|z| {
                let px = length * 2f64.powf(*z);
                (150.0..500.0).contains(&px)
            })?;
            let scale = 2f64.powf(zoom);
            let world = Bounds {
                min_x: 0.0,
                min_y: 0.0,
                max_x: 256.0 * scale,
                max_y: 256.0 * scale,
            };
            let drawing = layout.draw(&map, zoom, world);
            let middle = unproject(((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0));
            let picked = drawing.bundle_at(middle.0, middle.1, zoom, 14.0)?;
            let mut others = drawing.clone();
            others.bundles.remove(picked);
            let alone = drawing.bundles[picked].flows == [i]
                && others.bundle_at(middle.0, middle.1, zoom, 14.0).is_none();
            let clear = drawing.clusters.iter().all(|c| {
                let (p, q) = (project(c.lat, c.lon), project(middle.0, middle.1));
                ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt() * scale > 30.0
            });
            (alone && clear).then_some((flow, zoom, middle))
        })
        .expect("a delivered flow of the coalition that can be clicked alone");

    // The map centred on the middle of that line: a click at its centre.
    browser
        .goto(&format!("/map?{query}&at={},{},{zoom}", middle.0, middle.1))
        .await;
    let element = browser.find("[data-testid=map][data-drawn]").await;
    // Wholly in view, so that its centre is where the pointer goes.
    browser
        .client
        .execute(
            "document.querySelector('[data-testid=map]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .unwrap();
    let click = fantoccini::actions::MouseActions::new("mouse".into())
        .then(fantoccini::actions::PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(fantoccini::actions::PointerAction::Down {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        })
        .then(fantoccini::actions::PointerAction::Up {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        });
    use fantoccini::actions::InputSource;
    browser.client.perform_actions(click).await.unwrap();
    let detail = browser
        .until("[data-testid=detail]", "the flow's details", |t| {
            t.iter().any(|t| t.contains(&flow.provider_name))
        })
        .await;
    assert!(detail[0].contains(&flow.receiver_name), "{detail:?}");
    assert!(detail[0].contains("Delivered"), "{detail:?}");
    browser.click("[data-testid=detail] h3 a").await;
    browser
        .until("[data-testid=design-title]", "the design it makes", |t| {
            t.contains(&flow.what)
        })
        .await;
    let design = flow.design.as_ref().unwrap();
    browser.until_path(&format!("/designs/{design}")).await;
    browser.close().await;
}
