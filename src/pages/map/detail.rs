//! The side panel's details of whatever was chosen on the map.

use leptos::prelude::*;
use stigmergy_core::{AgentRole, Flow, FlowKind, FlowMap, MapAgent};
use stigmergy_markup::escape;

/// What the side panel shows.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Selected {
    Agent(MapAgent),
    Flow(Flow),
    /// Agents drawn as one marker: how many, and the first few.
    Agents(usize, Vec<MapAgent>),
    /// Flows drawn as one line: how many, and the first few.
    Flows(usize, Vec<Flow>),
}

/// How many of a cluster's agents or a line's flows the panel lists.
const LISTED: usize = 8;

impl Selected {
    /// The agents of one marker, by their index in `map.agents`.
    pub fn agents(map: &FlowMap, members: &[usize]) -> Option<Selected> {
        match members {
            [one] => map.agents.get(*one).cloned().map(Selected::Agent),
            _ => Some(Selected::Agents(
                members.len(),
                members
                    .iter()
                    .take(LISTED)
                    .filter_map(|&i| map.agents.get(i).cloned())
                    .collect(),
            )),
        }
    }

    /// The flows of one line, by their index in `map.flows`.
    pub fn flows(map: &FlowMap, picked: &[usize]) -> Option<Selected> {
        match picked {
            [one] => map.flows.get(*one).cloned().map(Selected::Flow),
            _ => Some(Selected::Flows(
                picked.len(),
                picked
                    .iter()
                    .take(LISTED)
                    .filter_map(|&i| map.flows.get(i).cloned())
                    .collect(),
            )),
        }
    }
}

/// The details section beside the map: what was chosen on it, if anything.
pub(super) fn details(selected: RwSignal<Option<Selected>>) -> impl IntoView {
    view! {
        <section aria-labelledby="detail-title" data-testid="detail">
            <h2 id="detail-title">"Details"</h2>
            {move || detail(selected.get())}
        </section>
    }
}

fn detail(selected: Option<Selected>) -> AnyView {
    match selected {
        None => view! { <p class="muted">"Choose a marker or a flow on the map."</p> }.into_any(),
        Some(Selected::Agent(agent)) => {
            let link = (agent.role == AgentRole::Coalition).then(|| {
                view! { <p><a href=format!("/coalitions/{}", agent.id)>"The coalition's page"</a></p> }
            });
            view! {
                <h3>{agent.name}</h3>
                <p>{format!("{} · {}", agent.role.label(), agent.place)}</p>
                {link}
                <p><a href=format!("/map?coalition={}", agent.id)>"Its coalition's chains"</a></p>
            }
            .into_any()
        }
        Some(Selected::Agents(count, some)) => {
            let items: String = some
                .iter()
                .map(|a| {
                    format!(
                        "<li>{}</li>",
                        escape(&format!("{} · {} · {}", a.name, a.role.label(), a.place))
                    )
                })
                .collect();
            listing(format!("{count} agents here"), items, count > LISTED)
        }
        Some(Selected::Flows(count, some)) => {
            let items: String = some
                .iter()
                .map(|f| {
                    format!(
                        r#"<li><a href="/needs/{}">{}</a>{}</li>"#,
                        f.need,
                        escape(&f.what),
                        escape(&format!(
                            ": {} {} by {} for {}",
                            f.quantity,
                            f.unit.symbol(),
                            f.provider_name,
                            f.receiver_name
                        ))
                    )
                })
                .collect();
            listing(
                format!("{count} flows along this line"),
                items,
                count > LISTED,
            )
        }
        Some(Selected::Flow(flow)) => {
            let what = match &flow.design {
                Some(design) => {
                    view! { <a href=format!("/designs/{design}")>{flow.what.clone()}</a> }
                        .into_any()
                }
                None => flow.what.clone().into_any(),
            };
            view! {
                <h3>{what}</h3>
                <p>
                    {format!(
                        "{} {} by {} for {} in {}",
                        flow.quantity,
                        flow.unit.symbol(),
                        flow.provider_name,
                        flow.receiver_name,
                        flow.place,
                    )}
                </p>
                <p class="chips">
                    <span class="chip">{if flow.kind == FlowKind::Planned { "Planned" } else { "Delivered" }}</span>
                    <span class="chip chip-quiet">{flow.state.label()}</span>
                </p>
                <p class="muted">{format!("Last change {}", flow.at.date())}</p>
                <p><a href=format!("/needs/{}", flow.need)>"The need and its claims"</a></p>
            }
            .into_any()
        }
    }
}

/// A cluster's agents or a line's flows in the side panel, as markup: the
/// list never changes once shown.
fn listing(title: String, items: String, more: bool) -> AnyView {
    let more = if more {
        r#"<p class="muted">Zoom in to tell the others apart, or read them all in the table below.</p>"#
    } else {
        ""
    };
    let html = format!(
        r#"<h3>{}</h3><ul class="plain-list">{items}</ul>{more}"#,
        escape(&title)
    );
    view! { <div inner_html=html></div> }.into_any()
}
