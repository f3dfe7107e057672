//! The Leaflet map itself: loaded with its basemap once the element is
//! there, clicks on markers and lines chosen for the side panel, and the
//! view written back to the address when the map stops moving.

use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use stigmergy_core::map_layout::Bounds;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::Reflect;

use super::detail::Selected;
use super::filters::{View, parse_at};
use super::{MapData, drawing};
use crate::api;
use crate::leaflet::{self as l, options, point};

/// The Leaflet map and its two layers: flows under agents.
pub(super) type Handles = (l::Map, l::Layer, l::Layer);

/// The map of agents and flows, drawn again as the data or the view
/// changes.
#[component]
pub(super) fn MapCanvas(
    /// The data and its drawing.
    state: MapData,
    /// The filters and view in the address.
    view: Memo<View>,
    /// Shows another view in the address (`true`: replacing this one).
    show: Callback<(View, bool)>,
    /// What the side panel shows; set by clicks on the map.
    selected: RwSignal<Option<Selected>>,
    /// Why the map could not be shown.
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let element = NodeRef::<Div>::new();
    let map = StoredValue::new_local(None::<Handles>);
    // The view (zoom and pixel bounds), set when the map stops moving.
    let seen = RwSignal::new(None::<(f64, Bounds)>);
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
            basemap(&leaflet).await;
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
                    let Some(cluster) = state
                        .drawing
                        .with_value(|d| d.clusters.get(index as usize).cloned())
                    else {
                        return;
                    };
                    state.data.value.with_untracked(|data| {
                        let Some(Ok(map)) = data else { return };
                        selected.set(Selected::agents(map, &cluster.members));
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
                    let Some(picked) = state.drawing.with_value(|d| {
                        d.bundle_at(lat, lon, zoom, 8.0)
                            .map(|i| d.bundles[i].flows.clone())
                    }) else {
                        return;
                    };
                    state.data.value.with_untracked(|data| {
                        let Some(Ok(map)) = data else { return };
                        selected.set(Selected::flows(map, &picked));
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
    drawing::follow(state, map, seen, element);
    view! {
        <div class="map" node_ref=element data-testid="map" aria-label="Map of agents and flows; the same flows are in the table below" role="img"></div>
    }
}

/// The country outlines, over a deployment's own tile server when it has
/// one (the outlines then stay unfilled).
async fn basemap(leaflet: &l::Map) {
    let tiles = api::raw_json("/api/map")
        .await
        .ok()
        .and_then(|settings| Reflect::get(&settings, &"tiles".into()).ok())
        .and_then(|tiles| tiles.as_string());
    if let Some(url) = &tiles {
        l::tile_layer(url, &options(&[("maxZoom", 19.into())])).add_to(leaflet);
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
        .add_to(leaflet);
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
