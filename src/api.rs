//! Every HTTP request the app makes: the commons' JSON API on this origin.

use std::fmt;

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use stigmergy_core::query::encode;
use stigmergy_core::{ApiError, Design, DesignSummary, ErrorBody, Facets, Page, RawDesignQuery};

/// Why a request failed, in a form `<ErrorBoundary>` can hold and show.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientError {
    /// The server could not be reached, or the connection broke.
    Network(String),
    /// The server answered with an error status and its error envelope.
    Api { status: u16, error: ApiError },
    /// The server answered, but not with what this app expects.
    Decode(String),
}

impl ClientError {
    /// Whether the server said the thing asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Api { status: 404, .. })
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Network(detail) => write!(
                f,
                "Could not reach the Stigmergy server ({detail}). Check your connection and try again."
            ),
            ClientError::Api { error, .. } => f.write_str(&error.message),
            ClientError::Decode(detail) => {
                write!(f, "The server's answer could not be read ({detail}).")
            }
        }
    }
}

impl std::error::Error for ClientError {}

impl From<gloo_net::Error> for ClientError {
    fn from(error: gloo_net::Error) -> Self {
        match error {
            gloo_net::Error::SerdeError(error) => ClientError::Decode(error.to_string()),
            other => ClientError::Network(other.to_string()),
        }
    }
}

/// One page of designs matching `query` (its `cursor` picks the page).
pub async fn list_designs(query: &RawDesignQuery) -> Result<Page<DesignSummary>, ClientError> {
    let query = query.to_query_string();
    if query.is_empty() {
        get("/api/designs").await
    } else {
        get(&format!("/api/designs?{query}")).await
    }
}

/// A whole design; a 404 (see [`ClientError::is_not_found`]) when there is none.
pub async fn get_design(id: &str) -> Result<Design, ClientError> {
    get(&format!("/api/designs/{}", encode(id))).await
}

/// The filter values in use in the commons, with their counts.
pub async fn facets() -> Result<Facets, ClientError> {
    get("/api/facets").await
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ClientError> {
    let response = Request::get(url).send().await?;
    if response.ok() {
        json(response).await
    } else {
        Err(api_error(response).await)
    }
}

/// Decodes a JSON body with the browser's own parser: serde_json's would
/// add about 40 KiB to the wasm.
async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let decode = |e: wasm_bindgen::JsValue| ClientError::Decode(format!("{e:?}"));
    let promise = web_sys::Response::from(response).json().map_err(decode)?;
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(decode)?;
    serde_wasm_bindgen::from_value(value).map_err(|e| ClientError::Decode(e.to_string()))
}

/// The error envelope of a failed response, or a stand-in when the body is
/// not one (a proxy's HTML error page, say).
async fn api_error(response: Response) -> ClientError {
    let status = response.status();
    let status_text = response.status_text();
    let error = match json::<ErrorBody>(response).await {
        Ok(body) => body.error,
        Err(_) => ApiError {
            code: format!("http_{status}"),
            message: format!("The server answered {status} {status_text}. Please try again later."),
            fields: Default::default(),
        },
    };
    ClientError::Api { status, error }
}
