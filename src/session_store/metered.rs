//! A wrapper that counts a session store's operations (`authlab_store_ops_total{op}`) and, when
//! the lab simulates separate machines, delays each by a network round trip (`--store-rtt`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

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

/// Counters of store operations, one per [`StoreOp`].
#[derive(Debug, Default)]
pub struct StoreOps([AtomicU64; 4]);

impl StoreOps {
    /// Counts one operation of kind `op`.
    pub(crate) fn count(&self, op: StoreOp) {
        self.0[op as usize].fetch_add(1, Relaxed);
    }

    /// Operations of kind `op` so far.
    pub(crate) fn get(&self, op: StoreOp) -> u64 {
        self.0[op as usize].load(Relaxed)
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

    async fn begin(&self, op: StoreOp) {
        self.ops.count(op);
        if let Some(delay) = self.round_trip {
            tokio::time::sleep(delay).await;
        }
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for Metered<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.begin(StoreOp::Create).await;
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.begin(StoreOp::Save).await;
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.begin(StoreOp::Load).await;
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.begin(StoreOp::Delete).await;
        self.inner.delete(id).await
    }
}
