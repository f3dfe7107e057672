//! `GET /api/capacities` parameters, parsed once for both sides: the server
//! parses the query string with it, the app builds its URLs with it.

use serde::{Deserialize, Serialize};

use crate::query::non_empty as filled;
use crate::{AgentId, FieldErrors, ProcessKind};

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
