//! The desktop app (egui/eframe): scenario library, live view, replay, in English and Korean.
//!
//! The app owns a tokio runtime where the engine runs; ticks arrive over a channel that wakes the
//! UI, and the UI sends [`Command`]s. Nothing on the UI thread waits on the network or the disk.

pub mod attack_lab;
pub mod charts;
pub mod inspector;
mod library;
pub mod series;
pub mod timeline;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{RichText, Ui};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::engine::{Command, RunMessage};
use crate::engine::{RunSetup, start_run};
use crate::i18n::{Language, Text};
use crate::measure::Tick;
use crate::recording::{Recording, RecordingError};
use crate::report::ReportError;
use crate::scenario::{EventAction, NodeRef, Revokee, Scenario, Scope, StrategyName, parse_scenario};
use library::Library;
use series::RunData;
use timeline::{SPEEDS, Timeline, TimelineCommand};

/// The bundled Hangul font (NanumGothic, SIL Open Font License: see assets/).
pub const HANGUL_FONT: &[u8] = include_bytes!("../../assets/fonts/NanumGothic.ttf");

/// What the app remembers between sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prefs {
    pub language: Language,
    pub presentation: bool,
}

/// Which view is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Library,
    Live,
    Replay,
    Inspector,
    AttackLab,
}

/// Something the app tells the user (an error, a finished export...).
#[derive(Debug, Clone)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// A run started from the app.
struct LiveRun {
    name: String,
    commands: mpsc::UnboundedSender<Command>,
    messages: mpsc::UnboundedReceiver<RunMessage>,
    data: RunData,
    ticks: Vec<Tick>,
    status: Text,
    node_counts: [u32; 2],
    /// Base URLs of the nodes, by strategy (from the engine's start message).
    nodes: std::collections::BTreeMap<StrategyName, Vec<String>>,
    seed: u64,
}

/// A recording being replayed.
struct Replay {
    recording: Arc<Recording>,
    /// The recording's scenario name in English and in Korean (its `name_ko`).
    titles: [String; 2],
    data: RunData,
    timeline: Timeline,
    overlay: Option<(String, RunData)>,
    /// Where the selected range starts (it ends at the timeline's position).
    range_from: f64,
    /// The range (seconds) whose percentiles are shown, and their text, computed when it changes.
    range: (f64, f64),
    range_text: Vec<String>,
}

impl Replay {
    fn title(&self, language: Language) -> &str {
        let index = Language::ALL.iter().position(|&l| l == language).unwrap_or(0);
        &self.titles[index]
    }
}

/// Results of work done off the UI thread.
enum Background {
    Opened(PathBuf, Result<String, std::io::Error>),
    Replayed(PathBuf, Result<Recording, RecordingError>),
    Overlaid(PathBuf, Result<Recording, RecordingError>),
    Saved(PathBuf, Result<(), std::io::Error>),
    Exported(PathBuf, Result<Vec<PathBuf>, ReportError>),
    Inspected(Result<inspector::Inspection, inspector::InspectError>),
}

/// The whole app.
pub struct AuthlabApp {
    pub prefs: Prefs,
    pub view: View,
    runtime: tokio::runtime::Runtime,
    /// The executable that runs nodes (this one, unless a test says otherwise).
    node_exe: PathBuf,
    library: Library,
    live: Option<LiveRun>,
    replay: Option<Replay>,
    pub notices: Vec<Notice>,
    background_tx: std::sync::mpsc::Sender<Background>,
    background_rx: std::sync::mpsc::Receiver<Background>,
    load_value: f64,
    revoke_user: String,
    /// An export is being written (its progress shows until it is done).
    pub exporting: bool,
    /// The export folder dialog's answer, when it comes.
    pending_export: Option<std::sync::mpsc::Receiver<PathBuf>>,
    pub inspection: Option<inspector::Inspection>,
    pub inspecting: bool,
    /// The attack lab panel: its results and the run in progress.
    pub attack_lab: attack_lab::AttackLab,
    /// A recording is being read (a spinner shows until it is).
    pub loading: bool,
}

