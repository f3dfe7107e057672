//! Needs, claims and the economic events of confirmed
//! deliveries, in SQL.
//!
//! The remainder invariant lives in one statement: a claim first raises
//! its need's `claimed` total with `UPDATE … WHERE claimed + q <= quantity`,
//! in the same transaction that inserts the claim. PostgreSQL re-checks the
//! condition after waiting for the row lock of a concurrent claim, and
//! SQLite runs one writer at a time, so on both stores concurrent claims
//! for the last units let exactly as many through as fit.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::geo::{BoundingBox, Longitudes, within};
use stigmergy_core::unit::{from_milli, to_milli};
use stigmergy_core::{
    AgentId, AgentRef, AskDecision, AskState, BillOfMaterials, Change, Claim, ClaimAction,
    ClaimState, CoalitionAsk, DesignId, DesignRef, EconomicEvent, EventAction, FieldErrors, Gap,
    Gaps, Need, NeedInput, NeedQuery, NeedState, Page, Place, Quantity, Unit,
};

use super::commons::{Bind, Conditions, bind_all, decode_cursor, encode_cursor};
use super::ledger::carry_events;
use super::live::emit;
use super::pool::{SqlStore, with_pool};
use super::{StoreError, StoreResult, parse_stored, place_of, stored};

#[async_trait]
pub trait Needs {
    /// Declares a need; returns its id.
    async fn create_need(
        &self,
        input: &NeedInput,
        receiver: &AgentId,
        declared_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    async fn need(&self, id: u64) -> StoreResult<Need>;

    /// A steward's answer to a need asked of `coalition`: accepted, it
    /// becomes the coalition's; declined, it keeps the reason. `NotFound`
    /// when the need was not asked of it, `Conflict` when already answered.
    async fn decide_ask(
        &self,
        need: u64,
        coalition: &AgentId,
        decision: &AskDecision,
        by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<Need>;

    /// A page of needs, most urgent (earliest due) first.
    async fn list_needs(&self, query: &NeedQuery) -> StoreResult<Page<Need>>;

    /// Claims `quantity` thousandths of a need for `provider`. `Conflict`
    /// when less than that is left, with a message saying how much is.
    async fn create_claim(
        &self,
        need: u64,
        provider: &AgentId,
        claimed_by: &AgentId,
        quantity: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

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

    /// The gap signal, per design and per region, largest first.
    async fn gaps(&self) -> StoreResult<Gaps>;

    /// Economic events after `after` (by id), oldest first, at most `limit`.
    async fn economic_events(
        &self,
        coalition: Option<&AgentId>,
        claim: Option<u64>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<EconomicEvent>>;
}

pub(super) fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    StoreError::Invalid(errors)
}

pub(super) fn id_of(id: i64) -> u64 {
    u64::try_from(id).unwrap_or_default()
}

pub(super) fn db_id(id: u64) -> StoreResult<i64> {
    i64::try_from(id).map_err(|_| StoreError::NotFound)
}

fn agent_id(id: &str) -> StoreResult<AgentId> {
    AgentId::parse(id).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

pub(super) fn agent_ref(
    id: &str,
    name: &str,
    kind: &str,
    place: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
) -> StoreResult<AgentRef> {
    Ok(AgentRef {
        id: agent_id(id)?,
        name: name.to_owned(),
        kind: parse_stored(kind)?,
        place: place_of(place, lat, lon),
    })
}

/// The `AgentRef` in a row's `provider_*` columns.
macro_rules! provider_of {
    ($row:expr) => {
        agent_ref(
            &$row.provider_id,
            &$row.provider_name,
            &$row.provider_kind,
            $row.provider_place,
            $row.provider_lat,
            $row.provider_lon,
        )?
    };
}

/// The `AgentRef` in a row's `receiver_*` columns.
macro_rules! receiver_of {
    ($row:expr) => {
        agent_ref(
            &$row.receiver_id,
            &$row.receiver_name,
            &$row.receiver_kind,
            $row.receiver_place,
            $row.receiver_lat,
            $row.receiver_lon,
        )?
    };
}

/// Units a number of thousandths and a stored unit make.
fn quantity_of(milli: i64, unit: &str) -> StoreResult<Quantity> {
    Ok(Quantity::new(
        from_milli(milli),
        parse_stored::<Unit>(unit)?,
    ))
}

const COMMITTED: &str = "'committed', 'in_progress'";
const DELIVERED: &str = "'delivered', 'confirmed'";

/// Σ quantity of a need's claims in `states`, as a BIGINT on both stores.
fn claim_sum(states: &str) -> String {
    format!(
        "CAST(COALESCE((SELECT SUM(c.quantity) FROM claims c WHERE c.need_id = n.id AND c.state IN ({states})), 0) AS BIGINT)"
    )
}

fn need_select() -> String {
    format!(
        "SELECT n.id, n.design_id, d.name AS design_name, d.bill_of_materials, n.resource, \
         n.quantity, n.unit, n.minimum_quantity, n.claimed, \
         {} AS committed, {} AS delivered, {} AS confirmed, \
         n.due, n.place_name, n.lat, n.lon, \
         n.coalition_id, co.name AS coalition_name, co.kind AS coalition_kind, \
         co.place_name AS coalition_place, co.lat AS coalition_lat, co.lon AS coalition_lon, \
         n.asked_of, ao.name AS asked_of_name, ao.kind AS asked_of_kind, \
         ao.place_name AS asked_of_place, ao.lat AS asked_of_lat, ao.lon AS asked_of_lon, \
         n.ask_state, n.ask_reason, n.ask_decided_by, n.ask_decided_at, \
         n.receiver_id, r.name AS receiver_name, r.kind AS receiver_kind, \
         r.place_name AS receiver_place, r.lat AS receiver_lat, r.lon AS receiver_lon, \
         n.declared_by, n.note, n.created_at \
         FROM needs n \
         LEFT JOIN designs d ON d.id = n.design_id \
         LEFT JOIN agents co ON co.id = n.coalition_id \
         LEFT JOIN agents ao ON ao.id = n.asked_of \
         JOIN agents r ON r.id = n.receiver_id",
        claim_sum(COMMITTED),
        claim_sum(DELIVERED),
        claim_sum("'confirmed'"),
    )
}

#[derive(sqlx::FromRow)]
struct NeedRow {
    id: i64,
    design_id: Option<String>,
    design_name: Option<String>,
    bill_of_materials: Option<String>,
    resource: Option<String>,
    quantity: i64,
    unit: String,
    minimum_quantity: Option<i64>,
    claimed: i64,
    committed: i64,
    delivered: i64,
    confirmed: i64,
    due: String,
    place_name: String,
    lat: f64,
    lon: f64,
    coalition_id: Option<String>,
    coalition_name: Option<String>,
    coalition_kind: Option<String>,
    coalition_place: Option<String>,
    coalition_lat: Option<f64>,
    coalition_lon: Option<f64>,
    asked_of: Option<String>,
    asked_of_name: Option<String>,
    asked_of_kind: Option<String>,
    asked_of_place: Option<String>,
    asked_of_lat: Option<f64>,
    asked_of_lon: Option<f64>,
    ask_state: Option<String>,
    ask_reason: String,
    ask_decided_by: Option<String>,
    ask_decided_at: Option<DateTime<Utc>>,
    receiver_id: String,
    receiver_name: String,
    receiver_kind: String,
    receiver_place: Option<String>,
    receiver_lat: Option<f64>,
    receiver_lon: Option<f64>,
    declared_by: String,
    note: String,
    created_at: DateTime<Utc>,
}

impl NeedRow {
    fn into_need(self) -> StoreResult<Need> {
        let design = match (self.design_id, self.design_name) {
            (Some(id), Some(name)) => Some(DesignRef {
                id: DesignId::parse(&id).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))?,
                name,
            }),
            _ => None,
        };
        let processes = self
            .bill_of_materials
            .as_deref()
            .and_then(|bom| serde_json::from_str::<BillOfMaterials>(bom).ok())
            .map(|bom| bom.process_kinds())
            .unwrap_or_default();
        let coalition = match (self.coalition_id, self.coalition_name, self.coalition_kind) {
            (Some(id), Some(name), Some(kind)) => Some(agent_ref(
                &id,
                &name,
                &kind,
                self.coalition_place,
                self.coalition_lat,
                self.coalition_lon,
            )?),
            _ => None,
        };
        let asked_of = match (
            self.asked_of,
            self.asked_of_name,
            self.asked_of_kind,
            self.ask_state,
        ) {
            (Some(id), Some(name), Some(kind), Some(state)) => Some(CoalitionAsk {
                coalition: agent_ref(
                    &id,
                    &name,
                    &kind,
                    self.asked_of_place,
                    self.asked_of_lat,
                    self.asked_of_lon,
                )?,
                state: parse_stored::<AskState>(&state)?,
                reason: self.ask_reason,
                decided_by: self.ask_decided_by.as_deref().map(agent_id).transpose()?,
                decided_at: self.ask_decided_at.map(Into::into),
            }),
            _ => None,
        };
        let what = design
            .as_ref()
            .map(|d| d.name.clone())
            .or(self.resource)
            .unwrap_or_default();
        Ok(Need {
            id: id_of(self.id),
            what,
            design,
            processes,
            quantity: quantity_of(self.quantity, &self.unit)?,
            minimum_quantity: self.minimum_quantity.map(from_milli),
            remainder: from_milli((self.quantity - self.claimed).max(0)),
            committed: from_milli(self.committed),
            delivered: from_milli(self.delivered),
            state: NeedState::of(self.quantity, self.claimed, self.confirmed),
            due: self.due,
            place: Place {
                name: self.place_name,
                lat: self.lat,
                lon: self.lon,
            },
            coalition,
            asked_of,
            receiver: receiver_of!(self),
            declared_by: agent_id(&self.declared_by)?,
            note: self.note,
            created_at: self.created_at.into(),
        })
    }
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
    provider_id: String,
    provider_name: String,
    provider_kind: String,
    provider_place: Option<String>,
    provider_lat: Option<f64>,
    provider_lon: Option<f64>,
    receiver_id: String,
    receiver_name: String,
    receiver_kind: String,
    receiver_place: Option<String>,
    receiver_lat: Option<f64>,
    receiver_lon: Option<f64>,
}

impl ClaimRow {
    fn into_claim(self) -> StoreResult<Claim> {
        Ok(Claim {
            claimed_by: agent_id(&self.claimed_by)?,
            declared_by: agent_id(&self.declared_by)?,
            id: id_of(self.id),
            need: id_of(self.need_id),
            what: self.what,
            provider: provider_of!(self),
            receiver: receiver_of!(self),
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

/// The filters of a needs query, without the cursor; `near` narrows to the
/// circle's bounding box here and to the exact radius in Rust.
fn need_filters(query: &NeedQuery) -> Conditions {
    let mut conditions = Conditions::default();
    if let Some(design) = &query.design {
        let p = conditions.bind(Bind::Text(design.as_str().to_owned()));
        conditions.push(format!("n.design_id = {p}"));
    }
    if let Some(process) = query.process {
        let p = conditions.bind(Bind::Text(process.slug().to_owned()));
        conditions.push(format!(
            "n.design_id IN (SELECT design_id FROM design_processes WHERE process_kind = {p})"
        ));
    }
    if let Some(coalition) = &query.coalition {
        let p = conditions.bind(Bind::Text(coalition.as_str().to_owned()));
        conditions.push(format!("n.coalition_id = {p}"));
    }
    if let Some(coalition) = &query.asked_of {
        let p = conditions.bind(Bind::Text(coalition.as_str().to_owned()));
        conditions.push(format!("n.asked_of = {p} AND n.ask_state = 'asked'"));
    }
    if let Some(receiver) = &query.receiver {
        let p = conditions.bind(Bind::Text(receiver.as_str().to_owned()));
        conditions.push(format!("(n.receiver_id = {p} OR n.declared_by = {p})"));
    }
    if let Some((lat, lon, radius)) = query.near {
        // The box around the circle, on the indexed (lat, lon); the exact
        // distance is checked on what it lets through.
        let bbox = BoundingBox::around(lat, lon, radius);
        let south = conditions.bind(Bind::Real(bbox.south));
        let north = conditions.bind(Bind::Real(bbox.north));
        conditions.push(format!("n.lat BETWEEN {south} AND {north}"));
        match bbox.longitudes {
            Longitudes::All => {}
            Longitudes::Between { west, east } => {
                let west = conditions.bind(Bind::Real(west));
                let east = conditions.bind(Bind::Real(east));
                conditions.push(format!("n.lon BETWEEN {west} AND {east}"));
            }
            Longitudes::Across { west, east } => {
                let west = conditions.bind(Bind::Real(west));
                let east = conditions.bind(Bind::Real(east));
                conditions.push(format!("(n.lon >= {west} OR n.lon <= {east})"));
            }
        }
    }
    let confirmed = claim_sum("'confirmed'");
    match query.state {
        None => {}
        Some(NeedState::Open) => conditions.push("n.claimed < n.quantity".into()),
        Some(NeedState::Claimed) => conditions.push(format!(
            "n.claimed = n.quantity AND {confirmed} < n.quantity"
        )),
        Some(NeedState::Fulfilled) => conditions.push(format!(
            "n.claimed = n.quantity AND {confirmed} >= n.quantity"
        )),
    }
    conditions
}

fn need_cursor(need: &Need) -> String {
    encode_cursor(&need.due, &need.id.to_string())
}

#[async_trait]
impl Needs for SqlStore {
    async fn create_need(
        &self,
        input: &NeedInput,
        receiver: &AgentId,
        declared_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        input.validate().map_err(StoreError::Invalid)?;
        let id: i64 = with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // Asked of a coalition, the need is the coalition's at once only
            // when its declarer (or the organization it is for) is an active
            // member; otherwise it waits for a steward to accept it.
            // The write comes first (on SQLite it takes the write lock at
            // once) and decides in the same statement whether the need is
            // the coalition's: only when its declarer, or the organization
            // it is for, is an active member; otherwise it is asked of it.
            let (id, coalition): (i64, Option<String>) = sqlx::query_as(
                "INSERT INTO needs (design_id, resource, quantity, unit, minimum_quantity, due, \
                 place_name, lat, lon, coalition_id, receiver_id, declared_by, note, created_at, \
                 asked_of, ask_state) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN m.n > 0 THEN $10 END, $11, $12, $13, $14, \
                 $10, CASE WHEN $10 IS NULL THEN NULL WHEN m.n > 0 THEN 'accepted' ELSE 'asked' END \
                 FROM (SELECT COUNT(*) AS n FROM memberships WHERE organization_id = $10 \
                   AND member_id IN ($11, $12) AND state = 'active') m \
                 RETURNING id, coalition_id",
            )
            .bind(input.design.as_ref().map(DesignId::as_str))
            .bind(input.resource.as_deref().map(str::trim).filter(|r| !r.is_empty()))
            .bind(to_milli(input.quantity.value))
            .bind(stored(&input.quantity.unit))
            .bind(input.minimum_quantity.map(to_milli))
            .bind(&input.due)
            .bind(input.place.name.trim())
            .bind(input.place.lat)
            .bind(input.place.lon)
            .bind(input.coalition.as_ref().map(AgentId::as_str))
            .bind(receiver.as_str())
            .bind(declared_by.as_str())
            .bind(input.note.trim())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match super::commons::violation(&e) {
                Some(sqlx::error::ErrorKind::ForeignKeyViolation) => {
                    invalid("design", "There is no such design in the commons.")
                }
                _ => e.into(),
            })?;
            let (what,): (String,) = sqlx::query_as(
                "SELECT COALESCE(d.name, n.resource) FROM needs n LEFT JOIN designs d ON d.id = n.design_id WHERE n.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let change = Change::NeedDeclared {
                need: id_of(id),
                what,
                quantity: input.quantity,
                place: input.place.clone(),
                receiver: receiver.clone(),
            };
            emit!(self, tx, coalition.as_deref(), &change, now);
            tx.commit().await?;
            id
        });
        Ok(id_of(id))
    }

    async fn decide_ask(
        &self,
        need: u64,
        coalition: &AgentId,
        decision: &AskDecision,
        by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<Need> {
        decision.validate().map_err(StoreError::Invalid)?;
        let id = db_id(need)?;
        let state = if decision.accept {
            AskState::Accepted
        } else {
            AskState::Declined
        };
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // Compare-and-set: only an ask still waiting is answered, once.
            let answered = sqlx::query(
                "UPDATE needs SET ask_state = $3, ask_reason = $4, ask_decided_by = $5, ask_decided_at = $6, \
                 coalition_id = CASE WHEN $3 = 'accepted' THEN asked_of ELSE NULL END \
                 WHERE id = $1 AND asked_of = $2 AND ask_state = 'asked'",
            )
            .bind(id)
            .bind(coalition.as_str())
            .bind(state.slug())
            .bind(decision.reason.trim())
            .bind(by.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if answered == 0 {
                let row: Option<(Option<String>, Option<String>)> =
                    sqlx::query_as("SELECT asked_of, ask_state FROM needs WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(match row {
                    Some((Some(asked), Some(state))) if asked == coalition.as_str() => {
                        StoreError::Conflict(format!(
                            "This need was already {state}: an ask is answered once."
                        ))
                    }
                    _ => StoreError::NotFound,
                });
            }
            if decision.accept {
                // Now the coalition's: its live views hear of it as declared.
                let (what, quantity, unit, place_name, lat, lon, receiver): (String, i64, String, String, f64, f64, String) =
                    sqlx::query_as(
                        "SELECT COALESCE(d.name, n.resource), n.quantity, n.unit, n.place_name, n.lat, n.lon, n.receiver_id \
                         FROM needs n LEFT JOIN designs d ON d.id = n.design_id WHERE n.id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                let change = Change::NeedDeclared {
                    need,
                    what,
                    quantity: quantity_of(quantity, &unit)?,
                    place: Place { name: place_name, lat, lon },
                    receiver: agent_id(&receiver)?,
                };
                emit!(self, tx, Some(coalition.as_str()), &change, now);
            }
            tx.commit().await?;
        });
        self.need(need).await
    }

    async fn need(&self, id: u64) -> StoreResult<Need> {
        let id = db_id(id)?;
        let sql = format!("{} WHERE n.id = $1", need_select());
        let row: Option<NeedRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(&sql).bind(id).fetch_optional(p).await?
        });
        row.ok_or(StoreError::NotFound)?.into_need()
    }

