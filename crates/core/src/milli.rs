//! Amounts in thousandths: the one rule every number a person types into
//! Stigmergy passes before it is stored.
//!
//! Quantities, rates, prices and weights are kept as whole thousandths of
//! their unit (see [`crate::unit::to_milli`]), so a number is only accepted
//! when it survives that conversion unchanged: a finite number, within its
//! bounds, with at most three decimals. A value that would round to zero
//! thousandths (`1e-146`) or overflow them (`1e308`) is refused with a
//! message saying what is allowed, never stored as something else. Numbers
//! with more decimals are refused rather than rounded, so what is stored is
//! exactly what was typed. The browser's forms run the same checks through
//! each input's `validate()`.

use crate::FieldErrors;

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
    pub fn parse(value: f64, bounds: Bounds, label: &str) -> Result<Milli, String> {
        if !value.is_finite() {
            return Err("Enter a number, like 2.5 or 12.".into());
        }
        if value < bounds.min {
            return Err(if bounds.min == SMALLEST {
                format!("{label} must be at least 0.001 (the smallest amount).")
            } else if bounds.min == 0.0 {
                format!("{label} cannot be negative.")
            } else {
                format!("{label} must be at least {}.", words(bounds.min))
            });
        }
        if value > bounds.max {
            return Err(format!("{label} can be at most {}.", words(bounds.max)));
        }
        if decimals(value) > 3 {
            return Err(format!(
                "{label} can have at most three decimals (0.001 is the smallest step)."
            ));
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

    const QUANTITY: Bounds = Bounds::positive(1_000_000.0);

    fn parse(value: f64) -> Result<i64, String> {
        Milli::parse(value, QUANTITY, "The quantity").map(Milli::get)
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
                .contains("cannot be negative")
        );
        assert!(
            Milli::parse(1e-300, bounds, "x")
                .unwrap_err()
                .contains("three decimals")
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
