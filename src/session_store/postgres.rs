//! The shared session store in PostgreSQL: tower-sessions-sqlx-store's `PostgresStore`, in a
//! schema of the run's own, with that crate's traps handled.
//!
//! Every run's tables live in one schema, `authlab_run_<id>` ([`run_schema`]): `session` (the
//! store's own table: id, MessagePack data, expiry) and `session_user`, which lists each session's
//! user so that the admin API can log a user out everywhere. What the crate leaves to its user:
//! - its `migrate()` returns Ok without creating the table when several processes race on
//!   `create schema`, so [`prepare_schema`] runs once, before any node starts, and the nodes only
//!   [`PgSessionStore::open`] what is there;
//! - it has no index on `expiry_date`, so its expiry sweep would scan the whole table: the schema
//!   gets one;
//! - its `continuously_delete_expired` ends for good at the first database error: this store's
//!   [`PgSessionStore::spawn_expiry_sweep`] keeps going and counts the errors.
//!
//! While a run lives, it holds a session-level advisory lock named after its schema on a
//! connection of its own ([`SchemaLock`]). PostgreSQL releases it when that connection ends, so
//! however the run ends (even SIGKILL), a later [`sweep_dead_schemas`] can tell its schema is no
//! longer in use, drop it, and touch no schema of any other form.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use tokio::task::JoinHandle;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::PostgresStore;

use super::{UserSessions, user_of};

/// The store's session table (the crate's default name), in the run's schema.
pub const SESSION_TABLE: &str = "session";
/// Which user each session belongs to; its rows go with their session (`on delete cascade`).
const USER_TABLE: &str = "session_user";
/// The start of every run's schema name.
const RUN_SCHEMA: &str = "authlab_run_";
/// The first key of every run's advisory lock (`'auth'`); the second is `hashtext(schema)`.
const LOCK_CLASS: i32 = 0x6175_7468;
/// How long connecting may take before the run gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the PostgreSQL store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PostgresStoreError {
    /// The URL does not parse as a PostgreSQL connection URL.
    #[error("invalid PostgreSQL URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What sqlx found wrong with it.
        reason: sqlx::Error,
    },
    /// The server did not answer, or refused the connection or the login.
    #[error(
        "cannot reach PostgreSQL at {url}: {reason}. Start one (on Debian: `pg_ctlcluster 15 main start`), \
         fix postgres_url, or use store = \"memory\""
    )]
    Unreachable {
        /// The URL tried (without its password).
        url: String,
        /// The connection failure.
        reason: String,
    },
    /// The user may not create the run's schema in that database.
    #[error(
        "PostgreSQL user {user:?} may not create schema {schema} in database {database:?}: {reason}. \
         Grant it (`GRANT CREATE ON DATABASE \"{database}\" TO \"{user}\"`) or point postgres_url at a \
         database where it may"
    )]
    NoCreatePermission {
        /// The connecting role.
        user: String,
        /// The database of the URL.
        database: String,
        /// The schema the run needed.
        schema: String,
        /// The server's message.
        reason: String,
    },
    /// The schema name is not one of a run's: the store refuses to own or drop it.
    #[error("{0:?} is not a run's schema (authlab_run_<hex>...): authlab only drops schemas it made")]
    NotARunSchema(String),
    /// A statement failed once connected.
    #[error("PostgreSQL: {0}")]
    Query(#[from] sqlx::Error),
}

/// The schema of run `run_id` (hex digits, then the strategies of its phase, joined by `-`).
pub fn run_schema(run_id: &str) -> String {
    format!("{RUN_SCHEMA}{}", run_id.replace('-', "_"))
}

/// Whether `name` has the form of a run's schema: `authlab_run_<hex>` then `_session`/`_token`
/// parts. Nothing else is ever dropped.
pub fn is_run_schema(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(RUN_SCHEMA) else { return false };
    let mut parts = rest.split('_');
    let hex = parts.next().unwrap_or_default();
    let is_hex = !hex.is_empty() && hex.len() <= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    is_hex && parts.all(|p| matches!(p, "session" | "token"))
}

/// Connection options for `url`, naming each connection `application_name` (so that the run can
/// find its backends in `pg_stat_activity`).
fn connect_options(url: &str, application_name: &str) -> Result<PgConnectOptions, PostgresStoreError> {
    let options =
        PgConnectOptions::from_str(url).map_err(|reason| PostgresStoreError::Url { url: url.into(), reason })?;
    // Statement logging at INFO would put every session lookup in the node's log.
    Ok(options.application_name(application_name).disable_statement_logging())
}

