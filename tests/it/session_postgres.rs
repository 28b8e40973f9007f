//! Session nodes and runs on a PostgreSQL store (a private PostgreSQL server started by the test):
//! sessions shared between nodes, a schema per run that goes when the run ends however it ends,
//! the database's figures in the ticks, and clear errors when the database cannot be used.
use crate::support::postgres::PrivatePostgres;
use crate::support::*;
use authlab::scenario::StrategyName::Session;
use authlab::session_store::postgres::is_run_schema;
use serde_json::json;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const ADMIN: &str = "admin-secret-for-postgres-tests";

fn creds() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| users_csv(42, 20))
}

fn pg_node(pg: &PrivatePostgres, extra: &[&str]) -> Node {
    let url = pg.url();
    let mut args = vec!["--strategy", "session", "--store", &url, "--users", "20", "--password-hash", "sha256"];
    args.extend_from_slice(extra);
    Node::start(&args)
}

/// The schemas whose names start with `authlab`, sorted.
fn lab_schemas(pg: &PrivatePostgres) -> Vec<String> {
    let out = pg.psql("select nspname from pg_namespace where nspname like 'authlab%' order by 1");
    out.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect()
}

/// Someone else's data beside the lab's: a table in `public`, and schemas whose names only look
/// like a run's. The lab must leave all of it alone.
fn plant_foreign_data(pg: &PrivatePostgres) {
    pg.psql(
        "create table public.someone_elses (id int primary key, note text); \
         insert into public.someone_elses values (1, 'keep me'); \
         create schema authlab_run_notarun; create table authlab_run_notarun.t (x int); \
         create schema authlab_runs_beef;",
    );
}

fn assert_foreign_data_untouched(pg: &PrivatePostgres) {
    assert_eq!(pg.psql("select note from public.someone_elses"), "keep me", "someone else's table was touched");
    let schemas = lab_schemas(pg);
    for foreign in ["authlab_run_notarun", "authlab_runs_beef"] {
        assert!(schemas.contains(&foreign.to_string()), "the lab dropped {foreign}, which is not a run's: {schemas:?}");
    }
}

async fn login_sid(c: &reqwest::Client, node: &Node, i: usize) -> String {
    let (u, p) = &creds()[i];
    let r = login(c, node, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "login {u} on a PostgreSQL-backed node");
    sid_cookie(&r).value
}

async fn profile_status(c: &reqwest::Client, node: &Node, sid: &str) -> u16 {
    let r = c.get(node.at("/api/profile")).header("cookie", format!("sid={sid}")).send().await;
    r.expect("GET /api/profile").status().as_u16()
}

#[tokio::test]
async fn postgres_sessions_are_shared_by_two_nodes_and_a_nodes_own_schema_goes_when_it_exits() {
    let Some(pg) = PrivatePostgres::start() else { return };
    plant_foreign_data(&pg);
    let c = client();
    // Node 1 makes a schema of its own; node 2 opens that one.
    let admin = admin_token_file(ADMIN);
    let mut node1 = pg_node(&pg, &["--admin-token-file", admin.path_str(), "--configured"]);
    let own: Vec<String> = lab_schemas(&pg).into_iter().filter(|s| is_run_schema(s)).collect();
    assert_eq!(own.len(), 1, "node 1 made one schema of its own: {own:?}");
    let schema = &own[0];
    let mut node2 = pg_node(&pg, &["--pg-schema", schema, "--admin-token-file", admin.path_str(), "--configured"]);
    let rows = || pg.psql(&format!("select count(*) from \"{schema}\".session")).parse::<u64>().expect("a count");

    let sid = login_sid(&c, &node1, 0).await;
    assert_eq!(rows(), 1, "a login writes one row");
    assert_eq!(profile_status(&c, &node1, &sid).await, 200, "profile on the node that logged in");
    assert_eq!(profile_status(&c, &node2, &sid).await, 200, "node 2 reads node 1's session from the database");
    assert_eq!(profile_status(&c, &node2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await, 401, "a forged id");
    let m = metrics_text(&c, &node1).await;
    assert_eq!(metric(&m, "authlab_sessions", &[]), Some(0.0), "a PostgreSQL-backed node holds no sessions itself");
    assert_eq!(metric(&m, "authlab_store_sweep_errors_total", &[]), Some(0.0), "the expiry sweep works:\n{m}");
    let apps = pg.psql(&format!("select count(*) from pg_stat_activity where application_name = '{schema} node'"));
    assert_eq!(apps, "16", "each node keeps its pool of 8 connections, named after the schema and the node");

    // The admin API logs a user out everywhere: both of user 1's sessions go, user 0's stays.
    let (a, b) = (login_sid(&c, &node1, 1).await, login_sid(&c, &node2, 1).await);
    let r = c
        .post(node1.at("/admin/revoke_user"))
        .bearer_auth(ADMIN)
        .json(&json!({"user": creds()[1].0}))
        .send()
        .await
        .expect("POST /admin/revoke_user");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.expect("JSON")["revoked"], 2, "both of the user's sessions");
    for sid in [&a, &b] {
        assert_eq!(profile_status(&c, &node2, sid).await, 401, "a revoked session is refused");
    }
    assert_eq!(profile_status(&c, &node2, &sid).await, 200, "another user's session is untouched");

    // Logout deletes the row; the cookie then fails on both nodes.
    let r = c.post(node2.at("/logout")).header("cookie", format!("sid={sid}")).send().await.expect("POST /logout");
    assert_eq!(r.status().as_u16(), 204, "logout");
    assert_eq!(rows(), 0, "logout deletes the session's row");
    assert_eq!(profile_status(&c, &node1, &sid).await, 401, "node 1 after logout on node 2");

    // Node 2 only opened the schema: stopping it leaves it. Node 1 made it: it goes with node 1.
    let st = node2.terminate().expect("node 2 did not stop within 5 s of SIGTERM");
    assert!(st.success(), "node 2 exit status {st:?}: {}", node2.stderr_text());
    assert!(lab_schemas(&pg).contains(schema), "a node that did not make the schema dropped it");
    let st = node1.terminate().expect("node 1 did not stop within 5 s of SIGTERM");
    assert!(st.success(), "node 1 exit status {st:?}: {}", node1.stderr_text());
    assert!(!lab_schemas(&pg).contains(schema), "the node's own schema outlived it");
    assert_foreign_data_untouched(&pg);
}

