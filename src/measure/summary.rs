//! A run's totals: the `--summary-json` document and the closing table of `authlab run`.
//!
//! [`RunSummary`] is built from ticks and events alone, so a live run and a recording give the same
//! summary. Its JSON has exactly the keys SPEC lists ("Ticks and recordings"); figures that only the
//! table shows (forced re-logins) are not serialized.

use serde::{Deserialize, Serialize};

use super::format::{Align, group, mib, ms, rate, text_table};
use super::names::{Action, StrategyName};
use super::range::{ArrivalBooks, MemorySpan, PrimaryPeak, RangeStats};
use super::tick::{ConnectionFailures, EventRecord, LatencySummary, RequestCounts, Tick};

/// A run's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The scenario's name.
    pub scenario: String,
    /// Seconds from the start of the run to the end of its last tick.
    pub duration_s: f64,
    /// Every event of the run, failed ones too, in the order they were recorded.
    pub events: Vec<EventSummary>,
    /// The totals of each strategy that ran.
    pub strategies: Strategies,
}

/// An event of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Seconds since the run started.
    pub at_s: f64,
    /// What kind of event.
    pub action: Action,
    /// What it acted on: `session/2`, `token`, `all`, a user name, ...
    pub target: String,
}

/// The strategies that ran (a strategy that did not run is absent from the JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Strategies {
    /// The session strategy's totals; `None` when it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<StrategySummary>,
    /// The token strategy's totals; `None` when it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<StrategySummary>,
}

impl Strategies {
    /// The totals of `strategy`; `None` when it did not run.
    pub fn get(&self, strategy: StrategyName) -> Option<&StrategySummary> {
        match strategy {
            StrategyName::Session => self.session.as_ref(),
            StrategyName::Token => self.token.as_ref(),
        }
    }
}

/// One strategy over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategySummary {
    /// Requests the driver made, by outcome.
    pub requests: RequestCounts,
    /// `requests.connection` by reason (absent when there were none).
    #[serde(default, skip_serializing_if = "ConnectionFailures::is_zero")]
    pub connection_failures: ConnectionFailures,
    /// Requests the nodes counted.
    pub server_requests: u64,
    /// Requests per second of the time the strategy ran.
    pub throughput_rps: f64,
    /// Percentiles of every request's latency, in microseconds.
    pub latency_us: LatencySummary,
    /// Successful logins.
    pub logins: u64,
    /// Most sessions the servers held at the end of any tick.
    pub sessions_held_peak: u64,
    /// Heap summed over the nodes that were up: at the first tick, the peak, at the last tick.
    pub heap_bytes: MemorySpan,
    /// RSS summed over the nodes that were up, likewise.
    pub rss_bytes: MemorySpan,
    /// Request-weighted mean bytes of credentials sent per request.
    pub credential_bytes_per_request: f64,
    /// The store, when the strategy has one (`null` otherwise).
    pub store: Option<StoreSummary>,
    /// Logins forced by a 401 in the middle of a visit (table only, not in the JSON).
    #[serde(skip)]
    pub forced_relogins: u64,
    /// `[resource]`: the second service and what it cost the issuer (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceSummary>,
    /// Open model: every scheduled arrival by how it ended (absent in the closed model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<ArrivalBooks>,
    /// The figures of this summary the lab could not measure, by key: a foreign target's
    /// (`[target.*]`) `heap_bytes` and `sessions_held_peak`, and its `rss_bytes` without `metrics`
    /// or `pid`. Their values are 0 and mean nothing. Absent for the lab's own nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_measured: Vec<String>,
    /// The load driver's own cost (absent in recordings made before it measured itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<DriverSummary>,
}

/// The load driver over a strategy's run: what it cost, and whether it held the figures back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverSummary {
    /// The driver's CPU µs per request it made (its threads' CPU, this strategy's share).
    pub cpu_us_per_request: f64,
    /// Ticks in which the driver itself was the bottleneck; when not 0, the figures of those
    /// ticks describe the driver, not the servers.
    pub saturated_ticks: u64,
    /// The strategy's ticks.
    pub ticks: u64,
}

