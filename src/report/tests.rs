//! Rendering checks of the report: real pixels, real SVG text, real files.

use std::collections::BTreeMap;

use plotters::prelude::{BLACK, IntoDrawingArea, SVGBackend, WHITE};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::i18n::Text;
use crate::measure::{EventSource, Latency, NodeTick, RequestCounts, ResourceTick, StoreTick, StrategyTick};
use crate::scenario::{Action, StrategyName};

fn run(simulated: bool) -> (Vec<Tick>, Vec<EventRecord>) {
    let ticks = (0..40u64)
        .map(|i| {
            let strategies = StrategyName::BOTH
                .into_iter()
                .map(|strategy| {
                    let mut latency = Latency::new();
                    for us in [300, 400, 500 + 10 * i, 9000] {
                        latency.record_us(us);
                    }
                    let nodes = (1..=3)
                        .map(|n| NodeTick {
                            id: format!("{}/{n}", strategy.as_str()),
                            up: !(n == 2 && i >= 20),
                            heap_bytes: 2_000_000 + i * 100_000 * n,
                            cpu_seconds: 0.001 * (i * n) as f64,
                            ..NodeTick::default()
                        })
                        .collect();
                    let st = StrategyTick {
                        requests: RequestCounts {
                            ok: 100 + i,
                            failed: 3,
                            unauthorized: 2,
                            server_error: 0,
                            connection: 1,
                            interrupted: 0,
                        },
                        latency_us: (&latency).into(),
                        throughput_rps: 400.0 + i as f64,
                        users_logged_in: 10 * i,
                        sessions_held: 12 * i,
                        nodes,
                        store: Some(StoreTick {
                            kind: "redis".into(),
                            ops: 5,
                            used_memory: Some(1_000_000 + 50_000 * i),
                            keys: Some(i),
                            ..StoreTick::default()
                        }),
                        simulated,
                        server_requests: 100 + i,
                        credential_bytes_per_request: 300.0,
                        denylist_entries: i,
                        revoked_users: i / 10,
                        auth_checks: 100,
                        auth_check_seconds: 0.002,
                        resource: Some(ResourceTick { requests: 50, issuer_calls: 5 }),
                        ..StrategyTick::default()
                    };
                    (strategy, st)
                })
                .collect::<BTreeMap<_, _>>();
            Tick { t: 0.25 * (i + 1) as f64, interval_s: 0.25, strategies }
        })
        .collect();
    let events = vec![EventRecord {
        t: 5.0,
        action: Action::KillNode,
        target: "session/2".into(),
        source: EventSource::Scheduled,
        detail: "killed".into(),
        ok: true,
    }];
    (ticks, events)
}

/// Dark pixels (all channels below 128) in rows `rows` of an RGB buffer `width` wide.
fn dark_pixels(rgb: &[u8], width: u32, rows: std::ops::Range<u32>) -> usize {
    let row_bytes = width as usize * 3;
    rgb[rows.start as usize * row_bytes..rows.end as usize * row_bytes]
        .chunks_exact(3)
        .filter(|px| px.iter().all(|&c| c < 128))
        .count()
}

/// `label` drawn alone in the bundled font, as the PNGs are: an SVG rasterized (400×60, RGB).
fn render_label(label: &str) -> Vec<u8> {
    font::ensure_registered().unwrap();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (400, 60)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        let style = font::text(36.0, BLACK).pos(Pos::new(HPos::Left, VPos::Top));
        root.draw(&plotters::element::Text::new(label.to_owned(), (10, 10), style)).unwrap();
        root.present().unwrap();
    }
    super::raster::rgb(&svg, 400).unwrap().0
}

