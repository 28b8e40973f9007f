//! Turns ticks and events into what one chart shows: per strategy, its lines, stacked bands and
//! event markers, with shared axes, in the chosen language. No drawing here.

use plotters::style::RGBColor;

use crate::i18n::{Language, Text};
use crate::measure::{EventRecord, StrategyTick, Tick};
use crate::scenario::{Action, StrategyName};

use super::{Chart, ChartInput};

const MIB: f64 = 1024.0 * 1024.0;

/// Strategy colours, for charts with one line per panel.
const SESSION_COLOR: RGBColor = RGBColor(31, 119, 180);
const TOKEN_COLOR: RGBColor = RGBColor(214, 39, 40);

const P50_COLOR: RGBColor = RGBColor(31, 119, 180);
const P99_COLOR: RGBColor = RGBColor(255, 127, 14);
const P999_COLOR: RGBColor = RGBColor(214, 39, 40);

const USERS_COLOR: RGBColor = RGBColor(31, 119, 180);
const SESSIONS_COLOR: RGBColor = RGBColor(44, 160, 44);

const UNAUTHORIZED_COLOR: RGBColor = RGBColor(255, 127, 14);
const SERVER_ERROR_COLOR: RGBColor = RGBColor(214, 39, 40);
const CONNECTION_COLOR: RGBColor = RGBColor(148, 103, 189);

const STORE_COLOR: RGBColor = RGBColor(20, 20, 20);

/// Node bands of the memory chart, in order of first appearance (cycled past ten nodes).
const NODE_COLORS: [RGBColor; 10] = [
    RGBColor(158, 202, 225),
    RGBColor(253, 174, 107),
    RGBColor(161, 217, 155),
    RGBColor(252, 146, 114),
    RGBColor(188, 189, 220),
    RGBColor(196, 156, 148),
    RGBColor(247, 182, 210),
    RGBColor(199, 199, 199),
    RGBColor(219, 219, 141),
    RGBColor(158, 218, 229),
];

/// One line of a panel: (seconds, value) points in time order.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
    /// Stroke width in pixels: thicker for a line that others may cover (users logged in, under
    /// sessions held, which often equals it) or that stands over bands (the store's memory).
    pub width: u32,
}

