//! The endpoints at 1× and 4×: for each store (SQLite, then PostgreSQL at
//! `STIGMERGY_TEST_POSTGRES_URL`) and each size, a fresh database with the
//! demo commons, then generated data written straight into it by SQL in one
//! transaction (agents in real cities, their memberships and capacities,
//! needs with claims in every state, the deliveries of confirmed claims,
//! live events, and ledger entries chained onto the demo coalitions'
//! ledgers with core's hashes, so that `/ledger/verify` passes), then each
//! endpoint timed through real HTTP: median and p95 of 20 requests after
//! three for warm-up, and one steward's ledger sale entries posted last.
//!
//! ```sh
//! cargo bench -p stigmergy-server --bench endpoints
//! ```
//!
//! Sizes at 1×: `STIGMERGY_BENCH_NEEDS` (20,000; agents, capacities and
//! live events follow it) and `STIGMERGY_BENCH_ENTRIES` (3,000 ledger
//! entries recorded by stewards, besides the deliveries); 4× is four times
//! each. `STIGMERGY_BENCH_STORES=sqlite` (or `postgres`) runs one store.
//! Figures only, no verdict: compare runs on the same machine.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

#[path = "common/seed.rs"]
mod seed;

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use helpers::{Seed, TestApp, TestDb, demo_account, post_as};
use seed::{DESIGNS, MATERIALS, Random};
use serde_json::{Value, json};
use sqlx::Connection;
use stigmergy_core::ledger::{self, GENESIS, LedgerAction, LedgerEntry, LedgerInput, TREASURY};
use stigmergy_core::{AgentId, Change, Place, Quantity, Unit};
use stigmergy_server::store::Backend;

/// Real cities, with the demo coalition whose needs are declared there.
const CITIES: &[(&str, f64, f64, Option<&str>)] = &[
    ("Nairobi, Kenya", -1.2921, 36.8219, Some(OHA)),
    ("Kampala, Uganda", 0.3476, 32.5825, Some(OHA)),
    ("Accra, Ghana", 5.6037, -0.1870, Some(OHA)),
    ("Kumasi, Ghana", 6.6885, -1.6244, Some(OHA)),
    ("Lagos, Nigeria", 6.5244, 3.3792, Some(OHA)),
    ("Addis Ababa, Ethiopia", 9.0054, 38.7636, Some(OHA)),
    ("Dar es Salaam, Tanzania", -6.7924, 39.2083, Some(OHA)),
    ("Kigali, Rwanda", -1.9441, 30.0619, Some(OHA)),
    ("Barcelona, Spain", 41.3874, 2.1686, Some(CPE)),
    ("Porto, Portugal", 41.1579, -8.6291, Some(CPE)),
    ("Eindhoven, Netherlands", 51.4416, 5.4697, Some(CPE)),
    ("Brno, Czechia", 49.1951, 16.6068, Some(CPE)),
    ("Berlin, Germany", 52.52, 13.405, Some(CPE)),
    ("Lyon, France", 45.764, 4.8357, Some(CPE)),
    ("Lima, Peru", -12.0464, -77.0428, Some(ANDES)),
    ("Cusco, Peru", -13.532, -71.9675, Some(ANDES)),
    ("La Paz, Bolivia", -16.4897, -68.1193, Some(ANDES)),
    ("Quito, Ecuador", -0.1807, -78.4678, Some(ANDES)),
    ("Bogotá, Colombia", 4.711, -74.0721, Some(ANDES)),
    ("São Paulo, Brazil", -23.5505, -46.6333, None),
    ("Pune, India", 18.5204, 73.8567, None),
    ("Dhaka, Bangladesh", 23.8103, 90.4125, None),
    ("Manila, Philippines", 14.5995, 120.9842, None),
    ("Detroit, United States", 42.3314, -83.0458, None),
];

const OHA: &str = "open-hardware-africa";
const CPE: &str = "circular-plastics-europe";
const ANDES: &str = "andes-commons";
/// The demo coalitions, each with a steward who signs in with the demo
/// password.
const COALITIONS: [(&str, &str); 3] = [
    (OHA, "amara-okafor"),
    (CPE, "tomas-novak"),
    (ANDES, "lucia-fernandez"),
];

const PROCESSES: &[&str] = &[
    "fdm-printing",
    "laser-cutting",
    "cnc-routing",
    "welding",
    "woodworking",
    "sewing",
    "assembly",
    "sheet-metal",
];

/// A value bound into a generated row.
#[derive(Clone)]
enum Val {
    I(i64),
    OptI(Option<i64>),
    F(f64),
    T(String),
    OptT(Option<String>),
    At(DateTime<Utc>),
    B(bool),
}

fn t(text: impl Into<String>) -> Val {
    Val::T(text.into())
}

/// A connection to the bench database, whichever store it is.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

