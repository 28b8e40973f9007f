//! The scenario parser's tests: the SPEC example, the defaults, and every error's wording and position.

use std::path::Path;
use std::time::Duration;

use super::{load_scenario, parse_scenario};
use crate::i18n::Language;
use crate::scenario::model::*;
use crate::token::keys::Alg;
use crate::users::PasswordHashKind;

/// The example of SPEC.md "Scenario files (TOML)", verbatim.
const SPEC_EXAMPLE: &str = r#"name = "Memory grows with logged-in users"
duration = "60s"
seed = 42
mode = "concurrent"            # concurrent: both strategies at once; sequential: one after the other

[narrative]
en = "Each logged-in user costs a session on the server ..."
ko = "로그인한 사용자마다 서버에 세션이 하나씩 ..."

[users]
count = 20000                  # distinct accounts in the user directory
password_hash = "argon2id"     # argon2id (default, OWASP parameters) | sha256 (fast, insecure: for labs
                           # where login cost would hide everything else)

[load]
model = "closed"               # closed: virtual users; open: arrival rate in requests/s
stages = [ { at = "0s", target = 50 }, { at = "40s", target = 2000 } ]  # linear ramp between stages
think_time = "50ms..200ms"
requests_per_login = 50        # a visit: log in, make this many requests (0 = endless visit)
logout_ratio = 0.3             # share of visits that end with an explicit logout; the rest abandon
                           # their session, which lives on until its TTL, as real users do

[cluster]
routing = "sticky"             # round_robin | random | sticky | least_outstanding
machine = { workers = 16, service_time = "2ms" }   # optional simulated capacity per node
store_rtt = "500us"                                 # optional simulated store round trip

[session]
nodes = 3
store = "memory"               # memory | redis
redis_url = "redis://127.0.0.1:6379/"
ttl = "30m"
payload_bytes = 200            # data kept per session
max_memory = "64MiB"           # optional: evict beyond this

[token]
nodes = 3
algorithm = "HS256"            # HS256 | RS256 | ES256 | EdDSA | Ed25519
ttl = "15m"
refresh = true
revocation = "none"            # none | denylist
claims_bytes = 200

# A strategy whose table is absent does not run.

[[events]]
at = "30s"
action = "kill_node"           # kill_node | add_node | revoke_user | rotate_key | set_load
target = "session/1"
"#;

const MINIMAL: &str = "name = \"m\"\nduration = \"10s\"\n[load]\nstages = [{ at = \"0s\", target = 5 }]\n[token]\n";

