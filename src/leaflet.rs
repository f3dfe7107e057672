//! The few parts of Leaflet (from the npm registry, copied into the build
//! and loaded only by the map page) that the map uses, through
//! wasm-bindgen. Options are plain objects built with `Reflect`.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::js_sys::{Array, Function, Object, Promise, Reflect};

#[wasm_bindgen]
extern "C" {
    /// A Leaflet map.
    pub type Map;
    #[wasm_bindgen(js_namespace = L, js_name = map)]
    pub fn new_map(element: &web_sys::HtmlElement, options: &Object) -> Map;
    #[wasm_bindgen(method, js_name = setView)]
    pub fn set_view(this: &Map, center: &Array, zoom: f64) -> Map;
    #[wasm_bindgen(method, js_name = getZoom)]
    pub fn zoom(this: &Map) -> f64;
    #[wasm_bindgen(method, js_name = getCenter)]
    pub fn center(this: &Map) -> JsValue;
    #[wasm_bindgen(method)]
    pub fn on(this: &Map, event: &str, callback: &Function) -> Map;
    #[wasm_bindgen(method)]
    pub fn remove(this: &Map);
    #[wasm_bindgen(method, js_name = getBounds)]
    pub fn bounds(this: &Map) -> LatLngBounds;
    #[wasm_bindgen(method, js_name = invalidateSize)]
    pub fn invalidate_size(this: &Map);

    /// The corners of the view.
    pub type LatLngBounds;
    #[wasm_bindgen(method, js_name = getNorth)]
    pub fn north(this: &LatLngBounds) -> f64;
    #[wasm_bindgen(method, js_name = getWest)]
    pub fn west(this: &LatLngBounds) -> f64;
    #[wasm_bindgen(method, js_name = getSouth)]
    pub fn south(this: &LatLngBounds) -> f64;
    #[wasm_bindgen(method, js_name = getEast)]
    pub fn east(this: &LatLngBounds) -> f64;

    /// Any layer: a group, a marker, a line, the basemap.
    pub type Layer;
    #[wasm_bindgen(method, js_name = addTo)]
    pub fn add_to(this: &Layer, map: &Map) -> Layer;
    #[wasm_bindgen(method, js_name = addLayer)]
    pub fn add_layer(this: &Layer, layer: &Layer) -> Layer;
    #[wasm_bindgen(method, js_name = clearLayers)]
    pub fn clear_layers(this: &Layer) -> Layer;
    #[wasm_bindgen(method, js_name = on)]
    pub fn on_layer(this: &Layer, event: &str, callback: &Function) -> Layer;
    #[wasm_bindgen(method, js_name = bindTooltip)]
    pub fn bind_tooltip(this: &Layer, text: &str, options: &Object) -> Layer;

    /// A group whose members' clicks reach one handler (`event.layer`).
    #[wasm_bindgen(js_namespace = L, js_name = featureGroup)]
    pub fn feature_group() -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = geoJSON)]
    pub fn geo_json(data: &JsValue, options: &Object) -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = circleMarker)]
    pub fn circle_marker(at: &Array, options: &Object) -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = polyline)]
    pub fn polyline(points: &Array, options: &Object) -> Layer;
    #[wasm_bindgen(js_namespace = L, js_name = tileLayer)]
    pub fn tile_layer(url: &str, options: &Object) -> Layer;

    /// TopoJSON to GeoJSON (topojson-client).
    #[wasm_bindgen(js_namespace = topojson, js_name = feature)]
    pub fn topo_feature(topology: &JsValue, object: &JsValue) -> JsValue;
}

/// `[lat, lon]`.
pub fn point(lat: f64, lon: f64) -> Array {
    Array::of2(&lat.into(), &lon.into())
}

/// An options object from `(name, value)` pairs.
pub fn options(pairs: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in pairs {
        let _ = Reflect::set(&object, &(*name).into(), value);
    }
    object
}

/// Loads a script from this site once, resolving when it has run.
pub fn load_script(src: &str) -> Promise {
    let document = leptos::prelude::document();
    let src = src.to_owned();
    Promise::new(&mut |resolve, reject| {
        if document
            .query_selector(&format!("script[src='{src}']"))
            .ok()
            .flatten()
            .is_some_and(|s| s.get_attribute("data-loaded").is_some())
        {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        }
        let Ok(script) = document.create_element("script") else {
            let _ = reject.call0(&JsValue::NULL);
            return;
        };
        let _ = script.set_attribute("src", &src);
        let loaded = script.clone();
        let onload = Closure::once_into_js(move || {
            let _ = loaded.set_attribute("data-loaded", "");
            let _ = resolve.call0(&JsValue::NULL);
        });
        let onerror = Closure::once_into_js(move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        let _ = Reflect::set(&script, &"onload".into(), &onload);
        let _ = Reflect::set(&script, &"onerror".into(), &onerror);
        if let Some(head) = document.head() {
            let _ = head.append_child(&script);
        }
    })
}

/// Adds a stylesheet from this site once.
pub fn load_style(href: &str) {
    let document = leptos::prelude::document();
    if document
        .query_selector(&format!("link[href='{href}']"))
        .ok()
        .flatten()
        .is_some()
    {
        return;
    }
    if let Ok(link) = document.create_element("link") {
        let _ = link.set_attribute("rel", "stylesheet");
        let _ = link.set_attribute("href", href);
        if let Some(head) = document.head() {
            let _ = head.append_child(&link);
        }
    }
}

/// A callback Leaflet may call any number of times, kept alive for good
/// (the map page makes a handful).
pub fn callback(f: impl FnMut(JsValue) + 'static) -> Function {
    Closure::<dyn FnMut(JsValue)>::new(f)
        .into_js_value()
        .unchecked_into()
}
