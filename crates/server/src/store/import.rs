//! Imports in SQL: a bundle of agents, designs, coalitions, memberships
//! and accounts, in one transaction (the demo data, and migrations from
//! other portals).

use async_trait::async_trait;
use chrono::{SubsecRound, Utc};
use sqlx::error::ErrorKind;
use stigmergy_core::{AgentId, FieldErrors, ImportBundle, ImportReport};

use super::designs::{new_design_plan, to_json};
use super::pool::{SqlStore, dispatch};
use super::sql::{Conn, Statement, invalid, stored, violation};
use super::{StoreError, StoreResult};

/// An account of an import, its password already hashed.
pub struct ImportedAccount {
    pub agent: AgentId,
    pub email: String,
    pub password_hash: String,
}

#[async_trait]
pub trait Import {
    /// Adds a bundle of agents and designs in one transaction: all or
    /// nothing. Agents that already exist with the same id are kept as they
    /// are; a design id that exists is a conflict.
    async fn import(
        &self,
        bundle: &ImportBundle,
        accounts: &[ImportedAccount],
    ) -> StoreResult<ImportReport>;
}

#[async_trait]
impl Import for SqlStore {
    async fn import(
        &self,
        bundle: &ImportBundle,
        accounts: &[ImportedAccount],
    ) -> StoreResult<ImportReport> {
        let mut errors = FieldErrors::new();
        for (i, agent) in bundle.agents.iter().enumerate() {
            if let Err(e) = agent.validate() {
                errors.merge_under(&format!("agents[{i}]"), e);
            }
        }
        for (i, design) in bundle.designs.iter().enumerate() {
            if let Err(e) = design.validate() {
                errors.merge_under(&format!("designs[{i}]"), e);
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let now = Utc::now().trunc_subsecs(3);
        let mut report = ImportReport::default();
        let plans: Vec<Vec<Statement>> = bundle
            .designs
            .iter()
            .enumerate()
            .map(|(i, design)| new_design_plan(design, &format!("designs[{i}]."), "Imported.", now))
            .collect::<StoreResult<_>>()?;
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            for agent in &bundle.agents {
                let inserted = sqlx::query(
                    "INSERT INTO agents (id, name, kind, note, place_name, lat, lon, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
                )
                .bind(agent.id.as_str())
                .bind(agent.name.trim())
                .bind(stored(&agent.kind))
                .bind(agent.note.trim())
                .bind(agent.place.name.trim())
                .bind(agent.place.lat)
                .bind(agent.place.lon)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                report.agents += inserted.rows_affected();
            }
            for plan in &plans {
                Conn::from(&mut *tx).run_plan(plan).await?;
                report.designs += 1;
            }
            for (i, coalition) in bundle.coalitions.iter().enumerate() {
                let licences = to_json(&coalition.licences)?;
                sqlx::query("INSERT INTO coalitions (agent_id, licences) VALUES ($1, $2)")
                    .bind(coalition.agent.as_str())
                    .bind(licences)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match violation(&e) {
                        Some(ErrorKind::ForeignKeyViolation) => invalid(
                            format!("coalitions[{i}].agent"),
                            format!("There is no agent \u{201c}{}\u{201d}.", coalition.agent),
                        ),
                        _ => e.into(),
                    })?;
            }
            for (i, membership) in bundle.memberships.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO memberships (organization_id, member_id, role, state, requested_at, decided_at) \
                     VALUES ($1, $2, $3, 'active', $4, $4)",
                )
                .bind(membership.organization.as_str())
                .bind(membership.member.as_str())
                .bind(stored(&membership.role))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::ForeignKeyViolation) => invalid(
                        format!("memberships[{i}]"),
                        format!("{} or {} is not an agent.", membership.organization, membership.member),
                    ),
                    Some(_) => invalid(
                        format!("memberships[{i}]"),
                        format!("{} cannot be in {} twice, or in itself.", membership.member, membership.organization),
                    ),
                    None => e.into(),
                })?;
            }
            for (i, account) in accounts.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO accounts (agent_id, email, email_key, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(account.agent.as_str())
                .bind(account.email.trim())
                .bind(account.email.trim().to_lowercase())
                .bind(&account.password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::UniqueViolation) => invalid(
                        format!("accounts[{i}]"),
                        format!("{} or their email address has an account already.", account.agent),
                    ),
                    Some(ErrorKind::ForeignKeyViolation) => {
                        invalid(format!("accounts[{i}].agent"), format!("There is no agent \u{201c}{}\u{201d}.", account.agent))
                    }
                    _ => e.into(),
                })?;
                report.accounts += 1;
            }
            tx.commit().await?;
        });
        Ok(report)
    }
}