/// Adds the Hangul font as a fallback for every text style.
pub fn install_fonts(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily { family, priority: FontPriority::Lowest })
        .collect();
    ctx.add_font(FontInsert::new("NanumGothic", egui::FontData::from_static(HANGUL_FONT), families));
}

impl AuthlabApp {
    /// A new app; `node_exe` runs the nodes of live runs.
    pub fn new(prefs: Prefs, node_exe: PathBuf) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("authlab-engine")
            .build()?;
        let (background_tx, background_rx) = std::sync::mpsc::channel();
        Ok(Self {
            prefs,
            view: View::Library,
            runtime,
            node_exe,
            library: Library::with_built_ins(),
            live: None,
            replay: None,
            notices: Vec::new(),
            background_tx,
            background_rx,
            load_value: 50.0,
            revoke_user: String::new(),
            exporting: false,
            pending_export: None,
            inspection: None,
            inspecting: false,
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
        self.live.as_ref().map(|run| (run.data.ticks, run.data.events.as_slice()))
    }

    /// Draws `recording` on the same axes as the replayed one, dashed.
    pub fn overlay_recording(&mut self, name: &str, recording: &Recording) {
        if let Some(replay) = &mut self.replay {
            let data = RunData::from_run(recording.ticks(), recording.events(), &replay.data.charts);
            replay.overlay = Some((name.to_owned(), data));
        }
    }

    /// Whether the live run has ended (and cleaned up its nodes).
    pub fn live_finished(&self) -> bool {
        self.live.as_ref().is_some_and(|run| run.status == Text::Finished)
    }

    /// The replay's timeline, if a recording is open.
    pub fn timeline(&self) -> Option<&Timeline> {
        self.replay.as_ref().map(|r| &r.timeline)
    }

    /// Stops the live run, if any (the engine cleans up its nodes).
    pub fn stop(&mut self) {
        if let Some(run) = &self.live {
            let _ = run.commands.send(Command::Stop);
        }
    }

    /// Writes the charts of what is on screen (the live run, or the replay up to its position)
    /// as PNG, SVG and CSV into `dir`, off the UI thread; a notice says when it is done.
    pub fn export_to(&mut self, dir: PathBuf, ctx: &egui::Context) {
        let (title, charts, ticks, events) = match self.view {
            View::Live => match &self.live {
                Some(run) => (run.name.clone(), run.data.charts().to_vec(), run.ticks.clone(), run.data.events.clone()),
                None => return,
            },
            _ => match &self.replay {
                Some(replay) => {
                    let until = replay.timeline.position_s;
                    let ticks = replay.recording.ticks().iter().filter(|t| t.t <= until + 1e-9).cloned().collect();
                    let events = replay.recording.events().iter().filter(|e| e.t <= until).cloned().collect();
                    let charts = replay.data.charts().to_vec();
                    (replay.title(self.prefs.language).to_owned(), charts, ticks, events)
                }
                None => return,
            },
        };
        let language = self.prefs.language;
        let tx = self.background_tx.clone();
        let ctx = ctx.clone();
        self.exporting = true;
        self.runtime.spawn_blocking(move || {
            use crate::report::{ChartInput, ExportFormat, export_charts};
            let input = ChartInput { ticks: &ticks, events: &events, title: &title, charts: &charts };
            let formats = [ExportFormat::Png, ExportFormat::Svg, ExportFormat::Csv];
            let result = export_charts(&input, language, &dir, &formats);
            let _ = tx.send(Background::Exported(dir, result));
            ctx.request_repaint();
        });
    }

    fn pick_export_folder(&mut self, ctx: &egui::Context) {
        let (folder_tx, folder_rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            if let Some(folder) = rfd::AsyncFileDialog::new().pick_folder().await {
                let _ = folder_tx.send(folder.path().to_path_buf());
            }
        });
        self.pending_export = Some(folder_rx);
        ctx.request_repaint();
    }

