//! A projection held against a run that went there: a smaller run's unit costs projected to what
//! a bigger run held or served, beside what the bigger run measured. The proof bench
//! (`cargo bench --bench projection_proof`) and the tests call the same functions.

use serde::Serialize;

use super::{Inputs, RunCosts};
use crate::measure::{StrategyName, StrategyTick, Tick};

/// One figure, projected and measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Which strategy.
    pub strategy: StrategyName,
    /// What is compared, in words.
    pub figure: &'static str,
    /// The most the smaller run reached of what the figure is per (sessions, or requests/s).
    pub from: f64,
    /// What it was projected to: what the bigger run reached.
    pub to: f64,
    /// The projected figure.
    pub projected: f64,
    /// The bigger run's measured figure.
    pub measured: f64,
}

impl Check {
    /// Projected over measured, less one: +0.05 is 5 % high.
    pub fn error(&self) -> f64 {
        if self.measured == 0.0 { f64::INFINITY } else { self.projected / self.measured - 1.0 }
    }
}

/// A tick's figures the memory checks compare.
struct State {
    sessions: u64,
    connections: u64,
    heap: f64,
    store: Option<f64>,
}

fn state(tick: &StrategyTick) -> State {
    let up = || tick.nodes.iter().filter(|node| node.up);
    State {
        sessions: tick.sessions_held,
        connections: up().map(|node| node.connections).sum(),
        heap: up().map(|node| node.heap_bytes as f64).sum(),
        store: tick.store.as_ref().and_then(|store| store.used_memory).map(|bytes| bytes as f64),
    }
}

/// The growth of the nodes' heap and of the store's memory in `big`, from its first tick to the
/// tick holding the most sessions, against the same growth projected from `small`'s unit costs:
/// the projection's memory at the peak's sessions and connections, less its memory at the
/// first tick's. Each machine is as big as the run's nodes together, so that the projected
/// tables are those of `nodes` nodes.
pub fn memory(small: &[Tick], big: &[Tick], strategy: StrategyName) -> Vec<Check> {
    let costs = RunCosts::measure(small, None);
    let Some((_, unit)) = costs.strategies.iter().find(|(s, _)| *s == strategy) else { return Vec::new() };
    let ticks: Vec<&StrategyTick> = big.iter().filter_map(|t| t.strategies.get(&strategy)).collect();
    let (Some(first), Some(peak)) = (ticks.first(), ticks.iter().max_by_key(|t| t.sessions_held)) else {
        return Vec::new();
    };
    let nodes = peak.nodes.len().max(1) as u64;
    let (first, peak) = (state(first), state(peak));
    // Memory only, on machines of unbounded RAM: one node's share projects to one machine.
    let mut memory_only = unit.clone();
    (memory_only.cpu_us_per_request, memory_only.login_cpu_us) = (None, None);
    let project = |users: u64, connections: u64| {
        let inputs = Inputs { users, connections, machine_ram_bytes: u64::MAX / 2, ..Inputs::default() };
        super::project(strategy, &memory_only, &inputs).memory_bytes
    };
    // The nodes' memory is each node's share (its own tables) times the nodes; the store's is
    // one whole (Redis's dicts hold every key).
    let project = |s: &State| {
        let per_node = project(s.sessions / nodes, s.connections / nodes);
        (per_node.nodes * nodes as f64, project(s.sessions, s.connections).store)
    };
    let ((heap_first, store_first), (heap_peak, store_peak)) = (project(&first), project(&peak));
    let from = unit.sessions_max as f64;
    let mut checks = Vec::new();
    let shared = unit.store_kind.as_deref().is_some_and(|kind| kind != "memory");
    if !shared {
        checks.push(Check {
            strategy,
            figure: "node heap growth",
            from,
            to: peak.sessions as f64,
            projected: heap_peak - heap_first,
            measured: peak.heap - first.heap,
        });
    }
    if let (Some(before), Some(after)) = (first.store, peak.store) {
        checks.push(Check {
            strategy,
            figure: "store memory growth",
            from,
            to: peak.sessions as f64,
            projected: store_peak - store_first,
            measured: after - before,
        });
    }
    checks
}

