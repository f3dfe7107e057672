//! The live map of supply chains (`/map`): `filters` holds the view the
//! address describes, `canvas` and `drawing` the Leaflet map, `detail`
//! the side panel, `feed` the activity feed and `flow_table` the same
//! flows as a table.

mod canvas;
mod detail;
mod drawing;
mod feed;
mod filters;
mod flow_table;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use stigmergy_core::map_layout::{Drawing, Layout};
use stigmergy_core::{AgentRole, FlowMap, Organization};

use crate::api;
use crate::load::Load;
use canvas::MapCanvas;
use detail::Selected;
use filters::{Field, MapFilters, View};

/// The map's data and how it is drawn, shared by its parts.
#[derive(Clone, Copy)]
struct MapData {
    /// The agents and flows.
    data: Load<FlowMap>,
    /// Positions projected once per data set.
    layout: StoredValue<Layout>,
    /// What is on the map now.
    drawing: StoredValue<Drawing>,
    /// Counts data sets, so that a new one is always drawn.
    generation: StoredValue<usize>,
}

impl MapData {
    /// Lays out `map` again after it changed, so that it is drawn anew.
    fn laid_out(self, map: &FlowMap) {
        self.layout.set_value(Layout::new(map));
        self.generation.update_value(|g| *g += 1);
    }
}

/// The live map of supply chains (`/map`): agents by role, clustered when
/// zoomed out; flows from maker to receiver, planned dashed and delivered
/// solid, as wide as their quantity; filters and view in the address;
/// details of whatever is clicked beside the map; an activity feed of live
/// changes; and the same flows as a table.
#[component]
pub fn MapPage() -> impl IntoView {
    crate::set_page_title("Map");
    let query_map = use_query_map();
    let view = Memo::new(move |_| {
        query_map.with(|q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            View {
                coalition: get("coalition"),
                design: get("design"),
                state: get("state"),
                days: get("days"),
                at: get("at"),
            }
        })
    });
    let navigate = use_navigate();
    let show = Callback::new(move |(next, replace): (View, bool)| {
        let query = next.query(true);
        navigate(
            &if query.is_empty() {
                "/map".to_owned()
            } else {
                format!("/map?{query}")
            },
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        );
    });
    let set = Callback::new(move |(field, value): (Field, String)| {
        let mut next = view.get_untracked();
        *field(&mut next) = value;
        show.run((next, false));
    });

    let state = MapData {
        data: Load::new(),
        layout: StoredValue::new(Layout::default()),
        drawing: StoredValue::new(Drawing::default()),
        generation: StoredValue::new(0),
    };
    let data = state.data;
    let coalitions = RwSignal::new(Vec::<Organization>::new());
    let selected = RwSignal::new(None::<Selected>);
    let feed = RwSignal::new(Vec::<String>::new());
    let problem = RwSignal::new(None::<String>);
    let load = move |query: String| {
        data.run_then(async move { api::flows(&query).await }, move |answer| {
            if let Ok(map) = answer {
                state.laid_out(map);
            }
        });
    };
    // One need changed: fetch its flows alone and put them in place of the
    // old ones, rather than the whole map again.
    let refresh = move |need: u64| {
        spawn_local(async move {
            let query = view.with_untracked(View::api_query);
            let Ok(fresh) = api::flows(&format!("{query}&need={need}")).await else {
                return;
            };
            data.value.update(|data| {
                let Some(Ok(map)) = data else { return };
                map.flows.retain(|f| f.need != need);
                map.flows.extend(fresh.flows);
                for agent in fresh.agents {
                    if !map.agents.iter().any(|a| a.id == agent.id) {
                        map.agents.push(agent);
                    }
                }
                state.laid_out(map);
            });
        });
    };
    // Only a change of filters fetches again; moving the view does not.
    let api_query = Memo::new(move |_| view.with(View::api_query));
    Effect::new(move || load(api_query.get()));
    spawn_local(async move {
        if let Ok(list) = api::coalitions().await {
            coalitions.try_set(list);
        }
    });
    let live = crate::live::follow(
        move |change| {
            feed::record(feed, &change);
            if let (true, Some(need)) = (change.kind.starts_with("claim_"), change.need) {
                refresh(need);
            }
        },
        move || load(view.with_untracked(View::api_query)),
    );
    // The stream opens once the data is in, from where it was read.
    Effect::new(move || {
        if data.value.with(Option::is_some) {
            live.start();
        }
    });

    view! {
        <h1 class="page-title">"Supply chains"</h1>
        <p class="lead">
            "Who makes what for whom: planned claims dashed, confirmed deliveries solid, as they happen."
        </p>
        <MapFilters view coalitions set />
        <p class="notice notice-error" role="alert">{move || problem.get().unwrap_or_default()}</p>
        <div class="map-layout">
            <MapCanvas state view show selected problem />
            <aside class="map-side">
                {detail::details(selected)}
                {feed::activity_feed(feed)}
                <ul class="legend" aria-label="Legend">
                    {AgentRole::ALL
                        .into_iter()
                        .map(|role| view! { <li class=format!("legend-{}", role.slug())>{role.label()}</li> })
                        .collect_view()}
                </ul>
            </aside>
        </div>
        {flow_table::flow_section(data)}
    }
}
