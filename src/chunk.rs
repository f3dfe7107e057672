//! Pages whose code travels in a wasm chunk of their own, fetched when the
//! page is first visited, so that the first visit to the commons pays only
//! for the commons (issue 14).
//!
//! [`page_chunk!`] names a route's page and the chunk it lives in. With the
//! `split` feature (the release build, see `scripts/split-wasm.mjs`), the
//! page's constructor sits behind a `wasm_split` function: calling it first
//! fetches and instantiates the chunk. Without the feature (component tests,
//! clippy) the same route simply builds the page. Either way the route shows
//! the shell at once, a loading state while the chunk arrives, and, when it
//! cannot be fetched, an error with a retry rather than a dead page.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use leptos_router::ChooseView;

/// A page, once its chunk is loaded: the page's own constructor.
pub type Page = fn() -> AnyView;

/// Fetching a page's chunk (at once, without the `split` feature).
pub type Loading = Pin<Box<dyn Future<Output = Result<Page, SplitLoaderError>>>>;

/// A route's view that loads its page's chunk first.
#[derive(Clone, Copy)]
pub struct Chunk {
    name: &'static str,
    load: fn() -> Loading,
}

impl Chunk {
    /// A route view for the chunk `name`, fetched by `load`.
    pub const fn new(name: &'static str, load: fn() -> Loading) -> Chunk {
        Chunk { name, load }
    }
}

impl ChooseView for Chunk {
    async fn choose(self) -> AnyView {
        view! { <ChunkPage chunk=self /> }.into_any()
    }

    async fn preload(&self) {}
}

/// Where a chunk's page is.
#[derive(Clone, Copy)]
enum State {
    Loading,
    Ready(Page),
    Failed,
}

/// The page of `chunk`: a loading state until its code is there, then the
/// page; an error with a retry when the chunk cannot be fetched.
#[component]
fn ChunkPage(
    /// The chunk holding the page.
    chunk: Chunk,
) -> impl IntoView {
    let state = RwSignal::new(State::Loading);
    let load = move || {
        state.set(State::Loading);
        leptos::task::spawn_local(async move {
            let loaded = (chunk.load)().await;
            state.set(match loaded {
                Ok(page) => State::Ready(page),
                Err(_) => State::Failed,
            });
        });
    };
    load();
    move || {
        match state.get() {
        State::Ready(page) => page(),
        State::Loading => view! {
            <div class="page-loading" role="status" data-testid="page-loading">
                <p class="loading">"Loading this page…"</p>
            </div>
        }
        .into_any(),
        State::Failed => view! {
            <section class="page-failed" role="alert" data-testid="page-failed" data-chunk=chunk.name>
                <h1>"This page could not be loaded"</h1>
                <p>
                    "Its code did not arrive, perhaps because the connection dropped. "
                    "Nothing you entered was lost."
                </p>
                <button type="button" class="button" on:click=move |_| load()>
                    "Try again"
                </button>
            </section>
        }
        .into_any(),
    }
    }
}

/// `page_chunk!(module, Page)`: a route view that builds `<Page/>` from the
/// chunk named `module`. Pages may share a chunk (the same `module`); code
/// two chunks share lands in a shared chunk of its own, fetched with either.
// rustfmt formats the attribute inside this macro differently on each run.
#[rustfmt::skip]
macro_rules! page_chunk {
    ($module:ident, $page:ident) => {{
        #[cfg_attr(
            feature = "split",
            ::leptos::wasm_split::wasm_split(
                $module,
                fallible,
                wasm_split_path = ::leptos::wasm_split
            )
        )]
        fn $module(
        ) -> ::core::result::Result<$crate::chunk::Page, ::leptos::wasm_split::SplitLoaderError> {
            fn page() -> ::leptos::prelude::AnyView {
                use ::leptos::prelude::IntoAny;
                ::leptos::prelude::view! { <$page /> }.into_any()
            }
            Ok(page)
        }
        $crate::chunk::Chunk::new(stringify!($module), || {
            #[cfg(feature = "split")]
            let loading = $module();
            #[cfg(not(feature = "split"))]
            let loading = ::core::future::ready($module());
            ::std::boxed::Box::pin(loading)
        })
    }};
}
