//! Unit costs measured from a run's ticks: what one session, one request or one login cost each
//! strategy, each with its spread, the figures it came from, and the range it was measured over.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::measure::{StrategyName, StrategyTick, Tick};
use crate::scenario::{Revocation, Scenario};
use crate::session_store::memory_store_table_bytes;
use crate::session_store::tables::redis_table_bytes;
use crate::token::keys::Alg;

/// One measured unit cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCost {
    /// The cost, in the unit its name says (bytes per session, µs per request, ...).
    pub value: f64,
    /// Its spread: the standard error of a fitted slope, or the standard deviation of the
    /// per-tick figures around a ratio.
    pub spread: f64,
    /// Where it comes from, in words: the metric and the method.
    pub source: &'static str,
    /// The stretch of the run it was measured over.
    pub measured_over: Span,
}

/// The stretch of a run a cost was measured over: its seconds, and the range of the quantity the
/// cost is per (sessions, requests/s, entries...).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    /// First tick's time, seconds since the start.
    pub t_from: f64,
    /// Last tick's time.
    pub t_to: f64,
    /// Ticks that went into it.
    pub ticks: usize,
    /// The smallest and largest value of what the cost is per, over those ticks.
    pub x_min: f64,
    /// See `x_min`.
    pub x_max: f64,
}

/// Everything a projection needs, measured for one strategy; a cost the run could not measure is
/// `None` (a token node holds no sessions; a memory store has no store bytes).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnitCosts {
    /// Node heap bytes per session held, beyond the memory store's hash tables (which grow in
    /// steps and are modelled apart: [`memory_store_table_bytes`]).
    pub heap_bytes_per_session: Option<UnitCost>,
    /// Shared-store bytes per session held, beyond Redis's bucket arrays (modelled apart:
    /// [`redis_table_bytes`]).
    pub store_bytes_per_session: Option<UnitCost>,
    /// Redis keys per session held (the session, and its user's index set), for the bucket model.
    pub store_keys_per_session: Option<UnitCost>,
    /// Mean µs of one auth check (`authlab_auth_check_seconds`).
    pub auth_check_us_per_request: Option<UnitCost>,
    /// The nodes' whole CPU µs per request served, logins apart.
    pub cpu_us_per_request: Option<UnitCost>,
    /// The nodes' CPU µs per login (mostly the password hash), fitted beside `cpu_us_per_request`.
    pub login_cpu_us: Option<UnitCost>,
    /// The CPU µs a node spends per second of being up, whatever it serves (the lab's scrapes,
    /// sweeps, timers), fitted beside `cpu_us_per_request`.
    pub idle_cpu_us_per_node_second: Option<UnitCost>,
    /// Store operations per request served.
    pub store_ops_per_request: Option<UnitCost>,
    /// The store server's CPU µs per request served, where it is measured.
    pub store_cpu_us_per_request: Option<UnitCost>,
    /// Credential bytes per request (Cookie or Authorization header).
    pub credential_bytes_per_request: Option<UnitCost>,
    /// Node heap bytes per open client connection (the server's buffers), whoever is logged in.
    pub connection_bytes: Option<UnitCost>,
    /// Token nodes: heap bytes per denylist entry.
    pub denylist_bytes_per_entry: Option<UnitCost>,
    /// Token nodes: heap bytes per login (the refresh family each login starts).
    pub refresh_bytes_per_login: Option<UnitCost>,
    /// The session store's kind (`memory`, `redis`, `postgres`), from the ticks; `None` for tokens.
    pub store_kind: Option<String>,
    /// The most sessions held and the most requests/s the run reached.
    pub sessions_max: u64,
    /// See `sessions_max`.
    pub rps_max: f64,
    /// The most client connections the nodes had open at once.
    pub connections_max: u64,
    /// The most denylist entries the nodes held at once.
    pub denylist_entries_max: u64,
    /// Token nodes: the run's signing algorithm and extra claims bytes (from its scenario; `None`
    /// for a recording without one), which an [`Inputs::algorithm`](super::Inputs) is set against.
    #[serde(skip)]
    pub algorithm: Option<(Alg, usize)>,
    /// Session nodes: the run's payload bytes per session (from its scenario), which an
    /// [`Inputs::payload_bytes`](super::Inputs) is set against.
    #[serde(skip)]
    pub payload_bytes: Option<usize>,
}

