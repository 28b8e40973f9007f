//! The HTTP contract of a session node with the memory store (`--strategy session --store memory`).
use crate::support::*;
use std::sync::OnceLock;
use std::time::Duration;

const SEED: u64 = 42;
const USERS: usize = 100;

fn creds() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| users_csv(SEED, USERS))
}

fn session_node(extra: &[&str]) -> Node {
    let users = USERS.to_string();
    let seed = SEED.to_string();
    let mut args = vec![
        "--strategy",
        "session",
        "--store",
        "memory",
        "--seed",
        &seed,
        "--users",
        &users,
        "--password-hash",
        "sha256",
    ];
    args.extend_from_slice(extra);
    Node::start(&args)
}

/// Log in user `i`, assert 200, return the sid cookie value.
async fn login_sid(c: &reqwest::Client, node: &Node, i: usize) -> String {
    let (u, p) = &creds()[i];
    let r = login(c, node, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "login {u}");
    sid_cookie(&r).value
}

async fn profile(c: &reqwest::Client, node: &Node, cookie: Option<&str>) -> reqwest::Response {
    let mut req = c.get(node.at("/api/profile"));
    if let Some(ck) = cookie {
        req = req.header("cookie", ck);
    }
    req.send().await.expect("GET /api/profile")
}

async fn profile_status(c: &reqwest::Client, node: &Node, sid: &str) -> u16 {
    profile(c, node, Some(&format!("sid={sid}"))).await.status().as_u16()
}

async fn logout(c: &reqwest::Client, node: &Node, sid: &str) -> reqwest::Response {
    c.post(node.at("/logout")).header("cookie", format!("sid={sid}")).send().await.expect("POST /logout")
}

async fn sessions_gauge(c: &reqwest::Client, node: &Node) -> f64 {
    let m = metrics_text(c, node).await;
    metric(&m, "authlab_sessions", &[]).expect("authlab_sessions in /metrics")
}

/// A random-looking, well-formed id the server never issued.
fn forged_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect::<String>()[..43].to_string()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn login_sets_sid_cookie_with_the_contract_flags() {
    let node = session_node(&[]);
    let c = client();
    let (u, p) = &creds()[3];
    let r = login(&c, &node, u, p).await;
    assert_eq!(r.status().as_u16(), 200);
    let ck = sid_cookie(&r);
    let body: serde_json::Value = r.json().await.expect("login body is JSON");
    assert!(body.get("user").is_some(), "login body has \"user\": {body}");
    assert!(body.to_string().contains(u.as_str()), "login body names the user: {body}");

    assert_eq!(ck.name, "sid");
    assert!(ck.has("HttpOnly"), "HttpOnly missing: {}", ck.raw);
    assert_eq!(
        ck.attr("SameSite").map(|s| s.to_ascii_lowercase()),
        Some("strict".into()),
        "SameSite=Strict missing: {}",
        ck.raw
    );
    assert_eq!(ck.attr("Path"), Some("/"), "Path=/ missing: {}", ck.raw);
    assert!(!ck.has("Secure"), "Secure must be off by default: {}", ck.raw);
    let max_age: i64 = ck
        .attr("Max-Age")
        .unwrap_or_else(|| panic!("Max-Age missing: {}", ck.raw))
        .parse()
        .expect("Max-Age is a number");
    assert!(max_age > 0, "Max-Age must be positive at login: {}", ck.raw);
    // At least 128 bits: even at 6 bits/char that is 22 characters.
    assert!(ck.value.len() >= 22, "session id too short for 128 bits: {:?}", ck.value);
    assert!(
        ck.value.chars().all(|ch| ch.is_ascii_graphic() && ch != ';' && ch != ',' && ch != '"'),
        "session id has characters unsafe in a cookie: {:?}",
        ck.value
    );
}

#[tokio::test]
async fn secure_cookie_flag_adds_secure() {
    let node = session_node(&["--secure-cookie"]);
    let c = client();
    let (u, p) = &creds()[0];
    let r = login(&c, &node, u, p).await;
    assert_eq!(r.status().as_u16(), 200);
    let ck = sid_cookie(&r);
    assert!(ck.has("Secure"), "Secure missing with --secure-cookie: {}", ck.raw);
    assert!(ck.has("HttpOnly"), "HttpOnly missing: {}", ck.raw);
}

