//! Economic events in SQL (VF `EconomicEvent`): what a confirmed delivery
//! records (the maker produced it, then transferred it to the receiver),
//! and the events read back in id order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::{AgentId, DesignId, DesignRef, EconomicEvent, EventAction};

use super::needs::quantity_of;
use super::pool::{SqlStore, dispatch};
use super::sql::{
    AgentColumns, Bind, BindAll, Conditions, Conn, Provider, Receiver, agent_id, db_id, id_of,
    parse_stored, place_of,
};
use super::tx::Guard;
use super::{StoreError, StoreResult};

#[async_trait]
pub trait Events {
    /// Economic events after `after` (by id), oldest first, at most `limit`.
    async fn economic_events(
        &self,
        coalition: Option<&AgentId>,
        claim: Option<u64>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<EconomicEvent>>;
}

impl Conn<'_> {
    /// Records the delivery of a claim just confirmed: the maker produced
    /// it, then transferred it to the receiver. It counts in the
    /// coalition's accounts only when the need is the coalition's and the
    /// maker an active member now; a coalition that keeps accounts gets
    /// them in its ledger in the same transaction, so the two cannot drift
    /// apart.
    pub(crate) async fn record_delivery(
        &mut self,
        claim: i64,
        now: DateTime<Utc>,
        guard: Guard,
    ) -> StoreResult<()> {
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
            dispatch!(self, c => {
            sqlx::query(&sql)
                            .bind(claim)
                            .bind(action)
                            .bind(now)
                            .execute(&mut **c)
                            .await?;
            });
        }
        let keeps_accounts = "SELECT n.coalition_id FROM claims c JOIN needs n ON n.id = c.need_id \
             JOIN ledgers l ON l.coalition_id = n.coalition_id WHERE c.id = $1";
        let coalition: Option<String> = dispatch!(self, c => sqlx::query_scalar(keeps_accounts)
            .bind(claim)
            .fetch_optional(&mut **c)
            .await?);
        if let Some(coalition) = coalition {
            self.carry_events(&coalition, guard).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Events for SqlStore {
    async fn economic_events(
        &self,
        coalition: Option<&AgentId>,
        claim: Option<u64>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<EconomicEvent>> {
        let mut conditions = Conditions::default();
        let p = conditions.bind(Bind::Int(db_id(after)));
        conditions.push(format!("e.id > {p}"));
        if let Some(coalition) = coalition {
            let p = conditions.bind(Bind::Text(coalition.as_str().to_owned()));
            conditions.push(format!("e.coalition_id = {p}"));
        }
        if let Some(claim) = claim {
            let p = conditions.bind(Bind::Int(db_id(claim)));
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
        let rows: Vec<EventRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(&sql).bind_all(&conditions.binds).fetch_all(p).await?
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
    #[sqlx(flatten)]
    provider: AgentColumns<Provider>,
    #[sqlx(flatten)]
    receiver: AgentColumns<Receiver>,
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
            provider: self.provider.into_agent()?,
            receiver: self.receiver.into_agent()?,
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
