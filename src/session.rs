//! Who is signed in, shared by the whole app through a context.

use leptos::prelude::*;
use leptos::task::spawn_local;
use stigmergy_core::Me;

use crate::api;

/// The signed-in person, as far as the app knows. Provided at the root by
/// [`provide_session`]; read it with [`use_session`].
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The signed-in person; `None` when signed out or not yet known.
    pub me: RwSignal<Option<Me>>,
    /// Whether the server has said who is signed in, so pages do not show
    /// "signed out" while the first `GET /api/me` is on its way.
    pub known: RwSignal<bool>,
}

impl Session {
    /// Records the person who just signed up or in.
    pub fn signed_in(self, me: Me) {
        self.me.try_set(Some(me));
        self.known.try_set(true);
    }
}

/// Provides the session and asks the server who is signed in.
pub fn provide_session() -> Session {
    let session = Session {
        me: RwSignal::new(None),
        known: RwSignal::new(false),
    };
    provide_context(session);
    spawn_local(async move {
        // A failed check leaves the person signed out: every page still
        // works, and signing in asks the server again.
        if let Ok(Some(me)) = api::me().await {
            session.me.try_set(Some(me));
        }
        session.known.try_set(true);
    });
    session
}

/// The session provided at the root.
pub fn use_session() -> Session {
    expect_context()
}

/// Where to go after signing in: `next` when it is a path on this site,
/// else the commons. `//host` and `/\host` would leave the site.
pub fn return_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") =>
        {
            path
        }
        _ => "/",
    }
}

/// Fills a form's place fields with the signed-in person's own place once
/// it is known, unless the person has typed one already.
pub fn prefill_place(name: RwSignal<String>, lat: RwSignal<String>, lon: RwSignal<String>) {
    let session = use_session();
    Effect::new(move || {
        if let Some(place) = session
            .me
            .with(|me| me.as_ref().and_then(|me| me.place.clone()))
            && name.with_untracked(String::is_empty)
        {
            name.set(place.name);
            lat.set(place.lat.to_string());
            lon.set(place.lon.to_string());
        }
    });
}
