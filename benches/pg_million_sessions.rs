//! One node's PostgreSQL store holding a million sessions: how long creating them takes, how big
//! the tables get, and the latency of a session load at a million sessions against the same at a
//! thousand.
//!
//! `AUTHLAB_BENCH_SESSIONS=1000000 cargo bench --bench pg_million_sessions` (that is the default
//! under `cargo bench`; `cargo test --benches` does 1000, with fewer loads). The bench is the node:
//! the store as `authlab node --strategy session --store postgres://...` opens it in a lab run (a
//! pool of 8 connections, the per-user table that the admin API needs). Sessions are created
//! through `PgSessionStore::create`, 32 at a time.
//!
//! The reference is a second store of 1000 sessions on the same server, in a schema of its own,
//! so that loads from the two can be interleaved: round after round of loads from each, so that
//! whatever else loads the machine (it is shared) weighs on both alike. Loads are
//! `PgSessionStore::load` of random ids from all the sessions a store holds, one at a time and
//! then 8 at a time (one per connection, so no load waits for the pool), timed into HDR
//! histograms in µs. Before they start, both stores' tables are vacuumed (as autovacuum would
//! have, sooner or later; it would otherwise run on the big table in the middle of the loads) and
//! the server checkpoints.
//!
//! PostgreSQL is a private server (durability off unless `AUTHLAB_BENCH_PG_FSYNC=on`) or
//! `AUTHLAB_BENCH_POSTGRES_URL`; the schemas are the bench's own and are dropped at the end.
//! Without PostgreSQL it says SKIPPED (a failure under `AUTHLAB_REQUIRE_POSTGRES=1`). With a
//! release build and durability off, a million sessions take about seven minutes on two cores
//! and about 2 GB of disk in the temp dir (tables and WAL).

#[allow(dead_code)] // each bench uses part of it
mod support;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use authlab::session_store::PgSessionStore;
use hdrhistogram::Histogram;
use rand::Rng;
use serde_json::json;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

/// The size knob: how many sessions the big store ends up holding.
const SESSIONS_VAR: &str = "AUTHLAB_BENCH_SESSIONS";
const PAYLOAD_BYTES: usize = 200;
/// A session node's default pool.
const POOL: u32 = 8;
/// Creates in flight at once (they queue for the pool's connections).
const CREATE_CONCURRENCY: usize = 32;
/// Loads in flight at once: one alone (the round trips and the server's lookup), then one per
/// connection (as a busy node; on 2 cores, the backends then also wait for a core).
const LOAD_CONCURRENCY: [usize; 2] = [1, POOL as usize];
/// Sessions the reference store holds.
const SMALL: usize = 1000;
/// Rounds the loads of each store are split into, alternating between the stores.
const ROUNDS: usize = 20;

fn session_record(user: usize, payload: &str) -> Record {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), json!(authlab::users::username(user as u32)));
    data.insert("payload".to_owned(), json!(payload));
    Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(3) }
}

fn main() -> anyhow::Result<()> {
    // `cargo test --benches` runs this without `--bench`: a quick smoke run is enough there.
    let measuring = std::env::args().any(|a| a == "--bench");
    let sessions = match std::env::var(SESSIONS_VAR) {
        Ok(v) => v.trim().parse::<usize>().with_context(|| format!("{SESSIONS_VAR}={v:?} is not a number"))?,
        Err(_) if measuring => 1_000_000,
        Err(_) => 1_000,
    };
    ensure!((1..=10_000_000).contains(&sessions), "{SESSIONS_VAR} must be 1 to 10000000");
    let loads = if measuring { 50_000 } else { 400 };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let Some(server) = support::PostgresServer::start()? else { return Ok(()) };
        let big = support::BenchSchema::create(server.url(), POOL, "authlab pg_million_sessions").await?;
        let small = support::BenchSchema::create(server.url(), POOL, "authlab pg_million_sessions small").await;
        let result = match &small {
            Ok(small) => run(&server, &big, small, sessions, loads).await,
            Err(e) => Err(anyhow::anyhow!("making the reference schema: {e:#}")),
        };
        let dropped = big.drop().await;
        let dropped_small = match small {
            Ok(small) => small.drop().await,
            Err(_) => Ok(()),
        };
        result.and(dropped).and(dropped_small)
    })
}

