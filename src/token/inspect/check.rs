//! The checks of a decoded token, each told apart: signature (through jsonwebtoken), `alg`,
//! `typ`, `exp`, `nbf`, `iss`, `aud` and `crit`.

use jsonwebtoken::DecodingKey;
use serde::Serialize;
use serde_json::Value;

use super::decode::Decoded;
use super::key::{Candidate, KeySource};
use super::times::relative;
use crate::token::keys::{Alg, SUPPORTED};

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The token passes it.
    Passed,
    /// The token fails it: it does not verify.
    Failed,
    /// It could not be, or was not asked to be, checked (the detail says why).
    NotChecked,
}

impl Outcome {
    /// As the text report prints it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "FAILED",
            Outcome::NotChecked => "not checked",
        }
    }
}

/// One check: its name, what it found and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// signature, alg, typ, exp, nbf, iss, aud or crit.
    pub name: &'static str,
    /// What it found.
    pub result: Outcome,
    /// Why, in a sentence.
    pub detail: String,
}

fn check(name: &'static str, result: Outcome, detail: impl Into<String>) -> Check {
    Check { name, result, detail: detail.into() }
}

/// What the caller expects of the claims, and the clock skew forgiven on `exp` and `nbf`.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// The `iss` the token must have; without it `iss` is not checked.
    pub issuer: Option<String>,
    /// An audience the token's `aud` must include; without it `aud` is not checked.
    pub audience: Option<String>,
    /// Seconds of clock skew forgiven.
    pub leeway_s: u64,
}

/// The `typ` values of a JWT (RFC 7519) or an access token (RFC 9068), compared in any case.
const JWT_TYPES: [&str; 4] = ["JWT", "application/jwt", "at+jwt", "application/at+jwt"];

/// Every check of `token`, in the report's order: signature, alg, typ, exp, nbf, iss, aud, crit.
pub fn run_checks(token: &Decoded, key: Option<&KeySource>, expect: &Expectations, now: u64) -> Vec<Check> {
    let alg = alg_check(token, key);
    let signature = signature_check(token, key, alg.result);
    vec![
        signature,
        alg.check,
        typ_check(token),
        time_check(token, "exp", expect.leeway_s, now),
        time_check(token, "nbf", expect.leeway_s, now),
        iss_check(token, expect.issuer.as_deref()),
        aud_check(token, expect.audience.as_deref()),
        crit_check(token),
    ]
}

struct AlgCheck {
    check: Check,
    /// The algorithm, when the allowlist accepts it.
    result: Option<Alg>,
}

/// `none` is always refused, so is any algorithm the lab does not verify, and (with a key) any
/// algorithm the key's type cannot have: an RSA or EC public key never verifies HS256 (the
/// key-confusion attack).
fn alg_check(token: &Decoded, key: Option<&KeySource>) -> AlgCheck {
    let failed = |detail: String| AlgCheck { check: check("alg", Outcome::Failed, detail), result: None };
    let Some(name) = token.header.get("alg") else {
        return failed("the header has no alg (RFC 7515 requires one)".into());
    };
    let Some(name) = name.as_str() else { return failed(format!("alg is not a string: {name}")) };
    if name.eq_ignore_ascii_case("none") {
        return failed(format!("alg {name:?}: an unsigned token is never accepted"));
    }
    let Some(alg) = Alg::from_header(name) else {
        let known: Vec<&str> = SUPPORTED.iter().map(|a| a.name()).collect();
        return failed(format!("alg {name:?} is not on the allowlist ({})", known.join(", ")));
    };
    let Some(source) = key else {
        let detail = format!("{alg} is on the allowlist (no key given to match it against)");
        return AlgCheck { check: check("alg", Outcome::Passed, detail), result: Some(alg) };
    };
    let candidates = selected(token, source);
    if candidates.iter().any(|c| c.algorithms.contains(&alg)) {
        let detail = format!("{alg}, which the key allows");
        return AlgCheck { check: check("alg", Outcome::Passed, detail), result: Some(alg) };
    }
    let theirs: Vec<String> = candidates
        .iter()
        .map(|c| {
            let algs: Vec<&str> = c.algorithms.iter().map(|a| a.name()).collect();
            format!("{} ({})", c.kind, if algs.is_empty() { "none usable".into() } else { algs.join(", ") })
        })
        .collect();
    let confusion =
        if alg == Alg::HS256 { ": a public key used as an HMAC secret is the key-confusion attack" } else { "" };
    if theirs.is_empty() {
        failed(format!("{alg}, but no key has the token's kid"))
    } else {
        failed(format!("{alg} does not fit the key, a {}{confusion}", theirs.join(" or ")))
    }
}

