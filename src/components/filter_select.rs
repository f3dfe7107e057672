use leptos::prelude::*;

/// One value a filter can take, with how many designs have it.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterOption {
    /// The value in the URL and the API query (`laser-cutting`).
    pub value: String,
    /// What people read (`Laser cutting`).
    pub label: String,
    /// How many have it; not shown when 0.
    pub count: u64,
}

/// A labelled `<select>` for one filter: "Any …" first, then each value,
/// with its count when it has one.
#[component]
pub fn FilterSelect(
    /// The element id, also the URL parameter the filter mirrors.
    id: &'static str,
    /// The visible label ("Licence").
    label: &'static str,
    /// The text of the empty choice ("Any licence").
    any: &'static str,
    /// The values to choose from, most used first.
    #[prop(into)]
    options: Signal<Vec<FilterOption>>,
    /// The chosen value; empty for any.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the newly chosen value (empty for any).
    on_change: Callback<String>,
) -> impl IntoView {
    let choices = move || {
        let current = value.get();
        let mut choices = options.get();
        // A value from a link that no design uses (any more) stays visible
        // instead of the select pretending to show everything.
        if !current.is_empty()
            && !choices
                .iter()
                .any(|c| c.value.eq_ignore_ascii_case(&current))
        {
            choices.push(FilterOption {
                label: current.clone(),
                value: current.clone(),
                count: 0,
            });
        }
        choices
            .into_iter()
            .map(|choice| {
                let selected = choice.value.eq_ignore_ascii_case(&current);
                let text = if choice.count > 0 {
                    format!("{} ({})", choice.label, choice.count)
                } else {
                    choice.label
                };
                view! {
                    <option value=choice.value prop:selected=selected>
                        {text}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=id on:change=move |ev| on_change.run(event_target_value(&ev))>
                <option value="" prop:selected=move || value.with(String::is_empty)>
                    {any}
                </option>
                {choices}
            </select>
        </div>
    }
}
