//! The live map of coalition supply chains: agents placed by role, and
//! flows from provider to receiver, planned (active claims) or delivered
//! (transfer events).

use serde::{Deserialize, Serialize};

use crate::{AgentId, AgentKind, ClaimState, DesignId, Timestamp};

/// What an agent does in the supply chains, for its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    /// A person who makes.
    Maker,
    /// A microfactory, cooperative or hub that makes.
    Microfactory,
    Supplier,
    /// Someone things are made for.
    Receiver,
    /// A coalition's hub.
    Coalition,
}

impl AgentRole {
    pub const ALL: [AgentRole; 5] = [
        AgentRole::Maker,
        AgentRole::Microfactory,
        AgentRole::Supplier,
        AgentRole::Receiver,
        AgentRole::Coalition,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AgentRole::Maker => "Maker",
            AgentRole::Microfactory => "Microfactory",
            AgentRole::Supplier => "Supplier",
            AgentRole::Receiver => "Receiver",
            AgentRole::Coalition => "Coalition hub",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            AgentRole::Maker => "maker",
            AgentRole::Microfactory => "microfactory",
            AgentRole::Supplier => "supplier",
            AgentRole::Receiver => "receiver",
            AgentRole::Coalition => "coalition",
        }
    }
}

/// An agent on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapAgent {
    pub id: AgentId,
    pub name: String,
    pub kind: AgentKind,
    pub role: AgentRole,
    pub place: String,
    pub lat: f64,
    pub lon: f64,
}

/// Whether a flow is promised or has happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// An active claim: committed, in progress or delivered, not yet confirmed.
    Planned,
    /// A confirmed delivery (a transfer event).
    Delivered,
}

/// Something made by `provider` for `receiver`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flow {
    pub kind: FlowKind,
    pub claim: u64,
    pub need: u64,
    pub design: Option<DesignId>,
    pub what: String,
    pub provider: AgentId,
    pub provider_name: String,
    pub receiver: AgentId,
    pub receiver_name: String,
    pub from_lat: f64,
    pub from_lon: f64,
    pub to_lat: f64,
    pub to_lon: f64,
    /// Where it goes.
    pub place: String,
    pub quantity: f64,
    pub unit: crate::Unit,
    pub state: ClaimState,
    /// When the claim last changed, or the delivery was confirmed.
    pub at: Timestamp,
    pub coalition: Option<AgentId>,
}

/// `GET /api/flows`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowMap {
    pub agents: Vec<MapAgent>,
    pub flows: Vec<Flow>,
}

/// One agent in a supply chain: `column` 0 for material suppliers, 1 for
/// makers, 2 for receivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainNode {
    pub id: AgentId,
    pub name: String,
    pub column: u8,
}

/// What went (or is to go) from one agent to the next, summed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainLink {
    pub from: AgentId,
    pub to: AgentId,
    pub what: String,
    pub quantity: f64,
    pub unit: crate::Unit,
    pub kind: FlowKind,
}

/// `GET /api/chains`: the supply chain of one design or need, from the
/// suppliers of materials through the makers to the receivers, built from
/// claims (planned) and transfer events (delivered).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chain {
    pub nodes: Vec<ChainNode>,
    pub links: Vec<ChainLink>,
}
