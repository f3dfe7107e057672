//! The accounts page drawn as markup from an overview: everything that
//! never changes once drawn, one file per part, plus the charts' configs.

use std::collections::BTreeSet;

use stigmergy_core::ledger::{AccountsOverview, Flows, ValueEquation};
use stigmergy_markup::escape;

use crate::format::Names;
use crate::forms;

mod budget;
mod cards;
pub(crate) mod chart;
mod equations;
mod flows;
pub(crate) mod ledger;
mod owed;
mod shares;

/// The months with any income or spending, oldest first.
fn months(flows: &Flows) -> Vec<&String> {
    let mut months = BTreeSet::new();
    for line in flows.income.iter().chain(&flows.spending) {
        months.insert(&line.0);
    }
    months.into_iter().collect()
}

/// The accounts overview drawn: the page's markup, and the charts to draw
/// on its canvases.
pub(crate) struct Drawn {
    /// The page's title: the coalition's name.
    pub(crate) title: String,
    pub(crate) html: String,
    /// `(data-testid of the canvas, Chart.js configuration as JSON)`; an
    /// empty configuration draws nothing.
    pub(crate) charts: Vec<(&'static str, String)>,
}

/// The whole page for this overview, the value equation's `versions`
/// (newest first) and whether the reader is a steward (who gets the forms).
pub(crate) fn accounts(
    overview: &AccountsOverview,
    versions: &[ValueEquation],
    steward: bool,
) -> Drawn {
    let names = Names::new(&overview.names);
    let title = names.of(overview.coalition.as_str());
    let (flows_config, flows_html) = flows::flows(overview);
    let (budget_config, budget_html) = budget::budget(overview);
    let body = format!(
        "{flows_html}{budget_html}{}{}{}",
        shares::shares(overview, &names),
        equations::equations(overview, versions, &names, steward),
        owed::owed(overview, &names)
    );
    let coalition = escape(overview.coalition.as_str());
    let top = format!(
        r#"<p class="breadcrumb"><a href="/coalitions/{coalition}">{name}</a></p><h1 class="page-title" data-testid="accounts-title">{name}: open accounts</h1><p class="lead">Every flow of money, work and material in the coalition, from the same events the portal records. Balances are worked out from the ledger, never typed in, and anyone can check that no entry was changed.</p><ul class="stat-cards" data-testid="balances">{}</ul>"#,
        cards::cards(overview),
        name = escape(&title),
    );
    let verify = format!(
        r#"<section class="design-section verify" aria-labelledby="verify-title"><h2 id="verify-title">Check the ledger yourself</h2><p>The ledger has {} entries, each sealed with the hash of the one before; the latest hash is <code>{}</code>.</p><button type="button" class="button" data-testid="verify">Verify in this browser</button><p role="status" data-testid="verify-result"></p></section>"#,
        overview.entries,
        escape(&overview.head)
    );
    let ledger = ledger::section(&coalition);
    let record = if steward {
        forms::record::form(overview, &names) + &forms::void::form()
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
