//! A coalition's accounts: its own accounts, money balances, income and
//! spending by month and category, the budget against actuals, what is owed,
//! and the overview that gathers them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LedgerEntry, LedgerTotals, Share, ValueEquation};
use crate::unit::{from_milli, to_milli};
use crate::{AgentId, Timestamp};

/// The coalition's own money account.
pub const TREASURY: &str = "@treasury";
/// What the commons' contributors are owed as a whole: reciprocity fees and
/// the commons' share of sales go here.
pub const COMMONS_FUND: &str = "@commons-fund";

/// Whether an account is the coalition's own.
pub fn is_own(account: &str) -> bool {
    account == TREASURY || account == COMMONS_FUND
}

/// Each account's money balance in thousandths of the currency: what came
/// in less what went out, over the entries in force. Outside agents (buyers,
/// funders) show what they paid in as a negative balance, so the balances
/// of a ledger always add up to zero.
pub fn balances(entries: &[LedgerEntry]) -> BTreeMap<String, i64> {
    LedgerTotals::of(entries).balances()
}

/// Money in and out of the coalition's own accounts (treasury and commons
/// fund), by month (`2026-11`) and category, in thousandths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flows {
    /// `(month, category, amount in thousandths)`, money into the coalition.
    pub income: Vec<(String, String, i64)>,
    /// The same for money out of it.
    pub spending: Vec<(String, String, i64)>,
}

/// Income and spending by month and category. Money between the treasury
/// and the commons fund is neither.
pub fn flows(entries: &[LedgerEntry]) -> Flows {
    LedgerTotals::of(entries).flows()
}

/// The most lines one year's budget has (`PUT …/budgets/{year}`).
pub const MAX_BUDGET_LINES: usize = 200;

/// An amount owed (a ValueFlows `Claim`): made by a sale for the commons fund
/// and the contributors, or by a claim on a Peer Production License design
/// for a reciprocity fee; settled by payments that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Owed {
    pub id: u64,
    /// The entry that made it owed, or for a fee the need claim.
    pub triggered_by: Option<u64>,
    pub need_claim: Option<u64>,
    /// Who is owed, and who owes.
    pub creditor: String,
    pub debtor: String,
    pub amount: f64,
    pub currency: String,
    /// `revenue_share`, `commons_share` or `reciprocity_fee`.
    pub kind: String,
    /// Paid so far, by entries in force that settle it.
    pub settled: f64,
    pub at: Timestamp,
    /// The value equation version it was worked out with.
    pub equation_version: Option<u32>,
    /// No longer owed: the sale that made it was corrected, or the claim
    /// that made a fee owed was withdrawn or declined. Nothing settles it.
    #[serde(default)]
    pub void: bool,
}

impl Owed {
    pub fn outstanding(&self) -> f64 {
        from_milli(to_milli(self.amount) - to_milli(self.settled))
    }
}

/// An account's money balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    pub account: String,
    pub amount: f64,
}

/// A budget line beside what actually came in or went out that year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetActual {
    pub year: i32,
    /// `income` or `spending`.
    pub direction: String,
    pub category: String,
    pub budget: f64,
    pub actual: f64,
}

/// What one creditor is owed in all, and how much of it is paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwedTotal {
    pub creditor: String,
    pub owed: f64,
    pub settled: f64,
}

/// `GET /api/coalitions/{id}/accounts`: a coalition's accounts at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountsOverview {
    pub coalition: crate::AgentId,
    pub currency: String,
    /// How many entries the ledger has, and the last one's hash.
    pub entries: u64,
    pub head: String,
    /// The coalition's own accounts first, then everyone else's by amount.
    pub balances: Vec<Balance>,
    pub flows: Flows,
    pub budget: Vec<BudgetActual>,
    /// The value equation in force, if the stewards have set one.
    pub equation: Option<ValueEquation>,
    pub shares: Vec<Share>,
    pub owed: Vec<OwedTotal>,
    /// Display names of the agents named anywhere above.
    pub names: Vec<(String, String)>,
}

/// What a coalition's accounts overview is made of, as the store read it.
#[derive(Debug, Clone)]
pub struct AccountsRead<'a> {
    pub coalition: AgentId,
    pub currency: String,
    /// How many entries the ledger has, and the last one's hash.
    pub entries: u64,
    pub head: String,
    /// The sums over the ledger at that head.
    pub totals: &'a LedgerTotals,
    /// The value equation in force, if the stewards have set one.
    pub equation: Option<ValueEquation>,
    /// `(creditor, owed, settled)` in thousandths, void amounts left out.
    pub owed: Vec<(String, i64, i64)>,
    /// The budget lines: `(year, direction, category, amount)`.
    pub budget: Vec<(i32, String, String, f64)>,
}

