use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate};
use stigmergy_core::query::encode;

use crate::api;
use crate::session::use_session;

/// The header's account links: "Sign in" and "Sign up" when signed out;
/// the person's name (to their account) and "Sign out" when signed in;
/// neither until the server has said, rather than a flash of "Sign in".
///
/// Both sets are always in the page and the style sheet shows the one the
/// list's class names: one reactive class instead of two swapped views,
/// which keeps the wasm small.
#[component]
pub fn AccountMenu() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let problem = RwSignal::new("");
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            // Until the server has ended the session, the person is still
            // signed in; saying otherwise would leave the cookie working.
            if api::sign_out().await.is_ok() {
                problem.try_set("");
                session.me.try_set(None);
                navigate("/", Default::default());
            } else {
                problem.try_set("Could not sign out. Please try again.");
            }
        });
    };
    let state = move || match (session.known.get(), session.me.with(Option::is_some)) {
        (_, true) => "nav-list account-menu signed-in",
        (true, false) => "nav-list account-menu signed-out",
        (false, false) => "nav-list account-menu",
    };
    // Signing in from a page comes back to it.
    let location = use_location();
    let sign_in = move || {
        location.pathname.with(|path| match path.as_str() {
            "/" | "/signin" | "/signup" => "/signin".to_owned(),
            path => format!("/signin?next={}", encode(path)),
        })
    };
    let name = move || session.me.with(|me| me.as_ref().map(|me| me.name.clone()));
    view! {
        <ul class=state data-testid="account-menu">
            <li class="when-signed-out">
                <a href=sign_in>"Sign in"</a>
            </li>
            <li class="when-signed-out">
                <a href="/signup">"Sign up"</a>
            </li>
            <li class="when-signed-in account-name">
                <a href="/account" data-testid="account-link">
                    {name}
                </a>
            </li>
            <li class="when-signed-in">
                <button type="button" class="link-button" on:click=sign_out>
                    "Sign out"
                </button>
            </li>
        </ul>
        <p class="notice notice-error" role="alert">
            {move || problem.get()}
        </p>
    }
}
