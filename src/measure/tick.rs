//! What a run measures: one [`Tick`] per sampling interval, and [`EventRecord`]s. These are also
//! the lines of a recording.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};

use super::names::{Action, StrategyName};

/// Highest latency the histograms record, in microseconds (a minute).
pub const MAX_LATENCY_US: u64 = 60_000_000;

/// Latency in microseconds, as an HDR histogram (3 significant digits): the live accumulator.
/// Ticks keep a [`LatencyRecord`] instead.
#[derive(Debug, Clone)]
pub struct Latency(pub Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for Latency {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Latency {
    /// An empty histogram (1 µs to [`MAX_LATENCY_US`], 3 significant digits).
    pub fn new() -> Self {
        Self(Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds"))
    }

    /// Records one latency, clamped to the histogram's range.
    pub fn record_us(&mut self, us: u64) {
        self.0.saturating_record(us.clamp(1, MAX_LATENCY_US));
    }

    /// Adds every latency of `other` to this one.
    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// How many latencies it holds.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The latency at `quantile` (0..=1), in microseconds; 0 when empty.
    pub fn quantile_us(&self, quantile: f64) -> u64 {
        if self.0.is_empty() { 0 } else { self.0.value_at_quantile(quantile) }
    }

    /// Its p50, p90, p99, p99.9 and max, in µs (all 0 when empty).
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            p50: self.quantile_us(0.50),
            p90: self.quantile_us(0.90),
            p99: self.quantile_us(0.99),
            p999: self.quantile_us(0.999),
            max: if self.0.is_empty() { 0 } else { self.0.max() },
        }
    }
}

/// Percentiles of a latency histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Median, µs.
    pub p50: u64,
    /// 90th percentile, µs.
    pub p90: u64,
    /// 99th percentile, µs.
    pub p99: u64,
    /// 99.9th percentile, µs.
    pub p999: u64,
    /// Highest latency recorded, µs.
    pub max: u64,
}

/// A tick's latency as kept and recorded: its percentiles, ready for charts, and the whole
/// histogram in HdrHistogram's compact V2 encoding, decoded only to merge ranges. (A live
/// histogram of this range and precision takes about 140 KB; its encoding, a few hundred bytes.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyRecord {
    /// Latencies in the histogram (requests that ended with an answer or a failure).
    pub count: u64,
    /// Its percentiles; flattened into the record's JSON (`p50`, `p90`, ...).
    #[serde(flatten)]
    pub summary: LatencySummary,
    /// HdrHistogram V2, base64.
    #[serde(with = "hdr_base64")]
    pub hdr: Vec<u8>,
}

impl From<&Latency> for LatencyRecord {
    fn from(latency: &Latency) -> Self {
        let mut hdr = Vec::new();
        // Serializing into memory cannot fail for a histogram with valid bounds.
        let _ = V2Serializer::new().serialize(&latency.0, &mut hdr);
        Self { count: latency.count(), summary: latency.summary(), hdr }
    }
}

impl LatencyRecord {
    /// The full histogram again (empty if the encoding is damaged, or not one the lab writes).
    pub fn decode(&self) -> Latency {
        let mut latency = Latency::new();
        if self.count > 0 && is_lab_encoding(&self.hdr) {
            if let Ok(histogram) = Deserializer::new().deserialize::<u64, _>(&mut self.hdr.as_slice()) {
                let _ = latency.0.add(&histogram);
            }
        }
        latency
    }

    /// The latency at `quantile`, decoding the histogram unless it is one of the kept percentiles.
    pub fn quantile_us(&self, quantile: f64) -> u64 {
        let kept =
            [(0.5, self.summary.p50), (0.9, self.summary.p90), (0.99, self.summary.p99), (0.999, self.summary.p999)];
        match kept.iter().find(|(q, _)| *q == quantile) {
            Some((_, value)) => *value,
            None if quantile >= 1.0 => self.summary.max,
            None => self.decode().quantile_us(quantile),
        }
    }
}

