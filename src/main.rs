//! The `authlab` command line: a thin shell over the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use authlab::attack::command::{CommandOptions, Verdict};
use authlab::commands;
use authlab::heap::CountingAllocator;
use authlab::i18n::Language;
use authlab::node::NodeOptions;
use authlab::token::inspect::command::{self as inspect, InspectArgs};
use authlab::units::parse_duration;
use authlab::users::{self, parse_user_count};
use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[derive(Parser)]
#[command(name = "authlab", version, about = "Server-side sessions and JWTs, side by side under load")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Language of the app (instead of its saved preference) and of `report`: en or ko.
    #[arg(long, global = true, value_parser = ["en", "ko"])]
    lang: Option<String>,
    /// App: open in presentation mode (large type).
    #[arg(long, global = true)]
    presentation: bool,
    /// App: open on this scenario (a file, or a built-in scenario's name) and start it at once.
    #[arg(long)]
    start: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Start one auth node (an axum server); prints its base URL as the first line on stdout.
    Node(Box<NodeOptions>),
    /// Print the deterministic user directory as CSV (username,password).
    Users(UsersArgs),
    /// Validate scenario files without running them; exits non-zero if any is invalid.
    Check {
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a scenario headless: progress on the terminal, a recording, a closing summary table.
    Run(RunArgs),
    /// Write PNG and SVG charts, a CSV of the time series and summary.md from a recording.
    Report(ReportArgs),
    /// List the built-in scenarios, each with a one-line summary.
    Scenarios,
    /// Fire the attack catalogue at nodes (by default its own) and print what each answered;
    /// exits 0 if every attack was refused as it should be, 1 if any got through, 2 if it could not run.
    Attack(Box<CommandOptions>),
    /// Project a recording's measured unit costs to a population: memory, cores, store load,
    /// bandwidth and machines for each strategy.
    Project(Box<commands::ProjectArgs>),
    /// Decode a JWT and check it against a JWKS URL or a key file; exits 0 if it verifies, 1 if it
    /// does not (or no key was given), 2 if the token or the key could not be read.
    Inspect(Box<InspectArgs>),
    /// Delete what runs that are no longer alive left in Redis (keys of runs without a liveness
    /// mark) and PostgreSQL (schemas of runs without their lock). Nothing else is touched.
    Clean {
        /// A Redis server to sweep; repeatable [default, with no --postgres either:
        /// redis://127.0.0.1:6379/, skipped if it does not answer].
        #[arg(long = "redis", value_name = "URL")]
        redis: Vec<String>,
        /// A PostgreSQL database to sweep of dead runs' schemas; repeatable [default, with no
        /// --redis either: postgres://127.0.0.1:5432/postgres, skipped if it does not answer].
        #[arg(long = "postgres", value_name = "URL")]
        postgres: Vec<String>,
    },
    /// Compare two recordings' summary figures; exits 1 on a flagged regression with --fail-on-regression.
    Compare(Box<authlab::compare::CompareArgs>),
    /// Open the app on a recording, to replay it.
    Replay {
        /// A recording (.jsonl) written by `authlab run` or the app.
        file: PathBuf,
    },
}

