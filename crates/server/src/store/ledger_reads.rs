//! Reading a ledger in bounded pieces (issue 12): its head, one filtered
//! page, one entry, a run of entries in chain order, the names of the
//! agents in it, and the sums over all of it (core's [`LedgerTotals`])
//! cached per head.
//!
//! The cache is keyed on the head (coalition, number and hash of the last
//! entry): an append changes the head, so a read after a write never gets
//! the sums from before it, on any replica. A miss folds the entries after
//! the cached head in (usually one), checking that the first of them links
//! to it; otherwise the sums are folded from the first entry, read a chunk
//! at a time. At most [`MAX_LEDGERS`] coalitions are kept, the least
//! recently used evicted first.
//!
//! What the cache does not do is vouch for the chain: an edit of an older
//! row in the database (past the append-only triggers) keeps the head, so
//! the cached sums would not see it. That is the verification's job, and it
//! never trusts a cache: `GET …/ledger/verify` re-reads every entry from
//! SQL, a chunk at a time, and re-hashes each (see `crate::ledger`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use stigmergy_core::AgentId;
use stigmergy_core::ledger::{GENESIS, LedgerAction, LedgerEntry, LedgerTotals};

use super::ledger::{ENTRY_COLUMNS, EntryRow};
use super::pool::{Pool, SqlStore, dispatch};
use super::sql::{Conn, db_id};
use super::{StoreError, StoreResult};

/// The most coalitions whose sums are kept.
pub const MAX_LEDGERS: usize = 256;

/// Entries read per statement when a whole ledger is walked.
pub const CHUNK: u32 = 1000;

/// The last entry of a ledger: its number (0 when empty) and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerHead {
    pub seq: u64,
    pub hash: String,
}

/// Which entries a page shows.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub action: Option<LedgerAction>,
    /// Money only (`true`) or in kind only (`false`).
    pub money: Option<bool>,
    pub category: Option<String>,
    /// From or to this account.
    pub account: Option<String>,
}

/// One page of a ledger, newest first.
#[derive(Debug, Clone)]
pub struct EntryPage {
    pub items: Vec<LedgerEntry>,
    /// The entries matching the filter, on all pages.
    pub total: u64,
    pub next: Option<u64>,
    /// `(entry, the later entry that corrects it)` for the items.
    pub corrected_by: Vec<(u64, u64)>,
}

#[async_trait]
pub trait LedgerReads {
    /// The ledger's head; `NotFound` when the coalition keeps no ledger.
    async fn ledger_head(&self, coalition: &AgentId) -> StoreResult<LedgerHead>;

    /// The entries matching `filter` before entry `before`, newest first,
    /// at most `limit`.
    async fn ledger_page(
        &self,
        coalition: &AgentId,
        filter: &EntryFilter,
        before: Option<u64>,
        limit: u32,
    ) -> StoreResult<EntryPage>;

    /// Entry `seq`; `NotFound` when there is none.
    async fn ledger_entry(&self, coalition: &AgentId, seq: u64) -> StoreResult<LedgerEntry>;

    /// The entries numbered after `after` up to `through`, in chain order,
    /// at most `limit`.
    async fn ledger_run(
        &self,
        coalition: &AgentId,
        after: u64,
        through: u64,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>>;

    /// The names of the agents the ledger's entries name (its own accounts
    /// left out).
    async fn ledger_agent_names(&self, coalition: &AgentId) -> StoreResult<Vec<(String, String)>>;

    /// What is owed and settled in all per creditor, in thousandths, void
    /// amounts left out, by creditor: one aggregate, not a row per amount.
    async fn owed_totals(&self, coalition: &AgentId) -> StoreResult<Vec<(String, i64, i64)>>;

    /// The sums over the ledger at `head` (as [`LedgerReads::ledger_head`]
    /// read it), from the cache when nothing changed since.
    async fn ledger_totals(
        &self,
        coalition: &AgentId,
        head: &LedgerHead,
    ) -> StoreResult<Arc<LedgerTotals>>;
}

/// The sums of recently read ledgers, by coalition.
#[derive(Default)]
pub(crate) struct LedgerCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    tick: u64,
    ledgers: HashMap<String, (u64, Arc<LedgerTotals>)>,
}