/// The keys a token may be verified with: those its `kid` names, when it names one; else all.
fn selected<'a>(token: &Decoded, source: &'a KeySource) -> Vec<&'a Candidate> {
    match token.header_str("kid") {
        Some(kid) => source.candidates.iter().filter(|c| c.kid.as_deref() == Some(kid)).collect(),
        None => source.candidates.iter().collect(),
    }
}

/// The signature, checked with `jsonwebtoken::crypto::verify` under the header's algorithm (once
/// the allowlist accepts it) and each selected key that allows it.
fn signature_check(token: &Decoded, key: Option<&KeySource>, alg: Option<Alg>) -> Check {
    let not_checked = |detail: String| check("signature", Outcome::NotChecked, detail);
    let Some(source) = key else { return not_checked("not verified: no key given (--jwks URL or --key FILE)".into()) };
    let Some(alg) = alg else { return not_checked("the alg is refused, so no key is tried".into()) };
    let candidates = selected(token, source);
    if candidates.is_empty() {
        let kids: Vec<&str> = source.candidates.iter().filter_map(|c| c.kid.as_deref()).collect();
        let kid = token.header_str("kid").unwrap_or_default();
        return check("signature", Outcome::Failed, format!("no key has the token's kid {kid:?} (the keys: {kids:?})"));
    }
    let mut reasons = Vec::new();
    for candidate in candidates.into_iter().filter(|c| c.algorithms.contains(&alg)) {
        let named = candidate.kid.as_deref().map(|k| format!("key {k:?}")).unwrap_or_else(|| candidate.kind.clone());
        match &candidate.key {
            Ok(key) => match verify(token, key, alg) {
                Ok(true) => {
                    let detail =
                        format!("{alg} signature of {} bytes verifies with {named}", token.sizes.signature_bytes);
                    return check("signature", Outcome::Passed, detail);
                }
                Ok(false) => reasons.push(format!("it does not verify with {named}")),
                Err(e) => reasons.push(format!("{named}: {e}")),
            },
            Err(e) => reasons.push(format!("{named} is unusable: {e}")),
        }
    }
    check("signature", Outcome::Failed, reasons.join("; "))
}

/// jsonwebtoken's own signature check (`Ed25519` is jsonwebtoken's `EdDSA` on that curve).
fn verify(token: &Decoded, key: &DecodingKey, alg: Alg) -> Result<bool, String> {
    jsonwebtoken::crypto::verify(token.signature_b64(), token.signing_input().as_bytes(), key, alg.primitive())
        .map_err(|e| e.to_string())
}

/// `typ` absent (it is optional) or one that names a JWT; any other type (`dpop+jwt`, a logout
/// token...) is a token of another kind, refused.
fn typ_check(token: &Decoded) -> Check {
    match token.header.get("typ") {
        None => check("typ", Outcome::Passed, "no typ (optional, RFC 7519 section 5.1)"),
        Some(Value::String(typ)) if JWT_TYPES.iter().any(|t| t.eq_ignore_ascii_case(typ)) => {
            check("typ", Outcome::Passed, format!("{typ:?}"))
        }
        Some(Value::String(typ)) => {
            check("typ", Outcome::Failed, format!("{typ:?} is not a JWT's type ({})", JWT_TYPES.join(", ")))
        }
        Some(other) => check("typ", Outcome::Failed, format!("typ is not a string: {other}")),
    }
}

