//! The ledger for download, as anyone can re-verify it.

use serde::{Deserialize, Serialize};

use super::LedgerEntry;

/// `GET /api/coalitions/{id}/ledger/export?format=json`: the raw ledger, as
/// anyone can re-verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerExport {
    pub coalition: crate::AgentId,
    pub currency: String,
    pub entries: Vec<LedgerEntry>,
}
