//! The projection holds against runs that went there (issue 14, item 4), shortened: a run's unit
//! costs projected to four times its sessions, in the memory store and in Redis, and from one
//! node to four, beside real runs. `cargo bench --bench projection_proof` is the full-size proof
//! (20k → 80k sessions) whose figures the README publishes.
use crate::support::*;
use authlab::measure::{StrategyName, Tick};
use authlab::projection::check;

fn run_for(scenario: &str, seconds: &str) -> Vec<Tick> {
    let file = TempFile::with_contents("proof.toml", scenario);
    let recording = TempFile::with_contents("proof.jsonl", "");
    let output = std::process::Command::new(BIN)
        .args(["run", file.path_str(), "--out", recording.path_str(), "--duration", seconds])
        .output()
        .expect("authlab run starts");
    assert!(output.status.success(), "authlab run failed: {}", String::from_utf8_lossy(&output.stderr));
    authlab::recording::Recording::open(&recording.path).expect("the recording reads").ticks().to_vec()
}

fn assert_within(checks: &[check::Check], bound: f64) {
    assert!(!checks.is_empty(), "nothing was compared");
    for c in checks {
        assert!(c.to > 2.5 * c.from, "the long run went well beyond the short one: {c:?}");
        assert!(c.error().abs() <= bound, "{} projected {:+.1} % off: {c:?}", c.figure, c.error() * 100.0);
    }
}

#[test]
fn node_memory_projected_from_a_quarter_of_the_sessions_is_within_fifteen_percent() {
    let scenario = check::memory_scenario(2000, None);
    let (small, big) = (run_for(&scenario, "2500ms"), run_for(&scenario, "10s"));
    assert_within(&check::memory(&small, &big, StrategyName::Session), 0.15);
}

#[test]
fn redis_memory_projected_from_a_quarter_of_the_sessions_is_within_fifteen_percent() {
    let Some(redis) = PrivateRedis::start() else { return };
    let scenario = check::memory_scenario(200, Some(&redis.url()));
    let (small, big) = (run_for(&scenario, "2500ms"), run_for(&scenario, "10s"));
    let checks = check::memory(&small, &big, StrategyName::Session);
    assert!(checks.iter().all(|c| c.figure == "store memory growth"), "{checks:?}");
    assert_within(&checks, 0.15);
}

#[test]
fn cpu_projected_from_one_node_to_four_is_the_right_size() {
    // The bench holds this to 20 %; beside the rest of the suite on two cores, CPU per request
    // moves with the load, so here it must only be the right size.
    let (one, four) = (run_for(&check::cpu_scenario(1, 3), "3s"), run_for(&check::cpu_scenario(4, 3), "3s"));
    for strategy in StrategyName::BOTH {
        let c = check::cpu(&one, &four, strategy, 1.0).expect("CPU was measured");
        assert!(c.to > c.from, "four nodes served more on average than one at its peak: {c:?}");
        assert!(c.error() > -0.5 && c.error() < 1.0, "{strategy:?}: {:+.1} %: {c:?}", c.error() * 100.0);
    }
}