#[tokio::test]
async fn session_id_is_fresh_at_every_login_and_never_adopted() {
    let node = session_node(&[]);
    let c = client();
    let (u, p) = &creds()[5];

    let a = login_sid(&c, &node, 5).await;
    let b = login_sid(&c, &node, 5).await;
    assert_ne!(a, b, "two logins of the same user got the same id");

    // Logging in while presenting an existing (valid) session id: a new id is issued.
    let r = c
        .post(node.at("/login"))
        .header("cookie", format!("sid={b}"))
        .json(&serde_json::json!({"username": u, "password": p}))
        .send()
        .await
        .expect("login with an old cookie");
    assert_eq!(r.status().as_u16(), 200);
    let fresh = sid_cookie(&r).value;
    assert_ne!(fresh, b, "the id the client already had was adopted at login (session fixation)");
    assert_ne!(fresh, a);

    // Logging in while presenting an attacker-chosen id: it is never adopted.
    let forged = forged_id();
    let r = c
        .post(node.at("/login"))
        .header("cookie", format!("sid={forged}"))
        .json(&serde_json::json!({"username": u, "password": p}))
        .send()
        .await
        .expect("login with a forged cookie");
    assert_eq!(r.status().as_u16(), 200);
    let issued = sid_cookie(&r).value;
    assert_ne!(issued, forged, "an attacker-chosen id was adopted (session fixation)");
    assert_eq!(profile_status(&c, &node, &forged).await, 401, "the forged id became a session");
    assert_eq!(profile_status(&c, &node, &issued).await, 200, "the issued id works");
}

#[tokio::test]
async fn profile_needs_a_valid_session() {
    let node = session_node(&[]);
    let c = client();
    let (u, _) = &creds()[7];
    let sid = login_sid(&c, &node, 7).await;

    let r = profile(&c, &node, Some(&format!("sid={sid}"))).await;
    assert_eq!(r.status().as_u16(), 200, "profile with a valid cookie");
    let body: serde_json::Value = r.json().await.expect("profile body is JSON");
    assert_eq!(body["strategy"], "session", "profile body: {body}");
    assert!(body.get("user").is_some(), "profile body has \"user\": {body}");
    assert!(body.to_string().contains(u.as_str()), "profile names the user: {body}");

    // The sid among other cookies still works.
    let r = profile(&c, &node, Some(&format!("theme=dark; sid={sid}; lang=ko"))).await;
    assert_eq!(r.status().as_u16(), 200, "sid among other cookies");

    expect_error(profile(&c, &node, None).await, 401, "no cookie").await;
    expect_error(profile(&c, &node, Some(&format!("sid={}", forged_id()))).await, 401, "forged id").await;
    // The right id under another cookie name is not a session cookie.
    expect_error(profile(&c, &node, Some(&format!("session={sid}"))).await, 401, "id under another name").await;
    // A prefix / an extension of a real id is not that id.
    let prefix = &sid[..sid.len() - 1];
    expect_error(profile(&c, &node, Some(&format!("sid={prefix}"))).await, 401, "truncated id").await;
    expect_error(profile(&c, &node, Some(&format!("sid={sid}A"))).await, 401, "extended id").await;
    for garbage in ["sid=", "sid", "garbage", "sid=;;;===", "sid=%00%ff", "=sid", "sid=\"\""] {
        expect_error(profile(&c, &node, Some(garbage)).await, 401, &format!("garbage cookie {garbage:?}")).await;
    }
    let long = format!("sid={}", "A".repeat(20_000));
    expect_error(profile(&c, &node, Some(&long)).await, 401, "20 KB cookie").await;
    let long_many = (0..2000).map(|i| format!("c{i}=v")).collect::<Vec<_>>().join("; ");
    expect_error(profile(&c, &node, Some(&long_many)).await, 401, "2000 cookies without sid").await;

    // The node still works after all that.
    assert_eq!(profile_status(&c, &node, &sid).await, 200, "valid cookie after the garbage");
}

