//! The portal on a phone and before its app has loaded: every section
//! reached from the header in a 390 × 844 and a 320 × 640 viewport with no
//! page wider than the screen; every main link followed from a cold load;
//! the static shell in the served index.html; and how far pages move while
//! they load (layout shift).

use std::time::{Duration, Instant};

use serde_json::Value;
use stigmergy_server::store::Backend;

use super::{Browser, PATIENCE};
use crate::chromium::{dist, phone_session, window_session};
use crate::helpers::{DEMO_PASSWORD, Seed, TestApp, TestDb};

/// The header's sections: link text, address, and the page's heading.
const SECTIONS: [(&str, &str, &str); 5] = [
    ("Commons", "/", "The commons"),
    ("Coalitions", "/coalitions", "Coalitions"),
    ("Map", "/map", "Supply chains"),
    ("Needs", "/needs", "Needs"),
    ("My work", "/work", "My work"),
];

/// Says how wide the page lays out against the viewport, and when it is
/// wider, which elements stick out past the right edge.
const MEASURE_WIDTH: &str = r#"
const viewport = document.documentElement.clientWidth;
const width = document.documentElement.scrollWidth;
const wide = [];
if (width > viewport) {
  for (const element of document.querySelectorAll("body *")) {
    const right = element.getBoundingClientRect().right;
    if (right > viewport + 0.5) {
      const classes = typeof element.className === "string" && element.className.trim()
        ? "." + element.className.trim().split(/\s+/).join(".") : "";
      wide.push(`${element.tagName.toLowerCase()}${classes} (right edge ${Math.round(right)})`);
    }
  }
}
return { viewport, width, wide: wide.slice(0, 12) };
"#;

/// Sums the layout shifts of the page so far (the buffered entries from
/// navigation on), leaving out those right after input, as CLS does. The
/// sum is never below CLS (the largest burst of shifts).
const LAYOUT_SHIFT: &str = r#"
const done = arguments[arguments.length - 1];
let total = 0;
const shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) {
      total += entry.value;
      shifts.push({ value: entry.value, at: Math.round(entry.startTime),
        moved: entry.sources.map((s) => s.node ? (s.node.className || s.node.nodeName) : "?") });
    }
  }
}).observe({ type: "layout-shift", buffered: true });
setTimeout(() => done({ total, shifts }), 200);
"#;

impl Browser {
    /// A browser laying pages out as a `width` × `height` phone, on a
    /// server with the demo commons.
    async fn start_phone(width: u32, height: u32) -> Browser {
        let app = TestApp::spawn_on(
            TestDb::for_backend(Backend::Sqlite).await,
            Seed::Demo,
            dist(),
        )
        .await;
        let (client, driver) = phone_session(width, height).await;
        Browser {
            client,
            app,
            _driver: driver,
        }
    }

