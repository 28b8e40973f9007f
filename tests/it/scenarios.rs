//! The scenario library: each built-in scenario, shortened to a few seconds, shows the effect its
//! narrative tells a trainer to point at. A scenario whose effect is not in its numbers fails here.

use crate::support::postgres::PrivatePostgres;
use crate::support::{Finished, PrivateRedis};
use authlab::measure::StoreTick;
use authlab::recording::Recording;
use authlab::scenario::StrategyName::{self, Session, Token};
use authlab::scenario::{Action, builtin};

/// One scenario run at a time: each drives hundreds of requests per second, and their timing is
/// what they assert, so they must not share the two cores with each other.
static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_scenario(text: &str) -> Finished {
    let _turn = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    crate::support::run_scenario(text)
}

/// A built-in scenario's text with `edits` applied; each edit must apply, so a change to the
/// scenario that the shortened version no longer matches fails loudly instead of testing nothing.
fn shortened(name: &str, edits: &[(&str, &str)]) -> String {
    let mut text = builtin::source(name).unwrap_or_else(|| panic!("no built-in scenario {name}")).to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "{name}: the shortened version expects {from:?} in the scenario");
        text = text.replacen(from, to, 1);
    }
    text
}

/// The scenario pointed at a private Redis, or `None` (after a loud skip) where there is none.
fn with_private_redis(text: &str) -> Option<(String, PrivateRedis)> {
    let redis = PrivateRedis::start()?;
    let url = format!("redis://127.0.0.1:{}/", redis.port());
    Some((text.replace("redis://127.0.0.1:6379/", &url), redis))
}

/// The scenario pointed at a private PostgreSQL, or `None` (after a loud skip) where there is none.
/// The scenario must name the default server, which is replaced: a run must never reach the
/// shared server on 5432.
fn with_private_postgres(text: &str) -> Option<(String, PrivatePostgres)> {
    const DEFAULT: &str = "postgres_url = \"postgres://127.0.0.1:5432/postgres\"";
    assert!(text.contains(DEFAULT), "the scenario names the default PostgreSQL ({DEFAULT}), to be replaced");
    let postgres = PrivatePostgres::start()?;
    Some((text.replace(DEFAULT, &format!("postgres_url = \"{}\"", postgres.url())), postgres))
}

fn range(recording: &Recording, strategy: StrategyName, from: f64, to: f64) -> authlab::measure::RangeStats {
    recording.aggregate(strategy, from, to).unwrap_or_else(|| panic!("{strategy:?} ran between {from} and {to} s"))
}

/// A strategy's heap (summed over its nodes) at each tick, as `(seconds, bytes)`, for failure messages.
/// A tick whose scrape of some node failed (on a busy machine, a scrape can time out) reports no
/// heap for that node, and is left out rather than counted as a drop to zero.
fn heap_by_tick(recording: &Recording, strategy: StrategyName) -> Vec<(f64, u64)> {
    let ticks = recording.ticks();
    let heap = |s: &authlab::measure::StrategyTick| {
        s.nodes.iter().all(|n| n.up).then(|| s.nodes.iter().map(|n| n.heap_bytes).sum())
    };
    ticks.iter().filter_map(|t| Some(((t.t * 100.0).round() / 100.0, heap(t.strategies.get(&strategy)?)?))).collect()
}

/// Growth of a strategy's resting heap (summed over its nodes) between the seconds `from` and `to`,
/// in bytes. A tick's heap includes the buffers of the requests in flight at that instant (tens of
/// KB each, 60 users' worth at most), so the resting heap of a one-second window is its lowest tick:
/// the growth is the minimum of the second before `to` less the minimum of the second from `from`.
fn heap_growth(recording: &Recording, strategy: StrategyName, from: f64, to: f64) -> u64 {
    let ticks = heap_by_tick(recording, strategy);
    let resting = |from: f64, to: f64| {
        ticks.iter().filter(|&&(t, _)| t >= from && t <= to).map(|&(_, heap)| heap).min().unwrap_or(0)
    };
    resting(to - 1.0, to).saturating_sub(resting(from, from + 1.0))
}

