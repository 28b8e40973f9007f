//! Thresholds, as k6 has them: pass/fail checks on a run's summary figures
//! (`"token.latency_p99" = "< 50ms"`), how their expressions read, and their verdicts and table.
//!
//! A scenario's `[thresholds]` table becomes [`Threshold`]s (see `scenario::parse`); `authlab run`
//! checks them on the run's [`RunSummary`], prints [`render_table`], adds the verdicts to the
//! summary JSON ([`summary_json`]) and exits with [`EXIT_THRESHOLDS_FAILED`] when any failed.
//! A threshold with `abort_on_fail` is also checked during the run, once its delay has passed
//! ([`AbortWatch`]).

use std::time::Duration;

use serde::Serialize;

use crate::measure::figures::{FIGURES, Figure, Unit};
use crate::measure::format::{Align, text_table};
use crate::measure::{EventRecord, RunSummary, StrategyName, Tick};
use crate::units::parse_bytes;

/// The exit status of `authlab run` when a threshold failed (k6's).
pub const EXIT_THRESHOLDS_FAILED: u8 = 99;

/// How a figure is compared with a threshold's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Op {
    /// Longest first, so `<=` is not read as `<`.
    const SYMBOLS: [(&'static str, Op); 6] = [
        ("<=", Op::LessOrEqual),
        (">=", Op::GreaterOrEqual),
        ("==", Op::Equal),
        ("!=", Op::NotEqual),
        ("<", Op::Less),
        (">", Op::Greater),
    ];

    /// Whether `figure op value` holds.
    pub fn holds(self, figure: f64, value: f64) -> bool {
        match self {
            Op::Less => figure < value,
            Op::LessOrEqual => figure <= value,
            Op::Greater => figure > value,
            Op::GreaterOrEqual => figure >= value,
            Op::Equal => figure == value,
            Op::NotEqual => figure != value,
        }
    }
}

/// Why a threshold's expression could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExpressionError {
    /// It does not start with a comparison.
    #[error("threshold {text:?} must start with one of <, <=, >, >=, ==, != (e.g. \"< 50ms\")")]
    NoOperator {
        /// The expression as written.
        text: String,
    },
    /// The value after the comparison is not of the figure's unit.
    #[error("{figure} is {}, not {value:?}", unit.example())]
    WrongUnit {
        /// The figure's name.
        figure: String,
        /// The figure's unit.
        unit: Unit,
        /// The value as written.
        value: String,
    },
}

/// One threshold of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The strategy whose figure it checks.
    pub strategy: StrategyName,
    /// The figure it checks.
    pub figure: &'static Figure,
    /// The expression as written: `"< 50ms"`.
    pub expr: String,
    /// The comparison.
    pub op: Op,
    /// The value compared with, in the figure's base unit (µs, bytes, ...).
    pub value: f64,
    /// Stop the run as soon as it fails (after `delay`).
    pub abort_on_fail: bool,
    /// How long into the run before `abort_on_fail` applies (k6's `delayAbortEval`).
    pub delay: Duration,
}

/// A threshold checked on a run: the entries of the summary JSON's `thresholds`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// `token.latency_p99`.
    pub name: String,
    /// The expression as written: `< 50ms`.
    pub expr: String,
    /// The figure, in its base unit (µs for durations, bytes, ...); `null` where the strategy did
    /// not run or the figure does not apply (a failure).
    pub value: Option<f64>,
    /// Whether it held.
    pub ok: bool,
    /// The figure's unit, for the table.
    #[serde(skip)]
    pub unit: Option<Unit>,
}

impl Threshold {
    /// Reads `expr` (`"< 50ms"`) as a threshold on `strategy`'s `figure`.
    pub fn parse(strategy: StrategyName, figure: &'static Figure, expr: &str) -> Result<Self, ExpressionError> {
        let text = expr.trim();
        let Some((op, rest)) =
            Op::SYMBOLS.iter().find_map(|(symbol, op)| text.strip_prefix(symbol).map(|rest| (*op, rest.trim())))
        else {
            return Err(ExpressionError::NoOperator { text: expr.to_owned() });
        };
        let wrong = || ExpressionError::WrongUnit {
            figure: format!("{}.{}", strategy.as_str(), figure.name),
            unit: figure.unit,
            value: rest.to_owned(),
        };
        let value = parse_value(figure.unit, rest).ok_or_else(wrong)?;
        Ok(Threshold {
            strategy,
            figure,
            expr: text.to_owned(),
            op,
            value,
            abort_on_fail: false,
            delay: Duration::ZERO,
        })
    }

