//! The summary figures by name: every whole-run figure of a strategy's [`StrategySummary`], with
//! its unit and its good direction, declared once for thresholds (`"token.latency_p99"`) and run
//! comparisons.

use super::format::{group, mib, ms, rate};
use super::summary::StrategySummary;

/// What a figure counts, which says how a threshold's value is written and how it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A time, kept in microseconds; written `"50ms"`, `"1.5s"`, `"800us"`.
    Duration,
    /// A size in bytes; written `"256MiB"`, `"64KB"` or a plain number of bytes.
    Bytes,
    /// A share between 0 and 1; written `"0.01"` or `"1%"`.
    Ratio,
    /// A number of things; written `"100"`.
    Count,
    /// A number per second; written `"500"` or `"500/s"`.
    Rate,
}

impl Unit {
    /// What a threshold's value must look like, for error messages.
    pub fn example(self) -> &'static str {
        match self {
            Unit::Duration => "a duration such as \"50ms\" or \"1.5s\"",
            Unit::Bytes => "a size such as \"256MiB\" or a number of bytes",
            Unit::Ratio => "a ratio such as \"0.01\" or \"1%\"",
            Unit::Count => "a number such as \"100\"",
            Unit::Rate => "a rate such as \"500\" or \"500/s\"",
        }
    }

    /// `value` (in the unit's base: µs, bytes, ...) as a person reads it, with its unit.
    pub fn format(self, value: f64) -> String {
        let whole = |v: f64| if v.is_finite() && v >= 0.0 { v.round() as u64 } else { 0 };
        match self {
            Unit::Duration if value.abs() >= 1e6 => format!("{:.2} s", value / 1e6),
            Unit::Duration => format!("{} ms", ms(whole(value))),
            Unit::Bytes if value.abs() >= 1024.0 * 1024.0 => format!("{} MiB", mib(whole(value))),
            Unit::Bytes if value.abs() >= 1024.0 => format!("{:.1} KiB", value / 1024.0),
            Unit::Bytes => format!("{value:.0} B"),
            Unit::Ratio => format!("{value:.4}"),
            Unit::Count if value.fract() == 0.0 && value >= 0.0 => group(whole(value)),
            Unit::Count => format!("{value:.3}"),
            Unit::Rate => format!("{}/s", rate(value)),
        }
    }
}

/// Which way a figure is better, for comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Less is better: latency, failures, memory.
    Lower,
    /// More is better: throughput, requests answered.
    Higher,
    /// Neither: it follows the load (logins, sessions held).
    Neither,
}

/// One summary figure.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// Its name after the strategy: `latency_p99` in `"token.latency_p99"`.
    pub name: &'static str,
    /// What it counts.
    pub unit: Unit,
    /// Which way is better.
    pub better: Better,
    /// Its value in the strategy's summary (in the unit's base), `None` where it does not apply.
    pub read: fn(&StrategySummary) -> Option<f64>,
}

impl PartialEq for Figure {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Figure {
    /// Looks a figure up by name.
    pub fn named(name: &str) -> Option<&'static Figure> {
        FIGURES.iter().find(|f| f.name == name)
    }

    /// Its value in `summary`; `None` where it does not apply or was not measured (the heap,
    /// RSS and sessions held of the user's own server, see [`StrategySummary::not_measured`]).
    pub fn value(&self, summary: &StrategySummary) -> Option<f64> {
        let key = [StrategySummary::HEAP, StrategySummary::RSS, StrategySummary::SESSIONS_HELD]
            .into_iter()
            .find(|key| self.name.starts_with(key));
        if key.is_some_and(|key| !summary.measured(key)) {
            return None;
        }
        (self.read)(summary)
    }
}

fn n(x: u64) -> Option<f64> {
    Some(x as f64)
}

