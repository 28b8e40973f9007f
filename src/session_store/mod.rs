//! Where a session node keeps its sessions: a metered in-memory store, a real Redis or a real
//! PostgreSQL.
//!
//! All three implement tower-sessions' [`SessionStore`](tower_sessions::SessionStore), so the node's
//! session middleware is the one real axum apps use; [`Metered`] counts every store operation (and
//! can add a simulated network round trip to each). All three also index sessions by user
//! ([`UserSessions`]), so the admin API can log a user out everywhere.

mod memory;
mod metered;
pub mod postgres;
mod redis;
pub mod tables;

use async_trait::async_trait;
use tower_sessions::session::Record;
use tower_sessions::session_store;

pub use memory::{MemoryStore, MemoryStoreStats, memory_store_table_bytes};
pub use metered::{Metered, StoreOp, StoreOps};
pub use postgres::{PgReading, PgSessionStore, PostgresStoreError};
pub use redis::{PrimaryReading, RedisSessionStore, RedisStoreError, RedisTarget, connect_pool};
pub(crate) use redis::{each_primary, unlink};

/// Where the lab looks for Redis when a scenario or command names none.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/";
/// Where the lab looks for PostgreSQL when a scenario or command names none.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://127.0.0.1:5432/postgres";

/// The session data key that names the session's user; the stores index sessions by it.
pub const USER_DATA_KEY: &str = "user";

/// The user a session record belongs to: its [`USER_DATA_KEY`] string, if any.
pub fn user_of(record: &Record) -> Option<&str> {
    record.data.get(USER_DATA_KEY).and_then(|v| v.as_str())
}

/// A store that knows which sessions each user has.
#[async_trait]
pub trait UserSessions {
    /// Deletes every session of `user`; returns how many there were.
    async fn delete_user_sessions(&self, user: &str) -> session_store::Result<u64>;
}
