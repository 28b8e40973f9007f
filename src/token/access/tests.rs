//! Unit tests of the access token: parsing, the auth check and its equivalence with jsonwebtoken's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Algorithm;

use crate::token::keys::{Alg, KeySet};

use super::authority::*;
use super::claims::*;
use super::read::*;
use super::refusal::*;
use super::verify::*;
use super::*;
use crate::token::keys::SUPPORTED;

#[test]
fn every_algorithm_signs_and_verifies() {
    for alg in SUPPORTED {
        let authority = TokenAuthority::new(KeySet::generate(alg).unwrap(), TokenPolicy::default(), false);
        let (token, claims) = authority.issue("user0000001").unwrap();
        let header = format!("Bearer {token}");
        assert_eq!(authority.auth_check(Some(header.as_bytes())), Ok(claims), "{alg:?}");
        let mut tampered = header.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(authority.auth_check(Some(&tampered)).is_err(), "{alg:?}: tampered signature");
    }
}

#[test]
fn another_nodes_key_is_refused_even_with_the_same_algorithm() {
    let ours = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
    let theirs = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
    let (token, _) = theirs.issue("mallory").unwrap();
    assert_eq!(ours.auth_check(Some(format!("Bearer {token}").as_bytes())), Err(AuthError::UnknownKey));
}

#[test]
fn the_denylist_refuses_a_revoked_token() {
    let authority = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), true);
    let (token, claims) = authority.issue("user0000001").unwrap();
    let header = format!("Bearer {token}");
    assert!(authority.revoke(&claims));
    assert_eq!(authority.auth_check(Some(header.as_bytes())), Err(AuthError::Revoked));
}

#[test]
fn a_revoked_subject_is_refused_and_others_are_not() {
    let authority = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
    let (alice, _) = authority.issue("alice").unwrap();
    let (bob, _) = authority.issue("bob").unwrap();
    authority.revoke_subject("alice");
    assert_eq!(authority.auth_check(Some(format!("Bearer {alice}").as_bytes())), Err(AuthError::Revoked));
    assert!(authority.auth_check(Some(format!("Bearer {bob}").as_bytes())).is_ok());
}

#[test]
fn replaced_keys_sign_and_only_they_verify() {
    let authority = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
    let (old, _) = authority.issue("u").unwrap();
    let fresh = KeySet::generate(Alg::ES256).unwrap();
    let fresh_kid = fresh.current_kid().to_owned();
    authority.replace_keys(fresh);
    assert_eq!(authority.auth_check(Some(format!("Bearer {old}").as_bytes())), Err(AuthError::UnknownKey));
    let (new, _) = authority.issue("u").unwrap();
    assert_eq!(jsonwebtoken::decode_header(&new).unwrap().kid.as_deref(), Some(fresh_kid.as_str()));
    assert!(authority.auth_check(Some(format!("Bearer {new}").as_bytes())).is_ok());
}

#[test]
fn claims_bytes_pads_the_token() {
    let keys = || KeySet::generate(Alg::HS256).unwrap();
    let small = TokenAuthority::new(keys(), TokenPolicy::default(), false).issue("u").unwrap().0;
    let policy = TokenPolicy { claims_bytes: 1000, ..TokenPolicy::default() };
    let large = TokenAuthority::new(keys(), policy, false).issue("u").unwrap().0;
    // base64url makes 1000 bytes of JSON about 1333 bytes of token.
    assert!(large.len() >= small.len() + 1300, "{} vs {}", large.len(), small.len());
}

#[test]
fn b64token_bytes_are_exactly_rfc_6750s() {
    for b in 0..=255u8 {
        let rfc = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        assert_eq!(is_b64token_byte(b), rfc, "byte {b}");
    }
}

/// The auth check as it was built on `jsonwebtoken::decode_header` and `jsonwebtoken::decode`:
/// the reference the one-pass check must agree with.
fn reference_check(authority: &TokenAuthority, authorization: &[u8]) -> Result<AccessClaims, AuthError> {
    let token = parse_bearer(authorization)?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::MalformedToken)?;
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt"));
    if !typ_ok {
        return Err(AuthError::WrongType);
    }
    let kid = header.kid.ok_or(AuthError::UnknownKey)?;
    let keys = authority.keys();
    let index = keys.set.keys().iter().position(|k| k.kid == kid).ok_or(AuthError::UnknownKey)?;
    let key = &keys.set.keys()[index];
    if header.alg != key.algorithm.primitive() {
        return Err(AuthError::WrongAlgorithm);
    }
    jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &keys.validations[index])
        .map(|data| data.claims)
        .map_err(|e| invalid(e.into_kind()))
}

