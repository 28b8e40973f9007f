//! One auth node: an axum server for the `session` or `token` strategy, run as its own process.
//!
//! [`Node::build`] makes the server from a [`NodeConfig`] (or a [`NodeSetup`], which adds a
//! simulated machine and the admin API); [`run`] binds it, prints its base URL as the first line on
//! stdout, and serves until SIGTERM or Ctrl-C. [`NodeOptions`] is its command line (parsed, and
//! written back for a child process), and [`spawn_node`] starts one as a child process.

mod admin;
pub mod configure;
mod connections;
mod cors;
mod csrf;
mod error;
mod introspect;
pub mod login;
pub mod metrics;
pub mod options;
pub mod process;
mod resource;
mod session;
pub mod simulation;
mod token;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::token::keys::Alg;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use admin::{AdminToken, TokenFileError, read_token_file};
pub use configure::{Configuration, PrivateJwks};
pub use cors::{CorsError, CorsOrigins};
pub use error::{ApiError, json_error};
pub use introspect::form_token;
use login::PasswordChecker;
use metrics::NodeMetrics;
pub use options::{NodeOptions, NodeOptionsError, NodeStrategy};
pub use process::{NodeChild, NodeStderr, SpawnError, spawn_node};
pub use resource::{ResourceError, ResourceOptions};
pub use simulation::{SimulatedWorkers, Simulation};

use crate::session_store::{
    MemoryStore, PgSessionStore, PostgresStoreError, RedisSessionStore, RedisStoreError, RedisTarget, postgres,
};
use crate::token::access::{TokenAuthority, TokenPolicy};
use crate::token::keys::{KeyError, KeySet};
use crate::token::refresh::RefreshFamilies;
use crate::users::{PasswordHashKind, UserDirectory};

/// The largest request body a node reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a node is, as the lab's user chose it: its strategy and its users. [`NodeSetup`] adds
/// what the lab's supervisor controls. Serialized, it is what `POST /admin/configure` hands a node
/// the lab did not start ([`Configuration`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NodeConfig {
    /// `--listen`: the address to bind; port 0 picks a free port ([`run`] prints the one it got).
    pub listen: SocketAddr,
    /// A label for logs and `/healthz`.
    pub name: String,
    /// `--seed`: the user directory's seed; nodes with the same seed and count know the same
    /// users with the same passwords.
    pub seed: u64,
    /// `--users`: accounts in the directory, 1 to [`crate::users::MAX_USERS`].
    pub users: u32,
    /// `--password-hash`: how the directory stores and checks passwords (argon2id or sha256).
    pub password_hash: PasswordHashKind,
    /// `--strategy`, with that kind of node's own options.
    pub strategy: Strategy,
}

/// Everything a node is started with: its [`NodeConfig`], plus the simulated machine it runs as
/// and the token of its admin API. A plain `NodeConfig` converts into one with both off.
#[derive(Debug, Clone)]
pub struct NodeSetup {
    /// What the node is: its address, users and strategy.
    pub config: NodeConfig,
    /// Off by default: the node runs at this machine's raw speed.
    pub simulation: Simulation,
    /// `--admin-token-file` or `AUTHLAB_ADMIN_TOKEN`: without it, the `/admin/...` routes do not
    /// exist.
    pub admin_token: Option<AdminToken>,
    /// With an admin token and without `--configured`: the node serves nothing but `/healthz` and
    /// the admin API until `POST /admin/configure` hands it its run's configuration.
    pub wait_for_configuration: bool,
    /// `--cors-origin`: which other origins' pages a browser lets call the node (default: the
    /// strategy's own, see [`CorsOrigins`]).
    pub cors: CorsOrigins,
    /// `--introspect-token`, session nodes: without it, `POST /introspect` does not exist.
    pub introspect_token: Option<AdminToken>,
}

impl From<NodeConfig> for NodeSetup {
    fn from(config: NodeConfig) -> Self {
        Self {
            config,
            simulation: Simulation::default(),
            admin_token: None,
            wait_for_configuration: false,
            cors: CorsOrigins::default(),
            introspect_token: None,
        }
    }
}

