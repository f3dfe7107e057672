//! The ledger for download, as anyone can re-verify it: JSON with every
//! hash ([`LedgerExport`]), CSV, and ValueFlows 1.0 JSON-LD.
//!
//! The formats are pure functions of the entries, a chunk at a time: the
//! server reads the ledger in chunks and writes what these return into the
//! body as it goes, so no format needs the whole ledger in memory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{COMMONS_FUND, LedgerAction, LedgerEntry, TREASURY};
use crate::{AgentId, Timestamp};

/// `GET /api/coalitions/{id}/ledger/export?format=json`: the raw ledger, as
/// anyone can re-verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerExport {
    pub coalition: crate::AgentId,
    pub currency: String,
    pub entries: Vec<LedgerEntry>,
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

/// The CSV export's first line: [`CSV_COLUMNS`], ending in CRLF.
pub fn csv_header() -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    out
}

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

/// Appends `entries` as CSV rows under [`csv_header`]: RFC 4180 with
/// formula-like cells neutralised (see [`csv_field`]); lines end in CRLF.
pub fn csv_rows(out: &mut String, entries: &[LedgerEntry]) {
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

// The JSON-LD export: `{"@context": JsonLdContext, "@graph": [JsonLdEvent…]}`.
// The fields of each type below are in alphabetical order on purpose: that
// is the order the export has always written its keys in (it was built
// with `serde_json::json!`, whose maps are sorted), and serde writes fields
// in declaration order.

/// The JSON-LD export's `@context`: ValueFlows 1.0, with OM2 measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonLdContext {
    #[serde(rename = "@vocab")]
    pub vocab: &'static str,
    #[serde(rename = "hasNumericalValue")]
    pub has_numerical_value: &'static str,
    #[serde(rename = "hasUnit")]
    pub has_unit: &'static str,
    pub label: &'static str,
    pub name: &'static str,
    pub note: &'static str,
    pub om2: &'static str,
    pub symbol: &'static str,
    pub vf: &'static str,
}

/// The context every JSON-LD export carries.
pub const JSON_LD_CONTEXT: JsonLdContext = JsonLdContext {
    vocab: "https://w3id.org/valueflows/ont/vf#",
    has_numerical_value: "om2:hasNumericalValue",
    has_unit: "om2:hasUnit",
    label: "http://www.w3.org/2000/01/rdf-schema#label",
    name: "http://xmlns.com/foaf/0.1/name",
    note: "vf:note",
    om2: "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    symbol: "om2:symbol",
    vf: "https://w3id.org/valueflows/ont/vf#",
};

/// A link to another node by its `@id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonLdRef {
    #[serde(rename = "@id")]
    pub id: String,
}

/// An agent (VF `Agent`): its address and display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonLdAgent {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: String,
}

/// What the resource conforms to (VF `ResourceSpecification`), by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonLdResource {
    pub name: String,
}

/// A unit (OM2), named by the entry's unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonLdUnit {
    pub label: String,
    pub symbol: String,
}

/// A quantity (OM2 `Measure`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonLdMeasure {
    #[serde(rename = "hasNumericalValue")]
    pub has_numerical_value: f64,
    #[serde(rename = "hasUnit")]
    pub has_unit: JsonLdUnit,
}

/// One ledger entry as a ValueFlows 1.0 `EconomicEvent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonLdEvent {
    /// `/api/coalitions/{id}/ledger#{seq}`.
    #[serde(rename = "@id")]
    pub id: String,
    /// Always `EconomicEvent`.
    #[serde(rename = "@type")]
    pub kind: String,
    pub action: LedgerAction,
    /// The entry this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<JsonLdRef>,
    /// Work, machine use and citations.
    #[serde(
        rename = "effortQuantity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub effort_quantity: Option<JsonLdMeasure>,
    /// The need claim (a VF `Commitment`) whose delivery it records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfills: Option<JsonLdRef>,
    #[serde(rename = "hasPointInTime")]
    pub has_point_in_time: Timestamp,
    pub note: String,
    pub provider: JsonLdAgent,
    pub receiver: JsonLdAgent,
    #[serde(rename = "resourceConformsTo")]
    pub resource_conforms_to: JsonLdResource,
    /// Money and goods.
    #[serde(
        rename = "resourceQuantity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_quantity: Option<JsonLdMeasure>,
}

