//! What a write makes happen in a coalition's accounts, worked out here and
//! written by the store in the same transaction: the shares a sale into the
//! treasury makes owed, the reciprocity fee of a claim on a Peer Production
//! License design by a maker outside the coalition, and the entries of a
//! confirmed delivery.

use super::{
    COMMONS_FUND, LedgerAction, LedgerEntry, LedgerInput, Share, TREASURY, ValueEquation, VoidInput,
};
use super::{is_currency, is_own, split_sale};
use crate::{FieldErrors, Licence};

/// Why something is owed (the `kind` of an [`super::Owed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwedKind {
    /// A contributor's part of a sale.
    RevenueShare,
    /// The commons fund's part of a sale.
    CommonsShare,
    /// A maker outside the coalition, for a Peer Production License design.
    ReciprocityFee,
}

impl OwedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwedKind::RevenueShare => "revenue_share",
            OwedKind::CommonsShare => "commons_share",
            OwedKind::ReciprocityFee => "reciprocity_fee",
        }
    }
}

/// A new amount owed, in thousandths of the ledger's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOwed {
    pub kind: OwedKind,
    pub creditor: String,
    pub debtor: String,
    pub amount: i64,
    /// The sale entry that made it owed.
    pub triggered_by: Option<u64>,
    /// The claim that made a fee owed.
    pub need_claim: Option<u64>,
    pub equation_version: u32,
}

/// A goods event of a confirmed delivery, as the store read it: the maker
/// produced it, then transferred it to the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub event: u64,
    /// `produce` or `transfer`.
    pub produced: bool,
    pub provider: String,
    pub receiver: String,
    pub resource: String,
    /// In thousandths of `unit`.
    pub quantity: i64,
    pub unit: String,
    pub claim: Option<u64>,
}

impl Delivered {
    /// Its ledger entry, in the `delivery` category.
    pub fn entry(self) -> LedgerInput {
        LedgerInput {
            action: if self.produced {
                LedgerAction::Produce
            } else {
                LedgerAction::Transfer
            },
            provider: self.provider,
            receiver: self.receiver,
            resource: self.resource,
            quantity: crate::unit::from_milli(self.quantity),
            unit: self.unit,
            category: "delivery".into(),
            note: String::new(),
            corrects: None,
            claim: self.claim,
            settles: None,
            event: Some(self.event),
        }
    }
}

impl LedgerInput {
    /// Whether this is a sale: money from outside into the treasury, which
    /// makes the commons' and the contributors' shares owed.
    pub fn is_sale(&self) -> bool {
        self.action == LedgerAction::Transfer
            && is_currency(&self.unit)
            && self.category == "sale"
            && self.receiver == TREASURY
            && !is_own(&self.provider)
            && self.quantity > 0.0
    }
}

/// What the sale `entry` leaves owed by the treasury under `equation`, given
/// the contributors' `shares` at the head it was appended to.
pub fn owed_after_sale(
    entry: &LedgerEntry,
    equation: &ValueEquation,
    shares: &[Share],
) -> Vec<NewOwed> {
    split_sale(crate::unit::to_milli(entry.quantity), equation, shares)
        .into_iter()
        .map(|(creditor, amount)| NewOwed {
            kind: if creditor == COMMONS_FUND {
                OwedKind::CommonsShare
            } else {
                OwedKind::RevenueShare
            },
            creditor,
            debtor: TREASURY.to_owned(),
            amount,
            triggered_by: Some(entry.seq),
            need_claim: None,
            equation_version: equation.version,
        })
        .collect()
}

/// The reciprocity fee a claim of `quantity` thousandths owes the commons
/// fund: only on a Peer Production License design, only by a maker who is
/// not an active member of the coalition, and only when it comes to more
/// than nothing under the coalition's `equation`.
pub fn reciprocity_fee(
    claim: u64,
    maker: &str,
    licence: Licence,
    maker_is_member: bool,
    quantity: i64,
    equation: &ValueEquation,
) -> Option<NewOwed> {
    if licence != Licence::PeerProduction || maker_is_member {
        return None;
    }
    let amount = (quantity as f64 * equation.reciprocity_fee).round() as i64;
    (amount > 0).then(|| NewOwed {
        kind: OwedKind::ReciprocityFee,
        creditor: COMMONS_FUND.to_owned(),
        debtor: maker.to_owned(),
        amount,
        triggered_by: None,
        need_claim: Some(claim),
        equation_version: equation.version,
    })
}

