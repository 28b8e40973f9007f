//! The replay view: a recording on its timeline, with the figures of a chosen range, an optional
//! second recording drawn over it, and its charts.
//!
//! [`Replay`] is plain state (the recording, its [`Timeline`], the range and its figures);
//! [`ReplayView::show`] draws it, applies the timeline's commands, and returns what the app must
//! do (open a file, export), which the app applies at the end of the frame.

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::compare::Comparison;
use crate::i18n::{Language, Text};
use crate::measure::{RunSummary, Tick};
use crate::recording::Recording;
use crate::scenario::Scenario;

use super::charts;
use super::jobs::ChartExport;
use super::projection::{ProjectionPanel, Source, SourceId};
use super::series::RunData;
use super::timeline::{SPEEDS, Timeline, TimelineCommand};
use super::widgets::{chart_height, export_button, side_by_side};

/// A recording being replayed.
pub(crate) struct Replay {
    recording: Arc<Recording>,
    /// The recording's scenario name in English and in Korean (its `name_ko`).
    titles: [String; 2],
    data: RunData,
    pub(crate) timeline: Timeline,
    overlay: Option<(String, RunData)>,
    /// This recording against the overlay, figure by figure (as `authlab compare` prints it),
    /// with the two summaries it was computed from (this run's, the overlay's).
    comparison: Option<(Comparison, [RunSummary; 2])>,
    /// A change beyond this, in percent, is flagged (`authlab compare --tolerance`).
    tolerance_pct: f64,
    /// Where the selected range starts (it ends at the timeline's position).
    range_from: f64,
    /// The range (seconds) whose percentiles are shown, and their text, computed when it changes.
    range: (f64, f64),
    range_text: Vec<String>,
    /// The language `range_text` is in (switching languages writes it again).
    range_language: Option<Language>,
    /// The recording's scenario, parsed (the projection reads what its nodes kept).
    scenario: Option<Scenario>,
    source: SourceId,
}

impl Replay {
    /// A replay of `recording`, its timeline at the end (everything visible).
    pub(crate) fn new(recording: Recording) -> Self {
        let scenario = &recording.header().scenario;
        let parsed = scenario.parsed();
        let charts = parsed.as_ref().map(|s| s.charts.clone()).unwrap_or_default();
        let titles = Language::ALL.map(|language| scenario.title(parsed.as_ref(), language).to_owned());
        let mut data = RunData::from_run(recording.ticks(), recording.events(), &charts);
        if let Some(scenario) = &parsed {
            data.headline = scenario.headline.clone();
        }
        let timeline = Timeline::new(recording.duration_s());
        Self {
            titles,
            recording: Arc::new(recording),
            data,
            timeline,
            overlay: None,
            comparison: None,
            tolerance_pct: DEFAULT_TOLERANCE_PCT,
            range_from: 0.0,
            range: (f64::NAN, f64::NAN),
            range_text: Vec::new(),
            range_language: None,
            scenario: parsed,
            source: SourceId::new(),
        }
    }

    fn title(&self, language: Language) -> &str {
        let index = Language::ALL.iter().position(|&l| l == language).unwrap_or(0);
        &self.titles[index]
    }

    /// Draws `recording` on the same axes, dashed, named `name`.
    pub(crate) fn set_overlay(&mut self, name: &str, recording: &Recording) {
        let data = RunData::from_run(recording.ticks(), recording.events(), &self.data.charts);
        self.overlay = Some((name.to_owned(), data));
        let summaries = [self.recording.summary(), recording.summary()];
        let comparison = Comparison::of(&summaries[0], &summaries[1], self.tolerance_pct / 100.0);
        self.comparison = Some((comparison, summaries));
    }

    /// Compares again at the tolerance now set (the summaries are kept: a long recording's take a
    /// while to merge).
    fn compare_again(&mut self) {
        if let Some((comparison, [this, overlay])) = &mut self.comparison {
            *comparison = Comparison::of(this, overlay, self.tolerance_pct / 100.0);
        }
    }

