//! Hostile numbers never reach the database: values that round to zero
//! thousandths or overflow them, negative zero, more than three decimals,
//! numbers JSON cannot carry, and query parameters out of range. Each is a
//! 400 naming the field (or a 4xx for JSON that is not JSON), and nothing
//! is written. Found by fuzzing the API (scripts/fuzz-api).

use serde_json::{Value, json};

use crate::design_writes::draft;
use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, assert_error, both_stores, person, post_as, put_as};
use crate::needs::{due, gauze};

both_stores!(
    hostile_need_and_claim_quantities_are_400s_naming_the_field_and_write_nothing,
    hostile_capacity_numbers_are_400s_naming_the_field,
    hostile_bill_of_materials_quantities_and_times_are_400s,
    hostile_ledger_budget_and_equation_numbers_are_400s_and_write_nothing,
    hostile_query_parameters_are_400s_naming_the_parameter,
);

/// Values every amount refuses, with what the message must say.
const HOSTILE: [(f64, &str); 8] = [
    (1.07e-146, "at least 0.001"),
    (1.1e-308, "at least 0.001"),
    (1e-300, "at least 0.001"),
    (0.0004, "at least 0.001"),
    (-0.0, "at least 0.001"),
    (1e308, "at most"),
    (9.3e15, "at most"),
    (2.0005, "three decimals"),
];

/// POSTs `body` and checks it is refused with 400 naming `field`; returns
/// the message.
async fn refused(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: &Value,
    field: &str,
) -> String {
    let response = post_as(app, client, path, body).await;
    assert_eq!(response.status(), 400, "POST {path} {body}");
    let error = assert_error(&response.json().await.unwrap(), "invalid_input");
    error["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {error}"))
        .to_owned()
}

/// Sends `raw` as a JSON body: numbers serde_json cannot hold (`NaN`,
/// `1e400`) must be a 4xx in the error envelope, never a 500.
async fn raw_is_refused(app: &TestApp, client: &reqwest::Client, path: &str, raw: &str) {
    let response = client
        .post(app.url(path))
        .header("x-stigmergy-csrf", "1")
        .header("content-type", "application/json")
        .body(raw.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!((400..500).contains(&status), "{raw}: {status}");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{raw}: {body}");
}

async fn hostile_need_and_claim_quantities_are_400s_naming_the_field_and_write_nothing(
    backend: Backend,
) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let clinic = person(&app, "akua-mensah").await;
    let maker = person(&app, "kwame-asante").await;
    let need = post_as(&app, &clinic, "/api/needs", gauze(100.0)).await;
    assert_eq!(need.status(), 201);
    let id = need.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let claims = format!("/api/needs/{id}/claims");

    for (value, says) in HOSTILE {
        let message = refused(&app, &clinic, "/api/needs", &gauze(value), "quantity").await;
        assert!(message.contains(says), "need of {value}: {message}");
        let mut minimum = gauze(100.0);
        minimum["minimum_quantity"] = json!(value);
        let message = refused(&app, &clinic, "/api/needs", &minimum, "minimum_quantity").await;
        assert!(message.contains(says), "minimum of {value}: {message}");
        let message = refused(
            &app,
            &maker,
            &claims,
            &json!({"quantity": value}),
            "quantity",
        )
        .await;
        assert!(message.contains(says), "claim of {value}: {message}");
    }
    for raw in [
        r#"{"quantity": NaN}"#,
        r#"{"quantity": 1e400}"#,
        r#"{"quantity": "NaN"}"#,
        r#"{"quantity": -1e400}"#,
    ] {
        raw_is_refused(&app, &maker, &claims, raw).await;
    }

    let need = app.get_json(&format!("/api/needs/{id}"), 200).await;
    assert_eq!(need["remainder"], 100.0, "nothing was claimed");
    let all = app.get_json("/api/needs?state=all", 200).await;
    assert_eq!(all["total"], 1, "no other need was written: {all}");
    // The smallest amount is accepted, and counted exactly.
    let smallest = post_as(&app, &maker, &claims, json!({"quantity": 0.001})).await;
    assert_eq!(smallest.status(), 201);
    let need = app.get_json(&format!("/api/needs/{id}"), 200).await;
    assert_eq!(need["remainder"], 99.999);
}

