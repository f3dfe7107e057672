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

type Listener = Closure<dyn Fn(MessageEvent)>;

/// A page's live stream, opened once its data is in (see [`Live::start`]).
#[derive(Clone, Copy)]
pub struct Live(StoredValue<(Listener, Listener, Option<EventSource>), LocalStorage>);

/// Calls `on_event` with every change the stream sends while the calling
/// component lives (the stream is closed when it goes), and `on_reset`
/// when the server says too much was missed to catch up one by one. The
/// stream opens with [`Live::start`], once the page has read its data.
pub fn follow(on_event: impl Fn(SeenChange) + 'static, on_reset: impl Fn() + 'static) -> Live {
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
    let on_reset = Closure::<dyn Fn(MessageEvent)>::new(move |_: MessageEvent| on_reset());
    let parts = StoredValue::new_local((on_event, on_reset, None));
    on_cleanup(move || {
        parts.try_update_value(
            |(_, _, source): &mut (Listener, Listener, Option<EventSource>)| {
                if let Some(source) = source.take() {
                    source.close();
                }
            },
        );
    });
    Live(parts)
}

impl Live {
    /// Opens the stream (once) from where the page's data was read, so a
    /// change made between that read and now still arrives.
    pub fn start(self) {
        self.0.try_update_value(|(on_event, on_reset, source)| {
            if source.is_some() {
                return;
            }
            let url = match crate::api::take_read_at() {
                Some(at) => format!("/api/events?last_event_id={at}"),
                None => "/api/events".to_owned(),
            };
            let Ok(opened) = EventSource::new(&url) else {
                return;
            };
            for kind in stigmergy_core::Change::KINDS {
                let _ = opened
                    .add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
            }
            let _ =
                opened.add_event_listener_with_callback("reset", on_reset.as_ref().unchecked_ref());
            *source = Some(opened);
        });
    }
}
