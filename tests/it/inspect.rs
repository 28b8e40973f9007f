//! `authlab inspect`: a real token node's token decoded and verified against its JWKS URL, and the
//! ways a token fails (a tampered claim, `alg: none`, an expired one, malformed input), each with
//! its exit status and the check that says why.
use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};

/// `authlab inspect <args>`.
fn inspect(args: &[&str]) -> Output {
    Command::new(BIN).arg("inspect").args(args).stdin(Stdio::null()).output().expect("running authlab inspect")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The line of the checks table for `name`.
fn check_line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .skip_while(|l| *l != "checks")
        .find(|l| l.trim_start().starts_with(&format!("{name} ")) && l.starts_with("  "))
        .unwrap_or_else(|| panic!("no {name} check in:\n{report}"))
}

/// A token node on ES256 (which publishes a JWKS) and an access token from logging in to it.
async fn node_and_token() -> (Node, String) {
    let node = Node::start(&[
        "--strategy",
        "token",
        "--algorithm",
        "ES256",
        "--seed",
        "42",
        "--users",
        "3",
        "--password-hash",
        "sha256",
    ]);
    let (user, password) = users_csv(42, 3).swap_remove(0);
    let r = login(&client(), &node, &user, &password).await;
    assert_eq!(r.status().as_u16(), 200, "token login");
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap_or_else(|| panic!("access_token in {body}")).to_owned();
    (node, token)
}

fn b64json(v: &Value) -> String {
    B64.encode(v.to_string())
}

#[tokio::test]
async fn a_nodes_token_verifies_against_its_jwks_and_a_tampered_one_does_not() {
    let (node, token) = node_and_token().await;
    let jwks = node.at("/.well-known/jwks.json");
    let out = inspect(&[&token, "--jwks", &jwks, "--iss", "authlab", "--aud", "authlab-api"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    for name in ["signature", "alg", "typ", "exp", "nbf", "iss", "aud", "crit"] {
        assert!(check_line(&report, name).contains(" passed "), "{name}:\n{report}");
    }
    for section in ["header (", "claims (", "signature (", "\"sub\": \"user", "verified"] {
        assert!(report.contains(section), "{section:?} in:\n{report}");
    }

    // The same token with its subject changed: the signature no longer covers the claims.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: Value = serde_json::from_slice(&B64.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("admin");
    parts[1] = b64json(&claims);
    let out = inspect(&[&parts.join("."), "--jwks", &jwks]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(check_line(&report, "signature").contains("FAILED"), "{report}");
    assert!(check_line(&report, "exp").contains("passed"), "{report}");
    assert!(report.contains("not verified: signature failed"), "{report}");

    // alg none, signature stripped: refused before any key is tried.
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": token_kid(&token)});
    let none = format!("{}.{}.", b64json(&header), parts[1]);
    let out = inspect(&[&none, "--jwks", &jwks]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(check_line(&report, "alg").contains("FAILED") && report.contains("never accepted"), "{report}");
    assert!(check_line(&report, "signature").contains("not checked"), "{report}");

    // The RS256/ES256 → HS256 confusion: an HS256 token against the node's public keys.
    let hs = format!("{}.{}.c2ln", b64json(&json!({"alg": "HS256", "kid": token_kid(&token)})), parts[1]);
    let out = inspect(&[&hs, "--jwks", &jwks]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(check_line(&report, "alg").contains("does not fit the key"), "{report}");

    // Without a key: decoded, but not verified.
    let out = inspect(&[&token]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("not verified: no key given"), "{}", text(&out));
}

fn token_kid(token: &str) -> String {
    let header: Value = serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn json_has_the_documented_fields() {
    let (node, token) = node_and_token().await;
    let out = inspect(&[&token, "--jwks", &node.at("/.well-known/jwks.json"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(doc["header"]["alg"], "ES256");
    assert_eq!(doc["header"]["typ"], "at+jwt");
    assert_eq!(doc["claims"]["iss"], "authlab");
    assert_eq!(doc["parts"]["token_bytes"].as_u64(), Some(token.len() as u64));
    assert_eq!(doc["parts"]["signature_bytes"], 64, "ES256 signatures are 64 bytes");
    for part in ["header_bytes", "claims_bytes"] {
        assert!(doc["parts"][part].as_u64().is_some_and(|n| n > 10), "{part}: {doc}");
    }
    let exp = &doc["times"]["exp"];
    assert!(exp["utc"].as_str().is_some_and(|t| t.ends_with('Z')), "{doc}");
    assert!(exp["from_now_s"].as_i64().is_some_and(|s| s > 800 && s <= 900), "{doc}");
    assert!(exp["relative"].as_str().is_some_and(|r| r.starts_with("in ")), "{doc}");
    let checks = doc["checks"].as_array().expect("checks");
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["signature", "alg", "typ", "exp", "nbf", "iss", "aud", "crit"]);
    for c in checks {
        assert!(["passed", "failed", "not_checked"].contains(&c["result"].as_str().unwrap()), "{c}");
        assert!(c["detail"].is_string(), "{c}");
    }
    assert_eq!(checks[5]["result"], "not_checked", "iss without --iss");
    assert_eq!(doc["verified"], true);
}

#[test]
fn an_expired_token_fails_exp_with_an_hmac_secret_file() {
    let secret = "an hmac secret of at least thirty-two bytes";
    let file = TempFile::with_contents("secret.txt", &format!("{secret}\n"));
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"sub": "user0000001", "iat": now - 3600, "exp": now - 600});
    let sign = |claims: &Value| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    let out = inspect(&[&sign(&claims), "--key", file.path_str()]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(check_line(&report, "signature").contains("passed"), "{report}");
    assert!(check_line(&report, "exp").contains("FAILED") && report.contains("expired 10m"), "{report}");
    assert!(report.contains("neither JSON nor PEM"), "{report}");

    // The same secret, a live token: verified.
    let live = sign(&json!({"sub": "user0000001", "iat": now, "exp": now + 600}));
    let out = inspect(&[&live, "--key", file.path_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // `-` reads it from stdin, `Bearer ` and the newline dropped.
    let mut child = Command::new(BIN)
        .args(["inspect", "-", "--key", file.path_str()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("Bearer {live}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn malformed_input_exits_2_and_says_where_it_breaks() {
    let out = inspect(&["abc.def"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("has 2 parts, a JWT has 3"), "{}", text(&out));

    let header = b64json(&json!({"alg": "HS256"}));
    let mut claims = b64json(&json!({"sub": "someone", "n": 1}));
    claims.replace_range(17..18, "+");
    let out = inspect(&[&format!("{header}.{claims}.c2ln")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("part 2 (claims) is not base64url at byte 17"), "{}", text(&out));

    let out = inspect(&[&format!("{}.{}.c2ln", B64.encode("[1,2]"), b64json(&json!({})))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("part 1 (header) is not a JSON object"), "{}", text(&out));

    // A key file that is not there: nothing to check with.
    let good = format!("{header}.{}.c2ln", b64json(&json!({})));
    let out = inspect(&[&good, "--key", "/nonexistent/authlab-key"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("reading the key file"), "{}", text(&out));
}
