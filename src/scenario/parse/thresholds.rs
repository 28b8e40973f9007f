//! `[thresholds]` checked into [`Threshold`]s: each key a `"<strategy>.<figure>"`, each value an
//! expression, a table `{ threshold, abort_on_fail, delay }`, or an array of those.

use std::collections::BTreeMap;
use std::time::Duration;

use super::raw::S;
use super::validate::{Check, at};
use crate::measure::StrategyName;
use crate::measure::figures::Figure;
use crate::thresholds::{Threshold, closest_figure};
use crate::units::parse_duration;

/// The keys of a threshold written as a table.
const THRESHOLD_KEYS: &[&str] = &["threshold", "abort_on_fail", "delay"];

/// The thresholds in the file's order (none without a `[thresholds]` table).
pub(super) fn validate_thresholds(raw: Option<BTreeMap<S<String>, S<toml::Value>>>) -> Check<Vec<Threshold>> {
    let Some(map) = raw else { return Ok(Vec::new()) };
    let mut entries: Vec<(S<String>, S<toml::Value>)> = map.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut thresholds = Vec::new();
    for (key, value) in &entries {
        let (strategy, figure) = figure_of(key)?;
        match value.get_ref() {
            toml::Value::Array(items) if items.is_empty() => {
                return Err(at(value, format!("{}: the array of thresholds is empty", key.get_ref())));
            }
            toml::Value::Array(items) => {
                for item in items {
                    thresholds.push(one(strategy, figure, item, value)?);
                }
            }
            item => thresholds.push(one(strategy, figure, item, value)?),
        }
    }
    Ok(thresholds)
}

/// `"token.latency_p99"`: the strategy and the figure, with a "did you mean" for a near miss.
fn figure_of(key: &S<String>) -> Check<(StrategyName, &'static Figure)> {
    let text = key.get_ref();
    let Some((strategy_name, figure_name)) = text.split_once('.') else {
        return Err(at(
            key,
            format!("threshold {text:?} must name a strategy and a figure, such as \"token.latency_p99\""),
        ));
    };
    let Some(strategy) = StrategyName::NAMES.iter().find(|(_, n)| *n == strategy_name).map(|(s, _)| *s) else {
        return Err(at(
            key,
            format!("threshold {text:?}: unknown strategy {strategy_name:?}; expected session or token"),
        ));
    };
    let figure = Figure::named(figure_name).ok_or_else(|| {
        let hint = closest_figure(figure_name)
            .map(|name| format!("did you mean \"{strategy_name}.{name}\"?"))
            .unwrap_or_else(|| "the figures are listed in scenarios/README.md (\"Thresholds\")".to_owned());
        at(key, format!("threshold {text:?}: unknown figure {figure_name:?}; {hint}"))
    })?;
    Ok((strategy, figure))
}

/// One threshold: an expression, or a table with one.
fn one(strategy: StrategyName, figure: &'static Figure, item: &toml::Value, span: &S<toml::Value>) -> Check<Threshold> {
    let name = format!("{}.{}", strategy.as_str(), figure.name);
    let parse = |expr: &str| Threshold::parse(strategy, figure, expr).map_err(|e| at(span, e.to_string()));
    let table = match item {
        toml::Value::String(expr) => return parse(expr),
        toml::Value::Table(table) => table,
        _ => {
            return Err(at(
                span,
                format!(
                    "{name}: a threshold is an expression such as \"< 50ms\", a table such as {{ threshold = \"< 50ms\", \
                     abort_on_fail = true, delay = \"10s\" }}, or an array of those"
                ),
            ));
        }
    };
    if let Some(unknown) = table.keys().find(|k| !THRESHOLD_KEYS.contains(&k.as_str())) {
        return Err(at(
            span,
            format!("unknown key {unknown:?} in a threshold of {name}; expected one of {}", THRESHOLD_KEYS.join(", ")),
        ));
    }
    let mut threshold = match table.get("threshold") {
        Some(toml::Value::String(expr)) => parse(expr)?,
        Some(_) => return Err(at(span, format!("{name}: threshold must be a string such as \"< 50ms\""))),
        None => return Err(at(span, format!("missing key \"threshold\" in a threshold of {name}"))),
    };
    threshold.abort_on_fail = match table.get("abort_on_fail") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => return Err(at(span, format!("{name}: abort_on_fail must be true or false"))),
    };
    threshold.delay = match table.get("delay") {
        None => Duration::ZERO,
        Some(toml::Value::String(text)) => parse_duration(text).map_err(|e| at(span, format!("{name}: delay: {e}")))?,
        Some(_) => return Err(at(span, format!("{name}: delay must be a duration string such as \"10s\""))),
    };
    if table.contains_key("delay") && !threshold.abort_on_fail {
        return Err(at(span, format!("{name}: delay postpones abort_on_fail: it needs abort_on_fail = true")));
    }
    Ok(threshold)
}