fn err(text: &str) -> String {
    match parse_scenario(text, "x.toml") {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn spec_example_parses_with_its_values() {
    let s = parse_scenario(SPEC_EXAMPLE, "spec.toml").unwrap();
    assert_eq!(s.name, "Memory grows with logged-in users");
    assert_eq!(s.duration, Duration::from_secs(60));
    assert_eq!(s.seed, 42);
    assert_eq!(s.mode, Mode::Concurrent);
    assert_eq!(s.tick, ms(250));
    assert!(s.narrative.en.starts_with("Each logged-in user"));
    assert!(s.narrative.ko.starts_with("로그인한"));
    // Without a name_ko, the name is shown in both languages.
    assert_eq!(s.title(Language::Korean), "Memory grows with logged-in users");
    assert_eq!(s.users, UsersSpec { count: 20000, password_hash: PasswordHashKind::Argon2id });
    assert_eq!(s.load.model, LoadModel::Closed);
    assert_eq!(
        s.load.stages,
        vec![Stage { at: Duration::ZERO, target: 50.0 }, Stage { at: Duration::from_secs(40), target: 2000.0 }]
    );
    assert_eq!(s.load.think_time, (ms(50), ms(200)));
    assert_eq!(s.load.requests_per_login, 50);
    assert_eq!(s.load.logout_ratio, 0.3);
    assert_eq!(s.cluster.routing, Routing::Sticky);
    assert_eq!(s.cluster.machine, Some(MachineSpec { workers: 16, service_time: ms(2) }));
    assert_eq!(s.cluster.store_rtt, Some(Duration::from_micros(500)));
    assert_eq!(s.cluster.health_check, Duration::from_secs(1));
    assert_eq!(
        s.session,
        Some(SessionSpec {
            nodes: 3,
            endpoints: Vec::new(),
            store: StoreKind::Memory,
            redis_url: "redis://127.0.0.1:6379/".into(),
            redis_urls: Vec::new(),
            primaries: 3,
            postgres_url: "postgres://127.0.0.1:5432/postgres".into(),
            pool: 8,
            ttl: Duration::from_secs(1800),
            payload_bytes: 200,
            max_memory: Some(64 << 20),
        })
    );
    assert_eq!(
        s.token,
        Some(TokenSpec {
            nodes: 3,
            endpoints: Vec::new(),
            algorithm: Alg::HS256,
            ttl: Duration::from_secs(900),
            refresh: true,
            revocation: Revocation::None,
            claims_bytes: 200,
        })
    );
    assert_eq!(
        s.events,
        vec![EventSpec {
            at: Duration::from_secs(30),
            action: EventAction::KillNode(NodeRef { strategy: StrategyName::Session, number: 1 }),
        }]
    );
}

#[test]
fn defaults_fill_every_absent_key() {
    let s = parse_scenario(MINIMAL, "m.toml").unwrap();
    assert_eq!(s.seed, 42);
    assert_eq!(s.mode, Mode::Concurrent);
    assert_eq!(s.tick, ms(250));
    assert_eq!(s.narrative, Narrative::default());
    assert_eq!(s.users, UsersSpec { count: 10_000, password_hash: PasswordHashKind::Argon2id });
    assert_eq!(s.load.model, LoadModel::Closed);
    assert_eq!(s.load.think_time, (Duration::ZERO, Duration::ZERO));
    assert_eq!(s.load.requests_per_login, 50);
    assert_eq!(s.load.logout_ratio, 0.3);
    assert_eq!(
        s.cluster,
        ClusterSpec {
            routing: Routing::RoundRobin,
            machine: None,
            store_rtt: None,
            store_machine: None,
            health_check: Duration::from_secs(1),
            admin_token_file: None,
        }
    );
    assert_eq!(s.session, None);
    assert_eq!(
        s.token,
        Some(TokenSpec {
            nodes: 1,
            endpoints: Vec::new(),
            algorithm: Alg::HS256,
            ttl: Duration::from_secs(900),
            refresh: true,
            revocation: Revocation::None,
            claims_bytes: 0,
        })
    );
    assert!(s.events.is_empty());

    let s = parse_scenario(&MINIMAL.replace("[token]\n", "[session]\n"), "m.toml").unwrap();
    assert_eq!(
        s.session,
        Some(SessionSpec {
            nodes: 1,
            endpoints: Vec::new(),
            store: StoreKind::Memory,
            redis_url: "redis://127.0.0.1:6379/".into(),
            redis_urls: Vec::new(),
            primaries: 3,
            postgres_url: "postgres://127.0.0.1:5432/postgres".into(),
            pool: 8,
            ttl: Duration::from_secs(1800),
            payload_bytes: 200,
            max_memory: None,
        })
    );
    assert_eq!(s.token, None);
}

#[test]
fn single_think_time_and_tick() {
    let text = MINIMAL.replace("[load]\n", "tick = \"1s\"\n[load]\nthink_time = \"100ms\"\n");
    let s = parse_scenario(&text, "m.toml").unwrap();
    assert_eq!(s.load.think_time, (ms(100), ms(100)));
    assert_eq!(s.tick, Duration::from_secs(1));
    let bad = MINIMAL.replace("[load]\n", "tick = \"5ms\"\n[load]\n");
    assert_eq!(err(&bad), "x.toml:3:8: tick must be between 10ms and 10s, not \"5ms\"");
    let bad = MINIMAL.replace("[load]\n", "[load]\nthink_time = \"200ms..50ms\"\n");
    assert!(err(&bad).contains("minimum is more than the maximum"), "{}", err(&bad));
}

#[test]
fn unknown_routing_names_value_and_position() {
    let text = SPEC_EXAMPLE.replace("routing = \"sticky\"", "routing = \"stiky\"");
    assert_eq!(
        err(&text),
        "x.toml:24:11: unknown routing \"stiky\"; expected one of round_robin, random, sticky, least_outstanding"
    );
}

#[test]
fn unknown_keys_are_errors_that_name_key_and_table() {
    let e = err(&MINIMAL.replace("[load]\n", "[load]\nfoo = 1\n"));
    assert_eq!(
        e,
        "x.toml:4:1: unknown key \"foo\" in [load]; expected one of model, stages, think_time, \
         requests_per_login, logout_ratio, client"
    );
    // Every table is recognised by its keys.
    let cases = [
        ("nme = \"x\"\n", "at the top level"),
        ("[narrative]\nfr = \"x\"\n", "in [narrative]"),
        ("[users]\ncounts = 3\n", "in [users]"),
        ("[cluster]\nrouting = \"random\"\nmachine = { workers = 1, service = \"1ms\" }\n", "in cluster.machine"),
        ("[cluster]\nrouter = \"random\"\n", "in [cluster]"),
        ("[session]\nnode = 2\n", "in [session]"),
        ("alg = \"HS256\"\n", "in [token]"),
        ("[[events]]\nat = \"1s\"\nactoin = \"add_node\"\n", "in [[events]]"),
    ];
    for (extra, place) in cases {
        // MINIMAL ends in [token]: a top-level key goes first, the rest after.
        let text = if place == "at the top level" { format!("{extra}{MINIMAL}") } else { format!("{MINIMAL}{extra}") };
        let e = err(&text);
        assert!(e.contains(place) && e.contains("unknown key"), "{extra:?}: {e}");
    }
    let e = err(&MINIMAL.replace("target = 5", "target = 5, tagret = 3"));
    assert!(e.contains("unknown key \"tagret\" in a stage of load.stages"), "{e}");
}

#[test]
fn bad_duration_names_the_value() {
    let e = err(&MINIMAL.replace("\"10s\"", "\"10 seconds please\""));
    assert!(e.starts_with("x.toml:2:12: duration: invalid duration \"10 seconds please\""), "{e}");
    let e = err(&MINIMAL.replace("\"10s\"", "10"));
    assert!(e.starts_with("x.toml:2:12: duration: invalid type: integer `10`, expected a duration string"), "{e}");
    let e = err(&MINIMAL.replace("at = \"0s\"", "at = 0"));
    assert!(e.starts_with("x.toml:4:18: at: invalid type: integer `0`"), "{e}");
}

#[test]
fn bad_enums_and_numbers() {
    let e = err(&MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"HS512\"\n"));
    assert_eq!(e, "x.toml:6:13: unknown algorithm \"HS512\"; expected one of HS256, RS256, ES256, EdDSA, Ed25519");
    let e = err(&MINIMAL.replace("[token]\n", "[token]\nnodes = 33\n"));
    assert_eq!(e, "x.toml:6:9: token.nodes must be between 1 and 32, not 33");
    let e = err(&MINIMAL.replace("[load]\n", "[load]\nlogout_ratio = 1.5\n"));
    assert!(e.starts_with("x.toml:4:16: logout_ratio must be between 0 and 1"), "{e}");
    let e = err(&MINIMAL.replace("[load]\n", "[load]\nclient = \"app\"\n"));
    assert_eq!(e, "x.toml:4:10: unknown client \"app\"; expected one of browser, mobile, mobile_naive");
    let s = parse_scenario(&MINIMAL.replace("[load]\n", "[load]\nclient = \"mobile_naive\"\n"), "m").unwrap();
    assert_eq!(s.load.client, ClientKind::MobileNaive);
    assert_eq!(parse_scenario(MINIMAL, "m").unwrap().load.client, ClientKind::Browser, "the default");
    let e = err(&MINIMAL.replace("[token]\n", "[session]\nredis_url = \"http://x\"\n[token]\n"));
    assert!(e.starts_with("x.toml:6:13: redis_url \"http://x\" must start with redis://"), "{e}");
    let e =
        err(&MINIMAL.replace("[token]\n", "[session]\nstore = \"postgres\"\npostgres_url = \"mysql://x\"\n[token]\n"));
    assert!(e.starts_with("x.toml:7:16: postgres_url \"mysql://x\" must start with postgres://"), "{e}");
    let e = err(&MINIMAL.replace("[token]\n", "[session]\nstore = \"redis\"\npool = 4\n[token]\n"));
    assert!(
        e.starts_with("x.toml:7:8: pool sizes the PostgreSQL store's connections: it needs store = \"postgres\""),
        "{e}"
    );
    let e = err(&MINIMAL.replace("[token]\n", "[session]\nstore = \"postgres\"\npool = 0\n[token]\n"));
    assert!(e.starts_with("x.toml:7:8: pool must be between 1 and 1000"), "{e}");
    let s = parse_scenario(&MINIMAL.replace("[token]\n", "[session]\nstore = \"postgres\"\n[token]\n"), "m").unwrap();
    let session = s.session.unwrap();
    assert_eq!((session.store, session.pool), (StoreKind::Postgres, 8), "the PostgreSQL store and its default pool");
    assert_eq!(session.postgres_url, "postgres://127.0.0.1:5432/postgres");
    // Algorithm names are case-insensitive, as on the command line.
    let s = parse_scenario(&MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"eddsa\"\n"), "m").unwrap();
    assert_eq!(s.token.map(|t| t.algorithm), Some(Alg::EdDSA));
    let s = parse_scenario(&MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"Ed25519\"\n"), "m").unwrap();
    assert_eq!(s.token.map(|t| t.algorithm), Some(Alg::Ed25519), "RFC 9864");
}

