//! Capacity projection: a recording's measured unit costs (bytes per session, CPU per request, ...)
//! multiplied out to a population the user gives, for each strategy, saying what every figure
//! came from and how far beyond the measured range it reaches. GUI-free: the CLI
//! (`authlab project`), the report and the app call the same functions.

pub mod algorithm;
pub mod check;
mod costs;
mod model;
mod notes;

pub use costs::{Span, UnitCost, UnitCosts};
pub use model::{CpuCores, Inputs, MeasuredRange, MemoryBytes, Prices, Projection, StrategyProjection, Unit, project};
pub use notes::{Figure, Note};

use std::fmt::Write;

use crate::i18n::{Language, Text};
use crate::measure::{StrategyName, Tick};
use crate::scenario::Scenario;

/// A run's unit costs, for each strategy it measured: what [`Projection::of_run`] multiplies out.
/// Measuring walks every tick; projecting is a few multiplications, so a caller that projects
/// one run to many populations (the app, as its inputs move) measures once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunCosts {
    /// Each strategy the ticks hold, session first, with its unit costs.
    pub strategies: Vec<(StrategyName, UnitCosts)>,
}

impl RunCosts {
    /// The unit costs of every strategy of the lab's own nodes measured in `ticks`; with the run's `scenario`, costs its
    /// nodes never kept are left out (see [`UnitCosts::as_configured`]).
    pub fn measure(ticks: &[Tick], scenario: Option<&Scenario>) -> Self {
        let strategies = StrategyName::BOTH
            .into_iter()
            .filter(|strategy| ticks.iter().any(|tick| tick.strategies.contains_key(strategy)))
            // The user's own server shows the lab its RSS, not the heap and sessions a projection
            // multiplies out: it is not projected.
            .filter(|strategy| {
                !ticks.iter().any(|tick| tick.strategies.get(strategy).is_some_and(|st| st.foreign.is_some()))
            })
            .map(|strategy| {
                let measured = UnitCosts::measure(ticks, strategy);
                let costs = match scenario {
                    Some(scenario) => measured.as_configured(scenario),
                    None => measured,
                };
                (strategy, costs)
            })
            .collect();
        RunCosts { strategies }
    }

    /// These costs projected to `inputs`.
    pub fn project(&self, inputs: Inputs) -> Projection {
        let strategies = self
            .strategies
            .iter()
            .map(|(strategy, costs)| (strategy.as_str().to_owned(), project(*strategy, costs, &inputs)))
            .collect();
        Projection { inputs, strategies }
    }
}

impl Projection {
    /// Projects every strategy measured in `ticks` to `inputs`; with the run's `scenario`, costs
    /// its nodes never kept are left out (see [`UnitCosts::as_configured`]).
    pub fn of_run(ticks: &[Tick], scenario: Option<&Scenario>, inputs: Inputs) -> Self {
        RunCosts::measure(ticks, scenario).project(inputs)
    }

    /// The `--json` document (see the README's "Capacity projection").
    pub fn to_json_pretty(&self) -> String {
        // Plain numbers and strings, string keys: serializing cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The inputs in one sentence, in `language`.
    pub fn inputs_line(&self, language: Language) -> String {
        let i = &self.inputs;
        language.fill(
            Text::ProjInputsLine,
            &[
                &i.users.to_string(),
                &i.rps.to_string(),
                &i.logins_per_s.to_string(),
                &i.logouts_per_s.to_string(),
                &i.connections.to_string(),
                &i.ttl_s.to_string(),
                &format!("{:.0}", i.machine_ram_bytes as f64 / (1u64 << 30) as f64),
                &i.machine_cores.to_string(),
            ],
        )
    }

    /// The strategies' names, then one row per projected figure: its label (translate it with
    /// [`Language::tr`]) and each strategy's value in `language`, in the order of the names.
    pub fn rows(&self, language: Language) -> (Vec<&str>, Vec<(Text, Vec<String>)>) {
        type Cell = fn(&StrategyProjection, Language) -> String;
        let cells: [(Text, Cell); 10] = [
            (Text::ProjNodeMemory, |p, _| format!("{:.2} GB", p.memory_bytes.nodes / 1e9)),
            (Text::ProjStoreMemory, |p, _| format!("{:.2} GB", p.memory_bytes.store / 1e9)),
            (Text::ProjAuthCheckCores, |p, _| format!("{:.2}", p.cpu_cores.auth_check)),
            (Text::ProjNodeCores, |p, _| format!("{:.2}", p.cpu_cores.total)),
            (Text::ProjStoreCores, |p, _| p.cpu_cores.store.map_or("–".into(), |c| format!("{c:.2}"))),
            (Text::ProjStoreOps, |p, _| format!("{:.0}", p.store_ops_per_s)),
            (Text::ProjCredentials, |p, _| format!("{:.1} Mbit/s", p.credential_bytes_per_s * 8.0 / 1e6)),
            (Text::ProjMachines, |p, _| p.machines.to_string()),
            (Text::ProjMonthlyCost, |p, _| p.monthly_cost.map_or("–".into(), |c| format!("{c:.2}"))),
            (Text::ProjMeasuredUpTo, |p, language| {
                format!(
                    "{} {}, {:.0} {}",
                    p.measured_range.sessions_max,
                    language.tr(Text::ProjSessionsUnit),
                    p.measured_range.rps_max,
                    language.tr(Text::ProjRpsUnit)
                )
            }),
        ];
        let names: Vec<&str> = self.strategies.keys().map(String::as_str).collect();
        let rows = cells
            .into_iter()
            .map(|(label, cell)| (label, self.strategies.values().map(|p| cell(p, language)).collect()))
            .collect();
        (names, rows)
    }

    /// A side-by-side table of the projection, then each strategy's notes, in `language`.
    pub fn to_text(&self, language: Language) -> String {
        let mut out = self.inputs_line(language) + "\n";
        let (names, rows) = self.rows(language);
        let _ = write!(out, "{:<26}", language.tr(Text::ReportFigure));
        for name in &names {
            let _ = write!(out, "{name:>26}");
        }
        out.push('\n');
        for (label, values) in rows {
            let _ = write!(out, "{:<26}", language.tr(label));
            for value in values {
                let _ = write!(out, "{value:>26}");
            }
            out.push('\n');
        }
        for (name, p) in &self.strategies {
            let _ = writeln!(out, "\n{name}:");
            for note in &p.notes {
                let _ = writeln!(out, "  - {}", note.text(language));
            }
        }
        out
    }
}
