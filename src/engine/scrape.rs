//! Reading a node's `/metrics` (Prometheus text) into the figures a tick carries.

use std::time::Duration;

use crate::measure::buckets::Buckets;

/// Routes that carry the lab's load (scrapes, health checks and admin calls are not load).
const LOAD_ROUTES: [&str; 6] = ["/login", "/api/profile", "/logout", "/refresh", "/api/orders", "unmatched"];
/// Routes a resource service calls on the issuer: session introspection, token JWKS fetches.
const ISSUER_ROUTES: [&str; 2] = ["/introspect", "/.well-known/jwks.json"];

/// What one scrape of one node said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeReading {
    pub heap_bytes: u64,
    pub rss_bytes: u64,
    pub cpu_seconds: f64,
    pub sessions: u64,
    /// Client connections open now.
    pub connections: u64,
    /// Cumulative requests on the load routes.
    pub load_requests: u64,
    /// Cumulative requests on every route.
    pub requests_total: u64,
    /// Cumulative session-store operations.
    pub store_ops: u64,
    /// Cumulative session-store round trips, by time taken (`authlab_store_round_trip_seconds`).
    pub store_round_trips: Buckets,
    /// Cumulative failed sweeps of expired sessions (PostgreSQL store).
    pub store_sweep_errors: u64,
    pub denylist_entries: u64,
    /// Cumulative requests a resource service made to this node (introspections, JWKS fetches).
    pub issuer_requests: u64,
    /// Users revoked by the admin API whose older access tokens are refused.
    pub revoked_users: u64,
    /// Cumulative auth checks (`authlab_auth_check_seconds_count`) and the seconds they took (`_sum`).
    pub auth_checks: u64,
    pub auth_check_seconds: f64,
    pub simulated: bool,
}

/// The value of a label in a `{a="x",b="y"}` label set.
fn label<'a>(labels: &'a str, name: &str) -> Option<&'a str> {
    labels.split(',').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"'))
    })
}

/// Each sample of a Prometheus text exposition: its metric name, its label set (`a="x",b="y"`, or
/// empty) and its value. Comments, blank and unreadable lines are skipped.
pub(crate) fn samples(text: &str) -> impl Iterator<Item = (&str, &str, f64)> {
    text.lines().filter(|line| !line.starts_with('#')).filter_map(|line| {
        let (series, value) = line.trim().rsplit_once(' ')?;
        let value = value.parse::<f64>().ok()?;
        Some(match series.split_once('{') {
            Some((name, rest)) => (name, rest.trim_end_matches('}'), value),
            None => (series, "", value),
        })
    })
}

/// Parses the exposition text; unknown metrics are ignored.
pub fn parse_metrics(text: &str) -> NodeReading {
    let mut reading = NodeReading::default();
    let mut round_trips = Vec::new();
    for (name, labels, value) in samples(text) {
        let whole = value.max(0.0) as u64;
        match name {
            "authlab_heap_bytes" => reading.heap_bytes = whole,
            "authlab_rss_bytes" => reading.rss_bytes = whole,
            "authlab_cpu_seconds_total" => reading.cpu_seconds = value,
            "authlab_sessions" => reading.sessions = whole,
            "authlab_connections_open" => reading.connections = whole,
            "authlab_store_ops_total" => reading.store_ops += whole,
            "authlab_store_round_trip_seconds_bucket" => {
                let bound =
                    label(labels, "le").and_then(|le| if le == "+Inf" { Some(f64::INFINITY) } else { le.parse().ok() });
                if let Some(bound) = bound {
                    round_trips.push((bound, whole));
                }
            }
            "authlab_store_sweep_errors_total" => reading.store_sweep_errors = whole,
            "authlab_denylist_entries" => reading.denylist_entries = whole,
            "authlab_revoked_subjects" => reading.revoked_users = whole,
            "authlab_simulated" => reading.simulated = value > 0.0,
            "authlab_auth_check_seconds_count" => reading.auth_checks = whole,
            "authlab_auth_check_seconds_sum" => reading.auth_check_seconds = value,
            "authlab_requests_total" => {
                reading.requests_total += whole;
                let route = label(labels, "route");
                if route.is_some_and(|r| LOAD_ROUTES.contains(&r)) {
                    reading.load_requests += whole;
                }
                if route.is_some_and(|r| ISSUER_ROUTES.contains(&r)) {
                    reading.issuer_requests += whole;
                }
            }
            _ => {}
        }
    }
    reading.store_round_trips = Buckets::from_cumulative(&round_trips);
    reading
}

/// Scrapes `url/metrics`; `None` if the node did not answer in time.
pub async fn scrape(client: &reqwest::Client, url: &str, timeout: Duration) -> Option<NodeReading> {
    let response = client.get(format!("{url}/metrics")).timeout(timeout).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    Some(parse_metrics(&response.text().await.ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_a_resource_service_asked_of_the_issuer() {
        let text = "authlab_requests_total{route=\"/introspect\",status=\"200\"} 7\n\
            authlab_requests_total{route=\"/.well-known/jwks.json\",status=\"200\"} 2\n\
            authlab_requests_total{route=\"/api/orders\",status=\"200\"} 5\n";
        let r = parse_metrics(text);
        assert_eq!((r.issuer_requests, r.load_requests, r.requests_total), (9, 5, 14));
    }

    #[test]
    fn reads_the_figures_a_tick_needs() {
        let text = "# HELP x\n\
            authlab_requests_total{route=\"/login\",status=\"200\"} 5\n\
            authlab_requests_total{route=\"/api/profile\",status=\"401\"} 3\n\
            authlab_requests_total{route=\"/metrics\",status=\"200\"} 9\n\
            authlab_store_ops_total{op=\"load\"} 4\n\
            authlab_store_ops_total{op=\"create\"} 1\n\
            authlab_heap_bytes 1000\nauthlab_rss_bytes 2000\nauthlab_cpu_seconds_total 0.5\nauthlab_sessions 7\n\
            authlab_auth_check_seconds_bucket{le=\"+Inf\"} 8\n\
            authlab_auth_check_seconds_sum 0.000024\nauthlab_auth_check_seconds_count 8\n\
            authlab_store_round_trip_seconds_bucket{le=\"0.001\"} 1\n\
            authlab_store_round_trip_seconds_bucket{le=\"0.002\"} 4\n\
            authlab_store_round_trip_seconds_bucket{le=\"+Inf\"} 5\n";
        let r = parse_metrics(text);
        assert_eq!(r.store_round_trips.counts, vec![(0.0, 0.001, 1), (0.001, 0.002, 3)]);
        assert_eq!(r.store_round_trips.beyond, 1);
        assert_eq!((r.load_requests, r.requests_total, r.store_ops), (8, 17, 5));
        assert_eq!((r.heap_bytes, r.rss_bytes, r.sessions), (1000, 2000, 7));
        assert_eq!(r.cpu_seconds, 0.5);
        assert_eq!((r.auth_checks, r.auth_check_seconds), (8, 0.000024));
    }
}
