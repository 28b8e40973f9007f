//! A run: the scenario's clusters started, its load driven, its events applied, and one tick per
//! sampling interval sent to whoever consumes the run (command line, recorder, app).

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::control::{Command, RunMessage};
use super::driver_cost::DriverMeter;
use super::foreign::{ForeignError, ForeignTarget};
use super::scrape::{NodeReading, scrape};
use crate::cluster::leftovers;
use crate::cluster::{ClusterError, Endpoints, Supervisor, SupervisorConfig};
use crate::load::TickStats;
use crate::load::{Accounts, LoadDriver, LoadOptions, Protocol};
use crate::measure::buckets::Buckets;
use crate::measure::{
    EventRecord, EventSource, ForeignTick, NodeTick, PrimaryTick, ResourceTick, StoreTick, StrategyTick, Tick,
};
use crate::scenario::{Action, EventAction, Mode, Revokee, Scenario, Scope, SessionSpec, StoreKind, StrategyName};
use crate::session_store::{PgReading, PrimaryReading, RedisSessionStore, RedisTarget, postgres};

/// Clock leeway of token nodes: old keys verify this much longer than the longest token.
const KEY_RETIREMENT_SLACK: Duration = Duration::from_secs(5);

/// Why a run ended before its time (`RunMessage::Finished` carries the message).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(reqwest::Error),
    /// The cluster of a phase did not start.
    #[error("{0}")]
    Start(ClusterError),
    /// The nodes or the store keys of a phase could not be cleaned up.
    #[error("cleaning up the run: {0}")]
    Cleanup(ClusterError),
    #[error("the run engine panicked: {0}")]
    Panicked(String),
    /// A foreign target's accounts or process could not be read.
    #[error("{0}")]
    Foreign(#[from] ForeignError),
}

/// Why an event could not be applied; its message is the failed event's detail in the recording.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EventError {
    /// The supervisor could not do it (no such node, the node did not answer, ...).
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    /// rotate_key in a phase without token nodes.
    #[error("only token nodes have keys to rotate")]
    NoKeysToRotate,
    /// An event that needs the lab's own nodes, against the user's server.
    #[error(
        "{action} needs the lab's own nodes; {strategy} is your own server, which the lab does not start or administer"
    )]
    Foreign {
        /// The event's name.
        action: &'static str,
        /// `session` or `token`.
        strategy: &'static str,
    },
}

/// How to run a scenario.
#[derive(Debug, Clone)]
pub struct RunSetup {
    /// The scenario to run (the caller applies any override, such as `--duration`, first).
    pub scenario: Scenario,
    /// The `authlab` executable that runs the nodes.
    pub exe: PathBuf,
}

/// A run in progress: send it [`Command`]s, read its [`RunMessage`]s.
pub struct RunHandle {
    /// Where to send [`Command`]s; dropping every sender stops the run, as [`Command::Stop`] does.
    pub commands: mpsc::UnboundedSender<Command>,
    /// The run's messages in order, ending with [`RunMessage::Finished`].
    pub messages: mpsc::UnboundedReceiver<RunMessage>,
    /// The engine's task; it ends after sending `Finished`.
    pub task: JoinHandle<()>,
    /// Unique to this run (its directory and Redis key prefix carry it).
    pub run_id: String,
}

/// Starts a run on the current tokio runtime.
pub fn start_run(setup: RunSetup) -> RunHandle {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (message_tx, messages) = mpsc::unbounded_channel();
    let run_id = format!("{:08x}{:04x}", rand::random::<u32>(), std::process::id() & 0xffff);
    let id = run_id.clone();
    let task = tokio::spawn(async move {
        let session = setup.scenario.session.clone();
        let engine = Engine {
            setup,
            run_id: id.clone(),
            commands: command_rx,
            messages: message_tx.clone(),
            stop_requested: false,
        };
        let outcome = AssertUnwindSafe(engine.run()).catch_unwind().await;
        let error = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(panic) => {
                // The supervisor's drop has killed the nodes; the shared store needs cleaning here.
                if let Some(session) = &session {
                    clean_up_after_panic(session, &id).await;
                }
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Some(RunError::Panicked(what).to_string())
            }
        };
        let _ = message_tx.send(RunMessage::Finished { error });
    });
    RunHandle { commands, messages, task, run_id }
}

struct Engine {
    setup: RunSetup,
    run_id: String,
    commands: mpsc::UnboundedReceiver<Command>,
    messages: mpsc::UnboundedSender<RunMessage>,
    stop_requested: bool,
}

