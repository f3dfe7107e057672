//! The gap signal: demand against supply, by design and by region.

use serde::{Deserialize, Serialize};

/// Demand against supply for one design or one region: what a maker scans
/// to decide what to make next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gap {
    /// The design's id, or the region's name.
    pub key: String,
    /// For people: the design's name or the region.
    pub label: String,
    /// Σ quantity of the needs.
    pub demand: f64,
    /// Σ claims committed or in progress.
    pub committed: f64,
    /// Σ claims delivered or confirmed.
    pub delivered: f64,
    /// demand − committed − delivered: what nobody has taken on yet.
    pub gap: f64,
}

/// The most rows each section of [`Gaps`] holds: the largest gaps.
pub const GAPS_LIMIT: usize = 50;

/// `GET /api/needs/gaps`: the gap signal, largest gaps first, at most
/// [`GAPS_LIMIT`] designs and [`GAPS_LIMIT`] regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gaps {
    pub by_design: Vec<Gap>,
    pub by_region: Vec<Gap>,
}

/// The region a place is in, for the gap signal: the last part of its
/// name ("Kumasi, Ghana" → "Ghana"). The store keeps the same rule in SQL,
/// as the generated column `needs.region` (migration 0011), to group by it.
pub fn region_of(place_name: &str) -> &str {
    place_name
        .rsplit(',')
        .next()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(place_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_the_last_part_of_a_place_name() {
        assert_eq!(region_of("Kumasi, Ghana"), "Ghana");
        assert_eq!(region_of("Lisbon"), "Lisbon");
    }
}
