//! The lab across real hosts on one machine: network namespaces joined by a bridge, a real network
//! delay on the store's link, and what the lab measures across it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::attach::{OutsideSupervisor, assert_session_1_crashed_and_came_back, node_args};
use crate::support::netns::Net;
use crate::support::{BIN, admin_token_file, run_scenario_by};

/// The store's port on its host.
const REDIS_PORT: &str = "6379";

/// Starts a redis-server on host `store` (persistence off, reachable from the other hosts), and
/// waits until it answers.
fn start_store(net: &mut Net) -> String {
    let ip = net.host("store").ip.clone();
    let mut server = net.command("store", "redis-server");
    server
        .args(["--bind", &ip, "--port", REDIS_PORT, "--protected-mode", "no", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(std::env::temp_dir())
        .stdout(std::process::Stdio::null());
    net.spawn(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ping = net.command("driver", "redis-cli").args(["-h", &ip, "-p", REDIS_PORT, "ping"]).output();
        if ping.is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "PONG") {
            return format!("redis://{ip}:{REDIS_PORT}/");
        }
        assert!(Instant::now() < deadline, "the store's redis-server did not answer within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether redis-server and redis-cli are here; says so loudly when not (CI installs them and
/// requires them).
fn redis_here() -> bool {
    let here = ["redis-server", "redis-cli"].iter().all(|p| Command::new(p).arg("--version").output().is_ok());
    if !here {
        assert!(std::env::var("AUTHLAB_REQUIRE_REDIS").as_deref() != Ok("1"), "redis-server or redis-cli missing");
        eprintln!("SKIPPED: redis-server or redis-cli is not installed; the network-host tests did NOT run.");
    }
    here
}

/// One session node on the driver's host, its store across the link, a light load: each user waits
/// for its answer and thinks, so store calls never queue behind each other.
fn store_across_the_link(redis_url: &str) -> String {
    format!(
        r#"name = "store across a real link"
duration = "5s"
[users]
count = 2000
password_hash = "sha256"
[load]
stages = [ {{ at = "0s", target = 4 }} ]
think_time = "30ms..50ms"
requests_per_login = 0
[session]
nodes = 1
store = "redis"
redis_url = "{redis_url}"
"#
    )
}

#[test]
fn a_store_round_trip_across_a_delayed_link_takes_the_links_delay() {
    if !redis_here() {
        return;
    }
    let Some(mut net) = Net::build(&["store", "driver"]) else { return };
    let redis_url = start_store(&mut net);
    let delay = Duration::from_millis(40);
    let kind = net.delay_egress("store", delay);

    let ip = net.host("store").ip.clone();
    let probe = net.command("driver", "redis-cli").args(["-h", &ip, "-p", REDIS_PORT, "--latency", "--raw"]).output();
    eprintln!(
        "redis-cli --latency (min max avg samples, ms): {}",
        String::from_utf8_lossy(&probe.expect("redis-cli").stdout).trim()
    );
    // The lab and its nodes run on the driver's host; every store call crosses the link. A busy
    // machine only ever adds to a round trip (a wait for a core), never takes from it: so the test
    // takes the best of up to three runs.
    let want_us = delay.as_secs_f64() * 1e6;
    let mut session = serde_json::Value::Null;
    let mut p50_us = f64::INFINITY;
    for attempt in 1..=3 {
        let run = run_scenario_by(net.command("driver", BIN), &store_across_the_link(&redis_url));
        assert!(run.output.status.success(), "the run failed: {}", String::from_utf8_lossy(&run.output.stderr));
        assert!(run.count("session", "ok") > 50, "some load ran: {}", run.strategy("session"));
        session = run.strategy("session").clone();
        p50_us = session["store"]["round_trip_p50_us"].as_f64().expect("the store's round-trip p50 is reported");
        let p99_us = session["store"]["round_trip_p99_us"].as_f64().expect("and its p99");
        eprintln!(
            "run {attempt}: store round trip across a {kind:?} delay of {want_us} µs: p50 {p50_us:.0} µs, p99 {p99_us:.0} µs"
        );
        if (p50_us - want_us).abs() <= 0.2 * want_us {
            break;
        }
    }
    assert!(
        (p50_us - want_us).abs() <= 0.2 * want_us,
        "the measured store round trip ({p50_us:.0} µs) is the link's delay ({want_us} µs) within 20 %"
    );
    // Every request of a session needs one store round trip: none can be faster than the link.
    let request_p50_us = session["latency_us"]["p50"].as_f64().expect("latency p50");
    assert!(request_p50_us >= 0.8 * want_us, "a request ({request_p50_us} µs) waits for its store round trip");
}

/// Attach mode across hosts: two session nodes on hosts of their own, which an outside supervisor
/// (this test) started and restarts, a store on a third, the lab on a fourth. The lab configures
/// the nodes over the network, crashes one through its admin API, and takes it back once it is
/// restarted.
#[test]
fn the_lab_attaches_to_nodes_on_other_hosts_and_survives_a_crash_of_one() {
    if !redis_here() {
        return;
    }
    let Some(mut net) = Net::build(&["store", "node1", "node2", "driver"]) else { return };
    let redis_url = start_store(&mut net);
    let token_file = admin_token_file("admin-token-of-the-network-hosts-test");
    let on_host = |host: &str| {
        let mut argv: Vec<String> = ["ip", "netns", "exec", &net.host(host).netns].map(String::from).to_vec();
        argv.extend(node_args("session", "0.0.0.0:8080", &token_file));
        argv
    };
    let supervisor = OutsideSupervisor::start(vec![on_host("node1"), on_host("node2")]);
    let urls = ["node1", "node2"].map(|host| format!("http://{}:8080", net.host(host).ip));

    let run = run_scenario_by(
        net.command("driver", BIN),
        &format!(
            r#"name = "attach across hosts"
duration = "6s"
[users]
count = 200
password_hash = "sha256"
[load]
stages = [ {{ at = "0s", target = 6 }} ]
think_time = "5ms..10ms"
requests_per_login = 10
[cluster]
admin_token_file = "{}"
health_check = "200ms"
[session]
endpoints = ["{}", "{}"]
store = "redis"
redis_url = "{redis_url}"
[[events]]
at = "2s"
action = "kill_node"
target = "session/1"
"#,
            token_file.path_str(),
            urls[0],
            urls[1]
        ),
    );
    assert!(run.output.status.success(), "the run failed: {}", String::from_utf8_lossy(&run.output.stderr));

    // The crash went over the network to node1's admin API; its supervisor restarted it, and the lab
    // took it back once it had configured it again.
    assert_session_1_crashed_and_came_back(&run, &supervisor, 2);
    // Both nodes kept their sessions in the store on its own host; the lab measured its round trips.
    let store = &run.strategy("session")["store"];
    assert!(store["round_trip_p50_us"].as_f64().is_some_and(|p50| p50 > 0.0), "{store}");
}
