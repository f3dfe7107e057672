//! Bounded work per request on the public reads (issue 12): capacity is
//! paged with a cap, `near=` narrows by a bounding box and keeps paging,
//! and the gap signal, the makers of a need and the coalitions give the
//! answers the old whole-table code gave, capped where they are capped.

use std::collections::HashSet;

use serde_json::{Value, json};
use stigmergy_core::geo::BoundingBox;
use stigmergy_core::matching::{MAKERS_LIMIT, fit};
use stigmergy_core::needs::{GAPS_LIMIT, region_of};
use stigmergy_core::{Capacity, Design, Gap, Gaps, Need, NeedState};
use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, both_stores, person, post_as};
use crate::needs::due;

both_stores!(
    capacity_comes_in_pages_that_add_up_to_the_whole_list,
    a_capacity_limit_past_the_cap_or_a_foreign_cursor_is_a_400,
    near_finds_a_need_in_the_box_corner_within_the_radius_but_not_one_just_outside,
    near_pages_concatenate_to_every_need_within_the_radius,
    the_gap_signal_is_the_old_rule_over_the_demo_capped_at_its_top_rows,
    makers_of_each_demo_need_are_every_fitting_capacity_best_first,
    makers_are_capped_at_the_best_fits,
    coalitions_in_one_read_are_each_coalition_as_its_own_page_shows_it,
);

fn capacity_body(i: usize, lat: f64, lon: f64) -> Value {
    json!({
        "processes": ["laser-cutting"],
        "materials": ["PETG sheet"],
        "rate": 1.0 + i as f64,
        "available_from": due(0),
        "radius_km": 100.0 + i as f64,
        "place": {"name": "Kumasi, Ghana", "lat": lat, "lon": lon},
    })
}

async fn declare_capacity(app: &TestApp, client: &reqwest::Client, body: &Value) -> u64 {
    let response = post_as(app, client, "/api/capacities", body).await;
    assert_eq!(response.status(), 201, "declaring {body}");
    response.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap()
}

/// Every page of `path` (which has a `?`), following `next_cursor`: the
/// items in order, and the totals each page gave.
async fn all_pages(app: &TestApp, path: &str) -> (Vec<Value>, Vec<u64>) {
    let (mut items, mut totals) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let page = app.get_json(&url, 200).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        totals.push(page["total"].as_u64().unwrap());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (items, totals),
        }
        assert!(totals.len() < 100, "the pages never end");
    }
}

fn ids(items: &[Value]) -> Vec<u64> {
    items.iter().map(|i| i["id"].as_u64().unwrap()).collect()
}

fn no_duplicates(ids: &[u64]) {
    let unique: HashSet<&u64> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates in {ids:?}");
}

async fn capacity_comes_in_pages_that_add_up_to_the_whole_list(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let mut declared = Vec::new();
    for (handle, count) in [("zola-mensah", 3), ("ama-boateng", 2), ("kofi-owusu", 2)] {
        let maker = person(&app, handle).await;
        for i in 0..count {
            declared.push(declare_capacity(&app, &maker, &capacity_body(i, 6.69, -1.62)).await);
        }
    }

    let whole = app.get_json("/api/capacities?limit=100", 200).await;
    let whole = ids(whole["items"].as_array().unwrap());
    assert_eq!(whole.len(), 7);
    let (paged, totals) = all_pages(&app, "/api/capacities?limit=3").await;
    assert_eq!(totals, vec![7, 7, 7], "three pages, each with the total");
    assert_eq!(ids(&paged), whole, "the pages in order are the whole list");
    no_duplicates(&ids(&paged));
    let mut sorted = whole.clone();
    sorted.sort();
    declared.sort();
    assert_eq!(sorted, declared);
    let names: Vec<&str> = paged
        .iter()
        .map(|c| c["provider"]["name"].as_str().unwrap())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    let (hers, totals) = all_pages(&app, "/api/capacities?provider=zola-mensah&limit=2").await;
    assert_eq!(hers.len(), 3);
    assert_eq!(totals, vec![3, 3]);
    assert!(hers.iter().all(|c| c["provider"]["id"] == "zola-mensah"));
}