/// A NumericDate claim: seconds since 1970, from 0 to 2^63 - 1 (a fraction dropped).
pub(super) fn numeric_date(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().filter(|s| *s <= i64::MAX as u64).or_else(|| {
            n.as_f64().filter(|f| f.is_finite() && *f >= 0.0 && *f < i64::MAX as f64).map(|f| f.floor() as u64)
        }),
        _ => None,
    }
}

/// `exp` is required (as jsonwebtoken requires it by default) and must be later than now less the
/// leeway; `nbf` is optional and must be no later than now plus the leeway.
fn time_check(token: &Decoded, name: &'static str, leeway: u64, now: u64) -> Check {
    let Some(value) = token.claims.get(name) else {
        return match name {
            "exp" => check(name, Outcome::Failed, "no exp claim: a token that never expires is refused"),
            _ => check(name, Outcome::Passed, format!("no {name} claim (optional)")),
        };
    };
    let Some(at) = numeric_date(value) else {
        return check(name, Outcome::Failed, format!("{name} is not a NumericDate (seconds since 1970): {value}"));
    };
    let when = relative(at, now);
    let leeway_text = if leeway > 0 { format!(", with {leeway} s of leeway") } else { String::new() };
    match name {
        // As jsonwebtoken and the node's own check count it: expired once exp < now - leeway.
        "exp" if at < now.saturating_sub(leeway) => check(name, Outcome::Failed, format!("expired {when}")),
        "exp" => check(name, Outcome::Passed, format!("expires {when}")),
        _ if at > now.saturating_add(leeway) => {
            check(name, Outcome::Failed, format!("not valid yet: only {when}{leeway_text}"))
        }
        _ => check(name, Outcome::Passed, format!("valid since {when}")),
    }
}

fn iss_check(token: &Decoded, expected: Option<&str>) -> Check {
    let iss = token.claims.get("iss");
    match (expected, iss) {
        (None, Some(iss)) => check("iss", Outcome::NotChecked, format!("no --iss given; the token says {iss}")),
        (None, None) => check("iss", Outcome::NotChecked, "no --iss given; the token has no iss"),
        (Some(want), Some(Value::String(iss))) if iss == want => check("iss", Outcome::Passed, format!("{iss:?}")),
        (Some(want), Some(iss)) => check("iss", Outcome::Failed, format!("{iss}, expected {want:?}")),
        (Some(want), None) => check("iss", Outcome::Failed, format!("no iss claim, expected {want:?}")),
    }
}

fn aud_check(token: &Decoded, expected: Option<&str>) -> Check {
    let aud = token.claims.get("aud");
    let Some(want) = expected else {
        let says = aud.map_or("the token has no aud".to_owned(), |a| format!("the token says {a}"));
        return check("aud", Outcome::NotChecked, format!("no --aud given; {says}"));
    };
    let included = match aud {
        Some(Value::String(one)) => one == want,
        Some(Value::Array(many)) => many.iter().any(|a| a.as_str() == Some(want)),
        _ => false,
    };
    match (included, aud) {
        (true, Some(aud)) => check("aud", Outcome::Passed, format!("{want:?} is in {aud}")),
        (_, None) => check("aud", Outcome::Failed, format!("no aud claim, expected {want:?}")),
        (_, Some(aud)) => check("aud", Outcome::Failed, format!("{aud} does not include {want:?}")),
    }
}

