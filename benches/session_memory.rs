//! Memory per session at 100k sessions of a 200 B payload, in each store, measured in one run:
//! the memory store's heap bytes, Redis's `used_memory` growth, and PostgreSQL's disk (table,
//! indexes, TOAST) by `pg_relation_size`, `pg_indexes_size` and `pg_total_relation_size`.
//!
//! `cargo bench --bench session_memory [-- SESSIONS PAYLOAD_BYTES]` (default 100000 and 200;
//! `cargo test --benches` does 1000). Every session is created through its store's own
//! `SessionStore::create`, as a node's login makes it (user + payload), with the per-user index a
//! lab run's nodes keep. The payload is `x` repeated, as a node's; `AUTHLAB_BENCH_PAYLOAD=random`
//! makes it random letters and digits (which PostgreSQL cannot compress).
//! - Redis is a private redis-server on a free port (persistence off), or `AUTHLAB_REDIS_URL`,
//!   where the run writes only under its own prefix and deletes those keys at the end.
//! - PostgreSQL is a private server (see `support`), or `AUTHLAB_BENCH_POSTGRES_URL`, where the run
//!   makes a schema of its own and drops it at the end.
//!
//! A store that is not there is SKIPPED, loudly (a failure under `AUTHLAB_REQUIRE_REDIS=1` /
//! `AUTHLAB_REQUIRE_POSTGRES=1`, as in CI).

#[allow(dead_code)] // each bench uses part of it
mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use anyhow::{Context, ensure};
use authlab::heap::{CountingAllocator, heap_bytes};
use authlab::process_stats::ProcessStats;
use authlab::session_store::{MemoryStore, PgSessionStore, RedisSessionStore};
use fred::prelude::ClientLike;
use futures_util::FutureExt;
use rand::Rng;
use serde_json::json;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// A session node's default PostgreSQL pool.
const PG_POOL: u32 = 8;
/// Creates in flight at once on PostgreSQL (they queue for the pool's connections).
const PG_CONCURRENCY: usize = 32;

/// A session as a node's login makes it: the user's name and the payload. Every session is
/// another user's, as in the lab's visits (each visit uses another account).
fn session(payload: &str, user: usize) -> Record {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), json!(authlab::users::username(user as u32)));
    data.insert("payload".to_owned(), json!(payload));
    Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1) }
}

fn main() -> anyhow::Result<()> {
    CountingAllocator::mark_installed();
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    // `cargo test --benches` runs this without `--bench`: a quick smoke run is enough there.
    let measuring = std::env::args().any(|a| a == "--bench");
    let sessions = args.first().copied().unwrap_or(if measuring { 100_000 } else { 1_000 });
    let payload_bytes = args.get(1).copied().unwrap_or(200);
    // The node's payload is `x` repeated, which PostgreSQL compresses once a row passes about
    // 2 kB; `AUTHLAB_BENCH_PAYLOAD=random` makes it random letters and digits, which it cannot.
    let random = std::env::var("AUTHLAB_BENCH_PAYLOAD").as_deref() == Ok("random");
    let payload: String = if random {
        rand::rng().sample_iter(rand::distr::Alphanumeric).take(payload_bytes).map(char::from).collect()
    } else {
        "x".repeat(payload_bytes)
    };
    let process = ProcessStats::for_this_process();

    let store = MemoryStore::new(None);
    let heap_before = heap_bytes().unwrap_or(0);
    let rss_before = process.sample().rss_bytes;
    for i in 0..sessions {
        let mut record = session(&payload, i);
        store.create(&mut record).now_or_never().expect("the memory store never waits")?;
    }
    let heap_per = (heap_bytes().unwrap_or(0) - heap_before) as f64 / sessions as f64;
    let rss_per = process.sample().rss_bytes.saturating_sub(rss_before) as f64 / sessions as f64;
    let counted_per = store.stats().bytes as f64 / sessions as f64;
    let kind = if random { "random letters and digits" } else { "x repeated, as a node's" };
    println!("sessions: {sessions}, payload: {payload_bytes} B ({kind})");
    println!(
        "memory store: heap {heap_per:.0} B/session ({:.0} B beyond the payload)",
        heap_per - payload_bytes as f64
    );
    println!("memory store: RSS growth {rss_per:.0} B/session; the store's own count {counted_per:.0} B/session");
    drop(store);

    let runtime = tokio::runtime::Runtime::new()?;
    let redis = runtime.block_on(redis_memory(sessions, &payload));
    let postgres = runtime.block_on(postgres_disk(sessions, &payload));
    redis.and(postgres)
}

