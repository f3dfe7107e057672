//! Declared capacity in SQL (VF `Proposal` of an offer): declaring it,
//! listing it a page at a time, and the candidates for a need's makers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::unit::from_milli;
use stigmergy_core::{
    AgentId, Capacity, CapacityInput, CapacityQuery, Change, Need, Page, Place, ProcessKind,
};

use super::sql::{Bind, BindAll, Conditions, decode_cursor, encode_cursor};

use super::pool::{SqlStore, dispatch};
use super::sql::{Conn, agent_ref, db_id, id_of, invalid};
use super::{StoreError, StoreResult};

#[async_trait]
pub trait Capacities {
    /// Declares capacity; returns its id.
    async fn create_capacity(
        &self,
        input: &CapacityInput,
        provider: &AgentId,
        declared_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<Capacity>;

    /// A page of declared capacity, optionally of one provider or for one
    /// process, by provider name (then provider id, then capacity id).
    async fn capacities(&self, query: &CapacityQuery) -> StoreResult<Page<Capacity>>;

    /// One declared capacity.
    async fn capacity(&self, id: u64) -> StoreResult<Capacity>;

    /// All the capacity these providers declared, by provider name: what
    /// one person (and the organizations they steward) or one coalition's
    /// members offer.
    async fn capacities_of(&self, providers: &[AgentId]) -> StoreResult<Vec<Capacity>>;

    /// The capacity that might fit `need`: it runs at least one of the
    /// need's processes (any, for a need without processes) and the need's
    /// latitude is within its radius. The exact fit is core's `fit`.
    async fn capacities_for(&self, need: &Need) -> StoreResult<Vec<Capacity>>;
}

#[async_trait]
impl Capacities for SqlStore {
    async fn create_capacity(
        &self,
        input: &CapacityInput,
        provider: &AgentId,
        declared_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<Capacity> {
        let today = now.date_naive().to_string();
        input.validate_on(&today).map_err(StoreError::Invalid)?;
        let processes: Vec<&str> = input.processes.iter().map(|p| p.slug()).collect();
        let processes_json = serde_json::to_string(&processes).map_err(anyhow::Error::from)?;
        let materials: Vec<&str> = input.materials.iter().map(|m| m.trim()).collect();
        let materials_json = serde_json::to_string(&materials).map_err(anyhow::Error::from)?;
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let id: (i64,) = sqlx::query_as(
                "INSERT INTO capacities (provider_id, declared_by, processes, materials, rate, available_from, \
                 available_until, radius_km, place_name, lat, lon, note, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(provider.as_str())
            .bind(declared_by.as_str())
            .bind(&processes_json)
            .bind(&materials_json)
            .bind(input.rate)
            .bind(&input.available_from)
            .bind(input.available_until.as_deref())
            .bind(input.radius_km)
            .bind(input.place.name.trim())
            .bind(input.place.lat)
            .bind(input.place.lon)
            .bind(input.note.trim())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for process in &processes {
                sqlx::query(
                    "INSERT INTO capacity_processes (capacity_id, process) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id.0)
                .bind(*process)
                .execute(&mut *tx)
                .await?;
            }
            let change = Change::CapacityDeclared {
                capacity: id_of(id.0),
                provider: provider.clone(),
                place: input.place.clone(),
            };
            Conn::from(&mut *tx).emit(None, &change, now).await?;
            let capacity = read_capacity(Conn::from(&mut *tx), id.0).await?;
            tx.commit().await?;
            Ok(capacity)
        })
    }

    async fn capacities(&self, query: &CapacityQuery) -> StoreResult<Page<Capacity>> {
        let mut filters = Conditions::default();
        if let Some(provider) = &query.provider {
            let p = filters.bind(Bind::Text(provider.as_str().to_owned()));
            filters.push(format!("k.provider_id = {p}"));
        }
        if let Some(process) = query.process {
            let p = filters.bind(Bind::Text(process.slug().to_owned()));
            filters.push(format!(
                "k.id IN (SELECT capacity_id FROM capacity_processes WHERE process = {p})"
            ));
        }
        let mut paged = filters.clone();
        if let Some(cursor) = query.cursor.as_deref() {
            let (name, provider, id) = decode_capacity_cursor(cursor)?;
            let name = paged.bind(Bind::Text(name));
            let provider = paged.bind(Bind::Text(provider));
            let id = paged.bind(Bind::Int(id));
            paged.push(format!(
                "(a.name > {name} OR (a.name = {name} AND (a.id > {provider} \
                 OR (a.id = {provider} AND k.id > {id}))))"
            ));
        }
        let limit = query.limit as usize;
        let limit_p = paged.bind(Bind::Int(limit as i64 + 1));
        let list_sql = format!(
            "{CAPACITY_SELECT} {} ORDER BY a.name, a.id, k.id LIMIT {limit_p}",
            paged.sql()
        );
        let count_sql = format!("SELECT COUNT(*) FROM capacities k {}", filters.sql());
        let (rows, count): (Vec<CapacityRow>, (i64,)) = dispatch!(&self.pool, p => {
            let rows = sqlx::query_as(&list_sql).bind_all(&paged.binds).fetch_all(p).await?;
            let count = sqlx::query_as(&count_sql).bind_all(&filters.binds).fetch_one(p).await?;
            (rows, count)
        });
        let mut items = rows
            .into_iter()
            .map(CapacityRow::into_capacity)
            .collect::<StoreResult<Vec<_>>>()?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(capacity_cursor)
        } else {
            None
        };
        Ok(Page {
            items,
            next_cursor,
            total: u64::try_from(count.0).unwrap_or_default(),
        })
    }

