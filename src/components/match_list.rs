use leptos::prelude::*;

/// One entry of a [`MatchList`]: what was matched, and why it fits.
#[derive(Debug, Clone)]
pub struct Match {
    /// Who or what fits: a link when `href` is given, else in bold.
    pub title: String,
    pub href: Option<String>,
    /// The facts after the title, starting with " · ".
    pub facts: String,
    /// Why it fits, one reason a line.
    pub reasons: Vec<String>,
}

/// A ranked list of matches between needs and capacity, best first: the
/// needs a maker can fill, or the makers who can fill a need.
#[component]
pub fn MatchList(
    /// The matches, best first.
    matches: Vec<Match>,
    /// How many are listed.
    shown: usize,
    /// The list's `data-testid`, if it has one.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// Each entry's `data-testid`.
    item: &'static str,
) -> impl IntoView {
    view! {
        <ol class="matches" data-testid=testid>
            {matches
                .into_iter()
                .take(shown)
                .map(|m| {
                    let title = match m.href {
                        Some(href) => view! { <a href=href>{m.title}</a> }.into_any(),
                        None => view! { <strong>{m.title}</strong> }.into_any(),
                    };
                    view! {
                        <li data-testid=item>
                            {title}
                            <span class="muted">{m.facts}</span>
                            <ul class="reasons">
                                {m.reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                            </ul>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
