//! The design commons: reading it, and growing it (create, edit as a new
//! revision, fork). The public reads everything; writing needs an account,
//! and only a design's contributors edit it.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use stigmergy_core::{
    ContributorInput, ContributorRole, Design, DesignDraft, DesignEdit, DesignId, DesignInput,
    DesignQuery, DesignSummary, ErrorBody, Facets, FieldErrors, ForkInput, NewDesign, Page,
    RawDesignQuery, VersionSummary, slug_from_name,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::session::Auth;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, Path, Query};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_designs, create_design))
        .routes(routes!(get_design, edit_design))
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(fork_design))
        .routes(routes!(list_facets))
}

fn no_design(id: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no design with the id \u{201c}{id}\u{201d}."
    ))
}

/// Parses a design id from the path; one that cannot be valid cannot exist.
fn design_id(id: &str) -> AppResult<DesignId> {
    DesignId::parse(id).map_err(|_| no_design(id))
}

/// Maps the store's `NotFound` to a message that names the design.
fn naming(id: &DesignId) -> impl Fn(StoreError) -> AppError + '_ {
    move |error| match error {
        StoreError::NotFound => no_design(id.as_str()),
        other => other.into(),
    }
}

/// A store conflict on creating `id` means it is taken: said beside the
/// field the id came from, the name unless one was asked for.
fn taken(id: &DesignId, asked_id: bool) -> impl Fn(StoreError) -> AppError + '_ {
    move |error| match error {
        StoreError::Conflict(message) if asked_id => AppError::Taken {
            field: "id",
            message,
        },
        StoreError::Conflict(_) => AppError::Taken {
            field: "name",
            message: format!(
                "Another design in the commons already has the address \u{201c}{id}\u{201d} this name makes; choose another name."
            ),
        },
        other => other.into(),
    }
}

/// The id for a new design: the one asked for, or one made from its name.
/// `new` is taken by the app's address for the design editor.
fn new_id(asked: Option<DesignId>, name: &str) -> AppResult<DesignId> {
    let id = asked.or_else(|| slug_from_name(name));
    id.filter(|id| id.as_str() != "new").ok_or_else(|| {
        let mut fields = FieldErrors::new();
        fields.add(
            "id",
            "Choose an id: lowercase letters, digits and hyphens (like open-microscope).",
        );
        AppError::invalid(fields)
    })
}

/// Searches and filters the commons, a page at a time, ordered by name.
#[utoipa::path(get, path = "/api/designs", tag = "designs",
    params(RawDesignQuery),
    responses(
        (status = 200, description = "One page of matching designs", body = Page<DesignSummary>),
        (status = 400, description = "A parameter is invalid; `fields` names it", body = ErrorBody),
    ))]
async fn list_designs(
    State(state): State<AppState>,
    Query(raw): Query<RawDesignQuery>,
) -> AppResult<Json<Page<DesignSummary>>> {
    let query: DesignQuery = raw.parse().map_err(AppError::invalid)?;
    Ok(Json(state.store.list_designs(&query).await?))
}

/// A whole design: bill of materials, contributors and lineage.
#[utoipa::path(get, path = "/api/designs/{id}", tag = "designs",
    params(("id" = String, Path, description = "The design's id")),
    responses(
        (status = 200, description = "The design", body = Design),
        (status = 404, description = "No design has this id", body = ErrorBody),
    ))]
async fn get_design(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Design>> {
    let id = design_id(&id)?;
    Ok(Json(
        state.store.get_design(&id).await.map_err(naming(&id))?,
    ))
}

/// Adds a design to the commons, at revision 1, crediting the sender as author.
#[utoipa::path(post, path = "/api/designs", tag = "designs", request_body = NewDesign,
    responses(
        (status = 201, description = "The new design", body = Design),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
    ))]
async fn create_design(
    State(state): State<AppState>,
    auth: Auth,
    Json(new): Json<NewDesign>,
) -> AppResult<(StatusCode, Json<Design>)> {
    new.draft.validate().map_err(AppError::invalid)?;
    let asked_id = new.id.is_some();
    let id = new_id(new.id, &new.draft.name)?;
    let design = DesignInput {
        id: id.clone(),
        parent: None,
        contributors: vec![ContributorInput {
            agent: auth.handle,
            role: ContributorRole::Author,
        }],
        draft: new.draft,
    };
    let now = Utc::now().trunc_subsecs(3);
    state
        .store
        .create_design(&design, "First version.", now)
        .await
        .map_err(taken(&id, asked_id))?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.get_design(&id).await?),
    ))
}

