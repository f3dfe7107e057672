//! Needs, claims and capacity over HTTP: the remainder, each step of a
//! claim by the right party, the events a confirmed delivery records, the
//! filters and the gap signal, and the remainder under racing claims on
//! both stores.

use std::collections::HashMap;

use serde_json::{Value, json};
use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, TestDb, assert_error, both_stores, person, post_as};

both_stores!(
    a_need_is_claimed_in_part_made_delivered_and_confirmed,
    bad_needs_and_claims_are_refused_and_change_nothing,
    the_board_filters_pages_and_shows_the_gap,
    capacity_is_declared_and_listed_by_process,
    the_demo_has_needs_capacity_and_claims_in_every_state,
    makers_see_needs_they_can_fill_and_needs_see_makers_who_can_make_them,
    stewards_plan_their_coalitions_open_needs_onto_members_capacity,
    the_map_shows_planned_and_delivered_flows,
    a_designs_supply_chain_runs_from_material_suppliers_through_makers_to_receivers,
);

/// A date some weeks ahead, so needs are never due in the past.
pub(crate) fn due(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

pub(crate) fn gauze(quantity: f64) -> Value {
    json!({
        "resource": "Sterile gauze pads, 10 cm",
        "quantity": {"value": quantity, "unit": "piece"},
        "due": due(30),
        "place": {"name": "Kumasi, Ghana", "lat": 6.6885, "lon": -1.6244},
        "note": "For the maternity ward."
    })
}

async fn declare(app: &TestApp, client: &reqwest::Client, need: &Value) -> Value {
    let response = post_as(app, client, "/api/needs", need).await;
    assert_eq!(response.status(), 201, "declaring {need}");
    response.json().await.unwrap()
}

async fn claim(
    app: &TestApp,
    client: &reqwest::Client,
    need: u64,
    quantity: f64,
) -> reqwest::Response {
    post_as(
        app,
        client,
        &format!("/api/needs/{need}/claims"),
        json!({"quantity": quantity}),
    )
    .await
}

async fn act(
    app: &TestApp,
    client: &reqwest::Client,
    claim: u64,
    action: &str,
) -> reqwest::Response {
    post_as(
        app,
        client,
        &format!("/api/claims/{claim}/{action}"),
        json!({}),
    )
    .await
}

async fn a_need_is_claimed_in_part_made_delivered_and_confirmed(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let clinic = person(&app, "akua-mensah").await;
    let maker = person(&app, "kwame-asante").await;
    let other = person(&app, "yaw-boateng").await;

    let need = declare(&app, &clinic, &gauze(200.0)).await;
    let id = need["id"].as_u64().unwrap();
    assert_eq!(need["remainder"], 200.0);
    assert_eq!(need["state"], "open");
    assert_eq!(need["receiver"]["id"], "akua-mensah");

    // A partial claim: the remainder drops, for everyone.
    let response = claim(&app, &maker, id, 80.0).await;
    assert_eq!(response.status(), 201);
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["state"], "committed");
    assert_eq!(first["provider"]["id"], "kwame-asante");
    let claim_id = first["id"].as_u64().unwrap();
    let need = app.get_json(&format!("/api/needs/{id}"), 200).await;
    assert_eq!(need["remainder"], 120.0);
    assert_eq!(need["committed"], 80.0);

    // The receiver cannot claim their own need; nobody claims more than is left.
    let own = claim(&app, &clinic, id, 10.0).await;
    assert_eq!(own.status(), 403);
    let too_much = claim(&app, &other, id, 121.0).await;
    assert_eq!(too_much.status(), 409);
    let body: Value = too_much.json().await.unwrap();
    assert!(
        assert_error(&body, "conflict")["message"]
            .as_str()
            .unwrap()
            .contains("Only 120 pcs"),
        "{body}"
    );

    // Each step is its own call, by its own party, in order.
    assert_eq!(act(&app, &clinic, claim_id, "start").await.status(), 403);
    assert_eq!(act(&app, &other, claim_id, "start").await.status(), 403);
    assert_eq!(act(&app, &maker, claim_id, "confirm").await.status(), 403);
    assert_eq!(act(&app, &clinic, claim_id, "confirm").await.status(), 409);
    assert_eq!(act(&app, &maker, claim_id, "fly").await.status(), 404);
    let started = act(&app, &maker, claim_id, "start").await;
    assert_eq!(started.status(), 200);
    assert_eq!(
        started.json::<Value>().await.unwrap()["state"],
        "in_progress"
    );
    assert_eq!(act(&app, &maker, claim_id, "start").await.status(), 409);
    assert_eq!(act(&app, &maker, claim_id, "deliver").await.status(), 200);
    assert_eq!(act(&app, &maker, claim_id, "withdraw").await.status(), 409);
    let need = app.get_json(&format!("/api/needs/{id}"), 200).await;
    assert_eq!(need["delivered"], 80.0);
    // No events until the receiver confirms.
    let events = app
        .get_json(&format!("/api/economic-events?claim={claim_id}"), 200)
        .await;
    assert_eq!(events, json!([]));
    let confirmed = act(&app, &clinic, claim_id, "confirm").await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(
        confirmed.json::<Value>().await.unwrap()["state"],
        "confirmed"
    );

    // Confirming recorded: the maker produced 80, then transferred them.
    let events = app
        .get_json(&format!("/api/economic-events?claim={claim_id}"), 200)
        .await;
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["action"], "produce");
    assert_eq!(events[0]["provider"]["id"], "kwame-asante");
    assert_eq!(events[1]["action"], "transfer");
    assert_eq!(events[1]["receiver"]["id"], "akua-mensah");
    assert_eq!(events[1]["quantity"]["value"], 80.0);
    assert_eq!(events[1]["place"]["name"], "Kumasi, Ghana");
    assert_eq!(act(&app, &clinic, claim_id, "decline").await.status(), 409);

    // A withdrawn claim gives its units back.
    let second: Value = claim(&app, &other, id, 50.0).await.json().await.unwrap();
    let second_id = second["id"].as_u64().unwrap();
    assert_eq!(
        app.get_json(&format!("/api/needs/{id}"), 200).await["remainder"],
        70.0
    );
    assert_eq!(act(&app, &other, second_id, "withdraw").await.status(), 200);
    assert_eq!(
        app.get_json(&format!("/api/needs/{id}"), 200).await["remainder"],
        120.0
    );

    // The maker sees their claims; the need lists all of them.
    let mine: Value = maker
        .get(app.url("/api/me/claims"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let claims = app.get_json(&format!("/api/needs/{id}/claims"), 200).await;
    let states: Vec<&str> = claims
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["confirmed", "withdrawn"]);
}

