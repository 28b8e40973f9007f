//! Sessions on a Redis Cluster: a private cluster of three primaries (redis-server and
//! `redis-cli --cluster create`, on free ports), session nodes and `authlab run` against it, and
//! the `store-scale-out` scenario, whose private cluster the lab starts itself.
use crate::support::*;
use authlab::scenario::StrategyName::Session;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The runs of this file go one at a time: each loads both cores.
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Three redis-server primaries joined by `redis-cli --cluster create`; dropping it kills them.
struct TestCluster {
    servers: Vec<Child>,
    ports: Vec<u16>,
    dir: PathBuf,
}

impl TestCluster {
    /// None (after a loud skip) without redis-server or redis-cli, unless AUTHLAB_REQUIRE_REDIS=1.
    fn start() -> Option<TestCluster> {
        if let Some(missing) = ["redis-server", "redis-cli"].into_iter().find(|tool| find_on_path(tool).is_none()) {
            if std::env::var("AUTHLAB_REQUIRE_REDIS").as_deref() == Ok("1") {
                panic!("{missing} not found on PATH and AUTHLAB_REQUIRE_REDIS=1");
            }
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIP: {missing} not installed; the Redis Cluster tests did NOT run \
                 (set AUTHLAB_REQUIRE_REDIS=1 to make this a failure)."
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!("authlab-test-cluster-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("a directory for the cluster's files");
        let mut cluster = TestCluster { servers: Vec::new(), ports: Vec::new(), dir };
        for _ in 0..3 {
            let (port, bus) = (free_port(), free_port());
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--cluster-enabled", "yes"])
                .arg("--cluster-config-file")
                .arg(cluster.dir.join(format!("nodes-{port}.conf")))
                .arg("--dir")
                .arg(&cluster.dir)
                .args(["--save", "", "--appendonly", "no", "--cluster-port", &bus.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawning redis-server");
            cluster.servers.push(child);
            cluster.ports.push(port);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for &port in &cluster.ports {
            while !ping_raw(port) {
                assert!(Instant::now() < deadline, "redis-server on {port} did not answer PING");
                std::thread::sleep(Duration::from_millis(30));
            }
        }
        let addresses: Vec<String> = cluster.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .arg("--cluster-yes")
            .output()
            .expect("redis-cli runs");
        assert!(created.status.success(), "redis-cli --cluster create: {}", String::from_utf8_lossy(&created.stdout));
        let deadline = Instant::now() + Duration::from_secs(15);
        for &port in &cluster.ports {
            loop {
                let info = match resp_command(port, &["CLUSTER", "INFO"]) {
                    Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
                    _ => String::new(),
                };
                if info.contains("cluster_state:ok") {
                    break;
                }
                assert!(Instant::now() < deadline, "the cluster on {port} did not reach cluster_state:ok: {info}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Some(cluster)
    }

    fn seed(&self) -> String {
        format!("redis://127.0.0.1:{}", self.ports[0])
    }

    /// Keys matching `pattern` on the primary at `port` (KEYS answers for one server only).
    fn keys_on(port: u16, pattern: &str) -> Vec<String> {
        match resp_command(port, &["KEYS", pattern]) {
            Resp::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
                    other => panic!("KEYS returned a non-bulk item: {other:?}"),
                })
                .collect(),
            other => panic!("KEYS returned {other:?}"),
        }
    }

    /// Keys matching `pattern`, per primary.
    fn keys(&self, pattern: &str) -> Vec<Vec<String>> {
        self.ports.iter().map(|&port| Self::keys_on(port, pattern)).collect()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn session_nodes_share_a_cluster_each_primary_holds_sessions_and_cleanup_leaves_nothing() {
    let Some(cluster) = TestCluster::start() else { return };
    let prefix = format!("test:cluster:{}:", free_port());
    let seed = cluster.seed();
    let token_file = admin_token_file("cluster-test-token");
    let node_args = |extra: &'static [&'static str]| {
        let mut args = vec![
            "--strategy".to_owned(),
            "session".into(),
            "--store".into(),
            "redis-cluster".into(),
            "--redis-url".into(),
            seed.clone(),
            "--key-prefix".into(),
            prefix.clone(),
            "--seed".into(),
            "42".into(),
            "--users".into(),
            "20".into(),
            "--password-hash".into(),
            "sha256".into(),
            "--admin-token-file".into(),
            token_file.path_str().into(),
            "--configured".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let start = |args: Vec<String>| Node::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut node1 = start(node_args(&["--cleanup-on-exit"]));
    let node2 = start(node_args(&[]));
    let c = client();
    let users = users_csv(42, 20);
    let mut sids = Vec::new();
    for round in 0..2 {
        for (i, (user, password)) in users.iter().enumerate() {
            let node = if (i + round) % 2 == 0 { &node1 } else { &node2 };
            let r = login(&c, node, user, password).await;
            assert_eq!(r.status().as_u16(), 200, "login {user} on a cluster-backed node");
            sids.push(sid_cookie(&r).value);
        }
    }
    // Every session works on the other node too: they share the cluster.
    for (i, sid) in sids.iter().enumerate() {
        let node = if i % 2 == 0 { &node2 } else { &node1 };
        let status = c
            .get(node.at("/api/profile"))
            .header("cookie", format!("sid={sid}"))
            .send()
            .await
            .expect("GET /api/profile")
            .status();
        assert_eq!(status.as_u16(), 200, "session {i} read back through the other node");
    }
    let per_primary = cluster.keys(&format!("{prefix}*"));
    let counts: Vec<usize> = per_primary.iter().map(Vec::len).collect();
    assert!(counts.iter().all(|&n| n > 0), "every primary holds some of the 40 sessions: {counts:?}");
    let index_sets = per_primary.iter().flatten().filter(|k| k.starts_with(&format!("{prefix}user:"))).count();
    assert_eq!(index_sets, 20, "one index set per user (the nodes have an admin API)");
    assert_eq!(counts.iter().sum::<usize>(), 40 + 20, "40 sessions and 20 index sets: {counts:?}");

    // Logging a user out everywhere deletes sessions on whatever primaries hold them.
    let revoked = c
        .post(node2.at("/admin/revoke_user"))
        .bearer_auth("cluster-test-token")
        .json(&serde_json::json!({ "user": users[0].0 }))
        .send()
        .await
        .expect("POST /admin/revoke_user");
    assert!(revoked.status().is_success(), "revoke_user: {}", revoked.status());
    let left: usize = cluster.keys(&format!("{prefix}*")).iter().map(Vec::len).sum();
    assert_eq!(left, 60 - 3, "the user's two sessions and index set are gone");

    // The node with --cleanup-on-exit deletes every key under the prefix, on every primary.
    assert!(node1.terminate().is_some_and(|s| s.success()), "node 1 exits cleanly: {}", node1.stderr_text());
    let left = cluster.keys(&format!("{prefix}*"));
    assert!(left.iter().all(Vec::is_empty), "nothing of the prefix is left on any primary: {left:?}");
    drop(node2);
}

#[test]
fn a_run_on_a_cluster_ticks_each_primary_and_leaves_nothing() {
    let Some(cluster) = TestCluster::start() else { return };
    let _turn = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scenario = format!(
        "name = \"cluster\"\nduration = \"4s\"\n[users]\ncount = 2000\npassword_hash = \"sha256\"\n\
         [load]\nstages = [ {{ at = \"0s\", target = 30 }} ]\nthink_time = \"10ms\"\nrequests_per_login = 5\n\
         logout_ratio = 0.0\n[session]\nnodes = 2\nstore = \"redis-cluster\"\nredis_urls = [\"{}\"]\n",
        cluster.seed()
    );
    let run = run_scenario(&scenario);
    let stores: Vec<_> = run
        .recording
        .ticks()
        .iter()
        .filter_map(|t| t.strategies.get(&Session)?.store.clone())
        .filter(|s| !s.primaries.is_empty())
        .collect();
    let last = stores.last().expect("ticks carry the cluster's primaries");
    assert_eq!(last.kind, "redis-cluster");
    assert_eq!(last.primaries.len(), 3, "one figure per primary: {:?}", last.primaries);
    assert!(last.primaries.iter().all(|p| p.sessions > 0 && p.used_memory.is_some_and(|m| m > 0)), "{last:?}");
    assert_eq!(last.keys, Some(last.primaries.iter().map(|p| p.keys).sum()), "the store's keys are the sum");
    assert!(stores.iter().any(|s| s.primaries.iter().any(|p| p.ops_per_sec.is_some_and(|o| o > 0))), "ops");
    let left = cluster.keys("authlab:*");
    assert!(left.iter().all(Vec::is_empty), "the run left nothing (keys, liveness mark) on any primary: {left:?}");
}

/// `store-scale-out` with its private gated cluster: three primaries carry more than one does.
#[test]
fn three_gated_primaries_carry_more_sessions_than_one() {
    if find_on_path("redis-server").is_none() {
        // TestCluster::start skips (or fails) loudly for the missing tool.
        assert!(TestCluster::start().is_none());
        return;
    }
    let _turn = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let text = authlab::scenario::builtin::source("store-scale-out").expect("store-scale-out is built in");
    assert!(text.contains("duration = \"40s\"") && text.contains("primaries = 3"), "the edits below apply");
    let short = text.replacen("duration = \"40s\"", "duration = \"10s\"", 1);
    let throughput = |text: &str| {
        let run = run_scenario(text);
        let end = run.recording.ticks().last().map_or(0.0, |t| t.t);
        let stats = run.recording.aggregate(Session, 3.0, end).expect("the session side ran");
        let primaries = run
            .recording
            .ticks()
            .iter()
            .filter_map(|t| t.strategies.get(&Session)?.store.as_ref().map(|s| s.primaries.len()))
            .max()
            .unwrap_or(0);
        (stats.throughput_rps, primaries)
    };
    let (three, seen_three) = throughput(&short);
    let (one, seen_one) = throughput(&short.replacen("primaries = 3", "primaries = 1", 1));
    assert_eq!((seen_three, seen_one), (3, 1), "the ticks show each run's primaries");
    assert!(three > 1.6 * one, "three gated primaries carry more: {three:.0} requests/s against {one:.0} with one");
}
