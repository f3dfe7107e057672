//! The map at scale: writes a generated coalition of 10,000 agents and
//! 50,000 flows (35,000 planned claims, 15,000 confirmed deliveries) around
//! real cities into a fresh SQLite database beside the demo commons, serves
//! it with the real server and the release build of the app, opens `/map`
//! in headless Chromium and prints how long the map takes to draw, then the
//! frame times while panning (mouse drags) and zooming (keyboard) it.
//!
//! ```sh
//! scripts/build-app && cargo bench -p stigmergy-server --bench map
//! ```
//!
//! `STIGMERGY_BENCH_AGENTS` and `STIGMERGY_BENCH_FLOWS` change the sizes.
//! Figures only, no verdict: compare runs on the same machine.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

// The browser tests' Chromium helpers; the bench uses only some of them.
#[allow(dead_code)]
#[path = "../tests/browser/chromium.rs"]
mod chromium;

#[path = "common/seed.rs"]
mod seed;

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use helpers::{Seed, TestApp, TestDb};
use seed::{DESIGNS, MATERIALS, Random};
use serde_json::Value;
use sqlx::Connection;

/// Where the generated agents are: real cities, with the coalition whose
/// needs they declare there.
const CITIES: &[(&str, f64, f64, Option<&str>)] = &[
    (
        "Nairobi, Kenya",
        -1.2921,
        36.8219,
        Some("open-hardware-africa"),
    ),
    (
        "Kampala, Uganda",
        0.3476,
        32.5825,
        Some("open-hardware-africa"),
    ),
    (
        "Accra, Ghana",
        5.6037,
        -0.1870,
        Some("open-hardware-africa"),
    ),
    (
        "Kumasi, Ghana",
        6.6885,
        -1.6244,
        Some("open-hardware-africa"),
    ),
    (
        "Lagos, Nigeria",
        6.5244,
        3.3792,
        Some("open-hardware-africa"),
    ),
    (
        "Addis Ababa, Ethiopia",
        9.0054,
        38.7636,
        Some("open-hardware-africa"),
    ),
    (
        "Dar es Salaam, Tanzania",
        -6.7924,
        39.2083,
        Some("open-hardware-africa"),
    ),
    (
        "Kigali, Rwanda",
        -1.9441,
        30.0619,
        Some("open-hardware-africa"),
    ),
    (
        "Dakar, Senegal",
        14.7167,
        -17.4677,
        Some("open-hardware-africa"),
    ),
    (
        "Lusaka, Zambia",
        -15.3875,
        28.3228,
        Some("open-hardware-africa"),
    ),
    (
        "Cape Town, South Africa",
        -33.9249,
        18.4241,
        Some("open-hardware-africa"),
    ),
    (
        "Barcelona, Spain",
        41.3874,
        2.1686,
        Some("circular-plastics-europe"),
    ),
    (
        "Porto, Portugal",
        41.1579,
        -8.6291,
        Some("circular-plastics-europe"),
    ),
    (
        "Eindhoven, Netherlands",
        51.4416,
        5.4697,
        Some("circular-plastics-europe"),
    ),
    (
        "Brno, Czechia",
        49.1951,
        16.6068,
        Some("circular-plastics-europe"),
    ),
    (
        "Berlin, Germany",
        52.52,
        13.405,
        Some("circular-plastics-europe"),
    ),
    (
        "Lyon, France",
        45.764,
        4.8357,
        Some("circular-plastics-europe"),
    ),
    (
        "Milan, Italy",
        45.4642,
        9.19,
        Some("circular-plastics-europe"),
    ),
    (
        "Gdańsk, Poland",
        54.352,
        18.6466,
        Some("circular-plastics-europe"),
    ),
    ("Lima, Peru", -12.0464, -77.0428, Some("andes-commons")),
    ("Cusco, Peru", -13.532, -71.9675, Some("andes-commons")),
    ("La Paz, Bolivia", -16.4897, -68.1193, Some("andes-commons")),
    ("Quito, Ecuador", -0.1807, -78.4678, Some("andes-commons")),
    ("Bogotá, Colombia", 4.711, -74.0721, Some("andes-commons")),
    (
        "Medellín, Colombia",
        6.2442,
        -75.5812,
        Some("andes-commons"),
    ),
    ("Oaxaca, Mexico", 17.0732, -96.7266, Some("andes-commons")),
    (
        "Guatemala City, Guatemala",
        14.6349,
        -90.5069,
        Some("andes-commons"),
    ),
    ("Santiago, Chile", -33.4489, -70.6693, Some("andes-commons")),
    ("São Paulo, Brazil", -23.5505, -46.6333, None),
    ("Pune, India", 18.5204, 73.8567, None),
    ("Bengaluru, India", 12.9716, 77.5946, None),
    ("Dhaka, Bangladesh", 23.8103, 90.4125, None),
    ("Kathmandu, Nepal", 27.7172, 85.324, None),
    ("Manila, Philippines", 14.5995, 120.9842, None),
    ("Jakarta, Indonesia", -6.2088, 106.8456, None),
    ("Hanoi, Vietnam", 21.0278, 105.8342, None),
    ("Detroit, United States", 42.3314, -83.0458, None),
    ("Montréal, Canada", 45.5017, -73.5673, None),
];

