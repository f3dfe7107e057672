use leptos::prelude::*;

/// What any address the app does not know shows.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    crate::set_page_title("Page not found");
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. The link may be mistyped or out of date."</p>
            <p>
                <a href="/">"Browse the commons"</a>
            </p>
        </section>
    }
}
