use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use stigmergy_core::{AskState, Claim, ClaimInput, MakerMatch, Need};

use crate::api::{self, ClientError};
use crate::components::{ClaimList, FormField, Match, MatchList, SubmitButton, SupplyChain};
use crate::form::FormState;
use crate::load::{self, Load};
use crate::session::use_session;

/// One need (`/needs/:id`): what, how much is still open, its claims with
/// the steps the viewer may take, a form to claim part of it, and the
/// makers whose capacity fits it.
#[component]
pub fn NeedPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<u64>().ok())
            .unwrap_or_default()
    };
    let need = Load::new();
    let claims = RwSignal::new(Vec::<Claim>::new());
    let makers = Load::new();
    let load = move |id: u64| {
        need.run_then(
            async move {
                let (result, list) = (api::need(id).await, api::need_claims(id).await);
                claims.try_set(list.unwrap_or_default());
                result
            },
            |answer: &Result<Need, ClientError>| {
                if let Ok(need) = answer {
                    crate::set_page_title(&format!("Need: {}", need.what));
                }
            },
        );
    };
    Effect::new(move || {
        let id = id();
        load(id);
        makers.run(api::makers_for_need(id));
    });
    let reload = Callback::new(move |()| load(id()));
    // Live: claims on this need made or moved elsewhere show at once.
    let live = crate::live::follow(
        move |change| {
            if change.need == Some(id()) {
                load(id());
            }
        },
        move || load(id()),
    );
    // The stream opens once the data is in, from where it was read.
    Effect::new(move || {
        if need.value.with(Option::is_some) {
            live.start();
        }
    });

    // The claim being typed survives the page redrawing for live changes.
    let draft = ClaimDraft {
        form: FormState::default(),
        amount: RwSignal::new(String::new()),
        note: RwSignal::new(String::new()),
    };
    let content = move || match need.value.get() {
        None => load::waiting("Loading the need…"),
        Some(Err(error)) if error.is_not_found() => view! {
            <section class="not-found">
                <h1>"Need not found"</h1>
                <p>"No need has this number. " <a href="/needs">"See the open needs"</a></p>
            </section>
        }
        .into_any(),
        Some(Err(error)) => load::failed(error, Some(reload)),
        Some(Ok(need)) => need_view(need, claims, reload, draft).into_any(),
    };
    let makers_view = makers.view("Looking for makers…", None, |list: Vec<MakerMatch>| {
        if list.is_empty() {
            return view! { <p class="muted">"No declared capacity fits this need yet."</p> }
                .into_any();
        }
        let matches = list
            .into_iter()
            .map(|m| Match {
                title: m.capacity.provider.name,
                href: None,
                facts: format!(
                    " · {} · fit {}%",
                    m.capacity.place.name,
                    // Whole percents, without pulling in fixed-precision float formatting.
                    (m.fit.score * 100.0).round() as i64,
                ),
                reasons: m.fit.reasons,
            })
            .collect();
        view! { <MatchList matches shown=8 item="maker" /> }.into_any()
    });
    view! {
        <article class="need-page">
            <p class="breadcrumb">
                <a href="/needs">"← All needs"</a>
            </p>
            {content}
            <SupplyChain query=format!("need={}", id()) />
            <section class="design-section" aria-labelledby="makers">
                <h2 id="makers">"Makers who can make this"</h2>
                {makers_view}
            </section>
        </article>
    }
}

/// The claim form's state, kept by the page.
#[derive(Clone, Copy)]
struct ClaimDraft {
    form: FormState,
    amount: RwSignal<String>,
    note: RwSignal<String>,
}

