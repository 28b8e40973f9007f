//! Recordings on disk: written by `RecordingWriter`, read back by `Recording::open`, including a run
//! killed in the middle of a line, and the run summary computed from a recording.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use authlab::measure::{EventRecord, Latency, RequestCounts, Tick};
use authlab::measure::{RunSummary, render_table};
use authlab::recording::{Header, Recording, RecordingError, RecordingWriter, ScenarioInfo};
use authlab::scenario::StrategyName;

use crate::support::ticks::{kill_event, tick};

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
    let events = vec![kill_event(2.6, "session/2", "node session/2 killed")];
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