    /// `token.latency_p99`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.strategy.as_str(), self.figure.name)
    }

    /// This threshold checked on `summary`.
    pub fn check(&self, summary: &RunSummary) -> Verdict {
        let value = summary.strategies.get(self.strategy).and_then(|s| self.figure.value(s));
        Verdict {
            name: self.name(),
            expr: self.expr.clone(),
            value,
            ok: value.is_some_and(|v| self.op.holds(v, self.value)),
            unit: Some(self.figure.unit),
        }
    }
}

/// A value of `unit` as a threshold writes it, in the unit's base; `None` if it is not one.
pub fn parse_value(unit: Unit, text: &str) -> Option<f64> {
    let text = text.trim();
    let number = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    match unit {
        Unit::Duration => {
            let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
            let (digits, suffix) = text.split_at(split);
            let scale = match suffix.trim() {
                "ns" => 1e-3,
                "us" | "µs" => 1.0,
                "ms" => 1e3,
                "s" => 1e6,
                "m" | "min" => 60e6,
                "h" => 3600e6,
                _ => return None,
            };
            number(digits).map(|v| v * scale)
        }
        Unit::Bytes => parse_bytes(text).ok().map(|b| b as f64),
        Unit::Ratio => match text.strip_suffix('%') {
            Some(percent) => number(percent).map(|v| v / 100.0),
            None => number(text),
        },
        Unit::Count => number(text),
        Unit::Rate => number(text.strip_suffix("/s").unwrap_or(text)),
    }
}

