//! Fuzzes the credentials headers as the nodes read them, through their real routers (every
//! middleware included): the session cookie (tower-sessions' `sid` parsing and the cross-site
//! guard), the admin and introspection bearer tokens, and the token node's `Authorization`.
//!
//! Input: one byte picks the route, then `\n`-separated header values (Cookie, Authorization,
//! Origin, Sec-Fetch-Site) and the body. `@sid@` in a header stands for a live session's id.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use authlab::node::{
    AdminToken, KeySource, Node, NodeConfig, NodeSetup, SessionOptions, StoreChoice, Strategy, TokenOptions,
};
use authlab::token::access::TokenPolicy;
use authlab::users::PasswordHashKind;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const ADMIN_TOKEN: &str = "fuzz-admin-token";

struct Nodes {
    runtime: tokio::runtime::Runtime,
    session: Router,
    token: Router,
    /// The `sid` of a session logged in at start (never logged out: logout routes skip it).
    live_sid: String,
}

fn config(strategy: Strategy) -> NodeConfig {
    NodeConfig {
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        name: "fuzz".into(),
        seed: 1,
        users: 10,
        password_hash: PasswordHashKind::Sha256,
        strategy,
    }
}

fn nodes() -> &'static Nodes {
    static NODES: OnceLock<Nodes> = OnceLock::new();
    NODES.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let session = NodeSetup {
            admin_token: Some(AdminToken::new(ADMIN_TOKEN)),
            introspect_token: Some(AdminToken::new(ADMIN_TOKEN)),
            ..NodeSetup::from(config(Strategy::Session(SessionOptions {
                store: StoreChoice::Memory,
                key_prefix: "unused:".into(),
                cleanup_on_exit: false,
                ttl: Duration::from_secs(3600),
                payload_bytes: 10,
                max_memory: None,
                purge_interval: Duration::from_secs(3600),
                secure_cookie: false,
            })))
        };
        let token = NodeSetup {
            admin_token: Some(AdminToken::new(ADMIN_TOKEN)),
            ..NodeSetup::from(config(Strategy::Token(TokenOptions {
                keys: KeySource::Generate(authlab::token::keys::Alg::HS256),
                policy: TokenPolicy::default(),
                refresh_ttl: Duration::from_secs(3600),
                denylist: true,
            })))
        };
        let session = runtime.block_on(Node::build(session)).expect("the session node builds").router();
        let token = runtime.block_on(Node::build(token)).expect("the token node builds").router();
        let (name, password) = (authlab::users::username(0), authlab::users::password(1, 0));
        let body = format!(r#"{{"username":"{name}","password":"{password}"}}"#);
        let login = Request::post("/login").body(Body::from(body)).expect("a request");
        let response = runtime.block_on(session.clone().oneshot(login)).expect("the router answers");
        assert_eq!(response.status(), StatusCode::OK, "the fuzz user logs in");
        let cookie = response.headers().get(header::SET_COOKIE).expect("a session cookie").to_str().expect("ASCII");
        let live_sid = cookie.split(';').next().and_then(|c| c.strip_prefix("sid=")).expect("an sid").to_owned();
        Nodes { runtime, session, token, live_sid }
    })
}

/// A header value from fuzz bytes, `@sid@` replaced by the live session's id.
fn value(bytes: &[u8], live_sid: &str) -> Option<HeaderValue> {
    let text;
    let bytes = match std::str::from_utf8(bytes) {
        Ok(s) if s.contains("@sid@") => {
            text = s.replace("@sid@", live_sid);
            text.as_bytes()
        }
        _ => bytes,
    };
    HeaderValue::from_bytes(bytes).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, rest)) = data.split_first() else { return };
    let nodes = nodes();
    let mut parts = rest.splitn(5, |&b| b == b'\n');
    let mut next = || parts.next().filter(|p| !p.is_empty());
    let (cookie, authorization, origin, fetch_site) = (next(), next(), next(), next());
    let body = parts.next().unwrap_or_default().to_vec();
    let uses_live_session = rest.windows(5).any(|w| w == b"@sid@");
    let (router, method, path) = match route % 7 {
        0 => (&nodes.session, Method::GET, "/api/profile"),
        1 if !uses_live_session => (&nodes.session, Method::POST, "/logout"),
        1 => (&nodes.session, Method::DELETE, "/api/profile"),
        2 => (&nodes.session, Method::POST, "/admin/revoke_user"),
        3 => (&nodes.session, Method::POST, "/introspect"),
        4 => (&nodes.token, Method::GET, "/api/profile"),
        5 => (&nodes.token, Method::POST, "/logout"),
        _ => (&nodes.token, Method::POST, "/admin/revoke_user"),
    };
    // Revoking the fuzz user would end the live session.
    if path == "/admin/revoke_user" && body.windows(11).any(|w| w == b"user0000000") {
        return;
    }
    let mut request = Request::builder().method(method).uri(path).header(header::HOST, "127.0.0.1:4000");
    for (name, bytes) in [
        (header::COOKIE, cookie),
        (header::AUTHORIZATION, authorization),
        (header::ORIGIN, origin),
        (header::HeaderName::from_static("sec-fetch-site"), fetch_site),
    ] {
        if let Some(value) = bytes.and_then(|b| value(b, &nodes.live_sid)) {
            request = request.header(name, value);
        }
    }
    let Ok(request) = request.body(Body::from(body)) else { return };
    let (status, body) = nodes.runtime.block_on(async {
        let response = router.clone().oneshot(request).await.expect("the router never fails");
        let status = response.status();
        (status, axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a readable body"))
    });
    assert!(!status.is_server_error(), "{status}: {}", String::from_utf8_lossy(&body));
    if status.is_client_error() {
        let json: serde_json::Value = serde_json::from_slice(&body).expect("an error body is JSON");
        assert!(json.get("error").is_some(), "{status}: an error body names its error: {json}");
    }
});
