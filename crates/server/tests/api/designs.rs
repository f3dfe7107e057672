//! `/api/designs`, `/api/designs/{id}` and `/api/facets` over real HTTP.

use std::collections::HashSet;

use serde_json::Value;

use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, assert_error, both_stores, demo_design_count};

both_stores!(
    the_first_page_lists_demo_designs_with_their_summary_fields,
    paging_with_the_cursor_visits_every_design_once_in_name_order,
    a_search_narrows_the_list_to_designs_that_mention_every_word,
    like_wildcards_in_a_search_are_taken_literally,
    each_filter_keeps_only_designs_that_have_the_value,
    filters_combine_with_search,
    bad_query_parameters_get_400_naming_each_field,
    a_design_comes_with_its_bill_of_materials_contributors_and_lineage,
    an_unknown_design_is_404_in_the_envelope,
    facets_count_what_the_commons_holds,
    an_empty_commons_lists_nothing_without_error,
    the_openapi_document_describes_every_route_and_the_shapes_served,
);

fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().expect("items is an array")
}

fn names(page: &Value) -> Vec<String> {
    items(page)
        .iter()
        .map(|d| d["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn the_first_page_lists_demo_designs_with_their_summary_fields(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    let page = app.get_json("/api/designs", 200).await;

    assert_eq!(page["total"], demo_design_count());
    assert!(demo_design_count() >= 40);
    assert_eq!(items(&page).len(), 24, "the default page size");
    assert!(page["next_cursor"].is_string());
    for design in items(&page) {
        for field in [
            "id",
            "name",
            "summary",
            "licence",
            "processes",
            "tags",
            "version",
        ] {
            assert!(!design[field].is_null(), "{field} missing in {design}");
        }
        assert!(!design["processes"].as_array().unwrap().is_empty());
    }
}

async fn paging_with_the_cursor_visits_every_design_once_in_name_order(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let mut seen = Vec::new();
    let mut path = "/api/designs?limit=7".to_owned();

    loop {
        let page = app.get_json(&path, 200).await;
        assert!(items(&page).len() <= 7);
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/designs?limit=7&cursor={cursor}"),
            None => break,
        }
    }

    assert_eq!(seen.len() as u64, demo_design_count());
    let mut sorted = seen.clone();
    sorted.sort_by_key(|name| name.to_lowercase());
    assert_eq!(seen, sorted);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        seen.len(),
        "no design twice"
    );
}

async fn a_search_narrows_the_list_to_designs_that_mention_every_word(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    let page = app
        .get_json("/api/designs?q=MICROSCOPE&limit=100", 200)
        .await;

    let total = page["total"].as_u64().unwrap();
    assert!(total >= 1 && total < demo_design_count(), "total {total}");
    assert_eq!(items(&page).len() as u64, total);
    for design in items(&page) {
        let id = design["id"].as_str().unwrap();
        let whole = app.get_json(&format!("/api/designs/{id}"), 200).await;
        assert!(
            whole.to_string().to_lowercase().contains("microscope"),
            "{id} does not mention it"
        );
    }
    let none = app
        .get_json("/api/designs?q=microscope%20zeppelin", 200)
        .await;
    assert_eq!(none["total"], 0);
    assert!(items(&none).is_empty());
    assert!(none["next_cursor"].is_null());
}

async fn like_wildcards_in_a_search_are_taken_literally(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    let percent = app.get_json("/api/designs?q=%25%25%25", 200).await;
    let underscore = app.get_json("/api/designs?q=_____", 200).await;

    assert_eq!(percent["total"], 0, "%%% must not match everything");
    assert_eq!(
        underscore["total"], 0,
        "_____ must not match every five letters"
    );
}

async fn each_filter_keeps_only_designs_that_have_the_value(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let facets = app.get_json("/api/facets", 200).await;

    for (param, facet, field) in [
        ("licence", "licences", Some("licence")),
        ("process", "processes", Some("processes")),
        ("tag", "tags", Some("tags")),
        ("material", "materials", None),
    ] {
        let top = &facets[facet][0];
        let value = top["value"].as_str().unwrap();
        let path = format!(
            "/api/designs?limit=100&{param}={}",
            stigmergy_core::query::encode(value)
        );
        let page = app.get_json(&path, 200).await;
        assert_eq!(
            page["total"], top["count"],
            "{param}={value}: the facet count is the filtered total"
        );
        for design in items(&page) {
            if let Some(field) = field {
                let has = match &design[field] {
                    Value::Array(values) => values.iter().any(|v| v == value),
                    other => other == value,
                };
                assert!(has, "{param}={value} let through {}", design["id"]);
            }
        }
    }
}

