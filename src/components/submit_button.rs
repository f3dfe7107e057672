use leptos::prelude::*;

/// A form's submit button: disabled and saying so while the form is sent.
#[component]
pub fn SubmitButton(
    /// What the button does ("Sign in").
    label: &'static str,
    /// What it says while the form is on its way ("Signing in…").
    busy_label: &'static str,
    /// Whether the form is on its way.
    busy: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="button" disabled=busy>
            {move || if busy.get() { busy_label } else { label }}
        </button>
    }
}
