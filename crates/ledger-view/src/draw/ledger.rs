//! The ledger's section and its table: entries newest first, the ones a
//! later entry corrects struck through.

use stigmergy_core::ledger::{self, LedgerEntry, LedgerPage};
use stigmergy_markup::{Cell, body};

use crate::format::{Names, money, number, unit_of};

/// The ledger's section: links to download it, the filters, and where its
/// table goes (`crate::ledger` fills it in). `coalition` is escaped.
pub(super) fn section(coalition: &str) -> String {
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
    format!(
        r#"<section class="design-section" aria-labelledby="ledger-title"><h2 id="ledger-title">The ledger</h2><p>Download it: {}CSV</a>, {}JSON with every hash</a>, {}ValueFlows JSON-LD</a>.</p><form class="search-form filters" data-testid="ledger-filters"><div class="field"><label for="ledger-kind">Kind</label><select id="ledger-kind"><option value="">Money and in kind</option><option value="money">Money</option><option value="in_kind">In kind</option></select></div><div class="field"><label for="ledger-category">Category</label><select id="ledger-category"><option value="">Every category</option>{categories}</select></div></form><div data-testid="ledger-table"><p class="loading">Loading the ledger…</p></div><button type="button" class="button button-quiet" data-testid="more-entries" hidden>Older entries</button></section>"#,
        export("csv"),
        export("json"),
        export("jsonld"),
    )
}

/// The table of the rows shown so far (markup), or that none match.
pub(crate) fn table(shown: u64, total: u64, rows: &str) -> String {
    if total == 0 {
        r#"<p class="muted" data-testid="no-entries">No entries match these filters.</p>"#
            .to_owned()
    } else {
        format!(
            r#"<p class="muted">{shown} of {total} entries, newest first.</p><div class="table-scroll"><table class="data-table" data-testid="ledger"><thead><tr><th scope="col" class="num">#</th><th scope="col">Date</th><th scope="col">What</th><th scope="col">From</th><th scope="col">To</th><th scope="col" class="num">Amount</th><th scope="col">Note</th></tr></thead><tbody>{rows}</tbody></table></div>"#
        )
    }
}

/// A page of the ledger as table rows (markup).
pub(crate) fn rows(page: &LedgerPage) -> String {
    let names = Names::new(&page.names);
    // A page names at most as many corrections as it has entries: a scan
    // costs less code than a map.
    let corrected_by = |seq: u64| {
        page.corrected_by
            .iter()
            .find(|(old, _)| *old == seq)
            .map(|(_, newer)| *newer)
    };
    let rows: Vec<Vec<Cell>> = page
        .items
        .iter()
        .map(|e| entry_row(e, &page.currency, &names, corrected_by(e.seq)))
        .collect();
    let struck = |i: usize| {
        corrected_by(page.items[i].seq)
            .is_some()
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