/// A strategy's resource service over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    /// Requests the resource nodes answered.
    pub requests: u64,
    /// Calls they made to the issuer, as the issuer counted them (introspections, JWKS fetches).
    pub issuer_calls: u64,
    /// `issuer_calls / requests` (0 without requests).
    pub issuer_calls_per_request: f64,
}

/// The session store over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreSummary {
    /// `memory` (per node), `redis` or `postgres` (shared).
    pub kind: String,
    /// Peak key count (Redis), or rows of the session table (PostgreSQL); `null` otherwise.
    pub keys_peak: Option<u64>,
    /// Peak Redis `used_memory`, or the session tables' total relation size (PostgreSQL);
    /// `null` otherwise.
    pub used_memory_peak: Option<u64>,
    /// PostgreSQL: peak dead row versions of the session table (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_tuples_peak: Option<u64>,
    /// Median time of the nodes' store operations, in µs (about one network round trip to a
    /// remote store), read from their histogram; absent where no node reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trip_p50_us: Option<f64>,
    /// The 99th percentile of the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trip_p99_us: Option<f64>,
    /// The store server's CPU µs per request the nodes served, where it is measured (PostgreSQL
    /// on this machine; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_us_per_request: Option<f64>,
    /// A Redis Cluster's primaries, each with its own peaks (absent for every other store).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primaries: Vec<PrimaryPeak>,
}

impl RunSummary {
    /// Totals of a run, from its ticks (in time order) and events.
    pub fn from_run(scenario_name: &str, ticks: &[Tick], events: &[EventRecord]) -> Self {
        let strategy = |name| RangeStats::over(ticks, name).map(StrategySummary::from_range);
        RunSummary {
            scenario: scenario_name.to_owned(),
            duration_s: ticks.iter().map(|tick| tick.t).fold(0.0, f64::max),
            events: events
                .iter()
                .map(|event| EventSummary { at_s: event.t, action: event.action, target: event.target.clone() })
                .collect(),
            strategies: Strategies { session: strategy(StrategyName::Session), token: strategy(StrategyName::Token) },
        }
    }

    /// The `--summary-json` document.
    pub fn to_json_pretty(&self) -> String {
        // Plain fields and string keys: serializing cannot fail.
        serde_json::to_string_pretty(self).expect("a RunSummary always serializes")
    }
}

impl StrategySummary {
    /// The whole-run figures of one strategy.
    pub fn from_range(stats: RangeStats) -> Self {
        StrategySummary {
            requests: stats.requests,
            connection_failures: stats.connection_failures,
            server_requests: stats.server_requests,
            throughput_rps: stats.throughput_rps,
            latency_us: stats.latency_us.summary(),
            logins: stats.logins,
            sessions_held_peak: stats.sessions_held_peak,
            heap_bytes: stats.heap_bytes,
            rss_bytes: stats.rss_bytes,
            credential_bytes_per_request: stats.credential_bytes_per_request,
            store: stats.store_kind.map(|kind| StoreSummary {
                kind,
                keys_peak: stats.store_keys_peak,
                used_memory_peak: stats.store_used_memory_peak,
                dead_tuples_peak: stats.store_dead_tuples_peak,
                round_trip_p50_us: round_trip_us(&stats.store_round_trips, 0.5),
                round_trip_p99_us: round_trip_us(&stats.store_round_trips, 0.99),
                cpu_us_per_request: stats
                    .store_cpu_seconds
                    .filter(|_| stats.server_requests > 0)
                    .map(|seconds| seconds * 1e6 / stats.server_requests as f64),
                primaries: stats.store_primaries.clone(),
            }),
            forced_relogins: stats.forced_relogins,
            resource: stats.resource.map(|r| ResourceSummary {
                requests: r.requests,
                issuer_calls: r.issuer_calls,
                issuer_calls_per_request: if r.requests == 0 { 0.0 } else { r.issuer_calls as f64 / r.requests as f64 },
            }),
            arrivals: stats.arrivals,
            driver: stats.driver_cpu_seconds.map(|seconds| DriverSummary {
                cpu_us_per_request: if stats.requests.total() > 0 {
                    seconds * 1e6 / stats.requests.total() as f64
                } else {
                    0.0
                },
                saturated_ticks: stats.driver_saturated_ticks,
                ticks: stats.ticks as u64,
            }),
            not_measured: stats.foreign.map_or_else(Vec::new, |foreign| {
                let process = (!foreign.process_measured()).then_some(Self::RSS);
                [Self::HEAP, Self::SESSIONS_HELD].into_iter().chain(process).map(str::to_owned).collect()
            }),
        }
    }

