//! Each coalition's ledger in SQL: append-only entries, numbered and
//! hash-chained in the transaction that writes them (one writer at a time
//! per coalition: appending first locks the coalition's `ledgers` row), what
//! is owed after sales and for reciprocity fees, the value equation's
//! versions and the budget.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::AgentId;
use stigmergy_core::ledger::{
    BudgetLine, LedgerAction, LedgerEntry, LedgerInput, Owed, ValueEquation, VoidInput,
    is_currency, is_own, owed_after_sale, voiding,
};
use stigmergy_core::unit::{from_milli, to_milli};

use super::ledger_reads::LedgerHead;
use super::pool::{SqlStore, dispatch};
use super::sql::{Conn, db_id, id_of, invalid};
use super::{StoreError, StoreResult};

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

    /// Voids the contribution numbered `seq` (stewards only): a correction
    /// of it to zero, with the reason as its note. `Missing` without such
    /// an entry; `Invalid` for money, or an entry that counts for nothing.
    async fn void_entry(
        &self,
        coalition: &AgentId,
        seq: u64,
        void: &VoidInput,
        by: &AgentId,
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

impl Conn<'_> {
    /// Checks what `input` refers to and appends it, inside the locked
    /// transaction: the agents, the entry it corrects (which must be in
    /// force), the claim, what it settles (no more than is outstanding,
    /// from the debtor to the creditor). A sale into the treasury also
    /// makes its shares owed under the current value equation.
    async fn record(
        &mut self,
        store: &SqlStore,
        c: &str,
        input: LedgerInput,
        by: Option<&AgentId>,
        at: DateTime<Utc>,
    ) -> StoreResult<LedgerEntry> {
        for (field, account) in [("provider", &input.provider), ("receiver", &input.receiver)] {
            if is_own(account) {
                continue;
            }
            let known: Option<String> = dispatch!(self, k => {
                sqlx::query_scalar("SELECT id FROM agents WHERE id = $1")
                    .bind(account)
                    .fetch_optional(&mut **k)
                    .await?
            });
            if known.is_none() {
                return Err(invalid(
                    field,
                    format!("There is no agent \u{201c}{account}\u{201d}."),
                ));
            }
        }
        if let Some(old) = input.corrects {
            if self.entry(c, old).await?.is_none() {
                return Err(invalid(
                    "corrects",
                    format!("There is no entry {old} to correct."),
                ));
            }
            let later: Option<i64> = dispatch!(self, k => {
                sqlx::query_scalar(
                    "SELECT seq FROM ledger_entries WHERE coalition_id = $1 AND corrects = $2",
                )
                .bind(c)
                .bind(db_id(old))
                .fetch_optional(&mut **k)
                .await?
            });
            if let Some(newer) = later {
                return Err(invalid(
                    "corrects",
                    format!(
                        "Entry {old} was already corrected by entry {newer}; correct that one."
                    ),
                ));
            }
        }
        if let Some(claim) = input.claim {
            let found: Option<i64> = dispatch!(self, k => {
                sqlx::query_scalar("SELECT id FROM claims WHERE id = $1")
                    .bind(db_id(claim))
                    .fetch_optional(&mut **k)
                    .await?
            });
            if found.is_none() {
                return Err(invalid("claim", format!("There is no claim {claim}.")));
            }
        }
        if let Some(owed) = input.settles {
            self.check_settlement(c, owed, &input).await?;
        }
        let sale = input.is_sale();
        let entry = self.append_entry(c, input, by, at, store.guard()).await?;
        if sale {
            let equation: Option<String> = dispatch!(self, k => {
                sqlx::query_scalar(
                    "SELECT equation FROM value_equations WHERE coalition_id = $1 ORDER BY version DESC LIMIT 1",
                )
                .bind(c)
                .fetch_optional(&mut **k)
                .await?
            });
            if let Some(json) = equation {
                let equation: ValueEquation =
                    serde_json::from_str(&json).map_err(anyhow::Error::from)?;
                // The shares at the head the entry was appended to, read
                // inside the lock (so no entry can come between): the
                // cached sums, folded forward if they are behind. The sale
                // itself is money, no contribution.
                let before = LedgerHead {
                    seq: entry.seq - 1,
                    hash: entry.prev_hash.clone(),
                };
                let totals = self.totals(&store.ledger_cache, c, &before).await?;
                for owed in owed_after_sale(&entry, &equation, &totals.shares(&equation)) {
                    self.insert_owed(c, &owed, at).await?;
                }
            }
        }
        Ok(entry)
    }

    /// Refuses a payment under `owed` that is void, between the wrong
    /// parties, or more than is outstanding.
    async fn check_settlement(
        &mut self,
        c: &str,
        owed: u64,
        input: &LedgerInput,
    ) -> StoreResult<()> {
        let row: Option<(String, String, i64, bool)> = dispatch!(self, k => {
            sqlx::query_as(&format!(
                "SELECT o.creditor, o.debtor, o.amount, {VOID} FROM owed o WHERE o.id = $1 AND o.coalition_id = $2",
            ))
            .bind(db_id(owed))
            .bind(c)
            .fetch_optional(&mut **k)
            .await?
        });
        let Some((creditor, debtor, amount, void)) = row else {
            return Err(invalid(
                "settles",
                format!("Nothing owed has the number {owed} here."),
            ));
        };
        if void {
            return Err(invalid(
                "settles",
                format!(
                    "What was owed under {owed} is void (its sale was corrected, or its claim withdrawn or declined): nothing is left to pay."
                ),
            ));
        }
        if input.provider != debtor || input.receiver != creditor {
            return Err(invalid(
                "settles",
                format!("What is owed under {owed} is paid by {debtor} to {creditor}."),
            ));
        }
        let settled: i64 = dispatch!(self, k => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM ledger_entries l \
                 WHERE l.coalition_id = $1 AND l.settles = $2 \
                 AND NOT EXISTS (SELECT 1 FROM ledger_entries k WHERE k.coalition_id = l.coalition_id AND k.corrects = l.seq)",
            )
            .bind(c)
            .bind(db_id(owed))
            .fetch_one(&mut **k)
            .await?
        });
        let outstanding = amount - settled;
        if to_milli(input.quantity) > outstanding {
            return Err(invalid(
                "quantity",
                format!(
                    "Only {} is outstanding under {owed}.",
                    from_milli(outstanding)
                ),
            ));
        }
        Ok(())
    }
}

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
        dispatch!(&self.pool, p => {
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
            Conn::from(&mut *tx).carry_events(coalition.as_str(), self.guard()).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    async fn ledger_currency(&self, coalition: &AgentId) -> StoreResult<String> {
        let row: Option<(String,)> = dispatch!(&self.pool, p => {
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
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let mut conn = Conn::from(&mut *tx);
            // Lock first, so that the checks hold until the entry is in.
            let currency = conn.lock_ledger(coalition.as_str(), self.guard()).await?;
            input.validate(&currency).map_err(StoreError::Invalid)?;
            let entry = conn.record(self, coalition.as_str(), input, by, at).await?;
            tx.commit().await?;
            Ok(entry)
        })
    }

    async fn void_entry(
        &self,
        coalition: &AgentId,
        seq: u64,
        void: &VoidInput,
        by: &AgentId,
        at: DateTime<Utc>,
    ) -> StoreResult<LedgerEntry> {
        void.validate().map_err(StoreError::Invalid)?;
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let mut conn = Conn::from(&mut *tx);
            conn.lock_ledger(coalition.as_str(), self.guard()).await?;
            let entry = conn.entry(coalition.as_str(), seq).await?.ok_or_else(|| {
                StoreError::Missing(format!("There is no entry {seq} in this ledger."))
            })?;
            let correction = voiding(void, &entry).map_err(StoreError::Invalid)?;
            let entry = conn.record(self, coalition.as_str(), correction, Some(by), at).await?;
            tx.commit().await?;
            Ok(entry)
        })
    }

    async fn value_equations(&self, coalition: &AgentId) -> StoreResult<Vec<ValueEquation>> {
        self.ledger_currency(coalition).await?;
        let rows: Vec<(String,)> = dispatch!(&self.pool, p => {
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
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            Conn::from(&mut *tx).lock_ledger(coalition.as_str(), self.guard()).await?;
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
        let rows: Vec<OwedRow> = dispatch!(&self.pool, p => {
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
        dispatch!(&self.pool, p => {
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
        let rows: Vec<(i64, String, String, i64)> = dispatch!(&self.pool, p => {
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
            let rows: Vec<(String, String)> = dispatch!(&self.pool, p => {
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
