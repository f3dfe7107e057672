use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use stigmergy_core::Design;
use stigmergy_core::query::encode;

use crate::api::{self, ClientError};
use crate::components::{
    BillOfMaterialsTable, DesignActions, LicenceBadge, SupplyChain, VersionHistory,
};
use crate::load::{self, Load};

/// One design: what it is, its licence, lineage, contributors and bill of
/// materials (`/designs/:id`).
///
/// The old design stays, dimmed, while the next loads; errors offer a
/// retry (see [`Load`]).
#[component]
pub fn DesignPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    // The design's id and the revision asked for (`?revision=2`), if any.
    let address = move || {
        (
            params.with(|p| p.get("id").unwrap_or_default()),
            query.with(|q| q.get_str("revision").and_then(|r| r.parse::<u32>().ok())),
        )
    };
    let design = Load::new();
    let load = move |(id, revision): (String, Option<u32>)| {
        let request = async move {
            match revision {
                Some(revision) => api::design_version(&id, revision).await,
                None => api::get_design(&id).await,
            }
        };
        design.run_then(
            request,
            |answer: &Result<Design, ClientError>| match answer {
                Ok(design) => crate::set_page_title(&design.name),
                Err(error) if error.is_not_found() => crate::set_page_title("Design not found"),
                Err(_) => {}
            },
        );
    };
    Effect::new(move || load(address()));
    let retry = Callback::new(move |()| load(untrack(address)));

    let content = move || match design.value.get() {
        None => {
            view! { <p class="loading" data-testid="loading">"Loading the design…"</p> }.into_any()
        }
        Some(Ok(design)) => design_view(design, untrack(address).1.is_some()).into_any(),
        Some(Err(error)) if error.is_not_found() => not_found().into_any(),
        Some(Err(error)) => load::failed(error, Some(retry)),
    };
    view! {
        <div class="design-page" aria-busy=move || design.pending().get().to_string()>
            {content}
        </div>
    }
}

/// The design; `old` when it is a past revision rather than the current one.
fn design_view(design: Design, old: bool) -> impl IntoView {
    let Design {
        id,
        revision,
        name,
        summary,
        description,
        licence,
        version,
        repository,
        tags,
        bill_of_materials,
        contributors,
        lineage,
        updated_at,
        ..
    } = design;
    let paragraphs = description
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| view! { <p>{p.to_owned()}</p> })
        .collect_view();
    // Only web addresses become links, whatever the data says.
    let repository = repository
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .map(|url| {
            view! {
                <div>
                    <dt>"Repository"</dt>
                    <dd>
                        <a href=url.clone() rel="external noopener noreferrer">
                            {url.clone()}
                        </a>
                    </dd>
                </div>
            }
        });
    let parent = lineage.parent.map(|parent| {
        view! {
            <div>
                <dt>"Fork of"</dt>
                <dd>
                    <a href=format!("/designs/{}", parent.id)>{parent.name}</a>
                </dd>
            </div>
        }
    });
    let tags = (!tags.is_empty()).then(|| {
        view! {
            <ul class="tags" aria-label="Tags">
                {tags
                    .into_iter()
                    .map(|tag| {
                        let href = format!("/?tag={}", encode(&tag));
                        view! {
                            <li>
                                <a href=href class="tag">
                                    {tag}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    let processes = bill_of_materials
        .process_kinds()
        .into_iter()
        .map(|kind| view! { <li class="chip">{kind.label()}</li> })
        .collect_view();
    let authors: Vec<_> = contributors.iter().map(|c| c.agent.id.clone()).collect();
    // A past revision says so and links to the current one, instead of
    // offering to edit or fork what is no longer current.
    let top = if old {
        let date = updated_at.as_str().get(..10).unwrap_or_default().to_owned();
        view! {
            <p class="notice" role="status" data-testid="old-revision">
                {format!("You are reading revision {revision} (version {version}), saved on {date}. ")}
                <a href=format!("/designs/{id}")>"Read the current version"</a>
            </p>
        }
        .into_any()
    } else {
        view! { <DesignActions id=id.to_string() name=name.clone() authors /> }.into_any()
    };
    let contributors = contributors
        .into_iter()
        .map(|credit| {
            view! {
                <li>
                    <span class="contributor-name">{credit.agent.name}</span>
                    <span class="chip">{credit.role.label()}</span>
                    <span class="muted">
                        {credit.agent.kind.label()}
                        {credit.agent.place.map(|place| format!(" · {}", place.name))}
                    </span>
                </li>
            }
        })
        .collect_view();
    let forks = (!lineage.forks.is_empty()).then(|| {
        view! {
            <section class="design-section" aria-labelledby="forks">
                <h2 id="forks">"Forks"</h2>
                <ul class="link-list">
                    {lineage
                        .forks
                        .into_iter()
                        .map(|fork| {
                            view! {
                                <li>
                                    <a href=format!("/designs/{}", fork.id)>{fork.name}</a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    });

    view! {
        <article class="design">
            <p class="breadcrumb">
                <a href="/">"← All designs"</a>
            </p>
            {top}
            <header class="design-header">
                <h1 data-testid="design-title">{name}</h1>
                <p class="lead">{summary}</p>
                {tags}
            </header>
            <dl class="facts">
                <div>
                    <dt>"Version"</dt>
                    <dd>{version}</dd>
                </div>
                <div class="fact-licence">
                    <dt>"Licence"</dt>
                    <dd>
                        <LicenceBadge licence />
                        " "
                        {licence.name()}
                        <p class="muted">{licence.explanation()}</p>
                        {(!licence.obligations().is_empty()).then(|| {
                            let items: String = licence.obligations().iter().map(|o| format!("<li>{o}</li>")).collect();
                            let html = format!("<summary>What making it obliges you to</summary><ul>{items}</ul>");
                            view! { <details class="obligations" data-testid="obligations" open=true inner_html=html></details> }
                        })}
                    </dd>
                </div>
                {parent}
                {repository}
                <div>
                    <dt>"Demand"</dt>
                    <dd>
                        <a href=format!("/needs?design={id}")>"Open needs for it"</a>
                    </dd>
                </div>
            </dl>
            <section class="design-section description" aria-label="Description">
                {paragraphs}
            </section>
            <section class="design-section" aria-labelledby="bom">
                <h2 id="bom">"Bill of materials"</h2>
                <ul class="chips" aria-label="Processes used">
                    {processes}
                </ul>
                <BillOfMaterialsTable bom=bill_of_materials />
            </section>
            <section class="design-section" aria-labelledby="contributors">
                <h2 id="contributors">"Contributors"</h2>
                <ul class="contributors">{contributors}</ul>
            </section>
            {forks}
            <SupplyChain query=format!("design={id}") />
            <VersionHistory id=id.to_string() current=revision shown=old.then_some(revision) />
        </article>
    }
}

fn not_found() -> impl IntoView {
    view! {
        <section class="not-found">
            <h1>"Design not found"</h1>
            <p>
                "No design in the commons has this address. It may have been renamed, or the link may be mistyped."
            </p>
            <p>
                <a href="/">"Browse the commons"</a>
            </p>
        </section>
    }
}
