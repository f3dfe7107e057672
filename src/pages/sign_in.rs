use leptos::prelude::*;

use crate::components::AccountForm;

/// Signing in (`/signin?next=/path`).
#[component]
pub fn SignInPage() -> impl IntoView {
    crate::set_page_title("Sign in");
    view! { <AccountForm register=false /> }
}
