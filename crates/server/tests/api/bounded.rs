//! Bounded work per request: every list in a request body has a cap. One
//! item over it is a 400 naming the field and the cap, and nothing is
//! written (issue 12).

use serde_json::{Value, json};

use crate::design_writes::draft;
use crate::helpers::{Seed, TestApp, assert_error, demo_account, person, post_as, put_as};
use crate::needs::due;

/// Checks that `response` is a 400 whose message under `field` names the
/// `cap` and the count one over it.
async fn over_the_cap(response: reqwest::Response, field: &str, cap: usize) {
    assert_eq!(response.status(), 400, "{field}");
    let error = assert_error(&response.json().await.unwrap(), "invalid_input");
    let message = error["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {error}"));
    assert!(
        message.contains(&format!("At most {cap} ")) && message.contains(&(cap + 1).to_string()),
        "{field}: {message}"
    );
}

#[tokio::test]
async fn a_capacity_with_one_process_or_material_too_many_is_a_400_and_writes_nothing() {
    let app = TestApp::spawn(Seed::Empty).await;
    let maker = person(&app, "kwame-asante").await;
    let capacity = |processes: usize, materials: usize| {
        json!({
            "processes": vec!["laser-cutting"; processes],
            "materials": (0..materials).map(|i| format!("material {i}")).collect::<Vec<_>>(),
            "rate": 5, "available_from": due(0), "radius_km": 10,
            "place": {"name": "Kumasi, Ghana", "lat": 6.0, "lon": -1.62}
        })
    };
    let processes = post_as(&app, &maker, "/api/capacities", capacity(51, 1)).await;
    over_the_cap(processes, "processes", 50).await;
    let materials = post_as(&app, &maker, "/api/capacities", capacity(1, 31)).await;
    over_the_cap(materials, "materials", 30).await;
    let listed = app.get_json("/api/capacities", 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
    assert_eq!(listed["total"], 0, "{listed}");

    let at_the_caps = post_as(&app, &maker, "/api/capacities", capacity(50, 30)).await;
    assert_eq!(at_the_caps.status(), 201);
}

#[tokio::test]
async fn a_design_with_one_step_input_or_tag_too_many_is_a_400_and_writes_nothing() {
    let app = TestApp::spawn(Seed::Empty).await;
    app.register("ana-souza").await;
    let mut steps = draft("Hand grain mill");
    let step = steps["bill_of_materials"]["processes"][1].clone();
    steps["bill_of_materials"]["processes"] = json!(vec![step; 41]);
    over_the_cap(
        app.post_json("/api/designs", &steps).await,
        "bill_of_materials.processes",
        40,
    )
    .await;

    let mut inputs = draft("Hand grain mill");
    let input = inputs["bill_of_materials"]["processes"][0]["inputs"][0].clone();
    inputs["bill_of_materials"]["processes"][0]["inputs"] = json!(vec![input; 61]);
    over_the_cap(
        app.post_json("/api/designs", &inputs).await,
        "bill_of_materials.processes[0].inputs",
        60,
    )
    .await;

    let mut tags = draft("Hand grain mill");
    tags["tags"] = json!((0..13).map(|i| format!("tag-{i}")).collect::<Vec<_>>());
    over_the_cap(app.post_json("/api/designs", &tags).await, "tags", 12).await;

    let designs = app.get_json("/api/designs", 200).await;
    assert_eq!(designs["total"], 0, "{designs}");
}

#[tokio::test]
async fn a_value_equation_or_budget_with_one_line_too_many_is_a_400_and_writes_nothing() {
    const OHA: &str = "open-hardware-africa";
    let app = TestApp::spawn(Seed::Demo).await;
    let steward = demo_account(&app, "amara-okafor").await;

    let equations = format!("/api/coalitions/{OHA}/value-equations");
    let mut equation = app.get_json(&equations, 200).await[0].clone();
    equation["weights"] = json!(
        (0..101)
            .map(|i| json!({"action": "work", "resource": format!("resource-{i}"), "weight": 1}))
            .collect::<Vec<Value>>()
    );
    over_the_cap(
        post_as(&app, &steward, &equations, &equation).await,
        "weights",
        100,
    )
    .await;
    let versions = app.get_json(&equations, 200).await;
    assert_eq!(versions.as_array().unwrap().len(), 1, "no new version");

    let accounts = format!("/api/coalitions/{OHA}/accounts");
    let before = app.get_json(&accounts, 200).await["budget"].clone();
    let line = json!({"year": 2026, "direction": "income", "category": "grant", "amount": 1});
    let budget = format!("/api/coalitions/{OHA}/budgets/2026");
    over_the_cap(
        put_as(&app, &steward, &budget, json!(vec![line; 201])).await,
        "lines",
        200,
    )
    .await;
    let after = app.get_json(&accounts, 200).await["budget"].clone();
    assert_eq!(after, before, "the budget is unchanged");
}

#[tokio::test]
async fn the_openapi_document_states_each_cap() {
    let app = TestApp::spawn(Seed::Empty).await;
    let doc = app.get_json("/api/openapi.json", 200).await;
    let schemas = &doc["components"]["schemas"];
    for (schema, field, cap) in [
        ("CapacityInput", "processes", 50),
        ("CapacityInput", "materials", 30),
        ("BillOfMaterials", "processes", 40),
        ("RecipeProcess", "inputs", 60),
        ("DesignDraft", "tags", 12),
        ("ValueEquation", "weights", 100),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["maxItems"],
            json!(cap),
            "{schema}.{field}: {}",
            schemas[schema]["properties"][field]
        );
    }
}