async fn a_capacity_limit_past_the_cap_or_a_foreign_cursor_is_a_400(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let maker = person(&app, "zola-mensah").await;
    declare_capacity(&app, &maker, &capacity_body(0, 6.69, -1.62)).await;
    for limit in ["101", "0", "lots"] {
        let body = app
            .get_json(&format!("/api/capacities?limit={limit}"), 400)
            .await;
        let message = body["error"]["fields"]["limit"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains("100"), "limit={limit}: {body}");
    }
    let body = app.get_json("/api/capacities?cursor=not-ours", 400).await;
    assert!(body["error"]["fields"]["cursor"].is_string(), "{body}");
    let page = app.get_json("/api/capacities", 200).await;
    assert_eq!(page["total"], 1, "nothing changed: {page}");
}

/// The point `km` from (`lat`, `lon`) on `bearing` degrees, on the sphere
/// the server measures on.
fn destination(lat: f64, lon: f64, bearing: f64, km: f64) -> (f64, f64) {
    let angle = km / stigmergy_core::geo::EARTH_RADIUS_KM;
    let (phi, lambda, theta) = (lat.to_radians(), lon.to_radians(), bearing.to_radians());
    let p = (phi.sin() * angle.cos() + phi.cos() * angle.sin() * theta.cos()).asin();
    let l =
        lambda + (theta.sin() * angle.sin() * phi.cos()).atan2(angle.cos() - phi.sin() * p.sin());
    let mut l = l.to_degrees();
    if l > 180.0 {
        l -= 360.0;
    } else if l < -180.0 {
        l += 360.0;
    }
    (p.to_degrees(), l)
}

async fn need_at(app: &TestApp, client: &reqwest::Client, lat: f64, lon: f64) -> u64 {
    let body = json!({
        "resource": "Sterile gauze pads, 10 cm",
        "quantity": {"value": 10, "unit": "piece"},
        "due": due(30),
        "place": {"name": "Somewhere, Norway", "lat": lat, "lon": lon},
    });
    let response = post_as(app, client, "/api/needs", &body).await;
    assert_eq!(response.status(), 201, "declaring {body}");
    response.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap()
}

async fn near(app: &TestApp, lat: f64, lon: f64, radius: f64) -> Vec<u64> {
    let page = app
        .get_json(
            &format!("/api/needs?near={lat},{lon}&radius_km={radius}&limit=100"),
            200,
        )
        .await;
    let found = ids(page["items"].as_array().unwrap());
    assert_eq!(page["total"], found.len(), "{page}");
    found
}

async fn near_finds_a_need_in_the_box_corner_within_the_radius_but_not_one_just_outside(
    backend: Backend,
) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let receiver = person(&app, "ingrid-berg").await;
    let (lat, lon, radius) = (60.0, 10.0, 100.0);
    let bbox = BoundingBox::around(lat, lon, radius);
    let corner_in = destination(lat, lon, 45.0, radius - 0.5);
    let corner_out = destination(lat, lon, 45.0, radius + 0.5);
    let east_edge = destination(lat, lon, 90.0, radius - 0.1);
    let south_out = destination(lat, lon, 180.0, radius + 0.5);
    assert!(
        bbox.contains(corner_out.0, corner_out.1),
        "the point just outside the radius is inside the box, so the exact check decides"
    );
    let inside_corner = need_at(&app, &receiver, corner_in.0, corner_in.1).await;
    need_at(&app, &receiver, corner_out.0, corner_out.1).await;
    let inside_edge = need_at(&app, &receiver, east_edge.0, east_edge.1).await;
    need_at(&app, &receiver, south_out.0, south_out.1).await;
    need_at(&app, &receiver, 5.6, -0.19).await;

    let mut found = near(&app, lat, lon, radius).await;
    found.sort();
    assert_eq!(found, vec![inside_corner, inside_edge]);

    // Across the antimeridian: 0.2° of longitude apart at the equator.
    let west = need_at(&app, &receiver, 0.0, -179.95).await;
    need_at(&app, &receiver, 0.0, 179.0).await;
    assert_eq!(near(&app, 0.0, 179.95, 50.0).await, vec![west]);
}

async fn near_pages_concatenate_to_every_need_within_the_radius(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let receiver = person(&app, "ingrid-berg").await;
    let (lat, lon, radius) = (60.0, 10.0, 100.0);
    let mut inside = Vec::new();
    for i in 0..7 {
        let (a, b) = destination(lat, lon, 50.0 * f64::from(i), 20.0 + 10.0 * f64::from(i));
        inside.push(need_at(&app, &receiver, a, b).await);
        // Needs in the box's corners but out of reach, between them.
        let (a, b) = destination(lat, lon, 45.0 + 90.0 * f64::from(i), radius + 5.0);
        need_at(&app, &receiver, a, b).await;
    }
    let (paged, totals) = all_pages(
        &app,
        &format!("/api/needs?near={lat},{lon}&radius_km={radius}&limit=2"),
    )
    .await;
    assert_eq!(totals, vec![7; 4], "four pages of 2, 2, 2 and 1");
    let paged = ids(&paged);
    no_duplicates(&paged);
    assert_eq!(
        paged,
        near(&app, lat, lon, radius).await,
        "in the same order"
    );
    let mut sorted = paged.clone();
    sorted.sort();
    assert_eq!(sorted, inside);
}

