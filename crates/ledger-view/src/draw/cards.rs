//! The balance cards at the top: the coalition's two accounts, and the
//! last twelve months' income and spending.

use stigmergy_core::ledger::{AccountsOverview, COMMONS_FUND, TREASURY};
use stigmergy_core::unit::from_milli;
use stigmergy_markup::escape;

use crate::format::money;

pub(super) fn cards(overview: &AccountsOverview) -> String {
    let balance = |account: &str| {
        overview
            .balances
            .iter()
            .find(|b| b.account == account)
            .map_or(0.0, |b| b.amount)
    };
    let months = super::months(&overview.flows);
    let recent = &months[months.len().saturating_sub(12)..];
    let last_year = |lines: &[(String, String, i64)]| {
        from_milli(
            lines
                .iter()
                .filter(|l| recent.contains(&&l.0))
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
