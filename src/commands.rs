//! The work of the small terminal subcommands (`check`, `scenarios`, `report`, `clean`,
//! `attack --list`): what each reads, does and prints, so that the `authlab` binary only parses
//! arguments and dispatches.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::i18n::Language;
use crate::report::ReportError;
use crate::scenario::StrategyName;
use crate::session_store::{PostgresStoreError, RedisStoreError};

/// Why a subcommand failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// `check`: some files did not load as scenarios (each one's error is already printed).
    #[error("{invalid} of {total} scenario files are invalid")]
    InvalidScenarios {
        /// Files that failed.
        invalid: usize,
        /// Files checked.
        total: usize,
    },
    /// The recording's own message, which already names the file and the cause (so it is printed once).
    #[error("{0}")]
    Recording(String),
    /// `report`: a chart, the CSV or summary.md could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// `clean`: a Redis server could not be reached or swept (the servers before it were).
    #[error("cleaning {url}")]
    Clean {
        /// The Redis URL as given.
        url: String,
        /// Why Redis failed.
        source: RedisStoreError,
    },
    /// `clean`: a PostgreSQL database could not be reached or swept.
    #[error("cleaning {url}")]
    CleanPostgres {
        /// The PostgreSQL URL as given.
        url: String,
        /// Why PostgreSQL failed.
        source: PostgresStoreError,
    },
    /// `project --chart` without a price: there is no cost to cross.
    #[error(
        "a crossover chart compares monthly costs: give at least one of --price-ram-gb-month, --price-core-month \
         and --price-egress-gb"
    )]
    CrossoverNeedsPrices,
    /// Writing to the terminal (`out` or `err`) failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// `authlab check FILE...`: one line per file, `FILE: ok (...)` on `out` or the error on `err`.