/// The gap signal as the old code computed it, from every need: over the
/// needs with a design not yet fulfilled, summed per design and per
/// region, largest first, then by label and key; capped at the top rows.
fn old_gaps(needs: &[Need]) -> Gaps {
    let mut by_design: Vec<Gap> = Vec::new();
    let mut by_region: Vec<Gap> = Vec::new();
    let add = |gaps: &mut Vec<Gap>, key: &str, label: &str, need: &Need| {
        let at = match gaps.iter().position(|g| g.key == key) {
            Some(at) => at,
            None => {
                gaps.push(Gap {
                    key: key.to_owned(),
                    label: label.to_owned(),
                    demand: 0.0,
                    committed: 0.0,
                    delivered: 0.0,
                    gap: 0.0,
                });
                gaps.len() - 1
            }
        };
        gaps[at].demand += need.quantity.value;
        gaps[at].committed += need.committed;
        gaps[at].delivered += need.delivered;
    };
    for need in needs {
        let Some(design) = &need.design else { continue };
        if need.state == NeedState::Fulfilled {
            continue;
        }
        add(&mut by_design, design.id.as_str(), &design.name, need);
        let region = region_of(&need.place.name);
        add(&mut by_region, region, region, need);
    }
    for gaps in [&mut by_design, &mut by_region] {
        for gap in gaps.iter_mut() {
            gap.gap = (gap.demand - gap.committed - gap.delivered).max(0.0);
        }
        gaps.sort_by(|a, b| {
            b.gap
                .total_cmp(&a.gap)
                .then_with(|| a.label.cmp(&b.label))
                .then_with(|| a.key.cmp(&b.key))
        });
        gaps.truncate(GAPS_LIMIT);
    }
    Gaps {
        by_design,
        by_region,
    }
}

async fn every_need(app: &TestApp) -> Vec<Need> {
    let (items, _) = all_pages(app, "/api/needs?state=all&limit=100").await;
    items
        .into_iter()
        .map(|n| serde_json::from_value(n).unwrap())
        .collect()
}

fn assert_same_gaps(got: &[Gap], want: &[Gap], section: &str) {
    let key = |g: &Gap| (g.key.clone(), g.label.clone());
    assert_eq!(
        got.iter().map(key).collect::<Vec<_>>(),
        want.iter().map(key).collect::<Vec<_>>(),
        "{section}: the same rows in the same order"
    );
    for (g, w) in got.iter().zip(want) {
        for (what, a, b) in [
            ("demand", g.demand, w.demand),
            ("committed", g.committed, w.committed),
            ("delivered", g.delivered, w.delivered),
            ("gap", g.gap, w.gap),
        ] {
            assert!(
                (a - b).abs() < 1e-6,
                "{section} {}: {what} {a} != {b}",
                g.key
            );
        }
    }
}

async fn the_gap_signal_is_the_old_rule_over_the_demo_capped_at_its_top_rows(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let gaps: Gaps = serde_json::from_value(app.get_json("/api/needs/gaps", 200).await).unwrap();
    let needs = every_need(&app).await;
    let want = old_gaps(&needs);
    assert!(!want.by_design.is_empty() && !want.by_region.is_empty());
    assert_same_gaps(&gaps.by_design, &want.by_design, "by design");
    assert_same_gaps(&gaps.by_region, &want.by_region, "by region");

    // More regions than the cap, with place names of every shape.
    let receiver = person(&app, "ingrid-berg").await;
    let design = needs
        .iter()
        .find_map(|n| n.design.clone())
        .expect("the demo has a design need");
    for i in 0..GAPS_LIMIT + 2 {
        let place = match i {
            0 => "Lisbon".to_owned(),
            1 => "Accra,".to_owned(),
            _ => format!("Town {i}, Region {i:02}"),
        };
        let body = json!({
            "design": design.id,
            "quantity": {"value": 1 + i, "unit": "piece"},
            "due": due(30),
            "place": {"name": place, "lat": 1.0, "lon": 1.0},
        });
        assert_eq!(
            post_as(&app, &receiver, "/api/needs", &body).await.status(),
            201
        );
    }
    let gaps: Gaps = serde_json::from_value(app.get_json("/api/needs/gaps", 200).await).unwrap();
    let want = old_gaps(&every_need(&app).await);
    assert_eq!(gaps.by_region.len(), GAPS_LIMIT, "capped");
    assert_same_gaps(&gaps.by_design, &want.by_design, "by design, after");
    assert_same_gaps(&gaps.by_region, &want.by_region, "by region, after");
}

