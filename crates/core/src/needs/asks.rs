//! A need asked of a coalition, and its stewards' answer.

use serde::{Deserialize, Serialize};

use crate::{AgentId, AgentRef, FieldErrors, Timestamp};

/// Where a need's ask of a coalition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AskState {
    /// Asked of the coalition; its stewards have not answered yet.
    Asked,
    /// The coalition's own need.
    Accepted,
    /// The coalition's stewards declined it, with a reason.
    Declined,
}

impl AskState {
    pub fn slug(self) -> &'static str {
        match self {
            AskState::Asked => "asked",
            AskState::Accepted => "accepted",
            AskState::Declined => "declined",
        }
    }
}

/// A need asked of a coalition: which, and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoalitionAsk {
    pub coalition: AgentRef,
    pub state: AskState,
    /// Why the stewards declined it (empty otherwise).
    #[serde(default)]
    pub reason: String,
    /// The steward who answered; none when a member declared it.
    #[serde(default)]
    pub decided_by: Option<AgentId>,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
}

/// A steward's answer to a need asked of their coalition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AskDecision {
    /// `true` takes the need on as the coalition's; `false` declines it.
    pub accept: bool,
    /// Why, when declining (1 to 500 characters); optional when accepting.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub reason: String,
}

impl AskDecision {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = self.reason.trim();
        if !self.accept && reason.is_empty() {
            errors.add(
                "reason",
                "Say why the coalition declines it, so the one who asked knows.",
            );
        }
        if reason.chars().count() > 500 {
            errors.add("reason", "Keep the reason under 500 characters.");
        }
        errors.into_result(())
    }
}
