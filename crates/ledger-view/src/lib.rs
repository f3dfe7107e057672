//! The accounts page as its own wasm module. The main app's route loads it
//! (with Chart.js) only when someone opens a coalition's accounts, and calls
//! [`mount`] with the element to draw in, so what the page costs stays out
//! of the bundle every other page loads. Most of the page never changes once
//! drawn, so it is written as markup (everything from data escaped); the
//! Verify button re-checks the ledger's hash chain here with the same code
//! the server runs (`stigmergy_core::ledger::verify`), and the ledger is
//! fetched a page at a time as the reader filters and asks for more.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use js_sys::{Object, Reflect};
use stigmergy_core::ledger::{
    self, AccountsOverview, COMMONS_FUND, LedgerAction, LedgerEntry, LedgerExport, LedgerPage,
    TREASURY, ValueEquation,
};
use stigmergy_markup::{Cell, body, escape, table};
use stigmergy_core::need::from_milli;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Element, Event, HtmlCanvasElement, HtmlElement, Response};

mod void;

#[wasm_bindgen]
extern "C" {
    /// A Chart.js chart (the page loads the library before this module).
    type Chart;
    #[wasm_bindgen(constructor, catch)]
    fn new(canvas: &HtmlCanvasElement, config: &JsValue) -> Result<Chart, JsValue>;
    #[wasm_bindgen(method)]
    fn destroy(this: &Chart);

    type NumberFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl)]
    fn new(locale: &str, options: &Object) -> NumberFormat;
    #[wasm_bindgen(method)]
    fn format(this: &NumberFormat, value: f64) -> String;
}

/// Colours for chart series, in order.
const PALETTE: [&str; 8] = [
    "#1f5f4a", "#2a9d55", "#7fb069", "#c2410c", "#e07a3f", "#8c564b", "#6a3d9a", "#52605b",
];

fn options(pairs: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in pairs {
        let _ = Reflect::set(&object, &(*name).into(), value);
    }
    object
}

/// An amount of money as people read it: `$1,234.50`.
fn money(amount: f64, currency: &str) -> String {
    NumberFormat::new(
        "en",
        &options(&[("style", "currency".into()), ("currency", currency.into())]),
    )
    .format(amount)
}

/// A number with grouping and at most two decimals: `1,234.5`.
fn number(value: f64) -> String {
    NumberFormat::new("en", &options(&[("maximumFractionDigits", 2.into())])).format(value)
}

fn percent(fraction: f64) -> String {
    format!("{}%", number(fraction * 100.0))
}

/// A JSON string literal.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Names for accounts: agents by name, the coalition's own in words.
struct Names(BTreeMap<String, String>);

impl Names {
    fn of(&self, account: &str) -> String {
        match account {
            TREASURY => "The treasury".into(),
            COMMONS_FUND => "The commons fund".into(),
            other => self
                .0
                .get(other)
                .cloned()
                .unwrap_or_else(|| other.to_owned()),
        }
    }
}

/// How an amount in kind reads: `h of welding`, `pieces citing …`.
fn unit_of(action: LedgerAction, unit: &str, resource: &str) -> String {
    match action {
        LedgerAction::Cite => format!("pieces citing {resource}"),
        _ => format!("{unit} of {resource}"),
    }
}

