//! Claims (VF `Commitment`s that satisfy a need): who makes how much of a
//! need, and the steps of a claim's life, each taken by one party.

use serde::{Deserialize, Serialize};

use crate::validate::optional_text;
use crate::{AgentId, AgentRef, FieldErrors, Quantity, Timestamp};

use super::need::check_amount;

/// What a claim's state may change by, and who may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    Committed,
    InProgress,
    Delivered,
    Confirmed,
    Declined,
    Withdrawn,
}

impl ClaimState {
    pub const ALL: [ClaimState; 6] = [
        ClaimState::Committed,
        ClaimState::InProgress,
        ClaimState::Delivered,
        ClaimState::Confirmed,
        ClaimState::Declined,
        ClaimState::Withdrawn,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ClaimState::Committed => "committed",
            ClaimState::InProgress => "in_progress",
            ClaimState::Delivered => "delivered",
            ClaimState::Confirmed => "confirmed",
            ClaimState::Declined => "declined",
            ClaimState::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimState::Committed => "Committed",
            ClaimState::InProgress => "In progress",
            ClaimState::Delivered => "Delivered",
            ClaimState::Confirmed => "Confirmed",
            ClaimState::Declined => "Declined",
            ClaimState::Withdrawn => "Withdrawn",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ClaimState> {
        ClaimState::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// Whether the claim still counts against the need's remainder.
    pub fn is_active(self) -> bool {
        !matches!(self, ClaimState::Declined | ClaimState::Withdrawn)
    }
}

/// Who is acting on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The maker who claimed.
    Provider,
    /// Who declared the need.
    Receiver,
}

/// One step of a claim's life: each is its own call, made by one party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimAction {
    /// The maker starts making (committed → in progress).
    Start,
    /// The maker has handed it over (in progress → delivered).
    Deliver,
    /// The receiver confirms the delivery (delivered → confirmed).
    Confirm,
    /// The receiver turns the claim or its delivery down.
    Decline,
    /// The maker gives the claim up before delivering.
    Withdraw,
}

impl ClaimAction {
    pub const ALL: [ClaimAction; 5] = [
        ClaimAction::Start,
        ClaimAction::Deliver,
        ClaimAction::Confirm,
        ClaimAction::Decline,
        ClaimAction::Withdraw,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ClaimAction::Start => "start",
            ClaimAction::Deliver => "deliver",
            ClaimAction::Confirm => "confirm",
            ClaimAction::Decline => "decline",
            ClaimAction::Withdraw => "withdraw",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ClaimAction> {
        ClaimAction::ALL.into_iter().find(|a| a.slug() == slug)
    }

    /// What a button doing it says.
    pub fn label(self) -> &'static str {
        match self {
            ClaimAction::Start => "Start making",
            ClaimAction::Deliver => "Mark delivered",
            ClaimAction::Confirm => "Confirm delivery",
            ClaimAction::Decline => "Decline",
            ClaimAction::Withdraw => "Withdraw",
        }
    }

    /// Who may do it.
    pub fn party(self) -> Party {
        match self {
            ClaimAction::Start | ClaimAction::Deliver | ClaimAction::Withdraw => Party::Provider,
            ClaimAction::Confirm | ClaimAction::Decline => Party::Receiver,
        }
    }

    /// The states it may be done in.
    pub fn from_states(self) -> &'static [ClaimState] {
        use ClaimState::*;
        match self {
            ClaimAction::Start => &[Committed],
            ClaimAction::Deliver => &[Committed, InProgress],
            ClaimAction::Confirm => &[Delivered],
            ClaimAction::Decline => &[Committed, InProgress, Delivered],
            ClaimAction::Withdraw => &[Committed, InProgress],
        }
    }

    /// The state it leads to.
    pub fn to_state(self) -> ClaimState {
        match self {
            ClaimAction::Start => ClaimState::InProgress,
            ClaimAction::Deliver => ClaimState::Delivered,
            ClaimAction::Confirm => ClaimState::Confirmed,
            ClaimAction::Decline => ClaimState::Declined,
            ClaimAction::Withdraw => ClaimState::Withdrawn,
        }
    }

    /// The next state from `state`, or why not.
    pub fn apply(self, state: ClaimState) -> Result<ClaimState, StepNotAllowed> {
        if self.from_states().contains(&state) {
            Ok(self.to_state())
        } else {
            Err(StepNotAllowed {
                action: self,
                state,
            })
        }
    }

    /// What `party` may do to a claim in `state`.
    pub fn allowed(state: ClaimState, party: Party) -> Vec<ClaimAction> {
        ClaimAction::ALL
            .into_iter()
            .filter(|a| a.party() == party && a.from_states().contains(&state))
            .collect()
    }
}