impl NodeSetup {
    /// The prefix of the node's Redis keys, if it keeps its sessions in Redis.
    pub fn redis_key_prefix(&self) -> Option<&str> {
        match &self.config.strategy {
            Strategy::Session(SessionOptions { store: StoreChoice::Redis { .. }, key_prefix, .. }) => Some(key_prefix),
            _ => None,
        }
    }
}

impl std::ops::Deref for NodeSetup {
    type Target = NodeConfig;

    fn deref(&self) -> &NodeConfig {
        &self.config
    }
}

/// Which kind of node this is (`--strategy`), with that kind's options.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Server-side sessions: login stores a session (in memory or Redis) and sets a `sid` cookie
    /// that names it; every request looks it up.
    Session(SessionOptions),
    /// Signed JWT access tokens, checked by their signature (and, with a denylist, their `jti`),
    /// plus refresh tokens unless `--refresh-ttl 0`.
    Token(TokenOptions),
    /// A second service that issues nothing and asks the issuer about its callers.
    Resource(ResourceOptions),
}

impl Strategy {
    /// `session`, `token` or `resource`: as in `--strategy`, `/healthz` and `/metrics`.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Session(_) => "session",
            Strategy::Token(_) => "token",
            Strategy::Resource(_) => "resource",
        }
    }
}

/// Where a session node keeps its sessions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreChoice {
    /// `--store memory`: in this node's own memory, metered for `/metrics`; other nodes cannot
    /// see these sessions, and they die with the node.
    Memory,
    /// `--store redis://...`, or `--store redis-cluster --redis-url URL...`: in Redis (one
    /// server or a Redis Cluster), which the session nodes of a run share.
    Redis {
        /// The server's URL, as `--store` gave it, or the cluster's seed nodes (`--redis-url`).
        target: RedisTarget,
    },
    /// `--store postgres://...`: in a PostgreSQL database, in a run's schema the nodes share.
    Postgres {
        /// The `postgres://` URL, as `--store` gave it.
        url: String,
        /// `--pg-schema`: the run's schema, made beforehand; `None`: one of the node's own.
        schema: Option<String>,
        /// `--pool`: the connections the node keeps open.
        pool: u32,
    },
}

/// How a session node keeps its sessions and the cookie naming them (the "Session strategy" flags).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionOptions {
    /// `--store`: where the sessions live.
    pub store: StoreChoice,
    /// Every Redis key of this node starts with it.
    pub key_prefix: String,
    /// On shutdown, delete every Redis key under `key_prefix`, and only those.
    pub cleanup_on_exit: bool,
    /// `--ttl`: how long a session lives after the login that wrote it (reads do not extend it);
    /// default 30 min.
    pub ttl: Duration,
    /// `--payload-bytes`: bytes of filler user data stored in each session at login.
    pub payload_bytes: usize,
    /// Memory store only: evict the oldest sessions beyond this many bytes.
    pub max_memory: Option<u64>,
    /// Memory store only: how often expired sessions are purged (`--purge-interval`, at least 10 ms).
    pub purge_interval: Duration,
    /// `--secure-cookie`: the `sid` cookie gets the `Secure` attribute (browsers then send it over
    /// HTTPS only).
    pub secure_cookie: bool,
}

/// Where a token node's keys come from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// A fresh random key of this algorithm at every start, kept only in memory (`--algorithm`).
    Generate(Alg),
    /// A JWK Set file with private keys; the first key signs.
    File(PathBuf),
    /// A JWK Set of private keys handed over by `POST /admin/configure`; the first key signs.
    Jwks(PrivateJwks),
}

