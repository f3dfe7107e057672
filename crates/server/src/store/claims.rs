//! Claims in SQL (VF `Commitment`s to a need's `Intent`): making one
//! within the need's remainder, reading them, and moving one through its
//! states.
//!
//! The remainder invariant lives in one statement: a claim first raises
//! its need's `claimed` total with `UPDATE … WHERE claimed + q <= quantity`,
//! in the same transaction that inserts the claim. PostgreSQL re-checks the
//! condition after waiting for the row lock of a concurrent claim, and
//! SQLite runs one writer at a time, so on both stores concurrent claims
//! for the last units let exactly as many through as fit.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::ledger::{ValueEquation, reciprocity_fee};
use stigmergy_core::unit::{from_milli, to_milli};
use stigmergy_core::{
    AgentId, Change, Claim, ClaimAction, ClaimInput, ClaimState, Licence, Quantity, Unit,
};

use super::needs::quantity_of;
use super::pool::{SqlStore, dispatch};
use super::sql::{
    AgentColumns, Conn, Provider, Receiver, agent_id, db_id, id_of, invalid, parse_stored,
};
use super::{StoreError, StoreResult};

#[async_trait]
pub trait Claims {
    /// Claims `input.quantity` of a need for `provider` (who acts: the
    /// sender `claimed_by`, or an organization they steward) and returns
    /// the claim, committed. `NotFound` without the need; `Refused` for a
    /// need the sender declared or the provider receives; `Conflict` when
    /// less than that is left, with a message saying how much is; `Invalid`
    /// below the need's minimum. A claim on a Peer Production License
    /// design by a maker outside the coalition makes its reciprocity fee
    /// owed, in the same transaction.
    async fn create_claim(
        &self,
        need: u64,
        input: &ClaimInput,
        provider: &AgentId,
        claimed_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<Claim>;

    async fn claim(&self, id: u64) -> StoreResult<Claim>;

    /// A need's claims, oldest first.
    async fn claims_of_need(&self, need: u64) -> StoreResult<Vec<Claim>>;

    /// The claims `agent` makes (as provider or as the one who claimed),
    /// newest first.
    async fn claims_by(&self, agent: &AgentId) -> StoreResult<Vec<Claim>>;

    /// Moves a claim on by `action`, if its state allows (compare-and-set:
    /// of two racing changes one wins, the other gets `Conflict`).
    /// Declining or withdrawing gives the quantity back to the need;
    /// confirming records the produce and transfer events.
    async fn act_on_claim(
        &self,
        id: u64,
        action: ClaimAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Claim>;
}

const CLAIM_SELECT: &str = "SELECT c.id, c.need_id, COALESCE(d.name, n.resource) AS what, \
     c.quantity, n.unit, c.state, c.note, c.created_at, c.updated_at, c.claimed_by, n.declared_by, \
     p.id AS provider_id, p.name AS provider_name, p.kind AS provider_kind, \
     p.place_name AS provider_place, p.lat AS provider_lat, p.lon AS provider_lon, \
     r.id AS receiver_id, r.name AS receiver_name, r.kind AS receiver_kind, \
     r.place_name AS receiver_place, r.lat AS receiver_lat, r.lon AS receiver_lon \
     FROM claims c JOIN needs n ON n.id = c.need_id \
     LEFT JOIN designs d ON d.id = n.design_id \
     JOIN agents p ON p.id = c.provider_id \
     JOIN agents r ON r.id = n.receiver_id";

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    need_id: i64,
    what: String,
    quantity: i64,
    unit: String,
    state: String,
    note: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    claimed_by: String,
    declared_by: String,
    #[sqlx(flatten)]
    provider: AgentColumns<Provider>,
    #[sqlx(flatten)]
    receiver: AgentColumns<Receiver>,
}

impl ClaimRow {
    fn into_claim(self) -> StoreResult<Claim> {
        Ok(Claim {
            claimed_by: agent_id(&self.claimed_by)?,
            declared_by: agent_id(&self.declared_by)?,
            id: id_of(self.id),
            need: id_of(self.need_id),
            what: self.what,
            provider: self.provider.into_agent()?,
            receiver: self.receiver.into_agent()?,
            quantity: quantity_of(self.quantity, &self.unit)?,
            state: parse_stored(&self.state)?,
            note: self.note,
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
        })
    }
}

fn claims_from(rows: Vec<ClaimRow>) -> StoreResult<Vec<Claim>> {
    rows.into_iter().map(ClaimRow::into_claim).collect()
}

/// One claim, on a connection of either backend.
async fn read_claim(mut conn: Conn<'_>, id: i64) -> StoreResult<Claim> {
    let sql = format!("{CLAIM_SELECT} WHERE c.id = $1");
    let row: Option<ClaimRow> = dispatch!(&mut conn, c => {
        sqlx::query_as(&sql).bind(id).fetch_optional(&mut **c).await?
    });
    row.ok_or(StoreError::NotFound)?.into_claim()
}

/// What a need holds when a claim on it was refused, to say why.
#[derive(sqlx::FromRow)]
struct NeedFit {
    quantity: i64,
    claimed: i64,
    minimum_quantity: Option<i64>,
    unit: String,
    receiver_id: String,
    declared_by: String,
}

impl NeedFit {
    /// Why a claim of `quantity` thousandths did not fit.
    fn refusal(
        self,
        quantity: i64,
        provider: &AgentId,
        claimed_by: &AgentId,
    ) -> StoreResult<StoreError> {
        if self.receiver_id == provider.as_str() || self.declared_by == claimed_by.as_str() {
            return Ok(StoreError::Refused(
                "This is a need you declared: others claim it.".into(),
            ));
        }
        let left = self.quantity - self.claimed;
        let unit: Unit = parse_stored(&self.unit)?;
        let amount = |milli: i64| Quantity::new(from_milli(milli), unit).to_string();
        Ok(if left <= 0 {
            StoreError::Conflict(
                "Someone else claimed the rest of this need first: nothing is left to claim."
                    .into(),
            )
        } else if quantity > left {
            StoreError::Conflict(format!(
                "Only {} of this need is left to claim now; claim that much or less.",
                amount(left)
            ))
        } else {
            invalid(
                "quantity",
                format!(
                    "Claim at least {} (the smallest amount that helps), or all {} that is left.",
                    amount(self.minimum_quantity.unwrap_or_default()),
                    amount(left)
                ),
            )
        })
    }
}

#[async_trait]
impl Claims for SqlStore {
    async fn create_claim(
        &self,
        need: u64,
        input: &ClaimInput,
        provider: &AgentId,
        claimed_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<Claim> {
        input.validate().map_err(StoreError::Invalid)?;
        let need = db_id(need);
        let quantity = to_milli(input.quantity);
        // The guard: only raises `claimed` while the claim fits, and while
        // it is at least the need's minimum (or all that is left), for
        // someone other than whoever declared or receives the need. It is
        // the transaction's first statement, so on SQLite it takes the
        // write lock at once. The race tests' breaking control checks the
        // fit first and raises blindly.
        let raise = if self.unguarded() {
            let fits: Option<bool> = dispatch!(&self.pool, p => {
                sqlx::query_scalar("SELECT claimed + $2 <= quantity FROM needs WHERE id = $1")
                    .bind(need)
                    .bind(quantity)
                    .fetch_optional(p)
                    .await?
            });
            // Widen the window between the check and the write.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if fits == Some(true) {
                "UPDATE needs SET claimed = claimed + $2 WHERE id = $1 \
                 AND receiver_id <> $3 AND declared_by <> $4 \
                 RETURNING quantity - claimed, coalition_id"
            } else {
                "UPDATE needs SET claimed = claimed + $2 WHERE id = $1 AND $2 < 0 \
                 RETURNING quantity - claimed, coalition_id"
            }
        } else {
            "UPDATE needs SET claimed = claimed + $2 WHERE id = $1 AND claimed + $2 <= quantity \
             AND ($2 >= COALESCE(minimum_quantity, 0) OR claimed + $2 = quantity) \
             AND receiver_id <> $3 AND declared_by <> $4 \
             RETURNING quantity - claimed, coalition_id"
        };
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // What is left after the raise, and whose need it is.
            let raised: Option<(i64, Option<String>)> = sqlx::query_as(raise)
                .bind(need)
                .bind(quantity)
                .bind(provider.as_str())
                .bind(claimed_by.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some((remainder, coalition)) = raised else {
                let row: Option<NeedFit> = sqlx::query_as(
                    "SELECT quantity, claimed, minimum_quantity, unit, receiver_id, declared_by \
                     FROM needs WHERE id = $1",
                )
                .bind(need)
                .fetch_optional(&mut *tx)
                .await?;
                return Err(row.ok_or(StoreError::NotFound)?.refusal(quantity, provider, claimed_by)?);
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO claims (need_id, provider_id, claimed_by, quantity, state, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'committed', $5, $6, $6) RETURNING id",
            )
            .bind(need)
            .bind(provider.as_str())
            .bind(claimed_by.as_str())
            .bind(quantity)
            .bind(input.note.trim())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            // What core needs to tell whether a reciprocity fee is owed: the
            // design's licence, the coalition's value equation, and whether
            // the maker is one of its active members.
            let fee: Option<(String, String, String, bool)> = sqlx::query_as(
                "SELECT n.coalition_id, d.licence, v.equation, EXISTS (SELECT 1 FROM memberships m \
                   WHERE m.organization_id = n.coalition_id AND m.member_id = $2 AND m.state = 'active') \
                 FROM needs n JOIN designs d ON d.id = n.design_id \
                 JOIN value_equations v ON v.coalition_id = n.coalition_id \
                 WHERE n.id = $1 ORDER BY v.version DESC LIMIT 1",
            )
            .bind(need)
            .bind(provider.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((coalition, licence, equation, member)) = fee {
                let equation: ValueEquation =
                    serde_json::from_str(&equation).map_err(anyhow::Error::from)?;
                let licence: Licence = parse_stored(&licence)?;
                let owed = reciprocity_fee(id_of(id), provider.as_str(), licence, member, quantity, &equation);
                if let Some(owed) = owed {
                    Conn::from(&mut *tx).insert_owed(&coalition, &owed, now).await?;
                }
            }
            let claim = read_claim(Conn::from(&mut *tx), id).await?;
            let change = Change::ClaimMade {
                claim: claim.id,
                need: claim.need,
                provider: provider.clone(),
                quantity: claim.quantity,
                remainder: from_milli(remainder),
            };
            Conn::from(&mut *tx).emit(coalition.as_deref(), &change, now).await?;
            tx.commit().await?;
            Ok(claim)
        })
    }

