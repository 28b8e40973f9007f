//! The projection panel, one implementation for the live and the replay views: the run's measured
//! unit costs (`crate::projection`) multiplied out to a population the user sets with sliders,
//! as a side-by-side table of session against token, then each strategy's notes.
//!
//! [`ProjectionPanel`] is plain state: whether it is open, the inputs, and what it last measured
//! and projected. A view hands it a [`Source`] (the ticks, the scenario, what to call them) and it
//! measures again only when those ticks change, and then at most every [`MEASURE_EVERY_S`]
//! (ticks arrive four times a second live, and a playing replay moves its range every frame);
//! moving an input only projects the costs already measured again, which is a few
//! multiplications.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use egui::{RichText, Ui};

use crate::i18n::{Language, Text};
use crate::measure::Tick;
use crate::measure::format::group_digits;
use crate::projection::{Inputs, Projection, RunCosts};
use crate::scenario::Scenario;
use crate::token::keys::{Alg, SUPPORTED};

/// The shortest time between two measurements of ticks that keep changing, seconds.
pub(crate) const MEASURE_EVERY_S: f64 = 0.25;

/// Tells one run or recording from another, so that a new one is measured at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SourceId(u64);

impl SourceId {
    /// An id no other source has had.
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        SourceId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What a view projects: its ticks (the run's so far, or the replay's selected range) and the
/// scenario they ran.
pub(crate) struct Source<'a> {
    pub(crate) id: SourceId,
    pub(crate) ticks: &'a [Tick],
    pub(crate) scenario: Option<&'a Scenario>,
    /// The run's or the recording's title.
    pub(crate) title: &'a str,
    /// The seconds the ticks cover (the replay's selected range).
    pub(crate) span_s: (f64, f64),
    /// A live run, still growing.
    pub(crate) live: bool,
}

/// What the measurement was taken of: a change measures again.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
    id: SourceId,
    ticks: usize,
    span_s: (f64, f64),
    live: bool,
}

/// The last measurement: of what, when (egui's time), and the costs.
struct Measured {
    key: Key,
    at: f64,
    costs: RunCosts,
}

impl Measured {
    /// "Measured over: Memory grows…" and, under it, "0.00–10.00 s (40 ticks)", in `lang`.
    fn over(&self, lang: Language, title: &str) -> String {
        if self.key.ticks == 0 {
            return lang.tr(Text::ProjNoTicks).to_owned();
        }
        let (from, to) = self.key.span_s;
        let span = if self.key.live { Text::ProjSpanSoFar } else { Text::ProjSpan };
        let span = lang.fill(span, &[&format!("{from:.2}"), &format!("{to:.2}"), &self.key.ticks.to_string()]);
        format!("{}: {title}\n{span}", lang.tr(Text::ProjMeasuredOver))
    }
}

/// The panel's state, shared by the live and replay views (the inputs stay as the user left
/// them when switching between the two).
#[derive(Default)]
pub(crate) struct ProjectionPanel {
    /// Whether the panel is shown.
    pub(crate) open: bool,
    inputs: Inputs,
    /// The price fields as typed: RAM per GB-month, per core-month, per GB of egress.
    prices: [String; 3],
    measured: Option<Measured>,
    projection: Option<Projection>,
}

impl ProjectionPanel {
    /// The button that shows or hides the panel.
    pub(crate) fn toggle(&mut self, ui: &mut Ui, lang: Language) {
        if ui.add(egui::Button::new(lang.tr(Text::ProjectionPanel)).selected(self.open)).clicked() {
            self.open = !self.open;
            // The panel is laid out before the row holding this button: show it at once.
            ui.ctx().request_repaint();
        }
    }

