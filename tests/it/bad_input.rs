//! Property tests: whatever a client sends as credentials or as a login body, a node answers with
//! the right status and a JSON body, and never panics or answers 5xx.
//!
//! These drive the real router (all middleware included) in-process, so they can try thousands of
//! inputs quickly; the process-level tests in the other files cover the same routes over HTTP.

use std::time::Duration;

use authlab::node::{KeySource, Node, NodeConfig, SessionOptions, StoreChoice, Strategy as NodeStrategy, TokenOptions};
use authlab::token::access::TokenPolicy;
use authlab::users::PasswordHashKind;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tower::ServiceExt;

fn config(strategy: NodeStrategy) -> NodeConfig {
    NodeConfig {
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        name: "prop".into(),
        seed: 1,
        users: 100,
        password_hash: PasswordHashKind::Sha256,
        strategy,
    }
}

fn session_config() -> NodeConfig {
    config(NodeStrategy::Session(SessionOptions {
        store: StoreChoice::Memory,
        key_prefix: "unused:".into(),
        cleanup_on_exit: false,
        ttl: Duration::from_secs(60),
        payload_bytes: 10,
        max_memory: None,
        purge_interval: Duration::from_secs(1),
        secure_cookie: false,
    }))
}

fn token_config() -> NodeConfig {
    config(NodeStrategy::Token(TokenOptions {
        keys: KeySource::Generate(authlab::token::keys::Alg::HS256),
        policy: TokenPolicy::default(),
        refresh_ttl: Duration::from_secs(60),
        denylist: true,
    }))
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

impl Harness {
    fn new(config: NodeConfig) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let node = runtime.block_on(Node::build(config)).expect("the node builds");
        Self { router: node.router(), runtime }
    }

    /// Sends one request; returns the status, the headers and the body, checking the body is JSON
    /// whenever the status is an error.
    fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.expect("the router never fails");
            let status = response.status();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a readable body");
            let json = if body.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{status}: body is not JSON: {body:?}"))
            };
            if status.is_client_error() || status.is_server_error() {
                assert!(json.get("error").is_some(), "{status}: error body without an error code: {json}");
            }
            (status, headers, json)
        })
    }
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: 300, failure_persistence: None, ..Config::default() })
}

fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "sid=[A-Za-z0-9_=;. -]{0,60}".prop_map(String::into_bytes),
        "Bearer [A-Za-z0-9_.=-]{0,200}".prop_map(String::into_bytes),
        "(Bearer|bearer|Basic) eyJ[A-Za-z0-9_-]{0,60}\\.eyJ[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,60}"
            .prop_map(String::into_bytes),
        Just(vec![b'a'; 20_000]),
    ]
}

#[test]
fn any_cookie_header_without_a_real_session_gets_401() {
    let harness = Harness::new(session_config());
    runner()
        .run(&header_bytes(), |bytes| {
            let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
            let request =
                Request::get("/api/profile").header(header::COOKIE, value).body(Body::empty()).expect("a request");
            let (status, _, _) = harness.send(request);
            prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
            Ok(())
        })
        .expect("every garbage cookie is refused with 401");
}

#[test]
fn any_authorization_header_without_a_real_token_gets_401_with_a_bearer_challenge() {
    let harness = Harness::new(token_config());
    runner()
        .run(&header_bytes(), |bytes| {
            let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
            let request = Request::get("/api/profile")
                .header(header::AUTHORIZATION, value)
                .body(Body::empty())
                .expect("a request");
            let (status, headers, _) = harness.send(request);
            prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
            let challenge = headers.get(header::WWW_AUTHENTICATE).map(|v| v.as_bytes().to_vec()).unwrap_or_default();
            prop_assert!(challenge.starts_with(b"Bearer"));
            Ok(())
        })
        .expect("every garbage Authorization header is refused with 401");
}

fn login_bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        "\\{\"username\": ?\"[a-z0-9]{0,12}\", ?\"password\": ?\"[A-Za-z0-9_-]{0,20}\"\\}".prop_map(String::into_bytes),
        "\\{\"username\": ?(1|null|\\[\\]|\"a\"), ?\"password\": ?(true|\\{\\}|\"b\")(, ?\"x\": 1)?\\}"
            .prop_map(String::into_bytes),
        (0usize..3).prop_map(|k| [b'{'].repeat(k * 40_000)),
    ]
}

#[test]
fn any_login_body_gets_400_401_or_413_and_never_a_server_error() {
    for config in [session_config(), token_config()] {
        let harness = Harness::new(config);
        runner()
            .run(&login_bodies(), |body| {
                let too_large = body.len() > authlab::node::MAX_BODY_BYTES;
                let request = Request::post("/login").body(Body::from(body)).expect("a request");
                let (status, _, _) = harness.send(request);
                if too_large {
                    prop_assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
                } else {
                    prop_assert!(
                        status == StatusCode::BAD_REQUEST || status == StatusCode::UNAUTHORIZED,
                        "got {}",
                        status
                    );
                }
                Ok(())
            })
            .expect("bad logins are refused cleanly");
    }
}
