//! Growing the commons in the browser: publishing a design with its bill
//! of materials, revising it, reading an old revision, forking it, and
//! what others see of it.

use fantoccini::Locator;

use super::Browser;

/// The demo accounts' password (README).
const DEMO_PASSWORD: &str = "open hardware for everyone";

impl Browser {
    /// Replaces the text in the input `css` matches with `text`, as a
    /// person would: select all, delete, type.
    pub(super) async fn replace(&self, css: &str, text: &str) {
        // Control+A (held until NULL releases it), Backspace, then the text.
        self.fill(css, "\u{E009}a\u{E000}\u{E003}").await;
        self.fill(css, text).await;
    }

    /// Picks the option with `value` in the select `css` matches.
    pub(super) async fn choose(&self, css: &str, value: &str) {
        // Options may arrive after the select does.
        self.find(&format!("{css} option[value='{value}']")).await;
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot choose {value} in {css}: {e}"));
    }

    pub(super) async fn sign_in(&self, login: &str, password: &str) {
        self.goto("/signin").await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.click("form button[type=submit]").await;
        self.until_path("/").await;
        self.header_name().await;
    }

    pub(super) async fn sign_out(&self) {
        self.click("[data-testid=account-menu] button").await;
        self.until_path("/").await;
        self.until("[data-testid=account-menu]", "the sign-in link", |t| {
            t.iter().any(|t| t.contains("Sign in"))
        })
        .await;
    }

    /// Saves a screenshot as `name`.png in `STIGMERGY_SCREENSHOTS`, when
    /// that is set: for looking at what the tests see.
    pub(super) async fn snapshot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("STIGMERGY_SCREENSHOTS") {
            let png = self.client.screenshot().await.expect("a screenshot");
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)
                .expect("the screenshot is saved");
        }
    }

    /// Waits until the focused element's id passes `check` (the app moves
    /// focus on the next animation frame).
    pub(super) async fn until_focused(&self, check: impl Fn(&str) -> bool) {
        let started = std::time::Instant::now();
        loop {
            // The element focused a moment ago may be redrawn before its
            // id is read: then it is read again on the next round.
            let id = match self.client.active_element().await {
                Ok(element) => match element.attr("id").await {
                    Ok(id) => id.unwrap_or_default(),
                    Err(e) if e.is_stale_element_reference() => String::new(),
                    Err(e) => panic!("cannot read the focused element's id: {e}"),
                },
                Err(e) => panic!("cannot find the focused element: {e}"),
            };
            if check(&id) {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "focus never moved as expected; it is on #{id}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Whether an element `css` matches is in the page and visible now.
    /// Only "no such element" reads as absent; an element redrawn while it
    /// is looked at is looked up again, and other WebDriver errors fail.
    /// Callers check absence only after waiting for what the page draws in
    /// the same state, so "absent" is not "not drawn yet".
    pub(super) async fn shows(&self, css: &str) -> bool {
        let started = std::time::Instant::now();
        loop {
            let element = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element,
                Err(e) if e.is_no_such_element() => return false,
                Err(e) => panic!("cannot look for {css}: {e}"),
            };
            match element.is_displayed().await {
                Ok(shown) => return shown,
                Err(e)
                    if e.is_stale_element_reference()
                        && started.elapsed() < std::time::Duration::from_secs(15) => {}
                Err(e) => panic!("cannot tell whether {css} shows: {e}"),
            }
        }
    }

    /// The `value` property of the input `css` matches.
    pub(super) async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap_or_else(|e| panic!("cannot read the value of {css}: {e}"))
            .unwrap_or_default()
    }

    pub(super) async fn error_beside(&self, input_css: &str, what: &str) -> String {
        let input = self.find(input_css).await;
        let id = input.attr("id").await.unwrap().unwrap();
        let texts = self
            .until(&format!("#{id}-error"), what, |t| {
                t.iter().any(|t| !t.is_empty())
            })
            .await;
        assert_eq!(
            input.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true"),
            "{input_css} is marked invalid"
        );
        texts.concat()
    }
}