/// How a token node signs, checks and refreshes tokens (the "Token strategy" flags).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TokenOptions {
    /// `--keys` or `--algorithm`: the signing keys.
    pub keys: KeySource,
    /// What the access tokens say and how long they live: issuer, audiences, scope, TTL, leeway,
    /// padding.
    pub policy: TokenPolicy,
    /// `--refresh-ttl`: how long a refresh token lives; zero issues none, and the node then keeps
    /// nothing per login.
    pub refresh_ttl: Duration,
    /// Whether logout puts the token's `jti` on a denylist.
    pub denylist: bool,
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The listen address could not be bound (in use, not this machine's, ...).
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// `--listen`.
        addr: SocketAddr,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// `--keys`: the key file could not be read.
    #[error("cannot read key file {path}: {reason}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// `--keys`: the file is not a JWK Set of usable private keys.
    #[error("key file {path}: {reason}")]
    BadKeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with its keys.
        reason: KeyError,
    },
    /// A signing key of `--algorithm` could not be generated.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// `--store redis://...`: Redis did not answer when the node started.
    #[error(transparent)]
    Redis(#[from] RedisStoreError),
    /// `--store postgres://...`: PostgreSQL did not answer, or the schema could not be made.
    #[error(transparent)]
    Postgres(#[from] PostgresStoreError),
    /// A resource node's options do not make a node (no issuer to ask, a bad URL, ...).
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// [`SimulatedWorkers::count`] is 0.
    #[error("a simulated machine needs at least one worker")]
    NoWorkers,
    /// Printing the base URL, or serving, failed.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// What every strategy's handlers share.
struct Shared {
    name: String,
    metrics: Arc<NodeMetrics>,
    passwords: PasswordChecker,
}

/// The strategy-specific state that `/metrics` reads.
enum Holdings {
    Memory(MemoryStore),
    Redis,
    /// The count of failed expiry sweeps.
    Postgres(Arc<AtomicU64>),
    Token(Arc<token::TokenState>),
    Resource(Arc<resource::ResourceState>),
}

impl Holdings {
    fn gauges(&self) -> Vec<metrics::Gauge> {
        match self {
            Holdings::Memory(store) => session::gauges(Some(store)),
            Holdings::Redis => session::gauges(None),
            Holdings::Postgres(sweep_errors) => {
                let mut gauges = session::gauges(None);
                gauges.push(metrics::Gauge::counter(
                    "authlab_store_sweep_errors_total",
                    "Sweeps of expired sessions the database refused (the sweep keeps running).",
                    sweep_errors.load(std::sync::atomic::Ordering::Relaxed) as f64,
                ));
                gauges
            }
            Holdings::Token(state) => state.gauges(),
            Holdings::Resource(state) => state.gauges(),
        }
    }
}

struct CommonState {
    name: String,
    strategy: &'static str,
    metrics: Arc<NodeMetrics>,
    holdings: Holdings,
    capacity: Arc<simulation::Capacity>,
}

/// A node ready to serve.
pub struct Node {
    router: Router,
    redis: Option<RedisSessionStore>,
    postgres: Option<NodePostgres>,
    cleanup_on_exit: bool,
    background: Vec<JoinHandle<()>>,
    /// The open-connections gauge of `/metrics`, which the listener keeps.
    connections_open: Arc<std::sync::atomic::AtomicU64>,
}

impl Node {
    /// Builds the node: its user directory, its keys or its store (connecting to Redis if asked).
    /// Call it inside a tokio runtime: background purges start at once.
    pub async fn build(setup: impl Into<NodeSetup>) -> Result<Node, NodeError> {
        Self::build_counted(setup.into(), None).await
    }

    /// [`Node::build`], counting open connections in `connections` when the listener is not the
    /// node's own (a configurable node's listener outlives each configuration).
    async fn build_counted(setup: NodeSetup, connections: Option<Arc<AtomicU64>>) -> Result<Node, NodeError> {
        let NodeSetup { config, simulation, admin_token, wait_for_configuration: _, cors, introspect_token } = setup;
        if simulation.workers.is_some_and(|w| w.count == 0) {
            return Err(NodeError::NoWorkers);
        }
        let admin = admin_token.as_ref();
        let mut node_metrics = NodeMetrics::default();
        if let Some(connections) = connections {
            node_metrics.connections_open = connections;
        }
        let metrics = Arc::new(node_metrics);
        let shared = Arc::new(Shared {
            name: config.name.clone(),
            metrics: metrics.clone(),
            passwords: PasswordChecker::new(UserDirectory::new(config.seed, config.users, config.password_hash)),
        });
        let mut node = Node {
            router: Router::new(),
            redis: None,
            postgres: None,
            cleanup_on_exit: false,
            background: Vec::new(),
            connections_open: metrics.connections_open.clone(),
        };
        let (routes, holdings) = match &config.strategy {
            Strategy::Session(options) => match &options.store {
                StoreChoice::Memory => {
                    let max = options.max_memory.map(|b| usize::try_from(b).unwrap_or(usize::MAX));
                    let store = MemoryStore::new(max);
                    node.background.push(store.spawn_purge_task(options.purge_interval));
                    let routes = session::router(store.clone(), options, shared, simulation.store_rtt, admin)
                        .merge(introspection(store.clone(), &metrics, &simulation, introspect_token.as_ref()));
                    (routes, Holdings::Memory(store))
                }
                StoreChoice::Redis { target } => {
                    let store = RedisSessionStore::connect(target, &options.key_prefix).await?;
                    // The user index costs a key per user and a round trip per login: only a node
                    // whose admin API can revoke users keeps it.
                    let store = if admin.is_some() { store.with_user_index() } else { store };
                    node.redis = Some(store.clone());
                    node.cleanup_on_exit = options.cleanup_on_exit;
                    let routes = session::router(store.clone(), options, shared, simulation.store_rtt, admin)
                        .merge(introspection(store, &metrics, &simulation, introspect_token.as_ref()));
                    (routes, Holdings::Redis)
                }
                StoreChoice::Postgres { url, schema, pool } => {
                    let (store, own) = NodePostgres::open(url, schema.as_deref(), *pool, &config.name).await?;
                    let store = if admin.is_some() { store.with_user_index() } else { store };
                    let sweep_errors = Arc::new(AtomicU64::new(0));
                    node.background.push(store.spawn_expiry_sweep(options.purge_interval, sweep_errors.clone()));
                    node.postgres = Some(NodePostgres { store: store.clone(), own });
                    let routes = session::router(store.clone(), options, shared, simulation.store_rtt, admin)
                        .merge(introspection(store, &metrics, &simulation, introspect_token.as_ref()));
                    (routes, Holdings::Postgres(sweep_errors))
                }
            },
            Strategy::Token(options) => {
                let (keys, key_file) = match &options.keys {
                    KeySource::Generate(alg) => (KeySet::generate(*alg)?, None),
                    KeySource::File(path) => {
                        let text = std::fs::read_to_string(path)
                            .map_err(|reason| NodeError::KeyFile { path: path.clone(), reason })?;
                        let keys = KeySet::from_jwks_json(&text)
                            .map_err(|reason| NodeError::BadKeyFile { path: path.clone(), reason })?;
                        (keys, Some(path.clone()))
                    }
                    KeySource::Jwks(jwks) => (KeySet::from_jwks_json(jwks.text())?, None),
                };
                let state = Arc::new(token::TokenState {
                    shared,
                    authority: TokenAuthority::new(keys, options.policy.clone(), options.denylist),
                    refresh: RefreshFamilies::default(),
                    refresh_ttl: options.refresh_ttl,
                    key_file,
                });
                let purging = Arc::downgrade(&state);
                node.background.push(tokio::spawn(async move {
                    let mut ticker = tokio::time::interval(Duration::from_secs(1));
                    while let Some(state) = {
                        ticker.tick().await;
                        purging.upgrade()
                    } {
                        state.purge_expired();
                    }
                }));
                (token::router(state.clone(), admin), Holdings::Token(state))
            }
            Strategy::Resource(options) => {
                let state = resource::ResourceState::start(shared, options.clone()).await?;
                (resource::router(state.clone()), Holdings::Resource(state))
            }
        };
        let capacity = Arc::new(simulation::Capacity::new(&simulation));
        let common = Arc::new(CommonState {
            name: config.name.clone(),
            strategy: config.strategy.name(),
            metrics: metrics.clone(),
            holdings,
            capacity: capacity.clone(),
        });
        node.router = Router::new()
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics_text))
            .with_state(common)
            .merge(routes)
            .fallback(|| async { json_error(StatusCode::NOT_FOUND, "no such route") })
            .layer(middleware::from_fn_with_state(capacity, simulation::hold_a_worker))
            // A refused cross-site request takes no simulated worker (session nodes only).
            .layer(middleware::from_fn_with_state(
                csrf::CrossSiteGuard::new(&config.strategy, &cors),
                csrf::refuse_cross_site,
            ))
            .layer(tower_http::catch_panic::CatchPanicLayer::new())
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(middleware::map_response(errors_as_json))
            .layer(middleware::from_fn_with_state(metrics, count_requests));
        // Outermost: preflights are answered before anything else runs (they are not counted), and
        // every answer, errors included, carries the headers a browser needs to show it to a page.
        let callers = if matches!(config.strategy, Strategy::Session(_)) {
            cors::Credentials::Cookie
        } else {
            cors::Credentials::Bearer
        };
        if let Some(layer) = cors::layer(callers, &cors) {
            node.router = node.router.layer(layer);
        }
        Ok(node)
    }

    /// The node's routes with all their middleware, for serving or for in-process tests.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves on `listener` until `shutdown` completes, then cleans up after itself.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), NodeError> {
        let result = serve_router(self.router.clone(), listener, self.connections_open.clone(), shutdown).await;
        self.close().await;
        result
    }

    /// Stops the node's background tasks and lets go of its store (deleting its Redis keys with
    /// `--cleanup-on-exit`, dropping a PostgreSQL schema of its own).
    async fn close(mut self) {
        for task in &self.background {
            task.abort();
        }
        if let Some(store) = &self.redis {
            if self.cleanup_on_exit {
                match store.delete_own_keys().await {
                    Ok(n) => tracing::info!("deleted {n} Redis keys under {:?}", store.prefix()),
                    Err(e) => tracing::error!("could not delete the Redis keys under {:?}: {e}", store.prefix()),
                }
            }
            store.disconnect().await;
        }
        if let Some(postgres) = &mut self.postgres {
            postgres.close().await;
        }
    }
}