/// One band of a stacked area: between `lower` and `upper`, at the same times.
#[derive(Debug, Clone)]
pub(crate) struct Band {
    pub label: String,
    pub color: RGBColor,
    pub t: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// A labelled vertical marker.
#[derive(Debug, Clone)]
pub(crate) struct Marker {
    pub t: f64,
    pub label: String,
    pub ok: bool,
}

/// One strategy's half of a chart.
#[derive(Debug, Clone)]
pub(crate) struct Panel {
    /// "Session", or "Session (simulated capacity)".
    pub caption: String,
    /// False when the strategy has no tick in the input: the panel says so instead of plotting.
    pub ran: bool,
    pub bands: Vec<Band>,
    pub lines: Vec<Line>,
    pub markers: Vec<Marker>,
}

/// Everything needed to draw one chart.
#[derive(Debug, Clone)]
pub(crate) struct ChartSpec {
    pub title: String,
    /// The note under the title when any tick was simulated.
    pub simulated_note: Option<String>,
    pub x_desc: String,
    pub y_desc: String,
    pub x_range: (f64, f64),
    /// Shared by both panels, so they compare at a glance. Includes headroom for marker labels.
    pub y_range: (f64, f64),
    pub log_y: bool,
    pub did_not_run: String,
    pub panels: Vec<Panel>,
}

impl ChartSpec {
    pub fn build(chart: Chart, input: &ChartInput<'_>, language: Language) -> Self {
        let tr = |text| language.tr(text).to_owned();
        let x_range = x_range(input.ticks);
        let simulated = input.ticks.iter().any(|tick| tick.strategies.values().any(|st| st.simulated));
        let chart_title = language.tr(title(chart));
        let title =
            if input.title.is_empty() { chart_title.to_owned() } else { format!("{chart_title} · {}", input.title) };

        let panels: Vec<Panel> = StrategyName::BOTH
            .into_iter()
            .map(|strategy| {
                let ran = input.ticks.iter().any(|tick| tick.strategies.contains_key(&strategy));
                let strategy_simulated =
                    input.ticks.iter().filter_map(|tick| tick.strategies.get(&strategy)).any(|st| st.simulated);
                let name = language.tr(match strategy {
                    StrategyName::Session => Text::Session,
                    StrategyName::Token => Text::Token,
                });
                let caption = if strategy_simulated {
                    format!("{name} ({})", language.tr(Text::Simulated))
                } else {
                    name.to_owned()
                };
                let (bands, lines) =
                    if ran { series(chart, input.ticks, strategy, language) } else { Default::default() };
                let markers = markers(input.events, strategy, x_range, language);
                Panel { caption, ran, bands, lines, markers }
            })
            .collect();

        let (y_desc, log_y) = match chart {
            Chart::Throughput => (tr(Text::RequestsPerSecond), false),
            Chart::Latency => (tr(Text::ChartAxisLatencyLog), true),
            Chart::Memory => (tr(Text::Mebibytes), false),
            Chart::Users => (tr(Text::ChartAxisCount), false),
            Chart::Errors => (tr(Text::ChartAxisErrorsPerSecond), false),
            Chart::CpuPerRequest | Chart::AuthCheck => (tr(Text::Microseconds), false),
            Chart::BytesPerRequest => (tr(Text::Bytes), false),
            Chart::StoreOps => (tr(Text::OpsPerSecond), false),
            Chart::Denylist | Chart::Nodes => (tr(Text::ChartAxisCount), false),
            Chart::IssuerCalls => (tr(Text::RequestsPerSecond), false),
        };
        let y_range = y_range(&panels, log_y);
        ChartSpec {
            title,
            simulated_note: simulated.then(|| tr(Text::ChartSimulatedNote)),
            x_desc: tr(Text::ChartAxisTime),
            y_desc,
            x_range,
            y_range,
            log_y,
            did_not_run: tr(Text::ChartDidNotRun),
            panels,
        }
    }
}

/// The chart's title (without the run's title).
pub(crate) fn title(chart: Chart) -> Text {
    match chart {
        Chart::Throughput => Text::ChartThroughput,
        Chart::Latency => Text::ChartLatency,
        Chart::Memory => Text::ChartMemory,
        Chart::Users => Text::ChartUsers,
        Chart::Errors => Text::ChartErrors,
        Chart::CpuPerRequest => Text::CpuPerRequest,
        Chart::AuthCheck => Text::AuthCheck,
        Chart::BytesPerRequest => Text::BytesPerRequest,
        Chart::StoreOps => Text::StoreOps,
        Chart::Denylist => Text::DenylistEntries,
        Chart::Nodes => Text::NodesUp,
        Chart::IssuerCalls => Text::IssuerCalls,
    }
}

/// From the start of the first tick to the end of the last (a slice of a run keeps its own times).
fn x_range(ticks: &[Tick]) -> (f64, f64) {
    let start = ticks.iter().map(|tick| (tick.t - tick.interval_s).max(0.0)).fold(f64::INFINITY, f64::min);
    let end = ticks.iter().map(|tick| tick.t).fold(f64::NEG_INFINITY, f64::max);
    if !start.is_finite() || !end.is_finite() {
        return (0.0, 1.0);
    }
    if end > start { (start, end) } else { (start, start + 1.0) }
}

/// Room above the data for three rows of marker labels.
const HEADROOM: f64 = 1.3;

fn y_range(panels: &[Panel], log_y: bool) -> (f64, f64) {
    let values = || {
        panels.iter().flat_map(|panel| {
            panel
                .lines
                .iter()
                .flat_map(|line| line.points.iter().map(|&(_, v)| v))
                .chain(panel.bands.iter().flat_map(|band| band.upper.iter().copied()))
        })
    };
    let max = values().filter(|v| v.is_finite()).fold(0.0, f64::max);
    if log_y {
        let min = values().filter(|v| v.is_finite() && *v > 0.0).fold(f64::INFINITY, f64::min);
        if !min.is_finite() || max <= 0.0 {
            return (0.01, 10.0);
        }
        // A decade below the smallest value at least, and headroom in log space above the largest.
        let lo = 10f64.powf((min.log10() - 0.1).floor());
        let hi_decades = (max.log10() - lo.log10()).max(1.0);
        let hi = 10f64.powf(lo.log10() + hi_decades * HEADROOM + 0.05);
        (lo, hi)
    } else if max > 0.0 {
        (0.0, max * HEADROOM)
    } else {
        (0.0, 1.0)
    }
}

/// The bands and lines of `chart` for one strategy.
fn series(chart: Chart, ticks: &[Tick], strategy: StrategyName, language: Language) -> (Vec<Band>, Vec<Line>) {
    let of = || ticks.iter().filter_map(move |tick| tick.strategies.get(&strategy).map(|st| (tick, st)));
    let line = |label: &str, color, value: &dyn Fn(&Tick, &StrategyTick) -> f64| Line {
        label: label.to_owned(),
        color,
        points: of().map(|(tick, st)| (tick.t, value(tick, st))).collect(),
        width: 2,
    };
    let per_s = |count: u64, tick: &Tick| if tick.interval_s > 0.0 { count as f64 / tick.interval_s } else { 0.0 };
    let strategy_color = match strategy {
        StrategyName::Session => SESSION_COLOR,
        StrategyName::Token => TOKEN_COLOR,
    };
    match chart {
        Chart::Throughput => {
            (Vec::new(), vec![line(language.tr(Text::RequestsPerSecond), strategy_color, &|_, st| st.throughput_rps)])
        }
        Chart::Latency => {
            let ms = |us: u64| us as f64 / 1000.0;
            // A tick without requests has no latency: leave it out rather than plot a zero.
            let mut lines = vec![
                line("p50", P50_COLOR, &|_, st| ms(st.latency_us.summary.p50)),
                line("p99", P99_COLOR, &|_, st| ms(st.latency_us.summary.p99)),
                line("p99.9", P999_COLOR, &|_, st| ms(st.latency_us.summary.p999)),
            ];
            for line in &mut lines {
                line.points.retain(|&(_, v)| v > 0.0);
            }
            (Vec::new(), lines)
        }
        Chart::Memory => {
            let bands = memory_bands(&of().collect::<Vec<_>>());
            let mut lines = Vec::new();
            if of().any(|(_, st)| st.store.as_ref().is_some_and(|store| store.used_memory.is_some())) {
                let points = of()
                    .filter_map(|(tick, st)| {
                        st.store.as_ref().and_then(|store| store.used_memory).map(|bytes| (tick.t, bytes as f64 / MIB))
                    })
                    .collect();
                lines.push(Line {
                    label: language.tr(Text::ChartStoreUsedMemory).to_owned(),
                    color: STORE_COLOR,
                    points,
                    width: 3,
                });
            }
            (bands, lines)
        }
        Chart::Users => (
            Vec::new(),
            vec![
                Line {
                    width: 5,
                    ..line(language.tr(Text::UsersLoggedIn), USERS_COLOR, &|_, st| st.users_logged_in as f64)
                },
                line(language.tr(Text::SessionsHeld), SESSIONS_COLOR, &|_, st| st.sessions_held as f64),
            ],
        ),
        Chart::Errors => (
            Vec::new(),
            vec![
                // Widest first, so classes that coincide (all at zero, say) all stay visible.
                Line {
                    width: 4,
                    ..line(language.tr(Text::Unauthorized), UNAUTHORIZED_COLOR, &|tick, st| {
                        per_s(st.requests.unauthorized, tick)
                    })
                },
                Line {
                    width: 3,
                    ..line(language.tr(Text::ServerError), SERVER_ERROR_COLOR, &|tick, st| {
                        per_s(st.requests.server_error, tick)
                    })
                },
                line(language.tr(Text::Connection), CONNECTION_COLOR, &|tick, st| per_s(st.requests.connection, tick)),
            ],
        ),
        Chart::CpuPerRequest => (Vec::new(), vec![cpu_per_request(&of().collect::<Vec<_>>(), language)]),
        Chart::AuthCheck => {
            let mut check =
                line(language.tr(Text::AuthCheckLine), strategy_color, &|_, st| st.auth_check_us().unwrap_or(f64::NAN));
            check.points.retain(|&(_, v)| !v.is_nan());
            (Vec::new(), vec![check])
        }
        Chart::BytesPerRequest => {
            let mut bytes =
                line(language.tr(Text::BytesPerRequestLine), strategy_color, &|_, st| st.credential_bytes_per_request);
            // A tick without requests carried no credential: leave it out rather than plot a zero.
            bytes.points.retain(|&(_, v)| v > 0.0);
            (Vec::new(), vec![bytes])
        }
        Chart::StoreOps => {
            let mut ops = line(language.tr(Text::StoreOpsLine), strategy_color, &|tick, st| {
                st.store.as_ref().map_or(f64::NAN, |store| per_s(store.ops, tick))
            });
            ops.points.retain(|&(_, v)| !v.is_nan());
            (Vec::new(), vec![ops])
        }
        Chart::Denylist => (
            Vec::new(),
            vec![
                Line {
                    width: 4,
                    ..line(language.tr(Text::DenylistLine), SERVER_ERROR_COLOR, &|_, st| st.denylist_entries as f64)
                },
                line(language.tr(Text::RevokedUsersLine), UNAUTHORIZED_COLOR, &|_, st| st.revoked_users as f64),
            ],
        ),
        Chart::Nodes => (
            Vec::new(),
            vec![line(language.tr(Text::NodesUpLine), SESSIONS_COLOR, &|_, st| {
                st.nodes.iter().filter(|node| node.up).count() as f64
            })],
        ),
        Chart::IssuerCalls => {
            let resource = |count: fn(&crate::measure::ResourceTick) -> u64| {
                move |tick: &Tick, st: &StrategyTick| st.resource.as_ref().map_or(f64::NAN, |r| per_s(count(r), tick))
            };
            let mut lines = vec![
                line(language.tr(Text::ResourceRequestsLine), USERS_COLOR, &resource(|r| r.requests)),
                line(language.tr(Text::IssuerCallsLine), SERVER_ERROR_COLOR, &resource(|r| r.issuer_calls)),
            ];
            for line in &mut lines {
                line.points.retain(|&(_, v)| !v.is_nan());
            }
            (Vec::new(), lines)
        }
    }
}

/// Node CPU time per request the nodes served, in µs: each tick's CPU seconds (of the nodes that
/// are up) over the requests they served.
fn cpu_per_request(ticks: &[(&Tick, &StrategyTick)], language: Language) -> Line {
    let mut last_cpu = std::collections::BTreeMap::new();
    let mut points = Vec::with_capacity(ticks.len());
    for (tick, st) in ticks {
        let cpu = st.cpu_seconds_since(&mut last_cpu);
        if st.server_requests > 0 {
            points.push((tick.t, cpu * 1e6 / st.server_requests as f64));
        }
    }
    Line { label: language.tr(Text::CpuPerRequestLine).to_owned(), color: P50_COLOR, points, width: 2 }
}

/// Heap per node, stacked in order of first appearance. A node that is down, or not yet (or no
/// longer) in the tick, holds nothing.
fn memory_bands(ticks: &[(&Tick, &StrategyTick)]) -> Vec<Band> {
    let mut ids: Vec<&str> = Vec::new();
    for (_, st) in ticks {
        for node in &st.nodes {
            if !ids.contains(&node.id.as_str()) {
                ids.push(&node.id);
            }
        }
    }
    let t: Vec<f64> = ticks.iter().map(|(tick, _)| tick.t).collect();
    let mut lower = vec![0.0; ticks.len()];
    ids.iter()
        .enumerate()
        .map(|(index, id)| {
            let upper: Vec<f64> = ticks
                .iter()
                .zip(&lower)
                .map(|((_, st), below)| {
                    let heap = st
                        .nodes
                        .iter()
                        .find(|node| node.id == *id)
                        .filter(|node| node.up)
                        .map_or(0, |node| node.heap_bytes);
                    below + heap as f64 / MIB
                })
                .collect();
            let band = Band {
                label: (*id).to_owned(),
                color: NODE_COLORS[index % NODE_COLORS.len()],
                t: t.clone(),
                lower: lower.clone(),
                upper: upper.clone(),
            };
            lower = upper;
            band
        })
        .collect()
}

/// The events that concern `strategy` (those aimed at the other strategy or its nodes go to the
/// other panel; users and whole-lab events go to both), within the chart's time range.
fn markers(events: &[EventRecord], strategy: StrategyName, (from, to): (f64, f64), language: Language) -> Vec<Marker> {
    let other = match strategy {
        StrategyName::Session => StrategyName::Token,
        StrategyName::Token => StrategyName::Session,
    };
    events
        .iter()
        .filter(|event| event.t >= from && event.t <= to)
        .filter(|event| {
            let target = event.target.as_str();
            !(target == other.as_str() || target.starts_with(&format!("{}/", other.as_str())))
        })
        .map(|event| {
            let action = language.tr(action_text(event.action));
            let mut label =
                if event.target.is_empty() { action.to_owned() } else { format!("{action} {}", event.target) };
            if !event.ok {
                label.push_str(&format!(" ({})", language.tr(Text::Failed)));
            }
            Marker { t: event.t, label, ok: event.ok }
        })
        .collect()
}

fn action_text(action: Action) -> Text {
    match action {
        Action::KillNode => Text::KillNode,
        Action::AddNode => Text::AddNode,
        Action::RestartNode => Text::RestartNode,
        Action::RevokeUser => Text::RevokeUser,
        Action::RotateKey => Text::RotateKey,
        Action::SetLoad => Text::SetLoad,
        Action::SetRouting => Text::SetRouting,
        Action::RetireKeys => Text::RetireKeys,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::measure::{EventSource, NodeTick, StoreTick};

    fn node(id: &str, up: bool, heap: u64) -> NodeTick {
        NodeTick { id: id.to_owned(), up, heap_bytes: heap, ..NodeTick::default() }
    }

    fn ticks() -> Vec<Tick> {
        (0..4)
            .map(|i| {
                let mut session = StrategyTick {
                    nodes: vec![node("session/1", true, MIB as u64), node("session/2", i < 2, 2 * MIB as u64)],
                    store: Some(StoreTick {
                        kind: "redis".into(),
                        used_memory: Some(3 * MIB as u64),
                        ..StoreTick::default()
                    }),
                    simulated: true,
                    ..StrategyTick::default()
                };
                session.requests.unauthorized = 2;
                let mut strategies = BTreeMap::from([(StrategyName::Session, session)]);
                if i > 0 {
                    strategies.insert(StrategyName::Token, StrategyTick::default());
                }
                Tick { t: 0.5 * (i + 1) as f64, interval_s: 0.5, strategies }
            })
            .collect()
    }

    fn event(target: &str) -> EventRecord {
        EventRecord {
            t: 1.0,
            action: Action::KillNode,
            target: target.into(),
            source: EventSource::Live,
            detail: String::new(),
            ok: true,
        }
    }

    #[test]
    fn memory_stacks_up_nodes_and_shows_the_store() {
        let ticks = ticks();
        let input = ChartInput { ticks: &ticks, events: &[], title: "t", charts: &[] };
        let spec = ChartSpec::build(Chart::Memory, &input, Language::English);
        let session = &spec.panels[0];
        assert_eq!(session.bands.len(), 2);
        assert_eq!(session.bands[0].upper, vec![1.0; 4]);
        // session/2 is down from the third tick: it adds nothing there.
        assert_eq!(session.bands[1].upper, vec![3.0, 3.0, 1.0, 1.0]);
        assert_eq!(session.lines[0].points[0], (0.5, 3.0));
        assert!(session.caption.contains("simulated"));
        assert!(spec.simulated_note.is_some());
        assert!(!spec.panels[1].caption.contains("simulated"));
        assert_eq!(spec.x_range, (0.0, 2.0));
        assert!((spec.y_range.1 - 3.0 * HEADROOM).abs() < 1e-9);
    }

    #[test]
    fn errors_are_per_second_and_markers_go_to_their_strategy() {
        let ticks = ticks();
        let events = [event("session/2"), event("token/1"), event("user0000001")];
        let input = ChartInput { ticks: &ticks, events: &events, title: "", charts: &[] };
        let spec = ChartSpec::build(Chart::Errors, &input, Language::Korean);
        assert_eq!(spec.panels[0].lines[0].points[0], (0.5, 4.0));
        let labels = |i: usize| spec.panels[i].markers.iter().map(|m| m.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(0), vec!["노드 종료 session/2", "노드 종료 user0000001"]);
        assert_eq!(labels(1), vec!["노드 종료 token/1", "노드 종료 user0000001"]);
        assert_eq!(spec.title, "유형별 오류 (초당)");
    }

    #[test]
    fn a_strategy_that_did_not_run_has_an_empty_panel() {
        let ticks: Vec<Tick> = ticks()
            .into_iter()
            .map(|mut tick| {
                tick.strategies.remove(&StrategyName::Token);
                tick
            })
            .collect();
        let input = ChartInput { ticks: &ticks, events: &[], title: "t", charts: &[] };
        let spec = ChartSpec::build(Chart::Throughput, &input, Language::English);
        assert!(spec.panels[0].ran && !spec.panels[1].ran);
        assert!(spec.panels[1].lines.is_empty());
    }

    #[test]
    fn log_range_covers_the_data() {
        let panel = |values: &[f64]| Panel {
            caption: String::new(),
            ran: true,
            bands: Vec::new(),
            lines: vec![Line {
                label: String::new(),
                color: STORE_COLOR,
                points: values.iter().map(|&v| (0.0, v)).collect(),
                width: 2,
            }],
            markers: Vec::new(),
        };
        let (lo, hi) = y_range(&[panel(&[0.35, 2.0]), panel(&[120.0])], true);
        assert!(lo <= 0.35 && lo > 0.0 && hi > 120.0, "{lo} {hi}");
        assert_eq!(y_range(&[panel(&[])], true), (0.01, 10.0));
    }
}
