use std::time::Duration;

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use stigmergy_core::{DesignSummary, Facets, Page, RawDesignQuery};

use crate::api;
use crate::components::{DesignCard, ErrorNotice, FilterOption, FilterSelect};
use crate::load::{Load, Paged};

/// How long typing must pause before the search runs.
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// The design commons: search, filters and the matching designs. The
/// address bar holds the search and filters, so a link reproduces the view.
#[component]
pub fn CommonsPage() -> impl IntoView {
    crate::set_page_title("Commons");
    let query_map = use_query_map();
    let filters = Memo::new(move |_| query_map.with(filters_from));

    // Typing replaces the history entry (one per search, not per key);
    // choosing a filter or tag adds one, so Back undoes it, and scrolls back
    // to the top.
    let navigate = use_navigate();
    let show = Callback::new(move |(query, replace): (RawDesignQuery, bool)| {
        let query = query.to_query_string();
        let url = if query.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{query}")
        };
        let scroll = !replace;
        navigate(
            &url,
            NavigateOptions {
                replace,
                scroll,
                ..Default::default()
            },
        );
    });
    let set_filter = move |field: fn(&mut RawDesignQuery) -> &mut Option<String>, value: String| {
        let mut query = filters.get_untracked();
        *field(&mut query) = Some(value).filter(|v| !v.is_empty());
        show.run((query, false));
    };

    // The search box runs ahead of the URL while the person types.
    let search_text = RwSignal::new(filters.get_untracked().q.unwrap_or_default());
    let search_timer = StoredValue::new(None::<TimeoutHandle>);
    let cancel_search = move || {
        if let Some(timer) = search_timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
    };
    on_cleanup(cancel_search);
    let run_search = move |text: String| {
        cancel_search();
        let mut query = filters.get_untracked();
        query.q = Some(text).filter(|t| !t.trim().is_empty());
        show.run((query, true));
    };
    let on_search_input = move |ev| {
        let text = event_target_value(&ev);
        search_text.set(text.clone());
        cancel_search();
        let timer = set_timeout_with_handle(move || run_search(text), SEARCH_DELAY).ok();
        search_timer.set_value(timer);
    };
    // Back, Forward and "Clear filters" change the URL under the box.
    Effect::new(move || {
        let q = filters.with(|f| f.q.clone().unwrap_or_default());
        let typing = search_timer.with_value(Option::is_some);
        if !typing && search_text.with_untracked(|text| text.trim() != q.trim()) {
            search_text.set(q);
        }
    });
    let search_input = NodeRef::<leptos::html::Input>::new();
    let clear_all = move || {
        cancel_search();
        search_text.set(String::new());
        show.run((RawDesignQuery::default(), false));
        // The button goes away with the empty state; keep focus on the page.
        if let Some(input) = search_input.get_untracked() {
            let _ = input.focus();
        }
    };

    // The old list stays, dimmed, while the next loads; errors offer a
    // retry (see `Load`).
    let facets = Load::<Facets>::new();
    facets.run(api::facets());
    let facet = move |pick: fn(&Facets) -> Vec<FilterOption>| {
        Signal::derive(move || {
            facets.value.with(|facets| {
                facets
                    .as_ref()
                    .and_then(|facets| facets.as_ref().ok())
                    .map(pick)
                    .unwrap_or_default()
            })
        })
    };
    let facets_failed = move || {
        facets
            .value
            .with(|facets| facets.as_ref().is_some_and(Result::is_err))
    };
    let filter_value = move |pick: fn(&RawDesignQuery) -> &Option<String>| {
        Signal::derive(move || filters.with(|f| pick(f).clone().unwrap_or_default()))
    };

    // The first page follows the filters; "Load more" appends the next ones.
    let results = Paged::<DesignSummary>::new();
    let pending = results.first.pending();
    let fetch = move |query: RawDesignQuery| {
        results.run(async move { api::list_designs(&query).await });
    };
    Effect::new(move || fetch(filters.get()));
    let retry = Callback::new(move |()| fetch(filters.get_untracked()));
    let load_more = move || {
        let query = filters.get_untracked();
        results.load_more(
            move |cursor| async move {
                let query = RawDesignQuery {
                    cursor: Some(cursor),
                    ..query
                };
                api::list_designs(&query).await
            },
            "Could not load more designs.",
        );
    };

    let count = move || {
        results.first.value.with(|page| match page {
            Some(Ok(page)) => designs(page.total),
            _ => String::new(),
        })
    };
    let on_tag = Callback::new(move |tag| set_filter(|q| &mut q.tag, tag));

    let list = move |first: Page<DesignSummary>| {
        if first.total == 0 {
            let searching = filters.with_untracked(|f| *f != RawDesignQuery::default());
            return Either::Left(view! {
                <div class="empty-state" data-testid="empty-state">
                    <h2>"No designs match"</h2>
                    {if searching {
                        Either::Left(view! {
                            <p>
                                "No design in the commons matches this search and these filters. Try fewer words or another filter."
                            </p>
                            <button type="button" class="button" on:click=move |_| clear_all()>
                                "Clear filters"
                            </button>
                        })
                    } else {
                        Either::Right(view! { <p>"The commons has no designs yet."</p> })
                    }}
                </div>
            });
        }
        Either::Right(view! {
            <ul class="card-grid">
                {first
                    .items
                    .into_iter()
                    .map(|design| view! { <li><DesignCard design on_tag /></li> })
                    .collect_view()}
            </ul>
        })
    };

    view! {
        <div class="page-heading">
            <h1 class="page-title">"The commons"</h1>
            <a href="/designs/new" class="button" data-testid="publish-design">
                "Publish a design"
            </a>
        </div>
        <p class="lead">
            "Open hardware designs anyone may make, with their licence and bill of materials."
        </p>
        <form
            class="search-form"
            role="search"
            on:submit=move |ev| {
                ev.prevent_default();
                run_search(search_text.get_untracked());
            }
        >
            <div class="field field-search">
                <label for="search">"Search designs"</label>
                <input
                    node_ref=search_input
                    id="search"
                    name="q"
                    type="search"
                    data-testid="search"
                    placeholder="microscope, solar, wheelchair…"
                    autocomplete="off"
                    prop:value=search_text
                    on:input=on_search_input
                />
            </div>
            <FilterSelect
                id="licence"
                label="Licence"
                any="Any licence"
                options=facet(|f| {
                    f.licences
                        .iter()
                        .map(|l| option(l.value.spdx_id(), l.value.name(), l.count))
                        .collect()
                })
                value=filter_value(|f| &f.licence)
                on_change=Callback::new(move |v| set_filter(|q| &mut q.licence, v))
            />
            <FilterSelect
                id="process"
                label="Process"
                any="Any process"
                options=facet(|f| {
                    f.processes.iter().map(|p| option(p.value.slug(), p.value.label(), p.count)).collect()
                })
                value=filter_value(|f| &f.process)
                on_change=Callback::new(move |v| set_filter(|q| &mut q.process, v))
            />
            <FilterSelect
                id="material"
                label="Material"
                any="Any material"
                options=facet(|f| f.materials.iter().map(|m| option(&m.value, &m.value, m.count)).collect())
                value=filter_value(|f| &f.material)
                on_change=Callback::new(move |v| set_filter(|q| &mut q.material, v))
            />
            <FilterSelect
                id="tag"
                label="Tag"
                any="Any tag"
                options=facet(|f| f.tags.iter().map(|t| option(&t.value, &t.value, t.count)).collect())
                value=filter_value(|f| &f.tag)
                on_change=on_tag
            />
        </form>
        <p class="muted" hidden=move || !facets_failed()>
            "The filter choices could not be loaded; search still works."
        </p>
        <section class="results" aria-label="Designs" aria-busy=move || pending.get().to_string()>
            <div class="results-bar">
                <p class="result-count" data-testid="result-count" aria-live="polite">
                    {count}
                </p>
                {move || {
                    pending
                        .get()
                        .then(|| {
                            view! {
                                <p class="loading" data-testid="loading">
                                    "Loading designs…"
                                </p>
                            }
                        })
                }}
            </div>
            {move || {
                results
                    .first
                    .value
                    .get()
                    .map(|page| match page {
                        Ok(first) => Either::Left(list(first)),
                        Err(error) => Either::Right(view! { <ErrorNotice error retry /> }),
                    })
            }}
            {results.more_button("Load more designs", "Loading more designs…", load_more)}
        </section>
    }
}

/// The filters in a query string; cursor and limit are the list's business.
fn filters_from(params: &ParamsMap) -> RawDesignQuery {
    let param = |key| params.get(key).filter(|v| !v.trim().is_empty());
    RawDesignQuery {
        q: param("q"),
        licence: param("licence"),
        process: param("process"),
        material: param("material"),
        tag: param("tag"),
        ..Default::default()
    }
}

fn option(value: &str, label: &str, count: u64) -> FilterOption {
    FilterOption {
        value: value.to_owned(),
        label: label.to_owned(),
        count,
    }
}

fn designs(count: u64) -> String {
    match count {
        1 => "1 design".to_owned(),
        n => format!("{n} designs"),
    }
}
