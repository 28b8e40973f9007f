//! The `authlab` command line: a thin shell over the library.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use authlab::heap::CountingAllocator;
use authlab::node::{KeySource, NodeConfig, SessionOptions, StoreChoice, Strategy, TokenOptions};
use authlab::token::access::TokenPolicy;
use authlab::token::keys::parse_algorithm;
use authlab::units::{parse_bytes, parse_duration};
use authlab::users::{self, PasswordHashKind};
use clap::{Parser, Subcommand, ValueEnum};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The most accounts a directory can have (usernames have seven digits).
const MAX_USERS: u32 = 10_000_000;

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
    Node(Box<NodeArgs>),
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
    Attack(AttackArgs),
    /// Delete what runs that are no longer alive (killed, or lost with their machine) left in
    /// Redis: keys under `authlab:run-<id>:` whose run has no liveness mark. Nothing else is touched.
    Clean {
        /// The Redis server to sweep; repeatable.
        #[arg(long = "redis", value_name = "URL", default_value = "redis://127.0.0.1:6379/")]
        redis: Vec<String>,
    },
    /// Open the app on a recording, to replay it.
    Replay {
        /// A recording (.jsonl) written by `authlab run` or the app.
        file: PathBuf,
    },
}

#[derive(clap::Args)]
struct AttackArgs {
    /// Print one JSON array ({name, strategy, sent, expected, got, passed, why, ...}) instead of text.
    #[arg(long)]
    json: bool,
    /// Run only this attack, or every attack of a strategy (`session`, `token`).
    #[arg(long, value_name = "NAME")]
    only: Option<String>,
    /// List the attacks and exit.
    #[arg(long)]
    list: bool,
    /// Attack this session node instead of starting the lab's own nodes.
    #[arg(long, value_name = "URL")]
    session: Option<String>,
    /// Attack this token node (the no-denylist replay runs here) instead of the lab's own.
    #[arg(long, value_name = "URL")]
    token: Option<String>,
    /// A token node started with `--revocation denylist`, for the replay-after-logout attack.
    #[arg(long, value_name = "URL")]
    token_denylist: Option<String>,
    /// The given token nodes' `--keys` file, to sign tokens whose only defect is one claim.
    #[arg(long, value_name = "FILE")]
    token_keys: Option<PathBuf>,
    /// The user-directory seed of the given nodes (see `authlab users`).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// `authlab attack`: exit status 0 when every attack passed, 1 when any failed, 2 when it could not run.
fn attack(args: AttackArgs, lang: Option<&str>) -> ExitCode {
    let language = language(lang);
    if args.list {
        for a in authlab::attack::CATALOGUE {
            println!("{:<8}{:<30}{}", a.strategy.as_str(), a.name, a.title.get(language));
        }
        return ExitCode::SUCCESS;
    }
    let run = || -> anyhow::Result<authlab::attack::command::Verdict> {
        let options = authlab::attack::command::CommandOptions {
            exe: std::env::current_exe().context("finding the authlab executable to start nodes with")?,
            json: args.json,
            only: args.only,
            language,
            session: args.session,
            token: args.token,
            token_denylist: args.token_denylist,
            token_keys: args.token_keys,
            seed: args.seed,
        };
        let runtime =
            tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
        Ok(runtime.block_on(authlab::attack::command::run(options, &mut std::io::stdout().lock()))?)
    };
    match run() {
        Ok(authlab::attack::command::Verdict::AllPassed) => ExitCode::SUCCESS,
        Ok(authlab::attack::command::Verdict::SomeFailed) => ExitCode::from(1),
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
}

/// `authlab report FILE --out DIR [--lang en|ko]` (`--lang` is the global option, default en):
/// prints each file written, one per line.
fn write_report(args: ReportArgs, lang: Option<&str>) -> anyhow::Result<()> {
    // The message already names the file and the cause: flatten it, so it is printed once.
    let recording = authlab::recording::Recording::open(&args.file).map_err(|e| anyhow::anyhow!("{e}"))?;
    if recording.truncated() {
        eprintln!("authlab report: {}: the last line was incomplete and is left out", args.file.display());
    }
    let language = language(lang);
    let files = authlab::report::write_report(&recording, &args.out, language)?;
    for path in files.paths() {
        println!("{}", path.display());
    }
    Ok(())
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

/// The global `--lang` of the commands that print (`report`, `attack`, `scenarios`): en by default.
fn language(lang: Option<&str>) -> authlab::i18n::Language {
    if lang == Some("ko") { authlab::i18n::Language::Korean } else { authlab::i18n::Language::English }
}

/// `authlab scenarios`: one line per built-in scenario, `NAME  SUMMARY` (in Korean, `NAME  name_ko`).
fn list_scenarios(lang: Option<&str>, mut out: impl std::io::Write) -> std::io::Result<()> {
    use authlab::scenario::builtin::{BUILT_IN, summary};
    let width = BUILT_IN.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let language = language(lang);
    for (name, source) in BUILT_IN {
        let line = match authlab::scenario::parse_scenario(source, name) {
            Ok(scenario) if language == authlab::i18n::Language::Korean => scenario.title(language).to_owned(),
            _ => summary(source).to_owned(),
        };
        writeln!(out, "{name:width$}  {line}")?;
    }
    writeln!(out, "\nRun one with `authlab run NAME`, or open it in the app's library (`authlab --start NAME`).")
}

fn run_scenario(args: RunArgs) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the authlab executable to start nodes with")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let request = authlab::headless::HeadlessRun {
        scenario: args.scenario,
        out: args.out,
        summary_json: args.summary_json,
        duration: args.duration,
        exe,
    };
    runtime.block_on(authlab::headless::run(request))?;
    Ok(())
}

#[derive(Clone, Copy, ValueEnum)]
enum StrategyArg {
    Session,
    Token,
    /// A second service that issues nothing: it checks tokens against the issuer's JWKS and asks
    /// the session side about session cookies (`GET /api/orders`).
    Resource,
}

#[derive(Clone, Copy, ValueEnum)]
enum RevocationArg {
    None,
    Denylist,
}

/// A `--users` value that is not a user count.
#[derive(Debug, thiserror::Error)]
enum UserCountError {
    #[error("{0:?} is not a number of users")]
    NotANumber(String),
    #[error("the user count must be between 1 and {MAX_USERS}")]
    OutOfRange,
}

fn parse_user_count(text: &str) -> Result<u32, UserCountError> {
    let n: u32 = text.parse().map_err(|_| UserCountError::NotANumber(text.to_owned()))?;
    if n == 0 || n > MAX_USERS {
        return Err(UserCountError::OutOfRange);
    }
    Ok(n)
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

#[derive(clap::Args)]
struct NodeArgs {
    #[arg(long, value_enum)]
    strategy: StrategyArg,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// A name for this node in logs and /healthz.
    #[arg(long, default_value = "node")]
    node_name: String,
    /// User directory seed (see `authlab users`).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Accounts in the user directory.
    #[arg(long, default_value = "10000", value_parser = parse_user_count)]
    users: u32,
    /// How passwords are stored and checked: argon2id (OWASP parameters) or sha256 (salted, fast, insecure).
    #[arg(long, default_value = "argon2id")]
    password_hash: PasswordHashKind,

    // Session strategy.
    /// Session store: `memory`, or a Redis URL such as redis://127.0.0.1:6379/.
    #[arg(long, default_value = "memory", help_heading = "Session strategy")]
    store: String,
    /// Prefix of every Redis key of this node [default: authlab:<random>:].
    #[arg(long, help_heading = "Session strategy")]
    key_prefix: Option<String>,
    /// On shutdown, delete every Redis key under the prefix (and nothing else).
    #[arg(long, help_heading = "Session strategy")]
    cleanup_on_exit: bool,
    /// Session lifetime; for the token strategy, the access-token lifetime [default: 30m for sessions, 15m for tokens].
    #[arg(long, value_parser = parse_duration)]
    ttl: Option<Duration>,
    /// Bytes of user data kept in each session.
    #[arg(long, default_value_t = 200, help_heading = "Session strategy")]
    payload_bytes: usize,
    /// Memory store: evict the oldest sessions beyond this size (e.g. 64MiB).
    #[arg(long, value_parser = parse_bytes, help_heading = "Session strategy")]
    max_memory: Option<u64>,
    /// Memory store: how often expired sessions are purged.
    #[arg(long, default_value = "1s", value_parser = parse_duration, help_heading = "Session strategy")]
    purge_interval: Duration,
    /// Add the Secure attribute to the session cookie.
    #[arg(long, help_heading = "Session strategy")]
    secure_cookie: bool,

    // Token strategy.
    /// Signing algorithm: HS256, RS256, ES256, EdDSA or Ed25519 (RFC 9864) (ignored with --keys:
    /// each key has its own).
    #[arg(long, default_value = "HS256", help_heading = "Token strategy")]
    algorithm: String,
    /// JWK Set file with the private signing keys; the first key signs [default: generate one].
    #[arg(long, help_heading = "Token strategy")]
    keys: Option<PathBuf>,
    /// Refresh-token lifetime.
    #[arg(long, default_value = "24h", value_parser = parse_duration, help_heading = "Token strategy")]
    refresh_ttl: Duration,
    /// What logout does to an access token: nothing, or put it on a denylist until it expires.
    #[arg(long, value_enum, default_value = "none", help_heading = "Token strategy")]
    revocation: RevocationArg,
    /// Pad the permissions carried in each token to about this many bytes.
    #[arg(long, default_value_t = 0, help_heading = "Token strategy")]
    claims_bytes: usize,
    /// Clock leeway when checking exp and nbf.
    #[arg(long, default_value = "5s", value_parser = parse_duration, help_heading = "Token strategy")]
    leeway: Duration,
    /// The tokens' issuer (`iss`); a resource node requires it.
    #[arg(long, default_value = "authlab", help_heading = "Token strategy")]
    issuer: String,
    /// The audience (`aud`) this node accepts [default: authlab-api; resource nodes: orders-api].
    #[arg(long, help_heading = "Token strategy")]
    audience: Option<String>,
    /// Also issue tokens for this audience (a resource service that accepts them); repeatable.
    #[arg(long = "extra-audience", value_name = "AUD", help_heading = "Token strategy")]
    extra_audiences: Vec<String>,
    /// Space-separated scopes every token grants.
    #[arg(long, default_value = "profile:read", help_heading = "Token strategy")]
    scope: String,

    // Resource strategy.
    /// The issuer's JWK Set, e.g. http://127.0.0.1:40123/.well-known/jwks.json (bearer tokens are
    /// checked against it).
    #[arg(long, value_name = "URL", help_heading = "Resource strategy")]
    jwks_url: Option<String>,
    /// The session side's introspection endpoint, e.g. http://127.0.0.1:40124/introspect
    /// (asked about every session cookie; needs --introspect-token).
    #[arg(long, value_name = "URL", help_heading = "Resource strategy")]
    introspect_url: Option<String>,
    /// Session nodes: serve POST /introspect to callers sending `Authorization: Bearer TOKEN`.
    /// Resource nodes: the token to send there.
    #[arg(long, value_name = "TOKEN", help_heading = "Resource strategy")]
    introspect_token: Option<String>,
    /// The scope a token must grant, else 403 insufficient_scope.
    #[arg(long, default_value = "orders:read", help_heading = "Resource strategy")]
    required_scope: String,
    /// At most one JWKS refetch (for a token with an unknown kid) per this interval.
    #[arg(long, default_value = "1s", value_parser = parse_duration, help_heading = "Resource strategy")]
    jwks_refetch_interval: Duration,

    // Simulated machine (SPEC "Simulating separate machines on one laptop"); off by default.
    /// At most N auth requests in service at once, as on a machine with N workers (needs --service-time).
    #[arg(long, requires = "service_time", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Simulated machine")]
    workers: Option<u32>,
    /// How long each auth request holds its worker, on top of its real work (needs --workers).
    #[arg(long, requires = "workers", value_parser = parse_duration, help_heading = "Simulated machine")]
    service_time: Option<Duration>,
    /// A network delay before every session-store operation, as to a store on another machine.
    #[arg(long, value_parser = parse_duration, help_heading = "Simulated machine")]
    store_rtt: Option<Duration>,

    /// Serve the admin API (POST /admin/...) to callers sending `Authorization: Bearer TOKEN` [default: no admin API].
    #[arg(long, value_name = "TOKEN", help_heading = "Admin API")]
    admin_token: Option<String>,

    /// Let pages on this origin (e.g. http://127.0.0.1:8080) call the node from a browser; repeatable.
    /// Session nodes allow them credentials (the cookie); `*` allows any origin, never with credentials
    /// [default: token nodes any origin, session nodes none].
    #[arg(long = "cors-origin", value_name = "ORIGIN", help_heading = "Browsers (CORS)")]
    cors_origins: Vec<String>,
}

fn random_prefix() -> String {
    format!("authlab:{:08x}:", rand::random::<u32>())
}

impl NodeArgs {
    fn into_config(self) -> anyhow::Result<authlab::node::NodeSetup> {
        let workers = match (self.workers, self.service_time) {
            (Some(count), Some(service_time)) => Some(authlab::node::SimulatedWorkers { count, service_time }),
            (None, None) => None,
            _ => anyhow::bail!("--workers and --service-time go together: give both or neither"),
        };
        let simulation = authlab::node::Simulation { workers, store_rtt: self.store_rtt };
        let cors = authlab::node::CorsOrigins::from_args(&self.cors_origins)?;
        let admin_token = match self.admin_token.as_deref() {
            Some("") => anyhow::bail!("--admin-token must not be empty"),
            Some(token) => Some(authlab::node::AdminToken::new(token)),
            None => None,
        };
        let strategy = match self.strategy {
            StrategyArg::Session => {
                let store = if self.store.eq_ignore_ascii_case("memory") {
                    StoreChoice::Memory
                } else if self.store.starts_with("redis://") || self.store.starts_with("rediss://") {
                    StoreChoice::Redis { url: self.store }
                } else {
                    anyhow::bail!("--store {:?}: expected `memory` or a redis:// URL", self.store);
                };
                Strategy::Session(SessionOptions {
                    store,
                    key_prefix: self.key_prefix.unwrap_or_else(random_prefix),
                    cleanup_on_exit: self.cleanup_on_exit,
                    ttl: self.ttl.unwrap_or(Duration::from_secs(30 * 60)),
                    payload_bytes: self.payload_bytes,
                    max_memory: self.max_memory,
                    purge_interval: self.purge_interval.max(Duration::from_millis(10)),
                    secure_cookie: self.secure_cookie,
                })
            }
            StrategyArg::Token => {
                let keys = match self.keys {
                    Some(path) => KeySource::File(path),
                    None => KeySource::Generate(parse_algorithm(&self.algorithm)?),
                };
                Strategy::Token(TokenOptions {
                    keys,
                    policy: TokenPolicy {
                        issuer: self.issuer,
                        audience: self.audience.unwrap_or_else(|| "authlab-api".into()),
                        extra_audiences: self.extra_audiences,
                        scope: self.scope,
                        access_ttl: self.ttl.unwrap_or(Duration::from_secs(15 * 60)),
                        leeway: self.leeway,
                        claims_bytes: self.claims_bytes,
                    },
                    refresh_ttl: self.refresh_ttl,
                    denylist: matches!(self.revocation, RevocationArg::Denylist),
                })
            }
            StrategyArg::Resource => Strategy::Resource(authlab::node::ResourceOptions {
                jwks_url: self.jwks_url,
                introspect_url: self.introspect_url,
                introspect_token: self.introspect_token.clone(),
                issuer: self.issuer,
                audience: self.audience.unwrap_or_else(|| "orders-api".into()),
                required_scope: self.required_scope,
                leeway: self.leeway,
                jwks_refetch_interval: self.jwks_refetch_interval,
            }),
        };
        let config = NodeConfig {
            listen: self.listen,
            name: self.node_name,
            seed: self.seed,
            users: self.users,
            password_hash: self.password_hash,
            strategy,
        };
        let introspect_token = match (&config.strategy, self.introspect_token.as_deref()) {
            (_, Some("")) => anyhow::bail!("--introspect-token must not be empty"),
            (Strategy::Session(_), Some(token)) => Some(authlab::node::AdminToken::new(token)),
            _ => None,
        };
        Ok(authlab::node::NodeSetup { config, simulation, admin_token, cors, introspect_token })
    }
}

/// `authlab check FILE...`: one line per file, `FILE: ok (...)` on stdout or the error on stderr.
fn check_scenarios(files: &[PathBuf]) -> anyhow::Result<()> {
    let mut invalid = 0;
    for file in files {
        match authlab::scenario::load_scenario(file) {
            Ok(s) => {
                let strategy = |name: &str, nodes: Option<u32>| match nodes {
                    Some(1) => format!("{name}: 1 node"),
                    Some(n) => format!("{name}: {n} nodes"),
                    None => format!("{name}: off"),
                };
                println!(
                    "{}: ok ({}, {}, {} / {})",
                    file.display(),
                    s.name,
                    humantime::format_duration(s.duration),
                    strategy("session", s.session.as_ref().map(|x| x.nodes)),
                    strategy("token", s.token.as_ref().map(|x| x.nodes)),
                );
            }
            Err(e) => {
                eprintln!("{e}");
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        anyhow::bail!("{invalid} of {} scenario files are invalid", files.len());
    }
    Ok(())
}

/// `authlab clean`: one line per store swept.
fn clean(redis_urls: &[String]) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    for url in redis_urls {
        let swept =
            runtime.block_on(authlab::cluster::leftovers::clean(url)).with_context(|| format!("cleaning {url}"))?;
        match swept.runs.len() {
            0 => println!("{url}: nothing left by dead runs"),
            runs => println!("{url}: deleted {} keys of {runs} dead runs ({})", swept.keys, swept.runs.join(", ")),
        }
    }
    Ok(())
}

fn run_node(args: NodeArgs) -> anyhow::Result<()> {
    CountingAllocator::mark_installed();
    let config = args.into_config()?;
    if let Strategy::Session(SessionOptions { store: StoreChoice::Redis { .. }, key_prefix, .. }) = &config.strategy {
        eprintln!("authlab node: Redis key prefix {key_prefix:?}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(authlab::node::run(config))?;
    Ok(())
}

fn app_options(
    lang: &Option<String>,
    presentation: bool,
    replay: Option<PathBuf>,
    start: Option<PathBuf>,
) -> authlab::app::AppOptions {
    authlab::app::AppOptions {
        language: lang
            .as_deref()
            .map(|l| if l == "ko" { authlab::i18n::Language::Korean } else { authlab::i18n::Language::English }),
        presentation: presentation.then_some(true),
        replay,
        start,
    }
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
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Node(args)) => run_node(*args),
        Some(Command::Users(args)) => users::write_csv(args.seed, args.count, std::io::stdout().lock())
            .or_else(ignore_closed_pipe)
            .context("writing the user directory"),
        Some(Command::Check { files }) => check_scenarios(&files),
        Some(Command::Scenarios) => list_scenarios(cli.lang.as_deref(), std::io::stdout().lock())
            .or_else(ignore_closed_pipe)
            .context("listing the scenarios"),
        Some(Command::Run(args)) => run_scenario(args),
        Some(Command::Report(args)) => write_report(args, cli.lang.as_deref()),
        Some(Command::Attack(args)) => return attack(args, cli.lang.as_deref()),
        Some(Command::Clean { redis }) => clean(&redis),
        Some(Command::Replay { file }) => {
            authlab::app::run_app(app_options(&cli.lang, cli.presentation, Some(file), None))
        }
        None => authlab::app::run_app(app_options(&cli.lang, cli.presentation, None, cli.start)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("authlab: {e:#}");
            ExitCode::FAILURE
        }
    }
}
