//! The scenario library: built-in and opened scenarios, their narrative, their knobs, and a
//! validated TOML editor.

use std::path::Path;

use egui::{RichText, Ui};

use crate::i18n::{Language, Text};
use crate::scenario::{Scenario, builtin::BUILT_IN, parse_scenario};

/// One scenario in the library, with its text as edited and the result of checking it.
pub struct Entry {
    pub origin: String,
    pub text: String,
    pub parsed: Result<Scenario, String>,
}

impl Entry {
    fn new(origin: String, text: String) -> Self {
        let parsed = parse_scenario(&text, &origin).map_err(|e| e.to_string());
        Self { origin, text, parsed }
    }
}

/// What the user asked the library for this frame.
pub enum Outcome {
    None,
    Start(Box<Scenario>),
    Open,
    SaveAs(String),
}

pub struct Library {
    pub entries: Vec<Entry>,
    pub selected: usize,
}

impl Library {
    pub fn with_built_ins() -> Self {
        let entries =
            BUILT_IN.iter().map(|(name, text)| Entry::new(format!("built-in: {name}"), text.to_string())).collect();
        Self { entries, selected: 0 }
    }

    pub fn add_file(&mut self, path: &Path, text: String) {
        self.entries.push(Entry::new(path.display().to_string(), text));
        self.selected = self.entries.len() - 1;
    }

    pub fn show(&mut self, ui: &mut Ui, lang: Language) -> Outcome {
        let mut outcome = Outcome::None;
        egui::Panel::left("library-list").resizable(true).default_size(260.0).show(ui, |ui| {
            ui.heading(lang.tr(Text::Library));
            if ui.button(lang.tr(Text::OpenFile)).clicked() {
                outcome = Outcome::Open;
            }
            ui.separator();
            for (i, entry) in self.entries.iter().enumerate() {
                let name = entry.parsed.as_ref().map(|s| s.name.clone()).unwrap_or_else(|_| entry.origin.clone());
                ui.selectable_value(&mut self.selected, i, name).on_hover_text(&entry.origin);
            }
        });
        let Some(entry) = self.entries.get_mut(self.selected) else { return outcome };
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Ok(scenario) = &entry.parsed {
                ui.heading(&scenario.name);
                ui.label(RichText::new(lang.tr(Text::Narrative)).strong());
                let narrative = match lang {
                    Language::English => &scenario.narrative.en,
                    Language::Korean => &scenario.narrative.ko,
                };
                ui.label(narrative.as_str());
                ui.add_space(8.0);
                knobs(ui, scenario);
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let valid = entry.parsed.is_ok();
                if ui.add_enabled(valid, egui::Button::new(RichText::new(lang.tr(Text::Start)).strong())).clicked() {
                    if let Ok(scenario) = &entry.parsed {
                        outcome = Outcome::Start(Box::new(scenario.clone()));
                    }
                }
                if ui.button(lang.tr(Text::SaveAs)).clicked() {
                    outcome = Outcome::SaveAs(entry.text.clone());
                }
                match &entry.parsed {
                    Ok(_) => ui.label(RichText::new(lang.tr(Text::Valid)).color(egui::Color32::from_rgb(60, 170, 90))),
                    Err(e) => ui.label(RichText::new(e).color(egui::Color32::from_rgb(220, 60, 60))),
                };
            });
            let heading = ui.label(RichText::new(lang.tr(Text::Editor)).strong());
            let edited = ui
                .add(
                    egui::TextEdit::multiline(&mut entry.text)
                        .code_editor()
                        .desired_rows(24)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(heading.id);
            if edited.changed() {
                entry.parsed = parse_scenario(&entry.text, &entry.origin).map_err(|e| e.to_string());
            }
        });
        outcome
    }
}

/// The scenario's main knobs, each with a tooltip that says what it does.
fn knobs(ui: &mut Ui, s: &Scenario) {
    egui::Grid::new("knobs").num_columns(2).striped(true).show(ui, |ui| {
        let mut row = |name: &str, value: String, tip: &str| {
            ui.label(name).on_hover_text(tip);
            ui.label(value).on_hover_text(tip);
            ui.end_row();
        };
        row("duration", format!("{:?}", s.duration), "How long the run lasts.");
        row("users.count", s.users.count.to_string(), "Distinct accounts; each visit logs in as another one.");
        row(
            "users.password_hash",
            s.users.password_hash.to_string(),
            "argon2id costs tens of milliseconds per login, as in production; sha256 makes logins nearly free.",
        );
        row(
            "load.model",
            format!("{:?}", s.load.model),
            "closed: virtual users with think time; open: an arrival rate.",
        );
        row(
            "load.stages",
            s.load.stages.iter().map(|st| format!("{:?}→{}", st.at, st.target)).collect::<Vec<_>>().join(", "),
            "The load ramps linearly between these points (users, or requests/s in the open model).",
        );
        row(
            "load.requests_per_login",
            s.load.requests_per_login.to_string(),
            "Requests per visit after its login; 0 = endless.",
        );
        row(
            "load.logout_ratio",
            s.load.logout_ratio.to_string(),
            "Share of visits that log out; the rest abandon their session until it expires.",
        );
        row(
            "cluster.routing",
            format!("{:?}", s.cluster.routing),
            "How the load balancer picks a node: per-node sessions need sticky routing.",
        );
        if let Some(m) = s.cluster.machine {
            row(
                "cluster.machine",
                format!("{} workers × {:?}", m.workers, m.service_time),
                "SIMULATED capacity per node, as if each were its own machine.",
            );
        }
        if let Some(session) = &s.session {
            row(
                "session",
                format!("{} nodes, {:?} store, {} B payload", session.nodes, session.store, session.payload_bytes),
                "Session nodes keep state: per node in memory, or shared in Redis.",
            );
        }
        if let Some(token) = &s.token {
            row(
                "token",
                format!(
                    "{} nodes, {:?}, ttl {:?}, {:?} revocation",
                    token.nodes, token.algorithm, token.ttl, token.revocation
                ),
                "Token nodes verify signatures; revocation needs a denylist (server state again).",
            );
        }
        row(
            "events",
            s.events.len().to_string(),
            "Scheduled actions: kill_node, add_node, revoke_user, rotate_key, set_load.",
        );
    });
}
