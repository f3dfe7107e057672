//! Open accounting over HTTP: every coalition's accounts, its ledger (paged,
//! filtered, exported as CSV, JSON and ValueFlows JSON-LD), the server's own
//! check of the hash chain, contributors' shares under the value equation,
//! and what is owed. Anyone reads; stewards record entries, set the value
//! equation and the budget.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, SubsecRound, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use stigmergy_core::ledger::{
    self, AccountsOverview, Balance, LedgerAction, LedgerEntry, LedgerExport, LedgerInput,
    LedgerPage, Owed, OwedTotal, ValueEquation, Verification, VoidInput, is_own,
};
use stigmergy_core::{AgentId, Bounds, ErrorBody, FieldErrors, Milli};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path, Query, filled};
use crate::organizations::require_steward;
use crate::store::{BudgetLine, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts))
        .routes(routes!(open_ledger))
        .routes(routes!(list_entries, record_entry))
        .routes(routes!(void_entry))
        .routes(routes!(verify))
        .routes(routes!(export))
        .routes(routes!(list_equations, set_equation))
        .routes(routes!(list_owed))
        .routes(routes!(set_budget))
}

fn coalition_id(id: &str) -> AppResult<AgentId> {
    AgentId::parse(id)
        .map_err(|_| AppError::NotFound(format!("There is no coalition \u{201c}{id}\u{201d}.")))
}

/// The coalition's ledger currency; a clear 404 when it keeps no accounts.
async fn currency_of(state: &AppState, id: &AgentId) -> AppResult<String> {
    state.store.ledger_currency(id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound(format!(
            "\u{201c}{id}\u{201d} is not a coalition that keeps open accounts."
        )),
        other => other.into(),
    })
}

/// Display names for the agent accounts among `accounts`.
async fn names_of(
    state: &AppState,
    accounts: impl IntoIterator<Item = String>,
) -> AppResult<Vec<(String, String)>> {
    let wanted: BTreeSet<String> = accounts.into_iter().filter(|a| !is_own(a)).collect();
    Ok(state
        .store
        .agent_names(&wanted.into_iter().collect::<Vec<_>>())
        .await?)
}