#[test]
fn a_png_is_its_svg_rasterized_and_twice_as_big_for_slides() {
    let (ticks, events) = run(false);
    let input = ChartInput { ticks: &ticks, events: &events, title: "t", charts: &[] };
    let dir = std::env::temp_dir().join(format!("authlab-png2x-{}", std::process::id()));
    let written = export_charts(&input, Language::English, &dir, &[ExportFormat::Png, ExportFormat::Png2x]).unwrap();
    let size = |path: &std::path::Path| {
        let bytes = std::fs::read(path).unwrap();
        // The PNG header's IHDR: width and height, big-endian, at bytes 16..24.
        (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()))
    };
    let one = written.iter().find(|p| p.ends_with("throughput.png")).unwrap();
    let two = written.iter().find(|p| p.ends_with("throughput@2x.png")).unwrap();
    assert_eq!(size(one), CHART_SIZE);
    assert_eq!(size(two), (2 * CHART_SIZE.0, 2 * CHART_SIZE.1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hangul_renders_as_glyphs() {
    let empty = dark_pixels(&render_label(""), 400, 0..60);
    let korean = render_label("처리량 지연");
    let other = render_label("메모리 오류");
    assert_eq!(empty, 0);
    let dark = dark_pixels(&korean, 400, 0..60);
    assert!(dark > 150, "Korean text drew only {dark} dark pixels");
    // Missing glyphs would all draw as the same box (or nothing): real glyphs differ.
    assert_ne!(korean, other, "two different Korean strings rendered identically");
}

#[test]
fn korean_chart_has_a_visible_title() {
    let (ticks, events) = run(false);
    let input = ChartInput { ticks: &ticks, events: &events, title: "세션 대 토큰", charts: &[] };
    let rgb = render_rgb(Chart::Throughput, &input, Language::Korean, CHART_SIZE).unwrap();
    // The title band: the first 56 rows, white but for the title's glyphs.
    let dark = dark_pixels(&rgb, CHART_SIZE.0, 0..56);
    assert!(dark > 500, "the Korean title drew only {dark} dark pixels");
}

#[test]
fn svg_keeps_text_and_names_the_font() {
    let (ticks, events) = run(true);
    let input = ChartInput { ticks: &ticks, events: &events, title: "A & B", charts: &[] };
    for (language, title, marker) in [
        (Language::English, "Heap memory per node, stacked (MiB)", "Kill node session/2"),
        (Language::Korean, "노드별 힙 메모리, 누적 (MiB)", "노드 종료 session/2"),
    ] {
        let svg = render_svg(Chart::Memory, &input, language).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(title), "no title {title:?}");
        assert!(svg.contains("A &amp; B"));
        assert!(svg.contains(marker), "no marker {marker:?}");
        assert!(svg.contains("font-family=\"NanumGothic, sans-serif\""));
        assert!(svg.contains(language.tr(Text::Simulated)), "the simulated capacity is not marked");
        assert!(svg.contains("session/3") && svg.contains(language.tr(Text::ChartStoreUsedMemory)));
    }
}

#[test]
fn every_chart_renders_with_no_ticks_and_with_one_strategy() {
    let (ticks, _) = run(false);
    let token_only: Vec<Tick> = ticks
        .into_iter()
        .map(|mut tick| {
            tick.strategies.remove(&StrategyName::Session);
            tick
        })
        .collect();
    for &(chart, _) in Chart::NAMES {
        for slice in [&[][..], &token_only[..], &token_only[..1]] {
            let input = ChartInput { ticks: slice, events: &[], title: "", charts: &[] };
            let svg = render_svg(chart, &input, Language::English).unwrap();
            assert!(svg.contains("did not run"), "{chart:?}");
            render_rgb(chart, &input, Language::Korean, (800, 400)).unwrap();
        }
    }
}

#[test]
fn export_writes_only_the_formats_asked_for() {
    let (ticks, events) = run(false);
    let dir = std::env::temp_dir().join(format!("authlab-report-unit-{}", std::process::id()));
    let input = ChartInput { ticks: &ticks[10..20], events: &events, title: "slice", charts: &[] };
    let written = export_charts(&input, Language::English, &dir, &[ExportFormat::Svg, ExportFormat::Csv]).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["throughput.svg", "latency.svg", "memory.svg", "users.svg", "errors.svg", "timeseries.csv"]);
    let csv = std::fs::read_to_string(dir.join(CSV_FILE)).unwrap();
    assert_eq!(csv.lines().count(), 1 + 10 * 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scenarios_own_charts_are_the_ones_exported_each_with_its_lines() {
    let (ticks, events) = run(false);
    let charts = [
        Chart::CpuPerRequest,
        Chart::AuthCheck,
        Chart::BytesPerRequest,
        Chart::StoreOps,
        Chart::Denylist,
        Chart::Nodes,
        Chart::IssuerCalls,
        Chart::Latency,
    ];
    let dir = std::env::temp_dir().join(format!("authlab-report-own-charts-{}", std::process::id()));
    let input = ChartInput { ticks: &ticks, events: &events, title: "own", charts: &charts };
    let written = export_charts(&input, Language::English, &dir, &[ExportFormat::Svg]).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        [
            "cpu_per_request.svg",
            "auth_check.svg",
            "bytes_per_request.svg",
            "store_ops.svg",
            "denylist.svg",
            "nodes.svg",
            "issuer_calls.svg",
            "latency.svg"
        ]
    );
    let svg = std::fs::read_to_string(dir.join("denylist.svg")).unwrap();
    assert!(svg.contains(Language::English.tr(Text::DenylistLine)), "the denylist chart has its legend");
    let _ = std::fs::remove_dir_all(&dir);

    let value_at = |chart: Chart, line: usize, t: f64| -> f64 {
        let spec = series::ChartSpec::build(chart, &input, Language::English);
        let panel = &spec.panels[0];
        assert!(panel.ran, "{chart:?}");
        panel.lines[line].points.iter().find(|&&(at, _)| (at - t).abs() < 1e-9).map(|&(_, v)| v).unwrap()
    };
    // Tick i is at 0.25 (i + 1) s. Each node's CPU grows by 1 ms × its number per tick (6 ms for
    // three nodes), over 100 + i requests: tick 10 is 6000 / 110 µs.
    assert!((value_at(Chart::CpuPerRequest, 0, 2.75) - 6000.0 / 110.0).abs() < 1e-6);
    assert!((value_at(Chart::AuthCheck, 0, 2.75) - 20.0).abs() < 1e-9, "2 ms over 100 checks");
    assert_eq!(value_at(Chart::BytesPerRequest, 0, 2.75), 300.0);
    assert_eq!(value_at(Chart::StoreOps, 0, 2.75), 20.0, "5 ops in 0.25 s");
    assert_eq!(value_at(Chart::Denylist, 0, 2.75), 10.0);
    assert_eq!(value_at(Chart::Denylist, 1, 2.75), 1.0);
    assert_eq!(value_at(Chart::Nodes, 0, 2.75), 3.0);
    assert_eq!(value_at(Chart::Nodes, 0, 7.5), 2.0, "node 2 is down from tick 20 on");
    assert_eq!(value_at(Chart::IssuerCalls, 0, 2.75), 200.0);
    assert_eq!(value_at(Chart::IssuerCalls, 1, 2.75), 20.0);
}

#[test]
fn the_bundled_font_has_a_glyph_for_every_character_of_every_text() {
    use ab_glyph::Font;
    let font = ab_glyph::FontRef::try_from_slice(NANUM_GOTHIC).unwrap();
    for text in Text::ALL {
        for language in Language::ALL {
            let missing: Vec<char> =
                language.tr(*text).chars().filter(|c| !c.is_whitespace() && font.glyph_id(*c).0 == 0).collect();
            assert!(missing.is_empty(), "{text:?} in {language:?} draws {missing:?} as boxes in exported charts");
        }
    }
}
