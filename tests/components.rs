//! Component tests in a real browser: `cargo test --target wasm32-unknown-unknown`
//! runs them through wasm-bindgen-test-runner in headless Chromium.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use leptos_router::components::Router;
use serde_json::json;
use stigmergy_app::components::{BillOfMaterialsTable, DesignCard, FormField};
use stigmergy_app::form::FormState;
use stigmergy_app::session::return_path;
use stigmergy_core::{BillOfMaterials, DesignSummary, FieldErrors};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element in the page to mount a component into.
fn container() -> web_sys::HtmlElement {
    let element = document().create_element("div").expect("a div");
    document()
        .body()
        .expect("a body")
        .append_child(&element)
        .expect("the div is added");
    element.unchecked_into()
}

fn texts(root: &web_sys::HtmlElement, css: &str) -> Vec<String> {
    let nodes = root.query_selector_all(css).expect("a valid selector");
    (0..nodes.length())
        .filter_map(|i| nodes.item(i)?.text_content())
        .collect()
}

fn microscope_bom() -> BillOfMaterials {
    serde_json::from_value(json!({
        "processes": [
            {
                "name": "Print the stage and body",
                "process_kind": "fdm-printing",
                "machine_time": {"value": 90, "unit": "min"},
                "work": {"value": 0.5, "unit": "h"},
                "inputs": [
                    {"material": "PLA filament", "quantity": {"value": 180, "unit": "g"}}
                ]
            },
            {
                "name": "Assemble the optics",
                "process_kind": "assembly",
                "machine_time": {"value": 1, "unit": "h"},
                "work": {"value": 30, "unit": "min"},
                "inputs": [
                    {"material": "M3 screw", "quantity": {"value": 12, "unit": "piece"},
                     "note": "stainless"}
                ]
            }
        ]
    }))
    .expect("a valid bill of materials")
}

#[wasm_bindgen_test]
async fn the_bill_of_materials_lists_steps_materials_and_totals() {
    let root = container();
    let _mounted = mount_to(
        root.clone(),
        || view! { <BillOfMaterialsTable bom=microscope_bom() /> },
    );
    tick().await;

    let rows = texts(&root, "tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains("Print the stage and body"), "{rows:?}");
    assert!(rows[0].contains("FDM 3D printing"), "{rows:?}");
    assert!(rows[0].contains("180 g PLA filament"), "{rows:?}");
    assert!(rows[0].contains("90 min"), "{rows:?}");
    assert!(rows[1].contains("12 pcs M3 screw (stainless)"), "{rows:?}");
    assert_eq!(
        texts(&root, "tbody th[scope=row]"),
        ["Print the stage and body", "Assemble the optics"]
    );
    let totals = texts(&root, "tfoot td");
    assert_eq!(totals, ["2.5 h", "1 h"], "machine hours, then labour hours");
    assert!(texts(&root, "caption")[0].contains("2 steps"));
}

#[wasm_bindgen_test]
async fn a_design_card_links_to_its_page_and_its_tags_filter() {
    let design: DesignSummary = serde_json::from_value(json!({
        "id": "openflexure-lite",
        "name": "OpenFlexure Lite",
        "summary": "A smaller printed microscope.",
        "licence": "CERN-OHL-S-2.0",
        "version": "1.2",
        "processes": ["fdm-printing", "assembly"],
        "tags": ["microscopy", "lab"],
        "parent": {"id": "openflexure-microscope", "name": "OpenFlexure Microscope"},
        "updated_at": "2025-01-02T03:04:05Z"
    }))
    .expect("a valid design summary");
    let chosen = RwSignal::new(None::<String>);
    let root = container();
    let _mounted = mount_to(root.clone(), move || {
        view! {
            <Router>
                <DesignCard design=design.clone() on_tag=Callback::new(move |tag| chosen.set(Some(tag))) />
            </Router>
        }
    });
    tick().await;

    let link = root
        .query_selector("[data-testid=design-card] h2 a")
        .expect("a valid selector")
        .expect("the name is a link");
    assert_eq!(link.text_content().as_deref(), Some("OpenFlexure Lite"));
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("/designs/openflexure-lite")
    );
    let badge = root
        .query_selector(".licence-badge")
        .expect("a valid selector")
        .expect("a licence badge");
    assert_eq!(badge.text_content().as_deref(), Some("CERN-OHL-S-2.0"));
    assert!(
        badge
            .get_attribute("title")
            .is_some_and(|t| t.contains("CERN"))
    );
    assert!(
        texts(&root, ".lineage")[0].contains("Fork of OpenFlexure Microscope"),
        "the parent is named"
    );
    assert_eq!(texts(&root, ".chip"), ["FDM 3D printing", "Assembly"]);

    root.query_selector("button.tag")
        .expect("a valid selector")
        .expect("a tag button")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    assert_eq!(chosen.get_untracked().as_deref(), Some("microscopy"));
}

#[wasm_bindgen_test]
async fn a_form_field_shows_its_error_beside_it_and_marks_the_input_invalid() {
    let form = FormState::default();
    let email = RwSignal::new("ana@".to_owned());
    let root = container();
    let _mounted = mount_to(root.clone(), move || {
        view! {
            <FormField
                id="email"
                label="Email address"
                kind="email"
                autocomplete="email"
                hint=Some("To sign in with.")
                value=email
                form
            />
        }
    });
    tick().await;

    let input = root
        .query_selector("input#email")
        .expect("a valid selector")
        .expect("the input");
    assert_eq!(
        texts(&root, "label[for=email]"),
        ["Email address"],
        "the label names the input"
    );
    assert_eq!(input.get_attribute("aria-invalid"), None, "valid at first");
    assert_eq!(
        input.get_attribute("autocomplete").as_deref(),
        Some("email")
    );

    let mut errors = FieldErrors::new();
    errors.add("email", "Enter an email address like name@example.org.");
    errors.add("password", "Not this field's business.");
    form.errors.set(errors);
    tick().await;

    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        texts(&root, "#email-error"),
        ["Enter an email address like name@example.org."]
    );
    let described_by = input.get_attribute("aria-describedby").unwrap_or_default();
    let described_by: Vec<&str> = described_by.split_whitespace().collect();
    assert_eq!(described_by, ["email-hint", "email-error"]);
    assert_eq!(texts(&root, "#email-hint"), ["To sign in with."]);

    form.errors.set(FieldErrors::new());
    tick().await;
    assert_eq!(input.get_attribute("aria-invalid"), None);
    assert_eq!(texts(&root, "#email-error"), [""]);
}

#[wasm_bindgen_test]
fn signing_in_returns_only_to_paths_on_this_site() {
    assert_eq!(
        return_path(Some("/designs/openflexure")),
        "/designs/openflexure"
    );
    assert_eq!(return_path(Some("/account")), "/account");
    assert_eq!(return_path(None), "/");
    for elsewhere in [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "account",
        "",
    ] {
        assert_eq!(return_path(Some(elsewhere)), "/", "{elsewhere}");
    }
}
