//! CORS at the HTTP level: the real preflight answers and response headers of session and token
//! nodes, as a browser would read them (requests sent with `Origin` headers and `OPTIONS`).

use crate::support::{Node, client, users_csv};
use reqwest::header::HeaderMap;
use reqwest::{Method, Response};

const EVIL: &str = "http://evil.example";
const APP: &str = "http://app.example:8080";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The comma-separated values of a header, lower-cased.
fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A browser's preflight for `method path` from `origin`, announcing the headers it will send.
async fn preflight(node: &Node, path: &str, origin: &str, method: &str, headers: &str) -> Response {
    let c = client();
    let mut request = c
        .request(Method::OPTIONS, node.at(path))
        .header("origin", origin)
        .header("access-control-request-method", method);
    if !headers.is_empty() {
        request = request.header("access-control-request-headers", headers);
    }
    request.send().await.expect("OPTIONS preflight")
}

async fn login_from(node: &Node, origin: &str) -> Response {
    let (user, password) = users_csv(42, 1).remove(0);
    client()
        .post(node.at("/login"))
        .header("origin", origin)
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .expect("POST /login")
}

fn start(args: &[&str]) -> Node {
    let mut all = vec!["--password-hash", "sha256", "--users", "10"];
    all.extend_from_slice(args);
    Node::start(&all)
}

#[tokio::test]
async fn a_token_node_lets_any_origin_send_bearer_requests_without_credentials() {
    let node = start(&["--strategy", "token"]);
    let answer = preflight(&node, "/api/profile", EVIL, "GET", "authorization").await;
    assert!(answer.status().is_success(), "preflight status {}", answer.status());
    let h = answer.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(h, "access-control-allow-credentials"), None, "a wildcard never comes with credentials");
    assert!(list(h, "access-control-allow-headers").contains(&"authorization".to_owned()), "{h:?}");
    assert!(list(h, "access-control-allow-methods").contains(&"get".to_owned()), "{h:?}");

    let login = login_from(&node, EVIL).await;
    assert_eq!(login.status(), 200);
    assert_eq!(header(login.headers(), "access-control-allow-origin"), Some("*"));
    let token = login.json::<serde_json::Value>().await.expect("token JSON")["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();

    let c = client();
    let profile = c
        .get(node.at("/api/profile"))
        .header("origin", EVIL)
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET /api/profile");
    assert_eq!(profile.status(), 200);
    assert_eq!(header(profile.headers(), "access-control-allow-origin"), Some("*"));

    // A refusal is readable by the page too, with the challenge it may read.
    let refused = c.get(node.at("/api/profile")).header("origin", EVIL).send().await.expect("GET without token");
    assert_eq!(refused.status(), 401);
    assert_eq!(header(refused.headers(), "access-control-allow-origin"), Some("*"));
    assert!(list(refused.headers(), "access-control-expose-headers").contains(&"www-authenticate".to_owned()));
}

#[tokio::test]
async fn a_token_node_can_be_limited_to_listed_origins() {
    let node = start(&["--strategy", "token", "--cors-origin", APP]);
    let listed = preflight(&node, "/api/profile", APP, "GET", "authorization").await;
    assert_eq!(header(listed.headers(), "access-control-allow-origin"), Some(APP));
    assert_eq!(header(listed.headers(), "access-control-allow-credentials"), None, "bearer requests need none");
    let other = preflight(&node, "/api/profile", EVIL, "GET", "authorization").await;
    assert_eq!(header(other.headers(), "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_session_node_without_origins_gives_other_origins_nothing() {
    let node = start(&["--strategy", "session"]);
    let answer = preflight(&node, "/login", EVIL, "POST", "content-type").await;
    let h = answer.headers();
    assert_eq!(header(h, "access-control-allow-origin"), None, "status {}: {h:?}", answer.status());
    assert_eq!(header(h, "access-control-allow-credentials"), None);
    // The login itself works (CORS is enforced by browsers, not servers), but a browser would hide
    // the answer, cookie included, from the page.
    let login = login_from(&node, EVIL).await;
    assert_eq!(login.status(), 200);
    assert_eq!(header(login.headers(), "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_session_node_allows_credentials_to_its_allowlist_only() {
    let node = start(&["--strategy", "session", "--cors-origin", APP]);

    let foreign = preflight(&node, "/login", EVIL, "POST", "content-type").await;
    assert_eq!(header(foreign.headers(), "access-control-allow-origin"), None, "{:?}", foreign.headers());
    assert_eq!(header(foreign.headers(), "access-control-allow-credentials"), None);

    let listed = preflight(&node, "/login", APP, "POST", "content-type").await;
    assert!(listed.status().is_success(), "preflight status {}", listed.status());
    let h = listed.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(APP), "the exact origin is echoed");
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    assert!(list(h, "access-control-allow-headers").contains(&"content-type".to_owned()), "{h:?}");
    assert!(list(h, "vary").contains(&"origin".to_owned()), "caches must key on the origin: {h:?}");

    let login = login_from(&node, APP).await;
    assert_eq!(login.status(), 200);
    let h = login.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(APP));
    assert_eq!(header(h, "access-control-allow-credentials"), Some("true"));
    let cookie = crate::support::sid_cookie(&login);
    assert_eq!(cookie.attr("samesite"), Some("Strict"), "the cookie stays same-site only");

    let from_evil = login_from(&node, EVIL).await;
    assert_eq!(header(from_evil.headers(), "access-control-allow-origin"), None);
    assert_eq!(header(from_evil.headers(), "access-control-allow-credentials"), None);
}

#[tokio::test]
async fn under_a_wildcard_a_session_node_cannot_allow_credentials() {
    let node = start(&["--strategy", "session", "--cors-origin", "*"]);
    let answer = preflight(&node, "/login", EVIL, "POST", "content-type").await;
    let h = answer.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some("*"));
    // Browsers refuse a credentialed answer with `*`, and `*` with Allow-Credentials is forbidden:
    // the node does not send it, so no page can use the cookie.
    assert_eq!(header(h, "access-control-allow-credentials"), None, "{h:?}");
}

#[test]
fn unusable_origins_stop_the_node_with_a_reason() {
    for (args, expected) in [
        (vec!["--cors-origin", "http://app.example/path"], "an origin has no path"),
        (vec!["--cors-origin", "app.example"], "no scheme"),
        (vec!["--cors-origin", "null"], "sandboxed"),
        (vec!["--cors-origin", "*", "--cors-origin", APP], "cannot be combined"),
    ] {
        let mut all = vec!["--strategy", "session"];
        all.extend(args.iter().copied());
        let error = match Node::try_start(&all) {
            Ok(_) => panic!("{args:?} must be refused"),
            Err(e) => e,
        };
        assert!(error.contains(expected), "{args:?}: {error}");
    }
}
