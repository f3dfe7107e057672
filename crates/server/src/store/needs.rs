//! Needs in SQL (VF `Intent`s): declaring one, a coalition's answer to a
//! need asked of it, one need, pages of them by due date, and the gap
//! signal over them. Their claims are in `claims.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::geo::{BoundingBox, Longitudes, within};
use stigmergy_core::unit::{from_milli, to_milli};
use stigmergy_core::{
    AgentId, AskDecision, AskState, BillOfMaterials, Change, CoalitionAsk, DesignId, DesignRef,
    Gap, Gaps, Need, NeedInput, NeedQuery, NeedState, Page, Place, Quantity, Unit,
};

use super::pool::{SqlStore, dispatch};
use super::sql::{
    AgentColumns, Bind, BindAll, Conditions, Conn, Receiver, agent_id, agent_ref, db_id,
    decode_cursor, encode_cursor, id_of, invalid, parse_stored, stored, violation,
};
use super::{StoreError, StoreResult};

#[async_trait]
pub trait Needs {
    /// Declares a need and returns it. Asked of a coalition, the need is
    /// the coalition's at once when its declarer (or the receiver) is an
    /// active member, else it waits for a steward's answer; `Invalid` when
    /// the coalition or the design does not exist.
    async fn create_need(
        &self,
        input: &NeedInput,
        receiver: &AgentId,
        declared_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<Need>;

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

    /// The gap signal, per design and per region, largest first.
    async fn gaps(&self) -> StoreResult<Gaps>;
}

/// Units a number of thousandths and a stored unit make.
pub(super) fn quantity_of(milli: i64, unit: &str) -> StoreResult<Quantity> {
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
    #[sqlx(flatten)]
    receiver: AgentColumns<Receiver>,
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
            receiver: self.receiver.into_agent()?,
            declared_by: agent_id(&self.declared_by)?,
            note: self.note,
            created_at: self.created_at.into(),
        })
    }
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

/// One need, on a connection of either backend.
async fn read_need(mut conn: Conn<'_>, id: i64) -> StoreResult<Need> {
    let sql = format!("{} WHERE n.id = $1", need_select());
    let row: Option<NeedRow> = dispatch!(&mut conn, c => {
        sqlx::query_as(&sql).bind(id).fetch_optional(&mut **c).await?
    });
    row.ok_or(StoreError::NotFound)?.into_need()
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
    ) -> StoreResult<Need> {
        let today = now.date_naive().to_string();
        input.validate_on(&today).map_err(StoreError::Invalid)?;
        let coalition = input.coalition.as_ref().map(AgentId::as_str);
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            // The write comes first (on SQLite it takes the write lock at
            // once) and decides in the same statement whether the need is
            // the coalition's: only when its declarer, or the organization
            // it is for, is an active member; otherwise it is asked of it.
            // It writes nothing when the coalition asked is none.
            let written: Option<(i64, Option<String>)> = sqlx::query_as(
                "INSERT INTO needs (design_id, resource, quantity, unit, minimum_quantity, due, \
                 place_name, lat, lon, coalition_id, receiver_id, declared_by, note, created_at, \
                 asked_of, ask_state) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN m.n > 0 THEN $10 END, $11, $12, $13, $14, \
                 $10, CASE WHEN $10 IS NULL THEN NULL WHEN m.n > 0 THEN 'accepted' ELSE 'asked' END \
                 FROM (SELECT COUNT(*) AS n FROM memberships WHERE organization_id = $10 \
                   AND member_id IN ($11, $12) AND state = 'active') m \
                 WHERE $10 IS NULL OR EXISTS (SELECT 1 FROM coalitions WHERE agent_id = $10) \
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
            .bind(coalition)
            .bind(receiver.as_str())
            .bind(declared_by.as_str())
            .bind(input.note.trim())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| match violation(&e) {
                Some(sqlx::error::ErrorKind::ForeignKeyViolation) => {
                    invalid("design", "There is no such design in the commons.")
                }
                _ => e.into(),
            })?;
            let Some((id, coalition)) = written else {
                return Err(invalid(
                    "coalition",
                    format!("There is no coalition {}.", coalition.unwrap_or_default()),
                ));
            };
            let need = read_need(Conn::from(&mut *tx), id).await?;
            let change = Change::NeedDeclared {
                need: need.id,
                what: need.what.clone(),
                quantity: input.quantity,
                place: input.place.clone(),
                receiver: receiver.clone(),
            };
            Conn::from(&mut *tx).emit(coalition.as_deref(), &change, now).await?;
            tx.commit().await?;
            Ok(need)
        })
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
        let id = db_id(need);
        let state = if decision.accept {
            AskState::Accepted
        } else {
            AskState::Declined
        };
        dispatch!(&self.pool, p => {
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
                Conn::from(&mut *tx).emit(Some(coalition.as_str()), &change, now).await?;
            }
            tx.commit().await?;
        });
        self.need(need).await
    }

    async fn need(&self, id: u64) -> StoreResult<Need> {
        dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            read_need(Conn::from(&mut *conn), db_id(id)).await
        })
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
            let places: Vec<(f64, f64)> = dispatch!(&self.pool, p => {
                sqlx::query_as(&count_sql).bind_all(&filters.binds).fetch_all(p).await?
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
                let rows: Vec<NeedRow> = dispatch!(&self.pool, p => {
                    sqlx::query_as(&sql).bind_all(&paged.binds).fetch_all(p).await?
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
            let (rows, count): (Vec<NeedRow>, (i64,)) = dispatch!(&self.pool, p => {
                let rows = sqlx::query_as(&list_sql).bind_all(&paged.binds).fetch_all(p).await?;
                let count = sqlx::query_as(&count_sql).bind_all(&filters.binds).fetch_one(p).await?;
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
        let (by_design, by_region): (Vec<GapRow>, Vec<GapRow>) = dispatch!(&self.pool, p => {
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
}