/// One tick of one strategy, with the figures the costs are fitted on.
struct Point<'a> {
    t: f64,
    tick: &'a StrategyTick,
    /// The nodes' heap, less what the memory store's tables are modelled to take.
    heap: f64,
    connections: f64,
    cpu_seconds: f64,
    /// Nodes up times the tick's seconds.
    node_seconds: f64,
    /// Whether every node up had been read before (its CPU this tick is a difference).
    cpu_known: bool,
    /// Whether every node the strategy has had is up (a dead node's heap is missing from `heap`).
    all_up: bool,
    logins_so_far: f64,
}

impl UnitCosts {
    /// The unit costs of `strategy` over `ticks` (in time order). A tick where a node is read for
    /// the first time (or again after a restart) counts for memory only: it has no CPU to
    /// difference.
    pub fn measure(ticks: &[Tick], strategy: StrategyName) -> Self {
        let mut last_cpu: BTreeMap<String, f64> = BTreeMap::new();
        let mut most_held: BTreeMap<String, u64> = BTreeMap::new();
        let mut logins = 0.0;
        let memory_store = |tick: &StrategyTick| {
            strategy == StrategyName::Session && tick.store.as_ref().is_none_or(|s| s.kind == "memory")
        };
        let points: Vec<Point<'_>> = ticks
            .iter()
            .filter_map(|tick| Some((tick.t, tick.interval_s, tick.strategies.get(&strategy)?)))
            .map(|(t, interval_s, tick)| {
                logins += tick.logins as f64;
                let up = || tick.nodes.iter().filter(|node| node.up);
                let cpu_known =
                    up().all(|node| last_cpu.get(&node.id).is_some_and(|&before| before <= node.cpu_seconds));
                let mut tables = 0.0;
                for node in up() {
                    // A table never shrinks: it is as big as the most it has held.
                    let held = most_held.entry(node.id.clone()).or_default();
                    *held = (*held).max(node.sessions);
                    if memory_store(tick) {
                        tables += memory_store_table_bytes(*held as f64);
                    }
                }
                let heap = up().map(|node| node.heap_bytes as f64).sum::<f64>() - tables;
                Point {
                    t,
                    tick,
                    heap,
                    connections: up().map(|node| node.connections as f64).sum(),
                    node_seconds: up().count() as f64 * interval_s,
                    cpu_seconds: tick.cpu_seconds_since(&mut last_cpu),
                    cpu_known,
                    all_up: tick.nodes.iter().all(|node| node.up),
                    logins_so_far: logins,
                }
            })
            .collect();
        let requests = |p: &Point<'_>| p.tick.server_requests as f64;
        let served: Vec<&Point<'_>> = points.iter().filter(|p| p.cpu_known && p.tick.server_requests > 0).collect();
        let (per_request, login, idle) = cpu_fit(&served);
        let heap = heap_fit(&points, strategy);
        UnitCosts {
            heap_bytes_per_session: heap.sessions,
            store_bytes_per_session: slope(
                points.iter().filter_map(|p| {
                    let s = p.tick.store.as_ref()?;
                    let tables = if s.kind == "redis" { redis_table_bytes(s.keys?) as f64 } else { 0.0 };
                    Some((p.t, p.tick.sessions_held as f64, s.used_memory? as f64 - tables))
                }),
                "slope of the store's memory (Redis used_memory less its bucket arrays, or PostgreSQL's total \
                 relation size) against sessions held, least squares over ticks",
            ),
            store_keys_per_session: ratio(
                points.iter().filter_map(|p| {
                    let s = p.tick.store.as_ref().filter(|s| s.kind == "redis")?;
                    Some((p.t, s.keys? as f64, p.tick.sessions_held as f64))
                }),
                "the run's Redis keys over its sessions held",
            ),
            auth_check_us_per_request: ratio(
                points.iter().skip(1).map(|p| (p.t, p.tick.auth_check_seconds * 1e6, p.tick.auth_checks as f64)),
                "authlab_auth_check_seconds_sum over _count, summed over the nodes and ticks",
            ),
            cpu_us_per_request: per_request,
            login_cpu_us: login,
            idle_cpu_us_per_node_second: idle,
            store_ops_per_request: ratio(
                served.iter().filter_map(|p| Some((p.t, p.tick.store.as_ref()?.ops as f64, requests(p)))),
                "the nodes' store operations (authlab_store_ops_total) over the requests they served",
            ),
            store_cpu_us_per_request: ratio(
                served.iter().filter_map(|p| Some((p.t, p.tick.store.as_ref()?.cpu_seconds? * 1e6, requests(p)))),
                "CPU time of the store's server processes serving the nodes over the requests served",
            ),
            credential_bytes_per_request: ratio(
                points.iter().filter(|p| p.tick.credential_bytes_per_request > 0.0).map(|p| {
                    let n = p.tick.requests.total() as f64;
                    (p.t, p.tick.credential_bytes_per_request * n, n)
                }),
                "Cookie or Authorization header bytes the driver sent, over its requests",
            ),
            connection_bytes: heap.connections,
            denylist_bytes_per_entry: heap.denylist,
            refresh_bytes_per_login: heap.refresh,
            store_kind: points.iter().find_map(|p| Some(p.tick.store.as_ref()?.kind.clone())),
            sessions_max: points.iter().map(|p| p.tick.sessions_held).max().unwrap_or(0),
            rps_max: points.iter().map(|p| p.tick.throughput_rps).fold(0.0, f64::max),
            connections_max: points.iter().map(|p| p.connections as u64).max().unwrap_or(0),
            denylist_entries_max: points.iter().map(|p| p.tick.denylist_entries).max().unwrap_or(0),
            algorithm: None,
            payload_bytes: None,
        }
    }
}

