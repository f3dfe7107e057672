//! A ledger's sums, folded one entry at a time: money balances, income and
//! spending by month and category, and each contributor's contributions in
//! force. [`balances`](super::balances), [`flows`](super::flows) and
//! [`shares`](super::shares) are these sums over a whole ledger; a server
//! keeps them for a ledger's head and folds each new entry in, instead of
//! reading the whole ledger again.
//!
//! Each sum remembers how many entries in force make it up, so that taking
//! out an entry that a later one corrects leaves exactly what a fold over
//! the entries in force would (an account, month or contribution no entry
//! in force names any more is gone, not zero).

use std::collections::{BTreeMap, BTreeSet};

use super::{Flows, GENESIS, LedgerAction, LedgerEntry, Share, ShareLine, ValueEquation, is_own};
use crate::unit::{from_milli, to_milli};

/// An amount in thousandths and how many entries in force make it up.
type Sum = (i64, u32);

/// The sums over a ledger's entries in force, up to its head.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerTotals {
    seq: u64,
    head: String,
    balances: BTreeMap<String, Sum>,
    income: BTreeMap<(String, String), Sum>,
    spending: BTreeMap<(String, String), Sum>,
    /// By contributor, then `(action, resource, unit)`.
    contributions: BTreeMap<String, BTreeMap<(LedgerAction, String, String), Sum>>,
    /// The entries a later entry corrects.
    corrected: BTreeSet<u64>,
}

impl Default for LedgerTotals {
    fn default() -> Self {
        LedgerTotals::new()
    }
}

fn bump<K: Ord>(map: &mut BTreeMap<K, Sum>, key: K, amount: i64, add: bool) {
    if add {
        let sum = map.entry(key).or_default();
        // Entries are bounded (MAX_ENTRY_QUANTITY): only billions of them
        // could reach the ends; saturate rather than wrap.
        sum.0 = sum.0.saturating_add(amount);
        sum.1 += 1;
    } else if let Some(sum) = map.get_mut(&key) {
        sum.0 = sum.0.saturating_sub(amount);
        sum.1 = sum.1.saturating_sub(1);
        if sum.1 == 0 {
            map.remove(&key);
        }
    }
}

/// Whether an entry counts as a contribution: work, use, citations, goods
/// made, and materials given to the coalition, by someone outside its own
/// accounts.
fn contributes(entry: &LedgerEntry) -> bool {
    let counts = match entry.action {
        LedgerAction::Transfer => !entry.is_money() && is_own(&entry.receiver),
        _ => true,
    };
    counts && !is_own(&entry.provider)
}

impl LedgerTotals {
    /// The sums of an empty ledger.
    pub fn new() -> LedgerTotals {
        LedgerTotals {
            seq: 0,
            head: GENESIS.to_owned(),
            balances: BTreeMap::new(),
            income: BTreeMap::new(),
            spending: BTreeMap::new(),
            contributions: BTreeMap::new(),
            corrected: BTreeSet::new(),
        }
    }

    /// The sums over `entries` (a whole ledger, in chain order): the
    /// entries in force, those no entry corrects.
    pub fn of(entries: &[LedgerEntry]) -> LedgerTotals {
        let mut totals = LedgerTotals::new();
        totals.corrected = entries.iter().filter_map(|e| e.corrects).collect();
        for entry in entries {
            if !totals.corrected.contains(&entry.seq) {
                totals.apply(entry, true);
            }
        }
        if let Some(last) = entries.last() {
            totals.seq = last.seq;
            totals.head = last.hash.clone();
        }
        totals
    }

    /// Folds in `entry`, the next in the chain. When it corrects an entry,
    /// `corrected` is that entry, whose part is taken out (unless another
    /// entry corrected it already).
    pub fn push(&mut self, entry: &LedgerEntry, corrected: Option<&LedgerEntry>) {
        if let Some(old) = entry.corrects
            && self.corrected.insert(old)
            && let Some(before) = corrected.filter(|c| c.seq == old)
        {
            self.apply(before, false);
        }
        if !self.corrected.contains(&entry.seq) {
            self.apply(entry, true);
        }
        self.seq = entry.seq;
        self.head = entry.hash.clone();
    }

    fn apply(&mut self, entry: &LedgerEntry, add: bool) {
        let amount = to_milli(entry.quantity);
        if entry.is_money() {
            bump(&mut self.balances, entry.provider.clone(), -amount, add);
            bump(&mut self.balances, entry.receiver.clone(), amount, add);
            let key = (
                entry.at.as_str().get(..7).unwrap_or_default().to_owned(),
                entry.category.clone(),
            );
            match (is_own(&entry.provider), is_own(&entry.receiver)) {
                (false, true) => bump(&mut self.income, key, amount, add),
                (true, false) => bump(&mut self.spending, key, amount, add),
                _ => {}
            }
        }
        if contributes(entry) {
            let lines = self
                .contributions
                .entry(entry.provider.clone())
                .or_default();
            let key = (entry.action, entry.resource.clone(), entry.unit.clone());
            bump(lines, key, amount, add);
            if lines.is_empty() {
                self.contributions.remove(&entry.provider);
            }
        }
    }

