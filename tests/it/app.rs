//! The desktop app, driven headless with egui_kittest: what a user clicks and what they then see.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use authlab::app::{AuthlabApp, Prefs, install_fonts};
use authlab::measure::{ForeignTick, Latency, NodeTick, RequestCounts, StrategyTick, Tick};
use authlab::recording::{Header, Recording, RecordingWriter, ScenarioInfo};
use authlab::scenario::{Action, StrategyName};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT, Queryable};

use crate::support::ticks;

pub(crate) fn app() -> AuthlabApp {
    AuthlabApp::new(Prefs::default(), PathBuf::from(env!("CARGO_BIN_EXE_authlab"))).expect("the app starts")
}

pub(crate) fn harness(app: AuthlabApp) -> Harness<'static, AuthlabApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .with_context_setup(install_fonts)
        .build_ui_state(|ui, app: &mut AuthlabApp| app.show(ui), app)
}

/// A small recording on disk: 40 ticks of both strategies and one kill.
fn recording(path: &Path) -> Recording {
    recording_of(path, &StrategyName::BOTH)
}

/// [`recording`] of `strategies` only.
fn recording_of(path: &Path, strategies: &[StrategyName]) -> Recording {
    recording_with(path, strategies, &[], 0)
}

/// [`recording_of`] with every latency `extra_us` longer.
fn recording_slower(path: &Path, strategies: &[StrategyName], extra_us: u64) -> Recording {
    recording_with(path, strategies, &[], extra_us)
}

/// [`recording_of`], with the strategies of `foreign` run against the user's own server, whose
/// process was not measured, and every latency `extra_us` longer.
fn recording_with(path: &Path, strategies: &[StrategyName], foreign: &[StrategyName], extra_us: u64) -> Recording {
    let header = Header::with_machine(
        ScenarioInfo { name: "Replayed run".into(), source: String::new(), origin: "test".into() },
        ticks::machine("test"),
    );
    let mut writer = RecordingWriter::create(path, &header).expect("a recording file");
    for i in 1..=40u64 {
        let mut tick = Tick { t: i as f64 * 0.25, interval_s: 0.25, ..Tick::default() };
        for &strategy in strategies {
            let mut latency = Latency::new();
            for k in 0..100 {
                latency.record_us(200 + k * 7 + i * 3 + extra_us);
            }
            let requests = RequestCounts { ok: 100, ..RequestCounts::default() };
            let node = NodeTick {
                id: format!("{}/1", strategy.as_str()),
                up: true,
                heap_bytes: i << 20,
                ..NodeTick::default()
            };
            tick.strategies.insert(
                strategy,
                StrategyTick {
                    requests,
                    latency_us: (&latency).into(),
                    throughput_rps: 400.0,
                    users_logged_in: 10,
                    sessions_held: if strategy == StrategyName::Session { 10 * i } else { 0 },
                    nodes: vec![node],
                    foreign: foreign.contains(&strategy).then(ForeignTick::default),
                    ..StrategyTick::default()
                },
            );
        }
        writer.write_tick(&tick).expect("a tick");
        if i == 20 {
            writer.write_event(&ticks::kill_event(5.0, "session/1", "session/1 killed (SIGKILL)")).expect("an event");
        }
    }
    writer.finish().expect("finished");
    Recording::open(path).expect("it reads back")
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("authlab-app-test-{}-{name}", std::process::id()))
}

#[test]
fn opening_a_recording_shows_its_timeline_and_the_range_figures() {
    let path = temp("replay.jsonl");
    let mut app = app();
    app.replay_recording(recording(&path));
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Timeline");
    harness.get_by_label("Replayed run");
    harness.get_by_label_contains("Session: 4000 requests");
    assert!(harness.query_all_by_label("Range starts at").count() >= 1, "the range can be chosen");
    harness.get_by_label("Play").click();
    harness.run_steps(5);
    assert!(harness.state().timeline().expect("a timeline").playing);

    // A second recording is drawn on the same axes for comparison.
    let other = recording(&temp("other.jsonl"));
    harness.state_mut().overlay_recording("yesterday.jsonl", &other);
    harness.run_steps(3);
    harness.get_by_label("+ yesterday.jsonl");
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(temp("other.jsonl"));
}

