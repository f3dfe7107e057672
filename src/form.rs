//! What a form keeps while it is filled in and sent: its field errors, a
//! problem with the whole form, and whether it is on its way.

use leptos::prelude::*;
use stigmergy_core::FieldErrors;
use wasm_bindgen::JsCast;

use crate::api::ClientError;

/// The state of one form, shared by its fields, its button and its notice.
#[derive(Debug, Clone, Copy)]
pub struct FormState {
    /// Problems with single fields, keyed like the server's (`password`),
    /// each shown beside its field.
    pub errors: RwSignal<FieldErrors>,
    /// A problem with the whole form: a taken handle, too many tries, no
    /// connection.
    pub problem: RwSignal<Option<String>>,
    /// Whether the form is being sent.
    pub busy: RwSignal<bool>,
}

impl Default for FormState {
    fn default() -> Self {
        FormState {
            errors: RwSignal::new(FieldErrors::new()),
            problem: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }
}

impl FormState {
    /// Starts sending, unless the form is already on its way or the
    /// client-side `check` found problems (then they are shown instead).
    pub fn start(self, check: Result<(), FieldErrors>) -> bool {
        if self.busy.get_untracked() {
            return false;
        }
        self.problem.set(None);
        match check {
            Ok(()) => {
                self.errors.set(FieldErrors::new());
                self.busy.set(true);
                true
            }
            Err(errors) => {
                self.show_fields(errors, String::new());
                false
            }
        }
    }

    /// Ends sending: the value on success, else `None` with the error shown
    /// beside its fields or above the form. Safe once the page has gone.
    pub fn finish<T>(self, result: Result<T, ClientError>) -> Option<T> {
        self.busy.try_set(false);
        match result {
            Ok(value) => Some(value),
            Err(ClientError::Api { error, .. }) if !error.fields.is_empty() => {
                self.show_fields(error.fields, error.message);
                None
            }
            Err(error) => {
                self.problem.try_set(Some(error.to_string()));
                None
            }
        }
    }

    /// Shows `errors` and moves focus to the first field at fault, once it
    /// is marked; `message` is shown above the form when no field is.
    fn show_fields(self, errors: FieldErrors, message: String) {
        self.errors.try_set(errors);
        request_animation_frame(move || {
            let field = document()
                .query_selector("[aria-invalid=true]")
                .ok()
                .flatten()
                .and_then(|field| field.dyn_into::<web_sys::HtmlElement>().ok());
            match field {
                Some(field) => {
                    let _ = field.focus();
                }
                None if !message.is_empty() => {
                    self.problem.try_set(Some(message));
                }
                None => {}
            }
        });
    }

    /// The problem with the whole form, announced when it appears (the
    /// live region is always there, empty and hidden while all is well).
    pub fn notice(self) -> impl IntoView {
        view! {
            <p class="notice notice-error" role="alert" data-testid="form-problem">
                {move || self.problem.get().unwrap_or_default()}
            </p>
        }
    }
}
