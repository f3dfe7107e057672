use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Function, Promise, Reflect};

use crate::leaflet::load_script;

/// A coalition's open accounts (`/coalitions/:id/accounts`), for anyone:
/// balances, income and spending by month and category, the budget against
/// actuals, each contributor's share under the value equation and why, what
/// is owed and paid, the full ledger (filtered, paged) with its exports, and
/// a Verify button that re-checks the hash chain in the browser.
///
/// The page is its own wasm module (`crates/ledger-view`, built into
/// `dist/ledger/`), loaded with Chart.js only when someone opens it, so the
/// bundle every other page loads does not carry it; this route only mounts
/// it in an element and lets go of it when the reader leaves.
#[component]
pub fn AccountsPage() -> impl IntoView {
    let params = use_params_map();
    let host = NodeRef::<Div>::new();
    let loading = RwSignal::new(true);
    let problem = RwSignal::new(None::<String>);
    let mounted = StoredValue::new_local(None::<JsValue>);
    let unmount = move || {
        if let Some(Some(page)) = mounted.try_update_value(Option::take)
            && let Ok(Some(f)) =
                Reflect::get(&page, &"unmount".into()).map(|f| f.dyn_into::<Function>().ok())
        {
            let _ = f.call0(&page);
        }
    };
    let attempt = RwSignal::new(0u32);
    Effect::new(move || {
        attempt.track();
        let id = params.with(|p| p.get("id").unwrap_or_default());
        let Some(host) = host.get() else { return };
        unmount();
        loading.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = async {
                let unavailable = |_| {
                    "The accounts page could not be loaded; check the connection and try again."
                        .to_owned()
                };
                JsFuture::from(load_script("/ledger/loader.js"))
                    .await
                    .map_err(unavailable)?;
                let pending =
                    Reflect::get(&window(), &"stigmergyLedger".into()).map_err(unavailable)?;
                let module = JsFuture::from(Promise::resolve(&pending))
                    .await
                    .map_err(unavailable)?;
                let mount: Function = Reflect::get(&module, &"mount".into())
                    .map_err(unavailable)?
                    .dyn_into()
                    .map_err(unavailable)?;
                let started = mount
                    .call2(&JsValue::NULL, &host, &JsValue::from_str(&id))
                    .map_err(unavailable)?;
                JsFuture::from(Promise::resolve(&started))
                    .await
                    .map_err(|e| {
                        e.as_string()
                            .unwrap_or_else(|| "The accounts could not be drawn.".into())
                    })
            }
            .await;
            loading.try_set(false);
            match result {
                Ok(page) => {
                    if let Ok(Some(title)) = Reflect::get(&page, &"title".into())
                        .map(|f| f.dyn_into::<Function>().ok())
                        .map(|f| {
                            f.and_then(|f| f.call0(&page).ok())
                                .and_then(|t| t.as_string())
                        })
                    {
                        crate::set_page_title(&format!("{title}: open accounts"));
                    }
                    mounted.set_value(Some(page));
                }
                Err(message) => {
                    problem.try_set(Some(message));
                }
            }
        });
    });
    on_cleanup(unmount);
    view! {
        <p class="loading" hidden=move || !loading.get()>"Loading the accounts…"</p>
        <div class="notice notice-error" role="alert" hidden=move || problem.with(Option::is_none)>
            <p>{move || problem.get()}</p>
            <button type="button" class="button" on:click=move |_| attempt.update(|n| *n += 1)>"Try again"</button>
        </div>
        <div class="accounts" node_ref=host></div>
    }
}
