//! The auth check per request, for each algorithm and each session store, next to the raw
//! primitive it is built on: the signature check alone over the same signing input (aws-lc's
//! HMAC-SHA256, or its public-key verification, with the key parsed on every call as the auth check
//! does and parsed once), a HashMap lookup, a Redis GET of the same key through the same client.
//!
//! `cargo bench --bench auth_check`. The Redis lookup uses `AUTHLAB_REDIS_URL` (default
//! redis://127.0.0.1:6379/) under its own key prefix, deletes its keys afterwards, and is
//! skipped, loudly, when no Redis answers.

// A bench is not library API, and `criterion_group!` makes an undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;

use authlab::session_store::{MemoryStore, RedisSessionStore};
use authlab::token::access::{ACCESS_TOKEN_TYPE, AccessClaims, TokenAuthority, TokenPolicy, parse_bearer, validation};
use authlab::token::keys::{Alg, KeySet, SUPPORTED, algorithm_name};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use fred::prelude::{ClientLike, KeysInterface};
use futures_util::FutureExt;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, Validation};
use serde_json::json;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

const SESSIONS: usize = 100_000;

/// The auth check as it was built before issue 7, step for step, on jsonwebtoken's high-level
/// API: the header read by `decode_header` to find the `kid`, then read again by `decode`, which
/// also builds the verifier (parsing the key) on every call and reads the claims twice.
#[inline(never)]
fn decode_check(authority: &TokenAuthority, validation: &Validation, authorization: &[u8]) -> Option<AccessClaims> {
    let token = parse_bearer(authorization).ok()?;
    let header = jsonwebtoken::decode_header(token).ok()?;
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt"));
    if !typ_ok {
        return None;
    }
    let kid = header.kid?;
    let keys = authority.keys();
    let key = keys.set().keys().iter().find(|k| k.kid == kid)?;
    if header.alg != key.algorithm.primitive() {
        return None;
    }
    let claims = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, validation).ok()?.claims;
    let revoked = authority.denylist().is_some_and(|d| d.is_denied(&claims.jti))
        || authority.revoked_subjects().is_revoked(&claims.sub, claims.iat);
    (!revoked).then_some(claims)
}

/// The public key of `key` as aws-lc-rs takes it, and the verification algorithm for `alg`.
fn raw_public_key(alg: Alg, key: &DecodingKey) -> (&'static dyn aws_lc_rs::signature::VerificationAlgorithm, Vec<u8>) {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
    match (alg.primitive(), key.kind()) {
        (Algorithm::RS256, DecodingKeyKind::RsaModulusExponent { n, e }) => {
            let parsed = RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                .expect("a valid RSA key");
            // Its SubjectPublicKeyInfo DER, which `UnparsedPublicKey` parses on every call.
            (&RSA_PKCS1_2048_8192_SHA256, parsed.as_ref().to_vec())
        }
        (Algorithm::ES256, DecodingKeyKind::SecretOrDer(point)) => (&ECDSA_P256_SHA256_FIXED, point.clone()),
        (Algorithm::EdDSA, DecodingKeyKind::SecretOrDer(x)) => (&ED25519, x.clone()),
        (alg, kind) => panic!("no raw verifier for {alg:?} with a {kind:?} key"),
    }
}

