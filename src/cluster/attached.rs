//! One strategy's nodes that the lab did not start (a scenario's `endpoints`): configured over their
//! admin API at the start, watched, and configured again whenever one comes back unconfigured
//! after the supervisor that runs it restarted it.
//!
//! A kill is `POST /admin/crash` (the node aborts); adding and removing a node edit the endpoint
//! list. The processes are never the lab's: it neither starts nor stops them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinHandle;

use super::ClusterError;
use super::endpoints::{Endpoint, Endpoints};
use crate::scenario::StrategyName;

/// How often the nodes' `/healthz` is read.
const WATCH_PERIOD: Duration = Duration::from_millis(200);
/// How long a node may take to answer `/healthz`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a node may take to build the node a configuration describes (argon2 directories and
/// RSA keys take a moment; a store connection may take more).
const CONFIGURE_TIMEOUT: Duration = Duration::from_secs(30);

/// A listed node: where it is, and whether the user removed it from the run.
#[derive(Debug, Clone)]
struct Slot {
    id: String,
    url: String,
    removed: bool,
    /// The last report about it, so a node that stays broken is reported once, not every round.
    said: Option<String>,
}

/// What the watcher and the supervisor's calls share.
struct Shared {
    strategy: StrategyName,
    client: reqwest::Client,
    token: String,
    run_id: String,
    /// The `POST /admin/configure` body ([`crate::node::Configuration`]).
    configuration: Value,
    endpoints: Arc<Endpoints>,
    slots: Mutex<Vec<Slot>>,
    /// What happened to the nodes since the supervisor last asked (went down, came back).
    reports: Mutex<Vec<String>>,
    /// Held through each watch round and each kill, add and remove, so none sees another's half.
    busy: tokio::sync::Mutex<()>,
}

/// How one `/healthz` answered.
enum Health {
    /// Configured for this run.
    Ours,
    /// Up, but unconfigured or configured for another run.
    NotOurs,
    /// No answer, or not a node's.
    Down(String),
}

/// One strategy's attached nodes (see the module's doc).
pub(super) struct Attached {
    shared: Arc<Shared>,
    watcher: JoinHandle<()>,
}