/// Whether `hdr` is what [`LatencyRecord`] writes: HdrHistogram V2, uncompressed, with the lab's
/// bounds, and all of the payload its header declares. The decoder allocates the declared payload
/// length before reading it, so a damaged length in a recording cost up to 4 GiB per tick.
fn is_lab_encoding(hdr: &[u8]) -> bool {
    const V2_COOKIE: u32 = 0x1c84_9313;
    const HEADER_BYTES: usize = 40;
    let u32_at = |at: usize| hdr.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes);
    let u64_at = |at: usize| hdr.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
    let payload_fits = u32_at(4)
        .and_then(|len| usize::try_from(len).ok())
        .is_some_and(|len| len <= hdr.len().saturating_sub(HEADER_BYTES));
    u32_at(0) == Some(V2_COOKIE)
        && payload_fits
        && u32_at(12) == Some(3)
        && u64_at(16) == Some(1)
        && u64_at(24) == Some(MAX_LATENCY_US)
}

mod hdr_base64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&B64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        B64.decode(text).map_err(serde::de::Error::custom)
    }
}

/// Requests the driver made in one tick, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Requests answered with a 2xx or 3xx status.
    pub ok: u64,
    /// All failures: the sum of the three classes below.
    pub failed: u64,
    /// 401/403 answers.
    pub unauthorized: u64,
    /// 5xx answers (and any other unexpected status).
    pub server_error: u64,
    /// No answer: connection refused or reset, timeout.
    pub connection: u64,
    /// Still in flight when the run stopped and its drain ran out: neither answered nor failed,
    /// and not in `ok + failed`.
    #[serde(default)]
    pub interrupted: u64,
}

impl RequestCounts {
    /// Requests that ended with an answer or a failure (not the interrupted ones).
    pub fn total(&self) -> u64 {
        self.ok.saturating_add(self.failed)
    }

    /// Adds `other`, saturating: counts read from a damaged recording may be anything.
    pub fn add(&mut self, other: &RequestCounts) {
        self.ok = self.ok.saturating_add(other.ok);
        self.failed = self.failed.saturating_add(other.failed);
        self.unauthorized = self.unauthorized.saturating_add(other.unauthorized);
        self.server_error = self.server_error.saturating_add(other.server_error);
        self.connection = self.connection.saturating_add(other.connection);
        self.interrupted = self.interrupted.saturating_add(other.interrupted);
    }
}

/// Why a request got no answer: the reasons under [`RequestCounts::connection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionFailure {
    /// No node was up to send it to (it was never sent).
    NoNodeUp,
    /// The node refused the connection: nothing listens there (a killed node, say).
    Refused,
    /// No whole answer within the driver's timeout.
    TimedOut,
    /// The connection was reset or closed before the whole answer came.
    Closed,
    /// Anything else: a request that could not be built, a malformed answer.
    Other,
}

/// Connection failures by reason; they sum to [`RequestCounts::connection`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionFailures {
    /// [`ConnectionFailure::NoNodeUp`].
    pub no_node_up: u64,
    /// [`ConnectionFailure::Refused`].
    pub refused: u64,
    /// [`ConnectionFailure::TimedOut`].
    pub timed_out: u64,
    /// [`ConnectionFailure::Closed`].
    pub closed: u64,
    /// [`ConnectionFailure::Other`].
    pub other: u64,
}

impl ConnectionFailures {
    /// Counts one failure.
    pub fn count(&mut self, why: ConnectionFailure) {
        let counter = match why {
            ConnectionFailure::NoNodeUp => &mut self.no_node_up,
            ConnectionFailure::Refused => &mut self.refused,
            ConnectionFailure::TimedOut => &mut self.timed_out,
            ConnectionFailure::Closed => &mut self.closed,
            ConnectionFailure::Other => &mut self.other,
        };
        *counter = counter.saturating_add(1);
    }