/// The session store at each tick, as `(seconds, sessions held, store)`.
fn store_by_tick(recording: &Recording) -> Vec<(f64, u64, &StoreTick)> {
    let ticks = recording.ticks().iter();
    ticks
        .filter_map(|t| t.strategies.get(&Session).and_then(|s| Some((t.t, s.sessions_held, s.store.as_ref()?))))
        .collect()
}

/// The session side's tick of lowest heap (summed over its nodes) between the seconds `from` and
/// `to`, as `(seconds, heap bytes, sessions held)`: its resting heap, as in [`heap_growth`], with
/// the sessions held at that same tick.
fn resting(recording: &Recording, from: f64, to: f64) -> (f64, u64, u64) {
    let ticks = recording.ticks().iter().filter(|t| t.t >= from && t.t <= to);
    let points = ticks.filter_map(|t| {
        let s = t.strategies.get(&Session)?;
        s.nodes.iter().all(|n| n.up).then(|| (t.t, s.nodes.iter().map(|n| n.heap_bytes).sum(), s.sessions_held))
    });
    points.min_by_key(|&(_, heap, _)| heap).unwrap_or_else(|| panic!("session ticks between {from} and {to} s"))
}

/// About one store operation per request the session nodes served, and the trip (`what`) showing
/// in the session side's latency against the token side's.
fn assert_one_store_trip_per_request(run: &Finished, whole: &authlab::measure::RangeStats, what: &str) {
    assert!(
        whole.store_ops as f64 >= 0.9 * whole.server_requests as f64,
        "about one store operation per request: {} ops for {} requests",
        whole.store_ops,
        whole.server_requests
    );
    let token = range(&run.recording, Token, 0.0, f64::MAX);
    let (session_p50, token_p50) = (whole.latency_us.quantile_us(0.5), token.latency_us.quantile_us(0.5));
    assert!(session_p50 > token_p50, "{what} shows in latency: {session_p50} µs vs {token_p50} µs");
}

/// Node CPU time per request the nodes served, over the whole run, in µs.
fn cpu_us_per_request(recording: &Recording, strategy: StrategyName) -> f64 {
    let ticks = recording.ticks();
    let cpu = |tick: &authlab::measure::Tick| -> f64 {
        tick.strategies.get(&strategy).map_or(0.0, |s| s.nodes.iter().map(|n| n.cpu_seconds).sum())
    };
    let (Some(first), Some(last)) = (ticks.first(), ticks.last()) else { panic!("no ticks") };
    let requests = range(recording, strategy, 0.0, f64::MAX).server_requests;
    (cpu(last) - cpu(first)) * 1e6 / requests.max(1) as f64
}

#[test]
fn memory_growth_session_heap_climbs_with_sessions_held_while_token_heap_stays_flat() {
    // Shortened, at a steady 60 users with no think time. Each connection the driver has open costs
    // a node about 32 KB of buffers, on both strategies alike; with think time, a busy machine makes
    // the driver open more of them (up to one per user) as requests queue, up to 1 MB of heap that
    // has nothing to do with sessions. Without think time every user always has a request in flight,
    // so all 60 connections are open by 1 s, when the comparison starts.
    let run = run_scenario(&shortened(
        "memory-growth",
        &[
            ("duration = \"60s\"", "duration = \"6s\""),
            ("{ at = \"20s\", target = 120 }", "{ at = \"1s\", target = 60 }"),
            ("think_time = \"20ms..60ms\"", "think_time = \"0ms\""),
        ],
    ));
    let whole = range(&run.recording, Session, 1.0, f64::MAX);
    let held = whole.sessions_held_peak;
    assert!(held > 200, "sessions pile up: {held}");
    assert!(held > 2 * whole.users_logged_in_peak, "sessions held ({held}) far above users logged in");
    let session = heap_growth(&run.recording, Session, 1.0, 6.0);
    let token = heap_growth(&run.recording, Token, 1.0, 6.0);
    // Heap and sessions held read at the same resting ticks: the growth is that of the sessions
    // added between them (a busy machine adds fewer after 1 s; the peak counts those before too).
    let ((_, heap_from, held_from), (_, heap_to, held_to)) =
        (resting(&run.recording, 1.0, 2.0), resting(&run.recording, 5.0, 6.0));
    let added = held_to.saturating_sub(held_from);
    assert!(added > 100, "sessions pile up after 1 s: {held_from} → {held_to}");
    let grown = heap_to.saturating_sub(heap_from);
    assert!(grown as f64 > 0.5 * 2000.0 * added as f64, "session heap grew {grown} B for {added} more sessions");
    // The SPEC's bound: a token node's heap growth is at most 5 % of the session nodes'.
    assert!(
        token * 20 <= session,
        "token heap stays flat: {token} B against the sessions' {session} B; token heap by tick: {:?}",
        heap_by_tick(&run.recording, Token)
    );
}

