//! Matching makers and needs: how well a maker's declared capacity fits a
//! need, with the reasons a person can read. Pure, so the server ranks with
//! it and tests check it without a database.

use serde::{Deserialize, Serialize};

use crate::geo::distance_km;
use crate::{Capacity, Need, ProcessKind};

/// How well one capacity fits one need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fit {
    /// From 0 to 1: process fit weighs most, then distance, then
    /// materials and spare rate.
    pub score: f64,
    pub distance_km: f64,
    /// Why, one line each, strongest first.
    pub reasons: Vec<String>,
}

/// The most makers `GET /api/needs/{id}/makers` lists: the best fits.
pub const MAKERS_LIMIT: usize = 50;

/// "Makers who can make this": a capacity and how it fits a need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MakerMatch {
    pub capacity: Capacity,
    pub fit: Fit,
}

/// "Needs I can fill": an open need, which of my capacities fits it, how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedMatch {
    pub need: Need,
    pub capacity: u64,
    pub fit: Fit,
}

fn list(labels: &[&str]) -> String {
    match labels {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether `capacity` can fill `need` (whose design uses `materials`), and
/// how well; `None` when it runs none of the processes, the need is out of
/// its radius, or nothing is left to claim.
pub fn fit(need: &Need, materials: &[String], capacity: &Capacity) -> Option<Fit> {
    if need.remainder <= 0.0 {
        return None;
    }
    let distance = distance_km(
        need.place.lat,
        need.place.lon,
        capacity.place.lat,
        capacity.place.lon,
    );
    if distance > capacity.radius_km {
        return None;
    }
    let runs: Vec<ProcessKind> = need
        .processes
        .iter()
        .copied()
        .filter(|p| capacity.processes.contains(p))
        .collect();
    let missing: Vec<&str> = need
        .processes
        .iter()
        .filter(|p| !capacity.processes.contains(p))
        .map(|p| p.label())
        .collect();
    // A resource need has no processes: any maker may supply it.
    let process_fit = if need.processes.is_empty() {
        1.0
    } else if runs.is_empty() {
        return None;
    } else {
        runs.len() as f64 / need.processes.len() as f64
    };
    let has = |material: &String| {
        let material = material.to_lowercase();
        capacity.materials.iter().any(|m| {
            let m = m.to_lowercase();
            material.contains(&m) || m.contains(&material)
        })
    };
    let stocked: Vec<&str> = materials
        .iter()
        .filter(|m| has(m))
        .map(String::as_str)
        .collect();
    let material_fit = if materials.is_empty() {
        1.0
    } else {
        stocked.len() as f64 / materials.len() as f64
    };
    let near = if capacity.radius_km > 0.0 {
        1.0 - distance / capacity.radius_km
    } else {
        1.0
    };
    let spare = (capacity.rate - capacity.committed).max(0.0);
    let spare_fit = (spare / need.remainder).min(1.0);
    let score = 0.45 * process_fit + 0.25 * near + 0.15 * material_fit + 0.15 * spare_fit;

    let mut reasons = Vec::new();
    if !need.processes.is_empty() {
        let labels: Vec<&str> = runs.iter().map(|p| p.label()).collect();
        reasons.push(format!(
            "Runs {} of the {} processes it takes: {}.",
            runs.len(),
            need.processes.len(),
            list(&labels)
        ));
    }
    if !missing.is_empty() {
        reasons.push(format!("Would need a partner for {}.", list(&missing)));
    }
    reasons.push(format!(
        "{} km away, within its {} km radius.",
        distance.round(),
        capacity.radius_km.round()
    ));
    let unit = need.quantity.unit.symbol();
    reasons.push(if spare > 0.0 {
        format!(
            "{} {unit} a week free of {}; {} {unit} still needed.",
            spare.round(),
            capacity.rate.round(),
            need.remainder
        )
    } else {
        format!(
            "Fully booked this week ({} {unit} a week already committed).",
            capacity.committed.round()
        )
    });
    if !materials.is_empty() {
        reasons.push(if stocked.is_empty() {
            format!("Lists none of its {} materials.", materials.len())
        } else {
            format!(
                "Lists {} of its {} materials: {}.",
                stocked.len(),
                materials.len(),
                list(&stocked)
            )
        });
    }
    Some(Fit {
        score: (score * 1000.0).round() / 1000.0,
        distance_km: (distance * 10.0).round() / 10.0,
        reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentId, AgentKind, AgentRef, NeedState, Place, Quantity, Timestamp, Unit};

    fn agent(id: &str) -> AgentRef {
        AgentRef {
            id: AgentId::parse(id).unwrap(),
            name: id.into(),
            kind: AgentKind::Person,
            place: None,
        }
    }

    fn place(name: &str, lat: f64, lon: f64) -> Place {
        Place {
            name: name.into(),
            lat,
            lon,
        }
    }

    fn need(processes: Vec<ProcessKind>, remainder: f64) -> Need {
        Need {
            id: 1,
            what: "Face shield".into(),
            design: None,
            processes,
            quantity: Quantity::new(400.0, Unit::Piece),
            minimum_quantity: None,
            remainder,
            committed: 0.0,
            delivered: 0.0,
            state: NeedState::Open,
            due: "2026-12-24".into(),
            place: place("Kumasi, Ghana", 6.6885, -1.6244),
            coalition: None,
            asked_of: None,
            receiver: agent("samuel-mensah"),
            declared_by: AgentId::parse("samuel-mensah").unwrap(),
            note: String::new(),
            created_at: serde_json::from_str::<Timestamp>("\"2026-11-01T00:00:00.000Z\"").unwrap(),
        }
    }

    fn capacity(processes: Vec<ProcessKind>, at: Place, radius_km: f64) -> Capacity {
        Capacity {
            id: 7,
            provider: agent("kwame-asante"),
            processes,
            materials: vec!["PETG sheet".into(), "Elastic strap".into()],
            rate: 100.0,
            available_from: "2026-11-01".into(),
            available_until: None,
            radius_km,
            place: at,
            note: String::new(),
            committed: 40.0,
            created_at: serde_json::from_str::<Timestamp>("\"2026-11-01T00:00:00.000Z\"").unwrap(),
        }
    }

    use ProcessKind::{Assembly, FdmPrinting, LaserCutting};

    #[test]
    fn a_maker_who_runs_every_process_nearby_fits_best_and_says_why() {
        let need = need(vec![LaserCutting, FdmPrinting, Assembly], 200.0);
        let materials = vec![
            "PETG sheet, 0.5 mm".into(),
            "Elastic strap, 25 mm".into(),
            "PLA filament".into(),
        ];
        let accra = place("Accra, Ghana", 5.6037, -0.187);
        let all = capacity(
            vec![LaserCutting, FdmPrinting, Assembly],
            accra.clone(),
            300.0,
        );
        let some = capacity(vec![Assembly], accra.clone(), 300.0);
        let best = fit(&need, &materials, &all).unwrap();
        let partial = fit(&need, &materials, &some).unwrap();
        assert!(best.score > partial.score, "{best:?} vs {partial:?}");
        assert!(
            best.reasons[0].contains("Runs 3 of the 3 processes"),
            "{:?}",
            best.reasons
        );
        assert!(
            best.reasons
                .iter()
                .any(|r| r.contains("km away, within its 300 km radius"))
        );
        assert!(
            best.reasons
                .iter()
                .any(|r| r.contains("60 pcs a week free of 100"))
        );
        assert!(
            best.reasons
                .iter()
                .any(|r| r.contains("Lists 2 of its 3 materials"))
        );
        assert!(
            partial
                .reasons
                .iter()
                .any(|r| r.contains("partner for Laser cutting and FDM 3D printing"))
        );
        assert!((195.0..205.0).contains(&best.distance_km));
    }

    #[test]
    fn out_of_reach_unrelated_or_fully_claimed_needs_do_not_match() {
        let need_open = need(vec![LaserCutting], 10.0);
        let lagos = place("Lagos, Nigeria", 6.5244, 3.3792);
        assert!(
            fit(
                &need_open,
                &[],
                &capacity(vec![LaserCutting], lagos.clone(), 300.0)
            )
            .is_none()
        );
        assert!(
            fit(
                &need_open,
                &[],
                &capacity(vec![LaserCutting], lagos.clone(), 900.0)
            )
            .is_some()
        );
        assert!(
            fit(
                &need_open,
                &[],
                &capacity(vec![Assembly], lagos.clone(), 900.0)
            )
            .is_none()
        );
        let taken = need(vec![LaserCutting], 0.0);
        assert!(fit(&taken, &[], &capacity(vec![LaserCutting], lagos, 900.0)).is_none());
    }

    #[test]
    fn closer_makers_rank_higher_all_else_equal() {
        let need = need(vec![Assembly], 50.0);
        let near = capacity(vec![Assembly], place("Obuasi, Ghana", 6.2, -1.67), 500.0);
        let far = capacity(vec![Assembly], place("Tamale, Ghana", 9.40, -0.84), 500.0);
        assert!(fit(&need, &[], &near).unwrap().score > fit(&need, &[], &far).unwrap().score);
    }
}
