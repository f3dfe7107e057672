//! The stigmergic signals: needs (VF `Intent` with a receiver, published as
//! a request), capacity (VF `Proposal` of an offer) and claims (VF
//! `Commitment`s that satisfy a need), the economic events a confirmed
//! delivery records, and what a maker or a coalition reads from them: the
//! gap signal and the coalition's allocation plan.
//!
//! Quantities of needs and claims are counted in thousandths on the server
//! (see [`crate::unit::to_milli`]) so that the remainder never drifts by a
//! rounding error.

mod asks;
mod capacity;
mod claim;
mod event;
mod gaps;
mod need;
mod need_query;
mod plan;

pub use asks::{AskDecision, AskState, CoalitionAsk};
pub use capacity::{
    Capacity, CapacityInput, CapacityQuery, DEFAULT_CAPACITY_LIMIT, MAX_CAPACITY_LIMIT,
    MAX_CAPACITY_MATERIALS, MAX_CAPACITY_PROCESSES, RawCapacityQuery,
};
pub use claim::{Claim, ClaimAction, ClaimInput, ClaimState, Party, StepNotAllowed};
pub use event::{EconomicEvent, EventAction};
pub use gaps::{GAPS_LIMIT, Gap, Gaps, region_of};
pub use need::{MAX_NEED_QUANTITY, Need, NeedInput, NeedState};
pub use need_query::{NeedQuery, RawNeedQuery};
pub use plan::{CoalitionPlan, PlanRow};
