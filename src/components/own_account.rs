use leptos::prelude::*;
use leptos::task::spawn_local;
use stigmergy_core::Timestamp;
use stigmergy_core::account::{PasswordChange, SessionInfo};

use crate::api;
use crate::components::{FormField, SubmitButton};
use crate::form::FormState;
use crate::session::use_session;

/// The signed-in person's password and sessions: a form to change the
/// password (the current one required; the server's refusals beside each
/// field), and the list of where they are signed in, "this session"
/// marked, with "Sign out" on each other one and "Sign out everywhere
/// else".
///
/// One component for both because a new password ends every other session,
/// so the list redraws after it; and lean like `ApiTokens`, for the wasm
/// budget: a signal loaded by hand, problems with the list shown above it.
#[component]
pub fn OwnAccount() -> impl IntoView {
    let session = use_session();
    let form = FormState::default();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let changed = RwSignal::new(false);
    let sessions = RwSignal::new(Vec::<SessionInfo>::new());
    // Problems with the list show above the password form too: one notice.
    let problem = form.problem;
    let load = move || {
        spawn_local(async move {
            match api::list_sessions().await {
                Ok(list) => {
                    sessions.try_set(list);
                }
                Err(error) => {
                    problem.try_set(Some(format!("Your sessions could not be loaded. {error}")));
                }
            }
        })
    };
    Effect::new(move || {
        if session.me.with(Option::is_some) {
            load();
        }
    });
    // Ends one session (`Some(id)`) or every other one (`None`).
    let end = Callback::new(move |id: Option<String>| {
        problem.set(None);
        spawn_local(async move {
            match api::end_sessions(id.as_deref()).await {
                Ok(()) => load(),
                Err(error) => {
                    problem.try_set(Some(format!("Could not sign out there. {error}")));
                }
            }
        });
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        changed.set(false);
        let input = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        if !form.start(input.validate()) {
            return;
        }
        spawn_local(async move {
            if form.finish(api::change_password(&input).await).is_some() {
                current.try_set(String::new());
                new.try_set(String::new());
                changed.try_set(true);
                load();
            }
        });
    };

    view! {
        <section class="design-section" aria-labelledby="password">
            <h2 id="password">"Password"</h2>
            <p class="notice notice-ok" role="status" data-testid="password-changed" hidden=move || !changed.get()>
                "Your password is changed. You are signed out everywhere else."
            </p>
            <form class="stack-form" novalidate on:submit=on_submit data-testid="password-form">
                {form.notice()}
                <FormField
                    id="current_password"
                    label="Current password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    value=current
                    form
                />
                <FormField
                    id="new_password"
                    label="New password"
                    kind="password"
                    autocomplete="new-password"
                    hint=Some("At least 8 characters; a few unrelated words make a strong one.")
                    required=true
                    value=new
                    form
                />
                <SubmitButton label="Change password" busy_label="Changing…" busy=form.busy />
            </form>
        </section>
        <section class="design-section" aria-labelledby="sessions">
            <h2 id="sessions">"Where you are signed in"</h2>
            <ul class="session-list" data-testid="sessions">
                {move || { sessions.get().into_iter().map(|s| session_row(s, end)).collect_view() }}
            </ul>
            <button
                type="button"
                class="button button-danger"
                data-testid="end-other-sessions"
                on:click=move |_| end.run(None)
            >
                "Sign out everywhere else"
            </button>
        </section>
    }
}

/// A time to the minute, in UTC (`2026-12-02 09:41`).
fn minute(time: &Timestamp) -> String {
    time.as_str()
        .get(..16)
        .unwrap_or_default()
        .replace('T', " ")
}

/// One session: when it signed in and was last seen (UTC), this one
/// marked, any other with its "Sign out".
fn session_row(session: SessionInfo, end: Callback<Option<String>>) -> impl IntoView {
    let SessionInfo {
        id,
        created_at,
        last_seen_at,
        current,
        ..
    } = session;
    let when = format!(
        "Signed in {}, last seen {} UTC ",
        minute(&created_at),
        minute(&last_seen_at)
    );
    view! {
        <li data-testid="session-row">
            {when} <strong hidden=!current>"This session"</strong>
            <button
                type="button"
                class="button"
                data-testid="end-session"
                hidden=current
                on:click=move |_| end.run(Some(id.clone()))
            >
                "Sign out"
            </button>
        </li>
    }
}