fn need_view(
    need: Need,
    claims: RwSignal<Vec<Claim>>,
    reload: Callback<()>,
    draft: ClaimDraft,
) -> impl IntoView {
    let session = use_session();
    let Need {
        id,
        what,
        design,
        quantity,
        minimum_quantity,
        remainder,
        committed,
        delivered,
        state,
        due,
        place,
        coalition,
        asked_of,
        receiver,
        declared_by,
        note,
        ..
    } = need;
    let unit = quantity.unit.symbol();
    let title = match &design {
        Some(design) => {
            view! { <a href=format!("/designs/{}", design.id)>{what.clone()}</a> }.into_any()
        }
        None => what.clone().into_any(),
    };
    // Who may claim: anyone signed in but whoever declared or receives it.
    let receiver_id = receiver.id.clone();
    let can_claim = move || {
        remainder > 0.0
            && session.me.with(|me| {
                me.as_ref()
                    .is_some_and(|me| me.handle != receiver_id && me.handle != declared_by)
            })
    };
    let ClaimDraft {
        form,
        amount,
        note: note_text,
    } = draft;
    if amount.with_untracked(String::is_empty) {
        amount.set(
            minimum_quantity
                .map_or(remainder, |m| m.min(remainder))
                .to_string(),
        );
    }
    let on_claim = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = amount.get_untracked().trim().replace(',', ".");
        let quantity = if text.is_empty() {
            f64::NAN
        } else {
            wasm_bindgen::JsValue::from_str(&text).unchecked_into_f64()
        };
        let input = ClaimInput {
            quantity,
            provider: None,
            note: note_text.get_untracked().trim().to_owned(),
        };
        let mut check = input.validate().err().unwrap_or_default();
        if quantity > remainder {
            check.add(
                "quantity",
                format!("Only {remainder} {unit} is left to claim."),
            );
        }
        if !form.start(check.into_result(())) {
            return;
        }
        spawn_local(async move {
            if form.finish(api::claim_need(id, &input).await).is_some() {
                note_text.try_set(String::new());
                amount.try_set(String::new());
                reload.run(());
            }
        });
    };
    let signed_out = move || session.known.get() && session.me.with(Option::is_none);
    view! {
        <header class="design-header">
            <h1 data-testid="need-title">{title}</h1>
            <p class="lead" data-testid="need-remainder">
                <strong>{format!("{remainder} {unit}")}</strong>
                {format!(" of {} still open", quantity.value)}
            </p>
            <progress max=quantity.value value=quantity.value - remainder></progress>
        </header>
        <dl class="facts">
            <div>
                <dt>"State"</dt>
                <dd data-testid="need-state">{state.label()}</dd>
            </div>
            <div>
                <dt>"Due"</dt>
                <dd>{due}</dd>
            </div>
            <div>
                <dt>"Where"</dt>
                <dd>{place.name}</dd>
            </div>
            <div>
                <dt>"For"</dt>
                <dd>{receiver.name}</dd>
            </div>
            <div>
                <dt>"Committed · delivered"</dt>
                <dd>{format!("{committed} {unit} · {delivered} {unit}")}</dd>
            </div>
            {minimum_quantity.map(|m| view! {
                <div>
                    <dt>"Smallest useful claim"</dt>
                    <dd>{format!("{m} {unit}")}</dd>
                </div>
            })}
            {coalition.map(|c| view! {
                <div>
                    <dt>"Coalition"</dt>
                    <dd><a href=format!("/coalitions/{}", c.id)>{c.name}</a></dd>
                </div>
            })}
            {asked_of.filter(|a| a.state != AskState::Accepted).map(|a| {
                let answer = match a.state {
                    AskState::Declined => format!("declined: {}", a.reason),
                    _ => "waiting for its stewards".to_owned(),
                };
                view! {
                    <div data-testid="asked-of">
                        <dt>"Asked of"</dt>
                        <dd>
                            <a href=format!("/coalitions/{}", a.coalition.id)>{a.coalition.name}</a>
                            {format!(", {answer}")}
                        </dd>
                    </div>
                }
            })}
        </dl>
        {(!note.is_empty()).then(|| view! { <p class="description">{note}</p> })}
        <section class="design-section" aria-labelledby="claim-title" hidden=move || !can_claim()>
            <h2 id="claim-title">"Claim part of it"</h2>
            <form class="stack-form claim-form" novalidate on:submit=on_claim>
                {form.notice()}
                <FormField
                    id="quantity"
                    label="How many you will make"
                    autocomplete="off"
                    hint=Some("You can claim part of it; others claim the rest.")
                    required=true
                    value=amount
                    form
                />
                <FormField id="note" label="Note (optional)" autocomplete="off" value=note_text form />
                <SubmitButton label="Claim" busy_label="Claiming…" busy=form.busy />
            </form>
        </section>
        <p class="muted" hidden=move || !signed_out() || remainder <= 0.0>
            <a href=format!("/signin?next=/needs/{id}")>"Sign in"</a>
            " to claim part of this need."
        </p>
        <section class="design-section" aria-labelledby="claims-title">
            <h2 id="claims-title">"Claims"</h2>
            <ClaimList claims changed=reload />
        </section>
    }
}
