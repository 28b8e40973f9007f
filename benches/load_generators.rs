//! The lab's load driver against the fastest independent load generators, on one token node, in
//! alternating rounds: `wrk`, `oha` (where installed) and the driver, each flat out with 32
//! connections (virtual users, no think time) on `GET /api/profile`.
//!
//! The driver runs as a whole `authlab` run does, through the engine with all its bookkeeping
//! (per-request HDR recording, visits, the balancer, ticks, scraping the node's metrics): the
//! scenario points a `[target.token]` at the node. Printed per round and as medians: each tool's
//! requests/s, its ratio to wrk, the CPU µs it spent per request (wrk and oha: their rusage as
//! children; the driver: its own engine threads, as the ticks carry it), and the node's CPU µs per
//! request under each. The driver's count is checked against the node's own.
//!
//! `cargo bench --bench load_generators [-- SECONDS ROUNDS]` (default 6 s, 3 rounds). Needs `wrk`
//! (Debian: `apt-get install wrk`); `oha` is optional (`cargo install oha`). Under `cargo test` it
//! does one 1 s round.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use authlab::engine::{RunMessage, RunSetup, start_run};
use authlab::measure::{StrategyName, Tick};
use authlab::scenario::parse_scenario;

const CONNECTIONS: usize = 32;
const EXE: &str = env!("CARGO_BIN_EXE_authlab");

struct NodeGuard(Child);

impl Drop for NodeGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_node() -> anyhow::Result<(NodeGuard, String)> {
    let mut child = Command::new(EXE)
        .args(["node", "--strategy", "token", "--password-hash", "sha256", "--users", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting a token node")?;
    let stdout = child.stdout.take().context("node stdout")?;
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url)?;
    Ok((NodeGuard(child), url.trim().to_owned()))
}

/// What one tool did in one round.
#[derive(Debug, Clone, Copy)]
struct Round {
    rps: f64,
    /// Its own CPU µs per request.
    cpu_us: f64,
    /// The node's CPU µs per request meanwhile.
    node_cpu_us: f64,
}

/// CPU seconds of the children this process has waited for (wrk, oha) so far.
fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return 0.0;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The node's answered profile requests and its CPU seconds, from its own metrics.
fn node_figures(url: &str) -> anyhow::Result<(u64, f64)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let text = runtime.block_on(async { reqwest::get(format!("{url}/metrics")).await?.text().await })?;
    let value = |line: &str| line.rsplit_once(' ').and_then(|(_, v)| v.parse::<f64>().ok()).unwrap_or(0.0);
    let requests =
        text.lines().filter(|l| l.starts_with("authlab_requests_total{route=\"/api/profile\"")).map(value).sum::<f64>();
    let cpu = text.lines().find(|l| l.starts_with("authlab_cpu_seconds_total")).map_or(0.0, value);
    Ok((requests as u64, cpu))
}

/// Runs `command` (a load generator on the node's profile route), returning its req/s as it
/// printed it, and its CPU and the node's over the round.
fn external(url: &str, mut command: Command, rps_of: fn(&str) -> Option<f64>) -> anyhow::Result<Round> {
    let (before, node_cpu_before) = node_figures(url)?;
    let cpu_before = children_cpu_seconds();
    let output = command.output().context("running the load generator")?;
    let cpu = children_cpu_seconds() - cpu_before;
    let (after, node_cpu_after) = node_figures(url)?;
    let text = String::from_utf8_lossy(&output.stdout);
    let rps = rps_of(&text).with_context(|| format!("no requests/s in its output: {text}"))?;
    let served = after.saturating_sub(before).max(1) as f64;
    Ok(Round { rps, cpu_us: cpu * 1e6 / served, node_cpu_us: (node_cpu_after - node_cpu_before) * 1e6 / served })
}

fn wrk(url: &str, token: &str, seconds: u64) -> anyhow::Result<Round> {
    let mut command = Command::new("wrk");
    command.args(["-t2", &format!("-c{CONNECTIONS}"), &format!("-d{seconds}s")]);
    command.args(["-H", &format!("Authorization: Bearer {token}"), &format!("{url}/api/profile")]);
    external(url, command, |text| {
        if text.contains("Non-2xx") {
            return None;
        }
        text.lines().find_map(|l| l.strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok())
    })
}

fn oha(url: &str, token: &str, seconds: u64) -> anyhow::Result<Round> {
    let mut command = Command::new("oha");
    command.args(["-z", &format!("{seconds}s"), "-c", &CONNECTIONS.to_string(), "--no-tui", "--output-format", "json"]);
    command.args(["-H", &format!("Authorization: Bearer {token}"), &format!("{url}/api/profile")]);
    external(url, command, |text| {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        json["summary"]["requestsPerSec"].as_f64()
    })
}