impl Attached {
    /// Configures every node at `urls` for the run (in parallel) and starts watching them. Fails
    /// if any node refuses or does not answer.
    pub(super) async fn attach(
        strategy: StrategyName,
        urls: &[String],
        token: String,
        run_id: String,
        configuration: Value,
        client: reqwest::Client,
    ) -> Result<Self, ClusterError> {
        let slots: Vec<Slot> = urls
            .iter()
            .enumerate()
            .map(|(i, url)| Slot {
                id: format!("{}/{}", strategy.as_str(), i + 1),
                url: url.clone(),
                removed: false,
                said: None,
            })
            .collect();
        let shared = Arc::new(Shared {
            strategy,
            client,
            token,
            run_id,
            configuration,
            endpoints: Arc::default(),
            slots: Mutex::new(slots.clone()),
            reports: Mutex::default(),
            busy: tokio::sync::Mutex::new(()),
        });
        let configured = futures_util::future::join_all(slots.iter().map(|slot| shared.configure(slot))).await;
        for (i, (slot, result)) in slots.iter().zip(configured).enumerate() {
            result?;
            shared.endpoints.set(i, Endpoint::new(slot.id.clone(), slot.url.clone()));
        }
        let watching = shared.clone();
        let watcher = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(WATCH_PERIOD);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                watching.watch_round().await;
            }
        });
        Ok(Self { shared, watcher })
    }

    /// The load balancer's view of these nodes.
    pub(super) fn endpoints(&self) -> Arc<Endpoints> {
        self.shared.endpoints.clone()
    }

    /// The live nodes' ids and base URLs, for admin calls.
    pub(super) fn live(&self) -> Vec<(String, String)> {
        let endpoints = self.shared.endpoints.snapshot();
        endpoints.iter().filter(|e| e.is_alive()).map(|e| (e.id.clone(), e.url.clone())).collect()
    }

    /// The admin token the nodes were started with.
    pub(super) fn token(&self) -> &str {
        &self.shared.token
    }

    /// What happened to the nodes since the last call: one line each.
    pub(super) fn take_reports(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.reports.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn slot(&self, number: u32) -> Result<(usize, Slot), ClusterError> {
        let slots = self.shared.slots.lock().unwrap_or_else(|p| p.into_inner());
        let index = (number as usize).checked_sub(1).filter(|&i| i < slots.len());
        let missing = || ClusterError::NoSuchNode(format!("{}/{number}", self.shared.strategy.as_str()));
        let slot = index.and_then(|i| slots.get(i).cloned().map(|slot| (i, slot))).ok_or_else(missing)?;
        if slot.1.removed {
            return Err(ClusterError::NoSuchNode(format!("{} (removed from the run)", slot.1.id)));
        }
        Ok(slot)
    }

    /// Crashes node `number` (from 1) through `POST /admin/crash`: the process aborts, and the
    /// supervisor that runs it is expected to start it again (unconfigured; the watcher configures it).
    pub(super) async fn kill(&self, number: u32) -> Result<String, ClusterError> {
        let _busy = self.shared.busy.lock().await;
        let (index, slot) = self.slot(number)?;
        let endpoint = self.shared.endpoints.get(index);
        if endpoint.as_ref().is_some_and(|e| !e.is_alive()) {
            return Err(ClusterError::NoSuchNode(format!("{} (down)", slot.id)));
        }
        let sent = self
            .shared
            .client
            .post(format!("{}/admin/crash", slot.url))
            .bearer_auth(&self.shared.token)
            .timeout(HEALTH_TIMEOUT)
            .send()
            .await;
        let fail = |reason: String| ClusterError::Admin { id: slot.id.clone(), what: "crash", reason };
        match sent {
            // A node that aborts answers nothing: the connection just closes.
            Err(e) if !e.is_connect() && !e.is_timeout() => {}
            Err(e) => return Err(fail(e.to_string())),
            Ok(response) => {
                let status = response.status();
                let answer = response.text().await.unwrap_or_default();
                return Err(fail(format!("{status}: {answer}")));
            }
        }
        if let Some(endpoint) = endpoint {
            take_out(&endpoint);
        }
        if let Some(slot) = self.shared.slots.lock().unwrap_or_else(|p| p.into_inner()).get_mut(index) {
            slot.said = None;
        }
        Ok(format!("{} crashed (POST /admin/crash); its own supervisor restarts it", slot.id))
    }

    /// Adds the node at `url` (a base URL): configured for the run, then given its share of the load.
    pub(super) async fn add(&self, url: &str) -> Result<String, ClusterError> {
        let _busy = self.shared.busy.lock().await;
        let url = url.trim().trim_end_matches('/').to_owned();
        let id = {
            let slots = self.shared.slots.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(listed) = slots.iter().find(|s| s.url == url && !s.removed) {
                return Err(ClusterError::Attach { url, reason: format!("already in the run as {}", listed.id) });
            }
            format!("{}/{}", self.shared.strategy.as_str(), slots.len() + 1)
        };
        let slot = Slot { id: id.clone(), url: url.clone(), removed: false, said: None };
        self.shared.configure(&slot).await?;
        let mut slots = self.shared.slots.lock().unwrap_or_else(|p| p.into_inner());
        self.shared.endpoints.set(slots.len(), Endpoint::new(id.clone(), url.clone()));
        slots.push(slot);
        Ok(format!("{id} at {url} added"))
    }

    /// Takes node `number` out of the run: no more load, no more scrapes. The process goes on.
    pub(super) async fn remove(&self, number: u32) -> Result<String, ClusterError> {
        let _busy = self.shared.busy.lock().await;
        let (index, slot) = self.slot(number)?;
        if let Some(slot) = self.shared.slots.lock().unwrap_or_else(|p| p.into_inner()).get_mut(index) {
            slot.removed = true;
        }
        if let Some(endpoint) = self.shared.endpoints.get(index) {
            take_out(&endpoint);
        }
        Ok(format!("{} at {} removed from the run (it keeps running)", slot.id, slot.url))
    }

    /// Stops watching; every node counts as gone for the rest of the run.
    pub(super) fn stop(&self) {
        self.watcher.abort();
        for endpoint in self.shared.endpoints.snapshot() {
            take_out(&endpoint);
        }
    }
}

