//! What a steward records: an entry before the ledger numbers and hashes
//! it, and the voiding of a contribution, with the checks each must pass.

use serde::{Deserialize, Serialize};

use super::{LedgerAction, LedgerEntry, is_currency, is_own};
use crate::{Bounds, FieldErrors, Milli};

/// The largest quantity of one ledger entry (money or in kind). Bounded so
/// that sums over millions of entries stay far inside `i64` thousandths.
pub const MAX_ENTRY_QUANTITY: f64 = 1.0e9;

/// What a steward records: the entry before the ledger numbers and hashes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerInput {
    pub action: LedgerAction,
    pub provider: String,
    pub receiver: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub resource: String,
    /// 0 (only in a correction) to 1,000,000,000, with at most three
    /// decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    pub quantity: f64,
    pub unit: String,
    pub category: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub corrects: Option<u64>,
    #[serde(default)]
    pub claim: Option<u64>,
    #[serde(default)]
    pub settles: Option<u64>,
    /// Set by the store for goods events; not for stewards to give.
    #[serde(skip)]
    pub event: Option<u64>,
}

/// Categories a money entry may have.
pub const CATEGORIES: [&str; 10] = [
    "sale",
    "grant",
    "donation",
    "membership",
    "materials",
    "tools",
    "space",
    "payout",
    "reciprocity",
    "transfer",
];

fn is_account(text: &str) -> bool {
    is_own(text) || crate::AgentId::parse(text).is_ok()
}

impl LedgerInput {
    /// Checks an entry against the coalition's currency; references to
    /// other entries are checked against the ledger by the store.
    pub fn validate(&self, currency: &str) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !is_account(&self.provider) {
            errors.add(
                "provider",
                "The provider is an agent's id, @treasury or @commons-fund.",
            );
        }
        if !is_account(&self.receiver) {
            errors.add(
                "receiver",
                "The receiver is an agent's id, @treasury or @commons-fund.",
            );
        }
        if self.provider == self.receiver {
            errors.add("receiver", "The provider and the receiver differ.");
        }
        let quantity = Milli::check(
            &mut errors,
            "quantity",
            self.quantity,
            Bounds::zero_or_more(MAX_ENTRY_QUANTITY),
            "The quantity",
        );
        if quantity.is_some_and(|q| q.get() == 0) && self.corrects.is_none() {
            errors.add(
                "quantity",
                "Only a correction may be zero (it cancels the entry it corrects).",
            );
        }
        let resource = self.resource.trim();
        if resource.is_empty() || resource.len() > 120 {
            errors.add("resource", "Name the resource (up to 120 characters).");
        }
        let money = is_currency(&self.unit);
        match self.action {
            LedgerAction::Transfer if money && self.unit != currency => errors.add(
                "unit",
                format!("This coalition keeps its accounts in {currency}."),
            ),
            LedgerAction::Transfer if money && resource != currency => {
                errors.add("resource", "Money's resource is its currency code.")
            }
            LedgerAction::Transfer if !money && unit_of(&self.unit).is_none() => errors.add(
                "unit",
                "The unit is the coalition's currency or a unit such as kg or piece.",
            ),
            LedgerAction::Work | LedgerAction::Use if self.unit != "h" => {
                errors.add("unit", "Work and machine use are counted in hours (h).")
            }
            LedgerAction::Produce => errors.add(
                "action",
                "Goods made are recorded by confirming a claim's delivery, not by hand.",
            ),
            LedgerAction::Cite if self.unit != "piece" => errors.add(
                "unit",
                "Citations are counted in pieces made from the design.",
            ),
            _ => {}
        }
        if money && !CATEGORIES.contains(&self.category.as_str()) {
            errors.add(
                "category",
                format!("The category is one of {}.", CATEGORIES.join(", ")),
            );
        } else if !money && self.category.trim().is_empty() {
            errors.add("category", "Say what the contribution was for.");
        }
        if self.note.len() > 500 {
            errors.add("note", "Keep the note under 500 characters.");
        }
        if self.settles.is_some() && !(money && self.action == LedgerAction::Transfer) {
            errors.add("settles", "Only a payment of money settles what is owed.");
        }
        errors.into_result(())
    }
}

fn unit_of(symbol: &str) -> Option<crate::Unit> {
    crate::Unit::ALL.into_iter().find(|u| u.symbol() == symbol)
}

/// A steward's voiding of a contribution that should not count: recorded
/// as a correction of it to zero, with the reason as its note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoidInput {
    /// Why it does not count (1 to 400 characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 400))]
    pub reason: String,
}

impl VoidInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = self.reason.trim();
        if reason.is_empty() {
            errors.add("reason", "Say why it does not count: everyone reads it.");
        } else if reason.chars().count() > 400 {
            errors.add("reason", "Keep the reason under 400 characters.");
        }
        errors.into_result(())
    }

    /// The correction that voids `entry`: the same accounts and resource,
    /// zero, with the reason as its note.
    pub fn correction_of(&self, entry: &LedgerEntry) -> LedgerInput {
        LedgerInput {
            action: entry.action,
            provider: entry.provider.clone(),
            receiver: entry.receiver.clone(),
            resource: entry.resource.clone(),
            quantity: 0.0,
            unit: entry.unit.clone(),
            category: entry.category.clone(),
            note: format!("Void: {}", self.reason.trim()),
            corrects: Some(entry.seq),
            claim: entry.claim,
            settles: None,
            event: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::TREASURY;
    use crate::ledger::fixtures::{in_kind, money};

    #[test]
    fn a_steward_gets_clear_messages_for_bad_entries() {
        let mut bad = money("Not An Agent", "Not An Agent", -5.0, "snacks");
        bad.unit = "USD".into();
        let errors = bad.validate("EUR").unwrap_err();
        for field in ["provider", "receiver", "quantity", "unit", "category"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let work = in_kind(LedgerAction::Work, "amara-okafor", "assembly", 3.0, "kg");
        assert!(work.validate("EUR").unwrap_err().get("unit").is_some());
        assert!(
            money("clinic-kumasi", TREASURY, 10.0, "sale")
                .validate("EUR")
                .is_ok()
        );
    }
}
