//! The auth check per request, for each algorithm and each session store, next to the raw
//! primitive it is built on (HMAC-SHA256 over the same bytes, a HashMap lookup).
//!
//! `cargo bench --bench auth_check`. The Redis lookup uses `AUTHLAB_REDIS_URL` (default
//! redis://127.0.0.1:6379/) under its own key prefix, deletes its keys afterwards, and is
//! skipped, loudly, when no Redis answers.

use std::collections::HashMap;
use std::hint::black_box;

use authlab::session_store::{MemoryStore, RedisSessionStore};
use authlab::token::access::{TokenAuthority, TokenPolicy};
use authlab::token::keys::{KeySet, SUPPORTED, algorithm_name};
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use serde_json::json;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

const SESSIONS: usize = 100_000;

fn token_checks(c: &mut Criterion) {
    let mut group = c.benchmark_group("auth_check/token");
    for alg in SUPPORTED {
        let authority = TokenAuthority::new(KeySet::generate(alg).expect("a key"), TokenPolicy::default(), false);
        let (token, _) = authority.issue("user0000001").expect("a token");
        let header = format!("Bearer {token}");
        assert!(authority.auth_check(Some(header.as_bytes())).is_ok());
        group.bench_function(algorithm_name(alg), |b| {
            b.iter(|| authority.auth_check(black_box(Some(header.as_bytes()))))
        });
    }
    // The raw primitive under HS256: one HMAC-SHA256 over the same signing input.
    let authority = TokenAuthority::new(
        KeySet::generate(jsonwebtoken::Algorithm::HS256).expect("a key"),
        TokenPolicy::default(),
        false,
    );
    let (token, _) = authority.issue("user0000001").expect("a token");
    let signing_input = &token[..token.rfind('.').expect("a JWT has dots")];
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &[7u8; 32]);
    group.bench_function("raw HMAC-SHA256 over the signing input", |b| {
        b.iter(|| aws_lc_rs::hmac::sign(&key, black_box(signing_input.as_bytes())))
    });
    group.finish();
}

fn session_record(payload: usize) -> Record {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), json!("user0000001"));
    data.insert("payload".to_owned(), json!("x".repeat(payload)));
    Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1) }
}

fn memory_store_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("auth_check/session");
    let store = MemoryStore::new(None);
    let mut ids = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        let mut record = session_record(200);
        store.create(&mut record).now_or_never().expect("the memory store never waits").expect("stored");
        ids.push(record.id);
    }
    let mut i = 0;
    group.bench_function("memory store load (100k sessions)", |b| {
        b.iter(|| {
            i = (i + 7919) % SESSIONS;
            store.load(black_box(&ids[i])).now_or_never().expect("never waits").expect("found")
        })
    });
    let raw: HashMap<Id, Box<[u8]>> = ids.iter().map(|id| (*id, vec![0u8; 230].into_boxed_slice())).collect();
    group.bench_function("raw HashMap lookup (100k entries)", |b| {
        b.iter(|| {
            i = (i + 7919) % SESSIONS;
            raw.get(black_box(&ids[i])).map(|v| v.len())
        })
    });
    group.finish();
}

fn redis_lookup(c: &mut Criterion) {
    let url = std::env::var("AUTHLAB_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let prefix = format!("authlab:bench:{:08x}:", rand::random::<u32>());
    let store = match runtime.block_on(RedisSessionStore::connect(&url, &prefix)) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("\n*** SKIPPED the Redis lookup benchmark: {e}\n");
            return;
        }
    };
    let mut record = session_record(200);
    runtime.block_on(store.create(&mut record)).expect("stored in Redis");
    let mut group = c.benchmark_group("auth_check/session");
    group.bench_function("redis store load (loopback round trip)", |b| {
        b.iter(|| runtime.block_on(store.load(black_box(&record.id))).expect("loaded"))
    });
    group.finish();
    let deleted = runtime.block_on(store.delete_own_keys()).expect("cleanup");
    assert_eq!(deleted, 1, "the benchmark deletes exactly the key it made");
}

criterion_group!(benches, token_checks, memory_store_lookup, redis_lookup);
criterion_main!(benches);
