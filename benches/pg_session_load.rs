//! A session load from PostgreSQL through the store against the database round trip itself:
//! `PgSessionStore::load` (a connection from the pool, tower-sessions-sqlx-store's query, then its
//! MessagePack decode into a `Record`) against a raw `select data ... where id = $1` on the same
//! one-connection pool, through the pool and on its connection held, with the steps between them
//! timed apart: the pool's acquire (sqlx pings every connection it hands out, by default), the
//! store's own SQL with its expiry filter, the decode alone, and the store on a pool that does not
//! ping. Then `pgbench` runs the same raw SELECT by primary key, as an independent client.
//!
//! `cargo bench --bench pg_session_load`. The table holds 10,000 sessions of a 200 B payload
//! (`cargo test --benches`: 100, each benchmark run once, pgbench for 20 transactions),
//! created through the store; the loads cycle through all of them. PostgreSQL is a private
//! server (durability off unless `AUTHLAB_BENCH_PG_FSYNC=on`; loads do not write, so it should
//! not matter) or `AUTHLAB_BENCH_POSTGRES_URL`; the schema is the bench's own and is dropped
//! at the end. Without PostgreSQL the bench says SKIPPED (a failure under
//! `AUTHLAB_REQUIRE_POSTGRES=1`).

// A bench is not library API, and `criterion_group!` makes an undocumented `pub fn benches`.
#![allow(missing_docs)]

#[allow(dead_code)] // each bench uses part of it
mod support;

use std::collections::HashMap;
use std::hint::black_box;
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, ensure};
use authlab::session_store::{PgSessionStore, postgres};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use sqlx::ConnectOptions;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

const PAYLOAD_BYTES: usize = 200;
/// Seconds pgbench runs for in a measuring run.
const PGBENCH_SECONDS: u32 = 10;

fn session_record(user: u32) -> Record {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), json!(authlab::users::username(user)));
    data.insert("payload".to_owned(), json!("x".repeat(PAYLOAD_BYTES)));
    Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1) }
}

/// Creates `sessions` sessions through the store, on a pool of 8 of their own (a node's default),
/// so that the one connection the loads use stays as it is.
async fn fill(url: &str, schema: &str, sessions: usize) -> anyhow::Result<Vec<Id>> {
    let store = PgSessionStore::open(postgres::connect_pool(url, 8, "authlab pg_session_load fill").await?, schema)?;
    let mut ids = Vec::with_capacity(sessions);
    for chunk in (0..sessions).collect::<Vec<_>>().chunks(64) {
        let creates = chunk.iter().map(|&user| {
            let store = store.clone();
            async move {
                let mut record = session_record(user as u32);
                store.create(&mut record).await.map(|()| record.id)
            }
        });
        for id in futures_util::future::join_all(creates).await {
            ids.push(id?);
        }
    }
    store.close().await;
    Ok(ids)
}

fn pg_session_load(c: &mut Criterion) {
    if let Err(e) = run(c) {
        panic!("pg_session_load: {e:#}");
    }
}

fn run(c: &mut Criterion) -> anyhow::Result<()> {
    let measuring = std::env::args().any(|a| a == "--bench");
    let sessions = if measuring { 10_000 } else { 100 };
    let Some(server) = support::PostgresServer::start()? else { return Ok(()) };
    // One thread: the future that waits for the answer also polls the socket, as a blocking
    // client (pgbench) does, with no hand-over between threads.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let schema = runtime.block_on(support::BenchSchema::create(server.url(), 1, "authlab pg_session_load"))?;
    let result = measure(c, &runtime, &server, &schema, sessions, measuring);
    let dropped = runtime.block_on(schema.drop());
    result.and(dropped)
}

