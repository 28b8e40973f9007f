//! `authlab compare`: two runs' summary figures side by side per strategy, with the difference,
//! the ratio, and the changes beyond a tolerance flagged as regressions or improvements.
//!
//! The figures are the [`FIGURES`] catalogue read from each recording's [`RunSummary`] (made by
//! [`crate::recording::Recording::summary`], so percentiles come from the merged histograms). The
//! app's replay overlay shows the same [`Comparison`].

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::commands::CommandError;
use crate::measure::figures::{Better, FIGURES, Figure, Unit};
use crate::measure::format::{Align, text_table};
use crate::measure::{RunSummary, StrategyName};
use crate::recording::Recording;

/// `authlab compare A.jsonl B.jsonl`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The baseline recording (.jsonl).
    pub a: PathBuf,
    /// The recording compared with it.
    pub b: PathBuf,
    /// Print the comparison as JSON (the shape is in the README) instead of a table.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print a Markdown table (for a pull-request comment).
    #[arg(long)]
    pub markdown: bool,
    /// Changes smaller than this are not flagged (e.g. 5%, or 0.05).
    #[arg(long, default_value = "5%", value_parser = parse_tolerance)]
    pub tolerance: f64,
    /// Exit with status 1 when a change is flagged as a regression.
    #[arg(long)]
    pub fail_on_regression: bool,
}

/// `5%` or `0.05`: a relative change.
pub fn parse_tolerance(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    };
    value.ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| format!("{text:?} is not a tolerance such as 5%"))
}

/// A change beyond the tolerance, in the figure's good direction or against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Worse: a latency up, a throughput down.
    Regression,
    /// Better.
    Improvement,
}

/// One figure of one strategy in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// `session` or `token`.
    pub strategy: &'static str,
    /// The figure's name, as thresholds name it (`latency_p99`).
    pub figure: &'static str,
    /// Its unit: `duration_us`, `bytes`, `ratio`, `count` or `per_s`.
    pub unit: &'static str,
    /// In run A (`null`: not measured there).
    pub a: Option<f64>,
    /// In run B.
    pub b: Option<f64>,
    /// `b - a`.
    pub difference: Option<f64>,
    /// `b / a` (`null` when `a` is 0).
    pub ratio: Option<f64>,
    /// Flagged beyond the tolerance (`null`: within it, or a figure with no good direction).
    pub change: Option<Change>,
    /// The figure's unit, for printing.
    #[serde(skip)]
    pub kind: Unit,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Run A's scenario name.
    pub a: String,
    /// Run B's scenario name.
    pub b: String,
    /// The relative change below which nothing is flagged.
    pub tolerance: f64,
    /// Every figure of each strategy that either run measured.
    pub rows: Vec<Row>,
    /// Rows flagged as regressions.
    pub regressions: usize,
    /// Rows flagged as improvements.
    pub improvements: usize,
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Duration => "duration_us",
        Unit::Bytes => "bytes",
        Unit::Ratio => "ratio",
        Unit::Count => "count",
        Unit::Rate => "per_s",
    }
}

/// Whether going from `a` to `b` is a flagged change of `figure`.
fn change(figure: &Figure, a: f64, b: f64, tolerance: f64) -> Option<Change> {
    let relative = if a == 0.0 { if b == 0.0 { 0.0 } else { f64::INFINITY } } else { (b - a).abs() / a.abs() };
    if relative <= tolerance {
        return None;
    }
    match (figure.better, b > a) {
        (Better::Neither, _) => None,
        (Better::Lower, true) | (Better::Higher, false) => Some(Change::Regression),
        (Better::Lower, false) | (Better::Higher, true) => Some(Change::Improvement),
    }
}

impl Comparison {
    /// Run `b` against run `a`, flagging relative changes beyond `tolerance` (0.05 for 5 %).
    pub fn of(a: &RunSummary, b: &RunSummary, tolerance: f64) -> Self {
        let mut rows = Vec::new();
        for strategy in StrategyName::BOTH {
            let (sa, sb) = (a.strategies.get(strategy), b.strategies.get(strategy));
            if sa.is_none() && sb.is_none() {
                continue;
            }
            for figure in FIGURES {
                let (va, vb) = (sa.and_then(|s| figure.value(s)), sb.and_then(|s| figure.value(s)));
                if va.is_none() && vb.is_none() {
                    continue;
                }
                let both = va.zip(vb);
                rows.push(Row {
                    strategy: strategy.as_str(),
                    figure: figure.name,
                    unit: unit_name(figure.unit),
                    a: va,
                    b: vb,
                    difference: both.map(|(a, b)| b - a),
                    ratio: both.and_then(|(a, b)| (a != 0.0).then(|| b / a)),
                    change: both.and_then(|(a, b)| change(figure, a, b, tolerance)),
                    kind: figure.unit,
                });
            }
        }
        let count = |c: Change| rows.iter().filter(|r| r.change == Some(c)).count();
        Comparison {
            a: a.scenario.clone(),
            b: b.scenario.clone(),
            tolerance,
            regressions: count(Change::Regression),
            improvements: count(Change::Improvement),
            rows,
        }
    }

