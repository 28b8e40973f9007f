//! Turns ticks and events into what one chart shows, as the chart catalogue ([`crate::chart`])
//! declares it: per strategy, its lines, stacked bands and event markers, with shared axes, in the
//! chosen language. No drawing here.

use plotters::style::RGBColor;

use crate::chart::{self, Reader, Rgb, Scale};
use crate::i18n::{Language, Text};
use crate::measure::{EventRecord, Tick};
use crate::scenario::StrategyName;

use super::{Chart, ChartInput};

/// A catalogue colour, for plotters.
pub(crate) fn color(rgb: Rgb) -> RGBColor {
    RGBColor(rgb.0, rgb.1, rgb.2)
}

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
    /// Said instead of plotting where the strategy ran against the user's own server and the lab
    /// could not measure what the chart shows ("not measured: your own server").
    pub not_measured: Option<String>,
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
        let spec = chart.spec();
        let x_range = x_range(input.ticks);
        let simulated = input.ticks.iter().any(|tick| tick.strategies.values().any(|st| st.simulated));
        let chart_title = language.tr(spec.figure_title);
        let title =
            if input.title.is_empty() { chart_title.to_owned() } else { format!("{chart_title} · {}", input.title) };

        let panels: Vec<Panel> = StrategyName::BOTH
            .into_iter()
            .map(|strategy| {
                let ran = input.ticks.iter().any(|tick| tick.strategies.contains_key(&strategy));
                let strategy_simulated =
                    input.ticks.iter().filter_map(|tick| tick.strategies.get(&strategy)).any(|st| st.simulated);
                let name = language.tr(chart::strategy_text(strategy));
                let foreign = input.ticks.iter().find_map(|tick| tick.strategies.get(&strategy)?.foreign);
                let caption = match (strategy_simulated, foreign) {
                    (true, _) => format!("{name} ({})", language.tr(Text::Simulated)),
                    // The nodes' stack of a foreign target is its process's RSS, not a heap.
                    (false, Some(_)) if spec.nodes.is_some() => {
                        format!("{name} ({}: {})", language.tr(Text::YourServer), language.tr(Text::ProcessRss))
                    }
                    (false, Some(_)) => format!("{name} ({})", language.tr(Text::YourServer)),
                    (false, None) => name.to_owned(),
                };
                let not_measured = (!spec.measured(foreign)).then(|| tr(Text::ChartNotMeasured));
                let (bands, lines) = if ran && not_measured.is_none() {
                    series(spec, input.ticks, strategy, language)
                } else {
                    Default::default()
                };
                let markers = markers(input.events, strategy, x_range, language);
                Panel { caption, ran, not_measured, bands, lines, markers }
            })
            .collect();

        let (y_desc, log_y) = (tr(spec.axis.description), spec.axis.scale == Scale::Log);
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

/// The bands (one per node, stacked) and lines of a chart for one strategy, read as its catalogue
/// entry says.
fn series(spec: &chart::Spec, ticks: &[Tick], strategy: StrategyName, language: Language) -> (Vec<Band>, Vec<Line>) {
    let mut reader = Reader::default();
    let mut bands: Vec<Band> = Vec::new();
    // One line per Redis Cluster primary, by address, in order of first appearance.
    let mut primaries: Vec<(String, Line)> = Vec::new();
    let mut lines: Vec<Line> = spec
        .lines
        .iter()
        .map(|line| Line {
            label: line.label.in_language(language).to_owned(),
            color: color(line.color),
            points: Vec::new(),
            width: line.width,
        })
        .collect();
    for tick in ticks {
        let Some(st) = tick.strategies.get(&strategy) else { continue };
        let sample = reader.read(st, tick.interval_s);
        if let Some(stack) = &spec.nodes {
            for (i, (id, bottom, top)) in reader.stack(&sample, stack).into_iter().enumerate() {
                if bands.len() == i {
                    let color = color(chart::node_color(i));
                    bands.push(Band {
                        label: id.to_owned(),
                        color,
                        t: Vec::new(),
                        lower: Vec::new(),
                        upper: Vec::new(),
                    });
                }
                let band = &mut bands[i];
                band.t.push(tick.t);
                band.lower.push(bottom);
                band.upper.push(top);
            }
        }
        for (line, out) in spec.lines.iter().zip(&mut lines) {
            if let Some(value) = (line.value)(&sample) {
                out.points.push((tick.t, value));
            }
        }
        if let Some(family) = &spec.primaries {
            for (address, value) in family.read(&sample) {
                let index = primaries.len();
                let (_, line) = crate::measure::find_or_push(
                    &mut primaries,
                    |(a, _)| a == address,
                    || {
                        let label = language.fill(family.label, &[address]);
                        let line_color = color(chart::primary_color(index));
                        (address.to_owned(), Line { label, color: line_color, points: Vec::new(), width: 2 })
                    },
                );
                line.points.push((tick.t, value));
            }
        }
    }
    let lines = lines.into_iter().zip(spec.lines).filter(|(out, line)| !(line.optional && out.points.is_empty()));
    let lines = lines.map(|(out, _)| out).chain(primaries.into_iter().map(|(_, line)| line));
    (bands, lines.collect())
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
            let action = language.tr(chart::action_text(event.action));
            let mut label =
                if event.target.is_empty() { action.to_owned() } else { format!("{action} {}", event.target) };
            if !event.ok {
                label.push_str(&format!(" ({})", language.tr(Text::Failed)));
            }
            Marker { t: event.t, label, ok: event.ok }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::measure::{Action, EventSource, NodeTick, StoreTick, StrategyTick};

    const MIB: f64 = 1024.0 * 1024.0;

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
    fn every_primary_of_a_redis_cluster_has_a_line_of_its_own_however_many_there_are() {
        let ticks: Vec<Tick> = ticks()
            .into_iter()
            .enumerate()
            .map(|(i, mut tick)| {
                let store = tick.strategies.get_mut(&StrategyName::Session).and_then(|s| s.store.as_mut()).unwrap();
                store.kind = "redis-cluster".into();
                store.primaries = (0..5)
                    .map(|p| crate::measure::PrimaryTick {
                        address: format!("10.0.0.{p}:7000"),
                        sessions: 10 * p + i as u64,
                        ..crate::measure::PrimaryTick::default()
                    })
                    .collect();
                tick
            })
            .collect();
        let input = ChartInput { ticks: &ticks, events: &[], title: "t", charts: &[] };
        let spec = ChartSpec::build(Chart::StorePrimaries, &input, Language::Korean);
        let labels: Vec<&str> = spec.panels[0].lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, (0..5).map(|p| format!("프라이머리 10.0.0.{p}:7000")).collect::<Vec<_>>());
        assert_eq!(spec.panels[0].lines[4].points, vec![(0.5, 40.0), (1.0, 41.0), (1.5, 42.0), (2.0, 43.0)]);
        let colors: std::collections::BTreeSet<_> =
            spec.panels[0].lines.iter().map(|l| (l.color.0, l.color.1, l.color.2)).collect();
        assert_eq!(colors.len(), 5, "each primary in a colour of its own");
        // Memory: the primaries' used_memory was never read, so they draw no line there.
        let memory = ChartSpec::build(Chart::Memory, &input, Language::English);
        assert!(memory.panels[0].lines.iter().all(|l| !l.label.starts_with("primary")));
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
            not_measured: None,
            bands: Vec::new(),
            lines: vec![Line {
                label: String::new(),
                color: RGBColor(0, 0, 0),
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