impl LedgerCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic elsewhere cannot leave the map half-written: every change
        // below is one insert or remove.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached sums of `coalition`, whatever their head.
    fn latest(&self, coalition: &str) -> Option<Arc<LedgerTotals>> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let (used, totals) = inner.ledgers.get_mut(coalition)?;
        *used = tick;
        Some(totals.clone())
    }

    fn put(&self, coalition: &str, totals: Arc<LedgerTotals>) {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        inner.ledgers.insert(coalition.to_owned(), (tick, totals));
        if inner.ledgers.len() > MAX_LEDGERS {
            let oldest = inner
                .ledgers
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(c, _)| c.clone());
            if let Some(oldest) = oldest {
                inner.ledgers.remove(&oldest);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().ledgers.len()
    }
}

// The reads below run on a connection of either backend (`Conn`), inside
// `record_entry`'s locked transaction as well as on their own.

impl Conn<'_> {
    /// Entries by a `WHERE` on `coalition_id = $1` and the numbers
    /// `$2, $3…` bound from `numbers`.
    async fn entries(
        &mut self,
        condition: &str,
        coalition: &str,
        numbers: &[i64],
    ) -> StoreResult<Vec<LedgerEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE coalition_id = $1 {condition}"
        );
        let rows: Vec<EntryRow> = dispatch!(self, c => {
            let mut query = sqlx::query_as(&sql).bind(coalition);
            for n in numbers {
                query = query.bind(*n);
            }
            query.fetch_all(&mut **c).await?
        });
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    /// The entry numbered `seq`, if there is one.
    pub(crate) async fn entry(
        &mut self,
        coalition: &str,
        seq: u64,
    ) -> StoreResult<Option<LedgerEntry>> {
        let mut found = self
            .entries("AND seq = $2", coalition, &[db_id(seq)])
            .await?;
        Ok(found.pop())
    }

    /// Entries `after < seq <= through`, in chain order, at most `limit`.
    pub(crate) async fn run(
        &mut self,
        coalition: &str,
        after: u64,
        through: u64,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        self.entries(
            &format!("AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT {limit}"),
            coalition,
            &[db_id(after), db_id(through)],
        )
        .await
    }

    /// The entries that entries numbered `after < seq <= through` correct,
    /// among those numbered `after` or less (the ones a fold has behind it).
    async fn corrected_by_run(
        &mut self,
        coalition: &str,
        after: u64,
        through: u64,
    ) -> StoreResult<Vec<LedgerEntry>> {
        self.entries(
            "AND seq IN (SELECT k.corrects FROM ledger_entries k WHERE k.coalition_id = $1 \
             AND k.seq > $2 AND k.seq <= $3 AND k.corrects <= $2) ORDER BY seq",
            coalition,
            &[db_id(after), db_id(through)],
        )
        .await
    }

    /// The sums over the ledger at `head`: cached, folded forward from the
    /// cached head, or folded from the first entry, a chunk at a time.
    pub(crate) async fn totals(
        &mut self,
        cache: &LedgerCache,
        coalition: &str,
        head: &LedgerHead,
    ) -> StoreResult<Arc<LedgerTotals>> {
        let cached = cache.latest(coalition);
        if let Some(hit) = &cached
            && hit.seq() == head.seq
            && hit.head() == head.hash
        {
            return Ok(hit.clone());
        }
        let (mut totals, mut from_cache) = match cached {
            Some(base) if base.seq() < head.seq => ((*base).clone(), true),
            _ => (LedgerTotals::new(), false),
        };
        loop {
            let from = totals.seq();
            if from >= head.seq {
                break;
            }
            let run = self.run(coalition, from, head.seq, CHUNK).await?;
            let Some(first) = run.first() else { break };
            if first.seq != from + 1 || first.prev_hash != totals.head() {
                if std::mem::take(&mut from_cache) {
                    // The cached head is not this chain's past: start over.
                    totals = LedgerTotals::new();
                    continue;
                }
                // Not a chain (an entry missing or relinked in the
                // database, which the verification reports): the sums of
                // what is there, in force, not cached.
                return Ok(Arc::new(self.fold_all(coalition, head).await?));
            }
            let through = run.last().map_or(from, |e| e.seq);
            let behind = self.corrected_by_run(coalition, from, through).await?;
            let mut known: BTreeMap<u64, &LedgerEntry> =
                behind.iter().map(|e| (e.seq, e)).collect();
            for entry in &run {
                let corrected = entry.corrects.and_then(|old| known.get(&old).copied());
                totals.push(entry, corrected);
                known.insert(entry.seq, entry);
            }
        }
        let totals = Arc::new(totals);
        if totals.seq() == head.seq && totals.head() == head.hash {
            cache.put(coalition, totals.clone());
        }
        Ok(totals)
    }

    /// The sums of a ledger whose numbering or links are broken (in force:
    /// what no entry corrects), without caching them.
    async fn fold_all(&mut self, coalition: &str, head: &LedgerHead) -> StoreResult<LedgerTotals> {
        let entries = self
            .entries("AND seq <= $2 ORDER BY seq", coalition, &[db_id(head.seq)])
            .await?;
        Ok(LedgerTotals::of(&entries))
    }

    /// The head, or `None` when the coalition keeps no ledger.
    pub(crate) async fn head(&mut self, coalition: &str) -> StoreResult<Option<LedgerHead>> {
        // One row from the primary key's end; the ledgers row says whether
        // the coalition keeps one at all.
        let sql = "SELECT CAST(COALESCE((SELECT seq FROM ledger_entries WHERE coalition_id = $1 \
             ORDER BY seq DESC LIMIT 1), 0) AS BIGINT), \
             COALESCE((SELECT hash FROM ledger_entries WHERE coalition_id = $1 ORDER BY seq DESC LIMIT 1), '') \
             FROM ledgers WHERE coalition_id = $1";
        let row: Option<(i64, String)> = dispatch!(self, c => {
            sqlx::query_as(sql)
                .bind(coalition)
                .fetch_optional(&mut **c)
                .await?
        });
        Ok(row.map(|(seq, hash)| LedgerHead {
            seq: u64::try_from(seq).unwrap_or_default(),
            hash: if seq == 0 { GENESIS.to_owned() } else { hash },
        }))
    }
}

