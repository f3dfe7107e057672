//! Capacity (VF `Proposal` of an offer): what a maker or microfactory can
//! make, how fast, when and how far away; and `GET /api/capacities`
//! parameters, parsed once for both sides: the server parses the query
//! string with them, the app builds its URLs with them.

use serde::{Deserialize, Serialize};

use crate::query::non_empty as filled;
use crate::time::{check_date, check_not_past};
use crate::validate::optional_text;
use crate::{AgentId, AgentRef, Bounds, FieldErrors, Milli, Place, ProcessKind, Timestamp};

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
    /// [`CapacityInput::validate`], and an end that is not before `today`
    /// (`2026-12-24`), as the server checks it when capacity is declared.
    pub fn validate_on(&self, today: &str) -> Result<(), FieldErrors> {
        let mut errors = self.validate().err().unwrap_or_default();
        if let Some(until) = &self.available_until {
            check_not_past(&mut errors, "available_until", until, "The end", today);
        }
        errors.into_result(())
    }

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

/// Capacities per page when the query does not say.
pub const DEFAULT_CAPACITY_LIMIT: u32 = 50;
/// The most capacities one page holds.
pub const MAX_CAPACITY_LIMIT: u32 = 100;

/// The query string as it arrives: every parameter optional and untrusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RawCapacityQuery {
    /// Capacity of this agent (its id).
    pub provider: Option<String>,
    /// Capacity that runs this process kind (slug).
    pub process: Option<String>,
    /// The opaque cursor of the next page.
    pub cursor: Option<String>,
    /// Capacities per page, 1 to 100 (default 50).
    pub limit: Option<String>,
}

/// A checked capacity query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityQuery {
    pub provider: Option<AgentId>,
    pub process: Option<ProcessKind>,
    pub cursor: Option<String>,
    pub limit: u32,
}

impl Default for CapacityQuery {
    fn default() -> Self {
        CapacityQuery {
            provider: None,
            process: None,
            cursor: None,
            limit: DEFAULT_CAPACITY_LIMIT,
        }
    }
}

impl RawCapacityQuery {
    pub fn parse(&self) -> Result<CapacityQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut query = CapacityQuery::default();
        if let Some(provider) = filled(&self.provider) {
            match AgentId::parse(provider) {
                Ok(id) => query.provider = Some(id),
                Err(message) => errors.add("provider", message),
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
        let (cursor, limit) = crate::query::page_params(
            &self.cursor,
            &self.limit,
            400,
            MAX_CAPACITY_LIMIT,
            &mut errors,
        );
        query.cursor = cursor;
        query.limit = limit.unwrap_or(query.limit);
        errors.into_result(query)
    }

    /// The query as `key=value&…`, leaving out what is empty.
    pub fn to_query_string(&self) -> String {
        [
            ("provider", &self.provider),
            ("process", &self.process),
            ("cursor", &self.cursor),
            ("limit", &self.limit),
        ]
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

    fn raw(limit: &str) -> RawCapacityQuery {
        RawCapacityQuery {
            limit: Some(limit.into()),
            ..RawCapacityQuery::default()
        }
    }

    #[test]
    fn the_limit_defaults_and_stops_at_its_cap() {
        assert_eq!(
            RawCapacityQuery::default().parse().unwrap().limit,
            DEFAULT_CAPACITY_LIMIT
        );
        assert_eq!(raw("100").parse().unwrap().limit, 100);
        for bad in ["0", "101", "-1", "many"] {
            let errors = raw(bad).parse().unwrap_err();
            assert!(
                errors.get("limit").is_some_and(|m| m.contains("100")),
                "{bad}: {errors:?}"
            );
        }
    }

    #[test]
    fn filters_are_checked_and_written_back() {
        let raw = RawCapacityQuery {
            provider: Some("kwame-asante".into()),
            process: Some("laser-cutting".into()),
            cursor: Some("abc".into()),
            limit: Some("10".into()),
        };
        let query = raw.parse().unwrap();
        assert_eq!(query.process, Some(ProcessKind::LaserCutting));
        assert_eq!(
            raw.to_query_string(),
            "provider=kwame-asante&process=laser-cutting&cursor=abc&limit=10"
        );
        let unknown = RawCapacityQuery {
            process: Some("knitting".into()),
            ..RawCapacityQuery::default()
        };
        assert!(unknown.parse().unwrap_err().get("process").is_some());
    }
}
