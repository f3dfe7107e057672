use leptos::prelude::*;
use stigmergy_core::Need;

/// One need on the board: what, how much is still open, by when, where
/// and for whom.
#[component]
pub fn NeedCard(
    /// The need.
    need: Need,
) -> impl IntoView {
    let Need {
        id,
        what,
        quantity,
        remainder,
        due,
        place,
        receiver,
        coalition,
        state,
        ..
    } = need;
    let unit = quantity.unit.symbol();
    view! {
        <li class="need-card" data-testid="need-card">
            <h3>
                <a href=format!("/needs/{id}")>{what}</a>
            </h3>
            <p class="need-remainder" data-testid="need-remainder">
                <strong>{format!("{remainder} {unit}")}</strong>
                {format!(" of {} still open", quantity.value)}
            </p>
            <progress
                max=quantity.value
                value=quantity.value - remainder
                aria-label=format!("{} of {} claimed", quantity.value - remainder, quantity.value)
            ></progress>
            <p class="muted">
                {format!("Due {due} · {} · for {}", place.name, receiver.name)}
            </p>
            <p class="chips">
                <span class="chip">{state.label()}</span>
                {coalition.map(|c| view! { <span class="chip chip-quiet">{c.name}</span> })}
            </p>
        </li>
    }
}