async fn bad_needs_and_claims_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let clinic = person(&app, "akua-mensah").await;
    let maker = person(&app, "kwame-asante").await;

    let mut bad = gauze(0.0);
    bad["due"] = json!("2020-01-01");
    bad["place"]["lat"] = json!(95.0);
    let response = post_as(&app, &clinic, "/api/needs", &bad).await;
    assert_eq!(response.status(), 400);
    let error = assert_error(&response.json().await.unwrap(), "invalid_input");
    for field in ["quantity", "place.lat"] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    let mut past = gauze(5.0);
    past["due"] = json!("2020-01-01");
    let response = post_as(&app, &clinic, "/api/needs", &past).await;
    assert_eq!(response.status(), 400);
    assert!(
        assert_error(&response.json().await.unwrap(), "invalid_input")["fields"]["due"]
            .as_str()
            .unwrap()
            .contains("past")
    );
    let mut unknown = gauze(5.0);
    unknown["resource"] = Value::Null;
    unknown["design"] = json!("no-such-design");
    assert_eq!(
        post_as(&app, &clinic, "/api/needs", &unknown)
            .await
            .status(),
        400
    );
    let mut no_coalition = gauze(5.0);
    no_coalition["coalition"] = json!("fab-lab-barcelona");
    assert_eq!(
        post_as(&app, &clinic, "/api/needs", &no_coalition)
            .await
            .status(),
        400,
        "an organization that is not a coalition"
    );
    let mut not_steward = gauze(5.0);
    not_steward["receiver"] = json!("fab-lab-barcelona");
    assert_eq!(
        post_as(&app, &clinic, "/api/needs", &not_steward)
            .await
            .status(),
        403
    );
    let anonymous = app
        .other_client()
        .post(app.url("/api/needs"))
        .header("x-stigmergy-csrf", "1")
        .json(&gauze(5.0))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let before = app.get_json("/api/needs?state=all&limit=100", 200).await["total"].clone();

    let mut with_minimum = gauze(100.0);
    with_minimum["minimum_quantity"] = json!(20.0);
    let need = declare(&app, &clinic, &with_minimum).await;
    let id = need["id"].as_u64().unwrap();
    for (quantity, status) in [(0.0, 400), (-3.0, 400), (5.0, 400), (0.0001, 400)] {
        let response = claim(&app, &maker, id, quantity).await;
        assert_eq!(response.status(), status, "claiming {quantity}");
        assert_error(&response.json().await.unwrap(), "invalid_input");
    }
    assert_eq!(claim(&app, &maker, 999_999, 5.0).await.status(), 404);
    let garbage = maker
        .post(app.url(&format!("/api/needs/{id}/claims")))
        .header("x-stigmergy-csrf", "1")
        .header("content-type", "application/json")
        .body("{\"quantity\": \"lots\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status().as_u16() / 100, 4);
    let need = app.get_json(&format!("/api/needs/{id}"), 200).await;
    assert_eq!(need["remainder"], 100.0, "nothing was claimed");
    // Below the minimum is fine when it is all that is left.
    assert_eq!(claim(&app, &maker, id, 90.0).await.status(), 201);
    assert_eq!(claim(&app, &maker, id, 10.0).await.status(), 201);
    assert_eq!(
        app.get_json(&format!("/api/needs/{id}"), 200).await["state"],
        "claimed"
    );
    let after = app.get_json("/api/needs?state=all&limit=100", 200).await["total"].clone();
    assert_eq!(after.as_u64().unwrap(), before.as_u64().unwrap() + 1);
}

