use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use stigmergy_core::{Gap, Gaps, Need, NeedState, Page, ProcessKind, RawNeedQuery};

use crate::api;
use crate::components::{FilterOption, FilterSelect, NeedCard};
use crate::load::{Load, Paged};
use crate::session::use_session;

/// The needs board (`/needs`), public: open needs with their remainder,
/// most urgent first; filters by process, state and distance from the
/// signed-in person's place, all in the address; and the gap signal, per
/// design and per region: what nobody has taken on yet.
#[component]
pub fn NeedsPage() -> impl IntoView {
    crate::set_page_title("Needs");
    let session = use_session();
    let query_map = use_query_map();
    let filters = Memo::new(move |_| {
        query_map.with(|q| {
            let param = |key| q.get(key).filter(|v: &String| !v.trim().is_empty());
            RawNeedQuery {
                design: param("design"),
                process: param("process"),
                coalition: param("coalition"),
                near: param("near"),
                radius_km: param("radius_km"),
                state: param("state"),
                ..RawNeedQuery::default()
            }
        })
    });
    let navigate = use_navigate();
    let show = Callback::new(move |query: RawNeedQuery| {
        let query = query_without_cursor(&query);
        let url = if query.is_empty() {
            "/needs".to_owned()
        } else {
            format!("/needs?{query}")
        };
        navigate(&url, NavigateOptions::default());
    });
    let set = move |field: fn(&mut RawNeedQuery) -> &mut Option<String>, value: Option<String>| {
        let mut query = filters.get_untracked();
        *field(&mut query) = value.filter(|v| !v.is_empty());
        show.run(query);
    };

    let needs = Paged::<Need>::new();
    let load = move |query: RawNeedQuery| {
        needs.run(async move { api::list_needs(&query).await });
    };
    Effect::new(move || load(filters.get()));
    let retry = Callback::new(move |()| load(filters.get_untracked()));
    let load_more = move || {
        let query = filters.get_untracked();
        needs.load_more(
            move |cursor| async move {
                let query = RawNeedQuery {
                    cursor: Some(cursor),
                    ..query
                };
                api::list_needs(&query).await
            },
            "Could not load more needs.",
        );
    };

    let gaps = Load::<Gaps>::new();
    let load_gaps = move || gaps.run(api::gaps());
    load_gaps();

    // Live: a claim changes its need's remainder in place; a new need, or
    // a need leaving the filter's state, reloads the list. The gap follows.
    let live = crate::live::follow(
        move |change| {
            let Some(id) = change.need else {
                return;
            };
            let remainder = change.remainder;
            let mut shown = false;
            if let Some(remainder) = remainder {
                needs.first.value.update(|needs| {
                    if let Some(Ok(page)) = needs
                        && let Some(need) = page.items.iter_mut().find(|n| n.id == id)
                    {
                        shown = true;
                        need.remainder = remainder;
                        if remainder > 0.0 {
                            need.state = NeedState::Open;
                        }
                    }
                });
            }
            if !shown || remainder == Some(0.0) {
                load(filters.get_untracked());
            }
            load_gaps();
        },
        move || load(filters.get_untracked()),
    );
    // The stream opens once the data is in, from where it was read.
    Effect::new(move || {
        if needs.first.value.with(Option::is_some) {
            live.start();
        }
    });

    let processes = Signal::derive(|| {
        ProcessKind::ALL
            .iter()
            .map(|p| FilterOption {
                value: p.slug().to_owned(),
                label: p.label().to_owned(),
                count: 0,
            })
            .collect::<Vec<_>>()
    });
    let states = Signal::derive(|| {
        let mut states: Vec<FilterOption> = NeedState::ALL
            .iter()
            .skip(1)
            .map(|s| FilterOption {
                value: s.slug().to_owned(),
                label: s.label().to_owned(),
                count: 0,
            })
            .collect();
        states.push(FilterOption {
            value: "all".into(),
            label: "Every state".into(),
            count: 0,
        });
        states
    });
    let value = move |pick: fn(&RawNeedQuery) -> &Option<String>| {
        Signal::derive(move || filters.with(|f| pick(f).clone().unwrap_or_default()))
    };
    let my_place = move || {
        session
            .me
            .with(|me| me.as_ref().and_then(|me| me.place.clone()))
    };
    let near_me = move |ev: leptos::ev::Event| {
        let radius = event_target_value(&ev);
        let mut query = filters.get_untracked();
        query.near = my_place()
            .filter(|_| !radius.is_empty())
            .map(|p| format!("{},{}", p.lat, p.lon));
        query.radius_km = Some(radius).filter(|r| !r.is_empty());
        show.run(query);
    };

    let list = needs
        .first
        .view("Loading the needs…", Some(retry), |page: Page<Need>| {
            if page.items.is_empty() {
                return view! {
                    <p class="empty-state" data-testid="no-needs">
                        "No needs match these filters. "
                        <a href="/needs">"Show every open need"</a>
                    </p>
                }
                .into_any();
            }
            view! {
                <p class="result-count" role="status">
                    {format!(
                        "{} {} most urgent first",
                        page.total,
                        if page.total == 1 { "need," } else { "needs," },
                    )}
                </p>
                <ul class="need-list">
                    {page.items.into_iter().map(|need| view! { <NeedCard need /> }).collect_view()}
                </ul>
            }
            .into_any()
        });
    let design = move || {
        filters.with(|f| f.design.clone()).map(|design| {
            // The design's name, once a need for it is shown.
            let name = needs.first.value.with(|n| {
                n.as_ref()
                    .and_then(|n| n.as_ref().ok())
                    .and_then(|p| p.items.iter().find_map(|i| i.design.clone()))
                    .map(|d| d.name)
            });
            let name = name.unwrap_or(design);
            view! {
                <p class="notice">
                    {format!("Needs for \u{201c}{name}\u{201d}. ")}
                    <a href="/needs">"Show every design"</a>
                </p>
            }
        })
    };
    view! {
        <div class="page-heading">
            <h1 class="page-title">"Needs"</h1>
            <a href="/needs/new" class="button" data-testid="declare-need">
                "Declare a need"
            </a>
        </div>
        <p class="lead">
            "What people and places need made, and how much nobody has claimed yet. Claim part of a need to make it."
        </p>
        {design}
        <form class="search-form filters" on:submit=|ev| ev.prevent_default()>
            <FilterSelect
                id="process"
                label="Process"
                any="Any process"
                options=processes
                value=value(|f| &f.process)
                on_change=Callback::new(move |v| set(|q| &mut q.process, Some(v)))
            />
            <FilterSelect
                id="state"
                label="State"
                any="Open"
                options=states
                value=value(|f| &f.state)
                on_change=Callback::new(move |v| set(|q| &mut q.state, Some(v)))
            />
            <div class="field" hidden=move || my_place().is_none()>
                <label for="near">"Near me"</label>
                <select id="near" on:change=near_me>
                    {["", "50", "250", "1000"]
                        .into_iter()
                        .map(|r| {
                            let selected = move || value(|f| &f.radius_km).get() == r;
                            view! {
                                <option value=r prop:selected=selected>
                                    {if r.is_empty() { "Anywhere".to_owned() } else { format!("Within {r} km") }}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
        </form>
        <div class="needs-layout">
            <section class="needs-board" aria-label="Needs">
                {list}
                {needs.more_button("Load more", "Loading…", load_more)}
            </section>
            <aside class="gaps" aria-labelledby="gap-title">
                <h2 id="gap-title">"The gap"</h2>
                <p class="muted">"Demand nobody has taken on yet: needed − committed − delivered."</p>
                {gaps.view("Loading…", None, |gaps: Gaps| view! {
                    {gap_table("By design", "gaps-by-design", gaps.by_design, true)}
                    {gap_table("By region", "gaps-by-region", gaps.by_region, false)}
                }
                .into_any())}
            </aside>
        </div>
    }
}

/// The query as the page keeps it in the address (without the cursor).
fn query_without_cursor(query: &RawNeedQuery) -> String {
    RawNeedQuery {
        cursor: None,
        ..query.clone()
    }
    .to_query_string()
}

fn gap_table(
    title: &'static str,
    testid: &'static str,
    gaps: Vec<Gap>,
    designs: bool,
) -> impl IntoView {
    let rows = gaps
        .into_iter()
        .filter(|g| g.gap > 0.0)
        .take(8)
        .map(|gap| {
            let label = if designs {
                view! { <a href=format!("/needs?design={}", gap.key)>{gap.label}</a> }.into_any()
            } else {
                gap.label.into_any()
            };
            view! {
                <tr>
                    <th scope="row">{label}</th>
                    <td class="num">{gap.demand}</td>
                    <td class="num">{gap.committed + gap.delivered}</td>
                    <td class="num">
                        <strong>{gap.gap}</strong>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data-table gap-table" data-testid=testid>
            <caption>{title}</caption>
            <thead>
                <tr>
                    <th scope="col">""</th>
                    <th scope="col" class="num">"Needed"</th>
                    <th scope="col" class="num">"Taken on"</th>
                    <th scope="col" class="num">"Gap"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
