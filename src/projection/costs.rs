//! Unit costs measured from a run's ticks: what one session, one request or one login cost each
//! strategy, each with its spread, the figures it came from, and the range it was measured over.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::measure::{StrategyName, StrategyTick, Tick};
use crate::scenario::{Revocation, Scenario};

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
    /// Node heap bytes per session held: the slope of the nodes' heap against sessions held.
    pub heap_bytes_per_session: Option<UnitCost>,
    /// Shared-store bytes per session: the slope of the store's memory against its sessions.
    pub store_bytes_per_session: Option<UnitCost>,
    /// Mean µs of one auth check (`authlab_auth_check_seconds`).
    pub auth_check_us_per_request: Option<UnitCost>,
    /// The nodes' whole CPU µs per request served, logins apart.
    pub cpu_us_per_request: Option<UnitCost>,
    /// The nodes' CPU µs per login (mostly the password hash), fitted beside `cpu_us_per_request`.
    pub login_cpu_us: Option<UnitCost>,
    /// Store operations per request served.
    pub store_ops_per_request: Option<UnitCost>,
    /// The store server's CPU µs per request served, where it is measured.
    pub store_cpu_us_per_request: Option<UnitCost>,
    /// Credential bytes per request (Cookie or Authorization header).
    pub credential_bytes_per_request: Option<UnitCost>,
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
}

/// One tick of one strategy, with the figures the costs are fitted on.
struct Point<'a> {
    t: f64,
    tick: &'a StrategyTick,
    heap: f64,
    cpu_seconds: f64,
    logins_so_far: f64,
}

impl UnitCosts {
    /// The unit costs of `strategy` over `ticks` (in time order); the first tick, which has no
    /// CPU to difference, counts for memory only.
    pub fn measure(ticks: &[Tick], strategy: StrategyName) -> Self {
        let mut last_cpu = BTreeMap::new();
        let mut logins = 0.0;
        let points: Vec<Point<'_>> = ticks
            .iter()
            .filter_map(|tick| Some((tick.t, tick.strategies.get(&strategy)?)))
            .map(|(t, tick)| {
                logins += tick.logins as f64;
                let heap = tick.nodes.iter().filter(|node| node.up).map(|node| node.heap_bytes as f64).sum();
                Point { t, tick, heap, cpu_seconds: tick.cpu_seconds_since(&mut last_cpu), logins_so_far: logins }
            })
            .collect();
        let requests = |p: &Point<'_>| p.tick.server_requests as f64;
        let served: Vec<&Point<'_>> = points.iter().skip(1).filter(|p| p.tick.server_requests > 0).collect();
        let (per_request, login) = cpu_fit(&served);
        UnitCosts {
            heap_bytes_per_session: slope(
                points.iter().filter(|p| p.tick.sessions_held > 0).map(|p| (p.t, p.tick.sessions_held as f64, p.heap)),
                "slope of the nodes' heap (authlab_heap_bytes) against sessions held, least squares over ticks",
            ),
            store_bytes_per_session: slope(
                points.iter().filter_map(|p| {
                    let s = p.tick.store.as_ref()?;
                    Some((p.t, s.keys? as f64, s.used_memory? as f64))
                }),
                "slope of the store's memory (Redis used_memory, or PostgreSQL's total relation size) against \
                 its keys or rows, least squares over ticks",
            ),
            auth_check_us_per_request: ratio(
                points.iter().skip(1).map(|p| (p.t, p.tick.auth_check_seconds * 1e6, p.tick.auth_checks as f64)),
                "authlab_auth_check_seconds_sum over _count, summed over the nodes and ticks",
            ),
            cpu_us_per_request: per_request,
            login_cpu_us: login,
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
            denylist_bytes_per_entry: slope(
                points
                    .iter()
                    .filter(|p| p.tick.denylist_entries > 0)
                    .map(|p| (p.t, p.tick.denylist_entries as f64, p.heap)),
                "slope of the token nodes' heap against their denylist entries, least squares over ticks",
            )
            .filter(|_| strategy == StrategyName::Token),
            refresh_bytes_per_login: slope(
                points.iter().filter(|p| p.logins_so_far > 0.0).map(|p| (p.t, p.logins_so_far, p.heap)),
                "slope of the token nodes' heap against logins so far (each starts a refresh family)",
            )
            .filter(|_| strategy == StrategyName::Token),
            store_kind: points.iter().find_map(|p| Some(p.tick.store.as_ref()?.kind.clone())),
            sessions_max: points.iter().map(|p| p.tick.sessions_held).max().unwrap_or(0),
            rps_max: points.iter().map(|p| p.tick.throughput_rps).fold(0.0, f64::max),
        }
    }
}

impl UnitCosts {
    /// Leaves out what the scenario's nodes never kept, whatever a fit over their heap says: a
    /// token node without refresh tokens keeps nothing per login, and one without a denylist
    /// keeps no entries.
    pub fn as_configured(mut self, scenario: &Scenario) -> Self {
        if let Some(token) = &scenario.token {
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

/// The nodes' CPU per tick fitted as `a · requests + b · logins` (least squares, no intercept):
/// `a` is the CPU of a request, `b` that of a login. Where logins do not vary apart from requests
/// (the fit is singular), all CPU goes to requests and no login cost is measured.
fn cpu_fit(points: &[&Point<'_>]) -> (Option<UnitCost>, Option<UnitCost>) {
    let rows: Vec<(f64, f64, f64, f64)> = points
        .iter()
        .map(|p| (p.t, p.tick.server_requests as f64, p.tick.logins as f64, p.cpu_seconds * 1e6))
        .collect();
    let spans = |x: fn(&(f64, f64, f64, f64)) -> f64| -> Span {
        span(&rows.iter().map(|r| (r.0, x(r), 0.0)).collect::<Vec<_>>())
    };
    const REQUESTS: &str = "the nodes' CPU time (authlab_cpu_seconds_total) per tick, fitted as a·requests + b·logins";
    let (srr, sll, srl) =
        rows.iter().fold((0.0, 0.0, 0.0), |(rr, ll, rl), r| (rr + r.1 * r.1, ll + r.2 * r.2, rl + r.1 * r.2));
    let (sry, sly) = rows.iter().fold((0.0, 0.0), |(ry, ly), r| (ry + r.1 * r.3, ly + r.2 * r.3));
    let det = srr * sll - srl * srl;
    if rows.len() >= 4 && sll > 0.0 && det > 1e-6 * srr * sll {
        let a = (sry * sll - sly * srl) / det;
        let b = (sly * srr - sry * srl) / det;
        let residuals: f64 = rows.iter().map(|r| (r.3 - a * r.1 - b * r.2).powi(2)).sum();
        let sigma2 = residuals / (rows.len() as f64 - 2.0);
        let (se_a, se_b) = ((sigma2 * sll / det).sqrt(), (sigma2 * srr / det).sqrt());
        if a > 0.0 && b > 0.0 {
            let request = UnitCost { value: a, spread: se_a, source: REQUESTS, measured_over: spans(|r| r.1) };
            let login = UnitCost { value: b, spread: se_b, source: REQUESTS, measured_over: spans(|r| r.2) };
            return (Some(request), Some(login));
        }
    }
    let all = ratio(
        rows.iter().map(|r| (r.0, r.3, r.1)),
        "the nodes' CPU time (authlab_cpu_seconds_total) over the requests they served, logins included",
    );
    (all, None)
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
}
