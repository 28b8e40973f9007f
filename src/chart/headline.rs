//! The headline figures: the few large numbers above each strategy's charts (sessions held,
//! memory per user, p99, ...), declared once, free of any GUI: what each one reads from a tick, how
//! it is written, and how it compares with the other strategy's. A scenario picks which lead
//! (`headline = [...]`, beside `charts`).

use crate::i18n::{Language, Text};
use crate::measure::StrategyTick;
use crate::names::named;

/// One headline figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Headline {
    /// Sessions the servers hold.
    SessionsHeld,
    /// Memory per session held: the growth of the nodes' heap and of the store since the run's
    /// first tick, over the sessions held. A strategy that holds none (tokens) has no such figure,
    /// and says so, rather than dividing connection buffers and warm-up by its users.
    MemoryPerSession,
    /// The nodes' heap, all nodes up.
    NodeMemory,
    /// The shared store's memory.
    StoreMemory,
    /// Shared-store operations per second.
    StoreOps,
    /// The tick's 99th percentile latency.
    LatencyP99,
    /// Mean µs of one auth check.
    AuthCheck,
    /// Credential bytes per request (Cookie or Authorization).
    CredentialBytes,
}

named!(Headline {
    SessionsHeld => "sessions_held",
    MemoryPerSession => "memory_per_session",
    NodeMemory => "node_memory",
    StoreMemory => "store_memory",
    StoreOps => "store_ops",
    LatencyP99 => "latency_p99",
    AuthCheck => "auth_check_us",
    CredentialBytes => "credential_bytes",
});

/// What a tick is measured from: the run's first tick of the strategy, for growth.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Baseline {
    /// The nodes' heap, bytes.
    pub heap: f64,
    /// The store's memory, bytes.
    pub store: f64,
}

impl Baseline {
    /// The baseline `tick` sets.
    pub fn of(tick: &StrategyTick) -> Self {
        Baseline { heap: heap(tick), store: store(tick).unwrap_or(0.0) }
    }
}

fn heap(tick: &StrategyTick) -> f64 {
    tick.nodes.iter().filter(|n| n.up).map(|n| n.heap_bytes as f64).sum()
}

fn store(tick: &StrategyTick) -> Option<f64> {
    tick.store.as_ref()?.used_memory.map(|b| b as f64)
}

impl Headline {
    /// The figures a scenario leads with unless it says otherwise.
    pub const DEFAULT: [Headline; 5] = [
        Headline::SessionsHeld,
        Headline::MemoryPerSession,
        Headline::LatencyP99,
        Headline::AuthCheck,
        Headline::CredentialBytes,
    ];

    /// Its position in [`Headline::NAMES`].
    pub fn index(self) -> usize {
        Self::NAMES.iter().position(|(h, _)| *h == self).unwrap_or(0)
    }

    /// The label under the number.
    pub fn title(self) -> Text {
        match self {
            Headline::SessionsHeld => Text::HeadSessionsHeld,
            Headline::MemoryPerSession => Text::HeadMemoryPerSession,
            Headline::NodeMemory => Text::HeadNodeMemory,
            Headline::StoreMemory => Text::HeadStoreMemory,
            Headline::StoreOps => Text::HeadStoreOps,
            Headline::LatencyP99 => Text::HeadLatencyP99,
            Headline::AuthCheck => Text::HeadAuthCheck,
            Headline::CredentialBytes => Text::HeadCredentialBytes,
        }
    }

    /// Its value at `tick` (which lasted `interval_s`), or `None` where the tick does not have it
    /// (no store, no auth check yet).
    pub fn value(self, tick: &StrategyTick, interval_s: f64, baseline: Baseline) -> Option<f64> {
        // Of the user's own server the lab sees what its driver measures, and at most the RSS.
        let driver_side = matches!(self, Headline::LatencyP99 | Headline::CredentialBytes);
        if let Some(foreign) = tick.foreign.filter(|_| !driver_side) {
            let rss = || tick.nodes.iter().filter(|n| n.up).map(|n| n.rss_bytes as f64).sum();
            return (self == Headline::NodeMemory && foreign.process_measured()).then(rss);
        }
        match self {
            Headline::SessionsHeld => Some(tick.sessions_held as f64),
            Headline::MemoryPerSession => {
                let growth = heap(tick) - baseline.heap + store(tick).map_or(0.0, |s| s - baseline.store);
                (tick.sessions_held > 0).then(|| (growth / tick.sessions_held as f64).max(0.0))
            }
            Headline::NodeMemory => Some(heap(tick)),
            Headline::StoreMemory => store(tick),
            Headline::StoreOps => {
                let store = tick.store.as_ref().filter(|s| s.kind != "memory")?;
                (interval_s > 0.0).then(|| store.ops as f64 / interval_s)
            }
            Headline::LatencyP99 => (tick.latency_us.count > 0).then(|| tick.latency_us.summary.p99 as f64 / 1000.0),
            Headline::AuthCheck => tick.auth_check_us(),
            Headline::CredentialBytes => {
                (tick.credential_bytes_per_request > 0.0).then_some(tick.credential_bytes_per_request)
            }
        }
    }

