//! Starts node processes for a scenario, and kills, adds and restarts them on demand; or, for a
//! strategy with `endpoints`, attaches to nodes the lab did not start ([`super::attached`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Child;

use super::attached::Attached;
use super::endpoints::{Endpoint, Endpoints};
use super::leftovers::{self, AliveMark};
use super::{PrivateCluster, PrivateClusterError, RunDatabase, StoreGate};
use crate::node::{
    Configuration, KeySource, NodeOptions, NodeStderr, NodeStrategy, PrivateJwks, Strategy, TokenFileError, spawn_node,
};
use crate::scenario::{ResourceSpec, Scenario, StoreKind, StrategyName};
use crate::session_store::{PostgresStoreError, RedisSessionStore, RedisStoreError, RedisTarget};
use crate::token::keys::{KeyError, KeySet, algorithm_name};

/// Why the cluster could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The run's private directory, or the key file in it, could not be created or written.
    #[error("cannot prepare the run directory {path}: {reason}")]
    RunDir {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// A node process did not start, printed no base URL, or did not answer `/healthz` with 200
    /// (id `client`: the supervisor's own HTTP client could not be built).
    #[error("cannot start node {id}: {reason}")]
    Spawn {
        /// The node's id (`session/1`, `token-resource/2`, ...).
        id: String,
        /// What went wrong.
        reason: String,
    },
    /// The scenario's Redis did not answer, or a command to it (liveness mark, sweep, key
    /// deletion) failed.
    #[error("the scenario uses Redis, but {0}")]
    Redis(RedisStoreError),
    /// The scenario's PostgreSQL did not answer, would not let the run make its schema, or
    /// failed a statement (sweep, migration, drop).
    #[error("the scenario keeps sessions in PostgreSQL, but {0}")]
    Postgres(PostgresStoreError),
    /// The token strategy's signing keys could not be generated, or read back as JWKs.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// `[cluster] store_machine`: the simulated shared store could not start.
    #[error(transparent)]
    StoreGate(#[from] super::StoreGateError),
    /// `store = "redis-cluster"` without `redis_urls`: the run's private cluster did not start.
    #[error(transparent)]
    PrivateCluster(#[from] PrivateClusterError),
    /// The node number is out of range, or that node is already dead (the id, as `session/3`).
    #[error("there is no node {0}")]
    NoSuchNode(String),
    /// The scenario has no nodes of this strategy (its name).
    #[error("the {0} strategy is not running")]
    NoSuchStrategy(&'static str),
    /// `[cluster] admin_token_file` gives no token.
    #[error("[cluster] admin_token_file: {0}")]
    AdminToken(TokenFileError),
    /// A node of `endpoints` could not be configured for the run.
    #[error("cannot attach to the node at {url}: {reason}")]
    Attach {
        /// The node's base URL, as the scenario or the live view gave it.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// An action that starts a process, asked of a strategy whose nodes are `endpoints`.
    #[error(
        "{action} needs the lab to start a process, and the {strategy} nodes are your own endpoints: crash one with kill_node (its supervisor restarts it) or add one's URL in the live view"
    )]
    Attached {
        /// `add_node` or `restart_node`.
        action: &'static str,
        /// `session` or `token`.
        strategy: &'static str,
    },
    /// An endpoint added to, or removed from, a strategy that runs on the lab's own nodes.
    #[error("the {0} nodes are the lab's own: the endpoint list is for a scenario with [{0}] endpoints")]
    NotAttached(&'static str),
    /// A node's admin API could not be reached, or answered other than 2xx.
    #[error("node {id} refused {what}: {reason}")]
    Admin {
        /// The node's id.
        id: String,
        /// The admin action (`revoke_user`, `reload_keys`).
        what: &'static str,
        /// The transport error, or the status and the node's JSON answer.
        reason: String,
    },
}

/// What the supervisor needs besides the scenario.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// The `authlab` executable that runs nodes (normally the current one).
    pub exe: PathBuf,
    /// Unique to this run: names its directory and its Redis key prefix.
    pub run_id: String,
}

/// A running node process.
#[derive(Debug)]
pub struct NodeProcess {
    /// `session/1`, `token/3`, `session-resource/1`, ...: also the node's `--node-name`.
    pub id: String,
    /// The base URL the node printed, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    child: Child,
}

/// The run's private directory (key file, node logs), removed when the run ends.
#[derive(Debug)]
struct RunDir(PathBuf);

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The nodes of one strategy.
#[derive(Debug)]
struct StrategyCluster {
    /// The options every node of this strategy starts with (each gets its own `--node-name`);
    /// `None` for resource services, which are never added or restarted.
    options: Option<NodeOptions>,
    endpoints: Arc<Endpoints>,
    /// Slot `i` holds node `i + 1`, or `None` once it was killed.
    processes: Vec<Option<NodeProcess>>,
}

/// Owns every node process of a run. Dropping it kills them all (SIGKILL); [`Supervisor::shutdown`]
/// also deletes the run's Redis keys.
pub struct Supervisor {
    config: SupervisorConfig,
    dir: RunDir,
    admin_token: String,
    clusters: BTreeMap<StrategyName, StrategyCluster>,
    /// `[resource]`: each strategy's resource service, which asks that strategy's node 1.
    resources: BTreeMap<StrategyName, StrategyCluster>,
    /// The strategies whose nodes are `endpoints`: the lab's configuration, the user's processes.
    attached: BTreeMap<StrategyName, Attached>,
    redis: Option<RedisSessionStore>,
    /// While the run lives, its mark in Redis: what tells a later sweep its keys are still in use.
    alive: Option<AliveMark>,
    /// `store = "postgres"`: the run's schema.
    database: Option<RunDatabase>,
    /// `store_machine`: the simulated shared store every session node talks through.
    store_gate: Option<StoreGate>,
    /// `store = "redis-cluster"` without `redis_urls`: the run's own cluster (its gates too).
    private_cluster: Option<PrivateCluster>,
    key_prefix: String,
    /// Token strategy: the key file and the private JWKs in it (current key first).
    key_file: Option<PathBuf>,
    keys: Vec<Value>,
    client: reqwest::Client,
}

fn random_hex() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Supervisor {
    /// Starts every node the scenario asks for, in parallel, and waits until each answers
    /// `/healthz`. Fails at once if the scenario needs a Redis that does not answer.
    pub async fn start(scenario: &Scenario, config: SupervisorConfig) -> Result<Self, ClusterError> {
        let path = std::env::temp_dir().join(format!("authlab-run-{}", config.run_id));
        std::fs::create_dir_all(&path).map_err(|reason| ClusterError::RunDir { path: path.clone(), reason })?;
        let dir = RunDir(path);
        let key_prefix = leftovers::run_prefix(&config.run_id);
        let admin_token = random_hex() + &random_hex();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ClusterError::Spawn { id: "client".into(), reason: e.to_string() })?;
        let mut supervisor = Supervisor {
            config,
            dir,
            admin_token,
            clusters: BTreeMap::new(),
            resources: BTreeMap::new(),
            attached: BTreeMap::new(),
            redis: None,
            alive: None,
            database: None,
            store_gate: None,
            private_cluster: None,
            key_prefix,
            key_file: None,
            keys: Vec::new(),
            client,
        };
        match supervisor.start_all(scenario).await {
            Ok(()) => Ok(supervisor),
            Err(e) => {
                // What the run made so far (a schema, keys) goes with it.
                if let Err(cleanup) = supervisor.shutdown().await {
                    tracing::warn!("cleaning up after a failed start: {cleanup}");
                }
                Err(e)
            }
        }
    }

    /// Starts the scenario's stores and nodes (see [`Supervisor::start`]).
    async fn start_all(&mut self, scenario: &Scenario) -> Result<(), ClusterError> {
        // What resource nodes present to the session nodes' introspection endpoint.
        let introspect_token = random_hex() + &random_hex();
        // The simulated machine every node runs as, resource nodes too.
        let machine = scenario.cluster.machine;
        let on_machine = |mut options: NodeOptions| {
            if let Some(machine) = machine {
                options.workers = Some(machine.workers);
                options.service_time = Some(machine.service_time);
            }
            options
        };
        // The admin token reaches the nodes in a file only this user reads, never on a command line.
        let token_file = self.dir.0.join("admin-token");
        crate::node::process::write_private(&token_file, &self.admin_token)
            .map_err(|reason| ClusterError::RunDir { path: token_file.clone(), reason })?;
        let common = |strategy| {
            let mut options = on_machine(NodeOptions::new(strategy));
            options.seed = scenario.seed;
            options.users = scenario.users.count;
            options.password_hash = scenario.users.password_hash;
            options.admin_token_file = Some(token_file.clone());
            options.configured = true;
            options
        };

        if let Some(session) = &scenario.session {
            let mut options = common(NodeStrategy::Session);
            options.ttl = Some(session.ttl);
            options.payload_bytes = session.payload_bytes;
            if scenario.resource.is_some() {
                options.introspect_token = Some(introspect_token.clone());
            }
            match session.store {
                StoreKind::Memory => {
                    options.store = "memory".into();
                    options.max_memory = session.max_memory;
                }
                StoreKind::Redis | StoreKind::RedisCluster => {
                    let target = match (session.store, session.redis_urls.is_empty()) {
                        (StoreKind::Redis, _) => RedisTarget::Server(session.redis_url.clone()),
                        (_, false) => RedisTarget::Cluster(session.redis_urls.clone()),
                        (_, true) => {
                            let machine = scenario.cluster.store_machine;
                            let cluster = PrivateCluster::start(session.primaries, machine, &self.dir.0).await?;
                            let seeds = cluster.seeds.clone();
                            self.private_cluster = Some(cluster);
                            RedisTarget::Cluster(seeds)
                        }
                    };
                    let redis =
                        RedisSessionStore::connect(&target, &self.key_prefix).await.map_err(ClusterError::Redis)?;
                    // Marked alive before any key of this run exists, so no sweep takes its keys.
                    let alive = AliveMark::set(redis.client(), &self.config.run_id).await;
                    self.alive = Some(alive.map_err(ClusterError::Redis)?);
                    let swept = leftovers::sweep_dead_runs(&redis.client()).await.map_err(ClusterError::Redis)?;
                    if !swept.runs.is_empty() {
                        tracing::info!(
                            "deleted {} Redis keys left by {} runs that are no longer alive: {}",
                            swept.keys,
                            swept.runs.len(),
                            swept.runs.join(", ")
                        );
                    }
                    self.redis = Some(redis);
                    options.store = match (&target, scenario.cluster.store_machine) {
                        (RedisTarget::Cluster(seeds), _) => {
                            // A private cluster's seeds are its gates already, if it has any.
                            options.redis_urls = seeds.clone();
                            "redis-cluster".into()
                        }
                        (RedisTarget::Server(_), Some(machine)) => {
                            let gate = StoreGate::start(&session.redis_url, machine).await?;
                            let url = gate.url.clone();
                            self.store_gate = Some(gate);
                            url
                        }
                        (RedisTarget::Server(url), None) => url.clone(),
                    };
                    options.key_prefix = Some(self.key_prefix.clone());
                    options.store_rtt = scenario.cluster.store_rtt;
                }
                StoreKind::Postgres => {
                    // The schema is made here, once: the nodes only open it.
                    let database = RunDatabase::start(&session.postgres_url, &self.config.run_id)
                        .await
                        .map_err(ClusterError::Postgres)?;
                    options.store = session.postgres_url.clone();
                    options.pg_schema = Some(database.schema().to_owned());
                    options.pool = session.pool;
                    options.store_rtt = scenario.cluster.store_rtt;
                    self.database = Some(database);
                }
            }
            match session.endpoints.as_slice() {
                [] => self.add_cluster(StrategyName::Session, options, session.nodes),
                urls => self.attach(scenario, StrategyName::Session, options, urls).await?,
            }
        }
        if let Some(token) = &scenario.token {
            let keys = KeySet::generate(token.algorithm)?;
            let file: Value = serde_json::from_str(&keys.to_private_jwks_json())
                .map_err(|e| ClusterError::Keys(KeyError::Json(e)))?;
            self.keys = file["keys"].as_array().cloned().unwrap_or_default();
            let key_file = self.dir.0.join("keys.json");
            self.key_file = Some(key_file.clone());
            self.write_key_file()?;
            let mut options = common(NodeStrategy::Token);
            options.keys = Some(key_file);
            options.ttl = Some(token.ttl);
            options.claims_bytes = token.claims_bytes;
            if !token.refresh {
                // Clients that never refresh need no refresh tokens, and the nodes then keep no
                // state per login.
                options.refresh_ttl = Duration::ZERO;
            }
            options.revocation = token.revocation;
            if scenario.resource.is_some() {
                // Tokens are for the resource service too, with the scope it requires.
                options.extra_audiences.push(ResourceSpec::AUDIENCE.into());
                options.scope = format!("profile:read {}", ResourceSpec::SCOPE);
            }
            match token.endpoints.as_slice() {
                [] => self.add_cluster(StrategyName::Token, options, token.nodes),
                urls => self.attach(scenario, StrategyName::Token, options, urls).await?,
            }
        }

        // Every node of every strategy starts at once.
        let mut starting = Vec::new();
        for (&strategy, cluster) in &self.clusters {
            for slot in 0..cluster.processes.len() {
                starting.push((strategy, slot, self.spawn(strategy, slot)));
            }
        }
        let mut started = Vec::new();
        for (strategy, slot, result) in
            futures_util::future::join_all(starting.into_iter().map(|(s, i, f)| async move { (s, i, f.await) })).await
        {
            started.push((strategy, slot, result?));
        }
        for (strategy, slot, process) in started {
            self.install(strategy, slot, process);
        }
        if let Some(resource) = scenario.resource {
            let options = on_machine(NodeOptions::new(NodeStrategy::Resource));
            self.start_resources(resource, options, &introspect_token).await?;
        }
        Ok(())
    }

    /// Starts each strategy's resource service, once its issuer is up: token users' requests are
    /// checked against token/1's JWKS, session users' by asking session/1 (`/introspect`).
    async fn start_resources(
        &mut self,
        resource: ResourceSpec,
        mut options: NodeOptions,
        introspect_token: &str,
    ) -> Result<(), ClusterError> {
        let mut starting = Vec::new();
        for (&strategy, cluster) in &self.clusters {
            let Some(issuer) = cluster.processes.first().and_then(Option::as_ref) else { continue };
            options.audience = Some(ResourceSpec::AUDIENCE.into());
            options.required_scope = ResourceSpec::SCOPE.into();
            (options.introspect_url, options.introspect_token, options.jwks_url) = match strategy {
                StrategyName::Session => {
                    (Some(format!("{}/introspect", issuer.url)), Some(introspect_token.to_owned()), None)
                }
                StrategyName::Token => (None, None, Some(format!("{}/.well-known/jwks.json", issuer.url))),
            };
            for slot in 0..resource.nodes as usize {
                let id = format!("{}-resource/{}", strategy.as_str(), slot + 1);
                let log = self.dir.0.join(format!("{}-resource-{}.log", strategy.as_str(), slot + 1));
                starting.push((strategy, slot, self.launch(id, options.clone(), log)));
            }
        }
        let started =
            futures_util::future::join_all(starting.into_iter().map(|(s, i, f)| async move { (s, i, f.await) })).await;
        for (strategy, slot, result) in started {
            let process = result?;
            let cluster = self.resources.entry(strategy).or_insert_with(|| StrategyCluster {
                options: None,
                endpoints: Arc::default(),
                processes: Vec::new(),
            });
            cluster.endpoints.set(slot, Endpoint::new(process.id.clone(), process.url.clone()));
            cluster.processes.push(Some(process));
        }
        Ok(())
    }

    /// Configures the nodes at `urls` as the lab would start its own with `options` (token nodes
    /// get the run's keys inline), and watches them.
    async fn attach(
        &mut self,
        scenario: &Scenario,
        strategy: StrategyName,
        mut options: NodeOptions,
        urls: &[String],
    ) -> Result<(), ClusterError> {
        let fail = |reason: String| ClusterError::Attach { url: urls.join(", "), reason };
        let path = scenario.cluster.admin_token_file.as_ref().ok_or_else(|| fail("no admin_token_file".into()))?;
        let token = crate::node::read_token_file(path).map_err(ClusterError::AdminToken)?;
        (options.admin_token_file, options.configured) = (None, false);
        let setup = options.into_setup().map_err(|e| fail(e.to_string()))?;
        let mut config = setup.config;
        if let Strategy::Token(token_options) = &mut config.strategy {
            let jwks = serde_json::to_string(&json!({"keys": self.keys})).unwrap_or_default();
            token_options.keys = KeySource::Jwks(PrivateJwks::new(jwks));
        }
        let configuration = Configuration { run_id: self.config.run_id.clone(), config, simulation: setup.simulation };
        let body = serde_json::to_value(&configuration).map_err(|e| fail(e.to_string()))?;
        let run_id = self.config.run_id.clone();
        let attached = Attached::attach(strategy, urls, token, run_id, body, self.client.clone()).await?;
        self.attached.insert(strategy, attached);
        Ok(())
    }

    /// Adds the node at `url` to `strategy`'s endpoints (configured for the run first).
    pub async fn attach_node(&mut self, strategy: StrategyName, url: &str) -> Result<String, ClusterError> {
        let attached = self.attached.get(&strategy).ok_or(ClusterError::NotAttached(strategy.as_str()))?;
        attached.add(url).await
    }

    /// Takes node `number` (from 1) out of `strategy`'s endpoints; its process goes on.
    pub async fn detach_node(&mut self, strategy: StrategyName, number: u32) -> Result<String, ClusterError> {
        let attached = self.attached.get(&strategy).ok_or(ClusterError::NotAttached(strategy.as_str()))?;
        attached.remove(number).await
    }

    /// Whether `strategy`'s nodes are `endpoints` the lab attached to.
    pub fn is_attached(&self, strategy: StrategyName) -> bool {
        self.attached.contains_key(&strategy)
    }

    /// The resource service's nodes for `strategy`'s users, if the scenario has `[resource]`.
    pub fn resource_endpoints(&self, strategy: StrategyName) -> Option<Arc<Endpoints>> {
        self.resources.get(&strategy).map(|c| c.endpoints.clone())
    }

    fn add_cluster(&mut self, strategy: StrategyName, options: NodeOptions, nodes: u32) {
        let processes = (0..nodes).map(|_| None).collect();
        self.clusters
            .insert(strategy, StrategyCluster { options: Some(options), endpoints: Arc::default(), processes });
    }

    fn write_key_file(&self) -> Result<(), ClusterError> {
        let Some(path) = &self.key_file else { return Ok(()) };
        let text = serde_json::to_string_pretty(&json!({"keys": self.keys})).unwrap_or_default();
        crate::node::process::write_private(path, &text)
            .map_err(|reason| ClusterError::RunDir { path: path.clone(), reason })
    }

    fn node_id(strategy: StrategyName, slot: usize) -> String {
        format!("{}/{}", strategy.as_str(), slot + 1)
    }

    /// Starts the process for `slot` of `strategy` and waits until it is ready.
    fn spawn(
        &self,
        strategy: StrategyName,
        slot: usize,
    ) -> impl std::future::Future<Output = Result<NodeProcess, ClusterError>> + use<> {
        let id = Self::node_id(strategy, slot);
        let options = self.clusters.get(&strategy).and_then(|c| c.options.clone());
        let log = self.dir.0.join(format!("{}-{}.log", strategy.as_str(), slot + 1));
        let exe = self.config.exe.clone();
        let client = self.client.clone();
        async move {
            let options = options.ok_or(ClusterError::NoSuchStrategy(strategy.as_str()))?;
            Self::launch_with(exe, client, id, options, log).await
        }
    }

    /// Starts `authlab node` with `options` and `--node-name ID`, logging to `log`, and waits
    /// until it is ready.
    fn launch(
        &self,
        id: String,
        options: NodeOptions,
        log: PathBuf,
    ) -> impl std::future::Future<Output = Result<NodeProcess, ClusterError>> + use<> {
        Self::launch_with(self.config.exe.clone(), self.client.clone(), id, options, log)
    }

    async fn launch_with(
        exe: PathBuf,
        client: reqwest::Client,
        id: String,
        mut options: NodeOptions,
        log: PathBuf,
    ) -> Result<NodeProcess, ClusterError> {
        let fail = |reason: String| ClusterError::Spawn { id: id.clone(), reason };
        options.node_name = id.clone();
        let node = spawn_node(&exe, &options.to_args(), NodeStderr::Log(log)).await.map_err(|e| fail(e.to_string()))?;
        let (mut child, url) = node.into_parts();
        let healthy = client.get(format!("{url}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
        if !healthy {
            let _ = child.start_kill();
            return Err(fail(format!("{url}/healthz did not answer 200")));
        }
        Ok(NodeProcess { id, url, child })
    }

    fn install(&mut self, strategy: StrategyName, slot: usize, process: NodeProcess) {
        if let Some(cluster) = self.clusters.get_mut(&strategy) {
            cluster.endpoints.set(slot, Endpoint::new(process.id.clone(), process.url.clone()));
            if slot < cluster.processes.len() {
                cluster.processes[slot] = Some(process);
            } else {
                cluster.processes.push(Some(process));
            }
        }
    }

    /// The strategies this run has clusters for.
    pub fn strategies(&self) -> Vec<StrategyName> {
        let mut strategies: Vec<StrategyName> = self.clusters.keys().chain(self.attached.keys()).copied().collect();
        strategies.sort();
        strategies
    }

    /// The load balancer's view of a strategy's nodes.
    pub fn endpoints(&self, strategy: StrategyName) -> Option<Arc<Endpoints>> {
        let own = self.clusters.get(&strategy).map(|c| c.endpoints.clone());
        own.or_else(|| self.attached.get(&strategy).map(Attached::endpoints))
    }

    /// The run's Redis store handle (for key counts and `used_memory`), if it uses Redis.
    pub fn redis(&self) -> Option<&RedisSessionStore> {
        self.redis.as_ref()
    }

    /// The run's PostgreSQL schema (for its rows, size and load), if it keeps sessions there.
    pub fn database(&self) -> Option<&RunDatabase> {
        self.database.as_ref()
    }

    fn slot(&self, strategy: StrategyName, number: u32) -> Result<usize, ClusterError> {
        let cluster = self.clusters.get(&strategy).ok_or(ClusterError::NoSuchStrategy(strategy.as_str()))?;
        let slot = (number as usize).checked_sub(1).filter(|&s| s < cluster.processes.len());
        slot.ok_or_else(|| ClusterError::NoSuchNode(format!("{}/{number}", strategy.as_str())))
    }

    /// Kills node `number` (from 1) with SIGKILL: a real crash, no goodbye.
    /// Endpoints: crashes the node through its admin API instead ([`Attached::kill`]).
    pub async fn kill_node(&mut self, strategy: StrategyName, number: u32) -> Result<String, ClusterError> {
        if let Some(attached) = self.attached.get(&strategy) {
            return attached.kill(number).await;
        }
        let slot = self.slot(strategy, number)?;
        let cluster = self.clusters.get_mut(&strategy).ok_or(ClusterError::NoSuchStrategy(strategy.as_str()))?;
        let id = Self::node_id(strategy, slot);
        let Some(mut process) = cluster.processes[slot].take() else {
            return Err(ClusterError::NoSuchNode(format!("{id} (already dead)")));
        };
        let _ = process.child.start_kill();
        let _ = process.child.wait().await;
        if let Some(endpoint) = cluster.endpoints.get(slot) {
            endpoint.set_dead();
        }
        Ok(format!("{id} killed (SIGKILL)"))
    }

    /// Starts one more node of `strategy`; returns its id.
    pub async fn add_node(&mut self, strategy: StrategyName) -> Result<String, ClusterError> {
        if self.is_attached(strategy) {
            return Err(ClusterError::Attached { action: "add_node", strategy: strategy.as_str() });
        }
        let slot = self.clusters.get(&strategy).ok_or(ClusterError::NoSuchStrategy(strategy.as_str()))?.processes.len();
        if let Some(cluster) = self.clusters.get_mut(&strategy) {
            cluster.processes.push(None);
        }
        match self.spawn(strategy, slot).await {
            Ok(process) => {
                let id = process.id.clone();
                self.install(strategy, slot, process);
                Ok(format!("{id} added"))
            }
            Err(e) => {
                if let Some(cluster) = self.clusters.get_mut(&strategy) {
                    cluster.processes.pop();
                }
                Err(e)
            }
        }
    }

    /// Kills node `number` if it runs, and starts a fresh process in its place (new port, empty memory).
    pub async fn restart_node(&mut self, strategy: StrategyName, number: u32) -> Result<String, ClusterError> {
        if self.is_attached(strategy) {
            return Err(ClusterError::Attached { action: "restart_node", strategy: strategy.as_str() });
        }
        let slot = self.slot(strategy, number)?;
        if self.clusters.get(&strategy).is_some_and(|c| c.processes[slot].is_some()) {
            self.kill_node(strategy, number).await?;
        }
        let process = self.spawn(strategy, slot).await?;
        let id = process.id.clone();
        self.install(strategy, slot, process);
        Ok(format!("{id} restarted"))
    }

    /// POSTs an admin request to every live node of `strategy`; returns each answer.
    async fn admin(
        &self,
        strategy: StrategyName,
        path: &str,
        what: &'static str,
        body: Value,
    ) -> Result<Vec<Value>, ClusterError> {
        let (nodes, token): (Vec<(String, String)>, &str) = match self.attached.get(&strategy) {
            Some(attached) => (attached.live(), attached.token()),
            None => {
                let cluster = self.clusters.get(&strategy).ok_or(ClusterError::NoSuchStrategy(strategy.as_str()))?;
                let live = cluster.processes.iter().flatten().map(|p| (p.id.clone(), p.url.clone())).collect();
                (live, &self.admin_token)
            }
        };
        let mut answers = Vec::new();
        for (id, url) in &nodes {
            let fail = |reason: String| ClusterError::Admin { id: id.clone(), what, reason };
            let response = self
                .client
                .post(format!("{url}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .map_err(|e| fail(e.to_string()))?;
            let status = response.status();
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                return Err(fail(format!("{status}: {answer}")));
            }
            answers.push(answer);
        }
        Ok(answers)
    }

    /// Logs `user` out everywhere `strategy` keeps state: session nodes delete the user's
    /// sessions; token nodes revoke the user's refresh tokens and, with a denylist, deny the
    /// user's access tokens issued until now. Returns what was revoked.
    pub async fn revoke_user(&self, strategy: StrategyName, user: &str) -> Result<String, ClusterError> {
        let answers = self.admin(strategy, "/admin/revoke_user", "revoke_user", json!({"user": user})).await?;
        let revoked: u64 = answers.iter().filter_map(|a| a["revoked"].as_u64()).sum();
        Ok(match strategy {
            StrategyName::Session => format!("{user}: {revoked} sessions deleted"),
            StrategyName::Token if answers.iter().all(|a| a["access_tokens_refused"] == true) => {
                format!("{user}: tokens issued until now denied on {} nodes", answers.len())
            }
            StrategyName::Token => {
                format!(
                    "{user}: {revoked} refresh families revoked; no denylist, so access tokens work until they expire"
                )
            }
        })
    }

    /// Rotates the token cluster's signing key: a new key signs from now on, and the old keys
    /// keep verifying until [`Supervisor::retire_old_keys`].
    pub async fn rotate_key(&mut self) -> Result<String, ClusterError> {
        let alg = self.keys.first().and_then(|k| k["alg"].as_str()).unwrap_or("HS256").to_owned();
        let alg = crate::token::keys::parse_algorithm(&alg)?;
        let fresh: Value = serde_json::from_str(&KeySet::generate(alg)?.to_private_jwks_json())
            .map_err(|e| ClusterError::Keys(KeyError::Json(e)))?;
        let new_key = fresh["keys"][0].clone();
        let kid = new_key["kid"].as_str().unwrap_or_default().to_owned();
        self.keys.insert(0, new_key);
        self.write_key_file()?;
        self.admin(StrategyName::Token, "/admin/reload_keys", "reload_keys", json!({})).await?;
        Ok(format!("{} key {kid} now signs; {} older key(s) still verify", algorithm_name(alg), self.keys.len() - 1))
    }

    /// Drops every key but the current one, once no token signed with them can still be valid.
    pub async fn retire_old_keys(&mut self) -> Result<String, ClusterError> {
        let retired = self.keys.len().saturating_sub(1);
        self.keys.truncate(1);
        self.write_key_file()?;
        self.admin(StrategyName::Token, "/admin/reload_keys", "reload_keys", json!({})).await?;
        Ok(format!("{retired} old key(s) retired"))
    }

    /// Notices nodes whose process ended on its own (a crash), and what happened to the attached
    /// nodes (down, back, configured again); returns a line for each.
    pub fn reap_exited(&mut self) -> Vec<String> {
        let mut gone: Vec<String> = self.attached.values().flat_map(Attached::take_reports).collect();
        for cluster in self.clusters.values_mut().chain(self.resources.values_mut()) {
            for (slot, entry) in cluster.processes.iter_mut().enumerate() {
                let Some(status) = entry.as_mut().and_then(|p| p.child.try_wait().ok().flatten()) else { continue };
                if let Some(process) = entry.take() {
                    if let Some(endpoint) = cluster.endpoints.get(slot) {
                        endpoint.set_dead();
                    }
                    let log = std::fs::read_to_string(self.dir.0.join(format!("{}.log", process.id.replace('/', "-"))))
                        .unwrap_or_default();
                    let tail: Vec<&str> = log.lines().rev().take(5).collect();
                    let tail: Vec<&str> = tail.into_iter().rev().collect();
                    gone.push(format!(
                        "{} exited on its own ({status}); last log lines: {}",
                        process.id,
                        tail.join(" / ")
                    ));
                }
            }
        }
        gone
    }

    /// Kills every node, then deletes the run's Redis keys or drops its PostgreSQL schema (and
    /// only those); returns how many Redis keys went.
    /// Attached nodes are left running, configured for the run, and no longer watched.
    pub async fn shutdown(mut self) -> Result<u64, ClusterError> {
        for attached in self.attached.values() {
            attached.stop();
        }
        for cluster in self.clusters.values_mut().chain(self.resources.values_mut()) {
            for process in cluster.processes.iter_mut().filter_map(Option::take) {
                let mut child = process.child;
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
            for endpoint in cluster.endpoints.snapshot() {
                endpoint.set_dead();
            }
        }
        let mut deleted = 0;
        if let Some(redis) = self.redis.take() {
            deleted = redis.delete_own_keys().await.map_err(ClusterError::Redis)?;
            if let Some(alive) = self.alive.take() {
                alive.remove().await;
            }
            redis.disconnect().await;
        }
        if let Some(database) = self.database.take() {
            database.shutdown().await.map_err(ClusterError::Postgres)?;
        }
        // The run's own cluster goes last: its keys went above, through the same clients.
        self.private_cluster = None;
        Ok(deleted)
    }

    /// The directory holding this run's key file and node logs.
    pub fn run_dir(&self) -> &Path {
        &self.dir.0
    }
}
