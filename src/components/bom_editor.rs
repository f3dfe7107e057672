use std::sync::atomic::{AtomicU32, Ordering};

use leptos::prelude::*;
use stigmergy_core::{BillOfMaterials, MaterialInput, ProcessKind, Quantity, RecipeProcess, Unit};
use wasm_bindgen::JsCast;

use crate::form::FormState;

/// A bill of materials while it is edited: its steps, each with signals
/// for every field, so rows keep their text (and focus) when reordered.
#[derive(Debug, Clone, Copy)]
pub struct BomRows(RwSignal<Vec<StepRow>>);

#[derive(Debug, Clone, Copy)]
struct StepRow {
    /// Stable while the row lives: names its inputs and keys its DOM.
    key: u32,
    name: RwSignal<String>,
    kind: RwSignal<ProcessKind>,
    machine: TimeField,
    work: TimeField,
    lines: RwSignal<Vec<LineRow>>,
}

#[derive(Debug, Clone, Copy)]
struct TimeField {
    value: RwSignal<String>,
    unit: RwSignal<Unit>,
}

#[derive(Debug, Clone, Copy)]
struct LineRow {
    key: u32,
    material: RwSignal<String>,
    value: RwSignal<String>,
    unit: RwSignal<Unit>,
    note: RwSignal<String>,
}

fn next_key() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn text(value: &str) -> RwSignal<String> {
    RwSignal::new(value.to_owned())
}

/// The number typed, with a decimal comma allowed; not a number when the
/// text is none, which validation then names beside the field. The
/// browser parses it: Rust's float parser costs the wasm budget
/// several KiB.
fn number(value: RwSignal<String>) -> f64 {
    let text = value.get_untracked().trim().replace(',', ".");
    if text.is_empty() {
        return f64::NAN;
    }
    // JavaScript's unary `+`: a number, or NaN for anything else.
    wasm_bindgen::JsValue::from_str(&text).unchecked_into_f64()
}

impl TimeField {
    fn new(time: Option<Quantity>) -> Self {
        TimeField {
            value: text(&time.map(|t| t.value.to_string()).unwrap_or_default()),
            unit: RwSignal::new(time.map_or(Unit::Hour, |t| t.unit)),
        }
    }

    /// `None` when left empty: times are optional.
    fn quantity(self) -> Option<Quantity> {
        let empty = self.value.with_untracked(|v| v.trim().is_empty());
        (!empty).then(|| Quantity::new(number(self.value), self.unit.get_untracked()))
    }
}

impl LineRow {
    fn new(input: Option<MaterialInput>) -> Self {
        let input = input.unwrap_or_else(|| MaterialInput {
            material: String::new(),
            quantity: Quantity::new(f64::NAN, Unit::Piece),
            note: None,
        });
        let value = input.quantity.value;
        LineRow {
            key: next_key(),
            material: text(&input.material),
            value: text(&if value.is_finite() {
                value.to_string()
            } else {
                String::new()
            }),
            unit: RwSignal::new(input.quantity.unit),
            note: text(input.note.as_deref().unwrap_or_default()),
        }
    }
}

impl StepRow {
    fn new(step: Option<RecipeProcess>) -> Self {
        let step = step.unwrap_or_else(|| RecipeProcess {
            name: String::new(),
            process_kind: ProcessKind::ALL[0],
            machine_time: None,
            work: None,
            inputs: Vec::new(),
        });
        StepRow {
            key: next_key(),
            name: text(&step.name),
            kind: RwSignal::new(step.process_kind),
            machine: TimeField::new(step.machine_time),
            work: TimeField::new(step.work),
            lines: RwSignal::new(
                step.inputs
                    .into_iter()
                    .map(|input| LineRow::new(Some(input)))
                    .collect(),
            ),
        }
    }
}

impl BomRows {
    /// Rows for `bom`; one empty step when it has none, to start from.
    pub fn new(bom: BillOfMaterials) -> Self {
        let mut steps: Vec<StepRow> = bom
            .processes
            .into_iter()
            .map(|step| StepRow::new(Some(step)))
            .collect();
        if steps.is_empty() {
            steps.push(StepRow::new(None));
        }
        BomRows(RwSignal::new(steps))
    }

    /// The bill of materials as typed (validation says what is wrong).
    pub fn bill(self) -> BillOfMaterials {
        let processes = self.0.with_untracked(|steps| {
            steps
                .iter()
                .map(|step| RecipeProcess {
                    name: step.name.get_untracked().trim().to_owned(),
                    process_kind: step.kind.get_untracked(),
                    machine_time: step.machine.quantity(),
                    work: step.work.quantity(),
                    inputs: step.lines.with_untracked(|lines| {
                        lines
                            .iter()
                            .map(|line| MaterialInput {
                                material: line.material.get_untracked().trim().to_owned(),
                                quantity: Quantity::new(
                                    number(line.value),
                                    line.unit.get_untracked(),
                                ),
                                note: Some(line.note.get_untracked().trim().to_owned())
                                    .filter(|note| !note.is_empty()),
                            })
                            .collect()
                    }),
                })
                .collect()
        });
        BillOfMaterials { processes }
    }
}