/// One entry as a ValueFlows 1.0 economic event in JSON-LD: money and
/// goods as `resourceQuantity`, work, use and citations as
/// `effortQuantity`; corrections as `corrects`, deliveries `fulfills` the
/// claim (a VF Commitment). `names` gives agents' display names (an agent
/// not in it is named by its id).
pub fn json_ld_event(
    coalition: &AgentId,
    e: &LedgerEntry,
    names: &BTreeMap<String, String>,
) -> JsonLdEvent {
    let base = format!("/api/coalitions/{coalition}/ledger");
    let agent = |account: &str| {
        let (id, name) = match account {
            TREASURY => (
                format!("/api/agents/{coalition}#treasury"),
                format!("{coalition} treasury"),
            ),
            COMMONS_FUND => (
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
        JsonLdAgent { id, name }
    };
    let measure = JsonLdMeasure {
        has_numerical_value: e.quantity,
        has_unit: JsonLdUnit {
            label: e.unit.clone(),
            symbol: e.unit.clone(),
        },
    };
    let effort = matches!(
        e.action,
        LedgerAction::Work | LedgerAction::Use | LedgerAction::Cite
    );
    let (effort_quantity, resource_quantity) = if effort {
        (Some(measure), None)
    } else {
        (None, Some(measure))
    };
    JsonLdEvent {
        id: format!("{base}#{}", e.seq),
        kind: "EconomicEvent".to_owned(),
        action: e.action,
        corrects: e.corrects.map(|old| JsonLdRef {
            id: format!("{base}#{old}"),
        }),
        effort_quantity,
        fulfills: e.claim.map(|claim| JsonLdRef {
            id: format!("/api/claims/{claim}"),
        }),
        has_point_in_time: e.at.clone(),
        note: e.note.clone(),
        provider: agent(&e.provider),
        receiver: agent(&e.receiver),
        resource_conforms_to: JsonLdResource {
            name: e.resource.clone(),
        },
        resource_quantity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::fixtures::{append, in_kind, money};

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

    fn ledger() -> Vec<LedgerEntry> {
        let mut ledger = Vec::new();
        let mut sale = money("clinic-kumasi", TREASURY, 1200.5, "sale");
        sale.note = "=SUM(A1), \"paid\"".into();
        append(&mut ledger, sale);
        let mut work = in_kind(
            LedgerAction::Work,
            "amara-okafor",
            "cnc-routing",
            2.125,
            "h",
        );
        work.claim = Some(7);
        append(&mut ledger, work);
        let mut fix = money(TREASURY, COMMONS_FUND, 0.0, "transfer");
        fix.corrects = Some(1);
        append(&mut ledger, fix);
        ledger
    }

    #[test]
    fn csv_rows_follow_the_columns_with_every_hash() {
        let ledger = ledger();
        let mut out = csv_header();
        csv_rows(&mut out, &ledger);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines.len(), 5, "a header, three rows and the last CRLF");
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        let first = &ledger[0];
        assert_eq!(
            lines[1],
            format!(
                "1,2026-01-02T10:00:00.000Z,transfer,clinic-kumasi,'@treasury,EUR,1200.5,EUR,sale,\
                 \"'=SUM(A1), \"\"paid\"\"\",,,,,{},{}",
                first.prev_hash, first.hash
            )
        );
        assert!(lines[3].starts_with("3,2026-01-04T10:00:00.000Z,transfer,'@treasury,'@commons-fund,EUR,0,EUR,transfer,,1,,,,"));
        assert_eq!(lines[4], "");
    }

    #[test]
    fn entries_become_valueflows_events_with_keys_in_a_fixed_order() {
        let ledger = ledger();
        let coalition = AgentId::parse("mesa").unwrap();
        let names = BTreeMap::from([("amara-okafor".to_owned(), "Amara Okafor".to_owned())]);
        let json =
            |e: &LedgerEntry| serde_json::to_string(&json_ld_event(&coalition, e, &names)).unwrap();
        assert_eq!(
            json(&ledger[1]),
            r#"{"@id":"/api/coalitions/mesa/ledger#2","@type":"EconomicEvent","action":"work","effortQuantity":{"hasNumericalValue":2.125,"hasUnit":{"label":"h","symbol":"h"}},"fulfills":{"@id":"/api/claims/7"},"hasPointInTime":"2026-01-03T10:00:00.000Z","note":"","provider":{"@id":"/api/agents/amara-okafor","name":"Amara Okafor"},"receiver":{"@id":"/api/agents/mesa#treasury","name":"mesa treasury"},"resourceConformsTo":{"name":"cnc-routing"}}"#
        );
        assert_eq!(
            json(&ledger[2]),
            r#"{"@id":"/api/coalitions/mesa/ledger#3","@type":"EconomicEvent","action":"transfer","corrects":{"@id":"/api/coalitions/mesa/ledger#1"},"hasPointInTime":"2026-01-04T10:00:00.000Z","note":"","provider":{"@id":"/api/agents/mesa#treasury","name":"mesa treasury"},"receiver":{"@id":"/api/agents/mesa#commons-fund","name":"mesa commons fund"},"resourceConformsTo":{"name":"EUR"},"resourceQuantity":{"hasNumericalValue":0.0,"hasUnit":{"label":"EUR","symbol":"EUR"}}}"#
        );
        // An agent missing from `names` is named by its id.
        assert!(
            json(&ledger[0]).contains(
                r#""provider":{"@id":"/api/agents/clinic-kumasi","name":"clinic-kumasi"}"#
            )
        );
        assert_eq!(
            serde_json::to_string(&JSON_LD_CONTEXT).unwrap(),
            r#"{"@vocab":"https://w3id.org/valueflows/ont/vf#","hasNumericalValue":"om2:hasNumericalValue","hasUnit":"om2:hasUnit","label":"http://www.w3.org/2000/01/rdf-schema#label","name":"http://xmlns.com/foaf/0.1/name","note":"vf:note","om2":"http://www.ontology-of-units-of-measure.org/resource/om-2/","symbol":"om2:symbol","vf":"https://w3id.org/valueflows/ont/vf#"}"#
        );
    }
}
