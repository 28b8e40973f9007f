//! The simulated machine (`--workers`, `--service-time`, `--store-rtt`): off by default, and when
//! on, auth requests wait in line for a worker. Only lower bounds on time: machines are noisy.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

fn creds() -> (String, String) {
    users_csv(42, 1).remove(0)
}

fn node(strategy: &str, extra: &[&str]) -> Node {
    let mut args = vec!["--strategy", strategy, "--seed", "42", "--users", "1", "--password-hash", "sha256"];
    args.extend_from_slice(extra);
    Node::start(&args)
}

async fn gauge(c: &reqwest::Client, node: &Node, name: &str) -> f64 {
    let text = metrics_text(c, node).await;
    metric(&text, name, &[]).unwrap_or_else(|| panic!("no {name} in /metrics"))
}

#[tokio::test]
async fn one_worker_serves_auth_requests_one_at_a_time() {
    let c = client();
    let node = node("token", &["--workers", "1", "--service-time", "200ms"]);
    let (user, password) = creds();
    let r = login(&c, &node, &user, &password).await;
    assert_eq!(r.status().as_u16(), 200);
    let token = r.json::<serde_json::Value>().await.expect("login JSON")["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    assert_eq!(gauge(&c, &node, "authlab_simulated").await, 1.0);
    assert_eq!(gauge(&c, &node, "authlab_sim_workers").await, 1.0);

    let started = Instant::now();
    let requests: Vec<_> = (0..4)
        .map(|_| {
            let request = c.get(node.at("/api/profile")).bearer_auth(&token).send();
            tokio::spawn(request)
        })
        .collect();
    // Meanwhile /metrics (not an auth route) answers at once and shows the line.
    let saw_a_line = eventually(Duration::from_secs(5), || async {
        gauge(&c, &node, "authlab_sim_queue").await >= 1.0 && gauge(&c, &node, "authlab_sim_workers_busy").await == 1.0
    })
    .await;
    for request in requests {
        let response = request.await.expect("the request task").expect("GET /api/profile");
        assert_eq!(response.status().as_u16(), 200);
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(790), "4 requests × 200 ms on one worker took only {elapsed:?}");
    assert!(saw_a_line, "requests waiting for the worker show in authlab_sim_queue");
    assert_eq!(gauge(&c, &node, "authlab_sim_queue").await, 0.0);
    assert_eq!(gauge(&c, &node, "authlab_sim_workers_busy").await, 0.0);
}

#[tokio::test]
async fn store_rtt_delays_every_session_store_operation() {
    let c = client();
    let node = node("session", &["--store-rtt", "150ms"]);
    assert_eq!(gauge(&c, &node, "authlab_simulated").await, 1.0);
    assert_eq!(gauge(&c, &node, "authlab_sim_workers").await, 0.0);
    let (user, password) = creds();
    let r = login(&c, &node, &user, &password).await;
    assert_eq!(r.status().as_u16(), 200);
    let sid = sid_cookie(&r).value;
    let started = Instant::now();
    let r = c.get(node.at("/api/profile")).header("cookie", format!("sid={sid}")).send().await.expect("profile");
    assert_eq!(r.status().as_u16(), 200);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(150), "a profile request loads its session once: {elapsed:?}");
}

#[tokio::test]
async fn without_simulation_flags_nothing_is_simulated() {
    let c = client();
    for strategy in ["session", "token"] {
        let node = node(strategy, &[]);
        let text = metrics_text(&c, &node).await;
        for (name, value) in [
            ("authlab_simulated", 0.0),
            ("authlab_sim_workers", 0.0),
            ("authlab_sim_workers_busy", 0.0),
            ("authlab_sim_queue", 0.0),
        ] {
            assert_eq!(metric(&text, name, &[]), Some(value), "{strategy}: {name}");
        }
    }
}

#[test]
fn workers_and_service_time_go_together() {
    for args in
        [&["--workers", "2"][..], &["--service-time", "10ms"][..], &["--workers", "0", "--service-time", "1ms"][..]]
    {
        let output = Command::new(BIN)
            .args(["node", "--strategy", "token"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running authlab node");
        assert!(!output.status.success(), "authlab node {args:?} must fail");
        assert!(output.stdout.is_empty(), "no base URL is printed for {args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--workers") || stderr.contains("--service-time"), "{args:?}: {stderr}");
    }
}