/// Saves an edit as the next revision. Only the design's contributors may;
/// the editor is credited on the new revision.
#[utoipa::path(put, path = "/api/designs/{id}", tag = "designs", request_body = DesignEdit,
    params(("id" = String, Path, description = "The design's id")),
    responses(
        (status = 200, description = "The design at its new revision", body = Design),
        (status = 400, description = "A field is invalid; `fields` names each", body = ErrorBody),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 403, description = "Only the design's contributors may edit it", body = ErrorBody),
        (status = 404, description = "No design has this id", body = ErrorBody),
        (status = 409, description = "Someone saved a newer revision since `base_revision`", body = ErrorBody),
    ))]
async fn edit_design(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(edit): Json<DesignEdit>,
) -> AppResult<Json<Design>> {
    let id = design_id(&id)?;
    // Existence first, so a stranger learns nothing more than a reader would.
    state.store.get_design(&id).await.map_err(naming(&id))?;
    if !state.store.is_contributor(&id, &auth.handle).await? {
        return Err(AppError::Forbidden(
            "Only this design's contributors can edit it. Fork it to make your own version.".into(),
        ));
    }
    edit.validate().map_err(AppError::invalid)?;
    let now = Utc::now().trunc_subsecs(3);
    state
        .store
        .update_design(&id, &edit, &auth.handle, now)
        .await
        .map_err(naming(&id))?;
    Ok(Json(state.store.get_design(&id).await?))
}

/// Every revision of a design, newest first, with who is credited on each.
#[utoipa::path(get, path = "/api/designs/{id}/versions", tag = "designs",
    params(("id" = String, Path, description = "The design's id")),
    responses(
        (status = 200, description = "The revisions, newest first", body = Vec<VersionSummary>),
        (status = 404, description = "No design has this id", body = ErrorBody),
    ))]
async fn list_versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<VersionSummary>>> {
    let id = design_id(&id)?;
    Ok(Json(
        state.store.list_versions(&id).await.map_err(naming(&id))?,
    ))
}

/// A design as it was at one revision.
#[utoipa::path(get, path = "/api/designs/{id}/versions/{revision}", tag = "designs",
    params(
        ("id" = String, Path, description = "The design's id"),
        ("revision" = u32, Path, description = "The revision, from 1"),
    ),
    responses(
        (status = 200, description = "The design at that revision", body = Design),
        (status = 404, description = "No such design or revision", body = ErrorBody),
    ))]
async fn get_version(
    State(state): State<AppState>,
    Path((id, revision)): Path<(String, String)>,
) -> AppResult<Json<Design>> {
    let id = design_id(&id)?;
    let missing = || {
        AppError::NotFound(format!(
            "The design \u{201c}{id}\u{201d} has no revision {revision}."
        ))
    };
    let number: u32 = revision.parse().map_err(|_| missing())?;
    match state.store.get_version(&id, number).await {
        Err(StoreError::NotFound) => Err(missing()),
        other => Ok(Json(other?)),
    }
}

/// Forks a design: a new design from its current revision, with the sender
/// as author and the original as its parent.
#[utoipa::path(post, path = "/api/designs/{id}/fork", tag = "designs", request_body = ForkInput,
    params(("id" = String, Path, description = "The design to fork")),
    responses(
        (status = 201, description = "The fork", body = Design),
        (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 404, description = "No design has this id", body = ErrorBody),
        (status = 409, description = "The fork's id is taken", body = ErrorBody),
    ))]
async fn fork_design(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(fork): Json<ForkInput>,
) -> AppResult<(StatusCode, Json<Design>)> {
    let id = design_id(&id)?;
    let original = state.store.get_design(&id).await.map_err(naming(&id))?;
    let name = fork
        .name
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| format!("{} (fork)", original.name));
    let draft = DesignDraft {
        name,
        summary: original.summary,
        description: original.description,
        licence: original.licence,
        version: original.version,
        repository: original.repository,
        tags: original.tags,
        bill_of_materials: original.bill_of_materials,
    };
    draft.validate().map_err(AppError::invalid)?;
    let asked_id = fork.id.is_some();
    let fork_id = new_id(fork.id, &draft.name)?;
    let design = DesignInput {
        id: fork_id.clone(),
        parent: Some(id.clone()),
        contributors: vec![ContributorInput {
            agent: auth.handle,
            role: ContributorRole::Author,
        }],
        draft,
    };
    let note = format!("Forked from {id} at revision {}.", original.revision);
    state
        .store
        .create_design(&design, &note, Utc::now().trunc_subsecs(3))
        .await
        .map_err(taken(&fork_id, asked_id))?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.get_design(&fork_id).await?),
    ))
}

/// Every licence, process kind, material and tag in use, with how many
/// designs use each: the values the commons can be filtered by.
#[utoipa::path(get, path = "/api/facets", tag = "designs",
    responses((status = 200, description = "Filter values with counts", body = Facets)))]
async fn list_facets(State(state): State<AppState>) -> AppResult<Json<Facets>> {
    Ok(Json(state.store.facets().await?))
}
