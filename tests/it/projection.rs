//! `authlab project`: a real run's unit costs projected to a population, as a table and as the
//! JSON contract scripts rely on (README, "Capacity projection").
use crate::support::*;
use std::process::Command;

const SCENARIO: &str = "name = \"projection\"\nduration = \"3s\"\n[users]\ncount = 2000\npassword_hash = \"sha256\"\n\
    [load]\nstages = [ { at = \"0s\", target = 20 } ]\nthink_time = \"5ms\"\nrequests_per_login = 5\n\
    [session]\nnodes = 1\npayload_bytes = 8000\n[token]\nnodes = 1\nrefresh = false\n";

fn project(recording: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["project", recording.to_str().expect("a UTF-8 path")];
    args.extend_from_slice(extra);
    Command::new(BIN).args(&args).output().expect("authlab project runs")
}

#[test]
fn a_run_projects_to_ten_million_users_with_the_json_contract_and_says_what_it_assumes() {
    let run = run_scenario(SCENARIO);
    let out = project(
        run.recording_path(),
        &["--users", "10000000", "--rps", "100000", "--json", "--price-ram-gb-month", "2"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["inputs"]["users"], 10_000_000);
    assert_eq!(json["inputs"]["rps"], 100_000.0);
    let session = &json["strategies"]["session"];
    for key in [
        "heap_bytes_per_session",
        "store_bytes_per_session",
        "cpu_us_per_request",
        "auth_check_us_per_request",
        "credential_bytes_per_request",
    ] {
        assert!(session["unit"][key].is_number(), "unit.{key}: {session}");
    }
    let heap_per_session = session["unit"]["heap_bytes_per_session"].as_f64().expect("a number");
    // An 8000-byte payload in every session: the fitted slope carries it (the store's tables grow
    // in steps, which a few thousand sessions do not average out, so within a fifth).
    assert!(heap_per_session > 6400.0, "heap per session: {heap_per_session}");
    let nodes = session["memory_bytes"]["nodes"].as_f64().expect("a number");
    let (tables, connections) = (
        session["memory_bytes"]["tables"].as_f64().expect("a number"),
        session["memory_bytes"]["connections"].as_f64().expect("a number"),
    );
    assert!(
        (nodes - heap_per_session * 1e7 - tables - connections).abs() < 1.0,
        "node memory is users × heap per session, the tables' steps and the connections: {nodes}"
    );
    assert!(tables > 0.0 && tables < 0.1 * nodes, "10M sessions' buckets: {tables} of {nodes}");
    assert_eq!(session["memory_bytes"]["total"], session["memory_bytes"]["nodes"], "a memory store has no store");
    assert!(session["cpu_cores"]["total"].as_f64().is_some_and(|c| c > 0.0), "{session}");
    assert!(session["machines"].as_u64().is_some_and(|m| m >= 1));
    assert!(session["monthly_cost"].as_f64().is_some_and(|c| c > 0.0), "a RAM price gives a cost");
    assert!(session["measured_range"]["sessions_max"].as_u64().is_some_and(|s| s > 10));
    let note = session["notes"][0].as_str().expect("notes");
    assert!(note.contains("projected to 10M") && note.contains("assumes linear growth"), "{note}");
    assert!(
        session["unit_costs"]["heap_bytes_per_session"]["source"].as_str().is_some_and(|s| s.contains("least squares"))
    );

    let token = &json["strategies"]["token"];
    assert_eq!(
        token["memory_bytes"]["nodes"], token["memory_bytes"]["connections"],
        "refresh = false: a token node keeps nothing per user, only its connections' buffers"
    );
    let (token_bytes, cookie_bytes) = (
        token["unit"]["credential_bytes_per_request"].as_f64().expect("a number"),
        session["unit"]["credential_bytes_per_request"].as_f64().expect("a number"),
    );
    assert!(
        token_bytes > 4.0 * cookie_bytes,
        "a bearer token is bigger than a session cookie: {token_bytes} / {cookie_bytes}"
    );
    assert_eq!(token["credential_bytes_per_s"].as_f64(), Some(token_bytes * 1e5), "bytes/s = rps × bytes per request");

    // Another payload and another algorithm: the run's costs moved by the difference.
    let other = project(
        run.recording_path(),
        &["--users", "10000000", "--rps", "100000", "--json", "--payload-bytes", "800", "--algorithm", "ES256"],
    );
    let other: serde_json::Value = serde_json::from_slice(&other.stdout).expect("JSON");
    let moved = other["strategies"]["session"]["unit"]["heap_bytes_per_session"].as_f64().expect("a number");
    assert!(
        (heap_per_session - moved - 7200.0).abs() < 1e-6,
        "8000 B → 800 B of payload: {heap_per_session} → {moved}"
    );
    let es256 = other["strategies"]["token"]["unit"]["credential_bytes_per_request"].as_f64().expect("a number");
    assert!(
        (es256 - token_bytes - 43.0).abs() < 1e-6,
        "a 64-byte signature, not a 32-byte MAC: {token_bytes} → {es256}"
    );
    assert_eq!(other["inputs"]["algorithm"], "ES256");

    // The crossover chart: each strategy's monthly cost against users, where they cross.
    let dir = std::env::temp_dir().join(format!("authlab-crossover-{}", std::process::id()));
    let dir_arg = dir.to_str().expect("a UTF-8 path");
    let priced = ["--chart", dir_arg, "--price-ram-gb-month", "3", "--price-egress-gb", "0.05"];
    let chart = project(run.recording_path(), &priced);
    assert!(chart.status.success(), "{}", String::from_utf8_lossy(&chart.stderr));
    let svg = std::fs::read_to_string(dir.join("projection-crossover.svg")).expect("the SVG was written");
    assert!(svg.contains("they cross at"), "the chart marks the crossover");
    assert!(std::fs::metadata(dir.join("projection-crossover.png")).is_ok_and(|m| m.len() > 1000));
    let _ = std::fs::remove_dir_all(&dir);
    let unpriced = project(run.recording_path(), &["--chart", dir_arg]);
    assert!(!unpriced.status.success() && String::from_utf8_lossy(&unpriced.stderr).contains("--price-"));

    let table = project(run.recording_path(), &[]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success() && text.contains("node memory") && text.contains("session:"), "{text}");
}

#[test]
fn projecting_a_file_that_is_not_a_recording_fails_with_a_message() {
    let file = TempFile::with_contents("not-a-recording.jsonl", "hello\n");
    let out = project(&file.path, &[]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).trim().is_empty(), "says why");
}
