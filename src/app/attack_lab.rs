//! The attack lab panel: runs the attack catalogue, or one attack, against the lab's own nodes on
//! the app's runtime, and shows each result with its requests, their answers and why it matters.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{Color32, RichText, Ui};
use tokio::sync::mpsc;

use crate::attack::runner::Exchange;
use crate::attack::{AttackError, AttackResult, CATALOGUE, Outcome, OwnNodes, report, run_attacks, select};
use crate::i18n::{Language, Text};

/// The user-directory seed of the lab's nodes.
const SEED: u64 = 42;
/// The most of a header value or body shown (a 24 KB token would swamp the panel).
const MAX_SHOWN: usize = 1500;

/// What the attack task tells the panel.
enum Message {
    Result(Box<AttackResult>),
    Finished(Result<(), AttackError>),
}

/// A run in progress.
struct Running {
    messages: mpsc::UnboundedReceiver<Message>,
    total: usize,
    done: usize,
    started: Instant,
}

/// What the user asked for in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabAction {
    RunAll,
    RunOne(&'static str),
}

/// The panel's state: the latest result of each attack, the run in progress, the selection.
#[derive(Default)]
pub struct AttackLab {
    results: Vec<AttackResult>,
    running: Option<Running>,
    /// The attack whose details are shown (and which "Run this attack" runs).
    selected: Option<&'static str>,
    elapsed: Duration,
    /// Why the last run could not start or finish.
    pub error: Option<String>,
}

fn outcome_color(outcome: Outcome) -> Color32 {
    match outcome {
        Outcome::Passed => Color32::from_rgb(40, 160, 70),
        Outcome::Failed => Color32::from_rgb(220, 60, 60),
        Outcome::Skipped => Color32::GRAY,
    }
}

fn catalogue_index(name: &str) -> usize {
    CATALOGUE.iter().position(|a| a.name == name).unwrap_or(usize::MAX)
}

impl AttackLab {
    /// Starts the lab's nodes and runs `only` (or every attack) on `runtime`; results arrive
    /// one by one, each waking the UI.
    pub fn start(
        &mut self,
        runtime: &tokio::runtime::Handle,
        exe: PathBuf,
        only: Option<&'static str>,
        ctx: &egui::Context,
    ) {
        let attacks = match select(only) {
            Ok(attacks) => attacks,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        if only.is_none() {
            self.results.clear();
        }
        self.error = None;
        let (tx, messages) = mpsc::unbounded_channel();
        self.running = Some(Running { messages, total: attacks.len(), done: 0, started: Instant::now() });
        let ctx = ctx.clone();
        runtime.spawn(async move {
            let finished = match OwnNodes::start(&exe, SEED).await {
                Err(e) => Err(e),
                Ok(nodes) => {
                    let ran = run_attacks(&attacks, nodes.targets(), |result| {
                        let _ = tx.send(Message::Result(Box::new(result.clone())));
                        ctx.request_repaint();
                    })
                    .await;
                    nodes.stop().await;
                    ran.map(|_| ())
                }
            };
            let _ = tx.send(Message::Finished(finished));
            ctx.request_repaint();
        });
    }

    /// Takes in the results that arrived since the last frame.
    pub fn receive(&mut self) {
        let Some(running) = &mut self.running else { return };
        let mut finished = None;
        while let Ok(message) = running.messages.try_recv() {
            match message {
                Message::Result(result) => {
                    running.done += 1;
                    let result = *result;
                    match self.results.iter_mut().find(|r| r.attack.name == result.attack.name) {
                        Some(slot) => *slot = result,
                        None => self.results.push(result),
                    }
                }
                Message::Finished(outcome) => finished = Some((outcome, running.started.elapsed())),
            }
        }
        self.results.sort_by_key(|r| catalogue_index(r.attack.name));
        if let Some((outcome, elapsed)) = finished {
            self.running = None;
            self.elapsed = elapsed;
            self.error = outcome.err().map(|e| e.to_string());
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The latest result of each attack run so far, in catalogue order.
    pub fn results(&self) -> &[AttackResult] {
        &self.results
    }

    /// Shows the details of this attack (and makes it the one "Run this attack" runs).
    pub fn select(&mut self, name: &'static str) {
        self.selected = Some(name);
    }

    /// Draws the panel; returns what the user asked to run.
    pub fn show(&mut self, ui: &mut Ui, lang: Language) -> Option<LabAction> {
        let mut action = None;
        ui.heading(lang.tr(Text::AttackLab));
        ui.label(lang.tr(Text::AttackIntro));
        ui.add_space(4.0);
        let choice = self.selected.unwrap_or(CATALOGUE[0].name);
        ui.horizontal_wrapped(|ui| {
            let idle = self.running.is_none();
            if ui.add_enabled(idle, egui::Button::new(lang.tr(Text::AttackRunAll))).clicked() {
                action = Some(LabAction::RunAll);
            }
            ui.separator();
            let mut picked = choice;
            let title = |name: &str| CATALOGUE.iter().find(|a| a.name == name).map_or("", |a| a.title.get(lang));
            egui::ComboBox::from_label(lang.tr(Text::AttackChoice))
                .width(380.0)
                .selected_text(format!("{picked}: {}", title(picked)))
                .show_ui(ui, |ui| {
                    for attack in CATALOGUE {
                        let strategy = report::strategy_word(attack.strategy).get(lang);
                        let text = format!("{strategy} · {}: {}", attack.name, attack.title.get(lang));
                        ui.selectable_value(&mut picked, attack.name, text);
                    }
                });
            if picked != choice {
                self.selected = Some(picked);
            }
            if ui.add_enabled(idle, egui::Button::new(lang.tr(Text::AttackRunOne))).clicked() {
                action = Some(LabAction::RunOne(picked));
            }
            if let Some(running) = &self.running {
                ui.add(egui::Spinner::new());
                ui.label(format!("{} {}/{}", lang.tr(Text::AttackRunning), running.done, running.total));
            }
        });
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(outcome_color(Outcome::Failed)));
        }
        if self.results.is_empty() {
            if self.running.is_none() {
                ui.label(lang.tr(Text::AttackNoResults));
            }
            return action;
        }
        if self.running.is_none() {
            ui.label(RichText::new(report::text_summary(&self.results, self.elapsed, lang)).strong());
        }
        ui.separator();
        ui.columns(2, |columns| {
            self.result_list(&mut columns[0], lang);
            self.details(&mut columns[1], lang);
        });
        action
    }

    fn result_list(&mut self, ui: &mut Ui, lang: Language) {
        egui::ScrollArea::vertical().id_salt("attack-results").auto_shrink([false, false]).show(ui, |ui| {
            egui::Grid::new("attack-result-grid").striped(true).show(ui, |ui| {
                for result in &self.results {
                    let word = report::outcome_word(result.outcome).get(lang);
                    ui.label(RichText::new(word).strong().color(outcome_color(result.outcome)));
                    ui.label(report::strategy_word(result.attack.strategy).get(lang));
                    let name = result.attack.name;
                    if ui.selectable_label(self.selected == Some(name), name).clicked() {
                        self.selected = Some(name);
                    }
                    ui.end_row();
                }
            });
        });
    }

    fn details(&self, ui: &mut Ui, lang: Language) {
        let Some(result) = self.selected.and_then(|name| self.results.iter().find(|r| r.attack.name == name)) else {
            return;
        };
        let attack = result.attack;
        egui::ScrollArea::vertical().id_salt("attack-details").auto_shrink([false, false]).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let word = report::outcome_word(result.outcome).get(lang);
                ui.label(RichText::new(word).strong().color(outcome_color(result.outcome)));
                ui.strong(attack.title.get(lang));
            });
            if let Some(target) = &result.target {
                ui.label(RichText::new(target).monospace().weak());
            }
            let field = |ui: &mut Ui, label: Text, text: &str| {
                ui.label(RichText::new(lang.tr(label)).strong());
                ui.label(text);
            };
            field(ui, Text::AttackExpected, attack.expected.get(lang));
            field(ui, Text::AttackGot, &result.got(lang));
            if let Some(note) = &result.note {
                field(ui, Text::AttackNote, note.get(lang));
            }
            field(ui, Text::AttackWhy, attack.why.get(lang));
            ui.add_space(6.0);
            for (i, exchange) in result.exchanges.iter().enumerate() {
                exchange_view(ui, lang, attack.name, i, exchange, result.decisive == Some(i));
            }
        });
    }
}