    async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("running {script}: {e}"))
    }

    /// Fails unless the page lays out no wider than the viewport.
    async fn assert_fits(&self, page: &str) {
        let measured = self.script(MEASURE_WIDTH).await;
        let px = |key: &str| measured[key].as_f64().unwrap_or(f64::NAN);
        let (width, viewport) = (px("width"), px("viewport"));
        assert!(
            width <= viewport,
            "{page} is {width} px wide in a {viewport} px viewport; sticking out: {}",
            measured["wide"]
        );
    }

    /// Follows the header's link to `path`, waits for the page's heading
    /// and for `ready`, and checks the page fits the viewport.
    async fn follow_header_link(&self, path: &str, heading: &str, ready: &str) {
        self.click(&format!("nav[aria-label=Main] a[href='{path}']"))
            .await;
        self.until_path(path).await;
        self.until_heading(heading).await;
        self.find(ready).await;
        self.assert_fits(path).await;
    }

    /// Follows the first link `css` matches, waits for `ready`, and checks
    /// the page fits the viewport.
    async fn follow(&self, css: &str, ready: &str) {
        self.click(css).await;
        self.find(ready).await;
        let path = self.client.current_url().await.unwrap().path().to_owned();
        self.assert_fits(&path).await;
    }

    async fn until_heading(&self, heading: &str) {
        self.until("main h1", &format!("the heading {heading:?}"), |t| {
            t.iter().any(|t| t == heading)
        })
        .await;
    }

    /// The layout shifts of the page so far: their sum, and each shift.
    /// Waits until the page has fetched nothing new for a while (the
    /// count of resource entries holds still over several polls) and says
    /// how long that took.
    async fn until_nothing_loads(&self) -> Duration {
        const COUNT: &str = "return performance.getEntriesByType('resource').length";
        const STILL_POLLS: u32 = 5;
        let started = Instant::now();
        let (mut last, mut still) = (None, 0);
        while still < STILL_POLLS {
            let count = self
                .client
                .execute(COUNT, vec![])
                .await
                .expect("resource count");
            still = if Some(&count) == last.as_ref() {
                still + 1
            } else {
                0
            };
            last = Some(count);
            assert!(
                started.elapsed() < PATIENCE,
                "the page kept loading for {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        started.elapsed()
    }

    async fn layout_shift(&self) -> (f64, Value) {
        let measured = self
            .client
            .execute_async(LAYOUT_SHIFT, vec![])
            .await
            .expect("the layout shifts");
        (
            measured["total"].as_f64().unwrap_or(f64::NAN),
            measured["shifts"].clone(),
        )
    }
}

#[tokio::test]
async fn on_a_390_px_phone_every_page_is_reached_from_the_header_and_fits_the_screen() {
    every_page_is_reached_from_the_header_and_fits(390, 844).await;
}

#[tokio::test]
async fn on_a_320_px_phone_every_page_is_reached_from_the_header_and_fits_the_screen() {
    every_page_is_reached_from_the_header_and_fits(320, 640).await;
}

async fn every_page_is_reached_from_the_header_and_fits(width: u32, height: u32) {
    let browser = Browser::start_phone(width, height).await;
    browser.goto("/").await;
    let viewport = browser
        .script("return [window.innerWidth, document.documentElement.clientWidth]")
        .await;
    assert_eq!(viewport, serde_json::json!([width, width]), "the viewport");

    // The commons and a design.
    browser.until_heading("The commons").await;
    browser.find("[data-testid=design-card]").await;
    browser.assert_fits("/").await;
    // Every header link is a touch target at least 44 px tall.
    browser.until_session_known().await;
    let heights = browser
        .script(
            "return [...document.querySelectorAll('.site-header a, .site-header button')]\
             .filter((e) => e.offsetParent !== null)\
             .map((e) => [e.textContent.trim(), e.getBoundingClientRect().height])",
        )
        .await;
    let heights = heights.as_array().unwrap();
    assert!(heights.len() >= 7, "the header's links: {heights:?}");
    for link in heights {
        assert!(
            link[1].as_f64().unwrap() >= 44.0,
            "{link} is too small to tap"
        );
    }
    browser
        .follow(
            "[data-testid=design-card] .card-title a",
            "[data-testid=bom-table]",
        )
        .await;

    // Coalitions, one coalition and its open accounts.
    browser
        .follow_header_link("/coalitions", "Coalitions", "[data-testid=coalition-card]")
        .await;
    browser
        .follow(
            "[data-testid=coalition-card] .card-title a",
            "[data-testid=members]",
        )
        .await;
    browser
        .follow("main a[href$='/accounts']", "[data-testid=balances] li")
        .await;

    // The map, the needs and one need.
    browser
        .follow_header_link("/map", "Supply chains", "[data-testid=map]")
        .await;
    browser
        .follow_header_link("/needs", "Needs", "[data-testid=need-card]")
        .await;
    browser
        .follow(
            "[data-testid=need-card] a[href^='/needs/']",
            "[data-testid=need-title]",
        )
        .await;

    // Signing up and in, from the header's account links.
    browser
        .follow("[data-testid=account-menu] a[href='/signup']", "#handle")
        .await;
    browser
        .follow("[data-testid=account-menu] a[href^='/signin']", "#login")
        .await;
    browser.fill("#login", "amara-okafor").await;
    browser.fill("#password", DEMO_PASSWORD).await;
    browser.click("form button[type=submit]").await;
    let name = browser.header_name().await;
    assert!(!name.is_empty());
    browser.assert_fits("the page after signing in").await;

    // Signed in: my work, the account, and the two forms.
    browser
        .follow_header_link("/work", "My work", "[data-testid=my-claims]")
        .await;
    browser
        .follow("[data-testid=account-link]", "[data-testid=account-handle]")
        .await;
    browser
        .follow_header_link("/needs", "Needs", "[data-testid=need-card]")
        .await;
    browser
        .follow("[data-testid=declare-need]", "#design")
        .await;
    browser
        .follow_header_link("/", "The commons", "[data-testid=design-card]")
        .await;
    browser
        .follow("[data-testid=publish-design]", "#summary")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn from_a_cold_load_every_main_navigation_link_opens_its_page() {
    let browser = Browser::start().await;
    browser.goto("/").await;
    browser.until_heading("The commons").await;

    let links = browser.texts("nav[aria-label=Main] a").await;
    let expected: Vec<&str> = SECTIONS.iter().map(|(text, ..)| *text).collect();
    assert_eq!(links, expected, "the header's sections");
    for (text, path, heading) in SECTIONS {
        browser
            .click(&format!("nav[aria-label=Main] a[href='{path}']"))
            .await;
        browser.until_path(path).await;
        browser.until_heading(heading).await;
        let current = browser
            .texts("nav[aria-label=Main] a[aria-current=page]")
            .await;
        assert_eq!(current, [text], "the header marks where we are");
        browser
            .until("main", &format!("more than the heading on {path}"), |t| {
                t.iter().any(|t| t.lines().count() > 1)
            })
            .await;
    }
    browser.close().await;
}

#[tokio::test]
async fn the_served_page_holds_the_shell_and_the_app_takes_it_over() {
    let browser = Browser::start().await;

    // Before any script runs: the header, its sections and a skeleton are
    // in the HTML itself, below the demo banner, and no script is inline.
    let response = browser.app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} is not in the served page:\n{html}"))
    };
    assert!(at("data-testid=\"demo-banner\"") < at("data-testid=\"shell\""));
    at("class=\"brand\"");
    at("nav aria-label=\"Main\"");
    for (text, path, _) in SECTIONS {
        at(&format!("<a href=\"{path}\">{text}</a>"));
    }
    at("data-testid=\"skeleton\"");
    for script in html.split("<script").skip(1) {
        let tag = &script[..script.find('>').unwrap()];
        assert!(tag.contains("src="), "an inline script: <script{tag}>");
    }

    // Once the app runs, one header and one main: the app's.
    browser.goto("/").await;
    browser.until_session_known().await;
    let counts = browser
        .script(
            "return [document.querySelectorAll('#shell').length, \
             document.querySelectorAll('header.site-header').length, \
             document.querySelectorAll('main').length, \
             document.body.firstElementChild.dataset.testid]",
        )
        .await;
    assert_eq!(counts, serde_json::json!([0, 1, 1, "demo-banner"]));
    let times = browser
        .script(
            "const paint = performance.getEntriesByName('first-contentful-paint')[0];              const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));              return [paint ? paint.startTime : null, wasm ? wasm.responseEnd : null]",
        )
        .await;
    let ms = |i: usize| times[i].as_f64().unwrap_or(f64::NAN);
    println!(
        "figure: first contentful paint {:.0} ms, the app's wasm downloaded at {:.0} ms (cold load of /, release build, headless Chromium)",
        ms(0),
        ms(1)
    );
    browser.close().await;
}