/// The view the benchmark opens: the whole world, centred on East Africa so
/// that zooming in lands among the Kampala and Nairobi makers.
const START: &str = "/map?at=-1,34,2";

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Maker,
    Microfactory,
    Supplier,
    Receiver,
}

struct Agent {
    id: String,
    city: usize,
    role: Role,
}

/// Writes the data set; returns the number of flows it makes.
async fn generate(url: &str, agents: usize, flows: usize) -> usize {
    let mut db = sqlx::SqliteConnection::connect(url)
        .await
        .expect("the bench database");
    let mut tx = db.begin().await.expect("a transaction");
    let mut random = Random(0x5eed_cafe_f00d);
    let now = Utc::now();
    let mut people: Vec<Agent> = Vec::with_capacity(agents);
    for i in 0..agents {
        let city = random.below(CITIES.len());
        let (role, kind, label) = match i % 50 {
            0..31 => (Role::Maker, "person", "maker"),
            31..37 => (Role::Microfactory, "microfactory", "microfactory"),
            37..39 => (Role::Supplier, "supplier", "materials supplier"),
            _ => (Role::Receiver, "hub", "district clinic"),
        };
        let (place, lat, lon, _) = CITIES[city];
        let id = format!("bench-{}-{i}", label.replace(' ', "-"));
        sqlx::query(
            "INSERT INTO agents (id, name, kind, place_name, lat, lon, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(format!(
            "{} {label} {i}",
            place.split(',').next().unwrap_or(place)
        ))
        .bind(kind)
        .bind(place)
        .bind(lat + random.signed() * 0.25)
        .bind(lon + random.signed() * 0.25)
        .bind(now)
        .execute(&mut *tx)
        .await
        .expect("an agent");
        people.push(Agent { id, city, role });
    }
    let in_city = |role: Role| {
        let mut by_city: Vec<Vec<usize>> = vec![Vec::new(); CITIES.len()];
        for (i, a) in people.iter().enumerate() {
            if a.role == role || (role == Role::Maker && a.role == Role::Microfactory) {
                by_city[a.city].push(i);
            }
        }
        by_city
    };
    let makers = in_city(Role::Maker);
    let suppliers = in_city(Role::Supplier);
    let receivers: Vec<usize> = (0..people.len())
        .filter(|&i| people[i].role == Role::Receiver)
        .collect();
    let all_makers: Vec<usize> = makers.iter().flatten().copied().collect();
    let all_suppliers: Vec<usize> = suppliers.iter().flatten().copied().collect();

    let mut made = 0;
    let mut need_count = 0;
    while made < flows {
        // Most needs are for designs, from clinics; some are for materials,
        // from makers, filled by suppliers.
        let material = need_count % 7 == 6;
        let (receiver, providers, everyone) = if material {
            let maker = all_makers[random.below(all_makers.len())];
            (maker, &suppliers, &all_suppliers)
        } else {
            (
                receivers[random.below(receivers.len())],
                &makers,
                &all_makers,
            )
        };
        let city = people[receiver].city;
        let (place, lat, lon, coalition) = CITIES[city];
        let claims = (3 + random.below(5)).min(flows - made);
        let quantities: Vec<i64> = (0..claims)
            .map(|_| {
                if material {
                    (5 + random.below(200)) as i64
                } else {
                    (1 + random.below(60)) as i64
                }
            })
            .collect();
        let total: i64 = quantities.iter().sum();
        let posted = now - TimeDelta::days(random.below(120) as i64 + 1);
        let (design, resource, unit) = if material {
            (None, Some(MATERIALS[random.below(MATERIALS.len())]), "kg")
        } else {
            (Some(DESIGNS[random.below(DESIGNS.len())]), None, "piece")
        };
        let need: i64 = sqlx::query_scalar(
            "INSERT INTO needs (design_id, resource, quantity, unit, claimed, due, place_name, lat, lon, \
             coalition_id, receiver_id, declared_by, note, created_at) \
             VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8, $9, $10, $10, '', $11) RETURNING id",
        )
        .bind(design)
        .bind(resource)
        .bind(total * 1000)
        .bind(unit)
        .bind((posted + TimeDelta::days(60)).format("%Y-%m-%d").to_string())
        .bind(place)
        .bind(lat + random.signed() * 0.2)
        .bind(lon + random.signed() * 0.2)
        .bind(coalition)
        .bind(&people[receiver].id)
        .bind(posted)
        .fetch_one(&mut *tx)
        .await
        .expect("a need");
        need_count += 1;
        for quantity in quantities {
            // Mostly a maker in the same city; sometimes one far away.
            let near = &providers[city];
            let provider = if near.is_empty() || random.below(100) < 12 {
                everyone[random.below(everyone.len())]
            } else {
                near[random.below(near.len())]
            };
            let state = match random.below(10) {
                0..3 => "confirmed",
                3..6 => "committed",
                6..9 => "in_progress",
                _ => "delivered",
            };
            let at = posted + TimeDelta::hours(random.below(24 * 30) as i64);
            let claim: i64 = sqlx::query_scalar(
                "INSERT INTO claims (need_id, provider_id, claimed_by, quantity, state, note, created_at, updated_at) \
                 VALUES ($1, $2, $2, $3, $4, '', $5, $5) RETURNING id",
            )
            .bind(need)
            .bind(&people[provider].id)
            .bind(quantity * 1000)
            .bind(state)
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .expect("a claim");
            if state == "confirmed" {
                sqlx::query(
                    "INSERT INTO economic_events (action, provider_id, receiver_id, design_id, resource, \
                     quantity, unit, at, fulfils, place_name, lat, lon, coalition_id) \
                     SELECT 'transfer', c.provider_id, n.receiver_id, n.design_id, COALESCE(d.name, n.resource), \
                     c.quantity, n.unit, $2, c.id, n.place_name, n.lat, n.lon, n.coalition_id \
                     FROM claims c JOIN needs n ON n.id = c.need_id LEFT JOIN designs d ON d.id = n.design_id \
                     WHERE c.id = $1",
                )
                .bind(claim)
                .bind(at + TimeDelta::days(9))
                .execute(&mut *tx)
                .await
                .expect("a delivery");
            }
            made += 1;
        }
    }
    tx.commit().await.expect("the data set is written");
    made
}

