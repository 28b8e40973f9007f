//! JWT is a web standard: authlab's access tokens interoperate with an independent implementation,
//! PyJWT, driven by `scripts/interop.py` against real token nodes, for every algorithm:
//! - tokens a node issues verify with PyJWT, with the key PyJWT builds from the node's JWKS (its
//!   own `PyJWKClient`), or for HS256, whose secret is never published, from the node's key file;
//! - tokens PyJWT signs with the same keys are accepted by the node's `/api/profile`;
//! - a token PyJWT signs with another key of the same type, under the same kid, is refused.
//!
//! Without python3, PyJWT or cryptography the tests skip loudly; with `AUTHLAB_REQUIRE_PYJWT=1`
//! (CI) they fail instead.
//!
//! RFC 9864's `Ed25519`, which jsonwebtoken (and so authlab's PyJWT tests) cannot name, is checked
//! against joserfc by `scripts/interop_joserfc.py` the same way, both directions: joserfc verifies
//! the node's tokens with the key it imports from the node's JWKS, and the node accepts joserfc's
//! tokens (with a fractional `exp`, RFC 7519 NumericDate) and refuses one signed with another key.
//! Without joserfc those tests skip loudly; with `AUTHLAB_REQUIRE_JOSERFC=1` (CI) they fail.
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::support::python::{PythonLibrary, available};
use crate::support::*;
use authlab::token::keys::{Alg, KeySet, algorithm_name};
use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/interop.py");
const JOSERFC_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/interop_joserfc.py");

fn pyjwt_available() -> bool {
    static PROBED: OnceLock<Result<(), String>> = OnceLock::new();
    let pyjwt = PythonLibrary {
        import: "jwt, cryptography",
        name: "PyJWT and cryptography",
        require: "AUTHLAB_REQUIRE_PYJWT",
        install: "pip install \"pyjwt[crypto]\"",
        tests: "the JWT interoperability tests",
    };
    available(&pyjwt, &PROBED)
}

fn joserfc_available() -> bool {
    static PROBED: OnceLock<Result<(), String>> = OnceLock::new();
    let joserfc = PythonLibrary {
        import: "joserfc",
        name: "joserfc",
        require: "AUTHLAB_REQUIRE_JOSERFC",
        install: "pip install joserfc",
        tests: "the Ed25519 (RFC 9864) interoperability tests",
    };
    available(&joserfc, &PROBED)
}

/// Runs `scripts/interop.py ARGS`; (success, stdout, stderr).
fn interop(args: &[&str]) -> (bool, String, String) {
    run_script(SCRIPT, args)
}

/// Runs `python3 SCRIPT ARGS`; (success, stdout, stderr).
fn run_script(script: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        // Loopback only: never through a proxy.
        .env("no_proxy", "*")
        .env("NO_PROXY", "*")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running python3 {script}: {e}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn interop_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = interop(args);
    assert!(ok, "interop.py {args:?} failed:\n{stderr}\n{stdout}");
    stdout
}

fn joserfc_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = run_script(JOSERFC_SCRIPT, args);
    assert!(ok, "interop_joserfc.py {args:?} failed:\n{stderr}\n{stdout}");
    stdout
}