/// A claim step its claim's state does not allow (confirming a claim that
/// is not delivered yet). Its `Display` is the sentence a person reads:
/// "This claim is in progress now, so it cannot be confirmed."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepNotAllowed {
    pub action: ClaimAction,
    pub state: ClaimState,
}

impl std::fmt::Display for StepNotAllowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "This claim is {} now, so it cannot be {}.",
            self.state.label().to_lowercase(),
            match self.action {
                ClaimAction::Start => "started",
                ClaimAction::Deliver => "marked delivered",
                ClaimAction::Confirm => "confirmed",
                ClaimAction::Decline => "declined",
                ClaimAction::Withdraw => "withdrawn",
            }
        )
    }
}

impl std::error::Error for StepNotAllowed {}

/// `POST /api/needs/{id}/claims`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimInput {
    /// How much of the need to make, in the need's unit: 0.001 to
    /// 1,000,000, with at most three decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.001, maximum = 1_000_000))]
    pub quantity: f64,
    /// Who makes it: an organization the sender stewards; the sender when
    /// absent.
    #[serde(default)]
    pub provider: Option<AgentId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: String,
}

impl ClaimInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_amount(&mut errors, "quantity", self.quantity, "The quantity");
        optional_text(&mut errors, "note", &self.note, "The note", 500);
        errors.into_result(())
    }
}

/// A claim on a need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claim {
    pub id: u64,
    pub need: u64,
    /// What the need is for.
    pub what: String,
    pub provider: AgentRef,
    pub receiver: AgentRef,
    /// Who made the claim: the provider, or a steward of it. They take the
    /// maker's steps.
    pub claimed_by: AgentId,
    /// Who declared the need: the receiver, or a steward of it. They take
    /// the receiver's steps.
    pub declared_by: AgentId,
    pub quantity: Quantity,
    pub state: ClaimState,
    pub note: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Claim {
    /// The parties `agent` acts as on this claim.
    pub fn parties(&self, agent: &AgentId) -> Vec<Party> {
        let mut parties = Vec::new();
        if *agent == self.claimed_by || *agent == self.provider.id {
            parties.push(Party::Provider);
        }
        if *agent == self.declared_by || *agent == self.receiver.id {
            parties.push(Party::Receiver);
        }
        parties
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_claim_action_belongs_to_one_party_and_some_states() {
        use ClaimAction::*;
        use ClaimState::*;
        assert_eq!(Start.apply(Committed), Ok(InProgress));
        assert_eq!(Deliver.apply(InProgress), Ok(Delivered));
        assert_eq!(Confirm.apply(Delivered), Ok(Confirmed));
        assert_eq!(
            Confirm.apply(InProgress),
            Err(StepNotAllowed {
                action: Confirm,
                state: InProgress
            })
        );
        assert_eq!(
            Confirm.apply(InProgress).unwrap_err().to_string(),
            "This claim is in progress now, so it cannot be confirmed."
        );
        assert!(Withdraw.apply(Delivered).is_err());
        assert!(Start.apply(Withdrawn).is_err());
        assert_eq!(
            ClaimAction::allowed(Committed, Party::Provider),
            [Start, Deliver, Withdraw]
        );
        assert_eq!(
            ClaimAction::allowed(Delivered, Party::Receiver),
            [Confirm, Decline]
        );
        assert!(ClaimAction::allowed(Confirmed, Party::Receiver).is_empty());
        for state in ClaimState::ALL {
            assert_eq!(
                state.is_active(),
                !matches!(state, Declined | Withdrawn),
                "{state:?}"
            );
        }
    }
}