#[test]
fn events_are_checked_against_the_strategies() {
    let kill4 = SPEC_EXAMPLE.replace("target = \"session/1\"", "target = \"session/4\"");
    assert_eq!(err(&kill4), "x.toml:49:10: kill_node targets session/4, but session has 3 nodes at that time");
    // After an add_node, node 4 exists.
    let added = format!("{kill4}\n[[events]]\nat = \"10s\"\naction = \"add_node\"\ntarget = \"session\"\n");
    let s = parse_scenario(&added, "x.toml").unwrap();
    assert_eq!(s.events.iter().map(|e| e.action.kind()).collect::<Vec<_>>(), vec![Action::AddNode, Action::KillNode]);

    let rotate = SPEC_EXAMPLE.replace("\"kill_node\"", "\"rotate_key\"").replace("\"session/1\"", "\"session\"");
    assert!(err(&rotate).contains("rotate_key applies to the token strategy only"), "{}", err(&rotate));
    let no_target = SPEC_EXAMPLE.replace("target = \"session/1\"\n", "");
    assert!(err(&no_target).starts_with("x.toml:46:1: kill_node needs a node target"), "{}", err(&no_target));
    let add_node = SPEC_EXAMPLE.replace("\"kill_node\"", "\"add_node\"");
    assert!(err(&add_node).contains("add_node needs a strategy target"));
    let late = SPEC_EXAMPLE.replace("at = \"30s\"", "at = \"61s\"");
    assert!(err(&late).contains("after the end of the run (1m)"), "{}", err(&late));
    let set_load = SPEC_EXAMPLE.replace("\"kill_node\"", "\"set_load\"").replace("\"session/1\"", "\"token\"");
    assert!(err(&set_load).contains("set_load needs a `value`"));
    let s = parse_scenario(&format!("{set_load}value = 10\n"), "x").unwrap();
    assert_eq!(s.events[0].action, EventAction::SetLoad(Scope::Strategy(StrategyName::Token), 10.0));
    let bad_target = SPEC_EXAMPLE.replace("\"session/1\"", "\"sesion/1\"");
    assert!(err(&bad_target).contains("unknown target \"sesion/1\""));
    let zero = SPEC_EXAMPLE.replace("\"session/1\"", "\"session/0\"");
    assert!(err(&zero).contains("numbered from 1"));
    // The targeted strategy's table must be present.
    let only_token = format!("{MINIMAL}[[events]]\nat = \"1s\"\naction = \"kill_node\"\ntarget = \"session/1\"\n");
    assert!(err(&only_token).contains("no [session] table"), "{}", err(&only_token));
    let rotate_all =
        format!("{}[[events]]\nat = \"1s\"\naction = \"rotate_key\"\n", MINIMAL.replace("[token]\n", "[session]\n"));
    assert!(err(&rotate_all).contains("no [token] table"), "{}", err(&rotate_all));
}

