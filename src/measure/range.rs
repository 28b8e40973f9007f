//! Re-aggregates one strategy over a run of ticks: sums, exact percentiles, peaks.

use super::find_or_push;
use super::names::StrategyName;
use super::tick::{
    ConnectionFailures, ForeignTick, Latency, LatencySummary, NodeTick, RequestCounts, ResourceTick, StrategyTick, Tick,
};

/// One strategy over a range of ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeStats {
    /// The strategy aggregated.
    pub strategy: StrategyName,
    /// Ticks of the range that ran the strategy.
    pub ticks: usize,
    /// Start of the first such tick (its `t - interval_s`), in seconds since the run started.
    pub start_s: f64,
    /// End of the last such tick (its `t`).
    pub end_s: f64,
    /// Seconds those ticks cover (the sum of their intervals): the divisor of `throughput_rps`, so
    /// a range that runs past the recording, or a strategy that ran only part of it (sequential
    /// mode), is not diluted.
    pub covered_s: f64,
    /// Requests the driver made, summed over the range, by outcome.
    pub requests: RequestCounts,
    /// `requests.connection` by reason, summed.
    pub connection_failures: ConnectionFailures,
    /// All latencies of the range, merged: its percentiles are exact for the range.
    pub latency_us: Latency,
    /// Requests (ok + failed) per second of `covered_s`.
    pub throughput_rps: f64,
    /// Requests the nodes counted.
    pub server_requests: u64,
    /// Successful logins.
    pub logins: u64,
    /// Logins forced by a 401 in the middle of a visit.
    pub forced_relogins: u64,
    /// Token refreshes.
    pub refreshes: u64,
    /// Most sessions the servers held at the end of any tick of the range.
    pub sessions_held_peak: u64,
    /// Most virtual users holding a credential at the end of any tick of the range.
    pub users_logged_in_peak: u64,
    /// Request-weighted mean bytes of credentials per request.
    pub credential_bytes_per_request: f64,
    /// Heap summed over the nodes that were up: at the first tick, its peak, at the last tick.
    pub heap_bytes: MemorySpan,
    /// RSS summed over the nodes that were up, likewise.
    pub rss_bytes: MemorySpan,
    /// Each node's own peaks, in the order nodes first appear.
    pub nodes: Vec<NodePeak>,
    /// The store's kind (`memory`, `redis` or `postgres`), from the first tick that reports one.
    pub store_kind: Option<String>,
    /// Peak key count of the store, when it reports one (Redis).
    pub store_keys_peak: Option<u64>,
    /// Peak Redis `used_memory`, when the store reports it.
    pub store_used_memory_peak: Option<u64>,
    /// Store operations.
    pub store_ops: u64,
    /// CPU seconds the store's server spent for the nodes, summed, when it reports them
    /// (PostgreSQL on this machine).
    pub store_cpu_seconds: Option<f64>,
    /// Peak dead row versions of the session table (PostgreSQL).
    pub store_dead_tuples_peak: Option<u64>,
    /// The nodes' store operations by time taken, over the range (absent when no tick has them).
    pub store_round_trips: Option<super::buckets::Buckets>,
    /// A Redis Cluster's primaries, each with its own peaks, in the order they first appear
    /// (empty for every other store).
    pub store_primaries: Vec<PrimaryPeak>,
    /// `[resource]`: the resource service's requests and its calls to the issuer, summed (absent
    /// when the strategy had no resource service).
    pub resource: Option<ResourceTick>,
    /// Open model: the books of the scheduled arrivals (absent when none was scheduled).
    pub arrivals: Option<ArrivalBooks>,
    /// `[target.*]`: the user's own server, and what the lab could read of it (absent for the
    /// lab's own nodes).
    pub foreign: Option<ForeignTick>,
    /// The load driver's CPU seconds on this strategy's requests (absent in recordings made before
    /// the driver measured itself).
    pub driver_cpu_seconds: Option<f64>,
    /// Ticks in which the load driver itself was the bottleneck.
    pub driver_saturated_ticks: u64,
}

