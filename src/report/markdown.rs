//! `summary.md`: the run in words and one table (session against token), with its events and links
//! to the charts and the CSV, in the report's language.

use std::fmt::Write;

use crate::i18n::{Language, Text};
use crate::measure::format::{group, mib, ms, rate};
use crate::measure::{EventRecord, Tick};
use crate::measure::{RunSummary, StrategySummary};
use crate::projection::{Inputs, Projection};
use crate::recording::Header;
use crate::scenario::StrategyName;

use super::Chart;

/// What the summary is written from.
pub(crate) struct SummaryInput<'a> {
    pub title: &'a str,
    pub header: Option<&'a Header>,
    pub ticks: &'a [Tick],
    pub events: &'a [EventRecord],
    pub truncated: bool,
    /// Each chart with its PNG and SVG file names (relative to the summary).
    pub charts: &'a [(Chart, String, String)],
    pub csv: &'a str,
}

/// Shown where a strategy did not run, or a figure does not apply.
const NONE: &str = "–";

pub(crate) fn render(input: &SummaryInput<'_>, language: Language) -> String {
    let tr = |text| language.tr(text);
    let summary = RunSummary::from_run(input.title, input.ticks, input.events);
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(out, "# {}\n", one_line(input.title));

    if input.ticks.iter().any(|tick| tick.strategies.values().any(|st| st.simulated)) {
        let _ = writeln!(out, "> **{}**\n", one_line(tr(Text::ChartSimulatedNote)));
    }
    if input.truncated {
        let _ = writeln!(out, "> {}\n", tr(Text::ReportTruncated));
    }

    if let Some(header) = input.header {
        let m = &header.machine;
        let _ = writeln!(out, "- {}: `{}`", tr(Text::ReportScenarioFile), one_line(&header.scenario.origin));
        let _ = writeln!(
            out,
            "- {}: {}, {}, {} CPUs, {:.1} GiB RAM, {}",
            tr(Text::ReportMachine),
            one_line(&m.os),
            one_line(&m.arch),
            m.cpus,
            m.memory_bytes as f64 / (1024.0 * 1024.0 * 1024.0),
            one_line(&m.cpu_brand)
        );
        let _ = writeln!(out, "- {}: {}", tr(Text::ReportStarted), one_line(&header.started_at));
        let _ = writeln!(out, "- {}: {}", tr(Text::ReportVersion), one_line(&header.authlab_version));
    }
    let _ = writeln!(out, "- {}: {:.1} s\n", tr(Text::ReportDuration), summary.duration_s);

    let _ = writeln!(out, "## {}\n", tr(Text::ReportTotals));
    out.push_str(&table(&summary, language));

    let _ = writeln!(out, "\n## {}\n", tr(Text::ReportEvents));
    if input.events.is_empty() {
        let _ = writeln!(out, "{}", tr(Text::ReportNoEvents));
    } else {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |\n|---:|---|---|---|",
            tr(Text::ReportEventTime),
            tr(Text::ReportEventAction),
            tr(Text::ReportEventTarget),
            tr(Text::ReportEventDetail)
        );
        for event in input.events {
            let detail = if event.ok {
                cell(&event.detail)
            } else {
                format!("**{}**: {}", tr(Text::Failed), cell(&event.detail))
            };
            let _ =
                writeln!(out, "| {:.2} | {} | {} | {} |", event.t, event.action.name(), cell(&event.target), detail);
        }
    }

    out.push_str(&projection(input, language));

    let _ = writeln!(out, "\n## {}\n", tr(Text::ReportCharts));
    for (chart, png, svg) in input.charts {
        let title = tr(chart.spec().figure_title);
        let _ = writeln!(out, "### {title}\n\n![{title}]({png})\n\n[PNG]({png}) · [SVG]({svg})\n");
    }
    let _ = writeln!(out, "{}: [{}]({})", tr(Text::ReportTimeSeries), input.csv, input.csv);
    out
}