/// Redis's `used_memory` growth over `sessions` creates, on a private server unless
/// `AUTHLAB_REDIS_URL` names one.
async fn redis_memory(sessions: usize, payload: &str) -> anyhow::Result<()> {
    let (url, private_server) = match std::env::var("AUTHLAB_REDIS_URL") {
        Ok(url) => (url, None),
        Err(_) => match support::PrivateRedis::start()? {
            Some(server) => (server.url(), Some(server)),
            None => return Ok(()),
        },
    };
    let prefix = format!("authlab:memory-bench:{:08x}:", rand::random::<u32>());
    // As in a lab run: with the per-user index that `revoke_user` needs.
    let redis = RedisSessionStore::connect(&url, &prefix).await.context("connecting to Redis")?.with_user_index();
    let rss = || async {
        let info: String = redis.client().info(Some(fred::types::InfoKind::Memory)).await?;
        let rss =
            info.lines().find_map(|l| l.strip_prefix("used_memory_rss:")).and_then(|v| v.trim().parse::<u64>().ok());
        anyhow::Ok(rss.unwrap_or(0))
    };
    let result = async {
        let before = redis.used_memory().await?;
        let rss_before = rss().await?;
        let mut first = None;
        for chunk in 0..sessions.div_ceil(1000) {
            let batch = (chunk * 1000..sessions.min((chunk + 1) * 1000)).map(|i| {
                let redis = redis.clone();
                let mut record = session(payload, i);
                async move { redis.create(&mut record).await.map(|()| record.id) }
            });
            for created in futures_util::future::join_all(batch).await {
                first = first.or(Some(created?));
            }
        }
        let after = redis.used_memory().await?;
        let rss_after = rss().await?;
        let (keys, session_keys) = redis.count_own_keys().await?;
        let per = after.saturating_sub(before) as f64 / sessions as f64;
        let server = if private_server.is_some() { "private redis-server" } else { "AUTHLAB_REDIS_URL" };
        println!(
            "redis ({server}): used_memory {per:.0} B/session ({:.0} B beyond the payload), {keys} keys under {prefix:?} \
             ({session_keys} sessions, {} user sets)",
            per - payload.len() as f64,
            keys - session_keys,
        );
        println!(
            "redis: used_memory_rss (the server process's resident memory) growth {:.0} B/session",
            rss_after.saturating_sub(rss_before) as f64 / sessions as f64
        );
        // What one key of each kind takes, by Redis's own estimate (key, value, and the
        // allocator's rounding; not the keyspace's hash-table slots or the expiry table).
        if let Some(id) = first {
            let client = redis.client();
            let usage = |key: String| {
                let client = client.clone();
                async move { client.custom::<Option<u64>, _>(fred::cmd!("MEMORY"), vec!["USAGE".to_owned(), key]).await }
            };
            let session_key = usage(format!("{prefix}{id}")).await?.unwrap_or(0);
            let user_key = usage(format!("{prefix}user:{}", authlab::users::username(0))).await?.unwrap_or(0);
            println!("redis: MEMORY USAGE of one session key {session_key} B, of one user set {user_key} B");
        }
        anyhow::Ok(())
    }
    .await;
    let deleted = redis.delete_own_keys().await?;
    println!("redis: deleted the run's {deleted} keys");
    result
}

/// One relation's disk, in bytes, as PostgreSQL counts it.
#[derive(Debug, Default, Clone, Copy)]
struct RelationSize {
    /// `pg_relation_size(t, 'main')`: the heap, the rows themselves.
    heap: i64,
    /// Free space map and visibility map forks.
    maps: i64,
    /// `pg_indexes_size(t)`: every index on the table.
    indexes: i64,
    /// `pg_total_relation_size` of the table's TOAST table: out-of-line values and its index.
    toast: i64,
    /// `pg_total_relation_size(t)`: all of the above.
    total: i64,
}

async fn relation_sizes(pool: &sqlx::PgPool, schema: &str) -> anyhow::Result<Vec<(String, RelationSize)>> {
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "select c.relname::text, pg_relation_size(c.oid, 'main'), \
         pg_relation_size(c.oid, 'fsm') + pg_relation_size(c.oid, 'vm'), pg_indexes_size(c.oid), \
         coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0), pg_total_relation_size(c.oid) \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = $1 and c.relkind = 'r' order by 1",
    )
    .bind(schema)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, heap, maps, indexes, toast, total)| (name, RelationSize { heap, maps, indexes, toast, total }))
        .collect())
}

/// Each index of `schema.table` and its `pg_relation_size`.
async fn index_sizes(pool: &sqlx::PgPool, schema: &str, table: &str) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "select c.relname::text, pg_relation_size(i.indexrelid) from pg_index i join pg_class c on c.oid = i.indexrelid \
         where i.indrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass order by 1",
    )
    .bind(schema)
    .bind(table)
    .fetch_all(pool)
    .await?)
}

