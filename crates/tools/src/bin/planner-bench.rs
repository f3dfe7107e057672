//! Times the coalition allocation planner on a generated coalition:
//! 10,000 open needs and 10,000 capacities (by default) clustered around
//! sixty real cities. Prints the sizes and, over several runs after a
//! warm-up, the minimum, median and maximum time of candidate generation
//! and of the min-cost flow. A program, not a test: timings are figures to
//! read, compared as ratios on one machine, never asserted.
//!
//! `cargo run --release -p stigmergy-tools --bin planner-bench -- [--needs N] [--capacities M] [--runs R]`

use std::time::{Duration, Instant};

use stigmergy_core::ProcessKind;
use stigmergy_core::planner::{PlanCapacity, PlanNeed, candidates, flow};

/// Sixty cities where a coalition might make things (latitude, longitude).
const CITIES: [(f64, f64); 60] = [
    (6.69, -1.62),
    (5.60, -0.19),
    (6.52, 3.38),
    (9.06, 7.49),
    (-1.29, 36.82),
    (0.35, 32.58),
    (9.01, 38.76),
    (-6.79, 39.21),
    (-1.94, 30.06),
    (14.72, -17.47),
    (12.64, -8.00),
    (-26.20, 28.05),
    (-33.92, 18.42),
    (-15.39, 28.32),
    (-17.83, 31.05),
    (36.81, 10.18),
    (30.04, 31.24),
    (33.57, -7.59),
    (41.16, -8.63),
    (38.72, -9.14),
    (40.42, -3.70),
    (41.39, 2.17),
    (43.30, 5.37),
    (48.86, 2.35),
    (52.52, 13.40),
    (51.92, 4.48),
    (50.85, 4.35),
    (49.20, 16.61),
    (50.45, 30.52),
    (52.23, 21.01),
    (57.71, 11.97),
    (59.33, 18.07),
    (60.17, 24.94),
    (53.35, -6.26),
    (51.51, -0.13),
    (45.46, 9.19),
    (-12.05, -77.04),
    (-13.53, -71.97),
    (-16.50, -68.15),
    (-0.18, -78.47),
    (4.71, -74.07),
    (6.24, -75.58),
    (-34.90, -56.16),
    (-34.60, -58.38),
    (-23.55, -46.63),
    (-8.05, -34.88),
    (17.07, -96.73),
    (19.43, -99.13),
    (45.50, -73.57),
    (42.33, -83.05),
    (37.77, -122.42),
    (18.52, 73.86),
    (12.97, 77.59),
    (23.81, 90.41),
    (14.68, 121.04),
    (-7.80, 110.37),
    (25.03, 121.57),
    (35.01, 135.77),
    (22.54, 114.06),
    (-41.29, 174.78),
];

/// splitmix64: a small, fast, deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A point near one of the cities (within about a degree).
    fn place(&mut self) -> (f64, f64) {
        let (lat, lon) = CITIES[self.below(CITIES.len() as u64) as usize];
        (
            lat + (self.unit() - 0.5) * 2.0,
            lon + (self.unit() - 0.5) * 2.0,
        )
    }

    fn processes(&mut self, from: usize, to: usize) -> Vec<ProcessKind> {
        let count = from + self.below((to - from + 1) as u64) as usize;
        let mut kinds: Vec<ProcessKind> = (0..count)
            .map(|_| ProcessKind::ALL[self.below(ProcessKind::ALL.len() as u64) as usize])
            .collect();
        kinds.sort_by_key(|k| k.slug());
        kinds.dedup();
        kinds
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "min {:.1} ms, median {:.1} ms, max {:.1} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    )
}

fn main() {
    let (n, m, runs) = (
        arg("--needs", 10_000),
        arg("--capacities", 10_000),
        arg("--runs", 5).max(1),
    );
    let mut rng = Rng(20_261_123);
    let needs: Vec<PlanNeed> = (0..n as u64)
        .map(|id| {
            let (lat, lon) = rng.place();
            PlanNeed {
                id,
                lat,
                lon,
                quantity: 1 + rng.below(100),
                processes: rng.processes(1, 3),
            }
        })
        .collect();
    let capacities: Vec<PlanCapacity> = (0..m as u64)
        .map(|id| {
            let (lat, lon) = rng.place();
            PlanCapacity {
                id,
                lat,
                lon,
                radius_km: 25.0 + rng.unit() * 275.0,
                rate: 5 + rng.below(196),
                processes: rng.processes(4, 9),
            }
        })
        .collect();
    let demand: u64 = needs.iter().map(|n| n.quantity).sum();
    let supply: u64 = capacities.iter().map(|c| c.rate).sum();
    println!(
        "planner-bench: {n} needs ({demand} units) × {m} capacities ({supply} units a week), {} cities",
        CITIES.len()
    );

    // Warm up, then time each step on its own.
    let found = candidates(&needs, &capacities);
    let _ = flow(&needs, &capacities, &found);
    let mut candidate_times = Vec::new();
    let mut flow_times = Vec::new();
    let mut plan = None;
    for _ in 0..runs {
        let started = Instant::now();
        let found = candidates(&needs, &capacities);
        candidate_times.push(started.elapsed());
        let started = Instant::now();
        plan = Some(flow(&needs, &capacities, &found));
        flow_times.push(started.elapsed());
    }
    let plan = plan.expect("at least one run");
    println!(
        "candidates: {} arcs (at most {} per need); {}",
        plan.candidate_count,
        stigmergy_core::planner::NEAREST,
        summary(candidate_times)
    );
    println!("flow:       {}", summary(flow_times));
    println!(
        "plan:       {} units assigned, {} unassigned, {} assignments, {:.0} unit-km in all ({:.1} km a unit)",
        plan.assigned,
        plan.unassigned,
        plan.assignments.len(),
        plan.total_distance_km,
        plan.total_distance_km / plan.assigned.max(1) as f64
    );
    println!("goal on the 2-core reference machine: candidates ≤ 100 ms, flow ≤ 250 ms");
}
