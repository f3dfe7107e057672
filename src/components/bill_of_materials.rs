use leptos::prelude::*;
use stigmergy_core::{BillOfMaterials, MaterialInput, Quantity, RecipeProcess, Unit};

/// A design's bill of materials as a table: each step with its process kind,
/// the materials it consumes, its machine time and labour, then the totals.
#[component]
pub fn BillOfMaterialsTable(
    /// The recipe for one unit of the design.
    bom: BillOfMaterials,
) -> impl IntoView {
    if bom.processes.is_empty() {
        return view! { <p class="muted">"This design has no bill of materials yet."</p> }
            .into_any();
    }
    let (machine_hours, labour_hours) = bom.total_hours();
    let steps = bom.processes.len();
    let rows = bom
        .processes
        .into_iter()
        .enumerate()
        .map(|(i, step)| step_row(i + 1, step))
        .collect_view();
    view! {
        <div class="table-scroll" role="region" aria-label="Bill of materials" tabindex="0">
            <table class="bom" data-testid="bom-table">
                <caption>
                    {format!(
                        "To make one: {steps} {}",
                        if steps == 1 { "step" } else { "steps" },
                    )}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="num">"#"</th>
                        <th scope="col">"Step"</th>
                        <th scope="col">"Process"</th>
                        <th scope="col">"Materials"</th>
                        <th scope="col" class="num">"Machine time"</th>
                        <th scope="col" class="num">"Labour"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
                <tfoot>
                    <tr>
                        <th scope="row" colspan="4">"Total"</th>
                        <td class="num">{hours(machine_hours)}</td>
                        <td class="num">{hours(labour_hours)}</td>
                    </tr>
                </tfoot>
            </table>
        </div>
    }
    .into_any()
}

fn step_row(number: usize, step: RecipeProcess) -> impl IntoView {
    let materials = if step.inputs.is_empty() {
        view! { <span class="muted">"None"</span> }.into_any()
    } else {
        view! {
            <ul class="materials">
                {step.inputs.into_iter().map(material_line).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <tr>
            <td class="num">{number}</td>
            <th scope="row">{step.name}</th>
            <td>{step.process_kind.label()}</td>
            <td>{materials}</td>
            <td class="num">{time(step.machine_time)}</td>
            <td class="num">{time(step.work)}</td>
        </tr>
    }
}

fn material_line(input: MaterialInput) -> impl IntoView {
    view! {
        <li>
            <span class="quantity">{input.quantity.to_string()}</span>
            " "
            {input.material}
            {input.note.map(|note| view! { <span class="muted">" (" {note} ")"</span> })}
        </li>
    }
}

fn time(quantity: Option<Quantity>) -> String {
    quantity.map_or_else(|| "—".to_owned(), |q| q.to_string())
}

fn hours(value: f64) -> String {
    Quantity::new(value, Unit::Hour).to_string()
}
