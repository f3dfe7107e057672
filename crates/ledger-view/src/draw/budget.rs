//! The latest year's budget against actuals.

use stigmergy_core::ledger::{AccountsOverview, BudgetActual};
use stigmergy_markup::{Cell, table};

use super::chart::{self, series};
use crate::format::{money, quoted};

/// The latest year's budget against actuals.
pub(super) fn budget(overview: &AccountsOverview) -> (String, String) {
    let Some(year) = overview.budget.iter().map(|b| b.year).max() else {
        return (
            String::new(),
            r#"<section class="design-section"><h2>Budget</h2><p class="muted">The stewards have not set a budget yet.</p></section>"#.into(),
        );
    };
    let lines: Vec<_> = overview.budget.iter().filter(|b| b.year == year).collect();
    let label = |b: &BudgetActual| format!("{}: {}", b.direction, b.category);
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
    let html = chart::section(
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
