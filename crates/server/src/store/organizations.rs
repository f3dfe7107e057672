//! Organizations, coalitions and memberships in SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::error::ErrorKind;
use stigmergy_core::{
    AgentId, AgentProfile, AgentRef, Licence, Member, Membership, MembershipRole, MembershipState,
    Organization, OrganizationInput, PendingRequest, ProfileInput,
};

use super::pool::{SqlStore, dispatch};
use super::sql::Conn;
use super::{StoreError, StoreResult, parse_stored, place_of, stored};

#[async_trait]
pub trait Organizations {
    /// Creates the organization (a coalition when it has licences) with
    /// `steward` as its first, active steward.
    async fn create_organization(
        &self,
        id: &AgentId,
        input: &OrganizationInput,
        steward: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// An organization with its active members; `NotFound` for people and
    /// unknown ids.
    async fn organization(&self, id: &AgentId) -> StoreResult<Organization>;

    /// Every coalition, by name.
    async fn coalitions(&self) -> StoreResult<Vec<Organization>>;

    /// Where `member` stands with `organization`.
    async fn membership(
        &self,
        organization: &AgentId,
        member: &AgentId,
    ) -> StoreResult<Option<(MembershipRole, MembershipState)>>;

    /// Asks for `member` to join; `Conflict` when already asked or a member.
    async fn request_membership(
        &self,
        organization: &AgentId,
        member: &AgentId,
        requested_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Requests waiting for a steward, oldest first.
    async fn pending_requests(&self, organization: &AgentId) -> StoreResult<Vec<PendingRequest>>;

    /// Approves (with `role`) or declines a waiting request; `NotFound`
    /// when there is none.
    async fn decide_request(
        &self,
        organization: &AgentId,
        member: &AgentId,
        approve: Option<MembershipRole>,
        steward: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Any agent with the organizations it actively belongs to.
    async fn agent_profile(&self, id: &AgentId) -> StoreResult<AgentProfile>;

    /// Updates a person's name, note and place.
    async fn update_profile(&self, id: &AgentId, profile: &ProfileInput) -> StoreResult<()>;
}

#[derive(sqlx::FromRow)]
struct AgentRow {
    id: String,
    name: String,
    kind: String,
    note: String,
    place_name: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

impl AgentRow {
    fn agent_ref(&self) -> StoreResult<AgentRef> {
        Ok(AgentRef {
            id: AgentId::parse(&self.id).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))?,
            name: self.name.clone(),
            kind: parse_stored(&self.kind)?,
            place: place_of(self.place_name.clone(), self.lat, self.lon),
        })
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    agent: AgentRow,
    role: String,
    since: DateTime<Utc>,
}

/// One coalition and one of its active members (none on a coalition
/// without members), as `coalitions` reads them.
#[derive(sqlx::FromRow)]
struct CoalitionRow {
    #[sqlx(flatten)]
    agent: AgentRow,
    licences: String,
    role: Option<String>,
    since: Option<DateTime<Utc>>,
    member_id: Option<String>,
    member_name: Option<String>,
    member_kind: Option<String>,
    member_note: Option<String>,
    member_place: Option<String>,
    member_lat: Option<f64>,
    member_lon: Option<f64>,
}

const AGENT_COLUMNS: &str = "a.id, a.name, a.kind, a.note, a.place_name, a.lat, a.lon";

/// One organization with its active members, on a connection of either
/// backend; `NotFound` for a person or nobody.
async fn read_organization(mut conn: Conn<'_>, id: &str) -> StoreResult<Organization> {
    let sql =
        format!("SELECT {AGENT_COLUMNS} FROM agents a WHERE a.id = $1 AND a.kind <> 'person'");
    let agent: Option<AgentRow> = dispatch!(&mut conn, c => {
        sqlx::query_as(&sql).bind(id).fetch_optional(&mut **c).await?
    });
    let agent = agent.ok_or(StoreError::NotFound)?;
    let licences: Option<(String,)> = dispatch!(&mut conn, c => {
        sqlx::query_as("SELECT licences FROM coalitions WHERE agent_id = $1")
            .bind(id)
            .fetch_optional(&mut **c)
            .await?
    });
    let sql = format!(
        "SELECT {AGENT_COLUMNS}, m.role, COALESCE(m.decided_at, m.requested_at) AS since \
         FROM memberships m JOIN agents a ON a.id = m.member_id \
         WHERE m.organization_id = $1 AND m.state = 'active' ORDER BY m.role DESC, a.name"
    );
    let members: Vec<MemberRow> = dispatch!(&mut conn, c => {
        sqlx::query_as(&sql).bind(id).fetch_all(&mut **c).await?
    });
    assemble(agent, licences, members)
}

fn assemble(
    agent: AgentRow,
    licences: Option<(String,)>,
    members: Vec<MemberRow>,
) -> StoreResult<Organization> {
    let coalition_licences = licences
        .map(|(json,)| serde_json::from_str::<Vec<Licence>>(&json))
        .transpose()
        .map_err(|e| StoreError::Other(e.into()))?;
    let members = members
        .into_iter()
        .map(|row| {
            Ok(Member {
                agent: row.agent.agent_ref()?,
                role: parse_stored(&row.role)?,
                since: row.since.into(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Organization {
        agent: agent.agent_ref()?,
        note: agent.note,
        coalition_licences,
        members,
    })
}

#[async_trait]
impl Organizations for SqlStore {
    async fn create_organization(
        &self,
        id: &AgentId,
        input: &OrganizationInput,
        steward: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        input.validate().map_err(StoreError::Invalid)?;
        let licences = input
            .coalition_licences
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Other(e.into()))?;
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO agents (id, name, kind, note, place_name, lat, lon, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id.as_str())
            .bind(input.name.trim())
            .bind(stored(&input.kind))
            .bind(input.note.trim())
            .bind(input.place.name.trim())
            .bind(input.place.lat)
            .bind(input.place.lon)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
                Some(ErrorKind::UniqueViolation) => {
                    StoreError::Conflict(format!("The id \u{201c}{id}\u{201d} is taken; choose another."))
                }
                _ => e.into(),
            })?;
            if let Some(licences) = &licences {
                sqlx::query("INSERT INTO coalitions (agent_id, licences) VALUES ($1, $2)")
                    .bind(id.as_str())
                    .bind(licences)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO memberships (organization_id, member_id, role, state, requested_by, decided_by, \
                 requested_at, decided_at) VALUES ($1, $2, 'steward', 'active', $2, $2, $3, $3)",
            )
            .bind(id.as_str())
            .bind(steward.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn organization(&self, id: &AgentId) -> StoreResult<Organization> {
        dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            read_organization(Conn::from(&mut *conn), id.as_str()).await
        })
    }

    async fn coalitions(&self) -> StoreResult<Vec<Organization>> {
        // One query: each coalition with its active members, a row per
        // member (or one row with no member), grouped here in its order.
        let sql = format!(
            "SELECT {AGENT_COLUMNS}, c.licences, m.role, COALESCE(m.decided_at, m.requested_at) AS since, \
             ma.id AS member_id, ma.name AS member_name, ma.kind AS member_kind, ma.note AS member_note, \
             ma.place_name AS member_place, ma.lat AS member_lat, ma.lon AS member_lon \
             FROM coalitions c JOIN agents a ON a.id = c.agent_id \
             LEFT JOIN memberships m ON m.organization_id = c.agent_id AND m.state = 'active' \
             LEFT JOIN agents ma ON ma.id = m.member_id \
             ORDER BY a.name, a.id, m.role DESC, ma.name"
        );
        let rows: Vec<CoalitionRow> = dispatch!(&self.pool, p => {
            sqlx::query_as(&sql).fetch_all(p).await?
        });
        let mut grouped: Vec<(AgentRow, String, Vec<MemberRow>)> = Vec::new();
        for row in rows {
            if grouped
                .last()
                .is_none_or(|(agent, _, _)| agent.id != row.agent.id)
            {
                grouped.push((row.agent, row.licences, Vec::new()));
            }
            let member = match (
                row.role,
                row.since,
                row.member_id,
                row.member_name,
                row.member_kind,
            ) {
                (Some(role), Some(since), Some(id), Some(name), Some(kind)) => MemberRow {
                    agent: AgentRow {
                        id,
                        name,
                        kind,
                        note: row.member_note.unwrap_or_default(),
                        place_name: row.member_place,
                        lat: row.member_lat,
                        lon: row.member_lon,
                    },
                    role,
                    since,
                },
                _ => continue,
            };
            if let Some((_, _, members)) = grouped.last_mut() {
                members.push(member);
            }
        }
        grouped
            .into_iter()
            .map(|(agent, licences, members)| assemble(agent, Some((licences,)), members))
            .collect()
    }

    async fn membership(
        &self,
        organization: &AgentId,
        member: &AgentId,
    ) -> StoreResult<Option<(MembershipRole, MembershipState)>> {
        let row: Option<(String, String)> = dispatch!(&self.pool, p => {
            sqlx::query_as("SELECT role, state FROM memberships WHERE organization_id = $1 AND member_id = $2")
                .bind(organization.as_str())
                .bind(member.as_str())
                .fetch_optional(p)
                .await?
        });
        row.map(|(role, state)| Ok((parse_stored(&role)?, parse_stored(&state)?)))
            .transpose()
    }

    async fn request_membership(
        &self,
        organization: &AgentId,
        member: &AgentId,
        requested_by: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        // A new request, or a declined one asked again; never over a
        // waiting request or an active membership.
        let changed = dispatch!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO memberships (organization_id, member_id, role, state, requested_by, requested_at) \
                 VALUES ($1, $2, 'member', 'requested', $3, $4) \
                 ON CONFLICT (organization_id, member_id) DO UPDATE \
                 SET state = 'requested', role = 'member', requested_by = $3, requested_at = $4, \
                     decided_by = NULL, decided_at = NULL \
                 WHERE memberships.state = 'declined'",
            )
            .bind(organization.as_str())
            .bind(member.as_str())
            .bind(requested_by.as_str())
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::Conflict(format!(
                "{member} has asked already or is a member; a steward will answer."
            )));
        }
        Ok(())
    }

    async fn pending_requests(&self, organization: &AgentId) -> StoreResult<Vec<PendingRequest>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            agent: AgentRow,
            requested_at: DateTime<Utc>,
        }
        let sql = format!(
            "SELECT {AGENT_COLUMNS}, m.requested_at FROM memberships m JOIN agents a ON a.id = m.member_id \
             WHERE m.organization_id = $1 AND m.state = 'requested' ORDER BY m.requested_at, a.id"
        );
        let rows: Vec<Row> = dispatch!(&self.pool, p => {
            sqlx::query_as(&sql).bind(organization.as_str()).fetch_all(p).await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(PendingRequest {
                    agent: row.agent.agent_ref()?,
                    requested_at: row.requested_at.into(),
                })
            })
            .collect()
    }

    async fn decide_request(
        &self,
        organization: &AgentId,
        member: &AgentId,
        approve: Option<MembershipRole>,
        steward: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (state, role) = match approve {
            Some(role) => ("active", stored(&role)),
            None => ("declined", "member".to_owned()),
        };
        let changed = dispatch!(&self.pool, p => {
            sqlx::query(
                "UPDATE memberships SET state = $3, role = $4, decided_by = $5, decided_at = $6 \
                 WHERE organization_id = $1 AND member_id = $2 AND state = 'requested'",
            )
            .bind(organization.as_str())
            .bind(member.as_str())
            .bind(state)
            .bind(role)
            .bind(steward.as_str())
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn agent_profile(&self, id: &AgentId) -> StoreResult<AgentProfile> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            agent: AgentRow,
            role: String,
        }
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents a WHERE a.id = $1");
        let memberships_sql = format!(
            "SELECT {AGENT_COLUMNS}, m.role FROM memberships m JOIN agents a ON a.id = m.organization_id \
             WHERE m.member_id = $1 AND m.state = 'active' ORDER BY a.name"
        );
        let (agent, rows) = dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            let agent: Option<AgentRow> = sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(&mut *conn).await?;
            let rows: Vec<Row> = sqlx::query_as(&memberships_sql).bind(id.as_str()).fetch_all(&mut *conn).await?;
            (agent, rows)
        });
        let agent = agent.ok_or(StoreError::NotFound)?;
        let memberships = rows
            .into_iter()
            .map(|row| {
                Ok(Membership {
                    organization: row.agent.agent_ref()?,
                    role: parse_stored(&row.role)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(AgentProfile {
            agent: agent.agent_ref()?,
            note: agent.note,
            memberships,
        })
    }

    async fn update_profile(&self, id: &AgentId, profile: &ProfileInput) -> StoreResult<()> {
        profile.validate().map_err(StoreError::Invalid)?;
        let place = profile.place.as_ref();
        let changed = dispatch!(&self.pool, p => {
            sqlx::query(
                "UPDATE agents SET name = $2, note = $3, place_name = $4, lat = $5, lon = $6 \
                 WHERE id = $1 AND kind = 'person'",
            )
            .bind(id.as_str())
            .bind(profile.name.trim())
            .bind(profile.note.trim())
            .bind(place.map(|p| p.name.trim().to_owned()))
            .bind(place.map(|p| p.lat))
            .bind(place.map(|p| p.lon))
            .execute(p)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}
