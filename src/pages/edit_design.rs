use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use stigmergy_core::Design;

use crate::api;
use crate::components::DesignEditor;
use crate::load::{self, Load};
use crate::session::use_session;

/// Revising a design (`/designs/:id/edit`), for its contributors. Others
/// are told why they cannot, and offered a fork on the design's page.
#[component]
pub fn EditDesignPage() -> impl IntoView {
    crate::set_page_title("Edit a design");
    let session = use_session();
    let params = use_params_map();
    let id = move || params.with_untracked(|p| p.get("id").unwrap_or_default());
    let design = Load::<Design>::new();
    let load = move || {
        design.value.set(None);
        design.run(async move { api::get_design(&id()).await });
    };
    load();
    let retry = Callback::new(move |()| load());

    move || {
        let signed_in = session
            .me
            .with(|me| me.as_ref().map(|me| me.handle.clone()));
        match (session.known.get(), signed_in, design.value.get()) {
            (_, _, Some(Err(error))) => load::failed(error, Some(retry)),
            (true, None, _) => {
                let next = format!("/signin?next=/designs/{}/edit", id());
                view! {
                    <section class="form-page">
                        <h1 class="page-title">"Edit a design"</h1>
                        <p>
                            "Sign in to edit the designs you contribute to. "
                            <a href=next>"Sign in"</a>
                        </p>
                    </section>
                }
                .into_any()
            }
            (_, Some(handle), Some(Ok(design))) => {
                if design.contributors.iter().any(|c| c.agent.id == handle) {
                    crate::set_page_title(&format!("Edit {}", design.name));
                    view! { <DesignEditor base=Some(design) /> }.into_any()
                } else {
                    let href = format!("/designs/{}", design.id);
                    view! {
                        <section class="form-page" data-testid="cannot-edit">
                            <h1 class="page-title">"Edit a design"</h1>
                            <p>
                                "Only the contributors of \u{201c}" {design.name}
                                "\u{201d} can edit it. You can fork it and change your copy: "
                                <a href=href>"back to the design"</a>
                            </p>
                        </section>
                    }
                    .into_any()
                }
            }
            _ => load::waiting("Loading the design…"),
        }
    }
}