pub fn check_scenarios(files: &[PathBuf], out: &mut impl Write, err: &mut impl Write) -> Result<(), CommandError> {
    let mut invalid = 0;
    for file in files {
        match crate::scenario::load_scenario(file) {
            Ok(s) => {
                let strategy = |strategy: StrategyName, nodes: Option<u32>| {
                    let name = strategy.as_str();
                    match (nodes, s.targets.get(strategy)) {
                        (_, Some(target)) => format!("{name}: your server at {}", target.urls.join(", ")),
                        (Some(1), None) => format!("{name}: 1 node"),
                        (Some(n), None) => format!("{name}: {n} nodes"),
                        (None, None) => format!("{name}: off"),
                    }
                };
                writeln!(
                    out,
                    "{}: ok ({}, {}, {} / {})",
                    file.display(),
                    s.name,
                    humantime::format_duration(s.duration),
                    strategy(StrategyName::Session, s.session.as_ref().map(|x| x.nodes)),
                    strategy(StrategyName::Token, s.token.as_ref().map(|x| x.nodes)),
                )?;
                // What a run of it would send where, when it goes to the user's own servers.
                for line in crate::scenario::target::send_plan(&s) {
                    writeln!(out, "  {line}")?;
                }
            }
            Err(e) => {
                writeln!(err, "{e}")?;
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        return Err(CommandError::InvalidScenarios { invalid, total: files.len() });
    }
    Ok(())
}

/// `authlab scenarios`: one line per built-in scenario, `NAME  SUMMARY` (in Korean, `NAME  name_ko`).
pub fn list_scenarios(language: Language, out: &mut impl Write) -> io::Result<()> {
    use crate::scenario::builtin::{BUILT_IN, summary};
    let width = BUILT_IN.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, source) in BUILT_IN {
        let line = match crate::scenario::parse_scenario(source, name) {
            Ok(scenario) if language == Language::Korean => scenario.title(language).to_owned(),
            _ => summary(source).to_owned(),
        };
        writeln!(out, "{name:width$}  {line}")?;
    }
    writeln!(out, "\nRun one with `authlab run NAME`, or open it in the app's library (`authlab --start NAME`).")
}

/// `authlab attack --list`: one line per attack, `STRATEGY NAME TITLE`.
pub fn list_attacks(language: Language, out: &mut impl Write) -> io::Result<()> {
    for a in crate::attack::CATALOGUE {
        writeln!(out, "{:<8}{:<30}{}", a.strategy.as_str(), a.name, a.title.get(language))?;
    }
    Ok(())
}

/// `authlab report FILE --out DIR`: writes the report, and prints each file written on `out`, one
/// per line; a recording whose last line was cut off is said so on `err`.
pub fn write_report(
    file: &Path,
    out_dir: &Path,
    language: Language,
    png_2x: bool,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<(), CommandError> {
    let recording = crate::recording::Recording::open(file).map_err(|e| CommandError::Recording(e.to_string()))?;
    if recording.truncated() {
        writeln!(err, "authlab report: {}: the last line was incomplete and is left out", file.display())?;
    }
    let files = crate::report::write_report(&recording, out_dir, language)?;
    for path in files.paths() {
        writeln!(out, "{}", path.display())?;
    }
    if png_2x {
        for path in crate::report::write_report_pngs_2x(&recording, out_dir, language)? {
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(())
}

/// `authlab project`: what a recording's unit costs come to for a population the user gives.
#[derive(Debug, Clone, clap::Args)]
pub struct ProjectArgs {
    /// A recording (.jsonl) written by `authlab run` or the app.
    pub recording: PathBuf,
    /// Logged-in users (sessions held; refresh families for tokens).
    #[arg(long, default_value_t = 10_000_000)]
    pub users: u64,
    /// Requests per second to the protected API.
    #[arg(long, default_value_t = 100_000.0)]
    pub rps: f64,
    /// Logins per second.
    #[arg(long, default_value_t = 1_000.0)]
    pub logins_per_s: f64,
    /// Logouts per second (each puts a live access token on a token node's denylist, where there
    /// is one) [default: the logins/s].
    #[arg(long)]
    pub logouts_per_s: Option<f64>,
    /// Client connections open to the nodes at once (each holds the server's buffers).
    #[arg(long, default_value_t = 10_000)]
    pub connections: u64,
    /// The token nodes' signing algorithm (HS256, RS256, ES256, EdDSA, Ed25519), where it is not
    /// the run's: the difference in auth-check time and token bytes is measured here and applied.
    #[arg(long, value_parser = crate::token::keys::parse_algorithm)]
    pub algorithm: Option<crate::token::keys::Alg>,
    /// Bytes of user data in each session, where not the run's (one byte per byte; see the notes).
    #[arg(long)]
    pub payload_bytes: Option<usize>,
    /// Session and access-token lifetime (how long a denylist entry lives).
    #[arg(long, default_value = "30m", value_parser = crate::units::parse_duration)]
    pub ttl: std::time::Duration,
    /// One machine's RAM (e.g. 16GiB).
    #[arg(long, default_value = "16GiB", value_parser = crate::units::parse_bytes)]
    pub machine_ram: u64,
    /// One machine's cores.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub machine_cores: u32,
    /// Price of a GB of RAM for a month (no default: the lab takes no vendor's prices).
    #[arg(long)]
    pub price_ram_gb_month: Option<f64>,
    /// Price of a core for a month.
    #[arg(long)]
    pub price_core_month: Option<f64>,
    /// Price of a GB of egress.
    #[arg(long)]
    pub price_egress_gb: Option<f64>,
    /// Print the projection as JSON (the contract in the README) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also draw the crossover chart (each strategy's monthly cost against logged-in users, at
    /// the prices given) into this directory, as projection-crossover.png and .svg. Needs a price.
    #[arg(long, value_name = "DIR")]
    pub chart: Option<PathBuf>,
}

/// `authlab project`: prints the projection of `args.recording` to `args`' population; the table
/// in `language`, the JSON (a contract) always in English.
pub fn project(
    args: &ProjectArgs,
    language: Language,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<(), CommandError> {
    let priced = [args.price_ram_gb_month, args.price_core_month, args.price_egress_gb].iter().any(Option::is_some);
    if args.chart.is_some() && !priced {
        return Err(CommandError::CrossoverNeedsPrices);
    }
    let recording =
        crate::recording::Recording::open(&args.recording).map_err(|e| CommandError::Recording(e.to_string()))?;
    let inputs = crate::projection::Inputs {
        users: args.users,
        rps: args.rps,
        logins_per_s: args.logins_per_s,
        logouts_per_s: args.logouts_per_s.unwrap_or(args.logins_per_s),
        connections: args.connections,
        ttl_s: args.ttl.as_secs_f64(),
        machine_ram_bytes: args.machine_ram,
        machine_cores: args.machine_cores,
        algorithm: args.algorithm,
        payload_bytes: args.payload_bytes,
        prices: crate::projection::Prices {
            ram_gb_month: args.price_ram_gb_month,
            core_month: args.price_core_month,
            egress_gb: args.price_egress_gb,
        },
    };
    let scenario = recording.header().scenario.parsed();
    let projection = crate::projection::Projection::of_run(recording.ticks(), scenario.as_ref(), inputs);
    if let Some(dir) = &args.chart {
        match crate::report::write_crossover_chart(&recording, inputs, dir, language)? {
            Some((png, svg)) => writeln!(err, "wrote {} and {}", png.display(), svg.display())?,
            None => return Err(CommandError::CrossoverNeedsPrices),
        }
    }
    match args.json {
        true => writeln!(out, "{}", projection.to_json_pretty())?,
        false => write!(out, "{}", projection.to_text(language))?,
    }
    Ok(())
}

/// `authlab clean`: sweeps each Redis server and PostgreSQL database of what dead runs left there;
/// one line per server. Given neither, it sweeps the default Redis and PostgreSQL, and one that
/// does not answer is reported and skipped: it holds nothing of the lab's to clean. A server the
/// user named must answer.
pub async fn clean(
    mut redis_urls: Vec<String>,
    mut postgres_urls: Vec<String>,
    out: &mut impl Write,
) -> Result<(), CommandError> {
    let lenient = redis_urls.is_empty() && postgres_urls.is_empty();
    if lenient {
        redis_urls.push(crate::session_store::DEFAULT_REDIS_URL.into());
        postgres_urls.push(crate::session_store::DEFAULT_POSTGRES_URL.into());
    }
    use crate::session_store::RedisStoreError::Unreachable as RedisDown;
    use PostgresStoreError::Unreachable as PostgresDown;
    for url in &redis_urls {
        match crate::cluster::leftovers::clean(url).await {
            Ok(swept) if swept.runs.is_empty() => writeln!(out, "{url}: nothing left by dead runs")?,
            Ok(swept) => writeln!(
                out,
                "{url}: deleted {} keys of {} dead runs ({})",
                swept.keys,
                swept.runs.len(),
                swept.runs.join(", ")
            )?,
            Err(RedisDown { .. }) if lenient => writeln!(out, "{url}: no Redis answers; nothing to clean")?,
            Err(source) => return Err(CommandError::Clean { url: url.clone(), source }),
        }
    }
    for url in &postgres_urls {
        match crate::session_store::postgres::clean(url).await {
            Ok(dropped) if dropped.is_empty() => writeln!(out, "{url}: no schema left by dead runs")?,
            Ok(dropped) => {
                writeln!(out, "{url}: dropped {} schemas of dead runs ({})", dropped.len(), dropped.join(", "))?
            }
            Err(PostgresDown { .. }) if lenient => writeln!(out, "{url}: no PostgreSQL answers; nothing to clean")?,
            Err(source) => return Err(CommandError::CleanPostgres { url: url.clone(), source }),
        }
    }
    Ok(())
}
