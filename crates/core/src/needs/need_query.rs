//! `GET /api/needs` parameters, parsed once for both sides: the server
//! parses the query string with them, the app builds its URLs with them.

use serde::{Deserialize, Serialize};

use crate::query::non_empty as filled;
use crate::{AgentId, DesignId, FieldErrors, ProcessKind};

use super::NeedState;

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
}
