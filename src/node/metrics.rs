//! The node's own measurements, and their Prometheus text exposition (`GET /metrics`).
//!
//! Everything on the request path is a relaxed atomic add: no lock, no allocation.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::heap;
use crate::measure::buckets::Histogram;
use crate::process_stats::ProcessStats;
use crate::session_store::{StoreOp, StoreOps};
use crate::token::access::AuthError;

/// The `reason` labels of `authlab_auth_failures_total`: a bearer token's classes of refusal,
/// then a session node's one (no live session for the cookie, or no cookie).
const AUTH_FAILURE_REASONS: usize = AuthError::ALL.len() + 1;
const NO_SESSION_REASON: &str = "no_session";

/// The routes a node serves, as metric labels; the last stands for every unknown path.
pub const ROUTES: [&str; 12] = [
    "/login",
    "/api/profile",
    "/api/orders",
    "/introspect",
    "/logout",
    "/refresh",
    "/.well-known/jwks.json",
    "/healthz",
    "/metrics",
    "/admin/revoke_user",
    "/admin/reload_keys",
    "unmatched",
];
const STATUSES: usize = 600;

/// Upper bounds of the auth-check histogram, in seconds.
const AUTH_CHECK_BOUNDS: [f64; 18] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1.0,
];

/// A value a strategy adds to `/metrics` (sessions held, denylist size, ...).
#[derive(Debug, Clone, Copy)]
pub struct Gauge {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) counter: bool,
    pub(crate) value: f64,
}

impl Gauge {
    pub(crate) fn level(name: &'static str, help: &'static str, value: f64) -> Self {
        Self { name, help, counter: false, value }
    }

    pub(crate) fn counter(name: &'static str, help: &'static str, value: f64) -> Self {
        Self { name, help, counter: true, value }
    }
}

/// The node's counters.
pub struct NodeMetrics {
    requests: Vec<AtomicU64>,
    pub(crate) auth_check: Histogram,
    pub(crate) store_ops: std::sync::Arc<StoreOps>,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    /// Refused callers, one counter per reason (in the order of [`AuthError::ALL`], then
    /// `no_session`).
    auth_failures: [AtomicU64; AUTH_FAILURE_REASONS],
    /// Client connections open now (counted by the node's listener).
    pub(crate) connections_open: std::sync::Arc<AtomicU64>,
    process: ProcessStats,
}

impl Default for NodeMetrics {
    fn default() -> Self {
        Self {
            requests: (0..ROUTES.len() * STATUSES).map(|_| AtomicU64::new(0)).collect(),
            auth_check: Histogram::new(&AUTH_CHECK_BOUNDS),
            store_ops: Default::default(),
            logins_ok: AtomicU64::new(0),
            logins_failed: AtomicU64::new(0),
            auth_failures: std::array::from_fn(|_| AtomicU64::new(0)),
            connections_open: Default::default(),
            process: ProcessStats::for_this_process(),
        }
    }
}

impl NodeMetrics {
    /// Counts one answered request; `route` is the matched path, or `None` when no route matched.
    pub fn count_request(&self, route: Option<&str>, status: u16) {
        let route = route.and_then(|r| ROUTES.iter().position(|&known| known == r)).unwrap_or(ROUTES.len() - 1);
        let status = (status as usize).min(STATUSES - 1);
        self.requests[route * STATUSES + status].fetch_add(1, Relaxed);
    }

    /// Requests answered on `route` with `status` so far.
    pub fn requests(&self, route: &str, status: u16) -> u64 {
        ROUTES
            .iter()
            .position(|&r| r == route)
            .map_or(0, |i| self.requests[i * STATUSES + status as usize].load(Relaxed))
    }

    pub(crate) fn count_login(&self, ok: bool) {
        if ok { &self.logins_ok } else { &self.logins_failed }.fetch_add(1, Relaxed);
    }

    /// Counts a caller refused for `why` (a bearer token's class of failure).
    pub fn count_auth_failure(&self, why: AuthError) {
        let i = AuthError::ALL.iter().position(|&class| class == why).unwrap_or(0);
        self.auth_failures[i].fetch_add(1, Relaxed);
    }

    /// Counts a session node's caller with no live session.
    pub fn count_no_session(&self) {
        self.auth_failures[AUTH_FAILURE_REASONS - 1].fetch_add(1, Relaxed);
    }

    /// Callers refused with this `reason` label so far.
    pub fn auth_failures(&self, reason: &str) -> u64 {
        (0..AUTH_FAILURE_REASONS)
            .find(|&i| Self::reason(i) == reason)
            .map_or(0, |i| self.auth_failures[i].load(Relaxed))
    }