/// Signature parts to try with a signing input and its real signature: the real one, one with
/// a character changed, none, an extra part, and the same bytes encoded non-canonically.
fn signature_variants(input: &str, signature: &str) -> Vec<String> {
    vec![
        format!("Bearer {input}.{signature}"),
        format!("Bearer {input}.{}", signature.replacen(|c: char| c != 'A', "A", 1)),
        format!("Bearer {input}."),
        format!("Bearer {input}.{signature}.x"),
        format!("Bearer {input}.{}", non_canonical(signature)),
    ]
}

/// The same bytes with a padding bit of the last base64url character set.
fn non_canonical(signature: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (rest, last) = signature.split_at(signature.len() - 1);
    let value = ALPHABET.iter().position(|&c| c == last.as_bytes()[0]).unwrap();
    let changed = format!("{rest}{}", ALPHABET[value ^ 1] as char);
    assert!(B64.decode(&changed).is_err(), "base64 refuses set padding bits");
    changed
}

/// Header variants, `ALG` and `KID` standing for the key's algorithm name and kid.
fn header_corpus() -> Vec<String> {
    let good_header = r#"{"alg":"ALG","typ":"at+jwt","kid":"KID"}"#.to_owned();
    let mut headers: Vec<String> = vec![good_header.clone()];
    for extra in [
        r#""typ":"AT+JWT""#,
        r#""typ":"application/at+jwt""#,
        r#""typ":"at+jwt""#,
        r#""typ":"JWT""#,
        r#""typ":null"#,
        r#""typ":5"#,
        r#""kid":"nope""#,
        r#""kid":null"#,
        r#""kid":7"#,
        r#""alg":"HS384""#,
        r#""alg":"none""#,
        r#""alg":"XX""#,
        r#""crit":[]"#,
        r#""crit":["b64"]"#,
        r#""crit":["b64"],"b64":true"#,
        r#""crit":["b64"],"b64":false"#,
        r#""crit":["exp"],"b64":true"#,
        r#""crit":["urn:example:unknown"]"#,
        r#""crit":["b64","b64"],"b64":true"#,
        r#""b64":true"#,
        r#""b64":false"#,
        r#""b64":null"#,
        r#""b64":"yes""#,
        r#""jwk":{"kty":"oct","k":"AAAA"}"#,
        r#""jwk":"not a key""#,
        r#""jku":"http://127.0.0.1:1/jwks""#,
        r#""jku":1"#,
        r#""x5c":"not a list""#,
        r#""x5c":["a","b"]"#,
        r#""x5t#S256":false"#,
        r#""cty":[]"#,
        r#""enc":"A128GCM""#,
        r#""zip":3"#,
        r#""nonce":"n","url":"u""#,
        r#""something":{"else":[1,2,3]}"#,
    ] {
        // Each member once: the one under test replaces the good header's.
        let field = extra.split('"').nth(1).unwrap();
        let mut header: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&good_header).unwrap();
        header.remove(field);
        let mut text = serde_json::Value::Object(header).to_string();
        text.insert_str(text.len() - 1, &format!(",{extra}"));
        headers.push(text);
    }
    for missing in ["typ", "kid", "alg"] {
        let mut header: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&good_header).unwrap();
        header.remove(missing);
        headers.push(serde_json::Value::Object(header).to_string());
    }
    // Several things wrong at once: the same refusal comes first.
    for two in [
        r#"{"alg":"ALG","crit":["exp"]}"#,
        r#"{"alg":"ALG","typ":"JWT","crit":["exp"],"kid":"KID"}"#,
        r#"{"alg":"HS384","typ":"at+jwt","b64":false,"kid":"KID"}"#,
        r#"{"alg":"ALG","typ":"at+jwt","b64":false,"kid":"other"}"#,
        r#"{"alg":"ALG","typ":"at+jwt","crit":[],"kid":"KID","x5c":"no"}"#,
        // Repeated members: refused, never "the last one wins".
        r#"{"alg":"ALG","typ":"at+jwt","kid":"KID","kid":"KID"}"#,
        r#"{"alg":"none","alg":"ALG","typ":"at+jwt","kid":"KID"}"#,
    ] {
        headers.push(two.to_owned());
    }
    headers.push("not json".into());
    headers
}

