//! `authlab run` end to end: real node clusters, the load driver, events, recordings and the
//! summary JSON, asserting what a user of the lab must see. Each run lasts a few seconds.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{BIN, Finished, PrivateRedis, TempFile, run_scenario as run, wait_timeout};
use authlab::recording::Recording;
use authlab::scenario::StrategyName;

const FAST_USERS: &str = "[users]\ncount = 5000\npassword_hash = \"sha256\"\n";

#[test]
fn abandoned_sessions_pile_up_on_session_nodes_while_token_nodes_stay_flat() {
    let payload = 4000u64;
    let run = run(&format!(
        r#"name = "pile-up"
duration = "4s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 20 }} ]
requests_per_login = 1
logout_ratio = 0.0
[session]
payload_bytes = {payload}
[token]
"#
    ));
    let held = run.strategy("session")["sessions_held_peak"].as_u64().expect("sessions_held_peak");
    assert!(held > 200, "abandoned sessions pile up on the node: {held}");
    let heap = |s: &str, w: &str| run.strategy(s)["heap_bytes"][w].as_u64().expect("heap bytes");
    let session_growth = heap("session", "end").saturating_sub(heap("session", "start"));
    let token_growth = heap("token", "end").saturating_sub(heap("token", "start"));
    let expected = payload * held;
    assert!(
        session_growth as f64 > 0.5 * expected as f64 && (session_growth as f64) < 2.5 * expected as f64,
        "session heap grew by {session_growth} B for {held} sessions of {payload} B"
    );
    // From the first tick, this includes the driver opening its connections (about 32 KB of node
    // buffers each, more on a busy machine); the SPEC's 5 % bound, which holds once they are open,
    // is asserted by token_nodes_keep_nothing_per_user... and by the memory-growth scenario test.
    assert!(
        token_growth * 4 < session_growth,
        "token nodes stay flat: {token_growth} B vs sessions' {session_growth} B"
    );
    assert_eq!(run.strategy("token")["sessions_held_peak"], 0);
}