    /// Adds `other`, saturating.
    pub fn add(&mut self, other: &ConnectionFailures) {
        self.no_node_up = self.no_node_up.saturating_add(other.no_node_up);
        self.refused = self.refused.saturating_add(other.refused);
        self.timed_out = self.timed_out.saturating_add(other.timed_out);
        self.closed = self.closed.saturating_add(other.closed);
        self.other = self.other.saturating_add(other.other);
    }

    /// Every failure counted.
    pub fn total(&self) -> u64 {
        [self.no_node_up, self.refused, self.timed_out, self.closed, self.other]
            .into_iter()
            .fold(0, u64::saturating_add)
    }

    /// Whether none was counted (and the field is left out of a tick's JSON).
    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }
}

/// One node, as its `/metrics` said at the end of the tick.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeTick {
    /// `session/1`, `token/3`, ...
    pub id: String,
    /// False once the node is dead or did not answer this tick's scrape.
    pub up: bool,
    /// Bytes the node's allocator holds (`authlab_heap_bytes`), at the end of the tick.
    pub heap_bytes: u64,
    /// Resident set size of the node process (`authlab_rss_bytes`), in bytes.
    pub rss_bytes: u64,
    /// Cumulative CPU seconds of the node process.
    pub cpu_seconds: f64,
    /// Cumulative requests the node answered (all routes).
    pub requests_total: u64,
    /// Sessions the node holds in its own memory.
    pub sessions: u64,
    /// Client connections open to the node (`authlab_connections_open`); 0 in recordings made
    /// before nodes counted them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub connections: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The session store at the end of the tick: per node, or shared (Redis, PostgreSQL).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreTick {
    /// `memory` (per node), `redis`, `redis-cluster` or `postgres` (shared).
    pub kind: String,
    /// Store operations in this tick, summed over nodes.
    pub ops: u64,
    /// Redis: `used_memory` (the whole server). PostgreSQL: `pg_total_relation_size` of the run's
    /// tables (data, indexes and TOAST).
    pub used_memory: Option<u64>,
    /// Redis: keys under the run's prefix. PostgreSQL: rows of the run's session table.
    pub keys: Option<u64>,
    /// PostgreSQL: live row versions of the session table (`n_live_tup`, the server's estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_tuples: Option<u64>,
    /// PostgreSQL: dead row versions, left by deletes and updates until vacuum (`n_dead_tup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_tuples: Option<u64>,
    /// PostgreSQL: transactions committed or rolled back in this tick, in the whole database
    /// (`pg_stat_database`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<u64>,
    /// PostgreSQL: rows of the session table fetched through its indexes in this tick (the nodes'
    /// lookups and expiry sweeps; `pg_stat_user_tables.idx_tup_fetch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_fetched: Option<u64>,
    /// PostgreSQL: rows of the session table inserted, updated or deleted in this tick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_written: Option<u64>,
    /// CPU seconds the store's server spent for the run's nodes in this tick: PostgreSQL's
    /// backends serving them, where the server runs on this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// The nodes' store operations of this tick by time taken, summed over nodes
    /// (`authlab_store_round_trip_seconds`; absent in older recordings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<super::buckets::Buckets>,
    /// PostgreSQL: sweeps of expired sessions that failed in this tick, summed over nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_errors: Option<u64>,
    /// Redis Cluster (`redis-cluster`): each primary, in the order of their addresses; the
    /// figures above are their sums. Empty for every other store (and in older recordings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primaries: Vec<PrimaryTick>,
}

/// One primary of a Redis Cluster at the end of a tick.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrimaryTick {
    /// `host:port`, as the cluster announces the primary.
    pub address: String,
    /// The primary's `used_memory` (the whole server's), in bytes.
    pub used_memory: Option<u64>,
    /// Keys under the run's prefix on this primary.
    pub keys: u64,
    /// The sessions among them (the rest are per-user index sets).
    pub sessions: u64,
    /// The primary's `instantaneous_ops_per_sec`: every client's commands, the lab's own
    /// monitoring too.
    pub ops_per_sec: Option<u64>,
}

