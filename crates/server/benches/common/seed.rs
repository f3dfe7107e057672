//! What the benchmarks' generated data sets share: a deterministic random
//! generator (the same data set every run) and the demo designs and
//! materials the generated flows carry. (In a folder so that cargo does not
//! take it for a benchmark of its own.)

/// Designs from the demo commons that are made in pieces.
pub const DESIGNS: &[&str] = &[
    "face-shield-petg",
    "flexure-microscope",
    "syringe-pump",
    "prosthetic-hand",
    "plastic-shredder",
    "school-desk",
    "push-seeder",
    "solar-crop-dryer",
    "rocket-cookstove",
    "ceramic-water-filter",
    "rough-terrain-wheelchair",
    "top-bar-beehive",
];

/// Materials makers ask suppliers for, in kilograms.
pub const MATERIALS: &[&str] = &[
    "PETG sheet",
    "Recycled HDPE flakes",
    "Birch plywood",
    "Mild steel tube",
    "Aluminium extrusion",
];

/// A small deterministic generator (xorshift): the same data set every run.
pub struct Random(pub u64);

#[allow(dead_code)] // each benchmark uses part of it
impl Random {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `-1..1`.
    pub fn signed(&mut self) -> f64 {
        (self.next() % 2_000_001) as f64 / 1_000_000.0 - 1.0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len())]
    }
}
