//! No internals on the wire: whatever a caller sends (broken tokens, cookies, bodies), the session,
//! token and resource nodes answer with fixed words. No parser message, Rust type name or Debug
//! output reaches a body or a header; a refused bearer token gets `WWW-Authenticate: Bearer
//! error="invalid_token", error_description="..."` whose description is the body's message, and
//! its class is counted in `/metrics` (`authlab_auth_failures_total{reason=...}`).
use crate::support::*;
use authlab::attack::forge::sign_text;
use authlab::token::keys::{Alg, KeySet};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// What must never appear in an answer.
const LEAKS: [&str; 11] = [
    "Error(",
    "Json(",
    "Base64(",
    "InvalidLastSymbol",
    "::",
    "Some(",
    "ErrorKind",
    "line 1 column",
    "struct ",
    "invalid type",
    "expected `",
];
const ADMIN: &str = "admin-secret-for-the-error-body-test";
const INTROSPECT: &str = "introspect-secret-for-the-error-body-test";

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// Tokens that are broken in every way a parser can notice.
fn broken_tokens(real: &str) -> Vec<String> {
    let (input, signature) = real.rsplit_once('.').expect("a JWS");
    let (header, claims) = input.split_once('.').expect("a JWS");
    let mut last_changed = signature.to_owned();
    let last = last_changed.pop().expect("a signature");
    last_changed.push(if last == 'A' { 'B' } else { 'A' });
    let dup = b64(
        r#"{"sub":"a","sub":"b","exp":1,"iat":1,"nbf":1,"iss":"authlab","aud":"authlab-api","jti":"j","scope":"s"}"#,
    );
    vec![
        "x".into(),
        "a.b".into(),
        "a.b.c".into(),
        "a.b.c.d".into(),
        format!("{input}.{last_changed}"),
        format!("{input}.!!!"),
        format!("{input}."),
        format!("{header}.{}.{signature}", b64("not json")),
        format!("{header}.{}.{signature}", b64("[1,2]")),
        format!("{header}.{dup}.{signature}"),
        format!("{header}.{}.{signature}", b64(r#"{"exp":"tomorrow"}"#)),
        format!("{}.{claims}.{signature}", b64(r#"{"alg":"HS256","alg":"none","typ":"at+jwt","kid":"k"}"#)),
        format!("{}.{claims}.{signature}", b64(r#"{"alg":5,"typ":"at+jwt"}"#)),
        format!("{}.{claims}.{signature}", b64(r#"{"alg":"XX","typ":"at+jwt","kid":"k"}"#)),
        format!("{}.{claims}.{signature}", b64(r#"{"alg":"HS256","typ":"at+jwt","kid":"k","jwk":"no"}"#)),
        format!("{}.{claims}.{signature}", b64("\u{0}\u{1}")),
        format!("{}x.{claims}.{signature}", &header[..header.len() - 1]),
        format!("{header}.{claims}x.{signature}"),
    ]
}

/// Every answer, checked: the status, no leak, and for bearer refusals a matching description.
struct Checker {
    c: reqwest::Client,
    problems: Vec<String>,
    checked: usize,
}

impl Checker {
    async fn check(&mut self, what: &str, request: reqwest::RequestBuilder) {
        let r = request.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = r.status().as_u16();
        let headers: Vec<String> =
            r.headers().iter().map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes()))).collect();
        let challenge = r.headers().get("www-authenticate").map(|v| v.to_str().unwrap_or("").to_owned());
        let body = r.text().await.unwrap_or_default();
        self.checked += 1;
        for text in headers.iter().chain(std::iter::once(&body)) {
            if let Some(leak) = LEAKS.iter().find(|l| text.contains(*l)) {
                self.problems.push(format!("{what}: {status} shows {leak:?}: {text}"));
            }
        }
        if status >= 500 {
            self.problems.push(format!("{what}: {status} {body}"));
        }
        if status >= 400 && serde_json::from_str::<Value>(&body).map_or(true, |v| !v["message"].is_string()) {
            self.problems.push(format!("{what}: {status} without a JSON message: {body:?}"));
        }
        if let Some(challenge) = challenge.filter(|c| c.contains("error=\"invalid_token\"")) {
            let message =
                serde_json::from_str::<Value>(&body).ok().and_then(|v| v["message"].as_str().map(String::from));
            let described = message.is_some_and(|m| challenge.contains(&format!("error_description=\"{m}\"")));
            if !described {
                self.problems.push(format!("{what}: challenge {challenge:?} and body {body:?} disagree"));
            }
        }
    }
}

#[tokio::test]
async fn no_route_of_any_strategy_shows_parser_internals() {
    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [extra, &["--users", "5", "--password-hash", "sha256", "--seed", "42"]].concat()
    }
    let keys = KeySet::generate(Alg::Ed25519).expect("a key");
    let key_file = TempFile::with_contents("keys.json", &keys.to_private_jwks_json());
    let admin = admin_token_file(ADMIN);
    let token = Node::start(&with(&[
        "--strategy",
        "token",
        "--keys",
        key_file.path_str(),
        "--extra-audience",
        "orders-api",
        "--revocation",
        "denylist",
        "--admin-token-file",
        admin.path_str(),
        "--configured",
    ]));
    let session = Node::start(&with(&[
        "--strategy",
        "session",
        "--admin-token-file",
        admin.path_str(),
        "--configured",
        "--introspect-token",
        INTROSPECT,
    ]));
    let jwks = token.at("/.well-known/jwks.json");
    let introspect = session.at("/introspect");
    let resource = Node::start(&with(&[
        "--strategy",
        "resource",
        "--jwks-url",
        &jwks,
        "--introspect-url",
        &introspect,
        "--introspect-token",
        INTROSPECT,
    ]));
    let (user, password) = users_csv(42, 1).remove(0);
    let mut k = Checker { c: client(), problems: Vec::new(), checked: 0 };
    let r = login(&k.c, &token, &user, &password).await;
    assert_eq!(r.status().as_u16(), 200);
    let issued: Value = r.json().await.expect("login JSON");
    let access = issued["access_token"].as_str().expect("an access token").to_owned();

    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"not json".to_vec(),
        b"[1,2,3]".to_vec(),
        b"{}".to_vec(),
        br#"{"username":1,"password":2}"#.to_vec(),
        br#"{"username":"a","password":"b","admin":true}"#.to_vec(),
        br#"{"username":"a","username":"b","password":"c"}"#.to_vec(),
        br#"{"refresh_token":5}"#.to_vec(),
        br#"{"user":[]}"#.to_vec(),
        vec![0xff, 0xfe, b'{'],
        format!(r#"{{"username":"{}","password":"x"}}"#, "u".repeat(300)).into_bytes(),
    ];
    let c = k.c.clone();
    for (node, name) in [(&token, "token"), (&session, "session")] {
        for (i, body) in bodies.iter().enumerate() {
            for path in ["/login", "/refresh", "/admin/revoke_user", "/introspect"] {
                let mut request = c.post(node.at(path)).header("content-type", "application/json").body(body.clone());
                if path == "/admin/revoke_user" {
                    request = request.bearer_auth(ADMIN);
                }
                if path == "/introspect" {
                    request = request.bearer_auth(INTROSPECT);
                }
                k.check(&format!("{name} POST {path} body #{i}"), request).await;
            }
        }
    }
    let mut tokens = broken_tokens(&access);
    tokens.push(access.replace('.', ".."));
    // Well signed, badly claimed: the claims parser's own complaints must not show either.
    let header = json!({"alg": "Ed25519", "typ": "at+jwt", "kid": keys.current_kid()}).to_string();
    for claims in [
        r#"{"sub":"a","sub":"b","iss":"authlab","aud":"authlab-api","exp":4000000000,"iat":1,"nbf":1,"jti":"j","scope":"s"}"#,
        r#"{"sub":"a","iss":"authlab","aud":"authlab-api","exp":"tomorrow","iat":1,"nbf":1,"jti":"j","scope":"s"}"#,
        r#"{"sub":"a","iss":"authlab","aud":"authlab-api","exp":1e400,"iat":1,"nbf":1,"jti":"j","scope":"s"}"#,
        r#"{"sub":7,"iss":"authlab","aud":"authlab-api","exp":4000000000,"iat":1,"nbf":1,"jti":"j","scope":"s"}"#,
        r#"{"iss":"authlab"}"#,
        "[]",
        "not json",
    ] {
        tokens.push(sign_text(&header, claims, keys.current()).expect("signed"));
    }
    for (node, name, path) in
        [(&token, "token", "/api/profile"), (&token, "token", "/logout"), (&resource, "resource", "/api/orders")]
    {
        for (i, t) in tokens.iter().enumerate() {
            let request = if path == "/logout" { c.post(node.at(path)) } else { c.get(node.at(path)) };
            k.check(&format!("{name} {path} token #{i}"), request.bearer_auth(t)).await;
        }
        let raws: [&[u8]; 6] =
            [b"Bearer", b"Bearer  ", b"Basic abc", b"Bearer \xff\xfe", b"bearer a b", b"Bearer a\tb"];
        for raw in raws {
            let value = reqwest::header::HeaderValue::from_bytes(raw).expect("a header value");
            let request = if path == "/logout" { c.post(node.at(path)) } else { c.get(node.at(path)) };
            let request = request.header("authorization", value);
            k.check(&format!("{name} {path} Authorization {:?}", String::from_utf8_lossy(raw)), request).await;
        }
    }
    for node in [&session, &resource] {
        let path = if std::ptr::eq(node, &session) { "/api/profile" } else { "/api/orders" };
        let long = format!("sid={}", "x".repeat(5000));
        let cookies: [&[u8]; 7] = [
            b"sid=",
            b"sid=%%%",
            b"sid=a.b.c",
            b"sid=AAAAAAAAAAAAAAAAAAAAAA",
            b"sid=\xff",
            b"sid=a; sid=b",
            long.as_bytes(),
        ];
        for cookie in cookies {
            let value = reqwest::header::HeaderValue::from_bytes(cookie).expect("a header value");
            let what = format!("{path} Cookie {:.20}", String::from_utf8_lossy(cookie));
            k.check(&what, c.get(node.at(path)).header("cookie", value)).await;
        }
    }
    for (body, what) in
        [(json!({"refresh_token": "garbage"}), "garbage"), (json!({"refresh_token": access}), "an access token")]
    {
        k.check(&format!("token /refresh with {what}"), c.post(token.at("/refresh")).json(&body)).await;
    }
    assert!(k.problems.is_empty(), "{} of {} answers:\n{}", k.problems.len(), k.checked, k.problems.join("\n"));
    assert!(k.checked >= 200, "{} answers checked", k.checked);

    // The classes were counted, by reason.
    let token_metrics = metrics_text(&c, &token).await;
    for reason in ["malformed_token", "bad_signature", "malformed_claims", "malformed_header"] {
        let n = metric(&token_metrics, "authlab_auth_failures_total", &[("reason", reason)]);
        assert!(n.is_some_and(|n| n > 0.0), "{reason}: {n:?}\n{token_metrics}");
    }
    let session_metrics = metrics_text(&c, &session).await;
    let no_session = metric(&session_metrics, "authlab_auth_failures_total", &[("reason", "no_session")]);
    assert!(no_session.is_some_and(|n| n > 0.0), "{session_metrics}");
}