/// A coalition's accounts: balances, income and spending by month and
/// category, the budget against actuals, the value equation in force, each
/// contributor's share and why, and what is owed and paid.
#[utoipa::path(get, path = "/api/coalitions/{id}/accounts", tag = "accounts",
    params(("id" = String, Path, description = "The coalition")),
    responses(
        (status = 200, description = "The accounts", body = AccountsOverview),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
async fn accounts(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<AccountsOverview>> {
    let id = coalition_id(&id)?;
    let currency = currency_of(&state, &id).await?;
    let entries = state.store.ledger_entries(&id).await?;
    let equation = state.store.value_equations(&id).await?.into_iter().next();
    let owed = state.store.owed(&id).await?;
    let budget = state.store.budget(&id).await?;

    let mut balances: Vec<Balance> = ledger::balances(&entries)
        .into_iter()
        .map(|(account, milli)| Balance {
            account,
            amount: stigmergy_core::need::from_milli(milli),
        })
        .collect();
    balances.sort_by(|a, b| {
        is_own(&b.account)
            .cmp(&is_own(&a.account))
            .then(b.amount.total_cmp(&a.amount))
            .then(a.account.cmp(&b.account))
    });
    let flows = ledger::flows(&entries);
    let budget = ledger::budget_actuals(
        &flows,
        &budget
            .into_iter()
            .map(|b| (b.year, b.direction, b.category, b.amount))
            .collect::<Vec<_>>(),
    );
    let shares = equation
        .as_ref()
        .map(|e| ledger::shares(&entries, e))
        .unwrap_or_default();
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for o in owed.iter().filter(|o| !o.void) {
        let t = totals.entry(o.creditor.clone()).or_default();
        t.0 = t.0.saturating_add(stigmergy_core::need::to_milli(o.amount));
        t.1 =
            t.1.saturating_add(stigmergy_core::need::to_milli(o.settled));
    }
    let owed: Vec<OwedTotal> = totals
        .into_iter()
        .map(|(creditor, (owed, settled))| OwedTotal {
            creditor,
            owed: stigmergy_core::need::from_milli(owed),
            settled: stigmergy_core::need::from_milli(settled),
        })
        .collect();
    let names = names_of(
        &state,
        balances
            .iter()
            .map(|b| b.account.clone())
            .chain(shares.iter().map(|s| s.contributor.clone()))
            .chain(owed.iter().map(|o| o.creditor.clone()))
            .chain(std::iter::once(id.as_str().to_owned())),
    )
    .await?;
    Ok(Json(AccountsOverview {
        coalition: id,
        currency,
        entries: entries.len() as u64,
        head: entries
            .last()
            .map_or(ledger::GENESIS.to_owned(), |e| e.hash.clone()),
        balances,
        flows,
        budget,
        equation,
        shares,
        owed,
        names,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct OpenInput {
    /// ISO 4217, such as EUR.
    currency: String,
}

/// Opens the coalition's ledger in a currency (stewards only); the
/// deliveries recorded so far are carried into it. It is opened once: of
/// two concurrent opens one gets 204, the other 409.
#[utoipa::path(post, path = "/api/coalitions/{id}/ledger/open", tag = "accounts",
    params(("id" = String, Path, description = "The coalition")),
    request_body = OpenInput,
    responses(
        (status = 204, description = "The ledger is open"),
        (status = 400, description = "The currency is invalid", body = ErrorBody),
        (status = 403, description = "Not a steward", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 404, description = "No such coalition", body = ErrorBody),
        (status = 409, description = "Already open", body = ErrorBody),
    ))]
async fn open_ledger(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(input): Json<OpenInput>,
) -> AppResult<StatusCode> {
    let id = coalition_id(&id)?;
    require_steward(&state, &id, &auth.handle, "open its accounts").await?;
    state
        .store
        .open_ledger(&id, input.currency.trim(), Utc::now().trunc_subsecs(3))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EntryQuery {
    /// `transfer`, `produce`, `work`, `use` or `cite`.
    action: Option<String>,
    /// Only entries of this category.
    category: Option<String>,
    /// Only entries from or to this account (an agent, `@treasury`,
    /// `@commons-fund`).
    account: Option<String>,
    /// `money` or `in_kind`.
    kind: Option<String>,
    /// Entries before this number (the previous page's `next`).
    before: Option<u64>,
    /// At most this many, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// The ledger, newest first, filtered and paged.
#[utoipa::path(get, path = "/api/coalitions/{id}/ledger", tag = "accounts",
    params(("id" = String, Path, description = "The coalition"), EntryQuery),
    responses(
        (status = 200, description = "A page of entries", body = LedgerPage),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
async fn list_entries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<EntryQuery>,
) -> AppResult<Json<LedgerPage>> {
    let id = coalition_id(&id)?;
    let action = filled(&query.action)
        .map(|a| {
            LedgerAction::parse(&a).ok_or_else(|| {
                AppError::field(
                    "action",
                    "The action is transfer, produce, work, use or cite.",
                )
            })
        })
        .transpose()?;
    let money = match filled(&query.kind).as_deref() {
        None => None,
        Some("money") => Some(true),
        Some("in_kind") => Some(false),
        Some(_) => return Err(AppError::field("kind", "The kind is money or in_kind.")),
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::field("limit", "The limit is from 1 to 500."));
    }
    let category = filled(&query.category);
    let account = filled(&query.account);
    let currency = currency_of(&state, &id).await?;
    let entries = state.store.ledger_entries(&id).await?;
    let matching: Vec<&LedgerEntry> = entries
        .iter()
        .rev()
        .filter(|e| action.is_none_or(|a| e.action == a))
        .filter(|e| money.is_none_or(|m| e.is_money() == m))
        .filter(|e| category.as_ref().is_none_or(|c| &e.category == c))
        .filter(|e| {
            account
                .as_ref()
                .is_none_or(|a| &e.provider == a || &e.receiver == a)
        })
        .collect();
    let total = matching.len() as u64;
    let items: Vec<LedgerEntry> = matching
        .into_iter()
        .filter(|e| query.before.is_none_or(|b| e.seq < b))
        .take(limit as usize + 1)
        .cloned()
        .collect();
    let (items, next) = if items.len() > limit as usize {
        let page = items[..limit as usize].to_vec();
        let next = page.last().map(|e| e.seq);
        (page, next)
    } else {
        (items, None)
    };
    let names = names_of(
        &state,
        items.iter().flat_map(|e| {
            [e.provider.clone(), e.receiver.clone()]
                .into_iter()
                .chain(e.recorded_by.clone())
        }),
    )
    .await?;
    let shown: BTreeSet<u64> = items.iter().map(|e| e.seq).collect();
    let corrected_by = entries
        .iter()
        .filter_map(|e| e.corrects.map(|old| (old, e.seq)))
        .filter(|(old, _)| shown.contains(old))
        .collect();
    Ok(Json(LedgerPage {
        items,
        total,
        next,
        currency,
        corrected_by,
        names,
    }))
}

/// Records an entry (stewards only): money in or out, or a contribution in
/// kind; a correction names the entry it replaces. A sale into the treasury
/// makes the contributors' and the commons fund's shares owed.
#[utoipa::path(post, path = "/api/coalitions/{id}/ledger", tag = "accounts",
    params(("id" = String, Path, description = "The coalition")),
    request_body = LedgerInput,
    responses(
        (status = 201, description = "The entry, numbered and hashed", body = LedgerEntry),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Not a steward", body = ErrorBody),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
async fn record_entry(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(input): Json<LedgerInput>,
) -> AppResult<(StatusCode, Json<LedgerEntry>)> {
    let id = coalition_id(&id)?;
    let currency = currency_of(&state, &id).await?;
    require_steward(&state, &id, &auth.handle, "record entries in its accounts").await?;
    input.validate(&currency).map_err(AppError::invalid)?;
    let entry = state
        .store
        .record_entry(&id, input, Some(&auth.handle), Utc::now().trunc_subsecs(3))
        .await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// Voids a contribution that should not count (stewards only): a delivery
/// carried in from a claim, work, machine use, a citation or material given
/// in kind. Recorded as a correction of the entry to zero, with the reason
/// as its note and the steward as who recorded it (never an UPDATE); its
/// points vanish from the shares. Money is corrected with a new entry
/// (`POST …/ledger` with `corrects`) instead.
#[utoipa::path(post, path = "/api/coalitions/{id}/ledger/{seq}/void", tag = "accounts",
    params(
        ("id" = String, Path, description = "The coalition"),
        ("seq" = u64, Path, description = "The entry's number"),
    ),
    request_body = VoidInput,
    responses(
        (status = 201, description = "The correction that voids it", body = LedgerEntry),
        (status = 400, description = "No reason, a money entry, or an entry corrected already", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Not a steward", body = ErrorBody),
        (status = 404, description = "No such coalition or entry, or it keeps no accounts", body = ErrorBody),
    ))]
async fn void_entry(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, seq)): Path<(String, u64)>,
    Json(input): Json<VoidInput>,
) -> AppResult<(StatusCode, Json<LedgerEntry>)> {
    let id = coalition_id(&id)?;
    currency_of(&state, &id).await?;
    require_steward(
        &state,
        &id,
        &auth.handle,
        "void contributions in its accounts",
    )
    .await?;
    input.validate().map_err(AppError::invalid)?;
    let entries = state.store.ledger_entries(&id).await?;
    let entry = entries
        .iter()
        .find(|e| e.seq == seq)
        .ok_or_else(|| AppError::NotFound(format!("There is no entry {seq} in this ledger.")))?;
    if entry.is_money() {
        return Err(AppError::field(
            "seq",
            "This entry moves money: correct it with a new entry that names it instead.",
        ));
    }
    if entry.quantity == 0.0 {
        return Err(AppError::field(
            "seq",
            "This entry counts for nothing already.",
        ));
    }
    let correction = state
        .store
        .record_entry(
            &id,
            input.correction_of(entry),
            Some(&auth.handle),
            Utc::now().trunc_subsecs(3),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(correction)))
}

/// Re-checks the whole hash chain on the server: the numbering, each link
/// and each entry's hash; names the first entry that fails.
#[utoipa::path(get, path = "/api/coalitions/{id}/ledger/verify", tag = "accounts",
    params(("id" = String, Path, description = "The coalition")),
    responses(
        (status = 200, description = "The outcome", body = Verification),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
async fn verify(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Verification>> {
    let id = coalition_id(&id)?;
    currency_of(&state, &id).await?;
    let entries = state.store.ledger_entries(&id).await?;
    Ok(Json(ledger::verify(&entries)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (the default, with every hash), `csv` or `jsonld`
    /// (ValueFlows 1.0 economic events).
    format: Option<String>,
}

/// The whole ledger for download.
#[utoipa::path(get, path = "/api/coalitions/{id}/ledger/export", tag = "accounts",
    params(("id" = String, Path, description = "The coalition"), ExportQuery),
    responses(
        (status = 200, description = "The ledger", body = LedgerExport),
        (status = 400, description = "Unknown format", body = ErrorBody),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> AppResult<Response> {
    let id = coalition_id(&id)?;
    let format = query.format.unwrap_or_else(|| "json".into());
    if !["json", "csv", "jsonld"].contains(&format.as_str()) {
        return Err(AppError::field(
            "format",
            "The format is json, csv or jsonld.",
        ));
    }
    let currency = currency_of(&state, &id).await?;
    let entries = state.store.ledger_entries(&id).await?;
    let file = |ext: &str| format!("attachment; filename=\"{id}-ledger.{ext}\"");
    Ok(match format.as_str() {
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, file("csv")),
            ],
            to_csv(&entries),
        )
            .into_response(),
        "jsonld" => {
            let names: BTreeMap<String, String> = names_of(
                &state,
                entries
                    .iter()
                    .flat_map(|e| [e.provider.clone(), e.receiver.clone()]),
            )
            .await?
            .into_iter()
            .collect();
            (
                [
                    (header::CONTENT_TYPE, "application/ld+json".to_owned()),
                    (header::CONTENT_DISPOSITION, file("jsonld")),
                ],
                axum::Json(to_json_ld(&id, &entries, &names)),
            )
                .into_response()
        }
        _ => (
            [(header::CONTENT_DISPOSITION, file("json"))],
            axum::Json(LedgerExport {
                coalition: id,
                currency,
                entries,
            }),
        )
            .into_response(),
    })
}

/// The columns of the CSV export, in order.
pub const CSV_COLUMNS: [&str; 16] = [
    "seq",
    "at",
    "action",
    "provider",
    "receiver",
    "resource",
    "quantity",
    "unit",
    "category",
    "note",
    "corrects",
    "claim",
    "settles",
    "event",
    "prev_hash",
    "hash",
];

/// One CSV cell. A cell a spreadsheet would read as a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return; OWASP's CSV
/// injection) gets a leading `'`, so `@treasury` reads `'@treasury`; then
/// RFC 4180: a field with commas, quotes or line breaks in quotes, quotes
/// doubled.
fn csv_field(out: &mut String, text: &str) {
    let neutral = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&neutral.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&neutral);
    }
}

/// RFC 4180 with formula-like cells neutralised (see [`csv_field`]); lines
/// end in CRLF.
fn to_csv(entries: &[LedgerEntry]) -> String {
    let optional = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for e in entries {
        let values = [
            e.seq.to_string(),
            e.at.to_string(),
            e.action.as_str().to_owned(),
            e.provider.clone(),
            e.receiver.clone(),
            e.resource.clone(),
            e.quantity.to_string(),
            e.unit.clone(),
            e.category.clone(),
            e.note.clone(),
            optional(e.corrects),
            optional(e.claim),
            optional(e.settles),
            optional(e.event),
            e.prev_hash.clone(),
            e.hash.clone(),
        ];
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, value);
        }
        out.push_str("\r\n");
    }
    out
}

/// The ledger as ValueFlows 1.0 economic events in JSON-LD: money and
/// goods as `resourceQuantity`, work, use and citations as
/// `effortQuantity`; corrections as `corrects`, deliveries `fulfills` the
/// claim (a VF Commitment).
fn to_json_ld(
    coalition: &AgentId,
    entries: &[LedgerEntry],
    names: &BTreeMap<String, String>,
) -> Value {
    let base = format!("/api/coalitions/{coalition}/ledger");
    let agent = |account: &str| {
        let (id, name) = match account {
            ledger::TREASURY => (
                format!("/api/agents/{coalition}#treasury"),
                format!("{coalition} treasury"),
            ),
            ledger::COMMONS_FUND => (
                format!("/api/agents/{coalition}#commons-fund"),
                format!("{coalition} commons fund"),
            ),
            other => (
                format!("/api/agents/{other}"),
                names
                    .get(other)
                    .cloned()
                    .unwrap_or_else(|| other.to_owned()),
            ),
        };
        json!({ "@id": id, "name": name })
    };
    let graph: Vec<Value> = entries
        .iter()
        .map(|e| {
            let measure = json!({
                "hasNumericalValue": e.quantity,
                "hasUnit": { "label": e.unit, "symbol": e.unit },
            });
            let mut event = json!({
                "@id": format!("{base}#{}", e.seq),
                "@type": "EconomicEvent",
                "action": e.action.as_str(),
                "provider": agent(&e.provider),
                "receiver": agent(&e.receiver),
                "resourceConformsTo": { "name": e.resource },
                "hasPointInTime": e.at.as_str(),
                "note": e.note,
            });
            let quantity = match e.action {
                LedgerAction::Work | LedgerAction::Use | LedgerAction::Cite => "effortQuantity",
                LedgerAction::Transfer | LedgerAction::Produce => "resourceQuantity",
            };
            event[quantity] = measure;
            if let Some(old) = e.corrects {
                event["corrects"] = json!({ "@id": format!("{base}#{old}") });
            }
            if let Some(claim) = e.claim {
                event["fulfills"] = json!({ "@id": format!("/api/claims/{claim}") });
            }
            event
        })
        .collect();
    json!({
        "@context": {
            "@vocab": "https://w3id.org/valueflows/ont/vf#",
            "vf": "https://w3id.org/valueflows/ont/vf#",
            "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
            "name": "http://xmlns.com/foaf/0.1/name",
            "hasNumericalValue": "om2:hasNumericalValue",
            "hasUnit": "om2:hasUnit",
            "label": "http://www.w3.org/2000/01/rdf-schema#label",
            "symbol": "om2:symbol",
            "note": "vf:note",
        },
        "@graph": graph,
    })
}

/// Every version of the value equation, newest first: public.
#[utoipa::path(get, path = "/api/coalitions/{id}/value-equations", tag = "accounts",
    params(("id" = String, Path, description = "The coalition")),
    responses(
        (status = 200, description = "The versions", body = Vec<ValueEquation>),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
async fn list_equations(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<ValueEquation>>> {
    let id = coalition_id(&id)?;
    currency_of(&state, &id).await?;
    Ok(Json(state.store.value_equations(&id).await?))
}

/// Sets a new version of the value equation (stewards only); earlier
/// versions stay as they were.
#[utoipa::path(post, path = "/api/coalitions/{id}/value-equations", tag = "accounts",
    params(("id" = String, Path, description = "The coalition")),
    request_body = ValueEquation,
    responses(
        (status = 201, description = "The new version", body = ValueEquation),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 403, description = "Not a steward", body = ErrorBody),
    ))]
