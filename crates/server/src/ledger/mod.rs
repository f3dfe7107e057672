//! Open accounting over HTTP: every coalition's accounts, its ledger (paged,
//! filtered, exported as CSV, JSON and ValueFlows JSON-LD), the server's own
//! check of the hash chain, contributors' shares under the value equation,
//! and what is owed. Anyone reads; stewards record entries, set the value
//! equation and the budget.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, SubsecRound, Utc};
use serde::Deserialize;
use stigmergy_core::ledger::{
    self, AccountsOverview, AccountsRead, LedgerAction, LedgerEntry, LedgerInput, LedgerPage, Owed,
    ValueEquation, Verification, Verifier, VoidInput, is_own,
};
use stigmergy_core::{AgentId, Bounds, ErrorBody, FieldErrors, Milli};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::access::require_steward;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path, Query, filled};
use crate::store::{EntryFilter, StoreError};
use stigmergy_core::ledger::BudgetLine;

mod export;

pub use export::CSV_COLUMNS;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts))
        .routes(routes!(open_ledger))
        .routes(routes!(list_entries, record_entry))
        .routes(routes!(void_entry))
        .routes(routes!(verify))
        .routes(routes!(export::export))
        .routes(routes!(list_equations, set_equation))
        .routes(routes!(list_owed))
        .routes(routes!(set_budget))
}

fn coalition_id(id: &str) -> AppResult<AgentId> {
    AgentId::parse(id)
        .map_err(|_| AppError::NotFound(format!("There is no coalition \u{201c}{id}\u{201d}.")))
}

/// A clear 404 for a coalition that keeps no accounts.
fn no_accounts(id: &AgentId) -> impl Fn(StoreError) -> AppError + '_ {
    move |error| match error {
        StoreError::NotFound => AppError::NotFound(format!(
            "\u{201c}{id}\u{201d} is not a coalition that keeps open accounts."
        )),
        other => other.into(),
    }
}

/// The coalition's ledger currency; a clear 404 when it keeps no accounts.
async fn currency_of(state: &AppState, id: &AgentId) -> AppResult<String> {
    state
        .store
        .ledger_currency(id)
        .await
        .map_err(no_accounts(id))
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
    // The sums over the whole ledger, cached per head: when nothing was
    // recorded since the last read, this costs the one query for the head.
    let head = state.store.ledger_head(&id).await?;
    let totals = state.store.ledger_totals(&id, &head).await?;
    let equation = state.store.value_equations(&id).await?.into_iter().next();
    let owed = state.store.owed_totals(&id).await?;
    let budget = state.store.budget(&id).await?;

    let mut overview = AccountsOverview::of(AccountsRead {
        coalition: id,
        currency,
        entries: head.seq,
        head: head.hash,
        totals: &totals,
        equation,
        owed,
        budget: budget
            .into_iter()
            .map(|b| (b.year, b.direction, b.category, b.amount))
            .collect(),
    });
    overview.names = names_of(&state, overview.accounts_named()).await?;
    Ok(Json(overview))
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
    let filter = EntryFilter {
        action,
        money,
        category: filled(&query.category),
        account: filled(&query.account),
    };
    let currency = currency_of(&state, &id).await?;
    // Filtered, counted and paged in SQL (keyset on the entry number).
    let page = state
        .store
        .ledger_page(&id, &filter, query.before, limit)
        .await?;
    let names = names_of(
        &state,
        page.items.iter().flat_map(|e| {
            [e.provider.clone(), e.receiver.clone()]
                .into_iter()
                .chain(e.recorded_by.clone())
        }),
    )
    .await?;
    Ok(Json(LedgerPage {
        items: page.items,
        total: page.total,
        next: page.next,
        currency,
        corrected_by: page.corrected_by,
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
    require_steward(&state, &id, &auth.handle, "record entries in its accounts").await?;
    let entry = state
        .store
        .record_entry(&id, input, Some(&auth.handle), Utc::now().trunc_subsecs(3))
        .await
        .map_err(no_accounts(&id))?;
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
    require_steward(
        &state,
        &id,
        &auth.handle,
        "void contributions in its accounts",
    )
    .await?;
    let correction = state
        .store
        .void_entry(&id, seq, &input, &auth.handle, Utc::now().trunc_subsecs(3))
        .await
        .map_err(no_accounts(&id))?;
    Ok((StatusCode::CREATED, Json(correction)))
}

/// Re-checks the whole hash chain on the server, from the database each
/// time: the numbering, each link and each entry's hash; names the first
/// entry that fails.
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
    // Never from a cache: an edit of an older row in the database keeps the
    // head, so only re-reading and re-hashing every entry can find it. Read
    // a chunk at a time, so the work is the ledger's length but the memory
    // one chunk's.
    let mut verifier = Verifier::new();
    export::walk(&state, &id, |run| run.iter().all(|e| verifier.check(e))).await?;
    Ok(Json(verifier.finish()))
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
