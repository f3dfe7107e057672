//! Organizations (microfactories, cooperatives, suppliers, hubs), the
//! coalitions among them, and who belongs to which (VF `AgentRelationship`
//! as `{subject, object, role}`).

use serde::{Deserialize, Serialize};

use crate::validate::{optional_text, text};
use crate::{AgentId, AgentKind, AgentRef, FieldErrors, Licence, Place, Timestamp};

/// A member's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MembershipRole {
    Member,
    /// Admits members and, later, sets the value equation and plans.
    Steward,
}

impl MembershipRole {
    pub fn label(self) -> &'static str {
        match self {
            MembershipRole::Member => "Member",
            MembershipRole::Steward => "Steward",
        }
    }
}

/// `POST /api/organizations`: the person who sends it becomes its first steward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationInput {
    /// Made from the name when absent.
    #[serde(default)]
    pub id: Option<AgentId>,
    pub name: String,
    /// Any kind but `person`.
    pub kind: AgentKind,
    #[serde(default)]
    pub note: String,
    pub place: Place,
    /// When present, the organization is a coalition formed around these
    /// commons licences (at least one).
    #[serde(default)]
    pub coalition_licences: Option<Vec<Licence>>,
}

impl OrganizationInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        text(&mut errors, "name", &self.name, "The name", 120);
        optional_text(&mut errors, "note", &self.note, "The note", 2000);
        if self.kind == AgentKind::Person {
            errors.add(
                "kind",
                "An organization is a microfactory, cooperative, supplier or hub.",
            );
        }
        if let Err(place) = self.place.validate() {
            errors.merge_under("place", place);
        }
        if self.coalition_licences.as_ref().is_some_and(Vec::is_empty) {
            errors.add(
                "coalition_licences",
                "A coalition forms around at least one licence.",
            );
        }
        errors.into_result(())
    }
}

/// An active member of an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub agent: AgentRef,
    pub role: MembershipRole,
    pub since: Timestamp,
}

/// An organization, its coalition licences if it is one, and its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organization {
    pub agent: AgentRef,
    pub note: String,
    /// The licences a coalition adheres to; `None` for other organizations.
    pub coalition_licences: Option<Vec<Licence>>,
    pub members: Vec<Member>,
}

/// `POST /api/organizations/{id}/join`: ask to join, as yourself or as an
/// organization you steward.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinRequest {
    /// The agent that would join; yourself when absent.
    #[serde(default)]
    pub member: Option<AgentId>,
}

/// A request to join that waits for a steward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingRequest {
    pub agent: AgentRef,
    pub requested_at: Timestamp,
}

/// Where an agent stands with an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MembershipState {
    Requested,
    Active,
    Declined,
}

/// `POST /api/organizations/{id}/requests/{member}`: a steward's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub approve: bool,
    /// The role to give when approving (member unless said).
    #[serde(default)]
    pub role: Option<MembershipRole>,
}

/// A person's own profile: `PUT /api/me/profile`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileInput {
    pub name: String,
    #[serde(default)]
    pub note: String,
    /// Where you are, if you want to say.
    #[serde(default)]
    pub place: Option<Place>,
}

impl ProfileInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        text(&mut errors, "name", &self.name, "The name", 120);
        optional_text(&mut errors, "note", &self.note, "The note", 2000);
        if let Some(Err(place)) = self.place.as_ref().map(Place::validate) {
            errors.merge_under("place", place);
        }
        errors.into_result(())
    }
}

/// An organization an agent belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    pub organization: AgentRef,
    pub role: MembershipRole,
}

/// In an import bundle: an organization of the bundle that is a coalition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoalitionInput {
    pub agent: AgentId,
    pub licences: Vec<Licence>,
}

/// In an import bundle: an active membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipInput {
    pub organization: AgentId,
    pub member: AgentId,
    pub role: MembershipRole,
}

/// Any agent as the public sees it: `GET /api/agents/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentProfile {
    pub agent: AgentRef,
    pub note: String,
    pub memberships: Vec<Membership>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fab_lab() -> OrganizationInput {
        OrganizationInput {
            id: None,
            name: "Fab Lab Kumasi".into(),
            kind: AgentKind::Microfactory,
            note: "Laser cutter, two FDM printers and a CNC router.".into(),
            place: Place {
                name: "Kumasi, Ghana".into(),
                lat: 6.69,
                lon: -1.62,
            },
            coalition_licences: None,
        }
    }

    #[test]
    fn an_organization_needs_a_name_a_place_and_a_kind_that_is_not_a_person() {
        assert_eq!(fab_lab().validate(), Ok(()));
        let mut bad = fab_lab();
        bad.kind = AgentKind::Person;
        bad.place.lat = 120.0;
        bad.coalition_licences = Some(vec![]);
        let errors = bad.validate().unwrap_err();
        for field in ["kind", "place.lat", "coalition_licences"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn a_profile_may_leave_the_place_out_but_not_get_it_wrong() {
        let mut profile = ProfileInput {
            name: "Ana".into(),
            note: String::new(),
            place: None,
        };
        assert_eq!(profile.validate(), Ok(()));
        profile.place = Some(Place {
            name: "Porto".into(),
            lat: 41.15,
            lon: 200.0,
        });
        assert!(profile.validate().unwrap_err().get("place.lon").is_some());
    }
}
