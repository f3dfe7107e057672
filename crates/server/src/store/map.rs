//! The supply-chain map in SQL: agents with their role and place, planned
//! flows (active claims) and delivered ones (transfer events).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::unit::from_milli;
use stigmergy_core::{AgentId, AgentKind, AgentRole, DesignId, Flow, FlowKind, FlowMap, MapAgent};

use super::pool::{SqlStore, dispatch};
use super::sql::{Bind, BindAll, Conditions};
use super::{StoreError, StoreResult, parse_stored};

/// Which flows to draw; everything by default.
#[derive(Debug, Clone, Default)]
pub struct FlowFilter {
    /// One coalition's needs (and its members among the agents).
    pub coalition: Option<AgentId>,
    /// One design's needs.
    pub design: Option<DesignId>,
    /// One need's flows, with only the agents they touch: what a live map
    /// fetches when that need changes.
    pub need: Option<u64>,
    /// Flows that changed at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only flows of materials (needs without a design) received by these
    /// agents: who supplied them, for a supply chain.
    pub supplying: Option<Vec<AgentId>>,
    /// The flows alone, without the agents on the map.
    pub flows_only: bool,
}

#[async_trait]
pub trait SupplyMap {
    /// Agents and flows, as `filter` narrows them.
    async fn flow_map(&self, filter: &FlowFilter) -> StoreResult<FlowMap>;
}

