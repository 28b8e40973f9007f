//! The typed, validated scenario, with every default filled in.

use std::fmt;
use std::time::Duration;

use crate::token::keys::Alg;
use serde::{Deserialize, Serialize};

pub use crate::chart::{Chart, Headline};
use crate::i18n::Language;
pub use crate::measure::{Action, StrategyName};
use crate::names::named;
pub use crate::scenario::target::TargetSpec;
pub use crate::token::Revocation;
use crate::users::PasswordHashKind;

/// A whole scenario, as the engine runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's `name`: how the library lists it and recordings and reports name it.
    pub name: String,
    /// How long the load runs; with [`Mode::Sequential`], how long each strategy's phase runs.
    pub duration: Duration,
    /// Seeds the user directory (passwords, salts) and the driver's randomness (default 42).
    pub seed: u64,
    /// Whether the strategies run at the same time or one after the other.
    pub mode: Mode,
    /// Sampling interval: one tick per interval (default 250 ms).
    pub tick: Duration,
    /// The story the app tells beside the charts, in both languages (`[narrative]`).
    pub narrative: Narrative,
    /// `[users]`: the user directory the nodes check passwords against.
    pub users: UsersSpec,
    /// `[load]`: how much load, of what shape, and from what kind of client.
    pub load: LoadSpec,
    /// `[cluster]`: how requests are routed over the nodes, and the simulated machines.
    pub cluster: ClusterSpec,
    /// Absent: the session strategy does not run.
    pub session: Option<SessionSpec>,
    /// Absent: the token strategy does not run.
    pub token: Option<TokenSpec>,
    /// `[target.session]`, `[target.token]`: the user's own servers, each in place of `[session]`
    /// or `[token]`; the lab starts no nodes for them.
    pub targets: Targets,
    /// Scheduled events, in time order.
    pub events: Vec<EventSpec>,
    /// The charts the app shows for this scenario, in order (default: [`Chart::STANDARD`]).
    pub charts: Vec<Chart>,
    /// The headline figures above each strategy's charts, in order (default: [`Headline::DEFAULT`]).
    pub headline: Vec<Headline>,
    /// Absent: requests go to the strategies' own nodes. Present: a second service per strategy
    /// takes the requests of every visit and checks each caller with the issuer.
    pub resource: Option<ResourceSpec>,
    /// `[thresholds]`: checks on the run's summary figures, in the file's order (none by default).
    pub thresholds: Vec<crate::thresholds::Threshold>,
}

impl Scenario {
    /// The `endpoints` of `strategy`: nodes the lab attaches to instead of starting its own (empty:
    /// none, the lab starts them or the strategy does not run).
    pub fn endpoints(&self, strategy: StrategyName) -> &[String] {
        match strategy {
            StrategyName::Session => self.session.as_ref().map_or(&[], |s| s.endpoints.as_slice()),
            StrategyName::Token => self.token.as_ref().map_or(&[], |t| t.endpoints.as_slice()),
        }
    }

    /// Whether `strategy` runs: on the lab's own nodes or against the user's server.
    pub fn runs(&self, strategy: StrategyName) -> bool {
        self.targets.get(strategy).is_some()
            || match strategy {
                StrategyName::Session => self.session.is_some(),
                StrategyName::Token => self.token.is_some(),
            }
    }

    /// The scenario's name in `language` (its `name_ko` in Korean, when it has one).
    pub fn title(&self, language: Language) -> &str {
        match language {
            Language::Korean if !self.narrative.name_ko.is_empty() => &self.narrative.name_ko,
            _ => &self.name,
        }
    }

    /// Its narrative in `language`.
    pub fn narrative_in(&self, language: Language) -> &str {
        match language {
            Language::English => &self.narrative.en,
            Language::Korean => &self.narrative.ko,
        }
    }
}

/// The user's own servers, by strategy (SPEC "Your own servers").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    /// `[target.session]`.
    pub session: Option<TargetSpec>,
    /// `[target.token]`.
    pub token: Option<TargetSpec>,
}