    /// An export folder chosen in the dialog starts the export.
    fn poll_export_folder(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.pending_export else { return };
        match rx.try_recv() {
            Ok(dir) => {
                self.pending_export = None;
                self.export_to(dir, ctx);
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => self.pending_export = None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
        }
    }

    fn export_button(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        if self.exporting {
            ui.add(egui::Spinner::new());
            ui.label(self.tr(Text::Exporting));
        } else if ui.button(self.tr(Text::Export)).clicked() {
            self.pick_export_folder(&ctx);
        }
    }

    fn tr(&self, text: Text) -> &'static str {
        self.prefs.language.tr(text)
    }

    fn notice(&mut self, text: impl Into<String>, error: bool) {
        self.notices.push(Notice { text: text.into(), error });
    }

    /// Opens a recording for replay, reading it off the UI thread.
    pub fn open_recording(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.loading = true;
        self.view = View::Replay;
        let tx = self.background_tx.clone();
        let ctx = ctx.clone();
        self.runtime.spawn_blocking(move || {
            let result = Recording::open(&path);
            let _ = tx.send(Background::Replayed(path, result));
            ctx.request_repaint();
        });
    }

    /// Loads a recording synchronously (for `authlab replay` at start-up and tests).
    pub fn replay_recording(&mut self, recording: Recording) {
        let scenario = &recording.header().scenario;
        let parsed = scenario.parsed();
        let charts = parsed.as_ref().map(|s| s.charts.clone()).unwrap_or_default();
        let titles = Language::ALL.map(|language| scenario.title(parsed.as_ref(), language).to_owned());
        let data = RunData::from_run(recording.ticks(), recording.events(), &charts);
        let timeline = Timeline::new(recording.duration_s());
        self.replay = Some(Replay {
            titles,
            recording: Arc::new(recording),
            data,
            timeline,
            overlay: None,
            range_from: 0.0,
            range: (f64::NAN, f64::NAN),
            range_text: Vec::new(),
        });
        self.view = View::Replay;
    }

