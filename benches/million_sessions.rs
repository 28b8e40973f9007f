//! One session node holds a million sessions and keeps answering: logs in a million different
//! users over HTTP, reads what the node says it holds, and compares profile latency with that
//! of the same node holding a thousand.
//!
//! `cargo bench --bench million_sessions [-- LOGINS]` (default 1000000; `cargo test --benches`
//! does a smoke run of 2000). The node is a real `authlab node --strategy session --store memory
//! --password-hash sha256` process on loopback, killed at the end. The node grows to about 650 MB
//! for a million sessions; the run takes a minute or two with a release build.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use authlab::node::{NodeChild, NodeOptions, NodeStderr, NodeStrategy, spawn_node};
use authlab::users::PasswordHashKind;

const SEED: u64 = 42;
const PAYLOAD_BYTES: usize = 200;
/// Logins in flight at once.
const LOGIN_CONCURRENCY: usize = 64;
/// Profile requests in flight at once while latency is measured.
const PROFILE_CONCURRENCY: usize = 16;
/// Session cookies kept to measure latency with.
const SAMPLE: usize = 1000;
/// Sessions the node holds when the reference latency is measured.
const FIRST: usize = 1000;

/// The node under test; killed when dropped, whatever happens to the run.
struct SessionNode {
    _node: NodeChild,
    url: String,
}

async fn start_node(users: usize) -> anyhow::Result<SessionNode> {
    let mut options = NodeOptions::new(NodeStrategy::Session);
    options.store = "memory".into();
    options.password_hash = PasswordHashKind::Sha256;
    options.users = u32::try_from(users).context("too many users for one directory")?;
    options.payload_bytes = PAYLOAD_BYTES;
    options.seed = SEED;
    options.ttl = Some(Duration::from_secs(3 * 3600));
    let exe = Path::new(env!("CARGO_BIN_EXE_authlab"));
    let node = spawn_node(exe, &options.to_args(), NodeStderr::Capture).await.context("starting a session node")?;
    let url = node.url().to_owned();
    ensure!(url.starts_with("http://127.0.0.1:"), "the node printed {url:?} instead of its loopback URL");
    Ok(SessionNode { _node: node, url })
}

/// A gauge or counter without labels from Prometheus text.
fn metric(text: &str, name: &str) -> anyhow::Result<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .with_context(|| format!("no {name} in the node's /metrics"))
}

struct NodeMetrics {
    sessions: f64,
    heap: f64,
    rss: f64,
    session_bytes: f64,
}

async fn read_metrics(http: &reqwest::Client, url: &str) -> anyhow::Result<NodeMetrics> {
    let text = http.get(format!("{url}/metrics")).send().await?.error_for_status()?.text().await?;
    Ok(NodeMetrics {
        sessions: metric(&text, "authlab_sessions")?,
        heap: metric(&text, "authlab_heap_bytes")?,
        rss: metric(&text, "authlab_rss_bytes")?,
        session_bytes: metric(&text, "authlab_session_bytes")?,
    })
}

/// The `sid` value of a login answer's `Set-Cookie`.
fn sid(response: &reqwest::Response) -> Option<String> {
    response.headers().get_all(reqwest::header::SET_COOKIE).iter().find_map(|value| {
        let pair = value.to_str().ok()?.split(';').next()?;
        pair.strip_prefix("sid=").map(str::to_owned)
    })
}

/// Logs in users `range`, `LOGIN_CONCURRENCY` at a time, each one another user; returns the
/// session cookies of the users for which `keep` says so. Fails on the first login that fails.
async fn log_in(
    http: &reqwest::Client,
    url: &str,
    range: std::ops::Range<usize>,
    total: usize,
    keep: fn(usize, usize) -> bool,
    deadline: Instant,
) -> anyhow::Result<Vec<String>> {
    let next = Arc::new(AtomicUsize::new(range.start));
    let failed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..LOGIN_CONCURRENCY {
        let (http, url, next, failed, end) = (http.clone(), url.to_owned(), next.clone(), failed.clone(), range.end);
        tasks.push(tokio::spawn(async move {
            let mut kept = Vec::new();
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= end || failed.load(Relaxed) {
                    return anyhow::Ok(kept);
                }
                let result = async {
                    ensure!(Instant::now() < deadline, "the logins did not finish in time (at login {i} of {total})");
                    let body = serde_json::json!({
                        "username": authlab::users::username(i as u32),
                        "password": authlab::users::password(SEED, i as u32),
                    });
                    let response = http.post(format!("{url}/login")).json(&body).send().await?;
                    let status = response.status();
                    let cookie = sid(&response);
                    response.bytes().await?;
                    ensure!(status == reqwest::StatusCode::OK, "login {i} answered {status}");
                    cookie.with_context(|| format!("login {i} set no sid cookie"))
                }
                .await;
                match result {
                    Ok(cookie) if keep(i, total) => kept.push(cookie),
                    Ok(_) => {}
                    Err(e) => {
                        failed.store(true, Relaxed);
                        return Err(e);
                    }
                }
                let done = i + 1;
                if done % (total / 10).max(1) == 0 {
                    let rate = (done - range.start) as f64 / started.elapsed().as_secs_f64();
                    println!("  {:3}% logged in ({done}), {rate:.0} logins/s", done * 100 / total);
                    let _ = std::io::stdout().flush();
                }
            }
        }));
    }
    let mut cookies = Vec::new();
    for task in tasks {
        cookies.extend(task.await??);
    }
    Ok(cookies)
}

struct Latencies {
    p50: Duration,
    p99: Duration,
    requests: usize,
}

