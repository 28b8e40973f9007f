//! Nodes the lab did not start (`[session] endpoints`, `[token] endpoints`): this test is their
//! outside supervisor. It starts `authlab node` processes with an admin token file on free
//! loopback ports, restarts any that exits (as Kubernetes would), and runs a scenario that attaches
//! to them and crashes one through the admin API.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{BIN, Finished, TempFile, admin_token_file, free_port, parse_metrics, run_scenario};
use authlab::measure::Action;
use authlab::scenario::StrategyName;
use serde_json::{Value, json};

const ADMIN: &str = "admin-token-of-the-attach-test";
/// The routes that carry the lab's load, as the nodes count them.
const LOAD_ROUTES: [&str; 5] = ["/login", "/api/profile", "/logout", "/refresh", "unmatched"];

/// One node the supervisor keeps running: its command line (program first), its process, and how
/// each of its processes ended.
struct Supervised {
    argv: Vec<String>,
    child: Child,
    exits: Vec<ExitStatus>,
    /// When the process last exited, while it waits for its restart.
    exited_at: Option<Instant>,
}

/// How long the outside supervisor waits before it restarts a node that exited: as a pod's
/// restart takes a while, long enough for the lab's ticks to see the node down.
const RESTART_AFTER: Duration = Duration::from_millis(1500);

