//! Drives virtual users at one strategy's nodes: the closed model (users with think time doing
//! visits) and the open model (an arrival rate, with latency measured from the scheduled time).
//! Load ramps linearly through the scenario's stages, or follows `set_load`.
//!
//! The end of a run: once stopped, no user starts another request and no arrival is scheduled.
//! Requests already in flight get [`DRAIN_TIMEOUT`] to be answered; the ones still waiting then are
//! cut and counted as `interrupted` (the closed model's requests, and the open model's arrivals
//! and their requests), so every request and every scheduled arrival is counted exactly once. The
//! run's last tick covers that drain.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::accounts::Accounts;
use super::balancer::Balancer;
use super::http::ConnectionPool;
use super::protocol::Protocol;
use super::stats::{Outcome, StrategyStats};
use super::visit::{Client, Credential};
use crate::cluster::{Endpoint, Endpoints};
use crate::measure::ConnectionFailure;
use crate::scenario::{LoadModel, LoadSpec, Routing, StrategyName};

/// Open model: arrivals beyond this many requests in flight are dropped (and counted).
const MAX_IN_FLIGHT: usize = 10_000;
/// Open model: an arrival sent this much after its scheduled time counts as late.
const LATE_AFTER: Duration = Duration::from_millis(10);
/// How many recent logins `revoke_user` can choose its users from.
const RECENT_USERS: usize = 4096;
/// How long stopping waits for requests in flight before cutting them (they count as interrupted).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// What a strategy's load looks like.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The strategy whose nodes the load goes to.
    pub strategy: StrategyName,
    /// The scenario's `[load]`: model, stages, think time, visits, client kind.
    pub load: LoadSpec,
    /// Who the virtual users log in as.
    pub accounts: Accounts,
    /// What they send, and where their credential comes from.
    pub protocol: Protocol,
    /// The routing policy the balancer starts with.
    pub routing: Routing,
    /// How often the balancer checks node health (so how long a dead node keeps getting traffic).
    pub health_check: Duration,
    /// The path whose 2xx answer means a node is up (`/healthz` on the lab's nodes); `None`: any
    /// HTTP answer at `/` does (a target without `health`).
    pub health_path: Option<String>,
}

/// The virtual users of one strategy.
pub struct LoadDriver {
    options: LoadOptions,
    balancer: Arc<Balancer>,
    stats: Arc<StrategyStats>,
    http: reqwest::Client,
    started: Instant,
    /// `set_load` replaces the stage curve from then on.
    target_override: Mutex<Option<f64>>,
    /// Closed model: how many virtual users should be active.
    desired: watch::Sender<usize>,
    stopping: watch::Sender<bool>,
    next_account: AtomicU64,
    in_flight: AtomicUsize,
    /// The users of the latest successful logins, oldest first (what `revoke_user` picks by default).
    recent_users: Mutex<VecDeque<String>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// `[resource]`: the second service that takes every request of a visit (set before `start`).
    resource: std::sync::OnceLock<Balancer>,
    /// `options.protocol`, shared by every client.
    protocol: Arc<Protocol>,
    /// The keep-alive connections to the nodes, shared by every client.
    connections: Arc<ConnectionPool>,
}

impl LoadDriver {
    /// A driver for the nodes of `endpoints`, idle until it is started.
    pub fn new(options: LoadOptions, endpoints: Arc<Endpoints>, http: reqwest::Client) -> Arc<Self> {
        Arc::new(Self {
            balancer: Arc::new(Balancer::new(endpoints, options.routing)),
            protocol: Arc::new(options.protocol.clone()),
            options,
            stats: Arc::default(),
            http,
            started: Instant::now(),
            target_override: Mutex::new(None),
            desired: watch::channel(0).0,
            stopping: watch::channel(false).0,
            next_account: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            recent_users: Mutex::new(VecDeque::with_capacity(RECENT_USERS)),
            tasks: Mutex::new(Vec::new()),
            resource: std::sync::OnceLock::new(),
            connections: Arc::default(),
        })
    }

