//! The map's flows as a table, for keyboard and screen-reader users.

use leptos::prelude::*;
use stigmergy_core::{FlowKind, FlowMap};

use crate::api::ClientError;
use crate::load::{self, Load};

/// Table rows added at a time: a hundred, not one DOM row per flow.
const TABLE_PAGE: usize = 100;

/// The map's flows as a table, a hundred rows at a time; only the rows
/// shown are copied out of the data.
pub(super) fn flow_section(data: Load<FlowMap>) -> impl IntoView {
    let shown = RwSignal::new(TABLE_PAGE);
    view! {
        <section class="design-section" aria-labelledby="flows-title">
            <h2 id="flows-title">"Flows"</h2>
            {move || data.value.with(|data| flow_table(data, shown))}
        </section>
    }
}

fn flow_table(data: &Option<Result<FlowMap, ClientError>>, shown: RwSignal<usize>) -> AnyView {
    match data {
        None => load::waiting("Loading the flows…"),
        Some(Err(error)) => load::failed(error.clone(), None),
        Some(Ok(found)) if found.flows.is_empty() => {
            view! { <p class="muted" data-testid="no-flows">"No flows match these filters."</p> }
                .into_any()
        }
        Some(Ok(found)) => {
            let total = found.flows.len();
            let limit = shown.get();
            let more = (total > limit).then(|| {
                view! {
                    <button
                        type="button"
                        class="button button-quiet"
                        on:click=move |_| shown.update(|n| *n += TABLE_PAGE)
                    >
                        {format!("Show more ({limit} of {total} shown)")}
                    </button>
                }
            });
            let rows = found
                .flows
                .iter()
                .take(limit)
                .cloned()
                .map(|flow| {
                    view! {
                        <tr data-testid="flow" data-kind=if flow.kind == FlowKind::Planned { "planned" } else { "delivered" }>
                            <td><a href=format!("/needs/{}", flow.need)>{flow.what}</a></td>
                            <td>{flow.provider_name}</td>
                            <td>{format!("{} · {}", flow.receiver_name, flow.place)}</td>
                            <td class="num">{format!("{} {}", flow.quantity, flow.unit.symbol())}</td>
                            <td>{if flow.kind == FlowKind::Planned { "Planned" } else { "Delivered" }}</td>
                            <td>{flow.at.date().to_owned()}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="table-scroll">
                    <table class="data-table" data-testid="flow-table">
                        <thead>
                            <tr>
                                <th scope="col">"What"</th>
                                <th scope="col">"Made by"</th>
                                <th scope="col">"For"</th>
                                <th scope="col" class="num">"Quantity"</th>
                                <th scope="col">"Flow"</th>
                                <th scope="col">"Date"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {more}
            }
            .into_any()
        }
    }
}
