//! Stigmergy in the browser: the design commons and accounts, client-side
//! rendered with Leptos. `api` is the only module that talks HTTP, `load`
//! how a page shows what it reads; `pages`
//! holds one routed page per file, `components` one reusable component per
//! file; `session` says who is signed in, `form` what a form is doing.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

pub mod api;
pub mod components;
pub mod form;
pub mod leaflet;
pub mod live;
pub mod load;
pub mod pages;
pub mod session;

use components::{AccountMenu, MainNav};
use pages::{
    AccountPage, AccountsPage, CoalitionPage, CoalitionsPage, CommonsPage, DesignPage,
    EditDesignPage, MapPage, MyWorkPage, NeedPage, NeedsPage, NewDesignPage, NewNeedPage,
    NotFoundPage, RegisterPage, SignInPage,
};

/// The whole app: header, routed main content, footer.
#[component]
pub fn App() -> impl IntoView {
    session::provide_session();
    view! {
        <Router>
            <header class="site-header">
                <div class="wrap site-header-inner">
                    <a href="/" class="brand">
                        "Stigmergy"
                    </a>
                    <MainNav />
                    <AccountMenu />
                </div>
            </header>
            <main id="main" class="wrap">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=CommonsPage />
                    <Route path=path!("/designs/new") view=NewDesignPage />
                    <Route path=path!("/designs/:id") view=DesignPage />
                    <Route path=path!("/designs/:id/edit") view=EditDesignPage />
                    <Route path=path!("/signup") view=RegisterPage />
                    <Route path=path!("/signin") view=SignInPage />
                    <Route path=path!("/account") view=AccountPage />
                    <Route path=path!("/coalitions") view=CoalitionsPage />
                    <Route path=path!("/coalitions/:id") view=CoalitionPage />
                    <Route path=path!("/coalitions/:id/accounts") view=AccountsPage />
                    <Route path=path!("/map") view=MapPage />
                    <Route path=path!("/needs") view=NeedsPage />
                    <Route path=path!("/needs/new") view=NewNeedPage />
                    <Route path=path!("/needs/:id") view=NeedPage />
                    <Route path=path!("/work") view=MyWorkPage />
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
