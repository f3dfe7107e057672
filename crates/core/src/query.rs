//! The commons' search and filter parameters, parsed once for both sides:
//! the server parses the query string with it, the app builds URLs with it.

use serde::{Deserialize, Serialize};

use crate::{FieldErrors, Licence, ProcessKind};

pub const DEFAULT_LIMIT: u32 = 24;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_SEARCH_LEN: usize = 200;

/// The query string as it arrives: every parameter optional and untrusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RawDesignQuery {
    /// Words to look for in the name, summary, description and tags.
    pub q: Option<String>,
    /// An SPDX licence id.
    pub licence: Option<String>,
    /// A process kind slug (`laser-cutting`).
    pub process: Option<String>,
    /// A material name, matched exactly, ignoring case.
    pub material: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 24).
    pub limit: Option<String>,
}

/// A valid commons query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DesignQuery {
    /// Lowercased search words; a design matches when it contains them all.
    pub words: Vec<String>,
    pub licence: Option<Licence>,
    pub process: Option<ProcessKind>,
    pub material: Option<String>,
    pub tag: Option<String>,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// A query parameter's value, trimmed, when it has one.
pub(crate) fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The `cursor` and `limit` every paged list takes: a cursor no longer than
/// `max_cursor` (one the server gave out), a limit from 1 to `max_limit`.
/// `None` where the query leaves one out; a bad one is named in `errors`.
pub(crate) fn page_params(
    cursor: &Option<String>,
    limit: &Option<String>,
    max_cursor: usize,
    max_limit: u32,
    errors: &mut FieldErrors,
) -> (Option<String>, Option<u32>) {
    let cursor = non_empty(cursor).and_then(|cursor| {
        if cursor.len() > max_cursor {
            errors.add("cursor", "That cursor is not one this server gave out.");
            None
        } else {
            Some(cursor.to_owned())
        }
    });
    let limit = non_empty(limit).and_then(|limit| match limit.parse::<u32>() {
        Ok(n) if (1..=max_limit).contains(&n) => Some(n),
        _ => {
            errors.add(
                "limit",
                format!("The limit must be a whole number from 1 to {max_limit}."),
            );
            None
        }
    });
    (cursor, limit)
}

impl RawDesignQuery {
    /// Collects the parameters from key–value pairs (a URL's query, say),
    /// ignoring keys it does not know; a repeated key keeps its last value.
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut raw = RawDesignQuery::default();
        for (key, value) in pairs {
            let slot = match key.as_ref() {
                "q" => &mut raw.q,
                "licence" => &mut raw.licence,
                "process" => &mut raw.process,
                "material" => &mut raw.material,
                "tag" => &mut raw.tag,
                "cursor" => &mut raw.cursor,
                "limit" => &mut raw.limit,
                _ => continue,
            };
            *slot = Some(value.into());
        }
        raw
    }

    /// Parses the parameters; empty ones count as absent.
    pub fn parse(&self) -> Result<DesignQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut query = DesignQuery {
            limit: DEFAULT_LIMIT,
            ..DesignQuery::default()
        };

        if let Some(q) = non_empty(&self.q) {
            if q.chars().count() > MAX_SEARCH_LEN {
                errors.add(
                    "q",
                    format!("Search for at most {MAX_SEARCH_LEN} characters."),
                );
            } else {
                query.words = q
                    .split_whitespace()
                    .map(str::to_lowercase)
                    .take(12)
                    .collect();
            }
        }
        if let Some(licence) = non_empty(&self.licence) {
            match Licence::from_spdx(licence) {
                Some(licence) => query.licence = Some(licence),
                None => errors.add("licence", format!("Unknown licence \u{201c}{licence}\u{201d}; use an SPDX id such as CERN-OHL-S-2.0.")),
            }
        }
        if let Some(process) = non_empty(&self.process) {
            match ProcessKind::from_slug(process) {
                Some(kind) => query.process = Some(kind),
                None => errors.add(
                    "process",
                    format!("Unknown process kind \u{201c}{process}\u{201d}."),
                ),
            }
        }
        for (field, value, slot) in [
            ("material", &self.material, &mut query.material),
            ("tag", &self.tag, &mut query.tag),
        ] {
            if let Some(value) = non_empty(value) {
                if value.chars().count() > 120 {
                    errors.add(
                        field,
                        format!("The {field} is too long (at most 120 characters)."),
                    );
                } else {
                    *slot = Some(value.to_owned());
                }
            }
        }
        let (cursor, limit) = page_params(&self.cursor, &self.limit, 512, MAX_LIMIT, &mut errors);
        query.cursor = cursor;
        query.limit = limit.unwrap_or(query.limit);
        errors.into_result(query)
    }

    /// The query string for these parameters (without `?`), leaving out
    /// empty ones.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("licence", &self.licence),
            ("process", &self.process),
            ("material", &self.material),
            ("tag", &self.tag),
            ("cursor", &self.cursor),
            ("limit", &self.limit),
        ];
        pairs
            .into_iter()
            .filter_map(|(key, value)| non_empty(value).map(|v| format!("{key}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawDesignQuery {
        RawDesignQuery::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn an_empty_query_lists_everything_with_the_default_page_size() {
        let query = RawDesignQuery::default().parse().unwrap();
        assert_eq!(
            query,
            DesignQuery {
                limit: DEFAULT_LIMIT,
                ..DesignQuery::default()
            }
        );
        assert_eq!(
            raw(&[("q", "  "), ("tag", "")]).parse().unwrap().words,
            Vec::<String>::new()
        );
    }

    #[test]
    fn search_words_are_split_and_lowercased() {
        let query = raw(&[("q", " Open  MICROSCOPE ")]).parse().unwrap();
        assert_eq!(query.words, vec!["open", "microscope"]);
    }

    #[test]
    fn known_filters_parse_and_unknown_ones_are_named() {
        let query = raw(&[
            ("licence", "cc-by-sa-4.0"),
            ("process", "laser-cutting"),
            ("limit", "10"),
        ])
        .parse()
        .unwrap();
        assert_eq!(query.licence, Some(Licence::CcBySa4));
        assert_eq!(query.process, Some(ProcessKind::LaserCutting));
        assert_eq!(query.limit, 10);

        let errors = raw(&[("licence", "WTFPL"), ("process", "magic"), ("limit", "0")])
            .parse()
            .unwrap_err();
        assert!(errors.get("licence").unwrap().contains("WTFPL"));
        assert!(errors.get("process").is_some());
        assert!(errors.get("limit").is_some());
        assert!(raw(&[("limit", "101")]).parse().is_err());
        assert!(raw(&[("limit", "ten")]).parse().is_err());
    }

    #[test]
    fn pairs_fill_known_parameters_and_skip_others() {
        let raw = raw(&[
            ("q", "shredder"),
            ("utm_source", "x"),
            ("tag", "a"),
            ("tag", "recycling"),
        ]);
        assert_eq!(raw.q.as_deref(), Some("shredder"));
        assert_eq!(raw.tag.as_deref(), Some("recycling"));
        assert_eq!(raw.licence, None);
    }

    #[test]
    fn query_strings_encode_values_and_skip_empty_ones() {
        let query = raw(&[
            ("q", "solar & water"),
            ("material", "Birch plywood 6 mm"),
            ("tag", ""),
        ]);
        assert_eq!(
            query.to_query_string(),
            "q=solar%20%26%20water&material=Birch%20plywood%206%20mm"
        );
    }
}