    /// Sends every request of a visit to the resource service's nodes instead of the strategy's
    /// own (logins, refreshes and logouts still go to the issuer). Call it before [`Self::start`].
    pub fn send_requests_to_resource(&self, endpoints: Arc<Endpoints>) {
        let _ = self.resource.set(Balancer::new(endpoints, Routing::RoundRobin));
    }

    /// A visit's request: to the resource service if there is one, else to `node`'s own API.
    async fn request(
        &self,
        client: &Client,
        node: &Arc<Endpoint>,
        credential: &Credential,
        started: Instant,
    ) -> Outcome {
        let Some(resource) = self.resource.get() else { return client.profile(node, credential, started).await };
        match resource.pick(&mut None) {
            Some(service) => client.orders(&service, credential, started).await,
            None => {
                let unsent = Outcome::Connection(ConnectionFailure::NoNodeUp);
                self.stats.request(client.worker, unsent, Duration::ZERO, 0);
                unsent
            }
        }
    }

    /// What its virtual users measured, taken once per tick.
    pub fn stats(&self) -> &Arc<StrategyStats> {
        &self.stats
    }

    /// The strategy it drives.
    pub fn strategy(&self) -> StrategyName {
        self.options.strategy
    }

    /// The load target now: virtual users (closed model) or requests/s (open model).
    pub fn current_target(&self) -> f64 {
        let overridden = *self.target_override.lock().unwrap_or_else(|p| p.into_inner());
        overridden.unwrap_or_else(|| self.options.load.target_at(self.started.elapsed()))
    }

    /// Replaces the stage curve with a fixed target from now on.
    pub fn set_load(&self, target: f64) {
        *self.target_override.lock().unwrap_or_else(|p| p.into_inner()) = Some(target.max(0.0));
    }

    /// Up to `count` distinct users who logged in recently, the latest first.
    pub fn recent_users(&self, count: usize) -> Vec<String> {
        let recent = self.recent_users.lock().unwrap_or_else(|p| p.into_inner());
        let mut users: Vec<String> = Vec::with_capacity(count);
        for user in recent.iter().rev() {
            if users.len() == count {
                break;
            }
            if !users.contains(user) {
                users.push(user.clone());
            }
        }
        users
    }

    /// Changes how requests are routed over the nodes, from the next request on.
    pub fn set_routing(&self, routing: Routing) {
        self.balancer.set_routing(routing);
    }

    /// Starts the load and the balancer's health checks.
    pub fn start(self: &Arc<Self>) {
        let mut tasks = Vec::new();
        let driver = self.clone();
        tasks.push(tokio::spawn(async move { driver.health_checks().await }));
        let driver = self.clone();
        tasks.push(match self.options.load.model {
            LoadModel::Closed => tokio::spawn(async move { driver.closed_model().await }),
            LoadModel::Open => tokio::spawn(async move { driver.open_model().await }),
        });
        self.tasks.lock().unwrap_or_else(|p| p.into_inner()).extend(tasks);
    }

    /// Stops sending, waits up to [`DRAIN_TIMEOUT`] for requests in flight to be answered, then
    /// cuts the rest, which count as interrupted.
    pub async fn stop(&self) {
        // `send` would drop the value when nobody is subscribed at this instant (no user pausing):
        // the flag must stick whatever the subscribers.
        self.stopping.send_replace(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        // Each model drains and cuts its own users; this only waits for them to have done so.
        futures_util::future::join_all(tasks).await;
    }

    fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Sleeps for `duration`, or less if the run stops; false when stopping.
    async fn pause(&self, duration: Duration) -> bool {
        if duration.is_zero() {
            return !self.is_stopping();
        }
        let mut stopping = self.stopping.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(duration) => !self.is_stopping(),
            _ = stopping.wait_for(|s| *s) => false,
        }
    }