/// Open model: every scheduled arrival, counted exactly once by how it ended.
/// `scheduled == ok + failed + dropped + interrupted`, whenever the run's ticks are all there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArrivalBooks {
    /// Arrivals the driver scheduled.
    pub scheduled: u64,
    /// The arrivals that were sent: `ok`, `failed` by the class of the failure that ended them
    /// (as in `requests`), and `interrupted` (unanswered when the run stopped and its drain ran out).
    #[serde(flatten)]
    pub sent: RequestCounts,
    /// Not sent: too many requests were in flight.
    pub dropped: u64,
    /// Sent more than 10 ms after their scheduled time (also counted by their outcome).
    pub late: u64,
}

impl ArrivalBooks {
    /// Arrivals counted by how they ended; equal to `scheduled` when the books balance.
    pub fn accounted(&self) -> u64 {
        self.sent.total().saturating_add(self.sent.interrupted).saturating_add(self.dropped)
    }
}

/// A quantity at the start of a range, its peak, and at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemorySpan {
    /// At the first tick of the range.
    pub start: u64,
    /// The highest of any tick of the range.
    pub peak: u64,
    /// At the last tick of the range.
    pub end: u64,
}

/// One primary of a Redis Cluster store over a range: its own peaks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrimaryPeak {
    /// `host:port`, as the cluster announces the primary.
    pub address: String,
    /// The most sessions of the run it held at the end of any tick.
    pub sessions_peak: u64,
    /// Its highest `used_memory` (the whole server's), in bytes, where it was read.
    pub used_memory_peak: Option<u64>,
    /// Its highest `instantaneous_ops_per_sec` (every client's commands), where it was read.
    pub ops_per_sec_peak: Option<u64>,
}

/// One node's peaks over a range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodePeak {
    /// `session/1`, `token/3`, ...
    pub id: String,
    /// The node's highest heap (`authlab_heap_bytes`) at the end of any tick of the range, in bytes.
    pub heap_bytes_peak: u64,
    /// The node's highest resident set size at the end of any tick of the range, in bytes.
    pub rss_bytes_peak: u64,
}

