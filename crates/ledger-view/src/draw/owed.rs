//! What each creditor is owed, has been paid, and is still owed.

use stigmergy_core::ledger::AccountsOverview;
use stigmergy_markup::{Cell, table};

use crate::format::{Names, money};

/// What each creditor is owed, has been paid, and is still owed.
pub(super) fn owed(overview: &AccountsOverview, names: &Names) -> String {
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