impl AccountsOverview {
    /// The overview of what was read: balances (the coalition's own
    /// accounts first, then by amount, largest first, then by name), income
    /// and spending, the budget against actuals, each contributor's share
    /// under the equation in force (none without one), and what each
    /// creditor is owed and paid. `names` is left empty: the caller looks
    /// up the display names of [`AccountsOverview::accounts_named`].
    pub fn of(read: AccountsRead<'_>) -> AccountsOverview {
        let AccountsRead {
            coalition,
            currency,
            entries,
            head,
            totals,
            equation,
            owed,
            budget,
        } = read;
        let mut balances: Vec<Balance> = totals
            .balances()
            .into_iter()
            .map(|(account, milli)| Balance {
                account,
                amount: from_milli(milli),
            })
            .collect();
        balances.sort_by(|a, b| {
            is_own(&b.account)
                .cmp(&is_own(&a.account))
                .then(b.amount.total_cmp(&a.amount))
                .then(a.account.cmp(&b.account))
        });
        let flows = totals.flows();
        let budget = budget_actuals(&flows, &budget);
        let shares = equation
            .as_ref()
            .map(|e| totals.shares(e))
            .unwrap_or_default();
        let owed = owed
            .into_iter()
            .map(|(creditor, owed, settled)| OwedTotal {
                creditor,
                owed: from_milli(owed),
                settled: from_milli(settled),
            })
            .collect();
        AccountsOverview {
            coalition,
            currency,
            entries,
            head,
            balances,
            flows,
            budget,
            equation,
            shares,
            owed,
            names: Vec::new(),
        }
    }

    /// Every account the overview names (balances, contributors,
    /// creditors) and the coalition itself, repeats and the coalition's own
    /// accounts included: what `names` gives display names for.
    pub fn accounts_named(&self) -> impl Iterator<Item = String> + '_ {
        self.balances
            .iter()
            .map(|b| b.account.clone())
            .chain(self.shares.iter().map(|s| s.contributor.clone()))
            .chain(self.owed.iter().map(|o| o.creditor.clone()))
            .chain(std::iter::once(self.coalition.as_str().to_owned()))
    }
}

