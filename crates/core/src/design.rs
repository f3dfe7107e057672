//! Designs in the commons (VF `ResourceSpecification` with Open Know-How
//! fields): what they are, who made them, what they derive from.

use serde::{Deserialize, Serialize};

use crate::agent::slug_id;
use crate::validate::{optional_text, text};
use crate::{
    AgentId, AgentInput, AgentRef, BillOfMaterials, FieldErrors, Licence, ProcessKind, Timestamp,
};

slug_id!(
    /// A design's id, also its address (`/designs/openflexure-microscope`).
    DesignId
);

/// What a contributor did for a design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContributorRole {
    /// Started the design.
    Author,
    /// Looks after it now.
    Maintainer,
    /// Improved the design itself.
    Contributor,
    /// Wrote or translated its documentation.
    Documenter,
    /// Built and tested it, reporting back.
    Tester,
}

impl ContributorRole {
    pub fn label(self) -> &'static str {
        match self {
            ContributorRole::Author => "Author",
            ContributorRole::Maintainer => "Maintainer",
            ContributorRole::Contributor => "Contributor",
            ContributorRole::Documenter => "Documentation",
            ContributorRole::Tester => "Tester",
        }
    }
}

/// A design as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DesignSummary {
    pub id: DesignId,
    pub name: String,
    pub summary: String,
    pub licence: Licence,
    pub version: String,
    /// The process kinds its recipe uses, in order of first use.
    pub processes: Vec<ProcessKind>,
    pub tags: Vec<String>,
    /// The design this one is a fork of, if any.
    pub parent: Option<DesignRef>,
    pub updated_at: Timestamp,
}

/// A link to a design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DesignRef {
    pub id: DesignId,
    pub name: String,
}

/// Where a design comes from and what came from it (VF `derivativeOf`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lineage {
    pub parent: Option<DesignRef>,
    pub forks: Vec<DesignRef>,
}

/// A contributor credited on a design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credit {
    pub agent: AgentRef,
    pub role: ContributorRole,
}

/// A whole design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Design {
    pub id: DesignId,
    pub name: String,
    pub summary: String,
    /// Longer description, plain text with blank lines between paragraphs.
    pub description: String,
    pub licence: Licence,
    pub version: String,
    /// Which saved version this is: 1 for the first, counting up.
    pub revision: u32,
    /// Where the design files live, if outside the commons.
    pub repository: Option<String>,
    pub tags: Vec<String>,
    pub bill_of_materials: BillOfMaterials,
    pub contributors: Vec<Credit>,
    pub lineage: Lineage,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A contributor to credit, by agent id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributorInput {
    pub agent: AgentId,
    pub role: ContributorRole,
}

/// The fields of a design that its contributors edit; each save of them is
/// a new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DesignDraft {
    pub name: String,
    pub summary: String,
    #[serde(default)]
    pub description: String,
    pub licence: Licence,
    /// The version label people use ("2.1", "7.0.3-rc.1").
    pub version: String,
    #[serde(default)]
    pub repository: Option<String>,
    /// At most 12 tags.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub tags: Vec<String>,
    pub bill_of_materials: BillOfMaterials,
}

/// A design to add to the commons in an import: a draft with its id,
/// lineage and credits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DesignInput {
    pub id: DesignId,
    /// The design this one forks.
    #[serde(default)]
    pub parent: Option<DesignId>,
    pub contributors: Vec<ContributorInput>,
    #[serde(flatten)]
    pub draft: DesignDraft,
}

/// `POST /api/designs`: a new design; the person who sends it is its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDesign {
    /// The id to use; made from the name when absent.
    #[serde(default)]
    pub id: Option<DesignId>,
    #[serde(flatten)]
    pub draft: DesignDraft,
}

/// `PUT /api/designs/{id}`: a new version of a design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DesignEdit {
    /// The revision the edit starts from; if someone saved a newer one
    /// meanwhile, the edit is refused (409) rather than lost.
    pub base_revision: u32,
    /// What changed, in a line.
    #[serde(default)]
    pub note: String,
    #[serde(flatten)]
    pub draft: DesignDraft,
}