#[test]
fn the_projection_panel_projects_the_replayed_ticks_and_follows_the_users_input() {
    let path = temp("projection.jsonl");
    let mut app = app();
    app.replay_recording(recording(&path));
    let mut harness = harness(app);
    harness.run();
    assert!(harness.query_by_label("node memory").is_none(), "the panel opens on demand");
    harness.get_by_label("Projection").click();
    harness.run();
    // The recording's session heap grows 1 MiB for every 10 sessions: 104,857.6 B a session,
    // 1,048.58 GB for the default 10M users, over the whole recording (its 40 ticks), plus the
    // memory store's tables for 10M sessions on the 62 machines that takes (their doubling steps).
    harness.get_by_label_contains("Measured over: Replayed run");
    harness.get_by_label_contains("(40 ticks)");
    harness.get_by_label("node memory");
    let gigabytes = |users: u64| {
        let inputs = authlab::projection::Inputs { users, ..authlab::projection::Inputs::default() };
        let replayed = Recording::open(&path).expect("the recording reads");
        let projection = authlab::projection::Projection::of_run(replayed.ticks(), None, inputs);
        let p = &projection.strategies["session"];
        (p.memory_bytes.nodes / 1e9, p.memory_bytes.tables / 1e9)
    };
    let (all, tables) = gigabytes(10_000_000);
    assert!((all - tables - 1048.58).abs() < 0.01 && tables > 1.0 && tables < 4.0, "{all} GB, {tables} GB of tables");
    let shown = |gb: f64| {
        let text = format!("{gb:.2} GB");
        if gb >= 1000.0 { format!("{},{}", &text[..1], &text[1..]) } else { text }
    };
    harness.get_by_label(&shown(all));

    let users = harness.get_by_role_and_label(egui::accesskit::Role::Slider, "logged-in users");
    users.set_value_accesskit(1_000_000.0);
    harness.run();
    let (tenth, _) = gigabytes(1_000_000);
    assert!((tenth / all - 0.1).abs() < 0.002, "a tenth of the users, about a tenth of the memory: {tenth} of {all}");
    harness.get_by_label(&shown(tenth));
    assert!(harness.query_by_label(&shown(all)).is_none());

    // In Korean, the rows and the notes are Korean too.
    harness.get_by_label("한국어").click();
    harness.run();
    harness.get_by_label("노드 메모리");
    assert!(harness.query_all_by_label_contains("선형 증가를 가정합니다").count() >= 1, "the notes in Korean");
    let _ = std::fs::remove_file(path);
}

#[test]
fn switching_to_korean_shows_korean_labels_with_the_bundled_font() {
    let path = temp("korean.jsonl");
    let mut app = app();
    app.replay_recording(recording(&path));
    let mut harness = harness(app);
    harness.run();
    // egui_kittest panics on a glyph no font has: rendering Hangul proves the bundled font.
    harness.get_by_label("한국어").click();
    harness.run();
    harness.get_by_label("타임라인");
    harness.get_by_label("다시 보기");
    assert_eq!(harness.query_all_by_label("처리량").count(), 2, "both columns chart throughput");
    harness.get_by_label_contains("세션: 4000 요청");
    let _ = std::fs::remove_file(path);
}