/// Seconds at the start of a run that the heap fit leaves out (see [`heap_fit`]).
const WARM_UP_S: f64 = 1.0;

/// One figure of a tick that the heap is fitted against.
type Regressor = fn(&Point<'_>) -> f64;

/// What the nodes' heap was fitted on, each `None` where the run did not move it (or moved it in
/// step with one fitted before it, so that the two cannot be told apart).
struct HeapFit {
    sessions: Option<UnitCost>,
    connections: Option<UnitCost>,
    refresh: Option<UnitCost>,
    denylist: Option<UnitCost>,
}

/// The nodes' heap (less the memory store's modelled tables) fitted at once as
/// `base + a·sessions + c·connections (+ r·logins + d·denylist entries on token nodes)`, over the
/// ticks where every node was up: one regression, so that connections opening while sessions
/// pile up are not counted as session memory.
fn heap_fit(points: &[Point<'_>], strategy: StrategyName) -> HeapFit {
    const HEAP: &str = "the nodes' heap (authlab_heap_bytes, less the memory store's modelled hash tables) fitted \
                        as base + a·sessions + c·connections (+ r·logins + d·denylist entries), least squares over \
                        the ticks after the first second where every node was up";
    let mut regressors: Vec<Regressor> = vec![|p| p.tick.sessions_held as f64, |p| p.connections];
    if strategy == StrategyName::Token {
        regressors.push(|p| p.logins_so_far);
        regressors.push(|p| p.tick.denylist_entries as f64);
    }
    // The first second is warm-up: buffers and caches made once, as the first connections and
    // requests arrive, are neither per session nor per connection. Runs shorter than that keep it.
    let settled: Vec<&Point<'_>> = points.iter().filter(|p| p.all_up && p.t >= WARM_UP_S).collect();
    let rows = if settled.len() >= 5 { settled } else { points.iter().filter(|p| p.all_up).collect() };
    let xs: Vec<Vec<f64>> = rows.iter().map(|p| regressors.iter().map(|x| x(p)).collect()).collect();
    let ys: Vec<f64> = rows.iter().map(|p| p.heap).collect();
    let fitted = least_squares(&xs, &ys, true);
    let cost = |i: usize| {
        let (value, spread) = fitted.get(i).copied().flatten()?;
        let x = regressors[i];
        let xs: Vec<_> = rows.iter().map(|p| (p.t, x(p), 0.0)).collect();
        Some(UnitCost { value, spread, source: HEAP, measured_over: span(&xs) })
    };
    let session_side = strategy == StrategyName::Session;
    HeapFit { sessions: cost(0).filter(|_| session_side), connections: cost(1), refresh: cost(2), denylist: cost(3) }
}

/// Ordinary least squares of `ys` on the regressors of `xs` (one row per observation, one column
/// per regressor), and an intercept if `intercept`: for each regressor, its coefficient and
/// standard error, or `None` where it did not vary apart from the intercept and the regressors
/// before it (those are left out of the fit).
fn least_squares(xs: &[Vec<f64>], ys: &[f64], intercept: bool) -> Vec<Option<(f64, f64)>> {
    let n = xs.len().min(ys.len());
    let columns = xs.first().map_or(0, Vec::len);
    // Columns kept: the intercept, then each regressor that is not (nearly) a combination of
    // those kept before it, judged by the Gram-Schmidt residual of its centred column.
    let mut kept: Vec<usize> = Vec::new();
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for i in 0..columns {
        let column: Vec<f64> = xs.iter().map(|row| row.get(i).copied().unwrap_or(0.0)).collect();
        let mean = if intercept { column.iter().sum::<f64>() / n.max(1) as f64 } else { 0.0 };
        let mut residual: Vec<f64> = column.iter().map(|v| v - mean).collect();
        let norm = residual.iter().map(|v| v * v).sum::<f64>().sqrt();
        for b in &basis {
            let dot: f64 = residual.iter().zip(b).map(|(r, b)| r * b).sum();
            residual.iter_mut().zip(b).for_each(|(r, b)| *r -= dot * b);
        }
        let left = residual.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 && left > 1e-3 * norm {
            basis.push(residual.into_iter().map(|v| v / left).collect());
            kept.push(i);
        }
    }
    let mut out = vec![None; columns];
    let offset = usize::from(intercept);
    let k = kept.len() + offset;
    if n < k + 2 {
        return out;
    }
    // The normal equations (XᵀX) β = Xᵀy, with X = [1, kept regressors].
    let design: Vec<Vec<f64>> = xs
        .iter()
        .map(|row| {
            let x = kept.iter().map(|&i| row.get(i).copied().unwrap_or(0.0));
            if intercept { std::iter::once(1.0).chain(x).collect() } else { x.collect() }
        })
        .collect();
    let mut xtx = vec![vec![0.0; k]; k];
    let mut xty = vec![0.0; k];
    for (row, yv) in design.iter().zip(ys) {
        for a in 0..k {
            xty[a] += row[a] * yv;
            for b in 0..k {
                xtx[a][b] += row[a] * row[b];
            }
        }
    }
    let Some(inverse) = invert(xtx) else { return out };
    let beta: Vec<f64> = (0..k).map(|a| (0..k).map(|b| inverse[a][b] * xty[b]).sum()).collect();
    let residuals: f64 = design
        .iter()
        .zip(ys)
        .map(|(row, yv)| (yv - row.iter().zip(&beta).map(|(x, b)| x * b).sum::<f64>()).powi(2))
        .sum();
    let sigma2 = residuals / (n - k) as f64;
    for (j, &i) in kept.iter().enumerate() {
        out[i] = Some((beta[j + offset], (sigma2 * inverse[j + offset][j + offset]).max(0.0).sqrt()));
    }
    out
}

/// The inverse of a small square matrix by Gauss-Jordan elimination with partial pivoting;
/// `None` when it is singular.
fn invert(mut m: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let k = m.len();
    let mut inv: Vec<Vec<f64>> = (0..k).map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    for col in 0..k {
        let pivot = (col..k).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-300 {
            return None;
        }
        m.swap(col, pivot);
        inv.swap(col, pivot);
        let p = m[col][col];
        m[col].iter_mut().for_each(|v| *v /= p);
        inv[col].iter_mut().for_each(|v| *v /= p);
        for row in 0..k {
            if row != col {
                let f = m[row][col];
                if f != 0.0 {
                    for j in 0..k {
                        m[row][j] -= f * m[col][j];
                        inv[row][j] -= f * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

impl UnitCosts {
    /// Leaves out what the scenario's nodes never kept, whatever a fit over their heap says: a
    /// token node without refresh tokens keeps nothing per login, and one without a denylist
    /// keeps no entries.
    pub fn as_configured(mut self, scenario: &Scenario) -> Self {
        if let Some(session) = &scenario.session {
            self.payload_bytes = Some(session.payload_bytes);
        }
        if let Some(token) = &scenario.token {
            self.algorithm = Some((token.algorithm, token.claims_bytes));
            if !token.refresh {
                self.refresh_bytes_per_login = None;
            }
            if token.revocation != Revocation::Denylist {
                self.denylist_bytes_per_entry = None;
            }
        }
        self
    }
}

/// The range of the points' `x` and times.
fn span(points: &[(f64, f64, f64)]) -> Span {
    Span {
        t_from: points.first().map_or(0.0, |p| p.0),
        t_to: points.last().map_or(0.0, |p| p.0),
        ticks: points.len(),
        x_min: points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min),
        x_max: points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
    }
}

/// The least-squares slope of `y` against `x` over `(t, x, y)` points, with its standard error;
/// `None` with fewer than three points or no spread in `x`.
fn slope(points: impl Iterator<Item = (f64, f64, f64)>, source: &'static str) -> Option<UnitCost> {
    let points: Vec<_> = points.collect();
    let n = points.len() as f64;
    if points.len() < 3 {
        return None;
    }
    let (mx, my) = (points.iter().map(|p| p.1).sum::<f64>() / n, points.iter().map(|p| p.2).sum::<f64>() / n);
    let sxx: f64 = points.iter().map(|p| (p.1 - mx).powi(2)).sum();
    if sxx <= f64::EPSILON * n {
        return None;
    }
    let b = points.iter().map(|p| (p.1 - mx) * (p.2 - my)).sum::<f64>() / sxx;
    let residuals: f64 = points.iter().map(|p| (p.2 - my - b * (p.1 - mx)).powi(2)).sum();
    let spread = (residuals / (n - 2.0) / sxx).sqrt();
    Some(UnitCost { value: b, spread, source, measured_over: span(&points) })
}

/// Σ numerator over Σ denominator of `(t, numerator, denominator)` points, with the standard
/// deviation of the per-point ratios (weighted by denominator) as its spread; `None` when nothing
/// was counted.
fn ratio(points: impl Iterator<Item = (f64, f64, f64)>, source: &'static str) -> Option<UnitCost> {
    let points: Vec<_> = points.filter(|p| p.2 > 0.0).collect();
    let total: f64 = points.iter().map(|p| p.2).sum();
    if total <= 0.0 {
        return None;
    }
    let value = points.iter().map(|p| p.1).sum::<f64>() / total;
    let variance = points.iter().map(|p| p.2 * (p.1 / p.2 - value).powi(2)).sum::<f64>() / total;
    let spans: Vec<_> = points.iter().map(|&(t, _, d)| (t, d, 0.0)).collect();
    Some(UnitCost { value, spread: variance.sqrt(), source, measured_over: span(&spans) })
}

/// The nodes' CPU per tick fitted as `a · requests + b · logins + c · node-seconds` (least
/// squares, no intercept): `a` is the CPU of a request, `b` that of a login, `c` what a node
/// spends being up whatever it serves (scrapes, sweeps, timers). Where logins (or the node-seconds)
/// do not vary apart from requests, they are left out and their CPU goes to requests; with
/// neither, the CPU per request is a plain ratio, logins included.
fn cpu_fit(points: &[&Point<'_>]) -> (Option<UnitCost>, Option<UnitCost>, Option<UnitCost>) {
    const SOURCE: &str =
        "the nodes' CPU time (authlab_cpu_seconds_total) per tick, fitted as a·requests + b·logins + c·node-seconds";
    let column = |x: fn(&Point<'_>) -> f64| -> Vec<f64> { points.iter().map(|p| x(p)).collect() };
    let columns: [Vec<f64>; 3] =
        [column(|p| p.tick.server_requests as f64), column(|p| p.tick.logins as f64), column(|p| p.node_seconds)];
    let ys = column(|p| p.cpu_seconds * 1e6);
    let cost = |i: usize, (value, spread): (f64, f64)| {
        let xs: Vec<_> = points.iter().zip(&columns[i]).map(|(p, &x)| (p.t, x, 0.0)).collect();
        UnitCost { value, spread, source: SOURCE, measured_over: span(&xs) }
    };
    // All three, then without logins, then without the node-seconds: the first fit whose kept
    // coefficients are all positive and clear of their own error (twice the standard error), so
    // that logins moving nearly in step with requests do not buy a wild pair of coefficients.
    for kept in [&[0, 1, 2][..], &[0, 2], &[0, 1]] {
        let xs: Vec<Vec<f64>> = (0..points.len()).map(|row| kept.iter().map(|&i| columns[i][row]).collect()).collect();
        let fitted = least_squares(&xs, &ys, false);
        if points.len() >= 4 && fitted.iter().all(|f| f.is_some_and(|(value, spread)| value > 2.0 * spread)) {
            let mut out = [None, None, None];
            for (&i, f) in kept.iter().zip(fitted) {
                out[i] = f.map(|f| cost(i, f));
            }
            let [request, login, idle] = out;
            return (request, login, idle);
        }
    }
    let all = ratio(
        points.iter().map(|p| (p.t, p.cpu_seconds * 1e6, p.tick.server_requests as f64)),
        "the nodes' CPU time (authlab_cpu_seconds_total) over the requests they served, logins included",
    );
    (all, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slope_is_fitted_not_a_ratio_of_two_points() {
        // 1 MB of baseline, then 300 B per session: the slope is 300, whatever the baseline.
        let points = (1..=10).map(|i| (i as f64, 1000.0 * i as f64, 1_000_000.0 + 300_000.0 * i as f64));
        let cost = slope(points, "test").expect("a slope");
        assert!((cost.value - 300.0).abs() < 1e-9 && cost.spread < 1e-6, "{cost:?}");
        assert_eq!(
            (cost.measured_over.x_min, cost.measured_over.x_max, cost.measured_over.ticks),
            (1000.0, 10_000.0, 10)
        );
        assert!(slope([(0.0, 5.0, 1.0), (1.0, 5.0, 2.0), (2.0, 5.0, 3.0)].into_iter(), "flat x").is_none());
    }

    #[test]
    fn a_ratio_is_weighted_by_what_it_is_per() {
        let cost = ratio([(0.0, 100.0, 10.0), (1.0, 300.0, 10.0)].into_iter(), "test").expect("a ratio");
        assert_eq!((cost.value, cost.spread), (20.0, 10.0));
        assert!(ratio([(0.0, 1.0, 0.0)].into_iter(), "nothing counted").is_none());
    }

    #[test]
    fn the_heap_fit_tells_connections_apart_from_sessions() {
        use crate::measure::NodeTick;
        // Connections open during the first 10 ticks while sessions pile up all along: 1 MB of
        // baseline, 300 B per session (beyond the tables) and 40 kB per connection.
        let ticks: Vec<Tick> = (0..40u64)
            .map(|i| {
                let (sessions, connections) = (500 * i, 6 * i.min(10));
                let heap = 1_000_000.0
                    + 300.0 * sessions as f64
                    + 40_000.0 * connections as f64
                    + memory_store_table_bytes(sessions as f64);
                let node = NodeTick {
                    id: "session/1".into(),
                    up: true,
                    heap_bytes: heap.round() as u64,
                    sessions,
                    connections,
                    ..NodeTick::default()
                };
                let tick = StrategyTick { sessions_held: sessions, nodes: vec![node], ..StrategyTick::default() };
                Tick { t: i as f64, strategies: [(StrategyName::Session, tick)].into(), ..Tick::default() }
            })
            .collect();
        let costs = UnitCosts::measure(&ticks, StrategyName::Session);
        let (session, connection) =
            (costs.heap_bytes_per_session.expect("fitted"), costs.connection_bytes.expect("fitted"));
        assert!((session.value - 300.0).abs() < 0.5, "{session:?}");
        assert!((connection.value - 40_000.0).abs() < 50.0, "{connection:?}");
        assert_eq!(costs.connections_max, 60);
    }

    #[test]
    fn a_figure_that_moves_in_step_with_another_is_not_fitted_twice() {
        // Sessions and connections grow together: the fit cannot tell them apart, so it keeps
        // the first and says nothing of the second.
        let xs: Vec<Vec<f64>> = (0..20).map(|i| vec![f64::from(i), 2.0 * f64::from(i)]).collect();
        let ys: Vec<f64> = (0..20).map(|i| 5.0 + 7.0 * f64::from(i)).collect();
        let fitted = least_squares(&xs, &ys, true);
        assert!(fitted[0].is_some_and(|(b, _)| (b - 7.0).abs() < 1e-9) && fitted[1].is_none(), "{fitted:?}");
    }
}
