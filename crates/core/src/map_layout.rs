//! What the map draws at one zoom and view, so that it stays quick with tens
//! of thousands of agents and flows: agents close together on screen become
//! one cluster marker; flows whose ends fall in the same screen cells become
//! one line (a bundle), as wide as their summed quantity; only what is in or
//! near the view is drawn; and the number of lines is bounded by coarsening
//! the cells until it fits.
//!
//! Positions are Web Mercator pixels at zoom 0 (the world is 256 wide),
//! worked out once per data set by [`Layout::new`]; at zoom `z` they are
//! scaled by 2^z.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::{FlowKind, FlowMap};

/// Screen cells agents are clustered in, in pixels.
pub const AGENT_CELL: f64 = 40.0;
/// Flows are bundled in cells of at least this many pixels.
pub const FLOW_CELL: f64 = 24.0;
/// At most this many lines at once; beyond it, flow cells grow.
pub const MAX_LINES: usize = 2000;

/// Web Mercator pixels at zoom 0 of a latitude and longitude.
pub fn project(lat: f64, lon: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0 * 256.0;
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * 256.0;
    (x, y)
}

/// A screen cell: column and row.
type Cell = (i64, i64);

/// FxHash: a quick hash for small integer keys (the standard SipHash is
/// several times slower in wasm, and nothing here needs its protection).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Fx {
    fn add(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_i64(&mut self, n: i64) {
        self.add(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// A rectangle in pixels at the zoom it was made for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Bounds {
    /// The view: its north-west and south-east corners in latitude and
    /// longitude, at `zoom`.
    pub fn of_view(north: f64, west: f64, south: f64, east: f64, zoom: f64) -> Bounds {
        let scale = 2f64.powf(zoom);
        let (min_x, min_y) = project(north, west);
        let (max_x, max_y) = project(south, east);
        Bounds {
            min_x: min_x * scale,
            min_y: min_y * scale,
            max_x: max_x * scale,
            max_y: max_y * scale,
        }
    }

    /// Grown by `fraction` of its width and height on every side.
    pub fn padded(self, fraction: f64) -> Bounds {
        let dx = (self.max_x - self.min_x) * fraction;
        let dy = (self.max_y - self.min_y) * fraction;
        Bounds {
            min_x: self.min_x - dx,
            min_y: self.min_y - dy,
            max_x: self.max_x + dx,
            max_y: self.max_y + dy,
        }
    }

    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        (self.min_x..=self.max_x).contains(&x) && (self.min_y..=self.max_y).contains(&y)
    }

    /// Whether `other` lies wholly inside.
    pub fn covers(&self, other: &Bounds) -> bool {
        self.min_x <= other.min_x
            && self.min_y <= other.min_y
            && self.max_x >= other.max_x
            && self.max_y >= other.max_y
    }

    /// Whether the box around the segment from `a` to `b` meets this one.
    fn meets_segment(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        a.0.max(b.0) >= self.min_x
            && a.0.min(b.0) <= self.max_x
            && a.1.max(b.1) >= self.min_y
            && a.1.min(b.1) <= self.max_y
    }
}

/// Agents drawn as one marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Indexes into [`FlowMap::agents`].
    pub members: Vec<usize>,
    pub lat: f64,
    pub lon: f64,
}

/// Flows drawn as one line: all of one kind, from one cell to another.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub kind: FlowKind,
    /// Indexes into [`FlowMap::flows`].
    pub flows: Vec<usize>,
    /// Summed, whatever the units: it sets the line's width only.
    pub quantity: f64,
    /// Where the line starts and ends (the mean of its flows' ends), in
    /// latitude and longitude.
    pub from: (f64, f64),
    pub to: (f64, f64),
    /// The same ends in pixels at zoom 0.
    from_px: (f64, f64),
    to_px: (f64, f64),
}

impl Bundle {
    /// The line's width in pixels, from 1 to 8 as the quantity grows.
    pub fn weight(&self) -> u8 {
        (1.0 + self.quantity.max(0.0).sqrt() / 2.0).min(8.0) as u8
    }
}

/// The data set's positions, projected once.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    agents: Vec<(f64, f64)>,
    from: Vec<(f64, f64)>,
    to: Vec<(f64, f64)>,
}