fn measure(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    server: &support::PostgresServer,
    schema: &support::BenchSchema,
    sessions: usize,
    measuring: bool,
) -> anyhow::Result<()> {
    let (store, pool) = (schema.store(), schema.pool());
    // A pooled connection goes back to its pool from a task of its own, when dropped.
    let _entered = runtime.enter();
    println!("{}", runtime.block_on(server.describe(pool))?);
    let ids = runtime.block_on(fill(server.url(), schema.schema(), sessions))?;
    let keys: Vec<String> = ids.iter().map(Id::to_string).collect();
    let table = format!(r#""{}"."session""#, schema.schema());
    let raw_sql = format!("select data from {table} where id = $1");
    // The store's own statement (tower-sessions-sqlx-store 0.15, `PostgresStore::load`).
    let store_sql = format!("select data from {table} where id = $1 and expiry_date > $2");
    runtime.block_on(sqlx::query(&format!("analyze {table}")).execute(pool))?;
    let plan: Vec<(String,)> = runtime.block_on(
        sqlx::query_as(&format!("explain select data from {table} where id = '{}'", keys[0])).fetch_all(pool),
    )?;
    println!("plan of the raw SELECT: {}", plan.iter().map(|(l,)| l.trim()).collect::<Vec<_>>().join(" / "));

    // Each path must read what the store wrote.
    let loaded = runtime.block_on(store.load(&ids[0]))?.context("the store finds its own session")?;
    ensure!(loaded.data.get("user") == Some(&json!(authlab::users::username(0))), "the store loaded another session");
    let raw: Option<Vec<u8>> = runtime.block_on(sqlx::query_scalar(&raw_sql).bind(&keys[0]).fetch_optional(pool))?;
    let raw = raw.context("the raw SELECT finds the session")?;
    let decoded: Record = rmp_serde::from_slice(&raw)?;
    ensure!(decoded.id == ids[0], "the raw SELECT read another session");
    println!("a session's data column: {} B (MessagePack of the whole record: id, data, expiry)", raw.len());

    // The same store on a pool that does not ping each connection it hands out (sqlx's
    // `test_before_acquire`, on by default and so in the node's pool: a Sync round trip first).
    let options = sqlx::postgres::PgConnectOptions::from_str(server.url())?
        .application_name("authlab pg_session_load no-ping")
        .disable_statement_logging();
    let quiet_pool = runtime.block_on(
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options),
    )?;
    let quiet_store = PgSessionStore::open(quiet_pool.clone(), schema.schema())?;

    let mut group = c.benchmark_group("pg_session_load");
    let step = 7919 % sessions.max(1) + 1;
    let mut i = 0;
    group.bench_function(
        format!("store load: PgSessionStore::load ({sessions} sessions, the node's pool, of 1)"),
        |b| {
            b.iter(|| {
                i = (i + step) % sessions;
                runtime.block_on(store.load(black_box(&ids[i]))).expect("a load").expect("found")
            })
        },
    );
    group.bench_function("raw: select data where id = $1, through the same pool", |b| {
        b.iter(|| {
            i = (i + step) % sessions;
            let query = sqlx::query_scalar(&raw_sql).bind(black_box(&keys[i]));
            let row: Option<Vec<u8>> = runtime.block_on(query.fetch_optional(pool)).expect("a select");
            row.expect("found")
        })
    });
    group.bench_function("raw: select data where id = $1, on the pool's connection held", |b| {
        let mut connection = runtime.block_on(pool.acquire()).expect("the pool's connection");
        b.iter(|| {
            i = (i + step) % sessions;
            let query = sqlx::query_scalar(&raw_sql).bind(black_box(&keys[i]));
            let row: Option<Vec<u8>> = runtime.block_on(query.fetch_optional(&mut *connection)).expect("a select");
            row.expect("found")
        })
    });
    group.bench_function("raw: the store's SQL (id, expiry_date > $2), no decode, connection held", |b| {
        let mut connection = runtime.block_on(pool.acquire()).expect("the pool's connection");
        b.iter(|| {
            i = (i + step) % sessions;
            let query = sqlx::query_scalar(&store_sql).bind(black_box(&keys[i])).bind(OffsetDateTime::now_utc());
            let row: Option<Vec<u8>> = runtime.block_on(query.fetch_optional(&mut *connection)).expect("a select");
            row.expect("found")
        })
    });
    group.bench_function("pool acquire alone (its ping: one Sync round trip)", |b| {
        b.iter(|| runtime.block_on(async { drop(pool.acquire().await.expect("the pool's connection")) }))
    });
    group.bench_function("store load on a pool of 1 without test_before_acquire", |b| {
        b.iter(|| {
            i = (i + step) % sessions;
            runtime.block_on(quiet_store.load(black_box(&ids[i]))).expect("a load").expect("found")
        })
    });
    group.bench_function("decode only: rmp_serde::from_slice::<Record> of one session's data", |b| {
        b.iter(|| rmp_serde::from_slice::<Record>(black_box(&raw)).expect("a record"))
    });
    group.finish();

    // The same paths again, interleaved: round after round of each, so that whatever else loads
    // the machine (it is shared) weighs on all of them alike; medians over the rounds.
    let (rounds, per_round) = if measuring { (40, 250) } else { (2, 10) };
    let step_on = |i: &mut usize| {
        *i = (*i + step) % sessions;
        *i
    };
    let mut times: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..per_round {
            let id = &ids[step_on(&mut i)];
            runtime.block_on(store.load(id))?.context("found")?;
        }
        times[0].push(started.elapsed().as_secs_f64());
        // The pool's one connection, held while the raw SELECTs run on it.
        let mut connection = runtime.block_on(pool.acquire())?;
        let started = Instant::now();
        for _ in 0..per_round {
            let query = sqlx::query_scalar(&raw_sql).bind(&keys[step_on(&mut i)]);
            let row: Option<Vec<u8>> = runtime.block_on(query.fetch_optional(&mut *connection))?;
            row.context("found")?;
        }
        times[1].push(started.elapsed().as_secs_f64());
        drop(connection);
        let started = Instant::now();
        for _ in 0..per_round {
            runtime.block_on(async { drop(pool.acquire().await) });
        }
        times[2].push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        for _ in 0..per_round {
            runtime.block_on(quiet_store.load(&ids[step_on(&mut i)]))?.context("found")?;
        }
        times[3].push(started.elapsed().as_secs_f64());
    }
    // Per round, the store against the raw SELECT next to it: what drifts between rounds cancels.
    let per_op = |t: f64| t / per_round as f64 * 1e6;
    let mut added: Vec<f64> = times[0].iter().zip(&times[1]).map(|(s, r)| per_op(s - r)).collect();
    let mut ratio: Vec<f64> = times[0].iter().zip(&times[1]).map(|(s, r)| s / r).collect();
    let mut quiet_added: Vec<f64> = times[3].iter().zip(&times[1]).map(|(q, r)| per_op(q - r)).collect();
    let mut quiet_ratio: Vec<f64> = times[3].iter().zip(&times[1]).map(|(q, r)| q / r).collect();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let [store_us, raw_us, acquire_us, quiet_us] = times.each_mut().map(|v| per_op(median(v)));
    println!(
        "interleaved, {rounds} rounds of {per_round} of each, medians in µs per op: store load {store_us:.1}, raw SELECT \
         on the connection held {raw_us:.1}, pool acquire alone {acquire_us:.1}, store load on a pool without the ping \
         {quiet_us:.1}"
    );
    println!(
        "  per round, the store load against the raw SELECT: adds {:.1} µs ({:.2}x); on a pool without the ping, adds \
         {:.1} µs ({:.2}x)",
        median(&mut added),
        median(&mut ratio),
        median(&mut quiet_added),
        median(&mut quiet_ratio),
    );
    runtime.block_on(quiet_pool.close());

    pgbench(server, &table, &keys[0], if measuring { Some(PGBENCH_SECONDS) } else { None })
}

