use leptos::prelude::*;
use leptos::task::spawn_local;
use stigmergy_core::{NewToken, Timestamp, TokenInput, TokenSummary};

use crate::api;
use crate::components::{FormField, SubmitButton};
use crate::form::FormState;
use crate::session::use_session;

/// The signed-in person's personal API tokens: the list, a form to create
/// one (its secret shown once), and a two-step "Revoke" on each. The list
/// loads whenever someone is signed in.
///
/// Lean on purpose, for the wasm budget: the list is a signal loaded by
/// hand rather than a `LocalResource` in a `<Transition>`, parts come and go
/// by the `hidden` attribute rather than as swapped views, and problems with
/// loading, creating or revoking all show above the form.
#[component]
pub fn ApiTokens() -> impl IntoView {
    let session = use_session();
    let form = FormState::default();
    let tokens = RwSignal::new(None::<Vec<TokenSummary>>);
    let load = move || {
        spawn_local(async move {
            match api::list_tokens().await {
                Ok(list) => {
                    tokens.try_set(Some(list));
                }
                Err(error) => {
                    let problem = format!("Your tokens could not be loaded. {error}");
                    form.problem.try_set(Some(problem));
                }
            }
        })
    };
    Effect::new(move || {
        if session.me.with(Option::is_some) {
            load();
        } else {
            tokens.set(None);
        }
    });
    let name = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let created = RwSignal::new(None::<NewToken>);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TokenInput {
            name: name.get_untracked().trim().to_owned(),
            expires_at: Some(expires.get_untracked()).filter(|day| !day.is_empty()),
        };
        if !form.start(input.validate()) {
            return;
        }
        spawn_local(async move {
            if let Some(token) = form.finish(api::create_token(&input).await) {
                name.try_set(String::new());
                expires.try_set(String::new());
                created.try_set(Some(token));
                load();
            }
        });
    };
    let revoke = Callback::new(move |id: String| {
        form.problem.set(None);
        spawn_local(async move {
            match api::revoke_token(&id).await {
                Ok(()) => {
                    // A revoked token's secret is worth nothing; stop showing it.
                    created.try_update(|new| {
                        if new.as_ref().is_some_and(|new| new.summary.id == id) {
                            *new = None;
                        }
                    });
                    load();
                }
                Err(error) => {
                    let problem = format!("Could not revoke the token. {error}");
                    form.problem.try_set(Some(problem));
                }
            }
        });
    });

    let created_part = move |part: fn(&NewToken) -> &str| {
        move || created.with(|new| new.as_ref().map(|new| part(new).to_owned()))
    };
    let count = move || tokens.with(|list| list.as_ref().map(Vec::len));

    view! {
        <section class="design-section" aria-labelledby="tokens">
            <h2 id="tokens">"API tokens"</h2>
            <p class="muted">
                "A personal API token lets your own software use the Stigmergy API as you. Anyone holding one can act as you: revoke those you no longer use."
            </p>
            <div
                class="secret-box"
                role="status"
                data-testid="new-token"
                hidden=move || created.with(Option::is_none)
            >
                <p class="secret-title">
                    "Your new token “" {created_part(|new| &new.summary.name)} "”: copy it now"
                </p>
                <p>
                    "It is shown only this once; keep it somewhere safe. Your software sends it as Authorization: Bearer followed by the token."
                </p>
                <code class="secret" data-testid="new-token-secret">
                    {created_part(|new| &new.token)}
                </code>
            </div>
            <p class="muted" data-testid="no-tokens" hidden=move || count() != Some(0)>
                "You have no API tokens."
            </p>
            <div class="table-scroll" hidden=move || count().unwrap_or_default() == 0>
                <table class="data-table" data-testid="token-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col">"Expires"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            tokens
                                .get()
                                .unwrap_or_default()
                                .into_iter()
                                .map(|token| token_row(token, revoke))
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            <form class="stack-form token-form" novalidate on:submit=on_submit>
                <h3>"New token"</h3>
                {form.notice()}
                <FormField
                    id="name"
                    label="What is it for?"
                    autocomplete="off"
                    hint=Some("A name to recognise it by, like “inventory sync”.")
                    required=true
                    value=name
                    form
                />
                <FormField
                    id="expires_at"
                    label="Expires on (optional)"
                    kind="date"
                    autocomplete="off"
                    hint=Some("It stops working at the start of that day (UTC), within a year. Without a date it works until you revoke it.")
                    value=expires
                    form
                />
                <SubmitButton label="Create token" busy_label="Creating…" busy=form.busy />
            </form>
        </section>
    }
}

/// One token in the list. "Revoke" asks again ("Really revoke?") before it
/// acts; moving focus away takes the question back.
fn token_row(token: TokenSummary, revoke: Callback<String>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let TokenSummary {
        id,
        name,
        created_at,
        last_used_at,
        expires_at,
    } = token;
    let day = |t: Option<Timestamp>, none| t.as_ref().map_or(none, |t| t.date()).to_owned();
    let last_used = day(last_used_at, "never");
    view! {
        <tr data-testid="token-row">
            <th scope="row">{name.clone()}</th>
            <td>{created_at.date().to_owned()}</td>
            <td>{last_used}</td>
            <td>{day(expires_at, "when revoked")}</td>
            <td class="actions">
                <button
                    type="button"
                    class="button button-danger"
                    data-testid="revoke-token"
                    on:blur=move |_| confirming.set(false)
                    on:click=move |_| {
                        if confirming.get_untracked() {
                            revoke.run(id.clone());
                        } else {
                            confirming.set(true);
                        }
                    }
                >
                    {move || if confirming.get() { "Really revoke?" } else { "Revoke" }}
                    <span class="visually-hidden">{format!(" {name}")}</span>
                </button>
            </td>
        </tr>
    }
}