#[test]
fn resource_needs_published_keys_and_one_place_to_ask_about_sessions() {
    assert_eq!(parse_scenario(MINIMAL, "m").unwrap().resource, None);
    let es256 = MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"ES256\"\n[session]\n[resource]\n");
    assert_eq!(parse_scenario(&es256, "m").unwrap().resource, Some(ResourceSpec { nodes: 1 }));
    let two = es256.replace("[resource]\n", "[resource]\nnodes = 2\n");
    assert_eq!(parse_scenario(&two, "m").unwrap().resource, Some(ResourceSpec { nodes: 2 }));
    let hs256 = es256.replace("\"ES256\"", "\"HS256\"");
    let e = err(&hs256);
    assert!(e.starts_with("x.toml:6:13: [resource] checks tokens against the token nodes' published keys"), "{e}");
    let e = err(&MINIMAL.replace("[token]\n", "[token]\n[resource]\n"));
    assert!(e.starts_with("x.toml:6:1: [resource] checks tokens"), "{e}");
    let spread = es256.replace("[session]\n", "[session]\nnodes = 2\n");
    assert!(err(&spread).contains("use [session] nodes = 1, or store = \"redis\""), "{}", err(&spread));
    let shared = spread.replace("nodes = 2\n", "nodes = 2\nstore = \"redis\"\n");
    assert!(parse_scenario(&shared, "m").is_ok());
    let e = err(&es256.replace("[resource]\n", "[resource]\nnode = 1\n"));
    assert!(e.contains("unknown key \"node\" in [resource]; expected one of nodes"), "{e}");
    let e = err(&es256.replace("[resource]\n", "[resource]\nnodes = 0\n"));
    assert!(e.contains("resource.nodes must be between 1 and 32, not 0"), "{e}");
}

