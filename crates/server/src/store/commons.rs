//! The design commons in SQL: import, list with filters and cursor paging,
//! one design with its contributors and lineage, and facet counts.

use std::collections::HashMap;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use stigmergy_core::{
    AgentId, AgentRef, BillOfMaterials, Credit, Design, DesignDraft, DesignEdit, DesignId,
    DesignInput, DesignQuery, DesignRef, DesignSummary, Facet, Facets, FieldErrors, ImportBundle,
    Licence, Lineage, Page, VersionSummary,
};

use sqlx::error::ErrorKind;

use super::pool::{SqlStore, with_pool};
use super::{ImportReport, StoreError, StoreResult, parse_stored, place_of, stored};

/// An account of an import, its password already hashed.
pub struct ImportedAccount {
    pub agent: AgentId,
    pub email: String,
    pub password_hash: String,
}

/// A value bound to a `$n` placeholder of a query built at run time.
#[derive(Clone)]
pub(super) enum Bind {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Real(f64),
    Time(DateTime<Utc>),
}

impl From<&str> for Bind {
    fn from(text: &str) -> Self {
        Bind::Text(text.to_owned())
    }
}

impl From<String> for Bind {
    fn from(text: String) -> Self {
        Bind::Text(text)
    }
}

/// How a statement explains a constraint it broke.
type Explain = Box<dyn Fn(ErrorKind) -> Option<StoreError> + Send + Sync>;

/// One write of a plan: its SQL, its values, and how to explain a
/// constraint it breaks.
struct Statement {
    sql: &'static str,
    binds: Vec<Bind>,
    explain: Option<Explain>,
}

impl Statement {
    fn new(sql: &'static str, binds: Vec<Bind>) -> Self {
        Statement {
            sql,
            binds,
            explain: None,
        }
    }

    fn explaining(
        mut self,
        explain: impl Fn(ErrorKind) -> Option<StoreError> + Send + Sync + 'static,
    ) -> Self {
        self.explain = Some(Box::new(explain));
        self
    }

    fn error(&self, error: sqlx::Error) -> StoreError {
        violation(&error)
            .and_then(|kind| self.explain.as_ref().and_then(|explain| explain(kind)))
            .unwrap_or_else(|| error.into())
    }
}

/// A `WHERE` clause under construction, numbering its placeholders.
#[derive(Default, Clone)]
pub(super) struct Conditions {
    pub(super) clauses: Vec<String>,
    pub(super) binds: Vec<Bind>,
}

impl Conditions {
    /// Binds a value and returns its placeholder.
    pub(super) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    pub(super) fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    pub(super) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Binds `$binds` to `$query` in order.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.clone()),
                Bind::OptText(text) => query.bind(text.clone()),
                Bind::Int(int) => query.bind(*int),
                Bind::Real(real) => query.bind(*real),
                Bind::Time(time) => query.bind(*time),
            };
        }
        query
    }};
}
pub(super) use bind_all;

/// Runs a plan's statements in order on `$tx`, stopping at the first error.
macro_rules! run_plan {
    ($tx:expr, $plan:expr) => {
        for statement in $plan {
            bind_all!(sqlx::query(statement.sql), &statement.binds)
                .execute(&mut *$tx)
                .await
                .map_err(|e| statement.error(e))?;
        }
    };
}

/// The filters of a commons query, without the cursor.
fn filters(query: &DesignQuery) -> Conditions {
    let mut conditions = Conditions::default();
    for word in &query.words {
        let p = conditions.bind(Bind::Text(format!("%{}%", escape_like(word))));
        conditions.push(format!("d.search_text LIKE {p} ESCAPE '\\'"));
    }
    if let Some(licence) = query.licence {
        let p = conditions.bind(Bind::Text(licence.spdx_id().to_owned()));
        conditions.push(format!("d.licence = {p}"));
    }
    let mut exists = |table: &str, column: &str, value: String| {
        let p = conditions.bind(Bind::Text(value));
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM {table} x WHERE x.design_id = d.id AND x.{column} = {p})"
        ));
    };
    if let Some(process) = query.process {
        exists(
            "design_processes",
            "process_kind",
            process.slug().to_owned(),
        );
    }
    if let Some(material) = &query.material {
        exists("design_materials", "material_key", material_key(material));
    }
    if let Some(tag) = &query.tag {
        exists("design_tags", "tag", tag.trim().to_lowercase());
    }
    conditions
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn material_key(material: &str) -> String {
    material
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Cursors are the last item's sort key, opaque to clients.
pub(super) fn encode_cursor(name_key: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{name_key}\u{1f}{id}"))
}

pub(super) fn decode_cursor(cursor: &str) -> StoreResult<(String, String)> {
    let invalid = || {
        let mut errors = FieldErrors::new();
        errors.add(
            "cursor",
            "That cursor is not one this server gave out; start again from the first page.",
        );
        StoreError::Invalid(errors)
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (key, id) = text.split_once('\u{1f}').ok_or_else(invalid)?;
    Ok((key.to_owned(), id.to_owned()))
}

fn parse_licence(text: String) -> StoreResult<Licence> {
    parse_stored(&text)
}

fn parse_id(id: String) -> StoreResult<DesignId> {
    DesignId::parse(&id)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("stored design id {id:?}: {e}")))
}

