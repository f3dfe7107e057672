//! Reading from the API for a part of a page: what it shows while the
//! answer is on its way, an error notice when it failed, and lists read a
//! page at a time with "Load more".
//!
//! Leptos 0.8's `LocalResource` (an `AsyncDerived` with a refetch signal)
//! inside `<Transition>` and `<ErrorBoundary>` would do this too, for a
//! good deal more wasm than the bundle budget allows. [`Load`] is a signal
//! and a counter instead; everything that does not depend on the type
//! loaded (the counter, the placeholders, the "Load more" button) is
//! written once, not once per type.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;
use stigmergy_core::Page;

use crate::api::ClientError;
use crate::components::ErrorNotice;

/// The requests of one [`Load`]: how many were started, and whether the
/// latest is on its way. Only the latest request's answer is kept, so an
/// answer for filters the page no longer shows is dropped.
#[derive(Debug, Clone, Copy)]
struct Requests {
    started: StoredValue<u32>,
    pending: RwSignal<bool>,
}

impl Requests {
    fn new() -> Self {
        Requests {
            started: StoredValue::new(0),
            pending: RwSignal::new(false),
        }
    }

    /// Starts a request: its ticket.
    fn start(self) -> u32 {
        self.pending.set(true);
        self.started.update_value(|n| *n += 1);
        self.started.get_value()
    }

    /// Whether the request with `ticket` is still the latest (and so its
    /// answer wanted), which ends it. `false` too once the page has gone.
    fn finish(self, ticket: u32) -> bool {
        if self.started.try_get_value() != Some(ticket) {
            return false;
        }
        self.pending.try_set(false);
        true
    }
}

/// A value a part of a page reads from the API: `None` until the first
/// answer; then the latest answer, which stays while the next is on its
/// way.
#[derive(Debug)]
pub struct Load<T: 'static> {
    /// The latest answer. Live changes may edit it in place.
    pub value: RwSignal<Option<Result<T, ClientError>>>,
    requests: Requests,
}

impl<T> Clone for Load<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Load<T> {}

impl<T: Send + Sync + 'static> Load<T> {
    /// Nothing loaded yet; [`Load::run`] starts.
    pub fn new() -> Self {
        Load {
            value: RwSignal::new(None),
            requests: Requests::new(),
        }
    }

    /// Whether a request is on its way (for `aria-busy`).
    pub fn pending(self) -> RwSignal<bool> {
        self.requests.pending
    }

    /// Sends `request`; its answer replaces the value unless another
    /// request was started meanwhile.
    pub fn run(self, request: impl Future<Output = Result<T, ClientError>> + 'static) {
        self.run_then(request, |_| {});
    }

    /// [`Load::run`], with `loaded` seeing the answer just before it is
    /// kept (to set the page's title, say).
    pub fn run_then(
        self,
        request: impl Future<Output = Result<T, ClientError>> + 'static,
        loaded: impl FnOnce(&Result<T, ClientError>) + 'static,
    ) {
        let ticket = self.requests.start();
        spawn_local(async move {
            let answer = request.await;
            if self.requests.finish(ticket) {
                loaded(&answer);
                self.value.try_set(Some(answer));
            }
        });
    }

    /// The value as the page shows it: `loading` in a "loading" paragraph
    /// until the first answer, an error notice (with "Try again" when
    /// `retry` is given) when it failed, else `ready` with the value.
    pub fn view(
        self,
        loading: &'static str,
        retry: Option<Callback<()>>,
        ready: impl Fn(T) -> AnyView + 'static,
    ) -> impl Fn() -> AnyView
    where
        T: Clone,
    {
        move || match self.value.get() {
            Some(Ok(value)) => ready(value),
            Some(Err(error)) => failed(error, retry),
            None => waiting(loading),
        }
    }
}

impl<T: Send + Sync + 'static> Default for Load<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// What a part of a page shows until its first answer.
pub fn waiting(text: &'static str) -> AnyView {
    view! { <p class="loading">{text}</p> }.into_any()
}