#[tokio::test]
async fn logout_deletes_the_session_and_the_old_cookie_is_refused() {
    let node = session_node(&[]);
    let c = client();
    let sid = login_sid(&c, &node, 9).await;
    let other = login_sid(&c, &node, 10).await;
    assert_eq!(profile_status(&c, &node, &sid).await, 200);

    let r = logout(&c, &node, &sid).await;
    assert_eq!(r.status().as_u16(), 204, "logout status");
    // The cookie is removed on the client: an expired / emptied sid cookie.
    let cleared = set_cookies(&r).into_iter().find(|ck| ck.name == "sid");
    let cleared = cleared.expect("logout sends a Set-Cookie that removes sid");
    assert!(
        cleared.value.is_empty() || cleared.attr("Max-Age") == Some("0") || cleared.has("Expires"),
        "logout Set-Cookie does not remove the cookie: {}",
        cleared.raw
    );

    // Reuse after logout: the server deleted the session, so replaying the cookie fails.
    expect_error(profile(&c, &node, Some(&format!("sid={sid}"))).await, 401, "cookie reused after logout").await;
    // Other sessions are untouched.
    assert_eq!(profile_status(&c, &node, &other).await, 200, "another user's session after logout");
}

#[tokio::test]
async fn wrong_credentials_are_401() {
    let node = session_node(&[]);
    let c = client();
    let (u, p) = &creds()[1];
    let r = login(&c, &node, u, &format!("{p}x")).await;
    assert!(set_cookies(&r).iter().all(|ck| ck.name != "sid" || ck.value.is_empty()), "sid set on a failed login");
    expect_error(r, 401, "wrong password").await;
    expect_error(login(&c, &node, u, "").await, 401, "empty password").await;
    expect_error(login(&c, &node, "nobody", p).await, 401, "unknown user").await;
    expect_error(login(&c, &node, &format!("user{:07}", USERS + 5), p).await, 401, "user beyond --users").await;
    expect_error(login(&c, &node, "", "").await, 401, "empty username").await;
}