impl RangeStats {
    /// Aggregates `strategy` over `ticks` (in time order). `None` when none of them ran it.
    pub fn over<'a>(ticks: impl IntoIterator<Item = &'a Tick>, strategy: StrategyName) -> Option<RangeStats> {
        let mut stats: Option<RangeStats> = None;
        let mut credential_bytes = 0.0;
        for tick in ticks {
            let Some(st) = tick.strategies.get(&strategy) else { continue };
            let stats = stats.get_or_insert_with(|| RangeStats::empty(strategy, tick));
            credential_bytes += st.credential_bytes_per_request * st.requests.total() as f64;
            stats.add(tick, st);
        }
        let mut stats = stats?;
        let total = stats.requests.total();
        stats.throughput_rps = if stats.covered_s > 0.0 { total as f64 / stats.covered_s } else { 0.0 };
        stats.credential_bytes_per_request = if total > 0 { credential_bytes / total as f64 } else { 0.0 };
        Some(stats)
    }

    /// The range's latency percentiles, in microseconds.
    pub fn latency_summary(&self) -> LatencySummary {
        self.latency_us.summary()
    }

    fn empty(strategy: StrategyName, first: &Tick) -> Self {
        let (heap, rss) = up_sums(first.strategies.get(&strategy).map_or(&[][..], |st| &st.nodes));
        RangeStats {
            strategy,
            ticks: 0,
            start_s: (first.t - first.interval_s).max(0.0),
            end_s: first.t,
            covered_s: 0.0,
            requests: RequestCounts::default(),
            connection_failures: ConnectionFailures::default(),
            latency_us: Latency::new(),
            throughput_rps: 0.0,
            server_requests: 0,
            logins: 0,
            forced_relogins: 0,
            refreshes: 0,
            sessions_held_peak: 0,
            users_logged_in_peak: 0,
            credential_bytes_per_request: 0.0,
            heap_bytes: MemorySpan { start: heap, peak: heap, end: heap },
            rss_bytes: MemorySpan { start: rss, peak: rss, end: rss },
            nodes: Vec::new(),
            store_kind: None,
            store_keys_peak: None,
            store_used_memory_peak: None,
            store_cpu_seconds: None,
            foreign: None,
            driver_cpu_seconds: None,
            driver_saturated_ticks: 0,
            store_dead_tuples_peak: None,
            store_round_trips: None,
            store_primaries: Vec::new(),
            store_ops: 0,
            resource: None,
            arrivals: None,
        }
    }

    fn add(&mut self, tick: &Tick, st: &StrategyTick) {
        self.ticks += 1;
        self.foreign = self.foreign.or(st.foreign);
        if let Some(driver) = st.driver {
            *self.driver_cpu_seconds.get_or_insert(0.0) += driver.cpu_seconds;
            self.driver_saturated_ticks += u64::from(driver.saturated);
        }
        self.end_s = tick.t;
        self.covered_s += tick.interval_s.max(0.0);
        self.requests.add(&st.requests);
        self.connection_failures.add(&st.connection_failures);
        self.latency_us.merge(&st.latency_us.decode());
        // Sums saturate: a recording's counts may be anything (a damaged or hand-edited file).
        self.server_requests = self.server_requests.saturating_add(st.server_requests);
        self.logins = self.logins.saturating_add(st.logins);
        self.forced_relogins = self.forced_relogins.saturating_add(st.forced_relogins);
        self.refreshes = self.refreshes.saturating_add(st.refreshes);
        self.sessions_held_peak = self.sessions_held_peak.max(st.sessions_held);
        self.users_logged_in_peak = self.users_logged_in_peak.max(st.users_logged_in);

        let (heap, rss) = up_sums(&st.nodes);
        self.heap_bytes.peak = self.heap_bytes.peak.max(heap);
        self.heap_bytes.end = heap;
        self.rss_bytes.peak = self.rss_bytes.peak.max(rss);
        self.rss_bytes.end = rss;
        for node in &st.nodes {
            let peak = find_or_push(
                &mut self.nodes,
                |peak| peak.id == node.id,
                || NodePeak { id: node.id.clone(), ..NodePeak::default() },
            );
            peak.heap_bytes_peak = peak.heap_bytes_peak.max(node.heap_bytes);
            peak.rss_bytes_peak = peak.rss_bytes_peak.max(node.rss_bytes);
        }

        if let Some(store) = &st.store {
            if self.store_kind.is_none() {
                self.store_kind = Some(store.kind.clone());
            }
            self.store_ops = self.store_ops.saturating_add(store.ops);
            self.store_keys_peak = max_option(self.store_keys_peak, store.keys);
            self.store_used_memory_peak = max_option(self.store_used_memory_peak, store.used_memory);
            self.store_dead_tuples_peak = max_option(self.store_dead_tuples_peak, store.dead_tuples);
            if let Some(round_trips) = &store.round_trips {
                self.store_round_trips.get_or_insert_default().add(round_trips);
            }
            if let Some(cpu) = store.cpu_seconds {
                *self.store_cpu_seconds.get_or_insert(0.0) += cpu;
            }
            for primary in &store.primaries {
                let peak = find_or_push(
                    &mut self.store_primaries,
                    |peak| peak.address == primary.address,
                    || PrimaryPeak { address: primary.address.clone(), ..PrimaryPeak::default() },
                );
                peak.sessions_peak = peak.sessions_peak.max(primary.sessions);
                peak.used_memory_peak = max_option(peak.used_memory_peak, primary.used_memory);
                peak.ops_per_sec_peak = max_option(peak.ops_per_sec_peak, primary.ops_per_sec);
            }
        }
        if st.arrivals > 0 || st.arrival_outcomes != RequestCounts::default() {
            let books = self.arrivals.get_or_insert_with(ArrivalBooks::default);
            books.scheduled = books.scheduled.saturating_add(st.arrivals);
            books.sent.add(&st.arrival_outcomes);
            books.dropped = books.dropped.saturating_add(st.dropped);
            books.late = books.late.saturating_add(st.late);
        }
        if let Some(resource) = &st.resource {
            let sum = self.resource.get_or_insert_with(ResourceTick::default);
            sum.requests = sum.requests.saturating_add(resource.requests);
            sum.issuer_calls = sum.issuer_calls.saturating_add(resource.issuer_calls);
        }
    }
}

/// Heap and RSS summed over the nodes that are up (a dead node holds no memory).
fn up_sums(nodes: &[NodeTick]) -> (u64, u64) {
    nodes.iter().filter(|node| node.up).fold((0u64, 0u64), |(heap, rss), node| {
        (heap.saturating_add(node.heap_bytes), rss.saturating_add(node.rss_bytes))
    })
}

fn max_option(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
