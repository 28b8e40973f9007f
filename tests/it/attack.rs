//! `authlab attack`: against the lab's own nodes every attack is refused (and the replay without a
//! denylist gets through, as the lesson expects); against a weakly configured node attacks get
//! through and the exit status says so; usage errors exit 2.
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;
use authlab::token::keys::KeySet;
use serde_json::Value;

/// How long one `authlab attack` may take (it takes well under a second on a quiet machine).
const ATTACK_TIMEOUT: Duration = Duration::from_secs(60);

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `authlab attack <args>`, draining its pipes, and kills it after `ATTACK_TIMEOUT`.
fn attack(args: &[&str]) -> Ran {
    let mut child = Command::new(BIN)
        .arg("attack")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning `authlab attack`");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout pipe")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr pipe")));
    let status = wait_timeout(&mut child, ATTACK_TIMEOUT);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let ran = Ran {
        code: status.and_then(|s| s.code()),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    assert!(status.is_some(), "`authlab attack {args:?}` still ran after {ATTACK_TIMEOUT:?}; stderr: {}", ran.stderr);
    ran
}

fn json_of(ran: &Ran) -> Vec<Value> {
    let value: Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr: {}", ran.stdout, ran.stderr));
    value.as_array().unwrap_or_else(|| panic!("not a JSON array: {value}")).clone()
}

fn by_name<'a>(results: &'a [Value], name: &str) -> &'a Value {
    results.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no attack {name:?} in the report"))
}

