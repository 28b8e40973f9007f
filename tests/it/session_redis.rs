//! Session nodes on a shared Redis store (a private redis-server started by the test).
use crate::support::*;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const PREFIX: &str = "test:abc:";

fn creds() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| users_csv(42, 20))
}

fn redis_node(redis: &PrivateRedis, extra: &[&str]) -> Node {
    let url = redis.url();
    let mut args = vec![
        "--strategy",
        "session",
        "--store",
        &url,
        "--key-prefix",
        PREFIX,
        "--seed",
        "42",
        "--users",
        "20",
        "--password-hash",
        "sha256",
    ];
    args.extend_from_slice(extra);
    Node::start(&args)
}

async fn login_sid(c: &reqwest::Client, node: &Node, i: usize) -> String {
    let (u, p) = &creds()[i];
    let r = login(c, node, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "login {u} on a Redis-backed node");
    sid_cookie(&r).value
}

async fn profile_status(c: &reqwest::Client, node: &Node, sid: &str) -> u16 {
    c.get(node.at("/api/profile"))
        .header("cookie", format!("sid={sid}"))
        .send()
        .await
        .expect("GET /api/profile")
        .status()
        .as_u16()
}

fn assert_all_prefixed(redis: &PrivateRedis, except: &[&str]) {
    for k in redis.all_keys() {
        if except.contains(&k.as_str()) {
            continue;
        }
        assert!(k.starts_with(PREFIX), "key {k:?} in Redis does not start with {PREFIX:?}");
    }
}

#[tokio::test]
async fn redis_store_shared_by_two_nodes_with_prefix_and_cleanup() {
    let Some(redis) = PrivateRedis::start() else { return };
    let c = client();
    let mut node1 = redis_node(&redis, &["--cleanup-on-exit"]);
    let mut node2 = redis_node(&redis, &[]);

    // Login and profile on node 1.
    let sid = login_sid(&c, &node1, 0).await;
    assert_eq!(profile_status(&c, &node1, &sid).await, 200, "profile on the node that logged in");
    let keys = redis.keys(&format!("{PREFIX}*"));
    assert!(!keys.is_empty(), "no session key under {PREFIX:?} after login; keys: {:?}", redis.all_keys());
    assert_all_prefixed(&redis, &[]);

    // The session is in the shared store: node 2 accepts node 1's cookie.
    assert_eq!(profile_status(&c, &node2, &sid).await, 200, "node 2 accepts node 1's session");
    // A forged id is refused by both.
    assert_eq!(profile_status(&c, &node2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await, 401);

    // The memory gauge of a Redis-backed node stays 0.
    let m = metrics_text(&c, &node1).await;
    assert_eq!(metric(&m, "authlab_sessions", &[]), Some(0.0), "authlab_sessions on the Redis store:\n{m}");

    // Logout on node 2 deletes the key; the cookie then fails on both nodes.
    let sid2 = login_sid(&c, &node2, 1).await;
    let before = redis.keys(&format!("{PREFIX}*")).len();
    let r = c.post(node2.at("/logout")).header("cookie", format!("sid={sid}")).send().await.expect("POST /logout");
    assert_eq!(r.status().as_u16(), 204, "logout");
    let after = redis.keys(&format!("{PREFIX}*")).len();
    assert_eq!(after + 1, before, "logout must delete exactly the session's key");
    assert_eq!(profile_status(&c, &node1, &sid).await, 401, "node 1 after logout on node 2");
    assert_eq!(profile_status(&c, &node2, &sid).await, 401, "node 2 after logout on node 2");
    assert_eq!(profile_status(&c, &node1, &sid2).await, 200, "the other session is untouched");

    // Unrelated keys, including one that only looks like the prefix.
    redis.set("other:key", "keep me");
    redis.set("test:abc", "keep me too"); // no trailing colon: not under the prefix
    redis.set("test:abcd:x", "and me");
    assert_all_prefixed(&redis, &["other:key", "test:abc", "test:abcd:x"]);

    // Node 2 has no --cleanup-on-exit: stopping it leaves the sessions in place.
    let n_sessions = redis.keys(&format!("{PREFIX}*")).len();
    assert!(n_sessions >= 1);
    let st = node2.terminate().expect("node 2 did not stop within 5 s of SIGTERM");
    assert!(st.success(), "node 2 exit status {st:?}: {}", node2.stderr_text());
    assert_eq!(redis.keys(&format!("{PREFIX}*")).len(), n_sessions, "a node without --cleanup-on-exit deleted keys");

    // Node 1 has it: every key with the prefix goes, and only those.
    let st = node1.terminate().expect("node 1 did not stop within 5 s of SIGTERM");
    assert!(st.success(), "node 1 exit status {st:?}: {}", node1.stderr_text());
    let left = redis.keys(&format!("{PREFIX}*"));
    assert!(left.is_empty(), "keys left under {PREFIX:?} after --cleanup-on-exit: {left:?}");
    assert!(redis.exists("other:key"), "cleanup deleted an unrelated key");
    assert!(redis.exists("test:abc"), "cleanup deleted `test:abc` (not under the prefix `test:abc:`)");
    assert!(redis.exists("test:abcd:x"), "cleanup deleted `test:abcd:x` (not under the prefix)");
}

#[tokio::test]
async fn redis_sessions_carry_a_ttl() {
    let Some(redis) = PrivateRedis::start() else { return };
    let c = client();
    let node = redis_node(&redis, &["--ttl", "5m"]);
    let _sid = login_sid(&c, &node, 2).await;
    let keys = redis.keys(&format!("{PREFIX}*"));
    assert!(!keys.is_empty(), "no key after login");
    for k in keys {
        match redis.cmd(&["PTTL", &k]) {
            Resp::Int(ms) => {
                assert!(ms > 0 && ms <= 300_000, "session key {k:?} must expire within the 5m TTL, PTTL = {ms}")
            }
            other => panic!("PTTL {k}: {other:?}"),
        }
    }
}

#[test]
fn unreachable_redis_fails_fast_with_a_message() {
    let port = free_port(); // nothing listens there
    let url = format!("redis://127.0.0.1:{port}/");
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(["node", "--strategy", "session", "--store", &url, "--users", "5", "--password-hash", "sha256"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning a node with an unreachable Redis");
    let status = wait_timeout(&mut child, Duration::from_secs(15));
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("a node with an unreachable Redis was still running after 15 s");
    };
    let out = child.wait_with_output().expect("collecting output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "exit status must be non-zero, got {status:?}");
    assert!(!stderr.trim().is_empty(), "no message on stderr (exit {status:?})");
    eprintln!("(exited in {:?} with {status:?}; stderr: {})", start.elapsed(), stderr.trim());
}
