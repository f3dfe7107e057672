//! What a design is written as: the statements of a new design or a
//! revision, and the keys and text it is found by.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::error::ErrorKind;
use stigmergy_core::{DesignDraft, DesignId, DesignInput};

use crate::store::sql::{Bind, Statement, invalid, stored};
use crate::store::{StoreError, StoreResult};

pub(super) fn material_key(material: &str) -> String {
    material
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub(super) fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Lowercased text a design is found by.
pub(super) fn search_text(design: &DesignDraft) -> String {
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

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.into()))
}

pub(super) fn from_json<T: DeserializeOwned>(text: &str, id: &DesignId) -> StoreResult<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("stored JSON of {id}: {e}")))
}

/// The rows a design is filtered by: tags, process kinds, materials.
pub(super) fn filter_rows(id: &DesignId, draft: &DesignDraft) -> Vec<Statement> {
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
pub(super) fn version_row(
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
pub(crate) fn new_design_plan(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_keys_ignore_case_and_spacing() {
        assert_eq!(
            material_key("  Birch   Plywood 12 mm "),
            "birch plywood 12 mm"
        );
    }
}