async fn filters_combine_with_search(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    let all_laser = app
        .get_json("/api/designs?process=laser-cutting&limit=100", 200)
        .await;
    let laser_shields = app
        .get_json("/api/designs?process=laser-cutting&q=shield&limit=100", 200)
        .await;

    assert!(laser_shields["total"].as_u64() <= all_laser["total"].as_u64());
    for design in items(&laser_shields) {
        assert!(
            design["processes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == "laser-cutting")
        );
    }
}

async fn bad_query_parameters_get_400_naming_each_field(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=many", "limit"),
        ("licence=Proprietary", "licence"),
        ("process=teleportation", "process"),
        ("cursor=not-a-cursor", "cursor"),
    ] {
        let body = app.get_json(&format!("/api/designs?{query}"), 400).await;
        let error = assert_error(&body, "invalid_input");
        assert!(error["fields"][field].is_string(), "{query}: {body}");
    }
    let body = app.get_json("/api/designs?q=a&q=b", 400).await;
    assert_error(&body, "invalid_query");
}

async fn a_design_comes_with_its_bill_of_materials_contributors_and_lineage(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let bundle = stigmergy_server::demo::bundle().unwrap();
    let fork = bundle
        .designs
        .iter()
        .find(|d| d.parent.is_some())
        .expect("the demo has forks");
    let parent_id = fork.parent.as_ref().unwrap().as_str();

    let design = app
        .get_json(&format!("/api/designs/{}", fork.id), 200)
        .await;
    let parent = app
        .get_json(&format!("/api/designs/{parent_id}"), 200)
        .await;

    assert_eq!(design["name"], fork.draft.name.as_str());
    let processes = design["bill_of_materials"]["processes"].as_array().unwrap();
    assert_eq!(
        processes.len(),
        fork.draft.bill_of_materials.processes.len()
    );
    assert!(processes[0]["process_kind"].is_string());
    assert_eq!(
        design["contributors"].as_array().unwrap().len(),
        fork.contributors.len()
    );
    let first = &design["contributors"][0];
    assert_eq!(first["agent"]["id"], fork.contributors[0].agent.as_str());
    assert!(first["agent"]["place"]["lat"].is_f64());
    assert_eq!(design["lineage"]["parent"]["id"], parent_id);
    let forks = parent["lineage"]["forks"].as_array().unwrap();
    assert!(
        forks.iter().any(|f| f["id"] == fork.id.as_str()),
        "the parent lists its fork"
    );
}

async fn an_unknown_design_is_404_in_the_envelope(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    for id in ["no-such-design", "Not%20An%20Id", "..%2Fetc"] {
        let body = app.get_json(&format!("/api/designs/{id}"), 404).await;
        assert_error(&body, "not_found");
    }
}

async fn facets_count_what_the_commons_holds(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    let facets = app.get_json("/api/facets", 200).await;

    let licence_total: u64 = facets["licences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        licence_total,
        demo_design_count(),
        "every design has one licence"
    );
    for list in ["processes", "materials", "tags"] {
        let counts: Vec<u64> = facets[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["count"].as_u64().unwrap())
            .collect();
        assert!(!counts.is_empty(), "{list}");
        assert!(
            counts.windows(2).all(|w| w[0] >= w[1]),
            "{list} most used first"
        );
    }
}

async fn an_empty_commons_lists_nothing_without_error(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    let page = app.get_json("/api/designs", 200).await;

    assert_eq!(
        page,
        serde_json::json!({"items": [], "next_cursor": null, "total": 0})
    );
}

async fn the_openapi_document_describes_every_route_and_the_shapes_served(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    let doc = app.get_json("/api/openapi.json", 200).await;

    for path in [
        "/api/designs",
        "/api/designs/{id}",
        "/api/facets",
        "/api/health",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} is not documented"
        );
    }
    let params: Vec<&str> = doc["paths"]["/api/designs"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "q", "licence", "process", "material", "tag", "cursor", "limit",
    ] {
        assert!(params.contains(&name), "parameter {name} is not documented");
    }
    // What the server sends has the fields the document requires.
    let schemas = &doc["components"]["schemas"];
    let page = app.get_json("/api/designs?limit=1", 200).await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let design = app.get_json(&format!("/api/designs/{id}"), 200).await;
    for (schema, value) in [("DesignSummary", &page["items"][0]), ("Design", &design)] {
        for field in schemas[schema]["required"].as_array().unwrap() {
            let field = field.as_str().unwrap();
            assert!(
                value.get(field).is_some(),
                "{schema}.{field} is required but not sent"
            );
        }
    }
}