#[test]
fn shared_store_node_heap_is_flat_while_redis_grows_and_every_request_pays_a_store_trip() {
    // Shortened like memory-growth: a steady 60 users without think time (so the connections, and
    // their buffers on the nodes, are all open by 1 s), node heap compared from 1 s on.
    let text = shortened(
        "shared-store",
        &[
            ("duration = \"60s\"", "duration = \"6s\""),
            ("{ at = \"20s\", target = 120 }", "{ at = \"1s\", target = 60 }"),
            ("think_time = \"20ms..60ms\"", "think_time = \"0ms\""),
        ],
    );
    let Some((text, _redis)) = with_private_redis(&text) else { return };
    let run = run_scenario(&text);
    let whole = range(&run.recording, Session, 0.0, f64::MAX);
    let held = whole.sessions_held_peak;
    assert!(held > 200, "sessions pile up in Redis: {held}");
    let first_used = run.recording.ticks().iter().find_map(|t| t.strategies.get(&Session)?.store.as_ref()?.used_memory);
    let grown = whole.store_used_memory_peak.unwrap_or(0).saturating_sub(first_used.unwrap_or(u64::MAX));
    assert!(grown as f64 > 0.5 * 2000.0 * held as f64, "Redis used_memory grew {grown} B for {held} sessions");
    let nodes = heap_growth(&run.recording, Session, 1.0, 6.0);
    assert!(nodes * 3 < grown, "the session nodes stay flat: {nodes} B against Redis's {grown} B");
    assert_one_store_trip_per_request(&run, &whole, "the store round trip");
}

#[test]
fn database_store_node_heap_is_flat_while_postgres_grows_in_rows_bytes_dead_rows_and_cpu() {
    // Shortened: the scenario's first 20 users, steady, without think time, so that every
    // connection (and its buffers on the nodes) is open by 1 s, when the node heap is compared.
    // (Ramped to 60 users by 1 s, as shared-store's test does, the nodes of both sides kept gaining
    // connection buffers after 1 s: up to 0.9 MB in 5 s, as much as half the table's growth.)
    let text = shortened(
        "database-store",
        &[
            ("duration = \"60s\"", "duration = \"6s\""),
            (
                "stages = [ { at = \"0s\", target = 20 }, { at = \"20s\", target = 120 } ]",
                "stages = [ { at = \"0s\", target = 20 } ]",
            ),
            ("think_time = \"20ms..60ms\"", "think_time = \"0ms\""),
        ],
    );
    let Some((text, _postgres)) = with_private_postgres(&text) else { return };
    let run = run_scenario(&text);
    let whole = range(&run.recording, Session, 0.0, f64::MAX);
    assert_eq!(whole.store_kind.as_deref(), Some("postgres"));
    assert_eq!(whole.requests.failed, 0, "nobody is logged out: every node reads the same table");
    let stores = store_by_tick(&run.recording);
    // "Rows in the session table": one row per session held, at every tick.
    for &(t, held, store) in &stores {
        assert_eq!(store.keys, Some(held), "the session table's rows are the sessions held at {t:.2} s");
    }
    let held = whole.sessions_held_peak;
    // (About 750 in 6 s; a fifth of that on a machine five times oversubscribed.)
    assert!(held > 100, "sessions pile up in the table: {held}");
    let (first, last) = (stores.first().expect("store ticks").2, stores.last().expect("store ticks").2);
    assert!(last.keys.unwrap_or(0) > 2 * first.keys.unwrap_or(0), "rows grow: {first:?} → {last:?}");
    // The memory chart's red line: the table's size with its indexes, TOAST and the user table.
    let first_bytes = first.used_memory.expect("the table size is read from the first tick");
    let grown = whole.store_used_memory_peak.unwrap_or(0).saturating_sub(first_bytes);
    assert!(grown as f64 > 0.5 * 1500.0 * held as f64, "the table grew {grown} B for {held} sessions");
    let nodes = heap_growth(&run.recording, Session, 1.0, 6.0);
    assert!(
        nodes * 3 < grown,
        "the session nodes stay flat: {nodes} B against the table's {grown} B; node heap by tick: {:?}",
        heap_by_tick(&run.recording, Session)
    );
    // Logouts delete rows, and each delete leaves a dead row version until (auto)vacuum.
    let dead = stores.iter().filter_map(|(_, _, s)| s.dead_tuples).max().unwrap_or(0);
    assert!(dead > 0, "logged-out sessions leave dead rows: {dead}");
    // The database's own figures. Its statistics arrive about once a second (zeros between), so
    // they are summed over the run; the last second's may not be flushed when the run ends.
    let sum = |field: fn(&StoreTick) -> Option<u64>| stores.iter().filter_map(|(_, _, s)| field(s)).sum::<u64>();
    let fetched = sum(|s| s.rows_fetched);
    assert!(
        fetched as f64 >= 0.5 * whole.server_requests as f64,
        "a SELECT by primary key per request: {fetched} rows fetched for {} requests",
        whole.server_requests
    );
    assert!(sum(|s| s.rows_written) > 0 && sum(|s| s.transactions) > 0, "logins and logouts write rows");
    assert_eq!(sum(|s| s.sweep_errors), 0, "the expiry sweeps ran without errors");
    // "Store CPU per request": the server's backends for the nodes (it runs on this machine).
    let cpu: f64 = stores.iter().filter_map(|(_, _, s)| s.cpu_seconds).sum();
    assert!(cpu > 0.0, "the database's CPU for the nodes is measured: {cpu} s");
    assert_one_store_trip_per_request(&run, &whole, "the database round trip");
}