/// Budget lines set against the year's actual income and spending.
pub fn budget_actuals(flows: &Flows, budget: &[(i32, String, String, f64)]) -> Vec<BudgetActual> {
    let actual = |direction: &str, year: i32, category: &str| {
        let lines = if direction == "income" {
            &flows.income
        } else {
            &flows.spending
        };
        let sum: i64 = lines
            .iter()
            .filter(|(month, c, _)| c == category && month.starts_with(&year.to_string()))
            .fold(0i64, |sum, l| sum.saturating_add(l.2));
        from_milli(sum)
    };
    budget
        .iter()
        .map(|(year, direction, category, amount)| BudgetActual {
            year: *year,
            direction: direction.clone(),
            category: category.clone(),
            budget: *amount,
            actual: actual(direction, *year, category),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::fixtures::{ACCOUNTS, append, equation, in_kind, money};
    use crate::ledger::{LedgerAction, verify};
    use proptest::prelude::*;

    #[test]
    fn a_correction_replaces_the_entry_it_corrects() {
        let mut ledger = Vec::new();
        append(
            &mut ledger,
            money("clinic-kumasi", TREASURY, 1200.0, "sale"),
        );
        append(
            &mut ledger,
            money(TREASURY, "maas-materials", 800.0, "materials"),
        );
        let mut fix = money(TREASURY, "maas-materials", 80.0, "materials");
        fix.corrects = Some(2);
        append(&mut ledger, fix);
        let balances = balances(&ledger);
        assert_eq!(balances[TREASURY], 1_120_000);
        assert_eq!(balances["maas-materials"], 80_000);
        assert_eq!(balances.values().sum::<i64>(), 0);
        let flows = flows(&ledger);
        assert_eq!(
            flows.income,
            vec![("2026-01".into(), "sale".into(), 1_200_000)]
        );
        assert_eq!(
            flows.spending,
            vec![("2026-01".into(), "materials".into(), 80_000)]
        );
    }

    /// One step of a random history: a payment, or a correction of an
    /// earlier entry (zero cancels it).
    #[derive(Debug, Clone)]
    enum Step {
        Pay { from: usize, to: usize, cents: u32 },
        Correct { which: usize, cents: u32 },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => (0..5usize, 0..5usize, 1..10_000_000u32).prop_map(|(from, to, cents)| Step::Pay { from, to, cents }),
            1 => (0..1000usize, 0..10_000_000u32).prop_map(|(which, cents)| Step::Correct { which, cents }),
        ]
    }

    proptest! {
        #[test]
        fn the_money_ledger_always_balances(steps in prop::collection::vec(step(), 1..80)) {
            let mut ledger: Vec<LedgerEntry> = Vec::new();
            // The model: what each entry in force moves, by its sequence number.
            let mut model: BTreeMap<u64, (String, String, i64)> = BTreeMap::new();
            for step in steps {
                match step {
                    Step::Pay { from, to, cents } => {
                        if from == to { continue; }
                        let amount = f64::from(cents) / 100.0;
                        append(&mut ledger, money(ACCOUNTS[from], ACCOUNTS[to], amount, "transfer"));
                        model.insert(ledger.len() as u64, (ACCOUNTS[from].into(), ACCOUNTS[to].into(), i64::from(cents) * 10));
                    }
                    Step::Correct { which, cents } => {
                        // Only entries still in force are corrected.
                        let Some((&old, (from, to, _))) = model.iter().nth(which % model.len().max(1)) else { continue };
                        let (from, to) = (from.clone(), to.clone());
                        let mut fix = money(&from, &to, f64::from(cents) / 100.0, "transfer");
                        fix.corrects = Some(old);
                        append(&mut ledger, fix);
                        model.remove(&old);
                        model.insert(ledger.len() as u64, (from, to, i64::from(cents) * 10));
                    }
                }
            }
            let balances = balances(&ledger);
            prop_assert_eq!(balances.values().sum::<i64>(), 0);
            let mut expected: BTreeMap<String, i64> = BTreeMap::new();
            for (from, to, amount) in model.values() {
                *expected.entry(from.clone()).or_default() -= amount;
                *expected.entry(to.clone()).or_default() += amount;
            }
            for (account, balance) in &balances {
                prop_assert_eq!(*balance, expected.get(account).copied().unwrap_or_default(), "{}", account);
            }
            // The coalition's own balance is its income less its spending.
            let flows = flows(&ledger);
            let own: i64 = balances.iter().filter(|(a, _)| is_own(a)).map(|(_, b)| b).sum();
            let income: i64 = flows.income.iter().map(|f| f.2).sum();
            let spending: i64 = flows.spending.iter().map(|f| f.2).sum();
            prop_assert_eq!(own, income - spending);
            // The chain checks out, and any one change is caught where it is.
            prop_assert!(verify(&ledger).valid);
            if !ledger.is_empty() {
                let i = ledger.len() / 2;
                let mut tampered = ledger.clone();
                tampered[i].quantity += 0.01;
                prop_assert_eq!(verify(&tampered).broken_at, Some(i as u64 + 1));
            }
        }
    }

    #[test]
    fn the_overview_puts_own_accounts_first_and_shares_under_the_equation() {
        let mut ledger = Vec::new();
        append(&mut ledger, money("mesa-fund", TREASURY, 5000.0, "grant"));
        append(
            &mut ledger,
            money(TREASURY, COMMONS_FUND, 100.0, "transfer"),
        );
        append(
            &mut ledger,
            money("clinic-kumasi", TREASURY, 1200.0, "sale"),
        );
        append(
            &mut ledger,
            in_kind(LedgerAction::Work, "amara-okafor", "assembly", 4.0, "h"),
        );
        let totals = LedgerTotals::of(&ledger);
        let last = ledger.last().unwrap();
        let read = AccountsRead {
            coalition: AgentId::parse("mesa").unwrap(),
            currency: "EUR".into(),
            entries: last.seq,
            head: last.hash.clone(),
            totals: &totals,
            equation: Some(equation()),
            owed: vec![("amara-okafor".into(), 720_000, 120_500)],
            budget: vec![(2026, "income".into(), "sale".into(), 2000.0)],
        };
        let overview = AccountsOverview::of(read.clone());
        let accounts: Vec<(&str, f64)> = overview
            .balances
            .iter()
            .map(|b| (b.account.as_str(), b.amount))
            .collect();
        assert_eq!(
            accounts,
            [
                (TREASURY, 6100.0),
                (COMMONS_FUND, 100.0),
                ("clinic-kumasi", -1200.0),
                ("mesa-fund", -5000.0),
            ]
        );
        assert_eq!(
            (overview.entries, overview.head.as_str()),
            (4, last.hash.as_str())
        );
        assert_eq!(overview.budget[0].actual, 1200.0);
        assert_eq!(overview.shares.len(), 1);
        assert_eq!(overview.owed[0].owed, 720.0);
        assert_eq!(overview.owed[0].settled, 120.5);
        assert!(overview.names.is_empty());
        let named: Vec<String> = overview.accounts_named().collect();
        assert!(named.contains(&"amara-okafor".to_owned()));
        assert_eq!(named.last().map(String::as_str), Some("mesa"));
        // Without a value equation there are no shares to show.
        let plain = AccountsOverview::of(AccountsRead {
            equation: None,
            ..read
        });
        assert!(plain.shares.is_empty());
    }
}
