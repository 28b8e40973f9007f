//! The simulated machine (SPEC "Simulating separate machines on one laptop"): a node with a fixed
//! number of workers, each auth request holding one for a service time on top of its real work,
//! so that N node processes sharing a laptop's cores scale like N machines. Off by default.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use super::error::json_error;
use super::metrics::Gauge;

/// The routes whose requests take a worker: the auth routes, the load the lab measures.
pub const AUTH_ROUTES: [&str; 6] = ["/login", "/api/profile", "/logout", "/refresh", "/api/orders", "/introspect"];

/// A node's simulated capacity; [`Simulation::default`] is off, and the node runs at raw speed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Simulation {
    /// `--workers N --service-time DUR`.
    pub workers: Option<SimulatedWorkers>,
    /// `--store-rtt DUR`: a network delay before every session-store operation.
    pub store_rtt: Option<Duration>,
}

impl Simulation {
    /// Whether any part of the simulation is on (the `authlab_simulated` gauge).
    pub fn is_on(&self) -> bool {
        self.workers.is_some() || self.store_rtt.is_some()
    }
}

/// At most `count` auth requests in service at once, each holding its worker for `service_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimulatedWorkers {
    /// `--workers N`: auth requests ([`AUTH_ROUTES`]) in service at once; at least 1 (a node with 0 does not start).
    pub count: u32,
    /// `--service-time DUR`: how long each request holds its worker, on top of its real work.
    pub service_time: Duration,
}

/// The workers of a running node, and what `/metrics` shows of them.
pub(super) struct Capacity {
    simulated: bool,
    workers: Option<(Semaphore, Duration)>,
    count: u32,
    busy: AtomicUsize,
    waiting: AtomicUsize,
}

/// Counts itself in a gauge for as long as it lives, even when the request is dropped midway.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(gauge: &'a AtomicUsize) -> Self {
        gauge.fetch_add(1, Relaxed);
        Self(gauge)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl Capacity {
    pub fn new(simulation: &Simulation) -> Self {
        let workers = simulation.workers.map(|w| (Semaphore::new(w.count as usize), w.service_time));
        Self {
            simulated: simulation.is_on(),
            workers,
            count: simulation.workers.map_or(0, |w| w.count),
            busy: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
        }
    }

    pub fn gauges(&self) -> Vec<Gauge> {
        vec![
            Gauge::level(
                "authlab_simulated",
                "1 when this node simulates a separate machine (--workers, --store-rtt), else 0.",
                if self.simulated { 1.0 } else { 0.0 },
            ),
            Gauge::level("authlab_sim_workers", "Simulated workers (0: not simulated).", f64::from(self.count)),
            Gauge::level(
                "authlab_sim_workers_busy",
                "Simulated workers serving an auth request now.",
                self.busy.load(Relaxed) as f64,
            ),
            Gauge::level(
                "authlab_sim_queue",
                "Auth requests waiting in line for a simulated worker.",
                self.waiting.load(Relaxed) as f64,
            ),
        ]
    }
}

/// Middleware: an auth request waits in line (first come, first served) for a worker, then holds
/// it for the service time and its real work. Other routes pass straight through.
pub(super) async fn hold_a_worker(State(capacity): State<Arc<Capacity>>, request: Request, next: Next) -> Response {
    let Some((workers, service_time)) = &capacity.workers else { return next.run(request).await };
    let is_auth = request.extensions().get::<MatchedPath>().is_some_and(|p| AUTH_ROUTES.contains(&p.as_str()));
    if !is_auth {
        return next.run(request).await;
    }
    let permit = {
        let _waiting = Counted::new(&capacity.waiting);
        workers.acquire().await
    };
    let Ok(_permit) = permit else {
        return json_error(StatusCode::INTERNAL_SERVER_ERROR, "the simulated workers are gone");
    };
    let _busy = Counted::new(&capacity.busy);
    tokio::time::sleep(*service_time).await;
    next.run(request).await
}
