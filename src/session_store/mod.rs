//! Where a session node keeps its sessions: a metered in-memory store or a real Redis.
//!
//! Both implement tower-sessions' [`SessionStore`](tower_sessions::SessionStore), so the node's
//! session middleware is the one real axum apps use; [`Metered`] counts every store operation.

mod memory;
mod metered;
mod redis;

pub use memory::{MemoryStore, MemoryStoreStats};
pub use metered::{Metered, StoreOp, StoreOps};
pub use redis::{RedisSessionStore, RedisStoreError};