    fn reason(i: usize) -> &'static str {
        AuthError::ALL.get(i).map_or(NO_SESSION_REASON, AuthError::reason)
    }

    /// The whole exposition: the common metrics, then the strategy's gauges.
    pub fn render(&self, strategy_gauges: &[Gauge]) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP authlab_requests_total Requests answered, by matched route and status.\n");
        out.push_str("# TYPE authlab_requests_total counter\n");
        for (r, route) in ROUTES.iter().enumerate() {
            for status in 0..STATUSES {
                let n = self.requests[r * STATUSES + status].load(Relaxed);
                if n > 0 {
                    let _ = writeln!(out, "authlab_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
                }
            }
        }
        out.push_str("# HELP authlab_logins_total Login attempts, by result.\n# TYPE authlab_logins_total counter\n");
        let _ = writeln!(out, "authlab_logins_total{{result=\"ok\"}} {}", self.logins_ok.load(Relaxed));
        let _ = writeln!(out, "authlab_logins_total{{result=\"failed\"}} {}", self.logins_failed.load(Relaxed));
        out.push_str("# HELP authlab_auth_failures_total Callers refused by the auth check, by reason ");
        out.push_str("(the 401's class; its detail is in the node's debug log).\n");
        out.push_str("# TYPE authlab_auth_failures_total counter\n");
        for (i, count) in self.auth_failures.iter().enumerate() {
            let (reason, n) = (Self::reason(i), count.load(Relaxed));
            let _ = writeln!(out, "authlab_auth_failures_total{{reason=\"{reason}\"}} {n}");
        }
        out.push_str("# HELP authlab_store_ops_total Session store operations, by kind.\n");
        out.push_str("# TYPE authlab_store_ops_total counter\n");
        for op in StoreOp::ALL {
            let _ = writeln!(out, "authlab_store_ops_total{{op=\"{}\"}} {}", op.label(), self.store_ops.get(op));
        }
        self.store_ops.round_trips.render(
            &mut out,
            "authlab_store_round_trip_seconds",
            "Time from a session-store call to its answer (about one network round trip to a remote store).",
        );
        self.auth_check.render(
            &mut out,
            "authlab_auth_check_seconds",
            "Time spent deciding who the caller is (session lookup or token verification).",
        );
        let process = self.process.sample();
        let heap = heap::heap_bytes();
        let mut gauges = vec![
            Gauge {
                name: "authlab_heap_bytes",
                help: "Live heap bytes, from the counting global allocator (-1 if not installed).",
                counter: false,
                value: heap.map_or(-1.0, |b| b as f64),
            },
            Gauge {
                name: "authlab_rss_bytes",
                help: "Resident set size, from the OS.",
                counter: false,
                value: process.rss_bytes as f64,
            },
            Gauge {
                name: "authlab_cpu_seconds_total",
                help: "CPU time used by the node process, from the OS.",
                counter: true,
                value: process.cpu_seconds,
            },
            Gauge {
                name: "authlab_connections_open",
                help: "Client connections open now: each holds the server's buffers, whoever is logged in.",
                counter: false,
                value: self.connections_open.load(Relaxed) as f64,
            },
        ];
        gauges.extend_from_slice(strategy_gauges);
        for g in gauges {
            let kind = if g.counter { "counter" } else { "gauge" };
            let _ = writeln!(out, "# HELP {} {}\n# TYPE {} {kind}\n{} {}", g.name, g.help, g.name, g.name, g.value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status() {
        let m = NodeMetrics::default();
        m.count_request(Some("/login"), 200);
        m.count_request(Some("/login"), 200);
        m.count_request(None, 404);
        let text = m.render(&[]);
        assert!(text.contains("authlab_requests_total{route=\"/login\",status=\"200\"} 2\n"));
        assert!(text.contains("authlab_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
        assert_eq!(m.requests("/login", 200), 2);
    }

    #[test]
    fn auth_failures_are_counted_by_reason() {
        let m = NodeMetrics::default();
        m.count_auth_failure(AuthError::Expired);
        m.count_auth_failure(AuthError::Expired);
        m.count_auth_failure(AuthError::BadSignature);
        m.count_no_session();
        let text = m.render(&[]);
        assert!(text.contains("authlab_auth_failures_total{reason=\"expired\"} 2\n"), "{text}");
        assert!(text.contains("authlab_auth_failures_total{reason=\"bad_signature\"} 1\n"));
        assert!(text.contains("authlab_auth_failures_total{reason=\"no_session\"} 1\n"));
        assert!(text.contains("authlab_auth_failures_total{reason=\"revoked\"} 0\n"));
        assert_eq!(m.auth_failures("expired"), 2);
    }
}