/// The nodes' CPU in `big` over its ticks from `warm_up_s` on, against `small`'s CPU per request,
/// per login and per node-second multiplied by the requests and logins `big` served and the
/// node-seconds it ran in those ticks.
pub fn cpu(small: &[Tick], big: &[Tick], strategy: StrategyName, warm_up_s: f64) -> Option<Check> {
    let costs = RunCosts::measure(small, None);
    let (_, unit) = costs.strategies.iter().find(|(s, _)| *s == strategy)?;
    let per_request = unit.cpu_us_per_request.as_ref()?.value;
    let per_login = unit.login_cpu_us.as_ref().map_or(0.0, |c| c.value);
    let idle = unit.idle_cpu_us_per_node_second.as_ref().map_or(0.0, |c| c.value);
    let mut last = std::collections::BTreeMap::new();
    let (mut cpu_s, mut requests, mut logins, mut seconds, mut node_seconds) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for tick in big {
        let Some(s) = tick.strategies.get(&strategy) else { continue };
        let known = s.nodes.iter().filter(|n| n.up).all(|n| last.contains_key(&n.id));
        let cpu = s.cpu_seconds_since(&mut last);
        if tick.t >= warm_up_s && known {
            cpu_s += cpu;
            requests += s.server_requests as f64;
            logins += s.logins as f64;
            seconds += tick.interval_s;
            node_seconds += s.nodes.iter().filter(|n| n.up).count() as f64 * tick.interval_s;
        }
    }
    (seconds > 0.0).then(|| Check {
        strategy,
        figure: "node CPU cores",
        from: unit.rps_max,
        to: requests / seconds,
        projected: (requests * per_request + logins * per_login + node_seconds * idle) / 1e6 / seconds,
        measured: cpu_s / seconds,
    })
}

/// The proof's memory scenario: one session node (or the shared store at `redis_url`) piling up
/// sessions of distinct users, `payload_bytes` each, at up to 2,000 logins a second (40 virtual
/// users, 20 ms apart, one request per visit, no logouts). Run it for `d` and for `4·d`.
pub fn memory_scenario(payload_bytes: u32, redis_url: Option<&str>) -> String {
    let store = match redis_url {
        Some(url) => format!("store = \"redis\"\nredis_url = \"{url}\"\n"),
        None => "store = \"memory\"\n".to_owned(),
    };
    format!(
        "name = \"projection proof: memory, {payload_bytes} B payload\"\nduration = \"40s\"\nseed = 42\n\
         [users]\ncount = 1000000\npassword_hash = \"sha256\"\n\
         [load]\nstages = [ {{ at = \"0s\", target = 40 }} ]\nthink_time = \"20ms\"\nrequests_per_login = 1\n\
         logout_ratio = 0.0\n\
         [cluster]\nrouting = \"sticky\"\n\
         [session]\nnodes = 1\n{store}payload_bytes = {payload_bytes}\nttl = \"1h\"\n"
    )
}

/// The proof's CPU scenario: `nodes` nodes of each strategy, one after the other, under the same
/// load per node (from 1 to 4 virtual users per node over the run, so that the fit can tell what
/// a node spends per request from what it spends being up; 20 ms apart, 20 requests per visit, a
/// third of visits logging out), for `duration_s` seconds per strategy.
pub fn cpu_scenario(nodes: u32, duration_s: u32) -> String {
    let users = 4 * nodes;
    format!(
        "name = \"projection proof: CPU, {nodes} node(s)\"\nduration = \"{duration_s}s\"\nseed = 42\n\
         mode = \"sequential\"\n\
         [users]\ncount = 10000\npassword_hash = \"sha256\"\n\
         [load]\nstages = [ {{ at = \"0s\", target = {nodes} }}, {{ at = \"{duration_s}s\", target = {users} }} ]\n\
         think_time = \"20ms\"\nrequests_per_login = 20\n\
         logout_ratio = 0.3\n\
         [cluster]\nrouting = \"round_robin\"\n\
         [session]\nnodes = {nodes}\npayload_bytes = 200\n\
         [token]\nnodes = {nodes}\nrefresh = false\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proof_scenarios_are_valid() {
        for text in
            [memory_scenario(200, None), memory_scenario(2000, Some("redis://127.0.0.1:6379/")), cpu_scenario(4, 8)]
        {
            crate::scenario::parse_scenario(&text, "proof").unwrap_or_else(|e| panic!("{e}\n{text}"));
        }
    }
}
