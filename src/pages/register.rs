use leptos::prelude::*;

use crate::components::AccountForm;

/// Signing up (`/signup`).
#[component]
pub fn RegisterPage() -> impl IntoView {
    crate::set_page_title("Sign up");
    view! { <AccountForm register=true /> }
}