macro_rules! bind_vals {
    ($query:expr, $vals:expr) => {{
        let mut query = $query;
        for v in $vals {
            query = match v {
                Val::I(v) => query.bind(*v),
                Val::OptI(v) => query.bind(*v),
                Val::F(v) => query.bind(*v),
                Val::T(v) => query.bind(v.as_str()),
                Val::OptT(v) => query.bind(v.as_deref()),
                Val::At(v) => query.bind(*v),
                Val::B(v) => query.bind(*v),
            };
        }
        query
    }};
}

impl Db {
    async fn open(url: &str) -> Db {
        if url.starts_with("sqlite:") {
            Db::Sqlite(sqlx::SqliteConnection::connect(url).await.expect("SQLite"))
        } else {
            Db::Postgres(sqlx::PgConnection::connect(url).await.expect("PostgreSQL"))
        }
    }

    async fn exec(&mut self, sql: &str, vals: &[Val]) {
        match self {
            Db::Sqlite(c) => bind_vals!(sqlx::query(sql), vals)
                .execute(&mut *c)
                .await
                .map(drop),
            Db::Postgres(c) => bind_vals!(sqlx::query(sql), vals)
                .execute(&mut *c)
                .await
                .map(drop),
        }
        .unwrap_or_else(|e| panic!("{e}: {}", &sql[..sql.len().min(200)]))
    }

    async fn int(&mut self, sql: &str, vals: &[Val]) -> i64 {
        match self {
            Db::Sqlite(c) => {
                bind_vals!(sqlx::query_scalar(sql), vals)
                    .fetch_one(&mut *c)
                    .await
            }
            Db::Postgres(c) => {
                bind_vals!(sqlx::query_scalar(sql), vals)
                    .fetch_one(&mut *c)
                    .await
            }
        }
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
    }

    async fn text(&mut self, sql: &str, vals: &[Val]) -> Option<String> {
        match self {
            Db::Sqlite(c) => {
                bind_vals!(sqlx::query_scalar(sql), vals)
                    .fetch_optional(&mut *c)
                    .await
            }
            Db::Postgres(c) => {
                bind_vals!(sqlx::query_scalar(sql), vals)
                    .fetch_optional(&mut *c)
                    .await
            }
        }
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
    }

    async fn next_id(&mut self, table: &str) -> i64 {
        self.int(
            &format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) + 1 FROM {table}"),
            &[],
        )
        .await
    }
}

/// Rows for one table, written many to a statement.
struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Val>>,
    written: usize,
}

impl Rows {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Rows {
        Rows {
            table,
            columns,
            rows: Vec::new(),
            written: 0,
        }
    }

    /// Adds a row; written by [`flush`] or [`flush_full`].
    async fn push(&mut self, _db: &mut Db, row: Vec<Val>) {
        assert_eq!(row.len(), self.columns.len(), "{}", self.table);
        self.rows.push(row);
    }

    fn full(&self) -> bool {
        self.rows.len() * self.columns.len() >= 2_000
    }