#[test]
fn a_strategy_table_is_required() {
    let text = MINIMAL.replace("[token]\n", "");
    assert_eq!(
        err(&text),
        "x.toml: no strategy to run: add a [session] table, a [token] table, or both (or [target.session], \
         [target.token] for your own servers)"
    );
}

#[test]
fn stages_must_increase() {
    let text =
        MINIMAL.replace("{ at = \"0s\", target = 5 }", "{ at = \"5s\", target = 5 }, { at = \"5s\", target = 9 }");
    assert_eq!(err(&text), "x.toml:4:45: stage times must strictly increase: \"5s\" is not after 5s");
    let empty = MINIMAL.replace("{ at = \"0s\", target = 5 }", "");
    assert!(err(&empty).contains("at least one stage"));
    let missing = MINIMAL.replace("stages = [{ at = \"0s\", target = 5 }]\n", "");
    assert!(err(&missing).contains("missing key \"stages\" in [load]"), "{}", err(&missing));
}

#[test]
fn syntax_errors_have_a_position_and_missing_files_say_so() {
    let e = err("name = \"x\"\nduration = \n");
    assert!(e.starts_with("x.toml:2:"), "{e}");
    assert_eq!(err(&format!("{MINIMAL}nodes = 2\nnodes = 3\n")), "x.toml:7:1: duplicate key nodes");
    let e = load_scenario(Path::new("/nonexistent/authlab.toml")).unwrap_err().to_string();
    assert!(e.starts_with("/nonexistent/authlab.toml: cannot read: "), "{e}");
}
#[test]
fn charts_are_named_checked_and_default_to_the_standard_five() {
    assert_eq!(parse_scenario(MINIMAL, "m").unwrap().charts, Chart::STANDARD.to_vec());
    let text = format!("charts = [\"throughput\", \"cpu_per_request\"]\n{MINIMAL}");
    assert_eq!(parse_scenario(&text, "m").unwrap().charts, vec![Chart::Throughput, Chart::CpuPerRequest]);
    let bad = format!("charts = [\"cpu\"]\n{MINIMAL}");
    assert!(err(&bad).starts_with("x.toml:1:11: unknown chart \"cpu\"; expected one of throughput,"), "{}", err(&bad));
    let twice = format!("charts = [\"latency\", \"latency\"]\n{MINIMAL}");
    assert!(err(&twice).contains("chart \"latency\" is listed twice"), "{}", err(&twice));
    assert!(err(&format!("charts = []\n{MINIMAL}")).contains("at least one chart"));
}

