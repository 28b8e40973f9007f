//! The live and replay charts (egui_plot): five per strategy, time axes linked, events as
//! labelled markers, every line downsampled to the pixel.

use std::borrow::Cow;

use egui::{Color32, Ui};
use egui_plot::{GridInput, GridMark, Legend, Line, Plot, PlotPoint, Text as PlotText, VLine};

use super::series::{RunData, Series, StrategySeries};
use crate::chart::{self, Chart, Rgb};
use crate::i18n::{Language, Text};
use crate::measure::EventRecord;
use crate::scenario::StrategyName;

/// A catalogue colour, for egui.
fn color(rgb: Rgb) -> Color32 {
    Color32::from_rgb(rgb.0, rgb.1, rgb.2)
}

/// Room for the y labels of every chart (seven digits and the unit label), in points.
const Y_AXIS_WIDTH: f32 = 56.0;

/// What part of the run the charts show.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Nothing after this time is drawn (the replay's position; the run's end when live).
    pub until_s: f64,
    pub chart_height: f32,
}

fn line<'a>(name: &str, series: &Series, until: f64, columns: usize, color: Color32) -> Line<'a> {
    Line::new(name.to_owned(), series.downsample(0.0, until, columns)).color(color).width(1.5)
}

/// Draws one strategy's charts in a column.
/// A second run drawn on the same axes, dashed, for comparison.
#[derive(Clone, Copy)]
pub struct Overlay<'a> {
    pub name: &'a str,
    pub data: &'a RunData,
}

pub fn strategy_column(
    ui: &mut Ui,
    data: &RunData,
    overlay: Option<Overlay<'_>>,
    strategy: StrategyName,
    window: Window,
    lang: Language,
) {
    let title = lang.tr(chart::strategy_text(strategy));
    let Some(series) = data.strategies.get(&strategy) else {
        ui.label(format!("{title}: –"));
        return;
    };
    ui.horizontal(|ui| {
        ui.heading(title);
        if series.simulated {
            ui.label(egui::RichText::new(format!("({})", lang.tr(Text::Simulated))).color(color(chart::ORANGE)))
                .on_hover_text(lang.tr(Text::SimulatedTip));
        }
        if series.foreign.is_some() {
            ui.label(egui::RichText::new(format!("({})", lang.tr(Text::YourServer))).color(color(chart::BLUE)));
        }
    });
    headline_row(ui, data, strategy, window.until_s, lang);
    let columns = (ui.available_width() as usize).max(100);
    let other = overlay.and_then(|o| o.data.strategies.get(&strategy).map(|s| (o.name, s, o.data.end_s)));
    for &chart in data.charts() {
        let spec = chart.spec();
        let (chart_title, unit) = (spec.title, spec.axis.unit);
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(lang.tr(chart_title)).strong());
            // The nodes' stack of a foreign target is its process's RSS, not a heap.
            if series.foreign.is_some() && spec.nodes.is_some() && spec.measured(series.foreign) {
                ui.label(egui::RichText::new(format!("({})", lang.tr(Text::ProcessRss))).weak());
            }
        });
        if !spec.measured(series.foreign) {
            // Never a zero line for what the lab cannot see of the user's own server.
            let size = egui::vec2(ui.available_width(), window.chart_height);
            ui.allocate_ui_with_layout(size, egui::Layout::centered_and_justified(egui::Direction::TopDown), |ui| {
                ui.label(egui::RichText::new(lang.tr(Text::ChartNotMeasured)).weak());
            });
            continue;
        }
        Plot::new((strategy.as_str(), chart_title.texts().0))
            .height(window.chart_height)
            .legend(Legend::default().position(egui_plot::Corner::LeftTop).background_alpha(0.6))
            .link_axis(egui::Id::unique("authlab-time"), [true, false])
            .link_cursor(egui::Id::unique("authlab-time"), [true, false])
            .include_y(0.0)
            .include_y(shared_y_max(chart, data, overlay))
            .y_grid_spacer(labelled_y_grid)
            .y_axis_formatter(|mark, _| y_label(mark))
            // One y-axis width for every chart, so that their plot areas, and so the linked time
            // axes and event markers, line up from one chart to the next.
            .y_axis_min_width(Y_AXIS_WIDTH)
            .include_x(0.0)
            .include_x(window.until_s.max(1.0))
            .x_axis_label(lang.tr(Text::Seconds))
            .y_axis_label(unit.map_or("", |u| lang.tr(u)))
            .allow_scroll(false)
            .show(ui, |plot| {
                for line in chart_lines(chart, series, window.until_s, columns, lang, "") {
                    plot.line(line);
                }
                if let Some((name, other, end)) = other {
                    let suffix = format!(" ({name})");
                    for line in chart_lines(chart, other, end, columns, lang, &suffix) {
                        plot.line(line.style(egui_plot::LineStyle::dashed_loose()));
                    }
                }
                event_markers(plot, data, strategy, window.until_s, lang);
            });
    }
}

