//! Starts node processes for a scenario, and kills, adds and restarts them on demand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::StoreGate;
use super::endpoints::{Endpoint, Endpoints};
use super::leftovers::{self, AliveMark};
use crate::scenario::{ResourceSpec, Scenario, StoreKind, StrategyName};
use crate::session_store::{RedisSessionStore, RedisStoreError};
use crate::token::keys::{KeyError, KeySet, algorithm_name};

/// How long a node may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the cluster could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot prepare the run directory {path}: {reason}")]
    RunDir { path: PathBuf, reason: std::io::Error },
    #[error("cannot start node {id}: {reason}")]
    Spawn { id: String, reason: String },
    #[error("the scenario uses Redis, but {0}")]
    Redis(RedisStoreError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    StoreGate(#[from] super::StoreGateError),
    #[error("there is no node {0}")]
    NoSuchNode(String),
    #[error("the {0} strategy is not running")]
    NoSuchStrategy(&'static str),
    #[error("node {id} refused {what}: {reason}")]
    Admin { id: String, what: &'static str, reason: String },
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
    pub id: String,
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
    /// Arguments every node of this strategy gets (after `node`).
    args: Vec<String>,
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
    redis: Option<RedisSessionStore>,
    /// While the run lives, its mark in Redis: what tells a later sweep its keys are still in use.
    alive: Option<AliveMark>,
    /// `store_machine`: the simulated shared store every session node talks through.
    store_gate: Option<StoreGate>,
    key_prefix: String,
    /// Token strategy: the key file and the private JWKs in it (current key first).
    key_file: Option<PathBuf>,
    keys: Vec<Value>,
    client: reqwest::Client,
}

fn duration_arg(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
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
            redis: None,
            alive: None,
            store_gate: None,
            key_prefix,
            key_file: None,
            keys: Vec::new(),
            client,
        };

        // What resource nodes present to the session nodes' introspection endpoint.
        let introspect_token = random_hex() + &random_hex();
        let mut machine_args = Vec::new();
        if let Some(machine) = scenario.cluster.machine {
            machine_args.extend([
                "--workers".to_string(),
                machine.workers.to_string(),
                "--service-time".into(),
                duration_arg(machine.service_time),
            ]);
        }
        let mut common = vec![
            "--seed".to_string(),
            scenario.seed.to_string(),
            "--users".into(),
            scenario.users.count.to_string(),
            "--password-hash".into(),
            scenario.users.password_hash.to_string(),
            "--admin-token".into(),
            supervisor.admin_token.clone(),
        ];
        common.extend(machine_args.iter().cloned());

        if let Some(session) = &scenario.session {
            let mut args = vec!["--strategy".to_string(), "session".into()];
            args.extend(common.iter().cloned());
            args.extend(["--ttl".into(), duration_arg(session.ttl)]);
            args.extend(["--payload-bytes".into(), session.payload_bytes.to_string()]);
            if scenario.resource.is_some() {
                args.extend(["--introspect-token".into(), introspect_token.clone()]);
            }
            match session.store {
                StoreKind::Memory => {
                    args.extend(["--store".into(), StoreKind::Memory.name().into()]);
                    if let Some(max) = session.max_memory {
                        args.extend(["--max-memory".into(), max.to_string()]);
                    }
                }
                StoreKind::Redis => {
                    let redis = RedisSessionStore::connect(&session.redis_url, &supervisor.key_prefix)
                        .await
                        .map_err(ClusterError::Redis)?;
                    // Marked alive before any key of this run exists, so no sweep takes its keys.
                    let alive = AliveMark::set(redis.client(), &supervisor.config.run_id).await;
                    supervisor.alive = Some(alive.map_err(ClusterError::Redis)?);
                    let swept = leftovers::sweep_dead_runs(&redis.client()).await.map_err(ClusterError::Redis)?;
                    if !swept.runs.is_empty() {
                        tracing::info!(
                            "deleted {} Redis keys left by {} runs that are no longer alive: {}",
                            swept.keys,
                            swept.runs.len(),
                            swept.runs.join(", ")
                        );
                    }
                    supervisor.redis = Some(redis);
                    let store_url = match scenario.cluster.store_machine {
                        Some(machine) => {
                            let gate = StoreGate::start(&session.redis_url, machine).await?;
                            let url = gate.url.clone();
                            supervisor.store_gate = Some(gate);
                            url
                        }
                        None => session.redis_url.clone(),
                    };
                    args.extend(["--store".into(), store_url]);
                    args.extend(["--key-prefix".into(), supervisor.key_prefix.clone()]);
                    if let Some(rtt) = scenario.cluster.store_rtt {
                        args.extend(["--store-rtt".into(), duration_arg(rtt)]);
                    }
                }
            }
            supervisor.add_cluster(StrategyName::Session, args, session.nodes);
        }
        if let Some(token) = &scenario.token {
            let keys = KeySet::generate(token.algorithm)?;
            let file: Value = serde_json::from_str(&keys.to_private_jwks_json())
                .map_err(|e| ClusterError::Keys(KeyError::Json(e)))?;
            supervisor.keys = file["keys"].as_array().cloned().unwrap_or_default();
            let key_file = supervisor.dir.0.join("keys.json");
            supervisor.key_file = Some(key_file.clone());
            supervisor.write_key_file()?;
            let mut args = vec!["--strategy".to_string(), "token".into()];
            args.extend(common.iter().cloned());
            args.extend(["--keys".into(), key_file.display().to_string()]);
            args.extend(["--ttl".into(), duration_arg(token.ttl)]);
            args.extend(["--claims-bytes".into(), token.claims_bytes.to_string()]);
            if !token.refresh {
                // Clients that never refresh need no refresh tokens, and the nodes then keep no
                // state per login.
                args.extend(["--refresh-ttl".into(), "0s".into()]);
            }
            args.extend(["--revocation".into(), token.revocation.name().into()]);
            if scenario.resource.is_some() {
                // Tokens are for the resource service too, with the scope it requires.
                args.extend(["--extra-audience".into(), ResourceSpec::AUDIENCE.into()]);
                args.extend(["--scope".into(), format!("profile:read {}", ResourceSpec::SCOPE)]);
            }
            supervisor.add_cluster(StrategyName::Token, args, token.nodes);
        }

        // Every node of every strategy starts at once.
        let mut starting = Vec::new();
        for (&strategy, cluster) in &supervisor.clusters {
            for slot in 0..cluster.processes.len() {
                starting.push((strategy, slot, supervisor.spawn(strategy, slot)));
            }
        }
        let mut started = Vec::new();
        for (strategy, slot, result) in
            futures_util::future::join_all(starting.into_iter().map(|(s, i, f)| async move { (s, i, f.await) })).await
        {
            started.push((strategy, slot, result?));
        }
        for (strategy, slot, process) in started {
            supervisor.install(strategy, slot, process);
        }
        if let Some(resource) = scenario.resource {
            supervisor.start_resources(resource, &machine_args, &introspect_token).await?;
        }
        Ok(supervisor)
    }

    /// Starts each strategy's resource service, once its issuer is up: token users' requests are
    /// checked against token/1's JWKS, session users' by asking session/1 (`/introspect`).
    async fn start_resources(
        &mut self,
        resource: ResourceSpec,
        machine_args: &[String],
        introspect_token: &str,
    ) -> Result<(), ClusterError> {
        let mut starting = Vec::new();
        for (&strategy, cluster) in &self.clusters {
            let Some(issuer) = cluster.processes.first().and_then(Option::as_ref) else { continue };
            let mut args = vec!["--strategy".to_string(), "resource".into()];
            args.extend(machine_args.iter().cloned());
            args.extend(["--audience".into(), ResourceSpec::AUDIENCE.into()]);
            args.extend(["--required-scope".into(), ResourceSpec::SCOPE.into()]);
            match strategy {
                StrategyName::Session => args.extend([
                    "--introspect-url".into(),
                    format!("{}/introspect", issuer.url),
                    "--introspect-token".into(),
                    introspect_token.to_owned(),
                ]),
                StrategyName::Token => {
                    args.extend(["--jwks-url".into(), format!("{}/.well-known/jwks.json", issuer.url)])
                }
            }
            for slot in 0..resource.nodes as usize {
                let id = format!("{}-resource/{}", strategy.as_str(), slot + 1);
                let log = self.dir.0.join(format!("{}-resource-{}.log", strategy.as_str(), slot + 1));
                starting.push((strategy, slot, self.launch(id, args.clone(), log)));
            }
        }
        let started =
            futures_util::future::join_all(starting.into_iter().map(|(s, i, f)| async move { (s, i, f.await) })).await;
        for (strategy, slot, result) in started {
            let process = result?;
            let cluster = self.resources.entry(strategy).or_insert_with(|| StrategyCluster {
                args: Vec::new(),
                endpoints: Arc::default(),
                processes: Vec::new(),
            });
            cluster.endpoints.set(slot, Endpoint::new(process.id.clone(), process.url.clone()));
            cluster.processes.push(Some(process));
        }
        Ok(())
    }

    /// The resource service's nodes for `strategy`'s users, if the scenario has `[resource]`.
    pub fn resource_endpoints(&self, strategy: StrategyName) -> Option<Arc<Endpoints>> {
        self.resources.get(&strategy).map(|c| c.endpoints.clone())
    }

    fn add_cluster(&mut self, strategy: StrategyName, args: Vec<String>, nodes: u32) {
        let processes = (0..nodes).map(|_| None).collect();
        self.clusters.insert(strategy, StrategyCluster { args, endpoints: Arc::default(), processes });
    }

    fn write_key_file(&self) -> Result<(), ClusterError> {
        let Some(path) = &self.key_file else { return Ok(()) };
        let text = serde_json::to_string_pretty(&json!({"keys": self.keys})).unwrap_or_default();
        write_private(path, &text).map_err(|reason| ClusterError::RunDir { path: path.clone(), reason })
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
        let args = self.clusters.get(&strategy).map(|c| c.args.clone()).unwrap_or_default();
        let log = self.dir.0.join(format!("{}-{}.log", strategy.as_str(), slot + 1));
        self.launch(id, args, log)
    }

    /// Starts `authlab node ARGS --node-name ID`, logging to `log`, and waits until it is ready.
    fn launch(
        &self,
        id: String,
        args: Vec<String>,
        log: PathBuf,
    ) -> impl std::future::Future<Output = Result<NodeProcess, ClusterError>> + use<> {
        let exe = self.config.exe.clone();
        let client = self.client.clone();
        async move {
            let fail = |reason: String| ClusterError::Spawn { id: id.clone(), reason };
            let log = std::fs::File::create(&log).map_err(|e| fail(format!("log file: {e}")))?;
            let mut command = Command::new(&exe);
            command
                .arg("node")
                .args(&args)
                .args(["--node-name", &id])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(log))
                .kill_on_drop(true);
            die_with_parent(&mut command);
            let mut child = command.spawn().map_err(|e| fail(format!("{}: {e}", exe.display())))?;
            let stdout = child.stdout.take().ok_or_else(|| fail("no stdout".into()))?;
            let mut first_line = String::new();
            let read = tokio::time::timeout(START_TIMEOUT, BufReader::new(stdout).read_line(&mut first_line)).await;
            let url = first_line.trim().to_owned();
            if !matches!(read, Ok(Ok(n)) if n > 0) || !url.starts_with("http://") {
                let _ = child.start_kill();
                let status = child.wait().await.map(|s| s.to_string()).unwrap_or_default();
                return Err(fail(format!("it did not print its address ({status}); see its log")));
            }
            let healthy = client.get(format!("{url}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
            if !healthy {
                let _ = child.start_kill();
                return Err(fail(format!("{url}/healthz did not answer 200")));
            }
            Ok(NodeProcess { id, url, child })
        }
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
        self.clusters.keys().copied().collect()
    }

    /// The load balancer's view of a strategy's nodes.
    pub fn endpoints(&self, strategy: StrategyName) -> Option<Arc<Endpoints>> {
        self.clusters.get(&strategy).map(|c| c.endpoints.clone())
    }

    /// The run's Redis store handle (for key counts and `used_memory`), if it uses Redis.
    pub fn redis(&self) -> Option<&RedisSessionStore> {
        self.redis.as_ref()
    }

    fn slot(&self, strategy: StrategyName, number: u32) -> Result<usize, ClusterError> {
        let cluster = self.clusters.get(&strategy).ok_or(ClusterError::NoSuchStrategy(strategy.as_str()))?;
        let slot = (number as usize).checked_sub(1).filter(|&s| s < cluster.processes.len());
        slot.ok_or_else(|| ClusterError::NoSuchNode(format!("{}/{number}", strategy.as_str())))
    }

    /// Kills node `number` (from 1) with SIGKILL: a real crash, no goodbye.
    pub async fn kill_node(&mut self, strategy: StrategyName, number: u32) -> Result<String, ClusterError> {
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
        let cluster = self.clusters.get(&strategy).ok_or(ClusterError::NoSuchStrategy(strategy.as_str()))?;
        let mut answers = Vec::new();
        for process in cluster.processes.iter().flatten() {
            let fail = |reason: String| ClusterError::Admin { id: process.id.clone(), what, reason };
            let response = self
                .client
                .post(format!("{}{path}", process.url))
                .bearer_auth(&self.admin_token)
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

    /// Notices nodes whose process ended on its own (a crash); returns what happened to each.
    pub fn reap_exited(&mut self) -> Vec<String> {
        let mut gone = Vec::new();
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

    /// Kills every node and deletes the run's Redis keys (and only those).
    pub async fn shutdown(mut self) -> Result<u64, ClusterError> {
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
        Ok(deleted)
    }

    /// The directory holding this run's key file and node logs.
    pub fn run_dir(&self) -> &Path {
        &self.dir.0
    }
}

/// Writes a file only this user can read (it holds private keys).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let tmp = path.with_extension("tmp");
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    // Renamed into place, so a node reloading keys never reads a half-written file.
    std::fs::rename(tmp, path)
}

/// On Linux, a node dies with the process that started it, even if that one is SIGKILLed.
pub fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}