    /// How many entries are folded in: the head's number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The head's hash ([`GENESIS`] for an empty ledger).
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Whether a later entry corrects entry `seq`.
    pub fn is_corrected(&self, seq: u64) -> bool {
        self.corrected.contains(&seq)
    }

    /// Each account's money balance in thousandths (see
    /// [`balances`](super::balances)).
    pub fn balances(&self) -> BTreeMap<String, i64> {
        self.balances
            .iter()
            .map(|(account, sum)| (account.clone(), sum.0))
            .collect()
    }

    /// Income and spending by month and category (see
    /// [`flows`](super::flows)).
    pub fn flows(&self) -> Flows {
        let list = |m: &BTreeMap<(String, String), Sum>| {
            m.iter()
                .map(|((month, category), sum)| (month.clone(), category.clone(), sum.0))
                .collect()
        };
        Flows {
            income: list(&self.income),
            spending: list(&self.spending),
        }
    }

    /// Each contributor's points and share under `equation`, largest first
    /// (see [`shares`](super::shares)). Quantities are summed in exact
    /// thousandths.
    pub fn shares(&self, equation: &ValueEquation) -> Vec<Share> {
        let mut shares: Vec<Share> = self
            .contributions
            .iter()
            .map(|(contributor, sums)| {
                let lines: Vec<ShareLine> = sums
                    .iter()
                    .filter_map(|((action, resource, unit), sum)| {
                        let weight = equation.weight(*action, resource)?;
                        let quantity = from_milli(sum.0);
                        Some(ShareLine {
                            action: *action,
                            resource: resource.clone(),
                            quantity,
                            unit: unit.clone(),
                            weight,
                            points: quantity * weight,
                        })
                    })
                    .collect();
                Share {
                    contributor: contributor.clone(),
                    points: lines.iter().map(|l| l.points).sum(),
                    share: 0.0,
                    lines,
                }
            })
            .filter(|s| s.points > 0.0)
            .collect();
        let total: f64 = shares.iter().map(|s| s.points).sum();
        for share in &mut shares {
            share.share = share.points / total;
        }
        shares.sort_by(|a, b| {
            b.points
                .total_cmp(&a.points)
                .then_with(|| a.contributor.cmp(&b.contributor))
        });
        shares
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::fixtures::{ACCOUNTS, append, equation, in_kind, money};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn folding_entry_by_entry_sums_like_the_whole_ledger(
            steps in prop::collection::vec((0..4usize, 0..5usize, 0..5usize, 0..10_000_000u32, 0..1000usize), 1..80)
        ) {
            let equation = equation();
            let mut ledger: Vec<LedgerEntry> = Vec::new();
            let mut folded = LedgerTotals::new();
            for (kind, a, b, cents, which) in steps {
                let amount = f64::from(cents) / 100.0;
                let input = match kind {
                    0 | 1 if a != b => money(ACCOUNTS[a], ACCOUNTS[b], amount, "sale"),
                    0 | 1 => in_kind(LedgerAction::Work, ACCOUNTS[a], "welding", amount, "h"),
                    2 => in_kind(LedgerAction::Use, ACCOUNTS[a], "cnc-routing", amount, "h"),
                    // A correction of any earlier entry (even one corrected
                    // already), moving the money between other accounts.
                    _ if !ledger.is_empty() => {
                        let old = &ledger[which % ledger.len()];
                        let mut fix = if old.is_money() && a != b {
                            money(ACCOUNTS[a], ACCOUNTS[b], amount, "grant")
                        } else {
                            in_kind(old.action, ACCOUNTS[a], "welding", amount, "h")
                        };
                        fix.corrects = Some(old.seq);
                        fix
                    }
                    _ => continue,
                };
                append(&mut ledger, input);
                let entry = ledger.last().unwrap();
                let corrected = entry.corrects.map(|old| &ledger[old as usize - 1]);
                folded.push(entry, corrected);
            }
            let whole = LedgerTotals::of(&ledger);
            prop_assert_eq!(folded.balances(), whole.balances());
            prop_assert_eq!(folded.flows(), whole.flows());
            prop_assert_eq!(folded.shares(&equation), whole.shares(&equation));
            prop_assert_eq!(folded.seq(), ledger.len() as u64);
            prop_assert_eq!(folded.head(), ledger.last().map_or(GENESIS, |e| e.hash.as_str()));
        }
    }
}