    /// The panel on the right of the view, if open; call it before the view's own contents so
    /// that it takes the whole height.
    pub(crate) fn show(&mut self, ui: &mut Ui, lang: Language, source: Source<'_>) {
        if !self.open {
            return;
        }
        // At most 45% of the view, so that the view's own rows (the replay's timeline) still fit
        // beside it, in presentation mode too.
        let max = (ui.available_width() * 0.45).max(260.0);
        egui::Panel::right("projection").resizable(true).default_size(430.0).size_range(260.0..=max).show(ui, |ui| {
            egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| self.contents(ui, lang, &source));
        });
    }

    /// Measures `source` again if it changed (and the last measurement is old enough), and
    /// projects again if the measurement or the inputs changed.
    fn update(&mut self, ui: &Ui, source: &Source<'_>) {
        let key = Key { id: source.id, ticks: source.ticks.len(), span_s: source.span_s, live: source.live };
        let now = ui.input(|i| i.time);
        let due = match &self.measured {
            None => true,
            Some(m) if m.key == key => false,
            Some(m) if m.key.id != key.id => true,
            Some(m) => {
                let wait = MEASURE_EVERY_S - (now - m.at);
                if wait > 0.0 {
                    ui.ctx().request_repaint_after(Duration::from_secs_f64(wait));
                }
                wait <= 0.0
            }
        };
        if due {
            let costs = RunCosts::measure(source.ticks, source.scenario);
            self.measured = Some(Measured { key, at: now, costs });
            self.projection = None;
        }
        if let Some(measured) = &self.measured
            && self.projection.as_ref().is_none_or(|p| p.inputs != self.inputs)
        {
            self.projection = Some(measured.costs.project(self.inputs));
        }
    }

    fn contents(&mut self, ui: &mut Ui, lang: Language, source: &Source<'_>) {
        ui.heading(lang.tr(Text::ProjectionPanel));
        ui.label(lang.tr(Text::ProjIntro));
        self.inputs_ui(ui, lang);
        self.update(ui, source);
        ui.separator();
        if let Some(measured) = &self.measured {
            ui.label(RichText::new(measured.over(lang, source.title)).strong());
        }
        let Some(projection) = &self.projection else { return };
        if projection.strategies.is_empty() {
            return;
        }
        table(ui, lang, projection);
        ui.add_space(6.0);
        ui.label(RichText::new(lang.tr(Text::ProjNotes)).strong());
        for (name, strategy) in &projection.strategies {
            ui.label(RichText::new(strategy_title(name, lang)).underline());
            for note in &strategy.notes {
                ui.label(format!("• {}", note.text(lang)));
            }
        }
    }

    /// The sliders and the price fields.
    fn inputs_ui(&mut self, ui: &mut Ui, lang: Language) {
        ui.label(RichText::new(lang.tr(Text::ProjInputs)).strong());
        ui.spacing_mut().slider_width = (ui.available_width() - 260.0).clamp(90.0, 200.0);
        let inputs = &mut self.inputs;
        egui::Grid::new("projection-inputs").num_columns(2).show(ui, |ui| {
            let row = |ui: &mut Ui, text: Text, slider: egui::Slider<'_>| {
                let label = ui.label(lang.tr(text));
                ui.add(slider).labelled_by(label.id);
                ui.end_row();
            };
            row(
                ui,
                Text::ProjUsers,
                egui::Slider::new(&mut inputs.users, 1_000..=1_000_000_000)
                    .logarithmic(true)
                    .custom_formatter(|n, _| count(n))
                    .custom_parser(parse_count),
            );
            row(
                ui,
                Text::RequestsPerSecond,
                egui::Slider::new(&mut inputs.rps, 1.0..=10_000_000.0)
                    .logarithmic(true)
                    .custom_formatter(|n, _| count(n))
                    .custom_parser(parse_count),
            );
            row(ui, Text::ProjLogins, per_second(&mut inputs.logins_per_s));
            row(ui, Text::ProjLogouts, per_second(&mut inputs.logouts_per_s));
            row(
                ui,
                Text::ProjConnections,
                egui::Slider::new(&mut inputs.connections, 0..=100_000_000)
                    .logarithmic(true)
                    .custom_formatter(|n, _| count(n))
                    .custom_parser(parse_count),
            );
            row(
                ui,
                Text::ProjTtl,
                egui::Slider::new(&mut inputs.ttl_s, 1.0..=30.0 * 86_400.0)
                    .logarithmic(true)
                    .custom_formatter(|s, _| duration(s))
                    .custom_parser(parse_duration),
            );
            let ram = &mut inputs.machine_ram_bytes;
            let gib = egui::Slider::from_get_set(1.0..=4096.0, |set: Option<f64>| {
                if let Some(gib) = set {
                    *ram = (gib.round().max(1.0) as u64) << 30;
                }
                (*ram >> 30) as f64
            });
            row(ui, Text::ProjMachineRam, gib.logarithmic(true).integer().suffix(" GiB"));
            row(ui, Text::ProjMachineCores, egui::Slider::new(&mut inputs.machine_cores, 1..=1024).logarithmic(true));
            let label = ui.label(lang.tr(Text::ProjAlgorithm));
            let name = |alg: Option<Alg>| alg.map_or(lang.tr(Text::ProjAlgorithmRun), Alg::name);
            egui::ComboBox::from_id_salt("projection-algorithm")
                .selected_text(name(inputs.algorithm))
                .show_ui(ui, |ui| {
                    for alg in std::iter::once(None).chain(SUPPORTED.into_iter().map(Some)) {
                        ui.selectable_value(&mut inputs.algorithm, alg, name(alg));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            // The sessions' payload: the run's, or one set here.
            let label = ui.label(lang.tr(Text::ProjPayload));
            ui.horizontal(|ui| {
                let mut own = inputs.payload_bytes.is_none();
                if ui.checkbox(&mut own, lang.tr(Text::ProjAlgorithmRun)).labelled_by(label.id).changed() {
                    inputs.payload_bytes = (!own).then_some(200);
                }
                if let Some(bytes) = inputs.payload_bytes.as_mut() {
                    ui.add(egui::Slider::new(bytes, 0..=100_000).logarithmic(true).suffix(" B"));
                }
            });
            ui.end_row();
        });
        ui.label(RichText::new(lang.tr(Text::ProjPrices)).strong());
        egui::Grid::new("projection-prices").num_columns(2).show(ui, |ui| {
            for (text, field) in
                [Text::ProjPriceRam, Text::ProjPriceCore, Text::ProjPriceEgress].into_iter().zip(&mut self.prices)
            {
                let label = ui.label(lang.tr(text));
                ui.horizontal(|ui| {
                    ui.add(egui::TextEdit::singleline(field).hint_text("–").desired_width(80.0)).labelled_by(label.id);
                    if !field.trim().is_empty() && price(field).is_none() {
                        ui.colored_label(ui.visuals().error_fg_color, lang.tr(Text::ProjNotANumber));
                    }
                });
                ui.end_row();
            }
        });
        let [ram, core, egress] = &self.prices;
        self.inputs.prices.ram_gb_month = price(ram);
        self.inputs.prices.core_month = price(core);
        self.inputs.prices.egress_gb = price(egress);
        if ui.button(lang.tr(Text::ProjDefaults)).clicked() {
            self.inputs = Inputs::default();
            self.prices = Default::default();
        }
    }
}

/// The figures side by side: a row per figure, a column per strategy. Scrolls sideways where
/// the panel is narrower than the table (presentation mode).
fn table(ui: &mut Ui, lang: Language, projection: &Projection) {
    let (names, rows) = projection.rows(lang);
    egui::ScrollArea::horizontal().id_salt("projection-table-scroll").show(ui, |ui| {
        egui::Grid::new("projection-table").num_columns(names.len() + 1).striped(true).spacing([16.0, 4.0]).show(
            ui,
            |ui| {
                ui.label(RichText::new(lang.tr(Text::ReportFigure)).strong());
                for name in &names {
                    ui.label(RichText::new(strategy_title(name, lang)).strong());
                }
                ui.end_row();
                for (label, values) in rows {
                    ui.label(lang.tr(label));
                    for value in values {
                        ui.label(cell(&value));
                    }
                    ui.end_row();
                }
            },
        );
    });
}

/// A table cell as the panel shows it: the thousands of its whole numbers grouped
/// (`3,693.30 GB`), and the measured range's two figures ("816 sessions, 1796 req/s") on two
/// lines, to keep the columns narrow. (`authlab project` prints the cells as they are.)
fn cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let mut run = String::new();
    let mut fraction = false;
    for c in value.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        out.push_str(&if fraction { run.clone() } else { group_digits(&run) });
        run.clear();
        fraction = c == '.';
        if c != '\0' {
            out.push(c);
        }
    }
    out.replace(", ", "\n")
}