/// `## Projection`: the run's unit costs projected to the default population (`authlab project`
/// takes others), as a table and each strategy's notes.
fn projection(input: &SummaryInput<'_>, language: Language) -> String {
    let scenario = input.header.and_then(|header| header.scenario.parsed());
    let projection = Projection::of_run(input.ticks, scenario.as_ref(), Inputs::default());
    let (names, rows) = projection.rows(language);
    let mut out = format!(
        "\n## {}\n\n{}: {}.\n\n",
        language.tr(Text::ReportProjection),
        language.tr(Text::ReportProjectionIntro),
        projection.inputs_line(language)
    );
    let _ = writeln!(out, "| {} | {} |", language.tr(Text::ReportFigure), names.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(names.len()));
    for (label, values) in rows {
        let label = language.tr(label);
        let _ = writeln!(out, "| {label} | {} |", values.iter().map(|v| cell(v)).collect::<Vec<_>>().join(" | "));
    }
    let (png, svg) = (super::PROJECTION_PNG, super::PROJECTION_SVG);
    let title = language.tr(Text::ProjectionChartTitle);
    let _ = writeln!(out, "\n![{title}]({png})\n\n[PNG]({png}) · [SVG]({svg})");
    for (name, p) in &projection.strategies {
        let _ = writeln!(out, "\n{name}:\n");
        for note in &p.notes {
            let _ = writeln!(out, "- {}", one_line(&note.text(language)));
        }
    }
    out
}

/// The totals as a markdown table, session against token.
fn table(summary: &RunSummary, language: Language) -> String {
    type Cell = fn(&StrategySummary) -> String;
    let rows: [(Text, Cell); 20] = [
        (Text::ReportRequestsOk, |s| group(s.requests.ok)),
        (Text::ReportRequestsFailed, |s| group(s.requests.failed)),
        (Text::Unauthorized, |s| group(s.requests.unauthorized)),
        (Text::ServerError, |s| group(s.requests.server_error)),
        (Text::Connection, |s| group(s.requests.connection)),
        (Text::ReportServerRequests, |s| group(s.server_requests)),
        (Text::ReportThroughput, |s| rate(s.throughput_rps)),
        (Text::ReportLatencyP50, |s| ms(s.latency_us.p50)),
        (Text::ReportLatencyP99, |s| ms(s.latency_us.p99)),
        (Text::ReportLatencyP999, |s| ms(s.latency_us.p999)),
        (Text::ReportLogins, |s| group(s.logins)),
        (Text::ReportForcedRelogins, |s| group(s.forced_relogins)),
        (Text::ReportSessionsPeak, |s| group(s.sessions_held_peak)),
        (Text::ReportHeapPeak, |s| mib(s.heap_bytes.peak)),
        (Text::ReportRssPeak, |s| mib(s.rss_bytes.peak)),
        (Text::ReportCredentialBytes, |s| format!("{:.0}", s.credential_bytes_per_request)),
        (Text::ReportStoreKeysPeak, |s| {
            s.store.as_ref().and_then(|store| store.keys_peak).map_or(NONE.to_owned(), group)
        }),
        (Text::ReportStoreMemoryPeak, |s| {
            s.store.as_ref().and_then(|store| store.used_memory_peak).map_or(NONE.to_owned(), mib)
        }),
        (Text::ReportStoreRoundTrip, |s| {
            let store = s.store.as_ref();
            match (store.and_then(|t| t.round_trip_p50_us), store.and_then(|t| t.round_trip_p99_us)) {
                (Some(p50), Some(p99)) => format!("{p50:.0} / {p99:.0}"),
                _ => NONE.to_owned(),
            }
        }),
        (Text::ReportDriverCpu, |s| {
            s.driver.as_ref().map_or(NONE.to_owned(), |d| format!("{:.1}", d.cpu_us_per_request))
        }),
    ];
    // Connection failures by reason, under the connection row, when there were any.
    let reasons: [(Text, Cell); 5] = [
        (Text::ReportConnectionNoNodeUp, |s| group(s.connection_failures.no_node_up)),
        (Text::ReportConnectionRefused, |s| group(s.connection_failures.refused)),
        (Text::ReportConnectionTimedOut, |s| group(s.connection_failures.timed_out)),
        (Text::ReportConnectionClosed, |s| group(s.connection_failures.closed)),
        (Text::ReportConnectionOther, |s| group(s.connection_failures.other)),
    ];
    let failed = [&summary.strategies.session, &summary.strategies.token]
        .into_iter()
        .any(|s| s.as_ref().is_some_and(|s| s.requests.connection > 0));
    let mut reasons = reasons.into_iter().filter(|_| failed);
    let rows: Vec<(Text, Cell)> = rows
        .into_iter()
        .flat_map(|row| {
            let under: Vec<(Text, Cell)> =
                if row.0 == Text::Connection { reasons.by_ref().collect() } else { Vec::new() };
            std::iter::once(row).chain(under)
        })
        .collect();
    let columns = [StrategyName::Session, StrategyName::Token];
    let name = |strategy| {
        language.tr(match strategy {
            StrategyName::Session => Text::Session,
            StrategyName::Token => Text::Token,
        })
    };
    let mut out = format!(
        "| {} | {} | {} |\n|---|---:|---:|\n",
        language.tr(Text::ReportFigure),
        name(columns[0]),
        name(columns[1])
    );
    // What the lab could not measure of a foreign target says so, never 0.
    let key = |label: Text| match label {
        Text::ReportSessionsPeak => Some(StrategySummary::SESSIONS_HELD),
        Text::ReportHeapPeak => Some(StrategySummary::HEAP),
        Text::ReportRssPeak => Some(StrategySummary::RSS),
        _ => None,
    };
    for (label, value) in rows {
        let cell = |s: &StrategySummary| match key(label) {
            Some(key) if !s.measured(key) => language.tr(Text::NotMeasured).to_owned(),
            _ => value(s),
        };
        let values: Vec<String> =
            columns.iter().map(|&strategy| summary.strategies.get(strategy).map_or(NONE.to_owned(), cell)).collect();
        let _ = writeln!(out, "| {} | {} | {} |", language.tr(label), values[0], values[1]);
    }
    // A Redis Cluster store: what each primary held (only the session strategy has a store).
    let primaries = summary.strategies.session.as_ref().and_then(|s| s.store.as_ref()).map(|store| &store.primaries);
    for primary in primaries.into_iter().flatten() {
        let memory = primary.used_memory_peak.map_or(NONE.to_owned(), mib);
        for (label, value) in
            [(Text::ReportPrimarySessionsPeak, group(primary.sessions_peak)), (Text::ReportPrimaryMemoryPeak, memory)]
        {
            let _ = writeln!(out, "| {} | {value} | {NONE} |", cell(&language.fill(label, &[&primary.address])));
        }
    }
    out
}