#[derive(sqlx::FromRow)]
struct FlowRow {
    claim: i64,
    need: i64,
    design_id: Option<String>,
    what: String,
    provider_id: String,
    provider_name: String,
    receiver_id: String,
    receiver_name: String,
    quantity: i64,
    unit: String,
    state: String,
    at: DateTime<Utc>,
    coalition_id: Option<String>,
    place: String,
    to_lat: f64,
    to_lon: f64,
    from_lat: Option<f64>,
    from_lon: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct AgentRow {
    id: String,
    name: String,
    kind: String,
    place_name: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    is_coalition: i64,
    provides: i64,
    receives: i64,
}

fn id(text: &str) -> StoreResult<AgentId> {
    AgentId::parse(text).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

/// Where a provider makes from: its own place, else its first capacity's.
const PROVIDER_LAT: &str = "COALESCE(p.lat, (SELECT k.lat FROM capacities k WHERE k.provider_id = p.id ORDER BY k.id LIMIT 1))";
const PROVIDER_LON: &str = "COALESCE(p.lon, (SELECT k.lon FROM capacities k WHERE k.provider_id = p.id ORDER BY k.id LIMIT 1))";

/// An agent's role on the map from what it does; the EXISTS each read one
/// index (coalitions' key, claims and capacities by provider, needs by
/// receiver).
const AGENT_SELECT: &str = "SELECT a.id, a.name, a.kind, a.place_name, a.lat, a.lon, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM coalitions co WHERE co.agent_id = a.id) THEN 1 ELSE 0 END AS BIGINT) AS is_coalition, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM claims c WHERE c.provider_id = a.id) \
            OR EXISTS (SELECT 1 FROM capacities k WHERE k.provider_id = a.id) THEN 1 ELSE 0 END AS BIGINT) AS provides, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM needs n WHERE n.receiver_id = a.id) THEN 1 ELSE 0 END AS BIGINT) AS receives \
     FROM agents a";

/// The most ids one `IN (…)` binds (both stores take far more).
const IDS_PER_QUERY: usize = 500;

impl SqlStore {
    /// The map's agents, and only them: those `wanted` when the view is
    /// narrowed (a coalition's, a need's), else every agent with a place
    /// and the providers drawn where they make. By id.
    async fn map_agents(
        &self,
        wanted: Option<&HashSet<String>>,
        made_at: &HashMap<String, (f64, f64)>,
    ) -> StoreResult<Vec<AgentRow>> {
        let (ids, with_places): (Vec<&String>, bool) = match wanted {
            Some(set) => (set.iter().collect(), false),
            None => (made_at.keys().collect(), true),
        };
        let mut rows: Vec<AgentRow> = Vec::new();
        let chunks: Vec<&[&String]> = if ids.is_empty() {
            vec![&[]]
        } else {
            ids.chunks(IDS_PER_QUERY).collect()
        };
        for (i, chunk) in chunks.iter().enumerate() {
            if chunk.is_empty() && !with_places {
                continue;
            }
            let mut conditions = Conditions::default();
            let listed: Vec<String> = chunk
                .iter()
                .map(|id| conditions.bind(Bind::Text((*id).clone())))
                .collect();
            let mut any = Vec::new();
            // Agents with a place come once, with the first chunk.
            if with_places && i == 0 {
                any.push("(a.lat IS NOT NULL AND a.lon IS NOT NULL)".to_owned());
            }
            if !listed.is_empty() {
                any.push(format!("a.id IN ({})", listed.join(", ")));
            }
            conditions.push(format!("({})", any.join(" OR ")));
            if with_places && i > 0 {
                conditions.push("(a.lat IS NULL OR a.lon IS NULL)".into());
            }
            let sql = format!("{AGENT_SELECT} {} ORDER BY a.id", conditions.sql());
            let found: Vec<AgentRow> = dispatch!(&self.pool, p => {
                sqlx::query_as(&sql).bind_all(&conditions.binds).fetch_all(p).await?
            });
            rows.extend(found);
        }
        if chunks.len() > 1 {
            rows.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Ok(rows)
    }
}

#[async_trait]
impl SupplyMap for SqlStore {
    async fn flow_map(&self, filter: &FlowFilter) -> StoreResult<FlowMap> {
        let coalition = filter.coalition.as_ref();
        let conditions = |time: &str| {
            let mut conditions = Conditions::default();
            if let Some(coalition) = coalition {
                let p = conditions.bind(Bind::Text(coalition.as_str().to_owned()));
                conditions.push(format!("n.coalition_id = {p}"));
            }
            if let Some(design) = &filter.design {
                let p = conditions.bind(Bind::Text(design.as_str().to_owned()));
                conditions.push(format!("n.design_id = {p}"));
            }
            if let Some(need) = filter.need {
                let p = conditions.bind(Bind::Int(i64::try_from(need).unwrap_or(i64::MAX)));
                conditions.push(format!("n.id = {p}"));
            }
            if let Some(receivers) = &filter.supplying {
                let mut listed = Vec::new();
                for receiver in receivers {
                    listed.push(conditions.bind(Bind::Text(receiver.as_str().to_owned())));
                }
                if listed.is_empty() {
                    conditions.push("1 = 0".into());
                } else {
                    conditions.push(format!(
                        "n.design_id IS NULL AND n.receiver_id IN ({})",
                        listed.join(", ")
                    ));
                }
            }
            if let Some(since) = filter.since {
                let p = conditions.bind(Bind::Time(since));
                conditions.push(format!("{time} >= {p}"));
            }
            conditions
        };
        let mut planned = conditions("c.updated_at");
        planned.push("c.state IN ('committed', 'in_progress', 'delivered')".into());
        let planned_sql = format!(
            "SELECT c.id AS claim, c.need_id AS need, n.design_id, COALESCE(d.name, n.resource) AS what, \
             c.provider_id, p.name AS provider_name, n.receiver_id, r.name AS receiver_name, \
             c.quantity, n.unit, c.state, c.updated_at AS at, n.coalition_id, n.place_name AS place, \
             n.lat AS to_lat, n.lon AS to_lon, {PROVIDER_LAT} AS from_lat, {PROVIDER_LON} AS from_lon \
             FROM claims c JOIN needs n ON n.id = c.need_id LEFT JOIN designs d ON d.id = n.design_id \
             JOIN agents p ON p.id = c.provider_id JOIN agents r ON r.id = n.receiver_id {} ORDER BY c.id",
            planned.sql()
        );
        let mut delivered = conditions("e.at");
        delivered.push("e.action = 'transfer'".into());
        let delivered_sql = format!(
            "SELECT c.id AS claim, c.need_id AS need, n.design_id, COALESCE(d.name, n.resource) AS what, \
             e.provider_id, p.name AS provider_name, e.receiver_id, r.name AS receiver_name, \
             e.quantity, e.unit, c.state, e.at, n.coalition_id, n.place_name AS place, \
             n.lat AS to_lat, n.lon AS to_lon, {PROVIDER_LAT} AS from_lat, {PROVIDER_LON} AS from_lon \
             FROM economic_events e JOIN claims c ON c.id = e.fulfils JOIN needs n ON n.id = c.need_id \
             LEFT JOIN designs d ON d.id = n.design_id \
             JOIN agents p ON p.id = e.provider_id JOIN agents r ON r.id = e.receiver_id {} ORDER BY e.id",
            delivered.sql()
        );
        let (planned_rows, delivered_rows, members): (Vec<FlowRow>, Vec<FlowRow>, Vec<(String,)>) = dispatch!(&self.pool, p => {
            let planned_rows = sqlx::query_as(&planned_sql).bind_all(&planned.binds).fetch_all(p).await?;
            let delivered_rows = sqlx::query_as(&delivered_sql).bind_all(&delivered.binds).fetch_all(p).await?;
            let members = match coalition {
                Some(c) => sqlx::query_as(
                    "SELECT member_id FROM memberships WHERE organization_id = $1 AND state = 'active'",
                )
                .bind(c.as_str())
                .fetch_all(p)
                .await?,
                None => Vec::new(),
            };
            (planned_rows, delivered_rows, members)
        });
        let mut flows = Vec::new();
        for (kind, rows) in [
            (FlowKind::Planned, planned_rows),
            (FlowKind::Delivered, delivered_rows),
        ] {
            for row in rows {
                // A provider that has not said where it is cannot be drawn.
                let (Some(from_lat), Some(from_lon)) = (row.from_lat, row.from_lon) else {
                    continue;
                };
                flows.push(Flow {
                    kind,
                    claim: u64::try_from(row.claim).unwrap_or_default(),
                    need: u64::try_from(row.need).unwrap_or_default(),
                    design: row
                        .design_id
                        .as_deref()
                        .and_then(|d| DesignId::parse(d).ok()),
                    what: row.what,
                    provider: id(&row.provider_id)?,
                    provider_name: row.provider_name,
                    receiver: id(&row.receiver_id)?,
                    receiver_name: row.receiver_name,
                    from_lat,
                    from_lon,
                    to_lat: row.to_lat,
                    to_lon: row.to_lon,
                    place: row.place,
                    quantity: from_milli(row.quantity),
                    unit: parse_stored(&row.unit)?,
                    state: parse_stored(&row.state)?,
                    at: row.at.into(),
                    coalition: row
                        .coalition_id
                        .as_deref()
                        .and_then(|c| AgentId::parse(c).ok()),
                });
            }
        }
        // The agents in view: with a coalition, its members and hub and
        // whoever its flows touch; with a need, whoever its flows touch;
        // otherwise every agent with a place.
        let mut wanted: Option<HashSet<String>> = match (coalition, filter.need) {
            (_, Some(_)) => Some(HashSet::new()),
            (Some(c), None) => {
                let mut set: HashSet<String> = members.into_iter().map(|(m,)| m).collect();
                set.insert(c.as_str().to_owned());
                Some(set)
            }
            (None, None) => None,
        };
        if let Some(set) = wanted.as_mut() {
            for flow in &flows {
                set.insert(flow.provider.as_str().to_owned());
                set.insert(flow.receiver.as_str().to_owned());
            }
        }
        // A provider without a place of its own is drawn where it makes.
        let mut made_at: HashMap<String, (f64, f64)> = HashMap::new();
        for flow in &flows {
            made_at
                .entry(flow.provider.as_str().to_owned())
                .or_insert((flow.from_lat, flow.from_lon));
        }
        let agent_rows = if filter.flows_only {
            Vec::new()
        } else {
            self.map_agents(wanted.as_ref(), &made_at).await?
        };
        let mut agents = Vec::new();
        for row in agent_rows {
            if wanted.as_ref().is_some_and(|set| !set.contains(&row.id)) {
                continue;
            }
            let (lat, lon) = match (row.lat, row.lon) {
                (Some(lat), Some(lon)) => (lat, lon),
                _ => match made_at.get(&row.id) {
                    Some(at) => *at,
                    None => continue,
                },
            };
            let kind: AgentKind = parse_stored(&row.kind)?;
            let role = if row.is_coalition == 1 {
                AgentRole::Coalition
            } else {
                match kind {
                    AgentKind::Supplier => AgentRole::Supplier,
                    AgentKind::Person if row.provides == 0 && row.receives == 1 => {
                        AgentRole::Receiver
                    }
                    AgentKind::Person => AgentRole::Maker,
                    _ if row.provides == 0 && row.receives == 1 => AgentRole::Receiver,
                    _ => AgentRole::Microfactory,
                }
            };
            agents.push(MapAgent {
                id: id(&row.id)?,
                name: row.name,
                kind,
                role,
                place: row.place_name.unwrap_or_default(),
                lat,
                lon,
            });
        }
        Ok(FlowMap { agents, flows })
    }
}