/// Serves `router` (a node's `Router`, or a configurable node's dispatch) on `listener`, counting
/// its connections in `connections`, until `shutdown` completes; then gives open connections a
/// moment, and stops regardless.
async fn serve_router<S>(
    router: S,
    listener: TcpListener,
    connections: Arc<AtomicU64>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), NodeError>
where
    S: tower::Service<axum::extract::Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let graceful = async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    };
    let listener = connections::CountingListener::new(listener, connections);
    let server = axum::serve(listener, axum::ServiceExt::into_make_service(router)).with_graceful_shutdown(graceful);
    let server = tokio::spawn(server.into_future());
    tokio::select! {
        result = server => result.map_err(|e| NodeError::Serve(std::io::Error::other(e)))?.map_err(NodeError::Serve),
        _ = async {
            let _ = stopping_rx.await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        } => Ok(()),
    }
}

/// A session node's PostgreSQL store, and, when the node made its schema itself, the lock that
/// marks it in use: that schema goes when the node exits.
struct NodePostgres {
    store: PgSessionStore,
    own: Option<postgres::SchemaLock>,
}

impl NodePostgres {
    /// Opens the store in `schema`, or in a fresh schema of the node's own (locked, then made).
    /// Each connection is named `{schema} {node name}`, so the run finds the node's backends.
    async fn open(
        url: &str,
        schema: Option<&str>,
        pool: u32,
        node_name: &str,
    ) -> Result<(PgSessionStore, Option<postgres::SchemaLock>), PostgresStoreError> {
        let (schema, own) = match schema {
            Some(schema) => (schema.to_owned(), None),
            None => {
                let schema = postgres::run_schema(&format!("{:016x}", rand::random::<u64>()));
                let lock = postgres::SchemaLock::take(url, &schema).await?;
                (schema, Some(lock))
            }
        };
        let connections = postgres::connect_pool(url, pool, &format!("{schema} {node_name}")).await?;
        if own.is_some() {
            postgres::prepare_schema(&connections, &schema).await?;
        }
        Ok((PgSessionStore::open(connections, &schema)?, own))
    }