    async fn list_needs(&self, query: &NeedQuery) -> StoreResult<Page<Need>> {
        let filters = need_filters(query);
        let limit = query.limit as usize;
        let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let cursor = match cursor {
            Some((due, id)) => Some((
                due,
                id.parse::<i64>().map_err(|_| {
                    invalid("cursor", "That cursor is not one this server gave out.")
                })?,
            )),
            None => None,
        };
        let select = need_select();
        let order = "ORDER BY n.due, n.id";
        let (mut needs, total) = if let Some((lat, lon, radius)) = query.near {
            // Pages of the box in due order, each checked for the exact
            // distance, until a page's worth (and one more) is in; the
            // total counts the box's places that are within the radius.
            let count_sql = format!("SELECT n.lat, n.lon FROM needs n {}", filters.sql());
            let places: Vec<(f64, f64)> = with_pool!(&self.pool, p => {
                bind_all!(sqlx::query_as(&count_sql), &filters.binds).fetch_all(p).await?
            });
            let total = places
                .iter()
                .filter(|(a, b)| within((lat, lon), radius, *a, *b))
                .count() as u64;
            let batch = (limit + 1) * 4;
            let mut after = cursor;
            let mut near = Vec::new();
            loop {
                let mut paged = filters.clone();
                if let Some((due, id)) = &after {
                    let due = paged.bind(Bind::Text(due.clone()));
                    let id = paged.bind(Bind::Int(*id));
                    paged.push(format!(
                        "(n.due > {due} OR (n.due = {due} AND n.id > {id}))"
                    ));
                }
                let limit_p = paged.bind(Bind::Int(batch as i64));
                let sql = format!("{select} {} {order} LIMIT {limit_p}", paged.sql());
                let rows: Vec<NeedRow> = with_pool!(&self.pool, p => {
                    bind_all!(sqlx::query_as(&sql), &paged.binds).fetch_all(p).await?
                });
                let fetched = rows.len();
                after = rows.last().map(|row| (row.due.clone(), row.id));
                for row in rows {
                    if within((lat, lon), radius, row.lat, row.lon) {
                        near.push(row.into_need()?);
                    }
                }
                if near.len() > limit || fetched < batch {
                    break;
                }
            }
            near.truncate(limit + 1);
            (near, total)
        } else {
            let mut paged = filters.clone();
            if let Some((due, id)) = cursor {
                let due = paged.bind(Bind::Text(due));
                let id = paged.bind(Bind::Int(id));
                paged.push(format!(
                    "(n.due > {due} OR (n.due = {due} AND n.id > {id}))"
                ));
            }
            let limit_p = paged.bind(Bind::Int(limit as i64 + 1));
            let list_sql = format!("{select} {} {order} LIMIT {limit_p}", paged.sql());
            let count_sql = format!("SELECT COUNT(*) FROM needs n {}", filters.sql());
            let (rows, count): (Vec<NeedRow>, (i64,)) = with_pool!(&self.pool, p => {
                let rows = bind_all!(sqlx::query_as(&list_sql), &paged.binds).fetch_all(p).await?;
                let count = bind_all!(sqlx::query_as(&count_sql), &filters.binds).fetch_one(p).await?;
                (rows, count)
            });
            let needs = rows
                .into_iter()
                .map(NeedRow::into_need)
                .collect::<StoreResult<Vec<_>>>()?;
            (needs, u64::try_from(count.0).unwrap_or_default())
        };
        let next_cursor = if needs.len() > limit {
            needs.truncate(limit);
            needs.last().map(need_cursor)
        } else {
            None
        };
        Ok(Page {
            items: needs,
            next_cursor,
            total,
        })
    }

