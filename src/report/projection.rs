//! The projection's charts: the memory each strategy needs against logged-in users (`authlab
//! report` writes it beside the run's own charts), and the crossover of their monthly costs
//! (`authlab project --chart`), both drawn from the projection of a run.

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
                not_measured: None,
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

/// The logged-in users where `session`'s monthly cost overtakes `token`'s (or the other way
/// round), searched from a thousand to a hundred billion users; `None` where they do not cross.
fn crossover(costs: &RunCosts, inputs: Inputs) -> Option<f64> {
    let gap = |users: f64| {
        let p = costs.project(Inputs { users: users as u64, ..inputs });
        let cost = |name| p.strategies.get(name).and_then(|s: &crate::projection::StrategyProjection| s.monthly_cost);
        Some(cost("session")? - cost("token")?)
    };
    let grid: Vec<f64> = (0..=80).map(|i| 10f64.powf(3.0 + f64::from(i) / 10.0)).collect();
    let (mut lo, mut hi) = grid.windows(2).find_map(|w| {
        let (a, b) = (gap(w[0])?, gap(w[1])?);
        (a.signum() != b.signum()).then_some((w[0], w[1]))
    })?;
    let sign = gap(lo)?.signum();
    for _ in 0..60 {
        let mid = (lo * hi).sqrt();
        if gap(mid)?.signum() == sign { lo = mid } else { hi = mid }
    }
    Some((lo * hi).sqrt())
}

/// The crossover chart of `ticks`' projection: each strategy's monthly cost at `inputs`' prices
/// (RAM, cores and egress) against logged-in users, on one panel, with a marker where they cross.
/// The users axis runs to twice the crossover (or to `inputs.users` where there is none). `None`
/// when no price is set: without prices there is nothing to cross.
pub(crate) fn crossover_chart(
    ticks: &[Tick],
    scenario: Option<&Scenario>,
    inputs: Inputs,
    language: Language,
) -> Option<ChartSpec> {
    let p = inputs.prices;
    if p.ram_gb_month.is_none() && p.core_month.is_none() && p.egress_gb.is_none() {
        return None;
    }
    let tr = |text| language.tr(text).to_owned();
    let costs = RunCosts::measure(ticks, scenario);
    let at = crossover(&costs, inputs);
    let users_max = at.map_or(inputs.users as f64, |u| 2.0 * u).max(1.0);
    let points: Vec<(f64, Projection)> = (0..=STEPS)
        .map(|i| users_max * i as f64 / STEPS as f64)
        .map(|users| (users / 1e6, costs.project(Inputs { users: users as u64, ..inputs })))
        .collect();
    let mut y_max: f64 = 0.0;
    let lines = [
        (StrategyName::Session, crate::chart::BLUE, Text::Session),
        (StrategyName::Token, crate::chart::ORANGE, Text::Token),
    ]
    .into_iter()
    .map(|(strategy, rgb, label)| {
        let points: Vec<(f64, f64)> =
            points.iter().filter_map(|(x, p)| Some((*x, p.strategies.get(strategy.as_str())?.monthly_cost?))).collect();
        y_max = points.iter().map(|p| p.1).fold(y_max, f64::max);
        Line { label: tr(label), color: color(rgb), points, width: 3 }
    })
    .collect();
    let markers = at
        .map(|users| Marker {
            t: users / 1e6,
            label: language.fill(Text::CrossoverMarker, &[&crate::measure::format::short_count(users)]),
            ok: true,
        })
        .into_iter()
        .collect();
    Some(ChartSpec {
        title: tr(Text::CrossoverChartTitle),
        simulated_note: None,
        x_desc: tr(Text::ProjectionUsersAxis),
        y_desc: tr(Text::CrossoverCostAxis),
        x_range: (0.0, users_max / 1e6),
        y_range: (0.0, (y_max * 1.15).max(1e-3)),
        log_y: false,
        did_not_run: tr(Text::ChartDidNotRun),
        panels: vec![Panel {
            caption: String::new(),
            ran: true,
            not_measured: None,
            bands: Vec::new(),
            lines,
            markers,
        }],
    })
}
