//! Stigmergy in the browser: the design commons and accounts, client-side
//! rendered with Leptos. `api` is the only module that talks HTTP, `load`
//! how a page shows what it reads; `pages`
//! holds one routed page per file, `components` one reusable component per
//! file; `session` says who is signed in, `form` what a form is doing.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

pub mod api;
#[macro_use]
pub mod chunk;
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
                // The commons is the first page most visitors see: it is in
                // the main module. The other pages come in six chunks, one
                // per part of the portal (the accounts page apart, as it
                // loads a module of its own): a chunk per page would mean dozens
                // of tiny shared chunks, each a request of its own.
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=CommonsPage />
                    <Route path=path!("/designs/new") view=page_chunk!(designs, NewDesignPage) />
                    <Route path=path!("/designs/:id") view=page_chunk!(designs, DesignPage) />
                    <Route path=path!("/designs/:id/edit") view=page_chunk!(designs, EditDesignPage) />
                    <Route path=path!("/signup") view=page_chunk!(account, RegisterPage) />
                    <Route path=path!("/signin") view=page_chunk!(account, SignInPage) />
                    <Route path=path!("/account") view=page_chunk!(account, AccountPage) />
                    <Route path=path!("/coalitions") view=page_chunk!(coalitions, CoalitionsPage) />
                    <Route path=path!("/coalitions/:id") view=page_chunk!(coalitions, CoalitionPage) />
                    <Route path=path!("/coalitions/:id/accounts") view=page_chunk!(accounts, AccountsPage) />
                    <Route path=path!("/map") view=page_chunk!(map, MapPage) />
                    <Route path=path!("/needs") view=page_chunk!(needs, NeedsPage) />
                    <Route path=path!("/needs/new") view=page_chunk!(needs, NewNeedPage) />
                    <Route path=path!("/needs/:id") view=page_chunk!(needs, NeedPage) />
                    <Route path=path!("/work") view=page_chunk!(needs, MyWorkPage) />
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