/// The figure named most like `name`, for "did you mean" (`None` when nothing is close).
pub fn closest_figure(name: &str) -> Option<&'static str> {
    FIGURES
        .iter()
        .map(|f| (edit_distance(name, f.name), f.name))
        .filter(|(d, candidate)| {
            // Close in spelling, or every word of it a word of the figure (`heap_peak`).
            let words_in = name.split('_').all(|word| !word.is_empty() && candidate.split('_').any(|w| w == word));
            *d <= 3.max(candidate.len() / 3) || words_in
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Every threshold checked on `summary`, in the scenario's order.
pub fn check_all(thresholds: &[Threshold], summary: &RunSummary) -> Vec<Verdict> {
    thresholds.iter().map(|t| t.check(summary)).collect()
}

/// The first `abort_on_fail` threshold whose delay has passed at `elapsed` and that fails on the
/// figures so far: its verdict.
fn first_abort(thresholds: &[Threshold], summary: &RunSummary, elapsed: Duration) -> Option<Verdict> {
    thresholds.iter().filter(|t| t.abort_on_fail && elapsed >= t.delay).map(|t| t.check(summary)).find(|v| !v.ok)
}

/// The `abort_on_fail` thresholds of a run in progress, which the CLI and the app both keep: fed
/// each tick, it checks the figures so far every second (every 5 % of the run later on, so a long
/// run does not merge its histograms at every tick), and names the first that failed, once.
#[derive(Debug, Clone)]
pub struct AbortWatch {
    scenario: String,
    thresholds: Vec<Threshold>,
    last_check_s: f64,
    fired: bool,
}

impl AbortWatch {
    /// Watches the `abort_on_fail` ones of `thresholds` (it never fires when there are none).
    pub fn new(scenario: &str, thresholds: &[Threshold]) -> Self {
        let thresholds: Vec<Threshold> = thresholds.iter().filter(|t| t.abort_on_fail).cloned().collect();
        AbortWatch { scenario: scenario.to_owned(), fired: thresholds.is_empty(), thresholds, last_check_s: 0.0 }
    }

    /// After a tick: the verdict that stops the run, the first time one fails on `ticks` and
    /// `events` so far (in time order).
    pub fn after_tick(&mut self, ticks: &[Tick], events: &[EventRecord]) -> Option<Verdict> {
        let t = ticks.last().map_or(0.0, |tick| tick.t);
        if self.fired || t - self.last_check_s < (t / 20.0).max(1.0) {
            return None;
        }
        self.last_check_s = t;
        let so_far = RunSummary::from_run(&self.scenario, ticks, events);
        let verdict = first_abort(&self.thresholds, &so_far, Duration::from_secs_f64(t.max(0.0)))?;
        self.fired = true;
        Some(verdict)
    }
}

impl Verdict {
    /// Why it stops a run: `threshold token.latency_p99 < 50ms failed at 62.10 ms`.
    pub fn abort_reason(&self) -> String {
        format!("threshold {} {} failed at {}", self.name, self.expr, self.shown())
    }

    /// Its value as the table shows it (`not measured` where there is none).
    pub fn shown(&self) -> String {
        match (self.value, self.unit) {
            (Some(v), Some(unit)) => unit.format(v),
            (Some(v), None) => format!("{v}"),
            (None, _) => "not measured".to_owned(),
        }
    }
}

/// The thresholds table of `authlab run`: name, expression, value, ✓ or ✗, aligned.
pub fn render_table(verdicts: &[Verdict]) -> String {
    let rows: Vec<[String; 4]> = verdicts
        .iter()
        .map(|v| [v.name.clone(), v.expr.clone(), v.shown(), if v.ok { "✓" } else { "✗" }.to_owned()])
        .collect();
    let mut out = text_table(
        ["threshold", "expression", "value", "ok"],
        &rows,
        [Align::Left, Align::Left, Align::Right, Align::Left],
    );
    let failed = verdicts.iter().filter(|v| !v.ok).count();
    match failed {
        0 => out.push_str(&format!("all {} thresholds passed\n", verdicts.len())),
        n => out.push_str(&format!("{n} of {} thresholds failed\n", verdicts.len())),
    }
    out
}

/// The `--summary-json` document with the verdicts as `thresholds` (absent when there are none).
pub fn summary_json(summary: &RunSummary, verdicts: &[Verdict]) -> String {
    if verdicts.is_empty() {
        return summary.to_json_pretty();
    }
    let mut json = serde_json::to_value(summary).unwrap_or_default();
    if let Some(object) = json.as_object_mut() {
        object.insert("thresholds".into(), serde_json::to_value(verdicts).unwrap_or_default());
    }
    serde_json::to_string_pretty(&json).unwrap_or_else(|_| summary.to_json_pretty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(name: &str) -> &'static Figure {
        Figure::named(name).unwrap()
    }

    #[test]
    fn expressions_read_against_the_figures_unit() {
        let t = Threshold::parse(StrategyName::Token, figure("latency_p99"), " < 50ms ").unwrap();
        assert_eq!((t.op, t.value, t.expr.as_str()), (Op::Less, 50_000.0, "< 50ms"));
        let t = Threshold::parse(StrategyName::Session, figure("heap_bytes_peak"), "<= 256MiB").unwrap();
        assert_eq!((t.op, t.value), (Op::LessOrEqual, 256.0 * 1024.0 * 1024.0));
        let t = Threshold::parse(StrategyName::Session, figure("failed_ratio"), "<1%").unwrap();
        assert_eq!(t.value, 0.01);
        let t = Threshold::parse(StrategyName::Session, figure("throughput_rps"), ">= 500/s").unwrap();
        assert_eq!((t.op, t.value), (Op::GreaterOrEqual, 500.0));
        assert_eq!(parse_value(Unit::Duration, "1.5s"), Some(1_500_000.0));
        assert_eq!(Threshold::parse(StrategyName::Token, figure("logins"), "!= 0").unwrap().op, Op::NotEqual);
        assert_eq!(Threshold::parse(StrategyName::Token, figure("logins"), "== 3").unwrap().op, Op::Equal);

        let wrong = Threshold::parse(StrategyName::Token, figure("latency_p99"), "< 256MiB").unwrap_err();
        assert_eq!(wrong.to_string(), "token.latency_p99 is a duration such as \"50ms\" or \"1.5s\", not \"256MiB\"");
        let none = Threshold::parse(StrategyName::Token, figure("latency_p99"), "50ms").unwrap_err();
        assert!(matches!(none, ExpressionError::NoOperator { .. }));
        assert!(Threshold::parse(StrategyName::Token, figure("heap_bytes_peak"), "< 50ms").is_err());
    }

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(closest_figure("latency_p95"), Some("latency_p90"));
        assert_eq!(closest_figure("heap_peak"), Some("heap_bytes_peak"));
        assert_eq!(closest_figure("zzzzzzzzzzzzzzzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn operators_compare_as_written() {
        assert!(Op::Less.holds(1.0, 2.0) && !Op::Less.holds(2.0, 2.0));
        assert!(Op::LessOrEqual.holds(2.0, 2.0) && Op::GreaterOrEqual.holds(2.0, 2.0));
        assert!(Op::Greater.holds(3.0, 2.0) && Op::NotEqual.holds(3.0, 2.0) && Op::Equal.holds(2.0, 2.0));
    }

    #[test]
    fn table_says_which_failed() {
        let verdicts = vec![
            Verdict {
                name: "token.latency_p99".into(),
                expr: "< 50ms".into(),
                value: Some(1200.0),
                ok: true,
                unit: Some(Unit::Duration),
            },
            Verdict {
                name: "session.logins".into(),
                expr: "> 1000000".into(),
                value: Some(10.0),
                ok: false,
                unit: Some(Unit::Count),
            },
        ];
        let table = render_table(&verdicts);
        assert!(table.contains("token.latency_p99  < 50ms"), "{table}");
        assert!(table.lines().any(|l| l.starts_with("session.logins") && l.ends_with('✗')), "{table}");
        assert!(table.contains("1 of 2 thresholds failed"), "{table}");
    }
}