#[tokio::test]
async fn malformed_and_oversized_bodies() {
    let node = session_node(&[]);
    let c = client();
    let post = |body: String| c.post(node.at("/login")).header("content-type", "application/json").body(body).send();
    let r = post("{\"username\":".into()).await.expect("malformed JSON");
    expect_error(r, 400, "malformed JSON").await;
    let r = post("not json at all".into()).await.expect("not JSON");
    expect_error(r, 400, "not JSON").await;
    let r = post("{\"username\":\"user0000000\"}".into()).await.expect("missing password");
    expect_error(r, 400, "missing password field").await;
    let r = post("{\"password\":\"x\"}".into()).await.expect("missing username");
    expect_error(r, 400, "missing username field").await;
    let r = post("{\"username\":123,\"password\":[]}".into()).await.expect("wrong types");
    expect_error(r, 400, "fields of the wrong type").await;
    let r = post(String::new()).await.expect("empty body");
    expect_error(r, 400, "empty body").await;

    // Just under 64 KiB is read (valid JSON padded with whitespace; wrong credentials): 401, not 413.
    let under = format!("{{\"username\": \"user0000000\",{} \"password\": \"wrong\"}}", " ".repeat(60_000));
    assert!(under.len() < 64 * 1024);
    let r = post(under).await.expect("60 KB body");
    expect_error(r, 401, "60 KB body with a wrong password").await;

    // Over 64 KiB: 413.
    let over = serde_json::json!({"username": "user0000000", "password": "p".repeat(70_000)}).to_string();
    assert!(over.len() > 64 * 1024);
    let r = post(over).await.expect("70 KB body");
    expect_error(r, 413, "body over 64 KiB").await;

    // The node is still healthy.
    let r = c.get(node.at("/healthz")).send().await.expect("healthz");
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn routes_unknown_and_wrong_method_and_token_only_routes() {
    let node = session_node(&[]);
    let c = client();

    let r = c.get(node.at("/healthz")).send().await.expect("healthz");
    assert_eq!(r.status().as_u16(), 200);
    let h: serde_json::Value = r.json().await.expect("healthz JSON");
    assert_eq!(h["status"], "ok", "healthz body {h}");

    expect_error(c.get(node.at("/nope")).send().await.expect("GET /nope"), 404, "unknown route").await;
    expect_error(c.post(node.at("/api/nope")).send().await.expect("POST /api/nope"), 404, "unknown route").await;
    expect_error(c.get(node.at("/api/profile/extra")).send().await.expect("extra segment"), 404, "unknown sub-route")
        .await;

    expect_error(c.get(node.at("/login")).send().await.expect("GET /login"), 405, "GET /login").await;
    expect_error(c.post(node.at("/api/profile")).send().await.expect("POST /api/profile"), 405, "POST /api/profile")
        .await;
    expect_error(c.get(node.at("/logout")).send().await.expect("GET /logout"), 405, "GET /logout").await;
    expect_error(c.delete(node.at("/metrics")).send().await.expect("DELETE /metrics"), 405, "DELETE /metrics").await;

    // Token-only routes do not exist on a session node.
    let r = c
        .post(node.at("/refresh"))
        .json(&serde_json::json!({"refresh_token": "x"}))
        .send()
        .await
        .expect("POST /refresh");
    expect_error(r, 404, "/refresh on a session node").await;
    let r = c.get(node.at("/.well-known/jwks.json")).send().await.expect("jwks");
    expect_error(r, 404, "jwks on a session node").await;
}

#[tokio::test]
async fn metrics_names_and_counts() {
    let node = session_node(&[]);
    let c = client();

    let m0 = metrics_text(&c, &node).await;
    assert_eq!(metric(&m0, "authlab_sessions", &[]), Some(0.0), "no sessions at start");

    let s: Vec<String> = futures_join(&c, &node, &[20, 21, 22]).await;
    let (u, p) = &creds()[23];
    expect_error(login(&c, &node, u, &format!("{p}-wrong")).await, 401, "failed login").await;
    assert_eq!(profile_status(&c, &node, &s[0]).await, 200);
    let _ = c.get(node.at("/nope")).send().await.expect("GET /nope");

    let m = metrics_text(&c, &node).await;
    assert_eq!(metric(&m, "authlab_sessions", &[]), Some(3.0), "sessions after 3 logins:\n{m}");
    assert_eq!(
        metric(&m, "authlab_requests_total", &[("route", "/login"), ("status", "200")]),
        Some(3.0),
        "requests_total for 3 successful logins:\n{m}"
    );
    assert_eq!(
        metric(&m, "authlab_requests_total", &[("route", "/login"), ("status", "401")]),
        Some(1.0),
        "requests_total for 1 failed login:\n{m}"
    );
    assert_eq!(
        metric(&m, "authlab_requests_total", &[("route", "/api/profile"), ("status", "200")]),
        Some(1.0),
        "requests_total for the profile request:\n{m}"
    );
    assert!(
        metric(&m, "authlab_requests_total", &[("route", "unmatched")]).unwrap_or(0.0) >= 1.0,
        "unknown routes count as route=\"unmatched\":\n{m}"
    );
    assert_eq!(metric(&m, "authlab_logins_total", &[("result", "ok")]), Some(3.0), "logins ok:\n{m}");
    assert_eq!(metric(&m, "authlab_logins_total", &[("result", "failed")]), Some(1.0), "logins failed:\n{m}");
    assert!(metric(&m, "authlab_store_ops_total", &[("op", "create")]).unwrap_or(0.0) >= 3.0, "store create ops:\n{m}");
    assert!(metric(&m, "authlab_store_ops_total", &[("op", "load")]).unwrap_or(0.0) >= 1.0, "store load ops:\n{m}");
    assert!(metric(&m, "authlab_session_bytes", &[]).unwrap_or(0.0) > 0.0, "session bytes with 3 sessions:\n{m}");
    assert!(metric(&m, "authlab_heap_bytes", &[]).unwrap_or(0.0) > 0.0, "heap bytes:\n{m}");
    assert!(metric(&m, "authlab_rss_bytes", &[]).unwrap_or(0.0) > 0.0, "rss bytes:\n{m}");
    assert!(
        metric(&m, "authlab_auth_check_seconds_count", &[]).unwrap_or(0.0) >= 1.0,
        "auth check histogram count:\n{m}"
    );

    let r = logout(&c, &node, &s[1]).await;
    assert_eq!(r.status().as_u16(), 204);
    let m2 = metrics_text(&c, &node).await;
    assert_eq!(metric(&m2, "authlab_sessions", &[]), Some(2.0), "sessions after one logout:\n{m2}");
    assert!(
        metric(&m2, "authlab_store_ops_total", &[("op", "delete")]).unwrap_or(0.0) >= 1.0,
        "store delete ops:\n{m2}"
    );

    // Every metric name the docs list is exposed.
    for name in [
        "authlab_requests_total",
        "authlab_heap_bytes",
        "authlab_rss_bytes",
        "authlab_cpu_seconds_total",
        "authlab_sessions",
        "authlab_session_bytes",
        "authlab_sessions_evicted_total",
        "authlab_sessions_expired_total",
        "authlab_store_ops_total",
        "authlab_auth_check_seconds_bucket",
        "authlab_auth_check_seconds_sum",
        "authlab_auth_check_seconds_count",
        "authlab_logins_total",
    ] {
        assert!(has_metric(&m2, name), "metric {name} missing from /metrics:\n{m2}");
    }
    // The histogram has an le="+Inf" bucket equal to its count.
    let inf = metric(&m2, "authlab_auth_check_seconds_bucket", &[("le", "+Inf")]).expect("+Inf bucket");
    let count = metric(&m2, "authlab_auth_check_seconds_count", &[]).expect("histogram count");
    assert_eq!(inf, count, "+Inf bucket must equal _count");
}

/// Log in several users one after the other; returns their sids.
async fn futures_join(c: &reqwest::Client, node: &Node, idx: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    for &i in idx {
        out.push(login_sid(c, node, i).await);
    }
    out
}

#[tokio::test]
async fn sessions_expire_after_ttl_and_are_purged() {
    let node = session_node(&["--ttl", "1s", "--purge-interval", "200ms"]);
    let c = client();
    let sid = login_sid(&c, &node, 30).await;
    let _sid2 = login_sid(&c, &node, 31).await;
    assert_eq!(profile_status(&c, &node, &sid).await, 200, "fresh session");
    assert_eq!(sessions_gauge(&c, &node).await, 2.0);

    tokio::time::sleep(Duration::from_millis(2500)).await;
    // The background purge removed both, without any request touching them.
    let m = metrics_text(&c, &node).await;
    assert_eq!(metric(&m, "authlab_sessions", &[]), Some(0.0), "sessions after the TTL:\n{m}");
    assert!(
        metric(&m, "authlab_sessions_expired_total", &[]).unwrap_or(0.0) >= 2.0,
        "expired counter after the TTL:\n{m}"
    );
    expect_error(profile(&c, &node, Some(&format!("sid={sid}"))).await, 401, "expired session").await;
}

#[tokio::test]
async fn memory_limit_evicts_the_oldest_sessions() {
    let node = session_node(&["--payload-bytes", "1000", "--max-memory", "20KiB"]);
    let c = client();
    let mut sids = Vec::new();
    for i in 0..60 {
        sids.push(login_sid(&c, &node, i).await);
    }
    for (i, sid) in sids.iter().enumerate().take(10) {
        assert_eq!(profile_status(&c, &node, sid).await, 401, "session {i} (old) should have been evicted");
    }
    for (i, sid) in sids.iter().enumerate().skip(57) {
        assert_eq!(profile_status(&c, &node, sid).await, 200, "session {i} (recent) should be alive");
    }
    let m = metrics_text(&c, &node).await;
    let evicted = metric(&m, "authlab_sessions_evicted_total", &[]).expect("evicted counter");
    assert!(evicted > 0.0, "evicted counter is {evicted}");
    let held = metric(&m, "authlab_sessions", &[]).expect("sessions gauge");
    assert!((3.0..25.0).contains(&held), "sessions held under a 20 KiB limit with 1000-byte payloads: {held}");
    assert_eq!(held + evicted, 60.0, "held + evicted = logins");
    let bytes = metric(&m, "authlab_session_bytes", &[]).expect("session bytes gauge");
    assert!(bytes <= 20.0 * 1024.0, "session bytes {bytes} over the 20 KiB limit");
    assert!(bytes >= held * 1000.0, "session bytes {bytes} smaller than the payloads of {held} sessions");
}

#[tokio::test]
async fn sigterm_exits_cleanly_with_status_0() {
    let mut node = session_node(&[]);
    let c = client();
    let _sid = login_sid(&c, &node, 40).await;
    let status = node.terminate().expect("node did not exit within 5 s of SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status:?}\nstderr:\n{}", node.stderr_text());
}

#[tokio::test]
async fn argon2id_login_works() {
    // Default password hash (argon2id); few users because argon2 is deliberately slow.
    let rows = users_csv(SEED, 3);
    let node = Node::start(&["--strategy", "session", "--seed", "42", "--users", "3"]);
    let c = client();
    let (u, p) = &rows[2];
    let r = login(&c, &node, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "argon2id login");
    let sid = sid_cookie(&r).value;
    assert_eq!(profile_status(&c, &node, &sid).await, 200);
    expect_error(login(&c, &node, u, "wrong").await, 401, "argon2id wrong password").await;
}
