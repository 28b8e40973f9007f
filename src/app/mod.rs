//! The desktop app (egui/eframe): scenario library, live view, replay, in English and Korean.
//!
//! [`AuthlabApp`] holds the persisted [`Prefs`] apart from its runtime handles: a tokio runtime
//! where the engine runs, the background jobs (`jobs`), and one struct per view (`live`,
//! `replay`, the library, the inspector, the attack lab). Each frame it takes in what arrived (job
//! results, engine messages), lets the view on screen draw itself and say what the user asked
//! for, and applies that at the end of the frame. The projection panel (`projection`) is one
//! state both the live and the replay views draw, each handing it its own ticks. Nothing on the UI thread waits on the network
//! or the disk. The eframe shell (`shell`, [`run_app`]) opens the window and persists the
//! preferences.

pub(crate) mod attack_lab;
pub(crate) mod charts;
mod chrome;
pub(crate) mod inspector;
mod jobs;
mod library;
mod live;
mod mint;
mod projection;
mod replay;
pub(crate) mod series;
mod shell;
pub(crate) mod timeline;
mod widgets;

use std::path::{Path, PathBuf};

use egui::Ui;
use serde::{Deserialize, Serialize};

use crate::i18n::{Language, Text};
use crate::recording::Recording;
use crate::scenario::{EventAction, Scenario};
use jobs::{Job, JobResult, Jobs, Pick};
use library::Library;
use live::{LiveAction, LiveRun, LiveView};
use replay::{Replay, ReplayAction, ReplayView};
use timeline::Timeline;

pub use shell::{AppOptions, HANGUL_FONT, install_fonts, run_app};

/// What the app remembers between sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prefs {
    /// The language of every label, chart and export.
    pub language: Language,
    /// Presentation mode: larger text and thicker lines, for a projector.
    pub presentation: bool,
}

/// Which view is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The scenario library: pick, edit and start a scenario.
    Library,
    /// The run in progress, charted as its ticks arrive.
    Live,
    /// A recording, with a timeline to scrub and a range to measure.
    Replay,
    /// The token inspector.
    Inspector,
    /// The attack lab.
    AttackLab,
}

/// Something the app tells the user (an error, a finished export...).
#[derive(Debug, Clone)]
pub struct Notice {
    /// What to tell the user, in their language.
    pub text: String,
    /// Whether it is an error (shown in red) rather than news.
    pub error: bool,
}

/// What a view asked the app for this frame; applied at the end of the frame.
enum Action {
    Start(Box<Scenario>),
    Stop,
    Send(EventAction),
    /// An endpoint added to or removed from the live run.
    Endpoints(live::EndpointEdit),
    Job(Job),
    Mint,
    RunAttacks(Option<&'static str>),
}

/// The whole app.
pub struct AuthlabApp {
    /// What persists between sessions.
    pub prefs: Prefs,
    /// The view on screen.
    pub view: View,
    /// Where the engine runs, and the jobs and the attack lab.
    runtime: tokio::runtime::Runtime,
    /// The executable that runs nodes (this one, unless a test says otherwise).
    node_exe: PathBuf,
    jobs: Jobs,
    library: Library,
    live: LiveView,
    replay: ReplayView,
    /// The projection panel of the live and replay views: its inputs and last projection.
    projection: projection::ProjectionPanel,
    /// What the app is telling the user, oldest first.
    pub notices: Vec<Notice>,
    /// An export is being written (its progress shows until it is done).
    pub exporting: bool,
    /// The token inspector: what is pasted, the keys fetched, the node it minted from.
    pub inspector: inspector::Inspector,
    /// The attack lab panel: its results and the run in progress.
    pub attack_lab: attack_lab::AttackLab,
    /// A recording is being read (a spinner shows until it is).
    pub loading: bool,
}

impl AuthlabApp {
    /// A new app; `node_exe` runs the nodes of live runs.
    pub fn new(prefs: Prefs, node_exe: PathBuf) -> anyhow::Result<Self> {
        let runtime = crate::engine::runtime(Some(2))?;
        let jobs = Jobs::new(runtime.handle().clone());
        Ok(Self {
            prefs,
            view: View::Library,
            runtime,
            node_exe,
            jobs,
            library: Library::with_built_ins(),
            live: LiveView::default(),
            replay: ReplayView::default(),
            projection: projection::ProjectionPanel::default(),
            notices: Vec::new(),
            exporting: false,
            inspector: inspector::Inspector::default(),
            attack_lab: attack_lab::AttackLab::default(),
            loading: false,
        })
    }

    /// Adds a scenario to the library and selects it (as opening a file does).
    pub fn add_scenario(&mut self, origin: &Path, text: String) {
        self.library.add_file(origin, text);
        self.view = View::Library;
    }

    /// Ticks and events of the live run so far.
    pub fn live_progress(&self) -> Option<(usize, &[crate::measure::EventRecord])> {
        self.live.run.as_ref().map(|run| (run.data.ticks, run.data.events.as_slice()))
    }

    /// Draws `recording` on the same axes as the replayed one, dashed.
    pub fn overlay_recording(&mut self, name: &str, recording: &Recording) {
        if let Some(replay) = &mut self.replay.current {
            replay.set_overlay(name, recording);
        }
    }

