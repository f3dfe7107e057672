//! The value equation a coalition's stewards set: how contributions turn
//! into points and shares, and how a sale is owed out by those shares.

use serde::{Deserialize, Serialize};

use super::{COMMONS_FUND, LedgerAction, LedgerEntry, LedgerTotals};
use crate::{Bounds, FieldErrors, Milli, Timestamp};

/// A weight in a value equation: how many points one unit of an action (on
/// a given skill, process or material, or on any) earns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Weight {
    pub action: LedgerAction,
    /// A skill, process, material or design; `None` for any.
    pub resource: Option<String>,
    /// 0 to 1000, with at most three decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub weight: f64,
}

/// How a coalition turns contributions into shares of its revenue, set by
/// its stewards; each change is a new version, and every version stays
/// public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueEquation {
    pub version: u32,
    /// 1 to 100 weights.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub weights: Vec<Weight>,
    /// The part of each sale owed to the contributors, from 0 to 1 (at
    /// most three decimals).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub contributors_share: f64,
    /// The part of each sale owed to the commons fund, from 0 to 1 (at
    /// most three decimals); the two shares add up to at most 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub commons_share: f64,
    /// Owed to the commons fund per piece when a maker outside the coalition
    /// claims a Peer Production License design, in the coalition's currency:
    /// 0 to 1,000,000, with at most three decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000))]
    pub reciprocity_fee: f64,
    #[serde(default)]
    pub note: String,
    /// Who set this version, and when (the store fills these in).
    #[serde(default)]
    pub set_by: Option<crate::AgentId>,
    #[serde(default)]
    pub set_at: Option<Timestamp>,
}

/// The most weights one value equation has.
pub const MAX_WEIGHTS: usize = 100;

/// The largest reciprocity fee per piece: a fee times the largest need
/// (one million pieces) stays far inside `i64` thousandths.
pub const MAX_RECIPROCITY_FEE: f64 = 1.0e6;

impl ValueEquation {
    /// The weight of one unit of `action` on `resource`: the most specific
    /// weight that applies, or none.
    pub fn weight(&self, action: LedgerAction, resource: &str) -> Option<f64> {
        self.weights
            .iter()
            .find(|w| w.action == action && w.resource.as_deref() == Some(resource))
            .or_else(|| {
                self.weights
                    .iter()
                    .find(|w| w.action == action && w.resource.is_none())
            })
            .map(|w| w.weight)
    }

    /// Checks the rules a steward must keep.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let fraction = Bounds::zero_or_more(1.0);
        let contributors = Milli::check(
            &mut errors,
            "contributors_share",
            self.contributors_share,
            fraction,
            "The contributors' share (a fraction from 0 to 1)",
        );
        let commons = Milli::check(
            &mut errors,
            "commons_share",
            self.commons_share,
            fraction,
            "The commons fund's share (a fraction from 0 to 1)",
        );
        if let (Some(contributors), Some(commons)) = (contributors, commons)
            && contributors.get() + commons.get() > 1000
        {
            errors.add(
                "commons_share",
                "The contributors' and the commons fund's shares together cannot exceed the whole sale.",
            );
        }
        Milli::check(
            &mut errors,
            "reciprocity_fee",
            self.reciprocity_fee,
            Bounds::zero_or_more(MAX_RECIPROCITY_FEE),
            "The reciprocity fee (per piece)",
        );
        if self.weights.is_empty() {
            errors.add("weights", "Give at least one weight.");
        }
        if !crate::validate::at_most(
            &mut errors,
            "weights",
            self.weights.len(),
            MAX_WEIGHTS,
            "weights",
        ) {
            // The duplicate check below is quadratic: not on an oversized list.
            return errors.into_result(());
        }
        for (i, w) in self.weights.iter().enumerate() {
            Milli::check(
                &mut errors,
                &format!("weights.{i}.weight"),
                w.weight,
                Bounds::zero_or_more(1000.0),
                "A weight",
            );
            if self.weights[..i]
                .iter()
                .any(|o| o.action == w.action && o.resource == w.resource)
            {
                errors.add(
                    format!("weights.{i}.resource"),
                    "This action and resource already have a weight.",
                );
            }
        }
        errors.into_result(())
    }
}

/// One line of why a contributor has their share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLine {
    pub action: LedgerAction,
    pub resource: String,
    pub quantity: f64,
    pub unit: String,
    pub weight: f64,
    pub points: f64,
}

/// A contributor's share under a value equation, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    pub contributor: String,
    pub points: f64,
    /// From 0 to 1; all shares add up to 1.
    pub share: f64,
    pub lines: Vec<ShareLine>,
}

/// Contributions in force (work, use, citations, and materials given to the
/// coalition) weighed by `equation`: each contributor's points and share,
/// largest first.
pub fn shares(entries: &[LedgerEntry], equation: &ValueEquation) -> Vec<Share> {
    LedgerTotals::of(entries).shares(equation)
}

