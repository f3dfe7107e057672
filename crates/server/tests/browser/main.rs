//! End-to-end tests in headless Chromium against the release build of the
//! app (`dist/`, built by `scripts/build-app`), served by the real server
//! with the demo commons. They fail, never skip, when the build, Chromium or
//! chromedriver is missing.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod accounts;
mod budgets;
mod chromium;
mod chunks;
mod coalitions;
mod designs;
mod map;
mod needs;
mod phone;

use std::time::{Duration, Instant};

use chromium::{Driver, dist};
use fantoccini::{Client, Locator};
use helpers::{PASSWORD, Seed, TestApp, TestDb};
use serde_json::json;
use stigmergy_server::store::Backend;

const PATIENCE: Duration = Duration::from_secs(15);

/// A headless Chromium session, with the server it talks to.
struct Browser {
    client: Client,
    app: TestApp,
    _driver: Driver,
}

impl Browser {
    async fn start() -> Browser {
        Browser::start_on(Backend::Sqlite).await
    }

    /// A browser on a server with the demo commons on a fresh database of
    /// `backend`.
    async fn start_on(backend: Backend) -> Browser {
        let app = TestApp::spawn_on(TestDb::for_backend(backend).await, Seed::Demo, dist()).await;
        let (client, driver) = Browser::session().await;
        Browser {
            client,
            app,
            _driver: driver,
        }
    }

    /// Another browser (its own profile and cookies) on the same server.
    async fn another(&self) -> (Client, Driver) {
        Browser::session().await
    }

