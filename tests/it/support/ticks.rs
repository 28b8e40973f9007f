//! Synthetic ticks, events and recording headers, for the tests that write, read, report or replay
//! a run without running one. One copy: each test module takes [`strategy_tick`] and changes only
//! what its own story needs.

use std::collections::BTreeMap;

use authlab::measure::{EventRecord, EventSource, Latency, NodeTick, RequestCounts, StoreTick, StrategyTick, Tick};
use authlab::recording::MachineInfo;
use authlab::scenario::{Action, StrategyName};

/// A deterministic pseudo-random latency stream with a long tail, like a real run: mostly
/// 200–800 µs, one in a hundred tens of milliseconds or more.
pub fn latencies(seed: u64, n: usize) -> Latency {
    let mut latency = Latency::new();
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    for _ in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        let us = if u < 0.99 { 200.0 + 600.0 * u } else { 5_000.0 + 5_000_000.0 * (u - 0.99) };
        latency.record_us(us as u64);
    }
    latency
}

/// Tick `i` (0-based, a quarter second each) of one strategy on three nodes: node 2 is down from
/// tick 10, every figure grows with `i`, and only the session side has a (Redis) store.
pub fn strategy_tick(strategy: StrategyName, i: u64) -> StrategyTick {
    let session = strategy == StrategyName::Session;
    let nodes = (1..=3)
        .map(|n| NodeTick {
            id: format!("{}/{n}", strategy.as_str()),
            up: !(n == 2 && i >= 10),
            heap_bytes: 1_000_000 + i * 10_000 * n,
            rss_bytes: 20_000_000 + i * 12_000 * n,
            cpu_seconds: 0.01 * i as f64,
            requests_total: 400 * i,
            sessions: 100 * i,
            connections: 4 + i % 3,
        })
        .collect();
    let ok = 1000 + 10 * i;
    let requests = RequestCounts { ok, failed: 7, unauthorized: 4, server_error: 2, connection: 1, interrupted: 0 };
    StrategyTick {
        requests,
        latency_us: (&latencies(i * 2 + strategy as u64, 1007 + 10 * i as usize)).into(),
        throughput_rps: requests.total() as f64 / 0.25,
        logins: 20,
        forced_relogins: i % 4,
        refreshes: 1,
        users_logged_in: 100 + i,
        sessions_held: if session { 300 * i } else { 0 },
        server_requests: requests.total(),
        nodes,
        store: session.then(|| StoreTick {
            kind: "redis".into(),
            ops: 2000,
            used_memory: Some(1_500_000 + 1000 * i),
            keys: Some(300 * i),
            ..StoreTick::default()
        }),
        credential_bytes_per_request: if session { 57.0 } else { 312.5 },
        denylist_entries: 0,
        simulated: i % 2 == 0,
        ..StrategyTick::default()
    }
}

/// Tick `i` of both strategies, each built by `strategy`, ending at `0.25 * (i + 1)` s.
pub fn tick_of(i: u64, strategy: impl Fn(StrategyName, u64) -> StrategyTick) -> Tick {
    Tick {
        t: 0.25 * (i + 1) as f64,
        interval_s: 0.25,
        strategies: StrategyName::BOTH.into_iter().map(|s| (s, strategy(s, i))).collect::<BTreeMap<_, _>>(),
    }
}

/// Tick `i` of both strategies as [`strategy_tick`] makes them.
pub fn tick(i: u64) -> Tick {
    tick_of(i, strategy_tick)
}

/// A scheduled node kill at `t` seconds that went through.
pub fn kill_event(t: f64, node: &str, detail: &str) -> EventRecord {
    EventRecord {
        t,
        action: Action::KillNode,
        target: node.into(),
        source: EventSource::Scheduled,
        detail: detail.into(),
        ok: true,
    }
}

/// A machine description that does not depend on the machine the tests run on.
pub fn machine(name: &str) -> MachineInfo {
    MachineInfo {
        os: name.into(),
        arch: "x86_64".into(),
        cpus: 2,
        memory_bytes: 1 << 30,
        cpu_brand: name.into(),
        hostname: name.into(),
    }
}
