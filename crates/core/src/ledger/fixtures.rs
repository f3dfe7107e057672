//! Ledgers for the unit tests: entries of money and in kind, appended
//! and sealed in order, and a value equation.

use super::*;
use crate::Timestamp;

pub(super) fn at(day: u32) -> Timestamp {
    serde_json::from_str(&format!(
        "\"2026-{:02}-{:02}T10:00:00.000Z\"",
        1 + day / 28 % 12,
        1 + day % 28
    ))
    .unwrap()
}

pub(super) fn money(provider: &str, receiver: &str, amount: f64, category: &str) -> LedgerInput {
    LedgerInput {
        action: LedgerAction::Transfer,
        provider: provider.into(),
        receiver: receiver.into(),
        resource: "EUR".into(),
        quantity: amount,
        unit: "EUR".into(),
        category: category.into(),
        note: String::new(),
        corrects: None,
        claim: None,
        settles: None,
        event: None,
    }
}

pub(super) fn in_kind(
    action: LedgerAction,
    who: &str,
    resource: &str,
    quantity: f64,
    unit: &str,
) -> LedgerInput {
    LedgerInput {
        action,
        provider: who.into(),
        receiver: TREASURY.into(),
        resource: resource.into(),
        quantity,
        unit: unit.into(),
        category: "production".into(),
        note: String::new(),
        corrects: None,
        claim: None,
        settles: None,
        event: None,
    }
}

pub(super) fn append(ledger: &mut Vec<LedgerEntry>, input: LedgerInput) {
    let prev = ledger
        .last()
        .map_or(GENESIS, |e| e.hash.as_str())
        .to_owned();
    let seq = ledger.len() as u64 + 1;
    ledger.push(LedgerEntry::seal(seq, at(seq as u32), input, &prev));
}

pub(super) fn equation() -> ValueEquation {
    ValueEquation {
        version: 1,
        weights: vec![
            Weight {
                action: LedgerAction::Work,
                resource: None,
                weight: 1.0,
            },
            Weight {
                action: LedgerAction::Work,
                resource: Some("cnc-routing".into()),
                weight: 1.5,
            },
            Weight {
                action: LedgerAction::Use,
                resource: None,
                weight: 0.5,
            },
            Weight {
                action: LedgerAction::Cite,
                resource: None,
                weight: 0.2,
            },
            Weight {
                action: LedgerAction::Transfer,
                resource: None,
                weight: 0.1,
            },
        ],
        contributors_share: 0.6,
        commons_share: 0.1,
        reciprocity_fee: 0.5,
        note: String::new(),
        set_by: None,
        set_at: None,
    }
}

pub(super) const ACCOUNTS: [&str; 5] = [
    TREASURY,
    COMMONS_FUND,
    "clinic-kumasi",
    "maas-materials",
    "amara-okafor",
];
