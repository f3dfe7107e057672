//! The stigmergic signals: needs (VF `Intent` with a receiver, published as
//! a request), capacity (VF `Proposal` of an offer) and claims (VF
//! `Commitment`s that satisfy a need), and the economic events a confirmed
//! delivery records.
//!
//! Quantities of needs and claims are counted in thousandths on the server
//! (see [`to_milli`]) so that the remainder never drifts by a rounding error.

use serde::{Deserialize, Serialize};

use crate::query::non_empty as filled;
use crate::validate::{optional_text, text};
use crate::{AgentId, AgentRef, DesignId, DesignRef, FieldErrors, Place, ProcessKind, Quantity};
use crate::{Bounds, Milli, Timestamp, Unit};

/// The largest quantity a need or claim may ask for.
pub const MAX_NEED_QUANTITY: f64 = 1_000_000.0;

/// A quantity in thousandths of its unit: how the server stores and sums it.
pub fn to_milli(value: f64) -> i64 {
    (value * 1000.0).round() as i64
}

/// A quantity from thousandths of its unit.
pub fn from_milli(milli: i64) -> f64 {
    milli as f64 / 1000.0
}

/// The great-circle distance between two places in kilometres (haversine,
/// on a sphere of the Earth's mean radius).
pub fn distance_km(a_lat: f64, a_lon: f64, b_lat: f64, b_lon: f64) -> f64 {
    use crate::geo::EARTH_RADIUS_KM;
    let (a_lat, b_lat) = (a_lat.to_radians(), b_lat.to_radians());
    let d_lat = b_lat - a_lat;
    let d_lon = (b_lon - a_lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + a_lat.cos() * b_lat.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Checks an ISO calendar date (`2026-12-24`): the layout and a day that
/// exists in its month.
pub fn check_date(errors: &mut FieldErrors, field: &str, date: &str, label: &str) {
    let parts: Vec<&str> = date.split('-').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let ok = match parts.as_slice() {
        [y, m, d] => match (number(y, 4), number(m, 2), number(d, 2)) {
            (Some(y), Some(m @ 1..=12), Some(d)) => {
                let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
                let days = match m {
                    2 if leap => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                (1..=days).contains(&d)
            }
            _ => false,
        },
        _ => false,
    };
    if !ok {
        errors.add(field, format!("{label} must be a date like 2026-12-24."));
    }
}

fn check_amount(errors: &mut FieldErrors, field: &str, value: f64, label: &str) {
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

    /// The next state from `state`, or why not, for a person.
    pub fn apply(self, state: ClaimState) -> Result<ClaimState, String> {
        if self.from_states().contains(&state) {
            Ok(self.to_state())
        } else {
            Err(format!(
                "This claim is {} now, so it cannot be {}.",
                state.label().to_lowercase(),
                match self {
                    ClaimAction::Start => "started",
                    ClaimAction::Deliver => "marked delivered",
                    ClaimAction::Confirm => "confirmed",
                    ClaimAction::Decline => "declined",
                    ClaimAction::Withdraw => "withdrawn",
                }
            ))
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

/// `POST /api/capacities`: what a maker or microfactory can make, how
/// fast, when and how far away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapacityInput {
    /// An organization the sender stewards; the sender when absent.
    #[serde(default)]
    pub provider: Option<AgentId>,
    /// 1 to 50 process kinds.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub processes: Vec<ProcessKind>,
    /// At most 30 names, each 1 to 80 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 30))]
    pub materials: Vec<String>,
    /// Units a week: 0.001 to 100,000, with at most three decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.001, maximum = 100_000))]
    pub rate: f64,
    /// Available from this date (`2026-12-01`)…
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub available_from: String,
    /// …until this one, or open-ended.
    #[serde(default)]
    pub available_until: Option<String>,
    /// How far it delivers, in km: 0 to 20,000, with at most three
    /// decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 20_000))]
    pub radius_km: f64,
    pub place: Place,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: String,
}

/// The most process kinds one capacity lists.
pub const MAX_CAPACITY_PROCESSES: usize = 50;
/// The most materials one capacity lists.
pub const MAX_CAPACITY_MATERIALS: usize = 30;

impl CapacityInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.processes.is_empty() {
            errors.add("processes", "Choose at least one process you can run.");
        }
        crate::validate::at_most(
            &mut errors,
            "processes",
            self.processes.len(),
            MAX_CAPACITY_PROCESSES,
            "processes",
        );
        crate::validate::at_most(
            &mut errors,
            "materials",
            self.materials.len(),
            MAX_CAPACITY_MATERIALS,
            "materials",
        );
        if let Some(bad) = self
            .materials
            .iter()
            .find(|m| m.trim().is_empty() || m.chars().count() > 80)
        {
            errors.add(
                "materials",
                format!("\u{201c}{bad}\u{201d} is not a material name (1 to 80 characters)."),
            );
        }
        Milli::check(
            &mut errors,
            "rate",
            self.rate,
            Bounds::positive(100_000.0),
            "The rate (units a week)",
        );
        check_date(
            &mut errors,
            "available_from",
            &self.available_from,
            "The start",
        );
        if let Some(until) = &self.available_until {
            check_date(&mut errors, "available_until", until, "The end");
            if until < &self.available_from {
                errors.add("available_until", "The end comes before the start.");
            }
        }
        Milli::check(
            &mut errors,
            "radius_km",
            self.radius_km,
            Bounds::zero_or_more(20_000.0),
            "The radius (km)",
        );
        if let Err(place) = self.place.validate() {
            errors.merge_under("place", place);
        }
        optional_text(&mut errors, "note", &self.note, "The note", 2000);
        errors.into_result(())
    }
}

/// Declared capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Capacity {
    pub id: u64,
    pub provider: AgentRef,
    pub processes: Vec<ProcessKind>,
    pub materials: Vec<String>,
    pub rate: f64,
    pub available_from: String,
    pub available_until: Option<String>,
    pub radius_km: f64,
    pub place: Place,
    pub note: String,
    /// Units the provider has in claims not yet delivered.
    pub committed: f64,
    pub created_at: Timestamp,
}

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

/// `GET /api/needs` as it arrives: every filter is text, checked by
/// [`RawNeedQuery::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RawNeedQuery {
    /// Needs for this design (its id).
    pub design: Option<String>,
    /// Needs whose design uses this process kind (slug).
    pub process: Option<String>,
    /// The needs of this coalition (its id): declared by its members or
    /// accepted by its stewards.
    pub coalition: Option<String>,
    /// Needs asked of this coalition (its id) that wait for its stewards'
    /// answer.
    pub asked_of: Option<String>,
    /// `lat,lon`: needs within `radius_km` of this point.
    pub near: Option<String>,
    /// The radius for `near`, in km (default 100).
    pub radius_km: Option<String>,
    /// `open` (the default), `claimed`, `fulfilled` or `all`.
    pub state: Option<String>,
    /// Needs this agent receives (its id).
    pub receiver: Option<String>,
    /// The opaque cursor of the next page.
    pub cursor: Option<String>,
    /// Needs per page, 1 to 100 (default 24).
    pub limit: Option<String>,
}

/// A checked needs query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NeedQuery {
    pub design: Option<DesignId>,
    pub process: Option<ProcessKind>,
    pub coalition: Option<AgentId>,
    /// Needs asked of this coalition, waiting for an answer.
    pub asked_of: Option<AgentId>,
    /// (lat, lon, radius in km)
    pub near: Option<(f64, f64, f64)>,
    /// `None` for every state.
    pub state: Option<NeedState>,
    pub receiver: Option<AgentId>,
    pub cursor: Option<String>,
    pub limit: u32,
}

