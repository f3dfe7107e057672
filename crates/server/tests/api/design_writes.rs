//! Growing the commons over HTTP: create, edit as revisions, fork, and who
//! may do which.

use serde_json::{Value, json};

use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, assert_error, both_stores, person, post_as, put_as};

both_stores!(
    a_signed_in_person_publishes_a_design_credited_to_them,
    an_invalid_design_is_refused_field_by_field,
    each_edit_is_a_new_revision_and_old_ones_stay_readable,
    an_edit_from_a_stale_revision_is_refused_not_lost,
    forking_makes_a_new_design_with_lineage_both_ways,
    a_demo_account_signs_in_and_edits_only_its_own_designs,
);

pub(crate) fn draft(name: &str) -> Value {
    json!({
        "name": name,
        "summary": "A hand-cranked grain mill with laser-cut plywood housing and cast burrs.",
        "description": "Grinds 2 kg of maize flour an hour.\n\nThe burrs are cast from food-safe iron.",
        "licence": "CERN-OHL-S-2.0",
        "version": "1.0",
        "tags": ["agriculture", "food"],
        "bill_of_materials": {"processes": [
            {"name": "Cut the housing", "process_kind": "laser-cutting",
             "machine_time": {"value": 25, "unit": "min"}, "work": {"value": 0.5, "unit": "h"},
             "inputs": [{"material": "Birch plywood 6 mm", "quantity": {"value": 0.4, "unit": "m2"}}]},
            {"name": "Assemble the mill", "process_kind": "assembly", "work": {"value": 1.5, "unit": "h"},
             "inputs": [{"material": "M6 bolt", "quantity": {"value": 12, "unit": "piece"}}]}
        ]}
    })
}

pub(crate) fn edit(base: u32, name: &str) -> Value {
    let mut body = draft(name);
    body["base_revision"] = json!(base);
    body["version"] = json!("1.1");
    body["note"] = json!("Longer crank for less effort.");
    body
}

async fn a_signed_in_person_publishes_a_design_credited_to_them(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;

    let response = app
        .post_json("/api/designs", &draft("Hand grain mill"))
        .await;

    assert_eq!(response.status(), 201);
    let design: Value = response.json().await.unwrap();
    assert_eq!(
        design["id"], "hand-grain-mill",
        "the id comes from the name"
    );
    assert_eq!(design["revision"], 1);
    assert_eq!(design["contributors"][0]["agent"]["id"], "ana-souza");
    assert_eq!(design["contributors"][0]["role"], "author");
    assert_eq!(
        design["bill_of_materials"]["processes"][0]["machine_time"]["unit"],
        "min"
    );
    let found = app
        .get_json("/api/designs?q=grain&process=laser-cutting", 200)
        .await;
    assert_eq!(found["total"], 1);
    let again = app
        .post_json("/api/designs", &draft("Hand grain mill"))
        .await;
    assert_eq!(again.status(), 409);
    let body: Value = again.json().await.unwrap();
    assert!(
        assert_error(&body, "conflict")["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("choose another name"),
        "a taken name is said beside the name field: {body}"
    );

    // `new` is the editor's address, so no design may take it.
    let reserved = app.post_json("/api/designs", &draft("New")).await;
    assert_eq!(reserved.status(), 400);
    let body: Value = reserved.json().await.unwrap();
    assert!(assert_error(&body, "invalid_input")["fields"]["id"].is_string());
}

async fn an_invalid_design_is_refused_field_by_field(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let mut body = draft("Hand grain mill");
    body["summary"] = json!("");
    body["bill_of_materials"]["processes"][1]["inputs"][0]["quantity"]["value"] = json!(-3);
    body["bill_of_materials"]["processes"][0]["machine_time"]["unit"] = json!("kg");

    let response = app.post_json("/api/designs", &body).await;

    assert_eq!(response.status(), 400);
    let error = assert_error(&response.json().await.unwrap(), "invalid_input");
    for field in [
        "summary",
        "bill_of_materials.processes[1].inputs[0].quantity",
        "bill_of_materials.processes[0].machine_time",
    ] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    assert_eq!(app.get_json("/api/designs", 200).await["total"], 0);
}

async fn each_edit_is_a_new_revision_and_old_ones_stay_readable(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let published = app
        .post_json("/api/designs", &draft("Hand grain mill"))
        .await;
    assert_eq!(published.status(), 201, "publishing the design");

    let response = put_as(
        &app,
        &app.client,
        "/api/designs/hand-grain-mill",
        &edit(1, "Hand grain mill, long crank"),
    )
    .await;

    assert_eq!(response.status(), 200);
    let design: Value = response.json().await.unwrap();
    assert_eq!(
        (design["revision"].clone(), design["name"].clone()),
        (json!(2), json!("Hand grain mill, long crank"))
    );
    let versions = app
        .get_json("/api/designs/hand-grain-mill/versions", 200)
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[0]["revision"], 2);
    assert_eq!(versions[0]["note"], "Longer crank for less effort.");
    assert_eq!(versions[0]["credits"][0]["agent"]["id"], "ana-souza");
    assert_eq!(versions[1]["credits"][0]["role"], "author");
    let first = app
        .get_json("/api/designs/hand-grain-mill/versions/1", 200)
        .await;
    assert_eq!(
        (first["name"].clone(), first["version"].clone()),
        (json!("Hand grain mill"), json!("1.0"))
    );
    assert_eq!(
        app.get_json("/api/designs/hand-grain-mill/versions/3", 404)
            .await["error"]["code"],
        "not_found"
    );
    assert_eq!(
        app.get_json("/api/designs/hand-grain-mill/versions/first", 404)
            .await["error"]["code"],
        "not_found"
    );
}

