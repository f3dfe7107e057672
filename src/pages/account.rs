use leptos::prelude::*;

use crate::components::{ApiTokens, OwnAccount};
use crate::session::use_session;

/// The signed-in person's account (`/account`): who they are, their
/// personal API tokens, their password and where they are signed in;
/// signed out, a way to sign in and come back.
///
/// Both states are always in the page and the style sheet shows the one
/// the section's class names: views swapped by a reactive closure would
/// each carry their own rebuild code, which the wasm budget cannot afford.
#[component]
pub fn AccountPage() -> impl IntoView {
    crate::set_page_title("Your account");
    let session = use_session();
    let state = move || match (session.known.get(), session.me.with(Option::is_some)) {
        (_, true) => "signed-in",
        (true, false) => "signed-out",
        (false, false) => "",
    };
    let field = move |pick: fn(&stigmergy_core::Me) -> &str| {
        move || {
            session
                .me
                .with(|me| me.as_ref().map(|me| pick(me).to_owned()))
        }
    };
    view! {
        <section class=state>
            <h1 class="page-title">"Your account"</h1>
            <p class="when-signed-out">
                "You are not signed in. "
                <a href="/signin?next=/account">"Sign in to see your account"</a>
            </p>
            <div class="when-signed-in">
                <dl class="facts" data-testid="account-details">
                    <div>
                        <dt>"Handle"</dt>
                        <dd data-testid="account-handle">{field(|me| me.handle.as_str())}</dd>
                    </div>
                    <div>
                        <dt>"Name"</dt>
                        <dd>{field(|me| &me.name)}</dd>
                    </div>
                    <div>
                        <dt>"Email address"</dt>
                        <dd>{field(|me| &me.email)}</dd>
                    </div>
                </dl>
                <ApiTokens />
                <OwnAccount />
            </div>
        </section>
    }
}