#[test]
fn store_machine_needs_a_shared_store() {
    let redis = MINIMAL.replace("[token]\n", "[session]\nstore = \"redis\"\n");
    let text = format!("{redis}[cluster]\nstore_machine = {{ workers = 2, service_time = \"1ms\" }}\n");
    let s = parse_scenario(&text, "x").unwrap();
    assert_eq!(s.cluster.store_machine, Some(MachineSpec { workers: 2, service_time: ms(1) }));
    let memory = text.replace("store = \"redis\"", "store = \"memory\"");
    assert!(err(&memory).contains("store_machine simulates the shared store"), "{}", err(&memory));
    let partial = text.replace(", service_time = \"1ms\"", "");
    assert!(err(&partial).contains("missing key \"service_time\" in cluster.store_machine"), "{}", err(&partial));
}
#[test]
fn set_routing_and_revoking_several_users() {
    let base = MINIMAL.replace("[token]\n", "[session]\n");
    let switch = format!("{base}[[events]]\nat = \"5s\"\naction = \"set_routing\"\nrouting = \"sticky\"\n");
    let s = parse_scenario(&switch, "x").unwrap();
    assert_eq!(s.events[0].action, EventAction::SetRouting(Scope::All, Routing::Sticky));
    assert!(err(&switch.replace("sticky", "stiky")).contains("unknown routing \"stiky\""));
    assert!(err(&switch.replace("routing = \"sticky\"\n", "")).contains("set_routing needs a `routing`"));
    let revoke = format!("{base}[[events]]\nat = \"5s\"\naction = \"revoke_user\"\nvalue = 50\n");
    assert_eq!(
        parse_scenario(&revoke, "x").unwrap().events[0].action,
        EventAction::RevokeUser(Scope::All, Revokee::Recent(50))
    );
    assert!(err(&revoke.replace("50", "0.5")).contains("how many users"));
    assert!(err(&format!("{revoke}user = \"user0000001\"\n")).contains("not both"));
    let misplaced = format!("{base}[[events]]\nat = \"5s\"\naction = \"set_load\"\nvalue = 5\nrouting = \"sticky\"\n");
    assert!(err(&misplaced).contains("`routing` applies to set_routing only"));
}

#[test]
fn a_korean_name_is_shown_in_korean_only() {
    let text = MINIMAL.replace("[load]", "[narrative]\nname_ko = \" 메모리 \"\n[load]");
    let s = parse_scenario(&text, "t.toml").unwrap();
    assert_eq!(s.title(Language::Korean), "메모리");
    assert_eq!(s.title(Language::English), "m");
}

const TARGET: &str = "[target.session]\nbase_url = \"http://127.0.0.1:5001\"\nusers_csv = \"users.csv\"\n\
    login = { method = \"POST\", path = \"/login\", form = { u = \"{username}\", p = \"{password}\" } }\n\
    credential = { cookie = \"connect.sid\" }\nrequest = { path = \"/me\" }\n";

