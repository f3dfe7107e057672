use leptos::prelude::*;
use leptos::task::spawn_local;
use stigmergy_core::{Capacity, CapacityInput, Claim, NeedMatch, Place, ProcessKind, RawNeedQuery};

use crate::api;
use crate::components::{ClaimList, FormField, Match, MatchList, SubmitButton};
use crate::form::FormState;
use crate::load::Load;
use crate::pages::new_need::number;
use crate::session::use_session;

/// The signed-in person's work (`/work`): open needs their capacity can
/// fill, the claims they make and the claims on their needs, each with
/// the steps its state allows, and their declared capacity.
#[component]
pub fn MyWorkPage() -> impl IntoView {
    crate::set_page_title("My work");
    let session = use_session();
    let matches = Load::new();
    let my_claims = RwSignal::new(Vec::<Claim>::new());
    let on_my_needs = RwSignal::new(Vec::<Claim>::new());
    let my_needs = RwSignal::new(Vec::new());
    let capacities = RwSignal::new(Vec::<Capacity>::new());
    let load = move |handle: String| {
        matches.run(api::my_matches());
        spawn_local(async move {
            my_claims.try_set(api::my_claims().await.unwrap_or_default());
            let query = RawNeedQuery {
                receiver: Some(handle.clone()),
                state: Some("all".into()),
                limit: Some("100".into()),
                ..RawNeedQuery::default()
            };
            let needs = api::list_needs(&query)
                .await
                .map(|p| p.items)
                .unwrap_or_default();
            let mut claims = Vec::new();
            for need in &needs {
                claims.extend(api::need_claims(need.id).await.unwrap_or_default());
            }
            claims.sort_by(|a: &Claim, b| b.updated_at.cmp(&a.updated_at));
            on_my_needs.try_set(claims);
            my_needs.try_set(needs);
            capacities.try_set(api::capacities_of(&handle).await.unwrap_or_default());
        });
    };
    let handle = move || {
        session
            .me
            .with(|me| me.as_ref().map(|me| me.handle.to_string()))
    };
    Effect::new(move || {
        if let Some(handle) = handle() {
            load(handle);
        }
    });
    let changed = Callback::new(move |()| {
        if let Some(handle) = handle() {
            load(handle);
        }
    });

    let suggestions = matches.view("Looking for needs you can fill…", None, |list: Vec<NeedMatch>| {
        if list.is_empty() {
            return view! {
                <p class="muted">
                    "Declare your capacity below to see the open needs it can fill, nearest and best fitting first."
                </p>
            }
            .into_any();
        }
        let matches = list
            .into_iter()
            .map(|m| {
                let need = m.need;
                Match {
                    href: Some(format!("/needs/{}", need.id)),
                    facts: format!(
                        " · {} {} open · due {} · {}",
                        need.remainder,
                        need.quantity.unit.symbol(),
                        need.due,
                        need.place.name,
                    ),
                    title: need.what,
                    reasons: m.fit.reasons,
                }
            })
            .collect();
        view! { <MatchList matches shown=10 testid="matches" item="match" /> }.into_any()
    });
    let capacity_list = move || {
        capacities
            .get()
            .into_iter()
            .map(|c| {
                let processes = c.processes.iter().map(|p| p.label()).collect::<Vec<_>>().join(", ");
                view! {
                    <li data-testid="capacity">
                        <strong>{format!("{} a week", c.rate)}</strong>
                        {format!(" · {processes} · within {} km of {}", c.radius_km, c.place.name)}
                        <span class="muted">
                            {format!(" · from {}{}", c.available_from, c.available_until.map(|u| format!(" to {u}")).unwrap_or_default())}
                        </span>
                    </li>
                }
            })
            .collect_view()
    };
    let signed_in = view! {
        <section class="design-section" aria-labelledby="fill-title">
            <h2 id="fill-title">"Needs you can fill"</h2>
            {suggestions}
        </section>
        <section class="design-section" aria-labelledby="my-claims-title">
            <h2 id="my-claims-title">"Your claims"</h2>
            <div data-testid="my-claims">
                <ClaimList claims=my_claims with_need=true changed />
            </div>
        </section>
        <section class="design-section" aria-labelledby="my-needs-title">
            <h2 id="my-needs-title">"Claims on your needs"</h2>
            <p class="muted">
                {move || match my_needs.with(Vec::len) {
                    0 => "You have not declared a need. ".to_owned(),
                    1 => "You have declared one need. ".to_owned(),
                    n => format!("You have declared {n} needs. "),
                }}
                <a href="/needs/new">"Declare a need"</a>
            </p>
            <div data-testid="claims-on-my-needs">
                <ClaimList claims=on_my_needs with_need=true changed />
            </div>
        </section>
        <section class="design-section" aria-labelledby="capacity-title">
            <h2 id="capacity-title">"Your capacity"</h2>
            <ul class="link-list">{capacity_list}</ul>
            <CapacityForm added=Callback::new(move |capacity: Capacity| {
                capacities.update(|list| list.push(capacity));
                changed.run(());
            }) />
        </section>
    };
    view! {
        <h1 class="page-title">"My work"</h1>
        <p hidden=move || !session.known.get() || session.me.with(Option::is_some)>
            "Sign in to see the needs you can fill and your claims. "
            <a href="/signin?next=/work">"Sign in"</a>
        </p>
        <div hidden=move || session.me.with(Option::is_none)>{signed_in}</div>
    }
}