/// What a sale of `amount` thousandths leaves owed: to the commons fund
/// and to each contributor by their share, in whole thousandths that add up
/// exactly to the parts of the sale (the largest remainders get the odd
/// thousandths).
pub fn split_sale(amount: i64, equation: &ValueEquation, shares: &[Share]) -> Vec<(String, i64)> {
    let mut owed = Vec::new();
    let commons = (amount as f64 * equation.commons_share).round() as i64;
    if commons > 0 {
        owed.push((COMMONS_FUND.to_owned(), commons));
    }
    let pool = (amount as f64 * equation.contributors_share).round() as i64;
    if pool <= 0 || shares.is_empty() {
        return owed;
    }
    let exact: Vec<f64> = shares.iter().map(|s| pool as f64 * s.share).collect();
    let mut parts: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut left = pool - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left <= 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    for (share, part) in shares.iter().zip(parts) {
        if part > 0 {
            owed.push((share.contributor.clone(), part));
        }
    }
    owed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::TREASURY;
    use crate::ledger::fixtures::{append, equation, in_kind, money};
    use proptest::prelude::*;

    #[test]
    fn shares_follow_the_value_equation_and_explain_themselves() {
        let mut ledger = Vec::new();
        append(
            &mut ledger,
            in_kind(LedgerAction::Work, "amara-okafor", "cnc-routing", 10.0, "h"),
        );
        append(
            &mut ledger,
            in_kind(LedgerAction::Work, "kwame-asante", "assembly", 10.0, "h"),
        );
        append(
            &mut ledger,
            in_kind(
                LedgerAction::Use,
                "fab-lab-nairobi",
                "cnc-routing",
                10.0,
                "h",
            ),
        );
        append(
            &mut ledger,
            in_kind(
                LedgerAction::Cite,
                "tomas-novak",
                "plastic-shredder",
                25.0,
                "piece",
            ),
        );
        // Money paid in is not a contribution to weigh.
        append(
            &mut ledger,
            money("clinic-kumasi", TREASURY, 1000.0, "sale"),
        );
        let shares = shares(&ledger, &equation());
        let names: Vec<&str> = shares.iter().map(|s| s.contributor.as_str()).collect();
        assert_eq!(
            names,
            [
                "amara-okafor",
                "kwame-asante",
                "fab-lab-nairobi",
                "tomas-novak"
            ]
        );
        assert_eq!(shares[0].points, 15.0);
        assert_eq!(shares[0].lines[0].weight, 1.5);
        assert!((shares[0].share - 15.0 / 35.0).abs() < 1e-12);
        let total: f64 = shares.iter().map(|s| s.share).sum();
        assert!((total - 1.0).abs() < 1e-12);

        let owed = split_sale(1_000_000, &equation(), &shares);
        assert_eq!(owed[0], (COMMONS_FUND.to_owned(), 100_000));
        assert_eq!(owed.iter().skip(1).map(|o| o.1).sum::<i64>(), 600_000);
    }

    #[test]
    fn the_two_shares_of_a_sale_add_up_to_at_most_the_whole() {
        let mut eq = equation();
        eq.contributors_share = 0.95;
        assert!(eq.validate().unwrap_err().get("commons_share").is_some());
    }

    proptest! {
        #[test]
        fn a_sale_is_owed_out_exactly(amount in 0..100_000_000i64, points in prop::collection::vec(1..1000u32, 0..12)) {
            let shares: Vec<Share> = {
                let total: f64 = points.iter().map(|p| f64::from(*p)).sum();
                points.iter().enumerate().map(|(i, p)| Share {
                    contributor: format!("maker-{i}"),
                    points: f64::from(*p),
                    share: f64::from(*p) / total,
                    lines: vec![],
                }).collect()
            };
            let eq = equation();
            let owed = split_sale(amount, &eq, &shares);
            let commons = (amount as f64 * eq.commons_share).round() as i64;
            let pool = if shares.is_empty() { 0 } else { (amount as f64 * eq.contributors_share).round() as i64 };
            prop_assert_eq!(owed.iter().map(|o| o.1).sum::<i64>(), commons + pool);
            prop_assert!(owed.iter().all(|o| o.1 > 0));
        }
    }

    #[test]
    fn a_value_equation_has_at_most_its_cap_of_weights() {
        let mut full = equation();
        full.weights = (0..MAX_WEIGHTS)
            .map(|i| Weight {
                action: LedgerAction::Work,
                resource: Some(format!("resource-{i}")),
                weight: 1.0,
            })
            .collect();
        assert_eq!(full.validate(), Ok(()));
        let mut over = full;
        over.weights.push(Weight {
            action: LedgerAction::Use,
            resource: None,
            weight: 1.0,
        });
        let errors = over.validate().unwrap_err();
        assert_eq!(
            errors.get("weights"),
            Some("At most 100 weights; this has 101.")
        );
    }
}