/// One request and its answer, folded unless it decided the outcome.
fn exchange_view(ui: &mut Ui, lang: Language, name: &str, i: usize, exchange: &Exchange, decisive: bool) {
    let answer =
        if exchange.error.is_some() { lang.tr(Text::AttackNoAnswer).to_owned() } else { exchange.status.to_string() };
    let mut title = format!("{}. {} {} → {answer}", i + 1, exchange.method, exchange.path());
    if let Some(label) = &exchange.label {
        title.push_str(&format!("  ({})", label.get(lang)));
    }
    if exchange.setup {
        title.push_str(&format!("  [{}]", lang.tr(Text::AttackSetupStep)));
    }
    if decisive {
        title.push_str(&format!("  [{}]", lang.tr(Text::AttackDecisive)));
    }
    egui::CollapsingHeader::new(title).id_salt(("attack-exchange", name, i)).default_open(decisive).show(ui, |ui| {
        ui.label(RichText::new(lang.tr(Text::AttackRequest)).strong());
        let mut request = format!("{} {}\n", exchange.method, exchange.url);
        for (header, value) in &exchange.request_headers {
            request.push_str(&format!("{header}: {}\n", report_cut(value)));
        }
        if let Some(body) = &exchange.request_body {
            request.push_str(&format!("\n{}", report_cut(body)));
        }
        ui.label(RichText::new(request.trim_end()).monospace());
        if let Some(token) = bearer_token(exchange) {
            if let Ok(decoded) = crate::token::inspect::decode(token) {
                let (header, claims) =
                    (super::inspector::pretty(&decoded.header), super::inspector::pretty(&decoded.claims));
                ui.label(RichText::new(lang.tr(Text::AttackTokenSent)).strong());
                ui.label(RichText::new(format!("{header}\n{}", report_cut(&claims))).monospace());
            }
        }
        ui.label(RichText::new(lang.tr(Text::AttackResponse)).strong());
        let response = match &exchange.error {
            Some(error) => format!("{}: {error}", lang.tr(Text::AttackNoAnswer)),
            None => {
                let mut text = format!("{}\n", exchange.status);
                for (header, value) in &exchange.response_headers {
                    text.push_str(&format!("{header}: {value}\n"));
                }
                text.push_str(&format!("\n{}", report_cut(&exchange.response_body)));
                text
            }
        };
        ui.label(RichText::new(response.trim_end()).monospace());
    });
}

fn report_cut(text: &str) -> String {
    crate::attack::runner::shorten(text, MAX_SHOWN)
}

/// The JWT a request carried in `Authorization: Bearer`, if any.
fn bearer_token(exchange: &Exchange) -> Option<&str> {
    exchange
        .request_headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.strip_prefix("Bearer "))
        .filter(|token| token.split('.').count() == 3)
}