    /// Whether the figure of `key` (a JSON key: `heap_bytes`, ...) was measured.
    pub fn measured(&self, key: &str) -> bool {
        !self.not_measured.iter().any(|k| k == key)
    }

    /// `heap_bytes`, as [`Self::not_measured`] names it.
    pub const HEAP: &'static str = "heap_bytes";
    /// `rss_bytes`, likewise.
    pub const RSS: &'static str = "rss_bytes";
    /// `sessions_held_peak`, likewise.
    pub const SESSIONS_HELD: &'static str = "sessions_held_peak";
}

/// Shown for a figure the lab could not measure (a foreign target's heap, say).
const NOT_MEASURED: &str = "not measured";

/// `cell`, or "not measured" where the summary's `key` was not.
fn measured_or(s: &StrategySummary, key: &str, cell: impl Fn(&StrategySummary) -> String) -> String {
    if s.measured(key) { cell(s) } else { NOT_MEASURED.to_owned() }
}

/// The closing warning when the load driver itself was the bottleneck in some ticks, as k6 warns
/// of an overloaded load generator: the figures of those ticks describe the driver.
pub fn driver_warning(summary: &RunSummary) -> Option<String> {
    let saturated: Vec<String> = StrategyName::BOTH
        .into_iter()
        .filter_map(|name| {
            let driver = summary.strategies.get(name)?.driver.as_ref()?;
            (driver.saturated_ticks > 0)
                .then(|| format!("{}: {} of {} ticks", name.as_str(), driver.saturated_ticks, driver.ticks))
        })
        .collect();
    (!saturated.is_empty()).then(|| {
        format!(
            "WARNING: the load driver was the bottleneck ({}): its threads were busy on nearly all the cores \
             they may use, or sent open-model arrivals late. In those ticks the figures describe the driver, \
             not the nodes; lower the load, or run the driver on more cores.",
            saturated.join("; ")
        )
    })
}

/// Shown where a strategy did not run, or a figure does not apply.
const NONE: &str = "–";

/// The `q` quantile of the store's round trips, in µs.
fn round_trip_us(round_trips: &Option<super::buckets::Buckets>, q: f64) -> Option<f64> {
    round_trips.as_ref().and_then(|b| b.quantile(q)).map(|seconds| seconds * 1e6)
}

/// The strategy's store, if it is a database (PostgreSQL).
fn database(s: &StrategySummary) -> Option<&StoreSummary> {
    s.store.as_ref().filter(|store| store.kind == "postgres")
}

/// The peaks of the primary at `address` in `s`'s store, if it has one.
fn primary_peak<'s>(s: &'s StrategySummary, address: &str) -> Option<&'s PrimaryPeak> {
    s.store.as_ref()?.primaries.iter().find(|p| p.address == address)
}

/// The addresses of a Redis Cluster store's primaries (none for any other store).
fn primary_addresses(summary: &RunSummary) -> Vec<&str> {
    StrategyName::BOTH
        .into_iter()
        .filter_map(|name| summary.strategies.get(name)?.store.as_ref())
        .flat_map(|store| store.primaries.iter().map(|p| p.address.as_str()))
        .collect()
}