/// Every summary figure, in the order of the closing table.
pub const FIGURES: &[Figure] = &[
    Figure { name: "requests_ok", unit: Unit::Count, better: Better::Higher, read: |s| n(s.requests.ok) },
    Figure { name: "requests_failed", unit: Unit::Count, better: Better::Lower, read: |s| n(s.requests.failed) },
    Figure {
        name: "failed_ratio",
        unit: Unit::Ratio,
        better: Better::Lower,
        read: |s| {
            let total = s.requests.total();
            Some(if total == 0 { 0.0 } else { s.requests.failed as f64 / total as f64 })
        },
    },
    Figure { name: "unauthorized", unit: Unit::Count, better: Better::Lower, read: |s| n(s.requests.unauthorized) },
    Figure { name: "server_errors", unit: Unit::Count, better: Better::Lower, read: |s| n(s.requests.server_error) },
    Figure { name: "connection_errors", unit: Unit::Count, better: Better::Lower, read: |s| n(s.requests.connection) },
    Figure { name: "interrupted", unit: Unit::Count, better: Better::Lower, read: |s| n(s.requests.interrupted) },
    Figure { name: "server_requests", unit: Unit::Count, better: Better::Higher, read: |s| n(s.server_requests) },
    Figure { name: "throughput_rps", unit: Unit::Rate, better: Better::Higher, read: |s| Some(s.throughput_rps) },
    Figure { name: "latency_p50", unit: Unit::Duration, better: Better::Lower, read: |s| n(s.latency_us.p50) },
    Figure { name: "latency_p90", unit: Unit::Duration, better: Better::Lower, read: |s| n(s.latency_us.p90) },
    Figure { name: "latency_p99", unit: Unit::Duration, better: Better::Lower, read: |s| n(s.latency_us.p99) },
    Figure { name: "latency_p999", unit: Unit::Duration, better: Better::Lower, read: |s| n(s.latency_us.p999) },
    Figure { name: "latency_max", unit: Unit::Duration, better: Better::Lower, read: |s| n(s.latency_us.max) },
    Figure { name: "logins", unit: Unit::Count, better: Better::Neither, read: |s| n(s.logins) },
    Figure { name: "forced_relogins", unit: Unit::Count, better: Better::Lower, read: |s| n(s.forced_relogins) },
    Figure {
        name: "sessions_held_peak",
        unit: Unit::Count,
        better: Better::Neither,
        read: |s| n(s.sessions_held_peak),
    },
    Figure { name: "heap_bytes_start", unit: Unit::Bytes, better: Better::Lower, read: |s| n(s.heap_bytes.start) },
    Figure { name: "heap_bytes_peak", unit: Unit::Bytes, better: Better::Lower, read: |s| n(s.heap_bytes.peak) },
    Figure { name: "heap_bytes_end", unit: Unit::Bytes, better: Better::Lower, read: |s| n(s.heap_bytes.end) },
    Figure { name: "rss_bytes_start", unit: Unit::Bytes, better: Better::Lower, read: |s| n(s.rss_bytes.start) },
    Figure { name: "rss_bytes_peak", unit: Unit::Bytes, better: Better::Lower, read: |s| n(s.rss_bytes.peak) },
    Figure { name: "rss_bytes_end", unit: Unit::Bytes, better: Better::Lower, read: |s| n(s.rss_bytes.end) },
    Figure {
        name: "credential_bytes_per_request",
        unit: Unit::Bytes,
        better: Better::Lower,
        read: |s| Some(s.credential_bytes_per_request),
    },
    Figure {
        name: "driver_cpu_us_per_request",
        unit: Unit::Duration,
        better: Better::Lower,
        read: |s| s.driver.as_ref().map(|d| d.cpu_us_per_request),
    },
    Figure {
        name: "driver_saturated_ticks",
        unit: Unit::Count,
        better: Better::Lower,
        read: |s| s.driver.as_ref().map(|d| d.saturated_ticks as f64),
    },
    Figure {
        name: "store_keys_peak",
        unit: Unit::Count,
        better: Better::Neither,
        read: |s| s.store.as_ref()?.keys_peak.map(|k| k as f64),
    },
    Figure {
        name: "store_used_memory_peak",
        unit: Unit::Bytes,
        better: Better::Lower,
        read: |s| s.store.as_ref()?.used_memory_peak.map(|b| b as f64),
    },
    Figure {
        name: "store_dead_tuples_peak",
        unit: Unit::Count,
        better: Better::Lower,
        read: |s| s.store.as_ref()?.dead_tuples_peak.map(|d| d as f64),
    },
    Figure {
        name: "store_round_trip_p50",
        unit: Unit::Duration,
        better: Better::Lower,
        read: |s| s.store.as_ref()?.round_trip_p50_us,
    },
    Figure {
        name: "store_round_trip_p99",
        unit: Unit::Duration,
        better: Better::Lower,
        read: |s| s.store.as_ref()?.round_trip_p99_us,
    },
    Figure {
        name: "store_cpu_per_request",
        unit: Unit::Duration,
        better: Better::Lower,
        read: |s| s.store.as_ref()?.cpu_us_per_request,
    },
    Figure {
        name: "resource_requests",
        unit: Unit::Count,
        better: Better::Higher,
        read: |s| s.resource.as_ref().map(|r| r.requests as f64),
    },
    Figure {
        name: "issuer_calls",
        unit: Unit::Count,
        better: Better::Lower,
        read: |s| s.resource.as_ref().map(|r| r.issuer_calls as f64),
    },
    Figure {
        name: "issuer_calls_per_request",
        unit: Unit::Ratio,
        better: Better::Lower,
        read: |s| s.resource.as_ref().map(|r| r.issuer_calls_per_request),
    },
    Figure {
        name: "arrivals_scheduled",
        unit: Unit::Count,
        better: Better::Neither,
        read: |s| s.arrivals.as_ref().map(|a| a.scheduled as f64),
    },
    Figure {
        name: "arrivals_dropped",
        unit: Unit::Count,
        better: Better::Lower,
        read: |s| s.arrivals.as_ref().map(|a| a.dropped as f64),
    },
    Figure {
        name: "arrivals_late",
        unit: Unit::Count,
        better: Better::Lower,
        read: |s| s.arrivals.as_ref().map(|a| a.late as f64),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIGURES.len());
        assert_eq!(Figure::named("latency_p99").map(|f| f.unit), Some(Unit::Duration));
        assert!(Figure::named("latency_p98").is_none());
    }

    #[test]
    fn values_print_with_their_unit() {
        assert_eq!(Unit::Duration.format(12_345.0), "12.35 ms");
        assert_eq!(Unit::Bytes.format(256.0 * 1024.0 * 1024.0), "256.0 MiB");
        assert_eq!(Unit::Count.format(1234.0), "1,234");
        assert_eq!(Unit::Rate.format(12.5), "12.5/s");
    }
}