    async fn health_checks(self: Arc<Self>) {
        let period = self.options.health_check.max(Duration::from_millis(50));
        // A crashed node refuses at once; the timeout only spares a busy machine's slow answer
        // from being taken for a dead node.
        let timeout = Duration::from_secs(2);
        while self.pause(period).await {
            self.balancer.check_health(&self.http, timeout, self.options.health_path.as_deref()).await;
            if let Some(resource) = self.resource.get() {
                resource.check_health(&self.http, timeout, Some("/healthz")).await;
            }
        }
    }

    fn client(&self, worker: usize) -> Client {
        Client {
            connections: self.connections.clone(),
            protocol: self.protocol.clone(),
            stats: self.stats.clone(),
            worker,
            kind: self.options.load.client,
        }
    }

    fn think_time(&self) -> Duration {
        let (min, max) = self.options.load.think_time;
        if max <= min { min } else { rand::rng().random_range(min..=max) }
    }

    /// The account of the next visit: each visit uses another one.
    fn next_account(&self) -> (String, String) {
        self.options.accounts.get(self.next_account.fetch_add(1, Relaxed))
    }

    /// Picks a node, or records a connection failure when none is up.
    async fn pick(&self, worker: usize, affinity: &mut Option<Arc<Endpoint>>) -> Result<Arc<Endpoint>, Outcome> {
        let node = self.balancer.pick(affinity);
        let unsent = Outcome::Connection(ConnectionFailure::NoNodeUp);
        if node.is_none() {
            self.stats.request(worker, unsent, Duration::ZERO, 0);
            self.pause(Duration::from_millis(50)).await;
        }
        node.ok_or(unsent)
    }

    async fn log_in(
        &self,
        client: &Client,
        user: &str,
        password: &str,
        affinity: &mut Option<Arc<Endpoint>>,
        started: Instant,
    ) -> Result<Credential, Outcome> {
        let node = self.pick(client.worker, affinity).await?;
        let credential = client.login(&node, user, password, started).await;
        if credential.is_ok() {
            self.stats.logged_in(1);
            let mut recent = self.recent_users.lock().unwrap_or_else(|p| p.into_inner());
            if recent.len() == RECENT_USERS {
                recent.pop_front();
            }
            recent.push_back(user.to_owned());
        } else if self.balancer.routing() == Routing::Sticky {
            // A failed login lets the balancer place the next attempt afresh.
            *affinity = None;
        }
        credential
    }

    // ---- closed model ----

    async fn closed_model(self: Arc<Self>) {
        let mut users = JoinSet::new();
        let mut started = 0;
        let mut ticker = tokio::time::interval(Duration::from_millis(50));
        loop {
            ticker.tick().await;
            if self.is_stopping() {
                break;
            }
            let desired = self.current_target().round().max(0.0) as usize;
            self.desired.send_replace(desired);
            while started < desired {
                let driver = self.clone();
                let index = started;
                users.spawn(async move { driver.virtual_user(index).await });
                started += 1;
            }
        }
        self.desired.send_replace(0);
        self.drain(users).await;
    }

    /// Waits up to [`DRAIN_TIMEOUT`] for `tasks` to end, then cuts the rest: their requests in
    /// flight count as interrupted (each [`super::stats::Pending`] dropped unfinished).
    async fn drain(&self, mut tasks: JoinSet<()>) {
        let all_ended = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(DRAIN_TIMEOUT, all_ended).await.is_err() {
            tracing::info!(
                "{} load: {} users or arrivals still waiting for an answer {DRAIN_TIMEOUT:?} after the stop; their requests count as interrupted",
                self.options.strategy.as_str(),
                tasks.len()
            );
            tasks.shutdown().await;
        }
    }

    /// Virtual user `index`: active while `index` is below the desired count, doing visits.
    async fn virtual_user(self: Arc<Self>, index: usize) {
        let client = self.client(index);
        let mut desired = self.desired.subscribe();
        let mut stopping = self.stopping.subscribe();
        loop {
            if self.is_stopping() {
                return;
            }
            if index >= *desired.borrow() {
                tokio::select! {
                    _ = desired.wait_for(|d| index < *d) => {},
                    _ = stopping.wait_for(|s| *s) => return,
                }
                continue;
            }
            self.visit(&client, index).await;
        }
    }