#[test]
fn in_korean_the_library_names_each_built_in_scenario_in_korean() {
    let mut harness = harness(app());
    harness.run();
    let shown = |harness: &Harness<'static, AuthlabApp>, label: &str| harness.query_all_by_label(label).count();
    assert!(shown(&harness, "Memory grows with logged-in users") >= 1);
    harness.get_by_label("한국어").click();
    harness.run();
    // The selected (first) scenario is both a list entry and the heading.
    assert_eq!(shown(&harness, "로그인 사용자와 함께 늘어나는 메모리"), 2);
    assert_eq!(shown(&harness, "알고리즘 비용: EdDSA"), 1);
    assert_eq!(shown(&harness, "토큰 크기: 클레임이 모든 요청에 실린다"), 1);
    assert_eq!(harness.query_all_by_label("Memory grows with logged-in users").count(), 0, "no English name left");
}

const SHORT_SCENARIO: &str = r#"
name = "App smoke run"
duration = "30s"
[users]
count = 1000
password_hash = "sha256"
[load]
stages = [ { at = "0s", target = 4 } ]
think_time = "20ms"
requests_per_login = 0
[cluster]
routing = "sticky"
[session]
nodes = 2
[token]
"#;

/// Steps the UI until `done` says so, or panics after `timeout`.
pub(crate) fn run_until(harness: &mut Harness<'_, AuthlabApp>, timeout: Duration, done: impl Fn(&AuthlabApp) -> bool) {
    let deadline = Instant::now() + timeout;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "the app did not get there in {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
        harness.step();
    }
}

#[test]
fn start_makes_ticks_arrive_and_kill_node_draws_a_marker() {
    let mut app = app();
    app.add_scenario(Path::new("smoke.toml"), SHORT_SCENARIO.into());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Start").click();
    run_until(&mut harness, Duration::from_secs(20), |app| app.live_progress().is_some_and(|(ticks, _)| ticks >= 4));
    assert_eq!(harness.query_all_by_label("Throughput").count(), 2, "session and token charts side by side");

    // The token inspector mints a token from the live run's token node, not a node of its own.
    let ctx = harness.ctx.clone();
    harness.state_mut().mint_token(&ctx);
    run_until(&mut harness, Duration::from_secs(10), |app| !app.inspector.minting && !app.inspector.fetching);
    let inspector = &harness.state().inspector;
    let token = authlab::token::inspect::decode(&inspector.token).expect("a minted token");
    assert!(token.header_str("typ") == Some("at+jwt") && token.claims.contains_key("sub"), "{token:?}");
    assert!(inspector.own_node_url().is_none(), "the live run's node minted it");
    let cookie = inspector.measured_cookie().expect("the session cookie's size, measured");
    assert!(token.sizes.token_bytes > 4 * cookie, "a token is much larger than a session cookie");

    harness.get_by_label("Live").click();
    harness.run_steps(2);
    harness.get_by_label("Kill node (Session)").click();
    harness.run_steps(2);
    harness
        .get_all_by_role_and_label(egui::accesskit::Role::Button, "session/1")
        .next()
        .expect("the menu item")
        .click();
    run_until(&mut harness, Duration::from_secs(10), |app| {
        app.live_progress().is_some_and(|(_, events)| events.iter().any(|e| e.action == Action::KillNode))
    });
    let (_, events) = harness.state().live_progress().expect("a live run");
    let kill = events.iter().find(|e| e.action == Action::KillNode).expect("the kill event");
    assert!(kill.ok && kill.target == "session/1", "{kill:?}");
    harness.state_mut().stop();
    run_until(&mut harness, Duration::from_secs(15), AuthlabApp::live_finished);
    assert!(harness.state().notices.iter().all(|n| !n.error), "no error: {:?}", harness.state().notices);
}

/// Whether `text` has a Hangul syllable in it.
fn hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

