//! The charts' data: time series built once from ticks as they arrive (live or from a recording),
//! and min/max downsampling to the pixel so a one-hour run draws as fast as a one-minute one.

use std::collections::{BTreeMap, VecDeque};

use crate::measure::{EventRecord, Tick};
use crate::scenario::{Chart, StrategyName};

/// Points a series keeps: eight hours at 4 ticks/s. Older points make way for new ones.
pub const SERIES_CAPACITY: usize = 8 * 3600 * 4;

/// One line of a chart: (seconds, value) points in time order, in a ring buffer of
/// [`SERIES_CAPACITY`] points, appended to as ticks arrive and never rebuilt.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub t: VecDeque<f64>,
    pub v: VecDeque<f64>,
    /// The largest value ever pushed (0 when empty): the charts of both strategies share a y
    /// scale through it, so equal heights mean equal values.
    pub max: f64,
}

impl Series {
    pub fn push(&mut self, t: f64, v: f64) {
        if self.t.len() == SERIES_CAPACITY {
            self.t.pop_front();
            self.v.pop_front();
        }
        self.t.push_back(t);
        self.v.push_back(v);
        self.max = self.max.max(v);
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// The points within `[from, to]`, reduced to at most two per pixel column (the column's
    /// minimum and maximum, in time order), so peaks survive and drawing cost is bounded by width.
    pub fn downsample(&self, from: f64, to: f64, columns: usize) -> Vec<[f64; 2]> {
        let start = self.t.partition_point(|&t| t < from).saturating_sub(1);
        let end = (self.t.partition_point(|&t| t <= to) + 1).min(self.t.len());
        if start >= end {
            return Vec::new();
        }
        let visible = end - start;
        let columns = columns.max(1);
        if visible <= columns * 2 {
            return (start..end).map(|i| [self.t[i], self.v[i]]).collect();
        }
        let width = (to - from).max(f64::EPSILON) / columns as f64;
        let mut out = Vec::with_capacity(columns * 2);
        let mut i = start;
        while i < end {
            let column = ((self.t[i] - from) / width).floor();
            let (mut lo, mut hi) = (i, i);
            let mut j = i + 1;
            while j < end && ((self.t[j] - from) / width).floor() == column {
                if self.v[j] < self.v[lo] {
                    lo = j;
                }
                if self.v[j] > self.v[hi] {
                    hi = j;
                }
                j += 1;
            }
            let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
            out.push([self.t[a], self.v[a]]);
            if b != a {
                out.push([self.t[b], self.v[b]]);
            }
            i = j;
        }
        out
    }
}

/// Every chart line of one strategy.
#[derive(Debug, Clone, Default)]
pub struct StrategySeries {
    pub throughput: Series,
    pub p50_ms: Series,
    pub p99_ms: Series,
    pub p999_ms: Series,
    /// Heap per node in MiB, stacked: each node's line is its heap plus the heap of the nodes
    /// before it, so the top line is the cluster's total.
    pub heap_stacked_mib: BTreeMap<String, Series>,
    pub store_mib: Series,
    pub users_logged_in: Series,
    pub sessions_held: Series,
    pub unauthorized_per_s: Series,
    pub server_error_per_s: Series,
    pub connection_per_s: Series,
    /// Node CPU time per request the nodes served, in µs (all nodes of the strategy).
    pub cpu_us_per_request: Series,
    /// Mean auth check time, in µs (all nodes).
    pub auth_check_us: Series,
    pub credential_bytes_per_request: Series,
    pub store_ops_per_s: Series,
    pub denylist_entries: Series,
    pub revoked_users: Series,
    pub nodes_up: Series,
    /// `[resource]`: requests the resource service answered, and its calls to the issuer, per second.
    pub resource_requests_per_s: Series,
    pub issuer_calls_per_s: Series,
    /// Each node's cumulative CPU seconds at the previous tick.
    last_cpu_seconds: BTreeMap<String, f64>,
    pub simulated: bool,
}

const MIB: f64 = 1024.0 * 1024.0;

/// A run as the charts see it: series per strategy, and the events.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub strategies: BTreeMap<StrategyName, StrategySeries>,
    pub events: Vec<EventRecord>,
    /// Time of the latest tick.
    pub end_s: f64,
    pub ticks: usize,
    /// The charts to draw, in order: the scenario's choice (empty: [`Chart::STANDARD`]).
    pub charts: Vec<Chart>,
}

