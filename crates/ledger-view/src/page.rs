//! What the mounted page keeps between events, and how the code finds and
//! marks its elements.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use web_sys::{Element, HtmlElement};

use crate::draw::chart::Chart;
use crate::ledger::Listing;

/// The page's state, shared by its event handlers.
pub(crate) type Shared = Rc<RefCell<State>>;

pub(crate) struct State {
    /// The element the page is drawn in.
    pub(crate) host: HtmlElement,
    pub(crate) coalition: String,
    /// The ledger as filtered and paged so far.
    pub(crate) ledger: Listing,
    pub(crate) charts: Vec<Chart>,
}

impl State {
    /// The element with this `data-testid`.
    pub(crate) fn find(&self, testid: &str) -> Option<Element> {
        self.host
            .query_selector(&format!("[data-testid={testid}]"))
            .ok()
            .flatten()
    }

    /// Whether there is an element with this id.
    pub(crate) fn has(&self, id: &str) -> bool {
        self.host
            .query_selector(&format!("#{id}"))
            .ok()
            .flatten()
            .is_some()
    }

    /// The value of the form field with this id, trimmed.
    pub(crate) fn value(&self, id: &str) -> String {
        self.host
            .query_selector(&format!("#{id}"))
            .ok()
            .flatten()
            .and_then(|e| Reflect::get(&e, &"value".into()).ok())
            .and_then(|v| v.as_string())
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Shows `message` beside the form field with this id (none clears it).
    pub(crate) fn mark(&self, id: &str, message: Option<&str>) {
        let root = &self.host;
        if let Ok(Some(error)) = root.query_selector(&format!("#{id}-error")) {
            error.set_text_content(message);
        }
        if let Ok(Some(input)) = root.query_selector(&format!("#{id}")) {
            let _ = match message {
                Some(_) => input.set_attribute("aria-invalid", "true"),
                None => input.remove_attribute("aria-invalid"),
            };
        }
    }

    /// Says how a form's submission went in its status line (`data-testid`
    /// `testid`), as good news or bad.
    pub(crate) fn say(&self, testid: &str, ok: bool, message: &str) {
        if let Some(status) = self.find(testid) {
            status.set_text_content(Some(message));
            let class = if ok {
                "notice notice-ok"
            } else {
                "notice notice-error"
            };
            let _ = status.set_attribute("class", class);
        }
    }
}