/// Text on one line (a title or list item must not break the markdown).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text inside a table cell.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_show_by_reason_under_the_connection_row_in_both_languages() {
        use crate::measure::{ConnectionFailures, StrategyTick};
        let mut session = StrategyTick::default();
        session.requests.connection = 3;
        session.requests.failed = 3;
        session.connection_failures = ConnectionFailures { refused: 2, closed: 1, ..ConnectionFailures::default() };
        let ticks = [Tick { t: 1.0, interval_s: 1.0, strategies: [(StrategyName::Session, session)].into() }];
        let summary = RunSummary::from_run("crash", &ticks, &[]);
        let english = table(&summary, Language::English);
        let lines: Vec<&str> = english.lines().collect();
        let at = lines.iter().position(|l| l.starts_with("| connection |")).expect("the connection row");
        assert_eq!(lines[at + 2], "| connection: refused | 2 | – |", "{english}");
        assert_eq!(lines[at + 4], "| connection: closed mid-answer | 1 | – |", "{english}");
        assert!(table(&summary, Language::Korean).contains("| 연결 실패: 거부됨 | 2 | – |"));
        // A run without connection failures has no reason rows.
        let quiet =
            [Tick { t: 1.0, interval_s: 1.0, strategies: [(StrategyName::Session, StrategyTick::default())].into() }];
        assert!(!table(&RunSummary::from_run("quiet", &quiet, &[]), Language::English).contains("refused"));
    }

    #[test]
    fn cells_stay_in_their_column() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(ms(1500), "1.50");
    }
}