/// Takes `endpoint` out of the balancer's rotation and out of the scrapes at once: the lab knows
/// it is gone, so no health check needs to find out.
fn take_out(endpoint: &Endpoint) {
    endpoint.set_dead();
    endpoint.set_up(false);
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl Shared {
    /// `POST /admin/configure` with the run's configuration.
    async fn configure(&self, slot: &Slot) -> Result<(), ClusterError> {
        let fail = |reason: String| ClusterError::Attach { url: slot.url.clone(), reason };
        let response = self
            .client
            .post(format!("{}/admin/configure", slot.url))
            .bearer_auth(&self.token)
            .timeout(CONFIGURE_TIMEOUT)
            .json(&self.configuration)
            .send()
            .await
            .map_err(|e| fail(format!("POST /admin/configure: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let said = answer["message"].as_str().map_or_else(|| answer.to_string(), str::to_owned);
        Err(fail(match status.as_u16() {
            401 => "its admin token is not the one in [cluster] admin_token_file (401)".to_owned(),
            404 => "it has no admin API (404): start it with --admin-token-file".to_owned(),
            _ => format!("POST /admin/configure answered {status}: {said}"),
        }))
    }

    async fn health(&self, url: &str) -> Health {
        let answer = self.client.get(format!("{url}/healthz")).timeout(HEALTH_TIMEOUT).send().await;
        let response = match answer {
            Ok(response) => response,
            Err(e) => return Health::Down(e.to_string()),
        };
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match (status.as_u16(), body["status"].as_str()) {
            (200, Some("ok")) if body["run"].as_str() == Some(self.run_id.as_str()) => Health::Ours,
            (200, Some("ok")) | (503, Some("unconfigured")) => Health::NotOurs,
            _ => Health::Down(format!("/healthz answered {status}")),
        }
    }

    /// Reports `line` about the node in slot `index`, unless it is what was last said of it.
    fn report(&self, index: usize, line: String) {
        if let Some(slot) = self.slots.lock().unwrap_or_else(|p| p.into_inner()).get_mut(index) {
            if slot.said.as_ref() == Some(&line) {
                return;
            }
            slot.said = Some(line.clone());
        }
        tracing::info!("{line}");
        self.reports.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }

    /// Reads every listed node's health; marks the silent ones down, configures those that came
    /// back unconfigured, and puts the ones that are back into the balancer's rotation.
    async fn watch_round(&self) {
        let _busy = self.busy.lock().await;
        let slots: Vec<(usize, Slot)> = {
            let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.iter().cloned().enumerate().filter(|(_, s)| !s.removed).collect()
        };
        let healths = futures_util::future::join_all(slots.iter().map(|(_, slot)| self.health(&slot.url))).await;
        for ((index, slot), health) in slots.into_iter().zip(healths) {
            let alive = self.endpoints.get(index).is_some_and(|e| e.is_alive());
            match health {
                Health::Ours if !alive => {
                    self.endpoints.set(index, Endpoint::new(slot.id.clone(), slot.url.clone()));
                    self.report(index, format!("{} is up again", slot.id));
                }
                Health::Ours => {}
                Health::NotOurs => match self.configure(&slot).await {
                    Ok(()) => {
                        // A fresh endpoint: the restarted process counts from zero.
                        self.endpoints.set(index, Endpoint::new(slot.id.clone(), slot.url.clone()));
                        self.report(
                            index,
                            format!(
                                "{} came back unconfigured (restarted by its supervisor) and was configured again",
                                slot.id
                            ),
                        );
                    }
                    Err(e) => self.report(index, format!("{} is up but could not be configured: {e}", slot.id)),
                },
                Health::Down(why) if alive => {
                    if let Some(endpoint) = self.endpoints.get(index) {
                        endpoint.set_dead();
                    }
                    self.report(index, format!("{} at {} is down: {why}", slot.id, slot.url));
                }
                Health::Down(_) => {}
            }
        }
    }
}
