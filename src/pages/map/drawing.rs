//! Drawing the data on the Leaflet map: again when the data changes or the
//! view leaves what was drawn, as few Leaflet layers as can show it.

use leptos::html::Div;
use leptos::prelude::*;
use stigmergy_core::map_layout::{Bounds, Drawing};
use stigmergy_core::{AgentRole, FlowKind, FlowMap};
use wasm_bindgen::JsValue;
use web_sys::js_sys::Array;

use super::MapData;
use super::canvas::Handles;
use crate::leaflet::{self as l, options, point};

/// Redraws when the data changes, or the view leaves what was drawn (the
/// view and half of it again on every side, so small pans cost nothing).
pub(super) fn follow(
    state: MapData,
    map: StoredValue<Option<Handles>, LocalStorage>,
    seen: RwSignal<Option<(f64, Bounds)>>,
    element: NodeRef<Div>,
) {
    let drawn = StoredValue::new(None::<(f64, Bounds, usize)>);
    Effect::new(move || {
        let Some((zoom, visible)) = seen.get() else {
            return;
        };
        state.data.value.with(|data| {
            let Some(Ok(found)) = data else { return };
            let generation = state.generation.get_value();
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
            let next = state
                .layout
                .with_value(|layout| layout.draw(found, zoom, area));
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
            state.drawing.set_value(next);
            drawn.set_value(Some((zoom, area, generation)));
        });
    });
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
