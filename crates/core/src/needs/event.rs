//! The economic events a confirmed delivery records (VF `EconomicEvent`).

use serde::{Deserialize, Serialize};

use crate::{AgentId, AgentRef, DesignRef, Place, Quantity, Timestamp};

/// What an economic event did (VF `Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    /// The maker made it.
    Produce,
    /// It changed hands, from maker to receiver.
    Transfer,
}

/// Something that happened (VF `EconomicEvent`): append-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EconomicEvent {
    pub id: u64,
    pub action: EventAction,
    pub provider: AgentRef,
    pub receiver: AgentRef,
    pub design: Option<DesignRef>,
    pub what: String,
    pub quantity: Quantity,
    pub at: Timestamp,
    /// The claim the event fulfils.
    pub fulfils: Option<u64>,
    /// Where it ended up.
    pub place: Option<Place>,
    pub coalition: Option<AgentId>,
    /// Whether it counts in the coalition's accounts: the need was the
    /// coalition's and the maker an active member when it was confirmed.
    #[serde(default)]
    pub in_accounts: bool,
}
