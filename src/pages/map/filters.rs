//! The map's filters and view, as the address holds them, and the form
//! that changes them.

use leptos::prelude::*;
use stigmergy_core::Organization;

/// The map's filters and view, as the address holds them.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct View {
    pub coalition: String,
    pub design: String,
    pub state: String,
    pub days: String,
    /// `lat,lon,zoom`
    pub at: String,
}

impl View {
    pub fn query(&self, with_view: bool) -> String {
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
    pub fn api_query(&self) -> String {
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

/// The view an `at=lat,lon,zoom` asks for, or the whole world.
pub(super) fn parse_at(at: &str) -> (f64, f64, f64) {
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

/// One of the view's filters: which field it is.
pub(super) type Field = fn(&mut View) -> &mut String;

/// The coalition, flow state and time window to show.
#[component]
pub(super) fn MapFilters(
    /// The filters shown now.
    view: Memo<View>,
    /// The coalitions to choose from.
    coalitions: RwSignal<Vec<Organization>>,
    /// Called with the field changed and its new value.
    set: Callback<(Field, String)>,
) -> impl IntoView {
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
    let on =
        move |field: Field| move |ev: leptos::ev::Event| set.run((field, event_target_value(&ev)));
    view! {
        <form class="search-form filters" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="map-coalition">"Coalition"</label>
                <select id="map-coalition" on:change=on(|v| &mut v.coalition)>
                    <option value="">"Every coalition"</option>
                    {coalition_options}
                </select>
            </div>
            <div class="field">
                <label for="map-state">"Flows"</label>
                <select id="map-state" on:change=on(|v| &mut v.state)>
                    {choice("", "Planned and delivered", |v| &v.state)}
                    {choice("planned", "Planned", |v| &v.state)}
                    {choice("delivered", "Delivered", |v| &v.state)}
                </select>
            </div>
            <div class="field">
                <label for="map-days">"Time"</label>
                <select id="map-days" on:change=on(|v| &mut v.days)>
                    {choice("", "Any time", |v| &v.days)}
                    {choice("7", "Last 7 days", |v| &v.days)}
                    {choice("30", "Last 30 days", |v| &v.days)}
                    {choice("90", "Last 90 days", |v| &v.days)}
                </select>
            </div>
        </form>
    }
}
