//! The OpenAPI document tells the truth: enums spelled as serde sends them,
//! and every operation lists the statuses the layers in front of it answer
//! (`scripts/fuzz-api` checks the rest against the running server).

use serde_json::Value;
use stigmergy_core::ProcessKind;

use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, assert_error, both_stores, person};

both_stores!(
    the_document_spells_process_kinds_as_the_api_sends_them,
    every_operation_lists_the_statuses_its_extractors_and_layers_answer,
    a_body_that_is_not_json_gets_the_documented_415,
);

async fn document(app: &TestApp) -> Value {
    app.get_json("/api/openapi.json", 200).await
}

async fn the_document_spells_process_kinds_as_the_api_sends_them(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let doc = document(&app).await;
    let documented: Vec<&str> = doc["components"]["schemas"]["ProcessKind"]["enum"]
        .as_array()
        .expect("ProcessKind is an enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let sent: Vec<&str> = ProcessKind::ALL.iter().map(|k| k.slug()).collect();
    assert_eq!(documented, sent);
}

async fn every_operation_lists_the_statuses_its_extractors_and_layers_answer(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let responses = operation["responses"].as_object().unwrap();
            let lists = |status: &str| responses.contains_key(status);
            let at = format!("{method} {path}");
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(lists(status), "{at} lists {status}");
                }
            }
            if path.contains('{') {
                assert!(lists("400") && lists("404"), "{at} lists 400 and 404");
            }
            if method != "get" && !path.starts_with("/api/auth/") {
                assert!(lists("401") && lists("403"), "{at} lists 401 and 403");
            }
            assert!(lists("500") && lists("503"), "{at} lists 500 and 503");
        }
    }
    assert!(operations > 50, "{operations} operations");
    // The shared responses point at the error envelope.
    let shared = &doc["components"]["responses"]["UnsupportedMediaType"];
    assert_eq!(
        shared["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
}

async fn a_body_that_is_not_json_gets_the_documented_415(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;
    let maker = person(&app, "kwame-asante").await;
    let response = maker
        .post(app.url("/api/capacities"))
        .header("x-stigmergy-csrf", "1")
        .header("content-type", "text/plain")
        .body("rate=5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_error(&response.json().await.unwrap(), "unsupported_media_type");
    let doc = document(&app).await;
    assert!(doc["paths"]["/api/capacities"]["post"]["responses"]["415"].is_object());
}