/// What to draw for one view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawing {
    pub clusters: Vec<Cluster>,
    pub bundles: Vec<Bundle>,
    /// The flow cell size the line limit led to, in pixels.
    pub flow_cell: f64,
}

impl Layout {
    pub fn new(map: &FlowMap) -> Layout {
        Layout {
            agents: map.agents.iter().map(|a| project(a.lat, a.lon)).collect(),
            from: map
                .flows
                .iter()
                .map(|f| project(f.from_lat, f.from_lon))
                .collect(),
            to: map
                .flows
                .iter()
                .map(|f| project(f.to_lat, f.to_lon))
                .collect(),
        }
    }

    /// The clusters and bundles to draw at `zoom` within `area` (pixels at
    /// that zoom; usually the view padded a little, so that small pans need
    /// no redraw).
    pub fn draw(&self, map: &FlowMap, zoom: f64, area: Bounds) -> Drawing {
        let scale = 2f64.powf(zoom);
        let at = |p: (f64, f64)| (p.0 * scale, p.1 * scale);

        let mut cells: FxMap<Cell, Vec<usize>> = FxMap::default();
        for (i, &p) in self.agents.iter().enumerate() {
            let p = at(p);
            if area.contains(p) {
                cells
                    .entry(((p.0 / AGENT_CELL) as i64, (p.1 / AGENT_CELL) as i64))
                    .or_default()
                    .push(i);
            }
        }
        let mut clusters: Vec<Cluster> = cells
            .into_values()
            .map(|members| {
                let n = members.len() as f64;
                let (lat, lon) = members.iter().fold((0.0, 0.0), |(lat, lon), &i| {
                    (lat + map.agents[i].lat, lon + map.agents[i].lon)
                });
                Cluster {
                    members,
                    lat: lat / n,
                    lon: lon / n,
                }
            })
            .collect();
        // The same order whatever the hash map did: draws and tests repeat.
        clusters.sort_by_key(|c| c.members[0]);

        let visible: Vec<usize> = (0..self.from.len().min(map.flows.len()))
            .filter(|&i| area.meets_segment(at(self.from[i]), at(self.to[i])))
            .collect();
        let mut cell = FLOW_CELL;
        let bundles = loop {
            let bundles = self.bundle(map, &visible, scale, cell);
            if bundles.len() <= MAX_LINES || cell > 4096.0 {
                break bundles;
            }
            // Lines fall roughly with the square of the cell size: grow it
            // enough at once, by a power of two, rather than step by step.
            let factor = (bundles.len() as f64 / MAX_LINES as f64).sqrt();
            cell *= 2f64.powf(factor.log2().ceil().max(1.0));
        };
        Drawing {
            clusters,
            bundles,
            flow_cell: cell,
        }
    }

    fn bundle(&self, map: &FlowMap, flows: &[usize], scale: f64, cell: f64) -> Vec<Bundle> {
        let key = |p: (f64, f64)| ((p.0 * scale / cell) as i64, (p.1 * scale / cell) as i64);
        let mut index: FxMap<(bool, Cell, Cell), usize> = FxMap::default();
        let mut bundles: Vec<Bundle> = Vec::new();
        for &i in flows {
            let flow = &map.flows[i];
            let (a, b) = (self.from[i], self.to[i]);
            let slot = *index
                .entry((flow.kind == FlowKind::Planned, key(a), key(b)))
                .or_insert_with(|| {
                    bundles.push(Bundle {
                        kind: flow.kind,
                        flows: Vec::new(),
                        quantity: 0.0,
                        from: (0.0, 0.0),
                        to: (0.0, 0.0),
                        from_px: (0.0, 0.0),
                        to_px: (0.0, 0.0),
                    });
                    bundles.len() - 1
                });
            let bundle = &mut bundles[slot];
            bundle.flows.push(i);
            bundle.quantity += flow.quantity;
            bundle.from.0 += flow.from_lat;
            bundle.from.1 += flow.from_lon;
            bundle.to.0 += flow.to_lat;
            bundle.to.1 += flow.to_lon;
            bundle.from_px.0 += a.0;
            bundle.from_px.1 += a.1;
            bundle.to_px.0 += b.0;
            bundle.to_px.1 += b.1;
        }
        for bundle in &mut bundles {
            let n = bundle.flows.len() as f64;
            for p in [
                &mut bundle.from,
                &mut bundle.to,
                &mut bundle.from_px,
                &mut bundle.to_px,
            ] {
                p.0 /= n;
                p.1 /= n;
            }
        }
        bundles
    }
}

