//! The activity feed: live changes, newest first, as sentences.

use leptos::prelude::*;

use crate::live::SeenChange;

/// How many changes the feed keeps.
const KEPT: usize = 12;

/// A change as the feed says it.
fn line(change: &SeenChange) -> String {
    match change.kind.as_str() {
        "need_declared" => format!(
            "A need was declared (need {}).",
            change.need.unwrap_or_default()
        ),
        "claim_made" => format!(
            "A claim was made on need {}; {} left.",
            change.need.unwrap_or_default(),
            change.remainder.unwrap_or_default()
        ),
        "claim_changed" => format!(
            "A claim on need {} moved on; {} left.",
            change.need.unwrap_or_default(),
            change.remainder.unwrap_or_default()
        ),
        "design_published" => format!(
            "\u{201c}{}\u{201d} joined the commons.",
            change.name.clone().unwrap_or_default()
        ),
        "design_revised" => format!(
            "\u{201c}{}\u{201d} was revised.",
            change.name.clone().unwrap_or_default()
        ),
        _ => "Capacity was declared.".to_owned(),
    }
}

/// Puts `change` at the top of the feed, dropping the oldest beyond
/// [`KEPT`].
pub(super) fn record(feed: RwSignal<Vec<String>>, change: &SeenChange) {
    let line = line(change);
    feed.update(|feed| {
        feed.insert(0, line);
        feed.truncate(KEPT);
    });
}

/// The feed's section beside the map: the changes seen, newest first,
/// announced politely as they come.
pub(super) fn activity_feed(lines: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <section aria-labelledby="feed-title">
            <h2 id="feed-title">"Activity"</h2>
            <ul class="feed" data-testid="feed" aria-live="polite">
                {move || {
                    let lines = lines.get();
                    if lines.is_empty() {
                        view! { <li class="muted">"Changes appear here as they happen."</li> }.into_any()
                    } else {
                        lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view().into_any()
                    }
                }}
            </ul>
        </section>
    }
}
