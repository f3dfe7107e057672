use leptos::prelude::*;

use crate::form::FormState;

/// A labelled text input (or text area) with an optional hint, and the form's error for
/// it beside it: `aria-invalid` while there is one, and `aria-describedby`
/// naming the hint and the error. The error paragraph is always there, and
/// empty (hidden by the style sheet) while the field is fine.
#[component]
pub fn FormField(
    /// The input's id and name, and the key of its errors (`password`).
    id: &'static str,
    /// The visible label ("Password").
    label: &'static str,
    /// The input's type (`text`, `email`, `password`).
    #[prop(default = "text")]
    kind: &'static str,
    /// What the browser may fill in (`username`, `new-password`, `off`).
    autocomplete: &'static str,
    /// A short line on what the field takes, under the label.
    #[prop(optional_no_strip)]
    hint: Option<&'static str>,
    /// Whether the field must be filled in.
    #[prop(optional)]
    required: bool,
    /// A text area of this many rows instead of a one-line input.
    #[prop(optional)]
    rows: Option<u32>,
    /// The text in the field.
    value: RwSignal<String>,
    /// The form the field belongs to, holding its errors.
    form: FormState,
) -> impl IntoView {
    let error = move || form.errors.with(|errors| errors.get(id).map(str::to_owned));
    let error_id = format!("{id}-error");
    let described_by = match hint {
        Some(_) => format!("{id}-hint {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field form-field">
            <label for=id>{label}</label>
            {hint.map(|hint| view! { <p class="field-hint" id=format!("{id}-hint")>{hint}</p> })}
            {match rows {
                Some(rows) => {
                    view! {
                        <textarea
                            id=id
                            name=id
                            rows=rows
                            required=required
                            aria-invalid=move || error().map(|_| "true")
                            aria-describedby=described_by
                            prop:value=value
                            on:input=move |ev| value.set(event_target_value(&ev))
                        ></textarea>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <input
                            id=id
                            name=id
                            type=kind
                            autocomplete=autocomplete
                            required=required
                            aria-invalid=move || error().map(|_| "true")
                            aria-describedby=described_by
                            prop:value=value
                            on:input=move |ev| value.set(event_target_value(&ev))
                        />
                    }
                        .into_any()
                }
            }}
            <p class="field-error" id=error_id>
                {move || error().unwrap_or_default()}
            </p>
        </div>
    }
}