    /// The JSON document of `--json`.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Each row's cells as printed: name, A, B, difference, ratio, and the flag in `words`
    /// (regression, improvement).
    pub fn cells(&self, words: [&str; 2]) -> Vec<[String; 6]> {
        self.rows.iter().map(|row| row.cells(words)).collect()
    }

    /// The plain-text table (the default output).
    pub fn to_text(&self) -> String {
        let rows = self.cells(["regression", "improvement"]);
        let mut out = format!("A: {}\nB: {}\n\n", self.a, self.b);
        out.push_str(&text_table(
            ["figure", "A", "B", "difference", "ratio", "change"],
            &rows,
            [Align::Left, Align::Right, Align::Right, Align::Right, Align::Right, Align::Left],
        ));
        out.push_str(&self.verdict_line());
        out
    }

    /// A Markdown table (`--markdown`).
    pub fn to_markdown(&self) -> String {
        let mut out = format!("**A**: {} · **B**: {}\n\n", self.a, self.b);
        out.push_str("| figure | A | B | difference | ratio | change |\n|---|---:|---:|---:|---:|---|\n");
        for r in self.cells(["**regression**", "improvement"]) {
            out.push_str(&format!("| `{}` | {} | {} | {} | {} | {} |\n", r[0], r[1], r[2], r[3], r[4], r[5]));
        }
        out.push('\n');
        out.push_str(&self.verdict_line());
        out
    }

    fn verdict_line(&self) -> String {
        format!(
            "{} regressions, {} improvements beyond ±{}%\n",
            self.regressions,
            self.improvements,
            trim_float(self.tolerance * 100.0)
        )
    }
}

fn trim_float(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl Row {
    fn cells(&self, words: [&str; 2]) -> [String; 6] {
        let value = |v: Option<f64>| v.map_or("–".to_owned(), |v| self.kind.format(v));
        let difference = self.difference.map_or("–".to_owned(), |d| {
            let sign = if d > 0.0 {
                "+"
            } else if d < 0.0 {
                "−"
            } else {
                ""
            };
            format!("{sign}{}", self.kind.format(d.abs()))
        });
        let flag = match self.change {
            Some(Change::Regression) => words[0].to_owned(),
            Some(Change::Improvement) => words[1].to_owned(),
            None => String::new(),
        };
        [
            format!("{}.{}", self.strategy, self.figure),
            value(self.a),
            value(self.b),
            difference,
            self.ratio.map_or("–".to_owned(), |r| format!("{r:.2}×")),
            flag,
        ]
    }
}

/// `authlab compare`: prints the comparison of the two recordings; whether it must fail (a
/// flagged regression with `--fail-on-regression`).
pub fn run(args: &CompareArgs, out: &mut impl Write) -> Result<bool, CommandError> {
    let open = |path: &PathBuf| Recording::open(path).map_err(|e| CommandError::Recording(e.to_string()));
    let (a, b) = (open(&args.a)?, open(&args.b)?);
    let comparison = Comparison::of(&a.summary(), &b.summary(), args.tolerance);
    let text = match (args.json, args.markdown) {
        (true, _) => format!("{}\n", comparison.to_json_pretty()),
        (false, true) => comparison.to_markdown(),
        (false, false) => comparison.to_text(),
    };
    out.write_all(text.as_bytes())?;
    Ok(args.fail_on_regression && comparison.regressions > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::figures::Figure;

    #[test]
    fn tolerances_read_as_percent_or_fraction() {
        assert_eq!(parse_tolerance("5%"), Ok(0.05));
        assert_eq!(parse_tolerance("0.1"), Ok(0.1));
        assert!(parse_tolerance("lots").is_err());
        assert!(parse_tolerance("-1%").is_err());
    }

    #[test]
    fn changes_are_flagged_by_the_figures_good_direction() {
        let latency = Figure::named("latency_p99").unwrap();
        let throughput = Figure::named("throughput_rps").unwrap();
        let logins = Figure::named("logins").unwrap();
        assert_eq!(change(latency, 100.0, 120.0, 0.05), Some(Change::Regression));
        assert_eq!(change(latency, 100.0, 80.0, 0.05), Some(Change::Improvement));
        assert_eq!(change(latency, 100.0, 104.0, 0.05), None, "within the tolerance");
        assert_eq!(change(throughput, 100.0, 80.0, 0.05), Some(Change::Regression));
        assert_eq!(change(logins, 100.0, 200.0, 0.05), None, "logins follow the load");
        assert_eq!(change(latency, 0.0, 1.0, 0.05), Some(Change::Regression));
    }
}