/// Creates `count` sessions through the store, `CREATE_CONCURRENCY` at a time; their ids.
async fn create(store: &PgSessionStore, count: usize, deadline: Instant, progress: bool) -> anyhow::Result<Vec<Id>> {
    let payload: Arc<str> = "x".repeat(PAYLOAD_BYTES).into();
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CREATE_CONCURRENCY {
        let (store, next, failed, payload) = (store.clone(), next.clone(), failed.clone(), payload.clone());
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= count || failed.load(Relaxed) {
                    return anyhow::Ok(made);
                }
                let created = async {
                    ensure!(Instant::now() < deadline, "the creates did not finish in time (at {i} of {count})");
                    let mut record = session_record(i, &payload);
                    store.create(&mut record).await?;
                    anyhow::Ok(record.id)
                }
                .await;
                match created {
                    Ok(id) => made.push(id),
                    Err(e) => {
                        failed.store(true, Relaxed);
                        return Err(e);
                    }
                }
                let done = i + 1;
                if progress && done % (count / 10).max(1) == 0 {
                    let rate = done as f64 / started.elapsed().as_secs_f64();
                    println!("  {:3}% created ({done}), {rate:.0} creates/s", done * 100 / count);
                    let _ = std::io::stdout().flush();
                }
            }
        }));
    }
    let mut ids = Vec::with_capacity(count);
    for task in tasks {
        ids.extend(task.await??);
    }
    Ok(ids)
}

/// Buffer reads of the session table and its indexes: (hits in shared buffers, reads from the
/// OS), cumulative.
async fn buffer_reads(store: &PgSessionStore) -> anyhow::Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "select (coalesce(heap_blks_hit, 0) + coalesce(idx_blks_hit, 0))::bigint, \
         (coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0))::bigint \
         from pg_statio_user_tables where schemaname = $1 and relname = 'session'",
    )
    .bind(store.schema())
    .fetch_one(store.pool())
    .await?)
}

/// One store's loads, over all the rounds.
struct Latency {
    histogram: Histogram<u64>,
    busy: Duration,
    hits: i64,
    reads: i64,
}

impl Latency {
    fn new() -> anyhow::Result<Self> {
        Ok(Self { histogram: Histogram::new_with_bounds(1, 60_000_000, 3)?, busy: Duration::ZERO, hits: 0, reads: 0 })
    }

    fn line(&self, held: usize) -> String {
        let h = &self.histogram;
        format!(
            "holding {held:>8}: p50 {:>5} µs, p90 {:>5}, p99 {:>5}, p99.9 {:>6}, max {:>6}; {:>5.0} loads/s; \
             {:4.1} % of its buffer reads missed shared_buffers",
            h.value_at_quantile(0.50),
            h.value_at_quantile(0.90),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max(),
            h.len() as f64 / self.busy.as_secs_f64(),
            self.reads as f64 * 100.0 / (self.hits + self.reads).max(1) as f64,
        )
    }
}

/// `count` loads of random ids from `ids`, `concurrency` at a time, into `latency` (if timed);
/// every one must find its session.
async fn load_round(
    store: &PgSessionStore,
    ids: &Arc<[Id]>,
    count: usize,
    concurrency: usize,
    latency: Option<&mut Latency>,
) -> anyhow::Result<()> {
    let before = buffer_reads(store).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (store, ids, next) = (store.clone(), ids.clone(), next.clone());
            tokio::spawn(async move {
                let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
                while next.fetch_add(1, Relaxed) < count {
                    let id = ids[rand::rng().random_range(0..ids.len())];
                    let started = Instant::now();
                    let record = store.load(&id).await?;
                    histogram.saturating_record(started.elapsed().as_micros() as u64);
                    ensure!(record.is_some_and(|r| r.id == id), "session {id} was not found");
                }
                anyhow::Ok(histogram)
            })
        })
        .collect();
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for task in tasks {
        histogram.add(task.await??)?;
    }
    let busy = started.elapsed();
    let after = buffer_reads(store).await?;
    if let Some(latency) = latency {
        latency.histogram.add(histogram)?;
        latency.busy += busy;
        latency.hits += after.0 - before.0;
        latency.reads += after.1 - before.1;
    }
    Ok(())
}

async fn table_sizes(store: &PgSessionStore) -> anyhow::Result<Vec<(String, [i64; 4])>> {
    Ok(sqlx::query_as::<_, (String, i64, i64, i64, i64)>(
        "select c.relname::text, pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid), \
         coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = $1 and c.relkind = 'r' order by 1",
    )
    .bind(store.schema())
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|(name, total, heap, indexes, toast)| (name, [total, heap, indexes, toast]))
    .collect())
}