/// `requests` GET /api/profile, `PROFILE_CONCURRENCY` at a time, cycling through `cookies`;
/// every one must answer 200.
async fn profile_latency(
    http: &reqwest::Client,
    url: &str,
    cookies: &[String],
    requests: usize,
) -> anyhow::Result<Latencies> {
    let cookies: Arc<[String]> = cookies.into();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..PROFILE_CONCURRENCY {
        let (http, url, cookies, next) = (http.clone(), url.to_owned(), cookies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= requests {
                    return anyhow::Ok(times);
                }
                let cookie = &cookies[i % cookies.len()];
                let started = Instant::now();
                let response =
                    http.get(format!("{url}/api/profile")).header("cookie", format!("sid={cookie}")).send().await?;
                let status = response.status();
                response.bytes().await?;
                times.push(started.elapsed());
                ensure!(status == reqwest::StatusCode::OK, "GET /api/profile answered {status} (request {i})");
            }
        }));
    }
    let mut times = Vec::with_capacity(requests);
    for task in tasks {
        times.extend(task.await??);
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    Ok(Latencies { p50: at(0.50), p99: at(0.99), requests: times.len() })
}

fn mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / (1024.0 * 1024.0))
}

fn main() -> anyhow::Result<()> {
    // `cargo test --benches` runs this without `--bench`: a quick smoke run is enough there.
    let measuring = std::env::args().any(|a| a == "--bench");
    let logins = std::env::args().skip(1).find_map(|a| a.parse::<usize>().ok()).unwrap_or(if measuring {
        1_000_000
    } else {
        2_000
    });
    ensure!((1..=10_000_000).contains(&logins), "LOGINS must be 1 to 10000000 (the user directory's limit)");
    let profile_requests = if measuring { 5_000 } else { 1_000 };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(logins, profile_requests))
}

async fn run(logins: usize, profile_requests: usize) -> anyhow::Result<()> {
    // Generous, yet bounded: 30 s plus 2 ms a login (a million logins: about 34 minutes).
    let deadline = Instant::now() + Duration::from_secs(30) + Duration::from_millis(2) * logins as u32;
    let node = start_node(logins).await?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(LOGIN_CONCURRENCY)
        .build()?;
    println!(
        "million_sessions: {logins} logins of different users, {LOGIN_CONCURRENCY} at a time, into one session node \
         (memory store, {PAYLOAD_BYTES} B payload) at {}",
        node.url
    );
    // The reference: the same node holding only its first sessions.
    let first = FIRST.min(logins);
    let first_cookies = log_in(&http, &node.url, 0..first, logins, |_, _| true, deadline).await?;
    let small = profile_latency(&http, &node.url, &first_cookies, profile_requests).await?;
    // Memory is measured from here on: the connections and the node's fixed costs are there already.
    let before = read_metrics(&http, &node.url).await?;

    let started = Instant::now();
    // A sample spread over the whole run, so the oldest sessions are asked for too.
    let keep = |i: usize, total: usize| i % (total / SAMPLE).max(1) == 0;
    let mut sample = log_in(&http, &node.url, first..logins, logins, keep, deadline).await?;
    let elapsed = started.elapsed();
    sample.extend(first_cookies.iter().step_by((logins / SAMPLE).max(1)).cloned());

    let after = read_metrics(&http, &node.url).await?;
    let large = profile_latency(&http, &node.url, &sample, profile_requests).await?;

    let sessions = after.sessions;
    if sessions < logins as f64 {
        bail!("the node holds {sessions} sessions after {logins} logins");
    }
    let later = logins - first;
    // Per session added after the first ones (all of them if there were no more).
    let added = if later > 0 { (after.sessions - before.sessions).max(1.0) } else { sessions };
    let (heap_base, rss_base) = if later > 0 { (before.heap, before.rss) } else { (0.0, 0.0) };
    let heap_per = (after.heap - heap_base) / added;
    let store_per = after.session_bytes / sessions;
    let rss_growth_per = (after.rss - rss_base) / added;
    println!("sessions held: {sessions:.0} (the node's authlab_sessions)");
    println!(
        "heap growth from {first} to {sessions:.0} sessions: {heap_per:.0} B/session, {:.0} B beyond the {PAYLOAD_BYTES} B payload (the store's own \
         count: {store_per:.0} B/session, {:.0} B beyond; the rest is the hash tables' free slots, which \
         the store's count leaves out)",
        heap_per - PAYLOAD_BYTES as f64,
        store_per - PAYLOAD_BYTES as f64,
    );
    println!(
        "RSS: {} in all ({:.0} B/session), growth {rss_growth_per:.0} B/session (heap growth/RSS growth: {:.2})",
        mib(after.rss),
        after.rss / sessions,
        heap_per / rss_growth_per,
    );
    if later > 0 {
        println!(
            "login rate: {:.0} logins/s ({later} logins in {:.1} s)",
            later as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        );
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "GET /api/profile, {} requests, {PROFILE_CONCURRENCY} at a time: holding {first} sessions p50 {:.0} µs, \
         p99 {:.0} µs; holding {sessions:.0} sessions p50 {:.0} µs, p99 {:.0} µs; ratio p50 {:.2}, p99 {:.2}",
        large.requests,
        us(small.p50),
        us(small.p99),
        us(large.p50),
        us(large.p99),
        us(large.p50) / us(small.p50),
        us(large.p99) / us(small.p99),
    );
    println!(
        "every one of the {} profile requests answered 200, with {} cookies from all through the run",
        small.requests + large.requests,
        sample.len()
    );
    Ok(())
}
