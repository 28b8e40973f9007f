//! Unit tests of the recording format: reading edge cases, range aggregation.

use std::collections::BTreeMap;
use std::io::Cursor;

use super::*;
use crate::measure::{EventSource, Latency, NodeTick, RequestCounts, StrategyTick};
use crate::scenario::{Action, StrategyName};

/// A header with a fixed start time, so that two calls are equal even across a second boundary.
fn header() -> Header {
    let mut header = Header::with_machine(
        ScenarioInfo { name: "unit".into(), source: "name = \"unit\"\n".into(), origin: "unit.toml".into() },
        MachineInfo {
            os: "TestOS".into(),
            arch: "x86_64".into(),
            cpus: 2,
            memory_bytes: 1 << 30,
            cpu_brand: "Test CPU".into(),
            hostname: "test".into(),
        },
    );
    header.started_at = "2026-01-02T03:04:05Z".into();
    header
}

fn tick(i: u64) -> Tick {
    let mut latency = Latency::new();
    for k in 0..50 {
        latency.record_us(100 + i * 37 + k * k * 13);
    }
    let session = StrategyTick {
        requests: RequestCounts {
            ok: 40 + i,
            failed: i % 3,
            unauthorized: i % 3,
            server_error: 0,
            connection: 0,
            interrupted: 0,
        },
        latency_us: (&latency).into(),
        logins: i % 2,
        forced_relogins: i % 3,
        users_logged_in: 10 + i,
        sessions_held: 20 + (i * 7) % 11,
        credential_bytes_per_request: 40.0,
        nodes: vec![
            NodeTick { id: "session/1".into(), up: true, heap_bytes: 1000 + (i * 13) % 17, ..NodeTick::default() },
            NodeTick { id: "session/2".into(), up: true, rss_bytes: 5000 + (i * 5) % 9, ..NodeTick::default() },
        ],
        ..StrategyTick::default()
    };
    Tick { t: 0.25 * (i + 1) as f64, interval_s: 0.25, strategies: BTreeMap::from([(StrategyName::Session, session)]) }
}

fn event() -> EventRecord {
    EventRecord {
        t: 1.1,
        action: Action::KillNode,
        target: "session/2".into(),
        source: EventSource::Live,
        detail: "killed".into(),
        ok: true,
    }
}