    /// The charts up to the timeline's position, for an export.
    pub(crate) fn export(&self, language: Language) -> ChartExport {
        let until = self.timeline.position_s;
        ChartExport {
            title: self.title(language).to_owned(),
            charts: self.data.charts().to_vec(),
            ticks: self.recording.ticks().iter().filter(|t| t.t <= until + 1e-9).cloned().collect(),
            events: self.recording.events().iter().filter(|e| e.t <= until).cloned().collect(),
        }
    }

    /// Recomputes the percentiles of the selected range (from the chosen start to the timeline's
    /// position, both on a quarter second), only when that range (or the language) has changed.
    fn update_range(&mut self, lang: Language) {
        let quarter = |t: f64| (t * 4.0).round() / 4.0;
        let range = (quarter(self.range_from), quarter(self.timeline.position_s));
        if range == self.range && self.range_language == Some(lang) {
            return;
        }
        self.range = range;
        self.range_language = Some(lang);
        let recording = &self.recording;
        self.range_text = recording
            .strategies()
            .into_iter()
            .filter_map(|s| recording.aggregate(s, range.0 - 1e-9, range.1).map(|stats| (s, stats)))
            .map(|(s, stats)| {
                let l = stats.latency_summary();
                format!(
                    "{}: {} {} ({} {}), p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms",
                    lang.tr(crate::chart::strategy_text(s)),
                    stats.requests.total(),
                    lang.tr(Text::Requests),
                    stats.requests.failed,
                    lang.tr(Text::Failed),
                    l.p50 as f64 / 1000.0,
                    l.p99 as f64 / 1000.0,
                    l.p999 as f64 / 1000.0
                )
            })
            .collect();
    }

    /// The ticks of the selected range (as [`Recording::aggregate`] takes them), for the
    /// projection; the recording's ticks are in time order.
    fn range_ticks(&self) -> &[Tick] {
        let ticks = self.recording.ticks();
        let (from, to) = self.range;
        let start = ticks.partition_point(|tick| tick.t <= from - 1e-9);
        let end = ticks.partition_point(|tick| tick.t <= to).max(start);
        &ticks[start..end]
    }

    /// What the projection panel measures: the selected range.
    fn projection_source(&self, lang: Language) -> Source<'_> {
        Source {
            id: self.source,
            ticks: self.range_ticks(),
            scenario: self.scenario.as_ref(),
            title: self.title(lang),
            span_s: self.range,
            live: false,
        }
    }

    /// The timeline's controls: play or pause, the position, the speed.
    fn timeline_controls(&self, ui: &mut Ui, lang: Language) -> Vec<TimelineCommand> {
        let mut commands = Vec::new();
        let t = &self.timeline;
        let (label, command) =
            if t.playing { (Text::Pause, TimelineCommand::Pause) } else { (Text::Play, TimelineCommand::Play) };
        if ui.button(lang.tr(label)).clicked() {
            commands.push(command);
        }
        let mut position = t.position_s;
        ui.spacing_mut().slider_width = (ui.available_width() * 0.5).max(160.0);
        let slider = egui::Slider::new(&mut position, 0.0..=t.duration_s.max(0.001))
            .show_value(false)
            .step_by(0.25)
            .text(lang.tr(Text::Timeline));
        if ui.add(slider).changed() {
            commands.push(TimelineCommand::Seek(position));
        }
        ui.label(format!("{:.2} / {:.2} s", t.position_s, t.duration_s));
        egui::ComboBox::from_label(lang.tr(Text::Speed)).selected_text(format!("{}×", t.speed)).show_ui(ui, |ui| {
            for speed in SPEEDS {
                if ui.selectable_label(t.speed == speed, format!("{speed}×")).clicked() {
                    commands.push(TimelineCommand::SetSpeed(speed));
                }
            }
        });
        commands
    }
}

/// The tolerance the overlay's comparison starts with, as `authlab compare`'s default.
const DEFAULT_TOLERANCE_PCT: f64 = 5.0;