/// The lines of one chart, as its catalogue entry declares them: (legend name, series, colour).
/// The headline figures of `strategy` at `t`, large, each with a line against the other strategy,
/// as stat panels: the lesson in numbers before the charts.
fn headline_row(ui: &mut Ui, data: &RunData, strategy: StrategyName, t: f64, lang: Language) {
    let Some(series) = data.strategies.get(&strategy) else { return };
    let other_name = match strategy {
        StrategyName::Session => StrategyName::Token,
        StrategyName::Token => StrategyName::Session,
    };
    let other = data.strategies.get(&other_name);
    let other_text = match other_name {
        StrategyName::Session => Text::Session,
        StrategyName::Token => Text::Token,
    };
    ui.horizontal_wrapped(|ui| {
        for &figure in &data.headline {
            let Some(value) = series.headline(figure, t) else { continue };
            egui::Frame::group(ui.style()).inner_margin(6.0).show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.label(egui::RichText::new(figure.format(value)).size(26.0).strong());
                    ui.label(egui::RichText::new(lang.tr(figure.title())).small());
                    if let Some(other) = other {
                        let line = figure.compare(value, other.headline(figure, t), other_text, lang);
                        ui.label(egui::RichText::new(line).small().weak());
                    }
                });
            });
        }
    });
}

/// The lines of one chart: the nodes' (stacked), the fixed ones, then one per store primary.
fn chart_parts(chart: Chart, series: &StrategySeries, lang: Language) -> Vec<(Cow<'_, str>, &Series, Color32)> {
    let lines = series.chart(chart);
    let spec = chart.spec();
    let nodes = lines
        .nodes
        .iter()
        .enumerate()
        .map(|(i, (node, stacked))| (Cow::Borrowed(node.as_str()), stacked, color(chart::node_color(i))));
    let fixed = spec
        .lines
        .iter()
        .zip(&lines.lines)
        .filter(|(line, points)| !(line.optional && points.is_empty()))
        .map(|(line, points)| (Cow::Borrowed(line.label.in_language(lang)), points, color(line.color)));
    let primaries = spec.primaries.iter().flat_map(|family| {
        lines.primaries.iter().enumerate().map(move |(i, (address, points))| {
            (Cow::Owned(lang.fill(family.label, &[address])), points, color(chart::primary_color(i)))
        })
    });
    nodes.chain(fixed).chain(primaries).collect()
}

/// The lines of one chart; `suffix` tells an overlaid run's lines apart in the legend.
fn chart_lines<'a>(
    chart: Chart,
    series: &StrategySeries,
    until: f64,
    columns: usize,
    lang: Language,
    suffix: &str,
) -> Vec<Line<'a>> {
    chart_parts(chart, series, lang)
        .into_iter()
        .map(|(name, s, color)| line(&format!("{name}{suffix}"), s, until, columns, color))
        .collect()
}

/// Four to eight horizontal grid lines on "nice" values (1, 2 or 5 times a power of ten), every
/// one of them labelled: egui_plot's default spacer labels only lines far enough apart, which on
/// a short chart can leave the y axis with no number at all.
fn labelled_y_grid(input: GridInput) -> Vec<GridMark> {
    let (low, high) = input.bounds;
    let span = (high - low).abs();
    if !span.is_finite() || span <= 0.0 {
        return Vec::new();
    }
    let rough = span / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&s| s >= rough).unwrap_or(10.0 * magnitude);
    let first = (low / step).ceil() as i64;
    let last = (high / step).floor() as i64;
    // Rounded to the step's decimals, so labels read 0.6, not 0.6000000000000001.
    let scale = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    (first..=last).map(|i| GridMark { value: (i as f64 * step * scale).round() / scale, step_size: step }).collect()
}