/// Makers of `need` as the old code found them: every capacity but the
/// receiver's that fits, best first (ties in list order), capped.
async fn old_makers(app: &TestApp, need: &Need, capacities: &[Capacity]) -> Vec<(u64, f64)> {
    let materials = match &need.design {
        Some(d) => {
            let design: Design =
                serde_json::from_value(app.get_json(&format!("/api/designs/{}", d.id), 200).await)
                    .unwrap();
            design.bill_of_materials.materials()
        }
        None => Vec::new(),
    };
    let mut fits: Vec<(u64, f64)> = capacities
        .iter()
        .filter(|c| c.provider.id != need.receiver.id)
        .filter_map(|c| fit(need, &materials, c).map(|f| (c.id, f.score)))
        .collect();
    fits.sort_by(|a, b| b.1.total_cmp(&a.1));
    fits.truncate(MAKERS_LIMIT);
    fits
}

async fn makers(app: &TestApp, need: u64) -> Vec<(u64, f64)> {
    let makers = app
        .get_json(&format!("/api/needs/{need}/makers"), 200)
        .await;
    makers
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["capacity"]["id"].as_u64().unwrap(),
                m["fit"]["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

async fn every_capacity(app: &TestApp) -> Vec<Capacity> {
    let (items, _) = all_pages(app, "/api/capacities?limit=100").await;
    items
        .into_iter()
        .map(|c| serde_json::from_value(c).unwrap())
        .collect()
}

async fn makers_of_each_demo_need_are_every_fitting_capacity_best_first(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let capacities = every_capacity(&app).await;
    let needs = every_need(&app).await;
    let mut matched = 0;
    for need in &needs {
        let want = old_makers(&app, need, &capacities).await;
        matched += want.len();
        assert_eq!(makers(&app, need.id).await, want, "need {}", need.id);
    }
    assert!(matched > 0, "some demo need has makers");
}

async fn makers_are_capped_at_the_best_fits(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let receiver = person(&app, "ingrid-berg").await;
    let need = need_at(&app, &receiver, 6.69, -1.62).await;
    let maker = person(&app, "zola-mensah").await;
    for i in 0..MAKERS_LIMIT + 3 {
        declare_capacity(&app, &maker, &capacity_body(i, 6.7, -1.6)).await;
    }
    // Out of reach: 1,000 km north.
    declare_capacity(&app, &maker, &capacity_body(0, 15.7, -1.6)).await;
    let need: Need =
        serde_json::from_value(app.get_json(&format!("/api/needs/{need}"), 200).await).unwrap();
    let got = makers(&app, need.id).await;
    assert_eq!(got.len(), MAKERS_LIMIT, "capped");
    assert_eq!(
        got,
        old_makers(&app, &need, &every_capacity(&app).await).await
    );
    assert!(got.windows(2).all(|w| w[0].1 >= w[1].1), "best first");
}

async fn coalitions_in_one_read_are_each_coalition_as_its_own_page_shows_it(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let steward = person(&app, "ingrid-berg").await;
    let body = json!({
        "name": "Nordic Repair Coalition", "kind": "hub",
        "place": {"name": "Oslo, Norway", "lat": 59.9, "lon": 10.7},
        "coalition_licences": ["CERN-OHL-S-2.0"],
    });
    let created = post_as(&app, &steward, "/api/organizations", &body).await;
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let coalitions = app.get_json("/api/coalitions", 200).await;
    let coalitions = coalitions.as_array().unwrap();
    assert!(coalitions.len() >= 2, "{coalitions:?}");
    for coalition in coalitions {
        let id = coalition["agent"]["id"].as_str().unwrap();
        let page = app.get_json(&format!("/api/organizations/{id}"), 200).await;
        assert_eq!(coalition, &page, "{id}");
    }
    let new = coalitions
        .iter()
        .find(|c| c["agent"]["name"] == "Nordic Repair Coalition")
        .expect("the new coalition is listed");
    assert_eq!(
        new["members"][0]["agent"]["id"], "ingrid-berg",
        "its steward"
    );
}
