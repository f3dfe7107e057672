//! Who may write what, on both stores: every mutating operation the OpenAPI
//! document lists is tried by nobody, by a signed-in stranger and by the one
//! it belongs to, who also tries it once without the CSRF header a browser
//! write must carry. A refused attempt changes nothing anyone can read. The
//! table of cases is checked against the document, so a new write endpoint
//! without a row here fails this test.

use std::cell::Cell;
use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use stigmergy_server::store::Backend;

use crate::design_writes::{draft, edit};
use crate::helpers::{
    DEMO_PASSWORD, PASSWORD, Seed, TestApp, assert_error, both_stores, demo_account, person,
    post_as, send_as,
};
use crate::needs::due;

both_stores!(every_mutating_endpoint_refuses_whoever_it_does_not_belong_to);

const OHA: &str = "open-hardware-africa";

/// Writes anyone may send, signed in or not: they act only on the sender.
const PUBLIC: &[(&str, &str)] = &[
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Stranger,
    Owner,
}

/// One mutating operation on one concrete resource.
struct Case {
    method: Method,
    /// The path as the OpenAPI document writes it.
    template: &'static str,
    path: String,
    body: Box<dyn Fn(Who) -> Value>,
    /// Who succeeds; everyone else is refused.
    allowed: &'static [Who],
}

fn case(
    method: Method,
    template: &'static str,
    path: impl Into<String>,
    allowed: &'static [Who],
    body: impl Fn(Who) -> Value + 'static,
) -> Case {
    Case {
        method,
        template,
        path: path.into(),
        body: Box::new(body),
        allowed,
    }
}

const OWNER: &[Who] = &[Who::Owner];
const SIGNED_IN: &[Who] = &[Who::Stranger, Who::Owner];
const STRANGER: &[Who] = &[Who::Stranger];

/// The mutating operations of the OpenAPI document, as (METHOD, path).
async fn mutating_operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let document = app.get_json("/api/openapi.json", 200).await;
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// What anyone can read that the writes below could change, as one text.
/// Sessions are counted rather than shown: every request touches one.
async fn readable_state(app: &TestApp, owner: &reqwest::Client, needs: &[u64]) -> String {
    let mut paths: Vec<String> = [
        "/api/designs?q=mill",
        "/api/designs/hand-grain-mill",
        "/api/designs/hand-grain-mill/versions",
        "/api/needs",
        "/api/capacities",
        "/api/organizations/grain-makers",
        "/api/agents/amara-okafor",
        "/api/agents/bo-li",
        "/api/coalitions/open-hardware-africa/ledger/export",
        "/api/coalitions/open-hardware-africa/value-equations",
        "/api/coalitions/open-hardware-africa/accounts",
        "/api/coalitions/grain-makers/accounts",
    ]
    .map(String::from)
    .to_vec();
    paths.extend(needs.iter().map(|n| format!("/api/needs/{n}/claims")));
    let mut state = String::new();
    for path in paths {
        let response = owner.get(app.url(&path)).send().await.unwrap();
        state.push_str(&format!("{path} {}\n", response.status()));
        state.push_str(&response.text().await.unwrap());
    }
    for path in ["/api/me/tokens", "/api/organizations/grain-makers/requests"] {
        let response = owner.get(app.url(path)).send().await.unwrap();
        state.push_str(&format!("{path} {}\n", response.status()));
        state.push_str(&response.text().await.unwrap());
    }
    let sessions: Value = owner
        .get(app.url("/api/me/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state.push_str(&format!(
        "sessions {}\n",
        sessions.as_array().map_or(0, Vec::len)
    ));
    state
}

async fn created_id(response: reqwest::Response, what: &str) -> u64 {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{what}: {body}");
    body["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: {body}"))
}

async fn step(app: &TestApp, client: &reqwest::Client, claim: u64, action: &str) {
    let response = post_as(
        app,
        client,
        &format!("/api/claims/{claim}/{action}"),
        json!({}),
    )
    .await;
    assert_eq!(response.status(), 200, "{action} claim {claim}");
}