/// The closing table of `authlab run`: session and token side by side, plain text, aligned.
pub fn render_table(summary: &RunSummary) -> String {
    type Cell = fn(&StrategySummary) -> String;
    let rows: [(&str, Cell); 19] = [
        ("requests ok", |s| group(s.requests.ok)),
        ("failed", |s| group(s.requests.failed)),
        ("  unauthorized", |s| group(s.requests.unauthorized)),
        ("  server error", |s| group(s.requests.server_error)),
        ("  connection", |s| group(s.requests.connection)),
        ("interrupted at the stop", |s| group(s.requests.interrupted)),
        ("throughput (req/s)", |s| rate(s.throughput_rps)),
        ("latency p50 (ms)", |s| ms(s.latency_us.p50)),
        ("latency p99 (ms)", |s| ms(s.latency_us.p99)),
        ("latency p99.9 (ms)", |s| ms(s.latency_us.p999)),
        ("logins", |s| group(s.logins)),
        ("forced re-logins", |s| group(s.forced_relogins)),
        ("sessions held, peak", |s| measured_or(s, StrategySummary::SESSIONS_HELD, |s| group(s.sessions_held_peak))),
        ("heap peak (MiB)", |s| measured_or(s, StrategySummary::HEAP, |s| mib(s.heap_bytes.peak))),
        ("RSS peak (MiB)", |s| measured_or(s, StrategySummary::RSS, |s| mib(s.rss_bytes.peak))),
        ("credential bytes/request", |s| format!("{:.0}", s.credential_bytes_per_request)),
        ("store keys, peak", |s| s.store.as_ref().and_then(|store| store.keys_peak).map_or(NONE.to_owned(), group)),
        ("store round trip p50 / p99 (µs)", |s| {
            let store = s.store.as_ref();
            match (store.and_then(|t| t.round_trip_p50_us), store.and_then(|t| t.round_trip_p99_us)) {
                (Some(p50), Some(p99)) => format!("{p50:.0} / {p99:.0}"),
                _ => NONE.to_owned(),
            }
        }),
        ("driver CPU/request (µs)", |s| {
            s.driver.as_ref().map_or(NONE.to_owned(), |d| format!("{:.1}", d.cpu_us_per_request))
        }),
    ];
    // A scenario with a resource service also shows what it cost the issuer.
    let resource_rows: [(&str, Cell); 3] = [
        ("resource requests", |s| s.resource.as_ref().map_or(NONE.to_owned(), |r| group(r.requests))),
        ("issuer calls", |s| s.resource.as_ref().map_or(NONE.to_owned(), |r| group(r.issuer_calls))),
        ("issuer calls/request", |s| {
            s.resource.as_ref().map_or(NONE.to_owned(), |r| format!("{:.3}", r.issuer_calls_per_request))
        }),
    ];
    // An open-model run also shows the books of its arrivals.
    let arrival_rows: [(&str, Cell); 5] = [
        ("arrivals scheduled", |s| s.arrivals.as_ref().map_or(NONE.to_owned(), |a| group(a.scheduled))),
        ("  answered ok", |s| s.arrivals.as_ref().map_or(NONE.to_owned(), |a| group(a.sent.ok))),
        ("  failed", |s| s.arrivals.as_ref().map_or(NONE.to_owned(), |a| group(a.sent.failed))),
        ("  dropped", |s| s.arrivals.as_ref().map_or(NONE.to_owned(), |a| group(a.dropped))),
        ("  interrupted", |s| s.arrivals.as_ref().map_or(NONE.to_owned(), |a| group(a.sent.interrupted))),
    ];
    let any = |has: fn(&StrategySummary) -> bool| {
        [&summary.strategies.session, &summary.strategies.token].into_iter().any(|s| s.as_ref().is_some_and(has))
    };
    // A database store also shows its size, its bloat and its CPU.
    let database_rows: [(&str, Cell); 3] = [
        ("store size peak (MiB)", |s| {
            database(s).and_then(|store| store.used_memory_peak).map_or(NONE.to_owned(), mib)
        }),
        ("store dead rows, peak", |s| {
            database(s).and_then(|store| store.dead_tuples_peak).map_or(NONE.to_owned(), group)
        }),
        ("store CPU/request (µs)", |s| {
            database(s).and_then(|store| store.cpu_us_per_request).map_or(NONE.to_owned(), |us| format!("{us:.1}"))
        }),
    ];
    let (has_resource, has_arrivals) = (any(|s| s.resource.is_some()), any(|s| s.arrivals.is_some()));
    let has_database = any(|s| database(s).is_some());
    // Connection failures, by reason, when there were any.
    let connection_rows: [(&str, Cell); 5] = [
        ("    no node up", |s| group(s.connection_failures.no_node_up)),
        ("    refused", |s| group(s.connection_failures.refused)),
        ("    timed out", |s| group(s.connection_failures.timed_out)),
        ("    closed mid-answer", |s| group(s.connection_failures.closed)),
        ("    other", |s| group(s.connection_failures.other)),
    ];
    let has_connection_failures = any(|s| s.requests.connection > 0);
    let mut connection_rows = connection_rows.into_iter().filter(|_| has_connection_failures);
    let rows: Vec<(&str, Cell)> = rows
        .into_iter()
        .flat_map(|row| {
            let under = if row.0 == "  connection" { connection_rows.by_ref().collect() } else { Vec::new() };
            std::iter::once(row).chain(under)
        })
        .chain(database_rows.into_iter().filter(|_| has_database))
        .chain(arrival_rows.into_iter().filter(|_| has_arrivals))
        .chain(resource_rows.into_iter().filter(|_| has_resource))
        .collect();

    let columns = [StrategyName::Session, StrategyName::Token];
    let row = |label: String, cell: &dyn Fn(&StrategySummary) -> String| -> [String; 3] {
        let [session, token] = columns.map(|name| summary.strategies.get(name).map_or(NONE.to_owned(), cell));
        [label, session, token]
    };
    let mut table: Vec<[String; 3]> = rows.iter().map(|(label, cell)| row((*label).to_owned(), cell)).collect();
    // A Redis Cluster store also shows what each primary held, three rows each: each should hold
    // a share.
    for address in primary_addresses(summary) {
        let shown = |value: Option<String>| value.unwrap_or_else(|| NONE.to_owned());
        table.push(row(format!("primary {address} sessions, peak"), &|s| {
            shown(primary_peak(s, address).map(|p| group(p.sessions_peak)))
        }));
        table.push(row("  used_memory peak (MiB)".to_owned(), &|s| {
            shown(primary_peak(s, address).and_then(|p| p.used_memory_peak).map(mib))
        }));
        table.push(row("  ops/s peak".to_owned(), &|s| {
            shown(primary_peak(s, address).and_then(|p| p.ops_per_sec_peak).map(group))
        }));
    }

    let mut out = format!("{} ({:.1} s)\n", summary.scenario, summary.duration_s);
    // The value columns are at least 10 wide, so that short tables still read as a table.
    let [session, token] = columns.map(|name| format!("{:>10}", name.as_str()));
    out.push_str(&text_table(["figure", &session, &token], &table, [Align::Left, Align::Right, Align::Right]));
    if let Some(warning) = driver_warning(summary) {
        out.push_str(&warning);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::Value;

    use super::*;
    use crate::measure::{ConnectionFailures, EventSource, Latency, NodeTick, PrimaryTick, StoreTick, StrategyTick};
    const MIB: u64 = 1024 * 1024;

    fn node(id: &str, heap: u64, rss: u64) -> NodeTick {
        NodeTick { id: id.to_owned(), up: true, heap_bytes: heap, rss_bytes: rss, ..NodeTick::default() }
    }

    fn strategy_tick(ok: u64, unauthorized: u64, latencies: &[u64], nodes: Vec<NodeTick>) -> StrategyTick {
        let mut latency = Latency::new();
        for &us in latencies {
            latency.record_us(us);
        }
        StrategyTick {
            requests: RequestCounts {
                ok,
                failed: unauthorized,
                unauthorized,
                server_error: 0,
                connection: 0,
                interrupted: 0,
            },
            latency_us: (&latency).into(),
            throughput_rps: (ok + unauthorized) as f64 / 0.5,
            logins: 2,
            forced_relogins: unauthorized,
            sessions_held: ok,
            server_requests: ok + unauthorized,
            nodes,
            ..StrategyTick::default()
        }
    }

    /// Three ticks of half a second: session (2 nodes, Redis) throughout, token from the second.
    fn synthetic() -> (Vec<Tick>, Vec<EventRecord>) {
        let mut ticks = Vec::new();
        for (i, (heap_a, heap_b)) in [(100, 200), (500, 400), (300, 50)].into_iter().enumerate() {
            let mut session = strategy_tick(
                10 * (i as u64 + 1),
                1,
                &[1000, 2000],
                vec![node("session/1", heap_a, heap_a * 10), node("session/2", heap_b, heap_b * 10)],
            );
            session.credential_bytes_per_request = [40.0, 50.0, 60.0][i];
            session.store = Some(StoreTick {
                kind: "redis".into(),
                ops: 5,
                used_memory: Some(1000 * i as u64),
                keys: Some(i as u64),
                ..StoreTick::default()
            });
            let mut strategies = BTreeMap::from([(StrategyName::Session, session)]);
            if i > 0 {
                let mut token = strategy_tick(20, 0, &[300], vec![node("token/1", 1000, 9000)]);
                token.credential_bytes_per_request = 300.0;
                strategies.insert(StrategyName::Token, token);
            }
            ticks.push(Tick { t: 0.5 * (i + 1) as f64, interval_s: 0.5, strategies });
        }
        let events = vec![EventRecord {
            t: 0.7,
            action: Action::KillNode,
            target: "session/2".into(),
            source: EventSource::Scheduled,
            detail: "killed".into(),
            ok: true,
        }];
        (ticks, events)
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value.as_object().map(|object| object.keys().cloned().collect()).unwrap_or_default()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn json_has_exactly_the_spec_keys() {
        let (ticks, events) = synthetic();
        let summary = RunSummary::from_run("synthetic", &ticks, &events);
        let json: Value = serde_json::from_str(&summary.to_json_pretty()).unwrap();
        assert_eq!(keys(&json), set(&["scenario", "duration_s", "events", "strategies"]));
        assert_eq!(keys(&json["events"][0]), set(&["at_s", "action", "target"]));
        assert_eq!(json["events"][0]["action"], "kill_node");
        assert_eq!(keys(&json["strategies"]), set(&["session", "token"]));
        for strategy in ["session", "token"] {
            let s = &json["strategies"][strategy];
            assert_eq!(
                keys(s),
                set(&[
                    "requests",
                    "server_requests",
                    "throughput_rps",
                    "latency_us",
                    "logins",
                    "sessions_held_peak",
                    "heap_bytes",
                    "rss_bytes",
                    "credential_bytes_per_request",
                    "store",
                ])
            );
            assert_eq!(
                keys(&s["requests"]),
                set(&["ok", "failed", "unauthorized", "server_error", "connection", "interrupted"])
            );
            assert_eq!(keys(&s["latency_us"]), set(&["p50", "p90", "p99", "p999", "max"]));
            assert_eq!(keys(&s["heap_bytes"]), set(&["start", "peak", "end"]));
            assert_eq!(keys(&s["rss_bytes"]), set(&["start", "peak", "end"]));
        }
        assert_eq!(keys(&json["strategies"]["session"]["store"]), set(&["kind", "keys_peak", "used_memory_peak"]));
        assert!(json["strategies"]["token"]["store"].is_null());

        // A strategy that did not run is absent.
        let session_only: Vec<Tick> = ticks
            .iter()
            .cloned()
            .map(|mut tick| {
                tick.strategies.remove(&StrategyName::Token);
                tick
            })
            .collect();
        let json: Value =
            serde_json::from_str(&RunSummary::from_run("s", &session_only, &[]).to_json_pretty()).unwrap();
        assert_eq!(keys(&json["strategies"]), set(&["session"]));
    }

    #[test]
    fn sums_and_peaks() {
        let (ticks, events) = synthetic();
        let summary = RunSummary::from_run("synthetic", &ticks, &events);
        assert_eq!(summary.duration_s, 1.5);
        assert_eq!(
            summary.events,
            vec![EventSummary { at_s: 0.7, action: Action::KillNode, target: "session/2".into() }]
        );

        let session = summary.strategies.session.as_ref().unwrap();
        assert_eq!(
            session.requests,
            RequestCounts { ok: 60, failed: 3, unauthorized: 3, server_error: 0, connection: 0, interrupted: 0 }
        );
        assert_eq!(session.server_requests, 63);
        assert!((session.throughput_rps - 63.0 / 1.5).abs() < 1e-9);
        assert_eq!(session.logins, 6);
        assert_eq!(session.forced_relogins, 3);
        assert_eq!(session.sessions_held_peak, 30);
        // Per-tick sums 300, 900, 350.
        assert_eq!(session.heap_bytes, MemorySpan { start: 300, peak: 900, end: 350 });
        assert_eq!(session.rss_bytes, MemorySpan { start: 3000, peak: 9000, end: 3500 });
        // Weighted by 11, 21, 31 requests.
        let expected = (40.0 * 11.0 + 50.0 * 21.0 + 60.0 * 31.0) / 63.0;
        assert!((session.credential_bytes_per_request - expected).abs() < 1e-9);
        assert_eq!(
            session.store,
            Some(StoreSummary {
                kind: "redis".into(),
                keys_peak: Some(2),
                used_memory_peak: Some(2000),
                dead_tuples_peak: None,
                round_trip_p50_us: None,
                round_trip_p99_us: None,
                cpu_us_per_request: None,
                primaries: Vec::new(),
            })
        );
        assert!(session.latency_us.p50 >= 999 && session.latency_us.p50 <= 1001);
        assert!(session.latency_us.max >= 1999 && session.latency_us.max <= 2002);

        // Token ran for the last two ticks only: its throughput is over that second.
        let token = summary.strategies.token.as_ref().unwrap();
        assert_eq!(token.requests.ok, 40);
        assert!((token.throughput_rps - 40.0).abs() < 1e-9);
        assert_eq!(token.heap_bytes, MemorySpan { start: 1000, peak: 1000, end: 1000 });
        assert_eq!(token.credential_bytes_per_request, 300.0);
    }

    #[test]
    fn a_dead_node_holds_no_memory() {
        let (mut ticks, _) = synthetic();
        if let Some(session) = ticks[2].strategies.get_mut(&StrategyName::Session) {
            session.nodes[1].up = false;
        }
        let summary = RunSummary::from_run("s", &ticks, &[]);
        assert_eq!(summary.strategies.session.unwrap().heap_bytes.end, 300);
    }

    #[test]
    fn table_shows_both_columns_aligned() {
        let (ticks, events) = synthetic();
        let table = render_table(&RunSummary::from_run("synthetic", &ticks, &events));
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[1].contains("session") && lines[1].contains("token"), "{table}");
        assert!(table.contains("requests ok") && table.contains("p99.9") && table.contains("forced re-logins"));
        // All rows have the same width.
        let widths: BTreeSet<usize> = lines[1..].iter().map(|line| line.chars().count()).collect();
        assert_eq!(widths.len(), 1, "{table}");
        // The token has no store.
        assert!(lines.iter().any(|line| line.starts_with("store keys") && line.trim_end().ends_with(NONE)));

        let session_only: Vec<Tick> = ticks
            .iter()
            .cloned()
            .map(|mut tick| {
                tick.strategies.remove(&StrategyName::Token);
                tick
            })
            .collect();
        let table = render_table(&RunSummary::from_run("s", &session_only, &[]));
        let ok_row = table.lines().find(|line| line.starts_with("requests ok")).unwrap();
        assert!(ok_row.contains("60") && ok_row.trim_end().ends_with(NONE), "{table}");
    }

    #[test]
    fn a_redis_cluster_store_shows_each_primarys_peaks_in_the_table_and_the_json() {
        let (mut ticks, events) = synthetic();
        for (i, tick) in ticks.iter_mut().enumerate() {
            let store = tick.strategies.get_mut(&StrategyName::Session).and_then(|s| s.store.as_mut()).unwrap();
            store.kind = "redis-cluster".into();
            let i = i as u64;
            store.primaries = vec![
                PrimaryTick {
                    address: "10.0.0.1:7000".into(),
                    used_memory: Some(2 * MIB + i),
                    keys: 10 * i,
                    sessions: 5 * i,
                    ops_per_sec: Some(100 + i),
                },
                // The second primary's memory was never read: it must not read as 0.
                PrimaryTick { address: "10.0.0.2:7000".into(), sessions: 7 * (2 - i), ..PrimaryTick::default() },
            ];
        }
        let summary = RunSummary::from_run("cluster", &ticks, &events);
        let table = render_table(&summary);
        let row = |label: &str| -> Vec<String> {
            let line = table
                .lines()
                .find(|line| line.trim_start().starts_with(label))
                .unwrap_or_else(|| panic!("{label}\n{table}"));
            line.split("  ").map(str::trim).filter(|cell| !cell.is_empty()).map(str::to_owned).collect()
        };
        assert_eq!(row("primary 10.0.0.1:7000 sessions, peak")[1..], ["10", NONE]);
        assert_eq!(row("primary 10.0.0.2:7000 sessions, peak")[1..], ["14", NONE]);
        let memory: Vec<Vec<String>> = table
            .lines()
            .filter(|l| l.trim_start().starts_with("used_memory peak"))
            .map(|l| l.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect())
            .collect();
        assert_eq!(
            memory,
            [
                vec!["used_memory peak (MiB)".to_owned(), "2.0".into(), NONE.into()],
                vec!["used_memory peak (MiB)".to_owned(), NONE.into(), NONE.into()]
            ],
            "{table}"
        );
        assert_eq!(row("ops/s peak")[1..], ["102", NONE]);
        let widths: BTreeSet<usize> = table.lines().skip(1).map(|line| line.chars().count()).collect();
        assert_eq!(widths.len(), 1, "{table}");

        let json: Value = serde_json::from_str(&summary.to_json_pretty()).unwrap();
        let primaries = &json["strategies"]["session"]["store"]["primaries"];
        assert_eq!(primaries[0]["address"], "10.0.0.1:7000");
        assert_eq!(primaries[0]["sessions_peak"], 10);
        assert_eq!(primaries[1]["used_memory_peak"], Value::Null);
        // Any other store has no primaries at all.
        let (ticks, events) = synthetic();
        let json: Value = serde_json::from_str(&RunSummary::from_run("s", &ticks, &events).to_json_pretty()).unwrap();
        assert!(json["strategies"]["session"]["store"].get("primaries").is_none());
        assert!(!render_table(&RunSummary::from_run("s", &ticks, &events)).contains("primary"));
    }

    #[test]
    fn connection_failures_show_by_reason_under_the_connection_row_only_when_there_were_any() {
        let (ticks, events) = synthetic();
        let table = render_table(&RunSummary::from_run("none", &ticks, &events));
        assert!(!table.contains("refused"), "no failures, no reasons:\n{table}");

        let (mut ticks, events) = synthetic();
        let session = ticks[1].strategies.get_mut(&StrategyName::Session).unwrap();
        session.requests.connection = 3;
        session.requests.failed += 3;
        session.connection_failures = ConnectionFailures { refused: 2, closed: 1, ..ConnectionFailures::default() };
        let summary = RunSummary::from_run("crash", &ticks, &events);
        let table = render_table(&summary);
        let lines: Vec<&str> = table.lines().collect();
        let at = lines.iter().position(|l| l.starts_with("  connection")).unwrap();
        let cells = |line: &str| -> Vec<String> {
            line.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect()
        };
        assert_eq!(cells(lines[at]), ["connection", "3", "0"], "{table}");
        assert_eq!(cells(lines[at + 2]), ["refused", "2", "0"], "{table}");
        assert_eq!(cells(lines[at + 4]), ["closed mid-answer", "1", "0"], "{table}");
        assert!(lines[at + 6].starts_with("interrupted"), "the reasons sit under the connection row:\n{table}");

        let json: Value = serde_json::from_str(&summary.to_json_pretty()).unwrap();
        assert_eq!(json["strategies"]["session"]["connection_failures"]["refused"], 2);
        assert!(json["strategies"]["token"].get("connection_failures").is_none(), "left out when zero");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }
}
