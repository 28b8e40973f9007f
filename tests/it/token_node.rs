//! The HTTP contract of a token node (`--strategy token`): every algorithm, the attack catalogue,
//! refresh rotation with reuse detection, revocation, claim padding and key files.
use crate::support::*;
use authlab::token::keys::{Alg, KeySet, SUPPORTED, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const ALGS: [Alg; 5] = SUPPORTED;
const USERS: usize = 20;

fn creds() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| users_csv(42, USERS))
}

fn alg_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
        other => panic!("no name for {other:?}"),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).unwrap_or_else(|e| panic!("base64url decode of {s:?}: {e}"))
}

fn b64json(v: &Value) -> String {
    b64(v.to_string().as_bytes())
}

/// (header, claims, signature part) of a compact JWS.
fn parts(token: &str) -> (Value, Value, String) {
    let p: Vec<&str> = token.split('.').collect();
    assert_eq!(p.len(), 3, "a JWT has three parts: {token:?}");
    let h = serde_json::from_slice(&unb64(p[0])).expect("JWT header is JSON");
    let c = serde_json::from_slice(&unb64(p[1])).expect("JWT claims are JSON");
    (h, c, p[2].to_string())
}

/// Sign `header.claims` exactly as given (header is not rewritten), with `alg`.
fn sign_raw(header: &Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let msg = format!("{}.{}", b64json(header), b64json(claims));
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), key, alg)
        .unwrap_or_else(|e| panic!("signing a test token with {alg:?}: {e}"));
    format!("{msg}.{sig}")
}

/// Sign `header.claims` exactly as given with one of the lab's keys (Ed25519 included).
fn sign_with(key: &SigningKey, header: &Value, claims: &Value) -> String {
    sign_text(key, &header.to_string(), &claims.to_string())
}

/// Sign JSON text exactly as written (a member may appear twice).
fn sign_text(key: &SigningKey, header: &str, claims: &str) -> String {
    let msg = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let sig = key.sign(msg.as_bytes()).unwrap_or_else(|e| panic!("signing a test token with {}: {e}", key.algorithm));
    format!("{msg}.{sig}")
}

/// The same bytes with an unused low bit of the last base64url character set.
fn non_canonical(part: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (rest, last) = part.split_at(part.len() - 1);
    let value = ALPHABET.iter().position(|&c| c == last.as_bytes()[0]).expect("a base64url character");
    format!("{rest}{}", ALPHABET[value ^ 1] as char)
}

/// What a 401 must never show: the parser's or a library's internals.
const LEAKS: [&str; 8] = ["Error(", "Json(", "Base64(", "InvalidLastSymbol", "::", "Some(", "Kind", "line 1 column"];

fn generate(alg: Alg) -> KeySet {
    KeySet::generate(alg).unwrap_or_else(|e| panic!("KeySet::generate({alg:?}): {e:?}"))
}

fn signing_key(ks: &KeySet) -> (&EncodingKey, String) {
    let kid = ks.current_kid().to_string();
    let key = ks.encoding_key(&kid).expect("encoding key for the current kid");
    (key, kid)
}

/// A token node started with a key file generated here, so tests can sign with the node's keys.
struct Lab {
    node: Node,
    ks: KeySet,
    _keys: TempFile,
}

impl Lab {
    fn start(alg: Alg, extra: &[&str]) -> Lab {
        let ks = generate(alg);
        let file = TempFile::with_contents("keys.json", &ks.to_private_jwks_json());
        let node = token_node(alg, Some(file.path_str()), extra);
        Lab { node, ks, _keys: file }
    }

    fn kid(&self) -> String {
        self.ks.current_kid().to_string()
    }

    fn key(&self) -> &EncodingKey {
        signing_key(&self.ks).0
    }

    /// Sign with the node's own key and the node's algorithm.
    fn sign(&self, header: &Value, claims: &Value) -> String {
        sign_with(self.ks.current(), header, claims)
    }
}

fn token_node(alg: Alg, keys: Option<&str>, extra: &[&str]) -> Node {
    let users = USERS.to_string();
    let mut args = vec![
        "--strategy",
        "token",
        "--algorithm",
        alg.name(),
        "--seed",
        "42",
        "--users",
        &users,
        "--password-hash",
        "sha256",
    ];
    if let Some(k) = keys {
        args.push("--keys");
        args.push(k);
    }
    args.extend_from_slice(extra);
    Node::start(&args)
}

#[derive(Debug, Clone)]
struct Pair {
    access: String,
    refresh: String,
    body: Value,
}

async fn login_pair(c: &reqwest::Client, node: &Node, i: usize) -> Pair {
    let (u, p) = &creds()[i];
    let r = login(c, node, u, p).await;
    assert_eq!(r.status().as_u16(), 200, "token login {u}");
    let body: Value = r.json().await.expect("token login body is JSON");
    let access = body["access_token"].as_str().unwrap_or_else(|| panic!("access_token in {body}")).to_string();
    let refresh = body["refresh_token"].as_str().unwrap_or_else(|| panic!("refresh_token in {body}")).to_string();
    Pair { access, refresh, body }
}

async fn profile_with(c: &reqwest::Client, node: &Node, authorization: Option<&str>) -> reqwest::Response {
    let mut req = c.get(node.at("/api/profile"));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    req.send().await.expect("GET /api/profile")
}

async fn bearer_status(c: &reqwest::Client, node: &Node, token: &str) -> u16 {
    profile_with(c, node, Some(&format!("Bearer {token}"))).await.status().as_u16()
}

