use leptos::prelude::*;
use stigmergy_core::DesignSummary;

use crate::components::LicenceBadge;

/// A design in a list: its name (a link to its page), summary, licence,
/// version, processes, tags and what it was forked from.
#[component]
pub fn DesignCard(
    /// The design to show.
    design: DesignSummary,
    /// Called with a tag when its button is pressed, to filter by that tag.
    on_tag: Callback<String>,
) -> impl IntoView {
    let DesignSummary {
        id,
        name,
        summary,
        licence,
        version,
        processes,
        tags,
        parent,
        ..
    } = design;
    let processes = (!processes.is_empty()).then(|| {
        view! {
            <ul class="chips" aria-label="Processes">
                {processes
                    .into_iter()
                    .map(|kind| view! { <li class="chip">{kind.label()}</li> })
                    .collect_view()}
            </ul>
        }
    });
    let tags = (!tags.is_empty()).then(|| {
        view! {
            <ul class="tags" aria-label="Tags">
                {tags
                    .into_iter()
                    .map(|tag| {
                        let label = format!("Show designs tagged {tag}");
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="tag"
                                    aria-label=label
                                    on:click=move |_| on_tag.run(tag.clone())
                                >
                                    {tag.clone()}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! {
        <article class="card" data-testid="design-card">
            <h2 class="card-title">
                <a href=format!("/designs/{id}")>{name}</a>
            </h2>
            <p class="card-meta">
                <LicenceBadge licence />
                <span class="version">"v" {version}</span>
            </p>
            {parent
                .map(|parent| {
                    view! {
                        <p class="lineage">
                            "Fork of " <a href=format!("/designs/{}", parent.id)>{parent.name}</a>
                        </p>
                    }
                })}
            <p class="card-summary">{summary}</p>
            {processes}
            {tags}
        </article>
    }
}
