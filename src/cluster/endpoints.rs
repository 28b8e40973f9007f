//! The nodes of one strategy as the load balancer sees them: address, health, requests in flight.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use http::{HeaderValue, Uri};

/// Where to connect for an endpoint: an IP address, or a host name resolved at each connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `127.0.0.1:40123`, `[::1]:8080`.
    Socket(SocketAddr),
    /// `node-1.auth:8080`.
    Name(String),
}

/// An `http://` endpoint URL taken apart: where to connect, the `Host` header, the path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Where to connect.
    pub address: Address,
    /// The `Host` header's value: the URL's host and port as written.
    pub host: HeaderValue,
    /// The URL's path, prefixed to every request's (`""` for none).
    pub base_path: String,
}

impl Origin {
    /// The origin of `url`; `None` unless it is an `http://` URL with a host.
    pub fn parse(url: &str) -> Option<Origin> {
        let uri: Uri = url.parse().ok()?;
        if uri.scheme_str() != Some("http") {
            return None;
        }
        let authority = uri.authority()?;
        let port = authority.port_u16().unwrap_or(80);
        let host = authority.host();
        let address = match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
            Ok(ip) => Address::Socket(SocketAddr::new(ip, port)),
            Err(_) => Address::Name(format!("{host}:{port}")),
        };
        let base_path = uri.path().trim_end_matches('/').to_owned();
        Some(Origin { address, host: HeaderValue::from_str(authority.as_str()).ok()?, base_path })
    }
}

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
    /// `url` taken apart, parsed once; `None` if it is not an `http://` URL.
    origin: Option<Origin>,
    /// The request targets of the paths asked for so far ([`Endpoint::uri_for`]), parsed once:
    /// parsing a URL for every request was a sixth of the load driver's own CPU.
    parsed: RwLock<Vec<(String, Uri)>>,
}

impl Endpoint {
    /// A node just started: up in the balancer's eyes, alive, nothing in flight.
    pub fn new(id: String, url: String) -> Arc<Self> {
        Arc::new(Self {
            id,
            origin: Origin::parse(&url),
            url,
            up: AtomicBool::new(true),
            alive: AtomicBool::new(true),
            outstanding: AtomicUsize::new(0),
            parsed: RwLock::new(Vec::new()),
        })
    }

    /// Where to connect and what to call the host; `None` if the URL is not `http://`.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The request target (origin form) of `path` on this node: its base path + `path`, parsed
    /// the first time it is asked for; `None` if that is not a valid target.
    pub fn uri_for(&self, path: &str) -> Option<Uri> {
        let cached = self.parsed.read().unwrap_or_else(|p| p.into_inner());
        if let Some((_, uri)) = cached.iter().find(|(p, _)| p == path) {
            return Some(uri.clone());
        }
        drop(cached);
        let uri = self.uri_of(path)?;
        self.parsed.write().unwrap_or_else(|p| p.into_inner()).push((path.to_owned(), uri.clone()));
        Some(uri)
    }

    /// The request target of `path`, parsed now (for a path with a user's name in it, say).
    pub fn uri_of(&self, path: &str) -> Option<Uri> {
        let base = self.origin.as_ref().map_or("", |o| o.base_path.as_str());
        Uri::try_from(format!("{base}{path}")).ok()
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
