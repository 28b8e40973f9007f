//! The resource service (`authlab node --strategy resource`): a second service that issues nothing.
//! Tokens are checked against the issuer's JWKS (audience, scope, rotated keys, a flood of made-up
//! kids); session cookies are checked by asking the session node on every request.
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::*;
use authlab::token::keys::KeySet;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const ADMIN: &str = "admin-secret-for-resource-tests";
const INTROSPECT: &str = "introspection-secret-for-tests";
const BOTH_SCOPES: &str = "profile:read orders:read";

fn creds() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| users_csv(42, 20))
}

fn node(strategy: &str, extra: &[&str]) -> Node {
    let mut args = vec!["--strategy", strategy, "--seed", "42", "--users", "20", "--password-hash", "sha256"];
    args.extend_from_slice(extra);
    Node::start(&args)
}

/// A token node whose tokens are also for `orders-api`, granting `scope`.
fn issuer(scope: &str, extra: &[&str]) -> Node {
    let mut args = vec!["--algorithm", "ES256", "--extra-audience", "orders-api", "--scope", scope];
    args.extend_from_slice(extra);
    node("token", &args)
}

fn jwks_url(issuer: &Node) -> String {
    issuer.at("/.well-known/jwks.json")
}

/// A resource node trusting `issuer`'s JWKS.
fn resource_for(issuer: &Node, extra: &[&str]) -> Node {
    let url = jwks_url(issuer);
    let mut args = vec!["--jwks-url", url.as_str()];
    args.extend_from_slice(extra);
    node("resource", &args)
}

async fn access_token(c: &reqwest::Client, issuer: &Node, i: usize) -> String {
    let (u, p) = &creds()[i];
    let r = login(c, issuer, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "login {u}");
    let body: Value = r.json().await.expect("login answers JSON");
    body["access_token"].as_str().expect("an access token").to_owned()
}

async fn orders_with_token(c: &reqwest::Client, resource: &Node, token: &str) -> reqwest::Response {
    c.get(resource.at("/api/orders")).bearer_auth(token).send().await.expect("GET /api/orders")
}

async fn orders_with_cookie(c: &reqwest::Client, resource: &Node, sid: &str) -> reqwest::Response {
    c.get(resource.at("/api/orders")).header("cookie", format!("sid={sid}")).send().await.expect("GET /api/orders")
}

async fn counter(c: &reqwest::Client, node: &Node, name: &str, labels: &[(&str, &str)]) -> f64 {
    metric(&metrics_text(c, node).await, name, labels).unwrap_or(0.0)
}

async fn jwks_served(c: &reqwest::Client, issuer: &Node) -> f64 {
    counter(c, issuer, "authlab_requests_total", &[("route", "/.well-known/jwks.json"), ("status", "200")]).await
}