#[test]
fn token_nodes_keep_nothing_per_user_however_many_distinct_users_log_in() {
    // The issue's run, shortened: 2+2 nodes, 40,000 accounts, a 200-byte payload, sticky routing,
    // no refresh tokens; every visit a new account, so tens of thousands of distinct users log in.
    // Node heap is compared from 1 s on, once the driver's connections are all open. Each open
    // connection costs a node about 32 KB of buffers, and sticky routing sends each new visit to
    // either node, so with many users a node's connections keep ramping for seconds (the README's
    // memory part measures that); 8 users open their 8 per node within the first second.
    let run = run(r#"name = "distinct users"
duration = "6s"
[users]
count = 40000
password_hash = "sha256"
[load]
stages = [ { at = "0s", target = 8 } ]
think_time = "0ms"
requests_per_login = 1
logout_ratio = 0.0
[cluster]
routing = "sticky"
[session]
nodes = 2
payload_bytes = 200
[token]
nodes = 2
refresh = false
"#);
    let (session, token) =
        (resting_heap_growth(&run, StrategyName::Session), resting_heap_growth(&run, StrategyName::Token));
    let logins = run.strategy("token")["logins"].as_u64().expect("token logins");
    eprintln!("heap growth from 1 s: token {token} B, sessions {session} B, after {logins} token logins");
    assert!(logins > 2000, "many distinct users logged in to the token nodes: {logins}");
    assert!(session > 0, "the session nodes hold the sessions: {session} B");
    assert!(
        token * 20 <= session,
        "token heap growth is at most 5 % of the session nodes': {token} B against {session} B after {logins} logins"
    );
}

/// How much a strategy's nodes' heap (summed) grew from its lowest between 1 and 2 s to its lowest
/// in the run's last second: growth at rest, once the driver's connections are open.
fn resting_heap_growth(run: &Finished, strategy: StrategyName) -> u64 {
    let ticks = run.recording.ticks();
    let end = ticks.iter().map(|t| t.t).fold(0.0, f64::max);
    let heap_at = |from: f64, to: f64| -> u64 {
        let in_range = ticks.iter().filter(|t| t.t >= from && t.t <= to);
        let sums = in_range.filter_map(|t| Some(t.strategies.get(&strategy)?.nodes.iter().map(|n| n.heap_bytes).sum()));
        sums.min().unwrap_or(0)
    };
    heap_at(end - 1.0, end).saturating_sub(heap_at(1.0, 2.0))
}

fn routing_scenario(routing: &str) -> String {
    format!(
        r#"name = "routing {routing}"
duration = "3s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 20 }} ]
think_time = "5ms..15ms"
requests_per_login = 20
[cluster]
routing = "{routing}"
[session]
nodes = 3
[token]
nodes = 3
"#
    )
}

#[test]
fn per_node_sessions_fail_behind_round_robin_and_work_when_sticky() {
    let rr = run(&routing_scenario("round_robin"));
    // Every 401 makes the virtual user log in again, and logins succeed: leave them out.
    let logins = rr.strategy("session")["logins"].as_u64().expect("logins");
    let (ok, unauthorized) = (rr.count("session", "ok"), rr.count("session", "unauthorized"));
    let resource_requests = ok + unauthorized - logins;
    assert!(
        unauthorized * 2 > resource_requests,
        "round robin: most requests for the resource fail ({unauthorized} 401s of {resource_requests})"
    );
    assert_eq!(rr.count("token", "failed"), 0, "token nodes accept any request on any node");

    let sticky = run(&routing_scenario("sticky"));
    assert_eq!(sticky.count("session", "failed"), 0, "sticky routing keeps each visit on its node");
    assert_eq!(sticky.count("token", "failed"), 0);
}

#[test]
fn killing_a_sticky_session_node_logs_its_users_out_but_not_token_users() {
    let run = run(&format!(
        r#"name = "node crash"
duration = "5s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 20 }} ]
think_time = "5ms..15ms"
requests_per_login = 0
[cluster]
routing = "sticky"
health_check = "500ms"
[session]
nodes = 2
[token]
nodes = 2
[[events]]
at = "2s"
action = "kill_node"
target = "session/1"
[[events]]
at = "2s"
action = "kill_node"
target = "token/1"
"#
    ));
    let whole = |s| run.recording.aggregate(s, 0.0, 10.0).expect("ticks");
    assert!(whole(StrategyName::Session).forced_relogins > 0, "session users of the dead node had to log in again");
    assert!(run.count("session", "unauthorized") > 0);
    assert_eq!(run.count("token", "unauthorized"), 0, "no token user is logged out");
    assert_eq!(whole(StrategyName::Token).forced_relogins, 0);
    let events = run.summary["events"].as_array().expect("events");
    assert_eq!(events.len(), 2, "both kills are recorded: {events:?}");
    assert!(run.recording.events().iter().all(|e| e.ok), "{:?}", run.recording.events());
    // Redispatch happens: after the health check, requests succeed again on the remaining node.
    let late = run.recording.aggregate(StrategyName::Token, 3.5, 5.0).expect("late ticks");
    assert_eq!(late.requests.failed, 0, "token traffic is redispatched after the health check");
    assert!(late.requests.ok > 0);
    // Until the health check saw it dead, the killed node's users got no answer: the reasons say
    // why (the kill reset its connections, or refused new ones), and they add up.
    for strategy in ["session", "token"] {
        let reasons = &run.strategy(strategy)["connection_failures"];
        let sum: u64 = ["no_node_up", "refused", "timed_out", "closed", "other"]
            .iter()
            .map(|reason| reasons[reason].as_u64().unwrap_or(0))
            .sum();
        assert!(run.count(strategy, "connection") > 0, "{strategy}: requests hit the dead node");
        assert_eq!(sum, run.count(strategy, "connection"), "{strategy}: {reasons}");
        let (refused, closed) = (reasons["refused"].as_u64().unwrap_or(0), reasons["closed"].as_u64().unwrap_or(0));
        assert!(refused + closed > 0, "{strategy}: a killed node refuses or drops connections: {reasons}");
    }
}

#[test]
fn with_the_redis_store_a_node_kill_logs_nobody_out_and_the_run_cleans_up_its_keys() {
    let Some(redis) = PrivateRedis::start() else { return };
    redis.set("someone-else:key", "keep me");
    let run = run(&format!(
        r#"name = "redis node crash"
duration = "4s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 20 }} ]
think_time = "5ms..15ms"
requests_per_login = 0
[cluster]
routing = "sticky"
health_check = "500ms"
[session]
nodes = 2
store = "redis"
redis_url = "{}"
[[events]]
at = "1500ms"
action = "kill_node"
target = "session/1"
"#,
        redis.url()
    ));
    assert_eq!(run.count("session", "unauthorized"), 0, "the sessions live in Redis: nobody is logged out");
    let store = &run.strategy("session")["store"];
    assert_eq!(store["kind"], "redis");
    assert!(store["keys_peak"].as_u64().unwrap_or(0) > 0 && store["used_memory_peak"].as_u64().unwrap_or(0) > 0);
    assert_eq!(redis.all_keys(), vec!["someone-else:key".to_string()], "only the run's own keys were deleted");
}

#[test]
fn the_driver_and_the_nodes_count_the_same_requests() {
    let run = run(&routing_scenario("least_outstanding"));
    for name in ["session", "token"] {
        let s = run.strategy(name);
        let answered = run.count(name, "ok") + run.count(name, "unauthorized") + run.count(name, "server_error");
        let counted = s["server_requests"].as_u64().expect("server_requests");
        let gap = answered.abs_diff(counted) as f64 / answered.max(1) as f64;
        assert!(answered > 100, "{name}: some load ran");
        assert!(gap <= 0.01, "{name}: driver {answered} vs nodes {counted}");
    }
}

#[test]
fn a_recording_reads_back_and_a_cut_off_one_still_reads() {
    let run = run(&routing_scenario("random"));
    let ticks = run.recording.ticks();
    assert!(ticks.len() >= 10, "about four ticks a second: {}", ticks.len());
    assert_eq!(run.recording.header().scenario.name, "routing random");
    let total: u64 = ticks.iter().map(|t| t.strategies.values().map(|s| s.requests.ok).sum::<u64>()).sum();
    assert_eq!(total, run.count("session", "ok") + run.count("token", "ok"), "the summary is the recording's sum");

    // A run killed mid-write leaves a partial last line: everything before it still reads.
    let path = run.recording_path();
    let text = std::fs::read_to_string(path).expect("recording text");
    let cut = TempFile::with_contents("cut.jsonl", &text[..text.len() - 40]);
    let partial = Recording::open(&cut.path).expect("a cut-off recording still reads");
    assert!(partial.truncated());
    assert!(partial.ticks().len() >= ticks.len() - 1);
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert!(stdout.contains("session") && stdout.contains("token"), "the closing table compares both: {stdout}");
}

#[test]
fn a_scenario_that_needs_an_unreachable_redis_fails_at_once() {
    let port = crate::support::free_port();
    let file = TempFile::with_contents(
        "scenario.toml",
        &format!(
            "name = \"no redis\"\nduration = \"30s\"\n[load]\nstages = [ {{ at = \"0s\", target = 1 }} ]\n\
             [session]\nstore = \"redis\"\nredis_url = \"redis://127.0.0.1:{port}/\"\n"
        ),
    );
    let started = Instant::now();
    let out = TempFile::with_contents("out.jsonl", "");
    let output = Command::new(BIN).args(["run", file.path_str(), "--out", out.path_str()]).output().expect("runs");
    assert!(!output.status.success());
    assert!(started.elapsed() < Duration::from_secs(10), "it fails at once");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Redis") && stderr.contains(&port.to_string()), "the message says what is wrong: {stderr}");
}

/// Process ids whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        // The parent pid is the second field after the parenthesised command name.
        let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if parent.and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            children.push(child);
        }
    }
    children
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
}