    /// Drops the node's own schema (never a run's), then closes the connections.
    async fn close(&mut self) {
        if let Some(lock) = self.own.take() {
            match postgres::drop_schema(self.store.pool(), self.store.schema()).await {
                Ok(()) => tracing::info!("dropped the node's schema {}", self.store.schema()),
                Err(e) => tracing::error!("could not drop the node's schema {}: {e}", self.store.schema()),
            }
            lock.release().await;
        }
        self.store.close().await;
    }
}

/// `POST /introspect` over a session node's store (counted and delayed like the node's own store
/// operations), when the node has an introspection token; otherwise no route.
fn introspection<S: tower_sessions::SessionStore + Clone>(
    store: S,
    metrics: &NodeMetrics,
    simulation: &Simulation,
    token: Option<&AdminToken>,
) -> Router {
    match token {
        Some(token) => {
            let metered = crate::session_store::Metered::new(store, metrics.store_ops.clone())
                .with_round_trip(simulation.store_rtt);
            introspect::router(metered, token)
        }
        None => Router::new(),
    }
}

/// Binds, prints the base URL as the first stdout line, and serves until SIGTERM or Ctrl-C. A
/// node with an admin token serves through [`configure::Configurable`], which `POST
/// /admin/configure` can (re)configure and `POST /admin/crash` aborts.
pub async fn run(setup: impl Into<NodeSetup>) -> Result<(), NodeError> {
    let setup = setup.into();
    let listen = setup.config.listen;
    let node = if setup.admin_token.is_some() {
        Serving::Configurable(configure::Configurable::start(setup).await?)
    } else {
        Serving::Node(Node::build(setup).await?)
    };
    let listener = TcpListener::bind(listen).await.map_err(|reason| NodeError::Bind { addr: listen, reason })?;
    let addr = listener.local_addr().map_err(|reason| NodeError::Bind { addr: listen, reason })?;
    // Before the URL is printed: whoever reads it may send SIGTERM at once.
    let shutdown = shutdown_signal();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", process::url_line(addr)).and_then(|_| stdout.flush()).map_err(NodeError::Serve)?;
    drop(stdout);
    match node {
        Serving::Node(node) => node.serve(listener, shutdown).await,
        Serving::Configurable(node) => node.serve(listener, shutdown).await,
    }
}

