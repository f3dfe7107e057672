use leptos::prelude::*;

/// What went wrong while loading, for an `<ErrorBoundary>` fallback, with a
/// button to try again.
#[component]
pub fn ErrorNotice(
    /// The errors the boundary caught.
    errors: ArcRwSignal<Errors>,
    /// Called when the person asks to try again (refetch the resource).
    retry: Callback<()>,
) -> impl IntoView {
    let messages = move || {
        errors.with(|errors| {
            errors
                .iter()
                .map(|(_, error)| view! { <p>{error.to_string()}</p> })
                .collect_view()
        })
    };
    view! {
        <div class="notice notice-error" role="alert">
            <h2>"Something went wrong"</h2>
            {messages}
            <button type="button" class="button" on:click=move |_| retry.run(())>
                "Try again"
            </button>
        </div>
    }
}
