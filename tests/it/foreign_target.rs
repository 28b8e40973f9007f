//! Foreign targets (`[target.session]`, `[target.token]`): authlab drives a third-party app it did
//! not write or start (`scripts/fixture_app.py`: Flask with Flask-Login over server-side sessions,
//! and flask-jwt-extended), and its books agree with the app's own: logins, requests, refusals.
//! The memory it charts is the app's process's, read through its pid or its Prometheus endpoint.
//!
//! Without python3 and the Flask packages the tests skip loudly; with `AUTHLAB_REQUIRE_FLASK=1`
//! (CI) they fail instead.

use std::process::Command;

use crate::support::python::FixtureApp;
use crate::support::*;
use serde_json::Value;

const USERS: u32 = 50;

/// A scenario driving `session` (measured through its pid file) and `token` (through its
/// Prometheus endpoint), with the accounts the app prints.
fn scenario(session: &FixtureApp, token: &FixtureApp, extra: &str) -> String {
    let fixture = crate::support::python::FIXTURE_APP;
    format!(
        r#"name = "your own app, in a test"
duration = "3s"
tick = "250ms"
[load]
stages = [ {{ at = "0s", target = 4 }} ]
think_time = "5ms"
requests_per_login = 10
logout_ratio = 0.5
[target.session]
base_url = "{s}"
users_command = ["python3", "{fixture}", "users", "--users", "{USERS}"]
login = {{ method = "POST", path = "/login", json = {{ username = "{{username}}", password = "{{password}}" }} }}
credential = {{ cookie = "session" }}
request = {{ method = "GET", path = "/me" }}
logout = {{ method = "POST", path = "/logout" }}
health = "/healthz"
pid_file = "{pid_file}"
[target.token]
base_url = "{t}"
users_command = ["python3", "{fixture}", "users", "--users", "{USERS}"]
login = {{ method = "POST", path = "/login", form = {{ username = "{{username}}", password = "{{password}}" }} }}
credential = {{ json = "/access_token", header = "Authorization", scheme = "Bearer" }}
request = {{ method = "GET", path = "/me" }}
refresh = {{ method = "POST", path = "/refresh", header = "Authorization", scheme = "Bearer" }}
metrics = "{t}/metrics"
{extra}"#,
        s = session.url,
        t = token.url,
        pid_file = session.pid_file.path_str(),
    )
}

fn counted(app: &FixtureApp, key: &str) -> u64 {
    app.counts()[key].as_u64().unwrap_or_else(|| panic!("the app counts {key}"))
}

#[test]
fn a_flask_app_is_driven_and_its_own_books_agree_with_the_lab_s() {
    let Some(session) = FixtureApp::start("session", USERS) else { return };
    let Some(token) = FixtureApp::start("token", USERS) else { return };
    let run = run_scenario(&scenario(&session, &token, ""));
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert!(stdout.contains("not measured"), "the heap of a foreign app is not measured, and says so:\n{stdout}");

    for (name, app) in [("session", &session), ("token", &token)] {
        let s = run.strategy(name);
        let requests = &s["requests"];
        let field = |key: &str| requests[key].as_u64().unwrap_or_else(|| panic!("{name}.requests.{key}"));
        assert_eq!(field("interrupted"), 0, "{name}: a fast app answers everything before the stop");
        assert_eq!(field("connection"), 0, "{name}: no connection failed");
        let logins = s["logins"].as_u64().unwrap_or(0);
        assert!(logins >= 4, "{name}: {logins} logins");
        assert_eq!(logins, counted(app, "logins"), "{name}: the lab's logins are the app's");
        assert_eq!(counted(app, "failed_logins"), 0, "{name}: every password the app printed works");
        assert_eq!(field("unauthorized"), counted(app, "unauthorized"), "{name}: refusals agree");
        let answered_by_app = counted(app, "logins")
            + counted(app, "requests")
            + counted(app, "logouts")
            + counted(app, "refreshes")
            + counted(app, "unauthorized");
        assert_eq!(
            field("ok") + field("unauthorized"),
            answered_by_app,
            "{name}: every request the lab made, the app answered"
        );
        assert!(counted(app, "requests") > 20, "{name}: visits reached the protected resource");
        assert_eq!(s["server_requests"].as_u64(), Some(answered_by_app), "{name}: served = answered");
        assert_eq!(s["not_measured"][0], "heap_bytes", "{name}: {}", s["not_measured"]);

        // The RSS charted is the app's process's, within 25 % of what the kernel says of it now.
        let rss = s["rss_bytes"]["end"].as_u64().unwrap_or(0) as f64;
        let kernel = app.rss_bytes() as f64;
        assert!((rss - kernel).abs() < 0.25 * kernel, "{name}: RSS {rss} read, the kernel says {kernel}");
    }
    assert!(counted(&session, "logouts") > 0, "visits logged out of the session app");
    // The lab's table and recording name the app's nodes as the lab's own.
    let ticks = run.recording.ticks();
    let last = ticks.last().expect("ticks");
    for name in ["session", "token"] {
        let strategy = authlab::measure::StrategyName::from_name(name).expect("strategy");
        let st = &last.strategies[&strategy];
        assert_eq!(st.nodes.len(), 1);
        assert!(st.nodes[0].up, "{name}/1 is up by its health check");
        let by = st.foreign.map(|f| f.measured_by);
        let want = if name == "session" {
            authlab::measure::MeasuredBy::Process
        } else {
            authlab::measure::MeasuredBy::Metrics
        };
        assert_eq!(by, Some(want), "{name} measured by");
    }
    let cookie = run.strategy("session")["credential_bytes_per_request"].as_f64().unwrap_or(0.0);
    let bearer = run.strategy("token")["credential_bytes_per_request"].as_f64().unwrap_or(0.0);
    assert!(bearer > 3.0 * cookie && cookie > 20.0, "a JWT costs more on the wire: {bearer} B against {cookie} B");
}