    /// Starts `scenario` live.
    pub fn start(&mut self, scenario: Scenario, ctx: &egui::Context) {
        if let Some(run) = &self.live {
            let _ = run.commands.send(Command::Stop);
        }
        let name = scenario.title(self.prefs.language).to_owned();
        let seed = scenario.seed;
        let data = RunData::with_charts(&scenario.charts);
        let node_counts =
            [scenario.session.as_ref().map_or(0, |s| s.nodes), scenario.token.as_ref().map_or(0, |t| t.nodes)];
        let setup = RunSetup { scenario, exe: self.node_exe.clone() };
        let handle = {
            let _entered = self.runtime.enter();
            start_run(setup)
        };
        // Forward the engine's messages to the UI, waking it for each.
        let (tx, rx) = mpsc::unbounded_channel();
        let mut from_engine = handle.messages;
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            while let Some(message) = from_engine.recv().await {
                if tx.send(message).is_err() {
                    break;
                }
                ctx.request_repaint();
            }
        });
        self.live = Some(LiveRun {
            name,
            commands: handle.commands,
            messages: rx,
            data,
            ticks: Vec::new(),
            status: Text::Starting,
            node_counts,
            nodes: Default::default(),
            seed,
        });
        self.view = View::Live;
    }

    /// Sends a live action to the running engine.
    pub fn send(&mut self, action: EventAction) {
        let Some(run) = &mut self.live else { return };
        if let EventAction::AddNode(s) = &action {
            run.node_counts[*s as usize] += 1;
        }
        if run.commands.send(Command::Event(action)).is_err() {
            self.notice("the run has ended", true);
        }
    }

    /// Takes in everything that arrived since the last frame.
    pub fn receive(&mut self) {
        while let Ok(done) = self.background_rx.try_recv() {
            match done {
                Background::Opened(path, Ok(text)) => self.library.add_file(&path, text),
                Background::Replayed(_, Ok(recording)) => {
                    self.loading = false;
                    self.replay_recording(recording);
                }
                Background::Overlaid(path, Ok(recording)) => {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    self.overlay_recording(&name, &recording);
                }
                Background::Saved(path, Ok(())) => self.notice(format!("saved {}", path.display()), false),
                Background::Exported(path, Ok(files)) => {
                    self.exporting = false;
                    self.notice(format!("exported {} files to {}", files.len(), path.display()), false);
                }
                Background::Inspected(result) => {
                    self.inspecting = false;
                    match result {
                        Ok(inspection) => self.inspection = Some(inspection),
                        Err(e) => self.notice(format!("token inspector: {e}"), true),
                    }
                }
                Background::Exported(path, Err(e)) => {
                    self.exporting = false;
                    self.notice(format!("{}: {e}", path.display()), true);
                }
                Background::Replayed(path, Err(e)) => {
                    self.loading = false;
                    self.notice(format!("{}: {e}", path.display()), true);
                }
                Background::Opened(path, Err(e)) | Background::Saved(path, Err(e)) => {
                    self.notice(format!("{}: {e}", path.display()), true)
                }
                Background::Overlaid(path, Err(e)) => self.notice(format!("{}: {e}", path.display()), true),
            }
        }
        let mut finished_error = None;
        if let Some(run) = &mut self.live {
            while let Ok(message) = run.messages.try_recv() {
                match message {
                    RunMessage::Started { nodes } => {
                        run.status = Text::Running;
                        run.nodes = nodes;
                    }
                    RunMessage::Tick(tick) => {
                        run.data.push_tick(&tick);
                        run.ticks.push(tick);
                    }
                    RunMessage::Event(event) => {
                        if !event.ok {
                            finished_error =
                                Some(format!("{} {}: {}", event.action.name(), event.target, event.detail));
                        }
                        run.data.events.push(event);
                    }
                    RunMessage::Finished { error } => {
                        run.status = Text::Finished;
                        if error.is_some() {
                            finished_error = error;
                        }
                    }
                }
            }
        }
        if let Some(error) = finished_error {
            self.notice(error, true);
        }
    }

    /// Files dropped on the window: scenarios go to the library, recordings to the replay.
    fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        for path in dropped {
            match path.extension().and_then(|e| e.to_str()) {
                Some("toml") => self.read_scenario_file(path, ctx),
                Some("jsonl") => self.open_recording(path, ctx),
                _ => self.notice(format!("{}: expected a .toml scenario or a .jsonl recording", path.display()), true),
            }
        }
    }

    fn read_scenario_file(&mut self, path: PathBuf, ctx: &egui::Context) {
        let tx = self.background_tx.clone();
        let ctx = ctx.clone();
        self.runtime.spawn_blocking(move || {
            let result = std::fs::read_to_string(&path);
            let _ = tx.send(Background::Opened(path, result));
            ctx.request_repaint();
        });
    }

    /// Asks for a file with the system dialog, without blocking the UI.
    fn pick_file(&mut self, ctx: &egui::Context, extension: &'static str, then: fn(PathBuf) -> PickNext) {
        let tx = self.background_tx.clone();
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            let Some(file) = rfd::AsyncFileDialog::new().add_filter(extension, &[extension]).pick_file().await else {
                return;
            };
            let path = file.path().to_path_buf();
            let result = match then(path.clone()) {
                PickNext::Scenario => Background::Opened(path.clone(), std::fs::read_to_string(&path)),
                PickNext::Replay => Background::Replayed(path.clone(), Recording::open(&path)),
                PickNext::Overlay => Background::Overlaid(path.clone(), Recording::open(&path)),
            };
            let _ = tx.send(result);
            ctx.request_repaint();
        });
    }

    fn save_scenario_as(&mut self, ctx: &egui::Context, text: String) {
        let tx = self.background_tx.clone();
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            let Some(file) = rfd::AsyncFileDialog::new().add_filter("toml", &["toml"]).save_file().await else {
                return;
            };
            let path = file.path().to_path_buf();
            let result = std::fs::write(&path, text);
            let _ = tx.send(Background::Saved(path, result));
            ctx.request_repaint();
        });
    }

    /// The whole window's contents (separate from eframe, so tests can drive it).
    pub fn show(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.receive();
        self.attack_lab.receive();
        self.poll_export_folder(&ctx);
        self.take_dropped_files(&ctx);
        ctx.set_zoom_factor(if self.prefs.presentation { 1.6 } else { 1.0 });
        egui::Panel::top("top").show(ui, |ui| self.top_bar(ui));
        if !self.notices.is_empty() {
            egui::Panel::bottom("notices").show(ui, |ui| self.notices_bar(ui));
        }
        egui::CentralPanel::default().show(ui, |ui| match self.view {
            View::Library => self.library_view(ui),
            View::Live => self.live_view(ui),
            View::Replay => self.replay_view(ui),
            View::Inspector => self.inspector_view(ui),
            View::AttackLab => self.attack_lab_view(ui),
        });
        let playing = self.replay.as_ref().is_some_and(|r| r.timeline.playing);
        if playing {
            let dt = ctx.input(|i| i.stable_dt as f64);
            if let Some(replay) = &mut self.replay {
                replay.timeline.advance(dt);
            }
            ctx.request_repaint();
        }
    }

    fn top_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.strong("authlab");
            ui.separator();
            for (view, text) in [
                (View::Library, Text::Library),
                (View::Live, Text::Live),
                (View::Replay, Text::Replay),
                (View::Inspector, Text::Inspector),
                (View::AttackLab, Text::AttackLab),
            ] {
                let label = self.tr(text);
                ui.selectable_value(&mut self.view, view, label);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.checkbox(&mut self.prefs.presentation, self.prefs.language.tr(Text::Presentation));
                for language in Language::ALL {
                    ui.selectable_value(&mut self.prefs.language, language, language.native_name());
                }
                ui.label(self.prefs.language.tr(Text::Language));
            });
        });
    }

    fn notices_bar(&mut self, ui: &mut Ui) {
        let mut dismiss = None;
        for (i, notice) in self.notices.iter().enumerate().rev().take(3) {
            ui.horizontal(|ui| {
                let color = if notice.error { egui::Color32::from_rgb(220, 60, 60) } else { ui.visuals().text_color() };
                ui.label(RichText::new(&notice.text).color(color));
                if ui.small_button("×").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        if let Some(i) = dismiss {
            self.notices.remove(i);
        }
    }

    fn library_view(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        let lang = self.prefs.language;
        let outcome = self.library.show(ui, lang);
        match outcome {
            library::Outcome::None => {}
            library::Outcome::Start(scenario) => self.start(*scenario, &ctx),
            library::Outcome::Open => self.pick_file(&ctx, "toml", |_| PickNext::Scenario),
            library::Outcome::SaveAs(text) => self.save_scenario_as(&ctx, text),
        }
    }

    fn live_view(&mut self, ui: &mut Ui) {
        let lang = self.prefs.language;
        let Some(run) = &self.live else {
            ui.label(self.tr(Text::NoRun));
            return;
        };
        let running = run.status == Text::Running;
        ui.horizontal(|ui| {
            ui.heading(&run.name);
            ui.label(lang.tr(run.status));
            ui.label(format!("{:.1} s", run.data.end_s));
        });
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
                ui.menu_button(format!("{} ({})", lang.tr(Text::KillNode), strategy.as_str()), |ui| {
                    for n in 1..=nodes {
                        if ui.button(format!("{}/{n}", strategy.as_str())).clicked() {
                            action = Some(EventAction::KillNode(NodeRef { strategy, number: n }));
                        }
                    }
                });
                ui.menu_button(format!("{} ({})", lang.tr(Text::RestartNode), strategy.as_str()), |ui| {
                    for n in 1..=nodes {
                        if ui.button(format!("{}/{n}", strategy.as_str())).clicked() {
                            action = Some(EventAction::RestartNode(NodeRef { strategy, number: n }));
                        }
                    }
                });
                if ui.button(format!("{} ({})", lang.tr(Text::AddNode), strategy.as_str())).clicked() {
                    action = Some(EventAction::AddNode(strategy));
                }
            }
            if counts[StrategyName::Token as usize] > 0 && ui.button(lang.tr(Text::RotateKey)).clicked() {
                action = Some(EventAction::RotateKey(Scope::Strategy(StrategyName::Token)));
            }
            let revoke = ui.button(lang.tr(Text::RevokeUser));
            ui.add(egui::TextEdit::singleline(&mut self.revoke_user).hint_text("user0000042").desired_width(90.0))
                .labelled_by(revoke.id);
            if revoke.clicked() {
                let user = self.revoke_user.trim();
                let who = if user.is_empty() { Revokee::Recent(1) } else { Revokee::User(user.to_owned()) };
                action = Some(EventAction::RevokeUser(Scope::All, who));
            }
            let set_load = ui.button(lang.tr(Text::SetLoad));
            ui.add(egui::DragValue::new(&mut self.load_value).range(0.0..=10_000.0)).labelled_by(set_load.id);
            if set_load.clicked() {
                action = Some(EventAction::SetLoad(Scope::All, self.load_value));
            }
        });
        ui.horizontal(|ui| self.export_button(ui));
        if stop {
            if let Some(run) = &self.live {
                let _ = run.commands.send(Command::Stop);
            }
        }
        if let Some(action) = action {
            self.send(action);
        }
        let Some(run) = &self.live else { return };
        let height = chart_height(ui, run.data.charts().len());
        let window = charts::Window { until_s: run.data.end_s, chart_height: height };
        side_by_side(ui, &run.data, None, window, lang);
    }

    /// Logs a user in on the live run's token nodes and decodes the token, off the UI thread.
    pub fn inspect_token(&mut self, ctx: &egui::Context) {
        let Some(run) = &self.live else { return };
        let token_nodes = run.nodes.get(&StrategyName::Token).cloned().unwrap_or_default();
        let session_nodes = run.nodes.get(&StrategyName::Session).cloned().unwrap_or_default();
        let user = crate::users::username(7);
        let password = crate::users::password(run.seed, 7);
        let tx = self.background_tx.clone();
        let ctx = ctx.clone();
        self.inspecting = true;
        self.runtime.spawn(async move {
            let http = reqwest::Client::builder().no_proxy().timeout(std::time::Duration::from_secs(10)).build();
            let result = match http {
                Ok(http) => inspector::inspect(http, token_nodes, session_nodes, user, password).await,
                Err(e) => Err(inspector::InspectError::Client(e)),
            };
            let _ = tx.send(Background::Inspected(result));
            ctx.request_repaint();
        });
    }

    /// Runs the attack catalogue (or the one attack named) against the lab's own nodes, on the
    /// app's runtime; results arrive in the attack lab panel as each attack ends.
    pub fn run_attacks(&mut self, only: Option<&'static str>, ctx: &egui::Context) {
        self.attack_lab.start(self.runtime.handle(), self.node_exe.clone(), only, ctx);
    }

    fn attack_lab_view(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        match self.attack_lab.show(ui, self.prefs.language) {
            Some(attack_lab::LabAction::RunAll) => self.run_attacks(None, &ctx),
            Some(attack_lab::LabAction::RunOne(name)) => self.run_attacks(Some(name), &ctx),
            None => {}
        }
    }

    fn inspector_view(&mut self, ui: &mut Ui) {
        let lang = self.prefs.language;
        let ctx = ui.ctx().clone();
        let has_tokens = self.live.as_ref().is_some_and(|r| r.nodes.contains_key(&StrategyName::Token));
        ui.heading(lang.tr(Text::Inspector));
        ui.horizontal(|ui| {
            if !has_tokens {
                ui.label(lang.tr(Text::InspectNeedsRun));
            } else if self.inspecting {
                ui.add(egui::Spinner::new());
            } else if ui.button(lang.tr(Text::InspectLogin)).clicked() {
                self.inspect_token(&ctx);
            }
        });
        let Some(found) = &self.inspection else { return };
        ui.label(format!("{} @ {}", found.user, found.node));
        ui.add_space(6.0);
        ui.label(RichText::new(lang.tr(Text::WireSize)).strong());
        egui::Grid::new("wire-sizes").striped(true).show(ui, |ui| {
            ui.label("Authorization: Bearer <token>");
            ui.label(format!("{} B", found.authorization_bytes));
            ui.end_row();
            if let Some(cookie) = found.cookie_bytes {
                ui.label("Cookie: sid=<id>");
                ui.label(format!("{cookie} B  ({:.1}×)", found.authorization_bytes as f64 / cookie.max(1) as f64));
                ui.end_row();
            }
        });
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (title, text) in [(Text::Header, &found.header), (Text::Payload, &found.payload)] {
                ui.label(RichText::new(lang.tr(title)).strong());
                ui.label(RichText::new(text).monospace());
            }
            ui.label(RichText::new(format!("{} ({} B)", lang.tr(Text::Signature), found.signature_bytes)).strong());
            ui.label(RichText::new(&found.signature).monospace());
        });
    }

    fn replay_view(&mut self, ui: &mut Ui) {
        let lang = self.prefs.language;
        let ctx = ui.ctx().clone();
        let mut open = false;
        let mut overlay = false;
        ui.horizontal(|ui| {
            open = ui.button(lang.tr(Text::OpenFile)).clicked();
            if self.replay.is_some() {
                overlay = ui.button(lang.tr(Text::Overlay)).clicked();
            }
        });
        if self.loading {
            ui.add(egui::Spinner::new());
        }
        if self.replay.is_some() {
            ui.horizontal(|ui| self.export_button(ui));
        }
        if open {
            self.pick_file(&ctx, "jsonl", |_| PickNext::Replay);
        }
        if overlay {
            self.pick_file(&ctx, "jsonl", |_| PickNext::Overlay);
        }
        let Some(replay) = &mut self.replay else {
            ui.label(lang.tr(Text::NoRecording));
            return;
        };
        ui.heading(replay.title(lang));
        let mut commands = Vec::new();
        ui.horizontal(|ui| {
            let t = &replay.timeline;
            let (label, command) =
                if t.playing { (Text::Pause, TimelineCommand::Pause) } else { (Text::Play, TimelineCommand::Play) };
            if ui.button(lang.tr(label)).clicked() {
                commands.push(command);
            }
            let mut position = t.position_s;
            ui.spacing_mut().slider_width = (ui.available_width() * 0.5).max(200.0);
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
        });
        for command in commands {
            replay.timeline.apply(command);
        }
        // Percentiles recomputed for the selected range (from the chosen start to the timeline's
        // position), only when that range changes.
        ui.horizontal(|ui| {
            let until = replay.timeline.position_s;
            replay.range_from = replay.range_from.min(until);
            ui.add(
                egui::Slider::new(&mut replay.range_from, 0.0..=until.max(0.001))
                    .step_by(0.25)
                    .text(lang.tr(Text::RangeFrom)),
            );
        });
        let quarter = |t: f64| (t * 4.0).round() / 4.0;
        let range = (quarter(replay.range_from), quarter(replay.timeline.position_s));
        if range != replay.range {
            replay.range = range;
            replay.range_text = replay
                .recording
                .strategies()
                .into_iter()
                .filter_map(|s| replay.recording.aggregate(s, range.0 - 1e-9, range.1).map(|stats| (s, stats)))
                .map(|(s, stats)| {
                    let l = stats.latency_summary();
                    format!(
                        "{}: {} {} ({} {}), p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms",
                        s.as_str(),
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
        ui.label(RichText::new(format!("{} {:.2}–{:.2} s", lang.tr(Text::RangeStats), range.0, range.1)).strong());
        for line in &replay.range_text {
            ui.label(line);
        }
        if let Some((name, _)) = &replay.overlay {
            ui.label(format!("+ {name}"));
        }
        let height = chart_height(ui, replay.data.charts().len());
        let window = charts::Window { until_s: replay.timeline.position_s, chart_height: height };
        let overlay = replay.overlay.as_ref().map(|(name, data)| charts::Overlay { name, data });
        side_by_side(ui, &replay.data, overlay, window, lang);
    }
}

/// What a picked file is for.
enum PickNext {
    Scenario,
    Replay,
    Overlay,
}

fn chart_height(ui: &Ui, charts: usize) -> f32 {
    ((ui.available_height() - 120.0) / charts.max(1) as f32).clamp(90.0, 220.0)
}

/// Session and token charts in two columns.
fn side_by_side(
    ui: &mut Ui,
    data: &RunData,
    overlay: Option<charts::Overlay<'_>>,
    window: charts::Window,
    lang: Language,
) {
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        ui.columns(2, |columns| {
            charts::strategy_column(&mut columns[0], data, overlay, StrategyName::Session, window, lang);
            charts::strategy_column(&mut columns[1], data, overlay, StrategyName::Token, window, lang);
        });
    });
}

/// The eframe shell around [`AuthlabApp`]: persistence of preferences.
struct EframeApp(AuthlabApp);

const PREFS_KEY: &str = "authlab-prefs";

impl eframe::App for EframeApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.0.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.0.prefs);
    }
}