/// One strategy's running parts during a phase.
struct Running {
    driver: Arc<LoadDriver>,
    /// `[target.*]`: the user's server the driver sends to (the supervisor has no nodes for it).
    foreign: Option<ForeignTarget>,
    /// Cumulative figures of each node at the previous tick (by node id and address), to turn
    /// the nodes' counters into per-tick figures.
    last: HashMap<(String, String), NodeReading>,
}

/// A live phase: its cluster, its drivers, its clock.
struct Phase {
    supervisor: Supervisor,
    running: BTreeMap<StrategyName, Running>,
    started: Instant,
    /// Seconds of earlier phases (sequential mode).
    offset: f64,
    retire_keys_at: Option<Instant>,
    /// When the previous tick was taken (`Tick::t`), to know how long the next one covers.
    last_tick_t: f64,
    /// `store = "postgres"`: the database's cumulative figures at the previous tick.
    last_database: Option<PgReading>,
    /// The load driver's own CPU since the previous tick.
    driver: DriverMeter,
}

impl Engine {
    async fn run(mut self) -> Result<(), RunError> {
        let scenario = self.setup.scenario.clone();
        let phases: Vec<Vec<StrategyName>> = {
            let present: Vec<StrategyName> = StrategyName::BOTH.into_iter().filter(|s| scenario.runs(*s)).collect();
            match scenario.mode {
                Mode::Concurrent => vec![present],
                Mode::Sequential => present.into_iter().map(|s| vec![s]).collect(),
            }
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(4096)
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(RunError::HttpClient)?;
        let mut offset = 0.0;
        let mut announced = false;
        let mut foreign = BTreeMap::new();
        for strategy in StrategyName::BOTH {
            if let Some(spec) = scenario.targets.get(strategy).cloned() {
                let target = tokio::task::spawn_blocking(move || ForeignTarget::open(strategy, &spec))
                    .await
                    .map_err(|e| RunError::Panicked(e.to_string()))??;
                let health = scenario.targets.get(strategy).and_then(|spec| spec.health.as_deref());
                target.check_reachable(strategy, &http, health).await?;
                foreign.insert(strategy, target);
            }
        }
        for strategies in phases {
            let mut phase_scenario = scenario.clone();
            if !strategies.contains(&StrategyName::Session) {
                phase_scenario.session = None;
            }
            if !strategies.contains(&StrategyName::Token) {
                phase_scenario.token = None;
            }
            let config = SupervisorConfig {
                exe: self.setup.exe.clone(),
                run_id: format!(
                    "{}-{}",
                    self.run_id,
                    strategies.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("-")
                ),
            };
            let supervisor = Supervisor::start(&phase_scenario, config).await.map_err(RunError::Start)?;
            if !announced {
                let urls = |e: &Endpoints| e.snapshot().iter().map(|n| n.url.clone()).collect();
                let nodes = strategies
                    .iter()
                    .filter_map(|&s| match foreign.get(&s) {
                        Some(target) => Some((s, urls(&target.endpoints))),
                        None => supervisor.endpoints(s).map(|e| (s, urls(&e))),
                    })
                    .collect();
                let _ = self.messages.send(RunMessage::Started { nodes });
                announced = true;
            }
            let mut running = BTreeMap::new();
            for strategy in strategies {
                let target = foreign.remove(&strategy);
                let spec = scenario.targets.get(strategy);
                let endpoints = match &target {
                    Some(target) => target.endpoints.clone(),
                    None => match supervisor.endpoints(strategy) {
                        Some(endpoints) => endpoints,
                        None => continue,
                    },
                };
                let options = LoadOptions {
                    strategy,
                    load: scenario.load.clone(),
                    accounts: match &target {
                        Some(target) => target.accounts.clone(),
                        None => Accounts::Derived { seed: scenario.seed, count: scenario.users.count },
                    },
                    protocol: spec.map_or_else(|| Protocol::lab(strategy), Protocol::of_target),
                    routing: scenario.cluster.routing,
                    health_check: scenario.cluster.health_check,
                    health_path: match spec {
                        Some(spec) => spec.health.clone(),
                        None => Some("/healthz".to_owned()),
                    },
                };
                let driver = LoadDriver::new(options, endpoints, http.clone());
                if let Some(resource) = supervisor.resource_endpoints(strategy) {
                    driver.send_requests_to_resource(resource);
                }
                driver.start();
                running.insert(strategy, Running { driver, foreign: target, last: HashMap::new() });
            }
            let mut phase = Phase {
                supervisor,
                running,
                started: Instant::now(),
                offset,
                retire_keys_at: None,
                last_tick_t: offset,
                last_database: None,
                driver: DriverMeter::start(),
            };
            let result = self.drive(&mut phase, &http).await;
            for running in phase.running.values() {
                running.driver.stop().await;
            }
            // The last tick comes after the load stopped, so every request is counted on both sides.
            let final_tick = self.tick(&mut phase, &http).await;
            let _ = self.messages.send(RunMessage::Tick(final_tick));
            let cleanup = phase.supervisor.shutdown().await;
            result?;
            cleanup.map_err(RunError::Cleanup)?;
            offset += phase.started.elapsed().as_secs_f64();
            if self.stop_requested {
                break;
            }
        }
        Ok(())
    }

    /// Ticks, scheduled events and live commands until the phase's duration has passed or a
    /// Stop arrives.
    async fn drive(&mut self, phase: &mut Phase, http: &reqwest::Client) -> Result<(), RunError> {
        let scenario = self.setup.scenario.clone();
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + scenario.tick, scenario.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut pending: Vec<_> =
            scenario.events.iter().filter(|e| applies_to(e.action.scope(), phase)).cloned().collect();
        pending.reverse();
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    for crash in phase.supervisor.reap_exited() {
                        tracing::warn!("{crash}");
                    }
                    let tick = self.tick(phase, http).await;
                    let _ = self.messages.send(RunMessage::Tick(tick));
                }
                command = self.commands.recv() => match command {
                    Some(Command::Event(action)) => self.apply(phase, action, EventSource::Live).await,
                    Some(Command::AttachNode(strategy, url)) => {
                        let result = phase.supervisor.attach_node(strategy, &url).await.map_err(EventError::from);
                        self.record(phase, Action::AddNode, strategy.as_str().into(), EventSource::Live, result);
                    }
                    Some(Command::DetachNode(node)) => {
                        let result = phase.supervisor.detach_node(node.strategy, node.number).await;
                        let result = result.map_err(EventError::from);
                        self.record(phase, Action::RemoveNode, node.to_string(), EventSource::Live, result);
                    }
                    Some(Command::Stop) | None => {
                        self.stop_requested = true;
                        return Ok(());
                    }
                },
            }
            let elapsed = phase.started.elapsed();
            while pending.last().is_some_and(|e| e.at <= elapsed) {
                if let Some(event) = pending.pop() {
                    self.apply(phase, event.action, EventSource::Scheduled).await;
                }
            }
            if phase.retire_keys_at.is_some_and(|at| Instant::now() >= at) {
                phase.retire_keys_at = None;
                let result = phase.supervisor.retire_old_keys().await.map_err(EventError::from);
                self.record(phase, Action::RetireKeys, "token".into(), EventSource::Scheduled, result);
            }
            if elapsed >= scenario.duration {
                return Ok(());
            }
        }
    }

    fn record(
        &self,
        phase: &Phase,
        action: Action,
        target: String,
        source: EventSource,
        result: Result<String, EventError>,
    ) {
        let (ok, detail) = match result {
            Ok(detail) => (true, detail),
            Err(error) => (false, error.to_string()),
        };
        let t = phase.offset + phase.started.elapsed().as_secs_f64();
        let _ = self.messages.send(RunMessage::Event(EventRecord { t, action, target, source, detail, ok }));
    }

    /// Applies one event to the live cluster and records what happened (or why it could not).
    async fn apply(&mut self, phase: &mut Phase, action: EventAction, source: EventSource) {
        let strategies: Vec<StrategyName> = match action.scope() {
            Scope::All => phase.running.keys().copied().collect(),
            Scope::Strategy(s) => vec![s],
        };
        let (kind, label) = (action.kind(), action.target_label());
        if let Some(missing) = strategies.iter().find(|s| !phase.running.contains_key(s)) {
            let why = Err(ClusterError::NoSuchStrategy(missing.as_str()).into());
            self.record(phase, kind, label, source, why);
            return;
        }
        let administers = !matches!(action, EventAction::SetLoad(..) | EventAction::SetRouting(..));
        if let Some(foreign) = strategies.iter().find(|s| administers && phase.running[s].foreign.is_some()) {
            let why = Err(EventError::Foreign { action: kind.name(), strategy: foreign.as_str() });
            self.record(phase, kind, label, source, why);
            return;
        }
        let result: Result<String, EventError> = match action {
            EventAction::KillNode(node) => {
                phase.supervisor.kill_node(node.strategy, node.number).await.map_err(Into::into)
            }
            EventAction::RestartNode(node) => {
                phase.supervisor.restart_node(node.strategy, node.number).await.map_err(Into::into)
            }
            EventAction::AddNode(s) => phase.supervisor.add_node(s).await.map_err(Into::into),
            EventAction::SetLoad(_, v) => {
                for s in &strategies {
                    phase.running[s].driver.set_load(v);
                }
                Ok(format!("load set to {v}"))
            }
            EventAction::RotateKey(_) => {
                if !strategies.contains(&StrategyName::Token) {
                    Err(EventError::NoKeysToRotate)
                } else {
                    let ttl = self.setup.scenario.token.as_ref().map_or(Duration::ZERO, |t| t.ttl);
                    let result = phase.supervisor.rotate_key().await.map_err(EventError::from);
                    if result.is_ok() {
                        phase.retire_keys_at = Some(Instant::now() + ttl + KEY_RETIREMENT_SLACK);
                    }
                    result
                }
            }
            EventAction::SetRouting(_, routing) => {
                for s in &strategies {
                    phase.running[s].driver.set_routing(routing);
                }
                Ok(format!("routing set to {}", routing.name()))
            }
            EventAction::RevokeUser(_, who) => {
                let mut details = Vec::new();
                let mut failure = None;
                for s in &strategies {
                    let names = match &who {
                        Revokee::User(name) => vec![name.clone()],
                        Revokee::Recent(count) => phase.running[s].driver.recent_users((*count).max(1)),
                    };
                    if names.is_empty() {
                        details.push(format!("{}: nobody is logged in", s.as_str()));
                        continue;
                    }
                    let mut revoked = Vec::new();
                    for name in &names {
                        match phase.supervisor.revoke_user(*s, name).await {
                            Ok(detail) => revoked.push(detail),
                            Err(e) => failure = Some(EventError::from(e)),
                        }
                    }
                    let detail = match revoked.as_slice() {
                        [one] => one.clone(),
                        many => format!("{} users revoked; {}", many.len(), many.first().map_or("", |d| d)),
                    };
                    details.push(format!("{}: {detail}", s.as_str()));
                }
                match failure {
                    Some(e) => Err(e),
                    None => Ok(details.join("; ")),
                }
            }
        };
        self.record(phase, kind, label, source, result);
    }

    /// Samples everything: what the drivers measured since the last tick, and each node's metrics.
    async fn tick(&self, phase: &mut Phase, http: &reqwest::Client) -> Tick {
        let scenario = &self.setup.scenario;
        let t = phase.offset + phase.started.elapsed().as_secs_f64();
        // The time this tick covers: the tick period, or longer when the tick comes late (a busy
        // machine) and for the final tick (taken after the load drained), so rates stay true.
        let interval = (t - phase.last_tick_t).max(scenario.tick.as_secs_f64());
        phase.last_tick_t = t;
        let scrape_timeout = scenario.tick.clamp(Duration::from_millis(100), Duration::from_secs(1));
        let simulated = scenario.cluster.machine.is_some() || scenario.cluster.store_rtt.is_some();
        let mut tick = Tick { t, interval_s: interval, strategies: BTreeMap::new() };
        let redis = phase.supervisor.redis().cloned();
        for (&strategy, running) in phase.running.iter_mut() {
            let measured = running.driver.stats().take();
            if let Some(target) = &running.foreign {
                let out = foreign_tick(target, &running.driver, measured, interval, http, scrape_timeout).await;
                tick.strategies.insert(strategy, out);
                continue;
            }
            let mut endpoints = phase.supervisor.endpoints(strategy).map(|e| e.snapshot()).unwrap_or_default();
            // The resource service's nodes come after the strategy's own (the issuers).
            let issuers = endpoints.len();
            let resource_nodes = phase.supervisor.resource_endpoints(strategy).map(|e| e.snapshot());
            let mut resource = resource_nodes.as_ref().map(|_| ResourceTick::default());
            endpoints.extend(resource_nodes.unwrap_or_default());
            let scrapes = endpoints.iter().map(|endpoint| async move {
                if endpoint.is_alive() { scrape(http, &endpoint.url, scrape_timeout).await } else { None }
            });
            let readings = futures_util::future::join_all(scrapes).await;
            let mut out = StrategyTick { simulated, ..driver_figures(&running.driver, measured, interval) };
            let (mut store_ops, mut sweep_errors) = (0, 0);
            let mut round_trips = Buckets::default();
            for (i, (endpoint, reading)) in endpoints.iter().zip(readings).enumerate() {
                let key = (endpoint.id.clone(), endpoint.url.clone());
                let node = match reading {
                    Some(reading) => {
                        // A node restarted at the same address counts from zero again.
                        let previous = running
                            .last
                            .get(&key)
                            .filter(|last| last.requests_total <= reading.requests_total)
                            .cloned()
                            .unwrap_or_default();
                        let served = reading.load_requests.saturating_sub(previous.load_requests);
                        out.server_requests += served;
                        if let Some(resource) = resource.as_mut() {
                            if i < issuers {
                                let calls = reading.issuer_requests.saturating_sub(previous.issuer_requests);
                                resource.issuer_calls += calls;
                            } else {
                                resource.requests += served;
                            }
                        }
                        store_ops += reading.store_ops.saturating_sub(previous.store_ops);
                        round_trips.add(&reading.store_round_trips.since(&previous.store_round_trips));
                        sweep_errors += reading.store_sweep_errors.saturating_sub(previous.store_sweep_errors);
                        out.auth_checks += reading.auth_checks.saturating_sub(previous.auth_checks);
                        out.auth_check_seconds += (reading.auth_check_seconds - previous.auth_check_seconds).max(0.0);
                        out.sessions_held += reading.sessions;
                        out.denylist_entries += reading.denylist_entries;
                        out.revoked_users += reading.revoked_users;
                        out.simulated |= reading.simulated;
                        let node = NodeTick {
                            id: endpoint.id.clone(),
                            up: true,
                            heap_bytes: reading.heap_bytes,
                            rss_bytes: reading.rss_bytes,
                            cpu_seconds: reading.cpu_seconds,
                            requests_total: reading.requests_total,
                            sessions: reading.sessions,
                            connections: reading.connections,
                        };
                        running.last.insert(key, reading);
                        node
                    }
                    None => NodeTick { id: endpoint.id.clone(), up: false, ..NodeTick::default() },
                };
                out.nodes.push(node);
            }
            if strategy == StrategyName::Session {
                let round_trips = (!round_trips.is_empty()).then_some(round_trips);
                let mut store =
                    StoreTick { kind: "memory".into(), ops: store_ops, round_trips, ..StoreTick::default() };
                if let Some(redis) = redis.as_ref().filter(|r| !r.is_cluster()) {
                    store.kind = "redis".into();
                    store.used_memory = redis.used_memory().await.ok();
                    if let Ok((keys, sessions)) = redis.count_own_keys().await {
                        store.keys = Some(keys);
                        out.sessions_held = sessions;
                    }
                }
                if let Some(redis) = redis.as_ref().filter(|r| r.is_cluster()) {
                    store.kind = "redis-cluster".into();
                    match redis.primary_readings().await {
                        Ok(primaries) => cluster_figures(&mut store, &mut out.sessions_held, primaries),
                        Err(e) => tracing::warn!("reading the Redis Cluster's primaries: {e}"),
                    }
                }
                if let Some(database) = phase.supervisor.database() {
                    store.kind = "postgres".into();
                    store.sweep_errors = Some(sweep_errors);
                    match database.reading().await {
                        Ok(now) => {
                            out.sessions_held = now.rows;
                            database_figures(&mut store, &now, phase.last_database.as_ref());
                            phase.last_database = Some(now);
                        }
                        Err(e) => tracing::warn!("reading the run's PostgreSQL figures: {e}"),
                    }
                }
                out.store = Some(store);
            }
            out.resource = resource;
            tick.strategies.insert(strategy, out);
        }
        phase.driver.measure(&mut tick);
        tick
    }
}