fn unreachable(url: &str, reason: impl std::fmt::Display) -> PostgresStoreError {
    let shown = url::Url::parse(url)
        .map(|mut u| {
            let _ = u.set_password(None);
            u.to_string()
        })
        .unwrap_or_else(|_| url.to_owned());
    PostgresStoreError::Unreachable { url: shown, reason: reason.to_string() }
}

/// A pool of exactly `size` connections to `url` (opened at once, so a dead server fails here,
/// within about three seconds), each named `application_name`.
pub async fn connect_pool(url: &str, size: u32, application_name: &str) -> Result<PgPool, PostgresStoreError> {
    let options = connect_options(url, application_name)?;
    let size = size.max(1);
    let connecting = PgPoolOptions::new()
        .max_connections(size)
        .min_connections(size)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options);
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(pool)) => Ok(pool),
        Ok(Err(reason)) => Err(unreachable(url, reason)),
        Err(_) => Err(unreachable(url, "no answer within 3 s")),
    }
}

/// One connection of its own to `url`, for what must outlive no pool (a run's lock).
async fn connect_one(url: &str, application_name: &str) -> Result<PgConnection, PostgresStoreError> {
    let options = connect_options(url, application_name)?;
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(reason)) => Err(unreachable(url, reason)),
        Err(_) => Err(unreachable(url, "no answer within 3 s")),
    }
}

fn check_run_schema(schema: &str) -> Result<(), PostgresStoreError> {
    if is_run_schema(schema) { Ok(()) } else { Err(PostgresStoreError::NotARunSchema(schema.to_owned())) }
}

/// A run's hold on its schema: an advisory lock on a connection of its own. Dropping it, or the
/// process ending, closes the connection and so releases the lock.
pub struct SchemaLock {
    connection: PgConnection,
}

impl SchemaLock {
    /// Takes the lock of `schema` (before the schema exists, so no sweep can take it meanwhile).
    pub async fn take(url: &str, schema: &str) -> Result<Self, PostgresStoreError> {
        check_run_schema(schema)?;
        let mut connection = connect_one(url, &format!("{schema} lock")).await?;
        sqlx::query("select pg_advisory_lock($1, hashtext($2))")
            .bind(LOCK_CLASS)
            .bind(schema)
            .execute(&mut connection)
            .await?;
        Ok(Self { connection })
    }

    /// Releases the lock (the schema is gone by then).
    pub async fn release(self) {
        let _ = self.connection.close().await;
    }
}