    /// Whether the live run has ended (and cleaned up its nodes).
    pub fn live_finished(&self) -> bool {
        self.live.run.as_ref().is_some_and(LiveRun::finished)
    }

    /// The replay's timeline, if a recording is open.
    pub fn timeline(&self) -> Option<&Timeline> {
        self.replay.current.as_ref().map(|r| &r.timeline)
    }

    /// Stops the live run, if any (the engine cleans up its nodes).
    pub fn stop(&mut self) {
        if let Some(run) = &self.live.run {
            run.stop();
        }
    }

    /// Writes the charts of what is on screen (the live run, or the replay up to its position)
    /// as PNG, SVG and CSV into `dir`, off the UI thread; a notice says when it is done.
    pub fn export_to(&mut self, dir: PathBuf, ctx: &egui::Context) {
        let language = self.prefs.language;
        let charts = match self.view {
            View::Live => match &self.live.run {
                Some(run) => run.export(),
                None => return,
            },
            _ => match &self.replay.current {
                Some(replay) => replay.export(language),
                None => return,
            },
        };
        self.exporting = true;
        self.jobs.start(Job::Export { dir, charts, language }, ctx);
    }

    fn notice(&mut self, text: impl Into<String>, error: bool) {
        self.notices.push(Notice { text: text.into(), error });
    }

    /// Opens a recording for replay, reading it off the UI thread.
    pub fn open_recording(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.loading = true;
        self.view = View::Replay;
        self.jobs.start(Job::OpenRecording(path), ctx);
    }

    /// Loads a recording synchronously (for `authlab replay` at start-up and tests).
    pub fn replay_recording(&mut self, recording: Recording) {
        self.replay.current = Some(Replay::new(recording));
        self.view = View::Replay;
    }

    /// Starts `scenario` live.
    pub fn start(&mut self, scenario: Scenario, ctx: &egui::Context) {
        self.stop();
        self.inspector.drop_own_node();
        let exe = self.node_exe.clone();
        self.live.run = Some(LiveRun::start(self.runtime.handle(), scenario, exe, self.prefs.language, ctx));
        self.view = View::Live;
    }

    /// Adds a node to, or removes one from, the live run's endpoints (nodes it did not start).
    pub(crate) fn edit_endpoints(&mut self, edit: live::EndpointEdit) {
        let Some(run) = &mut self.live.run else { return };
        if let Err(ended) = run.edit_endpoints(edit) {
            self.notice(ended.to_string(), true);
        }
    }

    /// Sends a live action to the running engine.
    pub fn send(&mut self, action: EventAction) {
        let Some(run) = &mut self.live.run else { return };
        if let Err(ended) = run.send(action) {
            self.notice(ended.to_string(), true);
        }
    }

    /// Mints a token for the inspector, off the UI thread: from the live run's token nodes if it
    /// has some, else from the inspector's own token node (started first if none is up).
    pub fn mint_token(&mut self, ctx: &egui::Context) {
        let from = match (&self.live.run, self.inspector.own_node()) {
            (Some(run), _) if run.has_token_nodes() => mint::MintFrom::Nodes(run.login()),
            (_, Some(own)) => mint::MintFrom::Nodes(own.login()),
            (_, None) => mint::MintFrom::OwnNode(self.node_exe.clone()),
        };
        self.inspector.minting = true;
        self.jobs.start(Job::Mint(from), ctx);
    }

    /// Runs the attack catalogue (or the one attack named) against the lab's own nodes, on the
    /// app's runtime; results arrive in the attack lab panel as each attack ends.
    pub fn run_attacks(&mut self, only: Option<&'static str>, ctx: &egui::Context) {
        self.attack_lab.start(self.runtime.handle(), self.node_exe.clone(), only, ctx);
    }

    /// Takes in everything that arrived since the last frame: job results and engine messages.
    fn receive(&mut self, ctx: &egui::Context) {
        let finished: Vec<JobResult> = self.jobs.finished().collect();
        for result in finished {
            self.job_finished(result, ctx);
        }
        if let Some(error) = self.live.run.as_mut().and_then(LiveRun::receive) {
            self.notice(error, true);
        }
    }