/// What a part of a page shows when reading it failed: the notice with
/// "Try again" when there is a `retry`, else the reason alone.
pub fn failed(error: ClientError, retry: Option<Callback<()>>) -> AnyView {
    match retry {
        Some(retry) => view! { <ErrorNotice error retry /> }.into_any(),
        None => view! { <p class="notice notice-error">{error.to_string()}</p> }.into_any(),
    }
}

/// A list read a page at a time: the first page, with the pages "Load
/// more" fetched appended to its items.
#[derive(Debug)]
pub struct Paged<T: 'static> {
    /// The first page, and the items of every page loaded after it.
    pub first: Load<Page<T>>,
    more: More,
}

impl<T> Clone for Paged<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Paged<T> {}

/// Where "Load more" is: on its way, or what went wrong last time.
#[derive(Debug, Clone, Copy)]
struct More {
    busy: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
}

impl<T: Send + Sync + 'static> Paged<T> {
    /// An empty list; [`Paged::run`] reads its first page.
    pub fn new() -> Self {
        Paged {
            first: Load::new(),
            more: More {
                busy: RwSignal::new(false),
                problem: RwSignal::new(None),
            },
        }
    }

    /// Reads the first page again (new filters, say): what "Load more"
    /// appended goes, and an answer for a page after the old first one is
    /// dropped.
    pub fn run(self, request: impl Future<Output = Result<Page<T>, ClientError>> + 'static) {
        self.more.busy.set(false);
        self.more.problem.set(None);
        self.first.run(request);
    }

    /// Where the next page starts, when there is one.
    pub fn next_cursor(self) -> Option<String> {
        self.first.value.with_untracked(|page| match page {
            Some(Ok(page)) => page.next_cursor.clone(),
            _ => None,
        })
    }

    /// Reads the page after those shown with `request` (given the cursor)
    /// and appends its items. A failure is shown by [`Paged::more_button`]
    /// as `failed` followed by the reason, and the list stays.
    pub fn load_more<F>(self, request: impl FnOnce(String) -> F, failed: &'static str)
    where
        F: Future<Output = Result<Page<T>, ClientError>> + 'static,
    {
        let Some(cursor) = self.next_cursor() else {
            return;
        };
        let More { busy, problem } = self.more;
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        // A first page asked for meanwhile makes this one belong to no list.
        let ticket = self.first.requests.started.get_value();
        let request = request(cursor);
        spawn_local(async move {
            let answer = request.await;
            if self.first.requests.started.try_get_value() != Some(ticket) {
                return;
            }
            busy.try_set(false);
            match answer {
                Ok(next) => {
                    self.first.value.try_update(|page| {
                        if let Some(Ok(page)) = page {
                            page.items.extend(next.items);
                            page.next_cursor = next.next_cursor;
                        }
                    });
                }
                Err(error) => {
                    problem.try_set(Some(format!("{failed} {error}")));
                }
            }
        });
    }

    /// "Load more" (`idle`; `busy` while the next page is on its way) when
    /// there is a next page, and what went wrong loading it last time.
    pub fn more_button(
        self,
        idle: &'static str,
        busy: &'static str,
        load: impl Fn() + Send + Sync + 'static,
    ) -> impl IntoView {
        let has_more = move || {
            self.first
                .value
                .with(|page| matches!(page, Some(Ok(page)) if page.next_cursor.is_some()))
        };
        more_button(
            self.more,
            Signal::derive(has_more),
            idle,
            busy,
            Callback::new(move |()| load()),
        )
    }
}

impl<T: Send + Sync + 'static> Default for Paged<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// [`Paged::more_button`]'s markup, written once for every item type.
fn more_button(
    more: More,
    has_more: Signal<bool>,
    idle: &'static str,
    busy_label: &'static str,
    load: Callback<()>,
) -> impl IntoView {
    let More { busy, problem } = more;
    view! {
        <p class="load-more" hidden=move || !has_more.get()>
            <button
                type="button"
                class="button"
                data-testid="load-more"
                disabled=busy
                on:click=move |_| load.run(())
            >
                {move || if busy.get() { busy_label } else { idle }}
            </button>
        </p>
        <p class="notice notice-error" role="alert">
            {move || problem.get().unwrap_or_default()}
        </p>
    }
}