/// The correction that voids `entry` for the reason in `void`: only a
/// contribution (not money) that still counts for something is voided.
pub fn voiding(void: &VoidInput, entry: &LedgerEntry) -> Result<LedgerInput, FieldErrors> {
    let refuse = |message: &str| {
        let mut errors = FieldErrors::new();
        errors.add("seq", message);
        Err(errors)
    };
    if entry.is_money() {
        return refuse(
            "This entry moves money: correct it with a new entry that names it instead.",
        );
    }
    if entry.quantity == 0.0 {
        return refuse("This entry counts for nothing already.");
    }
    Ok(void.correction_of(entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn equation(fee: f64) -> ValueEquation {
        serde_json::from_value(serde_json::json!({
            "version": 3,
            "weights": [{"action": "work", "resource": null, "weight": 1.0}],
            "commons_share": 0.1,
            "contributors_share": 0.5,
            "reciprocity_fee": fee,
        }))
        .expect("a valid equation")
    }

    fn sale(quantity: f64) -> LedgerInput {
        LedgerInput {
            action: LedgerAction::Transfer,
            provider: "hospital-kumasi".into(),
            receiver: TREASURY.into(),
            resource: "Face shields, 200".into(),
            quantity,
            unit: "EUR".into(),
            category: "sale".into(),
            note: String::new(),
            corrects: None,
            claim: None,
            settles: None,
            event: None,
        }
    }

    #[test]
    fn only_money_from_outside_into_the_treasury_is_a_sale() {
        assert!(sale(480.0).is_sale());
        assert!(!sale(0.0).is_sale());
        let mut pieces = sale(480.0);
        pieces.unit = "piece".into();
        assert!(!pieces.is_sale());
        let mut gift = sale(480.0);
        gift.category = "donation".into();
        assert!(!gift.is_sale());
        let mut own = sale(480.0);
        own.provider = COMMONS_FUND.into();
        assert!(!own.is_sale());
    }

    #[test]
    fn a_delivery_is_entered_as_what_was_made_and_handed_over() {
        let delivered = Delivered {
            event: 12,
            produced: true,
            provider: "fablab-kumasi".into(),
            receiver: "fablab-kumasi".into(),
            resource: "Face shield".into(),
            quantity: 40_000,
            unit: "piece".into(),
            claim: Some(4),
        };
        let entry = delivered.clone().entry();
        assert_eq!(entry.action, LedgerAction::Produce);
        assert_eq!(
            (entry.quantity, entry.category.as_str()),
            (40.0, "delivery")
        );
        assert_eq!((entry.claim, entry.event), (Some(4), Some(12)));
        let handed = Delivered {
            produced: false,
            ..delivered
        }
        .entry();
        assert_eq!(handed.action, LedgerAction::Transfer);
    }

    #[test]
    fn a_fee_is_owed_by_outsiders_on_ppl_designs_only() {
        let eq = equation(0.5);
        let fee = reciprocity_fee(
            7,
            "taller-lima",
            Licence::PeerProduction,
            false,
            40_000,
            &eq,
        )
        .expect("a fee");
        assert_eq!(fee.amount, 20_000);
        assert_eq!(fee.kind, OwedKind::ReciprocityFee);
        assert_eq!(
            (fee.creditor.as_str(), fee.debtor.as_str()),
            (COMMONS_FUND, "taller-lima")
        );
        assert_eq!(
            (fee.need_claim, fee.triggered_by, fee.equation_version),
            (Some(7), None, 3)
        );
        assert_eq!(
            reciprocity_fee(7, "m", Licence::PeerProduction, true, 40_000, &eq),
            None
        );
        assert_eq!(
            reciprocity_fee(7, "m", Licence::CernOhlS2, false, 40_000, &eq),
            None
        );
        assert_eq!(
            reciprocity_fee(
                7,
                "m",
                Licence::PeerProduction,
                false,
                40_000,
                &equation(0.0)
            ),
            None
        );
    }
}
