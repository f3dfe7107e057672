//! Income and spending per month, stacked by category.

use std::collections::BTreeSet;

use stigmergy_core::ledger::AccountsOverview;
use stigmergy_core::unit::from_milli;
use stigmergy_markup::{Cell, table};

use super::chart::{self, PALETTE, series};
use crate::format::{money, quoted};

/// Income and spending per month, stacked by category.
pub(super) fn flows(overview: &AccountsOverview) -> (String, String) {
    let flows = &overview.flows;
    let months = super::months(flows);
    let mut datasets = Vec::new();
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    for (direction, lines, sign) in [
        ("Income", &flows.income, 1.0),
        ("Spending", &flows.spending, -1.0),
    ] {
        let mut categories = BTreeSet::new();
        for line in lines {
            categories.insert(&line.1);
        }
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
    let html = chart::section(
        "flows",
        "Income and spending by month",
        "",
        "Income above the line and spending below it, by month and category; the figures are in the table below",
        &table("flows-table", &headers, &cells),
    );
    (config, html)
}
