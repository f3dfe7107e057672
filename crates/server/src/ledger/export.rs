//! The ledger for download: JSON with every hash, CSV, and ValueFlows 1.0
//! JSON-LD. The whole ledger by nature, so it is read from SQL a chunk of
//! entries at a time (up to the head read first: entries are append-only,
//! so that is one consistent ledger) and each chunk written into the body
//! as it comes, instead of holding every entry and then its serialisation.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use stigmergy_core::ledger::{self, LedgerAction, LedgerEntry, LedgerExport};
use stigmergy_core::{AgentId, ErrorBody};

use super::{coalition_id, currency_of};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Query};
use crate::store::ledger_reads::CHUNK;

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
            let mut out = CSV_COLUMNS.join(",");
            out.push_str("\r\n");
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
            json_into(&mut out, &json_ld_context());
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

/// Appends `entries` as CSV rows: RFC 4180 with formula-like cells
/// neutralised (see [`csv_field`]); lines end in CRLF.
fn csv_rows(out: &mut String, entries: &[LedgerEntry]) {
    let optional = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
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
            csv_field(out, value);
        }
        out.push_str("\r\n");
    }
}

/// The JSON-LD export's context: ValueFlows 1.0, with OM2 measures.
fn json_ld_context() -> Value {
    json!({
        "@vocab": "https://w3id.org/valueflows/ont/vf#",
        "vf": "https://w3id.org/valueflows/ont/vf#",
        "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        "name": "http://xmlns.com/foaf/0.1/name",
        "hasNumericalValue": "om2:hasNumericalValue",
        "hasUnit": "om2:hasUnit",
        "label": "http://www.w3.org/2000/01/rdf-schema#label",
        "symbol": "om2:symbol",
        "note": "vf:note",
    })
}

/// One entry as a ValueFlows 1.0 economic event in JSON-LD: money and
/// goods as `resourceQuantity`, work, use and citations as
/// `effortQuantity`; corrections as `corrects`, deliveries `fulfills` the
/// claim (a VF Commitment).
fn json_ld_event(coalition: &AgentId, e: &LedgerEntry, names: &BTreeMap<String, String>) -> Value {
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