/// `is_currency` (core) in each dialect: three capital ASCII letters.
fn currency_unit(pool: &Pool) -> &'static str {
    match pool {
        Pool::Sqlite(_) => "unit GLOB '[A-Z][A-Z][A-Z]'",
        Pool::Postgres(_) => "unit ~ '^[A-Z]{3}$'",
    }
}

#[async_trait]
impl LedgerReads for SqlStore {
    async fn ledger_head(&self, coalition: &AgentId) -> StoreResult<LedgerHead> {
        dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            Conn::from(&mut *conn).head(coalition.as_str()).await?
        })
        .ok_or(StoreError::NotFound)
    }

    async fn ledger_page(
        &self,
        coalition: &AgentId,
        filter: &EntryFilter,
        before: Option<u64>,
        limit: u32,
    ) -> StoreResult<EntryPage> {
        // The filter as SQL: fixed fragments, values bound in order.
        let mut conditions = String::new();
        let mut texts: Vec<String> = Vec::new();
        let mut param = |conditions: &mut String, fragment: &str, value: String| {
            texts.push(value);
            conditions.push_str(&fragment.replace('?', &format!("${}", texts.len() + 1)));
        };
        if let Some(action) = filter.action {
            param(
                &mut conditions,
                " AND action = ?",
                action.as_str().to_owned(),
            );
        }
        if let Some(category) = &filter.category {
            param(&mut conditions, " AND category = ?", category.clone());
        }
        if let Some(account) = &filter.account {
            param(
                &mut conditions,
                " AND (provider = ? OR receiver = ?)",
                account.clone(),
            );
        }
        if let Some(money) = filter.money {
            let is_money = format!("(action = 'transfer' AND {})", currency_unit(&self.pool));
            conditions.push_str(&if money {
                format!(" AND {is_money}")
            } else {
                format!(" AND NOT {is_money}")
            });
        }
        let before_param = texts.len() + 2;
        let count_sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_entries WHERE coalition_id = $1{conditions}"
        );
        let page_sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE coalition_id = $1{conditions} \
             AND seq < ${before_param} ORDER BY seq DESC LIMIT {}",
            limit + 1
        );
        let before = before.map_or(i64::MAX, db_id);
        let (total, rows): (i64, Vec<EntryRow>) = dispatch!(&self.pool, p => {
            let mut count = sqlx::query_scalar(&count_sql).bind(coalition.as_str());
            let mut page = sqlx::query_as(&page_sql).bind(coalition.as_str());
            for text in &texts {
                count = count.bind(text.as_str());
                page = page.bind(text.as_str());
            }
            (count.fetch_one(p).await?, page.bind(before).fetch_all(p).await?)
        });
        let mut items = rows
            .into_iter()
            .map(EntryRow::into_entry)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|e| e.seq)
        } else {
            None
        };
        let mut corrected_by = Vec::new();
        if !items.is_empty() {
            let params: Vec<String> = (0..items.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT corrects, seq FROM ledger_entries WHERE coalition_id = $1 \
                 AND corrects IN ({}) ORDER BY seq",
                params.join(", ")
            );
            let rows: Vec<(i64, i64)> = dispatch!(&self.pool, p => {
                let mut query = sqlx::query_as(&sql).bind(coalition.as_str());
                for item in &items {
                    query = query.bind(db_id(item.seq));
                }
                query.fetch_all(p).await?
            });
            corrected_by = rows
                .into_iter()
                .map(|(old, seq)| {
                    (
                        u64::try_from(old).unwrap_or_default(),
                        u64::try_from(seq).unwrap_or_default(),
                    )
                })
                .collect();
        }
        Ok(EntryPage {
            items,
            total: u64::try_from(total).unwrap_or_default(),
            next,
            corrected_by,
        })
    }

    async fn ledger_entry(&self, coalition: &AgentId, seq: u64) -> StoreResult<LedgerEntry> {
        let found = dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            Conn::from(&mut *conn)
                .entries("AND seq = $2", coalition.as_str(), &[db_id(seq)])
                .await?
        });
        found.into_iter().next().ok_or(StoreError::NotFound)
    }

    async fn ledger_run(
        &self,
        coalition: &AgentId,
        after: u64,
        through: u64,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            Conn::from(&mut *conn)
                .run(coalition.as_str(), after, through, limit.clamp(1, CHUNK))
                .await
        })
    }

    async fn ledger_agent_names(&self, coalition: &AgentId) -> StoreResult<Vec<(String, String)>> {
        let sql = "SELECT id, name FROM agents WHERE id IN \
             (SELECT provider FROM ledger_entries WHERE coalition_id = $1 \
              UNION SELECT receiver FROM ledger_entries WHERE coalition_id = $1) ORDER BY id";
        Ok(dispatch!(&self.pool, p => {
            sqlx::query_as(sql).bind(coalition.as_str()).fetch_all(p).await?
        }))
    }

    async fn owed_totals(&self, coalition: &AgentId) -> StoreResult<Vec<(String, i64, i64)>> {
        // The rules of `owed` (store/ledger.rs) set-wise: paid by the
        // entries in force that settle it; void when its sale was corrected
        // or its claim withdrawn or declined. The corrected entries are one
        // uncorrelated list (SQLite builds it once; PostgreSQL hashes it),
        // not a probe per row that a planner may turn into a scan.
        let sql = "SELECT o.creditor, CAST(SUM(o.amount) AS BIGINT), \
             CAST(SUM(COALESCE(s.paid, 0)) AS BIGINT) \
             FROM owed o LEFT JOIN (SELECT l.settles AS owed_id, SUM(l.quantity) AS paid \
               FROM ledger_entries l WHERE l.coalition_id = $1 AND l.settles IS NOT NULL \
               AND l.seq NOT IN (SELECT corrects FROM ledger_entries \
                 WHERE coalition_id = $1 AND corrects IS NOT NULL) \
               GROUP BY l.settles) s ON s.owed_id = o.id \
             WHERE o.coalition_id = $1 \
             AND (o.triggered_by IS NULL OR o.triggered_by NOT IN (SELECT corrects FROM ledger_entries \
               WHERE coalition_id = $1 AND corrects IS NOT NULL)) \
             AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.id = o.need_claim \
               AND c.state IN ('declined', 'withdrawn')) \
             GROUP BY o.creditor ORDER BY o.creditor";
        Ok(dispatch!(&self.pool, p => {
            sqlx::query_as(sql).bind(coalition.as_str()).fetch_all(p).await?
        }))
    }

    async fn ledger_totals(
        &self,
        coalition: &AgentId,
        head: &LedgerHead,
    ) -> StoreResult<Arc<LedgerTotals>> {
        dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            Conn::from(&mut *conn)
                .totals(&self.ledger_cache, coalition.as_str(), head)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_at_most_its_bound_evicting_the_least_recently_used() {
        let cache = LedgerCache::default();
        for i in 0..MAX_LEDGERS {
            cache.put(&format!("c{i}"), Arc::new(LedgerTotals::new()));
        }
        // c0 is read, so c1 is now the least recently used.
        assert!(cache.latest("c0").is_some());
        cache.put("one-more", Arc::new(LedgerTotals::new()));
        assert_eq!(cache.len(), MAX_LEDGERS);
        assert!(cache.latest("c0").is_some());
        assert!(cache.latest("c1").is_none());
        assert!(cache.latest("one-more").is_some());
    }
}
