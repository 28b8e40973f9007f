//! Memory per session: heap bytes a memory-store session costs beyond its payload, at 100k
//! sessions, against Redis's `used_memory` growth for the same sessions, measured in one run.
//!
//! `cargo bench --bench session_memory [-- SESSIONS PAYLOAD_BYTES]` (default 100000 and 200).
//! Redis is `AUTHLAB_REDIS_URL` (default redis://127.0.0.1:6379/); the run writes only under its
//! own prefix and deletes those keys at the end. Without Redis it says so and measures memory only.

use std::collections::HashMap;

use authlab::heap::{CountingAllocator, heap_bytes};
use authlab::process_stats::ProcessStats;
use authlab::session_store::{MemoryStore, RedisSessionStore};
use futures_util::FutureExt;
use serde_json::json;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

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
    let payload = "x".repeat(payload_bytes);
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
    println!("sessions: {sessions}, payload: {payload_bytes} B");
    println!(
        "memory store: heap {heap_per:.0} B/session ({:.0} B beyond the payload)",
        heap_per - payload_bytes as f64
    );
    println!("memory store: RSS growth {rss_per:.0} B/session; the store's own count {counted_per:.0} B/session");
    drop(store);

    let url = std::env::var("AUTHLAB_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let runtime = tokio::runtime::Runtime::new()?;
    let prefix = format!("authlab:memory-bench:{:08x}:", rand::random::<u32>());
    // As in a lab run: with the per-user index that `revoke_user` needs.
    let redis = match runtime.block_on(RedisSessionStore::connect(&url, &prefix)) {
        Ok(redis) => redis.with_user_index(),
        Err(e) => {
            println!("redis: SKIPPED ({e})");
            return Ok(());
        }
    };
    let result = runtime.block_on(async {
        let before = redis.used_memory().await?;
        for chunk in 0..sessions.div_ceil(1000) {
            let batch = (chunk * 1000..sessions.min((chunk + 1) * 1000)).map(|i| {
                let redis = redis.clone();
                let mut record = session(&payload, i);
                async move { redis.create(&mut record).await }
            });
            for created in futures_util::future::join_all(batch).await {
                created?;
            }
        }
        let after = redis.used_memory().await?;
        let (keys, _) = redis.count_own_keys().await?;
        println!(
            "redis: used_memory {:.0} B/session ({:.0} B beyond the payload), {keys} keys under {prefix:?}",
            (after.saturating_sub(before)) as f64 / sessions as f64,
            (after.saturating_sub(before)) as f64 / sessions as f64 - payload_bytes as f64,
        );
        anyhow::Ok(())
    });
    let deleted = runtime.block_on(redis.delete_own_keys())?;
    println!("redis: deleted the run's {deleted} keys");
    result
}
