//! The page's entry: [`mount`] draws it in the element the main app gives
//! and wires its events; [`Page::unmount`] lets go of them. [`refresh`]
//! redraws it all after a steward's change.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use stigmergy_core::MembershipRole;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, HtmlCanvasElement, HtmlElement};

use crate::draw::{self, chart::Chart};
use crate::page::{Shared, State};
use crate::{forms, http, ledger, verify};

/// A DOM event listener the page keeps until it is unmounted.
type Listener = Closure<dyn FnMut(Event)>;

/// The accounts page mounted in an element; [`Page::unmount`] lets go of its
/// listeners and charts.
#[wasm_bindgen]
pub struct Page {
    state: Shared,
    listeners: Vec<(&'static str, Listener)>,
}

#[wasm_bindgen]
impl Page {
    /// The page's title, for the document.
    pub fn title(&self) -> String {
        self.state
            .borrow()
            .host
            .get_attribute("data-title")
            .unwrap_or_default()
    }

    pub fn unmount(self) {
        let state = self.state.borrow();
        for (event, listener) in &self.listeners {
            let _ = state
                .host
                .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        for chart in &state.charts {
            chart.destroy();
        }
    }
}

/// Whether the signed-in person (if any) is a steward of `coalition`.
async fn is_steward(coalition: &str) -> bool {
    let Ok(me) = http::me().await else {
        return false;
    };
    let Ok(organization) = http::organization(coalition).await else {
        return false;
    };
    organization
        .members
        .iter()
        .any(|m| m.agent.id == me.handle && m.role == MembershipRole::Steward)
}

/// (Re)draws the whole page from a fresh overview, then its ledger; the
/// error, in words, when the overview cannot be fetched.
pub(crate) async fn refresh(state: Shared) -> Result<(), String> {
    let coalition = state.borrow().coalition.clone();
    let overview = http::accounts(&coalition)
        .await
        .map_err(|e| e.to_string())?;
    let steward = is_steward(&coalition).await;
    let versions = http::value_equations(&coalition).await.unwrap_or_default();
    let drawn = draw::accounts(&overview, &versions, steward);
    {
        let mut s = state.borrow_mut();
        for chart in s.charts.drain(..) {
            chart.destroy();
        }
        s.host.set_inner_html(&drawn.html);
        let _ = s.host.set_attribute("data-title", &drawn.title);
        for (testid, config) in drawn.charts.iter().filter(|(_, c)| !c.is_empty()) {
            let canvas = s
                .find(testid)
                .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok());
            let config = js_sys::JSON::parse(config).unwrap_or(JsValue::NULL);
            if let Some(chart) = canvas.and_then(|c| Chart::new(&c, &config).ok()) {
                s.charts.push(chart);
            }
        }
        s.ledger.kind.clear();
        s.ledger.category.clear();
    }
    ledger::load(state, false).await;
    Ok(())
}

/// Draws coalition `coalition`'s accounts in `host` and follows the
/// reader's clicks and filters; the error, in words, when they cannot be
/// fetched.
#[wasm_bindgen]
pub async fn mount(host: HtmlElement, coalition: String) -> Result<Page, String> {
    let state = Rc::new(RefCell::new(State {
        host: host.clone(),
        coalition,
        ledger: ledger::Listing::default(),
        charts: Vec::new(),
    }));
    refresh(state.clone()).await?;

    let on_click = {
        let state = state.clone();
        Listener::new(move |event: Event| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            match target.get_attribute("data-testid").as_deref() {
                Some("verify") => spawn_local(verify::run(state.clone())),
                Some("more-entries") => spawn_local(ledger::load(state.clone(), true)),
                _ => {}
            }
        })
    };
    let on_change = {
        let state = state.clone();
        Listener::new(move |event: Event| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let value = Reflect::get(&target, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            {
                let mut s = state.borrow_mut();
                match target.id().as_str() {
                    "ledger-kind" => s.ledger.kind = value,
                    "ledger-category" => s.ledger.category = value,
                    _ => return,
                }
            }
            spawn_local(ledger::load(state.clone(), false));
        })
    };
    let on_submit = {
        let state = state.clone();
        Listener::new(move |event: Event| {
            event.prevent_default();
            let form = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|f| f.get_attribute("data-testid"));
            match form.as_deref() {
                Some("record-form") => spawn_local(forms::record::send(state.clone())),
                Some("equation-form") => spawn_local(forms::equation::send(state.clone())),
                Some("void-form") => spawn_local(forms::void::send(state.clone())),
                _ => {}
            }
        })
    };
    let listeners = vec![
        ("click", on_click),
        ("change", on_change),
        ("submit", on_submit),
    ];
    for (event, listener) in &listeners {
        let _ = host.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    Ok(Page { state, listeners })
}
