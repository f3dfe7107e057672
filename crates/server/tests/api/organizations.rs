//! Organizations and coalitions over HTTP: create, ask to join, stewards
//! decide, public member lists, profiles.

use serde_json::{Value, json};

use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, assert_error, both_stores, person, post_as};

both_stores!(
    a_person_forms_a_coalition_and_stewards_it,
    asking_to_join_waits_for_a_steward_who_approves_or_declines,
    an_organization_joins_through_its_steward_only,
    bad_organizations_and_profiles_are_refused_field_by_field,
    people_are_not_organizations,
    the_demo_coalitions_are_public_and_a_demo_steward_admits_a_newcomer,
);

fn coalition() -> Value {
    json!({
        "name": "West Africa Open Hardware Coalition",
        "kind": "hub",
        "note": "Makers and fab labs sharing designs for clinics and farms.",
        "place": {"name": "Accra, Ghana", "lat": 5.6037, "lon": -0.187},
        "coalition_licences": ["CERN-OHL-S-2.0", "LicenseRef-PPL"]
    })
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

async fn a_person_forms_a_coalition_and_stewards_it(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ama-boateng").await;

    let response = app.post_json("/api/organizations", &coalition()).await;

    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created["agent"]["id"],
        "west-africa-open-hardware-coalition"
    );
    assert_eq!(
        created["coalition_licences"],
        json!(["CERN-OHL-S-2.0", "LicenseRef-PPL"])
    );
    assert_eq!(created["members"][0]["agent"]["id"], "ama-boateng");
    assert_eq!(created["members"][0]["role"], "steward");
    let listed = app.get_json("/api/coalitions", 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let profile = app.get_json("/api/agents/ama-boateng", 200).await;
    assert_eq!(
        profile["memberships"][0]["organization"]["id"],
        "west-africa-open-hardware-coalition"
    );
    assert_eq!(profile["memberships"][0]["role"], "steward");
}

async fn asking_to_join_waits_for_a_steward_who_approves_or_declines(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ama-boateng").await;
    let formed = app.post_json("/api/organizations", &coalition()).await;
    assert_eq!(formed.status(), 201, "forming the coalition");
    let kofi = person(&app, "kofi-mensah").await;
    let esi = person(&app, "esi-owusu").await;
    let path = "/api/organizations/west-africa-open-hardware-coalition";

    assert_eq!(
        post_as(&app, &kofi, &format!("{path}/join"), json!({}))
            .await
            .status(),
        202
    );
    assert_eq!(
        post_as(&app, &esi, &format!("{path}/join"), json!({}))
            .await
            .status(),
        202
    );
    let twice = post_as(&app, &kofi, &format!("{path}/join"), json!({})).await;
    assert_eq!(twice.status(), 409);

    // Only stewards see and answer requests.
    assert_eq!(
        get(&app, &kofi, &format!("{path}/requests")).await.status(),
        403
    );
    let self_approval = post_as(
        &app,
        &kofi,
        &format!("{path}/requests/kofi-mensah"),
        json!({"approve": true}),
    )
    .await;
    assert_eq!(self_approval.status(), 403);
    let waiting = app.get_json(&format!("{path}/requests"), 200).await;
    assert_eq!(waiting.as_array().unwrap().len(), 2);

    let approved = app
        .post_json(
            &format!("{path}/requests/kofi-mensah"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let declined = app
        .post_json(
            &format!("{path}/requests/esi-owusu"),
            &json!({"approve": false}),
        )
        .await;
    assert_eq!(declined.status(), 200);

    let coalition = app.get_json(path, 200).await;
    let members: Vec<&str> = coalition["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["agent"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(members, vec!["ama-boateng", "kofi-mensah"]);
    assert_eq!(
        app.get_json(&format!("{path}/requests"), 200).await,
        json!([])
    );
    // A declined request may be asked again.
    assert_eq!(
        post_as(&app, &esi, &format!("{path}/join"), json!({}))
            .await
            .status(),
        202
    );
    let again = app
        .post_json(
            &format!("{path}/requests/kofi-mensah"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(again.status(), 404, "nothing waiting from a member");
}

async fn an_organization_joins_through_its_steward_only(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ama-boateng").await;
    let formed = app.post_json("/api/organizations", &coalition()).await;
    assert_eq!(formed.status(), 201, "forming the coalition");
    let kofi = person(&app, "kofi-mensah").await;
    let fab_lab = json!({"name": "Kumasi Fab Lab", "kind": "microfactory",
        "place": {"name": "Kumasi, Ghana", "lat": 6.6885, "lon": -1.6244}});
    assert_eq!(
        post_as(&app, &kofi, "/api/organizations", fab_lab)
            .await
            .status(),
        201
    );
    let esi = person(&app, "esi-owusu").await;
    let path = "/api/organizations/west-africa-open-hardware-coalition/join";

    let not_theirs = post_as(&app, &esi, path, json!({"member": "kumasi-fab-lab"})).await;
    let as_person = post_as(&app, &esi, path, json!({"member": "kofi-mensah"})).await;
    let by_steward = post_as(&app, &kofi, path, json!({"member": "kumasi-fab-lab"})).await;

    assert_eq!(not_theirs.status(), 403);
    assert_eq!(as_person.status(), 403);
    assert_eq!(by_steward.status(), 202);
    let approved = app
        .post_json(
            "/api/organizations/west-africa-open-hardware-coalition/requests/kumasi-fab-lab",
            &json!({"approve": true, "role": "member"}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let fab = app.get_json("/api/agents/kumasi-fab-lab", 200).await;
    assert_eq!(
        fab["memberships"][0]["organization"]["id"],
        "west-africa-open-hardware-coalition"
    );
}

async fn bad_organizations_and_profiles_are_refused_field_by_field(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ama-boateng").await;
    let mut bad = coalition();
    bad["kind"] = json!("person");
    bad["place"]["lat"] = json!(95.0);
    bad["coalition_licences"] = json!([]);

    let response = app.post_json("/api/organizations", &bad).await;

    assert_eq!(response.status(), 400);
    let error = assert_error(&response.json().await.unwrap(), "invalid_input");
    for field in ["kind", "place.lat", "coalition_licences"] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    let unknown_licence = {
        let mut body = coalition();
        body["coalition_licences"] = json!(["Proprietary"]);
        app.post_json("/api/organizations", &body).await
    };
    assert_eq!(unknown_licence.status(), 422);
    let profile = app
        .client
        .put(app.url("/api/me/profile"))
        .header("x-stigmergy-csrf", "1")
        .json(&json!({"name": "Ama Boateng", "place": {"name": "Accra", "lat": 5.6, "lon": 181}}))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 400);
    let good = app
        .client
        .put(app.url("/api/me/profile"))
        .header("x-stigmergy-csrf", "1")
        .json(&json!({"name": "Ama Boateng", "note": "Biomedical technician.", "place": {"name": "Accra, Ghana", "lat": 5.6037, "lon": -0.187}}))
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 200);
    let me = app.get_json("/api/agents/ama-boateng", 200).await;
    assert_eq!(me["agent"]["place"]["name"], "Accra, Ghana");
    assert_eq!(me["agent"]["name"], "Ama Boateng");
}

async fn people_are_not_organizations(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    app.register("ama-boateng").await;
    let kofi = person(&app, "kofi-mensah").await;

    assert_eq!(
        app.get_json("/api/organizations/kofi-mensah", 404).await["error"]["code"],
        "not_found"
    );
    assert_eq!(
        post_as(
            &app,
            &kofi,
            "/api/organizations/ama-boateng/join",
            json!({})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get_json("/api/agents/nobody-here", 404).await["error"]["code"],
        "not_found"
    );
}

async fn the_demo_coalitions_are_public_and_a_demo_steward_admits_a_newcomer(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let bundle = stigmergy_server::demo::bundle().unwrap();
    let coalitions = app.get_json("/api/coalitions", 200).await;
    assert_eq!(
        coalitions.as_array().unwrap().len(),
        bundle.coalitions.len()
    );
    let africa = app
        .get_json("/api/organizations/open-hardware-africa", 200)
        .await;
    assert!(africa["members"].as_array().unwrap().len() >= 5);
    let newcomer = person(&app, "wanjiku-kamau").await;
    assert_eq!(
        post_as(
            &app,
            &newcomer,
            "/api/organizations/open-hardware-africa/join",
            json!({})
        )
        .await
        .status(),
        202
    );

    let steward = bundle
        .accounts
        .iter()
        .find(|a| a.agent.as_str() == "amara-okafor")
        .unwrap();
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"login": steward.email, "password": steward.password}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let decided = app
        .post_json(
            "/api/organizations/open-hardware-africa/requests/wanjiku-kamau",
            &json!({"approve": true}),
        )
        .await;

    assert_eq!(decided.status(), 200);
    let members = decided.json::<Value>().await.unwrap()["members"].clone();
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["agent"]["id"] == "wanjiku-kamau")
    );
}