/// "Session" or "Token", in `lang`, for a strategy's name in a projection.
fn strategy_title(name: &str, lang: Language) -> &str {
    match name {
        "session" => lang.tr(Text::Session),
        "token" => lang.tr(Text::Token),
        other => other,
    }
}

/// A price field: empty or not a non-negative number is no price.
fn price(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse::<f64>().ok().filter(|p| p.is_finite() && *p >= 0.0)
}

/// A count with its thousands grouped (`10,000,000`), or with one decimal below 100.
fn count(n: f64) -> String {
    if n >= 100.0 {
        group_digits(&format!("{n:.0}"))
    } else {
        let text = format!("{n:.1}");
        text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
    }
}

/// A count as typed: `10000000`, `10,000,000`, `10_000_000`, `10M`, `2.5k`, `1G`, `1e7`.
fn parse_count(text: &str) -> Option<f64> {
    let text: String = text.trim().chars().filter(|c| !matches!(c, ',' | '_' | ' ')).collect();
    let (number, scale) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 1e3),
        'm' | 'M' => (&text[..text.len() - 1], 1e6),
        'g' | 'G' | 'b' | 'B' => (&text[..text.len() - 1], 1e9),
        _ => (text.as_str(), 1.0),
    };
    number.parse::<f64>().ok().map(|n| n * scale).filter(|n| n.is_finite() && *n >= 0.0)
}

