//! What the version benchmarks share: the timing loop, the corpus walk and
//! a deterministic random source.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;
const MIN_ROUND: Duration = Duration::from_millis(300);

/// Best items/s of `work` (which handles `items` items per call) over
/// [`ROUNDS`] rounds of at least [`MIN_ROUND`] each, after one warm-up call.
pub fn best_rate(items: usize, mut work: impl FnMut()) -> f64 {
    work(); // warm up
    let mut best = 0f64;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut calls = 0u32;
        while start.elapsed() < MIN_ROUND {
            work();
            calls += 1;
        }
        let rate = f64::from(calls) * items as f64 / start.elapsed().as_secs_f64();
        best = best.max(rate);
    }
    best
}

/// Collects the files with extension `ext` under `dir`, recursively.
pub fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// A deterministic random source (splitmix64).
pub struct Dice(pub u64);

impl Dice {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}