fn line(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

/// The text of a recording of `ticks` ticks and one event.
fn text(ticks: u64) -> String {
    let mut out = line(&LineRef::Header(&header())) + "\n";
    for i in 0..ticks {
        out += &(line(&LineRef::Tick(&tick(i))) + "\n");
        if i == 3 {
            out += &(line(&LineRef::Event(&event())) + "\n");
        }
    }
    out
}

fn read(text: &str) -> Result<Recording, RecordingError> {
    Recording::read_from(Cursor::new(text.as_bytes()))
}

#[test]
fn reads_what_was_written() {
    let recording = read(&text(8)).unwrap();
    assert_eq!(recording.header(), &header());
    assert_eq!(recording.ticks(), (0..8).map(tick).collect::<Vec<_>>().as_slice());
    assert_eq!(recording.events(), &[event()]);
    assert!(!recording.truncated());
    assert_eq!(recording.duration_s(), 2.0);
    assert_eq!(recording.strategies(), vec![StrategyName::Session]);
}

#[test]
fn header_line_is_the_documented_shape() {
    let value: serde_json::Value = serde_json::from_str(&line(&LineRef::Header(&header()))).unwrap();
    assert_eq!(value["type"], "header");
    assert_eq!(value["format"], "authlab-recording");
    assert_eq!(value["version"], 1);
    assert_eq!(value["authlab_version"], env!("CARGO_PKG_VERSION"));
    assert!(value["started_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(value["scenario"]["origin"], "unit.toml");
    assert_eq!(value["machine"]["cpus"], 2);
}

#[test]
fn a_cut_last_line_is_tolerated() {
    let full = text(6);
    let cut = &full[..full.len() - 40];
    let recording = read(cut).unwrap();
    assert!(recording.truncated());
    assert_eq!(recording.ticks().len(), 5);
    assert_eq!(recording.events().len(), 1);
}

#[test]
fn a_complete_last_line_without_newline_is_kept() {
    let full = text(3);
    let recording = read(full.trim_end()).unwrap();
    assert!(!recording.truncated());
    assert_eq!(recording.ticks().len(), 3);
}

#[test]
fn a_bad_middle_line_names_its_number() {
    let mut lines: Vec<String> = text(5).lines().map(str::to_owned).collect();
    lines[2] = lines[2][..30].to_owned();
    let error = read(&lines.join("\n")).unwrap_err();
    assert!(matches!(error, RecordingError::BadLine { line: 3, .. }), "{error}");
    assert!(error.to_string().starts_with("<input>:3: "), "{error}");
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    let mut lines: Vec<String> = text(4).lines().map(str::to_owned).collect();
    lines.insert(2, String::new());
    lines[4] = "{not json".into();
    let error = read(&lines.join("\n")).unwrap_err();
    assert!(matches!(error, RecordingError::BadLine { line: 5, .. }), "{error}");
}

#[test]
fn unknown_line_types_are_skipped_and_second_headers_refused() {
    let mut with_note = text(2);
    with_note += "{\"type\":\"note\",\"text\":\"from a later version\"}\n";
    with_note += &(line(&LineRef::Tick(&tick(2))) + "\n");
    assert_eq!(read(&with_note).unwrap().ticks().len(), 3);

    let twice = text(2) + &text(2);
    let error = read(&twice).unwrap_err();
    assert!(matches!(error, RecordingError::BadLine { line: 4, .. }), "{error}");
}

#[test]
fn clear_errors_for_what_is_not_a_recording() {
    assert!(matches!(read(""), Err(RecordingError::Empty { .. })));
    assert!(matches!(read("\n\n"), Err(RecordingError::Empty { .. })));
    assert!(matches!(read("name = \"x\"\n"), Err(RecordingError::NotARecording { .. })));
    assert!(matches!(read("{\"type\":\"header\"}\n"), Err(RecordingError::NotARecording { .. })));
    let tick_first = line(&LineRef::Tick(&tick(0)));
    assert!(matches!(read(&tick_first), Err(RecordingError::NotARecording { .. })));

    let v2 = text(2).replacen("\"version\":1", "\"version\":2", 1);
    let error = read(&v2).unwrap_err();
    assert!(matches!(error, RecordingError::UnsupportedVersion { found: 2, .. }));
    let message = error.to_string();
    assert!(message.contains("version 2 is not supported") && message.contains("reads version 1"), "{message}");
}

#[test]
fn aggregate_equals_merging_by_hand() {
    let recording = read(&text(12)).unwrap();
    // Ticks end at 0.25, 0.5, ... 3.0; (0.5, 2.0] holds ticks 2..=7 (t = 0.75 ..= 2.0).
    let stats = recording.aggregate(StrategyName::Session, 0.5, 2.0).unwrap();
    let chosen: Vec<Tick> = (2..8).map(tick).collect();
    let mut latency = Latency::new();
    let mut requests = RequestCounts::default();
    for t in &chosen {
        let st = &t.strategies[&StrategyName::Session];
        latency.merge(&st.latency_us.decode());
        requests.add(&st.requests);
    }
    assert_eq!(stats.ticks, 6);
    assert_eq!(stats.latency_us, latency);
    assert_eq!(stats.latency_summary(), latency.summary());
    assert_eq!(stats.requests, requests);
    assert!((stats.covered_s - 1.5).abs() < 1e-9);
    assert!((stats.throughput_rps - requests.total() as f64 / 1.5).abs() < 1e-9);
    assert_eq!((stats.start_s, stats.end_s), (0.5, 2.0));
    let sessions = chosen.iter().map(|t| t.strategies[&StrategyName::Session].sessions_held).max().unwrap();
    assert_eq!(stats.sessions_held_peak, sessions);
    assert_eq!(stats.users_logged_in_peak, 17);
    assert_eq!(stats.logins, (2..8).map(|i| i % 2).sum::<u64>());
    assert_eq!(stats.forced_relogins, (2..8).map(|i| i % 3).sum::<u64>());
    let heap1 = (2..8).map(|i| 1000 + (i * 13) % 17).max().unwrap();
    let rss2 = (2..8).map(|i| 5000 + (i * 5) % 9).max().unwrap();
    assert_eq!(stats.nodes.len(), 2);
    assert_eq!((stats.nodes[0].id.as_str(), stats.nodes[0].heap_bytes_peak), ("session/1", heap1));
    assert_eq!((stats.nodes[1].id.as_str(), stats.nodes[1].rss_bytes_peak), ("session/2", rss2));

    assert!(recording.aggregate(StrategyName::Token, 0.0, 10.0).is_none());
    assert!(recording.aggregate(StrategyName::Session, 5.0, 10.0).is_none());
    // A range past the end is not diluted.
    let all = recording.aggregate(StrategyName::Session, 0.0, 100.0).unwrap();
    assert!((all.covered_s - 3.0).abs() < 1e-9);
}

#[test]
fn machine_is_detected() {
    let machine = MachineInfo::detect();
    assert!(machine.cpus >= 1);
    assert!(!machine.arch.is_empty() && !machine.os.is_empty());
}