#[test]
fn store_compare_sessions_weigh_on_the_node_in_memory_and_on_redis_or_postgres_otherwise() {
    // Each shortened to 6 s, and to 10 users without think time: every connection (and its buffers
    // on the node) is then open by 1 s, and few requests are in flight at the node at any tick.
    // Visits of 2 requests instead of 10, so that enough sessions pile up in 5 s even when the rest
    // of the suite slows the runs tenfold (it once left 88).
    // (With its 40 users, each in-flight request holding a copy of its session, what was in flight
    // at a tick moved the memory node's heap by 200 KB on a busy machine, a quarter of what its
    // sessions added.)
    // One after the other: run at the same time, on two cores, each got a seventh of its requests
    // through, and the node's heap moved by more than its sessions' bytes. Latency is compared
    // through each run's token side instead, the same in all three: the control.
    let short = [
        ("duration = \"30s\"", "duration = \"6s\""),
        ("{ at = \"0s\", target = 40 }", "{ at = \"0s\", target = 10 }"),
        ("think_time = \"20ms..60ms\"", "think_time = \"0ms\""),
        ("requests_per_login = 10", "requests_per_login = 2"),
    ];
    let Some((redis_text, _redis)) = with_private_redis(&shortened("store-compare-redis", &short)) else { return };
    let Some((postgres_text, _postgres)) = with_private_postgres(&shortened("store-compare-postgres", &short)) else {
        return;
    };
    let memory = run_scenario(&shortened("store-compare-memory", &short));
    let redis = run_scenario(&redis_text);
    let postgres = run_scenario(&postgres_text);
    let runs = [(&memory, "memory"), (&redis, "redis"), (&postgres, "postgres")];

    // Bytes per session, from 1 s to the end of the run: the node's resting heap (the lowest tick
    // of the first and of the last second, with the sessions held at those ticks), or the store's
    // size (against the sessions held at the same ticks).
    let end = |run: &Finished| run.recording.ticks().last().map_or(0.0, |t| t.t);
    let per_session = |bytes: f64, added: u64| {
        assert!(added > 100, "sessions pile up from 1 s on: {added}");
        bytes.max(0.0) / added as f64
    };
    let node_per_session = |run: &Finished| {
        let (first, last) = (resting(&run.recording, 1.0, 2.0), resting(&run.recording, end(run) - 1.0, end(run)));
        per_session(last.1 as f64 - first.1 as f64, last.2.saturating_sub(first.2))
    };
    let store_per_session = |run: &Finished| {
        let stores = store_by_tick(&run.recording);
        let at = |t: f64| stores.iter().take_while(|&&(at, _, _)| at <= t).last().copied().expect("a store tick");
        let (first, last) = (at(1.0), at(end(run)));
        let bytes = |tick: (f64, u64, &StoreTick)| tick.2.used_memory.expect("the store reports its size") as f64;
        per_session(bytes(last) - bytes(first), last.1.saturating_sub(first.1))
    };
    let in_memory = node_per_session(&memory);
    assert!(
        in_memory > 0.5 * 1500.0,
        "in memory, the node's heap grows by each session's payload: {in_memory:.0} B per session; by tick: {:?}",
        heap_by_tick(&memory.recording, Session)
    );
    for (run, name) in [(&redis, "Redis"), (&postgres, "PostgreSQL")] {
        let (on_node, in_store) = (node_per_session(run), store_per_session(run));
        assert!(
            on_node < in_memory / 4.0,
            "with {name}, the node stays flat: {on_node:.0} B per session against {in_memory:.0} in memory; by tick: {:?}",
            heap_by_tick(&run.recording, Session)
        );
        assert!(in_store > 0.5 * 1500.0, "{name} grows by each session's payload: {in_store:.0} B per session");
    }

    // What each store reports: its kind; its keys against the sessions held (Redis: each session's
    // key and each user's index set; PostgreSQL: the session table's rows); the database's CPU.
    for (run, kind) in runs {
        let stores = store_by_tick(&run.recording);
        assert!(!stores.is_empty() && stores.iter().all(|(_, _, s)| s.kind == kind), "{kind}: the store's kind");
        for &(t, held, store) in &stores {
            match kind {
                "memory" => assert_eq!((store.keys, store.used_memory), (None, None), "{kind} at {t:.2} s"),
                "redis" => assert!(store.keys.is_some_and(|keys| keys >= held), "{kind} at {t:.2} s: {store:?}"),
                _ => assert_eq!(store.keys, Some(held), "{kind} at {t:.2} s"),
            }
        }
        let cpu: Vec<f64> = stores.iter().filter_map(|(_, _, s)| s.cpu_seconds).collect();
        if kind == "postgres" {
            assert!(cpu.iter().sum::<f64>() > 0.0, "the database's CPU is measured: {cpu:?}");
        } else {
            assert!(cpu.is_empty(), "{kind}: no store CPU is measured: {cpu:?}");
        }
        for strategy in [Session, Token] {
            let failed = range(&run.recording, strategy, 0.0, f64::MAX).requests.failed;
            assert_eq!(failed, 0, "{kind}: no {strategy:?} request fails");
        }
    }

    // Latency: the session side's p50 against its own run's token side, which calls no store. In
    // memory they are close; PostgreSQL adds a round trip and a query to every session request.
    let relative_p50 = |run: &Finished| {
        let p50 = |strategy| range(&run.recording, strategy, 0.0, f64::MAX).latency_us.quantile_us(0.5) as f64;
        p50(Session) / p50(Token).max(1.0)
    };
    let (memory_p50, postgres_p50) = (relative_p50(&memory), relative_p50(&postgres));
    assert!(
        postgres_p50 > memory_p50,
        "the database round trip shows in session latency, relative to the token side: {postgres_p50:.2} \
         with PostgreSQL against {memory_p50:.2} in memory"
    );
}

