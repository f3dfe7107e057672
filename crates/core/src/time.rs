//! Points in time on the wire: UTC, RFC 3339, millisecond precision
//! (`2026-11-23T20:41:50.456Z`).
//!
//! The browser app only shows and orders timestamps, so it carries them as
//! text and does without a date library (chrono alone costs the wasm bundle
//! about 17 KiB). The server, which does arithmetic with time, converts to
//! and from `chrono` with the `chrono` feature.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;

/// A UTC timestamp in RFC 3339 form. Values made by [`Timestamp::from`] a
/// `chrono::DateTime<Utc>` always use the same layout, so they order
/// correctly as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The calendar date, `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        self.0.get(..10).unwrap_or(&self.0)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "chrono")]
impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(time: chrono::DateTime<chrono::Utc>) -> Self {
        Timestamp(time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

#[cfg(feature = "chrono")]
impl Timestamp {
    /// The timestamp as a `chrono` value, if it is valid RFC 3339.
    pub fn to_datetime(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::parse_from_rfc3339(&self.0)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

/// Checks an ISO calendar date (`2026-12-24`): the layout and a day that
/// exists in its month.
pub fn check_date(errors: &mut FieldErrors, field: &str, date: &str, label: &str) {
    let parts: Vec<&str> = date.split('-').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let ok = match parts.as_slice() {
        [y, m, d] => match (number(y, 4), number(m, 2), number(d, 2)) {
            (Some(y), Some(m @ 1..=12), Some(d)) => {
                let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
                let days = match m {
                    2 if leap => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                (1..=days).contains(&d)
            }
            _ => false,
        },
        _ => false,
    };
    if !ok {
        errors.add(field, format!("{label} must be a date like 2026-12-24."));
    }
}

/// Refuses a date before `today` (both ISO calendar dates, which order as
/// text); a date already refused keeps its first reason.
pub fn check_not_past(errors: &mut FieldErrors, field: &str, date: &str, label: &str, today: &str) {
    if date < today {
        errors.add(field, format!("{label} is in the past."));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_before_today_is_past_and_a_bad_one_keeps_its_reason() {
        let mut errors = FieldErrors::new();
        check_not_past(
            &mut errors,
            "due",
            "2026-12-03",
            "The due date",
            "2026-12-03",
        );
        assert!(errors.is_empty());
        check_not_past(
            &mut errors,
            "due",
            "2026-12-02",
            "The due date",
            "2026-12-03",
        );
        assert_eq!(errors.get("due"), Some("The due date is in the past."));
        let mut errors = FieldErrors::new();
        check_date(&mut errors, "due", "24/12/2026", "The due date");
        check_not_past(
            &mut errors,
            "due",
            "24/12/2026",
            "The due date",
            "2026-12-03",
        );
        assert_eq!(
            errors.get("due"),
            Some("The due date must be a date like 2026-12-24.")
        );
    }

    #[test]
    fn the_date_is_the_first_ten_characters() {
        let t: Timestamp = serde_json::from_str("\"2026-11-23T20:41:50.456Z\"").unwrap();
        assert_eq!(t.date(), "2026-11-23");
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_values_round_trip_with_millisecond_precision() {
        use chrono::TimeZone;
        let time = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let stamp = Timestamp::from(time);
        assert_eq!(stamp.as_str(), "2026-01-02T03:04:05.000Z");
        assert_eq!(stamp.to_datetime(), Some(time));
        let later = Timestamp::from(time + chrono::Duration::milliseconds(1));
        assert!(later > stamp, "text order is time order");
    }

    #[test]
    fn dates_must_exist() {
        for (date, ok) in [
            ("2028-02-29", true),
            ("2026-02-29", false),
            ("2026-04-31", false),
            ("2026-12-01", true),
            ("26-12-01", false),
            ("2026-13-01", false),
            ("2026-1-01", false),
        ] {
            let mut errors = FieldErrors::new();
            check_date(&mut errors, "due", date, "The date");
            assert_eq!(errors.is_empty(), ok, "{date}");
        }
    }
}