async fn set_equation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(equation): Json<ValueEquation>,
) -> AppResult<(StatusCode, Json<ValueEquation>)> {
    let id = coalition_id(&id)?;
    currency_of(&state, &id).await?;
    require_steward(&state, &id, &auth.handle, "set its value equation").await?;
    equation.validate().map_err(AppError::invalid)?;
    let saved = state
        .store
        .set_value_equation(&id, equation, &auth.handle, Utc::now().trunc_subsecs(3))
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// What is owed (revenue shares, the commons fund's share, reciprocity
/// fees), what is paid and what is outstanding. Void amounts are left out:
/// shares of a corrected sale, fees of a withdrawn or declined claim.
#[utoipa::path(get, path = "/api/coalitions/{id}/owed", tag = "accounts",
    params(("id" = String, Path, description = "The coalition")),
    responses(
        (status = 200, description = "What is owed", body = Vec<Owed>),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
async fn list_owed(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<Owed>>> {
    let id = coalition_id(&id)?;
    currency_of(&state, &id).await?;
    let owed = state
        .store
        .owed(&id)
        .await?
        .into_iter()
        .filter(|o| !o.void)
        .collect();
    Ok(Json(owed))
}

/// Sets one year's budget (stewards only), replacing its lines.
#[utoipa::path(put, path = "/api/coalitions/{id}/budgets/{year}", tag = "accounts",
    params(("id" = String, Path, description = "The coalition"), ("year" = i32, Path, description = "The year")),
    request_body = Vec<BudgetLine>,
    responses(
        (status = 204, description = "The budget is set"),
        (status = 400, description = "More than 200 lines, a line is invalid, or two lines share a category and direction", body = ErrorBody),
        (status = 403, description = "Not a steward", body = ErrorBody),
    ))]
async fn set_budget(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, year)): Path<(String, i32)>,
    Json(lines): Json<Vec<BudgetLine>>,
) -> AppResult<StatusCode> {
    let id = coalition_id(&id)?;
    currency_of(&state, &id).await?;
    require_steward(&state, &id, &auth.handle, "set its budget").await?;
    let this_year = Utc::now().year();
    let mut errors = FieldErrors::new();
    if !(2000..=this_year + 5).contains(&year) {
        errors.add(
            "year",
            format!("The year is from 2000 to {}.", this_year + 5),
        );
    }
    if lines.len() > ledger::MAX_BUDGET_LINES {
        // Refused before the per-line checks: the work per request is bounded.
        errors.add(
            "lines",
            format!(
                "At most {} budget lines; this has {}.",
                ledger::MAX_BUDGET_LINES,
                lines.len()
            ),
        );
        return Err(AppError::invalid(errors));
    }
    let mut seen = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        if !seen.insert((line.direction.as_str(), line.category.as_str())) {
            errors.add(
                format!("{i}.category"),
                format!(
                    "There is already a line for {} on {}: one line per category and direction.",
                    line.category, line.direction
                ),
            );
        }
        if !["income", "spending"].contains(&line.direction.as_str()) {
            errors.add(
                format!("{i}.direction"),
                "The direction is income or spending.",
            );
        }
        if !ledger::CATEGORIES.contains(&line.category.as_str()) {
            errors.add(
                format!("{i}.category"),
                format!("The category is one of {}.", ledger::CATEGORIES.join(", ")),
            );
        }
        Milli::check(
            &mut errors,
            &format!("{i}.amount"),
            line.amount,
            Bounds::zero_or_more(ledger::MAX_ENTRY_QUANTITY),
            "The amount",
        );
        if line.year != year {
            errors.add(
                format!("{i}.year"),
                "Each line is for the year in the address.",
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    state.store.set_budget(&id, year, &lines).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    fn cell(text: &str) -> String {
        let mut out = String::new();
        csv_field(&mut out, text);
        out
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(cell("+1+1"), "'+1+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@treasury"), "'@treasury");
        assert_eq!(cell("\tcmd"), "'\tcmd");
        assert_eq!(cell("a, b"), "\"a, b\"");
        assert_eq!(cell("Face shields for Kumasi"), "Face shields for Kumasi");
        assert_eq!(cell("12.5"), "12.5");
    }
}
