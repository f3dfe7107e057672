use leptos::prelude::*;
use stigmergy_core::VersionSummary;

use crate::api;
use crate::load::Load;

/// A design's revisions, newest first: version, date, what changed and
/// who is credited, each past one linked so it can be read as it was.
#[component]
pub fn VersionHistory(
    /// The design's id.
    id: String,
    /// Its current revision.
    current: u32,
    /// The revision on the page, when it is a past one.
    shown: Option<u32>,
) -> impl IntoView {
    let versions = Load::new();
    let from = id.clone();
    versions.run(async move { api::design_versions(&from).await });
    let row = move |version: VersionSummary| {
        let VersionSummary {
            revision,
            version,
            note,
            credits,
            created_at,
            ..
        } = version;
        let label = format!("Version {version} (revision {revision})");
        let title = if Some(revision) == shown || (shown.is_none() && revision == current) {
            view! { <strong aria-current="page">{label}</strong> }.into_any()
        } else if revision == current {
            view! { <a href=format!("/designs/{id}")>{label}</a> }.into_any()
        } else {
            view! { <a href=format!("/designs/{id}?revision={revision}")>{label}</a> }.into_any()
        };
        let by = credits
            .into_iter()
            .map(|credit| credit.agent.name)
            .collect::<Vec<_>>()
            .join(", ");
        view! {
            <li data-testid="version">
                {title}
                <span class="muted">
                    {format!(" · {} · {by}", created_at.as_str().get(..10).unwrap_or_default())}
                </span>
                {(!note.is_empty()).then(|| view! { <p>{note}</p> })}
            </li>
        }
    };
    view! {
        <section class="design-section" aria-labelledby="history">
            <h2 id="history">"History"</h2>
            {versions.view("Loading the history…", None, move |list: Vec<VersionSummary>| {
                view! { <ol class="link-list versions">{list.into_iter().map(row.clone()).collect_view()}</ol> }
                    .into_any()
            })}
        </section>
    }
}