/// This recording against the overlay: each figure in both, the difference, the ratio and the
/// flagged changes (beyond `tolerance_pct`, which the user can change here), in a short scrolled
/// box so the charts keep the room: the flagged figures first, and none that are the same in both.
/// Returns whether the tolerance was changed.
fn comparison_table(ui: &mut Ui, lang: Language, comparison: &Comparison, tolerance_pct: &mut f64) -> bool {
    use crate::compare::Change;
    let words = [lang.tr(Text::Regression), lang.tr(Text::Improvement)];
    let title = format!(
        "{}: {} {}, {} {}",
        lang.tr(Text::CompareTitle),
        comparison.regressions,
        lang.tr(Text::Regressions),
        comparison.improvements,
        lang.tr(Text::Improvements)
    );
    let rank = |change: Option<Change>| match change {
        Some(Change::Regression) => 0,
        Some(Change::Improvement) => 1,
        None => 2,
    };
    let mut rows: Vec<_> =
        comparison.rows.iter().zip(comparison.cells(words)).filter(|(row, _)| row.difference != Some(0.0)).collect();
    rows.sort_by_key(|(row, _)| rank(row.change));
    let header = [
        Text::CompareFigure,
        Text::CompareThisRun,
        Text::CompareOverlayRun,
        Text::CompareDifference,
        Text::CompareRatio,
        Text::CompareChange,
    ];
    let grid = |ui: &mut Ui| {
        egui::Grid::new("replay-comparison-grid").striped(true).show(ui, |ui| {
            for text in header {
                ui.label(RichText::new(lang.tr(text)).strong());
            }
            ui.end_row();
            for (row, cells) in &rows {
                let flag = match row.change {
                    Some(Change::Regression) => Some(egui::Color32::from_rgb(220, 60, 50)),
                    Some(Change::Improvement) => Some(egui::Color32::from_rgb(40, 160, 70)),
                    None => None,
                };
                for (i, cell) in cells.iter().enumerate() {
                    match flag {
                        Some(color) if i == 5 => ui.label(RichText::new(cell).color(color).strong()),
                        _ => ui.label(cell),
                    };
                }
                ui.end_row();
            }
        });
    };
    let mut changed = false;
    egui::CollapsingHeader::new(title).id_salt("replay-comparison").default_open(true).show(ui, |ui| {
        ui.horizontal(|ui| {
            let label = ui.label(lang.tr(Text::CompareTolerance));
            let value = egui::DragValue::new(tolerance_pct).range(0.0..=1000.0).speed(0.5).suffix(" %");
            changed = ui.add(value).labelled_by(label.id).changed();
        });
        egui::ScrollArea::vertical().max_height(170.0).show(ui, grid);
    });
    changed
}

/// What the user asked the app for in the replay view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayAction {
    /// Pick a recording to replay.
    Open,
    /// Pick a recording to draw over this one.
    Overlay,
    Export,
}

/// The replay view: the recording open, if any.
#[derive(Default)]
pub(crate) struct ReplayView {
    pub(crate) current: Option<Replay>,
}

