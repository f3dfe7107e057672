//! The ledger for download: JSON with every hash, CSV, and ValueFlows 1.0
//! JSON-LD. The whole ledger by nature, so it is read from SQL a chunk of
//! entries at a time (up to the head read first: entries are append-only,
//! so that is one consistent ledger) and each chunk written into the body
//! as it comes, instead of holding every entry and then its serialisation.
//! Core formats the entries (`stigmergy_core::ledger::{csv_rows,
//! json_ld_event}`); this file reads, frames and sends them.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stigmergy_core::ledger::{
    JSON_LD_CONTEXT, LedgerEntry, LedgerExport, csv_header, csv_rows, json_ld_event,
};
use stigmergy_core::{AgentId, ErrorBody};

use super::{coalition_id, currency_of};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Query};
use crate::store::ledger_reads::CHUNK;

pub use stigmergy_core::ledger::CSV_COLUMNS;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ExportQuery {
    /// `json` (the default, with every hash), `csv` or `jsonld`
    /// (ValueFlows 1.0 economic events).
    format: Option<String>,
}

/// Calls `visit` with the coalition's entries in chain order, a chunk at a
/// time, up to the head as it is now; stops early when `visit` says so.
pub(super) async fn walk(
    state: &AppState,
    id: &AgentId,
    mut visit: impl FnMut(&[LedgerEntry]) -> bool + Send,
) -> AppResult<()> {
    let head = state.store.ledger_head(id).await?;
    let mut after = 0;
    while after < head.seq {
        let run = state.store.ledger_run(id, after, head.seq, CHUNK).await?;
        let Some(last) = run.last() else { break };
        after = last.seq;
        if !visit(&run) {
            break;
        }
    }
    Ok(())
}

fn json_into(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Serialising into memory fails only for maps with non-string keys,
    // which none of these have.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// The whole ledger for download.
#[utoipa::path(get, path = "/api/coalitions/{id}/ledger/export", tag = "accounts",
    params(("id" = String, Path, description = "The coalition"), ExportQuery),
    responses(
        (status = 200, description = "The ledger", body = LedgerExport),
        (status = 400, description = "Unknown format", body = ErrorBody),
        (status = 404, description = "No such coalition, or it keeps no accounts", body = ErrorBody),
    ))]
pub(super) async fn export(
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
    let file = |ext: &str| format!("attachment; filename=\"{id}-ledger.{ext}\"");
    Ok(match format.as_str() {
        "csv" => {
            let mut out = csv_header();
            walk(&state, &id, |run| {
                csv_rows(&mut out, run);
                true
            })
            .await?;
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, file("csv")),
                ],
                out,
            )
                .into_response()
        }
        "jsonld" => {
            let names: BTreeMap<String, String> = state
                .store
                .ledger_agent_names(&id)
                .await?
                .into_iter()
                .collect();
            let mut out = b"{\"@context\":".to_vec();
            json_into(&mut out, &JSON_LD_CONTEXT);
            out.extend_from_slice(b",\"@graph\":[");
            let mut first = true;
            walk(&state, &id, |run| {
                for e in run {
                    if !std::mem::take(&mut first) {
                        out.push(b',');
                    }
                    json_into(&mut out, &json_ld_event(&id, e, &names));
                }
                true
            })
            .await?;
            out.extend_from_slice(b"]}");
            (
                [
                    (header::CONTENT_TYPE, "application/ld+json".to_owned()),
                    (header::CONTENT_DISPOSITION, file("jsonld")),
                ],
                out,
            )
                .into_response()
        }
        _ => {
            // `LedgerExport` as serde writes it, the entries a chunk at a time.
            let mut out = b"{\"coalition\":".to_vec();
            json_into(&mut out, &id);
            out.extend_from_slice(b",\"currency\":");
            json_into(&mut out, &currency);
            out.extend_from_slice(b",\"entries\":[");
            let mut first = true;
            walk(&state, &id, |run| {
                for e in run {
                    if !std::mem::take(&mut first) {
                        out.push(b',');
                    }
                    json_into(&mut out, e);
                }
                true
            })
            .await?;
            out.extend_from_slice(b"]}");
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_DISPOSITION, file("json")),
                ],
                out,
            )
                .into_response()
        }
    })
}