#[tokio::test]
async fn a_person_publishes_a_design_with_its_bill_of_materials() {
    let browser = Browser::start().await;
    browser.sign_up("ines-duarte", "Inês Duarte").await;
    browser.goto("/").await;
    browser.click("[data-testid=publish-design]").await;
    browser.until_path("/designs/new").await;

    // Sent empty, the form says what is missing beside each field, the
    // first one focused, and nothing is sent.
    browser.click("form button[type=submit]").await;
    assert!(
        browser
            .error_beside("#name", "the name's error")
            .await
            .contains("name")
    );
    browser
        .error_beside("#summary", "the summary's error")
        .await;
    browser
        .error_beside(
            "[data-testid=bom-step] input[id$=-name]",
            "the step's error",
        )
        .await;
    browser.until_focused(|id| id == "name").await;

    // Fill it in: a name the commons already has, which only the server
    // can know, then the rest.
    browser.fill("#name", "Syringe pump").await;
    browser
        .fill(
            "#summary",
            "A jig that holds bamboo tubes at frame angles while the joints are bound.",
        )
        .await;
    browser
        .click("input[name=licence][value='LicenseRef-PPL']")
        .await;
    browser.replace("#version", "0.9").await;
    browser.fill("#tags", "bicycle, Bamboo, jigs").await;

    // Step 1, with two materials, the second moved above the first.
    let step = "[data-testid=bom-step]:nth-child(1)";
    browser
        .fill(&format!("{step} input[id$=-name]"), "Cut the jig plates")
        .await;
    browser
        .choose(&format!("{step} select[id$=-kind]"), "Laser cutting")
        .await;
    browser
        .fill(&format!("{step} input[id$=-machine-value]"), "25")
        .await;
    browser
        .choose(&format!("{step} select[id$=-machine-unit]"), "min")
        .await;
    browser
        .click(&format!("{step} button[id$=-add-line]"))
        .await;
    let line = |n: usize| format!("{step} [data-testid=bom-line]:nth-child({n})");
    // The new line's first field has focus, ready to type into.
    browser.until_focused(|id| id.ends_with("-material")).await;
    browser
        .fill(
            &format!("{} input[id$=-material]", line(1)),
            "Birch plywood, 12 mm",
        )
        .await;
    browser
        .fill(&format!("{} input[id$=-quantity]", line(1)), "0,5")
        .await;
    browser
        .choose(&format!("{} select[id$=-unit]", line(1)), "m²")
        .await;
    browser
        .click(&format!("{step} button[id$=-add-line]"))
        .await;
    browser
        .fill(&format!("{} input[id$=-material]", line(2)), "M8 bolt")
        .await;
    browser
        .fill(&format!("{} input[id$=-quantity]", line(2)), "many")
        .await;
    browser
        .fill(&format!("{} input[id$=-note]", line(2)), "with wing nuts")
        .await;
    browser.click(&format!("{} button[id$=-up]", line(2))).await;
    assert_eq!(
        browser
            .value(&format!("{} input[id$=-material]", line(1)))
            .await,
        "M8 bolt",
        "the bolts moved up, with what was typed"
    );

    // Step 2, then a third added and removed again.
    browser.click("#add-step").await;
    let step2 = "[data-testid=bom-step]:nth-child(2)";
    browser
        .fill(&format!("{step2} input[id$=-name]"), "Assemble the jig")
        .await;
    browser
        .choose(&format!("{step2} select[id$=-kind]"), "Assembly")
        .await;
    browser
        .fill(&format!("{step2} input[id$=-work-value]"), "1.5")
        .await;
    browser.click("#add-step").await;
    assert_eq!(browser.texts("[data-testid=bom-step]").await.len(), 3);
    browser
        .click("[data-testid=bom-step]:nth-child(3) button[aria-label='Remove step 3']")
        .await;
    assert_eq!(browser.texts("[data-testid=bom-step]").await.len(), 2);

    // "many" is no quantity: refused beside it, before anything is sent.
    browser.click("form button[type=submit]").await;
    browser.snapshot("design-editor").await;
    let error = browser
        .error_beside(
            &format!("{} input[id$=-quantity]", line(1)),
            "the quantity's error",
        )
        .await;
    assert!(error.contains("Enter a number"), "{error}");
    browser
        .replace(&format!("{} input[id$=-quantity]", line(1)), "8")
        .await;

    // The server refuses the taken name, beside the name field.
    browser.click("form button[type=submit]").await;
    let error = browser.error_beside("#name", "the taken name").await;
    assert!(error.contains("choose another name"), "{error}");
    browser.replace("#name", "Bamboo bicycle frame jig").await;
    browser.click("form button[type=submit]").await;

    // Published: its page shows what was typed, in order.
    browser
        .until_path("/designs/bamboo-bicycle-frame-jig")
        .await;
    browser
        .until("[data-testid=design-title]", "the new design", |t| {
            t.iter().any(|t| t == "Bamboo bicycle frame jig")
        })
        .await;
    let page = browser.text("main").await;
    for expected in [
        "Peer Production License",
        "0.9",
        "Cut the jig plates",
        "Laser cutting",
        "8 pcs M8 bolt (with wing nuts)",
        "0.5 m² Birch plywood, 12 mm",
        "25 min",
        "Assemble the jig",
        "1.5 h",
        "Inês Duarte",
        "jigs",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    let history = browser
        .until("[data-testid=version]", "the history", |t| t.len() == 1)
        .await;
    browser.snapshot("published-design").await;
    assert!(
        history[0].contains("Version 0.9 (revision 1)"),
        "{history:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_contributor_revises_a_design_anyone_forks_it_and_only_contributors_edit_it() {
    let browser = Browser::start().await;

    // A visitor reads the design, and is offered to sign in, not to edit.
    browser.goto("/designs/plywood-stool").await;
    browser.find("[data-testid=sign-in-to-contribute]").await;
    assert!(!browser.shows("[data-testid=edit-design]").await);
    assert!(!browser.shows("[data-testid=fork-design]").await);

    // Lucía, one of its contributors, revises it.
    browser.sign_in("lucia-fernandez", DEMO_PASSWORD).await;
    browser.goto("/designs/plywood-stool").await;
    browser.click("[data-testid=edit-design]").await;
    browser.until_path("/designs/plywood-stool/edit").await;
    let old_summary = browser.value("#summary").await;
    assert!(!old_summary.is_empty());
    let step_names = browser.texts("[data-testid=bom-step] legend").await;
    assert!(!step_names.is_empty(), "the bill of materials is loaded");
    browser
        .replace(
            "#summary",
            "A three-legged stool cut from one sheet, now with a wider seat.",
        )
        .await;
    browser.replace("#version", "1.1").await;
    browser.fill("#note", "Wider seat, 360 mm").await;
    browser.click("form button[type=submit]").await;

    // Version 2 is shown, and version 1 stays readable.
    browser.until_path("/designs/plywood-stool").await;
    let history = browser
        .until("[data-testid=version]", "two versions", |t| t.len() == 2)
        .await;
    assert!(
        history[0].contains("Version 1.1 (revision 2)"),
        "{history:?}"
    );
    assert!(history[0].contains("Wider seat, 360 mm"), "{history:?}");
    assert!(history[0].contains("Lucía Fernández"), "{history:?}");
    assert!(
        browser.text("main").await.contains("now with a wider seat"),
        "the current summary"
    );
    browser
        .click("[data-testid=version] a[href='/designs/plywood-stool?revision=1']")
        .await;
    browser
        .until("[data-testid=old-revision]", "the old revision", |t| {
            t.iter().any(|t| t.contains("revision 1"))
        })
        .await;
    assert!(browser.text("main").await.contains(&old_summary));
    assert!(!browser.shows("[data-testid=edit-design]").await);

    // She forks it under a name of her own.
    browser.goto("/designs/plywood-stool").await;
    browser.click("[data-testid=fork-design]").await;
    assert_eq!(
        browser.value("#name").await,
        "Three-legged plywood stool (fork)"
    );
    browser.replace("#name", "Tall plywood stool").await;
    browser.click(".fork button[type=submit]").await;
    browser.until_path("/designs/tall-plywood-stool").await;
    browser
        .until("main", "the fork's lineage", |t| {
            t.iter().any(|t| {
                t.to_lowercase()
                    .contains("fork of\nthree-legged plywood stool")
            })
        })
        .await;
    browser.find("[data-testid=edit-design]").await;
    assert!(browser.shows("[data-testid=edit-design]").await);
    assert!(
        !browser.shows(".fork form").await,
        "the fork's page starts with its fork form closed"
    );

    // Someone else may fork it, but is not offered to edit it, and the
    // editor's address tells them why instead of showing the form.
    browser.sign_out().await;
    browser.sign_up("kofi-mensah", "Kofi Mensah").await;
    browser.goto("/designs/plywood-stool").await;
    browser.find("[data-testid=fork-design]").await;
    assert!(browser.shows("[data-testid=fork-design]").await);
    assert!(!browser.shows("[data-testid=edit-design]").await);
    browser.goto("/designs/plywood-stool/edit").await;
    browser.find("[data-testid=cannot-edit]").await;
    assert!(!browser.shows("#summary").await);
    browser.close().await;
}