fn mib(bytes: i64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

async fn print_sizes(store: &PgSessionStore, sessions: usize, when: &str) -> anyhow::Result<()> {
    let mut total = 0;
    for (name, [all, heap, indexes, toast]) in table_sizes(store).await? {
        let per = |b: i64| b as f64 / sessions as f64;
        println!(
            "  table {name}: {} ({:.0} B/session) = heap {:.0} + indexes {:.0} + TOAST {:.1} + free-space/visibility \
             maps {:.1} B/session",
            mib(all),
            per(all),
            per(heap),
            per(indexes),
            per(toast),
            per(all - heap - indexes - toast),
        );
        total += all;
    }
    println!("  both tables {when}: {} ({:.0} B/session)", mib(total), total as f64 / sessions as f64);
    Ok(())
}

async fn vacuum(store: &PgSessionStore) -> anyhow::Result<()> {
    for table in ["session", "session_user"] {
        sqlx::query(&format!(r#"vacuum (analyze) "{}"."{table}""#, store.schema())).execute(store.pool()).await?;
    }
    Ok(())
}

async fn run(
    server: &support::PostgresServer,
    big: &support::BenchSchema,
    small: &support::BenchSchema,
    sessions: usize,
    loads: usize,
) -> anyhow::Result<()> {
    // Generous, yet bounded: 60 s plus 3 ms a session (a million: about 51 minutes).
    let deadline = Instant::now() + Duration::from_secs(60) + Duration::from_millis(3) * sessions as u32;
    let store = big.store().clone().with_user_index();
    let reference = small.store().clone().with_user_index();
    println!("{}", server.describe(store.pool()).await?);
    println!(
        "pg_million_sessions: {sessions} sessions ({PAYLOAD_BYTES} B payload) through PgSessionStore::create, \
         {CREATE_CONCURRENCY} at a time on a pool of {POOL}"
    );
    let small_ids: Arc<[Id]> = create(&reference, SMALL, deadline, false).await?.into();
    let started = Instant::now();
    let ids = create(&store, sessions, deadline, true).await?;
    let elapsed = started.elapsed();
    let rows: i64 = sqlx::query_scalar(&format!(r#"select count(*) from "{}"."session""#, store.schema()))
        .fetch_one(store.pool())
        .await?;
    if rows != sessions as i64 || ids.len() != sessions {
        bail!("the session table has {rows} rows ({} ids kept) after {sessions} creates", ids.len());
    }
    println!(
        "created {sessions} sessions in {:.1} s: {:.0} creates/s (each: begin, id check, insert, commit, then the \
         user-table insert)",
        elapsed.as_secs_f64(),
        sessions as f64 / elapsed.as_secs_f64()
    );
    print_sizes(&store, sessions, "as created").await?;
    let started = Instant::now();
    vacuum(&store).await?;
    vacuum(&reference).await?;
    sqlx::query("checkpoint").execute(store.pool()).await?;
    println!("vacuum (analyze) of both stores and a checkpoint: {:.1} s", started.elapsed().as_secs_f64());
    print_sizes(&store, sessions, "after vacuum").await?;

    let ids: Arc<[Id]> = ids.into();
    let per_round = loads.div_ceil(ROUNDS);
    println!(
        "PgSessionStore::load of random ids, {} loads from each store in {ROUNDS} rounds, alternating (after {} \
         untimed from each), in µs:",
        per_round * ROUNDS,
        per_round * 2,
    );
    let q = |l: &Latency, q: f64| l.histogram.value_at_quantile(q) as f64;
    for concurrency in LOAD_CONCURRENCY {
        for (store, ids) in [(&reference, &small_ids), (&store, &ids)] {
            load_round(store, ids, per_round * 2, concurrency, None).await?;
        }
        let (mut at_small, mut at_big) = (Latency::new()?, Latency::new()?);
        for _ in 0..ROUNDS {
            load_round(&reference, &small_ids, per_round, concurrency, Some(&mut at_small)).await?;
            load_round(&store, &ids, per_round, concurrency, Some(&mut at_big)).await?;
        }
        println!(" {concurrency} at a time:");
        println!("  {}", at_small.line(SMALL));
        println!("  {}", at_big.line(sessions));
        println!(
            "  ratio of {sessions} to {SMALL}: p50 {:.2}, p90 {:.2}, p99 {:.2}, p99.9 {:.2}",
            q(&at_big, 0.5) / q(&at_small, 0.5).max(1.0),
            q(&at_big, 0.9) / q(&at_small, 0.9).max(1.0),
            q(&at_big, 0.99) / q(&at_small, 0.99).max(1.0),
            q(&at_big, 0.999) / q(&at_small, 0.999).max(1.0),
        );
    }
    Ok(())
}