/// What the driver measured in a tick, as a strategy's tick carries it (the nodes' figures come after).
fn driver_figures(driver: &LoadDriver, measured: TickStats, interval: f64) -> StrategyTick {
    StrategyTick {
        throughput_rps: measured.requests.total() as f64 / interval,
        requests: measured.requests,
        connection_failures: measured.connection_failures,
        latency_us: (&measured.latency).into(),
        logins: measured.logins,
        forced_relogins: measured.forced_relogins,
        refreshes: measured.refreshes,
        late: measured.late,
        dropped: measured.dropped,
        arrivals: measured.arrivals,
        arrival_outcomes: measured.arrival_outcomes,
        users_logged_in: driver.stats().users_logged_in(),
        credential_bytes_per_request: if measured.credential_requests == 0 {
            0.0
        } else {
            measured.credential_bytes as f64 / measured.credential_requests as f64
        },
        ..StrategyTick::default()
    }
}

/// A foreign target's tick: the driver's figures, each base URL up or down as the balancer's
/// health checks last saw it, and its process's RSS and CPU where they were read. The requests it
/// served are the ones the driver got an answer to.
async fn foreign_tick(
    target: &ForeignTarget,
    driver: &LoadDriver,
    measured: TickStats,
    interval: f64,
    http: &reqwest::Client,
    timeout: Duration,
) -> StrategyTick {
    let answered = measured.requests.total().saturating_sub(measured.requests.connection);
    let mut out = driver_figures(driver, measured, interval);
    out.server_requests = answered;
    out.foreign = Some(ForeignTick { measured_by: target.measured_by() });
    let endpoints = target.endpoints.snapshot();
    let readings = target.read(http, endpoints.len(), timeout).await;
    for (endpoint, reading) in endpoints.iter().zip(readings) {
        let (rss_bytes, cpu_seconds) = reading.map_or((0, 0.0), |r| (r.rss_bytes, r.cpu_seconds));
        out.nodes.push(NodeTick {
            id: endpoint.id.clone(),
            up: endpoint.is_up(),
            rss_bytes,
            cpu_seconds,
            ..NodeTick::default()
        });
    }
    out
}