#[test]
fn memory_limit_evictions_log_users_out_and_the_heap_stays_bounded() {
    let run = run_scenario(&shortened(
        "memory-limit",
        &[
            ("duration = \"60s\"", "duration = \"10s\""),
            ("{ at = \"40s\", target = 400 }", "{ at = \"6s\", target = 400 }"),
        ],
    ));
    let session = range(&run.recording, Session, 0.0, f64::MAX);
    // 512 KiB of sessions of 2000 B each: at most about 260 fit.
    assert!(session.sessions_held_peak <= 262, "the limit holds: {} sessions", session.sessions_held_peak);
    assert!(
        session.users_logged_in_peak > session.sessions_held_peak + 50,
        "clients believe more users are logged in ({}) than the node holds ({})",
        session.users_logged_in_peak,
        session.sessions_held_peak
    );
    assert!(
        session.forced_relogins >= 50,
        "evicted users are logged out: {} forced re-logins",
        session.forced_relogins
    );
    assert!(session.requests.unauthorized >= 50);
    let token = range(&run.recording, Token, 0.0, f64::MAX);
    assert_eq!((token.requests.unauthorized, token.forced_relogins), (0, 0), "tokens have no such ceiling");
}

#[test]
fn round_robin_breaks_per_node_sessions_until_routing_turns_sticky() {
    let run = run_scenario(&shortened(
        "round-robin-vs-sticky",
        &[("duration = \"40s\"", "duration = \"8s\""), ("at = \"20s\"", "at = \"4s\"")],
    ));
    let before = range(&run.recording, Session, 0.5, 3.9);
    let resource_requests = before.requests.total().saturating_sub(before.logins);
    assert!(
        before.requests.unauthorized * 2 > resource_requests,
        "round robin: most session requests are refused ({} 401s of {resource_requests})",
        before.requests.unauthorized
    );
    let after = range(&run.recording, Session, 4.6, 8.0);
    assert!(after.requests.ok > 100, "sticky: requests get through ({})", after.requests.ok);
    assert_eq!(after.requests.unauthorized, 0, "sticky: no session is lost");
    assert_eq!(range(&run.recording, Token, 0.0, f64::MAX).requests.failed, 0, "tokens work on any node");
    let event = &run.recording.events()[0];
    assert!(event.ok && event.detail.contains("sticky"), "{event:?}");
}

