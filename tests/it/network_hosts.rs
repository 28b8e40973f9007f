//! The lab across real hosts on one machine: network namespaces joined by a bridge, a real network
//! delay on the store's link, and what the lab measures across it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::netns::Net;
use crate::support::{BIN, run_scenario_by};

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

#[test]
fn a_store_round_trip_across_a_delayed_link_takes_the_links_delay() {
    if !redis_here() {
        return;
    }
    let Some(mut net) = Net::build(&["store", "driver"]) else { return };
    let redis_url = start_store(&mut net);
    let delay = Duration::from_millis(20);
    let kind = net.delay_egress("store", delay);

    let ip = net.host("store").ip.clone();
    let probe = net.command("driver", "redis-cli").args(["-h", &ip, "-p", REDIS_PORT, "--latency", "--raw"]).output();
    eprintln!(
        "redis-cli --latency (min max avg samples, ms): {}",
        String::from_utf8_lossy(&probe.expect("redis-cli").stdout).trim()
    );
    // The lab and its nodes run on the driver's host; every store call crosses the link.
    let run = run_scenario_by(
        net.command("driver", BIN),
        &format!(
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
        ),
    );
    assert!(run.output.status.success(), "the run failed: {}", String::from_utf8_lossy(&run.output.stderr));
    let session = run.strategy("session");
    assert!(run.count("session", "ok") > 50, "some load ran: {session}");
    let p50_us = session["store"]["round_trip_p50_us"].as_f64().expect("the store's round-trip p50 is reported");
    let p99_us = session["store"]["round_trip_p99_us"].as_f64().expect("and its p99");
    let want_us = delay.as_secs_f64() * 1e6;
    eprintln!("store round trip across a {kind:?} delay of {want_us} µs: p50 {p50_us:.0} µs, p99 {p99_us:.0} µs");
    assert!(
        (p50_us - want_us).abs() <= 0.2 * want_us,
        "the measured store round trip ({p50_us:.0} µs) is the link's delay ({want_us} µs) within 20 %"
    );
    // Every request of a session needs one store round trip: none can be faster than the link.
    let request_p50_us = session["latency_us"]["p50"].as_f64().expect("latency p50");
    assert!(request_p50_us >= 0.8 * want_us, "a request ({request_p50_us} µs) waits for its store round trip");
}