/// One strategy during one tick.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyTick {
    /// Requests to the protected resource and logins/logouts/refreshes, all counted.
    pub requests: RequestCounts,
    /// `requests.connection` by reason (absent when there were none, and in older recordings).
    #[serde(default, skip_serializing_if = "ConnectionFailures::is_zero")]
    pub connection_failures: ConnectionFailures,
    /// Latency of every request of this tick (in the open model, from its scheduled time).
    pub latency_us: LatencyRecord,
    /// (ok + failed) / interval.
    pub throughput_rps: f64,
    /// Successful logins this tick.
    pub logins: u64,
    /// Logins forced by a 401 in the middle of a visit (session lost, token revoked...).
    pub forced_relogins: u64,
    /// Token refreshes this tick.
    pub refreshes: u64,
    /// Open model: sends that started late, or were dropped because too many were in flight.
    pub late: u64,
    /// Open model: arrivals never sent because too many requests were already in flight.
    pub dropped: u64,
    /// Open model: requests scheduled this tick (each one a visit's request to the resource).
    #[serde(default)]
    pub arrivals: u64,
    /// Open model: how this tick's finished arrivals ended, each counted once: ok, failed by
    /// class, or interrupted by the end of the run. With `dropped`, they account for every arrival.
    #[serde(default)]
    pub arrival_outcomes: RequestCounts,
    /// Virtual users holding a credential, as the clients see it.
    pub users_logged_in: u64,
    /// Sessions the servers hold (node memory, or keys in Redis).
    pub sessions_held: u64,
    /// Requests the nodes counted this tick (from their /metrics, all routes but /metrics and /healthz).
    pub server_requests: u64,
    /// Each node of the strategy, as its last scrape saw it (dead nodes with `up` false).
    pub nodes: Vec<NodeTick>,
    /// The session store, for the session strategy; `None` for the token strategy.
    pub store: Option<StoreTick>,
    /// Mean bytes of credentials (Cookie or Authorization header) sent per request.
    pub credential_bytes_per_request: f64,
    /// Token nodes: entries on the denylist, summed over nodes.
    pub denylist_entries: u64,
    /// Token nodes with a denylist: users whose older access tokens are refused, summed over nodes.
    #[serde(default)]
    pub revoked_users: u64,
    /// Auth checks the nodes made this tick (deciding who the caller is: a token's signature and
    /// claims, or a session lookup), and the seconds they took, from `authlab_auth_check_seconds`.
    #[serde(default)]
    pub auth_checks: u64,
    /// Total seconds those auth checks took (`authlab_auth_check_seconds_sum`, this tick's part).
    #[serde(default)]
    pub auth_check_seconds: f64,
    /// Whether simulated machine capacity or store delay shaped these numbers.
    pub simulated: bool,
    /// `[resource]`: the second service that took this strategy's requests (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceTick>,
    /// The load driver's own cost in this tick (absent in recordings made before it measured
    /// itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<DriverTick>,
    /// `[target.*]`: the user's own server, which the lab did not start; what it could read of it
    /// (absent for the lab's own nodes, which report everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign: Option<ForeignTick>,
}

impl StrategyTick {
    /// The mean time of this tick's auth checks, in µs; `None` when the nodes made none.
    pub fn auth_check_us(&self) -> Option<f64> {
        (self.auth_checks > 0).then(|| self.auth_check_seconds * 1e6 / self.auth_checks as f64)
    }

