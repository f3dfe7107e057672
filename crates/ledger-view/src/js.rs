//! Plain JavaScript objects for the browser's APIs: options for
//! `Intl.NumberFormat`, a request's headers.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// An object with these properties.
pub(crate) fn object(pairs: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in pairs {
        let _ = Reflect::set(&object, &(*name).into(), value);
    }
    object
}