/// `sessions` creates through [`PgSessionStore::create`], then each table's disk per session.
async fn postgres_disk(sessions: usize, payload: &str) -> anyhow::Result<()> {
    let Some(server) = support::PostgresServer::start()? else { return Ok(()) };
    let schema = support::BenchSchema::create(server.url(), PG_POOL, "authlab session_memory bench").await?;
    let result = postgres_measure(&server, &schema, sessions, payload).await;
    let dropped = schema.drop().await;
    drop(server);
    result.and(dropped)
}

async fn postgres_measure(
    server: &support::PostgresServer,
    schema: &support::BenchSchema,
    sessions: usize,
    payload: &str,
) -> anyhow::Result<()> {
    let pool = schema.pool();
    println!("{}", server.describe(pool).await?);
    let before: HashMap<String, RelationSize> = relation_sizes(pool, schema.schema()).await?.into_iter().collect();
    let mut index_before = HashMap::new();
    for table in before.keys() {
        index_before.extend(index_sizes(pool, schema.schema(), table).await?);
    }
    // As in a lab run: with the user table that `revoke_user` needs.
    let store: PgSessionStore = schema.store().clone().with_user_index();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..PG_CONCURRENCY {
        let (store, next, payload) = (store.clone(), next.clone(), payload.to_owned());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= sessions {
                    return anyhow::Ok(());
                }
                store.create(&mut session(&payload, i)).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    println!(
        "postgres: {sessions} creates in {:.1} s ({:.0}/s, {PG_CONCURRENCY} at a time on a pool of {PG_POOL})",
        elapsed.as_secs_f64(),
        sessions as f64 / elapsed.as_secs_f64()
    );
    // As autovacuum would leave them (it makes the visibility and free-space maps); the figures
    // do not then depend on whether it happened to run yet.
    for table in ["session", "session_user"] {
        sqlx::query(&format!(r#"vacuum (analyze) "{}"."{table}""#, schema.schema())).execute(pool).await?;
    }
    let rows: i64 =
        sqlx::query_scalar(&format!(r#"select count(*) from "{}"."session""#, schema.schema())).fetch_one(pool).await?;
    ensure!(rows == sessions as i64, "the session table has {rows} rows after {sessions} creates");
    let (data, tuple): (f64, f64) = sqlx::query_as(&format!(
        r#"select avg(octet_length(data))::float8, avg(pg_column_size(s.*))::float8 from "{}"."session" s"#,
        schema.schema()
    ))
    .fetch_one(pool)
    .await?;
    println!(
        "postgres: a session row: data (MessagePack record) {data:.0} B, whole row {tuple:.0} B by pg_column_size \
         (the page adds a 4 B line pointer and alignment)"
    );
    let per = |bytes: i64| bytes as f64 / sessions as f64;
    let mut sum = RelationSize::default();
    for (name, after) in relation_sizes(pool, schema.schema()).await? {
        let b = before.get(&name).copied().unwrap_or_default();
        let growth = RelationSize {
            heap: after.heap - b.heap,
            maps: after.maps - b.maps,
            indexes: after.indexes - b.indexes,
            toast: after.toast - b.toast,
            total: after.total - b.total,
        };
        let indexes: Vec<String> = index_sizes(pool, schema.schema(), &name)
            .await?
            .into_iter()
            .map(|(index, size)| {
                let start = index_before.get(&index).copied().unwrap_or(0);
                format!("{index} {:.1}", per(size - start))
            })
            .collect();
        println!(
            "postgres: table {name}: total {:.1} B/session = heap {:.1} + free-space/visibility maps {:.1} + indexes {:.1} \
             ({}) + TOAST {:.1} (TOAST in all: {} B, of which {} B at the start)",
            per(growth.total),
            per(growth.heap),
            per(growth.maps),
            per(growth.indexes),
            indexes.join(", "),
            per(growth.toast),
            after.toast,
            b.toast,
        );
        sum.heap += growth.heap;
        sum.maps += growth.maps;
        sum.indexes += growth.indexes;
        sum.toast += growth.toast;
        sum.total += growth.total;
    }
    println!(
        "postgres: both tables: {:.0} B/session ({:.0} B beyond the payload) = heap {:.0} + maps {:.0} + indexes {:.0} + \
         TOAST {:.0}; WAL is not counted",
        per(sum.total),
        per(sum.total) - payload.len() as f64,
        per(sum.heap),
        per(sum.maps),
        per(sum.indexes),
        per(sum.toast),
    );
    Ok(())
}
