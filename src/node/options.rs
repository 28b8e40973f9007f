//! The `authlab node` command line, owned in one place: [`NodeOptions`] parses it (clap), turns it
//! into a [`NodeSetup`], and writes it back out with [`NodeOptions::to_args`] for whoever starts a
//! node process (the supervisor, the attack lab).
//!
//! Adding a flag is one field here plus its line in `to_args`; the round-trip test below checks
//! that the two agree.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;

use super::{
    AdminToken, CorsError, CorsOrigins, KeySource, NodeConfig, NodeSetup, ResourceOptions, SessionOptions,
    SimulatedWorkers, Simulation, StoreChoice, Strategy, TokenOptions,
};
use crate::session_store::RedisTarget;
use crate::token::Revocation;
use crate::token::access::TokenPolicy;
use crate::token::keys::{KeyError, parse_algorithm};
use crate::units::{parse_bytes, parse_duration};
use crate::users::{PasswordHashKind, parse_user_count};

/// The environment variable an admin token can come from instead of `--admin-token-file`.
pub const ADMIN_TOKEN_ENV: &str = "AUTHLAB_ADMIN_TOKEN";

/// `--strategy`: which kind of node to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
// clap turns docs into --help text; the values are described in the field's help.
#[allow(missing_docs)]
pub enum NodeStrategy {
    Session,
    Token,
    /// A second service that issues nothing: it checks tokens against the issuer's JWKS and asks
    /// the session side about session cookies (`GET /api/orders`).
    Resource,
}

