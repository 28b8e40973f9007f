//! The time series as CSV: one row per tick and strategy, every scalar of the tick.

use std::io::Write;

use crate::measure::{StrategyTick, Tick};

/// The header line's columns, in order. Node figures are summed over the nodes that are up; store
/// fields are empty when the strategy has no store or the store does not report them.
pub const CSV_COLUMNS: &[&str] = &[
    "t",
    "strategy",
    "ok",
    "failed",
    "unauthorized",
    "server_error",
    "connection",
    "interrupted",
    "throughput_rps",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "logins",
    "forced_relogins",
    "refreshes",
    "users_logged_in",
    "sessions_held",
    "server_requests",
    "heap_bytes_total",
    "rss_bytes_total",
    "store_used_memory",
    "store_keys",
    "credential_bytes_per_request",
    "simulated",
    "interval_s",
    "latency_count",
    "late",
    "dropped",
    "denylist_entries",
    "nodes",
    "nodes_up",
    "cpu_seconds_total",
    "store_kind",
    "store_ops",
    "auth_checks",
    "auth_check_us",
    "store_live_tuples",
    "store_dead_tuples",
    "store_transactions",
    "store_rows_fetched",
    "store_rows_written",
    "store_cpu_seconds",
];

/// Writes the CSV of `ticks` to `out`.
pub fn write_csv_to(ticks: &[Tick], mut out: impl Write) -> std::io::Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    for tick in ticks {
        for (strategy, st) in &tick.strategies {
            writeln!(out, "{}", row(tick, strategy.as_str(), st).join(","))?;
        }
    }
    out.flush()
}

fn row(tick: &Tick, strategy: &str, st: &StrategyTick) -> Vec<String> {
    let up = || st.nodes.iter().filter(|node| node.up);
    let lat = &st.latency_us.summary;
    let optional = |value: Option<u64>| value.map_or_else(String::new, |v| v.to_string());
    let store = st.store.as_ref();
    let cells = vec![
        float(tick.t),
        strategy.to_owned(),
        st.requests.ok.to_string(),
        st.requests.failed.to_string(),
        st.requests.unauthorized.to_string(),
        st.requests.server_error.to_string(),
        st.requests.connection.to_string(),
        st.requests.interrupted.to_string(),
        float(st.throughput_rps),
        lat.p50.to_string(),
        lat.p90.to_string(),
        lat.p99.to_string(),
        lat.p999.to_string(),
        lat.max.to_string(),
        st.logins.to_string(),
        st.forced_relogins.to_string(),
        st.refreshes.to_string(),
        st.users_logged_in.to_string(),
        st.sessions_held.to_string(),
        st.server_requests.to_string(),
        up().map(|node| node.heap_bytes).sum::<u64>().to_string(),
        up().map(|node| node.rss_bytes).sum::<u64>().to_string(),
        optional(store.and_then(|store| store.used_memory)),
        optional(store.and_then(|store| store.keys)),
        float(st.credential_bytes_per_request),
        st.simulated.to_string(),
        float(tick.interval_s),
        st.latency_us.count.to_string(),
        st.late.to_string(),
        st.dropped.to_string(),
        st.denylist_entries.to_string(),
        st.nodes.len().to_string(),
        up().count().to_string(),
        float(up().map(|node| node.cpu_seconds).sum::<f64>()),
        store.map_or_else(String::new, |store| field(&store.kind)),
        store.map_or_else(String::new, |store| store.ops.to_string()),
        st.auth_checks.to_string(),
        st.auth_check_us().map_or_else(String::new, float),
        optional(store.and_then(|store| store.live_tuples)),
        optional(store.and_then(|store| store.dead_tuples)),
        optional(store.and_then(|store| store.transactions)),
        optional(store.and_then(|store| store.rows_fetched)),
        optional(store.and_then(|store| store.rows_written)),
        store.and_then(|store| store.cpu_seconds).map_or_else(String::new, float),
    ];
    debug_assert_eq!(cells.len(), CSV_COLUMNS.len());
    cells
}

/// A float without noise: at most six decimals, trailing zeros dropped.
fn float(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_owned() } else { s.to_owned() }
}

/// A text field, quoted when it must be (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::measure::{NodeTick, StoreTick};
    use crate::scenario::StrategyName;

    #[test]
    fn one_row_per_tick_and_strategy() {
        let node = |id: &str, up| NodeTick { id: id.into(), up, heap_bytes: 10, rss_bytes: 100, ..NodeTick::default() };
        let session = StrategyTick {
            nodes: vec![node("session/1", true), node("session/2", false)],
            store: Some(StoreTick { kind: "redis".into(), ops: 3, used_memory: Some(7), ..StoreTick::default() }),
            throughput_rps: 0.1 + 0.2,
            ..StrategyTick::default()
        };
        let tick = Tick {
            t: 0.25,
            interval_s: 0.25,
            strategies: BTreeMap::from([
                (StrategyName::Session, session),
                (StrategyName::Token, StrategyTick::default()),
            ]),
        };
        let mut out = Vec::new();
        write_csv_to(&[tick.clone(), tick], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        let cells: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(cells.len(), CSV_COLUMNS.len());
        let cell = |name: &str| cells[CSV_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(cell("strategy"), "session");
        assert_eq!(cell("throughput_rps"), "0.3");
        assert_eq!(cell("heap_bytes_total"), "10");
        assert_eq!(cell("store_used_memory"), "7");
        assert_eq!(cell("store_keys"), "");
        assert_eq!(cell("nodes_up"), "1");
        assert!(lines[2].starts_with("0.25,token,"));
    }

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("redis"), "redis");
        assert_eq!(field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(float(-0.0), "0");
        assert_eq!(float(2.0), "2");
    }
}