fn postgres_scenario(pg: &PrivatePostgres, duration: &str, extra_load: &str) -> String {
    format!(
        "name = \"postgres run\"\nduration = \"{duration}\"\n[users]\ncount = 200\npassword_hash = \"sha256\"\n\
         [load]\nstages = [ {{ at = \"0s\", target = 20 }} ]\nthink_time = \"10ms\"\nrequests_per_login = 5\n\
         {extra_load}[cluster]\nrouting = \"round_robin\"\n\
         [session]\nnodes = 2\nstore = \"postgres\"\npostgres_url = \"{}\"\npool = 4\n[token]\nnodes = 1\n",
        pg.url()
    )
}

#[test]
fn a_run_keeps_sessions_in_a_schema_of_its_own_counts_its_rows_as_sessions_held_and_drops_only_that() {
    let Some(pg) = PrivatePostgres::start() else { return };
    plant_foreign_data(&pg);
    let run = run_scenario(&postgres_scenario(&pg, "3s", "logout_ratio = 0.5\n"));
    let ticks: Vec<_> = run.recording.ticks().iter().filter_map(|t| t.strategies.get(&Session)).collect();
    assert!(ticks.len() > 5, "ticks: {}", ticks.len());
    for tick in &ticks {
        let store = tick.store.as_ref().expect("a session tick has its store");
        assert_eq!(store.kind, "postgres");
        assert_eq!(store.keys, Some(tick.sessions_held), "sessions held are the table's rows");
        assert!(store.used_memory.is_some_and(|bytes| bytes > 0), "the tables' size is measured: {store:?}");
    }
    let last = ticks.last().and_then(|t| t.store.as_ref()).expect("a last tick");
    assert!(last.keys.is_some_and(|rows| rows > 10), "sessions pile up in the table: {last:?}");
    let sum = |f: fn(&authlab::measure::StoreTick) -> Option<u64>| -> u64 {
        ticks.iter().filter_map(|t| t.store.as_ref().and_then(f)).sum()
    };
    assert!(sum(|s| s.rows_written) > 10, "logins and logouts write rows");
    assert!(sum(|s| s.rows_fetched) > 10, "every request fetches its session");
    assert!(sum(|s| s.transactions) > 10, "the database counts transactions");
    assert_eq!(sum(|s| s.sweep_errors), 0, "the nodes' expiry sweeps work");
    let cpu: f64 = ticks.iter().filter_map(|t| t.store.as_ref()?.cpu_seconds).sum();
    assert!(cpu > 0.0, "the backends serving the nodes (this server is local) spent CPU: {cpu}");
    // Round-robin works: every session node reads the same table.
    assert_eq!(run.count("session", "failed"), 0, "round robin works over a shared store");
    assert_eq!(run.strategy("session")["store"]["kind"], "postgres");
    assert_eq!(lab_schemas(&pg), vec!["authlab_run_notarun", "authlab_runs_beef"], "the run dropped its schema");
    assert_foreign_data_untouched(&pg);
}