fn u64_of(count: i64) -> u64 {
    u64::try_from(count).unwrap_or_default()
}

/// Lowercased text a design is found by.
fn search_text(design: &DesignDraft) -> String {
    let bom = &design.bill_of_materials;
    let mut parts = vec![
        design.name.clone(),
        design.summary.clone(),
        design.description.clone(),
    ];
    parts.extend(design.tags.iter().cloned());
    parts.extend(bom.materials());
    parts.extend(bom.process_kinds().iter().map(|k| k.label().to_owned()));
    parts.extend(bom.processes.iter().map(|p| p.name.clone()));
    parts.join("\n").to_lowercase()
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    name: String,
    name_key: String,
    summary: String,
    licence: String,
    version: String,
    parent_id: Option<String>,
    parent_name: Option<String>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DesignRow {
    id: String,
    name: String,
    summary: String,
    description: String,
    licence: String,
    version: String,
    revision: i64,
    repository: Option<String>,
    parent_id: Option<String>,
    bill_of_materials: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RefRow {
    id: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct CreditRow {
    id: String,
    name: String,
    kind: String,
    place_name: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    role: String,
}

#[derive(sqlx::FromRow)]
struct FacetRow {
    value: String,
    count: i64,
}

#[derive(sqlx::FromRow)]
struct TagRow {
    design_id: String,
    value: String,
}

/// Values per design, in the order the rows came.
fn group_by_design(rows: Vec<TagRow>) -> HashMap<String, Vec<String>> {
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        groups.entry(row.design_id).or_default().push(row.value);
    }
    groups
}

impl RefRow {
    fn into_ref(self) -> StoreResult<DesignRef> {
        Ok(DesignRef {
            id: parse_id(self.id)?,
            name: self.name,
        })
    }
}

fn facets_of<T>(
    rows: Vec<FacetRow>,
    parse: impl Fn(String) -> StoreResult<T>,
) -> StoreResult<Vec<Facet<T>>> {
    rows.into_iter()
        .map(|row| {
            Ok(Facet {
                value: parse(row.value)?,
                count: u64_of(row.count),
            })
        })
        .collect()
}

const LIST_COLUMNS: &str = "d.id, d.name, d.name_key, d.summary, d.licence, d.version, d.parent_id, \
     p.name AS parent_name, d.updated_at FROM designs d LEFT JOIN designs p ON p.id = d.parent_id";

/// The design commons.
#[async_trait]
pub trait Commons {
    /// Adds a bundle of agents and designs in one transaction: all or
    /// nothing. Agents that already exist with the same id are kept as they
    /// are; a design id that exists is a conflict.
    async fn import(
        &self,
        bundle: &ImportBundle,
        accounts: &[ImportedAccount],
    ) -> StoreResult<ImportReport>;

    /// One page of designs matching the query, ordered by name.
    async fn list_designs(&self, query: &DesignQuery) -> StoreResult<Page<DesignSummary>>;

    /// A whole design, with its contributors and lineage.
    async fn get_design(&self, id: &DesignId) -> StoreResult<Design>;

    /// The filter values in use, with counts.
    async fn facets(&self) -> StoreResult<Facets>;

    /// How many designs the commons holds.
    async fn count_designs(&self) -> StoreResult<u64>;

    /// Adds one design at revision 1, crediting its contributors.
    async fn create_design(
        &self,
        design: &DesignInput,
        note: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Saves an edit as the next revision, crediting `editor` (who joins
    /// the contributors). `Conflict` when the edit's base is not the current
    /// revision; `NotFound` when there is no such design.
    async fn update_design(
        &self,
        id: &DesignId,
        edit: &DesignEdit,
        editor: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<u32>;

    /// Whether `agent` is credited on the design.
    async fn is_contributor(&self, id: &DesignId, agent: &AgentId) -> StoreResult<bool>;

    /// Every revision, newest first.
    async fn list_versions(&self, id: &DesignId) -> StoreResult<Vec<VersionSummary>>;

    /// The design as it was at `revision` (lineage and contributors as now).
    async fn get_version(&self, id: &DesignId, revision: u32) -> StoreResult<Design>;
}

#[async_trait]
impl Commons for SqlStore {
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
        with_pool!(&self.pool, p => {
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
                run_plan!(tx, plan);
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

    async fn create_design(
        &self,
        design: &DesignInput,
        note: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        design.validate().map_err(StoreError::Invalid)?;
        let plan = new_design_plan(design, "", note, now)?;
        let change = stigmergy_core::Change::DesignPublished {
            design: design.id.clone(),
            name: design.draft.name.trim().to_owned(),
        };
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            run_plan!(tx, &plan);
            super::live::emit!(self, tx, None::<&str>, &change, now);
            tx.commit().await?;
        });
        Ok(())
    }

    async fn update_design(
        &self,
        id: &DesignId,
        edit: &DesignEdit,
        editor: &AgentId,
        now: DateTime<Utc>,
    ) -> StoreResult<u32> {
        edit.validate().map_err(StoreError::Invalid)?;
        let draft = &edit.draft;
        let revision = edit
            .base_revision
            .checked_add(1)
            .ok_or_else(|| StoreError::Conflict("This design has too many revisions.".into()))?;
        let mut plan = vec![
            Statement::new(
                "DELETE FROM design_tags WHERE design_id = $1",
                vec![id.as_str().into()],
            ),
            Statement::new(
                "DELETE FROM design_processes WHERE design_id = $1",
                vec![id.as_str().into()],
            ),
            Statement::new(
                "DELETE FROM design_materials WHERE design_id = $1",
                vec![id.as_str().into()],
            ),
        ];
        plan.extend(filter_rows(id, draft));
        plan.push(version_row(id, revision, draft, &edit.note, now)?);
        // The editor joins the design's contributors, unless already one.
        plan.push(Statement::new(
            "INSERT INTO design_contributors (design_id, agent_id, role, position) \
             SELECT $1, $2, 'contributor', \
             (SELECT COALESCE(MAX(position), -1) + 1 FROM design_contributors WHERE design_id = $1) \
             WHERE NOT EXISTS (SELECT 1 FROM design_contributors WHERE design_id = $1 AND agent_id = $2)",
            vec![id.as_str().into(), editor.as_str().into()],
        ));
        plan.push(Statement::new(
            "INSERT INTO design_version_credits (design_id, revision, agent_id, role, position) \
             SELECT design_id, $2, agent_id, role, 0 FROM design_contributors \
             WHERE design_id = $1 AND agent_id = $3 ORDER BY position LIMIT 1",
            vec![
                id.as_str().into(),
                Bind::Int(revision.into()),
                editor.as_str().into(),
            ],
        ));
        let bom = to_json(&draft.bill_of_materials)?;
        // Compare-and-set on the revision: of two edits from the same base,
        // exactly one is saved. The race tests' breaking control compares
        // first and replaces blindly.
        let compare = if self.unguarded() {
            let current: Option<(i64,)> = with_pool!(&self.pool, p => {
                sqlx::query_as("SELECT revision FROM designs WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(p)
                    .await?
            });
            // Widen the window between the check and the write.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if current.is_some_and(|(current,)| current == i64::from(edit.base_revision)) {
                "$2 = $2"
            } else {
                "revision = $2"
            }
        } else {
            "revision = $2"
        };
        let sql = format!(
            "UPDATE designs SET name = $3, name_key = $4, summary = $5, description = $6, licence = $7, \
             version = $8, repository = $9, bill_of_materials = $10, search_text = $11, \
             revision = revision + 1, updated_at = $12 WHERE id = $1 AND {compare}"
        );
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await?;
            let updated = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(i64::from(edit.base_revision))
            .bind(draft.name.trim())
            .bind(name_key(&draft.name))
            .bind(draft.summary.trim())
            .bind(draft.description.trim())
            .bind(draft.licence.spdx_id())
            .bind(&draft.version)
            .bind(draft.repository.as_deref())
            .bind(&bom)
            .bind(search_text(draft))
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                let current: Option<(i64,)> = sqlx::query_as("SELECT revision FROM designs WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(match current {
                    None => StoreError::NotFound,
                    Some((current,)) => StoreError::Conflict(format!(
                        "This design is at revision {current} now, and your edit started from revision {}. \
                         Reload it, then make your change again.",
                        edit.base_revision
                    )),
                });
            }
            run_plan!(tx, &plan);
            let change = stigmergy_core::Change::DesignRevised {
                design: id.clone(),
                name: draft.name.trim().to_owned(),
                revision,
            };
            super::live::emit!(self, tx, None::<&str>, &change, now);
            tx.commit().await?;
        });
        Ok(revision)
    }

    async fn is_contributor(&self, id: &DesignId, agent: &AgentId) -> StoreResult<bool> {
        let row: Option<(String,)> = with_pool!(&self.pool, p => {
            sqlx::query_as("SELECT agent_id FROM design_contributors WHERE design_id = $1 AND agent_id = $2 LIMIT 1")
                .bind(id.as_str())
                .bind(agent.as_str())
                .fetch_optional(p)
                .await?
        });
        Ok(row.is_some())
    }

    async fn list_versions(&self, id: &DesignId) -> StoreResult<Vec<VersionSummary>> {
        let (versions, credits) = with_pool!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            let versions: Vec<VersionRow> = sqlx::query_as(
                "SELECT revision, draft, note, created_at FROM design_versions \
                 WHERE design_id = $1 ORDER BY revision DESC",
            )
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
            let credits: Vec<VersionCreditRow> = sqlx::query_as(
                "SELECT c.revision, a.id, a.name, a.kind, a.place_name, a.lat, a.lon, c.role \
                 FROM design_version_credits c JOIN agents a ON a.id = c.agent_id \
                 WHERE c.design_id = $1 ORDER BY c.revision, c.position",
            )
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
            (versions, credits)
        });
        if versions.is_empty() {
            return Err(StoreError::NotFound);
        }
        let mut credits_by_revision: HashMap<i64, Vec<Credit>> = HashMap::new();
        for row in credits {
            credits_by_revision
                .entry(row.revision)
                .or_default()
                .push(row.credit.into_credit()?);
        }
        versions
            .into_iter()
            .map(|row| {
                let draft: DesignDraft = from_json(&row.draft, id)?;
                Ok(VersionSummary {
                    revision: u32::try_from(row.revision).unwrap_or_default(),
                    version: draft.version,
                    name: draft.name,
                    note: row.note,
                    credits: credits_by_revision
                        .remove(&row.revision)
                        .unwrap_or_default(),
                    created_at: row.created_at.into(),
                })
            })
            .collect()
    }

    async fn get_version(&self, id: &DesignId, revision: u32) -> StoreResult<Design> {
        let current = self.get_design(id).await?;
        let row: Option<VersionRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT revision, draft, note, created_at FROM design_versions WHERE design_id = $1 AND revision = $2",
            )
            .bind(id.as_str())
            .bind(i64::from(revision))
            .fetch_optional(p)
            .await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        let draft: DesignDraft = from_json(&row.draft, id)?;
        Ok(Design {
            name: draft.name,
            summary: draft.summary,
            description: draft.description,
            licence: draft.licence,
            version: draft.version,
            revision,
            repository: draft.repository,
            tags: draft.tags,
            bill_of_materials: draft.bill_of_materials,
            updated_at: row.created_at.into(),
            ..current
        })
    }

    async fn list_designs(&self, query: &DesignQuery) -> StoreResult<Page<DesignSummary>> {
        let counted = filters(query);
        let mut paged = filters(query);
        if let Some(cursor) = &query.cursor {
            let (key, id) = decode_cursor(cursor)?;
            let key = paged.bind(Bind::Text(key));
            let id = paged.bind(Bind::Text(id));
            paged.push(format!(
                "(d.name_key > {key} OR (d.name_key = {key} AND d.id > {id}))"
            ));
        }
        let limit = paged.bind(Bind::Int(i64::from(query.limit) + 1));
        let list_sql = format!(
            "SELECT {LIST_COLUMNS} {} ORDER BY d.name_key, d.id LIMIT {limit}",
            paged.sql()
        );
        let count_sql = format!("SELECT count(*) FROM designs d {}", counted.sql());

        let (mut rows, total, tags, processes) = with_pool!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            let rows: Vec<SummaryRow> =
                bind_all!(sqlx::query_as(&list_sql), &paged.binds).fetch_all(&mut *conn).await?;
            let (total,): (i64,) =
                bind_all!(sqlx::query_as(&count_sql), &counted.binds).fetch_one(&mut *conn).await?;
            let ids: Vec<Bind> = rows.iter().take(query.limit as usize).map(|r| Bind::Text(r.id.clone())).collect();
            let (mut tags, mut processes) = (Vec::new(), Vec::new());
            if !ids.is_empty() {
                let list = (1..=ids.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
                let tags_sql = format!(
                    "SELECT design_id, tag AS value FROM design_tags WHERE design_id IN ({list}) ORDER BY position"
                );
                let processes_sql = format!(
                    "SELECT design_id, process_kind AS value FROM design_processes \
                     WHERE design_id IN ({list}) ORDER BY position"
                );
                tags = bind_all!(sqlx::query_as::<_, TagRow>(&tags_sql), &ids).fetch_all(&mut *conn).await?;
                processes =
                    bind_all!(sqlx::query_as::<_, TagRow>(&processes_sql), &ids).fetch_all(&mut *conn).await?;
            }
            (rows, total, tags, processes)
        });

        let next_cursor = if rows.len() > query.limit as usize {
            rows.truncate(query.limit as usize);
            rows.last()
                .map(|last| encode_cursor(&last.name_key, &last.id))
        } else {
            None
        };
        let mut tags = group_by_design(tags);
        let mut processes = group_by_design(processes);
        let items = rows
            .into_iter()
            .map(|row| {
                let tags = tags.remove(&row.id).unwrap_or_default();
                let processes = processes
                    .remove(&row.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|text| parse_stored(&text))
                    .collect::<StoreResult<Vec<_>>>()?;
                let parent = match (row.parent_id, row.parent_name) {
                    (Some(id), Some(name)) => Some(DesignRef {
                        id: parse_id(id)?,
                        name,
                    }),
                    _ => None,
                };
                Ok(DesignSummary {
                    id: parse_id(row.id)?,
                    name: row.name,
                    summary: row.summary,
                    licence: parse_licence(row.licence)?,
                    version: row.version,
                    processes,
                    tags,
                    parent,
                    updated_at: row.updated_at.into(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor,
            total: u64_of(total),
        })
    }

    async fn get_design(&self, id: &DesignId) -> StoreResult<Design> {
        let (row, parent, forks, tags, credits) = with_pool!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            let row: Option<DesignRow> = sqlx::query_as(
                "SELECT id, name, summary, description, licence, version, revision, repository, parent_id, \
                 bill_of_materials, created_at, updated_at FROM designs WHERE id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            let row = row.ok_or(StoreError::NotFound)?;
            let parent: Option<RefRow> = match &row.parent_id {
                Some(parent_id) => sqlx::query_as("SELECT id, name FROM designs WHERE id = $1")
                    .bind(parent_id)
                    .fetch_optional(&mut *conn)
                    .await?,
                None => None,
            };
            let forks: Vec<RefRow> =
                sqlx::query_as("SELECT id, name FROM designs WHERE parent_id = $1 ORDER BY name_key, id")
                    .bind(id.as_str())
                    .fetch_all(&mut *conn)
                    .await?;
            let tags: Vec<(String,)> =
                sqlx::query_as("SELECT tag FROM design_tags WHERE design_id = $1 ORDER BY position")
                    .bind(id.as_str())
                    .fetch_all(&mut *conn)
                    .await?;
            let credits: Vec<CreditRow> = sqlx::query_as(
                "SELECT a.id, a.name, a.kind, a.place_name, a.lat, a.lon, c.role \
                 FROM design_contributors c JOIN agents a ON a.id = c.agent_id \
                 WHERE c.design_id = $1 ORDER BY c.position",
            )
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
            (row, parent, forks, tags, credits)
        });

        let bill_of_materials: BillOfMaterials = serde_json::from_str(&row.bill_of_materials)
            .map_err(|e| StoreError::Other(anyhow::anyhow!("stored recipe of {id}: {e}")))?;
        let contributors = credits
            .into_iter()
            .map(CreditRow::into_credit)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Design {
            id: parse_id(row.id)?,
            name: row.name,
            summary: row.summary,
            description: row.description,
            licence: parse_licence(row.licence)?,
            version: row.version,
            revision: u32::try_from(row.revision).unwrap_or_default(),
            repository: row.repository,
            tags: tags.into_iter().map(|(tag,)| tag).collect(),
            bill_of_materials,
            contributors,
            lineage: Lineage {
                parent: parent.map(RefRow::into_ref).transpose()?,
                forks: forks
                    .into_iter()
                    .map(RefRow::into_ref)
                    .collect::<StoreResult<_>>()?,
            },
            created_at: row.created_at.into(),
            updated_at: row.updated_at.into(),
        })
    }

    async fn facets(&self) -> StoreResult<Facets> {
        const LICENCES: &str = "SELECT licence AS value, count(*) AS count FROM designs \
             GROUP BY licence ORDER BY count(*) DESC, licence";
        const PROCESSES: &str = "SELECT process_kind AS value, count(*) AS count FROM design_processes \
             GROUP BY process_kind ORDER BY count(*) DESC, process_kind";
        const MATERIALS: &str = "SELECT min(material) AS value, count(*) AS count FROM design_materials \
             GROUP BY material_key ORDER BY count(*) DESC, material_key LIMIT 200";
        const TAGS: &str = "SELECT tag AS value, count(*) AS count FROM design_tags \
             GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 200";
        let (licences, processes, materials, tags) = with_pool!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            let mut rows = Vec::with_capacity(4);
            for sql in [LICENCES, PROCESSES, MATERIALS, TAGS] {
                rows.push(sqlx::query_as::<_, FacetRow>(sql).fetch_all(&mut *conn).await?);
            }
            let mut rows = rows.into_iter();
            let mut next = || rows.next().unwrap_or_default();
            (next(), next(), next(), next())
        });
        Ok(Facets {
            licences: facets_of(licences, parse_licence)?,
            processes: facets_of(processes, |text| parse_stored(&text))?,
            materials: facets_of(materials, Ok)?,
            tags: facets_of(tags, Ok)?,
        })
    }

    async fn count_designs(&self) -> StoreResult<u64> {
        let (count,): (i64,) = with_pool!(&self.pool, p => sqlx::query_as("SELECT count(*) FROM designs").fetch_one(p).await?);
        Ok(u64_of(count))
    }
}

fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.into()))
}

fn from_json<T: DeserializeOwned>(text: &str, id: &DesignId) -> StoreResult<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("stored JSON of {id}: {e}")))
}

/// The rows a design is filtered by: tags, process kinds, materials.
fn filter_rows(id: &DesignId, draft: &DesignDraft) -> Vec<Statement> {
    let mut plan = Vec::new();
    for (position, tag) in draft.tags.iter().enumerate() {
        plan.push(Statement::new(
            "INSERT INTO design_tags (design_id, tag, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            vec![id.as_str().into(), tag.as_str().into(), Bind::Int(position as i64)],
        ));
    }
    for (position, kind) in draft.bill_of_materials.process_kinds().iter().enumerate() {
        plan.push(Statement::new(
            "INSERT INTO design_processes (design_id, process_kind, position) VALUES ($1, $2, $3)",
            vec![
                id.as_str().into(),
                kind.slug().into(),
                Bind::Int(position as i64),
            ],
        ));
    }
    for material in draft.bill_of_materials.materials() {
        plan.push(Statement::new(
            "INSERT INTO design_materials (design_id, material_key, material) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            vec![
                id.as_str().into(),
                material_key(&material).into(),
                material.into(),
            ],
        ));
    }
    plan
}

/// The saved draft of one revision.
fn version_row(
    id: &DesignId,
    revision: u32,
    draft: &DesignDraft,
    note: &str,
    now: DateTime<Utc>,
) -> StoreResult<Statement> {
    Ok(Statement::new(
        "INSERT INTO design_versions (design_id, revision, draft, note, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            id.as_str().into(),
            Bind::Int(revision.into()),
            to_json(draft)?.into(),
            note.trim().into(),
            Bind::Time(now),
        ],
    )
    .explaining(move |kind| {
        (kind == ErrorKind::UniqueViolation)
            .then(|| StoreError::Conflict(format!("Revision {revision} was saved by someone else first.")))
    }))
}

