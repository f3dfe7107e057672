use leptos::prelude::*;

use crate::components::DesignEditor;
use crate::session::use_session;

/// Publishing a design (`/designs/new`); signed out, a way to sign in and
/// come back.
#[component]
pub fn NewDesignPage() -> impl IntoView {
    crate::set_page_title("Publish a design");
    let session = use_session();
    move || match (session.known.get(), session.me.with(Option::is_some)) {
        (_, true) => view! { <DesignEditor base=None /> }.into_any(),
        (true, false) => view! {
            <section class="form-page">
                <h1 class="page-title">"Publish a design"</h1>
                <p>
                    "Anyone can read the commons; to add to it, "
                    <a href="/signin?next=/designs/new">"sign in"</a>
                    " or "
                    <a href="/signup">"sign up"</a>
                    "."
                </p>
            </section>
        }
        .into_any(),
        (false, false) => view! { <p class="loading">"Loading…"</p> }.into_any(),
    }
}
