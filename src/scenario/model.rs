//! The typed, validated scenario, with every default filled in.

use std::time::Duration;

use crate::token::keys::Alg;
use serde::{Deserialize, Serialize};

pub use crate::chart::Chart;
use crate::i18n::Language;
use crate::users::PasswordHashKind;

/// A whole scenario, as the engine runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub duration: Duration,
    pub seed: u64,
    pub mode: Mode,
    /// Sampling interval: one tick per interval (default 250 ms).
    pub tick: Duration,
    pub narrative: Narrative,
    pub users: UsersSpec,
    pub load: LoadSpec,
    pub cluster: ClusterSpec,
    /// Absent: the session strategy does not run.
    pub session: Option<SessionSpec>,
    /// Absent: the token strategy does not run.
    pub token: Option<TokenSpec>,
    /// Scheduled events, in time order.
    pub events: Vec<EventSpec>,
    /// The charts the app shows for this scenario, in order (default: [`Chart::STANDARD`]).
    pub charts: Vec<Chart>,
    /// Absent: requests go to the strategies' own nodes. Present: a second service per strategy
    /// takes the requests of every visit and checks each caller with the issuer.
    pub resource: Option<ResourceSpec>,
}

impl Scenario {
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
    #[default]
    Concurrent,
    Sequential,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Narrative {
    pub en: String,
    pub ko: String,
    /// The scenario's name in Korean (`[narrative] name_ko`); empty: the name is shown as it is.
    #[serde(default)]
    pub name_ko: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UsersSpec {
    /// Distinct accounts in the user directory (default 10000).
    pub count: u32,
    /// default argon2id
    pub password_hash: PasswordHashKind,
}

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
    pub at: Duration,
    pub target: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    #[default]
    RoundRobin,
    Random,
    Sticky,
    LeastOutstanding,
}

impl Routing {
    /// The name scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            Routing::RoundRobin => "round_robin",
            Routing::Random => "random",
            Routing::Sticky => "sticky",
            Routing::LeastOutstanding => "least_outstanding",
        }
    }
}

/// A simulated machine per node (SPEC "Simulating separate machines").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineSpec {
    /// At most this many requests in service at once on a node.
    pub workers: u32,
    /// Each request holds its worker this long.
    pub service_time: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    #[default]
    Memory,
    Redis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionSpec {
    /// default 1
    pub nodes: u32,
    pub store: StoreKind,
    /// default redis://127.0.0.1:6379/
    pub redis_url: String,
    /// default 30m
    pub ttl: Duration,
    /// default 200
    pub payload_bytes: usize,
    pub max_memory: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    #[default]
    None,
    Denylist,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenSpec {
    /// default 1
    pub nodes: u32,
    /// default HS256
    pub algorithm: Alg,
    /// Access-token lifetime (default 15m).
    pub ttl: Duration,
    /// Whether clients refresh expired access tokens (default true).
    pub refresh: bool,
    pub revocation: Revocation,
    /// default 0
    pub claims_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    KillNode,
    AddNode,
    RestartNode,
    RevokeUser,
    RotateKey,
    SetLoad,
    SetRouting,
    /// The run retiring the keys a rotation replaced, once their last tokens expired. The lab
    /// does this by itself: it is recorded, never scheduled.
    RetireKeys,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::KillNode => "kill_node",
            Action::AddNode => "add_node",
            Action::RestartNode => "restart_node",
            Action::RevokeUser => "revoke_user",
            Action::RotateKey => "rotate_key",
            Action::SetLoad => "set_load",
            Action::SetRouting => "set_routing",
            Action::RetireKeys => "retire_keys",
        }
    }
}

/// Which part of the lab an event acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// `session` or `token`: a whole strategy (add_node, rotate_key, revoke_user, set_load).
    Strategy(StrategyName),
    /// `session/2`: one node, numbered from 1.
    Node(StrategyName, u32),
    /// Both strategies (no target given).
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    Session,
    Token,
}

impl StrategyName {
    pub const BOTH: [StrategyName; 2] = [StrategyName::Session, StrategyName::Token];

    pub fn as_str(self) -> &'static str {
        match self {
            StrategyName::Session => "session",
            StrategyName::Token => "token",
        }
    }
}

/// A scheduled event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    pub at: Duration,
    pub action: Action,
    pub target: Target,
    /// set_load: the new target (virtual users, or requests/s in the open model); revoke_user:
    /// how many users to revoke (default 1).
    pub value: Option<f64>,
    /// revoke_user: which user (default: one that is logged in at that moment).
    pub user: Option<String>,
    /// set_routing: the new routing policy.
    pub routing: Option<Routing>,
}
