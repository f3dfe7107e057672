//! How figures and accounts read on the page. Numbers and money go through
//! the browser's own `Intl.NumberFormat` (English grouping, the coalition's
//! currency), so the module carries no number formatting of its own; dates
//! are the day of the entry's timestamp (`Timestamp::date`).

use std::collections::BTreeMap;

use js_sys::Object;
use stigmergy_core::ledger::{COMMONS_FUND, LedgerAction, TREASURY};
use wasm_bindgen::prelude::*;

use crate::js::object;

#[wasm_bindgen]
extern "C" {
    type NumberFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl)]
    fn new(locale: &str, options: &Object) -> NumberFormat;
    #[wasm_bindgen(method)]
    fn format(this: &NumberFormat, value: f64) -> String;
}

/// An amount of money as people read it: `$1,234.50`.
pub(crate) fn money(amount: f64, currency: &str) -> String {
    NumberFormat::new(
        "en",
        &object(&[("style", "currency".into()), ("currency", currency.into())]),
    )
    .format(amount)
}

/// A number with grouping and at most two decimals: `1,234.5`.
pub(crate) fn number(value: f64) -> String {
    NumberFormat::new("en", &object(&[("maximumFractionDigits", 2.into())])).format(value)
}

/// A fraction as a percentage: `0.125` is `12.5%`.
pub(crate) fn percent(fraction: f64) -> String {
    format!("{}%", number(fraction * 100.0))
}

/// A JSON string literal, for a chart's configuration.
pub(crate) fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// How an amount in kind reads: `h of welding`, `pieces citing …`.
pub(crate) fn unit_of(action: LedgerAction, unit: &str, resource: &str) -> String {
    match action {
        LedgerAction::Cite => format!("pieces citing {resource}"),
        _ => format!("{unit} of {resource}"),
    }
}

/// Names for accounts: agents by name, the coalition's own in words.
pub(crate) struct Names(BTreeMap<String, String>);

impl Names {
    /// From the `(id, name)` pairs an answer of the API carries.
    pub(crate) fn new(pairs: &[(String, String)]) -> Names {
        let mut names = BTreeMap::new();
        for (id, name) in pairs {
            names.insert(id.clone(), name.clone());
        }
        Names(names)
    }

    pub(crate) fn of(&self, account: &str) -> String {
        match account {
            TREASURY => "The treasury".into(),
            COMMONS_FUND => "The commons fund".into(),
            other => self
                .0
                .get(other)
                .cloned()
                .unwrap_or_else(|| other.to_owned()),
        }
    }

    /// The agents named, by id.
    pub(crate) fn agents(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}