#[test]
fn node_crash_logs_out_the_crashed_nodes_session_users_but_no_token_user() {
    let text = shortened("node-crash", &[("duration = \"30s\"", "duration = \"8s\""), ("at = \"15s\"", "at = \"4s\"")]);
    let text = text.replacen("at = \"15s\"", "at = \"4s\"", 1);
    let run = run_scenario(&text);
    let session = range(&run.recording, Session, 4.0, 8.0);
    assert!(session.forced_relogins >= 10, "the dead node's users log in again: {}", session.forced_relogins);
    let token = range(&run.recording, Token, 0.0, f64::MAX);
    assert_eq!((token.requests.unauthorized, token.forced_relogins), (0, 0), "no token user is logged out");

    // The same crash with the sessions in Redis: nobody is logged out.
    let Some((redis_text, _redis)) = with_private_redis(&text.replace("store = \"memory\"", "store = \"redis\""))
    else {
        return;
    };
    let run = run_scenario(&redis_text);
    let session = range(&run.recording, Session, 0.0, f64::MAX);
    assert_eq!((session.requests.unauthorized, session.forced_relogins), (0, 0), "sessions in Redis survive");
}

#[test]
fn scale_out_token_latency_falls_as_nodes_join_while_the_session_store_is_the_ceiling() {
    // Shortened: nodes are added every 2 s. The 420 users' demand (about 700 requests/s) is more
    // than one node serves and less than four do; the store (500 operations/s) is the session
    // side's ceiling from three nodes on.
    let mut text = shortened("scale-out", &[("duration = \"60s\"", "duration = \"9s\"")]);
    let events = text.find("[[events]]").expect("events");
    text.truncate(events);
    for at in ["2s", "4s", "6s"] {
        for target in ["session", "token"] {
            text.push_str(&format!("[[events]]\nat = \"{at}\"\naction = \"add_node\"\ntarget = \"{target}\"\n"));
        }
    }
    let Some((text, _redis)) = with_private_redis(&text) else { return };
    let run = run_scenario(&text);
    let throughput = |strategy, from, to| range(&run.recording, strategy, from, to).throughput_rps;
    let latency = |strategy, from, to, q| range(&run.recording, strategy, from, to).latency_us.quantile_us(q);
    // With one node the users queue; with four the demand fits, and latency falls.
    let (p50_one, p50_four) = (latency(Token, 1.0, 2.0, 0.5), latency(Token, 7.5, 9.0, 0.5));
    let (p99_one, p99_four) = (latency(Token, 1.0, 2.0, 0.99), latency(Token, 7.5, 9.0, 0.99));
    assert!(p50_four * 4 < p50_one, "token p50 falls as nodes join: {p50_one} → {p50_four} µs");
    assert!(p99_four * 2 < p99_one, "token p99 falls as nodes join: {p99_one} → {p99_four} µs");
    let (token_one, token_four) = (throughput(Token, 0.5, 2.0), throughput(Token, 7.5, 9.0));
    assert!(
        token_four > 2.5 * token_one,
        "token throughput grows with 4 nodes: {token_one:.0} → {token_four:.0} req/s"
    );
    // The session side's first second is its 420 logins (a login costs several store operations),
    // so compare the session side with four nodes against the tokens, and the store.
    let session_four = throughput(Session, 7.5, 9.0);
    assert!(session_four < 480.0, "the store (500 ops/s) caps the session side: {session_four:.0} req/s");
    assert!(
        session_four < 0.7 * token_four,
        "four nodes each: sessions {session_four:.0}, tokens {token_four:.0} req/s"
    );
    // The session side gets the same nodes, but its users keep queueing at the store: its tail
    // climbs instead of falling (the last of the first logins wait longest).
    let (session_p99_one, session_p99_four) = (latency(Session, 1.0, 2.0, 0.99), latency(Session, 7.5, 9.0, 0.99));
    assert!(
        session_p99_four > session_p99_one && session_p99_four > 5 * p99_four,
        "session p99 climbs ({session_p99_one} → {session_p99_four} µs) while the tokens' falls to {p99_four} µs"
    );
    // Why: every session request pays a trip to the one store (its rate near capacity is shown
    // in the full run; on a busy machine the nodes' CPU can cap the session side first).
    let store = range(&run.recording, Session, 7.5, 9.0);
    assert!(
        store.store_ops as f64 >= 0.9 * store.server_requests as f64,
        "a store operation per session request: {} ops for {} requests",
        store.store_ops,
        store.server_requests
    );
    assert!(run.output.status.success() && String::from_utf8_lossy(&run.output.stdout).contains("SIMULATED"));
}

