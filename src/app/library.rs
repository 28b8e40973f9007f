//! The scenario library: built-in and opened scenarios, their narrative, their knobs, and a
//! validated TOML editor.

use std::path::Path;

use egui::{RichText, Ui};

use crate::i18n::{Language, Text};
use crate::scenario::{
    LoadModel, Revocation, Routing, Scenario, ScenarioError, StoreKind, builtin::BUILT_IN, parse_scenario,
};
use crate::users::PasswordHashKind;

/// One scenario in the library, with its text as edited and the result of checking it.
pub struct Entry {
    pub origin: String,
    pub text: String,
    pub parsed: Result<Scenario, ScenarioError>,
}

impl Entry {
    fn new(origin: String, text: String) -> Self {
        let parsed = parse_scenario(&text, &origin);
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
                let name = entry.parsed.as_ref().map_or_else(|_| entry.origin.clone(), |s| s.title(lang).to_owned());
                ui.selectable_value(&mut self.selected, i, name).on_hover_text(&entry.origin);
            }
        });
        let Some(entry) = self.entries.get_mut(self.selected) else { return outcome };
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Ok(scenario) = &entry.parsed {
                ui.heading(scenario.title(lang));
                ui.label(RichText::new(lang.tr(Text::Narrative)).strong());
                ui.label(scenario.narrative_in(lang));
                ui.add_space(8.0);
                let scenario = scenario.clone();
                if knobs(ui, lang, &scenario, &mut entry.text) {
                    entry.parsed = parse_scenario(&entry.text, &entry.origin);
                }
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
                    Err(e) => ui.label(RichText::new(e.to_string()).color(egui::Color32::from_rgb(220, 60, 60))),
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
                entry.parsed = parse_scenario(&entry.text, &entry.origin);
            }
        });
        outcome
    }
}

/// One editable knob: where it lives in the TOML, and what it does.
struct Knob {
    table: Option<&'static str>,
    key: &'static str,
    tip: Text,
}

const fn knob(table: Option<&'static str>, key: &'static str, tip: Text) -> Knob {
    Knob { table, key, tip }
}

/// Writes `value` at the knob's place in the TOML text, keeping the rest of the file as written.
fn set(text: &mut String, knob: &Knob, value: toml_edit::Item) {
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else { return };
    let slot = match knob.table {
        Some(table) => &mut doc[table][knob.key],
        None => &mut doc[knob.key],
    };
    // The new value keeps the old one's surroundings (spacing, a trailing comment).
    *slot = match (slot.as_value().map(|old| old.decor().clone()), value) {
        (Some(decor), toml_edit::Item::Value(mut new)) => {
            *new.decor_mut() = decor;
            toml_edit::Item::Value(new)
        }
        (_, value) => value,
    };
    *text = doc.to_string();
}

fn label(ui: &mut Ui, lang: Language, knob: &Knob) {
    let name = match knob.table {
        Some(table) => format!("{table}.{}", knob.key),
        None => knob.key.to_owned(),
    };
    ui.label(name).on_hover_text(lang.tr(knob.tip));
}

fn choice(
    ui: &mut Ui,
    lang: Language,
    text: &mut String,
    knob: &Knob,
    current: &str,
    options: impl IntoIterator<Item = &'static str>,
) -> bool {
    label(ui, lang, knob);
    let mut changed = false;
    egui::ComboBox::from_id_salt(knob.key)
        .selected_text(current)
        .show_ui(ui, |ui| {
            for option in options {
                if ui.selectable_label(option == current, option).clicked() && option != current {
                    set(text, knob, toml_edit::value(option));
                    changed = true;
                }
            }
        })
        .response
        .on_hover_text(lang.tr(knob.tip));
    ui.end_row();
    changed
}

fn number(
    ui: &mut Ui,
    lang: Language,
    text: &mut String,
    knob: &Knob,
    current: f64,
    range: std::ops::RangeInclusive<f64>,
    integer: bool,
) -> bool {
    label(ui, lang, knob);
    let mut value = current;
    let mut drag = egui::DragValue::new(&mut value).range(range);
    if integer {
        drag = drag.fixed_decimals(0);
    } else {
        drag = drag.speed(0.01).fixed_decimals(2);
    }
    let changed = ui.add(drag).on_hover_text(lang.tr(knob.tip)).changed() && value != current;
    if changed {
        let item = if integer { toml_edit::value(value.round() as i64) } else { toml_edit::value(value) };
        set(text, knob, item);
    }
    ui.end_row();
    changed
}

fn info(ui: &mut Ui, name: &str, value: String, tip: &str) {
    ui.label(name).on_hover_text(tip);
    ui.label(value).on_hover_text(tip);
    ui.end_row();
}

