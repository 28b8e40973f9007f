//! App frame time with a one-hour run on screen: a synthetic recording of 3600 s at 4 ticks/s with
//! 8 nodes per strategy, replayed in the app, and the time of a UI pass on the CPU (layout and
//! every chart, downsampled; the GPU draw is not included) measured over many frames.
//!
//! `cargo bench --bench app_frame [-- FRAMES]` (default 120). Under `cargo test` it runs 5 frames.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use authlab::app::{AuthlabApp, Prefs, install_fonts};
use authlab::measure::{Latency, NodeTick, RequestCounts, StoreTick, StrategyTick, Tick};
use authlab::recording::{Header, MachineInfo, Recording, RecordingWriter, ScenarioInfo};
use authlab::scenario::StrategyName;
use egui_kittest::Harness;

const SECONDS: u64 = 3600;
const TICKS_PER_SECOND: u64 = 4;
const NODES: usize = 8;

fn one_hour_recording(path: &PathBuf) -> anyhow::Result<Recording> {
    let machine = MachineInfo {
        os: "bench".into(),
        arch: "x86_64".into(),
        cpus: 2,
        memory_bytes: 1 << 30,
        cpu_brand: "bench".into(),
        hostname: "bench".into(),
    };
    let header = Header::with_machine(
        ScenarioInfo { name: "One hour, 8 nodes".into(), source: String::new(), origin: "bench".into() },
        machine,
    );
    let mut writer = RecordingWriter::create(path, &header)?;
    for i in 1..=SECONDS * TICKS_PER_SECOND {
        let t = i as f64 / TICKS_PER_SECOND as f64;
        let mut tick = Tick { t, interval_s: 0.25, ..Tick::default() };
        for strategy in StrategyName::BOTH {
            let mut latency = Latency::new();
            for k in 0..50 {
                latency.record_us(300 + (k * 37 + i * 13) % 5000);
            }
            let nodes = (0..NODES)
                .map(|n| NodeTick {
                    id: format!("{}/{}", strategy.as_str(), n + 1),
                    up: true,
                    heap_bytes: (1 << 20) + (i % 1000) * 1000 + n as u64 * 100_000,
                    rss_bytes: 30 << 20,
                    cpu_seconds: t / 10.0,
                    requests_total: i * 100,
                    sessions: i % 500,
                    connections: 16,
                })
                .collect();
            let requests = RequestCounts { ok: 500 + i % 50, failed: i % 7, unauthorized: i % 7, ..Default::default() };
            tick.strategies.insert(
                strategy,
                StrategyTick {
                    requests,
                    latency_us: (&latency).into(),
                    throughput_rps: requests.total() as f64 * 4.0,
                    users_logged_in: 1000,
                    sessions_held: i % 5000,
                    nodes,
                    store: Some(StoreTick {
                        kind: "redis".into(),
                        ops: 100,
                        used_memory: Some(1 << 24),
                        keys: Some(5000),
                        ..StoreTick::default()
                    }),
                    ..StrategyTick::default()
                },
            );
        }
        writer.write_tick(&tick)?;
    }
    writer.finish()?;
    Ok(Recording::open(path)?)
}

fn main() -> anyhow::Result<()> {
    let measuring = std::env::args().any(|a| a == "--bench");
    let frames: usize =
        std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(if measuring { 120 } else { 5 });
    let path = std::env::temp_dir().join(format!("authlab-frame-bench-{}.jsonl", std::process::id()));
    let started = Instant::now();
    let recording = one_hour_recording(&path)?;
    let load = started.elapsed();
    let mut app = AuthlabApp::new(Prefs::default(), PathBuf::from("authlab"))?;
    let opened = Instant::now();
    app.replay_recording(recording);
    let build = opened.elapsed();
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_context_setup(install_fonts)
        .build_ui_state(|ui, app: &mut AuthlabApp| app.show(ui), app);
    harness.run();
    let mut times: Vec<Duration> = Vec::with_capacity(frames);
    for _ in 0..frames {
        let frame = Instant::now();
        harness.step();
        times.push(frame.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "one-hour recording ({} ticks, {NODES} nodes per strategy): written+read in {:.1} s, charts built in {:.0} ms",
        SECONDS * TICKS_PER_SECOND,
        load.as_secs_f64(),
        ms(build)
    );
    println!(
        "frame time over {frames} frames: median {:.2} ms, p90 {:.2} ms, max {:.2} ms (goal ≤ 16 ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
        ms(times[times.len() - 1])
    );
    let _ = std::fs::remove_file(path);
    Ok(())
}