impl Targets {
    /// The target of `strategy`, if the scenario drives the user's server for it.
    pub fn get(&self, strategy: StrategyName) -> Option<&TargetSpec> {
        match strategy {
            StrategyName::Session => self.session.as_ref(),
            StrategyName::Token => self.token.as_ref(),
        }
    }

    /// Whether any strategy runs against the user's server.
    pub fn any(&self) -> bool {
        self.session.is_some() || self.token.is_some()
    }
}

/// `[resource]`: a second service that issues nothing. Users log in at their strategy's nodes,
/// then send every request of their visit to it; it verifies tokens against the token nodes'
/// JWKS and asks a session node about every session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceSpec {
    /// Resource nodes per strategy (default 1).
    pub nodes: u32,
}

impl ResourceSpec {
    /// The audience the resource service accepts; token nodes issue their tokens for it too.
    pub const AUDIENCE: &'static str = "orders-api";
    /// The scope it requires; token nodes grant it.
    pub const SCOPE: &'static str = "orders:read";
}

/// Whether both strategies run at once or one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Both strategies run at once, side by side, for the whole duration (the default).
    #[default]
    Concurrent,
    /// One strategy after the other (session, then token), each for the whole duration.
    Sequential,
}

/// `[narrative]`: the text the app shows with a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Narrative {
    /// The narrative in English; empty when the scenario has none.
    pub en: String,
    /// The narrative in Korean; empty when the scenario has none.
    pub ko: String,
    /// The scenario's name in Korean (`[narrative] name_ko`); empty: the name is shown as it is.
    #[serde(default)]
    pub name_ko: String,
}

/// `[users]`: the deterministic user directory every node derives from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct UsersSpec {
    /// Distinct accounts in the user directory (default 10000).
    pub count: u32,
    /// default argon2id
    pub password_hash: PasswordHashKind,
}

/// How the load driver generates load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LoadModel {
    /// Virtual users with think time; stage targets are numbers of virtual users.
    #[default]
    Closed,
    /// An arrival rate; stage targets are requests per second.
    Open,
}

/// A point of the load curve; the load ramps linearly between stages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// When this target applies, from the start of the run (of the phase, in sequential mode).
    pub at: Duration,
    /// The load target here: virtual users (closed model) or requests per second (open model).
    pub target: f64,
}

/// `[load]`: the shape of the load and the behaviour of its virtual users.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    /// Closed (virtual users) or open (arrival rate); decides what the stage targets count.
    pub model: LoadModel,
    /// At least one stage; sorted by `at`. Before the first stage the load is the first target,
    /// after the last it stays at the last target.
    pub stages: Vec<Stage>,
    /// Uniformly random pause between requests (default 0..0: no think time).
    pub think_time: (Duration, Duration),
    /// Requests of a visit after its login; 0 = endless visit (default 50).
    pub requests_per_login: u32,
    /// Share of visits that end with an explicit logout (default 0.3).
    pub logout_ratio: f64,
    /// What kind of HTTP client the virtual users are (default a browser).
    pub client: ClientKind,
}

/// The virtual users' HTTP client, which decides whether the session cookie travels back. A token
/// travels the same way in every kind: the client's own code copies it from the login's JSON into
/// an `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// A browser: its cookie jar keeps the `sid` cookie of the login and sends it back.
    #[default]
    Browser,
    /// An app whose HTTP library has no cookie jar, so its own code reads `Set-Cookie` and sends
    /// `sid` back by hand. On the wire it is the browser; the difference is code the app must own.
    Mobile,
    /// An app with no cookie jar and no cookie code: it never sends the session cookie back.
    MobileNaive,
}

impl LoadSpec {
    /// The load target at `t` (virtual users or requests/s), ramping linearly between stages.
    pub fn target_at(&self, t: Duration) -> f64 {
        let Some(first) = self.stages.first() else { return 0.0 };
        if t <= first.at {
            return first.target;
        }
        for pair in self.stages.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if t <= b.at {
                let span = (b.at - a.at).as_secs_f64();
                if span <= 0.0 {
                    return b.target;
                }
                let f = (t - a.at).as_secs_f64() / span;
                return a.target + (b.target - a.target) * f;
            }
        }
        self.stages.last().map_or(0.0, |s| s.target)
    }
}