    /// One visit: log in, make `requests_per_login` requests with think time, then log out or
    /// walk away (the session lives on until its TTL).
    async fn visit(&self, client: &Client, index: usize) {
        let (user, password) = self.next_account();
        let mut affinity = None;
        let Ok(mut credential) = self.log_in(client, &user, &password, &mut affinity, Instant::now()).await else {
            self.pause(self.think_time().max(Duration::from_millis(10))).await;
            return;
        };
        let per_visit = self.options.load.requests_per_login;
        let mut made = 0u32;
        let mut holding = true;
        while per_visit == 0 || made < per_visit {
            if !self.pause(self.think_time()).await || index >= *self.desired.borrow() {
                break;
            }
            let Ok(node) = self.pick(client.worker, &mut affinity).await else { continue };
            if credential.expiring() {
                match self.renew(client, &node, &credential, &user, &password, &mut affinity).await {
                    Ok(fresh) => credential = fresh,
                    Err(_) => {
                        holding = false;
                        break;
                    }
                }
                continue;
            }
            made += 1;
            if self.request(client, &node, &credential, Instant::now()).await == Outcome::Unauthorized {
                // Logged out under our feet (session lost, evicted, revoked...): log in again.
                let Ok(fresh) = self.relogin(client, &user, &password, &mut affinity).await else {
                    holding = false;
                    break;
                };
                credential = fresh;
            }
        }
        if holding {
            // When the run stops, its users walk away: logging out then would be a burst of
            // load after the run's end (thousands of logouts at once with 10k users).
            if !self.is_stopping() && rand::rng().random_bool(self.options.load.logout_ratio.clamp(0.0, 1.0)) {
                if let Some(node) = self.balancer.pick(&mut affinity) {
                    client.logout(&node, &credential).await;
                }
            }
            self.stats.logged_in(-1);
        }
    }

    /// A fresh credential for an expiring token: refreshed where the server issued a refresh token
    /// and the protocol has a refresh request, else a new login.
    async fn renew(
        &self,
        client: &Client,
        node: &Arc<Endpoint>,
        credential: &Credential,
        user: &str,
        password: &str,
        affinity: &mut Option<Arc<Endpoint>>,
    ) -> Result<Credential, Outcome> {
        if let Some(fresh) = client.refresh(node, credential).await {
            return Ok(fresh);
        }
        self.relogin(client, user, password, affinity).await
    }

    /// A forced re-login in the middle of a visit; counted, since users see it happen.
    async fn relogin(
        &self,
        client: &Client,
        user: &str,
        password: &str,
        affinity: &mut Option<Arc<Endpoint>>,
    ) -> Result<Credential, Outcome> {
        self.stats.logged_in(-1);
        let credential = self.log_in(client, user, password, affinity, Instant::now()).await;
        if credential.is_ok() {
            self.stats.with(client.worker, |s| s.forced_relogins += 1);
        }
        credential
    }

    // ---- open model ----

