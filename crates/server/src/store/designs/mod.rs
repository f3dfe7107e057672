//! The design commons in SQL: list with filters and cursor paging, one
//! design with its contributors and lineage, facet counts, new designs,
//! edits as revisions.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stigmergy_core::{
    AgentId, BillOfMaterials, Credit, Design, DesignDraft, DesignEdit, DesignId, DesignInput,
    DesignQuery, DesignRef, DesignSummary, Facet, Facets, Licence, Lineage, Page, VersionSummary,
};

mod plan;
mod rows;

use plan::*;
pub(crate) use plan::{new_design_plan, to_json};
use rows::*;

use super::pool::{SqlStore, dispatch};
use super::sql::{
    Bind, BindAll, Conditions, Conn, Statement, decode_cursor, encode_cursor, escape_like,
    parse_stored,
};
use super::{StoreError, StoreResult};

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

fn parse_licence(text: String) -> StoreResult<Licence> {
    parse_stored(&text)
}

pub(super) fn parse_id(id: String) -> StoreResult<DesignId> {
    DesignId::parse(&id)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("stored design id {id:?}: {e}")))
}

fn u64_of(count: i64) -> u64 {
    u64::try_from(count).unwrap_or_default()
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
pub trait Designs {
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
impl Designs for SqlStore {
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
        dispatch!(&self.pool, p => {
            let mut tx = p.begin().await?;
            Conn::from(&mut *tx).run_plan(&plan).await?;
            Conn::from(&mut *tx).emit(None, &change, now).await?;
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
            let current: Option<(i64,)> = dispatch!(&self.pool, p => {
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
        dispatch!(&self.pool, p => {
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
            Conn::from(&mut *tx).run_plan(&plan).await?;
            let change = stigmergy_core::Change::DesignRevised {
                design: id.clone(),
                name: draft.name.trim().to_owned(),
                revision,
            };
            Conn::from(&mut *tx).emit(None, &change, now).await?;
            tx.commit().await?;
        });
        Ok(revision)
    }

    async fn is_contributor(&self, id: &DesignId, agent: &AgentId) -> StoreResult<bool> {
        let row: Option<(String,)> = dispatch!(&self.pool, p => {
            sqlx::query_as("SELECT agent_id FROM design_contributors WHERE design_id = $1 AND agent_id = $2 LIMIT 1")
                .bind(id.as_str())
                .bind(agent.as_str())
                .fetch_optional(p)
                .await?
        });
        Ok(row.is_some())
    }

    async fn list_versions(&self, id: &DesignId) -> StoreResult<Vec<VersionSummary>> {
        let (versions, credits) = dispatch!(&self.pool, p => {
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
        let row: Option<VersionRow> = dispatch!(&self.pool, p => {
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

        let (mut rows, total, tags, processes) = dispatch!(&self.pool, p => {
            let mut conn = p.acquire().await?;
            let rows: Vec<SummaryRow> =
                sqlx::query_as(&list_sql).bind_all(&paged.binds).fetch_all(&mut *conn).await?;
            let (total,): (i64,) =
                sqlx::query_as(&count_sql).bind_all(&counted.binds).fetch_one(&mut *conn).await?;
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
                tags = sqlx::query_as::<_, TagRow>(&tags_sql).bind_all(&ids).fetch_all(&mut *conn).await?;
                processes =
                    sqlx::query_as::<_, TagRow>(&processes_sql).bind_all(&ids).fetch_all(&mut *conn).await?;
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
        let (row, parent, forks, tags, credits) = dispatch!(&self.pool, p => {
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
        let (licences, processes, materials, tags) = dispatch!(&self.pool, p => {
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
        let (count,): (i64,) = dispatch!(&self.pool, p => sqlx::query_as("SELECT count(*) FROM designs").fetch_one(p).await?);
        Ok(u64_of(count))
    }
}