/// Why a parsed command line does not make a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeOptionsError {
    /// Only one of `--workers` and `--service-time` (clap refuses that too, but options built in
    /// code are checked here).
    #[error("--workers and --service-time go together: give both or neither")]
    WorkersWithoutServiceTime,
    /// `--admin-token-file` gives no token.
    #[error(transparent)]
    AdminTokenFile(#[from] super::TokenFileError),
    /// `AUTHLAB_ADMIN_TOKEN` is set, but to nothing usable.
    #[error("{ADMIN_TOKEN_ENV} is set but holds no token (one line of printable ASCII); unset it for no admin API")]
    BadAdminTokenEnv,
    /// `--introspect-token` given as an empty string.
    #[error("--introspect-token must not be empty")]
    EmptyIntrospectToken,
    /// A session node's `--store` that is neither `memory`, `redis-cluster` nor a `redis://`,
    /// `rediss://` or `postgres://` URL (the value given).
    #[error("--store {0:?}: expected `memory`, a redis:// URL, `redis-cluster` or a postgres:// URL")]
    BadStore(String),
    /// `--store redis-cluster` without a `--redis-url` seed node, or a `--redis-url` that is not a
    /// `redis://` URL (the value given, empty when there was none).
    #[error("--store redis-cluster needs --redis-url redis://host:port (one per seed node), got {0:?}")]
    BadClusterSeed(String),
    /// `--redis-url` given with a store other than `redis-cluster`.
    #[error("--redis-url names a Redis Cluster's seed nodes: it needs --store redis-cluster")]
    SeedsWithoutCluster,
    /// A `--cors-origin` value cannot be used.
    #[error(transparent)]
    Cors(#[from] CorsError),
    /// A token node without `--keys` whose `--algorithm` the lab does not sign with.
    #[error(transparent)]
    Algorithm(#[from] KeyError),
}

/// Every option of `authlab node`, as typed values. The flags' names, defaults and help texts are
/// the command line's: `authlab node --help` prints these doc comments.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct NodeOptions {
    // clap turns docs into --help text, and `--strategy` has none: its values explain themselves.
    #[allow(missing_docs)]
    #[arg(long, value_enum)]
    pub strategy: NodeStrategy,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// A name for this node in logs and /healthz.
    #[arg(long, default_value = "node")]
    pub node_name: String,
    /// User directory seed (see `authlab users`).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Accounts in the user directory.
    #[arg(long, default_value = "10000", value_parser = parse_user_count)]
    pub users: u32,
    /// How passwords are stored and checked: argon2id (OWASP parameters) or sha256 (salted, fast, insecure).
    #[arg(long, default_value = "argon2id")]
    pub password_hash: PasswordHashKind,

    // Session strategy.
    /// Session store: `memory`, a Redis URL such as redis://127.0.0.1:6379/, `redis-cluster`
    /// (with --redis-url), or a PostgreSQL URL such as postgres://127.0.0.1:5432/postgres.
    #[arg(long, default_value = "memory", help_heading = "Session strategy")]
    pub store: String,
    /// With --store redis-cluster: a seed node of the Redis Cluster, e.g. redis://127.0.0.1:7001;
    /// repeatable (the client finds the other nodes from any one).
    #[arg(long = "redis-url", value_name = "URL", help_heading = "Session strategy")]
    pub redis_urls: Vec<String>,
    /// Prefix of every Redis key of this node [default: authlab:<random>:].
    #[arg(long, help_heading = "Session strategy")]
    pub key_prefix: Option<String>,
    /// On shutdown, delete every Redis key under the prefix (and nothing else).
    #[arg(long, help_heading = "Session strategy")]
    pub cleanup_on_exit: bool,
    /// PostgreSQL store: the run's schema, made beforehand (`authlab run` does) [default: a
    /// fresh `authlab_run_<random>` of this node's own, dropped when it exits].
    #[arg(long, help_heading = "Session strategy")]
    pub pg_schema: Option<String>,
    /// PostgreSQL store: connections this node keeps open to the database, all opened at start.
    /// A request waits for a free one, so it bounds the node's concurrent store operations.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000), help_heading = "Session strategy")]
    pub pool: u32,
    /// Session lifetime; for the token strategy, the access-token lifetime [default: 30m for sessions, 15m for tokens].
    #[arg(long, value_parser = parse_duration)]
    pub ttl: Option<Duration>,
    /// Bytes of user data kept in each session.
    #[arg(long, default_value_t = 200, help_heading = "Session strategy")]
    pub payload_bytes: usize,
    /// Memory store: evict the oldest sessions beyond this size (e.g. 64MiB).
    #[arg(long, value_parser = parse_bytes, help_heading = "Session strategy")]
    pub max_memory: Option<u64>,
    /// Memory store: how often expired sessions are purged.
    #[arg(long, default_value = "1s", value_parser = parse_duration, help_heading = "Session strategy")]
    pub purge_interval: Duration,
    /// Add the Secure attribute to the session cookie.
    #[arg(long, help_heading = "Session strategy")]
    pub secure_cookie: bool,

    // Token strategy.
    /// Signing algorithm: HS256, RS256, ES256, EdDSA or Ed25519 (RFC 9864) (ignored with --keys:
    /// each key has its own).
    #[arg(long, default_value = "HS256", help_heading = "Token strategy")]
    pub algorithm: String,
    /// JWK Set file with the private signing keys; the first key signs [default: generate one].
    #[arg(long, help_heading = "Token strategy")]
    pub keys: Option<PathBuf>,
    /// Refresh-token lifetime.
    #[arg(long, default_value = "24h", value_parser = parse_duration, help_heading = "Token strategy")]
    pub refresh_ttl: Duration,
    /// What logout does to an access token: nothing, or put it on a denylist until it expires.
    #[arg(long, value_enum, default_value = "none", help_heading = "Token strategy")]
    pub revocation: Revocation,
    /// Pad the permissions carried in each token to about this many bytes.
    #[arg(long, default_value_t = 0, help_heading = "Token strategy")]
    pub claims_bytes: usize,
    /// Clock leeway when checking exp and nbf.
    #[arg(long, default_value = "5s", value_parser = parse_duration, help_heading = "Token strategy")]
    pub leeway: Duration,
    /// The tokens' issuer (`iss`); a resource node requires it.
    #[arg(long, default_value = "authlab", help_heading = "Token strategy")]
    pub issuer: String,
    /// The audience (`aud`) this node accepts [default: authlab-api; resource nodes: orders-api].
    #[arg(long, help_heading = "Token strategy")]
    pub audience: Option<String>,
    /// Also issue tokens for this audience (a resource service that accepts them); repeatable.
    #[arg(long = "extra-audience", value_name = "AUD", help_heading = "Token strategy")]
    pub extra_audiences: Vec<String>,
    /// Space-separated scopes every token grants.
    #[arg(long, default_value = "profile:read", help_heading = "Token strategy")]
    pub scope: String,

    // Resource strategy.
    /// The issuer's JWK Set, e.g. http://127.0.0.1:40123/.well-known/jwks.json (bearer tokens are
    /// checked against it).
    #[arg(long, value_name = "URL", help_heading = "Resource strategy")]
    pub jwks_url: Option<String>,
    /// The session side's introspection endpoint, e.g. http://127.0.0.1:40124/introspect
    /// (asked about every session cookie; needs --introspect-token).
    #[arg(long, value_name = "URL", help_heading = "Resource strategy")]
    pub introspect_url: Option<String>,
    /// Session nodes: serve POST /introspect to callers sending `Authorization: Bearer TOKEN`.
    /// Resource nodes: the token to send there.
    #[arg(long, value_name = "TOKEN", help_heading = "Resource strategy")]
    pub introspect_token: Option<String>,
    /// The scope a token must grant, else 403 insufficient_scope.
    #[arg(long, default_value = "orders:read", help_heading = "Resource strategy")]
    pub required_scope: String,
    /// At most one JWKS refetch (for a token with an unknown kid) per this interval.
    #[arg(long, default_value = "1s", value_parser = parse_duration, help_heading = "Resource strategy")]
    pub jwks_refetch_interval: Duration,

    // Simulated machine (SPEC "Simulating separate machines on one laptop"); off by default.
    /// At most N auth requests in service at once, as on a machine with N workers (needs --service-time).
    #[arg(long, requires = "service_time", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Simulated machine")]
    pub workers: Option<u32>,
    /// How long each auth request holds its worker, on top of its real work (needs --workers).
    #[arg(long, requires = "workers", value_parser = parse_duration, help_heading = "Simulated machine")]
    pub service_time: Option<Duration>,
    /// A network delay before every session-store operation, as to a store on another machine.
    #[arg(long, value_parser = parse_duration, help_heading = "Simulated machine")]
    pub store_rtt: Option<Duration>,

    /// Serve the admin API (POST /admin/...) to callers sending `Authorization: Bearer TOKEN`, the
    /// token being this file's one line (or the AUTHLAB_ADMIN_TOKEN environment variable's value).
    /// Such a node waits for its run's POST /admin/configure unless --configured [default: no admin API].
    #[arg(long, value_name = "FILE", help_heading = "Admin API")]
    pub admin_token_file: Option<PathBuf>,
    /// With an admin API: serve at once as these flags say, instead of waiting for POST /admin/configure.
    #[arg(long, help_heading = "Admin API")]
    pub configured: bool,

    /// Let pages on this origin (e.g. http://127.0.0.1:8080) call the node from a browser; repeatable.
    /// Session nodes allow them credentials (the cookie); `*` allows any origin, never with credentials
    /// [default: token nodes any origin, session nodes none].
    #[arg(long = "cors-origin", value_name = "ORIGIN", help_heading = "Browsers (CORS)")]
    pub cors_origins: Vec<String>,
}

/// `authlab node` alone, to parse [`NodeOptions`] without the rest of the command line.
#[derive(clap::Parser)]
#[command(name = "authlab-node")]
struct NodeCommand {
    #[command(flatten)]
    options: NodeOptions,
}

impl NodeOptions {
    /// The options of a `strategy` node with every other flag at its default, as
    /// `authlab node --strategy STRATEGY` would have them.
    pub fn new(strategy: NodeStrategy) -> Self {
        match Self::parse_args(["--strategy", value_name(strategy).as_str()]) {
            Ok(options) => options,
            // The defaults are constants of this file; `defaults_parse_for_every_strategy` runs this.
            Err(e) => unreachable!("the node options' defaults do not parse: {e}"),
        }
    }

    /// Parses the flags after `authlab node`, as the command line does.
    pub fn parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        use clap::Parser;
        let argv = std::iter::once(OsString::from("authlab-node")).chain(args.into_iter().map(Into::into));
        NodeCommand::try_parse_from(argv).map(|c| c.options)
    }

    /// The flags that give these options back when parsed (the arguments after `authlab node`).
    /// Every value is written as `--flag=value`, so a value starting with `-` stays a value.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args = Args::default();
        args.value("--strategy", value_name(self.strategy));
        args.value("--listen", self.listen);
        args.value("--node-name", &self.node_name);
        args.value("--seed", self.seed);
        args.value("--users", self.users);
        args.value("--password-hash", self.password_hash);
        args.value("--store", &self.store);
        args.each("--redis-url", &self.redis_urls);
        args.optional("--key-prefix", self.key_prefix.as_ref());
        args.flag("--cleanup-on-exit", self.cleanup_on_exit);
        args.optional("--pg-schema", self.pg_schema.as_ref());
        args.value("--pool", self.pool);
        args.optional("--ttl", self.ttl.map(duration_arg));
        args.value("--payload-bytes", self.payload_bytes);
        args.optional("--max-memory", self.max_memory);
        args.value("--purge-interval", duration_arg(self.purge_interval));
        args.flag("--secure-cookie", self.secure_cookie);
        args.value("--algorithm", &self.algorithm);
        args.path("--keys", self.keys.as_ref());
        args.value("--refresh-ttl", duration_arg(self.refresh_ttl));
        args.value("--revocation", self.revocation.name());
        args.value("--claims-bytes", self.claims_bytes);
        args.value("--leeway", duration_arg(self.leeway));
        args.value("--issuer", &self.issuer);
        args.optional("--audience", self.audience.as_ref());
        args.each("--extra-audience", &self.extra_audiences);
        args.value("--scope", &self.scope);
        args.optional("--jwks-url", self.jwks_url.as_ref());
        args.optional("--introspect-url", self.introspect_url.as_ref());
        args.optional("--introspect-token", self.introspect_token.as_ref());
        args.value("--required-scope", &self.required_scope);
        args.value("--jwks-refetch-interval", duration_arg(self.jwks_refetch_interval));
        args.optional("--workers", self.workers);
        args.optional("--service-time", self.service_time.map(duration_arg));
        args.optional("--store-rtt", self.store_rtt.map(duration_arg));
        args.path("--admin-token-file", self.admin_token_file.as_ref());
        args.flag("--configured", self.configured);
        args.each("--cors-origin", &self.cors_origins);
        args.0
    }

    /// Checks what clap cannot and fills in the strategy-dependent defaults: the node to run.
    pub fn into_setup(self) -> Result<NodeSetup, NodeOptionsError> {
        let workers = match (self.workers, self.service_time) {
            (Some(count), Some(service_time)) => Some(SimulatedWorkers { count, service_time }),
            (None, None) => None,
            _ => return Err(NodeOptionsError::WorkersWithoutServiceTime),
        };
        let simulation = Simulation { workers, store_rtt: self.store_rtt };
        let cors = CorsOrigins::from_args(&self.cors_origins)?;
        let admin_token = match &self.admin_token_file {
            Some(path) => Some(super::read_token_file(path)?),
            None => match std::env::var_os(ADMIN_TOKEN_ENV) {
                Some(value) => {
                    let token = super::admin::check_token(value.as_encoded_bytes());
                    Some(token.map_err(|_| NodeOptionsError::BadAdminTokenEnv)?)
                }
                None => None,
            },
        };
        let admin_token = admin_token.as_deref().map(AdminToken::new);
        let wait_for_configuration = admin_token.is_some() && !self.configured;
        let strategy = match self.strategy {
            NodeStrategy::Session => {
                let is_redis = |url: &str| url.starts_with("redis://") || url.starts_with("rediss://");
                let cluster = self.store.eq_ignore_ascii_case("redis-cluster");
                if !cluster && !self.redis_urls.is_empty() {
                    return Err(NodeOptionsError::SeedsWithoutCluster);
                }
                let store = if cluster {
                    if let Some(bad) = self.redis_urls.iter().find(|url| !is_redis(url)) {
                        return Err(NodeOptionsError::BadClusterSeed(bad.clone()));
                    }
                    if self.redis_urls.is_empty() {
                        return Err(NodeOptionsError::BadClusterSeed(String::new()));
                    }
                    StoreChoice::Redis { target: RedisTarget::Cluster(self.redis_urls) }
                } else if self.store.eq_ignore_ascii_case("memory") {
                    StoreChoice::Memory
                } else if is_redis(&self.store) {
                    StoreChoice::Redis { target: RedisTarget::Server(self.store) }
                } else if self.store.starts_with("postgres://") || self.store.starts_with("postgresql://") {
                    StoreChoice::Postgres { url: self.store, schema: self.pg_schema, pool: self.pool }
                } else {
                    return Err(NodeOptionsError::BadStore(self.store));
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
            NodeStrategy::Token => {
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
                    denylist: matches!(self.revocation, Revocation::Denylist),
                })
            }
            NodeStrategy::Resource => Strategy::Resource(ResourceOptions {
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
            (_, Some("")) => return Err(NodeOptionsError::EmptyIntrospectToken),
            (Strategy::Session(_), Some(token)) => Some(AdminToken::new(token)),
            _ => None,
        };
        Ok(NodeSetup { config, simulation, admin_token, wait_for_configuration, cors, introspect_token })
    }
}

/// A Redis key prefix of its own for a node given none.
fn random_prefix() -> String {
    format!("authlab:{:08x}:", rand::random::<u32>())
}

/// A duration as the command line reads it back: `1h30m`, `250ms`, `0s`.
fn duration_arg(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

/// A clap value enum's name on the command line (`session`, `denylist`).
fn value_name(value: impl ValueEnum) -> String {
    value.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

/// The argument list [`NodeOptions::to_args`] builds.
#[derive(Default)]
struct Args(Vec<OsString>);

impl Args {
    fn value(&mut self, flag: &str, value: impl std::fmt::Display) {
        self.0.push(format!("{flag}={value}").into());
    }

    fn optional(&mut self, flag: &str, value: Option<impl std::fmt::Display>) {
        if let Some(value) = value {
            self.value(flag, value);
        }
    }

    fn each(&mut self, flag: &str, values: &[String]) {
        for value in values {
            self.value(flag, value);
        }
    }

    fn flag(&mut self, flag: &str, on: bool) {
        if on {
            self.0.push(flag.into());
        }
    }

    /// A path, which need not be UTF-8.
    fn path(&mut self, flag: &str, path: Option<&PathBuf>) {
        if let Some(path) = path {
            let mut arg = OsString::from(format!("{flag}="));
            arg.push(path);
            self.0.push(arg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{
        Strategy as _, any, prop, prop_assert, prop_assert_eq, prop_compose, prop_oneof, proptest,
    };

    #[test]
    fn defaults_parse_for_every_strategy() {
        for strategy in NodeStrategy::value_variants() {
            let options = NodeOptions::new(*strategy);
            assert_eq!(options.strategy, *strategy);
            assert_eq!(options.users, 10_000);
            assert_eq!(NodeOptions::parse_args(options.to_args()).ok(), Some(options));
        }
    }

    #[test]
    fn a_cluster_store_is_named_by_its_seed_nodes() {
        let seeds = ["redis://127.0.0.1:7001", "redis://127.0.0.1:7002"];
        let args =
            ["--strategy", "session", "--store", "redis-cluster", "--redis-url", seeds[0], "--redis-url", seeds[1]];
        let options = NodeOptions::parse_args(args).expect("the flags parse");
        assert_eq!(NodeOptions::parse_args(options.to_args()).ok(), Some(options.clone()));
        let setup = options.into_setup().expect("a session node");
        let Strategy::Session(session) = &setup.config.strategy else { panic!("a session node") };
        let target = RedisTarget::Cluster(seeds.map(String::from).to_vec());
        assert_eq!(session.store, StoreChoice::Redis { target });
        assert!(setup.redis_key_prefix().is_some(), "a cluster's keys carry the prefix too");

        let mut no_seed = NodeOptions::new(NodeStrategy::Session);
        no_seed.store = "redis-cluster".into();
        assert!(matches!(no_seed.clone().into_setup(), Err(NodeOptionsError::BadClusterSeed(_))));
        no_seed.redis_urls = vec!["http://127.0.0.1:7001".into()];
        assert!(matches!(no_seed.into_setup(), Err(NodeOptionsError::BadClusterSeed(_))));
        let mut seeds_alone = NodeOptions::new(NodeStrategy::Session);
        seeds_alone.redis_urls = vec![seeds[0].into()];
        assert!(matches!(seeds_alone.into_setup(), Err(NodeOptionsError::SeedsWithoutCluster)));
    }

    #[test]
    fn values_that_look_like_flags_stay_values() {
        let mut options = NodeOptions::new(NodeStrategy::Resource);
        options.node_name = "-n".into();
        options.introspect_token = Some("--admin-token-file".into());
        options.cors_origins = vec!["-".into(), String::new()];
        options.admin_token_file = Some(PathBuf::from("-x"));
        assert_eq!(NodeOptions::parse_args(options.to_args()).ok(), Some(options));
    }

    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        "[-a-zA-Z0-9:/ ._*=]{0,16}"
    }

    fn duration() -> impl proptest::strategy::Strategy<Value = Duration> {
        (0u64..40_000_000, 0u32..1_000_000_000).prop_map(|(secs, nanos)| Duration::new(secs, nanos))
    }

    fn listen() -> impl proptest::strategy::Strategy<Value = SocketAddr> {
        prop_oneof![
            (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::from((ip, port))),
            (any::<[u16; 8]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::from((ip, port))),
        ]
    }

    prop_compose! {
        fn options()(
            (strategy, listen, node_name, seed, users, password_hash) in (
                prop::sample::select(NodeStrategy::value_variants()),
                listen(),
                text(),
                any::<u64>(),
                1..=crate::users::MAX_USERS,
                prop::sample::select(vec![PasswordHashKind::Argon2id, PasswordHashKind::Sha256]),
            ),
            (store, redis_urls, key_prefix, cleanup_on_exit, pg_schema, pool, ttl, payload_bytes, max_memory, purge_interval, secure_cookie) in (
                text(),
                proptest::collection::vec(text(), 0..3),
                proptest::option::of(text()),
                any::<bool>(),
                proptest::option::of(text()),
                1u32..=1000,
                proptest::option::of(duration()),
                any::<usize>(),
                // parse_bytes reads numbers as f64: exact up to 2^53.
                proptest::option::of(0u64..1 << 53),
                duration(),
                any::<bool>(),
            ),
            (algorithm, keys, refresh_ttl, revocation, claims_bytes, leeway, issuer, audience) in (
                text(),
                // The command line takes no empty path.
                proptest::option::of("[-a-zA-Z0-9/ ._=]{1,16}".prop_map(PathBuf::from)),
                duration(),
                prop::sample::select(Revocation::value_variants()),
                any::<usize>(),
                duration(),
                text(),
                proptest::option::of(text()),
            ),
            (extra_audiences, scope, jwks_url, introspect_url, introspect_token, required_scope) in (
                proptest::collection::vec(text(), 0..3),
                text(),
                proptest::option::of(text()),
                proptest::option::of(text()),
                proptest::option::of(text()),
                text(),
            ),
            (jwks_refetch_interval, machine, store_rtt, admin_token_file, configured, cors_origins) in (
                duration(),
                proptest::option::of((1u32.., duration())),
                proptest::option::of(duration()),
                proptest::option::of("[-a-zA-Z0-9/ ._=]{1,16}".prop_map(PathBuf::from)),
                any::<bool>(),
                proptest::collection::vec(text(), 0..3),
            ),
        ) -> NodeOptions {
            NodeOptions {
                strategy, listen, node_name, seed, users, password_hash,
                store, redis_urls, key_prefix, cleanup_on_exit, pg_schema, pool, ttl, payload_bytes, max_memory, purge_interval, secure_cookie,
                algorithm, keys, refresh_ttl, revocation, claims_bytes, leeway, issuer, audience,
                extra_audiences, scope, jwks_url, introspect_url, introspect_token, required_scope,
                jwks_refetch_interval,
                workers: machine.map(|m| m.0),
                service_time: machine.map(|m| m.1),
                store_rtt, admin_token_file, configured, cors_origins,
            }
        }
    }

    proptest! {
        /// Whatever options the supervisor or the attack lab build, the node parses the same back.
        #[test]
        fn parsing_to_args_gives_back_the_same_options(options in options()) {
            let args = options.to_args();
            let parsed = NodeOptions::parse_args(&args);
            prop_assert!(parsed.is_ok(), "{args:?}: {:?}", parsed.err());
            prop_assert_eq!(parsed.ok(), Some(options));
        }
    }
}