#[test]
fn a_target_table_reads_as_written_in_the_spec() {
    use crate::scenario::target::*;
    let text = format!("{}{TARGET}", MINIMAL.replace("[token]\n", ""));
    let scenario = parse_scenario(&text, "dir/x.toml").unwrap_or_else(|e| panic!("{e}"));
    let target = scenario.targets.session.as_ref().unwrap_or_else(|| panic!("a session target"));
    assert!(scenario.session.is_none() && scenario.runs(StrategyName::Session));
    assert_eq!(target.urls, ["http://127.0.0.1:5001"]);
    assert_eq!(target.accounts, AccountSource::Csv("users.csv".into()), "a built-in origin keeps the path");
    assert_eq!(target.login.method, reqwest::Method::POST);
    assert_eq!(
        target.login.body,
        CallBody::Form(vec![("p".into(), "{password}".into()), ("u".into(), "{username}".into())])
    );
    assert_eq!(target.credential, CredentialSpec::Cookie { name: "connect.sid".into() });
    assert_eq!((target.request.method.as_str(), target.request.path.as_str()), ("GET", "/me"));
    assert_eq!(target.measure, TargetMeasure::Nothing);
    let token = TARGET
        .replace("target.session", "target.token")
        .replace("{ cookie = \"connect.sid\" }", "{ json = \"/data/jwt\", header = \"X-Auth\" }");
    let scenario = parse_scenario(
        &format!("{}{token}metrics = \"http://127.0.0.1:5002/m\"\n", MINIMAL.replace("[token]\n", "")),
        "x.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let target = scenario.targets.token.as_ref().unwrap_or_else(|| panic!("a token target"));
    let CredentialSpec::Json { pointer, header, .. } = &target.credential else { panic!("a JSON credential") };
    assert_eq!((pointer.as_str(), header.name.as_str(), header.scheme.as_deref()), ("/data/jwt", "x-auth", None));
    assert!(
        matches!(&target.measure, TargetMeasure::Metrics { rss_metric, .. } if rss_metric == "process_resident_memory_bytes")
    );
}

#[test]
fn a_bad_target_is_an_error_that_says_what_to_write() {
    let base = MINIMAL.replace("[token]\n", "");
    let e = |target: &str| err(&format!("{base}{target}"));
    let remote = e(&TARGET.replace("127.0.0.1", "10.0.0.7"));
    assert!(
        remote.contains("http://10.0.0.7:5001 is not on this machine") && remote.contains("allow_remote = true"),
        "{remote}"
    );
    let allowed = format!("{base}{}allow_remote = true\n", TARGET.replace("127.0.0.1", "10.0.0.7"));
    assert!(parse_scenario(&allowed, "x.toml").is_ok(), "allow_remote = true lets it through");
    assert!(e(&TARGET.replace("base_url = \"http://127.0.0.1:5001\"\n", "")).contains("needs base_url"));
    assert!(e(&TARGET.replace("/me", "me")).contains("must start with /"));
    assert!(e(&TARGET.replace("method = \"POST\"", "method = \"FETCH\"")).contains("unknown method \"FETCH\""));
    assert!(
        e(&TARGET.replace("cookie = \"connect.sid\"", "json = \"access_token\"")).contains("is not a JSON pointer")
    );
    assert!(e(&format!("{TARGET}pid = 3\nmetrics = \"http://127.0.0.1:1/m\"\n")).contains("one way"));
    assert!(e(&format!("{TARGET}bse_url = 1\n")).contains("unknown key \"bse_url\" in a [target.*] table"));
    let both = err(&format!("{MINIMAL}{}", TARGET.replace("target.session", "target.token")));
    assert!(both.contains("[token] and [target.token] both describe"), "{both}");
    let kill = e(&format!("{TARGET}[[events]]\nat = \"1s\"\naction = \"kill_node\"\ntarget = \"session/1\"\n"));
    assert!(
        kill.contains("kill_node needs the lab's own nodes") && kill.contains("set_load and set_routing work"),
        "{kill}"
    );
    let load = format!("{base}{TARGET}[[events]]\nat = \"1s\"\naction = \"set_load\"\nvalue = 3\n");
    assert!(parse_scenario(&load, "x.toml").is_ok());
}

#[test]
fn thresholds_parse_in_order_with_their_units() {
    let text = format!(
        "{MINIMAL}[session]\n[thresholds]\n\"token.latency_p99\" = \"< 50ms\"\n\"session.failed_ratio\" = \"< 0.01\"\n\
         \"session.heap_bytes_peak\" = \"<= 256MiB\"\n\
         \"token.throughput_rps\" = [\"> 10\", {{ threshold = \">= 1/s\", abort_on_fail = true, delay = \"10s\" }}]\n"
    );
    let s = parse_scenario(&text, "x.toml").unwrap();
    let names: Vec<String> = s.thresholds.iter().map(|t| format!("{} {}", t.name(), t.expr)).collect();
    assert_eq!(
        names,
        [
            "token.latency_p99 < 50ms",
            "session.failed_ratio < 0.01",
            "session.heap_bytes_peak <= 256MiB",
            "token.throughput_rps > 10",
            "token.throughput_rps >= 1/s"
        ]
    );
    assert_eq!(s.thresholds[0].value, 50_000.0, "durations in µs");
    assert_eq!(s.thresholds[2].value, 256.0 * 1024.0 * 1024.0);
    assert!(!s.thresholds[3].abort_on_fail);
    assert!(s.thresholds[4].abort_on_fail);
    assert_eq!(s.thresholds[4].delay, Duration::from_secs(10));
    assert!(parse_scenario(MINIMAL, "x.toml").unwrap().thresholds.is_empty());
}

#[test]
fn bad_thresholds_are_errors_at_their_place() {
    let bad = |line: &str| err(&format!("{MINIMAL}[thresholds]\n{line}\n"));
    assert_eq!(
        bad("\"token.latency_p95\" = \"< 50ms\""),
        "x.toml:7:1: threshold \"token.latency_p95\": unknown figure \"latency_p95\"; did you mean \"token.latency_p90\"?"
    );
    assert_eq!(
        bad("\"tokens.latency_p99\" = \"< 50ms\""),
        "x.toml:7:1: threshold \"tokens.latency_p99\": unknown strategy \"tokens\"; expected session or token"
    );
    assert!(bad("latency = \"< 50ms\"").starts_with("x.toml:7:1: threshold \"latency\" must name a strategy"));
    assert_eq!(
        bad("\"session.heap_bytes_peak\" = \"< 50ms\""),
        "x.toml:7:29: session.heap_bytes_peak is a size such as \"256MiB\" or a number of bytes, not \"50ms\""
    );
    assert_eq!(
        bad("\"token.latency_p99\" = \"< 256MiB\""),
        "x.toml:7:23: token.latency_p99 is a duration such as \"50ms\" or \"1.5s\", not \"256MiB\""
    );
    assert_eq!(
        bad("\"token.latency_p99\" = \"about 50ms\""),
        "x.toml:7:23: threshold \"about 50ms\" must start with one of <, <=, >, >=, ==, != (e.g. \"< 50ms\")"
    );
    assert_eq!(
        bad("\"token.latency_p99\" = { threshold = \"< 5ms\", abort = true }"),
        "x.toml:7:23: unknown key \"abort\" in a threshold of token.latency_p99; expected one of threshold, \
         abort_on_fail, delay"
    );
    assert!(bad("\"token.latency_p99\" = { threshold = \"< 5ms\", delay = \"5s\" }").contains("needs abort_on_fail"));
    assert!(bad("\"token.latency_p99\" = 50").contains("a threshold is an expression such as"));
    assert!(bad("\"token.latency_p99\" = { abort_on_fail = true }").contains("missing key \"threshold\""));
    assert!(
        err(&format!("{MINIMAL}[threshold]\n")).contains("did you mean")
            || err(&format!("{MINIMAL}[threshold]\n")).contains("thresholds"),
        "{}",
        err(&format!("{MINIMAL}[threshold]\n"))
    );
}