/// `POST /api/designs/{id}/fork`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForkInput {
    /// The fork's id; made from its name when absent.
    #[serde(default)]
    pub id: Option<DesignId>,
    /// The fork's name; "<original> (fork)" when absent.
    #[serde(default)]
    pub name: Option<String>,
}

/// One version of a design, as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionSummary {
    /// 1 for the first version, counting up with each save.
    pub revision: u32,
    /// The version label of that revision.
    pub version: String,
    pub name: String,
    pub note: String,
    /// Who is credited with this revision.
    pub credits: Vec<Credit>,
    pub created_at: Timestamp,
}

pub const MAX_TAGS: usize = 12;

impl DesignDraft {
    /// Checks everything that can be checked without a database; errors are
    /// keyed by field path.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        text(&mut errors, "name", &self.name, "The name", 120);
        text(&mut errors, "summary", &self.summary, "The summary", 280);
        optional_text(
            &mut errors,
            "description",
            &self.description,
            "The description",
            20_000,
        );
        check_version(&mut errors, &self.version);
        if let Some(repository) = &self.repository {
            let ok = (repository.starts_with("https://") || repository.starts_with("http://"))
                && repository.len() <= 300
                && !repository.contains(char::is_whitespace);
            if !ok {
                errors.add(
                    "repository",
                    "Give the repository as a web address (https://…).",
                );
            }
        }
        crate::validate::at_most(&mut errors, "tags", self.tags.len(), MAX_TAGS, "tags");
        // Tags are typed as one list, so the first faulty one is named
        // under `tags` rather than by its position.
        let faulty = self.tags.iter().find(|tag| {
            !(1..=40).contains(&tag.len())
                || !tag
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if let Some(tag) = faulty {
            errors.add(
                "tags",
                format!(
                    "\u{201c}{tag}\u{201d} is not a tag: tags are 1 to 40 lowercase letters, digits or hyphens."
                ),
            );
        }
        if let Err(bom) = self.bill_of_materials.validate() {
            errors.merge_under("bill_of_materials", bom);
        }
        errors.into_result(())
    }
}

impl DesignInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = self.draft.validate().err().unwrap_or_default();
        if self.parent.as_ref() == Some(&self.id) {
            errors.add("parent", "A design cannot be a fork of itself.");
        }
        if self.contributors.is_empty() {
            errors.add("contributors", "Credit at least one contributor.");
        }
        errors.into_result(())
    }
}

impl DesignEdit {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = self.draft.validate().err().unwrap_or_default();
        optional_text(&mut errors, "note", &self.note, "The note", 280);
        errors.into_result(())
    }
}

/// The ASCII letter under a common accented Latin one (`ö` → `o`).
fn fold_latin(c: char) -> char {
    match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' | 'ß' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        'ť' => 't',
        'ď' => 'd',
        other => other,
    }
}

/// A design id made from a name: lowercase ASCII words joined by hyphens
/// (`"Face shield, v2"` → `face-shield-v2`); `None` when nothing is left.
pub fn slug_from_name(name: &str) -> Option<DesignId> {
    let folded: String = name.chars().map(fold_latin).collect();
    let mut slug = String::new();
    for word in folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() + word.len() + 1 > 60 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    DesignId::parse(&slug).ok()
}

fn check_version(errors: &mut FieldErrors, version: &str) {
    let ok = (1..=32).contains(&version.len())
        && version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    if !ok {
        errors.add(
            "version",
            "Give a version like 1.0 or 2.3.1-beta (letters, digits, dots, hyphens).",
        );
    }
}

/// How many of each thing an import added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub agents: u64,
    pub designs: u64,
    pub accounts: u64,
}

/// A set of agents and designs to load in one go: the demo data and imports.
/// Designs may fork designs that come earlier in the list or already exist.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportBundle {
    #[serde(default)]
    pub agents: Vec<AgentInput>,
    #[serde(default)]
    pub designs: Vec<DesignInput>,
    /// Accounts for person agents, so they can sign in.
    #[serde(default)]
    pub accounts: Vec<crate::account::AccountInput>,
    /// Organizations of the bundle that are coalitions.
    #[serde(default)]
    pub coalitions: Vec<crate::organization::CoalitionInput>,
    /// Active memberships among the bundle's (or stored) agents.
    #[serde(default)]
    pub memberships: Vec<crate::organization::MembershipInput>,
}

