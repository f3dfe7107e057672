//! Stigmergy's core: the types that cross the wire between the browser app and
//! the server, their validation, and pure domain rules. No IO; it builds for
//! `wasm32-unknown-unknown` and for the host alike, so both sides share one
//! definition of what a valid design or query is.
//!
//! Names follow the ValueFlows 1.0 vocabulary where it has one (see
//! `shared/DESIGN.md`): a design is a `ResourceSpecification`, its bill of
//! materials a `Recipe` of `RecipeProcess`es and `RecipeFlow`s.

pub mod account;
pub mod agent;
pub mod design;
pub mod error;
pub mod geo;
pub mod ledger;
pub mod licence;
pub mod live;
pub mod map;
pub mod map_layout;
pub mod matching;
pub mod needs;
pub mod organization;
pub mod page;
#[cfg(feature = "planner")]
pub mod planner;
pub mod process;
pub mod query;
pub mod recipe;
pub mod submission;
pub mod time;
pub mod unit;
mod validate;

pub use account::{
    AccountInput, LoginInput, Me, NewToken, RegisterInput, TokenInput, TokenSummary,
};
pub use agent::{AgentId, AgentInput, AgentKind, AgentRef, InvalidId, Place};
pub use design::{
    ContributorInput, ContributorRole, Credit, Design, DesignDraft, DesignEdit, DesignId,
    DesignInput, DesignRef, DesignSummary, Facet, Facets, ForkInput, ImportBundle, ImportReport,
    Lineage, NewDesign, VersionSummary, slug_from_name,
};
pub use error::{ApiError, ErrorBody, FieldErrors};
pub use licence::Licence;
pub use live::{Change, LiveEvent};
pub use map::{AgentRole, Chain, ChainLink, ChainNode, Flow, FlowKind, FlowMap, MapAgent};
pub use matching::{Fit, MakerMatch, NeedMatch};
pub use needs::{
    AskDecision, AskState, Capacity, CapacityInput, CapacityQuery, Claim, ClaimAction, ClaimInput,
    ClaimState, CoalitionAsk, CoalitionPlan, EconomicEvent, EventAction, Gap, Gaps, Need,
    NeedInput, NeedQuery, NeedState, Party, PlanRow, RawCapacityQuery, RawNeedQuery,
};
pub use organization::{
    AgentProfile, CoalitionInput, Decision, JoinRequest, Member, Membership, MembershipInput,
    MembershipRole, MembershipState, Organization, OrganizationInput, PendingRequest, ProfileInput,
};
pub use page::Page;
pub use process::ProcessKind;
pub use query::{DesignQuery, RawDesignQuery};
pub use recipe::{BillOfMaterials, MaterialInput, RecipeProcess};
pub use time::Timestamp;
pub use unit::{AmountError, Bounds, Milli, Quantity, Unit};