/// Creates `schema` with the session table (through the crate's `migrate`), its expiry index and
/// the user table. Run it once per run, before any node opens the store.
pub async fn prepare_schema(pool: &PgPool, schema: &str) -> Result<(), PostgresStoreError> {
    check_run_schema(schema)?;
    let created = sqlx::query(&format!(r#"create schema if not exists "{schema}""#)).execute(pool).await;
    if let Err(sqlx::Error::Database(e)) = &created {
        if e.code().as_deref() == Some("42501") {
            let (user, database): (String, String) =
                sqlx::query_as("select current_user::text, current_database()::text").fetch_one(pool).await?;
            let reason = e.message().to_owned();
            return Err(PostgresStoreError::NoCreatePermission { user, database, schema: schema.into(), reason });
        }
    }
    created?;
    let store = PostgresStore::new(pool.clone()).with_schema_name(schema).map_err(|e| {
        // The name was checked above; the crate's own check agrees with it.
        PostgresStoreError::NotARunSchema(format!("{schema}: {e}"))
    })?;
    store.migrate().await?;
    sqlx::query(&format!(
        r#"create index if not exists "{SESSION_TABLE}_expiry_date" on "{schema}"."{SESSION_TABLE}" (expiry_date)"#
    ))
    .execute(pool)
    .await?;
    sqlx::query(&format!(
        r#"create table if not exists "{schema}"."{USER_TABLE}" (
            session_id text primary key references "{schema}"."{SESSION_TABLE}" (id) on delete cascade,
            username text not null
        )"#
    ))
    .execute(pool)
    .await?;
    sqlx::query(&format!(
        r#"create index if not exists "{USER_TABLE}_username" on "{schema}"."{USER_TABLE}" (username)"#
    ))
    .execute(pool)
    .await?;
    Ok(())
}

/// Drops `schema` and everything in it, if it is a run's schema; nothing else.
pub async fn drop_schema(pool: &PgPool, schema: &str) -> Result<(), PostgresStoreError> {
    check_run_schema(schema)?;
    sqlx::query(&format!(r#"drop schema if exists "{schema}" cascade"#)).execute(pool).await?;
    Ok(())
}

/// What a sweep dropped: the schemas of runs that no longer hold their lock.
pub async fn sweep_dead_schemas(pool: &PgPool) -> Result<Vec<String>, PostgresStoreError> {
    let schemas: Vec<(String,)> =
        sqlx::query_as("select nspname::text from pg_namespace where starts_with(nspname, $1) order by 1")
            .bind(RUN_SCHEMA)
            .fetch_all(pool)
            .await?;
    let mut connection = pool.acquire().await?;
    let mut dropped = Vec::new();
    for (schema,) in schemas.into_iter().filter(|(s,)| is_run_schema(s)) {
        // Taken by this connection only if no live run holds it.
        let free: bool = sqlx::query_scalar("select pg_try_advisory_lock($1, hashtext($2))")
            .bind(LOCK_CLASS)
            .bind(&schema)
            .fetch_one(&mut *connection)
            .await?;
        if !free {
            continue;
        }
        let result =
            sqlx::query(&format!(r#"drop schema if exists "{schema}" cascade"#)).execute(&mut *connection).await;
        sqlx::query("select pg_advisory_unlock($1, hashtext($2))")
            .bind(LOCK_CLASS)
            .bind(&schema)
            .execute(&mut *connection)
            .await?;
        result?;
        dropped.push(schema);
    }
    Ok(dropped)
}

/// `authlab clean`: drops what dead runs left in the database at `url`.
pub async fn clean(url: &str) -> Result<Vec<String>, PostgresStoreError> {
    let pool = connect_pool(url, 1, "authlab clean").await?;
    let dropped = sweep_dead_schemas(&pool).await;
    pool.close().await;
    dropped
}

/// Sessions in PostgreSQL, in a run's schema that [`prepare_schema`] made.
#[derive(Debug, Clone)]
pub struct PgSessionStore {
    inner: PostgresStore,
    pool: PgPool,
    schema: String,
    /// Whether each session's user is listed in `session_user` (one more statement per login).
    user_index: bool,
}

impl PgSessionStore {
    /// The store over `pool`, in `schema` (which must exist: see [`prepare_schema`]).
    pub fn open(pool: PgPool, schema: &str) -> Result<Self, PostgresStoreError> {
        check_run_schema(schema)?;
        let inner = PostgresStore::new(pool.clone())
            .with_schema_name(schema)
            .map_err(|e| PostgresStoreError::NotARunSchema(format!("{schema}: {e}")))?;
        Ok(Self { inner, pool, schema: schema.to_owned(), user_index: false })
    }

    /// Lists each session's user, so that [`UserSessions::delete_user_sessions`] finds them.
    pub fn with_user_index(mut self) -> Self {
        self.user_index = true;
        self
    }

    /// The run's schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The pool's connections.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Deletes expired sessions every `every`, for as long as the node runs, counting the
    /// sweeps that failed in `errors` (the crate's own loop would stop at the first).
    pub fn spawn_expiry_sweep(&self, every: Duration, errors: Arc<AtomicU64>) -> JoinHandle<()> {
        let store = self.inner.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if let Err(e) = store.delete_expired().await {
                    errors.fetch_add(1, Relaxed);
                    tracing::warn!("deleting expired sessions: {e}");
                }
            }
        })
    }

    /// The database's own figures for this run's tables, and for the backends whose
    /// `application_name` starts with the schema's name (the run's nodes).
    pub async fn reading(&self) -> Result<PgReading, PostgresStoreError> {
        let schema = &self.schema;
        // An exact count, by a sequential scan: its reads then land in `seq_tup_read`, apart from
        // the index fetches that are the nodes' own lookups (`rows_fetched`).
        let mut transaction = self.pool.begin().await?;
        for setting in ["enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"] {
            sqlx::query(&format!("set local {setting} = off")).execute(&mut *transaction).await?;
        }
        let rows: i64 = sqlx::query_scalar(&format!(r#"select count(*) from "{schema}"."{SESSION_TABLE}""#))
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        let total_bytes: i64 = sqlx::query_scalar(
            "select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint from pg_class c \
             join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'",
        )
        .bind(schema)
        .fetch_one(&self.pool)
        .await?;
        let table: Option<(i64, i64, i64, i64)> = sqlx::query_as(
            "select n_live_tup, n_dead_tup, (n_tup_ins + n_tup_upd + n_tup_del)::bigint, \
             coalesce(idx_tup_fetch, 0)::bigint \
             from pg_stat_user_tables where schemaname = $1 and relname = $2",
        )
        .bind(schema)
        .bind(SESSION_TABLE)
        .fetch_optional(&self.pool)
        .await?;
        let (live_tuples, dead_tuples, rows_written, rows_fetched) = table.unwrap_or_default();
        let transactions: i64 = sqlx::query_scalar(
            "select (xact_commit + xact_rollback)::bigint from pg_stat_database where datname = current_database()",
        )
        .fetch_one(&self.pool)
        .await?;
        let backends: Vec<(i32,)> = sqlx::query_as(
            "select pid from pg_stat_activity where starts_with(application_name, $1 || ' ') \
             and application_name <> $1 || ' lock'",
        )
        .bind(schema)
        .fetch_all(&self.pool)
        .await?;
        let whole = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(PgReading {
            rows: whole(rows),
            total_bytes: whole(total_bytes),
            live_tuples: whole(live_tuples),
            dead_tuples: whole(dead_tuples),
            rows_written: whole(rows_written),
            rows_fetched: whole(rows_fetched),
            transactions: whole(transactions),
            backend_cpu: backends.into_iter().filter_map(|(pid,)| Some((pid, backend_cpu_seconds(pid)?))).collect(),
        })
    }

    /// Closes the pool's connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// What the database said of a run's store at one moment; counters are cumulative.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PgReading {
    /// Rows of the session table: the sessions held.
    pub rows: u64,
    /// `pg_total_relation_size` of the schema's tables: data, indexes and TOAST.
    pub total_bytes: u64,
    /// `pg_stat_user_tables.n_live_tup` of the session table (the server's estimate).
    pub live_tuples: u64,
    /// `n_dead_tup`: row versions deletes and updates left for vacuum.
    pub dead_tuples: u64,
    /// Rows inserted, updated and deleted in the session table, so far.
    pub rows_written: u64,
    /// Rows fetched from the session table through its indexes, so far: the nodes' lookups by id
    /// and their expiry sweeps (the run's own count of rows is a sequential scan, left out).
    pub rows_fetched: u64,
    /// Transactions committed and rolled back in the whole database, so far.
    pub transactions: u64,
    /// CPU seconds so far of each backend serving the run's nodes, by process id, where the
    /// server runs on this machine (empty otherwise).
    pub backend_cpu: BTreeMap<i32, f64>,
}

impl PgReading {
    /// CPU seconds the run's backends spent since `previous` (a backend first seen counts all its
    /// time).
    pub fn cpu_seconds_since(&self, previous: &PgReading) -> f64 {
        self.backend_cpu
            .iter()
            .map(|(pid, &now)| (now - previous.backend_cpu.get(pid).copied().unwrap_or(0.0)).max(0.0))
            .sum()
    }

    /// Whether the backends' CPU could be read: the server is on this machine.
    pub fn cpu_measured(&self) -> bool {
        !self.backend_cpu.is_empty()
    }
}

/// The CPU seconds (user + system) of PostgreSQL backend `pid`, if it is a PostgreSQL process on
/// this machine (a remote server's pid names nothing here, or someone else).
fn backend_cpu_seconds(pid: i32) -> Option<f64> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if !cmdline.starts_with(b"postgres") {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then(|| ticks / per_second as f64)
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await?;
        if let (true, Some(user)) = (self.user_index, user_of(record)) {
            sqlx::query(&format!(
                r#"insert into "{}"."{USER_TABLE}" (session_id, username) values ($1, $2) on conflict do nothing"#,
                self.schema
            ))
            .bind(record.id.to_string())
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

#[async_trait]
impl UserSessions for PgSessionStore {
    async fn delete_user_sessions(&self, user: &str) -> session_store::Result<u64> {
        let deleted = sqlx::query(&format!(
            r#"delete from "{schema}"."{SESSION_TABLE}" where id in
               (select session_id from "{schema}"."{USER_TABLE}" where username = $1)"#,
            schema = self.schema
        ))
        .bind(user)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(deleted.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_schemas_of_the_runs_own_form_belong_to_a_run() {
        assert_eq!(run_schema("0a1b2c3d4e5f-session-token"), "authlab_run_0a1b2c3d4e5f_session_token");
        for ours in
            ["authlab_run_0a1b", "authlab_run_0a1b_session", "authlab_run_0a1b_session_token", "authlab_run_beef_token"]
        {
            assert!(is_run_schema(ours), "{ours}");
        }
        for foreign in [
            "authlab_run_",
            "authlab_run_xyz",
            "authlab_run_beef_orders",
            "authlab_run_beef__",
            "public",
            "tower_sessions",
            "authlab_runs_beef",
            "Authlab_run_beef",
        ] {
            assert!(!is_run_schema(foreign), "{foreign}");
        }
    }
}
