//! `authlab run`: a scenario run without the app, with progress on the terminal, a recording,
//! a closing table and an optional summary JSON.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::{Command, RunMessage};
use crate::engine::{RunSetup, start_run};
use crate::measure::{EventRecord, Tick};
use crate::measure::{RunSummary, render_table};
use crate::recording::{Header, RecordingWriter, ScenarioInfo};
use crate::scenario::builtin::read_scenario_text;
use crate::scenario::{Mode, StrategyName, parse_scenario};
use crate::thresholds::{AbortWatch, Verdict, check_all, summary_json};

/// What `authlab run` was asked to do.
#[derive(Debug, Clone)]
pub struct HeadlessRun {
    /// The scenario file, or the name of a built-in scenario.
    pub scenario: PathBuf,
    /// Where the recording goes (default: `<scenario>-<time>.jsonl` in the current directory).
    pub out: Option<PathBuf>,
    /// Where to write the run's totals as JSON ([`RunSummary`]); `None`: nowhere.
    pub summary_json: Option<PathBuf>,
    /// Overrides the scenario's duration.
    pub duration: Option<Duration>,
    /// The executable that runs the nodes.
    pub exe: PathBuf,
}

fn default_recording_path(scenario: &Path) -> PathBuf {
    let stem = scenario.file_stem().and_then(|s| s.to_str()).unwrap_or("run");
    let now = time::OffsetDateTime::now_utc();
    PathBuf::from(format!(
        "{stem}-{:04}{:02}{:02}-{:02}{:02}{:02}.jsonl",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    ))
}

