//! Needs (VF `Intent` with a receiver, published as a request): what is
//! needed, how much, by when and where, and where it stands.

use serde::{Deserialize, Serialize};

use crate::time::{check_date, check_not_past};
use crate::validate::{optional_text, text};
use crate::{
    AgentId, AgentRef, Bounds, DesignId, DesignRef, FieldErrors, Milli, Place, ProcessKind,
    Quantity, Timestamp, Unit,
};

use super::CoalitionAsk;

/// The largest quantity a need or claim may ask for.
pub const MAX_NEED_QUANTITY: f64 = 1_000_000.0;

/// Checks an amount of a need or a claim: more than zero, at most
/// [`MAX_NEED_QUANTITY`], in whole thousandths.
pub(super) fn check_amount(errors: &mut FieldErrors, field: &str, value: f64, label: &str) {
    Milli::check(
        errors,
        field,
        value,
        Bounds::positive(MAX_NEED_QUANTITY),
        label,
    );
}

/// `POST /api/needs`: what is needed, how much, by when and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedInput {
    /// The design to make; or else `resource` says what is needed.
    #[serde(default)]
    pub design: Option<DesignId>,
    /// What is needed when it is not a design ("PETG sheet, 0.5 mm").
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 120))]
    pub resource: Option<String>,
    /// How much; pieces for a design.
    pub quantity: Quantity,
    /// The smallest claim that helps (in the same unit); a claim for the
    /// whole remainder is always allowed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0.001, maximum = 1_000_000))]
    pub minimum_quantity: Option<f64>,
    /// The date it is needed by (`2026-12-24`), not in the past.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub due: String,
    /// Where it is needed.
    pub place: Place,
    /// The coalition it is asked of, if any.
    #[serde(default)]
    pub coalition: Option<AgentId>,
    /// Who receives it: an organization the sender stewards; the sender
    /// when absent.
    #[serde(default)]
    pub receiver: Option<AgentId>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: String,
}

impl NeedInput {
    /// [`NeedInput::validate`], and a due date that is not before `today`
    /// (`2026-12-24`), as the server checks it when the need is declared.
    pub fn validate_on(&self, today: &str) -> Result<(), FieldErrors> {
        let mut errors = self.validate().err().unwrap_or_default();
        check_not_past(&mut errors, "due", &self.due, "The due date", today);
        errors.into_result(())
    }

    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        match (&self.design, self.resource.as_deref().map(str::trim)) {
            (None, None | Some("")) => {
                errors.add("design", "Choose a design, or say what resource is needed.")
            }
            (Some(_), Some(r)) if !r.is_empty() => errors.add(
                "resource",
                "A need is for a design or for a resource, not both.",
            ),
            (None, Some(r)) => text(&mut errors, "resource", r, "The resource", 120),
            _ => {}
        }
        if self.design.is_some() && self.quantity.unit != Unit::Piece {
            errors.add("quantity", "Designs are counted in pieces.");
        }
        check_amount(&mut errors, "quantity", self.quantity.value, "The quantity");
        if let Some(minimum) = self.minimum_quantity {
            check_amount(&mut errors, "minimum_quantity", minimum, "The minimum");
            if minimum > self.quantity.value {
                errors.add(
                    "minimum_quantity",
                    "The minimum cannot be more than the quantity.",
                );
            }
        }
        check_date(&mut errors, "due", &self.due, "The due date");
        if let Err(place) = self.place.validate() {
            errors.merge_under("place", place);
        }
        optional_text(&mut errors, "note", &self.note, "The note", 2000);
        errors.into_result(())
    }
}

/// Where a need stands, derived from its claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NeedState {
    /// Some of it is still unclaimed.
    Open,
    /// All of it is claimed; not all confirmed delivered yet.
    Claimed,
    /// All of it has been delivered and confirmed.
    Fulfilled,
}

impl NeedState {
    pub const ALL: [NeedState; 3] = [NeedState::Open, NeedState::Claimed, NeedState::Fulfilled];

