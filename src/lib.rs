//! Stigmergy in the browser: the design commons, client-side rendered with
//! Leptos. `api` is the only module that talks HTTP; `pages` holds one routed
//! page per file, `components` one reusable component per file.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

pub mod api;
pub mod components;
pub mod pages;

use pages::{CommonsPage, DesignPage, NotFoundPage};

/// The whole app: header, routed main content, footer.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="site-header">
                <div class="wrap site-header-inner">
                    <a href="/" class="brand">
                        "Stigmergy"
                    </a>
                    <nav aria-label="Main">
                        <ul class="nav-list">
                            <li>
                                <A href="/">"Commons"</A>
                            </li>
                        </ul>
                    </nav>
                </div>
            </header>
            <main id="main" class="wrap">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=CommonsPage />
                    <Route path=path!("/designs/:id") view=DesignPage />
                </Routes>
            </main>
            <footer class="site-footer">
                <div class="wrap">
                    <p>
                        "Stigmergy: a commons of open hardware designs for peer production. "
                        <a href="/api/openapi.json" rel="external">
                            "API"
                        </a>
                    </p>
                </div>
            </footer>
        </Router>
    }
}

/// Sets the browser tab's title to `page`, followed by the product name.
pub(crate) fn set_page_title(page: &str) {
    document().set_title(&format!("{page} · Stigmergy"));
}