#[tokio::test]
async fn pages_hardly_move_while_they_load_in_a_wide_and_a_narrow_window() {
    let design = stigmergy_server::demo::bundle().unwrap().designs[0]
        .id
        .clone();
    let pages = [
        ("/".to_owned(), "[data-testid=design-card]"),
        ("/needs".to_owned(), "[data-testid=need-card]"),
        (
            "/map".to_owned(),
            "[data-testid=flow-table], [data-testid=no-flows]",
        ),
        (format!("/designs/{design}"), "[data-testid=bom-table]"),
    ];
    // Windows, not phone emulation, which reports no layout shifts; 500 px
    // is the narrowest window and lays pages out in one column as a phone.
    for (width, height) in [(1280, 900), (500, 900)] {
        let (client, driver) = window_session(width, height).await;
        let browser = Browser {
            client,
            app: TestApp::spawn_on(
                TestDb::for_backend(Backend::Sqlite).await,
                Seed::Demo,
                dist(),
            )
            .await,
            _driver: driver,
        };
        for (path, ready) in &pages {
            browser.goto(path).await;
            browser.find(ready).await;
            browser.until_session_known().await;
            // What loads after the list (the map's tiles, the side panels).
            let settled = browser.until_nothing_loads().await;
            println!(
                "figure: {path} at {width}x{height} stopped loading {settled:?} after its list"
            );
            let (shift, shifts) = browser.layout_shift().await;
            println!(
                "figure: layout shift on {path} at {width}x{height}: {shift:.3} (sum of shifts)"
            );
            assert!(
                shift <= 0.05,
                "{path} at {width}x{height} moves by {shift:.3}: {shifts}"
            );
        }
        browser.close().await;
    }
}
