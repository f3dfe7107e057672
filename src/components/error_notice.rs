use leptos::prelude::*;

use crate::api::ClientError;

/// What went wrong while loading, with a button to try again.
#[component]
pub fn ErrorNotice(
    /// Why the request failed.
    error: ClientError,
    /// Called when the person asks to try again.
    retry: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert">
            <h2>"Something went wrong"</h2>
            <p>{error.to_string()}</p>
            <button type="button" class="button" on:click=move |_| retry.run(())>
                "Try again"
            </button>
        </div>
    }
}