impl RunData {
    /// An empty run that will draw `charts`.
    pub fn with_charts(charts: &[Chart]) -> Self {
        RunData { charts: charts.to_vec(), ..RunData::default() }
    }

    /// The charts to draw, in order.
    pub fn charts(&self) -> &[Chart] {
        if self.charts.is_empty() { &Chart::STANDARD } else { &self.charts }
    }

    pub fn from_run(ticks: &[Tick], events: &[EventRecord], charts: &[Chart]) -> Self {
        let mut data = RunData::with_charts(charts);
        for tick in ticks {
            data.push_tick(tick);
        }
        data.events = events.to_vec();
        data
    }

    /// Appends one tick: a few pushes per series, never a rebuild.
    pub fn push_tick(&mut self, tick: &Tick) {
        let t = tick.t;
        let interval = tick.interval_s.max(f64::EPSILON);
        for (&name, s) in &tick.strategies {
            let out = self.strategies.entry(name).or_default();
            out.throughput.push(t, s.throughput_rps);
            let summary = s.latency_us.summary;
            out.p50_ms.push(t, summary.p50 as f64 / 1000.0);
            out.p99_ms.push(t, summary.p99 as f64 / 1000.0);
            out.p999_ms.push(t, summary.p999 as f64 / 1000.0);
            let mut stacked = 0.0;
            for node in &s.nodes {
                stacked += node.heap_bytes as f64 / MIB;
                out.heap_stacked_mib.entry(node.id.clone()).or_default().push(t, stacked);
            }
            if let Some(used) = s.store.as_ref().and_then(|store| store.used_memory) {
                out.store_mib.push(t, used as f64 / MIB);
            }
            out.users_logged_in.push(t, s.users_logged_in as f64);
            out.sessions_held.push(t, s.sessions_held as f64);
            out.unauthorized_per_s.push(t, s.requests.unauthorized as f64 / interval);
            out.server_error_per_s.push(t, s.requests.server_error as f64 / interval);
            out.connection_per_s.push(t, s.requests.connection as f64 / interval);
            let cpu = s.cpu_seconds_since(&mut out.last_cpu_seconds);
            if s.server_requests > 0 {
                out.cpu_us_per_request.push(t, cpu * 1e6 / s.server_requests as f64);
            }
            if let Some(us) = s.auth_check_us() {
                out.auth_check_us.push(t, us);
            }
            if s.credential_bytes_per_request > 0.0 {
                out.credential_bytes_per_request.push(t, s.credential_bytes_per_request);
            }
            if let Some(store) = &s.store {
                out.store_ops_per_s.push(t, store.ops as f64 / interval);
            }
            out.denylist_entries.push(t, s.denylist_entries as f64);
            out.revoked_users.push(t, s.revoked_users as f64);
            out.nodes_up.push(t, s.nodes.iter().filter(|n| n.up).count() as f64);
            if let Some(resource) = &s.resource {
                out.resource_requests_per_s.push(t, resource.requests as f64 / interval);
                out.issuer_calls_per_s.push(t, resource.issuer_calls as f64 / interval);
            }
            out.simulated |= s.simulated;
        }
        self.end_s = self.end_s.max(t);
        self.ticks += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_peaks_and_bounds_the_points() {
        let mut s = Series::default();
        for i in 0..14_400 {
            s.push(i as f64 * 0.25, if i == 7_000 { 1000.0 } else { (i % 10) as f64 });
        }
        let points = s.downsample(0.0, 3600.0, 800);
        assert!(points.len() <= 1600, "{}", points.len());
        assert!(points.iter().any(|p| p[1] == 1000.0), "the spike survives");
        assert!(points.windows(2).all(|w| w[0][0] <= w[1][0]), "time order");
        let few = s.downsample(100.0, 101.0, 800);
        assert!(few.len() >= 5 && few.len() <= 7, "a short range keeps its points: {}", few.len());
    }

    #[test]
    fn a_series_keeps_its_latest_points_once_full() {
        let mut s = Series::default();
        for i in 0..SERIES_CAPACITY + 10 {
            s.push(i as f64, i as f64);
        }
        assert_eq!(s.len(), SERIES_CAPACITY);
        assert_eq!(s.t.front().copied(), Some(10.0));
    }
}
