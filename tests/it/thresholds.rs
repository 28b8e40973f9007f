//! `[thresholds]` in a real `authlab run`: the table, the summary JSON's `thresholds`, exit status
//! 99 on a failure, and `abort_on_fail` stopping the run early with its recording kept.

use crate::support::run_scenario_whatever;

/// A token-only run of a few seconds with `thresholds` (the lines of a `[thresholds]` table).
fn scenario(duration: &str, thresholds: &str) -> String {
    format!(
        "name = \"thresholds\"\nduration = \"{duration}\"\n[users]\ncount = 200\npassword_hash = \"sha256\"\n\
         [load]\nstages = [ {{ at = \"0s\", target = 4 }} ]\nthink_time = \"10ms\"\nrequests_per_login = 5\n\
         [token]\nnodes = 1\nrefresh = false\n[thresholds]\n{thresholds}"
    )
}

/// `authlab run` of `text`, whatever its exit status: the output, the summary JSON, the recording.
fn run(text: &str) -> (std::process::Output, serde_json::Value, authlab::recording::Recording) {
    let finished = run_scenario_whatever(text);
    (finished.output, finished.summary, finished.recording)
}

#[test]
fn a_failed_threshold_is_in_the_table_and_the_json_and_exits_99() {
    let (output, json, _) = run(&scenario(
        "3s",
        "\"token.requests_ok\" = \"> 0\"\n\"token.latency_p99\" = \"< 1us\"\n\"token.heap_bytes_peak\" = \"< 64GiB\"\n",
    ));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(99), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let row = |name: &str| stdout.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}: {stdout}"));
    assert!(row("token.requests_ok").ends_with('✓'), "{stdout}");
    assert!(row("token.latency_p99").contains("< 1us") && row("token.latency_p99").ends_with('✗'), "{stdout}");
    assert!(row("token.heap_bytes_peak").ends_with('✓'), "{stdout}");
    assert!(stdout.contains("1 of 3 thresholds failed"), "{stdout}");

    let thresholds = json["thresholds"].as_array().expect("thresholds in the summary JSON");
    assert_eq!(thresholds.len(), 3);
    let keys: Vec<&String> = thresholds[0].as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["expr", "name", "ok", "value"]);
    assert_eq!(thresholds[0]["name"], "token.requests_ok");
    assert_eq!(thresholds[0]["ok"], true);
    assert_eq!(thresholds[0]["value"].as_f64(), json["strategies"]["token"]["requests"]["ok"].as_f64());
    assert_eq!((thresholds[1]["expr"].as_str(), thresholds[1]["ok"].as_bool()), (Some("< 1us"), Some(false)));
    assert_eq!(thresholds[1]["value"].as_f64(), json["strategies"]["token"]["latency_us"]["p99"].as_f64());
}

#[test]
fn passing_thresholds_exit_0_and_an_abort_on_fail_stops_the_run_early() {
    let (output, json, _) = run(&scenario("2s", "\"token.failed_ratio\" = \"< 50%\"\n"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(json["thresholds"][0]["ok"], true);

    // A threshold that cannot hold, checked after a second: a 60 s scenario stops long before.
    let (output, json, recording) = run(&scenario(
        "60s",
        "\"token.latency_p99\" = { threshold = \"< 1us\", abort_on_fail = true, delay = \"1s\" }\n",
    ));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(99), "{stdout}");
    assert!(stdout.contains("stopped early: threshold token.latency_p99 < 1us failed"), "{stdout}");
    let duration = json["duration_s"].as_f64().expect("a duration");
    assert!(duration < 30.0, "stopped at {duration} s of 60");
    assert!(!recording.ticks().is_empty(), "the recording holds the run so far");
}