/// Starts a PostgreSQL run, waits until its sessions are in the database, and SIGKILLs it: the
/// run's schema is left behind. Returns the schema.
#[cfg(target_os = "linux")]
fn kill_a_postgres_run(pg: &PrivatePostgres) -> String {
    let file = TempFile::with_contents("killed.toml", &postgres_scenario(pg, "60s", "logout_ratio = 0.0\n"));
    let recording = TempFile::with_contents("killed.jsonl", "");
    let mut child = Command::new(BIN)
        .args(["run", file.path_str(), "--out", recording.path_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("authlab run starts");
    let before = lab_schemas(pg);
    let deadline = Instant::now() + Duration::from_secs(20);
    let schema = loop {
        assert!(Instant::now() < deadline, "the run put no sessions in PostgreSQL within 20 s");
        std::thread::sleep(Duration::from_millis(100));
        let Some(schema) = lab_schemas(pg).into_iter().find(|s| !before.contains(s)) else { continue };
        let rows = pg.psql(&format!("select count(*) from \"{schema}\".session")).parse::<u64>().unwrap_or(0);
        if rows > 20 {
            break schema;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    schema
}

#[test]
#[cfg(target_os = "linux")]
fn the_schema_a_killed_run_left_is_dropped_by_authlab_clean_and_by_the_next_run_and_nothing_else() {
    let Some(pg) = PrivatePostgres::start() else { return };
    plant_foreign_data(&pg);
    let clean = || {
        let out = Command::new(BIN).args(["clean", "--postgres", &pg.url()]).output().expect("authlab clean runs");
        assert!(out.status.success(), "authlab clean: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // 1. `authlab clean`, after a SIGKILL: the run's lock went with its connection.
    let killed = kill_a_postgres_run(&pg);
    let deadline = Instant::now() + Duration::from_secs(10);
    let said = loop {
        let said = clean();
        if !lab_schemas(&pg).contains(&killed) || Instant::now() > deadline {
            break said;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(!lab_schemas(&pg).contains(&killed), "authlab clean dropped the dead run's schema: {said}");
    assert!(said.contains(&killed), "and named it: {said}");

    // 2. The next run sweeps what another killed run left.
    let killed = kill_a_postgres_run(&pg);
    std::thread::sleep(Duration::from_millis(500));
    let run = run_scenario(&postgres_scenario(&pg, "1s", ""));
    assert!(run.count("session", "ok") > 0);
    assert!(!lab_schemas(&pg).contains(&killed), "the next run dropped the dead run's schema");
    assert_eq!(lab_schemas(&pg), vec!["authlab_run_notarun", "authlab_runs_beef"], "and nothing else");
    assert_foreign_data_untouched(&pg);
}

/// `authlab run` on `scenario`, expected to fail within 15 s; returns its stderr.
fn failed_run(scenario: &str) -> String {
    let file = TempFile::with_contents("failing.toml", scenario);
    let recording = TempFile::with_contents("failing.jsonl", "");
    let mut child = Command::new(BIN)
        .args(["run", file.path_str(), "--out", recording.path_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("authlab run starts");
    let Some(status) = wait_timeout(&mut child, Duration::from_secs(15)) else {
        let _ = child.kill();
        panic!("a run whose database cannot be used was still going after 15 s");
    };
    let out = child.wait_with_output().expect("its output");
    assert!(!status.success(), "the run must fail: {status:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_run_whose_postgres_is_unreachable_fails_at_once_saying_what_to_do() {
    let port = free_port(); // nothing listens there
    let started = Instant::now();
    let stderr = failed_run(&format!(
        "name = \"no postgres\"\nduration = \"30s\"\n[load]\nstages = [ {{ at = \"0s\", target = 1 }} ]\n\
         [session]\nstore = \"postgres\"\npostgres_url = \"postgres://lab:secret@127.0.0.1:{port}/postgres\"\n"
    ));
    assert!(stderr.contains("cannot reach PostgreSQL at"), "{stderr}");
    assert!(stderr.contains("postgres_url") && stderr.contains("store = \"memory\""), "says what to do: {stderr}");
    assert!(!stderr.contains("secret"), "the password stays off the screen: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(10), "fails at once: {:?}", started.elapsed());
}

#[test]
fn a_user_who_may_not_create_a_schema_is_told_how_to_grant_it() {
    let Some(pg) = PrivatePostgres::start() else { return };
    pg.psql("create role lab_limited login");
    let url = pg.url().replace("postgres://postgres@", "postgres://lab_limited@");
    let stderr = failed_run(&format!(
        "name = \"no permission\"\nduration = \"30s\"\n[load]\nstages = [ {{ at = \"0s\", target = 1 }} ]\n\
         [session]\nstore = \"postgres\"\npostgres_url = \"{url}\"\n"
    ));
    assert!(stderr.contains("\"lab_limited\" may not create schema authlab_run_"), "{stderr}");
    assert!(stderr.contains("GRANT CREATE ON DATABASE \"postgres\" TO \"lab_limited\""), "says how: {stderr}");
    assert_eq!(lab_schemas(&pg), Vec::<String>::new(), "nothing was made");
}
