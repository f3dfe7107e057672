//! Live changes from the server's event stream (`/api/events`), through
//! the browser's `EventSource`, which reconnects by itself and sends
//! `Last-Event-ID` so nothing is missed.

use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::js_sys::JSON;
use web_sys::{EventSource, MessageEvent};

/// What the pages use of a live event (`stigmergy_core::LiveEvent`): the
/// need it concerns and what is left of it. Reading only these fields
/// keeps serde's internally tagged enum machinery out of the wasm.
#[derive(Debug, Clone, Deserialize)]
pub struct Seen {
    pub change: SeenChange,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SeenChange {
    /// One of `stigmergy_core::Change::KINDS`.
    pub kind: String,
    pub need: Option<u64>,
    /// What is left of the need after a claim change.
    pub remainder: Option<f64>,
    /// A design's name, for design changes.
    pub name: Option<String>,
}

/// Calls `on_event` with every change the stream sends while the calling
/// component lives (the stream is closed when it goes), and `on_reset`
/// when the server says too much was missed to catch up one by one.
pub fn follow(on_event: impl Fn(SeenChange) + 'static, on_reset: impl Fn() + 'static) {
    let Ok(source) = EventSource::new("/api/events") else {
        return;
    };
    let on_event = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
        let change = message
            .data()
            .as_string()
            .and_then(|text| JSON::parse(&text).ok())
            .and_then(|value| serde_wasm_bindgen::from_value::<Seen>(value).ok());
        if let Some(seen) = change {
            on_event(seen.change);
        }
    });
    for kind in stigmergy_core::Change::KINDS {
        let _ = source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
    }
    let on_reset = Closure::<dyn Fn(MessageEvent)>::new(move |_: MessageEvent| on_reset());
    let _ = source.add_event_listener_with_callback("reset", on_reset.as_ref().unchecked_ref());
    // The closures live as long as the stream; both go with the component.
    let kept = send_wrapper::SendWrapper::new((source, on_event, on_reset));
    on_cleanup(move || kept.0.close());
}