#[test]
fn in_korean_every_knob_of_the_library_says_in_korean_what_it_does() {
    let mut app = app();
    app.add_scenario(Path::new("smoke.toml"), SHORT_SCENARIO.into());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("한국어").click();
    harness.run();
    // A tooltip is its widget's accessible description; the list's entries show where they came
    // from (a file path, or a built-in's name) instead.
    let tips: Vec<String> = harness
        .query_all(By::new().predicate(|node| node.description().is_some()))
        .filter_map(|node| node.accesskit_node().description())
        .filter(|tip| !tip.starts_with("built-in: ") && !tip.ends_with(".toml"))
        .collect();
    assert!(tips.len() >= 15, "the knobs have tooltips: {tips:?}");
    let english: Vec<&String> = tips.iter().filter(|tip| !hangul(tip)).collect();
    assert!(english.is_empty(), "tooltips left in English: {english:?}");
    let users = harness.get_by_label("users.count");
    let tip = users.accesskit_node().description().unwrap_or_default();
    assert!(tip.contains("계정"), "{tip}");
}

#[test]
fn in_korean_the_live_actions_name_the_strategy_in_korean() {
    let mut app = app();
    app.add_scenario(Path::new("smoke.toml"), SHORT_SCENARIO.into());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("한국어").click();
    harness.run();
    harness.get_by_label("시작").click();
    run_until(&mut harness, Duration::from_secs(20), |app| app.live_progress().is_some_and(|(ticks, _)| ticks >= 2));
    harness.get_by_label("실시간").click();
    harness.run_steps(2);
    harness.get_by_label("노드 추가 (토큰)");
    harness.get_by_label("노드 재시작 (세션)");
    harness.get_by_label("노드 종료 (세션)").click();
    harness.run_steps(2);
    for english in ["(session)", "(token)", "Kill node", "Add node", "Restart node"] {
        assert_eq!(harness.query_all_by_label_contains(english).count(), 0, "{english} in the Korean live view");
    }
    harness.state_mut().stop();
    run_until(&mut harness, Duration::from_secs(15), AuthlabApp::live_finished);
}

/// Whether a Vulkan driver is installed for wgpu (Mesa's software one will do), or
/// `VK_ICD_FILENAMES` names one (a driver unpacked outside /usr, e.g. from
/// `apt-get download mesa-vulkan-drivers libvulkan1`, with `LD_LIBRARY_PATH`). Where none is,
/// the snapshot test skips loudly, unless `AUTHLAB_REQUIRE_GPU=1` (CI) makes that a failure.
pub(crate) fn vulkan_available() -> bool {
    let found = std::env::var_os("VK_ICD_FILENAMES").is_some()
        || std::fs::read_dir("/usr/share/vulkan/icd.d")
            .map(|dir| dir.flatten().any(|f| f.path().extension().is_some_and(|e| e == "json")))
            .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("AUTHLAB_REQUIRE_GPU").as_deref() != Ok("1"),
            "no Vulkan driver: install mesa-vulkan-drivers"
        );
        eprintln!("\n*** SKIPPED snapshot test: no Vulkan driver (Debian: apt-get install mesa-vulkan-drivers)\n");
    }
    found
}

/// The app in a window of 1400×900, rendered on the GPU adapter wgpu finds (Mesa's software
/// Vulkan, lavapipe, on CI), for snapshots.
pub(crate) fn gpu_harness(app: AuthlabApp) -> Harness<'static, AuthlabApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .with_context_setup(install_fonts)
        .wgpu()
        .build_ui_state(|ui, app: &mut AuthlabApp| app.show(ui), app)
}

/// The app replaying `recording`, one frame in.
fn replaying(recording: Recording) -> Harness<'static, AuthlabApp> {
    let mut app = app();
    app.replay_recording(recording);
    let mut harness = harness(app);
    harness.run();
    harness
}

