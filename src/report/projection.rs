//! The projection's chart: the memory each strategy needs against logged-in users, drawn from the
//! projection of a run (`authlab report` writes it beside the run's own charts).

use crate::i18n::{Language, Text};
use crate::measure::Tick;
use crate::projection::{Inputs, Projection, RunCosts};
use crate::scenario::{Scenario, StrategyName};

use super::series::{ChartSpec, Line, Marker, Panel, color};

/// Points along the users axis.
const STEPS: u64 = 40;

/// The chart of `ticks`' projection, from no users to `inputs.users`: per strategy, the memory on
/// its nodes and in its store (GB), and a marker where the run's measurements end.
pub(crate) fn memory_chart(
    ticks: &[Tick],
    scenario: Option<&Scenario>,
    inputs: Inputs,
    language: Language,
) -> ChartSpec {
    let tr = |text| language.tr(text).to_owned();
    let millions = inputs.users as f64 / 1e6;
    let costs = RunCosts::measure(ticks, scenario);
    let at = |users: u64| costs.project(Inputs { users, ..inputs });
    let points: Vec<(f64, Projection)> =
        (0..=STEPS).map(|i| inputs.users * i / STEPS).map(|users| (users as f64 / 1e6, at(users))).collect();
    let mut y_max: f64 = 0.0;
    let panels = StrategyName::BOTH
        .into_iter()
        .map(|strategy| {
            let name = strategy.as_str();
            let series = |read: fn(&crate::projection::StrategyProjection) -> f64| -> Vec<(f64, f64)> {
                points.iter().filter_map(|(x, p)| Some((*x, read(p.strategies.get(name)?) / 1e9))).collect()
            };
            let nodes = series(|p| p.memory_bytes.nodes);
            let store = series(|p| p.memory_bytes.store);
            y_max = nodes.iter().chain(&store).map(|p| p.1).fold(y_max, f64::max);
            let measured =
                points.last().and_then(|(_, p)| p.strategies.get(name)).map(|p| p.measured_range.sessions_max);
            Panel {
                caption: tr(match strategy {
                    StrategyName::Session => Text::Session,
                    StrategyName::Token => Text::Token,
                }),
                ran: !nodes.is_empty(),
                bands: Vec::new(),
                lines: vec![
                    Line {
                        label: tr(Text::ProjectionNodesLine),
                        color: color(crate::chart::BLUE),
                        points: nodes,
                        width: 3,
                    },
                    Line {
                        label: tr(Text::ProjectionStoreLine),
                        color: color(crate::chart::RED),
                        points: store,
                        width: 2,
                    },
                ],
                markers: measured
                    .filter(|&sessions| sessions > 0)
                    .map(|sessions| Marker {
                        t: sessions as f64 / 1e6,
                        label: tr(Text::ProjectionMeasuredMarker),
                        ok: true,
                    })
                    .into_iter()
                    .collect(),
            }
        })
        .collect();
    ChartSpec {
        title: tr(Text::ProjectionChartTitle),
        simulated_note: None,
        x_desc: tr(Text::ProjectionUsersAxis),
        y_desc: "GB".into(),
        x_range: (0.0, millions.max(1e-6)),
        y_range: (0.0, (y_max * 1.15).max(1e-3)),
        log_y: false,
        did_not_run: tr(Text::ChartDidNotRun),
        panels,
    }
}
