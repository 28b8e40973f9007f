//! A wrapper that counts and times a session store's operations (`authlab_store_ops_total{op}`,
//! `authlab_store_round_trip_seconds`) and, when the lab simulates separate machines, delays each
//! by a network round trip (`--store-rtt`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::measure::buckets::Histogram;

/// Upper bounds of the store round-trip histogram, in seconds: 10 µs to 1.3 s in steps of 2^⅛
/// (9 %), so that a quantile read from it, interpolated inside its bucket, is within about 5 %.
pub const ROUND_TRIP_BOUNDS: [f64; 137] = [
    1e-05, 1.09e-05, 1.19e-05, 1.3e-05, 1.41e-05, 1.54e-05, 1.68e-05, 1.83e-05, 2e-05, 2.18e-05, 2.38e-05, 2.59e-05,
    2.83e-05, 3.08e-05, 3.36e-05, 3.67e-05, 4e-05, 4.36e-05, 4.76e-05, 5.19e-05, 5.66e-05, 6.17e-05, 6.73e-05,
    7.34e-05, 8e-05, 8.72e-05, 9.51e-05, 0.000104, 0.000113, 0.000123, 0.000135, 0.000147, 0.00016, 0.000174, 0.00019,
    0.000207, 0.000226, 0.000247, 0.000269, 0.000293, 0.00032, 0.000349, 0.000381, 0.000415, 0.000453, 0.000494,
    0.000538, 0.000587, 0.00064, 0.000698, 0.000761, 0.00083, 0.000905, 0.000987, 0.00108, 0.00117, 0.00128, 0.0014,
    0.00152, 0.00166, 0.00181, 0.00197, 0.00215, 0.00235, 0.00256, 0.00279, 0.00304, 0.00332, 0.00362, 0.00395,
    0.00431, 0.0047, 0.00512, 0.00558, 0.00609, 0.00664, 0.00724, 0.0079, 0.00861, 0.00939, 0.0102, 0.0112, 0.0122,
    0.0133, 0.0145, 0.0158, 0.0172, 0.0188, 0.0205, 0.0223, 0.0244, 0.0266, 0.029, 0.0316, 0.0344, 0.0376, 0.041,
    0.0447, 0.0487, 0.0531, 0.0579, 0.0632, 0.0689, 0.0751, 0.0819, 0.0893, 0.0974, 0.106, 0.116, 0.126, 0.138, 0.15,
    0.164, 0.179, 0.195, 0.212, 0.232, 0.253, 0.276, 0.3, 0.328, 0.357, 0.39, 0.425, 0.463, 0.505, 0.551, 0.601, 0.655,
    0.715, 0.779, 0.85, 0.927, 1.01, 1.1, 1.2, 1.31,
];

/// A kind of store operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    /// A session created (at login).
    Create,
    /// A session's changed data written back.
    Save,
    /// A session looked up (each request that carries a session cookie).
    Load,
    /// A session deleted (at logout).
    Delete,
}

impl StoreOp {
    /// Every kind, in the order `/metrics` lists them.
    pub(crate) const ALL: [StoreOp; 4] = [StoreOp::Create, StoreOp::Save, StoreOp::Load, StoreOp::Delete];

    /// Its `op` label in `authlab_store_ops_total`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            StoreOp::Create => "create",
            StoreOp::Save => "save",
            StoreOp::Load => "load",
            StoreOp::Delete => "delete",
        }
    }
}

/// Counters of store operations, one per [`StoreOp`], and how long each took.
#[derive(Debug)]
pub struct StoreOps {
    counts: [AtomicU64; 4],
    /// Each operation's time from the node's call to the store's answer (with `--store-rtt`'s
    /// simulated delay, when there is one): over a network, about one round trip.
    pub(crate) round_trips: Histogram,
}

impl Default for StoreOps {
    fn default() -> Self {
        Self { counts: Default::default(), round_trips: Histogram::new(&ROUND_TRIP_BOUNDS) }
    }
}

impl StoreOps {
    /// Counts one operation of kind `op`.
    pub(crate) fn count(&self, op: StoreOp) {
        self.counts[op as usize].fetch_add(1, Relaxed);
    }

    /// Operations of kind `op` so far.
    pub(crate) fn get(&self, op: StoreOp) -> u64 {
        self.counts[op as usize].load(Relaxed)
    }
}

/// A session store whose every operation is counted, and optionally delayed.
#[derive(Debug, Clone)]
pub struct Metered<S> {
    inner: S,
    ops: Arc<StoreOps>,
    round_trip: Option<Duration>,
}

impl<S> Metered<S> {
    /// Counts `inner`'s operations into `ops`, with no delay.
    pub(crate) fn new(inner: S, ops: Arc<StoreOps>) -> Self {
        Self { inner, ops, round_trip: None }
    }

    /// Sleeps `round_trip` before every operation: the network delay to a store on another machine.
    pub fn with_round_trip(mut self, round_trip: Option<Duration>) -> Self {
        self.round_trip = round_trip.filter(|d| !d.is_zero());
        self
    }

    /// Counts `op`, then runs it (after the simulated delay, if any) and times it.
    async fn timed<T>(&self, op: StoreOp, call: impl Future<Output = T>) -> T {
        self.ops.count(op);
        let started = Instant::now();
        if let Some(delay) = self.round_trip {
            tokio::time::sleep(delay).await;
        }
        let out = call.await;
        self.ops.round_trips.observe(started.elapsed());
        out
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for Metered<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.timed(StoreOp::Create, self.inner.create(record)).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.timed(StoreOp::Save, self.inner.save(record)).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.timed(StoreOp::Load, self.inner.load(id)).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.timed(StoreOp::Delete, self.inner.delete(id)).await
    }
}