/// A Redis Cluster's figures: each primary's, and the store's as their sums.
fn cluster_figures(store: &mut StoreTick, sessions_held: &mut u64, primaries: Vec<PrimaryReading>) {
    store.used_memory = Some(primaries.iter().filter_map(|p| p.used_memory).sum());
    store.keys = Some(primaries.iter().map(|p| p.keys).sum());
    *sessions_held = primaries.iter().map(|p| p.sessions).sum();
    store.primaries = primaries
        .into_iter()
        .map(|p| PrimaryTick {
            address: p.address,
            used_memory: p.used_memory,
            keys: p.keys,
            sessions: p.sessions,
            ops_per_sec: p.ops_per_sec,
        })
        .collect();
}

/// Deletes what run `run_id` left in its shared store (any phase's Redis keys or schema), once the
/// engine panicked and its supervisor could not. Best effort: a later sweep takes what this misses.
async fn clean_up_after_panic(session: &SessionSpec, run_id: &str) {
    let phases = ["session-token", "session"].map(|strategies| format!("{run_id}-{strategies}"));
    match session.store {
        StoreKind::Memory => {}
        StoreKind::Redis | StoreKind::RedisCluster => {
            let target = match (session.store, session.redis_urls.is_empty()) {
                (StoreKind::Redis, _) => RedisTarget::Server(session.redis_url.clone()),
                (_, false) => RedisTarget::Cluster(session.redis_urls.clone()),
                // A private cluster dies with the run, keys and all.
                (_, true) => return,
            };
            for phase in phases {
                if let Ok(store) = RedisSessionStore::connect(&target, &leftovers::run_prefix(&phase)).await {
                    let _ = store.delete_own_keys().await;
                }
            }
        }
        StoreKind::Postgres => {
            if let Ok(pool) = postgres::connect_pool(&session.postgres_url, 1, "authlab cleanup").await {
                for phase in phases {
                    let _ = postgres::drop_schema(&pool, &postgres::run_schema(&phase)).await;
                }
                pool.close().await;
            }
        }
    }
}

/// A tick's PostgreSQL figures: levels from `now`, and counters since `previous` (none at the
/// first reading, which has nothing to count from).
fn database_figures(store: &mut StoreTick, now: &PgReading, previous: Option<&PgReading>) {
    store.keys = Some(now.rows);
    store.used_memory = Some(now.total_bytes);
    store.live_tuples = Some(now.live_tuples);
    store.dead_tuples = Some(now.dead_tuples);
    if let Some(previous) = previous {
        store.transactions = Some(now.transactions.saturating_sub(previous.transactions));
        store.rows_fetched = Some(now.rows_fetched.saturating_sub(previous.rows_fetched));
        store.rows_written = Some(now.rows_written.saturating_sub(previous.rows_written));
        store.cpu_seconds = now.cpu_measured().then(|| now.cpu_seconds_since(previous));
    }
}

/// Whether a scheduled event concerns a strategy of this phase.
fn applies_to(scope: Scope, phase: &Phase) -> bool {
    match scope {
        Scope::All => true,
        Scope::Strategy(s) => phase.running.contains_key(&s),
    }
}
