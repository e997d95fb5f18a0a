//! A small log-linear latency histogram (HDR-like), in nanoseconds.
//!
//! Values below `2^PRECISION_BITS` get a bucket each (exact); above that,
//! every power of two is split into `2^(PRECISION_BITS - 1)` equal buckets, so
//! a reported value is within `2^-(PRECISION_BITS - 1)` (0.8 %) of the value
//! recorded. Recording is an index computation and an increment: no
//! allocation, no sorting, and constant memory (about 60 KiB) whatever the
//! run's length.

/// Significant bits kept per value.
const PRECISION_BITS: u32 = 8;
/// Buckets per power of two above the exact range.
const HALF: u64 = 1 << (PRECISION_BITS - 1);
/// Number of buckets needed to cover all of `u64`.
const BUCKETS: usize = ((64 - PRECISION_BITS as usize) + 2) * HALF as usize;

/// Latency histogram; see the module documentation.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .field("min", &self.min)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket holding `v`.
fn index_of(v: u64) -> usize {
    if v < (1 << PRECISION_BITS) {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros(); // >= PRECISION_BITS
    let shift = msb + 1 - PRECISION_BITS;
    let mantissa = v >> shift; // in [HALF, 2 * HALF)
    (u64::from(shift) * HALF + mantissa) as usize
}

/// The smallest and largest values that land in bucket `i`.
fn bounds_of(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < (1 << PRECISION_BITS) {
        return (i, i);
    }
    let shift = i / HALF - 1;
    let mantissa = i - shift * HALF;
    let low = mantissa << shift;
    let high = low.saturating_add((1u64 << shift) - 1);
    (low, high)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }

    /// Records one value.
    #[inline]
    pub fn record(&mut self, v: u64) {
        self.counts[index_of(v)] += 1;
        self.total += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.sum += u128::from(v);
    }

    /// Largest value recorded (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Mean of the values recorded (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The `q`-quantile (`q` in `[0, 1]`) by the nearest-rank method: the
    /// smallest recorded value such that at least `q * len` values are less
    /// than or equal to it. Reported as the upper bound of its bucket (so never
    /// below the true value), clamped to the observed range. 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = nearest_rank(q, self.total);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (_, high) = bounds_of(i);
                return high.clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// The 1-based rank of the `q`-quantile among `n` values (nearest-rank method).
pub fn nearest_rank(q: f64, n: u64) -> u64 {
    let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
    ((q * n as f64).ceil() as u64).clamp(1, n.max(1))
}

/// The exact `q`-quantile of sorted values (nearest-rank method); the
/// reference the histogram is tested against. 0 when empty.
#[cfg(test)]
pub fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = nearest_rank(q, sorted.len() as u64);
    sorted[(rank - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_follows_the_definition() {
        // 10 values: p50 is the 5th, p90 the 9th, p99 and max the 10th.
        assert_eq!(nearest_rank(0.5, 10), 5);
        assert_eq!(nearest_rank(0.9, 10), 9);
        assert_eq!(nearest_rank(0.99, 10), 10);
        assert_eq!(nearest_rank(1.0, 10), 10);
        assert_eq!(nearest_rank(0.0, 10), 1);
        assert_eq!(nearest_rank(0.999, 1000), 999);
        assert_eq!(nearest_rank(0.999, 1001), 1000);
        assert_eq!(nearest_rank(f64::NAN, 10), 1);
        assert_eq!(nearest_rank(7.0, 10), 10);
        assert_eq!(nearest_rank(0.5, 1), 1);
    }

    #[test]
    fn exact_quantiles_of_1_to_100() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(exact_quantile(&v, 0.5), 50);
        assert_eq!(exact_quantile(&v, 0.9), 90);
        assert_eq!(exact_quantile(&v, 0.99), 99);
        assert_eq!(exact_quantile(&v, 0.999), 100);
        assert_eq!(exact_quantile(&v, 1.0), 100);
        assert_eq!(exact_quantile(&[], 0.5), 0);
    }

    #[test]
    fn buckets_are_contiguous_and_cover_u64() {
        let mut expected_low = 0u64;
        for i in 0..BUCKETS {
            let (low, high) = bounds_of(i);
            assert_eq!(low, expected_low, "bucket {i}");
            assert!(high >= low);
            assert_eq!(index_of(low), i);
            assert_eq!(index_of(high), i);
            if high == u64::MAX {
                assert_eq!(i, BUCKETS - 1);
                return;
            }
            expected_low = high + 1;
        }
        panic!("buckets do not reach u64::MAX");
    }

    #[test]
    fn bucket_width_bounds_the_relative_error() {
        for i in (1 << PRECISION_BITS)..BUCKETS {
            let (low, high) = bounds_of(i);
            let width = (high - low + 1) as f64;
            assert!(width / low as f64 <= 1.0 / HALF as f64, "bucket {i}");
        }
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.total, 100);
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.9), 90);
        assert_eq!(h.quantile(0.99), 99);
        assert_eq!(h.quantile(1.0), 100);
        assert_eq!(h.quantile(0.0), 1);
        assert_eq!(h.max(), 100);
        assert!((h.mean() - 50.5).abs() < 1e-9);
    }

    #[test]
    fn empty_histogram_reports_zero() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), 0);
        assert_eq!(h.max(), 0);
        assert_eq!(h.mean(), 0.0);
    }

    #[test]
    fn quantiles_match_the_sorted_reference_within_precision() {
        // A deterministic, skewed sample (xorshift; latencies from 20 µs to
        // about 50 ms with a long tail), plus a few huge outliers.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut values = Vec::new();
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let base = 20_000 + x % 200_000;
            let tail = if x % 100 == 0 { x % 50_000_000 } else { 0 };
            values.push(base + tail);
        }
        values.extend([u64::MAX / 3, 10_000_000_000]);
        let mut h = Histogram::new();
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0] {
            let exact = exact_quantile(&values, q);
            let got = h.quantile(q);
            assert!(got >= exact, "q={q}: {got} < {exact}");
            let err = (got - exact) as f64 / exact as f64;
            assert!(err <= 1.0 / HALF as f64, "q={q}: {got} vs {exact}");
        }
        assert_eq!(h.quantile(1.0), u64::MAX / 3);
    }
}
