//! Recordings on disk: written by `RecordingWriter`, read back by `Recording::open`, including a run
//! killed in the middle of a line, and the run summary computed from a recording.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use authlab::engine::summary::{RunSummary, render_table};
use authlab::engine::tick::{
    EventRecord, EventSource, Latency, NodeTick, RequestCounts, StoreTick, StrategyTick, Tick,
};
use authlab::recording::{Header, Recording, RecordingError, RecordingWriter, ScenarioInfo};
use authlab::scenario::{Action, StrategyName};

/// A fresh path in the temp directory, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self(std::env::temp_dir().join(format!("authlab-recording-{}-{n}-{name}.jsonl", std::process::id())))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A deterministic pseudo-random latency stream with a long tail, like a real run.
fn latencies(seed: u64, n: usize) -> Latency {
    let mut latency = Latency::new();
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    for _ in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        // Mostly 200–800 µs, sometimes tens of milliseconds.
        let us = if u < 0.99 { 200.0 + 600.0 * u } else { 5_000.0 + 5_000_000.0 * (u - 0.99) };
        latency.record_us(us as u64);
    }
    latency
}

fn strategy_tick(strategy: StrategyName, i: u64) -> StrategyTick {
    let nodes = (1..=3)
        .map(|n| NodeTick {
            id: format!("{}/{n}", strategy.as_str()),
            up: !(n == 2 && i >= 10),
            heap_bytes: 1_000_000 + i * 10_000 * n,
            rss_bytes: 20_000_000 + i * 12_000 * n,
            cpu_seconds: 0.01 * i as f64,
            requests_total: 400 * i,
            sessions: 100 * i,
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
        sessions_held: if strategy == StrategyName::Session { 300 * i } else { 0 },
        server_requests: requests.total(),
        nodes,
        store: (strategy == StrategyName::Session).then(|| StoreTick {
            kind: "redis".into(),
            ops: 2000,
            used_memory: Some(1_500_000 + 1000 * i),
            keys: Some(300 * i),
        }),
        credential_bytes_per_request: if strategy == StrategyName::Session { 57.0 } else { 312.5 },
        denylist_entries: 0,
        simulated: i % 2 == 0,
        ..StrategyTick::default()
    }
}

fn tick(i: u64) -> Tick {
    Tick {
        t: 0.25 * (i + 1) as f64,
        interval_s: 0.25,
        strategies: StrategyName::BOTH.into_iter().map(|s| (s, strategy_tick(s, i))).collect::<BTreeMap<_, _>>(),
    }
}

fn event(t: f64) -> EventRecord {
    EventRecord {
        t,
        action: Action::KillNode,
        target: "session/2".into(),
        source: EventSource::Scheduled,
        detail: "node session/2 killed".into(),
        ok: true,
    }
}

fn header() -> Header {
    Header::new(ScenarioInfo {
        name: "Sticky node dies".into(),
        source: "name = \"Sticky node dies\"\nduration = \"5s\"\n# 한국어 주석\n".into(),
        origin: "scenarios/sticky-node-dies.toml".into(),
    })
}

/// Writes 20 ticks with an event after the 10th; returns what was written.
fn write(path: &TempPath) -> (Header, Vec<Tick>, Vec<EventRecord>) {
    let header = header();
    let ticks: Vec<Tick> = (0..20).map(tick).collect();
    let events = vec![event(2.6)];
    let mut writer = RecordingWriter::create(&path.0, &header).unwrap();
    for (i, t) in ticks.iter().enumerate() {
        writer.write_tick(t).unwrap();
        if i == 9 {
            writer.write_event(&events[0]).unwrap();
        }
    }
    writer.finish().unwrap();
    (header, ticks, events)
}

#[test]
fn a_recording_round_trips() {
    let path = TempPath::new("round-trip");
    let (header, ticks, events) = write(&path);
    let recording = Recording::open(&path.0).unwrap();
    assert_eq!(recording.header(), &header);
    assert_eq!(recording.ticks(), ticks.as_slice());
    assert_eq!(recording.events(), events.as_slice());
    assert!(!recording.truncated());
    assert_eq!(recording.duration_s(), 5.0);
    assert_eq!(recording.strategies(), vec![StrategyName::Session, StrategyName::Token]);
    assert!(recording.header().machine.cpus >= 1);
    assert!(recording.header().started_at.ends_with('Z'));

    // The file is JSON Lines: one object per line, tagged by type.
    let text = std::fs::read_to_string(&path.0).unwrap();
    let types: Vec<String> = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types.len(), 22);
    assert_eq!(types[0], "header");
    assert_eq!(types[11], "event");
    assert_eq!(types.iter().filter(|t| *t == "tick").count(), 20);
}

#[test]
fn the_file_is_readable_while_being_written() {
    let path = TempPath::new("live");
    let mut writer = RecordingWriter::create(&path.0, &header()).unwrap();
    for i in 0..3 {
        writer.write_tick(&tick(i)).unwrap();
    }
    let so_far = Recording::open(&path.0).unwrap();
    assert_eq!(so_far.ticks().len(), 3);
    writer.write_tick(&tick(3)).unwrap();
    assert_eq!(Recording::open(&path.0).unwrap().ticks().len(), 4);
    writer.finish().unwrap();
}

