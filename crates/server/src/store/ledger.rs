//! Each coalition's ledger in SQL: append-only entries, numbered and
//! hash-chained in the transaction that writes them (one writer at a time
//! per coalition: appending first locks the coalition's `ledgers` row), what
//! is owed after sales and for reciprocity fees, the value equation's
//! versions and the budget.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::ledger::{
    self, COMMONS_FUND, LedgerAction, LedgerEntry, LedgerInput, Owed, TREASURY, ValueEquation,
    is_currency, is_own,
};
use stigmergy_core::unit::{from_milli, to_milli};
use stigmergy_core::{AgentId, FieldErrors};

use super::ledger_reads::{LedgerConn, LedgerHead};
use super::pool::{SqlStore, with_pool};
use super::{StoreError, StoreResult};

/// A line of a coalition's budget for a year.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct BudgetLine {
    pub year: i32,
    /// `income` or `spending`.
    pub direction: String,
    pub category: String,
    pub amount: f64,
}

#[async_trait]
pub trait Ledgers {
    /// Opens the coalition's ledger in `currency` and carries its goods
    /// events recorded so far into it; `Conflict` when it is open already.
    async fn open_ledger(
        &self,
        coalition: &AgentId,
        currency: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The currency of the coalition's ledger; `NotFound` when it has none.
    async fn ledger_currency(&self, coalition: &AgentId) -> StoreResult<String>;

    /// Appends an entry after checking what it refers to: the entry it
    /// corrects (which must be in force), what it settles (no more than is
    /// outstanding, from the debtor to the creditor), the claim and the
    /// agents. A sale into the treasury also makes its shares owed under the
    /// current value equation.
    async fn record_entry(
        &self,
        coalition: &AgentId,
        input: LedgerInput,
        by: Option<&AgentId>,
        at: DateTime<Utc>,
    ) -> StoreResult<LedgerEntry>;

    /// Every version of the value equation, newest first.
    async fn value_equations(&self, coalition: &AgentId) -> StoreResult<Vec<ValueEquation>>;

    /// Sets a new version of the value equation.
    async fn set_value_equation(
        &self,
        coalition: &AgentId,
        equation: ValueEquation,
        by: &AgentId,
        at: DateTime<Utc>,
    ) -> StoreResult<ValueEquation>;

    /// What is owed, with what has been settled, oldest first.
    async fn owed(&self, coalition: &AgentId) -> StoreResult<Vec<Owed>>;

    /// Replaces the budget lines of one year.
    async fn set_budget(
        &self,
        coalition: &AgentId,
        year: i32,
        lines: &[BudgetLine],
    ) -> StoreResult<()>;

    /// Every budget line, by year.
    async fn budget(&self, coalition: &AgentId) -> StoreResult<Vec<BudgetLine>>;

    /// The names of the agents with these ids (unknown ones left out).
    async fn agent_names(&self, ids: &[String]) -> StoreResult<Vec<(String, String)>>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct EntryRow {
    seq: i64,
    at: DateTime<Utc>,
    action: String,
    provider: String,
    receiver: String,
    resource: String,
    quantity: i64,
    unit: String,
    category: String,
    note: String,
    corrects: Option<i64>,
    claim_id: Option<i64>,
    settles: Option<i64>,
    event_id: Option<i64>,
    prev_hash: String,
    hash: String,
    recorded_by: Option<String>,
}

pub(crate) const ENTRY_COLUMNS: &str = "seq, at, action, provider, receiver, resource, quantity, unit, \
     category, note, corrects, claim_id, settles, event_id, prev_hash, hash, recorded_by";

fn id_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn db_id(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl EntryRow {
    pub(crate) fn into_entry(self) -> StoreResult<LedgerEntry> {
        Ok(LedgerEntry {
            seq: id_of(self.seq),
            at: self.at.into(),
            action: LedgerAction::parse(&self.action).ok_or_else(|| {
                StoreError::Other(anyhow::anyhow!(
                    "unexpected ledger action {:?}",
                    self.action
                ))
            })?,
            provider: self.provider,
            receiver: self.receiver,
            resource: self.resource,
            quantity: from_milli(self.quantity),
            unit: self.unit,
            category: self.category,
            note: self.note,
            corrects: self.corrects.map(id_of),
            claim: self.claim_id.map(id_of),
            settles: self.settles.map(id_of),
            event: self.event_id.map(id_of),
            prev_hash: self.prev_hash,
            hash: self.hash,
            recorded_by: self.recorded_by,
        })
    }
}

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    let mut fields = FieldErrors::new();
    fields.add(field, message);
    StoreError::Invalid(fields)
}

/// Locks `$coalition`'s ledger until the transaction `$tx` ends: one writer
/// at a time per coalition, on both stores (the row lock of an UPDATE);
/// `NotFound` when the coalition keeps no ledger.
macro_rules! lock_ledger {
    ($store:expr, $tx:expr, $coalition:expr) => {{
        let found = if $store.unguarded() {
            // The race tests' breaking control only looks (see
            // `SqlStore::without_guards`).
            sqlx::query("SELECT currency FROM ledgers WHERE coalition_id = $1")
                .bind($coalition)
                .fetch_optional(&mut *$tx)
                .await?
                .is_some()
        } else {
            sqlx::query("UPDATE ledgers SET currency = currency WHERE coalition_id = $1")
                .bind($coalition)
                .execute(&mut *$tx)
                .await?
                .rows_affected()
                > 0
        };
        if !found {
            return Err($crate::store::StoreError::NotFound);
        }
    }};
}
pub(crate) use lock_ledger;

/// Appends `$input` to `$coalition`'s ledger inside the transaction `$tx`:
/// locks the ledger, links to the last entry, hashes and inserts. Yields
/// the new entry; `NotFound` when the coalition keeps no ledger.
macro_rules! append_entry {
    ($store:expr, $tx:expr, $coalition:expr, $input:expr, $by:expr, $at:expr) => {{
        let coalition: &str = $coalition;
        let at: chrono::DateTime<chrono::Utc> = $at;
        $crate::store::ledger::lock_ledger!($store, $tx, coalition);
        if $store.unguarded() {
            // The breaking control widens the window between the checks
            // and the append.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let head: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM ledger_entries WHERE coalition_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(coalition)
        .fetch_optional(&mut *$tx)
        .await?;
        let (seq, prev) = match head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, stigmergy_core::ledger::GENESIS.to_owned()),
        };
        let by: Option<&stigmergy_core::AgentId> = $by;
        let mut entry = stigmergy_core::ledger::LedgerEntry::seal(
            u64::try_from(seq).unwrap_or_default(),
            at.into(),
            $input,
            &prev,
        );
        entry.recorded_by = by.map(|b| b.as_str().to_owned());
        let opt = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        sqlx::query(
            "INSERT INTO ledger_entries (coalition_id, seq, at, action, provider, receiver, resource, \
             quantity, unit, category, note, corrects, claim_id, settles, event_id, recorded_by, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(coalition)
        .bind(seq)
        .bind(at)
        .bind(entry.action.as_str())
        .bind(&entry.provider)
        .bind(&entry.receiver)
        .bind(&entry.resource)
        .bind(stigmergy_core::unit::to_milli(entry.quantity))
        .bind(&entry.unit)
        .bind(&entry.category)
        .bind(&entry.note)
        .bind(opt(entry.corrects))
        .bind(opt(entry.claim))
        .bind(opt(entry.settles))
        .bind(opt(entry.event))
        .bind(by.map(|b| b.as_str()))
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *$tx)
        .await?;
        entry
    }};
}
pub(crate) use append_entry;

/// Carries the coalition's goods events that count in its accounts (see
/// `economic_events.in_accounts`) and are not in its ledger yet into it,
/// oldest first (for a ledger opened after deliveries happened).
macro_rules! carry_events {
    ($store:expr, $tx:expr, $coalition:expr) => {{
        let coalition: &str = $coalition;
        let pending: Vec<(i64, String, String, String, String, i64, String, chrono::DateTime<chrono::Utc>, Option<i64>)> =
            sqlx::query_as(
                "SELECT e.id, e.action, e.provider_id, e.receiver_id, e.resource, e.quantity, e.unit, e.at, e.fulfils \
                 FROM economic_events e WHERE e.coalition_id = $1 AND e.in_accounts = TRUE \
                 AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.event_id = e.id) ORDER BY e.id",
            )
            .bind(coalition)
            .fetch_all(&mut *$tx)
            .await?;
        for (id, action, provider, receiver, resource, quantity, unit, at, claim) in pending {
            let input = $crate::store::ledger::goods_input(&action, provider, receiver, resource, quantity, unit, claim, id);
            $crate::store::ledger::append_entry!($store, $tx, coalition, input, None, at);
        }
    }};
}
pub(crate) use carry_events;

/// A goods event (a claim's delivery) as a ledger entry.
#[allow(clippy::too_many_arguments)]
pub(crate) fn goods_input(
    action: &str,
    provider: String,
    receiver: String,
    resource: String,
    quantity: i64,
    unit: String,
    claim: Option<i64>,
    event: i64,
) -> LedgerInput {
    LedgerInput {
        action: if action == "produce" {
            LedgerAction::Produce
        } else {
            LedgerAction::Transfer
        },
        provider,
        receiver,
        resource,
        quantity: from_milli(quantity),
        unit,
        category: "delivery".into(),
        note: String::new(),
        corrects: None,
        claim: claim.map(id_of),
        settles: None,
        event: Some(id_of(event)),
    }
}

#[derive(sqlx::FromRow)]
struct OwedRow {
    id: i64,
    kind: String,
    creditor: String,
    debtor: String,
    amount: i64,
    triggered_by: Option<i64>,
    need_claim: Option<i64>,
    equation_version: Option<i64>,
    at: DateTime<Utc>,
    settled: i64,
    void: bool,
}

/// Whether the `owed` row `o` no longer stands: the sale entry that made it
/// owed was corrected, or the claim that made a fee owed was withdrawn or
/// declined (a boolean on both stores).
const VOID: &str = "(EXISTS (SELECT 1 FROM ledger_entries k WHERE k.coalition_id = o.coalition_id \
     AND k.corrects = o.triggered_by) \
     OR EXISTS (SELECT 1 FROM claims c WHERE c.id = o.need_claim AND c.state IN ('declined', 'withdrawn')))";

#[async_trait]
impl Ledgers for SqlStore {
    async fn open_ledger(
        &self,
        coalition: &AgentId,
        currency: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if !is_currency(currency) {
            return Err(invalid(
                "currency",
                "The currency is a three-letter ISO 4217 code, such as EUR.",
            ));
        }
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // One statement opens it, so that of two concurrent opens one
            // wins and the other is told it is open (the primary key).
            let opened = sqlx::query(
                "INSERT INTO ledgers (coalition_id, currency, opened_at) \
                 SELECT agent_id, $2, $3 FROM coalitions WHERE agent_id = $1 \
                 ON CONFLICT (coalition_id) DO NOTHING",
            )
            .bind(coalition.as_str())
            .bind(currency)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if opened == 0 {
                let kept: Option<(String,)> =
                    sqlx::query_as("SELECT currency FROM ledgers WHERE coalition_id = $1")
                        .bind(coalition.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(match kept {
                    Some((kept,)) => StoreError::Conflict(format!(
                        "This coalition's accounts are open already, in {kept}."
                    )),
                    None => StoreError::NotFound,
                });
            }
            carry_events!(self, tx, coalition.as_str());
            tx.commit().await?;
            Ok(())
        })
    }

