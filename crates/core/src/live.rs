//! Live events: what changed, numbered in the order it was recorded, for
//! the Server-Sent Events stream (`GET /api/events`) that keeps the needs
//! board, need pages and the map current without reloading.

use serde::{Deserialize, Serialize};

use crate::{AgentId, ClaimState, DesignId, Place, Quantity};

/// One change, as the stream sends it: `id` is the SSE event id a client
/// resumes from with `Last-Event-ID`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveEvent {
    pub id: u64,
    pub at: crate::Timestamp,
    /// The coalition the change belongs to, if any (for filtering).
    pub coalition: Option<AgentId>,
    pub change: Change,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A need was declared.
    NeedDeclared {
        need: u64,
        what: String,
        quantity: Quantity,
        place: Place,
        receiver: AgentId,
    },
    /// Part of a need was claimed; `remainder` is what is left now.
    ClaimMade {
        claim: u64,
        need: u64,
        provider: AgentId,
        quantity: Quantity,
        remainder: f64,
    },
    /// A claim took a step; `remainder` is what is left of its need now.
    ClaimChanged {
        claim: u64,
        need: u64,
        provider: AgentId,
        state: ClaimState,
        remainder: f64,
    },
    /// Capacity was declared.
    CapacityDeclared {
        capacity: u64,
        provider: AgentId,
        place: Place,
    },
    /// A design joined the commons (new, or a fork).
    DesignPublished { design: DesignId, name: String },
    /// A design was saved as a new revision.
    DesignRevised {
        design: DesignId,
        name: String,
        revision: u32,
    },
}

impl Change {
    /// The kind, as `?kind=` filters by it and the stream names its events.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::NeedDeclared { .. } => "need_declared",
            Change::ClaimMade { .. } => "claim_made",
            Change::ClaimChanged { .. } => "claim_changed",
            Change::CapacityDeclared { .. } => "capacity_declared",
            Change::DesignPublished { .. } => "design_published",
            Change::DesignRevised { .. } => "design_revised",
        }
    }

    /// Every kind there is.
    pub const KINDS: [&'static str; 6] = [
        "need_declared",
        "claim_made",
        "claim_changed",
        "capacity_declared",
        "design_published",
        "design_revised",
    ];

    /// The need it concerns, if any.
    pub fn need(&self) -> Option<u64> {
        match self {
            Change::NeedDeclared { need, .. }
            | Change::ClaimMade { need, .. }
            | Change::ClaimChanged { need, .. } => Some(*need),
            Change::CapacityDeclared { .. }
            | Change::DesignPublished { .. }
            | Change::DesignRevised { .. } => None,
        }
    }
}
