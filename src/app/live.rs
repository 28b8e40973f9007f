//! The live view: a run started from the app, fed by the engine's messages, with its actions
//! (stop, kill, restart or add a node, rotate the key, revoke a user, set the load), the list of
//! a scenario's `endpoints` (nodes it did not start: add a URL, remove one) and its charts.
//!
//! [`LiveRun`] is plain state: the engine's messages come in through [`LiveRun::receive`] and
//! commands go out through [`LiveRun::send`]. [`LiveView::show`] only draws it and returns what
//! the user asked for, which the app applies at the end of the frame.

use std::collections::{BTreeMap, VecDeque};

use egui::Ui;
use tokio::sync::mpsc;

use crate::engine::{Command, RunMessage, RunSetup, start_run};
use crate::i18n::{Language, Text};
use crate::measure::{Action, RunSummary, Tick};
use crate::scenario::{EventAction, NodeRef, Revokee, Scenario, Scope, StrategyName};
use crate::thresholds::{AbortWatch, Verdict, check_all};

use super::charts;
use super::jobs::ChartExport;
use super::mint::Login;
use super::projection::{ProjectionPanel, Source, SourceId};
use super::series::RunData;
use super::widgets::{chart_height, export_button, side_by_side};

/// A run started from the app.
pub(crate) struct LiveRun {
    name: String,
    commands: mpsc::UnboundedSender<Command>,
    messages: mpsc::UnboundedReceiver<RunMessage>,
    pub(crate) data: RunData,
    ticks: Vec<Tick>,
    status: Text,
    node_counts: [u32; 2],
    /// Base URLs of the nodes, by strategy (from the engine's start message).
    nodes: BTreeMap<StrategyName, Vec<String>>,
    seed: u64,
    /// The scenario it runs (the projection reads what its nodes keep).
    scenario: Scenario,
    source: SourceId,
    /// The strategies whose nodes are `endpoints`: each listed URL, and whether it was removed.
    endpoints: BTreeMap<StrategyName, Vec<(String, bool)>>,
    /// URLs sent to be added, not yet answered (the engine answers in order).
    adding: VecDeque<(StrategyName, String)>,
    /// The scenario's `abort_on_fail` thresholds, checked as ticks arrive (as `authlab run` does).
    abort_watch: AbortWatch,
    /// The threshold that stopped the run early, if one did.
    stopped_early: Option<Verdict>,
    /// Every threshold's verdict on the whole run, once it has finished.
    verdicts: Vec<Verdict>,
}

/// A change to a live run's endpoints.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EndpointEdit {
    /// Add the node at this base URL.
    Add(StrategyName, String),
    /// Take this node out of the run.
    Remove(NodeRef),
}

/// The engine would not take a command: the run has ended.
#[derive(Debug, thiserror::Error)]
#[error("the run has ended")]
pub(crate) struct RunEnded;

impl LiveRun {
    /// Starts `scenario` on `runtime`, its nodes run by `exe`; each engine message wakes `ctx`.
    pub(crate) fn start(
        runtime: &tokio::runtime::Handle,
        scenario: Scenario,
        exe: std::path::PathBuf,
        language: Language,
        ctx: &egui::Context,
    ) -> Self {
        let name = scenario.title(language).to_owned();
        let seed = scenario.seed;
        let data = RunData { headline: scenario.headline.clone(), ..RunData::with_charts(&scenario.charts) };
        let node_counts =
            [scenario.session.as_ref().map_or(0, |s| s.nodes), scenario.token.as_ref().map_or(0, |t| t.nodes)];
        let endpoints = StrategyName::BOTH
            .into_iter()
            .filter(|s| !scenario.endpoints(*s).is_empty())
            .map(|s| (s, scenario.endpoints(s).iter().map(|url| (url.clone(), false)).collect()))
            .collect();
        let setup = RunSetup { scenario: scenario.clone(), exe };
        let handle = {
            let _entered = runtime.enter();
            start_run(setup)
        };
        // Forward the engine's messages to the UI, waking it for each.
        let (tx, rx) = mpsc::unbounded_channel();
        let mut from_engine = handle.messages;
        let ctx = ctx.clone();
        runtime.spawn(async move {
            while let Some(message) = from_engine.recv().await {
                if tx.send(message).is_err() {
                    break;
                }
                ctx.request_repaint();
            }
        });
        Self {
            name,
            commands: handle.commands,
            messages: rx,
            data,
            ticks: Vec::new(),
            status: Text::Starting,
            node_counts,
            nodes: BTreeMap::new(),
            seed,
            source: SourceId::new(),
            endpoints,
            adding: VecDeque::new(),
            abort_watch: AbortWatch::new(&scenario.name, &scenario.thresholds),
            stopped_early: None,
            verdicts: Vec::new(),
            scenario,
        }
    }