/// A y label with as many decimals as its step needs: 0.5 reads "0.5", not "0".
fn y_label(mark: GridMark) -> String {
    let decimals = (-mark.step_size.log10()).ceil().max(0.0) as usize;
    format!("{:.*}", decimals, mark.value)
}

/// The top of a chart's y axis on both sides: the largest value either strategy (or the
/// overlaid run) ever showed on it, so that the session and token charts compare at a glance.
fn shared_y_max(chart: Chart, data: &RunData, overlay: Option<Overlay<'_>>) -> f64 {
    let runs = std::iter::once(data).chain(overlay.map(|o| o.data));
    runs.flat_map(|run| run.strategies.values())
        .flat_map(|series| chart_parts(chart, series, Language::English))
        .map(|(_, s, _)| s.max)
        .fold(1.0, f64::max)
}

/// A vertical marker per event of this strategy, labelled with what happened (kept out of the legend).
fn event_markers(plot: &mut egui_plot::PlotUi<'_>, data: &RunData, strategy: StrategyName, until: f64, lang: Language) {
    let bounds = plot.plot_bounds();
    let (bottom, top) = (bounds.min()[1], bounds.max()[1]);
    let concerns = |target: &str| target == "all" || target.split('/').next() == Some(strategy.as_str());
    let shown = data.events.iter().filter(|e| e.t <= until && concerns(&e.target));
    for (i, event) in shown.enumerate() {
        let label = event_label(event, lang);
        let color = if event.ok { Color32::from_rgb(190, 110, 230) } else { color(chart::RED) };
        plot.vline(VLine::new("", event.t).color(color).width(1.5));
        // Labels step down so that events close in time stay readable.
        let y = top - (top - bottom) * (0.08 + 0.12 * (i % 3) as f64);
        let text = egui::RichText::new(format!(" {label}")).color(color).strong();
        plot.text(PlotText::new("", PlotPoint::new(event.t, y), text).anchor(egui::Align2::LEFT_CENTER));
    }
}

/// What an event's marker says: its action in `lang` and its target (a node's id, or "all").
fn event_label(event: &EventRecord, lang: Language) -> String {
    let action = lang.tr(chart::action_text(event.action));
    if event.target.is_empty() { action.to_owned() } else { format!("{action} {}", event.target) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_marker_names_its_action_in_the_users_language() {
        let event = |action, target: &str| EventRecord {
            t: 1.0,
            action,
            target: target.into(),
            source: crate::measure::EventSource::Live,
            detail: String::new(),
            ok: true,
        };
        let kill = event(crate::measure::Action::KillNode, "session/1");
        assert_eq!(event_label(&kill, Language::English), "Kill node session/1");
        assert_eq!(event_label(&kill, Language::Korean), "노드 종료 session/1");
        let retire = event(crate::measure::Action::RetireKeys, "");
        assert_eq!(event_label(&retire, Language::Korean), "옛 키 폐기");
    }

    #[test]
    fn every_y_axis_gets_a_few_labelled_round_values() {
        let marks = |low, high| labelled_y_grid(GridInput { bounds: (low, high), base_step_size: 1.0 });
        let values = |low, high| marks(low, high).iter().map(|m| m.value).collect::<Vec<_>>();
        assert_eq!(values(0.0, 430.0), vec![0.0, 200.0, 400.0]);
        assert_eq!(values(-5.0, 105.0), vec![0.0, 50.0, 100.0]);
        assert_eq!(values(0.0, 0.8), vec![0.0, 0.2, 0.4, 0.6, 0.8]);
        assert!(marks(3.0, 3.0).is_empty());
        let labels = |low, high| marks(low, high).into_iter().map(y_label).collect::<Vec<_>>();
        assert_eq!(labels(0.0, 1.0), ["0.0", "0.5", "1.0"]);
        assert_eq!(labels(0.0, 430.0), ["0", "200", "400"]);
        for (low, high) in [(0.0, 1.0), (0.0, 37.0), (0.0, 12_345.0), (-1.0, 2.5e6)] {
            let n = marks(low, high).len();
            assert!((2..=9).contains(&n), "{low}..{high}: {n} lines");
        }
    }
}