/// Everything that makes a new design, at revision 1; `at` prefixes field
/// names in errors (`designs[3].`).
fn new_design_plan(
    design: &DesignInput,
    at: &str,
    note: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Statement>> {
    let id = &design.id;
    let draft = &design.draft;
    let (taken, parent_field) = (id.to_string(), format!("{at}parent"));
    let parent = design
        .parent
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let mut plan = vec![Statement::new(
        "INSERT INTO designs (id, name, name_key, summary, description, licence, version, repository, \
         parent_id, bill_of_materials, search_text, revision, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12)",
        vec![
            id.as_str().into(),
            draft.name.trim().into(),
            name_key(&draft.name).into(),
            draft.summary.trim().into(),
            draft.description.trim().into(),
            draft.licence.spdx_id().into(),
            draft.version.as_str().into(),
            Bind::OptText(draft.repository.clone()),
            Bind::OptText(design.parent.as_ref().map(|p| p.to_string())),
            to_json(&draft.bill_of_materials)?.into(),
            search_text(draft).into(),
            Bind::Time(now),
        ],
    )
    .explaining(move |kind| match kind {
        ErrorKind::UniqueViolation => Some(StoreError::Conflict(format!(
            "A design with the id \u{201c}{taken}\u{201d} already exists."
        ))),
        // The parent is the only reference a design row holds.
        ErrorKind::ForeignKeyViolation => Some(invalid(
            parent_field.clone(),
            format!("There is no design \u{201c}{parent}\u{201d} to fork."),
        )),
        _ => None,
    })];
    plan.extend(filter_rows(id, draft));
    for (position, credit) in design.contributors.iter().enumerate() {
        let field = format!("{at}contributors[{position}].agent");
        let agent = credit.agent.to_string();
        plan.push(
            Statement::new(
                "INSERT INTO design_contributors (design_id, agent_id, role, position) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
                vec![
                    id.as_str().into(),
                    credit.agent.as_str().into(),
                    stored(&credit.role).into(),
                    Bind::Int(position as i64),
                ],
            )
            .explaining(move |kind| {
                (kind == ErrorKind::ForeignKeyViolation)
                    .then(|| invalid(field.clone(), format!("There is no agent \u{201c}{agent}\u{201d}.")))
            }),
        );
    }
    plan.push(version_row(id, 1, draft, note, now)?);
    for (position, credit) in design.contributors.iter().enumerate() {
        plan.push(Statement::new(
            "INSERT INTO design_version_credits (design_id, revision, agent_id, role, position) \
             VALUES ($1, 1, $2, $3, $4) ON CONFLICT DO NOTHING",
            vec![
                id.as_str().into(),
                credit.agent.as_str().into(),
                stored(&credit.role).into(),
                Bind::Int(position as i64),
            ],
        ));
    }
    Ok(plan)
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    revision: i64,
    draft: String,
    note: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct VersionCreditRow {
    revision: i64,
    #[sqlx(flatten)]
    credit: CreditRow,
}

impl CreditRow {
    fn into_credit(self) -> StoreResult<Credit> {
        Ok(Credit {
            agent: AgentRef {
                id: AgentId::parse(&self.id).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))?,
                name: self.name,
                kind: parse_stored(&self.kind)?,
                place: place_of(self.place_name, self.lat, self.lon),
            },
            role: parse_stored(&self.role)?,
        })
    }
}

/// The kind of constraint a database error violated, if any.
pub(super) fn violation(error: &sqlx::Error) -> Option<ErrorKind> {
    error.as_database_error().map(|db| db.kind())
}

fn invalid(field: String, message: String) -> StoreError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    StoreError::Invalid(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let cursor = encode_cursor("open microscope", "openflexure-microscope");
        assert_eq!(
            decode_cursor(&cursor).unwrap(),
            (
                "open microscope".to_owned(),
                "openflexure-microscope".to_owned()
            )
        );
        assert!(matches!(
            decode_cursor("not base64!"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            decode_cursor(&URL_SAFE_NO_PAD.encode("no separator")),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("100%_done\\"), "100\\%\\_done\\\\");
    }

    #[test]
    fn material_keys_ignore_case_and_spacing() {
        assert_eq!(
            material_key("  Birch   Plywood 12 mm "),
            "birch plywood 12 mm"
        );
    }
}
