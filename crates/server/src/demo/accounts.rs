//! A year of open accounts for the demo coalitions (`demo/accounts.json`):
//! the buyers and funders they deal with, each coalition's currency, value
//! equation and budget, and monthly templates of sales, grants, membership
//! fees, purchases, work, machine use and design citations. The year is
//! recorded month by month through the same store call stewards use, so
//! each sale makes its shares owed; shares owed for more than a month are
//! paid out, the last month's stay outstanding; one mistaken entry per
//! coalition is corrected, as a steward would.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::Deserialize;
use stigmergy_core::ledger::{LedgerAction, LedgerInput, TREASURY, ValueEquation, Weight};
use stigmergy_core::{AgentId, AgentInput, ImportBundle};

use crate::store::{Store, StoreResult};
use stigmergy_core::ledger::BudgetLine;

const DEMO_ACCOUNTS: &str = include_str!("../../../../demo/accounts.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsSeed {
    pub agents: Vec<AgentInput>,
    pub coalitions: Vec<CoalitionBooks>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoalitionBooks {
    pub coalition: AgentId,
    pub currency: String,
    /// Who sets the value equation.
    pub steward: AgentId,
    pub equation: EquationSeed,
    pub budget: Vec<BudgetSeed>,
    pub monthly: Vec<Template>,
    pub correction: Correction,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquationSeed {
    pub weights: Vec<Weight>,
    pub contributors_share: f64,
    pub commons_share: f64,
    pub reciprocity_fee: f64,
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSeed {
    pub direction: String,
    pub category: String,
    pub amount: f64,
}

/// An entry that recurs: on `day` of every `every`th month, its quantity
/// varying a little from month to month.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub action: LedgerAction,
    pub provider: String,
    pub receiver: String,
    /// Money's resource is the currency, filled in.
    #[serde(default)]
    pub resource: Option<String>,
    pub quantity: f64,
    /// Money's unit is the currency, filled in.
    #[serde(default)]
    pub unit: Option<String>,
    pub category: String,
    pub note: String,
    pub day: u32,
    pub every: u32,
}

/// One template's entry, `months_ago`, first recorded with the `wrong`
/// amount and then corrected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    pub months_ago: u32,
    pub template: usize,
    pub wrong: f64,
    pub note: String,
}

/// The embedded demo accounts.
pub fn seed() -> anyhow::Result<AccountsSeed> {
    Ok(serde_json::from_str(DEMO_ACCOUNTS)?)
}

/// A month's variation of a template's quantity: 85% to 115%, the same on
/// every run.
fn vary(quantity: f64, month: u32, index: usize, money: bool) -> f64 {
    let mut x = u64::from(month) * 7919 + index as u64 * 104_729 + 17;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    let factor = 0.85 + (x % 301) as f64 / 1000.0;
    let value = quantity * factor;
    if money {
        (value * 100.0).round() / 100.0
    } else {
        value.round().max(1.0)
    }
}

/// The first day of the month `months_ago` months before `now`.
fn month_start(now: DateTime<Utc>, months_ago: u32) -> DateTime<Utc> {
    let total = now.year() * 12 + now.month0() as i32 - months_ago as i32;
    Utc.with_ymd_and_hms(
        total.div_euclid(12),
        total.rem_euclid(12) as u32 + 1,
        1,
        9,
        0,
        0,
    )
    .single()
    .unwrap_or(now)
}

/// Opens the demo coalitions' ledgers and records their year.
pub async fn load(store: &dyn Store, seed: &AccountsSeed, now: DateTime<Utc>) -> StoreResult<u64> {
    store
        .import(
            &ImportBundle {
                agents: seed.agents.clone(),
                ..ImportBundle::default()
            },
            &[],
        )
        .await?;
    let mut recorded = 0;
    for books in &seed.coalitions {
        let c = &books.coalition;
        let opened = month_start(now, 12);
        store.open_ledger(c, &books.currency, opened).await?;
        let equation = ValueEquation {
            version: 0,
            weights: books.equation.weights.clone(),
            contributors_share: books.equation.contributors_share,
            commons_share: books.equation.commons_share,
            reciprocity_fee: books.equation.reciprocity_fee,
            note: books.equation.note.clone(),
            set_by: None,
            set_at: None,
        };
        store
            .set_value_equation(c, equation, &books.steward, opened)
            .await?;
        for year in [now.year() - 1, now.year()] {
            let lines: Vec<BudgetLine> = books
                .budget
                .iter()
                .map(|b| BudgetLine {
                    year,
                    direction: b.direction.clone(),
                    category: b.category.clone(),
                    amount: b.amount,
                })
                .collect();
            store.set_budget(c, year, &lines).await?;
        }
        for months_ago in (1..=12u32).rev() {
            let start = month_start(now, months_ago);
            let mut month: Vec<(DateTime<Utc>, usize, LedgerInput)> = Vec::new();
            for (i, t) in books.monthly.iter().enumerate() {
                if months_ago % t.every != 0 {
                    continue;
                }
                let money = t.unit.is_none();
                let input = LedgerInput {
                    action: t.action,
                    provider: t.provider.clone(),
                    receiver: t.receiver.clone(),
                    resource: t.resource.clone().unwrap_or_else(|| books.currency.clone()),
                    quantity: vary(t.quantity, months_ago, i, money),
                    unit: t.unit.clone().unwrap_or_else(|| books.currency.clone()),
                    category: t.category.clone(),
                    note: t.note.clone(),
                    corrects: None,
                    claim: None,
                    settles: None,
                    event: None,
                };
                month.push((start + Duration::days(i64::from(t.day) - 1), i, input));
            }
            month.sort_by_key(|(at, i, _)| (*at, *i));
            for (at, i, mut input) in month {
                let wrong =
                    books.correction.months_ago == months_ago && books.correction.template == i;
                let right = input.clone();
                if wrong {
                    input.quantity = books.correction.wrong;
                }
                let entry = store
                    .record_entry(c, input, Some(&books.steward), at)
                    .await?;
                recorded += 1;
                if wrong {
                    let mut fix = right;
                    fix.corrects = Some(entry.seq);
                    fix.note = books.correction.note.clone();
                    store
                        .record_entry(c, fix, Some(&books.steward), at + Duration::days(2))
                        .await?;
                    recorded += 1;
                }
            }
            // Pay what sales made owed more than a month ago.
            if months_ago > 1 {
                let payday = start + Duration::days(27);
                for owed in store.owed(c).await? {
                    let outstanding = owed.outstanding();
                    let due = owed.at < (payday - Duration::days(20)).into();
                    if owed.void || outstanding <= 0.0 || !due || owed.debtor != TREASURY {
                        continue;
                    }
                    let payout = LedgerInput {
                        action: LedgerAction::Transfer,
                        provider: TREASURY.into(),
                        receiver: owed.creditor.clone(),
                        resource: books.currency.clone(),
                        quantity: outstanding,
                        unit: books.currency.clone(),
                        category: "payout".into(),
                        note: format!(
                            "Share of the sale in entry {}",
                            owed.triggered_by.unwrap_or_default()
                        ),
                        corrects: None,
                        claim: None,
                        settles: Some(owed.id),
                        event: None,
                    };
                    store
                        .record_entry(c, payout, Some(&books.steward), payday)
                        .await?;
                    recorded += 1;
                }
            }
        }
    }
    Ok(recorded)
}