    /// CPU seconds the nodes that are up spent since their readings in `last`, which this updates
    /// (a node's first reading counts nothing): over `server_requests`, the CPU per request.
    pub fn cpu_seconds_since(&self, last: &mut BTreeMap<String, f64>) -> f64 {
        let mut cpu = 0.0;
        for node in self.nodes.iter().filter(|node| node.up) {
            let before = last.insert(node.id.clone(), node.cpu_seconds);
            cpu += (node.cpu_seconds - before.unwrap_or(node.cpu_seconds)).max(0.0);
        }
        cpu
    }
}

/// The load driver during one tick, for one strategy. The driver runs on the same machine as the
/// nodes: every CPU second it spends is taken from them, and when it is the bottleneck the figures
/// describe the driver, not the servers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DriverTick {
    /// CPU seconds the driver (the engine's threads of the lab's own process) spent in this tick,
    /// this strategy's share by requests made.
    pub cpu_seconds: f64,
    /// Whether the driver itself was the bottleneck: its threads busy on nearly all the cores they
    /// may use, or busier than every node together while on half of them, or (open model) more
    /// than 5 % of this strategy's arrivals sent late.
    pub saturated: bool,
}

/// What the lab could read of a foreign target (the user's own server). Its heap, sessions held,
/// auth-check time and store are never measured: only the lab's own nodes report them. Its RSS and
/// CPU are measured when `measured_by` is not `none`; the nodes' `requests_total` are then the
/// requests the driver got an answer to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignTick {
    /// Where the RSS and CPU figures come from.
    pub measured_by: MeasuredBy,
}

impl ForeignTick {
    /// Whether the process's memory and CPU were read.
    pub fn process_measured(&self) -> bool {
        self.measured_by != MeasuredBy::None
    }
}

/// Where a foreign target's RSS and CPU come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasuredBy {
    /// Nowhere: the memory and CPU charts say "not measured".
    #[default]
    None,
    /// The application's Prometheus endpoint (`process_resident_memory_bytes`, ...).
    Metrics,
    /// A process on this machine, read through the operating system (`pid`, `pid_file`).
    Process,
}

/// The resource service of one strategy during one tick (scenario `[resource]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceTick {
    /// Requests the resource nodes answered (`/api/orders`), from their /metrics.
    pub requests: u64,
    /// Calls the resource nodes made to this strategy's nodes, as those counted them: session
    /// introspections (one per request), token JWKS fetches (one, then one per new key).
    pub issuer_calls: u64,
}

/// Everything sampled in one interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    /// Seconds since the run started, at the end of this tick.
    pub t: f64,
    /// Length of this tick in seconds.
    pub interval_s: f64,
    /// The strategies running during this tick.
    pub strategies: BTreeMap<StrategyName, StrategyTick>,
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// Scheduled in the scenario's `[[events]]`.
    Scheduled,
    /// Fired during the run, from the app's buttons.
    Live,
}

/// Something that happened to the run, drawn as a marker on the charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Seconds since the run started.
    pub t: f64,
    /// What kind of event.
    pub action: Action,
    /// `session/2`, `token`, `user0000042`, ...
    pub target: String,
    /// Whether the scenario scheduled it or someone fired it live.
    pub source: EventSource,
    /// What happened, in words (or why it failed).
    pub detail: String,
    /// Whether it was applied; false when it failed (`detail` says why).
    pub ok: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_survives_serialization_and_merges() {
        let mut a = Latency::new();
        for us in [100, 200, 300, 400, 5000] {
            a.record_us(us);
        }
        let json = serde_json::to_string(&LatencyRecord::from(&a)).unwrap();
        let record: LatencyRecord = serde_json::from_str(&json).unwrap();
        assert!(record.hdr.len() < 200, "the encoding is compact: {} bytes", record.hdr.len());
        assert_eq!(record.summary, a.summary());
        let back = record.decode();
        assert_eq!(back, a);
        let mut merged = Latency::new();
        merged.merge(&back);
        merged.merge(&a);
        assert_eq!(merged.count(), 10);
        assert!(merged.summary().max >= 5000 && merged.summary().p50 <= 301);
    }
}