/// What [`run`] serves.
enum Serving {
    /// A node without an admin API: its command line is all there is to it.
    Node(Node),
    /// A node with an admin API.
    Configurable(configure::Configurable),
}

/// Completes on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called, not when
/// the future is first polled, so a SIGTERM that comes in between stops the node cleanly instead
/// of killing it. Call it inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = terminate => {},
        }
    }
}

async fn healthz(State(common): State<Arc<CommonState>>) -> Response {
    Json(json!({"status": "ok", "strategy": common.strategy, "node": common.name})).into_response()
}

async fn metrics_text(State(common): State<Arc<CommonState>>) -> Response {
    let mut gauges = common.capacity.gauges();
    gauges.extend(common.holdings.gauges());
    let text = common.metrics.render(&gauges);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// Counts every answered request by matched route and status.
async fn count_requests(State(metrics): State<Arc<NodeMetrics>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    metrics.count_request(route.as_ref().map(MatchedPath::as_str), response.status().as_u16());
    response
}

/// Gives every error a JSON body, including those made by middleware (405, 413, a caught panic,
/// a failed session save), keeping their headers.
async fn errors_as_json(response: Response) -> Response {
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let json = json_error(status, status.canonical_reason().unwrap_or("error"));
    let (json_parts, body) = json.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(json_parts.headers);
    Response::from_parts(parts, body)
}