impl RawNeedQuery {
    pub fn parse(&self) -> Result<NeedQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut query = NeedQuery {
            state: Some(NeedState::Open),
            limit: crate::query::DEFAULT_LIMIT,
            ..NeedQuery::default()
        };
        if let Some(design) = filled(&self.design) {
            match DesignId::parse(design) {
                Ok(id) => query.design = Some(id),
                Err(message) => errors.add("design", message),
            }
        }
        for (field, value, slot) in [
            ("coalition", &self.coalition, &mut query.coalition),
            ("asked_of", &self.asked_of, &mut query.asked_of),
            ("receiver", &self.receiver, &mut query.receiver),
        ] {
            if let Some(value) = filled(value) {
                match AgentId::parse(value) {
                    Ok(id) => *slot = Some(id),
                    Err(message) => errors.add(field, message),
                }
            }
        }
        if let Some(process) = filled(&self.process) {
            match ProcessKind::from_slug(process) {
                Some(kind) => query.process = Some(kind),
                None => errors.add(
                    "process",
                    format!("Unknown process kind \u{201c}{process}\u{201d}."),
                ),
            }
        }
        let radius = match filled(&self.radius_km).map(str::parse::<f64>) {
            None => 100.0,
            Some(Ok(r)) if r > 0.0 && r <= 20_000.0 => r,
            Some(_) => {
                errors.add(
                    "radius_km",
                    "The radius is a number of km from 1 to 20,000.",
                );
                100.0
            }
        };
        if let Some(near) = filled(&self.near) {
            let point = near
                .split_once(',')
                .and_then(|(lat, lon)| {
                    Some((
                        lat.trim().parse::<f64>().ok()?,
                        lon.trim().parse::<f64>().ok()?,
                    ))
                })
                .filter(|(lat, lon)| {
                    (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon)
                });
            match point {
                Some((lat, lon)) => query.near = Some((lat, lon, radius)),
                None => errors.add(
                    "near",
                    "Give a point as latitude,longitude, like 5.6,-0.19.",
                ),
            }
        } else if filled(&self.radius_km).is_some() {
            errors.add(
                "near",
                "A radius needs a point to measure from: add near=lat,lon.",
            );
        }
        match filled(&self.state) {
            None => {}
            Some("all") => query.state = None,
            Some(state) => match NeedState::from_slug(state) {
                Some(state) => query.state = Some(state),
                None => errors.add("state", "The state is open, claimed, fulfilled or all."),
            },
        }
        let (cursor, limit) = crate::query::page_params(
            &self.cursor,
            &self.limit,
            200,
            crate::query::MAX_LIMIT,
            &mut errors,
        );
        query.cursor = cursor;
        query.limit = limit.unwrap_or(query.limit);
        errors.into_result(query)
    }

    /// The query as `key=value&…`, leaving out what is empty.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("design", &self.design),
            ("process", &self.process),
            ("coalition", &self.coalition),
            ("near", &self.near),
            ("radius_km", &self.radius_km),
            ("state", &self.state),
            ("receiver", &self.receiver),
            ("cursor", &self.cursor),
            ("limit", &self.limit),
        ];
        pairs
            .into_iter()
            .filter_map(|(key, value)| {
                filled(value).map(|v| format!("{key}={}", crate::query::encode(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity() -> CapacityInput {
        CapacityInput {
            provider: None,
            processes: vec![ProcessKind::LaserCutting],
            materials: vec!["PETG sheet".into()],
            rate: 50.0,
            available_from: "2026-12-01".into(),
            available_until: None,
            radius_km: 100.0,
            place: Place {
                name: "Accra, Ghana".into(),
                lat: 5.6,
                lon: -0.19,
            },
            note: String::new(),
        }
    }

    #[test]
    fn a_capacity_lists_at_most_its_caps_of_processes_and_materials() {
        let mut full = capacity();
        full.processes = vec![ProcessKind::LaserCutting; MAX_CAPACITY_PROCESSES];
        full.materials = (0..MAX_CAPACITY_MATERIALS)
            .map(|i| format!("material {i}"))
            .collect();
        assert_eq!(full.validate(), Ok(()));
        let mut over = full;
        over.processes.push(ProcessKind::Assembly);
        over.materials.push("one too many".into());
        let errors = over.validate().unwrap_err();
        assert_eq!(
            errors.get("processes"),
            Some("At most 50 processes; this has 51.")
        );
        assert_eq!(
            errors.get("materials"),
            Some("At most 30 materials; this has 31.")
        );
    }

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
    fn dates_must_exist() {
        for (date, ok) in [
            ("2028-02-29", true),
            ("2026-02-29", false),
            ("2026-04-31", false),
            ("2026-12-01", true),
            ("26-12-01", false),
            ("2026-13-01", false),
            ("2026-1-01", false),
        ] {
            let mut errors = FieldErrors::new();
            check_date(&mut errors, "due", date, "The date");
            assert_eq!(errors.is_empty(), ok, "{date}");
        }
    }

    #[test]
    fn each_claim_action_belongs_to_one_party_and_some_states() {
        use ClaimAction::*;
        use ClaimState::*;
        assert_eq!(Start.apply(Committed), Ok(InProgress));
        assert_eq!(Deliver.apply(InProgress), Ok(Delivered));
        assert_eq!(Confirm.apply(Delivered), Ok(Confirmed));
        assert!(
            Confirm
                .apply(InProgress)
                .unwrap_err()
                .contains("in progress")
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

    #[test]
    fn the_state_of_a_need_follows_its_claims() {
        assert_eq!(NeedState::of(10_000, 4_000, 0), NeedState::Open);
        assert_eq!(NeedState::of(10_000, 10_000, 4_000), NeedState::Claimed);
        assert_eq!(NeedState::of(10_000, 10_000, 10_000), NeedState::Fulfilled);
    }

    #[test]
    fn quantities_count_in_thousandths() {
        assert_eq!(to_milli(0.125), 125);
        assert_eq!(to_milli(2.0), 2000);
        assert_eq!(from_milli(1500), 1.5);
        let mut errors = FieldErrors::new();
        check_amount(&mut errors, "q", 2.0005, "The quantity");
        assert!(errors.get("q").unwrap().contains("three decimals"));
        check_amount(&mut errors, "tiny", 1.07e-146, "The quantity");
        assert!(errors.get("tiny").unwrap().contains("at least 0.001"));
    }

    #[test]
    fn distances_are_great_circle_kilometres() {
        // Accra to Kumasi is about 200 km as the crow flies.
        let d = distance_km(5.6037, -0.187, 6.6885, -1.6244);
        assert!((195.0..205.0).contains(&d), "{d}");
        assert_eq!(distance_km(10.0, 20.0, 10.0, 20.0), 0.0);
        // Across the antimeridian: Fiji to Samoa, about 1,150 km.
        let d = distance_km(-18.14, 178.44, -13.83, -171.76);
        assert!((1_100.0..1_200.0).contains(&d), "{d}");
    }

    #[test]
    fn a_needs_query_checks_every_filter() {
        let query = RawNeedQuery {
            near: Some("5.6,-0.19".into()),
            radius_km: Some("250".into()),
            process: Some("laser-cutting".into()),
            state: Some("all".into()),
            ..RawNeedQuery::default()
        }
        .parse()
        .unwrap();
        assert_eq!(query.near, Some((5.6, -0.19, 250.0)));
        assert_eq!(query.process, Some(ProcessKind::LaserCutting));
        assert_eq!(query.state, None);
        assert_eq!(
            RawNeedQuery::default().parse().unwrap().state,
            Some(NeedState::Open)
        );
        let errors = RawNeedQuery {
            near: Some("somewhere".into()),
            radius_km: Some("-1".into()),
            process: Some("knitting".into()),
            state: Some("lost".into()),
            design: Some("Not A Slug".into()),
            limit: Some("1000".into()),
            ..RawNeedQuery::default()
        }
        .parse()
        .unwrap_err();
        for field in ["near", "radius_km", "process", "state", "design", "limit"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let raw = RawNeedQuery {
            near: Some("5.6,-0.19".into()),
            coalition: Some("open-hardware-africa".into()),
            ..RawNeedQuery::default()
        };
        assert_eq!(
            raw.to_query_string(),
            "coalition=open-hardware-africa&near=5.6%2C-0.19"
        );
    }

    #[test]
    fn the_region_is_the_last_part_of_a_place_name() {
        assert_eq!(region_of("Kumasi, Ghana"), "Ghana");
        assert_eq!(region_of("Lisbon"), "Lisbon");
    }
}