    pub fn slug(self) -> &'static str {
        match self {
            NeedState::Open => "open",
            NeedState::Claimed => "claimed",
            NeedState::Fulfilled => "fulfilled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NeedState::Open => "Open",
            NeedState::Claimed => "Fully claimed",
            NeedState::Fulfilled => "Fulfilled",
        }
    }

    pub fn from_slug(slug: &str) -> Option<NeedState> {
        NeedState::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// The state of a need of `quantity` with `claimed` in active claims,
    /// `confirmed` of them delivered and confirmed (all in thousandths).
    pub fn of(quantity: i64, claimed: i64, confirmed: i64) -> NeedState {
        if claimed < quantity {
            NeedState::Open
        } else if confirmed < quantity {
            NeedState::Claimed
        } else {
            NeedState::Fulfilled
        }
    }
}

/// A need as everyone sees it, with its open remainder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Need {
    pub id: u64,
    /// What is needed, for people: the design's name or the resource.
    pub what: String,
    pub design: Option<DesignRef>,
    /// The process kinds the design's bill of materials uses.
    pub processes: Vec<ProcessKind>,
    pub quantity: Quantity,
    pub minimum_quantity: Option<f64>,
    /// quantity − Σ active claims; never below zero.
    pub remainder: f64,
    /// Σ claims committed or in progress.
    pub committed: f64,
    /// Σ claims delivered or confirmed.
    pub delivered: f64,
    pub state: NeedState,
    pub due: String,
    pub place: Place,
    /// The coalition whose need this is: it counts in that coalition's gap
    /// signal, plans, map and accounts. Set only once the coalition took it
    /// on (see `asked_of`).
    pub coalition: Option<AgentRef>,
    /// The coalition it was asked of, and its answer: accepted at once when
    /// an active member declared it, else waiting for a steward.
    #[serde(default)]
    pub asked_of: Option<CoalitionAsk>,
    pub receiver: AgentRef,
    /// Who declared it (a steward, when the receiver is an organization).
    pub declared_by: AgentId,
    pub note: String,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need() -> NeedInput {
        NeedInput {
            design: Some(DesignId::parse("face-shield-petg").unwrap()),
            resource: None,
            quantity: Quantity::new(200.0, Unit::Piece),
            minimum_quantity: Some(20.0),
            due: "2026-12-24".into(),
            place: Place {
                name: "Accra, Ghana".into(),
                lat: 5.6,
                lon: -0.19,
            },
            coalition: None,
            receiver: None,
            note: String::new(),
        }
    }

    #[test]
    fn a_need_names_a_design_or_a_resource_a_quantity_a_date_and_a_place() {
        assert_eq!(need().validate(), Ok(()));
        let mut bad = need();
        bad.design = None;
        bad.quantity.value = 0.0;
        bad.minimum_quantity = Some(500.0);
        bad.due = "2026-02-30".into();
        bad.place.lat = 91.0;
        let errors = bad.validate().unwrap_err();
        for field in ["design", "quantity", "minimum_quantity", "due", "place.lat"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let mut kilos = need();
        kilos.quantity.unit = Unit::Kilogram;
        assert!(kilos.validate().unwrap_err().get("quantity").is_some());
    }

    #[test]
    fn the_state_of_a_need_follows_its_claims() {
        assert_eq!(NeedState::of(10_000, 4_000, 0), NeedState::Open);
        assert_eq!(NeedState::of(10_000, 10_000, 4_000), NeedState::Claimed);
        assert_eq!(NeedState::of(10_000, 10_000, 10_000), NeedState::Fulfilled);
    }

    #[test]
    fn amounts_of_needs_are_checked_in_thousandths() {
        let mut errors = FieldErrors::new();
        check_amount(&mut errors, "q", 2.0005, "The quantity");
        assert!(errors.get("q").unwrap().contains("three decimals"));
        check_amount(&mut errors, "tiny", 1.07e-146, "The quantity");
        assert!(errors.get("tiny").unwrap().contains("at least 0.001"));
    }
}