    /// `value` as the figure prints it: with its unit.
    pub fn format(self, value: f64) -> String {
        match self {
            Headline::SessionsHeld => crate::measure::format::group(value.max(0.0).round() as u64),
            Headline::MemoryPerSession | Headline::CredentialBytes => bytes(value),
            Headline::NodeMemory | Headline::StoreMemory => bytes(value),
            Headline::StoreOps => format!("{}/s", crate::measure::format::rate(value)),
            Headline::LatencyP99 => format!("{value:.2} ms"),
            // A session check that waits on a busy store can take milliseconds.
            Headline::AuthCheck if value >= 1000.0 => format!("{:.2} ms", value / 1000.0),
            Headline::AuthCheck => format!("{value:.1} µs"),
        }
    }

    /// One line against the other strategy's value: "Session: 5,244 (+5,244)", or "Token: holds no
    /// sessions" where the other has no value.
    pub fn compare(self, value: f64, other: Option<f64>, other_name: Text, language: Language) -> String {
        let name = language.tr(other_name);
        match other {
            None if self == Headline::MemoryPerSession => language.fill(Text::HeadOtherNoSessions, &[name]),
            None => language.fill(Text::HeadOtherNone, &[name]),
            Some(other) => {
                let diff = other - value;
                let sign = if diff >= 0.0 { "+" } else { "−" };
                let diff = match self {
                    Headline::SessionsHeld => crate::measure::format::group(diff.abs().round() as u64),
                    _ => self.format(diff.abs()),
                };
                format!("{name}: {} ({sign}{diff})", self.format(other))
            }
        }
    }
}

/// Bytes as a person reads them: B, kB, MB, GB (powers of 1000).
fn bytes(b: f64) -> String {
    let b = b.max(0.0);
    match b {
        b if b >= 1e9 => format!("{:.2} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b if b >= 1e4 => format!("{:.0} kB", b / 1e3),
        b => format!("{b:.0} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{NodeTick, StrategyTick};

    #[test]
    fn memory_per_session_is_growth_over_the_sessions_held() {
        let node = |heap| NodeTick { id: "session/1".into(), up: true, heap_bytes: heap, ..NodeTick::default() };
        let first = StrategyTick { nodes: vec![node(1_000_000)], ..StrategyTick::default() };
        let later = StrategyTick {
            nodes: vec![node(1_532_000)],
            sessions_held: 1000,
            users_logged_in: 1000,
            ..StrategyTick::default()
        };
        let value = Headline::MemoryPerSession.value(&later, 0.25, Baseline::of(&first));
        assert_eq!(value, Some(532.0));
        assert_eq!(Headline::MemoryPerSession.format(532.0), "532 B");
        assert_eq!(Headline::AuthCheck.format(58.14), "58.1 µs");
        assert_eq!(Headline::AuthCheck.format(34_860.1), "34.86 ms");
        // A token node's heap grows too (connections, warm-up), but it holds no session to divide by.
        let token = StrategyTick { nodes: vec![node(4_000_000)], users_logged_in: 1000, ..StrategyTick::default() };
        assert_eq!(Headline::MemoryPerSession.value(&token, 0.25, Baseline::of(&first)), None);
        let line = Headline::MemoryPerSession.compare(532.0, None, Text::Token, Language::English);
        assert_eq!(line, "Token: holds no sessions");
        assert_eq!(Headline::from_name("latency_p99"), Some(Headline::LatencyP99));
    }
}