    async fn flush(&mut self, db: &mut Db) {
        if self.rows.is_empty() {
            return;
        }
        let n = self.columns.len();
        let values: Vec<String> = (0..self.rows.len())
            .map(|r| {
                let params: Vec<String> = (1..=n).map(|c| format!("${}", r * n + c)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.table,
            self.columns.join(", "),
            values.join(", ")
        );
        let vals: Vec<Val> = self.rows.drain(..).flatten().collect();
        self.written += vals.len() / n;
        db.exec(&sql, &vals).await;
    }
}

/// Writes every batch of `group`, in order (rows refer to earlier ones),
/// when any of them is full.
async fn flush_full(db: &mut Db, group: &mut [&mut Rows]) {
    if group.iter().any(|rows| rows.full()) {
        for rows in group {
            rows.flush(db).await;
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Maker,
    Microfactory,
    Supplier,
    Hub,
}

struct Agent {
    id: String,
    city: usize,
    role: Role,
    /// The coalition it is an active member of.
    member_of: Option<&'static str>,
}

/// What was written, for the table's header and the requests' targets.
struct Seeded {
    counts: Vec<(&'static str, usize)>,
    /// A design need in a city with makers (for `/makers`).
    sample_need: i64,
    /// An outside buyer of each coalition's goods (for the sale entries).
    buyer: String,
}

/// One coalition's ledger as it is being extended.
struct Chain {
    coalition: &'static str,
    currency: String,
    equation: Option<ledger::ValueEquation>,
    entries: Vec<LedgerEntry>,
    /// Core's sums over `entries`, folded as they are written (the shares
    /// each sale is split by).
    totals: ledger::LedgerTotals,
    corrected: BTreeSet<u64>,
    pending: Vec<(DateTime<Utc>, LedgerInput)>,
}

/// Writes the generated data set at `scale` (1 or 4) into `url`.
async fn generate(url: &str, needs: usize, entries: usize) -> Seeded {
    let begun = Instant::now();
    let mut db = Db::open(url).await;
    db.exec("BEGIN", &[]).await;
    let mut random = Random(0x5eed_cafe_f00d);
    let now = Utc::now().trunc_subsecs(3);
    let postgres = matches!(db, Db::Postgres(_));

    // Agents: a tenth as many as needs.
    let mut agents: Vec<Agent> = Vec::new();
    let mut rows = Rows::new(
        "agents",
        &[
            "id",
            "name",
            "kind",
            "place_name",
            "lat",
            "lon",
            "created_at",
        ],
    );
    for i in 0..(needs / 10).max(50) {
        let city = random.below(CITIES.len());
        let (role, kind, label) = match i % 20 {
            0..12 => (Role::Maker, "person", "maker"),
            12..15 => (Role::Microfactory, "microfactory", "microfactory"),
            15..16 => (Role::Supplier, "supplier", "supplier"),
            _ => (Role::Hub, "hub", "clinic"),
        };
        let (place, lat, lon, coalition) = CITIES[city];
        let id = format!("bench-{label}-{i}");
        let member_of = coalition.filter(|_| role != Role::Hub && random.below(10) < 4);
        rows.push(
            &mut db,
            vec![
                t(&id),
                t(format!(
                    "{} {label} {i}",
                    place.split(',').next().unwrap_or(place)
                )),
                t(kind),
                t(place),
                Val::F(lat + random.signed() * 0.2),
                Val::F(lon + random.signed() * 0.2),
                Val::At(now - TimeDelta::days(400)),
            ],
        )
        .await;
        agents.push(Agent {
            id,
            city,
            role,
            member_of,
        });
        flush_full(&mut db, &mut [&mut rows]).await;
    }
    rows.flush(&mut db).await;
    let mut counts = vec![("agents", rows.written)];

    let mut rows = Rows::new(
        "memberships",
        &[
            "organization_id",
            "member_id",
            "role",
            "state",
            "requested_by",
            "decided_by",
            "requested_at",
            "decided_at",
        ],
    );
    for a in agents.iter().filter(|a| a.member_of.is_some()) {
        let coalition = a.member_of.unwrap_or_default();
        let steward = COALITIONS
            .iter()
            .find(|(c, _)| *c == coalition)
            .map(|(_, s)| *s)
            .unwrap_or_default();
        rows.push(
            &mut db,
            vec![
                t(coalition),
                t(&a.id),
                t("member"),
                t("active"),
                t(&a.id),
                t(steward),
                Val::At(now - TimeDelta::days(390)),
                Val::At(now - TimeDelta::days(389)),
            ],
        )
        .await;
        flush_full(&mut db, &mut [&mut rows]).await;
    }
    rows.flush(&mut db).await;
    counts.push(("memberships", rows.written));
    eprintln!(
        "  {} after {:.1} s",
        counts.last().map_or("", |c| c.0),
        begun.elapsed().as_secs_f64()
    );

    // Capacities: one per maker and microfactory.
    let mut capacity_id = db.next_id("capacities").await;
    let mut rows = Rows::new(
        "capacities",
        &[
            "id",
            "provider_id",
            "declared_by",
            "processes",
            "materials",
            "rate",
            "available_from",
            "available_until",
            "radius_km",
            "place_name",
            "lat",
            "lon",
            "note",
            "created_at",
        ],
    );
    let mut links = Rows::new("capacity_processes", &["capacity_id", "process"]);
    for a in agents
        .iter()
        .filter(|a| matches!(a.role, Role::Maker | Role::Microfactory))
    {
        let mut processes: BTreeSet<&str> = BTreeSet::new();
        for _ in 0..1 + random.below(3) {
            processes.insert(random.word(PROCESSES));
        }
        let materials: BTreeSet<&str> = (0..random.below(3))
            .map(|_| random.word(MATERIALS))
            .collect();
        let (place, lat, lon, _) = CITIES[a.city];
        rows.push(
            &mut db,
            vec![
                Val::I(capacity_id),
                t(&a.id),
                t(&a.id),
                t(serde_json::to_string(&processes).unwrap()),
                t(serde_json::to_string(&materials).unwrap()),
                Val::F((5 + random.below(200)) as f64),
                t((now - TimeDelta::days(60)).format("%Y-%m-%d").to_string()),
                Val::OptT(None),
                Val::F((25 + random.below(400)) as f64),
                t(place),
                Val::F(lat + random.signed() * 0.2),
                Val::F(lon + random.signed() * 0.2),
                t(""),
                Val::At(now - TimeDelta::days(random.below(300) as i64 + 60)),
            ],
        )
        .await;
        for p in processes {
            links.push(&mut db, vec![Val::I(capacity_id), t(p)]).await;
        }
        capacity_id += 1;
        flush_full(&mut db, &mut [&mut rows, &mut links]).await;
    }
    rows.flush(&mut db).await;
    links.flush(&mut db).await;
    counts.push(("capacities", rows.written));
    eprintln!(
        "  {} after {:.1} s",
        counts.last().map_or("", |c| c.0),
        begun.elapsed().as_secs_f64()
    );

    // Needs, their claims, the deliveries of confirmed ones, the live
    // events that announced them.
    let by_city = |role: Role| {
        let mut cities: Vec<Vec<usize>> = vec![Vec::new(); CITIES.len()];
        for (i, a) in agents.iter().enumerate() {
            if a.role == role || (role == Role::Maker && a.role == Role::Microfactory) {
                cities[a.city].push(i);
            }
        }
        cities
    };
    let makers = by_city(Role::Maker);
    let suppliers = by_city(Role::Supplier);
    let hubs: Vec<usize> = (0..agents.len())
        .filter(|&i| agents[i].role == Role::Hub)
        .collect();
    let all_makers: Vec<usize> = makers.iter().flatten().copied().collect();
    let all_suppliers: Vec<usize> = suppliers.iter().flatten().copied().collect();

    let mut chains: Vec<Chain> = Vec::new();
    for (coalition, _) in COALITIONS {
        let currency = db
            .text(
                "SELECT currency FROM ledgers WHERE coalition_id = $1",
                &[t(coalition)],
            )
            .await
            .expect("the demo coalitions keep accounts");
        let equation = db
            .text(
                "SELECT equation FROM value_equations WHERE coalition_id = $1 ORDER BY version DESC LIMIT 1",
                &[t(coalition)],
            )
            .await
            .map(|json| serde_json::from_str(&json).expect("an equation"));
        let existing = stigmergy_ledger(&mut db, coalition).await;
        chains.push(Chain {
            coalition,
            currency,
            equation,
            corrected: existing.iter().filter_map(|e| e.corrects).collect(),
            totals: ledger::LedgerTotals::of(&existing),
            entries: existing,
            pending: Vec::new(),
        });
    }

    let mut need_id = db.next_id("needs").await;
    let mut claim_id = db.next_id("claims").await;
    let mut event_id = db.next_id("economic_events").await;
    let mut need_rows = Rows::new(
        "needs",
        &[
            "id",
            "design_id",
            "resource",
            "quantity",
            "unit",
            "claimed",
            "due",
            "place_name",
            "lat",
            "lon",
            "coalition_id",
            "asked_of",
            "ask_state",
            "receiver_id",
            "declared_by",
            "note",
            "created_at",
        ],
    );
    let mut claim_rows = Rows::new(
        "claims",
        &[
            "id",
            "need_id",
            "provider_id",
            "claimed_by",
            "quantity",
            "state",
            "note",
            "created_at",
            "updated_at",
        ],
    );
    let mut event_rows = Rows::new(
        "economic_events",
        &[
            "id",
            "action",
            "provider_id",
            "receiver_id",
            "design_id",
            "resource",
            "quantity",
            "unit",
            "at",
            "fulfils",
            "place_name",
            "lat",
            "lon",
            "coalition_id",
            "in_accounts",
        ],
    );
    let mut live_rows = Rows::new("live_events", &["kind", "coalition_id", "change", "at"]);
    let mut sample_need = None;
    for n in 0..needs {
        let material = n % 7 == 6;
        let (receiver, providers, everyone) = if material {
            (*random.pick(&all_makers), &suppliers, &all_suppliers)
        } else {
            (*random.pick(&hubs), &makers, &all_makers)
        };
        let city = agents[receiver].city;
        let (place, lat, lon, city_coalition) = CITIES[city];
        let coalition = city_coalition.filter(|_| random.below(10) < 6);
        let (design, resource, unit, what) = if material {
            let m = random.word(MATERIALS);
            (None, Some(m), "kg", m.to_owned())
        } else {
            let d = random.word(DESIGNS);
            (Some(d), None, "piece", d.to_owned())
        };
        let quantity: i64 = if material {
            (20 + random.below(400)) as i64
        } else {
            (5 + random.below(120)) as i64
        };
        let posted = now - TimeDelta::days(random.below(360) as i64 + 1);
        let (nlat, nlon) = (lat + random.signed() * 0.2, lon + random.signed() * 0.2);
        // Claims: up to four, in every state; active ones never exceed it.
        let mut claimed = 0i64;
        for _ in 0..random.below(5) {
            let left = quantity - claimed;
            if left <= 0 {
                break;
            }
            let q = 1 + random.below(left as usize).min(quantity as usize / 2) as i64;
            let state = random.word(&[
                "confirmed",
                "confirmed",
                "committed",
                "in_progress",
                "delivered",
                "declined",
                "withdrawn",
            ]);
            let near = &providers[city];
            let provider = if near.is_empty() || random.below(100) < 12 {
                *random.pick(everyone)
            } else {
                *random.pick(near)
            };
            let at = posted + TimeDelta::hours(random.below(24 * 20) as i64 + 1);
            if !matches!(state, "declined" | "withdrawn") {
                claimed += q;
            }
            claim_rows
                .push(
                    &mut db,
                    vec![
                        Val::I(claim_id),
                        Val::I(need_id),
                        t(&agents[provider].id),
                        t(&agents[provider].id),
                        Val::I(q * 1000),
                        t(state),
                        t(""),
                        Val::At(at),
                        Val::At(at + TimeDelta::days(3)),
                    ],
                )
                .await;
            let change = Change::ClaimMade {
                claim: claim_id as u64,
                need: need_id as u64,
                provider: AgentId::parse(&agents[provider].id).expect("an agent id"),
                quantity: Quantity {
                    value: q as f64,
                    unit: if material {
                        Unit::Kilogram
                    } else {
                        Unit::Piece
                    },
                },
                remainder: (quantity - claimed) as f64,
            };
            live_rows
                .push(
                    &mut db,
                    vec![
                        t(change.kind()),
                        Val::OptT(coalition.map(str::to_owned)),
                        t(serde_json::to_string(&change).unwrap()),
                        Val::At(at),
                    ],
                )
                .await;
            if state == "confirmed" {
                let delivered = (at + TimeDelta::days(9)).min(now);
                // A member's delivery to its coalition's need counts in
                // its accounts: carried into the ledger as the store would.
                let counts = coalition.is_some() && agents[provider].member_of == coalition;
                event_rows
                    .push(
                        &mut db,
                        vec![
                            Val::I(event_id),
                            t("transfer"),
                            t(&agents[provider].id),
                            t(&agents[receiver].id),
                            Val::OptT(design.map(str::to_owned)),
                            t(&what),
                            Val::I(q * 1000),
                            t(unit),
                            Val::At(delivered),
                            Val::OptI(Some(claim_id)),
                            t(place),
                            Val::F(nlat),
                            Val::F(nlon),
                            Val::OptT(coalition.map(str::to_owned)),
                            Val::B(counts),
                        ],
                    )
                    .await;
                if counts {
                    let chain = chains
                        .iter_mut()
                        .find(|c| Some(c.coalition) == coalition)
                        .expect("a demo coalition");
                    chain.pending.push((
                        delivered,
                        LedgerInput {
                            action: LedgerAction::Transfer,
                            provider: agents[provider].id.clone(),
                            receiver: agents[receiver].id.clone(),
                            resource: what.clone(),
                            quantity: q as f64,
                            unit: unit.into(),
                            category: "delivery".into(),
                            note: String::new(),
                            corrects: None,
                            claim: Some(claim_id as u64),
                            settles: None,
                            event: Some(event_id as u64),
                        },
                    ));
                }
                event_id += 1;
            }
            claim_id += 1;
        }
        if sample_need.is_none() && !material && !makers[city].is_empty() && claimed < quantity {
            sample_need = Some(need_id);
        }
        need_rows
            .push(
                &mut db,
                vec![
                    Val::I(need_id),
                    Val::OptT(design.map(str::to_owned)),
                    Val::OptT(resource.map(str::to_owned)),
                    Val::I(quantity * 1000),
                    t(unit),
                    Val::I(claimed * 1000),
                    t((posted + TimeDelta::days(30 + random.below(200) as i64))
                        .format("%Y-%m-%d")
                        .to_string()),
                    t(place),
                    Val::F(nlat),
                    Val::F(nlon),
                    Val::OptT(coalition.map(str::to_owned)),
                    Val::OptT(coalition.map(str::to_owned)),
                    Val::OptT(coalition.map(|_| "accepted".to_owned())),
                    t(&agents[receiver].id),
                    t(&agents[receiver].id),
                    t(""),
                    Val::At(posted),
                ],
            )
            .await;
        let change = Change::NeedDeclared {
            need: need_id as u64,
            what: what.clone(),
            quantity: Quantity {
                value: quantity as f64,
                unit: if material {
                    Unit::Kilogram
                } else {
                    Unit::Piece
                },
            },
            place: Place {
                name: place.into(),
                lat: nlat,
                lon: nlon,
            },
            receiver: AgentId::parse(&agents[receiver].id).expect("an agent id"),
        };
        live_rows
            .push(
                &mut db,
                vec![
                    t(change.kind()),
                    Val::OptT(coalition.map(str::to_owned)),
                    t(serde_json::to_string(&change).unwrap()),
                    Val::At(posted),
                ],
            )
            .await;
        need_id += 1;
        flush_full(
            &mut db,
            &mut [
                &mut need_rows,
                &mut claim_rows,
                &mut event_rows,
                &mut live_rows,
            ],
        )
        .await;
    }
    // Claims and events refer to needs: the needs first.
    need_rows.flush(&mut db).await;
    claim_rows.flush(&mut db).await;
    event_rows.flush(&mut db).await;
    live_rows.flush(&mut db).await;
    counts.push(("needs", need_rows.written));
    counts.push(("claims", claim_rows.written));
    counts.push(("deliveries", event_rows.written));
    counts.push(("live events", live_rows.written));
    eprintln!(
        "  {} after {:.1} s",
        counts.last().map_or("", |c| c.0),
        begun.elapsed().as_secs_f64()
    );

    // The stewards' entries: sales, grants and spending, work, machine use
    // and citations, a few corrections; then every coalition's pending
    // entries chained in time order after its demo entries.
    let buyers: Vec<&Agent> = agents.iter().filter(|a| a.role == Role::Hub).collect();
    for i in 0..entries {
        let which = i % chains.len();
        let chain = &mut chains[which];
        let members: Vec<&Agent> = agents
            .iter()
            .filter(|a| a.member_of == Some(chain.coalition))
            .collect();
        let at = now - TimeDelta::minutes(random.below(365 * 24 * 60) as i64 + 1);
        let member = random.pick(&members).id.clone();
        let money = |provider: String, receiver: String, amount: i64, category: &str| LedgerInput {
            action: LedgerAction::Transfer,
            provider,
            receiver,
            resource: chain.currency.clone(),
            quantity: amount as f64,
            unit: chain.currency.clone(),
            category: category.into(),
            note: String::new(),
            corrects: None,
            claim: None,
            settles: None,
            event: None,
        };
        let in_kind = |action, resource: &str, quantity: f64, unit: &str| LedgerInput {
            action,
            provider: member.clone(),
            receiver: TREASURY.into(),
            resource: resource.into(),
            quantity,
            unit: unit.into(),
            category: "production".into(),
            note: String::new(),
            corrects: None,
            claim: None,
            settles: None,
            event: None,
        };
        let input = match random.below(20) {
            0..5 => in_kind(
                LedgerAction::Work,
                random.word(&["assembly", "welding", "machine-building", "testing"]),
                (1 + random.below(16)) as f64 / 2.0,
                "h",
            ),
            5..8 => in_kind(
                LedgerAction::Use,
                random.word(PROCESSES),
                (1 + random.below(8)) as f64,
                "h",
            ),
            8..10 => in_kind(
                LedgerAction::Cite,
                random.word(DESIGNS),
                (1 + random.below(30)) as f64,
                "piece",
            ),
            10..14 => money(
                random.pick(&buyers).id.clone(),
                TREASURY.into(),
                (50 + random.below(4000)) as i64,
                "sale",
            ),
            14..15 => money(
                random.pick(&buyers).id.clone(),
                TREASURY.into(),
                (1000 + random.below(20000)) as i64,
                random.word(&["grant", "donation", "membership"]),
            ),
            _ => money(
                TREASURY.into(),
                agents[*random.pick(&all_suppliers)].id.clone(),
                (20 + random.below(1500)) as i64,
                random.word(&["materials", "tools", "space", "payout"]),
            ),
        };
        chain.pending.push((at, input));
    }
    let mut entry_rows = Rows::new(
        "ledger_entries",
        &[
            "coalition_id",
            "seq",
            "at",
            "action",
            "provider",
            "receiver",
            "resource",
            "quantity",
            "unit",
            "category",
            "note",
            "corrects",
            "claim_id",
            "settles",
            "event_id",
            "recorded_by",
            "prev_hash",
            "hash",
        ],
    );
    let mut owed_rows = Rows::new(
        "owed",
        &[
            "coalition_id",
            "kind",
            "creditor",
            "debtor",
            "amount",
            "triggered_by",
            "equation_version",
            "at",
        ],
    );
    let mut sales = 0;
    for chain in &mut chains {
        let steward = COALITIONS
            .iter()
            .find(|(c, _)| *c == chain.coalition)
            .map(|(_, s)| *s)
            .unwrap_or_default();
        let mut pending = std::mem::take(&mut chain.pending);
        pending.sort_by_key(|(at, _)| *at);
        // The contributions so far (in force), kept as the shares' input.
        for (k, (at, mut input)) in pending.into_iter().enumerate() {
            // One in a hundred money entries is a correction of an earlier one.
            if k % 100 == 99
                && let Some(old) =
                    chain.entries.iter().rev().find(|e| {
                        e.is_money() && e.quantity > 0.0 && !chain.corrected.contains(&e.seq)
                    })
            {
                input = LedgerInput {
                    action: old.action,
                    provider: old.provider.clone(),
                    receiver: old.receiver.clone(),
                    resource: old.resource.clone(),
                    quantity: (old.quantity / 10.0).round().max(1.0),
                    unit: old.unit.clone(),
                    category: old.category.clone(),
                    note: format!("Entered as {} instead of a tenth", old.quantity),
                    corrects: Some(old.seq),
                    claim: None,
                    settles: None,
                    event: None,
                };
                chain.corrected.insert(old.seq);
            }
            let prev = chain
                .entries
                .last()
                .map_or(GENESIS.to_owned(), |e| e.hash.clone());
            let seq = chain.entries.len() as u64 + 1;
            let is_sale = input.category == "sale" && input.corrects.is_none();
            let by = input.event.is_none().then(|| steward.to_owned());
            let mut entry = LedgerEntry::seal(seq, at.into(), input, &prev);
            entry.recorded_by = by;
            if is_sale && let Some(equation) = &chain.equation {
                let shares = chain.totals.shares(equation);
                for (creditor, amount) in ledger::split_sale(
                    stigmergy_core::unit::to_milli(entry.quantity),
                    equation,
                    &shares,
                ) {
                    let kind = if creditor == ledger::COMMONS_FUND {
                        "commons_share"
                    } else {
                        "revenue_share"
                    };
                    owed_rows
                        .push(
                            &mut db,
                            vec![
                                t(chain.coalition),
                                t(kind),
                                t(creditor),
                                t(TREASURY),
                                Val::I(amount),
                                Val::I(seq as i64),
                                Val::I(i64::from(equation.version)),
                                Val::At(at),
                            ],
                        )
                        .await;
                }
                sales += 1;
            }
            let opt = |v: Option<u64>| Val::OptI(v.map(|v| v as i64));
            entry_rows
                .push(
                    &mut db,
                    vec![
                        t(chain.coalition),
                        Val::I(seq as i64),
                        Val::At(at),
                        t(entry.action.as_str()),
                        t(&entry.provider),
                        t(&entry.receiver),
                        t(&entry.resource),
                        Val::I(stigmergy_core::unit::to_milli(entry.quantity)),
                        t(&entry.unit),
                        t(&entry.category),
                        t(&entry.note),
                        opt(entry.corrects),
                        opt(entry.claim),
                        opt(entry.settles),
                        opt(entry.event),
                        Val::OptT(entry.recorded_by.clone()),
                        t(&entry.prev_hash),
                        t(&entry.hash),
                    ],
                )
                .await;
            let corrected = entry
                .corrects
                .map(|old| chain.entries[old as usize - 1].clone());
            chain.totals.push(&entry, corrected.as_ref());
            chain.entries.push(entry);
            flush_full(&mut db, &mut [&mut entry_rows, &mut owed_rows]).await;
        }
    }
    entry_rows.flush(&mut db).await;
    owed_rows.flush(&mut db).await;
    counts.push(("ledger entries", entry_rows.written));
    counts.push(("sales split", sales));
    eprintln!(
        "  {} after {:.1} s",
        counts.last().map_or("", |c| c.0),
        begun.elapsed().as_secs_f64()
    );
    if postgres {
        for table in [
            "needs",
            "claims",
            "capacities",
            "economic_events",
            "live_events",
            "owed",
        ] {
            db.exec(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                ),
                &[],
            )
            .await;
        }
    }
    db.exec("COMMIT", &[]).await;
    if postgres {
        db.exec("ANALYZE", &[]).await;
    } else {
        db.exec("PRAGMA optimize", &[]).await;
    }
    Seeded {
        counts,
        sample_need: sample_need.expect("a need with makers near"),
        buyer: buyers[0].id.clone(),
    }
}

/// A coalition's ledger as it stands, read from the database, in chain
/// order (the generated entries are chained after it).
async fn stigmergy_ledger(db: &mut Db, coalition: &str) -> Vec<LedgerEntry> {
    // Through the export format: the same fields the store reads.
    let count = db
        .int(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_entries WHERE coalition_id = $1",
            &[t(coalition)],
        )
        .await;
    let mut entries = Vec::with_capacity(count as usize);
    for seq in 1..=count {
        let row = db
            .text(
                "SELECT action || '|' || provider || '|' || receiver || '|' || resource || '|' || \
                 CAST(quantity AS TEXT) || '|' || unit || '|' || category || '|' || \
                 COALESCE(CAST(corrects AS TEXT), '') || '|' || hash \
                 FROM ledger_entries WHERE coalition_id = $1 AND seq = $2",
                &[t(coalition), Val::I(seq)],
            )
            .await
            .expect("an entry");
        let f: Vec<&str> = row.split('|').collect();
        // Only what the generator reads back: the hash to chain onto, the
        // contributions (shares), money and corrections.
        entries.push(LedgerEntry {
            seq: seq as u64,
            at: now_stamp(),
            action: LedgerAction::parse(f[0]).expect("an action"),
            provider: f[1].into(),
            receiver: f[2].into(),
            resource: f[3].into(),
            quantity: stigmergy_core::unit::from_milli(f[4].parse().expect("a quantity")),
            unit: f[5].into(),
            category: f[6].into(),
            note: String::new(),
            corrects: f[7].parse().ok(),
            claim: None,
            settles: None,
            event: None,
            prev_hash: String::new(),
            hash: f[8].into(),
            recorded_by: None,
        });
    }
    entries
}

fn now_stamp() -> stigmergy_core::Timestamp {
    Utc::now().trunc_subsecs(3).into()
}

/// Median and p95 of `n` timed calls of `request` after three untimed ones,
/// in milliseconds, and the last body's size.
async fn time<F, Fut>(n: usize, mut request: F) -> (f64, f64, usize, usize)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = (u16, usize)>,
{
    for i in 0..3 {
        request(i).await;
    }
    let mut times = Vec::with_capacity(n);
    let mut size = 0;
    let mut failed = 0;
    let begun = Instant::now();
    for i in 0..n {
        // A slow endpoint gets fewer samples (at least five), so that a run
        // at 4x ends in reasonable time; the table says how many.
        if i >= 5 && begun.elapsed().as_secs() >= 20 {
            break;
        }
        let started = Instant::now();
        let (status, bytes) = request(3 + i).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if status >= 300 {
            failed += 1;
        }
        size = bytes;
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    if failed > 0 {
        eprintln!("{failed} of {n} requests failed");
    }
    (at(0.5), at(0.95), size, times.len())
}

async fn get(app: &TestApp, path: &str) -> (u16, usize) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    if status >= 300 {
        eprintln!("GET {path}: {status} {}", String::from_utf8_lossy(&body));
    }
    (status, body.len())
}

/// How many items a list or a page object holds.
fn items(value: &Value) -> usize {
    value
        .as_array()
        .map_or_else(|| value["items"].as_array().map_or(0, Vec::len), Vec::len)
}

async fn run(backend: Backend, label: &str, needs: usize, entries: usize) {
    let started = Instant::now();
    let db = TestDb::for_backend(backend).await;
    let app = TestApp::spawn_on(db, Seed::Demo, "/nonexistent".into()).await;
    let demo = started.elapsed();
    let started = Instant::now();
    let seeded = generate(&app.db.url, needs, entries).await;
    println!(
        "\n## {backend:?}, {label}: demo commons in {:.1} s, then in {:.1} s: {}",
        demo.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        seeded
            .counts
            .iter()
            .map(|(what, n)| format!("{n} {what}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let capacities: Value = app.get_json("/api/capacities", 200).await;
    let verified: Value = app
        .get_json(&format!("/api/coalitions/{OHA}/ledger/verify"), 200)
        .await;
    println!(
        "(/api/capacities lists {} on its first answer; {OHA}'s ledger: {} entries, valid: {})",
        items(&capacities),
        verified["entries"],
        verified["valid"]
    );
    let ledger = format!("/api/coalitions/{OHA}/ledger");
    let paths: Vec<(String, String)> = vec![
        ("/api/flows".into(), "/api/flows".into()),
        (
            "/api/chains?design=…".into(),
            "/api/chains?design=face-shield-petg".into(),
        ),
        ("/api/needs/gaps".into(), "/api/needs/gaps".into()),
        (
            "/api/needs?near=Kumasi".into(),
            "/api/needs?near=6.6885,-1.6244&radius_km=150".into(),
        ),
        ("/api/needs".into(), "/api/needs".into()),
        ("/api/capacities".into(), "/api/capacities".into()),
        (
            "/api/needs/{id}/makers".into(),
            format!("/api/needs/{}/makers", seeded.sample_need),
        ),
        ("/api/coalitions".into(), "/api/coalitions".into()),
        (
            "/api/coalitions/{id}/accounts".into(),
            format!("/api/coalitions/{OHA}/accounts"),
        ),
        ("…/ledger (first page)".into(), ledger.clone()),
        (
            "…/ledger?kind=money&category=sale".into(),
            format!("{ledger}?kind=money&category=sale&limit=50"),
        ),
        ("…/ledger/verify".into(), format!("{ledger}/verify")),
        ("…/ledger/export".into(), format!("{ledger}/export")),
    ];
    println!("| endpoint | median ms | p95 ms | body KB | n |");
    println!("|---|---:|---:|---:|---:|");
    for (name, path) in &paths {
        let (median, p95, size, n) = time(20, |_| get(&app, path)).await;
        println!(
            "| {name} | {median:.1} | {p95:.1} | {:.1} | {n} |",
            size as f64 / 1024.0
        );
    }
    let steward = demo_account(&app, "amara-okafor").await;
    let (median, p95, size, n) = time(20, |i| {
        let body = json!({
            "action": "transfer", "provider": seeded.buyer, "receiver": TREASURY,
            "resource": "USD", "quantity": 100 + i, "unit": "USD", "category": "sale",
            "note": format!("Bench sale {i}"),
        });
        let app = &app;
        let steward = &steward;
        let path = ledger.clone();
        async move {
            let response = post_as(app, steward, &path, body).await;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if status >= 300 {
                eprintln!("POST {path}: {status} {text}");
            }
            (status, text.len())
        }
    })
    .await;
    println!(
        "| POST …/ledger (a sale, split into shares) | {median:.1} | {p95:.1} | {:.1} | {n} |",
        size as f64 / 1024.0
    );
    let after: Value = app.get_json(&format!("{ledger}/verify"), 200).await;
    println!(
        "(after the sales: {} entries, valid: {})",
        after["entries"], after["valid"]
    );
}

#[tokio::main]
async fn main() {
    let size = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let needs = size("STIGMERGY_BENCH_NEEDS", 20_000);
    let entries = size("STIGMERGY_BENCH_ENTRIES", 3_000);
    let stores = std::env::var("STIGMERGY_BENCH_STORES").unwrap_or_default();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let name = format!("{backend:?}").to_lowercase();
        if !stores.is_empty() && !stores.split(',').any(|s| s.trim() == name) {
            continue;
        }
        run(backend, "1×", needs, entries).await;
        run(backend, "4×", needs * 4, entries * 4).await;
    }
}