/// Claim sets: a good one, then one defect at a time.
fn claims_corpus(now: u64) -> Vec<String> {
    let good_claims = format!(
        r#"{{"sub":"u","iss":"authlab","aud":"authlab-api","exp":{},"iat":{now},"nbf":{now},"jti":"j","scope":"profile:read"}}"#,
        now + 600
    );
    let claims_with = |field: &str, value: &str| {
        let mut claims: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&good_claims).unwrap();
        match serde_json::from_str(value) {
            Ok(v) => claims.insert(field.into(), v),
            Err(_) => claims.remove(field),
        };
        serde_json::Value::Object(claims).to_string()
    };
    let mut claim_sets = vec![good_claims.clone()];
    for (field, value) in [
        ("exp", (now - 3600).to_string()),
        ("exp", (now - 2).to_string()),
        ("exp", format!("\"{}\"", now + 600)),
        ("exp", format!("{}.5", now + 600)),
        ("exp", format!("{}.25", now - 3600)),
        ("exp", "null".into()),
        ("exp", "true".into()),
        ("exp", "-".into()),
        ("iat", format!("{}.75", now - 10)),
        ("nbf", (now + 3600).to_string()),
        ("nbf", format!("{}.5", now - 10)),
        ("nbf", "-".into()),
        ("aud", r#"["other","authlab-api"]"#.into()),
        ("aud", r#"["other"]"#.into()),
        ("aud", "[]".into()),
        ("aud", r#""other""#.into()),
        ("aud", "-".into()),
        ("iss", r#""evil""#.into()),
        ("iss", r#"["authlab"]"#.into()),
        ("iss", "-".into()),
        ("sub", "5".into()),
        ("sub", "-".into()),
        ("perms", r#"["a","b"]"#.into()),
        ("extra", r#"{"x":1}"#.into()),
    ] {
        claim_sets.push(claims_with(field, &value));
    }
    // Repeated claims: refused, whichever copy would have been read.
    let mut twice = good_claims.clone();
    twice.insert_str(twice.len() - 1, r#","sub":"someone-else""#);
    claim_sets.push(twice);
    claim_sets
}

/// Every token of the corpus for `key` (header × claims × signature variant), signed with
/// `sign`; `alg_name` replaces `ALG` in the headers.
/// The corpus of tokens signed by `key` whose times are relative to `now`: two corpora compared
/// case by case must share their `now`, or a second boundary between them tells them apart.
fn corpus(
    key: &crate::token::keys::SigningKey,
    alg_name: &str,
    now: u64,
    sign: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut cases = Vec::new();
    for header in header_corpus() {
        let header = header.replace("ALG", alg_name).replace("KID", &key.kid);
        for claims in claims_corpus(now) {
            let input = format!("{}.{}", B64.encode(&header), B64.encode(&claims));
            cases.extend(signature_variants(&input, &sign(&input)));
        }
    }
    cases
}

#[test]
fn the_one_pass_check_accepts_and_refuses_exactly_what_jsonwebtoken_decode_does() {
    for alg in SUPPORTED.into_iter().filter(|a| *a != Alg::Ed25519) {
        let authority = TokenAuthority::new(KeySet::generate(alg).unwrap(), TokenPolicy::default(), false);
        let keys = authority.keys();
        let key = keys.set.current();
        let name = alg.name();
        let cases = corpus(key, name, unix_now(), |input| {
            jsonwebtoken::crypto::sign(input.as_bytes(), &key.encoding, alg.primitive()).unwrap()
        });
        let mut accepted = 0;
        for case in &cases {
            let ours = authority.auth_check(Some(case.as_bytes()));
            let reference = reference_check(&authority, case.as_bytes());
            assert_eq!(ours, reference, "{name}: {case}");
            accepted += usize::from(ours.is_ok());
        }
        assert!(accepted >= 10, "{name}: the cases include accepted tokens ({accepted} of {})", cases.len());
    }
}

/// The same Ed25519 key as an `EdDSA` key (verified by jsonwebtoken) and as an `Ed25519` key
/// (signed and verified by aws-lc-rs): both accept and refuse the same tokens, for the same
/// reasons, and neither takes the other's name in the header.
#[test]
fn ed25519_via_aws_lc_accepts_and_refuses_exactly_what_eddsa_via_jsonwebtoken_does() {
    let ed25519_set = KeySet::generate(Alg::Ed25519).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&ed25519_set.to_private_jwks_json()).unwrap();
    file["keys"][0]["alg"] = "EdDSA".into();
    let eddsa_set = KeySet::from_jwks_json(&file.to_string()).unwrap();
    assert_eq!(eddsa_set.current().algorithm, Alg::EdDSA);
    let ed25519 = TokenAuthority::new(ed25519_set, TokenPolicy::default(), false);
    let eddsa = TokenAuthority::new(eddsa_set, TokenPolicy::default(), false);
    let (ed_keys, eddsa_keys) = (ed25519.keys(), eddsa.keys());
    let (ed_key, eddsa_key) = (ed_keys.set.current(), eddsa_keys.set.current());
    let now = unix_now();
    let via_aws_lc = corpus(ed_key, "Ed25519", now, |input| ed_key.sign(input.as_bytes()).unwrap());
    let via_jsonwebtoken = corpus(eddsa_key, "EdDSA", now, |input| {
        jsonwebtoken::crypto::sign(input.as_bytes(), &eddsa_key.encoding, Algorithm::EdDSA).unwrap()
    });
    assert_eq!(via_aws_lc.len(), via_jsonwebtoken.len());
    let mut accepted = 0;
    for (ed_case, eddsa_case) in via_aws_lc.iter().zip(&via_jsonwebtoken) {
        let ours = ed25519.auth_check(Some(ed_case.as_bytes()));
        let reference = reference_check(&eddsa, eddsa_case.as_bytes());
        assert_eq!(ours, reference, "Ed25519 {ed_case}\nEdDSA {eddsa_case}");
        accepted += usize::from(ours.is_ok());
        // Neither node takes the other's tokens: the header must name the key's own algorithm.
        assert!(ed25519.auth_check(Some(eddsa_case.as_bytes())).is_err(), "{eddsa_case}");
        assert!(eddsa.auth_check(Some(ed_case.as_bytes())).is_err(), "{ed_case}");
    }
    assert!(accepted >= 10, "the cases include accepted tokens ({accepted} of {})", via_aws_lc.len());
}

#[test]
fn numeric_dates_may_be_fractional_but_not_strings_or_out_of_range() {
    let read = |value: &str| {
        let json = format!(r#"{{"sub":"u","iss":"i","aud":"a","exp":{value},"iat":0,"nbf":0,"jti":"j","scope":"s"}}"#);
        serde_json::from_str::<AccessClaims>(&json).map(|c| c.exp)
    };
    assert_eq!(read("1796152477.5").ok(), Some(1796152477));
    assert_eq!(read("1796152477").ok(), Some(1796152477));
    assert_eq!(read("1.7961524775e9").ok(), Some(1796152477));
    assert_eq!(read("0").ok(), Some(0));
    assert_eq!(read("9223372036854775807").ok(), Some(i64::MAX as u64));
    for bad in [
        "\"1796152477\"",
        "true",
        "null",
        "[1796152477]",
        "{}",
        "-1",
        "-0.5",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "9.3e18",
        "1e400",
    ] {
        assert!(read(bad).is_err(), "exp {bad} must be refused");
    }
}

#[test]
fn a_fractional_exp_signed_by_the_node_is_accepted_and_a_future_iat_is_not() {
    for alg in SUPPORTED {
        let authority = TokenAuthority::new(KeySet::generate(alg).unwrap(), TokenPolicy::default(), false);
        let keys = authority.keys();
        let key = keys.set.current();
        let now = unix_now();
        let token = |claims: String| {
            let header = format!(r#"{{"alg":"{}","typ":"at+jwt","kid":"{}"}}"#, alg.name(), key.kid);
            let input = format!("{}.{}", B64.encode(header), B64.encode(claims));
            format!("Bearer {input}.{}", key.sign(input.as_bytes()).unwrap())
        };
        let claims = |exp: &str, iat: &str| {
            format!(
                r#"{{"sub":"u","iss":"authlab","aud":"authlab-api","exp":{exp},"iat":{iat},"nbf":{iat},"jti":"j","scope":"s"}}"#
            )
        };
        let fractional = token(claims(&format!("{}.5", now + 600), &format!("{now}.25")));
        let accepted = authority.auth_check(Some(fractional.as_bytes())).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!((accepted.exp, accepted.iat), (now + 600, now), "{alg}");
        let future = token(claims(&(now + 7200).to_string(), &(now + 3600).to_string()));
        assert_eq!(authority.auth_check(Some(future.as_bytes())), Err(AuthError::IssuedInFuture), "{alg}");
    }
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_bearer_never_panics_and_accepts_only_bearer_tokens(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(token) = parse_bearer(&bytes) {
                let text = std::str::from_utf8(&bytes).unwrap();
                prop_assert!(text.to_ascii_lowercase().starts_with("bearer "));
                prop_assert!(!token.is_empty() && !token.contains(' '));
            }
        }

        #[test]
        fn well_formed_bearer_headers_parse(token in "[A-Za-z0-9_.~+/-]{1,100}=*") {
            let header = format!("Bearer {token}");
            prop_assert_eq!(parse_bearer(header.as_bytes()), Ok(token.as_str()));
        }
    }
}