#[test]
#[cfg(target_os = "linux")]
fn ctrl_c_leaves_no_node_process_and_no_redis_key_behind() {
    let Some(redis) = PrivateRedis::start() else { return };
    redis.set("someone-else:key", "keep me");
    let file = TempFile::with_contents(
        "scenario.toml",
        &format!(
            "name = \"interrupted\"\nduration = \"60s\"\n{FAST_USERS}[load]\nstages = [ {{ at = \"0s\", target = 10 }} ]\n\
             think_time = \"10ms\"\n[session]\nnodes = 2\nstore = \"redis\"\nredis_url = \"{}\"\n[token]\nnodes = 2\n",
            redis.url()
        ),
    );
    let out = TempFile::with_contents("out.jsonl", "");
    let mut child = Command::new(BIN)
        .args(["run", file.path_str(), "--out", out.path_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("authlab run starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut nodes = Vec::new();
    while nodes.len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        nodes = children_of(child.id());
    }
    assert_eq!(nodes.len(), 4, "the run started its four nodes");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(redis.dbsize() > 1, "sessions are in Redis while the run goes on");
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill -INT");
    assert!(status.success());
    let Some(exit) = wait_timeout(&mut child, Duration::from_secs(20)) else {
        let _ = child.kill();
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        panic!("the run did not stop within 20 s of Ctrl-C; it said: {stderr}");
    };
    assert!(exit.code().is_some(), "it exits by itself, not by a signal: {exit:?}");
    for pid in nodes {
        assert!(!alive(pid), "node process {pid} is gone");
    }
    assert_eq!(redis.all_keys(), vec!["someone-else:key".to_string()], "the run deleted its keys, and only those");
}

/// Starts `authlab run` on a 60 s Redis-store scenario, waits until its sessions are in Redis,
/// then kills it with SIGKILL, as a crash or a power cut would. Returns the run's key prefix.
#[cfg(target_os = "linux")]
fn kill_a_redis_run(redis: &PrivateRedis) -> String {
    let file = TempFile::with_contents(
        "scenario.toml",
        &format!(
            "name = \"killed\"\nduration = \"60s\"\n{FAST_USERS}[load]\nstages = [ {{ at = \"0s\", target = 10 }} ]\n\
             think_time = \"10ms\"\nlogout_ratio = 0.0\n[session]\nstore = \"redis\"\nredis_url = \"{}\"\n",
            redis.url()
        ),
    );
    let out = TempFile::with_contents("killed.jsonl", "");
    let mut child = Command::new(BIN)
        .args(["run", file.path_str(), "--out", out.path_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("authlab run starts");
    let deadline = Instant::now() + Duration::from_secs(15);
    let marks_before = redis.keys("authlab:alive:*");
    let prefix = loop {
        assert!(Instant::now() < deadline, "the run put no sessions in Redis within 15 s");
        std::thread::sleep(Duration::from_millis(100));
        let fresh = redis.keys("authlab:alive:run-*").into_iter().find(|mark| !marks_before.contains(mark));
        let Some(mark) = fresh else { continue };
        let prefix = format!("authlab:{}:", mark.trim_start_matches("authlab:alive:"));
        if redis.keys(&format!("{prefix}*")).len() > 20 {
            break prefix;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    // Its nodes die with it (PR_SET_PDEATHSIG); let their last writes land before counting.
    std::thread::sleep(Duration::from_millis(500));
    prefix
}

/// Waits (up to 10 s) until the liveness mark of the run with `prefix` has expired.
#[cfg(target_os = "linux")]
fn wait_for_mark_to_expire(redis: &PrivateRedis, prefix: &str) {
    let mark = format!("authlab:alive:{}", prefix.trim_start_matches("authlab:").trim_end_matches(':'));
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis.exists(&mark) {
        assert!(Instant::now() < deadline, "the mark {mark} of a killed run did not expire");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[cfg(target_os = "linux")]
fn the_keys_a_killed_run_left_are_swept_by_the_next_run_and_by_authlab_clean_and_nothing_else() {
    let Some(redis) = PrivateRedis::start() else { return };
    // Keys the lab must never touch: someone else's, one that only looks like a run's, and a
    // live run's (its mark has no expiry here).
    let foreign = ["someone-else:key", "authlab:run-notarun:x", "authlab:run-cafe:session", "authlab:alive:run-cafe"];
    for key in foreign {
        redis.set(key, "keep me");
    }

    // 1. `authlab clean`, after a SIGKILL.
    let killed = kill_a_redis_run(&redis);
    let left = redis.keys(&format!("{killed}*")).len();
    assert!(left > 20, "a killed run cannot clean up after itself: {left} keys left");
    let clean = || {
        let out = Command::new(BIN).args(["clean", "--redis", &redis.url()]).output().expect("authlab clean runs");
        assert!(out.status.success(), "authlab clean: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = clean();
    assert_eq!(redis.keys(&format!("{killed}*")).len(), left, "while its mark lives, the run counts as alive: {said}");
    wait_for_mark_to_expire(&redis, &killed);
    let said = clean();
    assert!(redis.keys(&format!("{killed}*")).is_empty(), "authlab clean deleted the dead run's keys: {said}");
    assert!(said.contains(&format!("deleted {left} keys")), "and said how many: {said}");

    // 2. The next run, after another SIGKILL.
    let killed = kill_a_redis_run(&redis);
    wait_for_mark_to_expire(&redis, &killed);
    let next = run(&format!(
        "name = \"next\"\nduration = \"1s\"\n{FAST_USERS}[load]\nstages = [ {{ at = \"0s\", target = 2 }} ]\n\
         [session]\nstore = \"redis\"\nredis_url = \"{}\"\n",
        redis.url()
    ));
    assert!(next.count("session", "ok") > 0);
    assert!(redis.keys(&format!("{killed}*")).is_empty(), "the next run swept the dead run's keys");

    let mut expected: Vec<String> = foreign.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(redis.all_keys(), expected, "nothing but the dead runs' keys was deleted");
}

#[test]
fn expiring_tokens_are_refreshed_without_logging_anyone_out() {
    let run = run(&format!(
        r#"name = "refresh"
duration = "4s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 5 }} ]
think_time = "20ms"
requests_per_login = 0
[token]
ttl = "1s"
refresh = true
"#
    ));
    let whole = run.recording.aggregate(StrategyName::Token, 0.0, 10.0).expect("ticks");
    assert!(whole.refreshes >= 5, "each user refreshed its 1 s token: {}", whole.refreshes);
    assert_eq!(run.count("token", "unauthorized"), 0, "nobody was logged out");
    assert_eq!(whole.forced_relogins, 0);
}

#[test]
fn the_open_model_keeps_its_arrival_rate() {
    let run = run(&format!(
        r#"name = "open"
duration = "3s"
{FAST_USERS}
[load]
model = "open"
stages = [ {{ at = "0s", target = 200 }} ]
requests_per_login = 10
[token]
"#
    ));
    // 200 arrivals/s for 3 s: the schedule holds whatever the machine's load.
    let arrivals: u64 = run.recording.ticks().iter().map(|t| t.strategies[&StrategyName::Token].arrivals).sum();
    assert!((540..=660).contains(&arrivals), "about 600 scheduled requests: {arrivals}");
    let whole = run.recording.aggregate(StrategyName::Token, 0.0, 10.0).expect("ticks");
    assert!(whole.requests.ok >= arrivals, "every arrival was served (plus the logins of its visits)");
    assert_eq!(whole.requests.failed, 0);
}

#[test]
fn an_overloaded_open_model_run_accounts_for_every_scheduled_arrival_and_ends_on_time() {
    // One node of 2 workers x 10 ms serves 200 requests/s; 300 arrive each second, so a queue of
    // about 100 more builds every second and is still there when the run stops.
    let run = run(&format!(
        r#"name = "open overload"
duration = "3s"
{FAST_USERS}
[load]
model = "open"
stages = [ {{ at = "0s", target = 300 }} ]
requests_per_login = 0
[cluster]
machine = {{ workers = 2, service_time = "10ms" }}
[token]
refresh = false
"#
    ));
    let token = run.strategy("token");
    let books = &token["arrivals"];
    let n = |key: &str| books[key].as_u64().unwrap_or_else(|| panic!("arrivals.{key} in {books}"));
    assert!((800..=1000).contains(&n("scheduled")), "about 900 arrivals scheduled: {books}");
    assert_eq!(
        n("ok") + n("failed") + n("dropped") + n("interrupted"),
        n("scheduled"),
        "every scheduled arrival is counted exactly once: {books}"
    );
    assert!(n("interrupted") > 0, "the queue left at the stop shows as interrupted: {books}");
    let interrupted = token["requests"]["interrupted"].as_u64().expect("requests.interrupted");
    assert!(interrupted >= n("interrupted"), "each interrupted arrival had a request cut: {interrupted}");
    // The drain is bounded: the run ends about a second after its 3 s, not 5 s later.
    let duration = run.summary["duration_s"].as_f64().expect("duration_s");
    assert!(duration < 5.0, "the run ends soon after its duration: {duration} s");
    // The recording's ticks add up to the same books.
    let whole = run.recording.aggregate(StrategyName::Token, 0.0, f64::MAX).expect("ticks");
    let books = whole.arrivals.expect("arrival books in the recording");
    assert_eq!(books.accounted(), books.scheduled);
}

#[test]
fn revoking_a_user_logs_that_user_out_of_sessions_and_of_denylisted_tokens() {
    let run = run(&format!(
        r#"name = "revoke"
duration = "4s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 3 }} ]
think_time = "20ms"
requests_per_login = 0
[session]
[token]
revocation = "denylist"
[[events]]
at = "1500ms"
action = "revoke_user"
"#
    ));
    let events = run.recording.events();
    assert_eq!(events.len(), 1);
    assert!(events[0].ok, "{:?}", events[0]);
    for strategy in [StrategyName::Session, StrategyName::Token] {
        let before = run.recording.aggregate(strategy, 0.0, 1.4).expect("ticks");
        let after = run.recording.aggregate(strategy, 1.4, 10.0).expect("ticks");
        assert_eq!(before.requests.unauthorized, 0, "{strategy:?}: nobody is refused before");
        assert!(after.requests.unauthorized >= 1, "{strategy:?}: the revoked user is refused");
        assert!(after.forced_relogins >= 1, "{strategy:?}: and has to log in again");
    }
}

#[test]
fn rotating_the_signing_key_logs_nobody_out() {
    let run = run(&format!(
        r#"name = "rotation"
duration = "8s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 5 }} ]
think_time = "20ms"
requests_per_login = 0
[cluster]
# Refresh tokens are each node's own state: a visit refreshes where it logged in.
routing = "sticky"
[token]
nodes = 2
ttl = "1s"
[[events]]
at = "1s"
action = "rotate_key"
target = "token"
"#
    ));
    let events = run.recording.events();
    assert_eq!(events.len(), 2, "the rotation, then the old key's retirement: {events:?}");
    assert!(events.iter().all(|e| e.ok), "{events:?}");
    assert_eq!(events[1].action, authlab::scenario::Action::RetireKeys, "{:?}", events[1]);
    assert!(events[1].detail.contains("retired"), "{:?}", events[1]);
    assert_eq!(run.count("token", "failed"), 0, "no request failed across the rotation");
    let whole = run.recording.aggregate(StrategyName::Token, 0.0, 10.0).expect("ticks");
    assert!(whole.refreshes > 0 && whole.forced_relogins == 0);
}

fn simulated_scenario(nodes: u32) -> String {
    format!(
        r#"name = "simulated {nodes}"
duration = "3s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 40 }} ]
requests_per_login = 0
[cluster]
machine = {{ workers = 2, service_time = "20ms" }}
[token]
nodes = {nodes}
"#
    )
}

#[test]
fn simulated_machines_cap_each_node_and_adding_nodes_scales_tokens() {
    let one = run(&simulated_scenario(1));
    let two = run(&simulated_scenario(2));
    let rps = |r: &Finished| r.strategy("token")["throughput_rps"].as_f64().expect("throughput");
    // 2 workers × 20 ms = at most 100 requests/s per simulated machine.
    assert!(rps(&one) <= 110.0, "one simulated node serves at most ~100 req/s: {}", rps(&one));
    assert!(rps(&two) > 1.6 * rps(&one), "two nodes serve about twice as much: {} vs {}", rps(&two), rps(&one));
    assert!(one.recording.ticks().iter().all(|t| t.strategies.values().all(|s| s.simulated)));
    let stdout = String::from_utf8_lossy(&one.output.stdout);
    assert!(stdout.contains("SIMULATED"), "the output says the capacity is simulated: {stdout}");
}

#[test]
fn nodes_can_be_added_and_restarted_and_the_load_changed_mid_run() {
    let run = run(&format!(
        r#"name = "live changes"
duration = "4s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = 4 }} ]
think_time = "20ms"
requests_per_login = 0
[session]
[token]
[[events]]
at = "1s"
action = "add_node"
target = "token"
[[events]]
at = "1s"
action = "set_load"
value = 12
[[events]]
at = "2s"
action = "restart_node"
target = "session/1"
"#
    ));
    let events = run.recording.events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e.ok), "{events:?}");
    let last = run.recording.ticks().last().expect("ticks");
    assert_eq!(last.strategies[&StrategyName::Token].nodes.len(), 2, "token/2 joined");
    let users = |from, to| run.recording.aggregate(StrategyName::Token, from, to).expect("ticks").users_logged_in_peak;
    assert!(users(0.0, 0.9) <= 4 && users(1.5, 4.0) >= 10, "set_load raised the virtual users");
    // A restarted session node has lost its sessions: its users log in again.
    let after = run.recording.aggregate(StrategyName::Session, 2.0, 4.0).expect("ticks");
    assert!(after.forced_relogins >= 1, "the restart logged the node's users out");
    assert!(after.requests.ok > 0, "and the restarted node serves again");
}

#[test]
fn a_node_holds_no_more_connections_from_the_driver_than_there_are_users() {
    // Flat out, no think time, round robin over two nodes: the driver's pool hands each request an
    // idle connection to its node and takes it back once the whole answer is read, so a node
    // holds at most as many connections as there are users, however long the run, besides the
    // few of the lab's health checks and metrics scrapes.
    let users = 12u64;
    let run = run(&format!(
        r#"name = "connections"
duration = "3s"
{FAST_USERS}
[load]
stages = [ {{ at = "0s", target = {users} }} ]
requests_per_login = 0
logout_ratio = 0.0
[token]
nodes = 2
"#
    ));
    assert_eq!(run.count("token", "failed"), 0, "{}", run.summary);
    let ticks = run.recording.ticks();
    let most = ticks
        .iter()
        .flat_map(|tick| tick.strategies.get(&StrategyName::Token).map(|s| s.nodes.clone()).unwrap_or_default())
        .map(|node| node.connections)
        .max()
        .unwrap_or(0);
    assert!(most > 0, "the nodes count their connections");
    let monitoring = 4;
    assert!(most <= users + monitoring, "a node held {most} connections for {users} users");
}
