//! Agents (VF `Person` / `Organization`) and where they are.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;
use crate::validate::{optional_text, text};

/// A stable, URL-safe id: lowercase letters, digits and single hyphens,
/// 2 to 80 characters (`openflexure-microscope`, `fab-lab-barcelona`).
pub(crate) fn is_slug(id: &str) -> bool {
    (2..=80).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// Text that is not an id: not 2 to 80 lowercase letters, digits and single
/// hyphens. Its `Display` is the sentence a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidId;

impl std::fmt::Display for InvalidId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "Use 2 to 80 lowercase letters, digits and single hyphens (like open-microscope).",
        )
    }
}

impl std::error::Error for InvalidId {}

/// The sentence, for a field's message ([`FieldErrors::add`]).
impl From<InvalidId> for String {
    fn from(error: InvalidId) -> String {
        error.to_string()
    }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        // 2 to 80 characters, as `is_slug` says.
        #[cfg_attr(feature = "openapi", schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id, saying what is wrong with it.
            pub fn parse(id: &str) -> Result<Self, $crate::agent::InvalidId> {
                if $crate::agent::is_slug(id) {
                    Ok(Self(id.to_owned()))
                } else {
                    Err($crate::agent::InvalidId)
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::agent::InvalidId;
            fn try_from(id: String) -> Result<Self, Self::Error> {
                Self::parse(&id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use slug_id;

slug_id!(
    /// An agent's id.
    AgentId
);

/// What kind of agent this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    Person,
    Microfactory,
    Cooperative,
    Supplier,
    Hub,
}

impl AgentKind {
    pub fn label(self) -> &'static str {
        match self {
            AgentKind::Person => "Person",
            AgentKind::Microfactory => "Microfactory",
            AgentKind::Cooperative => "Cooperative",
            AgentKind::Supplier => "Supplier",
            AgentKind::Hub => "Hub",
        }
    }
}

/// A named place with coordinates (VF `SpatialThing`), in WGS 84 degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    /// The place's name for people ("Barcelona, Spain").
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: f64,
}

impl Place {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        text(&mut errors, "name", &self.name, "The place's name", 120);
        if !(-90.0..=90.0).contains(&self.lat) {
            errors.add("lat", "Latitude must be between -90 and 90 degrees.");
        }
        if !(-180.0..=180.0).contains(&self.lon) {
            errors.add("lon", "Longitude must be between -180 and 180 degrees.");
        }
        errors.into_result(())
    }
}

/// An agent as other records show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRef {
    pub id: AgentId,
    pub name: String,
    pub kind: AgentKind,
    /// Where the agent is; a person may not say.
    pub place: Option<Place>,
}

/// An agent to create (or import).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentInput {
    pub id: AgentId,
    pub name: String,
    pub kind: AgentKind,
    #[serde(default)]
    pub note: String,
    pub place: Place,
}

impl AgentInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        text(&mut errors, "name", &self.name, "The name", 120);
        optional_text(&mut errors, "note", &self.note, "The note", 2000);
        if let Err(place) = self.place.validate() {
            errors.merge_under("place", place);
        }
        errors.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_slugs() {
        assert!(AgentId::parse("fab-lab-barcelona").is_ok());
        for bad in [
            "", "a", "Fab-Lab", "fab lab", "-fab", "fab-", "fab--lab", "fáb",
        ] {
            assert!(AgentId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(serde_json::from_str::<AgentId>("\"Not A Slug\"").is_err());
    }

    #[test]
    fn places_need_a_name_and_coordinates_on_earth() {
        let place = Place {
            name: "Nairobi, Kenya".into(),
            lat: -1.29,
            lon: 36.82,
        };
        assert!(place.validate().is_ok());
        let errors = Place {
            name: " ".into(),
            lat: 91.0,
            lon: -181.0,
        }
        .validate()
        .unwrap_err();
        assert!(errors.get("name").is_some());
        assert!(errors.get("lat").is_some());
        assert!(errors.get("lon").is_some());
    }
}