    async fn create_claim(
        &self,
        need: u64,
        provider: &AgentId,
        claimed_by: &AgentId,
        quantity: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let need = db_id(need)?;
        // The guard: only raises `claimed` while the claim fits, and while
        // it is at least the need's minimum (or all that is left). The race
        // tests' breaking control checks the fit first and raises blindly.
        let raise = if self.unguarded() {
            let fits: Option<(bool,)> = with_pool!(&self.pool, p => {
                sqlx::query_as(
                    "SELECT claimed + $2 <= quantity FROM needs WHERE id = $1",
                )
                .bind(need)
                .bind(quantity)
                .fetch_optional(p)
                .await?
            });
            // Widen the window between the check and the write.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if fits.is_some_and(|(fits,)| fits) {
                "UPDATE needs SET claimed = claimed + $2 WHERE id = $1"
            } else {
                "UPDATE needs SET claimed = claimed + $2 WHERE id = $1 AND $2 < 0"
            }
        } else {
            "UPDATE needs SET claimed = claimed + $2 WHERE id = $1 AND claimed + $2 <= quantity \
             AND ($2 >= COALESCE(minimum_quantity, 0) OR claimed + $2 = quantity)"
        };
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let raised = sqlx::query(raise)
            .bind(need)
            .bind(quantity)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if raised == 0 {
                let row: Option<(i64, i64, Option<i64>, String)> = sqlx::query_as(
                    "SELECT quantity, claimed, minimum_quantity, unit FROM needs WHERE id = $1",
                )
                .bind(need)
                .fetch_optional(&mut *tx)
                .await?;
                let (total, claimed, minimum, unit) = row.ok_or(StoreError::NotFound)?;
                let left = total - claimed;
                let unit: Unit = parse_stored(&unit)?;
                let amount = |milli: i64| Quantity::new(from_milli(milli), unit).to_string();
                return Err(if left <= 0 {
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
                            amount(minimum.unwrap_or_default()),
                            amount(left)
                        ),
                    )
                });
            }
            let id: (i64,) = sqlx::query_as(
                "INSERT INTO claims (need_id, provider_id, claimed_by, quantity, state, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'committed', $5, $6, $6) RETURNING id",
            )
            .bind(need)
            .bind(provider.as_str())
            .bind(claimed_by.as_str())
            .bind(quantity)
            .bind(note.trim())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let (total, claimed, unit, coalition): (i64, i64, String, Option<String>) = sqlx::query_as(
                "SELECT quantity, claimed, unit, coalition_id FROM needs WHERE id = $1",
            )
            .bind(need)
            .fetch_one(&mut *tx)
            .await?;
            // A Peer Production License design made by a maker outside the
            // coalition owes the commons fund the coalition's reciprocity fee.
            let fee: Option<(String, String)> = sqlx::query_as(
                "SELECT n.coalition_id, v.equation FROM needs n JOIN designs d ON d.id = n.design_id \
                 JOIN value_equations v ON v.coalition_id = n.coalition_id \
                 WHERE n.id = $1 AND d.licence = 'LicenseRef-PPL' \
                 AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = n.coalition_id \
                   AND m.member_id = $2 AND m.state = 'active') \
                 ORDER BY v.version DESC LIMIT 1",
            )
            .bind(need)
            .bind(provider.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((coalition, equation)) = fee {
                let equation: stigmergy_core::ledger::ValueEquation =
                    serde_json::from_str(&equation).map_err(anyhow::Error::from)?;
                let amount = (quantity as f64 * equation.reciprocity_fee).round() as i64;
                if amount > 0 {
                    sqlx::query(
                        "INSERT INTO owed (coalition_id, kind, creditor, debtor, amount, need_claim, equation_version, at) \
                         VALUES ($1, 'reciprocity_fee', $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&coalition)
                    .bind(stigmergy_core::ledger::COMMONS_FUND)
                    .bind(provider.as_str())
                    .bind(amount)
                    .bind(id.0)
                    .bind(i64::from(equation.version))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let change = Change::ClaimMade {
                claim: id_of(id.0),
                need: id_of(need),
                provider: provider.clone(),
                quantity: quantity_of(quantity, &unit)?,
                remainder: from_milli(total - claimed),
            };
            emit!(self, tx, coalition.as_deref(), &change, now);
            tx.commit().await?;
            Ok(id_of(id.0))
        })
    }

    async fn claim(&self, id: u64) -> StoreResult<Claim> {
        let id = db_id(id)?;
        let sql = format!("{CLAIM_SELECT} WHERE c.id = $1");
        let row: Option<ClaimRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(&sql).bind(id).fetch_optional(p).await?
        });
        row.ok_or(StoreError::NotFound)?.into_claim()
    }

    async fn claims_of_need(&self, need: u64) -> StoreResult<Vec<Claim>> {
        let need = db_id(need)?;
        let sql = format!("{CLAIM_SELECT} WHERE c.need_id = $1 ORDER BY c.id");
        let rows: Vec<ClaimRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(&sql).bind(need).fetch_all(p).await?
        });
        claims_from(rows)
    }

    async fn claims_by(&self, agent: &AgentId) -> StoreResult<Vec<Claim>> {
        let sql = format!(
            "{CLAIM_SELECT} WHERE c.provider_id = $1 OR c.claimed_by = $1 ORDER BY c.id DESC"
        );
        let rows: Vec<ClaimRow> = with_pool!(&self.pool, p => {
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
        let id = db_id(id)?;
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
        with_pool!(&self.pool, p => {
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
                    action.apply(state).err().map_or_else(|| "The claim changed meanwhile; reload it.".into(), |e| e.to_string()),
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
                // The maker produced it, then transferred it to the receiver.
                // It counts in the coalition's accounts only when the need is
                // the coalition's and the maker an active member now.
                for (action, receiver) in [("produce", "c.provider_id"), ("transfer", "n.receiver_id")] {
                    let sql = format!(
                        "INSERT INTO economic_events (action, provider_id, receiver_id, design_id, resource, \
                         quantity, unit, at, fulfils, place_name, lat, lon, coalition_id, in_accounts) \
                         SELECT $2, c.provider_id, {receiver}, n.design_id, COALESCE(d.name, n.resource), \
                         c.quantity, n.unit, $3, c.id, n.place_name, n.lat, n.lon, n.coalition_id, \
                         EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = n.coalition_id \
                           AND m.member_id = c.provider_id AND m.state = 'active') \
                         FROM claims c JOIN needs n ON n.id = c.need_id LEFT JOIN designs d ON d.id = n.design_id \
                         WHERE c.id = $1"
                    );
                    sqlx::query(&sql)
                        .bind(id)
                        .bind(action)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                // A coalition that keeps accounts gets them in its ledger,
                // in the same transaction, so the two cannot drift apart.
                let coalition: (Option<String>,) = sqlx::query_as(
                    "SELECT n.coalition_id FROM claims c JOIN needs n ON n.id = c.need_id \
                     JOIN ledgers l ON l.coalition_id = n.coalition_id WHERE c.id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or((None,));
                if let Some(coalition) = coalition.0 {
                    carry_events!(self, tx, &coalition);
                }
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
            emit!(self, tx, coalition.as_deref(), &change, now);
            tx.commit().await?;
        });
        self.claim(id_of(id)).await
    }

    async fn gaps(&self) -> StoreResult<Gaps> {
        // The gap rule lives here, in SQL, so the database aggregates and
        // ranks and only the top rows travel: over the needs not yet
        // fulfilled, per design and per region (the `needs.region` column,
        // core's `region_of` in SQL), demand − committed − delivered, never
        // below zero, largest first, ties by label (byte order on both
        // stores) then key. Core's `Gap` is what it fills.
        // Each need's claims summed once, by one pass over the claims'
        // covering index, then the needs grouped (a subquery per need and
        // per sum was six times slower on SQLite).
        let per_need = format!(
            "SELECT need_id, \
             SUM(CASE WHEN state IN ({COMMITTED}) THEN quantity ELSE 0 END) AS committed, \
             SUM(CASE WHEN state IN ({DELIVERED}) THEN quantity ELSE 0 END) AS delivered, \
             SUM(CASE WHEN state = 'confirmed' THEN quantity ELSE 0 END) AS confirmed \
             FROM claims GROUP BY need_id"
        );
        let bytes = match self.pool {
            super::pool::Pool::Sqlite(_) => "",
            super::pool::Pool::Postgres(_) => " COLLATE \"C\"",
        };
        let section = |key: &str, label: &str| {
            format!(
                "SELECT key, label, demand, committed, delivered, \
                 CASE WHEN demand - committed - delivered > 0 THEN demand - committed - delivered ELSE 0 END AS gap \
                 FROM (SELECT {key} AS key, {label} AS label, CAST(SUM(n.quantity) AS BIGINT) AS demand, \
                   CAST(COALESCE(SUM(c.committed), 0) AS BIGINT) AS committed, \
                   CAST(COALESCE(SUM(c.delivered), 0) AS BIGINT) AS delivered \
                   FROM needs n JOIN designs d ON d.id = n.design_id \
                   LEFT JOIN ({per_need}) c ON c.need_id = n.id \
                   WHERE NOT (n.claimed = n.quantity AND COALESCE(c.confirmed, 0) >= n.quantity) \
                   GROUP BY {key}, {label}) AS sums \
                 ORDER BY gap DESC, label{bytes}, key{bytes} LIMIT $1"
            )
        };
        let by_design_sql = section("n.design_id", "d.name");
        let by_region_sql = section("n.region", "n.region");
        let limit = i64::try_from(stigmergy_core::needs::GAPS_LIMIT).unwrap_or(i64::MAX);
        type GapRow = (String, String, i64, i64, i64, i64);
        let (by_design, by_region): (Vec<GapRow>, Vec<GapRow>) = with_pool!(&self.pool, p => {
            let by_design = sqlx::query_as(&by_design_sql).bind(limit).fetch_all(p).await?;
            let by_region = sqlx::query_as(&by_region_sql).bind(limit).fetch_all(p).await?;
            (by_design, by_region)
        });
        let gaps = |rows: Vec<GapRow>| {
            rows.into_iter()
                .map(|(key, label, demand, committed, delivered, gap)| Gap {
                    key,
                    label,
                    demand: from_milli(demand),
                    committed: from_milli(committed),
                    delivered: from_milli(delivered),
                    gap: from_milli(gap),
                })
                .collect()
        };
        Ok(Gaps {
            by_design: gaps(by_design),
            by_region: gaps(by_region),
        })
    }

    async fn economic_events(
        &self,
        coalition: Option<&AgentId>,
        claim: Option<u64>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<EconomicEvent>> {
        let mut conditions = Conditions::default();
        let p = conditions.bind(Bind::Int(i64::try_from(after).unwrap_or(i64::MAX)));
        conditions.push(format!("e.id > {p}"));
        if let Some(coalition) = coalition {
            let p = conditions.bind(Bind::Text(coalition.as_str().to_owned()));
            conditions.push(format!("e.coalition_id = {p}"));
        }
        if let Some(claim) = claim {
            let p = conditions.bind(Bind::Int(db_id(claim)?));
            conditions.push(format!("e.fulfils = {p}"));
        }
        let limit = conditions.bind(Bind::Int(i64::from(limit)));
        let sql = format!(
            "SELECT e.id, e.action, e.design_id, d.name AS design_name, e.resource, e.quantity, e.unit, \
             e.at, e.fulfils, e.place_name, e.lat, e.lon, e.coalition_id, e.in_accounts, \
             p.id AS provider_id, p.name AS provider_name, p.kind AS provider_kind, \
             p.place_name AS provider_place, p.lat AS provider_lat, p.lon AS provider_lon, \
             r.id AS receiver_id, r.name AS receiver_name, r.kind AS receiver_kind, \
             r.place_name AS receiver_place, r.lat AS receiver_lat, r.lon AS receiver_lon \
             FROM economic_events e LEFT JOIN designs d ON d.id = e.design_id \
             JOIN agents p ON p.id = e.provider_id JOIN agents r ON r.id = e.receiver_id \
             {} ORDER BY e.id LIMIT {limit}",
            conditions.sql()
        );
        let rows: Vec<EventRow> = with_pool!(&self.pool, p => {
            bind_all!(sqlx::query_as(&sql), &conditions.binds).fetch_all(p).await?
        });
        rows.into_iter().map(EventRow::into_event).collect()
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    action: String,
    design_id: Option<String>,
    design_name: Option<String>,
    resource: String,
    quantity: i64,
    unit: String,
    at: DateTime<Utc>,
    fulfils: Option<i64>,
    place_name: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    coalition_id: Option<String>,
    in_accounts: bool,
    provider_id: String,
    provider_name: String,
    provider_kind: String,
    provider_place: Option<String>,
    provider_lat: Option<f64>,
    provider_lon: Option<f64>,
    receiver_id: String,
    receiver_name: String,
    receiver_kind: String,
    receiver_place: Option<String>,
    receiver_lat: Option<f64>,
    receiver_lon: Option<f64>,
}

impl EventRow {
    fn into_event(self) -> StoreResult<EconomicEvent> {
        let design = match (self.design_id, self.design_name) {
            (Some(id), Some(name)) => Some(DesignRef {
                id: DesignId::parse(&id).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))?,
                name,
            }),
            _ => None,
        };
        Ok(EconomicEvent {
            id: id_of(self.id),
            action: parse_stored::<EventAction>(&self.action)?,
            provider: provider_of!(self),
            receiver: receiver_of!(self),
            design,
            what: self.resource,
            quantity: quantity_of(self.quantity, &self.unit)?,
            at: self.at.into(),
            fulfils: self.fulfils.map(id_of),
            place: place_of(self.place_name, self.lat, self.lon),
            coalition: self.coalition_id.as_deref().map(agent_id).transpose()?,
            in_accounts: self.in_accounts,
        })
    }
}
