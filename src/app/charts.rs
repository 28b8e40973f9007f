//! The live and replay charts (egui_plot): five per strategy, time axes linked, events as
//! labelled markers, every line downsampled to the pixel.

use egui::{Color32, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoint, Text as PlotText, VLine};

use super::series::{RunData, Series, StrategySeries};
use crate::i18n::{Language, Text};
use crate::scenario::{Chart, StrategyName};

const BLUE: Color32 = Color32::from_rgb(66, 133, 244);
const ORANGE: Color32 = Color32::from_rgb(244, 140, 40);
const RED: Color32 = Color32::from_rgb(220, 60, 60);
const GREEN: Color32 = Color32::from_rgb(60, 170, 90);
const GREY: Color32 = Color32::from_rgb(150, 150, 150);
const PALETTE: [Color32; 8] = [
    BLUE,
    ORANGE,
    GREEN,
    RED,
    Color32::from_rgb(150, 100, 200),
    Color32::from_rgb(40, 170, 180),
    Color32::from_rgb(200, 170, 40),
    Color32::from_rgb(200, 90, 150),
];

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
    let title = match strategy {
        StrategyName::Session => lang.tr(Text::Session),
        StrategyName::Token => lang.tr(Text::Token),
    };
    let Some(series) = data.strategies.get(&strategy) else {
        ui.label(format!("{title}: –"));
        return;
    };
    ui.horizontal(|ui| {
        ui.heading(title);
        if series.simulated {
            ui.label(egui::RichText::new(format!("({})", lang.tr(Text::Simulated))).color(ORANGE))
                .on_hover_text("Each node is a simulated machine (workers, service time, store delay): these are not this laptop's raw speed.");
        }
    });
    let columns = (ui.available_width() as usize).max(100);
    let other = overlay.and_then(|o| o.data.strategies.get(&strategy).map(|s| (o.name, s, o.data.end_s)));
    for &chart in data.charts() {
        let (chart_title, unit) = title_and_unit(chart);
        ui.label(egui::RichText::new(lang.tr(chart_title)).strong());
        Plot::new((strategy.as_str(), chart_title.texts().0))
            .height(window.chart_height)
            .legend(Legend::default().position(egui_plot::Corner::LeftTop).background_alpha(0.6))
            .link_axis(egui::Id::unique("authlab-time"), [true, false])
            .link_cursor(egui::Id::unique("authlab-time"), [true, false])
            .include_y(0.0)
            .include_y(shared_y_max(chart, data, overlay))
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
                event_markers(plot, data, strategy, window.until_s);
            });
    }
}

/// A chart's title, and the unit of its y axis (none when the title says it).
fn title_and_unit(chart: Chart) -> (Text, Option<Text>) {
    match chart {
        Chart::Throughput => (Text::Throughput, Some(Text::RequestsPerSecond)),
        Chart::Latency => (Text::Latency, Some(Text::Milliseconds)),
        Chart::Memory => (Text::Memory, Some(Text::Mebibytes)),
        Chart::Users => (Text::Users, None),
        Chart::Errors => (Text::Errors, Some(Text::RequestsPerSecond)),
        Chart::CpuPerRequest => (Text::CpuPerRequest, Some(Text::Microseconds)),
        Chart::BytesPerRequest => (Text::BytesPerRequest, Some(Text::Bytes)),
        Chart::StoreOps => (Text::StoreOps, Some(Text::OpsPerSecond)),
        Chart::Denylist => (Text::DenylistEntries, None),
        Chart::Nodes => (Text::NodesUp, None),
        Chart::IssuerCalls => (Text::IssuerCalls, Some(Text::RequestsPerSecond)),
    }
}

/// The lines of one chart: (legend name, series, colour).
fn chart_parts<'s>(chart: Chart, series: &'s StrategySeries, lang: Language) -> Vec<(&'s str, &'s Series, Color32)> {
    let t = |text| lang.tr(text);
    match chart {
        Chart::Throughput => vec![(t(Text::RequestsPerSecond), &series.throughput, BLUE)],
        Chart::Latency => {
            vec![("p50", &series.p50_ms, GREEN), ("p99", &series.p99_ms, ORANGE), ("p99.9", &series.p999_ms, RED)]
        }
        Chart::Memory => {
            let mut parts: Vec<_> = series
                .heap_stacked_mib
                .iter()
                .enumerate()
                .map(|(i, (node, stacked))| (node.as_str(), stacked, PALETTE[i % PALETTE.len()]))
                .collect();
            if !series.store_mib.is_empty() {
                parts.push((t(Text::StoreMemory), &series.store_mib, RED));
            }
            parts
        }
        Chart::Users => vec![
            (t(Text::UsersLoggedIn), &series.users_logged_in, BLUE),
            (t(Text::SessionsHeld), &series.sessions_held, ORANGE),
        ],
        Chart::Errors => vec![
            (t(Text::Unauthorized), &series.unauthorized_per_s, ORANGE),
            (t(Text::ServerError), &series.server_error_per_s, RED),
            (t(Text::Connection), &series.connection_per_s, GREY),
        ],
        Chart::CpuPerRequest => vec![(t(Text::CpuPerRequestLine), &series.cpu_us_per_request, BLUE)],
        Chart::BytesPerRequest => vec![(t(Text::BytesPerRequestLine), &series.credential_bytes_per_request, ORANGE)],
        Chart::StoreOps => vec![(t(Text::StoreOpsLine), &series.store_ops_per_s, RED)],
        Chart::Denylist => vec![
            (t(Text::DenylistLine), &series.denylist_entries, RED),
            (t(Text::RevokedUsersLine), &series.revoked_users, ORANGE),
        ],
        Chart::Nodes => vec![(t(Text::NodesUpLine), &series.nodes_up, GREEN)],
        Chart::IssuerCalls => vec![
            (t(Text::ResourceRequestsLine), &series.resource_requests_per_s, BLUE),
            (t(Text::IssuerCallsLine), &series.issuer_calls_per_s, RED),
        ],
    }
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
fn event_markers(plot: &mut egui_plot::PlotUi<'_>, data: &RunData, strategy: StrategyName, until: f64) {
    let bounds = plot.plot_bounds();
    let (bottom, top) = (bounds.min()[1], bounds.max()[1]);
    let concerns = |target: &str| target == "all" || target.split('/').next() == Some(strategy.as_str());
    let shown = data.events.iter().filter(|e| e.t <= until && concerns(&e.target));
    for (i, event) in shown.enumerate() {
        let label = format!("{} {}", event.action.name(), event.target);
        let color = if event.ok { Color32::from_rgb(190, 110, 230) } else { RED };
        plot.vline(VLine::new("", event.t).color(color).width(1.5));
        // Labels step down so that events close in time stay readable.
        let y = top - (top - bottom) * (0.08 + 0.12 * (i % 3) as f64);
        let text = egui::RichText::new(format!(" {label}")).color(color).strong();
        plot.text(PlotText::new("", PlotPoint::new(event.t, y), text).anchor(egui::Align2::LEFT_CENTER));
    }
}
