use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use stigmergy_core::map_layout::{Bounds, Drawing, Layout};
use stigmergy_core::{AgentRole, Flow, FlowKind, FlowMap, MapAgent, Organization};
use stigmergy_markup::escape;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Array, Reflect};

use crate::api::{self, ClientError};
use crate::leaflet::{self as l, options, point};

/// What the side panel shows.
#[derive(Debug, Clone, PartialEq)]
enum Selected {
    Agent(MapAgent),
    Flow(Flow),
    /// Agents drawn as one marker: how many, and the first few.
    Agents(usize, Vec<MapAgent>),
    /// Flows drawn as one line: how many, and the first few.
    Flows(usize, Vec<Flow>),
}

/// How many of a cluster's agents or a line's flows the panel lists.
const LISTED: usize = 8;

/// The map's filters and view, as the address holds them.
#[derive(Debug, Clone, PartialEq, Default)]
struct View {
    coalition: String,
    design: String,
    state: String,
    days: String,
    /// `lat,lon,zoom`
    at: String,
}

impl View {
    fn query(&self, with_view: bool) -> String {
        let mut pairs = Vec::new();
        for (key, value) in [
            ("coalition", &self.coalition),
            ("design", &self.design),
            ("state", &self.state),
            ("days", &self.days),
        ] {
            if !value.is_empty() {
                pairs.push(format!("{key}={}", stigmergy_core::query::encode(value)));
            }
        }
        if with_view && !self.at.is_empty() {
            pairs.push(format!("at={}", stigmergy_core::query::encode(&self.at)));
        }
        pairs.join("&")
    }

    /// The API query: the time window as a date.
    fn api_query(&self) -> String {
        let mut query = self.query(false);
        let days = crate::pages::new_need::number(&self.days);
        if days.is_finite() {
            let since = web_sys::js_sys::Date::new_0();
            since.set_time(since.get_time() - days * 86_400_000.0);
            let date: String = since.to_iso_string().into();
            query = query
                .split('&')
                .filter(|p| !p.starts_with("days="))
                .chain(std::iter::once(format!("since={}", &date[..10]).as_str()))
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("&");
        }
        query
    }
}

