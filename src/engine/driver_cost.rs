//! The load driver's own cost in each tick: the CPU of the engine's threads, shared out over the
//! strategies by the requests each made, and whether the driver itself was the bottleneck.

use std::collections::BTreeMap;

use crate::measure::{DriverTick, Tick};
use crate::process_stats::engine_cpu_seconds;

/// Share of the cores it may use above which the driver counts as saturated.
const BUSY: f64 = 0.85;
/// Share of late arrivals (open model) above which the driver counts as saturated.
const LATE: f64 = 0.05;

/// The driver's CPU between ticks.
pub(crate) struct DriverMeter {
    last_cpu_seconds: f64,
    /// Each node's CPU at the previous tick, by id.
    last_nodes: BTreeMap<String, f64>,
    /// The cores its threads may use: the runtime's workers, at most the machine's cores.
    cores: f64,
}

impl DriverMeter {
    /// Starts counting from now, on the current tokio runtime.
    pub fn start() -> Self {
        let machine = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = tokio::runtime::Handle::try_current().map_or(machine, |h| h.metrics().num_workers());
        DriverMeter {
            last_cpu_seconds: engine_cpu_seconds(),
            last_nodes: BTreeMap::new(),
            cores: workers.clamp(1, machine) as f64,
        }
    }

    /// Puts the driver's cost since the previous call into each strategy of `tick`.
    pub fn measure(&mut self, tick: &mut Tick) {
        let now = engine_cpu_seconds();
        // A thread that ended took its CPU time with it: never a negative cost.
        let spent = (now - self.last_cpu_seconds).max(0.0);
        self.last_cpu_seconds = now;
        let busy = if tick.interval_s > 0.0 { spent / tick.interval_s / self.cores } else { 0.0 };
        // Busier than every node together (where they all are measured), on half its cores.
        let nodes_known = tick.strategies.values().all(|st| st.foreign.is_none_or(|f| f.process_measured()));
        let nodes_cpu: f64 = tick.strategies.values().map(|st| st.cpu_seconds_since(&mut self.last_nodes)).sum();
        let bottleneck = busy >= BUSY || (nodes_known && busy >= 0.5 && spent > nodes_cpu);
        let requests: u64 = tick.strategies.values().map(|st| st.requests.total()).sum();
        let count = tick.strategies.len().max(1) as f64;
        for st in tick.strategies.values_mut() {
            let share = if requests > 0 { st.requests.total() as f64 / requests as f64 } else { 1.0 / count };
            let late = st.arrivals > 0 && st.late as f64 > LATE * st.arrivals as f64;
            st.driver = Some(DriverTick { cpu_seconds: spent * share, saturated: bottleneck || late });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{RequestCounts, StrategyName, StrategyTick};

    fn tick(session: u64, token: u64) -> Tick {
        let mut tick = Tick { t: 1.0, interval_s: 1.0, ..Tick::default() };
        for (name, ok) in [(StrategyName::Session, session), (StrategyName::Token, token)] {
            let requests = RequestCounts { ok, ..RequestCounts::default() };
            tick.strategies.insert(name, StrategyTick { requests, ..StrategyTick::default() });
        }
        tick
    }

    #[test]
    fn the_driver_s_cpu_is_shared_by_requests_and_a_busy_driver_is_the_bottleneck() {
        let mut meter =
            DriverMeter { last_cpu_seconds: engine_cpu_seconds() - 1.8, last_nodes: BTreeMap::new(), cores: 2.0 };
        let mut busy = tick(300, 100);
        meter.measure(&mut busy);
        let driver = |t: &Tick, s| t.strategies[&s].driver.unwrap_or_default();
        let (session, token) = (driver(&busy, StrategyName::Session), driver(&busy, StrategyName::Token));
        assert!((session.cpu_seconds / token.cpu_seconds - 3.0).abs() < 0.01, "{session:?} {token:?}");
        assert!(session.saturated && token.saturated, "1.8 s of 2 cores in 1 s");

        meter.last_cpu_seconds = engine_cpu_seconds() - 0.2;
        let mut idle = tick(300, 100);
        meter.measure(&mut idle);
        assert!(!driver(&idle, StrategyName::Session).saturated, "a tenth of its cores");

        // Half its cores, and more than the nodes: the nodes wait for the driver.
        meter.last_cpu_seconds = engine_cpu_seconds() - 1.2;
        let mut starved = tick(300, 100);
        meter.measure(&mut starved);
        assert!(driver(&starved, StrategyName::Session).saturated, "60 % of its cores, nodes at 0");

        let mut late = tick(300, 100);
        if let Some(token) = late.strategies.get_mut(&StrategyName::Token) {
            (token.arrivals, token.late) = (100, 20);
        }
        meter.measure(&mut late);
        assert!(driver(&late, StrategyName::Token).saturated, "a fifth of the arrivals sent late");
        assert!(!driver(&late, StrategyName::Session).saturated);
    }
}
