//! The value equation's section: every version, public; for stewards, the
//! form to set the next one (`forms::equation`).

use stigmergy_core::ledger::{AccountsOverview, ValueEquation};
use stigmergy_markup::{Cell, table};

use super::shares::weights_of;
use crate::format::{Names, money, percent};
use crate::forms;

/// Every version of the value equation, public; and for stewards, a form
/// to set the next one, starting from the current weights.
pub(super) fn equations(
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
        out.push_str(&forms::equation::form(overview, versions.first()));
    }
    if out.is_empty() {
        return out;
    }
    format!(
        r#"<section class="design-section" aria-labelledby="equation-title"><h2 id="equation-title">The value equation</h2>{out}</section>"#
    )
}
