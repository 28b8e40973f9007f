//! A private Redis Cluster for one run (`store = "redis-cluster"` with no `redis_urls`): real
//! `redis-server` processes on free loopback ports, one per primary, joined into a cluster, and
//! killed when the run ends.
//!
//! With `[cluster] store_machine`, each primary gets a [`StoreGate`] of its own, so every primary
//! is a simulated machine with that capacity. Each primary announces its gate's port as its own
//! (`cluster-announce-port`), so CLUSTER SLOTS and every MOVED answer send clients to the gates,
//! and the gates forward to the primaries untouched: no reply is rewritten. The cluster bus (how
//! the primaries talk to each other) goes straight from server to server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fred::clients::Client;
use fred::prelude::{ClientLike, Config, ServerConfig};
use fred::types::{ClusterHash, CustomCommand, Value};

use super::{StoreGate, StoreGateError};
use crate::scenario::MachineSpec;

/// The slots of a Redis Cluster, which its primaries share.
const SLOTS: u32 = 16_384;
/// How long the servers get to start and to agree that the cluster is whole.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// Why the private cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum PrivateClusterError {
    /// `redis-server` is not installed (or not on `PATH`).
    #[error(
        "store = \"redis-cluster\" without redis_urls starts a private Redis Cluster, but `redis-server` cannot be run ({0}): install Redis 7 or later (e.g. `apt-get install redis-server`), or name a running cluster with redis_urls"
    )]
    NoRedisServer(std::io::Error),
    /// A directory, a free port or a process could not be had.
    #[error("cannot start the private Redis Cluster: {0}")]
    Io(#[from] std::io::Error),
    /// A server's gate could not start.
    #[error(transparent)]
    Gate(#[from] StoreGateError),
    /// A server did not answer, refused a cluster command, or the cluster did not come together
    /// in time (its servers' logs are in the run directory).
    #[error("the private Redis Cluster did not come up: {0}")]
    NotReady(String),
}

/// The running cluster; dropping it kills its servers (SIGKILL) and deletes their files.
pub struct PrivateCluster {
    servers: Vec<Child>,
    gates: Vec<StoreGate>,
    dir: PathBuf,
    /// `redis://127.0.0.1:PORT` of each primary as clients reach it (its gate, if it has one).
    pub seeds: Vec<String>,
}

impl PrivateCluster {
    /// Starts `primaries` servers under `run_dir`, each behind a gate of `machine`'s capacity if
    /// given, and waits until the cluster answers as one (every slot served).
    pub async fn start(
        primaries: u32,
        machine: Option<MachineSpec>,
        run_dir: &Path,
    ) -> Result<Self, PrivateClusterError> {
        let dir = run_dir.join("redis-cluster");
        std::fs::create_dir_all(&dir)?;
        let mut cluster = PrivateCluster { servers: Vec::new(), gates: Vec::new(), dir, seeds: Vec::new() };
        let mut ports = Vec::new();
        for _ in 0..primaries.max(1) {
            let (port, bus) = (free_port()?, free_port()?);
            let announced = match machine {
                Some(machine) => {
                    let gate = StoreGate::start(&format!("redis://127.0.0.1:{port}/"), machine).await?;
                    let gate_port = url::Url::parse(&gate.url).ok().and_then(|u| u.port()).unwrap_or(port);
                    cluster.gates.push(gate);
                    gate_port
                }
                None => port,
            };
            cluster.servers.push(cluster.spawn(port, bus, announced)?);
            cluster.seeds.push(format!("redis://127.0.0.1:{announced}"));
            ports.push((port, bus));
        }
        cluster.join(&ports).await?;
        Ok(cluster)
    }

    /// One `redis-server` on `port` (bus on `bus`) that tells clients to reach it at `announced`.
    fn spawn(&self, port: u16, bus: u16, announced: u16) -> Result<Child, PrivateClusterError> {
        let log = std::fs::File::create(self.dir.join(format!("redis-{port}.log")))?;
        let nodes_file = self.dir.join(format!("nodes-{port}.conf"));
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--cluster-enabled", "yes"])
            .arg("--cluster-config-file")
            .arg(&nodes_file)
            .arg("--dir")
            .arg(&self.dir)
            .args(["--save", "", "--appendonly", "no", "--cluster-port", &bus.to_string()])
            .args(["--cluster-announce-ip", "127.0.0.1", "--cluster-announce-port", &announced.to_string()])
            .args(["--cluster-announce-bus-port", &bus.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => PrivateClusterError::NoRedisServer(e),
            _ => PrivateClusterError::Io(e),
        })
    }

    /// Gives each server its share of the slots, introduces them to each other, and waits until
    /// every one of them says the cluster is whole.
    async fn join(&mut self, ports: &[(u16, u16)]) -> Result<(), PrivateClusterError> {
        let deadline = Instant::now() + READY_WITHIN;
        let mut admins = Vec::new();
        for &(port, _) in ports {
            admins.push(admin_client(port, deadline).await?);
        }
        let result = self.assign_and_meet(&admins, ports, deadline).await;
        for admin in &admins {
            let _ = admin.quit().await;
        }
        result
    }

    async fn assign_and_meet(
        &mut self,
        admins: &[Client],
        ports: &[(u16, u16)],
        deadline: Instant,
    ) -> Result<(), PrivateClusterError> {
        let count = admins.len() as u32;
        for (i, admin) in admins.iter().enumerate() {
            let i = i as u32;
            let (first, last) = (SLOTS * i / count, SLOTS * (i + 1) / count - 1);
            cluster(admin, &["ADDSLOTSRANGE", &first.to_string(), &last.to_string()]).await?;
            // Distinct epochs from the start, as `redis-cli --cluster create` sets them.
            cluster(admin, &["SET-CONFIG-EPOCH", &(i + 1).to_string()]).await?;
        }
        if let Some(first) = admins.first() {
            for &(port, bus) in &ports[1..] {
                cluster(first, &["MEET", "127.0.0.1", &port.to_string(), &bus.to_string()]).await?;
            }
        }
        loop {
            let mut whole = true;
            for admin in admins {
                let info = match cluster(admin, &["INFO"]).await? {
                    Value::String(s) => s.to_string(),
                    Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                    _ => String::new(),
                };
                let known = format!("cluster_known_nodes:{count}");
                whole &= info.contains("cluster_state:ok") && info.lines().any(|l| l.trim() == known);
            }
            if whole {
                return Ok(());
            }
            if Instant::now() > deadline {
                let logs = self.dir.display();
                return Err(PrivateClusterError::NotReady(format!(
                    "its {count} servers did not agree within {READY_WITHIN:?} (logs in {logs})"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Store commands that went through the gates so far, per primary (empty without gates).
    pub fn gate_commands(&self) -> Vec<u64> {
        self.gates.iter().map(StoreGate::commands).collect()
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nobody listens on now (the OS picks it; free again once the probe closes).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A client of the one server on `port` (not of the cluster), once it answers.
async fn admin_client(port: u16, deadline: Instant) -> Result<Client, PrivateClusterError> {
    let not_ready = |e: fred::error::Error| PrivateClusterError::NotReady(format!("127.0.0.1:{port}: {e}"));
    loop {
        let config = Config { server: ServerConfig::new_centralized("127.0.0.1", port), ..Config::default() };
        let client = Client::new(config, None, None, None);
        let connected = tokio::time::timeout(Duration::from_secs(1), client.init()).await;
        match connected {
            Ok(Ok(_)) => return Ok(client),
            Ok(Err(e)) if Instant::now() > deadline => return Err(not_ready(e)),
            Err(_) if Instant::now() > deadline => {
                return Err(PrivateClusterError::NotReady(format!("127.0.0.1:{port} did not answer")));
            }
            _ => {
                let _ = client.quit().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// `CLUSTER <args>` on one server.
async fn cluster(admin: &Client, args: &[&str]) -> Result<Value, PrivateClusterError> {
    let command = CustomCommand::new_static("CLUSTER", ClusterHash::Random, false);
    let values: Vec<Value> = args.iter().map(|a| Value::from(*a)).collect();
    admin
        .custom(command, values)
        .await
        .map_err(|e| PrivateClusterError::NotReady(format!("CLUSTER {}: {e}", args.join(" "))))
}