/// `authlab attack`: exit status 0 when every attack passed, 1 when any failed, 2 when it could not run.
fn attack(mut options: CommandOptions, language: Language) -> ExitCode {
    if options.list {
        let listed = commands::list_attacks(language, &mut std::io::stdout()).or_else(ignore_closed_pipe);
        return if listed.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(2) };
    }
    let run = || -> anyhow::Result<Verdict> {
        (options.exe, options.language) = (exe()?, language);
        Ok(runtime()?.block_on(authlab::attack::command::run(options, &mut std::io::stdout().lock()))?)
    };
    match run() {
        Ok(Verdict::AllPassed) => ExitCode::SUCCESS,
        Ok(Verdict::SomeFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("authlab attack: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The recording (.jsonl) written by `authlab run`.
    file: PathBuf,
    /// The directory to write into (created if needed).
    #[arg(long)]
    out: PathBuf,
    /// Also write each chart as <name>@2x.png, twice the size, for projectors.
    #[arg(long = "2x")]
    png_2x: bool,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario file (TOML), or the name of a built-in scenario (`authlab scenarios` lists them).
    scenario: PathBuf,
    /// Where to write the recording [default: <scenario>-<time>.jsonl].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the run's totals as JSON, for scripts and CI.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Run for this long instead of the scenario's duration (e.g. 10s).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
}

/// The global `--lang` of the commands that print (`report`, `attack`, `scenarios`, `project`): en by default.
fn language(lang: Option<&str>) -> Language {
    if lang == Some("ko") { Language::Korean } else { Language::English }
}

/// Whether a threshold failed.
fn run_scenario(args: RunArgs) -> anyhow::Result<bool> {
    let request = authlab::headless::HeadlessRun {
        scenario: args.scenario,
        out: args.out,
        summary_json: args.summary_json,
        duration: args.duration,
        exe: exe()?,
    };
    Ok(runtime()?.block_on(authlab::headless::run(request))?.thresholds_failed())
}

#[derive(clap::Args)]
struct UsersArgs {
    /// The directory's seed: the same seed gives the same users and passwords.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How many users.
    #[arg(long, default_value = "10000", value_parser = parse_user_count)]
    count: u32,
}

fn run_node(options: NodeOptions) -> anyhow::Result<()> {
    CountingAllocator::mark_installed();
    let config = options.into_setup()?;
    if let Some(key_prefix) = config.redis_key_prefix() {
        eprintln!("authlab node: Redis key prefix {key_prefix:?}");
    }
    Ok(runtime()?.block_on(authlab::node::run(config))?)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    authlab::engine::runtime(None).context("starting the runtime")
}

/// This executable, which nodes are started from.
fn exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("finding the authlab executable to start nodes with")
}

/// The app's options: `--lang` only when given (else its saved preference), `--presentation`.
fn app_options(cli: &Cli, replay: Option<PathBuf>, start: Option<PathBuf>) -> authlab::app::AppOptions {
    let language = cli.lang.as_deref().map(|l| language(Some(l)));
    authlab::app::AppOptions { language, presentation: cli.presentation.then_some(true), replay, start }
}

/// A reader that stopped reading (`authlab users | head`) is not an error.
fn ignore_closed_pipe(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe { Ok(()) } else { Err(e) }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,tower_sessions_core=error")),
        )
        .init();
    let mut cli = Cli::parse();
    // The printing commands' `--lang`, en by default.
    let lang = language(cli.lang.as_deref());
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let result = match cli.command.take() {
        Some(Command::Node(options)) => run_node(*options),
        Some(Command::Users(args)) => users::write_csv(args.seed, args.count, out.lock())
            .or_else(ignore_closed_pipe)
            .context("writing the user directory"),
        Some(Command::Check { files }) => commands::check_scenarios(&files, &mut out, &mut err).map_err(Into::into),
        Some(Command::Scenarios) => {
            commands::list_scenarios(lang, &mut out).or_else(ignore_closed_pipe).context("listing the scenarios")
        }
        Some(Command::Run(args)) => match run_scenario(args) {
            Ok(true) => return ExitCode::from(authlab::thresholds::EXIT_THRESHOLDS_FAILED),
            result => result.map(drop),
        },
        Some(Command::Report(args)) => {
            commands::write_report(&args.file, &args.out, lang, args.png_2x, &mut out, &mut err).map_err(Into::into)
        }
        Some(Command::Attack(options)) => return attack(*options, lang),
        Some(Command::Inspect(args)) => {
            return match inspect::run(&args, &mut out.lock()) {
                Ok(inspect::Verdict::Verified) => ExitCode::SUCCESS,
                Ok(inspect::Verdict::NotVerified) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("authlab inspect: {e}");
                    ExitCode::from(2)
                }
            };
        }
        Some(Command::Project(args)) => commands::project(&args, lang, &mut out, &mut err).map_err(Into::into),
        Some(Command::Clean { redis, postgres }) => {
            runtime().and_then(|rt| Ok(rt.block_on(commands::clean(redis, postgres, &mut out))?))
        }
        Some(Command::Compare(args)) => match authlab::compare::run(&args, &mut out) {
            Ok(true) => return ExitCode::FAILURE,
            result => result.map(drop).map_err(Into::into),
        },
        Some(Command::Replay { file }) => authlab::app::run_app(app_options(&cli, Some(file), None)),
        None => authlab::app::run_app(app_options(&cli, None, cli.start.clone())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("authlab: {e:#}");
            ExitCode::FAILURE
        }
    }
}