    async fn ledger_currency(&self, coalition: &AgentId) -> StoreResult<String> {
        let row: Option<(String,)> = with_pool!(&self.pool, p => {
            sqlx::query_as("SELECT currency FROM ledgers WHERE coalition_id = $1")
                .bind(coalition.as_str())
                .fetch_optional(p)
                .await?
        });
        row.map(|(c,)| c).ok_or(StoreError::NotFound)
    }

    async fn record_entry(
        &self,
        coalition: &AgentId,
        input: LedgerInput,
        by: Option<&AgentId>,
        at: DateTime<Utc>,
    ) -> StoreResult<LedgerEntry> {
        let c = coalition.as_str();
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // Lock first, so that the checks below hold until the entry is in.
            lock_ledger!(self, tx, c);
            for (field, account) in [("provider", &input.provider), ("receiver", &input.receiver)] {
                if is_own(account) {
                    continue;
                }
                let known: Option<(String,)> = sqlx::query_as("SELECT id FROM agents WHERE id = $1")
                    .bind(account)
                    .fetch_optional(&mut *tx)
                    .await?;
                if known.is_none() {
                    return Err(invalid(field, format!("There is no agent \u{201c}{account}\u{201d}.")));
                }
            }
            if let Some(old) = input.corrects {
                let found: Option<(i64,)> = sqlx::query_as(
                    "SELECT seq FROM ledger_entries WHERE coalition_id = $1 AND seq = $2",
                )
                .bind(c)
                .bind(db_id(old))
                .fetch_optional(&mut *tx)
                .await?;
                if found.is_none() {
                    return Err(invalid("corrects", format!("There is no entry {old} to correct.")));
                }
                let later: Option<(i64,)> = sqlx::query_as(
                    "SELECT seq FROM ledger_entries WHERE coalition_id = $1 AND corrects = $2",
                )
                .bind(c)
                .bind(db_id(old))
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((newer,)) = later {
                    return Err(invalid(
                        "corrects",
                        format!("Entry {old} was already corrected by entry {newer}; correct that one."),
                    ));
                }
            }
            if let Some(claim) = input.claim {
                let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM claims WHERE id = $1")
                    .bind(db_id(claim))
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(invalid("claim", format!("There is no claim {claim}.")));
                }
            }
            if let Some(owed) = input.settles {
                let row: Option<(String, String, i64, bool)> = sqlx::query_as(&format!(
                    "SELECT o.creditor, o.debtor, o.amount, {VOID} FROM owed o WHERE o.id = $1 AND o.coalition_id = $2",
                ))
                .bind(db_id(owed))
                .bind(c)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((creditor, debtor, amount, void)) = row else {
                    return Err(invalid("settles", format!("Nothing owed has the number {owed} here.")));
                };
                if void {
                    return Err(invalid(
                        "settles",
                        format!("What was owed under {owed} is void (its sale was corrected, or its claim withdrawn or declined): nothing is left to pay."),
                    ));
                }
                if input.provider != debtor || input.receiver != creditor {
                    return Err(invalid(
                        "settles",
                        format!("What is owed under {owed} is paid by {debtor} to {creditor}."),
                    ));
                }
                let settled: (i64,) = sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM ledger_entries l \
                     WHERE l.coalition_id = $1 AND l.settles = $2 \
                     AND NOT EXISTS (SELECT 1 FROM ledger_entries k WHERE k.coalition_id = l.coalition_id AND k.corrects = l.seq)",
                )
                .bind(c)
                .bind(db_id(owed))
                .fetch_one(&mut *tx)
                .await?;
                let outstanding = amount - settled.0;
                if to_milli(input.quantity) > outstanding {
                    return Err(invalid(
                        "quantity",
                        format!("Only {} is outstanding under {owed}.", from_milli(outstanding)),
                    ));
                }
            }
            let sale = input.action == LedgerAction::Transfer
                && is_currency(&input.unit)
                && input.category == "sale"
                && input.receiver == TREASURY
                && !is_own(&input.provider)
                && input.quantity > 0.0;
            let entry = append_entry!(self, tx, c, input, by, at);
            if sale {
                let equation: Option<(String,)> = sqlx::query_as(
                    "SELECT equation FROM value_equations WHERE coalition_id = $1 ORDER BY version DESC LIMIT 1",
                )
                .bind(c)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((json,)) = equation {
                    let equation: ValueEquation =
                        serde_json::from_str(&json).map_err(anyhow::Error::from)?;
                    // The shares at the head the entry was appended to, read
                    // inside the lock (so no entry can come between): the
                    // cached sums, folded forward if they are behind. The sale
                    // itself is money, no contribution.
                    let before = LedgerHead { seq: entry.seq - 1, hash: entry.prev_hash.clone() };
                    let totals = LedgerConn::from(&mut *tx).totals(&self.ledger_cache, c, &before).await?;
                    let shares = totals.shares(&equation);
                    for (creditor, amount) in ledger::split_sale(to_milli(entry.quantity), &equation, &shares) {
                        let kind = if creditor == COMMONS_FUND { "commons_share" } else { "revenue_share" };
                        sqlx::query(
                            "INSERT INTO owed (coalition_id, kind, creditor, debtor, amount, triggered_by, equation_version, at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        )
                        .bind(c)
                        .bind(kind)
                        .bind(&creditor)
                        .bind(TREASURY)
                        .bind(amount)
                        .bind(db_id(entry.seq))
                        .bind(i64::from(equation.version))
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(entry)
        })
    }

    async fn value_equations(&self, coalition: &AgentId) -> StoreResult<Vec<ValueEquation>> {
        self.ledger_currency(coalition).await?;
        let rows: Vec<(String,)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT equation FROM value_equations WHERE coalition_id = $1 ORDER BY version DESC",
            )
            .bind(coalition.as_str())
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(json,)| {
                serde_json::from_str(&json).map_err(|e| StoreError::Other(anyhow::Error::from(e)))
            })
            .collect()
    }

    async fn set_value_equation(
        &self,
        coalition: &AgentId,
        mut equation: ValueEquation,
        by: &AgentId,
        at: DateTime<Utc>,
    ) -> StoreResult<ValueEquation> {
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            lock_ledger!(self, tx, coalition.as_str());
            let (latest,): (i64,) = sqlx::query_as(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM value_equations WHERE coalition_id = $1",
            )
            .bind(coalition.as_str())
            .fetch_one(&mut *tx)
            .await?;
            equation.version = u32::try_from(latest + 1).unwrap_or(u32::MAX);
            equation.set_by = Some(by.clone());
            equation.set_at = Some(at.into());
            sqlx::query(
                "INSERT INTO value_equations (coalition_id, version, equation, set_by, set_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(coalition.as_str())
            .bind(latest + 1)
            .bind(serde_json::to_string(&equation).map_err(anyhow::Error::from)?)
            .bind(by.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(equation)
        })
    }

    async fn owed(&self, coalition: &AgentId) -> StoreResult<Vec<Owed>> {
        let currency = self.ledger_currency(coalition).await?;
        let rows: Vec<OwedRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(&format!(
                "SELECT o.id, o.kind, o.creditor, o.debtor, o.amount, o.triggered_by, o.need_claim, \
                 o.equation_version, o.at, \
                 CAST(COALESCE((SELECT SUM(l.quantity) FROM ledger_entries l WHERE l.coalition_id = o.coalition_id \
                   AND l.settles = o.id AND NOT EXISTS (SELECT 1 FROM ledger_entries k \
                   WHERE k.coalition_id = l.coalition_id AND k.corrects = l.seq)), 0) AS BIGINT) AS settled, \
                 {VOID} AS void \
                 FROM owed o WHERE o.coalition_id = $1 ORDER BY o.id",
            ))
            .bind(coalition.as_str())
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| Owed {
                id: id_of(row.id),
                triggered_by: row.triggered_by.map(id_of),
                need_claim: row.need_claim.map(id_of),
                creditor: row.creditor,
                debtor: row.debtor,
                amount: from_milli(row.amount),
                currency: currency.clone(),
                kind: row.kind,
                settled: from_milli(row.settled),
                at: row.at.into(),
                equation_version: row.equation_version.and_then(|v| u32::try_from(v).ok()),
                void: row.void,
            })
            .collect())
    }

    async fn set_budget(
        &self,
        coalition: &AgentId,
        year: i32,
        lines: &[BudgetLine],
    ) -> StoreResult<()> {
        self.ledger_currency(coalition).await?;
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM budgets WHERE coalition_id = $1 AND year = $2")
                .bind(coalition.as_str())
                .bind(i64::from(year))
                .execute(&mut *tx)
                .await?;
            for line in lines {
                sqlx::query(
                    "INSERT INTO budgets (coalition_id, year, direction, category, amount) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(coalition.as_str())
                .bind(i64::from(year))
                .bind(&line.direction)
                .bind(&line.category)
                .bind(to_milli(line.amount))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    async fn budget(&self, coalition: &AgentId) -> StoreResult<Vec<BudgetLine>> {
        let rows: Vec<(i64, String, String, i64)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT year, direction, category, amount FROM budgets WHERE coalition_id = $1 \
                 ORDER BY year, direction, category",
            )
            .bind(coalition.as_str())
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(year, direction, category, amount)| BudgetLine {
                year: i32::try_from(year).unwrap_or_default(),
                direction,
                category,
                amount: from_milli(amount),
            })
            .collect())
    }

    async fn agent_names(&self, ids: &[String]) -> StoreResult<Vec<(String, String)>> {
        let mut names = Vec::with_capacity(ids.len());
        // In chunks, well under either database's limit on parameters.
        for chunk in ids.chunks(500) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, name FROM agents WHERE id IN ({}) ORDER BY id",
                params.join(", ")
            );
            let rows: Vec<(String, String)> = with_pool!(&self.pool, p => {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(p).await?
            });
            names.extend(rows);
        }
        Ok(names)
    }
}