/// Seconds as humantime writes them, to the second: `30m`, `1h 30m`, `7days`.
fn duration(seconds: f64) -> String {
    humantime::format_duration(Duration::from_secs(seconds.round().max(0.0) as u64)).to_string()
}

/// A duration as typed: `30m`, `1h 30m`, or a plain number of seconds.
fn parse_duration(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().or_else(|| crate::units::parse_duration(text).ok().map(|d| d.as_secs_f64()))
}

/// A slider for a rate of 0 to a million a second, on a log scale, written as counts.
fn per_second(value: &mut f64) -> egui::Slider<'_> {
    egui::Slider::new(value, 0.0..=1_000_000.0)
        .logarithmic(true)
        .smallest_positive(0.1)
        .custom_formatter(|n, _| count(n))
        .custom_parser(parse_count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_back_as_written() {
        assert_eq!(count(10_000_000.0), "10,000,000");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(2.5), "2.5");
        assert_eq!(parse_count("10,000,000"), Some(1e7));
        assert_eq!(parse_count("2.5k"), Some(2500.0));
        assert_eq!(parse_count("1G"), Some(1e9));
        assert_eq!(parse_count("lots"), None);
        assert_eq!(parse_duration("30m"), Some(1800.0));
        assert_eq!(parse_duration("90"), Some(90.0));
        assert_eq!(duration(5400.0), "1h 30m");
        assert_eq!(price(" 2,5 "), Some(2.5));
        assert_eq!(cell("100000"), "100,000");
        assert_eq!(cell("36.93 GB"), "36.93 GB");
        assert_eq!(cell("3693.30 GB"), "3,693.30 GB");
        assert_eq!(cell("11310.16"), "11,310.16");
        assert_eq!(cell("–"), "–");
        assert_eq!(cell("816 sessions, 1796 req/s"), "816 sessions\n1,796 req/s");
        assert_eq!(price(""), None);
        assert_eq!(price("-1"), None);
    }
}