async fn profile_status(c: &reqwest::Client, node: &Node, token: &str) -> (u16, Value) {
    let r = c.get(node.at("/api/profile")).bearer_auth(token).send().await.expect("GET /api/profile");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Both directions, and a wrong key, for one algorithm.
async fn interoperates(alg: Alg) {
    if !pyjwt_available() {
        return;
    }
    let name = algorithm_name(alg);
    let keys = KeySet::generate(alg).expect("a key");
    let file = TempFile::with_contents("keys.json", &keys.to_private_jwks_json());
    let node =
        Node::start(&["--strategy", "token", "--keys", file.path_str(), "--users", "5", "--password-hash", "sha256"]);
    let (user, password) = users_csv(42, 1).remove(0);
    let c = client();
    let r = login(&c, &node, &user, &password).await;
    assert_eq!(r.status().as_u16(), 200, "{name}: login");
    let body: Value = r.json().await.expect("login JSON");
    let token = body["access_token"].as_str().expect("an access token").to_owned();

    // 1. authlab's token, verified by PyJWT with a key PyJWT built from the JWKS (or the key file).
    let jwks_url = node.at("/.well-known/jwks.json");
    let source = if alg == Alg::HS256 { ["--key-file", file.path_str()] } else { ["--jwks-url", jwks_url.as_str()] };
    let mut args = vec!["verify", "--token", token.as_str()];
    args.extend(source);
    let verified: Value = serde_json::from_str(&interop_ok(&args)).expect("verify prints JSON");
    assert_eq!(verified["alg"], name, "{name}: PyJWT used the key's algorithm: {verified}");
    assert_eq!(verified["kid"], keys.current_kid(), "{name}: {verified}");
    assert_eq!(verified["source"], if alg == Alg::HS256 { "key-file" } else { "jwks" }, "{verified}");
    assert_eq!(verified["claims"]["sub"], user.as_str(), "{name}: {verified}");
    assert_eq!(verified["claims"]["iss"], "authlab", "{name}: {verified}");
    // PyJWT also refuses it for another audience: it checked the claims, not just the signature.
    let mut wrong_aud = args.clone();
    wrong_aud.extend(["--audience", "someone-else"]);
    let (ok, _, stderr) = interop(&wrong_aud);
    assert!(!ok && stderr.contains("InvalidAudienceError"), "{name}: {stderr}");

    // 2. PyJWT's token, signed with the node's own key, accepted by the node.
    let minted = interop_ok(&["mint", "--key-file", file.path_str(), "--sub", "user0000003"]);
    let (status, body) = profile_status(&c, &node, &minted).await;
    assert_eq!(status, 200, "{name}: authlab accepts PyJWT's token: {body}");
    assert_eq!(body["user"], "user0000003", "{name}: {body}");

    // 3. PyJWT's token signed with another key under the same kid: refused.
    let forged = interop_ok(&["mint", "--key-file", file.path_str(), "--sub", "user0000003", "--wrong-key"]);
    let (status, body) = profile_status(&c, &node, &forged).await;
    assert_eq!(status, 401, "{name}: a token signed with the wrong key: {body}");
    // And one for another audience, with the right key.
    let other = interop_ok(&["mint", "--key-file", file.path_str(), "--sub", "user0000003", "--audience", "x"]);
    assert_eq!(profile_status(&c, &node, &other).await.0, 401, "{name}: wrong audience");
}

#[tokio::test]
async fn hs256_tokens_interoperate_with_pyjwt() {
    interoperates(Alg::HS256).await;
}

#[tokio::test]
async fn rs256_tokens_interoperate_with_pyjwt() {
    interoperates(Alg::RS256).await;
}

#[tokio::test]
async fn es256_tokens_interoperate_with_pyjwt() {
    interoperates(Alg::ES256).await;
}

#[tokio::test]
async fn eddsa_tokens_interoperate_with_pyjwt() {
    interoperates(Alg::EdDSA).await;
}

/// Both directions with joserfc, and a wrong key, for one EdDSA-family algorithm.
async fn interoperates_with_joserfc(alg: Alg) {
    if !joserfc_available() {
        return;
    }
    let name = algorithm_name(alg);
    let keys = KeySet::generate(alg).expect("a key");
    let file = TempFile::with_contents("keys.json", &keys.to_private_jwks_json());
    let node =
        Node::start(&["--strategy", "token", "--keys", file.path_str(), "--users", "5", "--password-hash", "sha256"]);
    let (user, password) = users_csv(42, 1).remove(0);
    let c = client();
    let r = login(&c, &node, &user, &password).await;
    assert_eq!(r.status().as_u16(), 200, "{name}: login");
    let body: Value = r.json().await.expect("login JSON");
    let token = body["access_token"].as_str().expect("an access token").to_owned();

    // 1. authlab's token, verified by joserfc with the key it imported from the node's JWKS.
    let jwks_url = node.at("/.well-known/jwks.json");
    let args = ["verify", "--token", token.as_str(), "--jwks-url", jwks_url.as_str()];
    let verified: Value = serde_json::from_str(&joserfc_ok(&args)).expect("verify prints JSON");
    assert_eq!(verified["alg"], name, "{name}: the JWKS names the algorithm: {verified}");
    assert_eq!(verified["kid"], keys.current_kid(), "{name}: {verified}");
    assert_eq!(verified["claims"]["sub"], user.as_str(), "{name}: {verified}");
    // joserfc refuses it for another audience: it checked the claims, not just the signature.
    let (ok, _, stderr) =
        run_script(JOSERFC_SCRIPT, &["verify", "--token", &token, "--jwks-url", &jwks_url, "--audience", "x"]);
    assert!(!ok && stderr.contains("InvalidClaimError"), "{name}: {stderr}");

    // 2. joserfc's token, signed with the node's own key (a fractional exp too), accepted.
    for extra in [&[][..], &["--fractional-exp"][..]] {
        let mut mint = vec!["mint", "--key-file", file.path_str(), "--sub", "user0000003"];
        mint.extend_from_slice(extra);
        let minted = joserfc_ok(&mint);
        let (status, body) = profile_status(&c, &node, &minted).await;
        assert_eq!(status, 200, "{name} {extra:?}: authlab accepts joserfc's token: {body}");
        assert_eq!(body["user"], "user0000003", "{name}: {body}");
    }

    // 3. joserfc's token signed with another key under the same kid: refused.
    let forged = joserfc_ok(&["mint", "--key-file", file.path_str(), "--sub", "user0000003", "--wrong-key"]);
    let (status, body) = profile_status(&c, &node, &forged).await;
    assert_eq!(status, 401, "{name}: a token signed with the wrong key: {body}");
    let other = joserfc_ok(&["mint", "--key-file", file.path_str(), "--sub", "user0000003", "--audience", "x"]);
    assert_eq!(profile_status(&c, &node, &other).await.0, 401, "{name}: wrong audience");
}

#[tokio::test]
async fn ed25519_tokens_interoperate_with_joserfc() {
    interoperates_with_joserfc(Alg::Ed25519).await;
}

#[tokio::test]
async fn eddsa_tokens_interoperate_with_joserfc() {
    interoperates_with_joserfc(Alg::EdDSA).await;
}