/// How the app opens.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Overrides the saved language.
    pub language: Option<Language>,
    /// Overrides the saved presentation mode.
    pub presentation: Option<bool>,
    /// A recording to replay.
    pub replay: Option<PathBuf>,
    /// A scenario file to start at once.
    pub start: Option<PathBuf>,
}

/// Opens the app window (glow renderer, so it runs on software OpenGL).
pub fn run_app(options: AppOptions) -> anyhow::Result<()> {
    let node_exe = std::env::current_exe()?;
    let replay = match &options.replay {
        Some(path) => Some(Recording::open(path)?),
        None => None,
    };
    let start = match &options.start {
        Some(path) => {
            let (origin, text) = crate::scenario::builtin::read_scenario_text(path)?;
            let scenario = parse_scenario(&text, &origin)?;
            Some((path.clone(), text, scenario))
        }
        None => None,
    };
    let native = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default().with_inner_size([1400.0, 900.0]).with_title("authlab"),
        ..Default::default()
    };
    eframe::run_native(
        "authlab",
        native,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
            let mut prefs: Prefs = cc.storage.and_then(|s| eframe::get_value(s, PREFS_KEY)).unwrap_or_default();
            prefs.language = options.language.unwrap_or(prefs.language);
            prefs.presentation = options.presentation.unwrap_or(prefs.presentation);
            let mut app = AuthlabApp::new(prefs, node_exe)?;
            if let Some(recording) = replay {
                app.replay_recording(recording);
            }
            if let Some((path, text, scenario)) = start {
                app.add_scenario(&path, text);
                app.start(scenario, &cc.egui_ctx);
            }
            Ok(Box::new(EframeApp(app)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the app window could not open: {e}"))
}
