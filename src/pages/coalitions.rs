use leptos::prelude::*;
use stigmergy_core::Organization;

use crate::api;
use crate::components::LicenceBadge;
use crate::load::Load;

/// Every coalition (`/coalitions`): organizations formed around commons
/// licences, with where they are and how many belong.
#[component]
pub fn CoalitionsPage() -> impl IntoView {
    crate::set_page_title("Coalitions");
    let coalitions = Load::new();
    let load = move || coalitions.run(api::coalitions());
    load();
    let retry = Callback::new(move |()| load());
    let list = coalitions.view(
        "Loading the coalitions…",
        Some(retry),
        |list: Vec<Organization>| {
            if list.is_empty() {
                return view! { <p class="empty-state">"No coalition has formed yet."</p> }
                    .into_any();
            }
            view! {
                <ul class="card-grid">
                    {list.into_iter().map(coalition_card).collect_view()}
                </ul>
            }
            .into_any()
        },
    );
    view! {
        <h1 class="page-title">"Coalitions"</h1>
        <p class="lead">
            "Organizations and people who make together around commons licences: anyone may ask to join; stewards admit members."
        </p>
        {list}
    }
}

/// One coalition in the list: where it is, who belongs, its licences.
fn coalition_card(coalition: Organization) -> impl IntoView {
    let Organization {
        agent,
        note,
        coalition_licences,
        members,
    } = coalition;
    let stewards = members
        .iter()
        .filter(|m| m.role == stigmergy_core::MembershipRole::Steward)
        .count();
    view! {
        <li>
            <article class="card" data-testid="coalition-card">
                <h2 class="card-title">
                    <a href=format!("/coalitions/{}", agent.id)>{agent.name}</a>
                </h2>
                <p class="muted">
                    {agent.place.map(|p| p.name).unwrap_or_default()}
                    {format!(" · {} members, {stewards} stewards", members.len())}
                </p>
                <p>{note}</p>
                <p class="chips">
                    {coalition_licences
                        .unwrap_or_default()
                        .into_iter()
                        .map(|licence| view! { <LicenceBadge licence /> })
                        .collect_view()}
                </p>
            </article>
        </li>
    }
}
