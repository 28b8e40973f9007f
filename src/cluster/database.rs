//! A run's PostgreSQL database: its schema locked, swept of dead runs' schemas, made once before
//! any node starts, read every tick, and dropped when the run ends.

use crate::session_store::postgres::{self, SchemaLock};
use crate::session_store::{PgReading, PgSessionStore, PostgresStoreError};

/// The connections the supervisor itself keeps (sweeps, migrations, readings).
const SUPERVISOR_POOL: u32 = 2;

/// The run's schema, and the lock that tells other runs it is in use.
pub struct RunDatabase {
    store: PgSessionStore,
    lock: SchemaLock,
}

impl RunDatabase {
    /// Locks the schema of `run_id`, drops what dead runs left, then makes the schema: fails at
    /// once, saying what to do, if the server does not answer or the user may not create it.
    pub async fn start(url: &str, run_id: &str) -> Result<Self, PostgresStoreError> {
        let schema = postgres::run_schema(run_id);
        // Locked before the schema exists, so that no sweep can take it meanwhile.
        let lock = SchemaLock::take(url, &schema).await?;
        let pool = postgres::connect_pool(url, SUPERVISOR_POOL, &format!("authlab supervisor {schema}")).await?;
        let swept = postgres::sweep_dead_schemas(&pool).await?;
        if !swept.is_empty() {
            tracing::info!(
                "dropped {} schemas left by runs that are no longer alive: {}",
                swept.len(),
                swept.join(", ")
            );
        }
        postgres::prepare_schema(&pool, &schema).await?;
        Ok(Self { store: PgSessionStore::open(pool, &schema)?, lock })
    }

    /// The run's schema, which every session node opens (`--pg-schema`).
    pub fn schema(&self) -> &str {
        self.store.schema()
    }

    /// What the database says of the run's tables and backends now.
    pub async fn reading(&self) -> Result<PgReading, PostgresStoreError> {
        self.store.reading().await
    }

    /// Drops the run's schema (and nothing else), then lets go of it.
    pub async fn shutdown(self) -> Result<(), PostgresStoreError> {
        let dropped = postgres::drop_schema(self.store.pool(), self.store.schema()).await;
        self.store.close().await;
        self.lock.release().await;
        dropped
    }
}