async fn every_mutating_endpoint_refuses_whoever_it_does_not_belong_to(backend: Backend) {
    // Arrange. The owner is the demo steward of Open Hardware Africa, whose
    // ledger is open; she publishes a design, forms a second coalition
    // (without a ledger), declares a need and claims the stranger's.
    let app = TestApp::for_backend(backend, Seed::Demo).await;
    let owner = demo_account(&app, "amara-okafor").await;
    let stranger = person(&app, "bo-li").await;
    let maker = person(&app, "cy-mensah").await;
    let anonymous = app.other_client();

    let published = post_as(&app, &owner, "/api/designs", draft("Hand grain mill")).await;
    assert_eq!(published.status(), 201, "publishing the design");
    let token: Value = post_as(&app, &owner, "/api/me/tokens", json!({"name": "sync"}))
        .await
        .json()
        .await
        .unwrap();
    let token_id = token["id"].as_str().unwrap().to_owned();
    let coalition = json!({
        "id": "grain-makers", "name": "Grain Makers", "kind": "cooperative",
        "place": {"name": "Nakuru, Kenya", "lat": -0.3031, "lon": 36.08},
        "coalition_licences": ["CERN-OHL-S-2.0"]
    });
    let formed = post_as(&app, &owner, "/api/organizations", &coalition).await;
    assert_eq!(formed.status(), 201, "forming the coalition");

    let need = |coalition: Option<&str>| {
        let mut need = json!({
            "resource": "Sterile gauze pads, 10 cm",
            "quantity": {"value": 50.0, "unit": "piece"},
            "due": due(30),
            "place": {"name": "Kumasi, Ghana", "lat": 6.69, "lon": -1.62},
        });
        if let Some(coalition) = coalition {
            need["coalition"] = json!(coalition);
        }
        need
    };
    let owners_need = created_id(
        post_as(&app, &owner, "/api/needs", need(None)).await,
        "need",
    )
    .await;
    let strangers_need = created_id(
        post_as(&app, &stranger, "/api/needs", need(None)).await,
        "need",
    )
    .await;
    let asked = created_id(
        post_as(&app, &stranger, "/api/needs", need(Some(OHA))).await,
        "an ask of the coalition",
    )
    .await;
    let claim_on = |need: u64| format!("/api/needs/{need}/claims");
    let five = json!({"quantity": 5.0});
    // The owner makes for the stranger: one claim to take through its
    // steps, one to give up.
    let making = created_id(
        post_as(&app, &owner, &claim_on(strangers_need), &five).await,
        "claim",
    )
    .await;
    let giving_up = created_id(
        post_as(&app, &owner, &claim_on(strangers_need), &five).await,
        "claim",
    )
    .await;
    // A maker makes for the owner: one delivered, to confirm; one to decline.
    let delivered = created_id(
        post_as(&app, &maker, &claim_on(owners_need), &five).await,
        "claim",
    )
    .await;
    step(&app, &maker, delivered, "start").await;
    step(&app, &maker, delivered, "deliver").await;
    let declining = created_id(
        post_as(&app, &maker, &claim_on(owners_need), &five).await,
        "claim",
    )
    .await;

    // A second session of the owner's, to end from the first.
    let phone = demo_account(&app, "amara-okafor").await;
    let sessions: Value = owner
        .get(app.url("/api/me/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let phone_session = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let export = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/export"), 200)
        .await;
    let currency = export["currency"].as_str().unwrap().to_owned();
    let contribution = export["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["unit"] != currency.as_str() && e["quantity"].as_f64() > Some(0.0))
        .expect("a contribution in kind in the demo ledger")["seq"]
        .as_u64()
        .unwrap();
    let equation = app
        .get_json(&format!("/api/coalitions/{OHA}/value-equations"), 200)
        .await[0]
        .clone();
    let year: i32 = chrono::Utc::now().format("%Y").to_string().parse().unwrap();

    let revision = std::rc::Rc::new(Cell::new(1));
    let next_revision = revision.clone();
    let cases = vec![
        case(
            Method::POST,
            "/api/designs",
            "/api/designs",
            SIGNED_IN,
            move |who| draft(&format!("Grain mill by {who:?}")),
        ),
        case(
            Method::PUT,
            "/api/designs/{id}",
            "/api/designs/hand-grain-mill",
            OWNER,
            move |who| edit(next_revision.get(), &format!("Mill edited by {who:?}")),
        ),
        case(
            Method::POST,
            "/api/designs/{id}/fork",
            "/api/designs/hand-grain-mill/fork",
            SIGNED_IN,
            |who| json!({"name": format!("Pedal mill by {who:?}")}),
        ),
        case(
            Method::POST,
            "/api/me/tokens",
            "/api/me/tokens",
            SIGNED_IN,
            |_| json!({"name": "backup"}),
        ),
        case(
            Method::DELETE,
            "/api/me/tokens/{id}",
            format!("/api/me/tokens/{token_id}"),
            OWNER,
            |_| Value::Null,
        ),
        case(
            Method::POST,
            "/api/organizations",
            "/api/organizations",
            SIGNED_IN,
            |who| {
                json!({"name": format!("{who:?} Fab Lab"), "kind": "cooperative",
                       "place": {"name": "Nakuru, Kenya", "lat": -0.3031, "lon": 36.08}})
            },
        ),
        // The steward is a member already; the stranger asks to join.
        case(
            Method::POST,
            "/api/organizations/{id}/join",
            "/api/organizations/grain-makers/join",
            STRANGER,
            |_| json!({}),
        ),
        case(
            Method::POST,
            "/api/organizations/{id}/requests/{member}",
            "/api/organizations/grain-makers/requests/bo-li",
            OWNER,
            |_| json!({"approve": true}),
        ),
        case(
            Method::PUT,
            "/api/me/profile",
            "/api/me/profile",
            SIGNED_IN,
            |who| json!({"name": format!("{who:?} of Kumasi")}),
        ),
        case(
            Method::POST,
            "/api/needs",
            "/api/needs",
            SIGNED_IN,
            move |_| need(None),
        ),
        // Others claim a need; whoever declared it does not.
        case(
            Method::POST,
            "/api/needs/{id}/claims",
            claim_on(owners_need),
            STRANGER,
            |_| json!({"quantity": 1.0}),
        ),
        case(
            Method::POST,
            "/api/capacities",
            "/api/capacities",
            SIGNED_IN,
            |_| {
                json!({"processes": ["assembly"], "rate": 10.0, "available_from": due(0),
                   "radius_km": 100.0,
                   "place": {"name": "Kumasi, Ghana", "lat": 6.69, "lon": -1.62}})
            },
        ),
        // The maker's steps and the receiver's: the stranger receives the
        // owner's making, and is neither side of the maker's claims.
        case(
            Method::POST,
            "/api/claims/{id}/{action}",
            format!("/api/claims/{making}/start"),
            OWNER,
            |_| json!({}),
        ),
        case(
            Method::POST,
            "/api/claims/{id}/{action}",
            format!("/api/claims/{making}/deliver"),
            OWNER,
            |_| json!({}),
        ),
        case(
            Method::POST,
            "/api/claims/{id}/{action}",
            format!("/api/claims/{delivered}/confirm"),
            OWNER,
            |_| json!({}),
        ),
        case(
            Method::POST,
            "/api/claims/{id}/{action}",
            format!("/api/claims/{declining}/decline"),
            OWNER,
            |_| json!({"reason": "We found gauze in the hospital store."}),
        ),
        case(
            Method::POST,
            "/api/claims/{id}/{action}",
            format!("/api/claims/{giving_up}/withdraw"),
            OWNER,
            |_| json!({}),
        ),
        case(
            Method::POST,
            "/api/coalitions/{id}/asks/{need}",
            format!("/api/coalitions/{OHA}/asks/{asked}"),
            OWNER,
            |_| json!({"accept": true}),
        ),
        case(
            Method::POST,
            "/api/coalitions/{id}/ledger/open",
            "/api/coalitions/grain-makers/ledger/open",
            OWNER,
            |_| json!({"currency": "KES"}),
        ),
        case(
            Method::POST,
            "/api/coalitions/{id}/ledger",
            format!("/api/coalitions/{OHA}/ledger"),
            OWNER,
            move |_| {
                json!({"action": "transfer", "provider": "komfo-anokye-hospital",
                       "receiver": "@treasury", "resource": currency, "quantity": 120,
                       "unit": currency, "category": "donation",
                       "note": "For the visor press"})
            },
        ),
        case(
            Method::POST,
            "/api/coalitions/{id}/ledger/{seq}/void",
            format!("/api/coalitions/{OHA}/ledger/{contribution}/void"),
            OWNER,
            |_| json!({"reason": "Counted twice in the spring audit."}),
        ),
        case(
            Method::POST,
            "/api/coalitions/{id}/value-equations",
            format!("/api/coalitions/{OHA}/value-equations"),
            OWNER,
            move |_| {
                let mut equation = equation.clone();
                equation["commons_share"] = json!(0.15);
                equation
            },
        ),
        case(
            Method::PUT,
            "/api/coalitions/{id}/budgets/{year}",
            format!("/api/coalitions/{OHA}/budgets/{year}"),
            OWNER,
            move |_| {
                json!([{"year": year, "direction": "income", "category": "grant",
                        "amount": 30000}])
            },
        ),
        // Sessions: one's own only; the stranger's id for the owner's
        // phone is someone else's session, so it is not found.
        case(
            Method::DELETE,
            "/api/me/sessions/{id}",
            format!("/api/me/sessions/{phone_session}"),
            OWNER,
            |_| Value::Null,
        ),
        case(
            Method::POST,
            "/api/me/sessions/end-others",
            "/api/me/sessions/end-others",
            SIGNED_IN,
            |_| json!({}),
        ),
        case(
            Method::PUT,
            "/api/me/password",
            "/api/me/password",
            SIGNED_IN,
            |who| {
                let current = if who == Who::Owner {
                    DEMO_PASSWORD
                } else {
                    PASSWORD
                };
                json!({"current_password": current,
                   "new_password": "a longer walk along the river Pra"})
            },
        ),
    ];

    // The table covers the document, and the document the table.
    let covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_string(), c.template.to_owned()))
        .chain(PUBLIC.iter().map(|(m, p)| (m.to_string(), p.to_string())))
        .collect();
    assert_eq!(
        covered,
        mutating_operations(&app).await,
        "every mutating operation in the OpenAPI document has a case here"
    );
    for action in stigmergy_core::needs::ClaimAction::ALL {
        assert!(
            cases
                .iter()
                .any(|c| c.path.ends_with(&format!("/{}", action.slug()))),
            "a case for the claim step {}",
            action.slug()
        );
    }

    // Act and assert, case by case.
    let needs = [owners_need, strangers_need, asked];
    let mut wrong = Vec::new();
    for case in &cases {
        let before = readable_state(&app, &owner, &needs).await;
        let send = |client: &reqwest::Client, who: Who, csrf: bool| {
            let mut request = client.request(case.method.clone(), app.url(&case.path));
            if csrf {
                request = request.header("x-stigmergy-csrf", "1");
            }
            let body = (case.body)(who);
            if !body.is_null() {
                request = request.json(&body);
            }
            request.send()
        };
        let what = format!("{} {}", case.method, case.path);

        let nobody = send(&anonymous, Who::Anonymous, true).await.unwrap();
        if nobody.status() != 401 {
            wrong.push(format!("{what} by nobody: {} (not 401)", nobody.status()));
        }
        let unprotected = send(&owner, Who::Owner, false).await.unwrap();
        if unprotected.status() == 403 {
            assert_error(&unprotected.json().await.unwrap(), "csrf");
        } else {
            wrong.push(format!(
                "{what} without the CSRF header: {}",
                unprotected.status()
            ));
        }
        if readable_state(&app, &owner, &needs).await != before {
            wrong.push(format!(
                "{what}: a refused attempt changed what others read"
            ));
        }
        let by_stranger = send(&stranger, Who::Stranger, true).await.unwrap();
        let stranger_may = case.allowed.contains(&Who::Stranger);
        match (by_stranger.status().as_u16(), stranger_may) {
            (200..=299, true) | (401 | 403 | 404 | 409, false) => {}
            (status, _) => wrong.push(format!(
                "{what} by a stranger: {status}: {}",
                by_stranger.text().await.unwrap()
            )),
        }
        if !stranger_may {
            let after = readable_state(&app, &owner, &needs).await;
            if after != before {
                wrong.push(format!(
                    "{what}: a refused attempt changed what others read"
                ));
            }
        }
        let by_owner = send(&owner, Who::Owner, true).await.unwrap();
        let status = by_owner.status();
        match (status.is_success(), case.allowed.contains(&Who::Owner)) {
            (true, true) | (false, false) => {}
            _ => wrong.push(format!(
                "{what} by the owner: {status}: {}",
                by_owner.text().await.unwrap()
            )),
        }
        if case.method == Method::PUT && case.template == "/api/designs/{id}" && status.is_success()
        {
            revision.set(revision.get() + 1);
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // The owner's writes took effect; the phone's session ended.
    assert_eq!(
        app.get_json("/api/designs/hand-grain-mill", 200).await["name"],
        "Mill edited by Owner"
    );
    let phone_me = phone.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(phone_me.status(), 401);

    // The public writes work for nobody and act only on the sender.
    let newcomer = app.other_client();
    let registered = send_as(
        &app,
        &newcomer,
        Method::POST,
        "/api/auth/register",
        &json!({"handle": "dede-asare", "email": "dede@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(registered.status(), 201);
    let out = send_as(
        &app,
        &newcomer,
        Method::POST,
        "/api/auth/logout",
        &json!({}),
    )
    .await;
    assert_eq!(out.status(), 204);
    let back = send_as(
        &app,
        &newcomer,
        Method::POST,
        "/api/auth/login",
        &json!({"login": "dede-asare", "password": PASSWORD}),
    )
    .await;
    assert_eq!(back.status(), 200);
}
