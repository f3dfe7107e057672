//! Every request the accounts page makes, typed: what it sends is written
//! from the core's wire types and what it reads is parsed into them, and an
//! error is the API's own envelope (`ErrorBody`) when the server gives one.
//! Reads go out as plain GETs; writes carry the CSRF header the server asks
//! of cookie writes and an idempotency key per submission.

use std::cell::RefCell;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use stigmergy_core::account::CSRF_HEADER;
use stigmergy_core::ledger::{
    AccountsOverview, LedgerEntry, LedgerExport, LedgerInput, LedgerPage, ValueEquation, VoidInput,
};
use stigmergy_core::query::encode;
use stigmergy_core::submission::Submissions;
use stigmergy_core::{ApiError, ErrorBody, FieldErrors, Me, Organization};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::js::object;

/// Why a request failed; `Display` says it in words for the page.
#[derive(Debug)]
pub(crate) enum Error {
    /// Not in a browser window (the page is always in one).
    NoWindow,
    /// The server could not be reached, or the connection broke.
    Offline,
    /// The server refused, with its error envelope.
    Api(ApiError),
    /// The server refused without the envelope (a proxy in the way).
    Status(u16),
    /// The server answered, but not with what the page expects.
    Decode(String),
}

impl Error {
    /// The fields the server named as wrong, if it named any.
    pub(crate) fn fields(&self) -> Option<&FieldErrors> {
        match self {
            Error::Api(error) => Some(&error.fields),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoWindow => f.write_str("There is no window."),
            Error::Offline => {
                f.write_str("The server could not be reached; check the connection and try again.")
            }
            Error::Api(error) => f.write_str(&error.message),
            Error::Status(status) => write!(f, "The server answered {status}."),
            Error::Decode(problem) => write!(f, "The server's answer could not be read: {problem}"),
        }
    }
}

/// `GET /api/coalitions/{id}/accounts`.
pub(crate) async fn accounts(coalition: &str) -> Result<AccountsOverview, Error> {
    get(&coalition_url(coalition, "/accounts")).await
}

/// `GET /api/coalitions/{id}/value-equations`: every version, newest first.
pub(crate) async fn value_equations(coalition: &str) -> Result<Vec<ValueEquation>, Error> {
    get(&coalition_url(coalition, "/value-equations")).await
}

/// `GET /api/coalitions/{id}/ledger`: a page of 50 entries of this kind and
/// category (empty for any), older than `before` when given.
pub(crate) async fn ledger_page(
    coalition: &str,
    kind: &str,
    category: &str,
    before: Option<u64>,
) -> Result<LedgerPage, Error> {
    let mut url = coalition_url(
        coalition,
        &format!(
            "/ledger?limit=50&kind={}&category={}",
            encode(kind),
            encode(category)
        ),
    );
    if let Some(before) = before {
        url.push_str(&format!("&before={before}"));
    }
    get(&url).await
}

/// `GET /api/coalitions/{id}/ledger/export`: the raw ledger, to verify.
pub(crate) async fn ledger_export(coalition: &str) -> Result<LedgerExport, Error> {
    get(&coalition_url(coalition, "/ledger/export")).await
}

/// `GET /api/me`: the signed-in person (an error when nobody is).
pub(crate) async fn me() -> Result<Me, Error> {
    get("/api/me").await
}

/// `GET /api/organizations/{id}`, members included.
pub(crate) async fn organization(id: &str) -> Result<Organization, Error> {
    get(&format!("/api/organizations/{}", encode(id))).await
}

/// `POST /api/coalitions/{id}/ledger`: a steward records an entry.
pub(crate) async fn record_entry(
    coalition: &str,
    input: &LedgerInput,
) -> Result<LedgerEntry, Error> {
    post(&coalition_url(coalition, "/ledger"), input).await
}

/// `POST /api/coalitions/{id}/value-equations`: a steward sets the next
/// version; the answer is the version saved.
pub(crate) async fn set_value_equation(
    coalition: &str,
    equation: &ValueEquation,
) -> Result<ValueEquation, Error> {
    post(&coalition_url(coalition, "/value-equations"), equation).await
}

/// `POST /api/coalitions/{id}/ledger/{seq}/void`: a steward voids a
/// contribution; the answer is the correction recorded.
pub(crate) async fn void_entry(
    coalition: &str,
    seq: u64,
    input: &VoidInput,
) -> Result<LedgerEntry, Error> {
    post(
        &coalition_url(coalition, &format!("/ledger/{seq}/void")),
        input,
    )
    .await
}

fn coalition_url(coalition: &str, rest: &str) -> String {
    format!("/api/coalitions/{}{rest}", encode(coalition))
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, Error> {
    read(&send(url, None).await?)
}

async fn post<T: DeserializeOwned>(url: &str, body: &impl Serialize) -> Result<T, Error> {
    let body = serde_json::to_string(body).map_err(|e| Error::Decode(e.to_string()))?;
    read(&send(url, Some(body)).await?)
}

fn read<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::Decode(e.to_string()))
}

thread_local! {
    /// This page load's submissions, for their idempotency keys.
    static SUBMISSIONS: RefCell<Submissions> =
        RefCell::new(Submissions::new((js_sys::Math::random() * 1e15) as u64));
}

/// Sends a GET, or with a JSON `body` a POST as the signed-in person (the
/// session cookie, and the CSRF header the server asks of cookie writes);
/// the text of a successful answer. Not generic, so that its code is in the
/// wasm once.
async fn send(url: &str, body: Option<String>) -> Result<String, Error> {
    let window = web_sys::window().ok_or(Error::NoWindow)?;
    let (request, print) = match &body {
        None => (window.fetch_with_str(url), None),
        Some(sent) => {
            let init = RequestInit::new();
            init.set_method("POST");
            init.set_body(&JsValue::from_str(sent));
            // One key per submission (see `Submissions`): a double click or
            // a retry after a dropped connection writes once.
            let (print, key) = SUBMISSIONS.with_borrow(|submissions| submissions.key(url, sent));
            init.set_headers(&object(&[
                ("content-type", "application/json".into()),
                (CSRF_HEADER, "1".into()),
                ("idempotency-key", key.into()),
            ]));
            (window.fetch_with_str_and_init(url, &init), Some(print))
        }
    };
    let offline = |_| Error::Offline;
    let response: Response = JsFuture::from(request)
        .await
        .map_err(offline)?
        .unchecked_into();
    if let Some(print) = print {
        SUBMISSIONS.with_borrow_mut(|submissions| submissions.answered(print));
    }
    let text = JsFuture::from(response.text().map_err(offline)?)
        .await
        .map_err(offline)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        return Ok(text);
    }
    Err(match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => Error::Api(body.error),
        Err(_) => Error::Status(response.status()),
    })
}
