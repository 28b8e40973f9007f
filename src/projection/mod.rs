//! Capacity projection: a recording's measured unit costs (bytes per session, CPU per request, ...)
//! multiplied out to a population the user gives, for each strategy, saying what every figure
//! came from and how far beyond the measured range it reaches. GUI-free: the CLI
//! (`authlab project`), the report and the app call the same functions.

mod costs;
mod model;

pub use costs::{Span, UnitCost, UnitCosts};
pub use model::{CpuCores, Inputs, MeasuredRange, MemoryBytes, Prices, Projection, StrategyProjection, Unit, project};

use std::fmt::Write;

use crate::measure::{StrategyName, Tick};
use crate::scenario::Scenario;

/// The unit costs of every strategy that ran in `ticks`; with the run's `scenario`, costs its
/// nodes never kept are left out (see [`UnitCosts::as_configured`]).
pub fn measure_run(ticks: &[Tick], scenario: Option<&Scenario>) -> Vec<(StrategyName, UnitCosts)> {
    StrategyName::BOTH
        .into_iter()
        .filter(|strategy| ticks.iter().any(|tick| tick.strategies.contains_key(strategy)))
        .map(|strategy| {
            let measured = UnitCosts::measure(ticks, strategy);
            let costs = match scenario {
                Some(scenario) => measured.as_configured(scenario),
                None => measured,
            };
            (strategy, costs)
        })
        .collect()
}

impl Projection {
    /// Projects every strategy measured in `ticks` to `inputs`; with the run's `scenario`, costs
    /// its nodes never kept are left out (see [`UnitCosts::as_configured`]).
    pub fn of_run(ticks: &[Tick], scenario: Option<&Scenario>, inputs: Inputs) -> Self {
        Self::of_costs(&measure_run(ticks, scenario), inputs)
    }

    /// Projects unit costs already measured (see [`measure_run`]) to `inputs`.
    pub fn of_costs(costs: &[(StrategyName, UnitCosts)], inputs: Inputs) -> Self {
        let strategies = costs
            .iter()
            .map(|(strategy, costs)| (strategy.as_str().to_owned(), project(*strategy, costs, &inputs)))
            .collect();
        Projection { inputs, strategies }
    }

    /// The `--json` document (see the README's "Capacity projection").
    pub fn to_json_pretty(&self) -> String {
        // Plain numbers and strings, string keys: serializing cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The inputs in one sentence.
    pub fn inputs_line(&self) -> String {
        let i = &self.inputs;
        format!(
            "Projected to {} logged-in users, {} requests/s, {} logins/s, TTL {} s, machines of {:.0} GiB and {} cores",
            i.users,
            i.rps,
            i.logins_per_s,
            i.ttl_s,
            i.machine_ram_bytes as f64 / (1u64 << 30) as f64,
            i.machine_cores
        )
    }

    /// The strategies' names, then one row per projected figure: its label and each strategy's
    /// value, in the order of the names.
    pub fn rows(&self) -> (Vec<&str>, Vec<(&'static str, Vec<String>)>) {
        type Cell = fn(&StrategyProjection) -> String;
        let cells: [(&'static str, Cell); 10] = [
            ("node memory", |p| format!("{:.2} GB", p.memory_bytes.nodes / 1e9)),
            ("store memory", |p| format!("{:.2} GB", p.memory_bytes.store / 1e9)),
            ("auth-check cores", |p| format!("{:.2}", p.cpu_cores.auth_check)),
            ("node cores", |p| format!("{:.2}", p.cpu_cores.total)),
            ("store cores", |p| p.cpu_cores.store.map_or("–".into(), |c| format!("{c:.2}"))),
            ("store operations/s", |p| format!("{:.0}", p.store_ops_per_s)),
            ("credentials on the wire", |p| format!("{:.1} Mbit/s", p.credential_bytes_per_s * 8.0 / 1e6)),
            ("machines (nodes)", |p| p.machines.to_string()),
            ("monthly cost", |p| p.monthly_cost.map_or("–".into(), |c| format!("{c:.2}"))),
            ("measured up to", |p| {
                format!("{} sessions, {:.0} req/s", p.measured_range.sessions_max, p.measured_range.rps_max)
            }),
        ];
        let names: Vec<&str> = self.strategies.keys().map(String::as_str).collect();
        let rows =
            cells.into_iter().map(|(label, cell)| (label, self.strategies.values().map(cell).collect())).collect();
        (names, rows)
    }

    /// A side-by-side table of the projection, then each strategy's notes.
    pub fn to_text(&self) -> String {
        let mut out = self.inputs_line() + "\n";
        let (names, rows) = self.rows();
        let _ = write!(out, "{:<26}", "figure");
        for name in &names {
            let _ = write!(out, "{name:>26}");
        }
        out.push('\n');
        for (label, values) in rows {
            let _ = write!(out, "{label:<26}");
            for value in values {
                let _ = write!(out, "{value:>26}");
            }
            out.push('\n');
        }
        for (name, p) in &self.strategies {
            let _ = writeln!(out, "\n{name}:");
            for note in &p.notes {
                let _ = writeln!(out, "  - {note}");
            }
        }
        out
    }
}
