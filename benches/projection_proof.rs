//! Proof that the projection projects: a run's unit costs projected to four times the sessions,
//! and from one node to four, beside runs that went there for real (issue 14, item 4).
//!
//! `cargo bench --bench projection_proof` runs, each through `authlab run` (real node processes,
//! the real driver, ticks and recordings):
//! - memory: one session node piling up sessions of distinct users (2,000 logins a second at
//!   most) for 13 s (about 20k sessions) and for 52 s (about 80k), with a 200 B and a 2000 B
//!   payload, in the memory store and in a private Redis; the short run's unit costs are
//!   projected to what the long run held and compared with its heap (or `used_memory`) growth;
//! - CPU: one node of each strategy ramped from 1 to 4 virtual users, then four nodes from 4 to 16
//!   (the same load per node), 10 s each; the one-node run's CPU per request and per login is projected to what the
//!   four nodes served and compared with the CPU they used.
//!
//! It prints a table and fails if a memory figure is off by more than 15 % or a CPU figure by more
//! than 20 % (the bounds). `cargo test --benches` runs a smoke round (1 s and 2 s, no
//! bounds) so that it keeps working. A missing redis-server skips the Redis rows loudly (a failure
//! under `AUTHLAB_REQUIRE_REDIS=1`).

#[allow(dead_code)] // each bench uses part of it
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use authlab::measure::{StrategyName, Tick};
use authlab::projection::check::{self, Check};
use authlab::recording::Recording;

const BIN: &str = env!("CARGO_BIN_EXE_authlab");

/// Runs `scenario` for `seconds` with `authlab run`; returns its ticks.
fn run(dir: &Path, name: &str, scenario: &str, seconds: f64) -> anyhow::Result<Vec<Tick>> {
    let file = dir.join(format!("{name}.toml"));
    let out = dir.join(format!("{name}.jsonl"));
    std::fs::write(&file, scenario).with_context(|| format!("writing {}", file.display()))?;
    let status = Command::new(BIN)
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--duration")
        .arg(format!("{}ms", (seconds * 1000.0) as u64))
        .stdout(std::process::Stdio::null())
        .status()
        .context("starting authlab run")?;
    ensure!(status.success(), "authlab run {name} failed: {status}");
    Ok(Recording::open(&out).with_context(|| format!("reading {}", out.display()))?.ticks().to_vec())
}

fn print(check: &Check, what: &str) {
    let figure = |v: f64| if v.abs() >= 1000.0 { format!("{v:.0}") } else { format!("{v:.3}") };
    println!(
        "{:<8} {:<42} {:>9.0} → {:>9.0} {:>14} {:>14} {:>+7.1} %",
        check.strategy.as_str(),
        format!("{} ({what})", check.figure),
        check.from,
        check.to,
        figure(check.projected),
        figure(check.measured),
        check.error() * 100.0
    );
}

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let (short_s, long_s, cpu_s) = if full { (13.0, 52.0, 10) } else { (1.0, 2.0, 2) };
    let dir = tempfile_dir()?;
    println!(
        "{:<8} {:<42} {:>9} → {:>9} {:>14} {:>14} {:>9}",
        "strategy", "figure", "from", "to", "projected", "measured", "error"
    );
    let mut failures = Vec::new();
    let redis = support::PrivateRedis::start()?;
    let mut cases: Vec<(String, Option<String>)> = vec![("memory store".into(), None)];
    if let Some(redis) = &redis {
        cases.push(("Redis".into(), Some(redis.url())));
    }
    for (store, url) in &cases {
        for payload in [200, 2000] {
            let scenario = check::memory_scenario(payload, url.as_deref());
            let name = format!("memory-{}-{payload}", if url.is_some() { "redis" } else { "memory" });
            let small = run(&dir, &format!("{name}-short"), &scenario, short_s)?;
            let big = run(&dir, &format!("{name}-long"), &scenario, long_s)?;
            for c in check::memory(&small, &big, StrategyName::Session) {
                print(&c, &format!("{store}, {payload} B"));
                if full && c.error().abs() > 0.15 {
                    failures.push(format!("{} ({store}, {payload} B): {:+.1} %", c.figure, c.error() * 100.0));
                }
            }
        }
    }
    let one = run(&dir, "cpu-1", &check::cpu_scenario(1, cpu_s), f64::from(cpu_s))?;
    let four = run(&dir, "cpu-4", &check::cpu_scenario(4, cpu_s), f64::from(cpu_s))?;
    for strategy in StrategyName::BOTH {
        let Some(c) = check::cpu(&one, &four, strategy, 1.0) else {
            failures.push(format!("{}: no CPU was measured", strategy.as_str()));
            continue;
        };
        print(&c, "1 → 4 nodes");
        if full && c.error().abs() > 0.20 {
            failures.push(format!("{} CPU, 1 → 4 nodes: {:+.1} %", strategy.as_str(), c.error() * 100.0));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !failures.is_empty() {
        bail!("projected beyond the bounds: {}", failures.join("; "));
    }
    Ok(())
}

/// A directory of this run's own for its scenarios and recordings.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("authlab-projection-proof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
