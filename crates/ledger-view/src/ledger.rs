//! The ledger on the page: fetched a page at a time as the reader filters
//! it and asks for older entries.

use stigmergy_markup::escape;

use crate::draw;
use crate::http;
use crate::page::Shared;

/// The ledger as shown: its filters, the rows so far and where the next
/// page starts.
#[derive(Default)]
pub(crate) struct Listing {
    /// The filters: `money` or `in_kind`, and a category; empty for any.
    pub(crate) kind: String,
    pub(crate) category: String,
    /// The rows shown so far (markup), how many, of how many, and the
    /// cursor of the next page.
    rows: String,
    shown: u64,
    total: u64,
    next: Option<u64>,
    busy: bool,
    /// Counts first-page loads, so that a slow answer to an earlier filter
    /// cannot overwrite a later one.
    generation: u64,
}

/// Fetches the first page of the ledger for the filters, or (`more`) the
/// next one, and shows it.
pub(crate) async fn load(state: Shared, more: bool) {
    let (coalition, (kind, category, before, generation)) = {
        let mut s = state.borrow_mut();
        let listing = &mut s.ledger;
        if more && (listing.busy || listing.next.is_none()) {
            return;
        }
        if !more {
            listing.generation += 1;
        }
        listing.busy = true;
        let filters = (
            listing.kind.clone(),
            listing.category.clone(),
            listing.next.filter(|_| more),
            listing.generation,
        );
        if let Some(button) = s.find("more-entries") {
            let _ = button.set_attribute("disabled", "");
            button.set_text_content(Some("Loading…"));
        }
        (s.coalition.clone(), filters)
    };
    let result = http::ledger_page(&coalition, &kind, &category, before).await;
    let mut s = state.borrow_mut();
    let listing = &mut s.ledger;
    if listing.generation != generation {
        return;
    }
    listing.busy = false;
    let html = match result {
        Ok(page) => {
            let rows = draw::ledger::rows(&page);
            if more {
                listing.rows.push_str(&rows);
                listing.shown += page.items.len() as u64;
            } else {
                listing.rows = rows;
                listing.shown = page.items.len() as u64;
            }
            listing.total = page.total;
            listing.next = page.next;
            draw::ledger::table(listing.shown, listing.total, &listing.rows)
        }
        Err(error) => format!(
            r#"<p class="notice notice-error">{}</p>"#,
            escape(&error.to_string())
        ),
    };
    let more_to_come = listing.next.is_some();
    if let Some(table) = s.find("ledger-table") {
        table.set_inner_html(&html);
    }
    if let Some(button) = s.find("more-entries") {
        let _ = button.remove_attribute("disabled");
        button.set_text_content(Some("Older entries"));
        let _ = if more_to_come {
            button.remove_attribute("hidden")
        } else {
            button.set_attribute("hidden", "")
        };
    }
}