/// One line of live figures, for the progress bar or a plain log.
fn live_line(tick: &Tick) -> String {
    tick.strategies
        .iter()
        .map(|(name, s)| {
            format!(
                "{}: {:.0} req/s, {} failed, p99 {:.1} ms, {} logged in",
                name.as_str(),
                s.throughput_rps,
                s.requests.failed,
                s.latency_us.summary.p99 as f64 / 1000.0,
                s.users_logged_in
            )
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Says what was simulated, so nobody mistakes simulated capacity for this machine's speed.
fn simulation_note(scenario: &crate::scenario::Scenario) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(machine) = scenario.cluster.machine {
        parts.push(format!(
            "each node a simulated machine of {} workers holding every request {:?}",
            machine.workers, machine.service_time
        ));
    }
    if let Some(rtt) = scenario.cluster.store_rtt {
        parts.push(format!("a simulated {rtt:?} network delay on every shared-store round trip"));
    }
    (!parts.is_empty()).then(|| format!("SIMULATED: {}.", parts.join("; ")))
}

/// What a finished `authlab run` came to.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The run's totals.
    pub summary: RunSummary,
    /// The scenario's thresholds checked on them (empty without `[thresholds]`).
    pub verdicts: Vec<Verdict>,
    /// Why an `abort_on_fail` threshold stopped the run early, if one did.
    pub aborted: Option<String>,
}

impl RunOutcome {
    /// Whether any threshold failed (`authlab run` then exits with status 99).
    pub fn thresholds_failed(&self) -> bool {
        self.aborted.is_some() || self.verdicts.iter().any(|v| !v.ok)
    }
}

/// Runs the scenario to the end (or until Ctrl-C, or an `abort_on_fail` threshold fails), then
/// prints the tables; returns the summary and the thresholds' verdicts.
pub async fn run(request: HeadlessRun) -> anyhow::Result<RunOutcome> {
    let (origin, source) = read_scenario_text(&request.scenario)?;
    let mut scenario = parse_scenario(&source, &origin)?;
    if let Some(duration) = request.duration {
        scenario.duration = duration;
    }
    let phases = match scenario.mode {
        Mode::Concurrent => 1,
        Mode::Sequential => StrategyName::BOTH.into_iter().filter(|s| scenario.runs(*s)).count() as u32,
    };
    let total = scenario.duration * phases.max(1);
    let out = request.out.clone().unwrap_or_else(|| default_recording_path(&request.scenario));
    let header = Header::new(ScenarioInfo { name: scenario.name.clone(), source, origin });
    let mut recording = RecordingWriter::create(&out, &header)
        .with_context(|| format!("cannot write the recording {}", out.display()))?;

    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        let bar = ProgressBar::new(total.as_millis() as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {percent:>3}% {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message("starting nodes…");
        Some(bar)
    } else {
        eprintln!("authlab run: {} ({} s)", scenario.name, total.as_secs_f64());
        None
    };

    // Before anything is sent: what goes where, when the load goes to the user's own servers.
    for line in crate::scenario::target::send_plan(&scenario) {
        match &bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
    let name = scenario.name.clone();
    let simulated = simulation_note(&scenario);
    let thresholds = scenario.thresholds.clone();
    let mut abort_watch = AbortWatch::new(&name, &thresholds);
    let mut aborted: Option<String> = None;
    let started = Instant::now();
    let mut handle = start_run(RunSetup { scenario, exe: request.exe.clone() });
    let mut ticks: Vec<Tick> = Vec::new();
    let mut events: Vec<EventRecord> = Vec::new();
    let mut last_log = Instant::now();
    let mut last_saturated: Option<Instant> = None;
    let mut interrupted = false;
    // One listener for the whole run, so a Ctrl-C arriving while a tick is being written is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let error = loop {
        tokio::select! {
            message = handle.messages.recv() => match message {
                Some(RunMessage::Started { .. }) => {
                    let line = format!("nodes ready in {} ms; load starting", started.elapsed().as_millis());
                    match &bar { Some(bar) => bar.println(line), None => eprintln!("{line}") }
                }
                Some(RunMessage::Tick(tick)) => {
                    recording.write_tick(&tick).context("writing the recording")?;
                    let saturated = tick.strategies.values().any(|st| st.driver.is_some_and(|d| d.saturated));
                    if saturated && last_saturated.is_none_or(|at: Instant| at.elapsed() >= Duration::from_secs(5)) {
                        last_saturated = Some(Instant::now());
                        let line = format!("[{:>6.1}s] WARNING: the load driver is the bottleneck; these figures describe the driver, not the nodes", tick.t);
                        match &bar { Some(bar) => bar.println(line), None => eprintln!("{line}") }
                    }
                    let line = live_line(&tick);
                    match &bar {
                        Some(bar) => {
                            bar.set_position((tick.t * 1000.0) as u64);
                            bar.set_message(line);
                        }
                        None if last_log.elapsed() >= Duration::from_secs(5) => {
                            eprintln!("[{:>6.1}s] {line}", tick.t);
                            last_log = Instant::now();
                        }
                        None => {}
                    }
                    ticks.push(tick);
                    if let Some(verdict) = abort_watch.after_tick(&ticks, &events) {
                        let _ = handle.commands.send(Command::Stop);
                        let line = format!("stopping early: {}", verdict.abort_reason());
                        match &bar { Some(bar) => bar.println(&line), None => eprintln!("{line}") }
                        aborted = Some(verdict.abort_reason());
                    }
                }
                Some(RunMessage::Event(event)) => {
                    recording.write_event(&event).context("writing the recording")?;
                    let line = format!("[{:>6.1}s] {} {}: {}", event.t, event.action.name(), event.target, event.detail);
                    match &bar { Some(bar) => bar.println(line), None => eprintln!("{line}") }
                    events.push(event);
                }
                Some(RunMessage::Finished { error }) => break error,
                None => break Some("the run engine stopped without a word".into()),
            },
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                let _ = handle.commands.send(Command::Stop);
                match &bar { Some(bar) => bar.println("stopping: cleaning up nodes and Redis keys…"), None => eprintln!("stopping…") }
            }
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    recording.finish().context("closing the recording")?;
    if let Some(error) = error {
        anyhow::bail!("{error} (recording so far: {})", out.display());
    }
    let summary = RunSummary::from_run(&name, &ticks, &events);
    println!("{}", render_table(&summary));
    if let Some(note) = simulated {
        println!("{note}");
    }
    let verdicts = check_all(&thresholds, &summary);
    if !verdicts.is_empty() {
        println!("\n{}", crate::thresholds::render_table(&verdicts));
    }
    if let Some(reason) = &aborted {
        println!("stopped early: {reason}");
    }
    println!("recording: {}", out.display());
    if let Some(path) = &request.summary_json {
        std::fs::write(path, summary_json(&summary, &verdicts))
            .with_context(|| format!("cannot write the summary {}", path.display()))?;
    }
    Ok(RunOutcome { summary, verdicts, aborted })
}
