//! A design's bill of materials, as a ValueFlows `Recipe`: the processes that
//! make one unit of the design, each conforming to a process kind, with the
//! machine time it uses, the labour it needs and the materials it consumes.

use serde::{Deserialize, Serialize};

use crate::validate::{at_most, optional_text, text};
use crate::{FieldErrors, ProcessKind, Quantity};

/// How to make one unit of a design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillOfMaterials {
    /// The steps, in the order they are done: 1 to 40.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 40))]
    pub processes: Vec<RecipeProcess>,
}

/// One step of a recipe (VF `RecipeProcess`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipeProcess {
    /// What the step does, for people ("Print the stage and body").
    pub name: String,
    /// The kind of process the step conforms to (VF `processConformsTo`).
    pub process_kind: ProcessKind,
    /// Machine time the step uses (VF `use` flow), in hours or minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_time: Option<Quantity>,
    /// Labour the step needs (VF `work` flow), in hours or minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<Quantity>,
    /// Materials and parts the step consumes (VF `consume` flows): at most
    /// 60.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 60))]
    pub inputs: Vec<MaterialInput>,
}

/// A material or part consumed by a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaterialInput {
    /// The material's common name ("PLA filament", "Birch plywood 6 mm").
    pub material: String,
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The most steps one recipe has.
pub const MAX_PROCESSES: usize = 40;
/// The most materials one step consumes.
pub const MAX_INPUTS: usize = 60;

impl BillOfMaterials {
    /// Checks every step; errors are keyed by path (`processes[1].inputs[0].material`).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.processes.is_empty() {
            errors.add("processes", "Add at least one process step.");
        }
        at_most(
            &mut errors,
            "processes",
            self.processes.len(),
            MAX_PROCESSES,
            "process steps",
        );
        for (i, process) in self.processes.iter().enumerate() {
            let at = format!("processes[{i}]");
            text(
                &mut errors,
                &format!("{at}.name"),
                &process.name,
                "The step's name",
                120,
            );
            if let Some(time) = &process.machine_time {
                time.check_time(&mut errors, &format!("{at}.machine_time"));
            }
            if let Some(time) = &process.work {
                time.check_time(&mut errors, &format!("{at}.work"));
            }
            at_most(
                &mut errors,
                &format!("{at}.inputs"),
                process.inputs.len(),
                MAX_INPUTS,
                "materials in a step",
            );
            for (j, input) in process.inputs.iter().enumerate() {
                let at = format!("{at}.inputs[{j}]");
                text(
                    &mut errors,
                    &format!("{at}.material"),
                    &input.material,
                    "The material",
                    120,
                );
                input.quantity.check(&mut errors, &format!("{at}.quantity"));
                if let Some(note) = &input.note {
                    optional_text(&mut errors, &format!("{at}.note"), note, "The note", 200);
                }
            }
        }
        errors.into_result(())
    }

    /// The distinct process kinds, in order of first use.
    pub fn process_kinds(&self) -> Vec<ProcessKind> {
        let mut kinds = Vec::new();
        for process in &self.processes {
            if !kinds.contains(&process.process_kind) {
                kinds.push(process.process_kind);
            }
        }
        kinds
    }

    /// The distinct materials, trimmed, in order of first use.
    pub fn materials(&self) -> Vec<String> {
        let mut materials: Vec<String> = Vec::new();
        for input in self.processes.iter().flat_map(|p| &p.inputs) {
            let name = input.material.trim();
            if !materials.iter().any(|m| m.eq_ignore_ascii_case(name)) {
                materials.push(name.to_owned());
            }
        }
        materials
    }

    /// Total machine time and labour, in hours.
    pub fn total_hours(&self) -> (f64, f64) {
        self.processes
            .iter()
            .fold((0.0, 0.0), |(machine, work), p| {
                (
                    machine + p.machine_time.and_then(|q| q.hours()).unwrap_or(0.0),
                    work + p.work.and_then(|q| q.hours()).unwrap_or(0.0),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Unit;

    fn step(kind: ProcessKind, materials: &[&str]) -> RecipeProcess {
        RecipeProcess {
            name: format!("{} step", kind.label()),
            process_kind: kind,
            machine_time: Some(Quantity::new(90.0, Unit::Minute)),
            work: Some(Quantity::new(0.5, Unit::Hour)),
            inputs: materials
                .iter()
                .map(|m| MaterialInput {
                    material: (*m).to_owned(),
                    quantity: Quantity::new(1.0, Unit::Piece),
                    note: None,
                })
                .collect(),
        }
    }

    #[test]
    fn an_empty_recipe_is_refused() {
        let errors = BillOfMaterials::default().validate().unwrap_err();
        assert_eq!(
            errors.get("processes"),
            Some("Add at least one process step.")
        );
    }

    #[test]
    fn a_recipe_has_at_most_its_cap_of_steps_and_of_materials_a_step() {
        let materials: Vec<String> = (0..MAX_INPUTS).map(|i| format!("part {i}")).collect();
        let materials: Vec<&str> = materials.iter().map(String::as_str).collect();
        let mut bom = BillOfMaterials {
            processes: vec![step(ProcessKind::Assembly, &materials); MAX_PROCESSES],
        };
        assert_eq!(bom.validate(), Ok(()));
        bom.processes.push(step(ProcessKind::Assembly, &[]));
        let extra = bom.processes[1].inputs[0].clone();
        bom.processes[1].inputs.push(extra);
        let errors = bom.validate().unwrap_err();
        assert_eq!(
            errors.get("processes"),
            Some("At most 40 process steps; this has 41.")
        );
        assert_eq!(
            errors.get("processes[1].inputs"),
            Some("At most 60 materials in a step; this has 61.")
        );
    }

    #[test]
    fn errors_point_at_the_faulty_line() {
        let mut bom = BillOfMaterials {
            processes: vec![step(ProcessKind::FdmPrinting, &["PLA filament", ""])],
        };
        bom.processes[0].inputs[0].quantity.value = -2.0;
        let errors = bom.validate().unwrap_err();
        assert!(errors.get("processes[0].inputs[0].quantity").is_some());
        assert!(errors.get("processes[0].inputs[1].material").is_some());
        assert!(errors.get("processes[0].name").is_none());
    }

    #[test]
    fn kinds_materials_and_hours_are_summarised_without_repeats() {
        let bom = BillOfMaterials {
            processes: vec![
                step(
                    ProcessKind::LaserCutting,
                    &["Birch plywood 6 mm", "Wood glue"],
                ),
                step(ProcessKind::Assembly, &["wood glue", "M4 bolt"]),
                step(ProcessKind::LaserCutting, &[]),
            ],
        };
        assert!(bom.validate().is_ok());
        assert_eq!(
            bom.process_kinds(),
            vec![ProcessKind::LaserCutting, ProcessKind::Assembly]
        );
        assert_eq!(
            bom.materials(),
            vec!["Birch plywood 6 mm", "Wood glue", "M4 bolt"]
        );
        assert_eq!(bom.total_hours(), (4.5, 1.5));
    }
}
