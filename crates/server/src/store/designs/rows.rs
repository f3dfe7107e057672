//! The rows the design queries read, and what they become.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use stigmergy_core::{AgentId, AgentRef, Credit, DesignRef};

use super::parse_id;
use crate::store::sql::{parse_stored, place_of};
use crate::store::{StoreError, StoreResult};

#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) name_key: String,
    pub(super) summary: String,
    pub(super) licence: String,
    pub(super) version: String,
    pub(super) parent_id: Option<String>,
    pub(super) parent_name: Option<String>,
    pub(super) updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct DesignRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) summary: String,
    pub(super) description: String,
    pub(super) licence: String,
    pub(super) version: String,
    pub(super) revision: i64,
    pub(super) repository: Option<String>,
    pub(super) parent_id: Option<String>,
    pub(super) bill_of_materials: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct RefRow {
    pub(super) id: String,
    pub(super) name: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct CreditRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) place_name: Option<String>,
    pub(super) lat: Option<f64>,
    pub(super) lon: Option<f64>,
    pub(super) role: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct FacetRow {
    pub(super) value: String,
    pub(super) count: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct TagRow {
    pub(super) design_id: String,
    pub(super) value: String,
}

/// Values per design, in the order the rows came.
pub(super) fn group_by_design(rows: Vec<TagRow>) -> HashMap<String, Vec<String>> {
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        groups.entry(row.design_id).or_default().push(row.value);
    }
    groups
}

impl RefRow {
    pub(super) fn into_ref(self) -> StoreResult<DesignRef> {
        Ok(DesignRef {
            id: parse_id(self.id)?,
            name: self.name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct VersionRow {
    pub(super) revision: i64,
    pub(super) draft: String,
    pub(super) note: String,
    pub(super) created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct VersionCreditRow {
    pub(super) revision: i64,
    #[sqlx(flatten)]
    pub(super) credit: CreditRow,
}

impl CreditRow {
    pub(super) fn into_credit(self) -> StoreResult<Credit> {
        Ok(Credit {
            agent: AgentRef {
                id: AgentId::parse(&self.id).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))?,
                name: self.name,
                kind: parse_stored(&self.kind)?,
                place: place_of(self.place_name, self.lat, self.lon),
            },
            role: parse_stored(&self.role)?,
        })
    }
}