    async fn capacity(&self, id: u64) -> StoreResult<Capacity> {
        dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            read_capacity(Conn::from(&mut *conn), db_id(id)).await
        })
    }

    async fn capacities_of(&self, providers: &[AgentId]) -> StoreResult<Vec<Capacity>> {
        if providers.is_empty() {
            return Ok(Vec::new());
        }
        let mut conditions = Conditions::default();
        let listed: Vec<String> = providers
            .iter()
            .map(|p| conditions.bind(Bind::Text(p.as_str().to_owned())))
            .collect();
        conditions.push(format!("k.provider_id IN ({})", listed.join(", ")));
        let sql = format!(
            "{CAPACITY_SELECT} {} ORDER BY a.name, a.id, k.id",
            conditions.sql()
        );
        let rows: Vec<CapacityRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(&sql).bind_all(&conditions.binds).fetch_all(p).await?
        });
        rows.into_iter().map(CapacityRow::into_capacity).collect()
    }

    async fn capacities_for(&self, need: &Need) -> StoreResult<Vec<Capacity>> {
        let mut conditions = Conditions::default();
        if !need.processes.is_empty() {
            let listed: Vec<String> = need
                .processes
                .iter()
                .map(|p| conditions.bind(Bind::Text(p.slug().to_owned())))
                .collect();
            conditions.push(format!(
                "k.id IN (SELECT capacity_id FROM capacity_processes WHERE process IN ({}))",
                listed.join(", ")
            ));
        }
        // The need within the capacity's radius north or south: a cheap
        // bound before the exact distance (a degree of latitude is the
        // same length everywhere).
        let lat = conditions.bind(Bind::Real(need.place.lat));
        let per_km = conditions.bind(Bind::Real(
            (1.0 / stigmergy_core::geo::EARTH_RADIUS_KM).to_degrees(),
        ));
        conditions.push(format!(
            "k.lat BETWEEN {lat} - k.radius_km * {per_km} - 0.001 AND {lat} + k.radius_km * {per_km} + 0.001"
        ));
        let receiver = conditions.bind(Bind::Text(need.receiver.id.as_str().to_owned()));
        conditions.push(format!("k.provider_id <> {receiver}"));
        let sql = format!(
            "{CAPACITY_SELECT} {} ORDER BY a.name, a.id, k.id",
            conditions.sql()
        );
        let rows: Vec<CapacityRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(&sql).bind_all(&conditions.binds).fetch_all(p).await?
        });
        rows.into_iter().map(CapacityRow::into_capacity).collect()
    }
}

const CAPACITY_SELECT: &str = "SELECT k.id, k.processes, k.materials, k.rate, k.available_from, \
     k.available_until, k.radius_km, k.place_name, k.lat, k.lon, k.note, k.created_at, \
     a.id AS provider_id, a.name AS provider_name, a.kind AS provider_kind, \
     a.place_name AS provider_place, a.lat AS provider_lat, a.lon AS provider_lon, \
     CAST(COALESCE((SELECT SUM(c.quantity) FROM claims c WHERE c.provider_id = k.provider_id \
     AND c.state IN ('committed', 'in_progress')), 0) AS BIGINT) AS committed \
     FROM capacities k JOIN agents a ON a.id = k.provider_id";

/// The cursor after `capacity`: its provider's name and id, and its id.
/// One declared capacity, on a connection of either backend.
async fn read_capacity(mut conn: Conn<'_>, id: i64) -> StoreResult<Capacity> {
    let sql = format!("{CAPACITY_SELECT} WHERE k.id = $1");
    let row: Option<CapacityRow> = dispatch!(&mut conn, c => {
        sqlx::query_as(&sql).bind(id).fetch_optional(&mut **c).await?
    });
    row.ok_or(StoreError::NotFound)?.into_capacity()
}

fn capacity_cursor(capacity: &Capacity) -> String {
    encode_cursor(
        capacity.provider.id.as_str(),
        &format!("{}\u{1f}{}", capacity.id, capacity.provider.name),
    )
}

fn decode_capacity_cursor(cursor: &str) -> StoreResult<(String, String, i64)> {
    let (provider, rest) = decode_cursor(cursor)?;
    rest.split_once('\u{1f}')
        .and_then(|(id, name)| Some((name.to_owned(), provider, id.parse().ok()?)))
        .ok_or_else(|| invalid("cursor", "That cursor is not one this server gave out."))
}

#[derive(sqlx::FromRow)]
struct CapacityRow {
    id: i64,
    processes: String,
    materials: String,
    rate: f64,
    available_from: String,
    available_until: Option<String>,
    radius_km: f64,
    place_name: String,
    lat: f64,
    lon: f64,
    note: String,
    created_at: DateTime<Utc>,
    provider_id: String,
    provider_name: String,
    provider_kind: String,
    provider_place: Option<String>,
    provider_lat: Option<f64>,
    provider_lon: Option<f64>,
    committed: i64,
}

impl CapacityRow {
    fn into_capacity(self) -> StoreResult<Capacity> {
        let slugs: Vec<String> =
            serde_json::from_str(&self.processes).map_err(anyhow::Error::from)?;
        Ok(Capacity {
            id: id_of(self.id),
            provider: agent_ref(
                &self.provider_id,
                &self.provider_name,
                &self.provider_kind,
                self.provider_place,
                self.provider_lat,
                self.provider_lon,
            )?,
            processes: slugs
                .iter()
                .filter_map(|s| ProcessKind::from_slug(s))
                .collect(),
            materials: serde_json::from_str(&self.materials).map_err(anyhow::Error::from)?,
            rate: self.rate,
            available_from: self.available_from,
            available_until: self.available_until,
            radius_km: self.radius_km,
            place: Place {
                name: self.place_name,
                lat: self.lat,
                lon: self.lon,
            },
            note: self.note,
            committed: from_milli(self.committed),
            created_at: self.created_at.into(),
        })
    }
}
