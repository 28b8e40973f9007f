//! A wrapper that counts a session store's operations (`authlab_store_ops_total{op}`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A kind of store operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    Create,
    Save,
    Load,
    Delete,
}

impl StoreOp {
    pub const ALL: [StoreOp; 4] = [StoreOp::Create, StoreOp::Save, StoreOp::Load, StoreOp::Delete];

    pub fn label(self) -> &'static str {
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
    pub fn count(&self, op: StoreOp) {
        self.0[op as usize].fetch_add(1, Relaxed);
    }

    pub fn get(&self, op: StoreOp) -> u64 {
        self.0[op as usize].load(Relaxed)
    }
}

/// A session store whose every operation is counted.
#[derive(Debug, Clone)]
pub struct Metered<S> {
    inner: S,
    ops: Arc<StoreOps>,
}

impl<S> Metered<S> {
    pub fn new(inner: S, ops: Arc<StoreOps>) -> Self {
        Self { inner, ops }
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for Metered<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.ops.count(StoreOp::Create);
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.ops.count(StoreOp::Save);
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.ops.count(StoreOp::Load);
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.ops.count(StoreOp::Delete);
        self.inner.delete(id).await
    }
}
