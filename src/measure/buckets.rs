//! Latency histograms with fixed buckets: the live one a node fills and exposes as a Prometheus
//! histogram, and the bucket counts the lab reads back from it, per tick, merged and read as
//! quantiles the way Prometheus's `histogram_quantile` reads them.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A Prometheus histogram with fixed buckets, filled with relaxed atomic adds (no lock, no
/// allocation on the request path).
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Per-bucket (not cumulative) counts; the last bucket is +Inf.
    buckets: Vec<AtomicU64>,
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// An empty histogram with these upper bounds, in seconds, ascending (+Inf is implied).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Counts one observation that took `elapsed`.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = self.bounds.iter().position(|&b| seconds <= b).unwrap_or(self.bounds.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(elapsed.as_nanos() as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// Observations so far (the histogram's `_count`).
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// Appends the Prometheus text exposition of this histogram as metric `name`.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            match self.bounds.get(i) {
                Some(bound) => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
                }
                None => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
                }
            }
        }
        let sum = self.sum_nanos.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// Observations per bucket, not cumulative: each non-empty bucket as `[lower edge, upper bound,
/// count]` in seconds, ascending, and those beyond the last finite bound apart (+Inf does not fit
/// in JSON). Self-describing: a quantile needs nothing but this.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Buckets {
    /// `(lower edge, upper bound, observations)` of every non-empty finite bucket, ascending.
    pub counts: Vec<(f64, f64, u64)>,
    /// Observations above the last finite bound.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub beyond: u64,
    /// The last finite bound (what an observation beyond it reads as).
    #[serde(default)]
    pub top: f64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Buckets {
    /// From a scrape's cumulative `_bucket{le=...}` samples, in any order (+Inf as infinity).
    pub fn from_cumulative(samples: &[(f64, u64)]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out = Self::default();
        let (mut below, mut lower) = (0, 0.0);
        for (bound, cumulative) in sorted {
            let n = cumulative.saturating_sub(below);
            below = below.max(cumulative);
            if bound.is_finite() {
                if n > 0 {
                    out.counts.push((lower, bound, n));
                }
                (lower, out.top) = (bound, bound);
            } else {
                out.beyond += n;
            }
        }
        out
    }

    /// All observations.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, _, n)| n).sum::<u64>() + self.beyond
    }

    /// Whether it holds no observation.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// What was observed since `earlier`, a reading of the same histogram before this one.
    pub fn since(&self, earlier: &Buckets) -> Buckets {
        let beyond = self.beyond.saturating_sub(earlier.beyond);
        let mut out = Buckets { counts: Vec::new(), beyond, top: self.top };
        for &(lower, upper, n) in &self.counts {
            let before = earlier.counts.iter().find(|(_, u, _)| *u == upper).map_or(0, |(_, _, n)| *n);
            let n = n.saturating_sub(before);
            if n > 0 {
                out.counts.push((lower, upper, n));
            }
        }
        out
    }

    /// Adds `other`'s observations (the union of both's buckets is kept).
    pub fn add(&mut self, other: &Buckets) {
        self.beyond += other.beyond;
        self.top = self.top.max(other.top);
        for &(lower, upper, n) in &other.counts {
            match self.counts.iter_mut().find(|(_, u, _)| *u == upper) {
                Some((_, _, mine)) => *mine += n,
                None => self.counts.push((lower, upper, n)),
            }
        }
        self.counts.sort_by(|a, b| a.1.total_cmp(&b.1));
    }

    /// The `q` quantile (0..=1) in seconds, interpolated linearly inside its bucket as
    /// Prometheus's `histogram_quantile` does (an observation beyond the last finite bound reads
    /// as that bound). `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let mut below = 0u64;
        for &(lower, upper, n) in &self.counts {
            if (below + n) as f64 >= rank {
                let within = (rank - below as f64) / n as f64;
                return Some(lower + (upper - lower) * within);
            }
            below += n;
        }
        Some(self.top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: [f64; 4] = [0.001, 0.002, 0.004, 0.008];

    #[test]
    fn the_live_histogram_renders_cumulative_buckets_ending_with_inf() {
        let h = Histogram::new(&BOUNDS);
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_micros(3000));
        h.observe(Duration::from_secs(5));
        let mut out = String::new();
        h.render(&mut out, "x", "help");
        assert!(out.contains("x_bucket{le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.004\"} 2\n"));
        assert!(out.contains("x_bucket{le=\"0.008\"} 2\n"));
        assert!(out.contains("x_bucket{le=\"+Inf\"} 3\n"));
        assert!(out.contains("x_count 3\n"));
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn a_tick_is_the_difference_of_two_scrapes_and_ticks_add_up() {
        let first = Buckets::from_cumulative(&[(0.001, 2), (0.002, 2), (0.004, 5), (f64::INFINITY, 5)]);
        assert_eq!(first.counts, vec![(0.0, 0.001, 2), (0.002, 0.004, 3)]);
        assert_eq!(first.top, 0.004);
        let second = Buckets::from_cumulative(&[(f64::INFINITY, 12), (0.001, 2), (0.002, 6), (0.004, 10)]);
        let tick = second.since(&first);
        assert_eq!((tick.counts.clone(), tick.beyond), (vec![(0.001, 0.002, 4), (0.002, 0.004, 1)], 2));
        let mut run = first.clone();
        run.add(&tick);
        assert_eq!(run, second);
    }

    #[test]
    fn quantiles_interpolate_inside_their_bucket_as_prometheus_does() {
        // 10 observations in (2 ms, 4 ms]: the median is half-way through that bucket.
        let b = Buckets { counts: vec![(0.002, 0.004, 10)], beyond: 0, top: 0.008 };
        assert!(close(b.quantile(0.5), 0.003));
        let b = Buckets { counts: vec![(0.0, 0.001, 5), (0.004, 0.008, 5)], beyond: 0, top: 0.008 };
        assert!(close(b.quantile(0.5), 0.001));
        assert!(close(b.quantile(0.9), 0.004 + 0.004 * 0.8));
        let far = Buckets { counts: vec![], beyond: 3, top: 0.008 };
        assert_eq!(far.quantile(0.5), Some(0.008));
        assert_eq!(Buckets::default().quantile(0.5), None);
    }
}
