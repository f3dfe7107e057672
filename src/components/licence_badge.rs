use leptos::prelude::*;
use stigmergy_core::Licence;

/// A licence's SPDX id as a compact badge, with its full name as the title.
#[component]
pub fn LicenceBadge(
    /// The licence to show.
    licence: Licence,
) -> impl IntoView {
    view! {
        <abbr class="licence-badge" title=licence.name()>
            {licence.spdx_id()}
        </abbr>
    }
}
