use std::fmt::Write;

use leptos::prelude::*;
use stigmergy_core::{Chain, FlowKind};

use crate::api;
use crate::load::Load;
use stigmergy_markup::escape;

/// The chain as an SVG node-link drawing (suppliers, makers, receivers in
/// three columns; planned links dashed, delivered solid, as wide as their
/// quantity) followed by the same links as a list for screen readers.
/// Written as markup in one string: a view per node and link would cost
/// the wasm budget several KiB for a static picture.
fn drawing(chain: &Chain) -> String {
    const WIDTH: f64 = 720.0;
    const ROW: f64 = 46.0;
    let xs = [90.0, 360.0, 630.0];
    let mut rows = [0usize; 3];
    let mut at = Vec::new();
    for node in &chain.nodes {
        let column = usize::from(node.column.min(2));
        at.push((xs[column], 36.0 + rows[column] as f64 * ROW));
        rows[column] += 1;
    }
    let height = 36.0 + rows.iter().max().copied().unwrap_or(1) as f64 * ROW;
    let find = |id: &stigmergy_core::AgentId, column: u8| {
        chain
            .nodes
            .iter()
            .position(|n| n.id == *id && n.column == column)
    };
    let mut svg = format!(
        "<svg class=\"chain\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"Supply chain: suppliers, makers and receivers\">\
         <text x=\"90\" y=\"16\" class=\"chain-head\">Materials from</text>\
         <text x=\"360\" y=\"16\" class=\"chain-head\">Made by</text>\
         <text x=\"630\" y=\"16\" class=\"chain-head\">Made for</text>"
    );
    let mut list = String::from("<ul class=\"visually-hidden\">");
    for link in &chain.links {
        // A link leaves the column its provider is in.
        let from = find(&link.from, 0).or_else(|| find(&link.from, 1));
        let to = from.and_then(|f| find(&link.to, chain.nodes[f].column + 1));
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        let ((x1, y1), (x2, y2)) = (at[from], at[to]);
        let middle = (x1 + x2) / 2.0;
        let width = (1.0 + link.quantity.sqrt() / 2.0).min(10.0);
        let planned = link.kind == FlowKind::Planned;
        let _ = write!(
            svg,
            "<path d=\"M{x1} {y1} C{middle} {y1} {middle} {y2} {x2} {y2}\" class=\"chain-link {}\" stroke-width=\"{}\"><title>{}</title></path>",
            if planned { "planned" } else { "delivered" },
            (width * 10.0).round() / 10.0,
            escape(&format!(
                "{} {} of {}",
                link.quantity,
                link.unit.symbol(),
                link.what
            )),
        );
        let _ = write!(
            list,
            "<li>{} {} {} {} of {} for {}</li>",
            escape(&chain.nodes[from].name),
            if planned { "is to make" } else { "delivered" },
            link.quantity,
            link.unit.symbol(),
            escape(&link.what),
            escape(&chain.nodes[to].name),
        );
    }
    for (node, (x, y)) in chain.nodes.iter().zip(&at) {
        let _ = write!(
            svg,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"7\" class=\"chain-node column-{}\"/><text x=\"{x}\" y=\"{}\" class=\"chain-label\">{}</text>",
            node.column,
            y + 20.0,
            escape(&node.name),
        );
    }
    svg.push_str("</svg>");
    list.push_str("</ul>");
    svg + &list
}

/// The supply chain of a design (`design=…`) or a need (`need=…`).
#[component]
pub fn SupplyChain(
    /// The query naming the design or the need.
    query: String,
) -> impl IntoView {
    let chain = Load::new();
    chain.run(async move { api::chain(&query).await });
    view! {
        <section class="design-section" aria-labelledby="chain-title" data-testid="supply-chain">
            <h2 id="chain-title">"Supply chain"</h2>
            {chain.view("Loading the chain…", None, |chain: Chain| {
                if chain.links.is_empty() {
                    view! { <p class="muted">"Nobody has claimed or delivered any of it yet."</p> }.into_any()
                } else {
                    view! { <div class="table-scroll" inner_html=drawing(&chain)></div> }.into_any()
                }
            })}
        </section>
    }
}