    /// Takes in the engine's messages since the last frame; returns the error to tell the user,
    /// if a failed event or the run's end brought one.
    pub(crate) fn receive(&mut self) -> Option<String> {
        let mut error = None;
        while let Ok(message) = self.messages.try_recv() {
            match message {
                RunMessage::Started { nodes } => {
                    self.status = Text::Running;
                    self.nodes = nodes;
                }
                RunMessage::Tick(tick) => {
                    self.data.push_tick(&tick);
                    self.ticks.push(tick);
                    if let Some(verdict) = self.abort_watch.after_tick(&self.ticks, &self.data.events) {
                        // As `authlab run` does: stop, and keep what was recorded.
                        let _ = self.commands.send(Command::Stop);
                        self.stopped_early = Some(verdict);
                    }
                }
                RunMessage::Event(event) => {
                    self.note_endpoint_edit(event.action, &event.target, event.ok);
                    if !event.ok {
                        error = Some(format!("{} {}: {}", event.action.name(), event.target, event.detail));
                    }
                    self.data.events.push(event);
                }
                RunMessage::Finished { error: finished } => {
                    self.status = Text::Finished;
                    let summary = RunSummary::from_run(&self.scenario.name, &self.ticks, &self.data.events);
                    self.verdicts = check_all(&self.scenario.thresholds, &summary);
                    if finished.is_some() {
                        error = finished;
                    }
                }
            }
        }
        error
    }

    /// Sends a live action to the engine (an added node counts at once, for the node menus).
    pub(crate) fn send(&mut self, action: EventAction) -> Result<(), RunEnded> {
        if let EventAction::AddNode(s) = &action {
            self.node_counts[*s as usize] += 1;
        }
        self.commands.send(Command::Event(action)).map_err(|_| RunEnded)
    }

    /// Sends an endpoint edit to the engine; the list changes when the engine says it was done.
    pub(crate) fn edit_endpoints(&mut self, edit: EndpointEdit) -> Result<(), RunEnded> {
        let command = match edit {
            EndpointEdit::Add(strategy, url) => {
                self.adding.push_back((strategy, url.clone()));
                Command::AttachNode(strategy, url)
            }
            EndpointEdit::Remove(node) => Command::DetachNode(node),
        };
        self.commands.send(command).map_err(|_| RunEnded)
    }

    /// Applies a recorded add or remove to the endpoint list (others leave it alone).
    fn note_endpoint_edit(&mut self, action: Action, target: &str, ok: bool) {
        match action {
            Action::AddNode => {
                let Some(strategy) = StrategyName::from_name(target) else { return };
                if !self.endpoints.contains_key(&strategy) {
                    return;
                }
                let Some(at) = self.adding.iter().position(|(s, _)| *s == strategy) else { return };
                let Some((_, url)) = self.adding.remove(at) else { return };
                if ok {
                    self.endpoints.entry(strategy).or_default().push((url, false));
                    self.node_counts[strategy as usize] += 1;
                }
            }
            Action::RemoveNode if ok => {
                let Some((name, number)) = target.split_once('/') else { return };
                let (Some(strategy), Ok(number)) = (StrategyName::from_name(name), number.parse::<usize>()) else {
                    return;
                };
                let entry = self.endpoints.get_mut(&strategy).and_then(|l| l.get_mut(number.wrapping_sub(1)));
                if let Some(entry) = entry {
                    entry.1 = true;
                }
            }
            _ => {}
        }
    }

    /// Asks the engine to stop (it cleans up its nodes); a run already over ignores it.
    pub(crate) fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }

    /// Whether the run has ended (and cleaned up its nodes).
    pub(crate) fn finished(&self) -> bool {
        self.status == Text::Finished
    }

    /// Whether the run has token nodes up (the inspector mints its tokens there).
    pub(crate) fn has_token_nodes(&self) -> bool {
        self.scenario.token.is_some() && self.nodes.contains_key(&StrategyName::Token)
    }

    /// The inspector's login: user 7 of the run's directory, on its token and session nodes.
    pub(crate) fn login(&self) -> Login {
        let nodes = |strategy| self.nodes.get(&strategy).cloned().unwrap_or_default();
        Login {
            token_nodes: nodes(StrategyName::Token),
            session_nodes: nodes(StrategyName::Session),
            user: crate::users::username(7),
            password: crate::users::password(self.seed, 7),
        }
    }

    /// The run's charts so far, for an export.
    pub(crate) fn export(&self) -> ChartExport {
        ChartExport {
            title: self.name.clone(),
            charts: self.data.charts().to_vec(),
            ticks: self.ticks.clone(),
            events: self.data.events.clone(),
        }
    }
}

/// What the user asked for in the live view.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LiveAction {
    Stop,
    Event(EventAction),
    Endpoints(EndpointEdit),
    Export,
}