/// None if the response is a proper bearer 401; otherwise a description of what was wrong.
async fn check_bearer_401(resp: reqwest::Response) -> Option<String> {
    let status = resp.status().as_u16();
    let www = resp.headers().get("www-authenticate").map(|v| v.to_str().unwrap_or("<non-ascii>").to_string());
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = resp.text().await.unwrap_or_default();
    if status != 401 {
        return Some(format!("expected 401, got {status} (body {body:?})"));
    }
    match &www {
        Some(w) if w.starts_with("Bearer") => {}
        other => return Some(format!("401 without a `WWW-Authenticate: Bearer ...` header (got {other:?})")),
    }
    let challenge = www.unwrap_or_default();
    if let Some(leak) = LEAKS.iter().find(|l| body.contains(*l) || challenge.contains(*l)) {
        return Some(format!("the 401 shows internals ({leak:?}): {challenge:?} {body:?}"));
    }
    // A token that came gets a fixed description of why it was refused (RFC 6750 section 3).
    if challenge.contains("error=") {
        let described = challenge.contains("error_description=\"")
            && serde_json::from_str::<Value>(&body)
                .is_ok_and(|v| v["message"].as_str().is_some_and(|m| challenge.contains(&format!("\"{m}\""))));
        if !described {
            return Some(format!(
                "the challenge and the body do not give the same description: {challenge:?} {body:?}"
            ));
        }
    }
    if !ct.starts_with("application/json") {
        return Some(format!("401 body content-type is {ct:?}"));
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(v) if v["error"] == "unauthorized" => None,
        _ => Some(format!("401 body is not {{\"error\":\"unauthorized\",..}}: {body:?}")),
    }
}

async fn assert_bearer_401(resp: reqwest::Response, what: &str) {
    if let Some(problem) = check_bearer_401(resp).await {
        panic!("{what}: {problem}");
    }
}