    async fn claim(&self, id: u64) -> StoreResult<Claim> {
        dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            read_claim(Conn::from(&mut *conn), db_id(id)).await
        })
    }

    async fn claims_of_need(&self, need: u64) -> StoreResult<Vec<Claim>> {
        let need = db_id(need);
        let sql = format!("{CLAIM_SELECT} WHERE c.need_id = $1 ORDER BY c.id");
        let rows: Vec<ClaimRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(&sql).bind(need).fetch_all(p).await?
        });
        claims_from(rows)
    }

    async fn claims_by(&self, agent: &AgentId) -> StoreResult<Vec<Claim>> {
        let sql = format!(
            "{CLAIM_SELECT} WHERE c.provider_id = $1 OR c.claimed_by = $1 ORDER BY c.id DESC"
        );
        let rows: Vec<ClaimRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(&sql).bind(agent.as_str()).fetch_all(p).await?
        });
        claims_from(rows)
    }

    async fn act_on_claim(
        &self,
        id: u64,
        action: ClaimAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Claim> {
        let id = db_id(id);
        let from = action
            .from_states()
            .iter()
            .map(|s| format!("'{}'", s.slug()))
            .collect::<Vec<_>>()
            .join(", ");
        let to = action.to_state();
        let set_state = format!(
            "UPDATE claims SET state = $2, updated_at = $3 WHERE id = $1 AND state IN ({from})"
        );
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let changed = sqlx::query(&set_state)
                .bind(id)
                .bind(to.slug())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                let state: Option<(String,)> = sqlx::query_as("SELECT state FROM claims WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let state: ClaimState = parse_stored(&state.ok_or(StoreError::NotFound)?.0)?;
                return Err(StoreError::Conflict(
                    action.apply(state).err().map_or_else(
                        || "The claim changed meanwhile; reload it.".to_owned(),
                        |refused| refused.to_string(),
                    ),
                ));
            }
            let (need, quantity): (i64, i64) =
                sqlx::query_as("SELECT need_id, quantity FROM claims WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if !to.is_active() {
                sqlx::query("UPDATE needs SET claimed = claimed - $2 WHERE id = $1")
                    .bind(need)
                    .bind(quantity)
                    .execute(&mut *tx)
                    .await?;
            }
            if to == ClaimState::Confirmed {
                Conn::from(&mut *tx).record_delivery(id, now, self.guard()).await?;
            }
            let (provider, total, claimed, coalition): (String, i64, i64, Option<String>) = sqlx::query_as(
                "SELECT c.provider_id, n.quantity, n.claimed, n.coalition_id \
                 FROM claims c JOIN needs n ON n.id = c.need_id WHERE c.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let change = Change::ClaimChanged {
                claim: id_of(id),
                need: id_of(need),
                provider: agent_id(&provider)?,
                state: to,
                remainder: from_milli(total - claimed),
            };
            Conn::from(&mut *tx).emit(coalition.as_deref(), &change, now).await?;
            let claim = read_claim(Conn::from(&mut *tx), id).await?;
            tx.commit().await?;
            Ok(claim)
        })
    }
}