#[test]
fn events_that_need_the_lab_s_own_nodes_are_refused_against_a_foreign_target_and_set_load_works() {
    let Some(session) = FixtureApp::start("session", USERS) else { return };
    let Some(token) = FixtureApp::start("token", USERS) else { return };
    let file = TempFile::with_contents(
        "kill.toml",
        &scenario(&session, &token, "[[events]]\nat = \"1s\"\naction = \"kill_node\"\ntarget = \"session/1\"\n"),
    );
    let out = Command::new(BIN).args(["check", file.path_str()]).output().expect("authlab check runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "kill_node against your own server is an error");
    assert!(stderr.contains("kill_node needs the lab's own nodes") && stderr.contains("[target.session]"), "{stderr}");

    let run = run_scenario(&scenario(
        &session,
        &token,
        "[[events]]\nat = \"1500ms\"\naction = \"set_load\"\ntarget = \"token\"\nvalue = 1\n",
    ));
    let events: Vec<Value> = run.summary["events"].as_array().cloned().unwrap_or_default();
    assert!(events.iter().any(|e| e["action"] == "set_load"), "set_load applies to a foreign target: {events:?}");
}

#[test]
fn a_foreign_target_without_metrics_or_pid_shows_its_memory_as_not_measured() {
    let Some(session) = FixtureApp::start("session", USERS) else { return };
    let Some(token) = FixtureApp::start("token", USERS) else { return };
    let text = scenario(&session, &token, "").replace(&format!("metrics = \"{}/metrics\"\n", token.url), "");
    let run = run_scenario(&text);
    let token_summary = run.strategy("token");
    let not_measured: Vec<&str> =
        token_summary["not_measured"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert_eq!(not_measured, ["heap_bytes", "sessions_held_peak", "rss_bytes"]);
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let row = stdout.lines().find(|l| l.starts_with("RSS peak")).unwrap_or_default();
    assert!(row.ends_with("not measured"), "the token column says so, never 0: {row:?}");
}

/// The library's `your-own-app`, pointed at the fixture apps' ports and shortened: it runs as its
/// comments say (its users_command runs in the repository root, where cargo runs the tests).
#[test]
fn the_library_s_your_own_app_scenario_runs_against_the_fixture_apps() {
    let Some(session) = FixtureApp::start("session", 1000) else { return };
    let Some(token) = FixtureApp::start("token", 1000) else { return };
    let source = authlab::scenario::builtin::source("your-own-app").expect("your-own-app is built in");
    let text = source
        .replace("http://127.0.0.1:5001", &session.url)
        .replace("http://127.0.0.1:5002", &token.url)
        .replace("duration = \"30s\"", "duration = \"3s\"");
    let run = run_scenario(&text);
    for (name, app) in [("session", &session), ("token", &token)] {
        assert!(run.count(name, "ok") > 50, "{name}: {}", run.strategy(name));
        assert_eq!(run.count(name, "failed"), 0, "{name}");
        assert_eq!(run.strategy(name)["logins"].as_u64(), Some(counted(app, "logins")), "{name}");
    }
}

#[test]
fn a_target_that_is_not_running_is_a_clear_error_before_any_load() {
    let port = free_port();
    let users = TempFile::with_contents("users.csv", "username,password\nann,pw\n");
    let text = authlab::scenario::builtin::source("your-own-app")
        .expect("your-own-app is built in")
        .replace("http://127.0.0.1:5001", &format!("http://127.0.0.1:{port}"))
        .replace(
            "users_command = [\"python3\", \"scripts/fixture_app.py\", \"users\"]",
            &format!("users_csv = \"{}\"", users.path_str()),
        );
    let file = TempFile::with_contents("down.toml", &text);
    let recording = TempFile::with_contents("down.jsonl", "");
    let out = Command::new(BIN)
        .args(["run", file.path_str(), "--out", recording.path_str()])
        .output()
        .expect("authlab run starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("nothing answers at http://127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("start your app first"), "{stderr}");
}