fn colour(role: AgentRole) -> &'static str {
    match role {
        AgentRole::Maker => "#1f77b4",
        AgentRole::Microfactory => "#2a9d55",
        AgentRole::Supplier => "#8c564b",
        AgentRole::Receiver => "#d62728",
        AgentRole::Coalition => "#6a3d9a",
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
    let set = move |field: fn(&mut View) -> &mut String, value: String| {
        let mut next = view.get_untracked();
        *field(&mut next) = value;
        show.run((next, false));
    };

    let data = RwSignal::new(None::<Result<FlowMap, ClientError>>);
    // Positions projected once per data set, and what is on the map now.
    let layout = StoredValue::new(Layout::default());
    let drawing = StoredValue::new(Drawing::default());
    // Counts data sets, so that a new one is always drawn.
    let generation = StoredValue::new(0usize);
    let coalitions = RwSignal::new(Vec::<Organization>::new());
    let selected = RwSignal::new(None::<Selected>);
    let feed = RwSignal::new(Vec::<String>::new());
    let problem = RwSignal::new(None::<String>);
    // The view (zoom and pixel bounds), set when the map stops moving.
    let seen = RwSignal::new(None::<(f64, Bounds)>);
    // Table rows shown: a hundred at a time, not one DOM row per flow.
    let shown = RwSignal::new(TABLE_PAGE);
    let load = move |query: String| {
        spawn_local(async move {
            let result = api::flows(&query).await;
            if let Ok(map) = &result {
                layout.set_value(Layout::new(map));
                generation.update_value(|g| *g += 1);
            }
            data.try_set(Some(result));
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
            data.update(|data| {
                let Some(Ok(map)) = data else { return };
                map.flows.retain(|f| f.need != need);
                map.flows.extend(fresh.flows);
                for agent in fresh.agents {
                    if !map.agents.iter().any(|a| a.id == agent.id) {
                        map.agents.push(agent);
                    }
                }
                layout.set_value(Layout::new(map));
                generation.update_value(|g| *g += 1);
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
            let line = match change.kind.as_str() {
                "need_declared" => format!(
                    "A need was declared (need {}).",
                    change.need.unwrap_or_default()
                ),
                "claim_made" => format!(
                    "A claim was made on need {}; {} left.",
                    change.need.unwrap_or_default(),
                    change.remainder.unwrap_or_default()
                ),
                "claim_changed" => format!(
                    "A claim on need {} moved on; {} left.",
                    change.need.unwrap_or_default(),
                    change.remainder.unwrap_or_default()
                ),
                "design_published" => format!(
                    "\u{201c}{}\u{201d} joined the commons.",
                    change.name.clone().unwrap_or_default()
                ),
                "design_revised" => format!(
                    "\u{201c}{}\u{201d} was revised.",
                    change.name.clone().unwrap_or_default()
                ),
                _ => "Capacity was declared.".to_owned(),
            };
            feed.update(|feed| {
                feed.insert(0, line);
                feed.truncate(12);
            });
            if let (true, Some(need)) = (change.kind.starts_with("claim_"), change.need) {
                refresh(need);
            }
        },
        move || load(view.with_untracked(View::api_query)),
    );
    // The stream opens once the data is in, from where it was read.
    Effect::new(move || {
        if data.with(Option::is_some) {
            live.start();
        }
    });

    // The map itself, once Leaflet, the basemap and the element are there.
    let element = NodeRef::<Div>::new();
    let map = StoredValue::new_local(None::<(l::Map, l::Layer, l::Layer)>);
    Effect::new(move || {
        let Some(div) = element.get() else { return };
        if map.with_value(Option::is_some) {
            return;
        }
        spawn_local(async move {
            l::load_style("/leaflet.css");
            let loaded = async {
                JsFuture::from(l::load_script("/leaflet.js")).await?;
                JsFuture::from(l::load_script("/topojson-client.min.js")).await?;
                Ok::<_, JsValue>(())
            };
            if loaded.await.is_err() {
                problem.try_set(Some(
                    "The map library could not be loaded; the table below has every flow.".into(),
                ));
                return;
            }
            let (lat, lon, z) = parse_at(&view.get_untracked().at);
            let leaflet = l::new_map(
                &div,
                &options(&[
                    ("preferCanvas", true.into()),
                    ("worldCopyJump", true.into()),
                    ("minZoom", 1.into()),
                ]),
            );
            leaflet.set_view(&point(lat, lon), z);
            // A deployment's own tile server, when it has one, under the
            // outlines (which then stay unfilled).
            let tiles = api::raw_json("/api/map")
                .await
                .ok()
                .and_then(|settings| Reflect::get(&settings, &"tiles".into()).ok())
                .and_then(|tiles| tiles.as_string());
            if let Some(url) = &tiles {
                l::tile_layer(url, &options(&[("maxZoom", 19.into())])).add_to(&leaflet);
            }
            if let Ok(topology) = api::raw_json("/countries-110m.json").await {
                let countries = Reflect::get(&topology, &"objects".into())
                    .and_then(|o| Reflect::get(&o, &"countries".into()))
                    .unwrap_or(JsValue::NULL);
                let shapes = l::topo_feature(&topology, &countries);
                let style = options(&[
                    ("color", "#8f9b96".into()),
                    ("weight", 0.6.into()),
                    ("fillColor", "#e6ebe8".into()),
                    (
                        "fillOpacity",
                        if tiles.is_some() { 0.0 } else { 1.0 }.into(),
                    ),
                ]);
                l::geo_json(
                    &shapes,
                    &options(&[("style", style.into()), ("interactive", false.into())]),
                )
                .add_to(&leaflet);
            }
            let flows = l::feature_group();
            flows.add_to(&leaflet);
            let agents = l::feature_group();
            agents.add_to(&leaflet);
            let handle = || -> l::Map { JsValue::clone(&leaflet).unchecked_into() };
            // A marker: one agent, or a cluster, which also zooms in on it.
            let on_marker = {
                let target = handle();
                l::callback(move |event: JsValue| {
                    let Some(index) = number_at(&event, &["layer", "options", "index"]) else {
                        return;
                    };
                    let Some(cluster) =
                        drawing.with_value(|d| d.clusters.get(index as usize).cloned())
                    else {
                        return;
                    };
                    data.with_untracked(|data| {
                        let Some(Ok(map)) = data else { return };
                        let chosen = match cluster.members[..] {
                            [one] => map.agents.get(one).cloned().map(Selected::Agent),
                            _ => Some(Selected::Agents(
                                cluster.members.len(),
                                cluster
                                    .members
                                    .iter()
                                    .take(LISTED)
                                    .filter_map(|&i| map.agents.get(i).cloned())
                                    .collect(),
                            )),
                        };
                        selected.set(chosen);
                    });
                    if cluster.members.len() > 1 {
                        target.set_view(&point(cluster.lat, cluster.lon), target.zoom() + 2.0);
                    }
                })
            };
            agents.on_layer("click", &on_marker);
            // Anywhere else: the line nearest the click, if one is close.
            let on_map = {
                let target = handle();
                l::callback(move |event: JsValue| {
                    let (Some(lat), Some(lon)) = (
                        number_at(&event, &["latlng", "lat"]),
                        number_at(&event, &["latlng", "lng"]),
                    ) else {
                        return;
                    };
                    let zoom = target.zoom();
                    let Some(picked) = drawing.with_value(|d| {
                        d.bundle_at(lat, lon, zoom, 8.0)
                            .map(|i| d.bundles[i].flows.clone())
                    }) else {
                        return;
                    };
                    data.with_untracked(|data| {
                        let Some(Ok(map)) = data else { return };
                        let chosen = match picked[..] {
                            [one] => map.flows.get(one).cloned().map(Selected::Flow),
                            _ => Some(Selected::Flows(
                                picked.len(),
                                picked
                                    .iter()
                                    .take(LISTED)
                                    .filter_map(|&i| map.flows.get(i).cloned())
                                    .collect(),
                            )),
                        };
                        selected.set(chosen);
                    });
                })
            };
            leaflet.on("click", &on_map);
            let moved = {
                let target = handle();
                l::callback(move |_| {
                    let (z, bounds) = view_of(&target);
                    seen.set(Some((z, bounds)));
                    let center = target.center();
                    let number = |k: &str| {
                        Reflect::get(&center, &k.into())
                            .ok()
                            .and_then(|v| v.as_f64())
                            .unwrap_or_default()
                    };
                    // Three decimals (about 100 m), without fixed-precision formatting.
                    let round = |v: f64| (v * 1000.0).round() / 1000.0;
                    let at = format!("{},{},{}", round(number("lat")), round(number("lng")), z);
                    let mut next = view.get_untracked();
                    if next.at != at {
                        next.at = at;
                        show.run((next, true));
                    }
                })
            };
            leaflet.on("moveend", &moved);
            seen.set(Some(view_of(&leaflet)));
            map.set_value(Some((leaflet, flows, agents)));
        });
    });
    on_cleanup(move || {
        if let Some(Some((leaflet, _, _))) = map.try_update_value(Option::take) {
            leaflet.remove();
        }
    });

    // Redraw when the data changes, or the view leaves what was drawn (the
    // view and half of it again on every side, so small pans cost nothing).
    let drawn = StoredValue::new(None::<(f64, Bounds, usize)>);
    Effect::new(move || {
        let Some((zoom, visible)) = seen.get() else {
            return;
        };
        data.with(|data| {
            let Some(Ok(found)) = data else { return };
            let generation = generation.get_value();
            let fresh = drawn.with_value(|d| {
                d.is_some_and(|(z, area, g)| z == zoom && g == generation && area.covers(&visible))
            });
            if fresh {
                return;
            }
            let area = visible.padded(0.5);
            let clock = window().performance();
            let now = || clock.as_ref().map_or(0.0, |c| c.now());
            let started = now();
            let next = layout.with_value(|layout| layout.draw(found, zoom, area));
            let laid_out = now();
            map.with_value(|map| {
                let Some((_, flows, agents)) = map else {
                    return;
                };
                render(&next, found, flows, agents);
            });
            // What the drawing holds and what it took, for tests and the
            // benchmark.
            if let Some(div) = element.get_untracked() {
                let ms = |t: f64| (t.round() as i64).to_string();
                for (name, value) in [
                    ("data-lines", next.bundles.len().to_string()),
                    ("data-markers", next.clusters.len().to_string()),
                    ("data-layout-ms", ms(laid_out - started)),
                    ("data-render-ms", ms(now() - laid_out)),
                    ("data-drawn", String::new()),
                ] {
                    let _ = div.set_attribute(name, &value);
                }
            }
            drawing.set_value(next);
            drawn.set_value(Some((zoom, area, generation)));
        });
    });

    let coalition_options = move || {
        coalitions
            .get()
            .into_iter()
            .map(|c| {
                let id = c.agent.id.to_string();
                let chosen = id.clone();
                view! {
                    <option value=id prop:selected=move || view.with(|v| v.coalition == chosen)>
                        {c.agent.name}
                    </option>
                }
            })
            .collect_view()
    };
    let choice = |value: &'static str, label: &'static str, field: fn(&View) -> &String| {
        view! {
            <option value=value prop:selected=move || view.with(|v| field(v) == value)>
                {label}
            </option>
        }
    };
    view! {
        <h1 class="page-title">"Supply chains"</h1>
        <p class="lead">
            "Who makes what for whom: planned claims dashed, confirmed deliveries solid, as they happen."
        </p>
        <form class="search-form filters" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="map-coalition">"Coalition"</label>
                <select id="map-coalition" on:change=move |ev| set(|v| &mut v.coalition, event_target_value(&ev))>
                    <option value="">"Every coalition"</option>
                    {coalition_options}
                </select>
            </div>
            <div class="field">
                <label for="map-state">"Flows"</label>
                <select id="map-state" on:change=move |ev| set(|v| &mut v.state, event_target_value(&ev))>
                    {choice("", "Planned and delivered", |v| &v.state)}
                    {choice("planned", "Planned", |v| &v.state)}
                    {choice("delivered", "Delivered", |v| &v.state)}
                </select>
            </div>
            <div class="field">
                <label for="map-days">"Time"</label>
                <select id="map-days" on:change=move |ev| set(|v| &mut v.days, event_target_value(&ev))>
                    {choice("", "Any time", |v| &v.days)}
                    {choice("7", "Last 7 days", |v| &v.days)}
                    {choice("30", "Last 30 days", |v| &v.days)}
                    {choice("90", "Last 90 days", |v| &v.days)}
                </select>
            </div>
        </form>
        <p class="notice notice-error" role="alert">{move || problem.get().unwrap_or_default()}</p>
        <div class="map-layout">
            <div class="map" node_ref=element data-testid="map" aria-label="Map of agents and flows; the same flows are in the table below" role="img"></div>
            <aside class="map-side">
                <section aria-labelledby="detail-title" data-testid="detail">
                    <h2 id="detail-title">"Details"</h2>
                    {move || detail(selected.get())}
                </section>
                <section aria-labelledby="feed-title">
                    <h2 id="feed-title">"Activity"</h2>
                    <ul class="feed" data-testid="feed" aria-live="polite">
                        {move || {
                            let lines = feed.get();
                            if lines.is_empty() {
                                view! { <li class="muted">"Changes appear here as they happen."</li> }.into_any()
                            } else {
                                lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view().into_any()
                            }
                        }}
                    </ul>
                </section>
                <ul class="legend" aria-label="Legend">
                    {AgentRole::ALL
                        .into_iter()
                        .map(|role| view! { <li class=format!("legend-{}", role.slug())>{role.label()}</li> })
                        .collect_view()}
                </ul>
            </aside>
        </div>
        <section class="design-section" aria-labelledby="flows-title">
            <h2 id="flows-title">"Flows"</h2>
            {move || data.with(|data| flow_table(data, shown))}
        </section>
    }
}

fn parse_at(at: &str) -> (f64, f64, f64) {
    // The browser parses the numbers: Rust's float parser costs the wasm
    // budget several KiB.
    let parts: Vec<f64> = at
        .split(',')
        .map(crate::pages::new_need::number)
        .filter(|n| n.is_finite())
        .collect();
    match parts.as_slice() {
        [lat, lon, zoom] if (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon) => {
            (*lat, *lon, zoom.clamp(1.0, 18.0))
        }
        _ => (15.0, 10.0, 2.0),
    }
}

/// The zoom and the visible pixel bounds of the map.
fn view_of(map: &l::Map) -> (f64, Bounds) {
    let zoom = map.zoom();
    let b = map.bounds();
    (
        zoom,
        Bounds::of_view(b.north(), b.west(), b.south(), b.east(), zoom),
    )
}

/// A number at the end of a path of properties, as in `event.latlng.lat`.
fn number_at(value: &JsValue, path: &[&str]) -> Option<f64> {
    path.iter()
        .try_fold(value.clone(), |v, key| {
            Reflect::get(&v, &(*key).into()).ok()
        })
        .and_then(|v| v.as_f64())
}

/// Puts a drawing on the map: each kind and width of line as one Leaflet
/// path (a canvas path of many segments, not a layer per flow), and a
/// marker per cluster.
fn render(drawing: &Drawing, found: &FlowMap, flows: &l::Layer, agents: &l::Layer) {
    flows.clear_layers();
    agents.clear_layers();
    let mut lines: std::collections::BTreeMap<(bool, u8), Array> = Default::default();
    for bundle in &drawing.bundles {
        let planned = bundle.kind == FlowKind::Planned;
        lines
            .entry((planned, bundle.weight()))
            .or_insert_with(Array::new)
            .push(&Array::of2(
                &point(bundle.from.0, bundle.from.1),
                &point(bundle.to.0, bundle.to.1),
            ));
    }
    for ((planned, weight), segments) in lines {
        let mut style = vec![
            (
                "color",
                JsValue::from_str(if planned { "#c2410c" } else { "#1f5f4a" }),
            ),
            ("weight", weight.into()),
            ("opacity", 0.75.into()),
            ("interactive", false.into()),
        ];
        if planned {
            style.push(("dashArray", "6 6".into()));
        }
        flows.add_layer(&l::polyline(&segments, &options(&style)));
    }
    for (index, cluster) in drawing.clusters.iter().enumerate() {
        let first = &found.agents[cluster.members[0]];
        let n = cluster.members.len();
        let (radius, weight, fill, tip) = if n == 1 {
            (
                6.0,
                1.5,
                colour(first.role),
                format!("{} · {}", first.name, first.role.label()),
            )
        } else {
            (
                8.0 + (n as f64).sqrt() * 2.0,
                2.0,
                "#52605b",
                format!("{n} agents here; choose to zoom in"),
            )
        };
        let marker = l::circle_marker(
            &point(cluster.lat, cluster.lon),
            &options(&[
                ("radius", radius.min(30.0).into()),
                ("color", "#ffffff".into()),
                ("weight", weight.into()),
                ("fillColor", fill.into()),
                ("fillOpacity", 0.9.into()),
                ("bubblingMouseEvents", false.into()),
                ("index", (index as f64).into()),
            ]),
        );
        marker.bind_tooltip(&tip, &options(&[]));
        agents.add_layer(&marker);
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

/// Table rows added at a time.
const TABLE_PAGE: usize = 100;

/// The flows as a table, for keyboard and screen-reader users; only the
/// rows shown are copied out of the data.
fn flow_table(data: &Option<Result<FlowMap, ClientError>>, shown: RwSignal<usize>) -> AnyView {
    match data {
        None => view! { <p class="loading">"Loading the flows…"</p> }.into_any(),
        Some(Err(error)) => {
            view! { <p class="notice notice-error">{error.to_string()}</p> }.into_any()
        }
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