/// RFC 7515 section 4.1.11: a recipient must refuse a token whose `crit` names an extension it
/// does not understand. The only one understood is RFC 7797's `b64`, with `b64: true` (the
/// signature over base64url parts as usual), which is what jsonwebtoken accepts.
fn crit_check(token: &Decoded) -> Check {
    let Some(crit) = token.header.get("crit") else {
        return check("crit", Outcome::Passed, "no critical extensions");
    };
    let Some(names) = crit.as_array().filter(|a| !a.is_empty()) else {
        return check("crit", Outcome::Failed, format!("crit must be a non-empty array of names: {crit}"));
    };
    let b64_true = token.header.get("b64") == Some(&Value::Bool(true));
    let unknown: Vec<String> =
        names.iter().filter(|n| !(n.as_str() == Some("b64") && b64_true)).map(Value::to_string).collect();
    if unknown.is_empty() {
        check("crit", Outcome::Passed, "b64 (true), which is understood")
    } else {
        check("crit", Outcome::Failed, format!("unknown critical header parameter {}", unknown.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode;
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    fn token(header: Value, claims: Value) -> Decoded {
        decode(&format!("{}.{}.c2ln", B64.encode(header.to_string()), B64.encode(claims.to_string()))).unwrap()
    }

    fn named<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn without_a_key_the_signature_is_not_checked_and_claims_still_are() {
        let t = token(serde_json::json!({"alg":"HS256"}), serde_json::json!({"exp": 100, "nbf": 50, "iss": "x"}));
        let checks = run_checks(&t, None, &Expectations { issuer: Some("y".into()), ..Default::default() }, 200);
        assert_eq!(named(&checks, "signature").result, Outcome::NotChecked);
        assert!(named(&checks, "signature").detail.contains("no key given"));
        assert_eq!(named(&checks, "exp").result, Outcome::Failed);
        assert_eq!(named(&checks, "nbf").result, Outcome::Passed);
        assert_eq!(named(&checks, "iss").result, Outcome::Failed);
        assert_eq!(named(&checks, "aud").result, Outcome::NotChecked);
        assert_eq!(named(&checks, "typ").result, Outcome::Passed);
    }

    #[test]
    fn none_unknown_algorithms_and_unknown_crit_are_refused() {
        for alg in ["none", "NONE", "HS512", "PS256"] {
            let t = token(serde_json::json!({"alg": alg}), serde_json::json!({}));
            assert_eq!(named(&run_checks(&t, None, &Expectations::default(), 0), "alg").result, Outcome::Failed);
        }
        let t = token(serde_json::json!({"alg":"ES256","crit":["exp"],"exp":1}), serde_json::json!({}));
        let crit = run_checks(&t, None, &Expectations::default(), 0).remove(7);
        assert_eq!((crit.name, crit.result), ("crit", Outcome::Failed));
        let t = token(serde_json::json!({"alg":"ES256","crit":["b64"],"b64":true}), serde_json::json!({}));
        assert_eq!(run_checks(&t, None, &Expectations::default(), 0)[7].result, Outcome::Passed);
    }

    #[test]
    fn nbf_and_exp_use_the_leeway_and_aud_may_be_an_array() {
        let t = token(
            serde_json::json!({"alg":"ES256","typ":"dpop+jwt"}),
            serde_json::json!({"exp": 100, "nbf": 103, "aud": ["a","b"]}),
        );
        let expect = Expectations { audience: Some("b".into()), leeway_s: 5, ..Default::default() };
        let checks = run_checks(&t, None, &expect, 98);
        assert_eq!(named(&checks, "exp").result, Outcome::Passed);
        assert_eq!(named(&checks, "nbf").result, Outcome::Passed);
        assert_eq!(named(&checks, "aud").result, Outcome::Passed);
        assert_eq!(named(&checks, "typ").result, Outcome::Failed);
        let checks = run_checks(&t, None, &Expectations { leeway_s: 0, ..expect.clone() }, 100);
        assert_eq!(named(&checks, "exp").result, Outcome::Passed, "exp == now is not yet expired (jsonwebtoken)");
        let checks = run_checks(&t, None, &Expectations { leeway_s: 0, ..expect }, 101);
        assert_eq!(named(&checks, "exp").result, Outcome::Failed);
        assert_eq!(named(&checks, "nbf").result, Outcome::Failed);
    }

    #[test]
    fn numeric_dates_are_non_negative_numbers() {
        assert_eq!(numeric_date(&serde_json::json!(5)), Some(5));
        assert_eq!(numeric_date(&serde_json::json!(5.9)), Some(5));
        assert_eq!(numeric_date(&serde_json::json!(-1)), None);
        assert_eq!(numeric_date(&serde_json::json!("5")), None);
    }
}
