//! Units of measure and quantities (VF `Measure`).

use serde::{Deserialize, Serialize};

use crate::FieldErrors;

/// A quantity in thousandths of its unit: how the server stores and sums it.
pub fn to_milli(value: f64) -> i64 {
    (value * 1000.0).round() as i64
}

/// A quantity from thousandths of its unit.
pub fn from_milli(milli: i64) -> f64 {
    milli as f64 / 1000.0
}

/// A unit a quantity is measured in, serialised by its symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Unit {
    /// Countable items: screws, bearings, boards.
    #[serde(rename = "piece")]
    Piece,
    #[serde(rename = "g")]
    Gram,
    #[serde(rename = "kg")]
    Kilogram,
    #[serde(rename = "mm")]
    Millimetre,
    #[serde(rename = "m")]
    Metre,
    #[serde(rename = "m2")]
    SquareMetre,
    #[serde(rename = "ml")]
    Millilitre,
    #[serde(rename = "l")]
    Litre,
    #[serde(rename = "h")]
    Hour,
    #[serde(rename = "min")]
    Minute,
}

impl Unit {
    pub const ALL: [Unit; 10] = [
        Unit::Piece,
        Unit::Gram,
        Unit::Kilogram,
        Unit::Millimetre,
        Unit::Metre,
        Unit::SquareMetre,
        Unit::Millilitre,
        Unit::Litre,
        Unit::Hour,
        Unit::Minute,
    ];

    /// The symbol shown after a number (`pcs`, `kg`, `m²`).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Piece => "pcs",
            Unit::Gram => "g",
            Unit::Kilogram => "kg",
            Unit::Millimetre => "mm",
            Unit::Metre => "m",
            Unit::SquareMetre => "m²",
            Unit::Millilitre => "ml",
            Unit::Litre => "l",
            Unit::Hour => "h",
            Unit::Minute => "min",
        }
    }

    /// Whether the unit measures time (machine time, labour).
    pub fn is_time(self) -> bool {
        matches!(self, Unit::Hour | Unit::Minute)
    }
}

/// A numeric value with its unit (VF `Measure{hasNumericalValue, hasUnit}`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quantity {
    /// More than zero, at most three decimals: 0.001 to 1,000,000,000
    /// (a need asks for at most 1,000,000).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.001, maximum = 1_000_000_000))]
    pub value: f64,
    pub unit: Unit,
}

/// The largest quantity accepted anywhere; larger ones are typing mistakes.
pub const MAX_QUANTITY: f64 = 1.0e9;

impl Quantity {
    pub fn new(value: f64, unit: Unit) -> Self {
        Self { value, unit }
    }

    /// Checks that the value is a positive, finite, plausible number of
    /// thousandths (see [`crate::milli`]).
    pub fn check(&self, errors: &mut FieldErrors, field: &str) {
        crate::Milli::check(
            errors,
            field,
            self.value,
            crate::Bounds::positive(MAX_QUANTITY),
            "The quantity",
        );
    }

    /// Checks the quantity and that it measures time.
    pub fn check_time(&self, errors: &mut FieldErrors, field: &str) {
        self.check(errors, field);
        if !self.unit.is_time() {
            errors.add(field, "Give a time in hours (h) or minutes (min).");
        }
    }

    /// The quantity in hours, when it measures time.
    pub fn hours(&self) -> Option<f64> {
        match self.unit {
            Unit::Hour => Some(self.value),
            Unit::Minute => Some(self.value / 60.0),
            _ => None,
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Whole numbers without decimals, others with up to two.
        let rounded = (self.value * 100.0).round() / 100.0;
        if rounded.fract() == 0.0 {
            write!(f, "{} {}", rounded as i64, self.unit.symbol())
        } else {
            write!(f, "{rounded} {}", self.unit.symbol())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_count_in_thousandths() {
        assert_eq!(to_milli(0.125), 125);
        assert_eq!(to_milli(2.0), 2000);
        assert_eq!(from_milli(1500), 1.5);
    }

    #[test]
    fn displays_whole_and_fractional_values_with_the_unit_symbol() {
        assert_eq!(Quantity::new(4.0, Unit::Piece).to_string(), "4 pcs");
        assert_eq!(Quantity::new(0.125, Unit::Kilogram).to_string(), "0.13 kg");
        assert_eq!(Quantity::new(1.5, Unit::SquareMetre).to_string(), "1.5 m²");
    }

    #[test]
    fn rejects_zero_negative_infinite_and_huge_quantities() {
        for value in [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            2.0e9,
            1e-300,
            1e308,
            0.0001,
        ] {
            let mut errors = FieldErrors::new();
            Quantity::new(value, Unit::Gram).check(&mut errors, "qty");
            assert!(errors.get("qty").is_some(), "{value} was accepted");
        }
        let mut errors = FieldErrors::new();
        Quantity::new(12.5, Unit::Gram).check(&mut errors, "qty");
        assert!(errors.is_empty());
    }

    #[test]
    fn time_quantities_must_use_a_time_unit() {
        let mut errors = FieldErrors::new();
        Quantity::new(2.0, Unit::Kilogram).check_time(&mut errors, "machine_time");
        assert!(errors.get("machine_time").is_some());
        assert_eq!(Quantity::new(90.0, Unit::Minute).hours(), Some(1.5));
    }
}
