use leptos::prelude::*;
use stigmergy_core::Licence;

/// The licence of a design, picked from the open licences by SPDX id,
/// each with its full name and what it means for a maker in one line.
/// Radio buttons in a fieldset: the arrow keys move between them.
#[component]
pub fn LicencePicker(
    /// The chosen licence.
    value: RwSignal<Licence>,
) -> impl IntoView {
    let options = Licence::ALL
        .into_iter()
        .map(|licence| {
            view! {
                <label class="licence-option">
                    <input
                        type="radio"
                        name="licence"
                        value=licence.spdx_id()
                        prop:checked=move || value.get() == licence
                        on:change=move |_| value.set(licence)
                    />
                    <span>
                        <strong>{licence.name()}</strong>
                        " "
                        <code>{licence.spdx_id()}</code>
                        <span class="muted licence-explanation">{licence.explanation()}</span>
                    </span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="licence-picker">
            <legend>"Licence"</legend>
            <p class="field-hint">"What others may do with the design: make it, change it, sell it."</p>
            {options}
        </fieldset>
    }
}