/// Moves focus to the element with `id` once the page has drawn it.
fn focus_later(id: String) {
    request_animation_frame(move || {
        if let Some(element) = document()
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
}

/// Swaps the row `key` with the one above (`up`) or below, when there is one.
fn shift<T: Copy + Send + Sync + 'static>(
    rows: RwSignal<Vec<T>>,
    key: u32,
    key_of: fn(&T) -> u32,
    up: bool,
) -> bool {
    let mut moved = false;
    rows.update(|rows| {
        if let Some(i) = rows.iter().position(|row| key_of(row) == key) {
            let j = if up { i.checked_sub(1) } else { Some(i + 1) };
            if let Some(j) = j.filter(|&j| j < rows.len()) {
                rows.swap(i, j);
                moved = true;
            }
        }
    });
    moved
}

/// The error the form holds for the field at `path`, as it is now.
fn error_at(
    form: FormState,
    path: impl Fn() -> String + Send + Sync + 'static,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        form.errors
            .with(|errors| errors.get(&path()).map(str::to_owned))
    })
}

/// One labelled input of the editor, with its error beside it.
fn input(
    id: String,
    label: &'static str,
    mode: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="text"
                inputmode=mode
                autocomplete="off"
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=error_id.clone()
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <p class="field-error" id=error_id>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// A labelled select of `options` (value, text) bound to `value`.
fn select<T: Copy + PartialEq + Send + Sync + 'static>(
    id: String,
    label: &'static str,
    options: &'static [T],
    text_of: fn(T) -> &'static str,
    value: RwSignal<T>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select
                id=id
                on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    if let Some(option) = options.iter().find(|o| text_of(**o) == chosen) {
                        value.set(*option);
                    }
                }
            >
                {options
                    .iter()
                    .map(|&option| {
                        view! {
                            <option value=text_of(option) selected=move || value.get() == option>
                                {text_of(option)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

const TIME_UNITS: [Unit; 2] = [Unit::Hour, Unit::Minute];

/// A time (machine time, labour): a number and hours or minutes.
fn time_input(
    id: String,
    label: &'static str,
    time: TimeField,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="bom-pair">
            {input(format!("{id}-value"), label, "decimal", time.value, error)}
            {select(format!("{id}-unit"), "Unit", &TIME_UNITS, Unit::symbol, time.unit)}
        </div>
    }
}

/// Edits a bill of materials: add, remove and reorder process steps and
/// the material lines of each, with units; errors from the form (the
/// server's or the same checks run here first) beside each field, keyed
/// like `bill_of_materials.processes[1].inputs[0].quantity`.
///
/// Moving or removing a row keeps keyboard focus somewhere sensible: on
/// the moved row's button, or on the button that adds rows.
#[component]
pub fn BomEditor(
    /// The rows being edited.
    rows: BomRows,
    /// The form, holding the errors.
    form: FormState,
) -> impl IntoView {
    let steps = rows.0;
    let steps_error = error_at(form, || "bill_of_materials.processes".to_owned());
    let add_step = move |_| {
        let step = StepRow::new(None);
        steps.update(|steps| steps.push(step));
        focus_later(format!("step-{}-name", step.key));
    };
    view! {
        <fieldset class="bom-editor">
            <legend>"Bill of materials"</legend>
            <p class="field-hint">
                "The steps to make one, in order: each with its process, the materials it uses and, if you know them, the machine time and labour."
            </p>
            <p class="field-error" role="alert">
                {move || steps_error.get().unwrap_or_default()}
            </p>
            <ol class="bom-steps">
                <For
                    each=move || steps.get()
                    key=|step| step.key
                    children=move |step| step_editor(steps, step, form)
                />
            </ol>
            <button type="button" class="button button-quiet" id="add-step" on:click=add_step>
                "Add a step"
            </button>
        </fieldset>
    }
}

fn step_editor(steps: RwSignal<Vec<StepRow>>, step: StepRow, form: FormState) -> impl IntoView {
    let key = step.key;
    let index = Memo::new(move |_| {
        steps.with(|steps| steps.iter().position(|s| s.key == key).unwrap_or(0))
    });
    let count = move || steps.with(Vec::len);
    let at = move |field: &'static str| {
        error_at(form, move || {
            format!("bill_of_materials.processes[{}].{field}", index.get())
        })
    };
    let id = move |field: &str| format!("step-{key}-{field}");
    let mover = move |up: bool| {
        move |_| {
            if shift(steps, key, |s| s.key, up) {
                let at_end = if up {
                    index.get_untracked() == 0
                } else {
                    index.get_untracked() + 1 == count()
                };
                let button = if up != at_end { "up" } else { "down" };
                focus_later(format!("step-{key}-{button}"));
            }
        }
    };
    let remove = move |_| {
        steps.update(|steps| steps.retain(|s| s.key != key));
        focus_later("add-step".to_owned());
    };
    let lines = step.lines;
    let add_line = move |_| {
        let line = LineRow::new(None);
        lines.update(|lines| lines.push(line));
        focus_later(format!("line-{}-material", line.key));
    };
    let number = move || format!("Step {}", index.get() + 1);
    let inputs_error = at("inputs");
    view! {
        <li class="bom-step" data-testid="bom-step">
            <fieldset>
                <legend>{number}</legend>
                <div class="bom-step-fields">
                    {input(id("name"), "What is done", "text", step.name, at("name"))}
                    {select(id("kind"), "Process", ProcessKind::ALL, ProcessKind::label, step.kind)}
                    {time_input(id("machine"), "Machine time", step.machine, at("machine_time"))}
                    {time_input(id("work"), "Labour", step.work, at("work"))}
                </div>
                <p class="field-error">{move || inputs_error.get().unwrap_or_default()}</p>
                <ul class="bom-lines" aria-label=move || format!("Materials for step {}", index.get() + 1)>
                    <For
                        each=move || lines.get()
                        key=|line| line.key
                        children=move |line| line_editor(step, index, line, form)
                    />
                </ul>
                <div class="bom-row-actions">
                    <button type="button" class="button button-quiet" id=id("add-line") on:click=add_line>
                        "Add a material"
                    </button>
                    <button
                        type="button"
                        class="button button-quiet"
                        id=id("up")
                        disabled=move || index.get() == 0
                        aria-label=move || format!("Move step {} up", index.get() + 1)
                        on:click=mover(true)
                    >
                        "↑ Up"
                    </button>
                    <button
                        type="button"
                        class="button button-quiet"
                        id=id("down")
                        disabled=move || index.get() + 1 == count()
                        aria-label=move || format!("Move step {} down", index.get() + 1)
                        on:click=mover(false)
                    >
                        "↓ Down"
                    </button>
                    <button
                        type="button"
                        class="button button-quiet button-danger"
                        aria-label=move || format!("Remove step {}", index.get() + 1)
                        on:click=remove
                    >
                        "Remove step"
                    </button>
                </div>
            </fieldset>
        </li>
    }
}

fn line_editor(
    step: StepRow,
    step_index: Memo<usize>,
    line: LineRow,
    form: FormState,
) -> impl IntoView {
    let lines = step.lines;
    let key = line.key;
    let index = Memo::new(move |_| {
        lines.with(|lines| lines.iter().position(|l| l.key == key).unwrap_or(0))
    });
    let at = move |field: &'static str| {
        error_at(form, move || {
            format!(
                "bill_of_materials.processes[{}].inputs[{}].{field}",
                step_index.get(),
                index.get()
            )
        })
    };
    let id = move |field: &str| format!("line-{key}-{field}");
    let name = move || {
        format!(
            "material {} of step {}",
            index.get() + 1,
            step_index.get() + 1
        )
    };
    let mover = move |up: bool| {
        move |_| {
            if shift(lines, key, |l| l.key, up) {
                let last = lines.with_untracked(Vec::len) - 1;
                let at_end = if up {
                    index.get_untracked() == 0
                } else {
                    index.get_untracked() == last
                };
                let button = if up != at_end { "up" } else { "down" };
                focus_later(format!("line-{key}-{button}"));
            }
        }
    };
    let remove = move |_| {
        lines.update(|lines| lines.retain(|l| l.key != key));
        focus_later(format!("step-{}-add-line", step.key));
    };
    view! {
        <li class="bom-line" data-testid="bom-line">
            {input(id("material"), "Material", "text", line.material, at("material"))}
            <div class="bom-pair">
                {input(id("quantity"), "Quantity", "decimal", line.value, at("quantity"))}
                {select(id("unit"), "Unit", &Unit::ALL, Unit::symbol, line.unit)}
            </div>
            {input(id("note"), "Note (optional)", "text", line.note, at("note"))}
            <div class="bom-row-actions">
                <button
                    type="button"
                    class="button button-quiet"
                    id=id("up")
                    disabled=move || index.get() == 0
                    aria-label=move || format!("Move {} up", name())
                    on:click=mover(true)
                >
                    "↑"
                </button>
                <button
                    type="button"
                    class="button button-quiet"
                    id=id("down")
                    disabled=move || index.get() + 1 == lines.with(Vec::len)
                    aria-label=move || format!("Move {} down", name())
                    on:click=mover(false)
                >
                    "↓"
                </button>
                <button
                    type="button"
                    class="button button-quiet button-danger"
                    aria-label=move || format!("Remove {}", name())
                    on:click=remove
                >
                    "✕"
                </button>
            </div>
        </li>
    }
}
