//! Each contributor's share under the value equation in force, and why.

use stigmergy_core::ledger::{AccountsOverview, ValueEquation};
use stigmergy_markup::{Cell, escape, table};

use crate::format::{Names, money, number, percent, unit_of};

/// Each contributor's share under the value equation, and why.
pub(super) fn shares(overview: &AccountsOverview, names: &Names) -> String {
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
pub(super) fn weights_of(equation: &ValueEquation) -> String {
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
