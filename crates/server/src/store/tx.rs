//! The steps several writes share, as methods on the connection of their
//! transaction ([`Conn`]): announcing a change, locking and appending to a
//! coalition's ledger, carrying delivered goods into it, and writing what
//! becomes owed. Each runs inside the caller's transaction, so it commits
//! or rolls back with the change it belongs to.

use chrono::{DateTime, Utc};
use stigmergy_core::ledger::{Delivered, GENESIS, LedgerEntry, LedgerInput, NewOwed};
use stigmergy_core::unit::to_milli;
use stigmergy_core::{AgentId, Change};

use super::pool::dispatch;
use super::sql::{Conn, db_id, id_of};
use super::{StoreError, StoreResult};

/// Whether a write keeps its guard against concurrent writes: always, but
/// in the race tests' breaking control (see `SqlStore::without_guards`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    On,
    Off,
}

impl Conn<'_> {
    /// Appends `change` to the live outbox and, on PostgreSQL, notifies the
    /// replicas (delivered at commit, like the row). Returns its id.
    pub(crate) async fn emit(
        &mut self,
        coalition: Option<&str>,
        change: &Change,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let json = serde_json::to_string(change).map_err(anyhow::Error::from)?;
        let insert = "INSERT INTO live_events (kind, coalition_id, change, at) \
                      VALUES ($1, $2, $3, $4) RETURNING id";
        let id: i64 = dispatch!(self, c => sqlx::query_scalar(insert)
            .bind(change.kind())
            .bind(coalition)
            .bind(json)
            .bind(now)
            .fetch_one(&mut **c)
            .await?);
        if let Conn::Postgres(c) = self {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::live::CHANNEL)
                .bind(id.to_string())
                .execute(&mut **c)
                .await?;
        }
        Ok(id_of(id))
    }

    /// Locks `coalition`'s ledger until the transaction ends: one writer at
    /// a time per coalition, on both stores (the row lock of an UPDATE).
    /// Returns the ledger's currency; `NotFound` when it keeps no ledger.
    pub(crate) async fn lock_ledger(
        &mut self,
        coalition: &str,
        guard: Guard,
    ) -> StoreResult<String> {
        let sql = match guard {
            Guard::On => {
                "UPDATE ledgers SET currency = currency WHERE coalition_id = $1 RETURNING currency"
            }
            // The breaking control only looks.
            Guard::Off => "SELECT currency FROM ledgers WHERE coalition_id = $1",
        };
        let currency: Option<String> = dispatch!(self, c => sqlx::query_scalar(sql)
            .bind(coalition)
            .fetch_optional(&mut **c)
            .await?);
        currency.ok_or(StoreError::NotFound)
    }

    /// Appends `input` to `coalition`'s ledger: links to the last entry,
    /// seals and inserts. The caller holds the ledger's lock
    /// ([`Conn::lock_ledger`]) for the rest of its transaction.
    pub(crate) async fn append_entry(
        &mut self,
        coalition: &str,
        input: LedgerInput,
        by: Option<&AgentId>,
        at: DateTime<Utc>,
        guard: Guard,
    ) -> StoreResult<LedgerEntry> {
        if guard == Guard::Off {
            // The breaking control widens the window between the checks
            // and the append.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let last = "SELECT seq, hash FROM ledger_entries WHERE coalition_id = $1 \
                    ORDER BY seq DESC LIMIT 1";
        let head: Option<(i64, String)> = dispatch!(self, c => sqlx::query_as(last)
            .bind(coalition)
            .fetch_optional(&mut **c)
            .await?);
        let (seq, prev) = match head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS.to_owned()),
        };
        let mut entry = LedgerEntry::seal(id_of(seq), at.into(), input, &prev);
        entry.recorded_by = by.map(|b| b.as_str().to_owned());
        let opt = |v: Option<u64>| v.map(db_id);
        let insert = "INSERT INTO ledger_entries (coalition_id, seq, at, action, provider, receiver, \
             resource, quantity, unit, category, note, corrects, claim_id, settles, event_id, \
             recorded_by, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
        dispatch!(self, c => {
        sqlx::query(insert)
                    .bind(coalition)
                    .bind(seq)
                    .bind(at)
                    .bind(entry.action.as_str())
                    .bind(&entry.provider)
                    .bind(&entry.receiver)
                    .bind(&entry.resource)
                    .bind(to_milli(entry.quantity))
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
                    .execute(&mut **c)
                    .await?;
        });
        Ok(entry)
    }

    /// Carries the coalition's goods events that count in its accounts (see
    /// `economic_events.in_accounts`) and are not in its ledger yet into
    /// it, oldest first (for a ledger opened after deliveries happened, and
    /// for each confirmed delivery), under the ledger's lock.
    pub(crate) async fn carry_events(&mut self, coalition: &str, guard: Guard) -> StoreResult<()> {
        self.lock_ledger(coalition, guard).await?;
        type Pending = (
            i64,
            String,
            String,
            String,
            String,
            i64,
            String,
            DateTime<Utc>,
            Option<i64>,
        );
        let select = "SELECT e.id, e.action, e.provider_id, e.receiver_id, e.resource, e.quantity, \
             e.unit, e.at, e.fulfils FROM economic_events e \
             WHERE e.coalition_id = $1 AND e.in_accounts = TRUE \
             AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.event_id = e.id) ORDER BY e.id";
        let pending: Vec<Pending> = dispatch!(self, c => sqlx::query_as(select)
            .bind(coalition)
            .fetch_all(&mut **c)
            .await?);
        for (id, action, provider, receiver, resource, quantity, unit, at, claim) in pending {
            let delivered = Delivered {
                event: id_of(id),
                produced: action == "produce",
                provider,
                receiver,
                resource,
                quantity,
                unit,
                claim: claim.map(id_of),
            };
            self.append_entry(coalition, delivered.entry(), None, at, guard)
                .await?;
        }
        Ok(())
    }

    /// Writes what `owed` says is now owed in `coalition`'s accounts: the
    /// one writer of the `owed` table.
    pub(crate) async fn insert_owed(
        &mut self,
        coalition: &str,
        owed: &NewOwed,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let insert = "INSERT INTO owed (coalition_id, kind, creditor, debtor, amount, triggered_by, \
             need_claim, equation_version, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        dispatch!(self, c => {
        sqlx::query(insert)
                    .bind(coalition)
                    .bind(owed.kind.as_str())
                    .bind(&owed.creditor)
                    .bind(&owed.debtor)
                    .bind(owed.amount)
                    .bind(owed.triggered_by.map(db_id))
                    .bind(owed.need_claim.map(db_id))
                    .bind(i64::from(owed.equation_version))
                    .bind(at)
                    .execute(&mut **c)
                    .await?;
        });
        Ok(())
    }
}
