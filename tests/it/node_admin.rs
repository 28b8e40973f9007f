//! The admin API of a node (`--admin-token-file`), as the lab's supervisor uses it: revoking a user on
//! session nodes (memory and Redis) and token nodes, and rotating a token cluster's keys.
use std::sync::OnceLock;
use std::time::Duration;

use crate::support::*;
use authlab::token::keys::KeySet;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const ADMIN: &str = "admin-secret-for-tests";
const USERS: usize = 20;
const PREFIX: &str = "authlab:admintest:";

fn creds() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| users_csv(42, USERS))
}

fn node(strategy: &str, extra: &[&str]) -> Node {
    let mut args = vec!["--strategy", strategy, "--seed", "42", "--users", "20", "--password-hash", "sha256"];
    args.extend_from_slice(extra);
    Node::start(&args)
}

async fn admin_post(
    c: &reqwest::Client,
    node: &Node,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut request = c.post(node.at(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

async fn revoke_user(c: &reqwest::Client, node: &Node, user: &str) -> u64 {
    let r = admin_post(c, node, "/admin/revoke_user", Some(ADMIN), json!({"user": user})).await;
    assert_eq!(r.status().as_u16(), 200, "revoke_user {user}");
    let body: Value = r.json().await.expect("revoke_user answers JSON");
    body["revoked"].as_u64().unwrap_or_else(|| panic!("no revoked count in {body}"))
}

async fn login_sid(c: &reqwest::Client, node: &Node, i: usize) -> String {
    let (u, p) = &creds()[i];
    let r = login(c, node, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "login {u}");
    sid_cookie(&r).value
}

async fn cookie_status(c: &reqwest::Client, node: &Node, sid: &str) -> u16 {
    let r = c.get(node.at("/api/profile")).header("cookie", format!("sid={sid}")).send().await;
    r.expect("GET /api/profile").status().as_u16()
}

/// (access token, refresh token) of a login on a token node.
async fn login_token(c: &reqwest::Client, node: &Node, i: usize) -> (String, String) {
    let (u, p) = &creds()[i];
    let r = login(c, node, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "login {u}");
    let body: Value = r.json().await.expect("login answers JSON");
    let field = |name: &str| body[name].as_str().unwrap_or_else(|| panic!("no {name} in {body}")).to_owned();
    (field("access_token"), field("refresh_token"))
}

async fn bearer_status(c: &reqwest::Client, node: &Node, token: &str) -> u16 {
    let r = c.get(node.at("/api/profile")).bearer_auth(token).send().await;
    r.expect("GET /api/profile").status().as_u16()
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().expect("a JWT header");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url header"))
        .expect("the JWT header is JSON");
    header["kid"].as_str().expect("a kid").to_owned()
}

/// Sleeps until the wall clock is past the current second, so that a token issued next has a later `iat`.
async fn next_second() {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    tokio::time::sleep(Duration::from_nanos(1_000_000_000 - u64::from(now.subsec_nanos())) + Duration::from_millis(50))
        .await;
}

#[tokio::test]
async fn admin_routes_are_404_without_a_token_and_401_with_a_wrong_one() {
    let c = client();
    for strategy in ["session", "token"] {
        let closed = node(strategy, &[]);
        for path in ["/admin/revoke_user", "/admin/reload_keys"] {
            let r = admin_post(&c, &closed, path, Some(ADMIN), json!({"user": "user0000000"})).await;
            expect_error(r, 404, &format!("{strategy} node without --admin-token-file: {path}")).await;
        }

        let admin = admin_token_file(ADMIN);
        let open = node(strategy, &["--admin-token-file", admin.path_str(), "--configured"]);
        let body = json!({"user": "user0000000"});
        let r = admin_post(&c, &open, "/admin/revoke_user", None, body.clone()).await;
        expect_error(r, 401, &format!("{strategy}: no admin token")).await;
        let r = admin_post(&c, &open, "/admin/revoke_user", Some("admin-secret-for-test"), body.clone()).await;
        expect_error(r, 401, &format!("{strategy}: a wrong admin token")).await;
        let r = admin_post(&c, &open, "/admin/revoke_user", Some(&format!("{ADMIN}x")), body.clone()).await;
        expect_error(r, 401, &format!("{strategy}: a longer admin token")).await;
        let r = admin_post(&c, &open, "/admin/revoke_user", Some(ADMIN), json!({"name": "x"})).await;
        expect_error(r, 400, &format!("{strategy}: a malformed revoke_user body")).await;
        assert_eq!(revoke_user(&c, &open, "nobody").await, 0);

        let text = metrics_text(&c, &open).await;
        let labels = [("route", "/admin/revoke_user"), ("status", "401")];
        assert_eq!(
            metric(&text, "authlab_requests_total", &labels),
            Some(3.0),
            "admin requests keep their route label"
        );
    }
}

#[tokio::test]
async fn revoke_user_logs_out_every_session_of_a_memory_node_user() {
    let c = client();
    let admin = admin_token_file(ADMIN);
    let node = node("session", &["--admin-token-file", admin.path_str(), "--configured"]);
    let (first, second, other) =
        (login_sid(&c, &node, 0).await, login_sid(&c, &node, 0).await, login_sid(&c, &node, 1).await);
    assert_ne!(first, second, "each login is a fresh session");
    for sid in [&first, &second, &other] {
        assert_eq!(cookie_status(&c, &node, sid).await, 200);
    }
    assert_eq!(revoke_user(&c, &node, &creds()[0].0).await, 2);
    assert_eq!(cookie_status(&c, &node, &first).await, 401, "the first session of the revoked user");
    assert_eq!(cookie_status(&c, &node, &second).await, 401, "the second session of the revoked user");
    assert_eq!(cookie_status(&c, &node, &other).await, 200, "another user's session stays");
    let text = metrics_text(&c, &node).await;
    assert_eq!(metric(&text, "authlab_sessions", &[]), Some(1.0));
    // The user can log in again.
    let again = login_sid(&c, &node, 0).await;
    assert_eq!(cookie_status(&c, &node, &again).await, 200);
}

#[tokio::test]
async fn revoke_user_on_a_redis_node_deletes_the_sessions_and_keeps_keys_under_the_prefix() {
    let Some(redis) = PrivateRedis::start() else { return };
    let c = client();
    let url = redis.url();
    let admin = admin_token_file(ADMIN);
    let mut node = node(
        "session",
        &[
            "--store",
            &url,
            "--key-prefix",
            PREFIX,
            "--cleanup-on-exit",
            "--admin-token-file",
            admin.path_str(),
            "--configured",
        ],
    );
    let (first, second, other) =
        (login_sid(&c, &node, 0).await, login_sid(&c, &node, 0).await, login_sid(&c, &node, 1).await);
    let user_set = format!("{PREFIX}user:{}", creds()[0].0);
    assert!(redis.exists(&user_set), "the user's sessions are listed in {user_set}");
    match redis.cmd(&["TTL", &user_set]) {
        Resp::Int(ttl) => assert!(ttl > 0, "the user set expires (TTL {ttl})"),
        other => panic!("TTL returned {other:?}"),
    }
    for key in redis.all_keys() {
        assert!(key.starts_with(PREFIX), "key {key:?} is outside the prefix {PREFIX:?}");
    }

    assert_eq!(revoke_user(&c, &node, &creds()[0].0).await, 2);
    assert_eq!(cookie_status(&c, &node, &first).await, 401);
    assert_eq!(cookie_status(&c, &node, &second).await, 401);
    assert_eq!(cookie_status(&c, &node, &other).await, 200, "another user's session stays");
    assert!(!redis.exists(&user_set), "the user's set is gone");
    assert!(!redis.exists(&format!("{PREFIX}{first}")) && !redis.exists(&format!("{PREFIX}{second}")));

    assert!(node.terminate().is_some_and(|s| s.success()), "the node exits cleanly");
    assert_eq!(redis.all_keys(), Vec::<String>::new(), "cleanup-on-exit leaves no key behind");
}

#[tokio::test]
async fn revoke_user_on_a_token_node_refuses_older_tokens_of_that_user_only() {
    let c = client();
    let admin = admin_token_file(ADMIN);
    let node = node("token", &["--admin-token-file", admin.path_str(), "--configured", "--revocation", "denylist"]);
    let (old, refresh) = login_token(&c, &node, 0).await;
    let (other, other_refresh) = login_token(&c, &node, 1).await;
    assert_eq!(bearer_status(&c, &node, &old).await, 200);

    assert_eq!(revoke_user(&c, &node, &creds()[0].0).await, 1, "the user's one refresh family");
    assert_eq!(bearer_status(&c, &node, &old).await, 401, "the revoked user's token");
    let r = c.post(node.at("/refresh")).json(&json!({"refresh_token": refresh})).send().await.expect("POST /refresh");
    expect_error(r, 401, "the revoked user's refresh token").await;
    assert_eq!(bearer_status(&c, &node, &other).await, 200, "another user's token");
    let r = c.post(node.at("/refresh")).json(&json!({"refresh_token": other_refresh})).send().await;
    assert_eq!(r.expect("POST /refresh").status().as_u16(), 200, "another user's refresh token");
    let text = metrics_text(&c, &node).await;
    assert_eq!(metric(&text, "authlab_revoked_subjects", &[]), Some(1.0));

    next_second().await;
    let (fresh, _) = login_token(&c, &node, 0).await;
    assert_eq!(bearer_status(&c, &node, &fresh).await, 200, "a token issued after the revocation second");
}

#[tokio::test]
async fn without_a_denylist_a_revoked_users_access_token_works_until_it_expires() {
    let c = client();
    let admin = admin_token_file(ADMIN);
    let node = node("token", &["--admin-token-file", admin.path_str(), "--configured"]);
    let (token, refresh) = login_token(&c, &node, 0).await;
    assert_eq!(revoke_user(&c, &node, &creds()[0].0).await, 1, "the user's one refresh family");
    assert_eq!(bearer_status(&c, &node, &token).await, 200, "no denylist: the access token still works");
    let r = c.post(node.at("/refresh")).json(&json!({"refresh_token": refresh})).send().await.expect("POST /refresh");
    expect_error(r, 401, "but the refresh token is server state, and is refused").await;
    let text = metrics_text(&c, &node).await;
    assert_eq!(metric(&text, "authlab_revoked_subjects", &[]), Some(0.0));
}

#[tokio::test]
async fn reload_keys_rotates_a_token_node_keys_without_a_restart() {
    let c = client();
    let (a, b) = (
        KeySet::generate(authlab::token::keys::Alg::HS256).unwrap(),
        KeySet::generate(authlab::token::keys::Alg::ES256).unwrap(),
    );
    let (kid_a, kid_b) = (a.current_kid().to_owned(), b.current_kid().to_owned());
    let file = TempFile::with_contents("keys.json", &key_file_text(&[&a]));
    let admin = admin_token_file(ADMIN);
    let node = node("token", &["--keys", file.path_str(), "--admin-token-file", admin.path_str(), "--configured"]);
    let reload = || admin_post(&c, &node, "/admin/reload_keys", Some(ADMIN), json!({}));

    let (token_a, _) = login_token(&c, &node, 0).await;
    assert_eq!(kid_of(&token_a), kid_a);

    std::fs::write(&file.path, key_file_text(&[&b, &a])).expect("writing the key file");
    let r = reload().await;
    assert_eq!(r.status().as_u16(), 200, "reload [B, A]");
    let body: Value = r.json().await.expect("reload_keys answers JSON");
    assert_eq!(body, json!({"current_kid": kid_b, "kids": [kid_b, kid_a]}));
    let (token_b, _) = login_token(&c, &node, 1).await;
    assert_eq!(kid_of(&token_b), kid_b, "the new first key signs");
    assert_eq!(bearer_status(&c, &node, &token_a).await, 200, "the old key still verifies");
    assert_eq!(bearer_status(&c, &node, &token_b).await, 200);

    std::fs::write(&file.path, key_file_text(&[&b])).expect("writing the key file");
    assert_eq!(reload().await.status().as_u16(), 200, "reload [B]");
    assert_eq!(bearer_status(&c, &node, &token_a).await, 401, "the retired key no longer verifies");
    assert_eq!(bearer_status(&c, &node, &token_b).await, 200);

    std::fs::write(&file.path, "{\"keys\": [").expect("writing a broken key file");
    expect_error(reload().await, 400, "a broken key file").await;
    assert_eq!(bearer_status(&c, &node, &token_b).await, 200, "the node keeps its keys");
    let (again, _) = login_token(&c, &node, 2).await;
    assert_eq!(kid_of(&again), kid_b);

    let generated = node_without_key_file();
    let r = admin_post(&c, &generated, "/admin/reload_keys", Some(ADMIN), json!({})).await;
    let body = expect_error(r, 409, "reload_keys on a node without --keys").await;
    assert_eq!(body["error"], "conflict");
}

fn node_without_key_file() -> Node {
    let admin = admin_token_file(ADMIN);
    node("token", &["--admin-token-file", admin.path_str(), "--configured"])
}