impl ReplayView {
    /// Draws the replay and, if open, the projection of its selected range; `loading` shows a
    /// spinner (a recording is being read), `exporting` the export's progress. Returns what the
    /// user asked the app for.
    pub(crate) fn show(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        loading: bool,
        exporting: bool,
        projection: &mut ProjectionPanel,
    ) -> Vec<ReplayAction> {
        let mut actions = Vec::new();
        if let Some(replay) = &mut self.current
            && projection.open
        {
            replay.update_range(lang);
            projection.show(ui, lang, replay.projection_source(lang));
        }
        ui.horizontal(|ui| {
            if ui.button(lang.tr(Text::OpenFile)).clicked() {
                actions.push(ReplayAction::Open);
            }
            if self.current.is_some() && ui.button(lang.tr(Text::Overlay)).clicked() {
                actions.push(ReplayAction::Overlay);
            }
            if self.current.is_some() {
                projection.toggle(ui, lang);
            }
        });
        if loading {
            ui.add(egui::Spinner::new());
        }
        if self.current.is_some() && ui.horizontal(|ui| export_button(ui, lang, exporting)).inner {
            actions.push(ReplayAction::Export);
        }
        let Some(replay) = &mut self.current else {
            ui.label(lang.tr(Text::NoRecording));
            return actions;
        };
        ui.heading(replay.title(lang));
        // Wrapped, so that a narrow view (presentation mode, the projection panel open) puts the
        // speed on a second line rather than running under the panel.
        let commands = ui.horizontal_wrapped(|ui| replay.timeline_controls(ui, lang)).inner;
        for command in commands {
            replay.timeline.apply(command);
        }
        ui.horizontal(|ui| {
            let until = replay.timeline.position_s;
            replay.range_from = replay.range_from.min(until);
            ui.add(
                egui::Slider::new(&mut replay.range_from, 0.0..=until.max(0.001))
                    .step_by(0.25)
                    .text(lang.tr(Text::RangeFrom)),
            );
        });
        replay.update_range(lang);
        let range = replay.range;
        ui.label(RichText::new(format!("{} {:.2}–{:.2} s", lang.tr(Text::RangeStats), range.0, range.1)).strong());
        for line in &replay.range_text {
            ui.label(line);
        }
        if let Some((name, _)) = &replay.overlay {
            ui.label(format!("+ {name}"));
        }
        let mut tolerance = replay.tolerance_pct;
        if replay.comparison.as_ref().is_some_and(|(c, _)| comparison_table(ui, lang, c, &mut tolerance)) {
            replay.tolerance_pct = tolerance;
            replay.compare_again();
        }
        let height = chart_height(ui, replay.data.charts().len());
        let window = charts::Window { until_s: replay.timeline.position_s, chart_height: height };
        let overlay = replay.overlay.as_ref().map(|(name, data)| charts::Overlay { name, data });
        side_by_side(ui, &replay.data, overlay, window, lang);
        actions
    }

    /// Moves a playing timeline on by `dt` seconds; whether it is playing (and needs another
    /// frame).
    pub(crate) fn advance(&mut self, dt: f64) -> bool {
        match &mut self.current {
            Some(replay) if replay.timeline.playing => {
                replay.timeline.advance(dt);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{RequestCounts, StrategyTick, Tick};
    use crate::recording::{Header, RecordingWriter, ScenarioInfo};
    use crate::scenario::StrategyName;

    /// Ten seconds of session ticks, four a second, 100 requests each.
    fn recording(name: &str) -> Recording {
        let path = std::env::temp_dir().join(format!("authlab-replay-unit-{}-{name}.jsonl", std::process::id()));
        let info = ScenarioInfo { name: "Unit".into(), source: String::new(), origin: "test".into() };
        let mut writer = RecordingWriter::create(&path, &Header::new(info)).expect("a recording file");
        for i in 1..=40u32 {
            let mut tick = Tick { t: f64::from(i) * 0.25, interval_s: 0.25, ..Tick::default() };
            let requests = RequestCounts { ok: 100, ..RequestCounts::default() };
            tick.strategies.insert(StrategyName::Session, StrategyTick { requests, ..StrategyTick::default() });
            writer.write_tick(&tick).expect("a tick");
        }
        writer.finish().expect("finished");
        let recording = Recording::open(&path).expect("it reads back");
        let _ = std::fs::remove_file(path);
        recording
    }

    #[test]
    fn an_export_holds_what_is_on_screen_up_to_the_timeline() {
        let mut replay = Replay::new(recording("export"));
        assert_eq!(replay.export(Language::English).ticks.len(), 40, "a new replay shows the whole recording");
        replay.timeline.apply(TimelineCommand::Seek(2.5));
        let export = replay.export(Language::English);
        assert_eq!(export.title, "Unit");
        assert_eq!(export.ticks.len(), 10, "the ticks up to 2.5 s");
    }

    #[test]
    fn the_range_figures_follow_the_range_on_quarter_seconds() {
        let mut replay = Replay::new(recording("range"));
        replay.update_range(Language::English);
        assert_eq!(replay.range, (0.0, 10.0));
        assert!(replay.range_text[0].starts_with("Session: 4000 requests"), "{:?}", replay.range_text);
        replay.range_from = 4.9;
        replay.update_range(Language::English);
        assert_eq!(replay.range, (5.0, 10.0), "the start rounds to a quarter second");
        // The ticks from 5 s on: 5.0, 5.25, ... 10.0.
        assert!(replay.range_text[0].starts_with("Session: 2100 requests"), "{:?}", replay.range_text);
    }
}
