//! `authlab compare`: two real recordings (the same scenario at two loads) compared as text, JSON
//! and Markdown, and `--fail-on-regression`'s exit status.

use crate::support::{BIN, run_scenario};

fn scenario(users: u32) -> String {
    format!(
        "name = \"compare {users}\"\nduration = \"3s\"\n[users]\ncount = 200\npassword_hash = \"sha256\"\n\
         [load]\nstages = [ {{ at = \"0s\", target = {users} }} ]\nthink_time = \"10ms\"\nrequests_per_login = 5\n\
         [token]\nnodes = 1\nrefresh = false\n"
    )
}

fn compare(a: &std::path::Path, b: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["compare", a.to_str().expect("UTF-8"), b.to_str().expect("UTF-8")];
    args.extend_from_slice(extra);
    std::process::Command::new(BIN).args(&args).output().expect("authlab compare runs")
}

#[test]
fn two_runs_compare_as_text_json_and_markdown_and_a_regression_fails() {
    let (busy, quiet) = (run_scenario(&scenario(16)), run_scenario(&scenario(2)));
    let (a, b) = (busy.recording_path(), quiet.recording_path());

    let text = compare(a, b, &[]);
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.starts_with("A: compare 16\nB: compare 2\n"), "{text}");
    let row = |name: &str| text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}: {text}"));
    // An eighth of the users: an eighth of the throughput, flagged against its good direction.
    assert!(row("token.throughput_rps").ends_with("regression"), "{text}");
    assert!(row("token.latency_p99").contains(" ms"), "{text}");
    assert!(row("token.logins").split_whitespace().all(|w| w != "regression"), "logins have no good direction");

    let json = compare(a, b, &["--json", "--tolerance", "10%"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(json["tolerance"], 0.1);
    let rows = json["rows"].as_array().expect("rows");
    let throughput = rows.iter().find(|r| r["figure"] == "throughput_rps").expect("a throughput row");
    assert_eq!(throughput["strategy"], "token");
    assert_eq!(throughput["unit"], "per_s");
    assert_eq!(throughput["change"], "regression");
    let (va, vb) = (throughput["a"].as_f64().unwrap(), throughput["b"].as_f64().unwrap());
    assert!((throughput["difference"].as_f64().unwrap() - (vb - va)).abs() < 1e-6);
    assert!((throughput["ratio"].as_f64().unwrap() - vb / va).abs() < 1e-9);
    // Percentiles from the merged histograms: the recording's own summary.
    let p99 = rows.iter().find(|r| r["figure"] == "latency_p99").expect("a p99 row");
    let summary = busy.recording.summary();
    assert_eq!(p99["a"].as_f64(), Some(summary.strategies.token.as_ref().unwrap().latency_us.p99 as f64));
    assert!(json["regressions"].as_u64().unwrap() >= 1);

    let markdown = compare(a, b, &["--markdown"]);
    let markdown = String::from_utf8_lossy(&markdown.stdout).into_owned();
    assert!(markdown.contains("| figure | A | B | difference | ratio | change |"), "{markdown}");
    assert!(markdown.lines().any(|l| l.starts_with("| `token.throughput_rps` |") && l.contains("**regression**")));

    let failed = compare(a, b, &["--fail-on-regression"]);
    assert_eq!(failed.status.code(), Some(1));
    let same = compare(a, a, &["--fail-on-regression"]);
    assert_eq!(same.status.code(), Some(0), "a run is no regression of itself");
    assert_eq!(compare(a, b, &["--tolerance", "lots"]).status.code(), Some(2), "a bad tolerance is a usage error");
}
