//! Who may act for whom: the stewards of an organization act for it, and
//! a write names who acts (the sender, or an organization they steward).

use stigmergy_core::{AgentId, MembershipRole, MembershipState};

use crate::AppState;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::store::StoreError;

/// Who acts: the sender, or an organization they steward.
pub(crate) async fn acting_as(
    state: &AppState,
    auth: &Auth,
    on_behalf: Option<&AgentId>,
    field: &str,
    doing: &str,
) -> AppResult<AgentId> {
    match on_behalf {
        None => Ok(auth.handle.clone()),
        Some(id) if *id == auth.handle => Ok(id.clone()),
        Some(id) => {
            if is_steward(state, id, &auth.handle).await? {
                return Ok(id.clone());
            }
            // Refused: say whether there is no such organization at all.
            match state.store.organization(id).await {
                Err(StoreError::NotFound) => Err(AppError::field(
                    field,
                    format!("There is no organization {id}."),
                )),
                Err(other) => Err(other.into()),
                Ok(_) => Err(not_steward(id, doing)),
            }
        }
    }
}

/// Refuses unless `who` is an active steward of `organization`.
pub(crate) async fn require_steward(
    state: &AppState,
    organization: &AgentId,
    who: &AgentId,
    doing: &str,
) -> AppResult<()> {
    if is_steward(state, organization, who).await? {
        Ok(())
    } else {
        Err(not_steward(organization, doing))
    }
}

async fn is_steward(state: &AppState, organization: &AgentId, who: &AgentId) -> AppResult<bool> {
    Ok(matches!(
        state.store.membership(organization, who).await?,
        Some((MembershipRole::Steward, MembershipState::Active))
    ))
}

fn not_steward(organization: &AgentId, doing: &str) -> AppError {
    AppError::Forbidden(format!("Only the stewards of {organization} can {doing}."))
}
