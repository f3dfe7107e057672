use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use stigmergy_core::{FieldErrors, LoginInput, RegisterInput};

use crate::api;
use crate::components::{FormField, SubmitButton};
use crate::form::FormState;
use crate::session::{return_path, use_session};

/// What the form sends.
enum Credentials {
    Register(RegisterInput),
    SignIn(LoginInput),
}

/// The sign-up form (handle, name, email, password; checked here with the
/// server's own rules first, then on to `/account`) or the sign-in form
/// (handle or email, password; then back to `?next=` when it is a path on
/// this site).
///
/// One component for both: they share everything but a few fields, and a
/// second copy of the form would cost the wasm budget a few KiB.
#[component]
pub fn AccountForm(
    /// Sign up when true, else sign in.
    register: bool,
) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let form = FormState::default();
    let handle = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let text = |field: RwSignal<String>| field.get_untracked().trim().to_owned();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (credentials, check) = if register {
            let input = RegisterInput {
                handle: text(handle),
                name: text(name),
                email: text(email),
                password: password.get_untracked(),
            };
            let check = input.validate();
            (Credentials::Register(input), check)
        } else {
            // The handle field holds the login (handle or email) here.
            let input = LoginInput {
                login: text(handle),
                password: password.get_untracked(),
            };
            let mut missing = FieldErrors::new();
            if input.login.is_empty() {
                missing.add("login", "Enter your handle or email address.");
            }
            if input.password.is_empty() {
                missing.add("password", "Enter your password.");
            }
            (Credentials::SignIn(input), missing.into_result(()))
        };
        if !form.start(check) {
            return;
        }
        let next = if register {
            "/account".to_owned()
        } else {
            query.with_untracked(|q| return_path(q.get_str("next")).to_owned())
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match &credentials {
                Credentials::Register(input) => api::register(input).await,
                Credentials::SignIn(input) => api::sign_in(input).await,
            };
            if let Some(me) = form.finish(result) {
                session.signed_in(me);
                navigate(&next, Default::default());
            }
        });
    };

    let register_fields = register.then(|| {
        view! {
            <FormField
                id="handle"
                label="Handle"
                autocomplete="username"
                hint=Some("Lowercase letters, digits and hyphens, like ana-souza. You sign in with it.")
                required=true
                value=handle
                form
            />
            <FormField
                id="name"
                label="Name (optional)"
                autocomplete="name"
                hint=Some("How others see you; your handle when empty.")
                value=name
                form
            />
            <FormField
                id="email"
                label="Email address"
                kind="email"
                autocomplete="email"
                hint=Some("To sign in with; never shown to others.")
                required=true
                value=email
                form
            />
        }
    });
    let login_field = (!register).then(|| {
        view! {
            <FormField
                id="login"
                label="Handle or email address"
                autocomplete="username"
                required=true
                value=handle
                form
            />
        }
    });
    let (title, button, busy, other) = if register {
        (
            "Sign up",
            "Sign up",
            "Signing up…",
            "Already have an account? ",
        )
    } else {
        ("Sign in", "Sign in", "Signing in…", "New here? ")
    };
    let (other_href, other_link) = if register {
        ("/signin", "Sign in")
    } else {
        ("/signup", "Sign up")
    };
    view! {
        <section class="form-page">
            <h1 class="page-title">{title}</h1>
            <form class="stack-form" novalidate on:submit=on_submit>
                {form.notice()}
                {register_fields}
                {login_field}
                <FormField
                    id="password"
                    label="Password"
                    kind="password"
                    autocomplete=if register { "new-password" } else { "current-password" }
                    hint=register.then_some("At least 8 characters; a few words make a good passphrase.")
                    required=true
                    value=password
                    form
                />
                <SubmitButton label=button busy_label=busy busy=form.busy />
            </form>
            <p>{other} <a href=other_href>{other_link}</a></p>
        </section>
    }
}
