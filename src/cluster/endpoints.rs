//! The nodes of one strategy as the load balancer sees them: address, health, requests in flight.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

/// One node's address and the balancer's knowledge of it.
#[derive(Debug)]
pub struct Endpoint {
    /// `session/1`, `token/3`, ...
    pub id: String,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// What the balancer believes: set by health checks, so a dead node keeps getting traffic
    /// until a check notices.
    up: AtomicBool,
    /// Whether the process is alive (the supervisor's knowledge, used for scraping).
    alive: AtomicBool,
    /// Requests sent to this node and not yet answered.
    outstanding: AtomicUsize,
    /// The full URLs of the paths asked for so far ([`Endpoint::url_for`]), parsed once: parsing a
    /// URL for every request was a sixth of the load driver's own CPU.
    parsed: RwLock<Vec<(String, reqwest::Url)>>,
}

impl Endpoint {
    /// A node just started: up in the balancer's eyes, alive, nothing in flight.
    pub fn new(id: String, url: String) -> Arc<Self> {
        Arc::new(Self {
            id,
            url,
            up: AtomicBool::new(true),
            alive: AtomicBool::new(true),
            outstanding: AtomicUsize::new(0),
            parsed: RwLock::new(Vec::new()),
        })
    }

    /// `url` + `path`, parsed the first time it is asked for; `None` if it is not a URL.
    pub fn url_for(&self, path: &str) -> Option<reqwest::Url> {
        let cached = self.parsed.read().unwrap_or_else(|p| p.into_inner());
        if let Some((_, url)) = cached.iter().find(|(p, _)| p == path) {
            return Some(url.clone());
        }
        drop(cached);
        let url = reqwest::Url::parse(&format!("{}{path}", self.url)).ok()?;
        self.parsed.write().unwrap_or_else(|p| p.into_inner()).push((path.to_owned(), url.clone()));
        Some(url)
    }

    /// Whether the balancer sends this node traffic (the last health check's verdict).
    pub fn is_up(&self) -> bool {
        self.up.load(Relaxed)
    }

    /// Records a health check's verdict: `false` takes the node out of the balancer's rotation.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Relaxed);
    }

    /// Whether the node's process still runs, as far as the supervisor knows; dead nodes are
    /// not scraped.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Relaxed)
    }

    /// Marks the process as gone (killed, crashed or shut down); it never comes back to life:
    /// a restart installs a new endpoint.
    pub fn set_dead(&self) {
        self.alive.store(false, Relaxed);
    }

    /// Requests sent to this node and not yet answered: the least-outstanding balancer's measure.
    pub fn outstanding(&self) -> usize {
        self.outstanding.load(Relaxed)
    }

    /// Counts a request in flight until the guard drops.
    pub fn start_request(self: &Arc<Self>) -> InFlight {
        self.outstanding.fetch_add(1, Relaxed);
        InFlight(self.clone())
    }
}

/// A request in flight to an endpoint.
pub struct InFlight(Arc<Endpoint>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Relaxed);
    }
}

/// The endpoints of one strategy; slot `i` is node `i + 1`. A restarted node replaces its slot.
#[derive(Debug, Default)]
pub struct Endpoints {
    slots: RwLock<Vec<Arc<Endpoint>>>,
}

impl Endpoints {
    /// A copy of the current endpoints, in slot order.
    pub fn snapshot(&self) -> Vec<Arc<Endpoint>> {
        self.slots.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Runs `f` on the endpoints without copying them (the balancer does this for every request).
    pub fn with_all<R>(&self, f: impl FnOnce(&[Arc<Endpoint>]) -> R) -> R {
        f(&self.slots.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// How many slots there are: every node ever started, dead ones included.
    pub fn len(&self) -> usize {
        self.slots.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no node was started yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The endpoint in `slot` (node `slot + 1`), if there is one.
    pub fn get(&self, slot: usize) -> Option<Arc<Endpoint>> {
        self.slots.read().unwrap_or_else(|p| p.into_inner()).get(slot).cloned()
    }

    /// Puts `endpoint` in `slot` (replacing a restarted node) or appends it.
    pub fn set(&self, slot: usize, endpoint: Arc<Endpoint>) {
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        if slot < slots.len() {
            slots[slot] = endpoint;
        } else {
            slots.push(endpoint);
        }
    }
}