    fn job_finished(&mut self, result: JobResult, ctx: &egui::Context) {
        match result {
            JobResult::Opened(path, Ok(text)) => self.library.add_file(&path, text),
            JobResult::Replayed(_, Ok(recording)) => {
                self.loading = false;
                self.replay_recording(recording);
            }
            JobResult::Overlaid(path, Ok(recording)) => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                self.overlay_recording(&name, &recording);
            }
            JobResult::Saved(path, Ok(())) => {
                let path = path.display().to_string();
                self.notice(self.prefs.language.fill(Text::NoticeSaved, &[&path]), false);
            }
            JobResult::ExportFolder(dir) => self.export_to(dir, ctx),
            JobResult::Exported(path, Ok(files)) => {
                self.exporting = false;
                let (count, path) = (files.len().to_string(), path.display().to_string());
                self.notice(self.prefs.language.fill(Text::NoticeExported, &[&count, &path]), false);
            }
            JobResult::Minted(Ok(minted)) => {
                let url = self.inspector.minted(minted);
                self.inspector.fetching = true;
                self.jobs.start(Job::FetchJwks(url), ctx);
            }
            JobResult::Minted(Err(e)) => {
                self.inspector.minting = false;
                let error = e.to_string();
                self.notice(self.prefs.language.fill(Text::NoticeInspector, &[&error]), true);
            }
            JobResult::JwksFetched(url, keys) => self.inspector.fetched(url, keys),
            JobResult::Exported(path, Err(e)) => {
                self.exporting = false;
                self.notice(format!("{}: {e}", path.display()), true);
            }
            JobResult::Replayed(path, Err(e)) => {
                self.loading = false;
                self.notice(format!("{}: {e}", path.display()), true);
            }
            JobResult::Opened(path, Err(e)) | JobResult::Saved(path, Err(e)) => {
                self.notice(format!("{}: {e}", path.display()), true)
            }
            JobResult::Overlaid(path, Err(e)) => self.notice(format!("{}: {e}", path.display()), true),
        }
    }

    /// Files dropped on the window: scenarios go to the library, recordings to the replay.
    fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        for path in dropped {
            match path.extension().and_then(|e| e.to_str()) {
                Some("toml") => self.jobs.start(Job::ReadScenario(path), ctx),
                Some("jsonl") => self.open_recording(path, ctx),
                _ => self.notice(format!("{}: expected a .toml scenario or a .jsonl recording", path.display()), true),
            }
        }
    }

    /// The whole window's contents (separate from eframe, so tests can drive it).
    pub fn show(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.receive(&ctx);
        self.attack_lab.receive();
        self.take_dropped_files(&ctx);
        ctx.set_zoom_factor(if self.prefs.presentation { 1.6 } else { 1.0 });
        egui::Panel::top("top").show(ui, |ui| chrome::top_bar(ui, &mut self.view, &mut self.prefs));
        if !self.notices.is_empty() {
            egui::Panel::bottom("notices").show(ui, |ui| chrome::notices_bar(ui, &mut self.notices));
        }
        let actions = egui::CentralPanel::default().show(ui, |ui| self.show_view(ui)).inner;
        for action in actions {
            self.apply(action, &ctx);
        }
        let dt = ctx.input(|i| i.stable_dt as f64);
        if self.replay.advance(dt) {
            ctx.request_repaint();
        }
    }

    /// Draws the view on screen; returns what it asked for.
    fn show_view(&mut self, ui: &mut Ui) -> Vec<Action> {
        let lang = self.prefs.language;
        let export = || Action::Job(Job::PickExportFolder);
        match self.view {
            View::Library => match self.library.show(ui, lang) {
                library::Outcome::None => vec![],
                library::Outcome::Start(scenario) => vec![Action::Start(scenario)],
                library::Outcome::Open => vec![Action::Job(Job::PickFile(Pick::Scenario))],
                library::Outcome::SaveAs(text) => vec![Action::Job(Job::SaveScenarioAs(text))],
            },
            View::Live => self
                .live
                .show(ui, lang, self.exporting, &mut self.projection)
                .into_iter()
                .map(|action| match action {
                    LiveAction::Stop => Action::Stop,
                    LiveAction::Event(event) => Action::Send(event),
                    LiveAction::Endpoints(edit) => Action::Endpoints(edit),
                    LiveAction::Export => export(),
                })
                .collect(),
            View::Replay => self
                .replay
                .show(ui, lang, self.loading, self.exporting, &mut self.projection)
                .into_iter()
                .map(|action| match action {
                    ReplayAction::Open => Action::Job(Job::PickFile(Pick::Replay)),
                    ReplayAction::Overlay => Action::Job(Job::PickFile(Pick::Overlay)),
                    ReplayAction::Export => export(),
                })
                .collect(),
            View::Inspector => {
                let live_tokens = self.live.run.as_ref().is_some_and(LiveRun::has_token_nodes);
                match self.inspector.show(ui, lang, live_tokens) {
                    Some(inspector::InspectorAction::Fetch(url)) => vec![Action::Job(Job::FetchJwks(url))],
                    Some(inspector::InspectorAction::Mint) => vec![Action::Mint],
                    None => vec![],
                }
            }
            View::AttackLab => match self.attack_lab.show(ui, lang) {
                Some(attack_lab::LabAction::RunAll) => vec![Action::RunAttacks(None)],
                Some(attack_lab::LabAction::RunOne(name)) => vec![Action::RunAttacks(Some(name))],
                None => vec![],
            },
        }
    }

    /// Does what a view asked for.
    fn apply(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::Start(scenario) => self.start(*scenario, ctx),
            Action::Stop => self.stop(),
            Action::Send(event) => self.send(event),
            Action::Endpoints(edit) => self.edit_endpoints(edit),
            Action::Job(job) => self.jobs.start(job, ctx),
            Action::Mint => self.mint_token(ctx),
            Action::RunAttacks(only) => self.run_attacks(only, ctx),
        }
    }
}