#[test]
fn every_attack_is_refused_by_the_labs_own_nodes() {
    let ran = attack(&["--json"]);
    assert_eq!(ran.code, Some(0), "exit status; stderr: {}\nstdout: {}", ran.stderr, ran.stdout);
    let results = json_of(&ran);
    assert!(results.len() >= 15, "{} attacks", results.len());
    for r in &results {
        for field in ["name", "strategy", "sent", "expected", "got", "why"] {
            let text = r[field].as_str().unwrap_or_else(|| panic!("{field} is not a string in {r}"));
            assert!(!text.is_empty(), "{field} is empty in {r}");
        }
        assert_eq!(r["passed"], true, "an attack did not pass against the lab's own nodes: {r:#}");
    }
    for strategy in ["session", "token"] {
        assert!(results.iter().any(|r| r["strategy"] == strategy), "no {strategy} attack");
    }
    let issue = [
        "alg-none",
        "key-confusion",
        "tampered-signature",
        "expired",
        "future-nbf",
        "exp-as-string",
        "wrong-aud",
        "wrong-iss",
        "wrong-typ",
        "kid-path-traversal",
        "kid-sql-injection",
        "header-jku",
        "header-jwk",
        "oversized-token",
        "replay-after-logout",
        "replay-after-logout-denylist",
        "refresh-reuse",
        "fixation",
        "forged-session-id",
        "session-reuse-after-logout",
        "cookie-flags",
        "csrf-cross-site",
        // Issue 11.
        "crit-unknown",
        "duplicate-claims",
        "duplicate-header",
        "non-canonical-signature",
        "non-canonical-signature-denylist",
        "hmac-empty-key",
        "hmac-public-key-jwk",
        "future-iat",
        "session-id-in-url",
        "session-idle-timeout",
    ];
    for name in issue {
        by_name(&results, name);
    }

    // The lesson: without a denylist the logged-out token still works, and that is expected.
    let replay = by_name(&results, "replay-after-logout");
    assert_eq!(replay["status"], 200, "{replay:#}");
    assert!(replay["expected"].as_str().is_some_and(|e| e.contains("accepted")), "{replay:#}");
    // With a denylist it is refused.
    assert_eq!(by_name(&results, "replay-after-logout-denylist")["status"], 401);
    // The key-confusion attack really fetched the JWKS and was refused with 401.
    let confusion = by_name(&results, "key-confusion");
    assert_eq!(confusion["status"], 401, "{confusion:#}");
    let steps = confusion["steps"].as_array().expect("steps");
    assert!(steps.iter().any(|s| s.as_str().is_some_and(|s| s.contains("/.well-known/jwks.json -> 200"))), "{steps:?}");
    // Refresh reuse: the rotated token died with its family.
    let reuse = by_name(&results, "refresh-reuse");
    let reuse_steps: Vec<&str> = reuse["steps"].as_array().expect("steps").iter().filter_map(Value::as_str).collect();
    assert!(reuse_steps.iter().any(|s| s.contains("first use") && s.contains("-> 200")), "{reuse_steps:?}");
    assert!(reuse_steps.iter().any(|s| s.contains("the rotated token") && s.contains("-> 401")), "{reuse_steps:?}");
    // CSRF: the forged cross-site POST is refused by the node's Origin check.
    assert_eq!(by_name(&results, "csrf-cross-site")["status"], 403);
    assert!(by_name(&results, "cookie-flags")["got"].as_str().is_some_and(|g| g.contains("SameSite=Strict")));
    // Issue 11: each new attack really ran (a step that sent it) and was refused with 401.
    for name in [
        "crit-unknown",
        "duplicate-claims",
        "duplicate-header",
        "non-canonical-signature",
        "non-canonical-signature-denylist",
        "hmac-empty-key",
        "hmac-public-key-jwk",
        "future-iat",
        "session-id-in-url",
        "session-idle-timeout",
    ] {
        let r = by_name(&results, name);
        assert_eq!(r["status"], 401, "{name}: {r:#}");
        let steps: Vec<&str> = r["steps"].as_array().expect("steps").iter().filter_map(Value::as_str).collect();
        assert!(steps.iter().filter(|s| s.contains("-> 401")).count() >= 1, "{name}: {steps:?}");
    }
    // The re-encoded signature: the token as issued worked, the same bytes re-encoded did not; and
    // a logged-out token stays refused however its signature is encoded.
    let steps = |name: &str| -> Vec<String> {
        by_name(&results, name)["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect()
    };
    let re_encoded = steps("non-canonical-signature");
    assert!(re_encoded.iter().any(|s| s.contains("the token as issued") && s.contains("-> 200")), "{re_encoded:?}");
    let denied = steps("non-canonical-signature-denylist");
    assert!(denied.iter().any(|s| s.contains("signature re-encoded") && s.contains("-> 401")), "{denied:?}");
    // The session id in the query opened nothing, though the same id in the cookie did.
    let in_url = steps("session-id-in-url");
    assert!(in_url.iter().any(|s| s.contains("?sid=") && s.contains("-> 401")), "{in_url:?}");
    // The idle session died on the server.
    let idle = by_name(&results, "session-idle-timeout");
    assert!(idle["note"].as_str().is_some_and(|n| n.contains("idle timeout 2 s")), "{idle:#}");
}

#[test]
fn a_weak_token_node_lets_attacks_through_and_the_exit_status_is_1() {
    // A real but weakly configured pair: a token node whose clock leeway is 1000 hours (so expiry
    // and nbf mean nothing), and a session node without --secure-cookie.
    let keys = KeySet::generate(authlab::token::keys::Alg::HS256).expect("an HMAC key");
    let file = TempFile::with_contents("weak-keys.json", &keys.to_private_jwks_json());
    let fast = ["--password-hash", "sha256", "--users", "8"];
    let token =
        Node::start(&[&["--strategy", "token", "--keys", file.path_str(), "--leeway", "1000h"][..], &fast].concat());
    let session = Node::start(&[&["--strategy", "session"][..], &fast].concat());

    let ran = attack(&["--json", "--session", session.url(), "--token", token.url(), "--token-keys", file.path_str()]);
    assert_eq!(ran.code, Some(1), "exit status; stderr: {}", ran.stderr);
    let results = json_of(&ran);
    for name in ["expired", "future-nbf"] {
        let r = by_name(&results, name);
        assert_eq!(r["passed"], false, "{r:#}");
        assert_eq!(r["status"], 200, "the forged token got through: {r:#}");
    }
    assert_eq!(by_name(&results, "cookie-secure")["passed"], false);
    // What the weak nodes still get right is still reported as passed.
    for name in ["alg-none", "tampered-signature", "wrong-aud", "fixation", "csrf-cross-site"] {
        assert_eq!(by_name(&results, name)["passed"], true, "{name}");
    }
    // Attacks these targets cannot show are skipped with a reason, not passed.
    for name in
        ["replay-after-logout-denylist", "non-canonical-signature-denylist", "key-confusion", "hmac-public-key-jwk"]
    {
        let r = by_name(&results, name);
        assert_eq!(r["passed"], Value::Null, "{r:#}");
        assert!(r["note"].as_str().is_some_and(|n| n.starts_with("skipped")), "{r:#}");
    }
}

#[test]
fn text_report_in_korean_and_usage_errors() {
    let ran = attack(&["--only", "alg-none", "--lang", "ko"]);
    assert_eq!(ran.code, Some(0), "stderr: {}", ran.stderr);
    for text in ["통과", "alg-none", "보냄:", "기대:", "결과:", "이유:", "공격 1개: 통과 1, 실패 0, 건너뜀 0"]
    {
        assert!(ran.stdout.contains(text), "{text:?} missing from:\n{}", ran.stdout);
    }

    let ran = attack(&["--only", "no-such-attack"]);
    assert_eq!(ran.code, Some(2), "stdout: {}", ran.stdout);
    assert!(ran.stderr.contains("alg-none") && ran.stderr.contains("csrf-cross-site"), "{}", ran.stderr);

    let ran = attack(&["--token", "not-a-url"]);
    assert_eq!(ran.code, Some(2), "stdout: {}", ran.stdout);
    assert!(ran.stderr.contains("not a base URL"), "{}", ran.stderr);

    let ran = attack(&["--list"]);
    assert_eq!(ran.code, Some(0));
    assert!(ran.stdout.lines().count() >= 15, "{}", ran.stdout);
    for name in ["crit-unknown", "non-canonical-signature-denylist", "session-id-in-url", "session-idle-timeout"] {
        assert!(ran.stdout.contains(name), "{name} not listed:\n{}", ran.stdout);
    }
}