/// The driver, as `authlab run` drives: a one-strategy scenario whose `[target.token]` is the node,
/// for a warm-up second plus `seconds`; figures from the ticks after the warm-up.
fn driver(runtime: &tokio::runtime::Runtime, url: &str, seconds: u64) -> anyhow::Result<Round> {
    let scenario = format!(
        r#"name = "load driver benchmark"
duration = "{duration}s"
[load]
stages = [ {{ at = "0s", target = {CONNECTIONS} }} ]
requests_per_login = 0
logout_ratio = 0.0
[target.token]
base_url = "{url}"
users_command = ["{EXE}", "users", "--seed", "42", "--count", "1000"]
login = {{ method = "POST", path = "/login", json = {{ username = "{{username}}", password = "{{password}}" }} }}
credential = {{ json = "/access_token" }}
request = {{ path = "/api/profile" }}
health = "/healthz"
metrics = "{url}/metrics"
rss_metric = "authlab_rss_bytes"
cpu_metric = "authlab_cpu_seconds_total"
"#,
        duration = seconds + 1
    );
    let scenario = parse_scenario(&scenario, "load_generators.rs")?;
    let (before, _) = node_figures(url)?;
    let ticks: Vec<Tick> = runtime.block_on(async {
        let mut handle = start_run(RunSetup { scenario, exe: EXE.into() });
        let mut ticks = Vec::new();
        while let Some(message) = handle.messages.recv().await {
            match message {
                RunMessage::Tick(tick) => ticks.push(tick),
                RunMessage::Finished { error: Some(error) } => bail!("the run failed: {error}"),
                RunMessage::Finished { error: None } => break,
                _ => {}
            }
        }
        Ok(ticks)
    })?;
    let (after, _) = node_figures(url)?;
    let token = |tick: &Tick| tick.strategies.get(&StrategyName::Token).cloned().unwrap_or_default();
    let all_ok: u64 = ticks.iter().map(|t| token(t).requests.ok).sum();
    let logins: u64 = ticks.iter().map(|t| token(t).logins).sum();
    let failed: u64 = ticks.iter().map(|t| token(t).requests.failed).sum();
    if failed > 0 {
        bail!("the driver saw {failed} failures");
    }
    let counted = after.saturating_sub(before);
    if counted != all_ok - logins {
        bail!("the driver counted {} profile requests, the node {counted}", all_ok - logins);
    }
    // After the warm-up, and before the final tick (which covers the drain).
    let window: Vec<Tick> = ticks.iter().filter(|t| t.t > 1.0).cloned().collect();
    let window = &window[..window.len().saturating_sub(1)];
    let (mut requests, mut covered, mut driver_cpu, mut node_cpu, mut served) = (0u64, 0.0, 0.0, 0.0, 0u64);
    let mut last = std::collections::BTreeMap::new();
    if let Some(first) = window.first() {
        token(first).cpu_seconds_since(&mut last);
    }
    for tick in window.iter().skip(1) {
        let st = token(tick);
        requests += st.requests.total();
        covered += tick.interval_s;
        driver_cpu += st.driver.map_or(0.0, |d| d.cpu_seconds);
        node_cpu += st.cpu_seconds_since(&mut last);
        served += st.server_requests;
    }
    if requests == 0 || covered <= 0.0 {
        bail!("no requests in the measured window");
    }
    let per = |cpu: f64, n: u64| cpu * 1e6 / n.max(1) as f64;
    Ok(Round { rps: requests as f64 / covered, cpu_us: per(driver_cpu, requests), node_cpu_us: per(node_cpu, served) })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn installed(program: &str) -> bool {
    Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

fn main() -> anyhow::Result<()> {
    let measuring = std::env::args().any(|a| a == "--bench");
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let seconds = numbers.first().copied().unwrap_or(if measuring { 6 } else { 1 });
    let rounds = numbers.get(1).copied().unwrap_or(if measuring { 3 } else { 1 }).max(1);
    if !installed("wrk") {
        eprintln!("\n*** SKIPPED load_generators: wrk is not installed (Debian: apt-get install wrk)\n");
        return Ok(());
    }
    let with_oha = installed("oha");
    if !with_oha {
        eprintln!("load_generators: oha is not installed (cargo install oha); wrk and the driver only");
    }
    let runtime = authlab::engine::runtime(None)?;
    let (_node, url) = start_node()?;
    let token = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{url}/login"))
            .json(&serde_json::json!({"username": "user0000000", "password": authlab::users::password(42, 0)}))
            .send()
            .await?;
        let body: serde_json::Value = response.json().await?;
        body["access_token"].as_str().map(str::to_owned).context("no access token")
    })?;
    let mut results: Vec<(&str, Vec<Round>)> =
        vec![("wrk", Vec::new()), ("oha", Vec::new()), ("authlab driver", Vec::new())];
    for round in 1..=rounds {
        let w = wrk(&url, &token, seconds)?;
        results[0].1.push(w);
        let mut line = format!("round {round}: wrk {:.0} req/s ({:.1} µs CPU/req)", w.rps, w.cpu_us);
        if with_oha {
            let o = oha(&url, &token, seconds)?;
            results[1].1.push(o);
            line += &format!(", oha {:.0} ({:.2}× wrk, {:.1} µs)", o.rps, o.rps / w.rps, o.cpu_us);
        }
        let d = driver(&runtime, &url, seconds)?;
        results[2].1.push(d);
        line += &format!(", driver {:.0} ({:.2}× wrk, {:.1} µs)", d.rps, d.rps / w.rps, d.cpu_us);
        println!("{line}");
    }
    let wrk_rps = median(results[0].1.iter().map(|r| r.rps).collect());
    println!("\nmedians of {rounds} rounds of {seconds} s, {CONNECTIONS} connections, one token node (HS256):");
    println!("{:<16} {:>10} {:>9} {:>16} {:>18}", "tool", "req/s", "× wrk", "own CPU µs/req", "node CPU µs/req");
    for (name, rounds) in results.iter().filter(|(_, r)| !r.is_empty()) {
        let rps = median(rounds.iter().map(|r| r.rps).collect());
        let cpu = median(rounds.iter().map(|r| r.cpu_us).collect());
        let node = median(rounds.iter().map(|r| r.node_cpu_us).collect());
        println!("{name:<16} {rps:>10.0} {:>9.2} {cpu:>16.1} {node:>18.1}", rps / wrk_rps);
    }
    Ok(())
}