    /// A fresh headless Chromium under its own chromedriver.
    async fn session() -> (Client, Driver) {
        chromium::session().await
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&self.app.url(path))
            .await
            .expect("navigation");
    }

    /// Waits until `css` matches an element, and returns it.
    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .every(Duration::from_millis(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    /// The texts of the elements `css` matches now (see [`texts_in`]).
    async fn texts(&self, css: &str) -> Vec<String> {
        texts_in(&self.client, css).await
    }

    /// Waits until `check` holds for the texts of the elements `css` matches.
    async fn until(&self, css: &str, what: &str, check: impl Fn(&[String]) -> bool) -> Vec<String> {
        let started = Instant::now();
        loop {
            let texts = self.texts(css).await;
            if check(&texts) {
                return texts;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "timed out waiting for {what}; {css} shows {texts:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Types `text` into the input `css` matches.
    async fn fill(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Clicks the element `css` matches. Live pages may redraw it between
    /// finding and clicking; then it is found again.
    async fn click(&self, css: &str) {
        let started = Instant::now();
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) if e.to_string().contains("stale") && started.elapsed() < PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot click {css}: {e}"),
            }
        }
    }

    /// Waits until the address bar shows `path` (and any query).
    async fn until_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            let url = self
                .client
                .current_url()
                .await
                .expect("the current address");
            if url.path() == path {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "timed out waiting for {path}; the browser is at {url}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The visible text of the one element `css` matches, once it is there
    /// ("" when hidden); a WebDriver error fails the test.
    async fn text(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if e.is_stale_element_reference() && started.elapsed() < PATIENCE => {}
                Err(e) => panic!("cannot read {css}: {e}"),
            }
        }
    }

    /// Waits until the header has heard from the server who is signed in
    /// (it shows neither "Sign in" nor a name before), so that what the page
    /// leaves out for this visitor is left out on purpose, not yet to come.
    async fn until_session_known(&self) {
        self.until(
            "[data-testid=account-menu]",
            "the header's account links",
            |t| t.iter().any(|t| !t.trim().is_empty()),
        )
        .await;
    }

    /// Signs up through the form, and waits for the account page.
    async fn sign_up(&self, handle: &str, name: &str) {
        self.goto("/signup").await;
        self.fill("#handle", handle).await;
        self.fill("#name", name).await;
        self.fill("#email", &format!("{handle}@example.org")).await;
        self.fill("#password", PASSWORD).await;
        self.click("form button[type=submit]").await;
        self.until_path("/account").await;
        self.until("[data-testid=account-handle]", "the new account", |t| {
            t.iter().any(|t| t == handle)
        })
        .await;
    }

    /// The name the header shows for the signed-in person, once it shows one.
    async fn header_name(&self) -> String {
        self.until("[data-testid=account-link]", "a name in the header", |t| {
            t.iter().any(|t| !t.is_empty())
        })
        .await
        .concat()
    }

    async fn api_total(&self, query: &str) -> u64 {
        let page = self
            .app
            .get_json(&format!("/api/designs?{query}"), 200)
            .await;
        page["total"].as_u64().unwrap()
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// The texts of the elements `css` matches in `client`'s page now. When the
/// page redraws an element while it is read, all are read again; any other
/// WebDriver error fails the test instead of reading as "not shown".
async fn texts_in(client: &Client, css: &str) -> Vec<String> {
    let started = Instant::now();
    'read: loop {
        let elements = client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("cannot look for {css}: {e}"));
        let mut texts = Vec::with_capacity(elements.len());
        for element in elements {
            match element.text().await {
                Ok(text) => texts.push(text),
                Err(e) if e.is_stale_element_reference() && started.elapsed() < PATIENCE => {
                    continue 'read;
                }
                Err(e) => panic!("cannot read {css}: {e}"),
            }
        }
        return texts;
    }
}

fn count_of(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

#[tokio::test]
async fn the_commons_lists_designs_narrows_as_you_type_and_opens_a_design() {
    let browser = Browser::start().await;
    let all = browser.api_total("").await;

    // Cold load: from navigation start to the first design card on screen.
    browser.goto("/").await;
    browser.find("[data-testid=design-card]").await;
    let first_design_ms = browser
        .client
        .execute("return performance.now()", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap_or_default();
    println!(
        "figure: cold load to first design visible: {first_design_ms:.0} ms (release build, headless Chromium)"
    );
    browser
        .until("[data-testid=result-count]", "the full count", |t| {
            t.iter().any(|t| count_of(t) == Some(all))
        })
        .await;
    let cards = browser.texts("[data-testid=design-card]").await;
    assert!(cards.len() >= 12, "a full first page, got {}", cards.len());

    // Typing narrows the list to what the API finds for the same words.
    let expected = browser.api_total("q=microscope").await;
    assert!(expected >= 1 && expected < all);
    let search = browser.find("[data-testid=search]").await;
    search.send_keys("microscope").await.unwrap();
    browser
        .until("[data-testid=result-count]", "the narrowed count", |t| {
            t.iter().any(|t| count_of(t) == Some(expected))
        })
        .await;
    let cards = browser
        .until("[data-testid=design-card]", "the narrowed cards", |cards| {
            cards.len() as u64 == expected
        })
        .await;
    assert!(
        cards
            .iter()
            .any(|c| c.to_lowercase().contains("microscope")),
        "{cards:?}"
    );
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or_default().contains("q=microscope"),
        "the search is in the URL: {url}"
    );

    // Clicking a result opens its page with the bill of materials.
    let link = browser.find("[data-testid=design-card] a").await;
    let name = link.text().await.unwrap();
    link.click().await.unwrap();
    let title = browser.find("[data-testid=design-title]").await;
    assert_eq!(title.text().await.unwrap(), name);
    let id = browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .trim_start_matches("/designs/")
        .to_owned();
    let design = browser
        .app
        .get_json(&format!("/api/designs/{id}"), 200)
        .await;
    let table = browser.find("[data-testid=bom-table]").await;
    let table_text = table.text().await.unwrap();
    for process in design["bill_of_materials"]["processes"].as_array().unwrap() {
        assert!(
            table_text.contains(process["name"].as_str().unwrap()),
            "step {} missing",
            process["name"]
        );
        for input in process["inputs"].as_array().unwrap() {
            let material = input["material"].as_str().unwrap();
            assert!(
                table_text.contains(material),
                "material {material} missing from the table"
            );
        }
    }
    let licence = design["licence"].as_str().unwrap();
    let page = browser.find("main").await.text().await.unwrap();
    assert!(page.contains(licence), "the licence {licence} is shown");

    // Back returns to the narrowed list.
    browser.client.back().await.unwrap();
    browser
        .until(
            "[data-testid=design-card]",
            "the narrowed list again",
            |cards| cards.len() as u64 == expected,
        )
        .await;
    browser.close().await;
}

#[tokio::test]
async fn filters_combine_show_an_empty_state_and_clear() {
    let browser = Browser::start().await;
    let all = browser.api_total("").await;
    browser.goto("/?process=laser-cutting").await;
    let laser = browser.api_total("process=laser-cutting").await;
    browser
        .until(
            "[data-testid=result-count]",
            "the filtered count from the URL",
            |t| t.iter().any(|t| count_of(t) == Some(laser)),
        )
        .await;

    let search = browser.find("[data-testid=search]").await;
    search.send_keys("zeppelin hangar").await.unwrap();
    let empty = browser.find("[data-testid=empty-state]").await;
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("no design"),
        "the empty state explains itself"
    );
    assert!(browser.texts("[data-testid=design-card]").await.is_empty());

    browser
        .find("[data-testid=empty-state] button")
        .await
        .click()
        .await
        .unwrap();
    browser
        .until(
            "[data-testid=result-count]",
            "every design after clearing",
            |t| t.iter().any(|t| count_of(t) == Some(all)),
        )
        .await;
    assert_eq!(
        browser
            .find("[data-testid=search]")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default(),
        ""
    );
    browser.close().await;
}

#[tokio::test]
async fn load_more_appends_the_next_page() {
    let browser = Browser::start().await;
    browser.goto("/").await;
    browser.find("[data-testid=design-card]").await;
    let first = browser.texts("[data-testid=design-card]").await.len();

    browser
        .find("[data-testid=load-more]")
        .await
        .click()
        .await
        .unwrap();

    let all = browser.api_total("").await as usize;
    let cards = browser
        .until("[data-testid=design-card]", "the second page", |cards| {
            cards.len() > first
        })
        .await;
    assert_eq!(cards.len(), all.min(first * 2));
    browser.close().await;
}

#[tokio::test]
async fn a_design_page_opens_directly_from_its_address() {
    let browser = Browser::start().await;
    let bundle = stigmergy_server::demo::bundle().unwrap();
    let fork = bundle.designs.iter().find(|d| d.parent.is_some()).unwrap();

    browser.goto(&format!("/designs/{}", fork.id)).await;

    assert_eq!(
        browser
            .find("[data-testid=design-title]")
            .await
            .text()
            .await
            .unwrap(),
        fork.draft.name
    );
    browser.find("[data-testid=bom-table]").await;
    let parent = fork.parent.as_ref().unwrap();
    let link = browser.find(&format!("a[href='/designs/{parent}']")).await;
    link.click().await.unwrap();
    let parent_name = &bundle
        .designs
        .iter()
        .find(|d| &d.id == parent)
        .unwrap()
        .draft
        .name;
    browser
        .until("[data-testid=design-title]", "the parent design", |t| {
            t.iter().any(|t| t == parent_name)
        })
        .await;

    browser.goto("/designs/no-such-design").await;
    browser
        .until("main", "the not-found message", |t| {
            t.iter().any(|t| {
                t.to_lowercase().contains("not found") || t.to_lowercase().contains("no design")
            })
        })
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_person_signs_up_signs_out_and_signs_in_again_through_the_forms() {
    let browser = Browser::start().await;

    // Sign up: every field is labelled, and the browser may fill them.
    browser.goto("/signup").await;
    for (field, label, autocomplete) in [
        ("handle", "Handle", "username"),
        ("email", "Email address", "email"),
        ("password", "Password", "new-password"),
    ] {
        assert_eq!(browser.text(&format!("label[for={field}]")).await, label);
        let input = browser.find(&format!("#{field}")).await;
        assert_eq!(
            input.attr("autocomplete").await.unwrap().as_deref(),
            Some(autocomplete)
        );
    }
    browser.sign_up("ana-souza", "Ana Souza").await;
    let page = browser.text("main").await;
    assert!(page.contains("ana-souza@example.org"), "{page}");
    assert_eq!(browser.header_name().await, "Ana Souza");

    // Sign out: back to the commons, the header offers to sign in.
    browser.click("[data-testid=account-menu] button").await;
    browser.until_path("/").await;
    browser
        .until("[data-testid=account-menu]", "the sign-in link", |t| {
            t.iter()
                .any(|t| t.contains("Sign in") && !t.contains("Ana Souza"))
        })
        .await;

    // The account page now says so, and its link signs in and comes back.
    browser.goto("/account").await;
    browser
        .until("main", "the signed-out note", |t| {
            t.iter().any(|t| t.contains("You are not signed in"))
        })
        .await;
    browser.click("main a[href='/signin?next=/account']").await;
    browser.until_path("/signin").await;
    browser.fill("#login", "ana-souza").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;
    browser.until_path("/account").await;
    browser
        .until("[data-testid=account-handle]", "the account again", |t| {
            t.iter().any(|t| t == "ana-souza")
        })
        .await;
    assert_eq!(browser.header_name().await, "Ana Souza");
    browser.close().await;
}

#[tokio::test]
async fn a_too_common_password_is_refused_beside_the_password_field() {
    let browser = Browser::start().await;
    browser.goto("/signup").await;
    browser.fill("#handle", "bo-lima").await;
    browser.fill("#email", "bo@example.org").await;
    browser.fill("#password", "password123").await;
    browser.click("form button[type=submit]").await;

    let message = browser
        .until("#password-error", "the server's message", |t| {
            t.iter().any(|t| !t.is_empty())
        })
        .await
        .concat();
    assert!(message.contains("guesser would try"), "{message}");
    let password = browser.find("#password").await;
    assert_eq!(
        password.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let described_by = password
        .attr("aria-describedby")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(described_by.contains("password-error"), "{described_by}");
    assert_eq!(
        browser.text("#handle-error").await,
        "",
        "only the password is at fault"
    );
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/signup", "the form stays");

    // No account was made: the handle is still free.
    let body = json!({"handle": "bo-lima", "email": "bo@example.org", "password": PASSWORD});
    let response = browser.app.post_json("/api/auth/register", &body).await;
    assert_eq!(response.status(), 201);
    browser.close().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_clear_message() {
    let browser = Browser::start().await;
    browser.app.register("cai-rocha").await;

    browser.goto("/signin").await;
    assert_eq!(
        browser.text("label[for=login]").await,
        "Handle or email address"
    );
    browser.fill("#login", "cai-rocha").await;
    browser.fill("#password", "not the password at all").await;
    browser.click("form button[type=submit]").await;

    let problem = browser
        .until("[data-testid=form-problem]", "the refusal", |t| {
            t.iter().any(|t| !t.is_empty())
        })
        .await
        .concat();
    assert!(problem.contains("do not match"), "{problem}");
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/signin");
    assert_eq!(
        browser.text("[data-testid=account-link]").await,
        "",
        "nobody is signed in"
    );
    browser.close().await;
}

#[tokio::test]
async fn an_api_token_is_shown_once_works_and_stops_working_when_revoked() {
    let browser = Browser::start().await;
    browser.sign_up("dara-okafor", "Dara Okafor").await;
    browser
        .until("[data-testid=no-tokens]", "the empty list", |t| {
            t.iter().any(|t| t.contains("no API tokens"))
        })
        .await;

    // Create one: its secret shows once, in its own box.
    browser.fill("#name", "inventory sync").await;
    browser.click("form button[type=submit]").await;
    let secret = browser
        .until("[data-testid=new-token-secret]", "the new secret", |t| {
            t.iter().any(|t| !t.is_empty())
        })
        .await
        .concat();
    assert!(secret.starts_with("stg_"), "{secret}");
    let box_text = browser.text("[data-testid=new-token]").await;
    assert!(box_text.contains("copy it now"), "{box_text}");
    let rows = browser
        .until("[data-testid=token-row]", "the token in the list", |rows| {
            rows.len() == 1
        })
        .await;
    assert!(
        rows[0].contains("inventory sync") && rows[0].contains("never"),
        "{rows:?}"
    );

    // The secret works for other software.
    let software = browser.app.other_client();
    let me = |token: String| {
        software
            .get(browser.app.url("/api/me"))
            .bearer_auth(token)
            .send()
    };
    let response = me(secret.clone()).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["handle"], "dara-okafor");

    // Back on the page later, the secret is gone and the use is recorded.
    browser.goto("/account").await;
    let rows = browser
        .until("[data-testid=token-row]", "the used token", |rows| {
            rows.len() == 1 && !rows[0].contains("never")
        })
        .await;
    assert!(rows[0].contains("inventory sync"), "{rows:?}");
    assert_eq!(browser.text("[data-testid=new-token-secret]").await, "");

    // Revoking asks again, then the token stops working.
    browser.click("[data-testid=revoke-token]").await;
    browser
        .until("[data-testid=revoke-token]", "the second question", |t| {
            t.iter().any(|t| t.contains("Really revoke?"))
        })
        .await;
    assert_eq!(me(secret.clone()).await.unwrap().status(), 200, "not yet");
    browser.click("[data-testid=revoke-token]").await;
    browser
        .until("[data-testid=no-tokens]", "the empty list again", |t| {
            t.iter().any(|t| t.contains("no API tokens"))
        })
        .await;
    assert!(browser.texts("[data-testid=token-row]").await.is_empty());
    assert_eq!(me(secret).await.unwrap().status(), 401);
    browser.close().await;
}