/// The same SELECT by primary key from `pgbench` (libpq, prepared, one connection), for
/// `seconds`, or for 20 transactions in a test run.
fn pgbench(server: &support::PostgresServer, table: &str, key: &str, seconds: Option<u32>) -> anyhow::Result<()> {
    let Some(pgbench) = server.pgbench() else {
        println!("pgbench: not installed, no independent figure");
        return Ok(());
    };
    let dir =
        std::env::temp_dir().join(format!("authlab-pgbench-{}-{:08x}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir(&dir)?;
    let script = dir.join("select.sql");
    std::fs::write(&script, format!("select data from {table} where id = '{key}';\n"))?;
    let (host, port) = server.host_port()?;
    let url = url::Url::parse(server.url())?;
    let user = if url.username().is_empty() { "postgres" } else { url.username() };
    let database = url.path().trim_start_matches('/');
    let mut command = Command::new(&pgbench);
    command.args(["-n", "-M", "prepared", "-c", "1", "-j", "1", "-h", &host, "-p", &port.to_string(), "-U", user]);
    match seconds {
        Some(s) => command.args(["-T", &s.to_string()]),
        None => command.args(["-t", "20"]),
    };
    command.arg("-f").arg(&script).arg(if database.is_empty() { "postgres" } else { database });
    if let Some(password) = url.password() {
        command.env("PGPASSWORD", password);
    }
    let out = command.output().context("running pgbench");
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "pgbench failed ({}): {stdout}{}", out.status, String::from_utf8_lossy(&out.stderr));
    let field = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
    };
    let latency_ms: f64 = field("latency average = ").context("no latency average in pgbench's output")?.parse()?;
    let tps = field("tps = ").unwrap_or_default();
    let transactions = field("number of transactions actually processed: ").unwrap_or_default();
    println!(
        "pgbench -M prepared -c 1, the raw SELECT by primary key of one session: latency average {:.1} µs, \
         tps {tps}, {transactions} transactions",
        latency_ms * 1000.0
    );
    Ok(())
}

criterion_group!(benches, pg_session_load);
criterion_main!(benches);