/// Declares capacity: the processes run, materials stocked, a weekly rate,
/// when, and how far it delivers from where.
#[component]
fn CapacityForm(added: Callback<Capacity>) -> impl IntoView {
    let form = FormState::default();
    let chosen = RwSignal::new(Vec::<ProcessKind>::new());
    let materials = RwSignal::new(String::new());
    let rate = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let radius = RwSignal::new("100".to_owned());
    let place_name = RwSignal::new(String::new());
    let lat = RwSignal::new(String::new());
    let lon = RwSignal::new(String::new());
    crate::session::prefill_place(place_name, lat, lon);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = CapacityInput {
            provider: None,
            processes: chosen.get_untracked(),
            materials: materials
                .get_untracked()
                .split(',')
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .collect(),
            rate: number(&rate.get_untracked()),
            available_from: from.get_untracked(),
            available_until: Some(until.get_untracked()).filter(|u| !u.is_empty()),
            radius_km: number(&radius.get_untracked()),
            place: Place {
                name: place_name.get_untracked().trim().to_owned(),
                lat: number(&lat.get_untracked()),
                lon: number(&lon.get_untracked()),
            },
            note: String::new(),
        };
        if !form.start(input.validate()) {
            return;
        }
        spawn_local(async move {
            if let Some(capacity) = form.finish(api::create_capacity(&input).await) {
                chosen.try_set(Vec::new());
                added.run(capacity);
            }
        });
    };
    let processes_error = move || form.errors.with(|e| e.get("processes").map(str::to_owned));
    view! {
        <form class="stack-form capacity-form" novalidate on:submit=on_submit>
            <h3>"Declare capacity"</h3>
            {form.notice()}
            <fieldset aria-describedby="processes-error">
                <legend>"Processes you run"</legend>
                <div class="checks">
                    {ProcessKind::ALL
                        .iter()
                        .map(|&kind| {
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        name="processes"
                                        value=kind.slug()
                                        prop:checked=move || chosen.with(|c| c.contains(&kind))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|c| {
                                                c.retain(|k| *k != kind);
                                                if on {
                                                    c.push(kind);
                                                }
                                            });
                                        }
                                    />
                                    {kind.label()}
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <p class="field-error" id="processes-error" role="alert">
                    {move || processes_error().unwrap_or_default()}
                </p>
            </fieldset>
            <FormField
                id="materials"
                label="Materials you stock (optional)"
                autocomplete="off"
                hint=Some("Separated by commas, like PETG sheet, PLA filament.")
                value=materials
                form
            />
            <div class="field-row">
                <FormField id="rate" label="Units a week" autocomplete="off" required=true value=rate form />
                <FormField id="radius_km" label="Delivers within (km)" autocomplete="off" required=true value=radius form />
            </div>
            <div class="field-row">
                <FormField id="available_from" label="From" kind="date" autocomplete="off" required=true value=from form />
                <FormField id="available_until" label="Until (optional)" kind="date" autocomplete="off" value=until form />
            </div>
            <FormField id="place.name" label="Where you make" autocomplete="off" required=true value=place_name form />
            <div class="field-row">
                <FormField id="place.lat" label="Latitude" autocomplete="off" required=true value=lat form />
                <FormField id="place.lon" label="Longitude" autocomplete="off" required=true value=lon form />
            </div>
            <SubmitButton label="Declare capacity" busy_label="Declaring…" busy=form.busy />
        </form>
    }
}