    async fn open_model(self: Arc<Self>) {
        let pool: Arc<Mutex<Vec<OpenUser>>> = Arc::default();
        let mut sent = JoinSet::new();
        let mut next = Instant::now();
        let mut arrivals = 0usize;
        let mut ticker = tokio::time::interval(Duration::from_millis(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticker.tick().await;
            if self.is_stopping() {
                break;
            }
            while sent.try_join_next().is_some() {}
            let now = Instant::now();
            let rate = self.current_target();
            if rate <= 0.0 {
                next = now;
                continue;
            }
            while next <= now {
                let scheduled = next;
                next += Duration::from_secs_f64(1.0 / rate);
                let worker = arrivals;
                arrivals += 1;
                self.stats.with(worker, |s| s.arrivals += 1);
                if self.in_flight.load(Relaxed) >= MAX_IN_FLIGHT {
                    self.stats.with(worker, |s| s.dropped += 1);
                    continue;
                }
                if now.duration_since(scheduled) > LATE_AFTER {
                    self.stats.with(worker, |s| s.late += 1);
                }
                self.in_flight.fetch_add(1, Relaxed);
                let driver = self.clone();
                let pool = pool.clone();
                let pending = self.stats.begin_arrival(worker);
                sent.spawn(async move {
                    let outcome = driver.arrival(worker, scheduled, &pool).await;
                    pending.arrival(outcome);
                    driver.in_flight.fetch_sub(1, Relaxed);
                });
            }
        }
        self.drain(sent).await;
    }

    /// One scheduled request, by a user from the pool (who logs in first if needed). Its latency
    /// counts from the scheduled time, so a slow server cannot hide its queue (coordinated omission).
    /// Returns how the arrival ended: its request's outcome, or the failure that came first.
    async fn arrival(&self, worker: usize, scheduled: Instant, pool: &Mutex<Vec<OpenUser>>) -> Outcome {
        let client = self.client(worker);
        let taken = pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut user = match taken {
            Some(user) => user,
            None => {
                let (name, password) = self.next_account();
                let mut affinity = None;
                let credential = match self.log_in(&client, &name, &password, &mut affinity, scheduled).await {
                    Ok(credential) => credential,
                    Err(failed) => return failed,
                };
                OpenUser { name, password, credential, affinity, made: 0 }
            }
        };
        let node = match self.pick(worker, &mut user.affinity).await {
            Ok(node) => node,
            Err(failed) => return failed,
        };
        if user.credential.expiring() {
            let renewed = self.renew(&client, &node, &user.credential, &user.name, &user.password, &mut user.affinity);
            match renewed.await {
                Ok(credential) => user.credential = credential,
                Err(failed) => return failed,
            }
        }
        user.made += 1;
        let outcome = self.request(&client, &node, &user.credential, scheduled).await;
        if outcome == Outcome::Unauthorized {
            match self.relogin(&client, &user.name, &user.password, &mut user.affinity).await {
                Ok(credential) => user.credential = credential,
                Err(_) => return outcome,
            }
        }
        let per_visit = self.options.load.requests_per_login;
        if per_visit > 0 && user.made >= per_visit {
            if rand::rng().random_bool(self.options.load.logout_ratio.clamp(0.0, 1.0)) {
                client.logout(&node, &user.credential).await;
            }
            self.stats.logged_in(-1);
        } else {
            pool.lock().unwrap_or_else(|p| p.into_inner()).push(user);
        }
        outcome
    }
}

/// An open-model user between requests.
struct OpenUser {
    name: String,
    password: String,
    credential: Credential,
    affinity: Option<Arc<Endpoint>>,
    made: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse::parse_scenario;

    #[tokio::test]
    async fn a_stop_sticks_even_when_no_user_is_waiting_for_it() {
        let text = "name = \"stop\"\nduration = \"1s\"\n[load]\nmodel = \"open\"\nstages = [ { at = \"0s\", target = 0 } ]\n[token]\n";
        let scenario = parse_scenario(text, "stop.toml").unwrap_or_else(|e| panic!("{e}"));
        let options = LoadOptions {
            strategy: StrategyName::Token,
            load: scenario.load,
            accounts: Accounts::Derived { seed: 1, count: 1 },
            protocol: Protocol::lab(StrategyName::Token),
            routing: Routing::RoundRobin,
            health_check: Duration::from_secs(1),
            health_path: Some("/healthz".into()),
        };
        let driver = LoadDriver::new(options, Arc::default(), reqwest::Client::new());
        // Nothing subscribes to the stop flag here, as when no user is pausing at that instant:
        // a plain watch `send` would drop the value, and the users would keep sending.
        driver.stop().await;
        assert!(driver.is_stopping());
    }
}