/// How the driver's client-side load balancer picks a node for each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// Each request to the next node that is up, in turn (the default).
    #[default]
    RoundRobin,
    /// Each request to a node picked at random among those up.
    Random,
    /// A visit stays on the node it logged in at while that node is up; a new visit, or one whose
    /// node died, is placed round-robin.
    Sticky,
    /// Each request to the node with the fewest requests in flight from the driver.
    LeastOutstanding,
}

/// A simulated machine per node (SPEC "Simulating separate machines").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineSpec {
    /// At most this many requests in service at once on a node.
    pub workers: u32,
    /// Each request holds its worker this long.
    pub service_time: Duration,
}

/// `[cluster]`: routing, health checks and the simulated machines of the nodes and the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    /// The routing policy the run starts with (a `set_routing` event can change it).
    pub routing: Routing,
    /// Absent: no simulation, raw speed on this machine.
    pub machine: Option<MachineSpec>,
    /// Simulated network delay added to every shared-store round trip.
    pub store_rtt: Option<Duration>,
    /// Simulated capacity of the shared session store (Redis), shared by every session node: at
    /// most `workers` store operations in service at once, each holding one for `service_time`.
    pub store_machine: Option<MachineSpec>,
    /// How long the driver's load balancer takes to notice a dead node (default 1 s).
    pub health_check: Duration,
    /// `admin_token_file`: the file holding the admin token of the `endpoints` nodes (resolved
    /// against the scenario file's directory); required with endpoints, refused without.
    pub admin_token_file: Option<std::path::PathBuf>,
}

/// Where session nodes keep their sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// Each session node keeps its own sessions in memory: a session works only at the node that
    /// made it, and dies with it.
    #[default]
    Memory,
    /// All session nodes share one Redis server (`redis_url`).
    Redis,
    /// All session nodes share one Redis Cluster: the one at `redis_urls` (its seed nodes), or
    /// with none, a private one of `primaries` primaries that the lab starts for the run.
    #[serde(rename = "redis-cluster")]
    RedisCluster,
    /// All session nodes share one PostgreSQL database (`postgres_url`), in a schema of the run's
    /// own.
    Postgres,
}

/// `[session]`: the session strategy's nodes and store; absent, it does not run.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSpec {
    /// default 1; with `endpoints`, how many they are.
    pub nodes: u32,
    /// `endpoints`: the base URLs of `authlab node` processes the lab did not start, which it
    /// configures over their admin API and sends the load to; empty: the lab starts `nodes` nodes.
    pub endpoints: Vec<String>,
    /// Where sessions live (default memory: each node its own).
    pub store: StoreKind,
    /// default redis://127.0.0.1:6379/
    pub redis_url: String,
    /// `store = "redis-cluster"`: seed nodes of the cluster (`redis://host:port`); empty: the lab
    /// starts a private cluster of `primaries` primaries on free ports, for this run only.
    pub redis_urls: Vec<String>,
    /// The private cluster's primaries (default 3); only with `redis-cluster` and no `redis_urls`.
    pub primaries: u32,
    /// default postgres://127.0.0.1:5432/postgres
    pub postgres_url: String,
    /// PostgreSQL store: connections each session node keeps open (default 8); a request waits
    /// for a free one, so it bounds each node's concurrent store operations.
    pub pool: u32,
    /// default 30m
    pub ttl: Duration,
    /// default 200
    pub payload_bytes: usize,
    /// Memory store only: the most bytes of sessions a node holds before it evicts; `None`: no
    /// limit.
    pub max_memory: Option<u64>,
}

/// `[token]`: the token strategy's nodes and keys; absent, it does not run.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSpec {
    /// default 1; with `endpoints`, how many they are.
    pub nodes: u32,
    /// `endpoints`: as [`SessionSpec::endpoints`].
    pub endpoints: Vec<String>,
    /// default HS256
    pub algorithm: Alg,
    /// Access-token lifetime (default 15m).
    pub ttl: Duration,
    /// Whether clients refresh expired access tokens (default true).
    pub refresh: bool,
    /// Whether logout and `revoke_user` refuse access tokens before they expire (default none).
    pub revocation: Revocation,
    /// default 0
    pub claims_bytes: usize,
}

