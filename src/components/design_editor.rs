use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use stigmergy_core::{BillOfMaterials, Design, DesignDraft, DesignEdit, Licence, NewDesign};

use crate::api;
use crate::components::{BomEditor, BomRows, FormField, LicencePicker, SubmitButton};
use crate::form::FormState;

/// Tags as typed, comma-separated: trimmed, lowercased, spaces made hyphens.
fn tags_of(text: &str) -> Vec<String> {
    text.split(',')
        .map(|tag| tag.trim().to_ascii_lowercase().replace(' ', "-"))
        .filter(|tag| !tag.is_empty())
        .collect()
}

/// The form that publishes a design or saves a new revision of `base`:
/// name, summary, description, licence, version, repository, tags and the
/// bill of materials. It runs the server's own checks first, then shows
/// the server's answer beside the fields it names; saved, it opens the
/// design's page.
///
/// A revision is sent with the revision it was based on, so an edit made
/// meanwhile by someone else is not overwritten: the server refuses it
/// and the form says so.
#[component]
pub fn DesignEditor(
    /// The design as it is now, when revising; `None` for a new one.
    base: Option<Design>,
) -> impl IntoView {
    let navigate = use_navigate();
    let form = FormState::default();
    let revising = base
        .as_ref()
        .map(|design| (design.id.to_string(), design.revision));
    let draft = base.map(|design| DesignDraft {
        name: design.name,
        summary: design.summary,
        description: design.description,
        licence: design.licence,
        version: design.version,
        repository: design.repository,
        tags: design.tags,
        bill_of_materials: design.bill_of_materials,
    });
    let field = |pick: fn(&DesignDraft) -> String, default: &str| {
        RwSignal::new(draft.as_ref().map_or_else(|| default.to_owned(), pick))
    };
    let name = field(|d| d.name.clone(), "");
    let summary = field(|d| d.summary.clone(), "");
    let description = field(|d| d.description.clone(), "");
    let version = field(|d| d.version.clone(), "1.0");
    let repository = field(|d| d.repository.clone().unwrap_or_default(), "");
    let tags = field(|d| d.tags.join(", "), "");
    let note = RwSignal::new(String::new());
    let licence = RwSignal::new(draft.as_ref().map_or(Licence::CernOhlS2, |d| d.licence));
    let bom = BomRows::new(draft.map_or_else(BillOfMaterials::default, |d| d.bill_of_materials));
    let trimmed = |field: RwSignal<String>| field.get_untracked().trim().to_owned();

    let editing = revising.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = DesignDraft {
            name: trimmed(name),
            summary: trimmed(summary),
            description: trimmed(description),
            licence: licence.get_untracked(),
            version: trimmed(version),
            repository: Some(trimmed(repository)).filter(|r| !r.is_empty()),
            tags: tags_of(&tags.get_untracked()),
            bill_of_materials: bom.bill(),
        };
        let request = match &editing {
            Some((id, revision)) => {
                let edit = DesignEdit {
                    base_revision: *revision,
                    note: trimmed(note),
                    draft,
                };
                if !form.start(edit.validate()) {
                    return;
                }
                Ok((id.clone(), edit))
            }
            None => {
                if !form.start(draft.validate()) {
                    return;
                }
                Err(NewDesign { id: None, draft })
            }
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match &request {
                Ok((id, edit)) => api::edit_design(id, edit).await,
                Err(new) => api::create_design(new).await,
            };
            if let Some(design) = form.finish(result) {
                navigate(&format!("/designs/{}", design.id), Default::default());
            }
        });
    };

    let (title, button, busy) = match &revising {
        Some(_) => ("Edit the design", "Save as a new version", "Saving…"),
        None => ("Publish a design", "Publish to the commons", "Publishing…"),
    };
    let cancel = match &revising {
        Some((id, _)) => format!("/designs/{id}"),
        None => "/".to_owned(),
    };
    let note_field = revising.is_some().then(|| {
        view! {
            <FormField
                id="note"
                label="What changed (optional)"
                autocomplete="off"
                hint=Some("A line for the version history, like \u{201c}Thicker visor clip\u{201d}.")
                value=note
                form
            />
        }
    });
    view! {
        <section class="form-page form-page-wide">
            <h1 class="page-title">{title}</h1>
            <form class="stack-form design-editor" novalidate on:submit=on_submit>
                {form.notice()}
                <FormField id="name" label="Name" autocomplete="off" required=true value=name form />
                <FormField
                    id="summary"
                    label="Summary"
                    autocomplete="off"
                    hint=Some("One sentence on what it is and who it is for.")
                    required=true
                    value=summary
                    form
                />
                <FormField
                    id="description"
                    label="Description (optional)"
                    autocomplete="off"
                    hint=Some("How it works, how to build and use it. Blank lines start new paragraphs.")
                    rows=6
                    value=description
                    form
                />
                <LicencePicker value=licence />
                <FormField
                    id="version"
                    label="Version"
                    autocomplete="off"
                    hint=Some("Like 1.0 or 2.3.1-beta.")
                    required=true
                    value=version
                    form
                />
                <FormField
                    id="repository"
                    label="Repository (optional)"
                    kind="url"
                    autocomplete="url"
                    hint=Some("Where the source files live: https://…")
                    value=repository
                    form
                />
                <FormField
                    id="tags"
                    label="Tags (optional)"
                    autocomplete="off"
                    hint=Some("Separated by commas, like medical, 3d-printing.")
                    value=tags
                    form
                />
                <BomEditor rows=bom form />
                {note_field}
                <div class="actions">
                    <SubmitButton label=button busy_label=busy busy=form.busy />
                    <a href=cancel class="button button-quiet">
                        "Cancel"
                    </a>
                </div>
            </form>
        </section>
    }
}