/// The live view: the run, if one was started, and what its action fields hold.
pub(crate) struct LiveView {
    pub(crate) run: Option<LiveRun>,
    load_value: f64,
    revoke_user: String,
    /// The URL typed in each strategy's endpoint list field.
    new_endpoint: BTreeMap<StrategyName, String>,
}

impl Default for LiveView {
    fn default() -> Self {
        Self { run: None, load_value: 50.0, revoke_user: String::new(), new_endpoint: BTreeMap::new() }
    }
}

impl LiveView {
    /// Draws the run, its actions, its charts and, if open, the projection of its ticks so far;
    /// returns what the user asked for.
    pub(crate) fn show(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        exporting: bool,
        projection: &mut ProjectionPanel,
    ) -> Vec<LiveAction> {
        let mut actions = Vec::new();
        let Some(run) = &self.run else {
            ui.label(lang.tr(Text::NoRun));
            return actions;
        };
        let source = Source {
            id: run.source,
            ticks: &run.ticks,
            scenario: Some(&run.scenario),
            title: &run.name,
            span_s: (0.0, run.ticks.last().map_or(0.0, |tick| tick.t)),
            live: !run.finished(),
        };
        projection.show(ui, lang, source);
        let running = run.status == Text::Running;
        ui.horizontal(|ui| {
            ui.heading(&run.name);
            ui.label(lang.tr(run.status));
            ui.label(format!("{:.1} s", run.data.end_s));
        });
        // As k6 warns of an overloaded load generator: the figures would describe the driver.
        let saturated =
            run.ticks.last().is_some_and(|t| t.strategies.values().any(|st| st.driver.is_some_and(|d| d.saturated)));
        if saturated {
            ui.colored_label(RED, lang.tr(Text::DriverSaturated));
        }
        thresholds(ui, lang, run);
        let mut stop = false;
        let mut action: Option<EventAction> = None;
        let counts = run.node_counts;
        ui.horizontal_wrapped(|ui| {
            if ui.add_enabled(running, egui::Button::new(lang.tr(Text::Stop))).clicked() {
                stop = true;
            }
            ui.separator();
            ui.label(lang.tr(Text::Actions));
            for strategy in StrategyName::BOTH {
                let nodes = counts[strategy as usize];
                if nodes == 0 {
                    continue;
                }
                let name = lang.tr(crate::chart::strategy_text(strategy));
                let titled = |text| format!("{} ({name})", lang.tr(text));
                ui.menu_button(titled(Text::KillNode), |ui| {
                    for n in 1..=nodes {
                        if ui.button(format!("{}/{n}", strategy.as_str())).clicked() {
                            action = Some(EventAction::KillNode(NodeRef { strategy, number: n }));
                        }
                    }
                });
                // Nodes the lab did not start are neither restarted nor added by it.
                if run.endpoints.contains_key(&strategy) {
                    continue;
                }
                ui.menu_button(titled(Text::RestartNode), |ui| {
                    for n in 1..=nodes {
                        if ui.button(format!("{}/{n}", strategy.as_str())).clicked() {
                            action = Some(EventAction::RestartNode(NodeRef { strategy, number: n }));
                        }
                    }
                });
                if ui.button(titled(Text::AddNode)).clicked() {
                    action = Some(EventAction::AddNode(strategy));
                }
            }
            if counts[StrategyName::Token as usize] > 0 && ui.button(lang.tr(Text::RotateKey)).clicked() {
                action = Some(EventAction::RotateKey(Scope::Strategy(StrategyName::Token)));
            }
            // Revoking goes through the lab's own nodes' admin API: not to the user's own server.
            let own: Vec<StrategyName> = StrategyName::BOTH.into_iter().filter(|s| counts[*s as usize] > 0).collect();
            let revoke_scope = match own.as_slice() {
                [one] if run.scenario.targets.any() => Some(Scope::Strategy(*one)),
                [] => None,
                _ => Some(Scope::All),
            };
            if let Some(scope) = revoke_scope {
                let revoke = ui.button(lang.tr(Text::RevokeUser));
                ui.add(egui::TextEdit::singleline(&mut self.revoke_user).hint_text("user0000042").desired_width(90.0))
                    .labelled_by(revoke.id);
                if revoke.clicked() {
                    let user = self.revoke_user.trim();
                    let who = if user.is_empty() { Revokee::Recent(1) } else { Revokee::User(user.to_owned()) };
                    action = Some(EventAction::RevokeUser(scope, who));
                }
            }
            let set_load = ui.button(lang.tr(Text::SetLoad));
            ui.add(egui::DragValue::new(&mut self.load_value).range(0.0..=10_000.0)).labelled_by(set_load.id);
            if set_load.clicked() {
                action = Some(EventAction::SetLoad(Scope::All, self.load_value));
            }
        });
        if let Some(edit) = endpoint_list(ui, lang, run, running, &mut self.new_endpoint) {
            actions.push(LiveAction::Endpoints(edit));
        }
        let export = ui.horizontal(|ui| {
            let export = export_button(ui, lang, exporting);
            projection.toggle(ui, lang);
            export
        });
        if export.inner {
            actions.push(LiveAction::Export);
        }
        if stop {
            actions.push(LiveAction::Stop);
        }
        actions.extend(action.map(LiveAction::Event));
        let height = chart_height(ui, run.data.charts().len());
        let window = charts::Window { until_s: run.data.end_s, chart_height: height };
        side_by_side(ui, &run.data, None, window, lang);
        actions
    }
}

