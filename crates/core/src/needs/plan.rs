//! A coalition's allocation plan: its open needs assigned to its members'
//! spare capacity (worked out by [`crate::planner`] on the server).

use serde::{Deserialize, Serialize};

/// One line of a coalition's allocation plan: who should make how much of
/// what, for whom, how far apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRow {
    pub need: u64,
    pub what: String,
    pub need_place: String,
    pub capacity: u64,
    pub provider: String,
    pub provider_place: String,
    pub quantity: u64,
    pub distance_km: f64,
}

/// `GET /api/coalitions/{id}/plan`: the coalition's open needs assigned to
/// its members' spare capacity, least total distance first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoalitionPlan {
    pub rows: Vec<PlanRow>,
    /// Open needs and capacities planned over.
    pub needs: u64,
    pub capacities: u64,
    /// Units assigned, and units no member's capacity can make.
    pub assigned: u64,
    pub unassigned: u64,
    /// Σ units × distance, in km.
    pub total_distance_km: f64,
}