/// A value that designs can be filtered by, with how many designs have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facet<T> {
    pub value: T,
    pub count: u64,
}

/// Every filter value in use in the commons, most used first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facets {
    pub licences: Vec<Facet<Licence>>,
    pub processes: Vec<Facet<ProcessKind>>,
    pub materials: Vec<Facet<String>>,
    pub tags: Vec<Facet<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MaterialInput, Quantity, RecipeProcess, Unit};

    fn face_shield() -> DesignInput {
        DesignInput {
            id: DesignId::parse("face-shield").unwrap(),
            parent: None,
            contributors: vec![ContributorInput {
                agent: AgentId::parse("ana-souza").unwrap(),
                role: ContributorRole::Author,
            }],
            draft: DesignDraft {
                name: "Face shield".into(),
                summary: "A laser-cut PETG visor with a printed headband.".into(),
                description: String::new(),
                licence: Licence::CcBy4,
                version: "3.1".into(),
                repository: Some("https://example.org/face-shield".into()),
                tags: vec!["health".into(), "ppe".into()],
                bill_of_materials: BillOfMaterials {
                    processes: vec![RecipeProcess {
                        name: "Cut the visor".into(),
                        process_kind: ProcessKind::LaserCutting,
                        machine_time: Some(Quantity::new(2.0, Unit::Minute)),
                        work: None,
                        inputs: vec![MaterialInput {
                            material: "PETG sheet 0.5 mm".into(),
                            quantity: Quantity::new(0.07, Unit::SquareMetre),
                            note: None,
                        }],
                    }],
                },
            },
        }
    }

    #[test]
    fn a_complete_design_is_valid() {
        assert_eq!(face_shield().validate(), Ok(()));
    }

    #[test]
    fn each_faulty_field_gets_its_own_message() {
        let mut design = face_shield();
        design.draft.name = "  ".into();
        design.draft.version = "v 2".into();
        design.draft.tags.push("Not A Tag".into());
        design.parent = Some(design.id.clone());
        design.contributors.clear();
        design.draft.repository = Some("ftp://x".into());
        design.draft.bill_of_materials.processes[0].inputs[0]
            .quantity
            .value = 0.0;
        let errors = design.validate().unwrap_err();
        for field in [
            "name",
            "version",
            "tags",
            "parent",
            "contributors",
            "repository",
            "bill_of_materials.processes[0].inputs[0].quantity",
        ] {
            assert!(
                errors.get(field).is_some(),
                "no error for {field}: {errors:?}"
            );
        }
        assert!(errors.get("summary").is_none());
    }

    #[test]
    fn slugs_are_made_from_names() {
        assert_eq!(
            slug_from_name("Face shield, v2").unwrap().as_str(),
            "face-shield-v2"
        );
        assert_eq!(
            slug_from_name("  Ölpresse für Saaten ").unwrap().as_str(),
            "olpresse-fur-saaten"
        );
        assert!(slug_from_name("!!!").is_none());
        assert!(slug_from_name(&"word ".repeat(40)).unwrap().as_str().len() <= 60);
    }

    #[test]
    fn design_ids_reject_paths_and_spaces() {
        assert!(DesignId::parse("../etc/passwd").is_err());
        assert!(DesignId::parse("open microscope").is_err());
        assert!(DesignId::parse("openflexure-microscope-v7").is_ok());
    }

    #[test]
    fn a_design_has_at_most_its_cap_of_tags() {
        let mut design = face_shield();
        design.draft.tags = (0..MAX_TAGS).map(|i| format!("tag-{i}")).collect();
        assert_eq!(design.validate(), Ok(()));
        design.draft.tags.push("one-more".into());
        let errors = design.validate().unwrap_err();
        assert_eq!(errors.get("tags"), Some("At most 12 tags; this has 13."));
    }
}
