//! `authlab report`: a recording on disk, written with the public writer, turned into PNG and SVG
//! charts, a CSV and summary.md by the real binary, in English and Korean; and its errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use authlab::measure::{RequestCounts, StrategyTick, Tick};
use authlab::recording::{Header, RecordingWriter, ScenarioInfo};
use authlab::report::CSV_COLUMNS;
use authlab::scenario::StrategyName;

use crate::support::ticks;

const TICKS: u64 = 40;

/// A fresh directory in the temp directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("authlab-report-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The shared synthetic tick, retold for a report: the session nodes' heap climbs and their
/// node 2 dies at 5 s (tick 20), after which its users are refused; the token side stays flat.
fn strategy_tick(strategy: StrategyName, i: u64) -> StrategyTick {
    let session = strategy == StrategyName::Session;
    let mut tick = ticks::strategy_tick(strategy, i);
    for (n, node) in (1..).zip(&mut tick.nodes) {
        node.up = !(session && n == 2 && i >= 20);
        node.heap_bytes = 3_000_000 + if session { i * 150_000 * n } else { 1_000 * n };
        node.sessions = if session { 100 * i } else { 0 };
    }
    let unauthorized = if session && i >= 20 { 60 } else { 1 };
    tick.requests = RequestCounts {
        ok: 1000 + 10 * i,
        failed: unauthorized + 2,
        unauthorized,
        server_error: 1,
        connection: 1,
        interrupted: 0,
    };
    tick.throughput_rps = tick.requests.total() as f64 / 0.25;
    tick.server_requests = tick.requests.total();
    tick.users_logged_in = 100 + 10 * i;
    tick.sessions_held = if session { 95 + 10 * i } else { 0 };
    if let Some(store) = &mut tick.store {
        store.used_memory = Some(1_500_000 + 40_000 * i);
        store.keys = Some(100 * i);
    }
    tick.simulated = true;
    tick
}

fn tick(i: u64) -> Tick {
    ticks::tick_of(i, strategy_tick)
}

/// A recording of `TICKS` ticks with a node kill at 5 s. Its scenario text is only a name, so its
/// report draws the standard charts.
fn write_recording(dir: &Path) -> PathBuf {
    write_recording_of(
        dir,
        ScenarioInfo {
            name: "Sticky node dies".into(),
            source: "name = \"Sticky node dies\"\n".into(),
            origin: "scenarios/sticky-node-dies.toml".into(),
        },
    )
}

fn write_recording_of(dir: &Path, scenario: ScenarioInfo) -> PathBuf {
    let path = dir.join("run.jsonl");
    let header = Header::new(scenario);
    let mut writer = RecordingWriter::create(&path, &header).unwrap();
    for i in 0..TICKS {
        writer.write_tick(&tick(i)).unwrap();
        if i == 19 {
            writer.write_event(&ticks::kill_event(5.0, "session/2", "node session/2 killed")).unwrap();
        }
    }
    writer.finish().unwrap();
    path
}

fn authlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authlab")).args(args).output().unwrap()
}

/// Width and height from a PNG's signature and IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 33, "too short for a PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "no PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "the first chunk is not IHDR");
    let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

const STEMS: [&str; 5] = ["throughput", "latency", "memory", "users", "errors"];

/// Runs `authlab report` and checks every file; returns the output directory's SVG texts by stem.
fn report(lang: &str, titles: [&str; 5]) -> BTreeMap<&'static str, String> {
    let dir = TempDir::new(lang);
    let recording = write_recording(&dir.0);
    let out = dir.0.join("report");
    let output = authlab(&["report", recording.to_str().unwrap(), "--out", out.to_str().unwrap(), "--lang", lang]);
    assert!(output.status.success(), "authlab report failed: {}", String::from_utf8_lossy(&output.stderr));

    // It prints every file it wrote, and they exist.
    let stdout = String::from_utf8(output.stdout).unwrap();
    let printed: Vec<&str> = stdout.lines().collect();
    // Five charts, the projection's chart, each as PNG and SVG; the CSV and the summary.
    assert_eq!(printed.len(), 6 * 2 + 2, "{stdout}");
    for path in &printed {
        assert!(Path::new(path).is_file(), "{path} was printed but not written");
    }

    let mut svgs = BTreeMap::new();
    for (stem, title) in STEMS.into_iter().zip(titles) {
        let png = std::fs::read(out.join(format!("{stem}.png"))).unwrap();
        let (width, height) = png_size(&png);
        assert!((800..=4000).contains(&width) && (300..=3000).contains(&height), "{stem}.png is {width}×{height}");
        assert!(png.len() > 10_000, "{stem}.png is only {} bytes", png.len());

        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{stem}.svg starts with {:?}", &svg[..40.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"), "{stem}.svg is not closed");
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert!(svg.contains(title), "{stem}.svg lacks its title {title:?}");
        assert!(svg.contains("Sticky node dies"), "{stem}.svg lacks the scenario's name");
        svgs.insert(stem, svg);
    }

    // The CSV: a header, then one row per tick per strategy, each as wide as the header.
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], CSV_COLUMNS.join(","));
    for column in ["t", "strategy", "throughput_rps", "p999_us", "heap_bytes_total", "store_used_memory", "simulated"] {
        assert!(CSV_COLUMNS.contains(&column), "no column {column}");
    }
    assert_eq!(lines.len(), 1 + TICKS as usize * 2);
    for line in &lines[1..] {
        assert_eq!(line.split(',').count(), CSV_COLUMNS.len(), "{line}");
    }
    assert_eq!(lines.iter().filter(|line| line.contains(",session,")).count(), TICKS as usize);
    assert_eq!(lines.iter().filter(|line| line.contains(",token,")).count(), TICKS as usize);
    assert!(lines[1].starts_with("0.25,session,"), "{}", lines[1]);

    // The summary: both strategies, the event, links to every chart.
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.starts_with("# Sticky node dies"), "{summary}");
    assert!(summary.contains("kill_node") && summary.contains("session/2"), "{summary}");
    for stem in STEMS {
        assert!(summary.contains(&format!("({stem}.png)")) && summary.contains(&format!("({stem}.svg)")));
    }
    assert!(summary.contains("(timeseries.csv)"));
    // The projection of the run, with its chart.
    assert!(summary.contains("(projection-memory.png)"), "{summary}");
    let projection = std::fs::read_to_string(out.join("projection-memory.svg")).unwrap();
    assert!(projection.starts_with("<svg") && projection.trim_end().ends_with("</svg>"));
    svgs.insert("summary.md", summary);
    svgs
}