/// The accounts overview drawn: the page's markup, and the charts to draw
/// on its canvases.
struct Drawn {
    title: String,
    html: String,
    charts: Vec<(&'static str, String)>,
}

fn draw(overview: &AccountsOverview, versions: &[ValueEquation], steward: bool) -> Drawn {
    let names = Names(overview.names.iter().cloned().collect());
    let title = names.of(overview.coalition.as_str());
    let (flows_config, flows_html) = flows(overview);
    let (budget_config, budget_html) = budget(overview);
    let body = format!(
        "{flows_html}{budget_html}{}{}{}",
        shares(overview, &names),
        equations(overview, versions, &names, steward),
        owed(overview, &names)
    );
    let coalition = escape(overview.coalition.as_str());
    let top = format!(
        r#"<p class="breadcrumb"><a href="/coalitions/{coalition}">{name}</a></p><h1 class="page-title" data-testid="accounts-title">{name}: open accounts</h1><p class="lead">Every flow of money, work and material in the coalition, from the same events the portal records. Balances are worked out from the ledger, never typed in, and anyone can check that no entry was changed.</p><ul class="stat-cards" data-testid="balances">{}</ul>"#,
        cards(overview),
        name = escape(&title),
    );
    let verify = format!(
        r#"<section class="design-section verify" aria-labelledby="verify-title"><h2 id="verify-title">Check the ledger yourself</h2><p>The ledger has {} entries, each sealed with the hash of the one before; the latest hash is <code>{}</code>.</p><button type="button" class="button" data-testid="verify">Verify in this browser</button><p role="status" data-testid="verify-result"></p></section>"#,
        overview.entries,
        escape(&overview.head)
    );
    let export = |format: &str| {
        format!(
            r#"<a href="/api/coalitions/{coalition}/ledger/export?format={format}" download="">"#
        )
    };
    let categories: String = ledger::CATEGORIES
        .into_iter()
        .chain(["delivery", "production", "design"])
        .map(|c| format!(r#"<option value="{c}">{c}</option>"#))
        .collect();
    let ledger = format!(
        r#"<section class="design-section" aria-labelledby="ledger-title"><h2 id="ledger-title">The ledger</h2><p>Download it: {}CSV</a>, {}JSON with every hash</a>, {}ValueFlows JSON-LD</a>.</p><form class="search-form filters" data-testid="ledger-filters"><div class="field"><label for="ledger-kind">Kind</label><select id="ledger-kind"><option value="">Money and in kind</option><option value="money">Money</option><option value="in_kind">In kind</option></select></div><div class="field"><label for="ledger-category">Category</label><select id="ledger-category"><option value="">Every category</option>{categories}</select></div></form><div data-testid="ledger-table"><p class="loading">Loading the ledger…</p></div><button type="button" class="button button-quiet" data-testid="more-entries" hidden>Older entries</button></section>"#,
        export("csv"),
        export("json"),
        export("jsonld"),
    );
    let record = if steward {
        record_form(overview, &names) + &void::form()
    } else {
        String::new()
    };
    Drawn {
        html: format!("{top}{verify}{record}{body}{ledger}"),
        title,
        charts: vec![
            ("flows-chart", flows_config),
            ("budget-chart", budget_config),
        ],
    }
}

/// The stewards' form for recording an entry: money in or out, or a
/// contribution in kind; a correction names the entry it replaces. The
/// server checks everything again and names each field it refuses.
fn record_form(overview: &AccountsOverview, names: &Names) -> String {
    let currency = escape(&overview.currency);
    let accounts: String = [TREASURY, COMMONS_FUND]
        .into_iter()
        .map(str::to_owned)
        .chain(names.0.keys().cloned())
        .map(|id| {
            format!(
                r#"<option value="{}">{}</option>"#,
                escape(&id),
                escape(&names.of(&id))
            )
        })
        .collect();
    let categories: String = ledger::CATEGORIES
        .into_iter()
        .chain(["production", "design", "materials"])
        .map(|c| format!(r#"<option value="{c}"></option>"#))
        .collect();
    let field = |id: &str, label: &str, input: String, hint: &str| {
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!(r#"<p class="field-hint" id="entry-{id}-hint">{hint}</p>"#)
        };
        format!(
            r#"<div class="field form-field"><label for="entry-{id}">{label}</label>{hint}{input}<p class="field-error" id="entry-{id}-error"></p></div>"#
        )
    };
    let input = |id: &str, extra: &str| {
        format!(
            r#"<input id="entry-{id}" name="{id}" aria-describedby="entry-{id}-hint entry-{id}-error" {extra}>"#
        )
    };
    let fields = [
        field(
            "action",
            "What happened",
            r#"<select id="entry-action" name="action"><option value="transfer">Money or material changed hands</option><option value="work">Hours of work</option><option value="use">Hours of machine use</option><option value="cite">Pieces made citing a design</option></select>"#.into(),
            "",
        ),
        field(
            "provider",
            "From",
            input("provider", r#"list="entry-accounts" required"#),
            "An agent's handle, @treasury or @commons-fund; the contributor, for work, use and citations.",
        ),
        field(
            "receiver",
            "To",
            input("receiver", r#"list="entry-accounts" value="@treasury" required"#),
            "",
        ),
        field(
            "quantity",
            "How much",
            input("quantity", r#"inputmode="decimal" required"#),
            "",
        ),
        field(
            "unit",
            "Unit",
            input("unit", &format!(r#"value="{currency}" required"#)),
            &format!("{currency} for money; h for work and machine use; piece for citations; kg, m… for material."),
        ),
        field(
            "resource",
            "Resource",
            input("resource", &format!(r#"value="{currency}" required"#)),
            "The currency for money; the skill, process, material or design otherwise.",
        ),
        field(
            "category",
            "Category",
            input("category", r#"list="entry-categories" required"#),
            "For money: sale, grant, donation, membership, materials, tools, space, payout, reciprocity or transfer.",
        ),
        field(
            "note",
            "Note",
            r#"<textarea id="entry-note" name="note" rows="2" aria-describedby="entry-note-error"></textarea>"#.into(),
            "",
        ),
        field(
            "corrects",
            "Corrects entry",
            input("corrects", r#"inputmode="numeric""#),
            "Only to fix a mistake: the number of the entry this one replaces (0 cancels it).",
        ),
        field(
            "settles",
            "Settles what is owed",
            input("settles", r#"inputmode="numeric""#),
            "For a payout: the number of the amount owed it pays.",
        ),
    ]
    .concat();
    format!(
        r#"<section class="design-section" aria-labelledby="record-title"><details data-testid="record"><summary><h2 id="record-title" class="summary-heading">Record an entry</h2></summary><p class="muted">As a steward of this coalition. Entries cannot be changed afterwards: a mistake is fixed by a new entry that corrects it.</p><form class="stacked-form" data-testid="record-form" novalidate>{fields}<button type="submit" class="button">Record the entry</button><p role="status" data-testid="record-result"></p></form><datalist id="entry-accounts">{accounts}</datalist><datalist id="entry-categories">{categories}</datalist></details></section>"#
    )
}

fn cards(overview: &AccountsOverview) -> String {
    let balance = |account: &str| {
        overview
            .balances
            .iter()
            .find(|b| b.account == account)
            .map_or(0.0, |b| b.amount)
    };
    let months: BTreeSet<&String> = overview
        .flows
        .income
        .iter()
        .chain(&overview.flows.spending)
        .map(|l| &l.0)
        .collect();
    let recent: BTreeSet<&String> = months.into_iter().rev().take(12).collect();
    let last_year = |lines: &[(String, String, i64)]| {
        from_milli(
            lines
                .iter()
                .filter(|l| recent.contains(&l.0))
                .map(|l| l.2)
                .sum(),
        )
    };
    [
        ("The treasury", balance(TREASURY)),
        ("The commons fund", balance(COMMONS_FUND)),
        ("Income, last 12 months", last_year(&overview.flows.income)),
        (
            "Spending, last 12 months",
            last_year(&overview.flows.spending),
        ),
    ]
    .into_iter()
    .map(|(label, amount)| {
        format!(
            r#"<li><span class="stat-label">{label}</span><strong>{}</strong></li>"#,
            escape(&money(amount, &overview.currency))
        )
    })
    .collect()
}

fn series(label: &str, stack: &str, colour: &str, values: &[f64]) -> String {
    let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!(
        r#"{{"label":{},"stack":"{stack}","backgroundColor":"{colour}","data":[{}]}}"#,
        quoted(label),
        values.join(",")
    )
}

/// A chart's section: its title, its canvas, and the same figures as a table.
fn chart_section(id: &str, title: &str, class: &str, label: &str, table: &str) -> String {
    format!(
        r#"<section class="design-section" aria-labelledby="{id}-title"><h2 id="{id}-title">{}</h2><div class="chart {class}"><canvas data-testid="{id}-chart" role="img" aria-label="{}"></canvas></div><details><summary>The same figures as a table</summary><div class="table-scroll">{table}</div></details></section>"#,
        escape(title),
        escape(label)
    )
}

/// Income and spending per month, stacked by category.
fn flows(overview: &AccountsOverview) -> (String, String) {
    let flows = &overview.flows;
    let months: Vec<&String> = flows
        .income
        .iter()
        .chain(&flows.spending)
        .map(|l| &l.0)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut datasets = Vec::new();
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    for (direction, lines, sign) in [
        ("Income", &flows.income, 1.0),
        ("Spending", &flows.spending, -1.0),
    ] {
        let categories: BTreeSet<&String> = lines.iter().map(|l| &l.1).collect();
        for category in categories {
            let values: Vec<f64> = months
                .iter()
                .map(|m| {
                    from_milli(
                        lines
                            .iter()
                            .filter(|l| &&l.0 == m && &l.1 == category)
                            .map(|l| l.2)
                            .sum(),
                    )
                })
                .collect();
            let signed: Vec<f64> = values.iter().map(|v| v * sign).collect();
            let label = format!("{direction}: {category}");
            datasets.push(series(
                &label,
                direction,
                PALETTE[datasets.len() % PALETTE.len()],
                &signed,
            ));
            rows.push((label, values));
        }
    }
    let labels: Vec<String> = months.iter().map(|m| quoted(m)).collect();
    let config = format!(
        r#"{{"type":"bar","data":{{"labels":[{}],"datasets":[{}]}},"options":{{"responsive":true,"maintainAspectRatio":false,"animation":false,"scales":{{"x":{{"stacked":true}},"y":{{"stacked":true,"title":{{"display":true,"text":{}}}}}}},"plugins":{{"legend":{{"position":"bottom"}}}}}}}}"#,
        labels.join(","),
        datasets.join(","),
        quoted(&overview.currency)
    );
    let headers: Vec<Cell> = std::iter::once(("Month".to_owned(), false))
        .chain(rows.iter().map(|(label, _)| (label.clone(), true)))
        .collect();
    let cells: Vec<Vec<Cell>> = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            std::iter::once(((*m).clone(), false))
                .chain(
                    rows.iter()
                        .map(|(_, v)| (money(v[i], &overview.currency), true)),
                )
                .collect()
        })
        .collect();
    let html = chart_section(
        "flows",
        "Income and spending by month",
        "",
        "Income above the line and spending below it, by month and category; the figures are in the table below",
        &table("flows-table", &headers, &cells),
    );
    (config, html)
}

/// The latest year's budget against actuals.
fn budget(overview: &AccountsOverview) -> (String, String) {
    let Some(year) = overview.budget.iter().map(|b| b.year).max() else {
        return (
            String::new(),
            r#"<section class="design-section"><h2>Budget</h2><p class="muted">The stewards have not set a budget yet.</p></section>"#.into(),
        );
    };
    let lines: Vec<_> = overview.budget.iter().filter(|b| b.year == year).collect();
    let label = |b: &ledger::BudgetActual| format!("{}: {}", b.direction, b.category);
    let labels: Vec<String> = lines.iter().map(|b| quoted(&label(b))).collect();
    let planned: Vec<f64> = lines.iter().map(|b| b.budget).collect();
    let actual: Vec<f64> = lines.iter().map(|b| b.actual).collect();
    let config = format!(
        r#"{{"type":"bar","data":{{"labels":[{}],"datasets":[{},{}]}},"options":{{"indexAxis":"y","responsive":true,"maintainAspectRatio":false,"animation":false,"plugins":{{"legend":{{"position":"bottom"}}}}}}}}"#,
        labels.join(","),
        series("Budget", "budget", "#b8c4bf", &planned),
        series("Actual so far", "actual", "#1f5f4a", &actual),
    );
    let cells: Vec<Vec<Cell>> = lines
        .iter()
        .map(|b| {
            vec![
                (label(b), false),
                (money(b.budget, &overview.currency), true),
                (money(b.actual, &overview.currency), true),
            ]
        })
        .collect();
    let html = chart_section(
        "budget",
        &format!("Budget for {year} against actuals"),
        "chart-short",
        "Each budget line beside what actually came in or went out; the figures are in the table below",
        &table(
            "budget-table",
            &[
                ("Line".into(), false),
                ("Budget".into(), true),
                ("Actual".into(), true),
            ],
            &cells,
        ),
    );
    (config, html)
}

/// Each contributor's share under the value equation, and why.
fn shares(overview: &AccountsOverview, names: &Names) -> String {
    let open = r#"<section class="design-section" aria-labelledby="shares-title"><h2 id="shares-title">Contributors and their shares</h2>"#;
    let Some(equation) = &overview.equation else {
        return format!(
            r#"{open}<p class="muted">The stewards have not set a value equation yet, so contributions earn no shares.</p></section>"#
        );
    };
    let weights = weights_of(equation);
    let set = format!(
        "Version {}{}{}. {} of each sale is owed to contributors by their shares, {} to the commons fund; a maker outside the coalition owes {} a piece of a Peer Production License design.",
        equation.version,
        equation
            .set_by
            .as_ref()
            .map(|b| format!(", set by {}", names.of(b.as_str())))
            .unwrap_or_default(),
        equation
            .set_at
            .as_ref()
            .map(|t| format!(" on {}", t.date()))
            .unwrap_or_default(),
        percent(equation.contributors_share),
        percent(equation.commons_share),
        money(equation.reciprocity_fee, &overview.currency),
    );
    let rows: Vec<Vec<Cell>> = overview
        .shares
        .iter()
        .map(|s| {
            let why = s
                .lines
                .iter()
                .map(|l| {
                    format!(
                        "{} {} {} × {} = {}",
                        l.action.label(),
                        number(l.quantity),
                        unit_of(l.action, &l.unit, &l.resource),
                        number(l.weight),
                        number(l.points)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                (names.of(&s.contributor), false),
                (number(s.points), true),
                (percent(s.share), true),
                (why, false),
            ]
        })
        .collect();
    format!(
        r#"{open}<p>{}</p><p class="muted" data-testid="equation">{}</p><p class="muted">Weights per unit: {}.</p><div class="table-scroll">{}</div></section>"#,
        escape(&equation.note),
        escape(&set),
        escape(&weights),
        table(
            "shares",
            &[
                ("Contributor".into(), false),
                ("Points".into(), true),
                ("Share".into(), true),
                ("Why".into(), false),
            ],
            &rows,
        )
    )
}

/// An equation's weights in words: `Work welding: 1.2 · Machine use (any): 0.4`.
fn weights_of(equation: &ValueEquation) -> String {
    equation
        .weights
        .iter()
        .map(|w| {
            format!(
                "{} {}: {}",
                w.action.label(),
                w.resource.as_deref().unwrap_or("(any)"),
                number(w.weight)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Every version of the value equation, public; and for stewards, a form
/// to set the next one, starting from the current weights.
fn equations(
    overview: &AccountsOverview,
    versions: &[ValueEquation],
    names: &Names,
    steward: bool,
) -> String {
    let mut out = String::new();
    if !versions.is_empty() {
        let rows: Vec<Vec<Cell>> = versions
            .iter()
            .map(|v| {
                let weights = weights_of(v);
                vec![
                    (v.version.to_string(), true),
                    (
                        v.set_by
                            .as_ref()
                            .map(|b| names.of(b.as_str()))
                            .unwrap_or_default(),
                        false,
                    ),
                    (
                        v.set_at
                            .as_ref()
                            .map(|t| t.date().to_owned())
                            .unwrap_or_default(),
                        false,
                    ),
                    (percent(v.contributors_share), true),
                    (percent(v.commons_share), true),
                    (money(v.reciprocity_fee, &overview.currency), true),
                    (weights, false),
                    (v.note.clone(), false),
                ]
            })
            .collect();
        out.push_str(&format!(
            r#"<details data-testid="equation-history"><summary>Every version of the value equation</summary><div class="table-scroll">{}</div></details>"#,
            table(
                "equations",
                &[
                    ("Version".into(), true),
                    ("Set by".into(), false),
                    ("On".into(), false),
                    ("To contributors".into(), true),
                    ("To the commons".into(), true),
                    ("Fee a piece".into(), true),
                    ("Weights".into(), false),
                    ("Why".into(), false),
                ],
                &rows,
            )
        ));
    }
    if steward {
        let current = versions.first();
        let weights = current.map(|v| v.weights.as_slice()).unwrap_or_default();
        let rows: String = (0..weights.len() + 2)
            .map(|i| {
                let w = weights.get(i);
                let options: String = LedgerAction::ALL
                    .into_iter()
                    .map(|a| {
                        let chosen = if w.is_some_and(|w| w.action == a) {
                            " selected"
                        } else {
                            ""
                        };
                        format!(r#"<option value="{}"{chosen}>{}</option>"#, a.as_str(), a.label())
                    })
                    .collect();
                let resource = escape(w.and_then(|w| w.resource.as_deref()).unwrap_or_default());
                let weight = w.map(|w| w.weight.to_string()).unwrap_or_default();
                format!(
                    r#"<tr><td><select id="eq-w{i}-action" aria-label="Action of weight {n}">{options}</select></td><td><input id="eq-w{i}-resource" aria-label="Skill, process or resource of weight {n} (empty for any)" value="{resource}"><p class="field-error" id="eq-w{i}-resource-error"></p></td><td><input id="eq-w{i}-weight" inputmode="decimal" aria-label="Points per unit of weight {n} (empty to drop it)" value="{weight}"><p class="field-error" id="eq-w{i}-weight-error"></p></td></tr>"#,
                    n = i + 1
                )
            })
            .collect();
        let value = |f: fn(&ValueEquation) -> f64, scale: f64| {
            current
                .map(|v| ((f(v) * scale * 1000.0).round() / 1000.0).to_string())
                .unwrap_or_default()
        };
        let input = |id: &str, label: &str, value: String| {
            format!(
                r#"<div class="field form-field"><label for="eq-{id}">{label}</label><input id="eq-{id}" inputmode="decimal" value="{}"><p class="field-error" id="eq-{id}-error"></p></div>"#,
                escape(&value)
            )
        };
        out.push_str(&format!(
            r#"<details data-testid="equation-edit"><summary>Set a new version</summary><p class="muted">As a steward. The new version applies to sales recorded from now on; earlier versions stay as they were, for anyone to read.</p><form class="stacked-form" data-testid="equation-form" novalidate><div class="table-scroll"><table class="data-table"><thead><tr><th scope="col">Action</th><th scope="col">Skill, process or resource</th><th scope="col">Points per unit</th></tr></thead><tbody>{rows}</tbody></table></div>{}{}{}<div class="field form-field"><label for="eq-note">Why</label><textarea id="eq-note" rows="2">{}</textarea><p class="field-error" id="eq-note-error"></p></div><button type="submit" class="button">Set the new version</button><p role="status" data-testid="equation-result"></p></form></details>"#,
            input("contributors", "Share of each sale to contributors (%)", value(|v| v.contributors_share, 100.0)),
            input("commons", "Share of each sale to the commons fund (%)", value(|v| v.commons_share, 100.0)),
            input("fee", &format!("Reciprocity fee a piece ({})", escape(&overview.currency)), value(|v| v.reciprocity_fee, 1.0)),
            escape(current.map(|v| v.note.as_str()).unwrap_or_default()),
        ));
    }
    if out.is_empty() {
        return out;
    }
    format!(
        r#"<section class="design-section" aria-labelledby="equation-title"><h2 id="equation-title">The value equation</h2>{out}</section>"#
    )
}

/// What each creditor is owed, has been paid, and is still owed.
fn owed(overview: &AccountsOverview, names: &Names) -> String {
    let currency = &overview.currency;
    let inner = if overview.owed.is_empty() {
        r#"<p class="muted">Nothing is owed yet.</p>"#.to_owned()
    } else {
        let rows: Vec<Vec<Cell>> = overview
            .owed
            .iter()
            .map(|o| {
                vec![
                    (names.of(&o.creditor), false),
                    (money(o.owed, currency), true),
                    (money(o.settled, currency), true),
                    (money(o.owed - o.settled, currency), true),
                ]
            })
            .collect();
        format!(
            r#"<div class="table-scroll">{}</div>"#,
            table(
                "owed",
                &[
                    ("Owed to".into(), false),
                    ("Owed".into(), true),
                    ("Paid".into(), true),
                    ("Outstanding".into(), true),
                ],
                &rows,
            )
        )
    };
    format!(
        r#"<section class="design-section" aria-labelledby="owed-title"><h2 id="owed-title">Revenue shares and fees owed</h2>{inner}</section>"#
    )
}

/// A page of the ledger as table rows (markup).
fn ledger_rows(page: &LedgerPage) -> String {
    let names = Names(page.names.iter().cloned().collect());
    let corrected: BTreeMap<u64, u64> = page.corrected_by.iter().copied().collect();
    let rows: Vec<Vec<Cell>> = page
        .items
        .iter()
        .map(|e| entry_row(e, &page.currency, &names, corrected.get(&e.seq).copied()))
        .collect();
    let struck = |i: usize| {
        corrected
            .contains_key(&page.items[i].seq)
            .then_some("corrected")
    };
    body(&rows, Some(&struck))
}

/// One ledger entry as table cells.
fn entry_row(
    e: &LedgerEntry,
    currency: &str,
    names: &Names,
    corrected_by: Option<u64>,
) -> Vec<Cell> {
    let amount = if e.is_money() {
        money(e.quantity, currency)
    } else {
        format!(
            "{} {}",
            number(e.quantity),
            unit_of(e.action, &e.unit, &e.resource)
        )
    };
    let mut note = e.note.clone();
    if let Some(old) = e.corrects {
        note = format!("Corrects entry {old}. {note}");
    }
    if let Some(newer) = corrected_by {
        note = format!("Corrected by entry {newer}; no longer counts. {note}");
    }
    if let Some(steward) = &e.recorded_by {
        note = format!("{note} Recorded by {}.", names.of(steward));
    }
    vec![
        (e.seq.to_string(), true),
        (e.at.date().to_owned(), false),
        (format!("{} · {}", e.action.label(), e.category), false),
        (names.of(&e.provider), false),
        (names.of(&e.receiver), false),
        (amount, true),
        (note, false),
    ]
}

/// Re-checks an exported ledger here: whether it holds, and what to say.
fn check(export: &LedgerExport) -> (bool, String) {
    let check = ledger::verify(&export.entries);
    let message = if check.valid {
        format!(
            "Verified: all {} entries check out, from the first to the latest ({}).",
            check.entries,
            check.head.get(..12).unwrap_or(&check.head)
        )
    } else {
        format!(
            "The chain is broken at entry {}: {}",
            check.broken_at.unwrap_or_default(),
            check.problem.unwrap_or_default()
        )
    };
    (check.valid, message)
}

/// Fetches a JSON document from this site: its text, or what went wrong in
/// words (the API's own message when it gives one).
async fn fetch<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    let offline =
        |_| "The server could not be reached; check the connection and try again.".to_owned();
    let window = web_sys::window().ok_or("There is no window.")?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(offline)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(offline)?)
        .await
        .map_err(offline)?
        .as_string()
        .unwrap_or_default();
    if !response.ok() {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned));
        return Err(
            message.unwrap_or_else(|| format!("The server answered {}.", response.status()))
        );
    }
    serde_json::from_str(&text).map_err(|e| format!("The server's answer could not be read: {e}"))
}

/// What the mounted page keeps between events.
struct State {
    host: HtmlElement,
    coalition: String,
    kind: String,
    category: String,
    /// The ledger rows shown so far (markup), how many, of how many, and
    /// the cursor of the next page.
    rows: String,
    shown: u64,
    total: u64,
    next: Option<u64>,
    busy: bool,
    /// Counts first-page loads, so that a slow answer to an earlier filter
    /// cannot overwrite a later one.
    generation: u64,
    charts: Vec<Chart>,
}

impl State {
    fn find(&self, testid: &str) -> Option<Element> {
        self.host
            .query_selector(&format!("[data-testid={testid}]"))
            .ok()
            .flatten()
    }
}

/// A DOM event listener the page keeps until it is unmounted.
type Listener = Closure<dyn FnMut(Event)>;

/// The accounts page mounted in an element; [`Page::unmount`] lets go of its
/// listeners and charts.
#[wasm_bindgen]
pub struct Page {
    state: Rc<RefCell<State>>,
    listeners: Vec<(&'static str, Listener)>,
}

#[wasm_bindgen]
impl Page {
    /// The page's title, for the document.
    pub fn title(&self) -> String {
        self.state
            .borrow()
            .host
            .get_attribute("data-title")
            .unwrap_or_default()
    }

    pub fn unmount(self) {
        let state = self.state.borrow();
        for (event, listener) in &self.listeners {
            let _ = state
                .host
                .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        for chart in &state.charts {
            chart.destroy();
        }
    }
}

/// Whether the signed-in person (if any) is a steward of `coalition`.
async fn is_steward(coalition: &str) -> bool {
    let Ok(me) = fetch::<serde_json::Value>("/api/me").await else {
        return false;
    };
    let Ok(organization) = fetch::<serde_json::Value>(&format!(
        "/api/organizations/{}",
        stigmergy_core::query::encode(coalition)
    ))
    .await
    else {
        return false;
    };
    organization["members"].as_array().is_some_and(|members| {
        members
            .iter()
            .any(|m| m["agent"]["id"] == me["handle"] && m["role"] == "steward")
    })
}

/// (Re)draws the whole page from a fresh overview, then its ledger.
async fn refresh(state: Rc<RefCell<State>>) -> Result<(), String> {
    let coalition = state.borrow().coalition.clone();
    let overview: AccountsOverview = fetch(&format!(
        "/api/coalitions/{}/accounts",
        stigmergy_core::query::encode(&coalition)
    ))
    .await?;
    let steward = is_steward(&coalition).await;
    let versions: Vec<ValueEquation> = fetch(&format!(
        "/api/coalitions/{}/value-equations",
        stigmergy_core::query::encode(&coalition)
    ))
    .await
    .unwrap_or_default();
    let drawn = draw(&overview, &versions, steward);
    {
        let mut s = state.borrow_mut();
        for chart in s.charts.drain(..) {
            chart.destroy();
        }
        s.host.set_inner_html(&drawn.html);
        let _ = s.host.set_attribute("data-title", &drawn.title);
        for (testid, config) in drawn.charts.iter().filter(|(_, c)| !c.is_empty()) {
            let canvas = s
                .find(testid)
                .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok());
            let config = js_sys::JSON::parse(config).unwrap_or(JsValue::NULL);
            if let Some(chart) = canvas.and_then(|c| Chart::new(&c, &config).ok()) {
                s.charts.push(chart);
            }
        }
        s.kind.clear();
        s.category.clear();
    }
    load_ledger(state, false).await;
    Ok(())
}

/// Draws coalition `coalition`'s accounts in `host` and follows the
/// reader's clicks and filters; the error, in words, when they cannot be
/// fetched.
#[wasm_bindgen]
pub async fn mount(host: HtmlElement, coalition: String) -> Result<Page, String> {
    let state = Rc::new(RefCell::new(State {
        host: host.clone(),
        coalition,
        kind: String::new(),
        category: String::new(),
        rows: String::new(),
        shown: 0,
        total: 0,
        next: None,
        busy: false,
        generation: 0,
        charts: Vec::new(),
    }));
    refresh(state.clone()).await?;

    let on_click = {
        let state = state.clone();
        Listener::new(move |event: Event| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            match target.get_attribute("data-testid").as_deref() {
                Some("verify") => spawn_local(verify_here(state.clone())),
                Some("more-entries") => spawn_local(load_ledger(state.clone(), true)),
                _ => {}
            }
        })
    };
    let on_change = {
        let state = state.clone();
        Listener::new(move |event: Event| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let value = Reflect::get(&target, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            {
                let mut s = state.borrow_mut();
                match target.id().as_str() {
                    "ledger-kind" => s.kind = value,
                    "ledger-category" => s.category = value,
                    _ => return,
                }
            }
            spawn_local(load_ledger(state.clone(), false));
        })
    };
    let on_submit = {
        let state = state.clone();
        Listener::new(move |event: Event| {
            event.prevent_default();
            let form = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|f| f.get_attribute("data-testid"));
            match form.as_deref() {
                Some("record-form") => spawn_local(record(state.clone())),
                Some("equation-form") => spawn_local(set_equation(state.clone())),
                Some("void-form") => spawn_local(void::send(state.clone())),
                _ => {}
            }
        })
    };
    let listeners = vec![
        ("click", on_click),
        ("change", on_change),
        ("submit", on_submit),
    ];
    for (event, listener) in &listeners {
        let _ = host.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    Ok(Page { state, listeners })
}

/// The value of the form field with this id, trimmed.
fn field_value(state: &State, id: &str) -> String {
    state
        .host
        .query_selector(&format!("#{id}"))
        .ok()
        .flatten()
        .and_then(|e| Reflect::get(&e, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Shows `message` beside the form field with this id (none clears it).
fn mark(state: &State, id: &str, message: Option<&str>) {
    let root = &state.host;
    if let Ok(Some(error)) = root.query_selector(&format!("#{id}-error")) {
        error.set_text_content(message);
    }
    if let Ok(Some(input)) = root.query_selector(&format!("#{id}")) {
        let _ = match message {
            Some(_) => input.set_attribute("aria-invalid", "true"),
            None => input.remove_attribute("aria-invalid"),
        };
    }
}

const FIELDS: [&str; 10] = [
    "action", "provider", "receiver", "quantity", "unit", "resource", "category", "note",
    "corrects", "settles",
];

/// Sends the stewards' form; on success redraws the page with the new
/// entry and says so, else names what is wrong beside each field.
async fn record(state: Rc<RefCell<State>>) {
    let (body, status, coalition) = {
        let s = state.borrow();
        for name in FIELDS {
            mark(&s, &format!("entry-{name}"), None);
        }
        let number = |name: &str| field_value(&s, &format!("entry-{name}"));
        let mut problems = Vec::new();
        let quantity = number("quantity").replace(',', ".").parse::<f64>();
        if quantity.is_err() {
            problems.push(("quantity", "Give the amount as a number, such as 120.50."));
        }
        let reference = |name: &'static str, problems: &mut Vec<(&'static str, &'static str)>| {
            let text = number(name);
            if text.is_empty() {
                return None;
            }
            match text.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push((name, "Give the entry's or the amount's number, such as 42."));
                    None
                }
            }
        };
        let corrects = reference("corrects", &mut problems);
        let settles = reference("settles", &mut problems);
        let status = s.find("record-result");
        if !problems.is_empty() {
            for (name, message) in &problems {
                mark(&s, &format!("entry-{name}"), Some(message));
            }
            if let Some(status) = &status {
                status.set_text_content(Some("Nothing was recorded: see the fields marked above."));
                let _ = status.set_attribute("class", "notice notice-error");
            }
            return;
        }
        let body = serde_json::json!({
            "action": number("action"),
            "provider": number("provider"),
            "receiver": number("receiver"),
            "resource": number("resource"),
            "quantity": quantity.unwrap_or_default(),
            "unit": number("unit"),
            "category": number("category"),
            "note": number("note"),
            "corrects": corrects,
            "settles": settles,
        });
        (body, status, s.coalition.clone())
    };
    let url = format!(
        "/api/coalitions/{}/ledger",
        stigmergy_core::query::encode(&coalition)
    );
    let outcome = post(&url, &body).await;
    match outcome {
        Ok(entry) => {
            let seq = entry["seq"].as_u64().unwrap_or_default();
            if refresh(state.clone()).await.is_ok() {
                let s = state.borrow();
                if let (Some(details), Some(status)) = (s.find("record"), s.find("record-result")) {
                    let _ = details.set_attribute("open", "");
                    status.set_text_content(Some(&format!(
                        "Recorded as entry {seq}; the balances, charts and ledger below include it."
                    )));
                    let _ = status.set_attribute("class", "notice notice-ok");
                }
            }
        }
        Err((message, fields)) => {
            let s = state.borrow();
            for name in FIELDS {
                if let Some(text) = fields.get(name).and_then(|v| v.as_str()) {
                    mark(&s, &format!("entry-{name}"), Some(text));
                }
            }
            if let Some(status) = status {
                status.set_text_content(Some(&format!("Nothing was recorded: {message}")));
                let _ = status.set_attribute("class", "notice notice-error");
            }
        }
    }
}

/// Sends the stewards' new version of the value equation; on success
/// redraws the page with it, else names what is wrong beside each field.
async fn set_equation(state: Rc<RefCell<State>>) {
    let (body, rows, coalition) = {
        let s = state.borrow();
        let status = s.find("equation-result");
        let mut problems: Vec<(String, &str)> = Vec::new();
        let mut weights = Vec::new();
        // Which form row each weight sent came from, for the server's errors.
        let mut rows = Vec::new();
        let mut i = 0;
        while s
            .host
            .query_selector(&format!("#eq-w{i}-weight"))
            .ok()
            .flatten()
            .is_some()
        {
            for part in ["resource", "weight"] {
                mark(&s, &format!("eq-w{i}-{part}"), None);
            }
            let weight = field_value(&s, &format!("eq-w{i}-weight"));
            if !weight.is_empty() {
                match weight.replace(',', ".").parse::<f64>() {
                    Ok(w) => {
                        let resource = field_value(&s, &format!("eq-w{i}-resource"));
                        weights.push(serde_json::json!({
                            "action": field_value(&s, &format!("eq-w{i}-action")),
                            "resource": if resource.is_empty() { None } else { Some(resource) },
                            "weight": w,
                        }));
                        rows.push(i);
                    }
                    Err(_) => problems.push((
                        format!("eq-w{i}-weight"),
                        "Give the points as a number, such as 1.5.",
                    )),
                }
            }
            i += 1;
        }
        let mut number = |id: &str, scale: f64| {
            mark(&s, id, None);
            match field_value(&s, id).replace(',', ".").parse::<f64>() {
                Ok(v) => v / scale,
                Err(_) => {
                    problems.push((id.to_owned(), "Give a number."));
                    f64::NAN
                }
            }
        };
        let contributors = number("eq-contributors", 100.0);
        let commons = number("eq-commons", 100.0);
        let fee = number("eq-fee", 1.0);
        if !problems.is_empty() {
            for (id, message) in &problems {
                mark(&s, id, Some(message));
            }
            if let Some(status) = &status {
                status.set_text_content(Some("Nothing was changed: see the fields marked above."));
                let _ = status.set_attribute("class", "notice notice-error");
            }
            return;
        }
        let body = serde_json::json!({
            "version": 0,
            "weights": weights,
            "contributors_share": contributors,
            "commons_share": commons,
            "reciprocity_fee": fee,
            "note": field_value(&s, "eq-note"),
        });
        (body, rows, s.coalition.clone())
    };
    let url = format!(
        "/api/coalitions/{}/value-equations",
        stigmergy_core::query::encode(&coalition)
    );
    match post(&url, &body).await {
        Ok(saved) => {
            let version = saved["version"].as_u64().unwrap_or_default();
            if refresh(state.clone()).await.is_ok() {
                let s = state.borrow();
                if let Some(status) = s.find("equation-result") {
                    if let Some(details) = s.find("equation-edit") {
                        let _ = details.set_attribute("open", "");
                    }
                    status.set_text_content(Some(&format!(
                        "Version {version} is in force; the shares above follow it."
                    )));
                    let _ = status.set_attribute("class", "notice notice-ok");
                }
            }
        }
        Err((message, fields)) => {
            let s = state.borrow();
            for (field, text) in &fields {
                let Some(text) = text.as_str() else { continue };
                let id = match field.as_str() {
                    "contributors_share" => "eq-contributors".to_owned(),
                    "commons_share" => "eq-commons".to_owned(),
                    "reciprocity_fee" => "eq-fee".to_owned(),
                    "note" => "eq-note".to_owned(),
                    other => {
                        // weights.{n}.{part}: the n-th weight sent.
                        let mut parts = other.split('.');
                        match (
                            parts.next(),
                            parts.next().and_then(|n| n.parse::<usize>().ok()),
                            parts.next(),
                        ) {
                            (Some("weights"), Some(n), Some(part)) => {
                                format!("eq-w{}-{part}", rows.get(n).copied().unwrap_or(n))
                            }
                            _ => continue,
                        }
                    }
                };
                mark(&s, &id, Some(text));
            }
            if let Some(status) = s.find("equation-result") {
                status.set_text_content(Some(&format!("Nothing was changed: {message}")));
                let _ = status.set_attribute("class", "notice notice-error");
            }
        }
    }
}

thread_local! {
    /// This page load's submissions, for their idempotency keys.
    static SUBMISSIONS: RefCell<stigmergy_core::submission::Submissions> = RefCell::new(
        stigmergy_core::submission::Submissions::new((js_sys::Math::random() * 1e15) as u64),
    );
}

/// POSTs JSON as the signed-in person (the session cookie, and the header
/// the server asks of cookie writes); the answer, or the error's message
/// and the fields it names.
async fn post(
    url: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, (String, serde_json::Map<String, serde_json::Value>)> {
    let offline = |_| {
        (
            "The server could not be reached; check the connection and try again.".to_owned(),
            serde_json::Map::new(),
        )
    };
    let window = web_sys::window()
        .ok_or_else(|| ("There is no window.".to_owned(), serde_json::Map::new()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let sent = body.to_string();
    init.set_body(&JsValue::from_str(&sent));
    // One key per submission (see `Submissions`): a double click or a
    // retry after a dropped connection writes once.
    let (print, key) = SUBMISSIONS.with_borrow(|submissions| submissions.key(url, &sent));
    init.set_headers(&options(&[
        ("content-type", "application/json".into()),
        ("x-stigmergy-csrf", "1".into()),
        ("idempotency-key", key.into()),
    ]));
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(offline)?
        .unchecked_into();
    SUBMISSIONS.with_borrow_mut(|submissions| submissions.answered(print));
    let text = JsFuture::from(response.text().map_err(offline)?)
        .await
        .map_err(offline)?
        .as_string()
        .unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if response.ok() {
        return Ok(value);
    }
    let message = value["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("the server answered {}.", response.status()));
    let fields = value["error"]["fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    Err((message, fields))
}

/// Fetches the first page of the ledger for the filters, or (`more`) the
/// next one, and shows it.
async fn load_ledger(state: Rc<RefCell<State>>, more: bool) {
    let (url, generation) = {
        let mut s = state.borrow_mut();
        if more && (s.busy || s.next.is_none()) {
            return;
        }
        if !more {
            s.generation += 1;
        }
        s.busy = true;
        let mut url = format!(
            "/api/coalitions/{}/ledger?limit=50&kind={}&category={}",
            stigmergy_core::query::encode(&s.coalition),
            s.kind,
            s.category
        );
        if let (true, Some(next)) = (more, s.next) {
            url.push_str(&format!("&before={next}"));
        }
        if let Some(button) = s.find("more-entries") {
            let _ = button.set_attribute("disabled", "");
            button.set_text_content(Some("Loading…"));
        }
        (url, s.generation)
    };
    let result = fetch::<LedgerPage>(&url).await;
    let mut s = state.borrow_mut();
    if s.generation != generation {
        return;
    }
    s.busy = false;
    let html = match result {
        Ok(page) => {
            let rows = ledger_rows(&page);
            if more {
                s.rows.push_str(&rows);
                s.shown += page.items.len() as u64;
            } else {
                s.rows = rows;
                s.shown = page.items.len() as u64;
            }
            s.total = page.total;
            s.next = page.next;
            if s.total == 0 {
                r#"<p class="muted" data-testid="no-entries">No entries match these filters.</p>"#
                    .to_owned()
            } else {
                format!(
                    r#"<p class="muted">{} of {} entries, newest first.</p><div class="table-scroll"><table class="data-table" data-testid="ledger"><thead><tr><th scope="col" class="num">#</th><th scope="col">Date</th><th scope="col">What</th><th scope="col">From</th><th scope="col">To</th><th scope="col" class="num">Amount</th><th scope="col">Note</th></tr></thead><tbody>{}</tbody></table></div>"#,
                    s.shown, s.total, s.rows
                )
            }
        }
        Err(error) => format!(r#"<p class="notice notice-error">{}</p>"#, escape(&error)),
    };
    if let Some(table) = s.find("ledger-table") {
        table.set_inner_html(&html);
    }
    if let Some(button) = s.find("more-entries") {
        let _ = button.remove_attribute("disabled");
        button.set_text_content(Some("Older entries"));
        let _ = if s.next.is_some() {
            button.remove_attribute("hidden")
        } else {
            button.set_attribute("hidden", "")
        };
    }
}

/// The Verify button: fetches the raw export and re-computes every hash.
async fn verify_here(state: Rc<RefCell<State>>) {
    let (url, button, status) = {
        let s = state.borrow();
        (
            format!(
                "/api/coalitions/{}/ledger/export",
                stigmergy_core::query::encode(&s.coalition)
            ),
            s.find("verify"),
            s.find("verify-result"),
        )
    };
    let (Some(button), Some(status)) = (button, status) else {
        return;
    };
    if button.has_attribute("disabled") {
        return;
    }
    let _ = button.set_attribute("disabled", "");
    button.set_text_content(Some("Verifying…"));
    status.set_text_content(None);
    let _ = status.set_attribute("class", "");
    let (valid, message) = match fetch::<LedgerExport>(&url).await {
        Ok(export) => check(&export),
        Err(error) => (false, format!("The ledger could not be fetched: {error}")),
    };
    status.set_text_content(Some(&message));
    let _ = status.set_attribute(
        "class",
        if valid {
            "notice notice-ok"
        } else {
            "notice notice-error"
        },
    );
    let _ = button.remove_attribute("disabled");
    button.set_text_content(Some("Verify in this browser"));
}