async fn the_board_filters_pages_and_shows_the_gap(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let clinic = person(&app, "akua-mensah").await;
    let maker = person(&app, "kwame-asante").await;

    let shields = |city: &str, lat: f64, lon: f64, days: i64| {
        json!({
            "design": "face-shield-petg",
            "quantity": {"value": 100.0, "unit": "piece"},
            "due": due(days),
            "place": {"name": city, "lat": lat, "lon": lon},
            "coalition": "open-hardware-africa",
        })
    };
    let before_gaps = gaps(&app).await;
    let kumasi = declare(&app, &clinic, &shields("Kumasi, Ghana", 6.69, -1.62, 40)).await;
    let accra = declare(&app, &clinic, &shields("Accra, Ghana", 5.60, -0.19, 20)).await;
    let lagos = declare(&app, &clinic, &shields("Lagos, Nigeria", 6.52, 3.38, 60)).await;
    // Asked of the coalition by someone outside it: waiting for its stewards.
    assert_eq!(kumasi["coalition"], Value::Null);
    assert_eq!(
        kumasi["asked_of"]["coalition"]["id"],
        "open-hardware-africa"
    );
    assert_eq!(kumasi["asked_of"]["state"], "asked");
    assert!(!kumasi["processes"].as_array().unwrap().is_empty());
    let id = |n: &Value| n["id"].as_u64().unwrap();

    // Most urgent first, through every page.
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(
                &format!("/api/needs?design=face-shield-petg&receiver=akua-mensah&limit=2{cursor}"),
                200,
            )
            .await;
        assert_eq!(page["total"], 3);
        ids.extend(page["items"].as_array().unwrap().iter().map(id));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(ids, [id(&accra), id(&kumasi), id(&lagos)]);

    // Near Kumasi: 200 km takes Accra in, not Lagos (about 560 km).
    let near = app
        .get_json(
            "/api/needs?near=6.69,-1.62&radius_km=250&receiver=akua-mensah",
            200,
        )
        .await;
    let near: Vec<u64> = near["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(near, [id(&accra), id(&kumasi)]);
    let process = kumasi["processes"][0].as_str().unwrap();
    let by_process = app
        .get_json(
            &format!(
                "/api/needs?process={process}&asked_of=open-hardware-africa&receiver=akua-mensah"
            ),
            200,
        )
        .await;
    assert_eq!(by_process["total"], 3);
    let error = app.get_json("/api/needs?near=north&radius_km=x", 400).await;
    assert_error(&error, "invalid_input");

    // Claimed needs leave the open board; the gap shrinks by what is taken.
    assert_eq!(claim(&app, &maker, id(&accra), 100.0).await.status(), 201);
    assert_eq!(claim(&app, &maker, id(&kumasi), 30.0).await.status(), 201);
    let open = app.get_json("/api/needs?receiver=akua-mensah", 200).await;
    assert_eq!(open["total"], 2);
    let claimed = app
        .get_json("/api/needs?receiver=akua-mensah&state=claimed", 200)
        .await;
    assert_eq!(claimed["items"][0]["id"], accra["id"]);

    let after = gaps(&app).await;
    let (shield, ghana) = (&after["face-shield-petg"], &after["Ghana"]);
    assert_eq!(
        shield.0 - before_gaps["face-shield-petg"].0,
        300.0,
        "demand"
    );
    assert_eq!(
        shield.1 - before_gaps["face-shield-petg"].1,
        130.0,
        "committed"
    );
    assert_eq!(shield.3 - before_gaps["face-shield-petg"].3, 170.0, "gap");
    assert_eq!(
        ghana.1 - before_gaps["Ghana"].1,
        130.0,
        "committed in Ghana"
    );
    for (key, (demand, committed, delivered, gap)) in &after {
        assert_eq!(*gap, (demand - committed - delivered).max(0.0), "{key}");
    }
}

/// The gap signal by design and by region, keyed: (demand, committed,
/// delivered, gap).
async fn gaps(app: &TestApp) -> HashMap<String, (f64, f64, f64, f64)> {
    let gaps = app.get_json("/api/needs/gaps", 200).await;
    let mut keyed = HashMap::new();
    for list in ["by_design", "by_region"] {
        for gap in gaps[list].as_array().unwrap() {
            let n = |k: &str| gap[k].as_f64().unwrap();
            keyed.insert(
                gap["key"].as_str().unwrap().to_owned(),
                (n("demand"), n("committed"), n("delivered"), n("gap")),
            );
        }
    }
    keyed
        .entry("face-shield-petg".into())
        .or_insert((0.0, 0.0, 0.0, 0.0));
    keyed.entry("Ghana".into()).or_insert((0.0, 0.0, 0.0, 0.0));
    keyed
}

async fn capacity_is_declared_and_listed_by_process(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let maker = person(&app, "kwame-asante").await;
    let body = json!({
        "processes": ["laser-cutting", "assembly"],
        "materials": ["PETG sheet 0.5 mm", "Elastic strap"],
        "rate": 150.0,
        "available_from": due(0),
        "available_until": due(90),
        "radius_km": 250.0,
        "place": {"name": "Kumasi, Ghana", "lat": 6.69, "lon": -1.62},
        "note": "One 60 W laser cutter, two people on assembly."
    });
    let response = post_as(&app, &maker, "/api/capacities", &body).await;
    assert_eq!(response.status(), 201);
    let capacity: Value = response.json().await.unwrap();
    assert_eq!(capacity["provider"]["id"], "kwame-asante");
    assert_eq!(capacity["processes"], json!(["laser-cutting", "assembly"]));

    let listed = app
        .get_json(
            "/api/capacities?process=laser-cutting&provider=kwame-asante",
            200,
        )
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let mut bad = body.clone();
    bad["processes"] = json!([]);
    bad["rate"] = json!(0);
    bad["available_until"] = json!("2020-01-01");
    let response = post_as(&app, &maker, "/api/capacities", &bad).await;
    assert_eq!(response.status(), 400);
    let error = assert_error(&response.json().await.unwrap(), "invalid_input");
    for field in ["processes", "rate", "available_until"] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    assert_eq!(
        app.get_json("/api/capacities?process=knitting", 400).await["error"]["code"],
        "invalid_input"
    );
}

async fn the_demo_has_needs_capacity_and_claims_in_every_state(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let activity = stigmergy_server::demo::activity().unwrap();
    let needs = app.get_json("/api/needs?state=all&limit=100", 200).await;
    assert_eq!(needs["total"], activity.needs.len() as u64);
    let mut states = std::collections::BTreeSet::new();
    let mut need_states = std::collections::BTreeSet::new();
    for need in needs["items"].as_array().unwrap() {
        need_states.insert(need["state"].as_str().unwrap().to_owned());
        assert!(need["remainder"].as_f64().unwrap() >= 0.0);
        let claims = app
            .get_json(&format!("/api/needs/{}/claims", need["id"]), 200)
            .await;
        for claim in claims.as_array().unwrap() {
            states.insert(claim["state"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        states.into_iter().collect::<Vec<_>>(),
        [
            "committed",
            "confirmed",
            "declined",
            "delivered",
            "in_progress",
            "withdrawn"
        ]
    );
    assert!(need_states.contains("open"), "{need_states:?}");
    let capacities = app.get_json("/api/capacities", 200).await;
    assert_eq!(
        capacities["total"],
        activity.capacities.len(),
        "{capacities}"
    );
    let confirmed = activity
        .claims
        .iter()
        .filter(|c| c.state == stigmergy_core::ClaimState::Confirmed)
        .count();
    let events = app.get_json("/api/economic-events?limit=500", 200).await;
    assert_eq!(events.as_array().unwrap().len(), 2 * confirmed);
    // Dated over the weeks before the first start, not all at once, and
    // appended in the order they happened.
    let times: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let first = events[0]["at"].as_str().unwrap();
    let last = events[events.as_array().unwrap().len() - 1]["at"]
        .as_str()
        .unwrap();
    assert!(first[..10] < last[..10], "{first} .. {last}");
}

async fn makers_see_needs_they_can_fill_and_needs_see_makers_who_can_make_them(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let maker = person(&app, "kwame-asante").await;
    let nothing: Value = maker
        .get(app.url("/api/me/matches"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nothing, json!([]), "no capacity, no suggestions");
    let capacity = json!({
        "processes": ["laser-cutting", "fdm-printing", "assembly"],
        "materials": ["PETG sheet", "Elastic strap"],
        "rate": 120.0,
        "available_from": due(0),
        "radius_km": 300.0,
        "place": {"name": "Kumasi, Ghana", "lat": 6.69, "lon": -1.62},
    });
    let response = post_as(&app, &maker, "/api/capacities", &capacity).await;
    assert_eq!(response.status(), 201);
    let capacity_id = response.json::<Value>().await.unwrap()["id"].clone();

    let matches: Value = maker
        .get(app.url("/api/me/matches"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let matches = matches.as_array().unwrap();
    assert!(!matches.is_empty());
    let scores: Vec<f64> = matches
        .iter()
        .map(|m| m["fit"]["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    for m in matches {
        assert!(m["fit"]["distance_km"].as_f64().unwrap() <= 300.0, "{m}");
        assert_eq!(m["capacity"], capacity_id);
        assert!(!m["fit"]["reasons"].as_array().unwrap().is_empty());
    }
    let shields = matches
        .iter()
        .find(|m| m["need"]["what"] == "Face shield, laser-cut PETG")
        .expect("the Kumasi face shields are within reach");
    let reasons = shields["fit"]["reasons"].to_string();
    assert!(reasons.contains("Runs 3 of the 3 processes"), "{reasons}");
    assert!(
        reasons.contains("Lists 1 of its 3 materials: PETG sheet"),
        "{reasons}"
    );

    let need = shields["need"]["id"].as_u64().unwrap();
    let makers = app
        .get_json(&format!("/api/needs/{need}/makers"), 200)
        .await;
    let mine = makers
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["capacity"]["provider"]["id"] == "kwame-asante")
        .expect("the new maker is offered for the need");
    assert!(mine["fit"]["score"].as_f64().unwrap() > 0.5, "{mine}");
    assert_eq!(
        app.get_json("/api/needs/999999/makers", 404).await["error"]["code"],
        "not_found"
    );
}

async fn stewards_plan_their_coalitions_open_needs_onto_members_capacity(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let path = "/api/coalitions/open-hardware-africa/plan";
    assert_eq!(app.get(path).await.status(), 401);
    let outsider = person(&app, "kwame-asante").await;
    let refused = outsider.get(app.url(path)).send().await.unwrap();
    assert_eq!(refused.status(), 403);

    let steward = app.other_client();
    let login = post_as(
        &app,
        &steward,
        "/api/auth/login",
        json!({"login": "amara-okafor", "password": "open hardware for everyone"}),
    )
    .await;
    assert_eq!(login.status(), 200);
    let plan: Value = steward
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = plan["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{plan}");
    let assigned: u64 = rows.iter().map(|r| r["quantity"].as_u64().unwrap()).sum();
    assert_eq!(assigned, plan["assigned"].as_u64().unwrap());
    // Never more than a need has open, never beyond a maker's reach.
    let needs = app
        .get_json("/api/needs?coalition=open-hardware-africa&limit=100", 200)
        .await;
    let open: u64 = needs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["remainder"].as_f64().unwrap().floor() as u64)
        .sum();
    assert_eq!(
        plan["assigned"].as_u64().unwrap() + plan["unassigned"].as_u64().unwrap(),
        open
    );
    for row in rows {
        let need = needs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == row["need"])
            .expect("a planned need is an open need of the coalition");
        assert!(row["quantity"].as_u64().unwrap() as f64 <= need["remainder"].as_f64().unwrap());
        assert!(row["distance_km"].as_f64().unwrap() <= 800.0, "{row}");
    }
    let missing = steward
        .get(app.url("/api/coalitions/no-such-coalition/plan"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

async fn the_map_shows_planned_and_delivered_flows(backend: Backend) {
    let db = TestDb::for_backend(backend).await;
    let app = TestApp::spawn_on(db, Seed::Demo, "/nonexistent".into()).await;
    let activity = stigmergy_server::demo::activity().unwrap();
    let map = app.get_json("/api/flows", 200).await;
    let flows = map["flows"].as_array().unwrap();
    let count = |kind: &str| flows.iter().filter(|f| f["kind"] == kind).count();
    let confirmed = activity
        .claims
        .iter()
        .filter(|c| c.state == stigmergy_core::ClaimState::Confirmed)
        .count();
    let active = activity
        .claims
        .iter()
        .filter(|c| c.state.is_active() && c.state != stigmergy_core::ClaimState::Confirmed)
        .count();
    assert_eq!(count("delivered"), confirmed, "{backend:?}");
    assert_eq!(count("planned"), active, "{backend:?}");
    let roles: std::collections::BTreeSet<&str> = map["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role"].as_str().unwrap())
        .collect();
    for role in ["coalition", "maker", "microfactory", "receiver", "supplier"] {
        assert!(roles.contains(role), "{role} in {roles:?}");
    }
    let africa = app
        .get_json(
            "/api/flows?coalition=open-hardware-africa&state=delivered",
            200,
        )
        .await;
    let flows = africa["flows"].as_array().unwrap();
    assert!(!flows.is_empty());
    assert!(
        flows
            .iter()
            .all(|f| f["coalition"] == "open-hardware-africa" && f["kind"] == "delivered")
    );
    let ids: std::collections::HashSet<&str> = africa["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains("open-hardware-africa") && ids.contains("amara-okafor"));
    assert!(
        !ids.contains("plastico-circular-porto"),
        "other coalitions' members stay off"
    );
    // One need's flows, with only the agents they touch: what a live map
    // fetches when that need changes.
    let need = flows[0]["need"].as_u64().unwrap();
    let one = app
        .get_json(
            &format!("/api/flows?coalition=open-hardware-africa&need={need}"),
            200,
        )
        .await;
    let its = one["flows"].as_array().unwrap();
    assert!(its.iter().any(|f| f["kind"] == "delivered"), "{its:?}");
    assert!(its.iter().all(|f| f["need"] == need));
    let touched: std::collections::BTreeSet<&str> = its
        .iter()
        .flat_map(|f| {
            [
                f["provider"].as_str().unwrap(),
                f["receiver"].as_str().unwrap(),
            ]
        })
        .collect();
    let agents: std::collections::BTreeSet<&str> = one["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(agents, touched, "{backend:?}");
    let none = app.get_json("/api/flows?need=999999", 200).await;
    assert_eq!(none["flows"], serde_json::json!([]));
    assert_eq!(none["agents"], serde_json::json!([]));
    assert_error(
        &app.get_json("/api/flows?need=first", 400).await,
        "invalid_query",
    );
    for bad in ["state=soon", "since=yesterday", "coalition=Not%20One"] {
        assert_error(
            &app.get_json(&format!("/api/flows?{bad}"), 400).await,
            "invalid_input",
        );
    }
}

async fn a_designs_supply_chain_runs_from_material_suppliers_through_makers_to_receivers(
    backend: Backend,
) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let chain = app
        .get_json("/api/chains?design=plastic-sheet-press", 200)
        .await;
    let column = |id: &str| {
        chain["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .map(|n| n["column"].as_u64().unwrap())
    };
    // Recycled HDPE from Maas Materials to the Porto cooperative, which
    // makes the sheet press for Tomáš in Brno.
    assert_eq!(column("maas-materials"), Some(0), "{chain}");
    assert_eq!(column("plastico-circular-porto"), Some(1), "{chain}");
    assert_eq!(column("tomas-novak"), Some(2), "{chain}");
    let links = chain["links"].as_array().unwrap();
    assert!(
        links
            .iter()
            .any(|l| l["from"] == "maas-materials" && l["kind"] == "delivered")
    );
    assert!(
        links
            .iter()
            .any(|l| l["to"] == "tomas-novak" && l["kind"] == "planned")
    );

    let need = app
        .get_json(
            "/api/needs?design=face-shield-petg&receiver=samuel-mensah&state=all",
            200,
        )
        .await["items"][0]["id"]
        .clone();
    let one = app.get_json(&format!("/api/chains?need={need}"), 200).await;
    assert!(
        one["links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["to"] == "samuel-mensah" || l["from"] != "samuel-mensah")
    );
    assert!(one["links"].as_array().unwrap().len() >= 2, "{one}");
    assert_error(&app.get_json("/api/chains", 400).await, "invalid_input");
}