#[test]
fn a_run_killed_mid_line_keeps_every_complete_tick() {
    let path = TempPath::new("killed");
    let (_, ticks, _) = write(&path);
    let bytes = std::fs::read(&path.0).unwrap();
    // Cut in the middle of the last line (inside its histogram).
    let last_line_start = bytes[..bytes.len() - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let cut = last_line_start + (bytes.len() - last_line_start) / 2;
    std::fs::write(&path.0, &bytes[..cut]).unwrap();

    let recording = Recording::open(&path.0).unwrap();
    assert!(recording.truncated());
    assert_eq!(recording.ticks(), &ticks[..19]);
    assert_eq!(recording.events().len(), 1);
}

#[test]
fn a_corrupt_middle_line_is_an_error_naming_it() {
    let path = TempPath::new("corrupt");
    write(&path);
    let text = std::fs::read_to_string(&path.0).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[5] = "{\"type\":\"tick\",\"t\":1.5,\"interval_s\":";
    std::fs::write(&path.0, lines.join("\n") + "\n").unwrap();

    let error = Recording::open(&path.0).unwrap_err();
    assert!(matches!(error, RecordingError::BadLine { line: 6, .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains(&format!("{}:6:", path.0.display())), "{message}");
}

#[test]
fn other_files_get_clear_errors() {
    let path = TempPath::new("wrong-version");
    write(&path);
    let text = std::fs::read_to_string(&path.0).unwrap().replacen("\"version\":1", "\"version\":7", 1);
    std::fs::write(&path.0, text).unwrap();
    let message = Recording::open(&path.0).unwrap_err().to_string();
    assert!(message.contains("version 7 is not supported") && message.contains("reads version 1"), "{message}");

    std::fs::write(&path.0, "").unwrap();
    assert!(matches!(Recording::open(&path.0), Err(RecordingError::Empty { .. })));

    std::fs::write(&path.0, "name = \"a scenario, not a recording\"\n").unwrap();
    let message = Recording::open(&path.0).unwrap_err().to_string();
    assert!(message.contains("not an authlab recording"), "{message}");

    let missing = TempPath::new("missing");
    assert!(matches!(Recording::open(&missing.0), Err(RecordingError::Open { .. })));
    let unwritable = std::env::temp_dir().join("authlab-no-such-dir").join("x.jsonl");
    assert!(matches!(RecordingWriter::create(&unwritable, &header()), Err(RecordingError::Create { .. })));
}

#[test]
fn aggregate_over_a_range_equals_merging_by_hand() {
    let path = TempPath::new("aggregate");
    let (_, ticks, _) = write(&path);
    let recording = Recording::open(&path.0).unwrap();

    // (1.0, 3.0]: ticks 4..=11.
    let stats = recording.aggregate(StrategyName::Token, 1.0, 3.0).unwrap();
    let chosen = &ticks[4..12];
    let mut latency = Latency::new();
    let mut requests = RequestCounts::default();
    for t in chosen {
        latency.merge(&t.strategies[&StrategyName::Token].latency_us.decode());
        requests.add(&t.strategies[&StrategyName::Token].requests);
    }
    assert_eq!(stats.ticks, 8);
    assert_eq!(stats.latency_us, latency);
    assert_eq!(stats.latency_summary(), latency.summary());
    assert_eq!(stats.requests, requests);
    assert!((stats.throughput_rps - requests.total() as f64 / 2.0).abs() < 1e-6);
    assert_eq!(stats.logins, 160);
    assert_eq!(stats.forced_relogins, (4..12).map(|i| i % 4).sum::<u64>());
    assert_eq!(stats.users_logged_in_peak, 111);
    assert_eq!(stats.nodes.len(), 3);
    assert_eq!(stats.nodes[2].heap_bytes_peak, 1_000_000 + 11 * 10_000 * 3);
    // Node 2 is down from tick 10: the summed heap at the end leaves it out.
    assert_eq!(stats.heap_bytes.end, (1_000_000 + 11 * 10_000) + (1_000_000 + 11 * 30_000));

    let session = recording.aggregate(StrategyName::Session, 1.0, 3.0).unwrap();
    assert_eq!(session.sessions_held_peak, 300 * 11);
    assert_eq!(session.store_keys_peak, Some(300 * 11));
}

#[test]
fn the_summary_of_a_recording_is_the_summary_of_the_run() {
    let path = TempPath::new("summary");
    let (header, ticks, events) = write(&path);
    let recording = Recording::open(&path.0).unwrap();
    let live = RunSummary::from_run(&header.scenario.name, &ticks, &events);
    assert_eq!(recording.summary(), live);

    let session = live.strategies.session.as_ref().unwrap();
    assert_eq!(session.requests.ok, (0..20).map(|i| 1000 + 10 * i).sum::<u64>());
    assert_eq!(session.requests.failed, 20 * 7);
    assert_eq!(session.credential_bytes_per_request, 57.0);
    assert_eq!(live.events.len(), 1);
    assert_eq!(live.duration_s, 5.0);

    let table = render_table(&live);
    assert!(table.contains("session") && table.contains("token") && table.contains("Sticky node dies"), "{table}");
}
