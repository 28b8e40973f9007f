//! The load driver against `wrk`: both flat out (32 connections/virtual users, no think time, no
//! simulation) at the same token node, on the same machine, and the ratio of their requests/s.
//!
//! `cargo bench --bench driver_vs_wrk [-- SECONDS ROUNDS]` (default 10 s, 3 rounds; medians).
//! Needs `wrk` on the PATH (Debian: `apt-get install wrk`). Under `cargo test` it does a 1 s smoke run.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use authlab::cluster::{Endpoint, Endpoints};
use authlab::load::{Accounts, LoadDriver, LoadOptions, Protocol};
use authlab::scenario::{ClientKind, LoadModel, LoadSpec, Routing, Stage, StrategyName};

const CONNECTIONS: usize = 32;

struct NodeGuard(Child);

impl Drop for NodeGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_node() -> anyhow::Result<(NodeGuard, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_authlab"))
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

fn wrk(url: &str, token: &str, seconds: u64) -> anyhow::Result<f64> {
    let output = Command::new("wrk")
        .args(["-t2", &format!("-c{CONNECTIONS}"), &format!("-d{seconds}s")])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(format!("{url}/api/profile"))
        .output()
        .context("running wrk (Debian: apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        bail!("wrk got errors: {text}");
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's output: {text}"))
}

/// The node's own count of answered profile requests.
async fn node_count(url: &str) -> anyhow::Result<u64> {
    let text = reqwest::get(format!("{url}/metrics")).await?.text().await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("authlab_requests_total{route=\"/api/profile\""))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.parse::<u64>().ok()))
        .sum())
}

async fn driver(url: &str, seconds: u64) -> anyhow::Result<f64> {
    let endpoints = Arc::new(Endpoints::default());
    endpoints.set(0, Endpoint::new("token/1".into(), url.to_owned()));
    let options = LoadOptions {
        strategy: StrategyName::Token,
        load: LoadSpec {
            model: LoadModel::Closed,
            stages: vec![Stage { at: Duration::ZERO, target: CONNECTIONS as f64 }],
            think_time: (Duration::ZERO, Duration::ZERO),
            requests_per_login: 0,
            logout_ratio: 0.0,
            client: ClientKind::Browser,
        },
        accounts: Accounts::Derived { seed: 42, count: 1000 },
        protocol: Protocol::lab(StrategyName::Token),
        refresh: true,
        routing: Routing::RoundRobin,
        health_check: Duration::from_secs(3600),
        health_path: Some("/healthz".into()),
    };
    let http = reqwest::Client::builder().no_proxy().tcp_nodelay(true).build()?;
    let load = LoadDriver::new(options, endpoints, http);
    load.start();
    // Warm up (logins, connections), then measure a clean window.
    tokio::time::sleep(Duration::from_secs(1)).await;
    load.stats().take();
    let before = node_count(url).await?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let measured = load.stats().take();
    let after = node_count(url).await?;
    load.stop().await;
    let counted = after - before;
    let gap = counted.abs_diff(measured.requests.ok) as f64 / counted.max(1) as f64;
    if gap > 0.01 {
        bail!("the driver counted {} requests but the node {counted}", measured.requests.ok);
    }
    if measured.requests.failed > 0 {
        bail!("the driver saw {} failures", measured.requests.failed);
    }
    Ok(measured.requests.ok as f64 / seconds as f64)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let measuring = std::env::args().any(|a| a == "--bench");
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let seconds = numbers.first().copied().unwrap_or(if measuring { 10 } else { 1 });
    let rounds = numbers.get(1).copied().unwrap_or(if measuring { 3 } else { 1 }).max(1);
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("\n*** SKIPPED driver_vs_wrk: wrk is not installed (Debian: apt-get install wrk)\n");
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new()?;
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
    let (mut wrk_rps, mut driver_rps) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let w = wrk(&url, &token, seconds)?;
        let d = runtime.block_on(driver(&url, seconds))?;
        println!("round {round}: wrk {w:.0} req/s, authlab driver {d:.0} req/s, ratio {:.2}", d / w);
        wrk_rps.push(w);
        driver_rps.push(d);
    }
    let (w, d) = (median(wrk_rps), median(driver_rps));
    println!("median of {rounds}: wrk {w:.0} req/s, authlab driver {d:.0} req/s, ratio {:.2} (goal ≥ 0.80)", d / w);
    Ok(())
}