async fn hostile_capacity_numbers_are_400s_naming_the_field(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let maker = person(&app, "kwame-asante").await;
    let capacity = |rate: f64, radius: f64, lat: f64| {
        json!({
            "processes": ["laser-cutting"], "rate": rate, "available_from": due(0),
            "radius_km": radius, "place": {"name": "Kumasi, Ghana", "lat": lat, "lon": -1.62}
        })
    };
    for (value, says) in HOSTILE {
        let message = refused(
            &app,
            &maker,
            "/api/capacities",
            &capacity(value, 10.0, 6.0),
            "rate",
        )
        .await;
        assert!(message.contains(says), "rate {value}: {message}");
    }
    for radius in [-1.0, 1e308, 20_000.5, 1.0001] {
        refused(
            &app,
            &maker,
            "/api/capacities",
            &capacity(5.0, radius, 6.0),
            "radius_km",
        )
        .await;
    }
    for lat in [90.5, -1e308, 1e308] {
        refused(
            &app,
            &maker,
            "/api/capacities",
            &capacity(5.0, 10.0, lat),
            "place.lat",
        )
        .await;
    }
    // Zero is a radius (collection only); negative zero is zero.
    for radius in [0.0, -0.0] {
        let response = post_as(&app, &maker, "/api/capacities", capacity(5.0, radius, 6.0)).await;
        assert_eq!(response.status(), 201, "radius {radius}");
    }
    let listed = app.get_json("/api/capacities", 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
}

async fn hostile_bill_of_materials_quantities_and_times_are_400s(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    for (value, says) in HOSTILE {
        let mut body = draft("Hand grain mill");
        body["bill_of_materials"]["processes"][1]["inputs"][0]["quantity"]["value"] = json!(value);
        body["bill_of_materials"]["processes"][0]["machine_time"]["value"] = json!(value);
        let response = app.post_json("/api/designs", &body).await;
        assert_eq!(response.status(), 400, "{value}");
        let error = assert_error(&response.json().await.unwrap(), "invalid_input");
        let fields = error["fields"].as_object().unwrap();
        for field in [
            "processes[1].inputs[0].quantity",
            "processes[0].machine_time",
        ] {
            let message = fields
                .iter()
                .find(|(k, _)| k.ends_with(field))
                .unwrap_or_else(|| panic!("{field} in {error}"))
                .1;
            assert!(
                message.as_str().unwrap().contains(says),
                "{value}: {message}"
            );
        }
    }
    let designs = app.get_json("/api/designs", 200).await;
    assert_eq!(designs["total"], 0, "{designs}");
}

async fn hostile_ledger_budget_and_equation_numbers_are_400s_and_write_nothing(backend: Backend) {
    const OHA: &str = "open-hardware-africa";
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let steward = app.other_client();
    let login = post_as(
        &app,
        &steward,
        "/api/auth/login",
        json!({"login": "amara-okafor", "password": "open hardware for everyone"}),
    )
    .await;
    assert_eq!(login.status(), 200);
    let export = format!("/api/coalitions/{OHA}/ledger/export");
    let before = app.get_json(&export, 200).await["entries"]
        .as_array()
        .unwrap()
        .len();
    let path = format!("/api/coalitions/{OHA}/ledger");
    let entry = |quantity: f64| {
        json!({
            "action": "transfer", "provider": "komfo-anokye-hospital", "receiver": "@treasury",
            "resource": "USD", "quantity": quantity, "unit": "USD", "category": "donation"
        })
    };
    for (value, says) in [
        (1e-300, "three decimals"),
        (1.07e-146, "three decimals"),
        (1e308, "at most"),
        (1e12, "at most"),
        (-0.5, "cannot be negative"),
        (0.0015, "three decimals"),
        (-0.0, "Only a correction may be zero"),
    ] {
        let message = refused(&app, &steward, &path, &entry(value), "quantity").await;
        assert!(message.contains(says), "entry of {value}: {message}");
    }
    // A payout that would settle with a hostile amount.
    let mut payout = entry(1e-300);
    payout["provider"] = json!("@treasury");
    payout["receiver"] = json!("amara-okafor");
    payout["category"] = json!("payout");
    payout["settles"] = json!(1);
    refused(&app, &steward, &path, &payout, "quantity").await;
    raw_is_refused(
        &app,
        &steward,
        &path,
        &entry(1.0).to_string().replace("1.0", "1e400"),
    )
    .await;
    let after = app.get_json(&export, 200).await["entries"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "nothing was recorded");

    let equations = format!("/api/coalitions/{OHA}/value-equations");
    let current = app.get_json(&equations, 200).await[0].clone();
    for (field, value) in [
        ("reciprocity_fee", json!(1e308)),
        ("reciprocity_fee", json!(1e-300)),
        ("commons_share", json!(1.5)),
        ("commons_share", json!(0.0001)),
        ("contributors_share", json!(-0.1)),
    ] {
        let mut equation = current.clone();
        equation[field] = value.clone();
        refused(&app, &steward, &equations, &equation, field).await;
    }
    let mut equation = current.clone();
    equation["weights"][0]["weight"] = json!(1e-300);
    refused(&app, &steward, &equations, &equation, "weights.0.weight").await;
    assert_eq!(
        app.get_json(&equations, 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "no new version"
    );

    let budget = format!("/api/coalitions/{OHA}/budgets/2026");
    for amount in [1e308, 1e-300, -1.0, 0.0001] {
        let lines =
            json!([{"year": 2026, "direction": "income", "category": "grant", "amount": amount}]);
        let response = put_as(&app, &steward, &budget, &lines).await;
        assert_eq!(response.status(), 400, "{amount}");
        let error = assert_error(&response.json().await.unwrap(), "invalid_input");
        assert!(error["fields"]["0.amount"].is_string(), "{error}");
    }
    for year in ["99999999999", "-1", "1999"] {
        let response = put_as(
            &app,
            &steward,
            &format!("/api/coalitions/{OHA}/budgets/{year}"),
            json!([]),
        )
        .await;
        assert_eq!(response.status(), 400, "year {year}");
    }
}

async fn hostile_query_parameters_are_400s_naming_the_parameter(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    for (query, field) in [
        ("/api/needs?limit=0", "limit"),
        ("/api/needs?limit=99999999999999999999", "limit"),
        ("/api/needs?limit=-1", "limit"),
        ("/api/needs?near=NaN,0", "near"),
        ("/api/needs?near=1e308,1e308", "near"),
        ("/api/needs?near=5,5&radius_km=NaN", "radius_km"),
        ("/api/needs?near=5,5&radius_km=1e308", "radius_km"),
        ("/api/needs?near=5,5&radius_km=-0", "radius_km"),
        ("/api/designs?limit=1e3", "limit"),
        ("/api/economic-events?limit=0", "limit"),
        // Found by the fuzzer: a 404 for the whole list.
        ("/api/economic-events?claim=9223372036854775808", "claim"),
    ] {
        let response = app.get(query).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["fields"][field].is_string(),
            "{query}: {body}"
        );
    }
    for query in [
        "/api/needs?cursor=%FF%FF",
        "/api/needs?cursor=99999999999999999999999",
        "/api/needs?cursor=-1",
        "/api/designs?cursor=zzzz",
        "/api/economic-events?after=-1",
        "/api/economic-events?after=99999999999999999999",
        "/api/economic-events?claim=-1",
    ] {
        let status = app.get(query).await.status().as_u16();
        assert!(status == 400 || status == 404, "{query}: {status}");
    }
}