/// The scenario's knobs, each with a tooltip that says what it does. Changing one rewrites that
/// value in the TOML (comments and layout stay); returns whether anything changed.
fn knobs(ui: &mut Ui, lang: Language, s: &Scenario, text: &mut String) -> bool {
    let mut changed = false;
    egui::Grid::new("knobs").num_columns(2).striped(true).show(ui, |ui| {
        let seconds = s.duration.as_secs_f64();
        let duration = knob(None, "duration", Text::KnobDuration);
        label(ui, lang, &duration);
        let mut value = seconds;
        let drag = egui::DragValue::new(&mut value).range(1.0..=86_400.0).suffix(" s").fixed_decimals(0);
        if ui.add(drag).on_hover_text(lang.tr(duration.tip)).changed() && value != seconds {
            set(text, &duration, toml_edit::value(format!("{}s", value.round())));
            changed = true;
        }
        ui.end_row();
        changed |= number(
            ui,
            lang,
            text,
            &knob(Some("users"), "count", Text::KnobUsersCount),
            s.users.count as f64,
            1.0..=10_000_000.0,
            true,
        );
        changed |= choice(
            ui,
            lang,
            text,
            &knob(Some("users"), "password_hash", Text::KnobPasswordHash),
            s.users.password_hash.name(),
            PasswordHashKind::NAMES.iter().map(|(_, name)| *name),
        );
        changed |= choice(
            ui,
            lang,
            text,
            &knob(Some("load"), "model", Text::KnobLoadModel),
            s.load.model.name(),
            LoadModel::names(),
        );
        info(
            ui,
            "load.stages",
            s.load
                .stages
                .iter()
                .map(|st| format!("{} s: {}", st.at.as_secs_f64(), st.target))
                .collect::<Vec<_>>()
                .join(", "),
            lang.tr(Text::KnobLoadStages),
        );
        changed |= number(
            ui,
            lang,
            text,
            &knob(Some("load"), "requests_per_login", Text::KnobRequestsPerLogin),
            s.load.requests_per_login as f64,
            0.0..=1_000_000.0,
            true,
        );
        changed |= number(
            ui,
            lang,
            text,
            &knob(Some("load"), "logout_ratio", Text::KnobLogoutRatio),
            s.load.logout_ratio,
            0.0..=1.0,
            false,
        );
        changed |= choice(
            ui,
            lang,
            text,
            &knob(Some("cluster"), "routing", Text::KnobRouting),
            s.cluster.routing.name(),
            Routing::names(),
        );
        if let Some(m) = s.cluster.machine {
            info(
                ui,
                "cluster.machine",
                lang.fill(Text::KnobMachineValue, &[&m.workers.to_string(), &format!("{:?}", m.service_time)]),
                lang.tr(Text::KnobMachine),
            );
        }
        if let Some(session) = &s.session {
            changed |= number(
                ui,
                lang,
                text,
                &knob(Some("session"), "nodes", Text::KnobSessionNodes),
                session.nodes as f64,
                1.0..=32.0,
                true,
            );
            changed |= choice(
                ui,
                lang,
                text,
                &knob(Some("session"), "store", Text::KnobSessionStore),
                session.store.name(),
                StoreKind::names(),
            );
            if session.store == StoreKind::Postgres {
                changed |= number(
                    ui,
                    lang,
                    text,
                    &knob(Some("session"), "pool", Text::KnobSessionPool),
                    session.pool as f64,
                    1.0..=1000.0,
                    true,
                );
            }
            changed |= number(
                ui,
                lang,
                text,
                &knob(Some("session"), "payload_bytes", Text::KnobPayloadBytes),
                session.payload_bytes as f64,
                0.0..=1_000_000.0,
                true,
            );
        }
        if let Some(token) = &s.token {
            changed |= number(
                ui,
                lang,
                text,
                &knob(Some("token"), "nodes", Text::KnobTokenNodes),
                token.nodes as f64,
                1.0..=32.0,
                true,
            );
            let alg = crate::token::keys::algorithm_name(token.algorithm);
            changed |= choice(
                ui,
                lang,
                text,
                &knob(Some("token"), "algorithm", Text::KnobAlgorithm),
                alg,
                ["HS256", "RS256", "ES256", "EdDSA", "Ed25519"],
            );
            changed |= choice(
                ui,
                lang,
                text,
                &knob(Some("token"), "revocation", Text::KnobRevocation),
                token.revocation.name(),
                Revocation::names(),
            );
            changed |= number(
                ui,
                lang,
                text,
                &knob(Some("token"), "claims_bytes", Text::KnobClaimsBytes),
                token.claims_bytes as f64,
                0.0..=100_000.0,
                true,
            );
        }
        info(ui, "events", s.events.len().to_string(), lang.tr(Text::KnobEvents));
    });
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_knob_rewrites_only_its_value_and_keeps_comments() {
        let mut text = "# my scenario\nname = \"x\"\nduration = \"10s\"\n[load]\nstages = [ { at = \"0s\", target = 5 } ]\nlogout_ratio = 0.3 # most abandon\n[session]\n".to_string();
        set(&mut text, &knob(Some("load"), "logout_ratio", Text::KnobLogoutRatio), toml_edit::value(0.5));
        set(&mut text, &knob(Some("session"), "nodes", Text::KnobSessionNodes), toml_edit::value(3));
        assert!(text.starts_with("# my scenario\n"), "{text}");
        assert!(text.contains("logout_ratio = 0.5"), "{text}");
        assert!(text.contains("# most abandon"), "{text}");
        let scenario = parse_scenario(&text, "t").expect("still valid");
        assert_eq!(scenario.session.map(|s| s.nodes), Some(3));
        assert_eq!(scenario.load.logout_ratio, 0.5);
    }
}