#[test]
fn english_report() {
    let files = report(
        "en",
        [
            "Throughput (requests/s)",
            "Latency percentiles (ms)",
            "Heap memory per node, stacked (MiB)",
            "Users logged in vs sessions held",
            "Errors by class (per second)",
        ],
    );
    let summary = &files["summary.md"];
    assert!(summary.contains("| figure | Session | Token |"), "{summary}");
    assert!(summary.contains("## Projection") && summary.contains("| node memory |"), "{summary}");
    assert!(summary.contains("Simulated capacity"), "the simulated note is missing:\n{summary}");
    assert!(files["memory"].contains("Kill node session/2"));
    assert!(files["throughput"].contains("Session (simulated capacity)"));
}

#[test]
fn korean_report() {
    let files = report(
        "ko",
        [
            "처리량 (요청/초)",
            "지연 시간 백분위수 (밀리초)",
            "노드별 힙 메모리, 누적 (MiB)",
            "로그인한 사용자 대 서버가 보유한 세션",
            "유형별 오류 (초당)",
        ],
    );
    let summary = &files["summary.md"];
    assert!(summary.contains("| 항목 | 세션 | 토큰 |"), "{summary}");
    assert!(summary.contains("## 규모 추정"), "{summary}");
    assert!(summary.contains("시뮬레이션"));
    assert!(files["memory"].contains("노드 종료 session/2"));
    assert!(files["users"].contains("시작 후 경과 시간 (초)"));
}

#[test]
fn errors_are_clear() {
    let dir = TempDir::new("errors");

    // Not a recording.
    let bogus = dir.0.join("bogus.jsonl");
    std::fs::write(&bogus, "hello\n").unwrap();
    let output = authlab(&["report", bogus.to_str().unwrap(), "--out", dir.0.join("out").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("bogus.jsonl") && stderr.contains("not an authlab recording"), "{stderr}");

    // A missing file.
    let output = authlab(&["report", dir.0.join("missing.jsonl").to_str().unwrap(), "--out", "x"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.jsonl"));

    // An output "directory" that is a file.
    let recording = write_recording(&dir.0);
    let blocker = dir.0.join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let out = blocker.join("report");
    let output = authlab(&["report", recording.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("cannot create the report directory") && stderr.contains("blocker"), "{stderr}");

    // An unknown language.
    let output = authlab(&["report", recording.to_str().unwrap(), "--out", "x", "--lang", "fr"]);
    assert!(!output.status.success());
}

#[test]
fn a_scenarios_report_draws_the_charts_it_names_in_its_order() {
    let dir = TempDir::new("own-charts");
    let source = authlab::scenario::builtin::source("revocation").expect("a built-in revocation scenario");
    assert!(source.contains("charts = [\"errors\", \"users\", \"denylist\", \"throughput\"]"), "{source}");
    let scenario = ScenarioInfo { name: "Revocation".into(), source: source.into(), origin: "revocation".into() };
    let recording = write_recording_of(&dir.0, scenario);
    let out = dir.0.join("report");
    let output = authlab(&["report", recording.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "authlab report failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let written: Vec<&str> =
        stdout.lines().map(|line| Path::new(line).file_name().unwrap().to_str().unwrap()).collect();
    assert_eq!(
        written,
        [
            "errors.png",
            "errors.svg",
            "users.png",
            "users.svg",
            "denylist.png",
            "denylist.svg",
            "throughput.png",
            "throughput.svg",
            "projection-memory.png",
            "projection-memory.svg",
            "timeseries.csv",
            "summary.md"
        ]
    );
    let denylist = std::fs::read_to_string(out.join("denylist.svg")).unwrap();
    assert!(denylist.contains("Denylist entries") && denylist.contains("revoked users"), "the denylist chart's text");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("(denylist.png)") && !summary.contains("(memory.png)"), "{summary}");
}

#[test]
fn with_2x_each_chart_is_also_written_at_twice_the_width() {
    let dir = TempDir::new("2x");
    let recording = write_recording(&dir.0);
    let out = dir.0.join("report");
    let output = authlab(&["report", recording.to_str().unwrap(), "--out", out.to_str().unwrap(), "--2x"]);
    assert!(output.status.success(), "authlab report --2x failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    for stem in STEMS {
        let one = png_size(&std::fs::read(out.join(format!("{stem}.png"))).unwrap());
        let two = png_size(&std::fs::read(out.join(format!("{stem}@2x.png"))).unwrap());
        assert_eq!(two, (one.0 * 2, one.1 * 2), "{stem}@2x.png is twice {stem}.png");
        assert!(stdout.contains(&format!("{stem}@2x.png")), "{stem}@2x.png is printed: {stdout}");
    }
}