/// The revocation scenarios shortened: tokens live 5 s, and 50 users are revoked at 2 s.
fn revocation_run(name: &str) -> Finished {
    run_scenario(&shortened(
        name,
        &[
            ("duration = \"45s\"", "duration = \"9s\""),
            ("ttl = \"20s\"", "ttl = \"5s\""),
            ("at = \"15s\"", "at = \"2s\""),
        ],
    ))
}

#[test]
fn revocation_ends_sessions_at_once_while_tokens_work_until_they_expire() {
    let run = revocation_run("revocation");
    let event = &run.recording.events()[0];
    assert!(event.ok && event.detail.contains("50 users revoked"), "{event:?}");
    assert!(event.t < 3.0, "the revocation ran on time: {event:?}");
    let session = range(&run.recording, Session, event.t - 0.3, event.t + 1.5);
    assert!(session.forced_relogins >= 30, "revoked session users are out at once: {}", session.forced_relogins);
    // Tokens were issued from 0 s on with a 5 s TTL (4 to 5 s, as `exp` is in whole seconds), and
    // clients renew them half a second early: none is renewed before 3.5 s.
    let token_soon = range(&run.recording, Token, 0.0, 3.4);
    assert_eq!(token_soon.requests.unauthorized + token_soon.forced_relogins, 0, "no token is refused at once");
    let token_later = range(&run.recording, Token, 3.4, 9.0);
    assert!(
        token_later.forced_relogins >= 30,
        "once their tokens expire, the refresh fails and the revoked users log in again: {}",
        token_later.forced_relogins
    );
    let last = run.recording.ticks().last().and_then(|t| t.strategies.get(&Token)).expect("token ticks");
    assert_eq!((last.denylist_entries, last.revoked_users), (0, 0), "no denylist, no server state");
}

#[test]
fn revocation_with_a_denylist_refuses_tokens_at_once_and_charts_its_state() {
    let run = revocation_run("revocation-denylist");
    let t = run.recording.events()[0].t;
    let token = range(&run.recording, Token, t - 0.3, t + 1.0);
    assert!(token.forced_relogins >= 30, "revoked token users are refused at once: {}", token.forced_relogins);
    let last = run.recording.ticks().last().and_then(|t| t.strategies.get(&Token)).expect("token ticks");
    assert_eq!(last.revoked_users, 50, "the revoked users are node state");
    assert!(last.denylist_entries > 0, "logged-out tokens sit on the denylist until they expire");
}