#[test]
fn the_replay_view_renders_as_its_snapshot() {
    if !vulkan_available() {
        return;
    }
    let path = temp("snapshot.jsonl");
    let mut app = app();
    app.replay_recording(recording(&path));
    let mut harness = gpu_harness(app);
    harness.run();
    harness.snapshot("replay_view_en");
    // And with the projection panel open beside the charts.
    harness.get_by_label("Projection").click();
    harness.run();
    harness.snapshot("replay_view_projection_en");
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_one_strategy_replay_takes_the_whole_width_under_its_headline_figures() {
    let path = temp("one-strategy.jsonl");
    let harness = replaying(recording_of(&path, &[StrategyName::Token]));
    // No empty session column: the token's charts and figures are all there is.
    assert!(harness.query_by_label("Session").is_none(), "no session column");
    assert!(harness.query_by_label_contains("Session:").is_none(), "nothing to compare with");
    harness.get_by_label("Token");
    harness.get_by_label("sessions held");
    harness.get_by_label("p99 latency");
    harness.get_by_label("1.01 ms");
    let _ = std::fs::remove_file(&path);
    if vulkan_available() {
        let mut app = app();
        app.replay_recording(recording_of(&path, &[StrategyName::Token]));
        let mut harness = gpu_harness(app);
        harness.run();
        harness.snapshot("replay_one_strategy_en");
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn a_foreign_target_s_unmeasured_charts_say_so_instead_of_drawing_zeros() {
    let path = temp("foreign.jsonl");
    let mut harness = replaying(recording_with(&path, &StrategyName::BOTH, &[StrategyName::Token], 0));
    harness.get_by_label("(your own server)");
    // Memory (no metrics, no pid) is not measured on the token side only; the session side plots it.
    assert_eq!(harness.query_all_by_label_contains("not measured: your own server").count(), 1, "memory, token side");
    assert!(harness.query_by_label("Token: 0 (−400)").is_none(), "a foreign server's sessions are not counted as 0");
    harness.get_by_label("한국어").click();
    harness.run();
    harness.get_by_label("(사용자 서버)");
    assert_eq!(harness.query_all_by_label_contains("측정 안 됨").count(), 1);
    let _ = std::fs::remove_file(path);
}

#[test]
fn the_headline_figures_compare_the_two_strategies_and_speak_korean() {
    let path = temp("headline.jsonl");
    let mut harness = replaying(recording(&path));
    // The fixture holds 10 sessions a second up to 400; the token side holds none.
    harness.get_by_label("400");
    harness.get_by_label("Token: 0 (−400)");
    harness.get_by_label("Session: 400 (+400)");
    harness.get_by_label("한국어").click();
    harness.run();
    assert!(harness.query_all_by_label("보유 세션").count() == 2, "the titles in Korean, one per strategy");
    harness.get_by_label("토큰: 0 (−400)");
    let _ = std::fs::remove_file(path);
}

#[test]
fn export_writes_valid_png_and_svg_files_of_the_view() {
    let path = temp("export.jsonl");
    let dir = temp("export-out");
    let mut app = app();
    app.replay_recording(recording(&path));
    let mut harness = harness(app);
    harness.run();
    let ctx = harness.ctx.clone();
    harness.state_mut().export_to(dir.clone(), &ctx);
    run_until(&mut harness, Duration::from_secs(30), |app| !app.exporting);
    assert!(harness.state().notices.iter().all(|n| !n.error), "{:?}", harness.state().notices);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("the export folder").flatten().map(|e| e.path()).collect();
    let pngs: Vec<&PathBuf> = files.iter().filter(|p| p.extension().is_some_and(|e| e == "png")).collect();
    let svgs: Vec<&PathBuf> = files.iter().filter(|p| p.extension().is_some_and(|e| e == "svg")).collect();
    assert!(pngs.len() >= 5 && svgs.len() >= 5, "{files:?}");
    for png in pngs {
        let bytes = std::fs::read(png).expect("png");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{png:?} is a PNG");
    }
    for svg in svgs {
        let text = std::fs::read_to_string(svg).expect("svg");
        assert!(text.trim_start().starts_with("<svg") && text.trim_end().ends_with("</svg>"), "{svg:?} is an SVG");
    }
    assert!(files.iter().any(|p| p.extension().is_some_and(|e| e == "csv")));
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_file(path);
}

#[test]
fn an_overlaid_recording_is_compared_figure_by_figure_in_both_languages() {
    let (path, slower) = (temp("compared.jsonl"), temp("compared-slower.jsonl"));
    let mut harness = replaying(recording(&path));
    let other = recording_slower(&slower, &StrategyName::BOTH, 1000);
    harness.state_mut().overlay_recording("slower.jsonl", &other);
    harness.run_steps(3);
    harness.get_by_label_contains("This run against the overlay: ");
    harness.get_by_label("session.latency_p99");
    assert!(harness.query_by_label("token.throughput_rps").is_none(), "a figure the same in both is left out");
    // The overlay's latencies are a millisecond longer: a regression, in both strategies.
    assert!(harness.query_all_by_label("regression").count() >= 2, "the slower overlay is flagged");
    harness.get_by_label("한국어").click();
    harness.run();
    harness.get_by_label_contains("이 실행과 겹친 기록 비교: ");
    assert!(harness.query_all_by_label("퇴보").count() >= 2, "the flags in Korean");
    // A tolerance wide enough takes the flags away, as `authlab compare --tolerance` would.
    let flags = |harness: &Harness<'_, AuthlabApp>| harness.query_all_by_label("퇴보").count();
    harness.get_by_role_and_label(egui::accesskit::Role::SpinButton, "다음보다 큰 변화를 표시 ±").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_role_and_label(egui::accesskit::Role::SpinButton, "다음보다 큰 변화를 표시 ±").type_text("1000");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert_eq!(flags(&harness), 0, "nothing flagged within ±1000 %");
    if vulkan_available() {
        let mut app = app();
        app.replay_recording(recording(&path));
        app.overlay_recording("slower.jsonl", &other);
        let mut harness = gpu_harness(app);
        harness.run();
        harness.snapshot("replay_comparison_en");
    }
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(slower);
}

#[test]
fn an_abort_on_fail_threshold_stops_the_apps_run_early_and_the_live_view_lists_the_verdicts_in_both_languages() {
    // A 60 s run with a threshold that cannot hold, checked from its first second on, beside one
    // that holds.
    let scenario = r#"
name = "App thresholds"
duration = "60s"
[users]
count = 200
password_hash = "sha256"
[load]
stages = [ { at = "0s", target = 4 } ]
think_time = "10ms"
[token]
nodes = 1
refresh = false
[thresholds]
"token.requests_ok" = "> 0"
"token.latency_p99" = { threshold = "< 1us", abort_on_fail = true, delay = "1s" }
"#;
    let mut app = app();
    app.add_scenario(Path::new("thresholds.toml"), scenario.into());
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Start").click();
    run_until(&mut harness, Duration::from_secs(30), |app| app.live_progress().is_some_and(|(ticks, _)| ticks >= 1));
    harness.get_by_label("Live").click();
    harness.run_steps(2);
    harness.get_by_label("Thresholds (2): checked when the run ends");
    run_until(&mut harness, Duration::from_secs(30), AuthlabApp::live_finished);
    harness.run_steps(2);
    let (ticks, _) = harness.state().live_progress().expect("the run");
    assert!(ticks < 30 * 4, "stopped long before its 60 s: {ticks} ticks");
    harness.get_by_label_contains("Stopped early: threshold token.latency_p99 < 1us failed at ");
    harness.get_by_label("Thresholds: 1 of 2 failed").click();
    harness.run_steps(2);
    harness.get_by_label("token.requests_ok > 0");
    harness.get_by_label("token.latency_p99 < 1us");
    assert_eq!(harness.query_all_by_label("held").count(), 1, "one held");
    assert_eq!(harness.query_all_by_label("failed").count(), 1, "one failed");

    harness.get_by_label("한국어").click();
    harness.run_steps(2);
    harness.get_by_label_contains("일찍 멈춤: 임계값 token.latency_p99 < 1us 실패");
    harness.get_by_label("임계값: 2개 중 1개 실패");
    assert_eq!(harness.query_all_by_label("통과").count(), 1, "the list stays open in the other language");
    assert_eq!(harness.query_all_by_label("실패").count(), 1);
}