/// The test's outside supervisor: it restarts every node that exits ([`RESTART_AFTER`] later), at
/// the same address, until dropped (which kills them all).
pub(crate) struct OutsideSupervisor {
    nodes: Arc<Mutex<Vec<Supervised>>>,
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

fn spawn(argv: &[String]) -> Child {
    Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("authlab node starts")
}

impl OutsideSupervisor {
    /// Starts one process per command line (program first), and restarts each when it exits.
    pub(crate) fn start(nodes: Vec<Vec<String>>) -> Self {
        let nodes: Vec<Supervised> = nodes
            .into_iter()
            .map(|argv| Supervised { child: spawn(&argv), argv, exits: Vec::new(), exited_at: None })
            .collect();
        let nodes = Arc::new(Mutex::new(nodes));
        let stop = Arc::new(AtomicBool::new(false));
        let (watched, stopping) = (nodes.clone(), stop.clone());
        let watcher = std::thread::spawn(move || {
            // Bounded: no test runs this long.
            let until = Instant::now() + Duration::from_secs(120);
            while !stopping.load(Ordering::SeqCst) && Instant::now() < until {
                for node in watched.lock().unwrap().iter_mut() {
                    match node.exited_at {
                        Some(at) if at.elapsed() >= RESTART_AFTER => {
                            node.child = spawn(&node.argv);
                            node.exited_at = None;
                        }
                        Some(_) => {}
                        None => {
                            if let Ok(Some(status)) = node.child.try_wait() {
                                node.exits.push(status);
                                node.exited_at = Some(Instant::now());
                            }
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Self { nodes, stop, watcher: Some(watcher) }
    }

    /// How each process of node `i` ended so far.
    pub(crate) fn exits(&self, i: usize) -> Vec<ExitStatus> {
        self.nodes.lock().unwrap()[i].exits.clone()
    }
}

impl Drop for OutsideSupervisor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
        for node in self.nodes.lock().unwrap().iter_mut() {
            let _ = node.child.kill();
            let _ = node.child.wait();
        }
    }
}

/// `authlab node --strategy STRATEGY` listening on `listen`, its admin token in `token_file`;
/// nothing else: the lab hands it its users and keys.
pub(crate) fn node_args(strategy: &str, listen: &str, token_file: &TempFile) -> Vec<String> {
    let name = format!("{strategy}-{}", listen.replace(['.', ':'], "-"));
    [
        BIN,
        "node",
        "--strategy",
        strategy,
        "--listen",
        listen,
        "--node-name",
        &name,
        "--admin-token-file",
        token_file.path_str(),
    ]
    .map(String::from)
    .to_vec()
}

async fn health(c: &reqwest::Client, url: &str) -> (u16, Value) {
    match c.get(format!("{url}/healthz")).send().await {
        Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or(Value::Null)),
        Err(_) => (0, Value::Null),
    }
}

/// Waits until the node at `url` answers `/healthz` at all.
async fn answering(c: &reqwest::Client, url: &str) -> (u16, Value) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = health(c, url).await;
        if answer.0 != 0 || Instant::now() > until {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The load-route requests a node counted itself.
async fn own_load_requests(c: &reqwest::Client, url: &str) -> u64 {
    let text = c.get(format!("{url}/metrics")).send().await.expect("/metrics").text().await.expect("text");
    parse_metrics(&text)
        .iter()
        .filter(|s| s.name == "authlab_requests_total")
        .filter(|s| s.labels.iter().any(|(k, v)| k == "route" && LOAD_ROUTES.contains(&v.as_str())))
        .map(|s| s.value as u64)
        .sum()
}

/// A 6 s scenario attached to `sessions` and `tokens` (base URLs) with the admin token in
/// `token_file`, 8 users, and a crash of `session/1` through the admin API at 2 s.
pub(crate) fn crash_scenario(name: &str, token_file: &str, sessions: &[String], tokens: &[String]) -> String {
    let list = |urls: &[String]| urls.iter().map(|url| format!("\"{url}\"")).collect::<Vec<_>>().join(", ");
    format!(
        r#"name = "{name}"
duration = "6s"
[users]
count = 200
password_hash = "sha256"
[load]
stages = [ {{ at = "0s", target = 8 }} ]
think_time = "5ms..10ms"
requests_per_login = 20
[cluster]
admin_token_file = "{token_file}"
health_check = "200ms"
[session]
endpoints = [{}]
[token]
endpoints = [{}]
[[events]]
at = "2s"
action = "kill_node"
target = "session/1"
"#,
        list(sessions),
        list(tokens)
    )
}

/// What a run that crashed `session/1` (the supervisor's first node) through the admin API, with
/// `session/2` beside it, must show: the kill was a crash (SIGABRT, once, and no other of the
/// supervisor's `nodes` exited); the ticks saw `session/1` down while `session/2`, still up,
/// served; then `session/1` up again, and load after it.
pub(crate) fn assert_session_1_crashed_and_came_back(run: &Finished, supervisor: &OutsideSupervisor, nodes: usize) {
    let kill = run.recording.events().iter().find(|e| e.action == Action::KillNode).cloned().expect("a kill");
    assert!(kill.ok && kill.detail.contains("crashed"), "{kill:?}");
    let exits = supervisor.exits(0);
    assert_eq!(exits.len(), 1, "session/1 exited once: {exits:?}");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&exits[0]), Some(libc::SIGABRT), "{exits:?}");
    assert!((1..nodes).all(|i| supervisor.exits(i).is_empty()), "no other node exited");

    let ticks = run.recording.ticks();
    let up = |tick: &authlab::measure::Tick, id: &str| {
        tick.strategies.get(&StrategyName::Session).and_then(|s| s.nodes.iter().find(|n| n.id == id)).map(|n| n.up)
    };
    let ok = |ticks: &[authlab::measure::Tick]| -> u64 {
        ticks.iter().map(|t| t.strategies[&StrategyName::Session].requests.ok).sum()
    };
    let down_at = ticks.iter().position(|t| t.t > 2.0 && up(t, "session/1") == Some(false)).expect("seen down");
    let back = ticks.iter().skip(down_at).position(|t| up(t, "session/1") == Some(true));
    let back_at = back.map(|i| i + down_at).expect("session/1 seen up again after its restart");
    assert!(ok(&ticks[down_at..back_at]) > 0, "session/2 served while session/1 was down");
    assert!(ticks[down_at..back_at].iter().all(|t| up(t, "session/2") == Some(true)));
    assert!(ok(&ticks[back_at..]) > 0, "load went on after session/1 came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_configures_nodes_it_did_not_start_crashes_one_and_takes_it_back_when_its_supervisor_restarts_it() {
    let token_file = admin_token_file(ADMIN);
    let ports = [free_port(), free_port(), free_port()];
    let urls = ports.map(|port| format!("http://127.0.0.1:{port}"));
    let supervisor = OutsideSupervisor::start(vec![
        node_args("session", &format!("127.0.0.1:{}", ports[0]), &token_file),
        node_args("session", &format!("127.0.0.1:{}", ports[1]), &token_file),
        node_args("token", &format!("127.0.0.1:{}", ports[2]), &token_file),
    ]);
    let c = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().expect("client");

    // Not yet configured: it says so, refuses the load, and takes no configuration from strangers.
    let (status, body) = answering(&c, &urls[0]).await;
    assert_eq!((status, body["status"].as_str()), (503, Some("unconfigured")), "{body}");
    let login = c.post(format!("{}/login", urls[0])).json(&json!({"username": "user0000001", "password": "x"}));
    assert_eq!(login.send().await.expect("POST /login").status().as_u16(), 503, "an unconfigured node refuses login");
    let configure = format!("{}/admin/configure", urls[0]);
    let anonymous = c.post(&configure).json(&json!({"run_id": "mine"})).send().await.expect("configure");
    assert_eq!(anonymous.status().as_u16(), 401, "no token, no configuration");
    let wrong = c.post(&configure).bearer_auth("not-the-token").json(&json!({})).send().await.expect("configure");
    assert_eq!(wrong.status().as_u16(), 401, "a wrong token, no configuration");
    for url in &urls[1..] {
        assert_eq!(answering(&c, url).await.0, 503, "{url} waits for its configuration");
    }

    let scenario = crash_scenario("attach", token_file.path_str(), &urls[..2], &urls[2..]);
    let run = tokio::task::spawn_blocking(move || run_scenario(&scenario)).await.expect("the run");

    assert_session_1_crashed_and_came_back(&run, &supervisor, 3);

    // The restarted process was configured again for the run, and took load again.
    let (status, body) = health(&c, &urls[0]).await;
    let run_id = body["run"].as_str().unwrap_or_default().to_owned();
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")), "{body}");
    assert_eq!(health(&c, &urls[1]).await.1["run"].as_str(), Some(run_id.as_str()), "both for the same run");
    let restarted = own_load_requests(&c, &urls[0]).await;
    assert!(restarted > 0, "the restarted session/1 was sent load again");

    // The run's counts agree with the nodes' own: exactly for the node that never crashed.
    let answered =
        |name: &str| run.count(name, "ok") + run.count(name, "unauthorized") + run.count(name, "server_error");
    let counted = |name: &str| run.strategy(name)["server_requests"].as_u64().expect("server_requests");
    assert!(answered("token") > 100, "token load ran");
    assert_eq!(counted("token"), own_load_requests(&c, &urls[2]).await, "the token node's own count");
    let gap = answered("token").abs_diff(counted("token")) as f64 / answered("token") as f64;
    assert!(gap <= 0.01, "token: driver {} vs node {}", answered("token"), counted("token"));
    // A crash loses what the node counted since its last scrape (a tick at most) and what was in
    // flight; what the surviving processes counted is all in the run's figures.
    let session_nodes = own_load_requests(&c, &urls[1]).await + restarted;
    assert!(counted("session") >= session_nodes, "{} < {session_nodes}", counted("session"));
    let gap = answered("session").abs_diff(counted("session")) as f64 / answered("session").max(1) as f64;
    assert!(gap <= 0.05, "session: driver {} vs nodes {}", answered("session"), counted("session"));
}

/// The live view's endpoint list: a URL typed and added is configured and sent load; a node removed
/// gets no more.
#[test]
fn the_live_view_adds_a_node_by_its_url_and_removes_it() {
    use crate::app::{app, harness, run_until};
    use egui::accesskit::Role;
    use egui_kittest::kittest::{By, Queryable};

    let token_file = admin_token_file(ADMIN);
    let ports = [free_port(), free_port()];
    let urls = ports.map(|port| format!("http://127.0.0.1:{port}"));
    let _supervisor = OutsideSupervisor::start(
        ports.iter().map(|port| node_args("session", &format!("127.0.0.1:{port}"), &token_file)).collect(),
    );
    let scenario = format!(
        r#"name = "attach live"
duration = "30s"
[users]
count = 50
password_hash = "sha256"
[load]
stages = [ {{ at = "0s", target = 4 }} ]
think_time = "20ms..40ms"
[cluster]
admin_token_file = "{}"
health_check = "200ms"
[session]
endpoints = ["{}"]
"#,
        token_file.path_str(),
        urls[0]
    );
    let mut app = app();
    app.add_scenario(std::path::Path::new("attach-live.toml"), scenario);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Start").click();
    run_until(&mut harness, Duration::from_secs(20), |app| app.live_progress().is_some_and(|(ticks, _)| ticks >= 2));
    harness.get_by_label("Live").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Your nodes (").click();
    harness.run_steps(2);
    const HINT: &str = "http://10.1.0.4:8080";
    let field = harness.get(By::new().predicate(|n| n.role() == Role::TextInput && n.placeholder() == Some(HINT)));
    field.focus();
    harness.run();
    harness
        .get(By::new().predicate(|n| n.role() == Role::TextInput && n.placeholder() == Some(HINT) && n.is_focused()))
        .type_text(&urls[1]);
    harness.run_steps(2);
    // The field is labelled by its button, so the button is asked for by its role.
    harness.get_by_role_and_label(Role::Button, "Add URL").click();
    let recorded = |app: &authlab::app::AuthlabApp, action: Action| {
        app.live_progress().is_some_and(|(_, events)| events.iter().any(|e| e.action == action))
    };
    run_until(&mut harness, Duration::from_secs(10), |app| recorded(app, Action::AddNode));
    let (_, events) = harness.state().live_progress().expect("a live run");
    let added = events.iter().find(|e| e.action == Action::AddNode).cloned().expect("the add");
    assert!(added.ok, "{added:?}");
    harness.run_steps(2);
    harness.get_by_label_contains(&format!("session/2  {}", urls[1]));

    // The added node was configured for the run and is sent load.
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let c = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().expect("client");
    let served = || runtime.block_on(own_load_requests(&c, &urls[1]));
    run_until(&mut harness, Duration::from_secs(10), |_| served() > 0);
    assert!(served() > 0, "the added node took load");

    harness.get_all_by_label("Remove").nth(1).expect("session/2's Remove").click();
    run_until(&mut harness, Duration::from_secs(10), |app| recorded(app, Action::RemoveNode));
    let (_, events) = harness.state().live_progress().expect("a live run");
    let removed = events.iter().find(|e| e.action == Action::RemoveNode).cloned().expect("the removal");
    assert!(removed.ok && removed.target == "session/2", "{removed:?}");
    harness.state_mut().stop();
    run_until(&mut harness, Duration::from_secs(15), authlab::app::AuthlabApp::live_finished);
    assert!(harness.state().notices.iter().all(|n| !n.error), "no error: {:?}", harness.state().notices);
}