/// Frame-time figures, in milliseconds.
fn summary(frames: &[f64]) -> String {
    if frames.is_empty() {
        return "no frames".into();
    }
    let mut sorted = frames.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let long = sorted.iter().filter(|&&f| f > 50.0).count();
    format!(
        "{} frames: median {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, worst {:.1} ms; {} over 50 ms",
        sorted.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        sorted[sorted.len() - 1],
        long
    )
}

/// Records the time between animation frames until [`stop_frames`].
async fn start_frames(client: &Client) {
    client
        .execute(
            "window.__frames = []; window.__recording = true;
             let last = performance.now();
             const tick = (t) => { window.__frames.push(t - last); last = t;
               if (window.__recording) requestAnimationFrame(tick); };
             requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });",
            vec![],
        )
        .await
        .expect("the frame recorder");
}

async fn stop_frames(client: &Client) -> Vec<f64> {
    let frames = client
        .execute(
            "window.__recording = false; return window.__frames;",
            vec![],
        )
        .await
        .expect("the frames");
    frames
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// What the benchmark does to the map.
#[derive(Clone, Copy)]
enum Gesture {
    /// A drag by so many pixels.
    Drag(f64, f64),
    /// A key pressed on the map.
    Key(&'static str),
}

/// Drags the map from its centre by `dx`, `dy` pixels over half a second,
/// then lets it settle.
async fn drag(client: &Client, map: &Element, dx: f64, dy: f64) {
    let drag = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: map.clone(),
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(500)),
            x: dx,
            y: dy,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    client.perform_actions(drag).await.expect("a drag");
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// Presses `key` on the map (Leaflet zooms with + and -), then waits for
/// the animation to end.
async fn press(map: &Element, key: &str) {
    map.send_keys(key).await.expect("a key");
    tokio::time::sleep(Duration::from_millis(700)).await;
}

async fn drawn(client: &Client) -> String {
    let figures = client
        .execute(
            "const m = document.querySelector('[data-testid=map]');
             const at = new URLSearchParams(location.search).get('at') || '';
             return [m.dataset.lines, m.dataset.markers, at.split(',')[2] || '?',
                     m.dataset.layoutMs, m.dataset.renderMs];",
            vec![],
        )
        .await
        .expect("the map's figures");
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    format!(
        "zoom {}: {} lines, {} markers drawn (the last drawing: {} ms to lay out, {} ms in Leaflet)",
        text(&figures[2]),
        text(&figures[0]),
        text(&figures[1]),
        text(&figures[3]),
        text(&figures[4])
    )
}

#[tokio::main]
async fn main() {
    let size = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let agents = size("STIGMERGY_BENCH_AGENTS", 10_000);
    let flows = size("STIGMERGY_BENCH_FLOWS", 50_000);

    let started = Instant::now();
    let app = TestApp::spawn_on(TestDb::sqlite(), Seed::Demo, chromium::dist()).await;
    println!(
        "server with the demo commons started in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let made = generate(&app.db.url, agents, flows).await;
    println!(
        "wrote {agents} agents and {made} flows in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The API alone: what the page waits for.
    let mut times = Vec::new();
    let mut body = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let response = app.get("/api/flows").await;
        assert_eq!(response.status(), 200);
        body = response.bytes().await.expect("the flows").to_vec();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let map: Value = serde_json::from_slice(&body).expect("JSON");
    times.sort_by(f64::total_cmp);
    println!(
        "GET /api/flows: {} agents, {} flows, {:.1} MB of JSON, median {:.0} ms of 3 (fastest {:.0} ms)",
        map["agents"].as_array().map_or(0, Vec::len),
        map["flows"].as_array().map_or(0, Vec::len),
        body.len() as f64 / 1e6,
        times[1],
        times[0]
    );

    let (client, _driver) = chromium::session().await;
    client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(120)),
            Some(Duration::from_secs(120)),
            Some(Duration::from_secs(0)),
        ))
        .await
        .expect("timeouts");

    // Loading: from navigation to the first drawing, three times.
    let mut loads = Vec::new();
    for run in 0..3 {
        client.goto(&app.url(START)).await.expect("the map page");
        let load = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const wait = () => {
                   const map = document.querySelector('[data-testid=map][data-drawn]');
                   if (!map) { requestAnimationFrame(wait); return; }
                   const drawnAt = performance.now();
                   const api = performance.getEntriesByType('resource')
                     .find((e) => e.name.includes('/api/flows'));
                   let longest = 0, total = 0;
                   new PerformanceObserver((list) => {
                     for (const t of list.getEntries()) { total += t.duration; longest = Math.max(longest, t.duration); }
                   }).observe({ type: 'longtask', buffered: true });
                   setTimeout(() => done({ drawn: drawnAt, api: api ? api.responseEnd : 0,
                     apiStart: api ? api.startTime : 0, longest, total }), 50);
                 };
                 wait();",
                vec![],
            )
            .await
            .expect("the map draws");
        let ms = |k: &str| load[k].as_f64().unwrap_or_default();
        println!(
            "load {}: drawn {:.0} ms after navigation (flows requested at {:.0} ms, received at {:.0} ms); \
             long tasks {:.0} ms in all, the longest {:.0} ms; {}",
            run + 1,
            ms("drawn"),
            ms("apiStart"),
            ms("api"),
            ms("total"),
            ms("longest"),
            drawn(&client).await
        );
        loads.push(ms("drawn"));
    }
    loads.sort_by(f64::total_cmp);
    println!("load: median {:.0} ms", loads[1]);

    let map = client
        .find(Locator::Css("[data-testid=map]"))
        .await
        .expect("the map");
    // Wholly in view, so that drags from its centre stay on the page.
    client
        .execute(
            "document.querySelector('[data-testid=map]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .expect("the map in view");
    // Four phases: drags of half a second each, and keyboard zooms ("=" is
    // the key "+" shares; with Shift, Leaflet would zoom three levels).
    let phases: [(&str, &[Gesture]); 4] = [
        (
            "panning the world",
            &[
                Gesture::Drag(-300.0, 0.0),
                Gesture::Drag(0.0, 180.0),
                Gesture::Drag(300.0, 0.0),
                Gesture::Drag(0.0, -180.0),
            ],
        ),
        ("zooming in four levels", &[Gesture::Key("="); 4]),
        (
            "panning zoomed in",
            &[Gesture::Drag(-400.0, 0.0), Gesture::Drag(0.0, 180.0)],
        ),
        ("zooming out four levels", &[Gesture::Key("-"); 4]),
    ];
    for (name, gestures) in phases {
        start_frames(&client).await;
        for gesture in gestures {
            match *gesture {
                Gesture::Drag(dx, dy) => drag(&client, &map, dx, dy).await,
                Gesture::Key(key) => press(&map, key).await,
            }
        }
        let frames = stop_frames(&client).await;
        println!(
            "{name}: {}; then {}",
            summary(&frames),
            drawn(&client).await
        );
    }
    let at = client.current_url().await.expect("the address");
    println!("the view ended at {}", at.query().unwrap_or_default());
    client.close().await.expect("the browser closes");
}