fn challenge(r: &reqwest::Response) -> String {
    r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

#[tokio::test]
async fn a_token_for_this_audience_and_scope_is_accepted_with_no_call_to_the_issuer_per_request() {
    let c = client();
    let issuer = issuer(BOTH_SCOPES, &[]);
    let resource = resource_for(&issuer, &[]);
    let token = access_token(&c, &issuer, 0).await;
    let claims = decode_part(token.split('.').nth(1).expect("claims"));
    assert_eq!(claims["aud"], json!(["authlab-api", "orders-api"]), "issued for both audiences");

    for _ in 0..20 {
        let r = orders_with_token(&c, &resource, &token).await;
        assert_eq!(r.status().as_u16(), 200);
        let body: Value = r.json().await.expect("JSON");
        assert_eq!(body["user"], creds()[0].0.as_str());
        assert_eq!(body["checked_by"], "jwks");
    }
    // The issuer's own API still accepts the token (its audience is in the array).
    let r = c.get(issuer.at("/api/profile")).bearer_auth(&token).send().await.expect("GET /api/profile");
    assert_eq!(r.status().as_u16(), 200, "the issuer accepts its multi-audience token");

    assert_eq!(jwks_served(&c, &issuer).await, 1.0, "one JWKS fetch, at the resource's start, for 20 requests");
    assert_eq!(counter(&c, &resource, "authlab_issuer_calls_total", &[]).await, 1.0);
    assert_eq!(counter(&c, &resource, "authlab_jwks_keys", &[]).await, 1.0);
    let served = counter(&c, &resource, "authlab_requests_total", &[("route", "/api/orders"), ("status", "200")]);
    assert_eq!(served.await, 20.0);

    // No credentials at all: a bare challenge (RFC 6750 3.1).
    let r = c.get(resource.at("/api/orders")).send().await.expect("GET");
    assert_eq!(challenge(&r), "Bearer realm=\"authlab\"");
    expect_error(r, 401, "no credentials").await;
    // A resource service issues nothing.
    let (u, p) = &creds()[0];
    expect_error(login(&c, &resource, u, p).await, 404, "a resource node has no /login").await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused_with_401() {
    let c = client();
    let issuer = issuer(BOTH_SCOPES, &[]);
    let billing = resource_for(&issuer, &["--audience", "billing-api"]);
    let token = access_token(&c, &issuer, 1).await;
    let r = orders_with_token(&c, &billing, &token).await;
    assert!(challenge(&r).contains("error=\"invalid_token\""), "{}", challenge(&r));
    let body = expect_error(r, 401, "a token not issued for billing-api").await;
    assert!(body["message"].as_str().unwrap_or("").contains("audience"), "{body}");

    // Nor does a token issued only for the issuer's own API pass at orders-api.
    let plain = node("token", &["--algorithm", "EdDSA", "--scope", BOTH_SCOPES]);
    let orders = resource_for(&plain, &[]);
    let token = access_token(&c, &plain, 1).await;
    expect_error(orders_with_token(&c, &orders, &token).await, 401, "aud authlab-api only").await;
}

#[tokio::test]
async fn a_token_without_the_required_scope_is_refused_with_403_insufficient_scope() {
    let c = client();
    let issuer = issuer("profile:read", &[]);
    let resource = resource_for(&issuer, &[]);
    let token = access_token(&c, &issuer, 2).await;
    let r = orders_with_token(&c, &resource, &token).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(challenge(&r), "Bearer realm=\"authlab\", error=\"insufficient_scope\", scope=\"orders:read\"");
    let body: Value = r.json().await.expect("a JSON error body");
    assert_eq!(body["error"], "insufficient_scope");
    // A scope that merely contains the required one as a substring is no better.
    let issuer = issuer_with_scope("orders:readwrite");
    let resource = resource_for(&issuer, &[]);
    let token = access_token(&c, &issuer, 2).await;
    assert_eq!(orders_with_token(&c, &resource, &token).await.status().as_u16(), 403);
}

fn issuer_with_scope(scope: &str) -> Node {
    issuer(scope, &[])
}

#[tokio::test]
async fn after_a_key_rotation_the_new_key_is_accepted_after_exactly_one_jwks_refetch() {
    let c = client();
    let old = KeySet::generate(authlab::token::keys::Alg::RS256).expect("a key");
    let file = TempFile::with_contents("keys.json", &key_file_text(&[&old]));
    let admin = admin_token_file(ADMIN);
    let issuer =
        issuer(BOTH_SCOPES, &["--keys", file.path_str(), "--admin-token-file", admin.path_str(), "--configured"]);
    let resource = resource_for(&issuer, &[]);
    let before = access_token(&c, &issuer, 3).await;
    assert_eq!(orders_with_token(&c, &resource, &before).await.status().as_u16(), 200);

    // Past the refetch interval since the resource's first fetch, rotate: [new, old].
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let new = KeySet::generate(authlab::token::keys::Alg::RS256).expect("a key");
    std::fs::write(&file.path, key_file_text(&[&new, &old])).expect("rewriting the key file");
    let r = c.post(issuer.at("/admin/reload_keys")).bearer_auth(ADMIN).send().await.expect("reload_keys");
    assert_eq!(r.status().as_u16(), 200, "reload_keys");
    let after = access_token(&c, &issuer, 3).await;
    let kid = decode_part(after.split('.').next().expect("header"))["kid"].clone();
    assert_eq!(kid, json!(new.current_kid()), "the new key signs");

    for _ in 0..5 {
        assert_eq!(orders_with_token(&c, &resource, &after).await.status().as_u16(), 200, "the new key's token");
        assert_eq!(
            orders_with_token(&c, &resource, &before).await.status().as_u16(),
            200,
            "the old key still verifies"
        );
    }
    assert_eq!(counter(&c, &resource, "authlab_jwks_refetches_total", &[]).await, 1.0, "exactly one refetch");
    assert_eq!(counter(&c, &resource, "authlab_jwks_fetches_total", &[]).await, 2.0);
    assert_eq!(counter(&c, &resource, "authlab_jwks_keys", &[]).await, 2.0);
    assert_eq!(jwks_served(&c, &issuer).await, 2.0, "the issuer served the JWKS twice in all");
}

#[tokio::test]
async fn a_flood_of_made_up_kids_refetches_the_jwks_at_most_once_a_second() {
    let c = client();
    let issuer = issuer(BOTH_SCOPES, &[]);
    let started = Instant::now();
    let resource = resource_for(&issuer, &[]);
    let token = access_token(&c, &issuer, 4).await;
    let mut parts = token.split('.');
    let (header, rest) = (decode_part(parts.next().expect("header")), parts.collect::<Vec<_>>().join("."));

    let flood_until = Instant::now() + Duration::from_millis(1600);
    let mut sent = 0u32;
    while Instant::now() < flood_until {
        let batch = (0..20).map(|i| {
            let mut h = header.clone();
            h["kid"] = json!(format!("made-up-{sent}-{i}"));
            let forged = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(h.to_string()));
            let c = c.clone();
            let url = resource.at("/api/orders");
            async move { c.get(url).bearer_auth(forged).send().await.map(|r| r.status().as_u16()) }
        });
        for status in futures_util::future::join_all(batch).await {
            assert_eq!(status.expect("an answer"), 401, "an unknown kid is refused");
        }
        sent += 20;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let refetches = counter(&c, &resource, "authlab_jwks_refetches_total", &[]).await;
    let refused = counter(&c, &resource, "authlab_jwks_refetches_refused_total", &[]).await;
    assert!(refetches <= elapsed.ceil(), "{refetches} refetches in {elapsed:.1} s of {sent} made-up kids");
    assert!(refused >= f64::from(sent) - refetches, "{refused} refused of {sent}");
    assert_eq!(jwks_served(&c, &issuer).await, 1.0 + refetches, "the issuer saw only those fetches");
    // The real token still works.
    assert_eq!(orders_with_token(&c, &resource, &token).await.status().as_u16(), 200);
}

/// A session node with introspection on, and a resource node that asks it.
fn session_pair() -> (Node, Node) {
    let session = node("session", &["--introspect-token", INTROSPECT]);
    let url = session.at("/introspect");
    let resource = node("resource", &["--introspect-url", &url, "--introspect-token", INTROSPECT]);
    (session, resource)
}

async fn login_sid(c: &reqwest::Client, session: &Node, i: usize) -> String {
    let (u, p) = &creds()[i];
    let r = login(c, session, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "login {u}");
    sid_cookie(&r).value
}

async fn introspections_served(c: &reqwest::Client, session: &Node) -> f64 {
    counter(c, session, "authlab_requests_total", &[("route", "/introspect")]).await
}

#[tokio::test]
async fn a_session_cookie_is_accepted_by_asking_the_session_node_on_every_request_until_logout() {
    let c = client();
    let (session, resource) = session_pair();
    let sid = login_sid(&c, &session, 5).await;
    for n in 1..=10 {
        let r = orders_with_cookie(&c, &resource, &sid).await;
        assert_eq!(r.status().as_u16(), 200);
        let body: Value = r.json().await.expect("JSON");
        assert_eq!(
            (body["user"].as_str(), body["checked_by"].as_str()),
            (Some(creds()[5].0.as_str()), Some("introspection"))
        );
        assert_eq!(introspections_served(&c, &session).await, f64::from(n), "one introspection per request");
    }
    assert_eq!(counter(&c, &resource, "authlab_introspections_total", &[]).await, 10.0);
    assert_eq!(counter(&c, &resource, "authlab_issuer_calls_total", &[]).await, 10.0);

    let r = c.post(session.at("/logout")).header("cookie", format!("sid={sid}")).send().await.expect("logout");
    assert_eq!(r.status().as_u16(), 204);
    expect_error(orders_with_cookie(&c, &resource, &sid).await, 401, "the session was logged out").await;
    assert_eq!(introspections_served(&c, &session).await, 11.0, "the refusal was the issuer's answer too");
    // A made-up id is refused the same way; one that cannot be a session id is not even forwarded.
    expect_error(orders_with_cookie(&c, &resource, "AAAAAAAAAAAAAAAAAAAAAA").await, 401, "made-up sid").await;
    expect_error(orders_with_cookie(&c, &resource, "not/a/sid").await, 401, "garbage sid").await;
    assert_eq!(introspections_served(&c, &session).await, 12.0);
}

#[tokio::test]
async fn introspection_is_closed_without_its_secret_and_answers_rfc_7662() {
    let c = client();
    let (session, _resource) = session_pair();
    let sid = login_sid(&c, &session, 6).await;
    let ask = |token: Option<&'static str>, body: String| {
        let mut request =
            c.post(session.at("/introspect")).header("content-type", "application/x-www-form-urlencoded").body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    expect_error(ask(None, format!("token={sid}")).await.expect("POST"), 401, "no secret").await;
    expect_error(ask(Some(ADMIN), format!("token={sid}")).await.expect("POST"), 401, "a wrong secret").await;
    expect_error(ask(Some(INTROSPECT), "nothing=1".into()).await.expect("POST"), 400, "no token field").await;
    let live: Value = ask(Some(INTROSPECT), format!("token={sid}")).await.expect("POST").json().await.expect("JSON");
    assert_eq!((live["active"].as_bool(), live["sub"].as_str()), (Some(true), Some(creds()[6].0.as_str())), "{live}");
    assert!(live["exp"].as_i64().is_some(), "{live}");
    let dead: Value = ask(Some(INTROSPECT), "token=nope".into()).await.expect("POST").json().await.expect("JSON");
    assert_eq!(dead, json!({"active": false}));

    let closed = node("session", &[]);
    let r = c.post(closed.at("/introspect")).bearer_auth(INTROSPECT).body(format!("token={sid}")).send().await;
    expect_error(r.expect("POST"), 404, "no --introspect-token, no endpoint").await;
}

#[test]
fn a_resource_node_must_be_told_whom_to_trust() {
    let e = Node::try_start(&["--strategy", "resource"]).err().expect("refused to start");
    assert!(e.contains("--jwks-url, --introspect-url, or both"), "{e}");
    let e = Node::try_start(&["--strategy", "resource", "--introspect-url", "http://127.0.0.1:9/introspect"])
        .err()
        .expect("refused to start");
    assert!(e.contains("--introspect-token"), "{e}");
}

/// The built-in scenario, shortened: the headline effect in the summary, the table and the recording.
#[test]
fn second_service_scenario_costs_the_issuer_one_call_per_session_request_and_nothing_per_token_request() {
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/second-service.toml");
    let summary = TempFile::with_contents("summary.json", "");
    let recording = TempFile::with_contents("recording.jsonl", "");
    let output = std::process::Command::new(BIN)
        .args(["run", scenario, "--duration", "4s"])
        .args(["--summary-json", summary.path_str(), "--out", recording.path_str()])
        .output()
        .expect("authlab run starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "authlab run failed: {}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&summary.path).expect("summary")).expect("JSON");
    let strategy = |name: &str| json["strategies"][name].clone();
    let figure = |name: &str, path: &[&str]| {
        path.iter().fold(strategy(name), |v, key| v[*key].clone()).as_u64().unwrap_or_else(|| panic!("{name}.{path:?}"))
    };
    for name in ["session", "token"] {
        let requests = figure(name, &["resource", "requests"]);
        assert!(requests > 200, "{name}: {requests} requests reached the resource service");
        let driver = figure(name, &["requests", "ok"]) + figure(name, &["requests", "failed"]);
        assert_eq!(
            figure(name, &["server_requests"]),
            driver,
            "{name}: the nodes, resource included, counted every request"
        );
        assert_eq!(figure(name, &["requests", "failed"]), 0, "{name}: nothing failed");
    }
    let (session_requests, session_calls) =
        (figure("session", &["resource", "requests"]), figure("session", &["resource", "issuer_calls"]));
    assert!(
        session_calls.abs_diff(session_requests) <= session_requests / 50 + 2,
        "{session_calls} calls for {session_requests} requests"
    );
    assert!(figure("token", &["resource", "issuer_calls"]) <= 2, "token: the JWKS fetch only: {}", strategy("token"));
    let p50 = |name: &str| figure(name, &["latency_us", "p50"]);
    assert!(
        p50("session") > p50("token"),
        "the call back costs latency: session p50 {} µs, token {} µs",
        p50("session"),
        p50("token")
    );

    assert!(stdout.contains("issuer calls"), "the closing table shows the issuer's load:\n{stdout}");
    let recorded = authlab::recording::Recording::open(&recording.path).expect("the recording reads");
    let with_resource = recorded.ticks().iter().filter(|t| t.strategies.values().all(|s| s.resource.is_some())).count();
    assert!(with_resource > 0 && with_resource == recorded.ticks().len(), "every tick carries the resource figures");
}
