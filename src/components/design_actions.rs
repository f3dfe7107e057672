use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use stigmergy_core::{AgentId, ForkInput};

use crate::api;
use crate::components::{FormField, SubmitButton};
use crate::form::FormState;
use crate::session::use_session;

/// What the viewer may do with a design, and nothing they may not: its
/// contributors edit it, anyone signed in forks it (naming the fork),
/// and a visitor is offered to sign in.
#[component]
pub fn DesignActions(
    /// The design's id.
    id: String,
    /// Its name, from which the fork's is suggested.
    name: String,
    /// Who may edit it.
    authors: Vec<AgentId>,
) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let form = FormState::default();
    let fork_name = RwSignal::new(format!("{name} (fork)"));
    let fork_from = id.clone();
    let on_fork = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ForkInput {
            id: None,
            name: Some(fork_name.get_untracked().trim().to_owned()),
        };
        let mut check = stigmergy_core::FieldErrors::new();
        if input.name.as_deref().is_none_or(str::is_empty) {
            check.add("name", "Name your fork.");
        }
        if !form.start(check.into_result(())) {
            return;
        }
        let (id, navigate) = (fork_from.clone(), navigate.clone());
        spawn_local(async move {
            if let Some(fork) = form.finish(api::fork_design(&id, &input).await) {
                // The page reuses this panel for the fork: close it.
                if let Ok(Some(panel)) = document().query_selector(".fork[open]") {
                    let _ = panel.remove_attribute("open");
                }
                navigate(&format!("/designs/{}", fork.id), Default::default());
            }
        });
    };
    let signed_in = view! {
        <div class="design-actions">
            <a
                href=format!("/designs/{id}/edit")
                class="button"
                data-testid="edit-design"
                hidden=move || {
                    session.me.with(|me| !me.as_ref().is_some_and(|me| authors.contains(&me.handle)))
                }
            >
                "Edit"
            </a>
            <details class="fork">
                <summary class="button button-quiet" data-testid="fork-design">
                    "Fork"
                </summary>
                <form class="stack-form" novalidate on:submit=on_fork>
                    {form.notice()}
                    <FormField
                        id="name"
                        label="Name of your fork"
                        autocomplete="off"
                        hint=Some("A copy you can change, credited to you, linked to this design.")
                        required=true
                        value=fork_name
                        form
                    />
                    <SubmitButton label="Fork this design" busy_label="Forking…" busy=form.busy />
                </form>
            </details>
        </div>
    };
    let next = format!("/signin?next=/designs/{id}");
    // Both are in the page, one hidden: cheaper in wasm than swapping views.
    // Their slot keeps the room of the larger, so that the page does not
    // move when the server says who is signed in.
    view! {
        <div class="design-actions-slot">
            <div hidden=move || session.me.with(Option::is_none)>{signed_in}</div>
            <p
                class="muted"
                data-testid="sign-in-to-contribute"
                hidden=move || !session.known.get() || session.me.with(Option::is_some)
            >
                <a href=next>"Sign in"</a>
                " to edit or fork this design."
            </p>
        </div>
    }
}