impl Drawing {
    /// The bundle whose line passes within `tolerance` pixels of the point
    /// at `lat`, `lon` (a click), the nearest if several do.
    pub fn bundle_at(&self, lat: f64, lon: f64, zoom: f64, tolerance: f64) -> Option<usize> {
        let scale = 2f64.powf(zoom);
        let p = project(lat, lon);
        let p = (p.0 * scale, p.1 * scale);
        self.bundles
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let a = (b.from_px.0 * scale, b.from_px.1 * scale);
                let c = (b.to_px.0 * scale, b.to_px.1 * scale);
                (i, distance_to_segment(p, a, c))
            })
            .filter(|(_, d)| *d <= tolerance)
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .map(|(i, _)| i)
    }
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length = dx * dx + dy * dy;
    let t = if length == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - x).powi(2) + (p.1 - y).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentId, AgentKind, AgentRole, ClaimState, Flow, MapAgent, Unit};

    fn agent(n: usize, lat: f64, lon: f64) -> MapAgent {
        MapAgent {
            id: AgentId::parse(&format!("agent-{n}")).unwrap(),
            name: format!("Agent {n}"),
            kind: AgentKind::Person,
            role: AgentRole::Maker,
            place: "Somewhere".into(),
            lat,
            lon,
        }
    }

    fn flow(kind: FlowKind, from: (f64, f64), to: (f64, f64), quantity: f64) -> Flow {
        Flow {
            kind,
            claim: 1,
            need: 1,
            design: None,
            what: "Face shields".into(),
            provider: AgentId::parse("agent-0").unwrap(),
            provider_name: "Agent 0".into(),
            receiver: AgentId::parse("agent-1").unwrap(),
            receiver_name: "Agent 1".into(),
            from_lat: from.0,
            from_lon: from.1,
            to_lat: to.0,
            to_lon: to.1,
            place: "Somewhere".into(),
            quantity,
            unit: Unit::Piece,
            state: ClaimState::Committed,
            at: serde_json::from_str("\"2026-11-01T10:00:00.000Z\"").unwrap(),
            coalition: None,
        }
    }

    fn world(zoom: f64) -> Bounds {
        let size = 256.0 * 2f64.powf(zoom);
        Bounds {
            min_x: 0.0,
            min_y: 0.0,
            max_x: size,
            max_y: size,
        }
    }

    const NAIROBI: (f64, f64) = (-1.2921, 36.8219);
    const KAMPALA: (f64, f64) = (0.3476, 32.5825);
    const LIMA: (f64, f64) = (-12.0464, -77.0428);

    #[test]
    fn projects_like_web_mercator() {
        let (x, y) = project(0.0, 0.0);
        assert!((x - 128.0).abs() < 1e-9 && (y - 128.0).abs() < 1e-9);
        let (x, _) = project(0.0, 180.0);
        assert!((x - 256.0).abs() < 1e-9);
        // North is up: a northern point has a smaller y.
        assert!(project(50.0, 0.0).1 < project(-50.0, 0.0).1);
    }

    #[test]
    fn agents_close_on_screen_cluster_and_part_when_zoomed_in() {
        let map = FlowMap {
            agents: vec![
                agent(0, NAIROBI.0, NAIROBI.1),
                agent(1, NAIROBI.0 + 0.01, NAIROBI.1 + 0.01),
                agent(2, LIMA.0, LIMA.1),
            ],
            flows: vec![],
        };
        let layout = Layout::new(&map);
        let far = layout.draw(&map, 2.0, world(2.0));
        assert_eq!(far.clusters.len(), 2);
        assert_eq!(far.clusters[0].members, vec![0, 1]);
        let near = layout.draw(&map, 14.0, world(14.0));
        assert_eq!(near.clusters.len(), 3);
    }

    #[test]
    fn flows_between_the_same_cells_bundle_by_kind_and_sum_their_quantity() {
        let map = FlowMap {
            agents: vec![],
            flows: vec![
                flow(FlowKind::Planned, NAIROBI, KAMPALA, 10.0),
                flow(
                    FlowKind::Planned,
                    (NAIROBI.0 + 0.01, NAIROBI.1),
                    KAMPALA,
                    30.0,
                ),
                flow(FlowKind::Delivered, NAIROBI, KAMPALA, 5.0),
                flow(FlowKind::Planned, LIMA, KAMPALA, 1.0),
            ],
        };
        let layout = Layout::new(&map);
        let drawing = layout.draw(&map, 3.0, world(3.0));
        assert_eq!(drawing.bundles.len(), 3);
        let planned = &drawing.bundles[0];
        assert_eq!(planned.flows, vec![0, 1]);
        assert_eq!(planned.quantity, 40.0);
        assert!((planned.from.0 - (NAIROBI.0 + 0.005)).abs() < 1e-9);
        assert_eq!(planned.weight(), 4);
        assert_eq!(drawing.bundles[1].kind, FlowKind::Delivered);
        // Zoomed right in, the two Nairobi makers are apart.
        let near = layout.draw(&map, 12.0, world(12.0));
        assert_eq!(near.bundles.len(), 4);
    }

    #[test]
    fn only_what_meets_the_area_is_drawn() {
        let map = FlowMap {
            agents: vec![agent(0, NAIROBI.0, NAIROBI.1), agent(1, LIMA.0, LIMA.1)],
            flows: vec![
                flow(FlowKind::Planned, NAIROBI, KAMPALA, 1.0),
                flow(FlowKind::Planned, LIMA, (LIMA.0 + 1.0, LIMA.1), 1.0),
            ],
        };
        let layout = Layout::new(&map);
        let zoom = 6.0;
        // East Africa only.
        let area = Bounds::of_view(5.0, 30.0, -5.0, 40.0, zoom);
        let drawing = layout.draw(&map, zoom, area);
        assert_eq!(drawing.clusters.len(), 1);
        assert_eq!(drawing.clusters[0].members, vec![0]);
        assert_eq!(drawing.bundles.len(), 1);
        assert_eq!(drawing.bundles[0].flows, vec![0]);
        assert!(area.padded(0.5).covers(&area));
        assert!(!area.covers(&area.padded(0.1)));
    }

    #[test]
    fn the_number_of_lines_is_bounded_however_many_flows() {
        // Flows between points on a fine grid: all distinct at first.
        let mut flows = Vec::new();
        for i in 0..60 {
            for j in 0..60 {
                let a = (-60.0 + i as f64 * 2.0, -170.0 + j as f64 * 5.0);
                let b = (60.0 - j as f64 * 2.0, 170.0 - i as f64 * 5.0);
                flows.push(flow(FlowKind::Planned, a, b, 1.0));
            }
        }
        let map = FlowMap {
            agents: vec![],
            flows,
        };
        let layout = Layout::new(&map);
        let drawing = layout.draw(&map, 8.0, world(8.0));
        assert!(drawing.bundles.len() <= MAX_LINES);
        assert!(drawing.flow_cell > FLOW_CELL);
        // Every flow is in exactly one bundle.
        let mut seen: Vec<usize> = drawing
            .bundles
            .iter()
            .flat_map(|b| b.flows.clone())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..3600).collect::<Vec<_>>());
    }

    #[test]
    fn a_click_finds_the_nearest_line_within_the_tolerance() {
        let map = FlowMap {
            agents: vec![],
            flows: vec![
                flow(FlowKind::Planned, (0.0, 0.0), (0.0, 10.0), 1.0),
                flow(FlowKind::Planned, (5.0, 0.0), (5.0, 10.0), 1.0),
            ],
        };
        let layout = Layout::new(&map);
        let zoom = 5.0;
        let drawing = layout.draw(&map, zoom, world(zoom));
        let picked = drawing.bundle_at(0.1, 5.0, zoom, 6.0).unwrap();
        assert_eq!(drawing.bundles[picked].flows, vec![0]);
        let picked = drawing.bundle_at(4.95, 9.0, zoom, 6.0).unwrap();
        assert_eq!(drawing.bundles[picked].flows, vec![1]);
        assert_eq!(drawing.bundle_at(2.5, 5.0, zoom, 6.0), None);
        // Beyond the end of a line is not on it.
        assert_eq!(drawing.bundle_at(0.0, 14.0, zoom, 6.0), None);
    }
}
