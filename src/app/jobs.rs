//! The app's background jobs: file dialogs, reading scenarios and recordings, saving, exporting
//! fetching keys and minting tokens for the inspector, each run off the UI thread on the app's runtime, their results pumped back to
//! the UI over one channel that wakes it.
//!
//! Disk and CPU work runs on the runtime's blocking pool (`spawn_blocking`), never on the two
//! workers that also drive the engine; only the dialogs and the inspector's logins are async.

use std::path::PathBuf;
use std::sync::mpsc;

use crate::chart::Chart;
use crate::i18n::Language;
use crate::measure::{EventRecord, Tick};
use crate::recording::{Recording, RecordingError};
use crate::report::ReportError;

use super::mint::{self, MintError, MintFrom, Minted};
use crate::token::inspect::{KeySource, KeySourceError};

/// What a picked file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// A scenario for the library.
    Scenario,
    /// A recording to replay.
    Replay,
    /// A recording to draw over the replayed one.
    Overlay,
}

impl Pick {
    /// The file extension the dialog filters on.
    fn extension(self) -> &'static str {
        match self {
            Pick::Scenario => "toml",
            Pick::Replay | Pick::Overlay => "jsonl",
        }
    }
}

/// The charts of what is on screen, as an export writes them.
pub(crate) struct ChartExport {
    pub(crate) title: String,
    pub(crate) charts: Vec<Chart>,
    pub(crate) ticks: Vec<Tick>,
    pub(crate) events: Vec<EventRecord>,
}

/// A piece of work the UI hands off.
pub(crate) enum Job {
    /// Read a scenario file (dropped on the window).
    ReadScenario(PathBuf),
    /// Read a recording for replay.
    OpenRecording(PathBuf),
    /// Ask for a file with the system dialog, then read it.
    PickFile(Pick),
    /// Ask where to save a scenario's text, then write it there.
    SaveScenarioAs(String),
    /// Ask for the folder an export goes to.
    PickExportFolder,
    /// Write charts as PNG, SVG and CSV into a folder.
    Export { dir: PathBuf, charts: ChartExport, language: Language },
    /// Fetch a JWKS for the token inspector.
    FetchJwks(String),
    /// Mint a token for the token inspector.
    Mint(MintFrom),
}

/// What a job gave back.
pub(crate) enum JobResult {
    /// A scenario file's text.
    Opened(PathBuf, Result<String, std::io::Error>),
    /// A recording to replay.
    Replayed(PathBuf, Result<Recording, RecordingError>),
    /// A recording to overlay.
    Overlaid(PathBuf, Result<Recording, RecordingError>),
    /// A scenario written.
    Saved(PathBuf, Result<(), std::io::Error>),
    /// The folder chosen for an export (nothing comes when the dialog is cancelled).
    ExportFolder(PathBuf),
    /// The files an export wrote.
    Exported(PathBuf, Result<Vec<PathBuf>, ReportError>),
    /// The keys of a JWKS URL.
    JwksFetched(String, Result<KeySource, KeySourceError>),
    /// A token minted for the inspector.
    Minted(Result<Minted, MintError>),
}

/// Starts jobs on the app's runtime and hands their results back to the UI.
pub(crate) struct Jobs {
    runtime: tokio::runtime::Handle,
    tx: mpsc::Sender<JobResult>,
    rx: mpsc::Receiver<JobResult>,
}

/// Sends a result to the UI and wakes it.
fn deliver(tx: &mpsc::Sender<JobResult>, ctx: &egui::Context, result: JobResult) {
    // The receiver is gone only when the app is closing: nobody is left to tell.
    let _ = tx.send(result);
    ctx.request_repaint();
}

/// Runs `work` on the runtime's blocking pool and delivers what it gives back.
fn blocking(
    runtime: &tokio::runtime::Handle,
    tx: mpsc::Sender<JobResult>,
    ctx: egui::Context,
    work: impl FnOnce() -> JobResult + Send + 'static,
) {
    runtime.spawn_blocking(move || deliver(&tx, &ctx, work()));
}

impl Jobs {
    /// Jobs that run on `runtime`.
    pub(crate) fn new(runtime: tokio::runtime::Handle) -> Self {
        let (tx, rx) = mpsc::channel();
        Self { runtime, tx, rx }
    }

    /// Starts `job`; its result wakes `ctx` when it is ready.
    pub(crate) fn start(&self, job: Job, ctx: &egui::Context) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        match job {
            Job::ReadScenario(path) => blocking(&self.runtime, tx, ctx, move || {
                let result = std::fs::read_to_string(&path);
                JobResult::Opened(path, result)
            }),
            Job::OpenRecording(path) => blocking(&self.runtime, tx, ctx, move || {
                let result = Recording::open(&path);
                JobResult::Replayed(path, result)
            }),
            Job::PickFile(pick) => {
                let runtime = self.runtime.clone();
                self.runtime.spawn(async move {
                    let extension = pick.extension();
                    let dialog = rfd::AsyncFileDialog::new().add_filter(extension, &[extension]);
                    let Some(file) = dialog.pick_file().await else { return };
                    let path = file.path().to_path_buf();
                    blocking(&runtime, tx, ctx, move || read_picked(pick, path));
                });
            }
            Job::SaveScenarioAs(text) => {
                let runtime = self.runtime.clone();
                self.runtime.spawn(async move {
                    let dialog = rfd::AsyncFileDialog::new().add_filter("toml", &["toml"]);
                    let Some(file) = dialog.save_file().await else { return };
                    let path = file.path().to_path_buf();
                    blocking(&runtime, tx, ctx, move || {
                        let result = std::fs::write(&path, text);
                        JobResult::Saved(path, result)
                    });
                });
            }
            Job::PickExportFolder => {
                self.runtime.spawn(async move {
                    if let Some(folder) = rfd::AsyncFileDialog::new().pick_folder().await {
                        deliver(&tx, &ctx, JobResult::ExportFolder(folder.path().to_path_buf()));
                    }
                });
            }
            Job::Export { dir, charts, language } => blocking(&self.runtime, tx, ctx, move || {
                use crate::report::{ChartInput, ExportFormat, export_charts};
                let ChartExport { title, charts, ticks, events } = &charts;
                let input = ChartInput { ticks, events, title, charts };
                let formats = [ExportFormat::Png, ExportFormat::Png2x, ExportFormat::Svg, ExportFormat::Csv];
                let result = export_charts(&input, language, &dir, &formats);
                JobResult::Exported(dir, result)
            }),
            Job::FetchJwks(url) => blocking(&self.runtime, tx, ctx, move || {
                let result = crate::token::inspect::key::fetch_jwks(&url);
                JobResult::JwksFetched(url, result)
            }),
            Job::Mint(from) => {
                self.runtime.spawn(async move {
                    let result = mint::mint(from).await;
                    deliver(&tx, &ctx, JobResult::Minted(result));
                });
            }
        }
    }

    /// The results that arrived since the last frame.
    pub(crate) fn finished(&self) -> impl Iterator<Item = JobResult> + '_ {
        self.rx.try_iter()
    }
}

/// Reads a file picked in the dialog, as what it was picked for.
fn read_picked(pick: Pick, path: PathBuf) -> JobResult {
    match pick {
        Pick::Scenario => {
            let result = std::fs::read_to_string(&path);
            JobResult::Opened(path, result)
        }
        Pick::Replay => {
            let result = Recording::open(&path);
            JobResult::Replayed(path, result)
        }
        Pick::Overlay => {
            let result = Recording::open(&path);
            JobResult::Overlaid(path, result)
        }
    }
}
