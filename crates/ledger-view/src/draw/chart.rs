//! Charts drawn by Chart.js (loaded by the page before this module): the
//! configuration each chart is given as JSON, and the section each sits in
//! beside the same figures as a table.

use stigmergy_markup::escape;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::format::quoted;

#[wasm_bindgen]
extern "C" {
    /// A Chart.js chart.
    pub(crate) type Chart;
    #[wasm_bindgen(constructor, catch)]
    pub(crate) fn new(canvas: &HtmlCanvasElement, config: &JsValue) -> Result<Chart, JsValue>;
    #[wasm_bindgen(method)]
    pub(crate) fn destroy(this: &Chart);
}

/// Colours for chart series, in order.
pub(super) const PALETTE: [&str; 8] = [
    "#1f5f4a", "#2a9d55", "#7fb069", "#c2410c", "#e07a3f", "#8c564b", "#6a3d9a", "#52605b",
];

/// One series of a bar chart, as Chart.js configuration: `stack` groups
/// series into one bar.
pub(super) fn series(label: &str, stack: &str, colour: &str, values: &[f64]) -> String {
    let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!(
        r#"{{"label":{},"stack":"{stack}","backgroundColor":"{colour}","data":[{}]}}"#,
        quoted(label),
        values.join(",")
    )
}

/// A chart's section: its title, its canvas, and the same figures as a table.
pub(super) fn section(id: &str, title: &str, class: &str, label: &str, table: &str) -> String {
    format!(
        r#"<section class="design-section" aria-labelledby="{id}-title"><h2 id="{id}-title">{}</h2><div class="chart {class}"><canvas data-testid="{id}-chart" role="img" aria-label="{}"></canvas></div><details><summary>The same figures as a table</summary><div class="table-scroll">{table}</div></details></section>"#,
        escape(title),
        escape(label)
    )
}