/// Run named Authorization header values against the profile route; collect every one that is
/// not a proper bearer 401, then fail once with the whole list.
async fn expect_all_refused(c: &reqwest::Client, node: &Node, label: &str, cases: Vec<(String, Option<String>)>) {
    let mut failures = Vec::new();
    for (name, auth) in &cases {
        let r = profile_with(c, node, auth.as_deref()).await;
        if let Some(p) = check_bearer_401(r).await {
            failures.push(format!("  [{label}] {name}: {p}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} attacks were not refused:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn bearer(t: &str) -> Option<String> {
    Some(format!("Bearer {t}"))
}

async fn metrics_of(c: &reqwest::Client, node: &Node) -> String {
    metrics_text(c, node).await
}

/// A tiny HTTP server that serves `body` to anyone and counts connections (to see whether a node
/// follows a `jku` / `x5u` header). Stops on drop.
struct Bait {
    url: String,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Bait {
    fn serve(body: String) -> Bait {
        let l = TcpListener::bind("127.0.0.1:0").expect("binding the bait server");
        let port = l.local_addr().expect("bait addr").port();
        l.set_nonblocking(true).expect("nonblocking bait listener");
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((mut conn, _)) => {
                        h.fetch_add(1, Ordering::SeqCst);
                        let _ = conn.set_nonblocking(false);
                        let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
                        let mut buf = [0u8; 4096];
                        let _ = conn.read(&mut buf);
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                            body.len(),
                            body
                        );
                        let _ = conn.write_all(resp.as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Bait { url: format!("http://127.0.0.1:{port}/.well-known/jwks.json"), hits, stop }
    }
}

impl Drop for Bait {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------------------------
// Happy path with every algorithm
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sign_and_verify_with_every_algorithm() {
    let c = client();
    for alg in ALGS {
        let name = alg.name();
        let node = token_node(alg, None, &[]);
        let (u, _) = &creds()[4];
        let pair = login_pair(&c, &node, 4).await;
        let body = &pair.body;
        assert_eq!(body["token_type"], "Bearer", "{name}: token_type in {body}");
        let expires_in = body["expires_in"].as_i64().unwrap_or_else(|| panic!("{name}: expires_in in {body}"));
        assert!(expires_in > 0 && expires_in <= 900, "{name}: expires_in {expires_in} for the default 15m TTL");
        assert_ne!(pair.access, pair.refresh, "{name}: refresh token equals the access token");

        let (h, cl, _) = parts(&pair.access);
        assert_eq!(h["alg"], name, "{name}: header alg in {h}");
        assert_eq!(h["typ"], "at+jwt", "{name}: header typ in {h}");
        let kid = h["kid"].as_str().unwrap_or_else(|| panic!("{name}: header kid in {h}")).to_string();
        assert!(!kid.is_empty(), "{name}: empty kid");
        for k in ["jku", "jwk", "x5u", "x5c"] {
            assert!(h.get(k).is_none(), "{name}: header carries {k}: {h}");
        }

        assert_eq!(cl["sub"], u.as_str(), "{name}: sub in {cl}");
        assert_eq!(cl["iss"], "authlab", "{name}: iss in {cl}");
        let aud_ok =
            cl["aud"] == "authlab-api" || cl["aud"].as_array().is_some_and(|a| a.iter().any(|x| x == "authlab-api"));
        assert!(aud_ok, "{name}: aud in {cl}");
        let exp = cl["exp"].as_i64().unwrap_or_else(|| panic!("{name}: numeric exp in {cl}"));
        let iat = cl["iat"].as_i64().unwrap_or_else(|| panic!("{name}: numeric iat in {cl}"));
        let nbf = cl["nbf"].as_i64().unwrap_or_else(|| panic!("{name}: numeric nbf in {cl}"));
        assert!((exp - iat - 900).abs() <= 1, "{name}: exp - iat = {} for a 15m TTL", exp - iat);
        assert!(nbf <= now() + 1 && (iat - now()).abs() <= 30, "{name}: iat/nbf not around now: {cl}");
        assert!(cl["jti"].as_str().is_some_and(|j| !j.is_empty()), "{name}: jti in {cl}");
        assert_eq!(cl["scope"], "profile:read", "{name}: scope in {cl}");
        // docs/node.md lists `perms` among the claims; with --claims-bytes 0 the node may leave it out,
        // but when present it is an array of strings.
        if let Some(perms) = cl.get("perms") {
            assert!(perms.as_array().is_some_and(|a| a.iter().all(|p| p.is_string())), "{name}: perms in {cl}");
        }

        // Verified by the node itself.
        let r = profile_with(&c, &node, bearer(&pair.access).as_deref()).await;
        assert_eq!(r.status().as_u16(), 200, "{name}: profile with the token");
        let prof: Value = r.json().await.expect("profile JSON");
        assert_eq!(prof["strategy"], "token", "{name}: profile {prof}");
        assert_eq!(prof["scope"], "profile:read", "{name}: profile {prof}");
        assert!(prof.to_string().contains(u.as_str()), "{name}: profile names the user: {prof}");

        // Two logins give two different tokens (fresh jti).
        let again = login_pair(&c, &node, 4).await;
        assert_ne!(again.access, pair.access, "{name}: two logins gave the same access token");
        assert_ne!(parts(&again.access).1["jti"], cl["jti"], "{name}: jti reused");

        // JWKS: the public key by kid for asymmetric algorithms (and it verifies the token); 404 for HS256.
        let r = c.get(node.at("/.well-known/jwks.json")).send().await.expect("GET jwks");
        if alg == Alg::HS256 {
            expect_error(r, 404, "jwks on an HS256 node").await;
        } else {
            assert_eq!(r.status().as_u16(), 200, "{name}: jwks status");
            let jwks: Value = r.json().await.expect("jwks JSON");
            let keys = jwks["keys"].as_array().unwrap_or_else(|| panic!("{name}: keys array in {jwks}"));
            let jwk = keys
                .iter()
                .find(|k| k["kid"] == kid.as_str())
                .unwrap_or_else(|| panic!("{name}: kid {kid} not in {jwks}"));
            assert_eq!(jwk["alg"], name, "{name}: jwk alg in {jwk}");
            assert_eq!(jwk["use"], "sig", "{name}: jwk use in {jwk}");
            for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
                assert!(jwk.get(private).is_none(), "{name}: JWKS publishes private parameter {private}: {jwk}");
            }
            let (msg, sig) = pair.access.rsplit_once('.').expect("token has a signature");
            let ok = if alg == Alg::Ed25519 {
                // jsonwebtoken reads no "alg":"Ed25519" JWK (RFC 9864): check with aws-lc-rs.
                let x = unb64(jwk["x"].as_str().expect("an OKP key has x"));
                aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, x)
                    .verify(msg.as_bytes(), &unb64(sig))
                    .is_ok()
            } else {
                let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).expect("JWK parses");
                let dk = jsonwebtoken::DecodingKey::from_jwk(&parsed).expect("decoding key from the JWK");
                jsonwebtoken::crypto::verify(sig, msg.as_bytes(), &dk, alg.primitive()).expect("local verify")
            };
            assert!(ok, "{name}: the token does not verify with the published JWK");
        }
    }
}

#[tokio::test]
async fn tokens_follow_the_keys_file() {
    let c = client();
    for alg in ALGS {
        let name = alg.name();
        let lab = Lab::start(alg, &[]);
        let pair = login_pair(&c, &lab.node, 0).await;
        let (h, cl, _) = parts(&pair.access);
        assert_eq!(h["kid"], lab.kid().as_str(), "{name}: the node signs with the first key of --keys");
        // A token we sign with the file's key is accepted (so the attack tests below are meaningful).
        let ours = lab.sign(&h, &cl);
        assert_eq!(bearer_status(&c, &lab.node, &ours).await, 200, "{name}: token signed with the key file's key");
        if alg != Alg::HS256 {
            let r = c.get(lab.node.at("/.well-known/jwks.json")).send().await.expect("jwks");
            let served: Value = r.json().await.expect("jwks JSON");
            let expected = lab.ks.public_jwks();
            let kids = |v: &Value| {
                let mut k: Vec<String> = v["keys"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|k| k["kid"].as_str().map(String::from)).collect())
                    .unwrap_or_default();
                k.sort();
                k
            };
            assert_eq!(kids(&served), kids(&expected), "{name}: served JWKS kids vs the key file's");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The attack catalogue
// ---------------------------------------------------------------------------------------------

/// Everything here must get a bearer 401 from a node with `--leeway 1s`.
async fn attack_catalogue(alg: Alg) {
    let name = alg.name();
    let c = client();
    let lab = Lab::start(alg, &["--leeway", "1s"]);
    let node = &lab.node;
    let pair = login_pair(&c, node, 2).await;
    let (h, cl, sig) = parts(&pair.access);

    // Positive controls: the issued token, and the same content signed by us with the node's key.
    assert_eq!(bearer_status(&c, node, &pair.access).await, 200, "{name}: issued token");
    assert_eq!(bearer_status(&c, node, &lab.sign(&h, &cl)).await, 200, "{name}: re-signed token");

    let t = now();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = cl.clone();
        f(&mut v);
        v
    };
    let hdr = |f: &dyn Fn(&mut Value)| {
        let mut v = h.clone();
        f(&mut v);
        v
    };
    let mut cases: Vec<(String, Option<String>)> = Vec::new();
    let mut add = |n: &str, auth: Option<String>| cases.push((n.to_string(), auth));

    add("no Authorization header", None);
    add("garbage Authorization", Some("garbage".into()));
    add("Bearer garbage", bearer("garbage"));
    add("Bearer with nothing", Some("Bearer ".into()));
    add("Bearer a.b.c", bearer("a.b.c"));
    add("Basic credentials", Some(format!("Basic {}", STANDARD.encode("user0000002:x"))));
    add("over-long Authorization (20 KB)", bearer(&"A".repeat(20_000)));
    add(
        "over-long token-shaped (20 KB)",
        bearer(&format!("{}.{}.{}", "e".repeat(10_000), "e".repeat(6_000), "e".repeat(4_000))),
    );
    add("four segments", bearer(&format!("{}.extra", pair.access)));

    // alg none, in several spellings; with an empty and with the original signature.
    for none in ["none", "None", "NONE", "nOnE"] {
        let nh = hdr(&|v| v["alg"] = json!(none));
        add(&format!("alg {none}, empty signature"), bearer(&format!("{}.{}.", b64json(&nh), b64json(&cl))));
        add(&format!("alg {none}, original signature"), bearer(&format!("{}.{}.{}", b64json(&nh), b64json(&cl), sig)));
    }
    // Signature stripped or tampered (flip the FIRST char: the last one may hold only padding bits).
    let (msg, _) = pair.access.rsplit_once('.').expect("signature");
    add("empty signature", bearer(&format!("{msg}.")));
    let mut bad = sig.clone().into_bytes();
    bad[0] = if bad[0] == b'A' { b'B' } else { b'A' };
    add("tampered signature", bearer(&format!("{msg}.{}", String::from_utf8(bad).expect("ascii"))));
    let half = &sig[..sig.len() / 2];
    add("truncated signature", bearer(&format!("{msg}.{half}")));
    // Payload tampered, signature kept.
    let other_sub = with(&|v| v["sub"] = json!(creds()[3].0));
    add("tampered payload (sub changed)", bearer(&format!("{}.{}.{sig}", b64json(&h), b64json(&other_sub))));
    let more_scope = with(&|v| v["scope"] = json!("profile:read admin"));
    add("tampered payload (scope widened)", bearer(&format!("{}.{}.{sig}", b64json(&h), b64json(&more_scope))));

    // Claims, each signed with the node's own key.
    let expired = with(&|v| {
        v["exp"] = json!(t - 60);
        v["iat"] = json!(t - 960);
        v["nbf"] = json!(t - 960);
    });
    add("expired 60 s ago (leeway 1 s)", bearer(&lab.sign(&h, &expired)));
    let future = with(&|v| {
        v["nbf"] = json!(t + 600);
        v["iat"] = json!(t + 600);
        v["exp"] = json!(t + 1200);
    });
    add("nbf 600 s in the future", bearer(&lab.sign(&h, &future)));
    add("exp as a string", bearer(&lab.sign(&h, &with(&|v| v["exp"] = json!((t + 600).to_string())))));
    add("exp null", bearer(&lab.sign(&h, &with(&|v| v["exp"] = Value::Null))));
    add(
        "missing exp",
        bearer(&lab.sign(
            &h,
            &with(&|v| {
                v.as_object_mut().expect("claims object").remove("exp");
            }),
        )),
    );
    add("wrong aud", bearer(&lab.sign(&h, &with(&|v| v["aud"] = json!("other-api")))));
    add("wrong aud (array)", bearer(&lab.sign(&h, &with(&|v| v["aud"] = json!(["other-api"])))));
    add(
        "missing aud",
        bearer(&lab.sign(
            &h,
            &with(&|v| {
                v.as_object_mut().expect("claims object").remove("aud");
            }),
        )),
    );
    add("wrong iss", bearer(&lab.sign(&h, &with(&|v| v["iss"] = json!("https://evil.example")))));
    add(
        "missing iss",
        bearer(&lab.sign(
            &h,
            &with(&|v| {
                v.as_object_mut().expect("claims object").remove("iss");
            }),
        )),
    );

    // Header checks, signed with the node's own key.
    add("typ JWT", bearer(&lab.sign(&hdr(&|v| v["typ"] = json!("JWT")), &cl)));
    add(
        "missing typ",
        bearer(&lab.sign(
            &hdr(&|v| {
                v.as_object_mut().expect("header object").remove("typ");
            }),
            &cl,
        )),
    );
    add("unknown kid", bearer(&lab.sign(&hdr(&|v| v["kid"] = json!("no-such-kid")), &cl)));
    add(
        "missing kid",
        bearer(&lab.sign(
            &hdr(&|v| {
                v.as_object_mut().expect("header object").remove("kid");
            }),
            &cl,
        )),
    );
    add("kid path traversal", bearer(&lab.sign(&hdr(&|v| v["kid"] = json!("../../../../dev/null")), &cl)));

    // Other algorithms with the node's own key material (one algorithm per key).
    let swaps: &[Algorithm] = match alg {
        Alg::HS256 => &[Algorithm::HS384, Algorithm::HS512],
        Alg::RS256 => &[Algorithm::RS384, Algorithm::RS512, Algorithm::PS256],
        _ => &[],
    };
    // The two names of EdDSA over Ed25519 (RFC 9864): each key takes only its own.
    match alg {
        Alg::EdDSA => {
            add("alg Ed25519 on an EdDSA key", bearer(&lab.sign(&hdr(&|v| v["alg"] = json!("Ed25519")), &cl)))
        }
        Alg::Ed25519 => {
            add("alg EdDSA on an Ed25519 key", bearer(&lab.sign(&hdr(&|v| v["alg"] = json!("EdDSA")), &cl)))
        }
        _ => {}
    }
    for &other in swaps {
        let oh = hdr(&|v| v["alg"] = json!(alg_name(other)));
        add(&format!("alg swapped to {}", alg_name(other)), bearer(&sign_raw(&oh, &cl, lab.key(), other)));
    }

    // Foreign keys of the same algorithm.
    let attacker = generate(alg);
    let (akey, akid) = (attacker.current(), attacker.current_kid().to_owned());
    add("foreign key, node's kid", bearer(&sign_with(akey, &h, &cl)));
    let ah = hdr(&|v| v["kid"] = json!(akid));
    add("foreign key, its own kid", bearer(&sign_with(akey, &ah, &cl)));

    // Header-supplied keys: embedded jwk, jku and x5u pointing at a server that serves the attacker's keys.
    let attacker_jwk = {
        let public = attacker.public_jwks();
        match public["keys"].as_array().and_then(|a| a.first()) {
            Some(k) => k.clone(),
            None => {
                // HMAC: no public form; embed the attacker's secret JWK.
                let private: Value = serde_json::from_str(&attacker.to_private_jwks_json()).expect("private JWKS JSON");
                private["keys"][0].clone()
            }
        }
    };
    let jwk_h = hdr(&|v| {
        v["kid"] = json!(akid);
        v["jwk"] = attacker_jwk.clone();
    });
    add("embedded jwk with the attacker's kid", bearer(&sign_with(akey, &jwk_h, &cl)));
    let jwk_h2 = hdr(&|v| v["jwk"] = attacker_jwk.clone());
    add("embedded jwk with the node's kid", bearer(&sign_with(akey, &jwk_h2, &cl)));
    let bait = Bait::serve(json!({"keys": [attacker_jwk.clone()]}).to_string());
    let jku_h = hdr(&|v| {
        v["kid"] = json!(akid);
        v["jku"] = json!(bait.url);
    });
    add("jku to the attacker's JWKS", bearer(&sign_with(akey, &jku_h, &cl)));
    let x5u_h = hdr(&|v| {
        v["kid"] = json!(akid);
        v["x5u"] = json!(bait.url);
    });
    add("x5u to the attacker's URL", bearer(&sign_with(akey, &x5u_h, &cl)));

    // Issue 11: a critical extension nobody knows, members named twice, a signature re-encoded
    // with other trailing bits, HMAC keys offered by the header, a token from the future.
    let crit = hdr(&|v| {
        v["crit"] = json!(["urn:authlab:unknown"]);
        v["urn:authlab:unknown"] = json!(true);
    });
    add("crit names an unknown extension", bearer(&lab.sign(&crit, &cl)));
    let key = lab.ks.current();
    let twice = |object: &Value, member: &str, value: Value| {
        let text = object.to_string();
        format!("{},{}:{value}}}", &text[..text.len() - 1], json!(member))
    };
    add("sub twice", bearer(&sign_text(key, &h.to_string(), &twice(&cl, "sub", json!(creds()[3].0)))));
    add("exp twice, expired first", bearer(&sign_text(key, &h.to_string(), &twice(&expired, "exp", json!(t + 600)))));
    add("alg twice, none last", bearer(&sign_text(key, &twice(&h, "alg", json!("none")), &cl.to_string())));
    add("kid twice", bearer(&sign_text(key, &twice(&h, "kid", json!("../../dev/null")), &cl.to_string())));
    add("signature re-encoded non-canonically", bearer(&format!("{msg}.{}", non_canonical(&sig))));
    for (what, header) in [
        (
            "empty oct jwk, node's kid",
            hdr(&|v| {
                v["alg"] = json!("HS256");
                v["jwk"] = json!({"kty": "oct", "k": ""});
            }),
        ),
        (
            "empty kid",
            hdr(&|v| {
                v["alg"] = json!("HS256");
                v["kid"] = json!("");
            }),
        ),
        ("node's kid", hdr(&|v| v["alg"] = json!("HS256"))),
    ] {
        // jsonwebtoken will not make an empty HMAC key; the attack lab's forge will.
        let token = authlab::attack::forge::hmac_sha256(&header, &cl, b"").expect("HMAC with an empty secret");
        add(&format!("HS256 with an empty secret, {what}"), bearer(&token));
    }
    let from_the_future = with(&|v| {
        v["iat"] = json!(t + 365 * 24 * 3600);
        v["exp"] = json!(t + 365 * 24 * 3600 + 600);
    });
    add("iat a year from now", bearer(&lab.sign(&h, &from_the_future)));
    for (what, value) in [
        ("exp a string", json!((t + 600).to_string())),
        ("exp true", json!(true)),
        ("exp negative", json!(-1)),
        ("exp beyond i64", json!(u64::MAX)),
        ("exp 1e300", json!(1e300)),
    ] {
        add(what, bearer(&lab.sign(&h, &with(&|v| v["exp"] = value.clone()))));
    }

    expect_all_refused(&c, node, name, cases).await;
    assert_eq!(bait.hits.load(Ordering::SeqCst), 0, "{name}: the node fetched a header-supplied URL (jku/x5u)");
    // RFC 7519 section 2: a NumericDate may have a fraction; signed with the node's key, it is fine.
    let fractional = with(&|v| {
        v["exp"] = json!((t + 600) as f64 + 0.5);
        v["iat"] = json!(t as f64 + 0.25);
    });
    let r = profile_with(&c, node, bearer(&lab.sign(&h, &fractional)).as_deref()).await;
    assert_eq!(r.status().as_u16(), 200, "{name}: exp {}.5 refused: {:?}", t + 600, r.text().await);
    // Every refusal was counted by its class.
    let metrics = metrics_of(&c, node).await;
    for reason in ["bad_signature", "malformed_token", "malformed_claims", "unsupported_extension", "issued_in_future"]
    {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(&format!("authlab_auth_failures_total{{reason=\"{reason}\"}}")))
            .unwrap_or_else(|| panic!("{name}: no {reason} counter in\n{metrics}"));
        assert!(!line.ends_with(" 0"), "{name}: {line}");
    }
    // Still fine afterwards.
    assert_eq!(bearer_status(&c, node, &pair.access).await, 200, "{name}: issued token after the attacks");
}

#[tokio::test]
async fn attacks_are_refused_hs256() {
    attack_catalogue(Alg::HS256).await;
}

#[tokio::test]
async fn attacks_are_refused_rs256() {
    attack_catalogue(Alg::RS256).await;
}

#[tokio::test]
async fn attacks_are_refused_es256() {
    attack_catalogue(Alg::ES256).await;
}

#[tokio::test]
async fn attacks_are_refused_eddsa() {
    attack_catalogue(Alg::EdDSA).await;
}

#[tokio::test]
async fn attacks_are_refused_ed25519() {
    attack_catalogue(Alg::Ed25519).await;
}

// ---------------------------------------------------------------------------------------------
// Key confusion: HS256 with the public key as the HMAC secret
// ---------------------------------------------------------------------------------------------

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = bytes.iter().copied().skip_while(|&x| x == 0).collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    der(0x02, &b)
}

fn pem(label: &str, der_bytes: &[u8]) -> String {
    let b = STANDARD.encode(der_bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn spki(algid: &[u8], key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    let mut body = der(0x30, algid);
    body.extend(der(0x03, &bits));
    der(0x30, &body)
}

/// Candidate HMAC secrets an attacker would derive from a published JWK, with names.
fn public_key_secrets(jwk: &Value, jwks_text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = vec![
        ("JWK JSON text".into(), jwk.to_string().into_bytes()),
        ("whole JWKS text".into(), jwks_text.as_bytes().to_vec()),
    ];
    let spki_der: Vec<u8> = match jwk["kty"].as_str() {
        Some("RSA") => {
            let n = unb64(jwk["n"].as_str().expect("RSA n"));
            let e = unb64(jwk["e"].as_str().expect("RSA e"));
            let pkcs1 = der(0x30, &[der_uint(&n), der_uint(&e)].concat());
            let algid = [der(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]), vec![0x05, 0x00]].concat();
            let s = spki(&algid, &pkcs1);
            // Sanity: our SPKI PEM is the node's real public key.
            jsonwebtoken::DecodingKey::from_rsa_pem(pem("PUBLIC KEY", &s).as_bytes())
                .expect("built RSA SPKI PEM parses");
            out.push(("RSA modulus n".into(), n.clone()));
            out.push(("RSA modulus n with a leading zero".into(), [vec![0u8], n].concat()));
            out.push(("RSA PKCS#1 DER".into(), pkcs1.clone()));
            out.push(("RSA PKCS#1 PEM".into(), pem("RSA PUBLIC KEY", &pkcs1).into_bytes()));
            s
        }
        Some("EC") => {
            let x = unb64(jwk["x"].as_str().expect("EC x"));
            let y = unb64(jwk["y"].as_str().expect("EC y"));
            let point = [vec![0x04], x.clone(), y.clone()].concat();
            let algid = [
                der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
                der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
            ]
            .concat();
            let s = spki(&algid, &point);
            jsonwebtoken::DecodingKey::from_ec_pem(pem("PUBLIC KEY", &s).as_bytes()).expect("built EC SPKI PEM parses");
            out.push(("EC x||y".into(), [x, y].concat()));
            out.push(("EC uncompressed point".into(), point));
            s
        }
        Some("OKP") => {
            let x = unb64(jwk["x"].as_str().expect("OKP x"));
            let s = spki(&der(0x06, &[0x2b, 0x65, 0x70]), &x);
            jsonwebtoken::DecodingKey::from_ed_pem(pem("PUBLIC KEY", &s).as_bytes())
                .expect("built Ed25519 SPKI PEM parses");
            out.push(("Ed25519 x".into(), x));
            s
        }
        other => panic!("unexpected kty {other:?} in {jwk}"),
    };
    let p = pem("PUBLIC KEY", &spki_der);
    out.push(("SPKI DER".into(), spki_der.clone()));
    out.push(("SPKI PEM".into(), p.clone().into_bytes()));
    out.push(("SPKI PEM without the final newline".into(), p.trim_end().as_bytes().to_vec()));
    out.push(("SPKI PEM with CRLF".into(), p.replace('\n', "\r\n").into_bytes()));
    out.push(("SPKI base64 body".into(), STANDARD.encode(&spki_der).into_bytes()));
    out
}

#[tokio::test]
async fn key_confusion_hmac_with_the_public_key_is_refused() {
    let c = client();
    for alg in [Alg::RS256, Alg::ES256, Alg::EdDSA, Alg::Ed25519] {
        let name = alg.name();
        // The node makes its own keys: the attacker only knows what the JWKS publishes.
        let node = token_node(alg, None, &[]);
        let pair = login_pair(&c, &node, 1).await;
        assert_eq!(bearer_status(&c, &node, &pair.access).await, 200, "{name}: issued token");
        let (h, cl, _) = parts(&pair.access);
        let kid = h["kid"].as_str().expect("kid").to_string();
        let r = c.get(node.at("/.well-known/jwks.json")).send().await.expect("jwks");
        assert_eq!(r.status().as_u16(), 200, "{name}: jwks");
        let jwks_text = r.text().await.expect("jwks body");
        let jwks: Value = serde_json::from_str(&jwks_text).expect("jwks JSON");
        let jwk = jwks["keys"]
            .as_array()
            .and_then(|a| a.iter().find(|k| k["kid"] == kid.as_str()))
            .unwrap_or_else(|| panic!("{name}: kid {kid} in {jwks_text}"))
            .clone();

        let mut cases = Vec::new();
        for (what, secret) in public_key_secrets(&jwk, &jwks_text) {
            let key = EncodingKey::from_secret(&secret).expect("HMAC key");
            for hs in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                let fh = json!({"alg": alg_name(hs), "typ": "at+jwt", "kid": kid});
                cases.push((
                    format!("{} with {what} as the secret", alg_name(hs)),
                    bearer(&sign_raw(&fh, &cl, &key, hs)),
                ));
            }
        }
        expect_all_refused(&c, &node, &format!("{name}->HS"), cases).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Expiry of issued tokens, refresh rotation, revocation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn issued_token_expires_after_ttl_plus_leeway() {
    let c = client();
    let node = token_node(Alg::HS256, None, &["--ttl", "1s", "--leeway", "0s"]);
    let pair = login_pair(&c, &node, 5).await;
    assert_eq!(bearer_status(&c, &node, &pair.access).await, 200, "fresh token");
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_bearer_401(profile_with(&c, &node, bearer(&pair.access).as_deref()).await, "token past its 1 s TTL").await;
}

async fn refresh(c: &reqwest::Client, node: &Node, token: &str) -> reqwest::Response {
    c.post(node.at("/refresh")).json(&json!({"refresh_token": token})).send().await.expect("POST /refresh")
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let c = client();
    let node = token_node(Alg::HS256, None, &[]);
    let a = login_pair(&c, &node, 6).await;

    // The refresh token is not an access token, and the access token is not a refresh token.
    assert_bearer_401(
        profile_with(&c, &node, bearer(&a.refresh).as_deref()).await,
        "refresh token used as an access token",
    )
    .await;
    expect_error(refresh(&c, &node, &a.access).await, 401, "access token used as a refresh token").await;
    expect_error(refresh(&c, &node, "garbage").await, 401, "garbage refresh token").await;
    let r = c.post(node.at("/refresh")).json(&json!({})).send().await.expect("refresh without a field");
    expect_error(r, 400, "refresh without refresh_token").await;

    // Rotation.
    let r = refresh(&c, &node, &a.refresh).await;
    assert_eq!(r.status().as_u16(), 200, "first refresh");
    let b: Value = r.json().await.expect("refresh body JSON");
    let b_access = b["access_token"].as_str().unwrap_or_else(|| panic!("access_token in {b}")).to_string();
    let b_refresh = b["refresh_token"].as_str().unwrap_or_else(|| panic!("refresh_token in {b}")).to_string();
    assert_eq!(b["token_type"], "Bearer", "refresh body {b}");
    assert_ne!(b_access, a.access, "refresh returned the same access token");
    assert_ne!(b_refresh, a.refresh, "refresh returned the same refresh token");
    assert_eq!(bearer_status(&c, &node, &b_access).await, 200, "the new access token works");

    let m = metrics_of(&c, &node).await;
    let revoked_before = metric(&m, "authlab_refresh_families_revoked", &[]).expect("refresh_families_revoked gauge");
    assert_eq!(revoked_before, 0.0, "no family revoked yet:\n{m}");

    // Reuse of the spent token: refused, and the family is revoked.
    expect_error(refresh(&c, &node, &a.refresh).await, 401, "reuse of a spent refresh token").await;
    expect_error(refresh(&c, &node, &b_refresh).await, 401, "newer refresh token of a revoked family").await;

    let m = metrics_of(&c, &node).await;
    let revoked = metric(&m, "authlab_refresh_families_revoked", &[]).expect("refresh_families_revoked gauge");
    assert!(revoked >= 1.0, "authlab_refresh_families_revoked = {revoked}:\n{m}");

    // Another user's family is untouched.
    let other = login_pair(&c, &node, 7).await;
    assert_eq!(refresh(&c, &node, &other.refresh).await.status().as_u16(), 200, "another family still rotates");
}

#[tokio::test]
async fn denylist_revocation_refuses_the_token_after_logout() {
    let c = client();
    let node = token_node(Alg::HS256, None, &["--revocation", "denylist"]);
    let a = login_pair(&c, &node, 8).await;
    let b = login_pair(&c, &node, 8).await;
    assert_eq!(bearer_status(&c, &node, &a.access).await, 200);

    let r = c.post(node.at("/logout")).bearer_auth(&a.access).send().await.expect("logout");
    assert_eq!(r.status().as_u16(), 204, "logout with a valid token");
    assert_bearer_401(
        profile_with(&c, &node, bearer(&a.access).as_deref()).await,
        "access token after logout with the denylist",
    )
    .await;
    // Logging out again with the revoked token: 401.
    let r = c.post(node.at("/logout")).bearer_auth(&a.access).send().await.expect("second logout");
    assert_eq!(r.status().as_u16(), 401, "logout with a revoked token");
    // The other token (another jti) still works.
    assert_eq!(bearer_status(&c, &node, &b.access).await, 200, "another token of the same user");

    let m = metrics_of(&c, &node).await;
    assert_eq!(metric(&m, "authlab_denylist_entries", &[]), Some(1.0), "denylist entries:\n{m}");
}

#[tokio::test]
async fn without_revocation_the_token_survives_logout() {
    let c = client();
    let node = token_node(Alg::HS256, None, &["--revocation", "none"]);
    let a = login_pair(&c, &node, 9).await;
    let r = c.post(node.at("/logout")).bearer_auth(&a.access).send().await.expect("logout");
    assert_eq!(r.status().as_u16(), 204, "logout");
    // The lab's point: a stateless token stays valid until it expires.
    assert_eq!(bearer_status(&c, &node, &a.access).await, 200, "token after logout with --revocation none");
    let m = metrics_of(&c, &node).await;
    assert_eq!(metric(&m, "authlab_denylist_entries", &[]).unwrap_or(0.0), 0.0, "denylist entries:\n{m}");
}

#[tokio::test]
async fn logout_without_a_valid_token_is_401() {
    let c = client();
    let node = token_node(Alg::HS256, None, &[]);
    let r = c.post(node.at("/logout")).send().await.expect("logout without a token");
    assert_bearer_401(r, "logout without a token").await;
    let r = c.post(node.at("/logout")).bearer_auth("garbage").send().await.expect("logout with garbage");
    assert_bearer_401(r, "logout with a garbage token").await;
}

#[tokio::test]
async fn claims_bytes_pads_the_token() {
    let c = client();
    let small = token_node(Alg::HS256, None, &["--claims-bytes", "0"]);
    let big = token_node(Alg::HS256, None, &["--claims-bytes", "2000"]);
    let s = login_pair(&c, &small, 0).await;
    let b = login_pair(&c, &big, 0).await;
    let diff = b.access.len() as i64 - s.access.len() as i64;
    assert!(
        diff >= 1900,
        "--claims-bytes 2000 made the token only {diff} bytes longer ({} vs {})",
        b.access.len(),
        s.access.len()
    );
    let (_, cl, _) = parts(&b.access);
    let perms = cl["perms"].as_array().unwrap_or_else(|| panic!("perms array in the padded token"));
    assert!(perms.iter().all(|p| p.is_string()), "perms are strings");
    let perms_len = cl["perms"].to_string().len();
    assert!((1800..=2600).contains(&perms_len), "perms claim is {perms_len} bytes for --claims-bytes 2000");
    assert_eq!(bearer_status(&c, &big, &b.access).await, 200, "the padded token is valid");
}

// ---------------------------------------------------------------------------------------------
// Key files
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn short_hmac_key_in_the_keys_file_is_refused() {
    let ks = generate(Alg::HS256);
    let good_json = ks.to_private_jwks_json();
    let mut v: Value = serde_json::from_str(&good_json).expect("private JWKS JSON");
    let k0 = v["keys"][0]["k"].as_str().expect("oct key has k").to_string();
    assert!(unb64(&k0).len() >= 32, "KeySet::generate(HS256) made a key shorter than 32 bytes");

    // Control: the generated file itself starts a node.
    let good = TempFile::with_contents("good-keys.json", &good_json);
    let mut ok = token_node(Alg::HS256, Some(good.path_str()), &[]);
    assert!(ok.terminate().is_some());

    // Same file with a 16-byte key: the node must refuse to start.
    v["keys"][0]["k"] = json!(b64(&[7u8; 16]));
    let short = TempFile::with_contents("short-keys.json", &v.to_string());
    let mut child = std::process::Command::new(BIN)
        .args(["node", "--strategy", "token", "--algorithm", "HS256", "--keys", short.path_str()])
        .args(["--users", "5", "--password-hash", "sha256"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawning a node with a short HMAC key");
    let status = wait_timeout(&mut child, Duration::from_secs(10));
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("a node with a 16-byte HMAC key was still running after 10 s");
    };
    let out = child.wait_with_output().expect("output");
    assert!(!status.success(), "a node with a 16-byte HMAC key exited with {status:?}");
    assert!(!out.stderr.is_empty(), "no message on stderr for the short key");
}

#[tokio::test]
async fn nodes_sharing_a_keys_file_accept_each_others_tokens() {
    let c = client();
    for alg in [Alg::HS256, Alg::ES256, Alg::Ed25519] {
        let name = alg.name();
        let ks = generate(alg);
        let file = TempFile::with_contents("shared-keys.json", &ks.to_private_jwks_json());
        let a = token_node(alg, Some(file.path_str()), &[]);
        let b = token_node(alg, Some(file.path_str()), &[]);
        let stranger = token_node(alg, None, &[]);
        let ta = login_pair(&c, &a, 3).await;
        let tb = login_pair(&c, &b, 4).await;
        assert_eq!(bearer_status(&c, &b, &ta.access).await, 200, "{name}: node B accepts node A's token");
        assert_eq!(bearer_status(&c, &a, &tb.access).await, 200, "{name}: node A accepts node B's token");
        assert_bearer_401(
            profile_with(&c, &stranger, bearer(&ta.access).as_deref()).await,
            &format!("{name}: a node with other keys accepts A's token"),
        )
        .await;
    }
}

#[tokio::test]
async fn keys_file_first_key_signs_all_keys_verify() {
    let c = client();
    let alg = Alg::ES256;
    let first = generate(alg);
    let second = generate(alg);
    let mut v1: Value = serde_json::from_str(&first.to_private_jwks_json()).expect("JWKS 1");
    let v2: Value = serde_json::from_str(&second.to_private_jwks_json()).expect("JWKS 2");
    v1["keys"].as_array_mut().expect("keys").extend(v2["keys"].as_array().expect("keys 2").iter().cloned());
    let file = TempFile::with_contents("two-keys.json", &v1.to_string());
    let node = token_node(alg, Some(file.path_str()), &[]);

    let pair = login_pair(&c, &node, 0).await;
    let (h, cl, _) = parts(&pair.access);
    assert_eq!(h["kid"], first.current_kid(), "the FIRST key signs");

    // A token signed with the second key (as before a rotation) verifies.
    let (k2, kid2) = signing_key(&second);
    let h2 = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid2});
    assert_eq!(
        bearer_status(&c, &node, &sign_raw(&h2, &cl, k2, Algorithm::ES256)).await,
        200,
        "token signed with the second key"
    );
    // But the kid selects the key: the second key under the first kid is refused.
    let h1 = json!({"alg": "ES256", "typ": "at+jwt", "kid": first.current_kid()});
    assert_bearer_401(
        profile_with(&c, &node, bearer(&sign_raw(&h1, &cl, k2, Algorithm::ES256)).as_deref()).await,
        "second key's signature under the first key's kid",
    )
    .await;

    let jwks: Value =
        c.get(node.at("/.well-known/jwks.json")).send().await.expect("jwks").json().await.expect("jwks JSON");
    let kids: Vec<&str> = jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str()).collect();
    assert!(kids.contains(&first.current_kid()) && kids.contains(&kid2.as_str()), "JWKS publishes both keys: {jwks}");
}

// ---------------------------------------------------------------------------------------------
// Routes and metrics of a token node
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn token_node_routes_and_metrics() {
    let c = client();
    let node = token_node(Alg::HS256, None, &[]);
    let r = c.get(node.at("/healthz")).send().await.expect("healthz");
    assert_eq!(r.status().as_u16(), 200);
    expect_error(c.get(node.at("/nope")).send().await.expect("GET /nope"), 404, "unknown route").await;
    expect_error(c.get(node.at("/refresh")).send().await.expect("GET /refresh"), 405, "GET /refresh").await;
    expect_error(c.get(node.at("/login")).send().await.expect("GET /login"), 405, "GET /login").await;
    let r =
        c.post(node.at("/login")).header("content-type", "application/json").body("{").send().await.expect("bad JSON");
    expect_error(r, 400, "malformed login JSON").await;
    let big = json!({"username": "user0000000", "password": "x".repeat(70_000)}).to_string();
    let r =
        c.post(node.at("/login")).header("content-type", "application/json").body(big).send().await.expect("big body");
    expect_error(r, 413, "login body over 64 KiB").await;
    let (u, p) = &creds()[0];
    expect_error(login(&c, &node, u, &format!("{p}!")).await, 401, "wrong password").await;
    expect_error(login(&c, &node, "nobody", p).await, 401, "unknown user").await;

    let pair = login_pair(&c, &node, 0).await;
    assert_eq!(bearer_status(&c, &node, &pair.access).await, 200);
    let m = metrics_of(&c, &node).await;
    for name in [
        "authlab_requests_total",
        "authlab_heap_bytes",
        "authlab_rss_bytes",
        "authlab_cpu_seconds_total",
        "authlab_sessions",
        "authlab_store_ops_total",
        "authlab_auth_check_seconds_bucket",
        "authlab_auth_check_seconds_sum",
        "authlab_auth_check_seconds_count",
        "authlab_logins_total",
        "authlab_refresh_tokens",
        "authlab_refresh_families",
        "authlab_refresh_families_revoked",
        "authlab_denylist_entries",
    ] {
        assert!(has_metric(&m, name), "metric {name} missing on a token node:\n{m}");
    }
    assert_eq!(metric(&m, "authlab_refresh_tokens", &[]), Some(1.0), "refresh tokens held after one login:\n{m}");
    assert_eq!(metric(&m, "authlab_refresh_families", &[]), Some(1.0), "refresh families after one login:\n{m}");
    assert_eq!(
        metric(&m, "authlab_requests_total", &[("route", "/login"), ("status", "200")]),
        Some(1.0),
        "login 200 count:\n{m}"
    );
    assert!(metric(&m, "authlab_auth_check_seconds_count", &[]).unwrap_or(0.0) >= 1.0, "auth checks:\n{m}");
}

#[tokio::test]
async fn token_node_exits_cleanly_on_sigterm() {
    let mut node = token_node(Alg::HS256, None, &[]);
    let st = node.terminate().expect("token node did not stop within 5 s of SIGTERM");
    assert!(st.success(), "token node exit status {st:?}: {}", node.stderr_text());
}