/// A scheduled event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// When it fires, from the start of the run (of the phase, in sequential mode).
    pub at: Duration,
    /// What it does, and to what.
    pub action: EventAction,
}

/// What an event does, with what it needs to do it: a parsed scenario, or the app's buttons, can
/// only build events the engine can apply.
#[derive(Debug, Clone, PartialEq)]
pub enum EventAction {
    /// `kill_node`: stop one node's process, as a crash would.
    KillNode(NodeRef),
    /// `restart_node`: kill one node, then start it again at the same address.
    RestartNode(NodeRef),
    /// `add_node`: start one more node of a strategy.
    AddNode(StrategyName),
    /// `revoke_user`: revoke users' sessions or tokens.
    RevokeUser(Scope, Revokee),
    /// `rotate_key`: sign with a new key from now on (the token strategy; a scenario cannot
    /// schedule it for `session`).
    RotateKey(Scope),
    /// `set_load`: the new load target (virtual users, or requests/s in the open model).
    SetLoad(Scope, f64),
    /// `set_routing`: the new routing policy of the load balancer.
    SetRouting(Scope, Routing),
}

impl EventAction {
    /// Its kind, as recordings name it.
    pub fn kind(&self) -> Action {
        match self {
            EventAction::KillNode(_) => Action::KillNode,
            EventAction::RestartNode(_) => Action::RestartNode,
            EventAction::AddNode(_) => Action::AddNode,
            EventAction::RevokeUser(..) => Action::RevokeUser,
            EventAction::RotateKey(_) => Action::RotateKey,
            EventAction::SetLoad(..) => Action::SetLoad,
            EventAction::SetRouting(..) => Action::SetRouting,
        }
    }

    /// The strategies it acts on.
    pub fn scope(&self) -> Scope {
        match self {
            EventAction::KillNode(node) | EventAction::RestartNode(node) => Scope::Strategy(node.strategy),
            EventAction::AddNode(strategy) => Scope::Strategy(*strategy),
            EventAction::RevokeUser(scope, _)
            | EventAction::RotateKey(scope)
            | EventAction::SetLoad(scope, _)
            | EventAction::SetRouting(scope, _) => *scope,
        }
    }

    /// Its target as recordings write it: `session/2`, `token`, `all`.
    pub fn target_label(&self) -> String {
        match self {
            EventAction::KillNode(node) | EventAction::RestartNode(node) => node.to_string(),
            _ => self.scope().to_string(),
        }
    }
}

/// One node of a strategy, numbered from 1: `session/2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRef {
    /// The strategy the node belongs to.
    pub strategy: StrategyName,
    /// From 1.
    pub number: u32,
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.strategy.as_str(), self.number)
    }
}

/// Which strategies an event acts on. `Display`: `all`, `session`, `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Both strategies (no target given), or the one running in this phase.
    All,
    /// `session` or `token`.
    Strategy(StrategyName),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Strategy(s) => f.write_str(s.as_str()),
        }
    }
}

/// Whom a `revoke_user` event revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revokee {
    /// One named user (`user = "user0000042"`).
    User(String),
    /// This many of the users logged in at that moment (`value`, default 1).
    Recent(usize),
}

// The names of each enum, in scenario files and everywhere else. A chart's name is also its file
// name in reports.
named!(Mode { Concurrent => "concurrent", Sequential => "sequential" });
named!(LoadModel { Closed => "closed", Open => "open" });
named!(ClientKind { Browser => "browser", Mobile => "mobile", MobileNaive => "mobile_naive" });
named!(Routing {
    RoundRobin => "round_robin",
    Random => "random",
    Sticky => "sticky",
    LeastOutstanding => "least_outstanding",
});
named!(StoreKind { Memory => "memory", Redis => "redis", RedisCluster => "redis-cluster", Postgres => "postgres" });

impl StoreKind {
    /// Whether the sessions live in Redis (one server or a cluster).
    pub fn is_redis(self) -> bool {
        matches!(self, StoreKind::Redis | StoreKind::RedisCluster)
    }
}
