//! Every HTTP request the app makes: the commons' JSON API on this origin.
//! Every request goes through [`send`], which adds the CSRF header the
//! server requires of writes that rely on the session cookie, and decodes
//! JSON with the browser's own parser.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use stigmergy_core::account::{PasswordChange, SessionInfo};
use stigmergy_core::needs::MAX_CAPACITY_LIMIT;
use stigmergy_core::query::encode;
use stigmergy_core::submission::Submissions;
use stigmergy_core::{
    ApiError, AskDecision, Capacity, CapacityInput, Chain, Claim, ClaimAction, ClaimInput,
    CoalitionPlan, Design, DesignEdit, DesignSummary, ErrorBody, Facets, FlowMap, ForkInput, Gaps,
    LoginInput, MakerMatch, Me, Need, NeedInput, NeedMatch, NewDesign, NewToken, Organization,
    Page, PendingRequest, RawCapacityQuery, RawDesignQuery, RawNeedQuery, RegisterInput,
    TokenInput, TokenSummary, VersionSummary,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys::{self, JSON};

/// The header the server asks of cookie-authenticated writes: a cross-site
/// form cannot set it, so its presence shows the request came from this app.
const CSRF_HEADER: &str = "x-stigmergy-csrf";

/// Why a request failed: shown by `ErrorNotice`, or beside a form's fields
/// when the server names them.
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
            gloo_net::Error::JsError(error) => ClientError::Network(error.message),
            gloo_net::Error::GlooError(detail) => ClientError::Network(detail),
            // Only gloo's own JSON helpers fail with serde_json's errors, and
            // this app decodes with the browser's parser instead. Not
            // formatting one here keeps serde_json's messages out of the wasm.
            #[allow(unreachable_patterns)]
            _ => ClientError::Decode("an unexpected JSON error".to_owned()),
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

/// Who is signed in: `None` when nobody is (the server's 401).
pub async fn me() -> Result<Option<Me>, ClientError> {
    match get("/api/me").await {
        Ok(me) => Ok(Some(me)),
        Err(ClientError::Api { status: 401, .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Creates an account and signs it in (the server sets the session cookie).
pub async fn register(input: &RegisterInput) -> Result<Me, ClientError> {
    from_value(post("/api/auth/register", to_json(input)?).await?)
}

/// Signs in with a handle or email address and a password.
pub async fn sign_in(input: &LoginInput) -> Result<Me, ClientError> {
    from_value(post("/api/auth/login", to_json(input)?).await?)
}

/// Ends the session on the server.
pub async fn sign_out() -> Result<(), ClientError> {
    send(Request::post("/api/auth/logout"), None).await?;
    Ok(())
}

/// The signed-in person's API tokens, newest first (never their secrets).
pub async fn list_tokens() -> Result<Vec<TokenSummary>, ClientError> {
    get("/api/me/tokens").await
}

/// A new API token, with the only copy of its secret.
pub async fn create_token(input: &TokenInput) -> Result<NewToken, ClientError> {
    #[derive(serde::Deserialize)]
    struct Secret {
        token: String,
    }
    // `NewToken` flattens its summary, and serde's flatten buffers the
    // whole object first: several KiB of wasm. Reading the one object twice
    // (serde skips the fields a type does not name) costs next to nothing.
    let value = post("/api/me/tokens", to_json(input)?).await?;
    let Secret { token } = from_value(value.clone())?;
    Ok(NewToken {
        summary: from_value(value)?,
        token,
    })
}

/// Revokes one of the signed-in person's API tokens.
pub async fn revoke_token(id: &str) -> Result<(), ClientError> {
    let url = format!("/api/me/tokens/{}", encode(id));
    send(Request::delete(&url), None).await?;
    Ok(())
}

/// Changes the signed-in person's password; their other sessions end.
pub async fn change_password(input: &PasswordChange) -> Result<(), ClientError> {
    send(Request::put("/api/me/password"), Some(to_json(input)?)).await?;
    Ok(())
}

/// Where the signed-in person is signed in, newest first.
pub async fn list_sessions() -> Result<Vec<SessionInfo>, ClientError> {
    get("/api/me/sessions").await
}

/// Ends one of the signed-in person's sessions, or with `None` every one
/// but this.
pub async fn end_sessions(id: Option<&str>) -> Result<(), ClientError> {
    let request = match id {
        Some(id) => Request::delete(&format!("/api/me/sessions/{}", encode(id))),
        None => Request::post("/api/me/sessions/end-others"),
    };
    send(request, None).await?;
    Ok(())
}

// Designs: publishing, revising and forking

/// Publishes a new design, crediting the signed-in person as its author.
pub async fn create_design(input: &NewDesign) -> Result<Design, ClientError> {
    from_value(post("/api/designs", to_json(input)?).await?)
}

/// Saves a new revision of a design (its contributors only). A 409 means
/// someone saved another revision since `base_revision`.
pub async fn edit_design(id: &str, edit: &DesignEdit) -> Result<Design, ClientError> {
    let url = format!("/api/designs/{}", encode(id));
    from_value(send(Request::put(&url), Some(to_json(edit)?)).await?)
}

/// Forks a design under a new name, crediting the signed-in person.
pub async fn fork_design(id: &str, input: &ForkInput) -> Result<Design, ClientError> {
    let url = format!("/api/designs/{}/fork", encode(id));
    from_value(post(&url, to_json(input)?).await?)
}

/// Every revision of a design, newest first.
pub async fn design_versions(id: &str) -> Result<Vec<VersionSummary>, ClientError> {
    get(&format!("/api/designs/{}/versions", encode(id))).await
}

/// A design as it was at one revision.
pub async fn design_version(id: &str, revision: u32) -> Result<Design, ClientError> {
    get(&format!("/api/designs/{}/versions/{revision}", encode(id))).await
}

// Needs, claims and capacity

/// One page of needs matching `query`, most urgent first.
pub async fn list_needs(query: &RawNeedQuery) -> Result<Page<Need>, ClientError> {
    get(&format!("/api/needs?{}", query.to_query_string())).await
}

pub async fn need(id: u64) -> Result<Need, ClientError> {
    get(&format!("/api/needs/{id}")).await
}

/// Declares a need.
pub async fn create_need(input: &NeedInput) -> Result<Need, ClientError> {
    from_value(post("/api/needs", to_json(input)?).await?)
}

/// A need's claims, oldest first.
pub async fn need_claims(id: u64) -> Result<Vec<Claim>, ClientError> {
    get(&format!("/api/needs/{id}/claims")).await
}

/// Claims part of a need; a 409 says how much is left.
pub async fn claim_need(id: u64, input: &ClaimInput) -> Result<Claim, ClientError> {
    from_value(post(&format!("/api/needs/{id}/claims"), to_json(input)?).await?)
}

/// One step of a claim's life.
pub async fn act_on_claim(id: u64, action: ClaimAction) -> Result<Claim, ClientError> {
    let url = format!("/api/claims/{id}/{}", action.slug());
    from_value(write(&url, None).await?)
}

/// The gap signal, per design and per region.
pub async fn gaps() -> Result<Gaps, ClientError> {
    get("/api/needs/gaps").await
}

/// Makers whose capacity fits a need, best first.
pub async fn makers_for_need(id: u64) -> Result<Vec<MakerMatch>, ClientError> {
    get(&format!("/api/needs/{id}/makers")).await
}

/// The signed-in person's claims, newest first.
pub async fn my_claims() -> Result<Vec<Claim>, ClientError> {
    get("/api/me/claims").await
}

/// Open needs the signed-in person's capacity fits, best first.
pub async fn my_matches() -> Result<Vec<NeedMatch>, ClientError> {
    get("/api/me/matches").await
}

/// Capacity declared by `provider`: every page of it, in order.
pub async fn capacities_of(provider: &str) -> Result<Vec<Capacity>, ClientError> {
    let mut query = RawCapacityQuery {
        provider: Some(provider.to_owned()),
        limit: Some(MAX_CAPACITY_LIMIT.to_string()),
        ..RawCapacityQuery::default()
    };
    let mut capacities = Vec::new();
    loop {
        let page: Page<Capacity> =
            get(&format!("/api/capacities?{}", query.to_query_string())).await?;
        capacities.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(capacities),
        }
    }
}

/// Every coalition with its licences and members.
pub async fn coalitions() -> Result<Vec<Organization>, ClientError> {
    get("/api/coalitions").await
}

/// An organization (a coalition, say) with its members.
pub async fn organization(id: &str) -> Result<Organization, ClientError> {
    get(&format!("/api/organizations/{}", encode(id))).await
}

/// Asks for the signed-in person to join an organization; 409 when they
/// already asked or belong.
pub async fn ask_to_join(id: &str) -> Result<(), ClientError> {
    let url = format!("/api/organizations/{}/join", encode(id));
    post(&url, JsValue::from_str("{}")).await?;
    Ok(())
}

/// Requests to join waiting for a steward (stewards only).
pub async fn join_requests(id: &str) -> Result<Vec<PendingRequest>, ClientError> {
    get(&format!("/api/organizations/{}/requests", encode(id))).await
}

/// Admits (as a member) or declines a request; the organization as it is now.
pub async fn decide_request(
    id: &str,
    member: &str,
    approve: bool,
) -> Result<Organization, ClientError> {
    let url = format!(
        "/api/organizations/{}/requests/{}",
        encode(id),
        encode(member)
    );
    let body = if approve {
        "{\"approve\": true}"
    } else {
        "{\"approve\": false}"
    };
    from_value(post(&url, JsValue::from_str(body)).await?)
}

/// The coalition's allocation plan (stewards only).
pub async fn coalition_plan(id: &str) -> Result<CoalitionPlan, ClientError> {
    get(&format!("/api/coalitions/{}/plan", encode(id))).await
}

/// The needs asked of a coalition, for its stewards to answer.
pub async fn asks_of(id: &str) -> Result<Page<Need>, ClientError> {
    // Every state: an ask fully claimed meanwhile still waits for an answer.
    get(&format!(
        "/api/needs?asked_of={}&state=all&limit=100",
        encode(id)
    ))
    .await
}

/// A steward's answer to a need asked of the coalition; the need as it is now.
pub async fn decide_ask(id: &str, need: u64, decision: &AskDecision) -> Result<Need, ClientError> {
    let url = format!("/api/coalitions/{}/asks/{need}", encode(id));
    from_value(post(&url, to_json(decision)?).await?)
}

/// Agents and flows for the map.
pub async fn flows(query: &str) -> Result<FlowMap, ClientError> {
    get(&format!("/api/flows?{query}")).await
}

/// The supply chain of a design (`design=…`) or a need (`need=…`).
pub async fn chain(query: &str) -> Result<Chain, ClientError> {
    get(&format!("/api/chains?{query}")).await
}

/// A JSON file of this site as the browser parsed it (the basemap).
pub async fn raw_json(url: &str) -> Result<JsValue, ClientError> {
    send(Request::get(url), None).await
}

/// Declares capacity.
pub async fn create_capacity(input: &CapacityInput) -> Result<Capacity, ClientError> {
    from_value(post("/api/capacities", to_json(input)?).await?)
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ClientError> {
    from_value(send(Request::get(url), None).await?)
}

fn post(url: &str, body: JsValue) -> Reply {
    write(url, Some(body))
}

thread_local! {
    /// This page load's submissions, for their idempotency keys.
    static SUBMISSIONS: std::cell::RefCell<Submissions> = std::cell::RefCell::new(
        Submissions::new((web_sys::js_sys::Math::random() * 1e15) as u64),
    );
}

/// A POST with an `Idempotency-Key` that stays the same until the server
/// answers (see [`Submissions`]), so a double click or a retry after the
/// connection dropped writes once.
fn write(url: &str, body: Option<JsValue>) -> Reply {
    let text = body
        .as_ref()
        .and_then(JsValue::as_string)
        .unwrap_or_default();
    let (print, key) = SUBMISSIONS.with_borrow(|sent| sent.key(url, &text));
    let reply = send(Request::post(url).header("idempotency-key", &key), body);
    Box::pin(async move {
        let result = reply.await;
        if !matches!(result, Err(ClientError::Network(_))) {
            SUBMISSIONS.with_borrow_mut(|sent| sent.answered(print));
        }
        result
    })
}

thread_local! {
    /// The earliest `Live-Position` among the answers read since the live
    /// stream last opened: the data on the page holds every change up to it.
    static READ_AT: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Where a live stream opened now should start so that nothing changed
/// since the page's data was read is missed (see `crate::live`).
pub fn take_read_at() -> Option<u64> {
    READ_AT.take()
}

/// A request on its way: the JSON body of a successful answer (`null` when
/// it has none), else its error.
type Reply = Pin<Box<dyn Future<Output = Result<JsValue, ClientError>>>>;

/// Sends a request, with a JSON `body` when given, and reads the answer.
/// Every request goes through this one boxed future, so its code is in the
/// wasm once rather than inlined into each caller's.
///
/// Every request carries the CSRF header: the server requires it of writes
/// and ignores it on reads.
fn send(request: RequestBuilder, body: Option<JsValue>) -> Reply {
    Box::pin(async move {
        let request = match body {
            Some(body) => request
                .header(CSRF_HEADER, "1")
                .header("content-type", "application/json")
                .body(body)?,
            None => request.header(CSRF_HEADER, "1").build()?,
        };
        let response = request.send().await?;
        if !response.ok() {
            return Err(api_error(response).await);
        }
        if let Some(at) = response
            .headers()
            .get("live-position")
            .and_then(|at| at.parse::<u64>().ok())
        {
            READ_AT.with(|read| read.set(Some(read.get().map_or(at, |old| old.min(at)))));
        }
        // 202 Accepted and 204 No Content come without a body.
        if matches!(response.status(), 202 | 204) {
            return Ok(JsValue::NULL);
        }
        json_value(response).await
    })
}

/// `body` as JSON text, written by the browser's own serialiser (as with
/// [`json_value`], serde_json would cost the wasm budget).
fn to_json(body: &impl Serialize) -> Result<JsValue, ClientError> {
    // JSON-compatible: maps (and `#[serde(flatten)]` structs, which
    // serialise as maps) become plain objects, not ES `Map`s that
    // `JSON.stringify` would write as `{}`.
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| ClientError::Decode(e.to_string()))?;
    JSON::stringify(&value)
        .map(Into::into)
        .map_err(|e| ClientError::Decode(js_message(&e)))
}

/// What a JavaScript error says, in words (not `{:?}`: the release build
/// drops Debug formatting to save wasm).
fn js_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser could not read the answer".to_owned())
}

/// Reads a JSON body with the browser's own parser: serde_json's would add
/// about 40 KiB to the wasm.
async fn json_value(response: Response) -> Result<JsValue, ClientError> {
    let decode = |e: JsValue| ClientError::Decode(js_message(&e));
    let promise = web_sys::Response::from(response).json().map_err(decode)?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(decode)
}

fn from_value<T: DeserializeOwned>(value: JsValue) -> Result<T, ClientError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| ClientError::Decode(e.to_string()))
}

/// The error envelope of a failed response, or a stand-in when the body is
/// not one (a proxy's HTML error page, say).
async fn api_error(response: Response) -> ClientError {
    let status = response.status();
    let status_text = response.status_text();
    let error = match json_value(response).await.and_then(from_value::<ErrorBody>) {
        Ok(body) => body.error,
        Err(_) => ApiError {
            code: format!("http_{status}"),
            message: format!("The server answered {status} {status_text}. Please try again later."),
            fields: Default::default(),
        },
    };
    ClientError::Api { status, error }
}