/// The failures of the live view.
const RED: egui::Color32 = egui::Color32::from_rgb(220, 60, 60);

/// A verdict's value in the user's language.
fn verdict_value(lang: Language, verdict: &Verdict) -> String {
    if verdict.value.is_some() { verdict.shown() } else { lang.tr(Text::NotMeasured).to_owned() }
}

/// The scenario's thresholds: the one that stopped the run early, if one did; each verdict once
/// the run has finished (held or failed, with its value); until then, that they are checked at
/// the end.
fn thresholds(ui: &mut Ui, lang: Language, run: &LiveRun) {
    if let Some(verdict) = &run.stopped_early {
        let value = verdict_value(lang, verdict);
        ui.colored_label(RED, lang.fill(Text::ThresholdStoppedEarly, &[&verdict.name, &verdict.expr, &value]));
    }
    let total = run.scenario.thresholds.len();
    if total == 0 {
        return;
    }
    let failed = run.verdicts.iter().filter(|v| !v.ok).count();
    let (total_text, failed_text) = (total.to_string(), failed.to_string());
    let heading = if !run.finished() {
        lang.fill(Text::ThresholdsPending, &[&total_text])
    } else if failed > 0 {
        lang.fill(Text::ThresholdsFailed, &[&failed_text, &total_text])
    } else {
        lang.fill(Text::ThresholdsHeld, &[&total_text])
    };
    // One id whatever the heading says, so the list stays open when the language changes.
    egui::CollapsingHeader::new(heading).id_salt("live-thresholds").show(ui, |ui| {
        for verdict in &run.verdicts {
            // Words, not ✓/✗: the app's fonts have no such glyphs.
            let (mark, color) = if verdict.ok {
                (Text::ThresholdHeld, egui::Color32::from_rgb(60, 170, 90))
            } else {
                (Text::Failed, RED)
            };
            ui.horizontal(|ui| {
                ui.colored_label(color, lang.tr(mark));
                ui.monospace(format!("{} {}", verdict.name, verdict.expr));
                ui.label(verdict_value(lang, verdict));
            });
        }
    });
}

/// The endpoint lists of a run whose nodes the lab did not start: each URL with a remove button,
/// and a field to add one; returns the edit asked for.
fn endpoint_list(
    ui: &mut Ui,
    lang: Language,
    run: &LiveRun,
    running: bool,
    new_endpoint: &mut BTreeMap<StrategyName, String>,
) -> Option<EndpointEdit> {
    let mut edit = None;
    for (&strategy, list) in &run.endpoints {
        let name = lang.tr(crate::chart::strategy_text(strategy));
        ui.collapsing(lang.fill(Text::EndpointsHeading, &[name]), |ui| {
            ui.label(lang.tr(Text::EndpointsHint));
            for (i, (url, removed)) in list.iter().enumerate() {
                ui.horizontal(|ui| {
                    let id = format!("{}/{}", strategy.as_str(), i + 1);
                    if *removed {
                        ui.weak(format!("{id}  {url}"));
                        return;
                    }
                    ui.label(format!("{id}  {url}"));
                    let remove = ui.add_enabled(running, egui::Button::new(lang.tr(Text::RemoveEndpoint)));
                    if remove.clicked() {
                        edit = Some(EndpointEdit::Remove(NodeRef { strategy, number: i as u32 + 1 }));
                    }
                });
            }
            ui.horizontal(|ui| {
                let new_endpoint = new_endpoint.entry(strategy).or_default();
                let field = ui.add(
                    egui::TextEdit::singleline(new_endpoint).hint_text("http://10.1.0.4:8080").desired_width(200.0),
                );
                let can_add = running && !new_endpoint.trim().is_empty();
                let add = ui.add_enabled(can_add, egui::Button::new(lang.tr(Text::AddEndpoint)));
                field.labelled_by(add.id);
                if add.clicked() {
                    edit = Some(EndpointEdit::Add(strategy, std::mem::take(new_endpoint).trim().to_owned()));
                }
            });
        });
    }
    edit
}
