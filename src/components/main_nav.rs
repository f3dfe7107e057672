use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The site's sections (only those that exist), the current one marked
/// with `aria-current`.
#[component]
pub fn MainNav() -> impl IntoView {
    let location = use_location();
    // The commons: its list and every design page.
    let in_commons = move || {
        location
            .pathname
            .with(|path| path == "/" || path.starts_with("/designs/"))
            .then_some("page")
    };
    let at = move |section: &'static str| {
        move || {
            location
                .pathname
                .with(|path| path.starts_with(section))
                .then_some("page")
        }
    };
    view! {
        <nav aria-label="Main">
            <ul class="nav-list">
                <li>
                    <a href="/" aria-current=in_commons>
                        "Commons"
                    </a>
                </li>
                <li>
                    <a href="/coalitions" aria-current=at("/coalitions")>
                        "Coalitions"
                    </a>
                </li>
                <li>
                    <a href="/map" aria-current=at("/map")>
                        "Map"
                    </a>
                </li>
                <li>
                    <a href="/needs" aria-current=at("/needs")>
                        "Needs"
                    </a>
                </li>
                <li>
                    <a href="/work" aria-current=at("/work")>
                        "My work"
                    </a>
                </li>
            </ul>
        </nav>
    }
}