async fn an_edit_from_a_stale_revision_is_refused_not_lost(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let published = app
        .post_json("/api/designs", &draft("Hand grain mill"))
        .await;
    assert_eq!(published.status(), 201, "publishing the design");
    let revised = put_as(
        &app,
        &app.client,
        "/api/designs/hand-grain-mill",
        &edit(1, "Mill, second"),
    )
    .await;
    assert_eq!(revised.status(), 200, "the first edit");

    let stale = put_as(
        &app,
        &app.client,
        "/api/designs/hand-grain-mill",
        &edit(1, "Mill, from an old tab"),
    )
    .await;

    assert_eq!(stale.status(), 409);
    assert!(
        assert_error(&stale.json().await.unwrap(), "conflict")["message"]
            .as_str()
            .unwrap()
            .contains("revision 2")
    );
    assert_eq!(
        app.get_json("/api/designs/hand-grain-mill", 200).await["name"],
        "Mill, second"
    );
}

async fn forking_makes_a_new_design_with_lineage_both_ways(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ana-souza").await;
    let published = app
        .post_json("/api/designs", &draft("Hand grain mill"))
        .await;
    assert_eq!(published.status(), 201, "publishing the design");
    let bo = person(&app, "bo-li").await;

    let response = post_as(
        &app,
        &bo,
        "/api/designs/hand-grain-mill/fork",
        &json!({"name": "Pedal grain mill"}),
    )
    .await;

    assert_eq!(response.status(), 201);
    let fork: Value = response.json().await.unwrap();
    assert_eq!(fork["id"], "pedal-grain-mill");
    assert_eq!(fork["lineage"]["parent"]["id"], "hand-grain-mill");
    assert_eq!(fork["contributors"][0]["agent"]["id"], "bo-li");
    assert_eq!(
        fork["bill_of_materials"],
        app.get_json("/api/designs/hand-grain-mill", 200).await["bill_of_materials"]
    );
    let original = app.get_json("/api/designs/hand-grain-mill", 200).await;
    assert_eq!(original["lineage"]["forks"][0]["id"], "pedal-grain-mill");
    assert_eq!(
        put_as(
            &app,
            &bo,
            "/api/designs/pedal-grain-mill",
            &edit(1, "Pedal mill")
        )
        .await
        .status(),
        200
    );
    let versions = app
        .get_json("/api/designs/pedal-grain-mill/versions", 200)
        .await;
    assert!(
        versions[1]["note"]
            .as_str()
            .unwrap()
            .contains("Forked from hand-grain-mill")
    );
}

async fn a_demo_account_signs_in_and_edits_only_its_own_designs(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let bundle = stigmergy_server::demo::bundle().unwrap();
    let account = &bundle.accounts[0];
    let own = bundle
        .designs
        .iter()
        .find(|d| d.contributors.iter().any(|c| c.agent == account.agent))
        .unwrap();
    let other = bundle
        .designs
        .iter()
        .find(|d| d.contributors.iter().all(|c| c.agent != account.agent))
        .unwrap();

    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"login": account.email, "password": account.password}),
        )
        .await;
    assert_eq!(login.status(), 200);

    let mut body = serde_json::to_value(&own.draft).unwrap();
    body["base_revision"] = json!(1);
    body["note"] = json!("Checked the quantities.");
    assert_eq!(
        put_as(
            &app,
            &app.client,
            &format!("/api/designs/{}", own.id),
            &body
        )
        .await
        .status(),
        200
    );
    let mut body = serde_json::to_value(&other.draft).unwrap();
    body["base_revision"] = json!(1);
    assert_eq!(
        put_as(
            &app,
            &app.client,
            &format!("/api/designs/{}", other.id),
            &body
        )
        .await
        .status(),
        403
    );
}