fn token_checks(c: &mut Criterion) {
    let mut group = c.benchmark_group("auth_check/token");
    for alg in SUPPORTED {
        let name = algorithm_name(alg);
        let authority = TokenAuthority::new(KeySet::generate(alg).expect("a key"), TokenPolicy::default(), false);
        let (token, _) = authority.issue("user0000001").expect("a token");
        let header = format!("Bearer {token}");
        assert!(authority.auth_check(Some(header.as_bytes())).is_ok());
        group.bench_function(name, |b| b.iter(|| authority.auth_check(black_box(Some(header.as_bytes())))));
        let policy = authority.policy();
        // Built once per key, as the node always did.
        let validation = validation(alg, &policy.issuer, &policy.audience, policy.leeway);
        // jsonwebtoken cannot read an `Ed25519` header (RFC 9864), so it has no "before" to show.
        if alg != Alg::Ed25519 {
            assert!(decode_check(&authority, &validation, header.as_bytes()).is_some());
            group.bench_function(format!("{name} as jsonwebtoken::decode does it (the check before issue 7)"), |b| {
                b.iter(|| decode_check(&authority, &validation, black_box(header.as_bytes())))
            });
        }

        // The raw primitive next to it: the signature check alone, over the same signing input.
        let (signing_input, signature) = token.rsplit_once('.').expect("a JWT has dots");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("a base64url signature");
        let keys = authority.keys();
        let key = &keys.set().current().decoding;
        if alg == Alg::HS256 {
            let DecodingKeyKind::SecretOrDer(secret) = key.kind() else { panic!("an HMAC key is a secret") };
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
            aws_lc_rs::hmac::verify(&key, signing_input.as_bytes(), &signature).expect("the token's own MAC");
            group.bench_function(format!("{name} raw: HMAC-SHA256 verify over the signing input (aws-lc)"), |b| {
                b.iter(|| aws_lc_rs::hmac::verify(&key, black_box(signing_input.as_bytes()), &signature))
            });
            continue;
        }
        let (algorithm, public) = raw_public_key(alg, key);
        let unparsed = aws_lc_rs::signature::UnparsedPublicKey::new(algorithm, &public);
        unparsed.verify(signing_input.as_bytes(), &signature).expect("the token's own signature");
        group.bench_function(format!("{name} raw: UnparsedPublicKey::verify over the signing input (aws-lc)"), |b| {
            b.iter(|| unparsed.verify(black_box(signing_input.as_bytes()), &signature))
        });
        let parsed = aws_lc_rs::signature::ParsedPublicKey::new(algorithm, &public).expect("a valid public key");
        group.bench_function(format!("{name} raw: ParsedPublicKey::verify_sig, key parsed once (aws-lc)"), |b| {
            b.iter(|| parsed.verify_sig(black_box(signing_input.as_bytes()), &signature))
        });
    }
    group.finish();
}

/// A session as a node's login makes it, for user `user` (each session another user's, as in
/// the lab's visits).
fn session_record(payload: usize, user: u32) -> Record {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), json!(authlab::users::username(user)));
    data.insert("payload".to_owned(), json!("x".repeat(payload)));
    Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1) }
}

fn memory_store_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("auth_check/session");
    let store = MemoryStore::new(None);
    let mut ids = Vec::with_capacity(SESSIONS);
    for user in 0..SESSIONS {
        let mut record = session_record(200, user as u32);
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
    let mut record = session_record(200, 1);
    runtime.block_on(store.create(&mut record)).expect("stored in Redis");
    let raw = runtime.block_on(async {
        let pool = fred::types::Builder::from_config(fred::types::config::Config::from_url(&url)?).build_pool(4)?;
        pool.init().await?;
        Ok::<_, fred::error::Error>(pool)
    });
    let key = format!("{}{}", store.prefix(), record.id);
    let mut group = c.benchmark_group("auth_check/session");
    group.bench_function("redis store load (loopback round trip)", |b| {
        b.iter(|| runtime.block_on(store.load(black_box(&record.id))).expect("loaded"))
    });
    match &raw {
        Ok(pool) => {
            let get = || runtime.block_on(pool.get::<Option<Vec<u8>>, _>(black_box(key.as_str())));
            assert!(get().expect("a GET").is_some(), "the raw GET reads the session the store wrote");
            group.bench_function("redis raw GET of the same key (fred pool, loopback round trip)", |b| {
                b.iter(|| get().expect("a GET"))
            });
        }
        Err(e) => eprintln!("\n*** SKIPPED the raw Redis GET: {e}\n"),
    }
    group.finish();
    if let Ok(pool) = &raw {
        let _ = runtime.block_on(pool.quit());
    }
    let deleted = runtime.block_on(store.delete_own_keys()).expect("cleanup");
    assert_eq!(deleted, 1, "the benchmark deletes exactly the key it made");
}

criterion_group!(benches, token_checks, memory_store_lookup, redis_lookup);
criterion_main!(benches);