#[test]
fn algorithm_cost_an_es256_check_costs_more_than_an_hs256_check() {
    let short = [("duration = \"30s\"", "duration = \"5s\"")];
    let hs256 = run_scenario(&shortened("algorithm-cost-hs256", &short));
    let es256 = run_scenario(&shortened("algorithm-cost-es256", &short));
    // The "Auth check per request" chart: the nodes' own timing of the check alone (the
    // scenario's headline). It is wall time, which a busy spell on the shared cores only ever
    // stretches: a whole-run mean once put HS256 at 98 µs against ES256's 134. So each run is read
    // by its least-disturbed ticks, the lowest quarter of the per-tick means (ticks of 50 checks
    // or more), as timing tools read the lower envelope of their samples.
    let check_us = |run: &Finished, strategy| {
        let ticks = run.recording.ticks().iter().filter_map(|t| t.strategies.get(&strategy));
        let mut means: Vec<f64> = ticks.filter(|st| st.auth_checks >= 50).filter_map(|st| st.auth_check_us()).collect();
        assert!(means.len() >= 8, "{strategy:?} nodes timed their auth checks in enough ticks: {}", means.len());
        means.sort_by(f64::total_cmp);
        means[means.len() / 4]
    };
    let (hs, es) = (check_us(&hs256, Token), check_us(&es256, Token));
    // In a release build that is some 58 µs against 2; in this debug build the lab's own claim
    // checks are unoptimised (about 55 µs) while aws-lc's ECDSA is not: about 165 µs against 57.
    assert!(es > 1.5 * hs, "an ES256 check costs more than an HS256 check: {es:.1} µs against {hs:.1} µs");
    // "Node CPU per request" (the whole request's CPU, the check a part of it) is charted too, but
    // process CPU on a shared machine is too noisy to compare between two short runs: a busy
    // machine once put HS256's token/session CPU ratio above ES256's. Only that it is measured.
    for run in [&hs256, &es256] {
        let (token, session) = (cpu_us_per_request(&run.recording, Token), cpu_us_per_request(&run.recording, Session));
        assert!(token > 0.0 && session > 0.0, "CPU per request is measured: {token} / {session}");
        assert_eq!(range(&run.recording, Token, 0.0, f64::MAX).requests.failed, 0);
    }
}

#[test]
fn token_size_bytes_on_the_wire_follow_the_claims_and_the_cookie_does_not() {
    let short = ("duration = \"30s\"", "duration = \"3s\"");
    let big = run_scenario(&shortened("token-size", &[short]));
    let small = run_scenario(&shortened("token-size", &[short, ("claims_bytes = 2000", "claims_bytes = 0")]));
    let bytes = |run: &Finished, s| range(&run.recording, s, 0.0, f64::MAX).credential_bytes_per_request;
    let (token_big, token_small) = (bytes(&big, Token), bytes(&small, Token));
    assert!(token_big > 2500.0 && token_small < 700.0, "token bytes: {token_small:.0} → {token_big:.0}");
    let (cookie_big, cookie_small) = (bytes(&big, Session), bytes(&small, Session));
    assert!(cookie_big < 100.0 && (cookie_big - cookie_small).abs() < 1.0, "cookie: {cookie_small} / {cookie_big}");
}

#[test]
fn key_rotation_logs_nobody_out() {
    let run = run_scenario(&shortened(
        "key-rotation",
        &[
            // The old keys retire a TTL plus 5 s after the last rotation: 3 + 2 + 5 = 10 s.
            ("duration = \"60s\"", "duration = \"11s\""),
            ("ttl = \"10s\"", "ttl = \"2s\""),
            ("at = \"15s\"", "at = \"1500ms\""),
            ("at = \"35s\"", "at = \"3s\""),
        ],
    ));
    let events = run.recording.events();
    assert!(events.len() >= 3, "two rotations and a retirement: {events:?}");
    assert!(events.iter().all(|e| e.ok), "{events:?}");
    assert!(events.iter().any(|e| e.action == Action::RetireKeys), "old keys are retired: {events:?}");
    let token = range(&run.recording, Token, 0.0, f64::MAX);
    assert!(token.refreshes > 20, "tokens were refreshed across the rotations: {}", token.refreshes);
    assert_eq!((token.requests.failed, token.forced_relogins), (0, 0), "nobody is logged out");
}
