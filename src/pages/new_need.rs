use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use stigmergy_core::{
    AgentId, DesignId, DesignSummary, FieldErrors, NeedInput, Organization, Place, Quantity,
    RawDesignQuery, Unit,
};
use wasm_bindgen::JsValue;

use crate::api;
use crate::components::{FormField, SubmitButton};
use crate::form::FormState;
use crate::session::use_session;

/// A number as typed (a decimal comma allowed), parsed by the browser;
/// not a number when empty or not one, which validation then names.
pub(crate) fn number(text: &str) -> f64 {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        f64::NAN
    } else {
        JsValue::from_str(&text).unchecked_into_f64()
    }
}

/// Declaring a need (`/needs/new`): a design from the commons (in pieces)
/// or another resource, how much, the smallest useful claim, by when,
/// where (the person's own place to start with) and which coalition is
/// asked. Checked here with the server's rules, then by the server.
#[component]
pub fn NewNeedPage() -> impl IntoView {
    crate::set_page_title("Declare a need");
    let session = use_session();
    let navigate = use_navigate();
    let form = FormState::default();
    let designs = RwSignal::new(Vec::<DesignSummary>::new());
    let coalitions = RwSignal::new(Vec::<Organization>::new());
    spawn_local(async move {
        let query = RawDesignQuery {
            limit: Some("100".into()),
            ..RawDesignQuery::default()
        };
        if let Ok(page) = api::list_designs(&query).await {
            designs.try_set(page.items);
        }
        if let Ok(list) = api::coalitions().await {
            coalitions.try_set(list);
        }
    });
    let design = RwSignal::new(String::new());
    let resource = RwSignal::new(String::new());
    let quantity = RwSignal::new(String::new());
    let unit = RwSignal::new(Unit::Piece);
    let minimum = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let place_name = RwSignal::new(String::new());
    let lat = RwSignal::new(String::new());
    let lon = RwSignal::new(String::new());
    let coalition = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    crate::session::prefill_place(place_name, lat, lon);
    let is_resource = move || design.with(|d| d == "other");

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = design.get_untracked();
        let mut errors = FieldErrors::new();
        let design_id = match chosen.as_str() {
            "" | "other" => None,
            id => DesignId::parse(id).ok(),
        };
        if chosen.is_empty() {
            errors.add(
                "design",
                "Choose a design, or \u{201c}something else\u{201d}.",
            );
        }
        let input = NeedInput {
            design: design_id,
            resource: (chosen == "other").then(|| resource.get_untracked().trim().to_owned()),
            quantity: Quantity::new(
                number(&quantity.get_untracked()),
                if chosen == "other" {
                    unit.get_untracked()
                } else {
                    Unit::Piece
                },
            ),
            minimum_quantity: Some(minimum.get_untracked())
                .filter(|m| !m.trim().is_empty())
                .map(|m| number(&m)),
            due: due.get_untracked(),
            place: Place {
                name: place_name.get_untracked().trim().to_owned(),
                lat: number(&lat.get_untracked()),
                lon: number(&lon.get_untracked()),
            },
            coalition: AgentId::parse(&coalition.get_untracked()).ok(),
            receiver: None,
            note: note.get_untracked().trim().to_owned(),
        };
        if let Err(more) = input.validate() {
            for (field, message) in more.0 {
                // Without a choice, "choose a design" says it already.
                if !(chosen.is_empty() && field == "design") {
                    errors.add(field, message);
                }
            }
        }
        if !form.start(errors.into_result(())) {
            return;
        }
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Some(need) = form.finish(api::create_need(&input).await) {
                navigate(&format!("/needs/{}", need.id), Default::default());
            }
        });
    };

    let design_error = move || form.errors.with(|e| e.get("design").map(str::to_owned));
    let form_view = view! {
        <form class="stack-form" novalidate on:submit=on_submit>
            {form.notice()}
            <div class="field">
                <label for="design">"What is needed"</label>
                <select
                    id="design"
                    aria-invalid=move || design_error().map(|_| "true")
                    aria-describedby="design-error"
                    on:change=move |ev| design.set(event_target_value(&ev))
                >
                    <option value="" prop:selected=move || design.with(String::is_empty)>
                        "Choose a design…"
                    </option>
                    {move || {
                        designs
                            .get()
                            .into_iter()
                            .map(|d| {
                                let id = d.id.to_string();
                                let selected = id.clone();
                                view! {
                                    <option value=id prop:selected=move || design.with(|v| *v == selected)>
                                        {d.name}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                    <option value="other">"Something else (a material or part)"</option>
                </select>
                <p class="field-error" id="design-error">
                    {move || design_error().unwrap_or_default()}
                </p>
            </div>
            <div hidden=move || !is_resource()>
                <FormField
                    id="resource"
                    label="Describe it"
                    autocomplete="off"
                    hint=Some("Like \u{201c}PLA filament, 1.75 mm\u{201d}.")
                    value=resource
                    form
                />
            </div>
            <div class="field-row">
                <FormField
                    id="quantity"
                    label="How many"
                    autocomplete="off"
                    required=true
                    value=quantity
                    form
                />
                <div class="field" hidden=move || !is_resource()>
                    <label for="unit">"Unit"</label>
                    <select
                        id="unit"
                        on:change=move |ev| {
                            let symbol = event_target_value(&ev);
                            if let Some(u) = Unit::ALL.into_iter().find(|u| u.symbol() == symbol) {
                                unit.set(u);
                            }
                        }
                    >
                        {Unit::ALL
                            .into_iter()
                            .map(|u| view! { <option value=u.symbol()>{u.symbol()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <FormField
                    id="minimum_quantity"
                    label="Smallest useful claim (optional)"
                    autocomplete="off"
                    value=minimum
                    form
                />
            </div>
            <FormField id="due" label="Needed by" kind="date" autocomplete="off" required=true value=due form />
            <FormField
                id="place.name"
                label="Where"
                autocomplete="off"
                hint=Some("A town and country, like \u{201c}Kumasi, Ghana\u{201d}.")
                required=true
                value=place_name
                form
            />
            <div class="field-row">
                <FormField id="place.lat" label="Latitude" autocomplete="off" required=true value=lat form />
                <FormField id="place.lon" label="Longitude" autocomplete="off" required=true value=lon form />
            </div>
            <div class="field">
                <label for="coalition">"Ask a coalition (optional)"</label>
                <select id="coalition" on:change=move |ev| coalition.set(event_target_value(&ev))>
                    <option value="">"No coalition"</option>
                    {move || {
                        coalitions
                            .get()
                            .into_iter()
                            .map(|c| view! { <option value=c.agent.id.to_string()>{c.agent.name}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <FormField id="note" label="Note (optional)" autocomplete="off" rows=3 value=note form />
            <SubmitButton label="Declare the need" busy_label="Declaring…" busy=form.busy />
        </form>
    };
    view! {
        <section class="form-page">
            <h1 class="page-title">"Declare a need"</h1>
            <div hidden=move || session.me.with(Option::is_some)>
                <p>"Sign in to declare what you or your organization need. " <a href="/signin?next=/needs/new">"Sign in"</a></p>
            </div>
            <div hidden=move || session.me.with(Option::is_none)>{form_view}</div>
        </section>
    }
}
