//! Units of measure and quantities (VF `Measure`), and the thousandths
//! every amount is kept in: the one rule every number a person types into
//! Stigmergy passes before it is stored.
//!
//! Quantities, rates, prices and weights are kept as whole thousandths of
//! their unit (see [`to_milli`]), so a number is only accepted when it
//! survives that conversion unchanged: a finite number, within its bounds,
//! with at most three decimals ([`Milli::parse`]). A value that would round
//! to zero thousandths (`1e-146`) or overflow them (`1e308`) is refused with
//! a message saying what is allowed, never stored as something else.
//! Numbers with more decimals are refused rather than rounded, so what is
//! stored is exactly what was typed. The browser's forms run the same checks
//! through each input's `validate()`.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;

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
    /// thousandths (see [`Milli`]).
    pub fn check(&self, errors: &mut FieldErrors, field: &str) {
        Milli::check(
            errors,
            field,
            self.value,
            Bounds::positive(MAX_QUANTITY),
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

// Amounts in thousandths.

/// A quantity in thousandths of its unit: how the server stores and sums it.
pub fn to_milli(value: f64) -> i64 {
    (value * 1000.0).round() as i64
}

/// A quantity from thousandths of its unit.
pub fn from_milli(milli: i64) -> f64 {
    milli as f64 / 1000.0
}

/// The smallest step of any amount: one thousandth of its unit.
pub const SMALLEST: f64 = 0.001;

/// The range an amount must fall in, both ends included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
}

impl Bounds {
    /// More than zero (at least [`SMALLEST`]) and at most `max`.
    pub const fn positive(max: f64) -> Bounds {
        Bounds { min: SMALLEST, max }
    }

    /// Zero or more, at most `max`.
    pub const fn zero_or_more(max: f64) -> Bounds {
        Bounds { min: 0.0, max }
    }
}

/// An amount in whole thousandths of its unit, checked against its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Milli(i64);

impl Milli {
    /// Parses `value` as an amount within `bounds`, or says why not in a
    /// sentence about `label` ("The quantity must be at least 0.001.").
    /// Negative zero is zero.
    pub fn parse(value: f64, bounds: Bounds, label: &str) -> Result<Milli, AmountError> {
        let label = || label.to_owned();
        if !value.is_finite() {
            return Err(AmountError::NotANumber);
        }
        if value < bounds.min {
            return Err(AmountError::TooSmall {
                label: label(),
                min: bounds.min,
            });
        }
        if value > bounds.max {
            return Err(AmountError::TooLarge {
                label: label(),
                max: bounds.max,
            });
        }
        if decimals(value) > 3 {
            return Err(AmountError::TooPrecise { label: label() });
        }
        // In range and at most three decimals: the product is an exact
        // whole number far inside i64.
        Ok(Milli((value * 1000.0).round() as i64))
    }

    /// Checks `value`, recording the problem under `field`.
    pub fn check(
        errors: &mut FieldErrors,
        field: &str,
        value: f64,
        bounds: Bounds,
        label: &str,
    ) -> Option<Milli> {
        match Milli::parse(value, bounds, label) {
            Ok(milli) => Some(milli),
            Err(message) => {
                errors.add(field, message);
                None
            }
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// The amount in its unit again.
    pub fn value(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

/// Why an amount was refused. Its `Display` is the sentence a person
/// reads under the field ("The quantity can be at most 1,000,000.").
#[derive(Debug, Clone, PartialEq)]
pub enum AmountError {
    /// Not a finite number.
    NotANumber,
    /// Less than the bounds allow.
    TooSmall { label: String, min: f64 },
    /// More than the bounds allow.
    TooLarge { label: String, max: f64 },
    /// More than three decimals: finer than a thousandth.
    TooPrecise { label: String },
}

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AmountError::NotANumber => f.write_str("Enter a number, like 2.5 or 12."),
            AmountError::TooSmall { label, min } if *min == SMALLEST => {
                write!(f, "{label} must be at least 0.001 (the smallest amount).")
            }
            AmountError::TooSmall { label, min } if *min == 0.0 => {
                write!(f, "{label} cannot be negative.")
            }
            AmountError::TooSmall { label, min } => {
                write!(f, "{label} must be at least {}.", words(*min))
            }
            AmountError::TooLarge { label, max } => {
                write!(f, "{label} can be at most {}.", words(*max))
            }
            AmountError::TooPrecise { label } => write!(
                f,
                "{label} can have at most three decimals (0.001 is the smallest step)."
            ),
        }
    }
}

impl std::error::Error for AmountError {}

/// The sentence, for a field's message ([`FieldErrors::add`]).
impl From<AmountError> for String {
    fn from(error: AmountError) -> String {
        error.to_string()
    }
}

/// Decimals in the shortest form that reads back as `value` (what the
/// person typed, for any number they could type): `2.675` has three.
fn decimals(value: f64) -> usize {
    // `Display` for f64 never uses an exponent and prints the shortest
    // round-trip digits.
    value
        .to_string()
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

/// A bound as people write it: `1,000,000`, `0.5`.
fn words(bound: f64) -> String {
    if bound.fract() != 0.0 || bound.abs() < 1000.0 {
        return bound.to_string();
    }
    let digits = format!("{}", bound.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if bound < 0.0 { format!("-{out}") } else { out }
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

    const QUANTITY: Bounds = Bounds::positive(1_000_000.0);

    fn parse(value: f64) -> Result<i64, String> {
        Milli::parse(value, QUANTITY, "The quantity")
            .map(Milli::get)
            .map_err(String::from)
    }

    #[test]
    fn amounts_with_up_to_three_decimals_become_exact_thousandths() {
        assert_eq!(parse(0.001), Ok(1));
        assert_eq!(parse(2.675), Ok(2675));
        assert_eq!(parse(12.0), Ok(12_000));
        assert_eq!(parse(1_000_000.0), Ok(1_000_000_000));
        assert_eq!(Milli::parse(2.5, QUANTITY, "x").unwrap().value(), 2.5);
    }

    #[test]
    fn amounts_that_round_to_zero_thousandths_name_the_smallest_amount() {
        for tiny in [1.07e-146, 1.1e-308, 1e-300, 5e-324, 0.0004, 0.0, -0.0] {
            let message = parse(tiny).unwrap_err();
            assert!(message.contains("at least 0.001"), "{tiny}: {message}");
        }
    }

    #[test]
    fn huge_negative_and_non_numbers_are_refused() {
        assert!(parse(1e308).unwrap_err().contains("at most 1,000,000"));
        assert!(parse(9.3e15).is_err(), "thousandths overflow i64");
        assert!(parse(-1.0).unwrap_err().contains("at least 0.001"));
        for not_a_number in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(parse(not_a_number).unwrap_err().contains("Enter a number"));
        }
    }

    #[test]
    fn more_than_three_decimals_are_refused_not_rounded() {
        for value in [0.0015, 2.6751, 1.23456789, 999_999.999_9] {
            let message = parse(value).unwrap_err();
            assert!(message.contains("three decimals"), "{value}: {message}");
        }
    }

    #[test]
    fn zero_or_more_takes_zero_and_negative_zero_as_zero() {
        let bounds = Bounds::zero_or_more(1e9);
        assert_eq!(Milli::parse(0.0, bounds, "x").map(Milli::get), Ok(0));
        assert_eq!(Milli::parse(-0.0, bounds, "x").map(Milli::get), Ok(0));
        assert!(
            Milli::parse(-0.5, bounds, "The amount")
                .unwrap_err()
                .to_string()
                .contains("cannot be negative")
        );
        assert!(
            Milli::parse(1e-300, bounds, "x")
                .unwrap_err()
                .to_string()
                .contains("three decimals")
        );
    }

    #[test]
    fn a_refused_amount_says_which_rule_it_broke() {
        assert_eq!(
            Milli::parse(2.0e6, QUANTITY, "The quantity"),
            Err(AmountError::TooLarge {
                label: "The quantity".into(),
                max: 1_000_000.0
            })
        );
        assert_eq!(
            Milli::parse(f64::NAN, QUANTITY, "The quantity"),
            Err(AmountError::NotANumber)
        );
        assert_eq!(
            Milli::parse(
                5.0,
                Bounds {
                    min: 10.0,
                    max: 20_000.0
                },
                "The radius"
            )
            .unwrap_err()
            .to_string(),
            "The radius must be at least 10."
        );
    }

    #[test]
    fn check_records_the_message_under_the_field() {
        let mut errors = FieldErrors::new();
        assert_eq!(
            Milli::check(&mut errors, "quantity", 1e-146, QUANTITY, "The quantity"),
            None
        );
        assert!(errors.get("quantity").unwrap().contains("0.001"));
    }

    #[test]
    fn bounds_read_as_people_write_them() {
        assert_eq!(words(1_000_000.0), "1,000,000");
        assert_eq!(words(1e9), "1,000,000,000");
        assert_eq!(words(20_000.0), "20,000");
        assert_eq!(words(0.5), "0.5");
        assert_eq!(words(100.0), "100");
    }
}
