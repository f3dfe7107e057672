//! A coalition's budget: what it plans to take in and spend, per year.

use serde::{Deserialize, Serialize};

/// A line of a coalition's budget for a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetLine {
    pub year: i32,
    /// `income` or `spending`.
    pub direction: String,
    pub category: String,
    pub amount: f64,
}
