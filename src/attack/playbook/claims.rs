//! Token attacks with a correctly signed token whose only defect is one claim or header field (or
//! its size), so that the node's check of that field is what is tested.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{IMPERSONATED, Issued, Lab, VICTIM};
use crate::attack::Note;
use crate::attack::forge;
use crate::attack::probe::{Probe, Step, Verdict, forge_failed, profile, refused_401};
use crate::token::access::unix_now;
use crate::token::keys::KeySet;
use crate::users::username;

/// `expired`
pub(crate) async fn expired(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let now = unix_now() as i64;
    signed_claim(lab, base, p, "exp", |c| {
        c["exp"] = json!(now - 3600);
        c["iat"] = json!(now - 4500);
        c["nbf"] = json!(now - 4500);
    })
    .await
}

/// `future-nbf`
pub(crate) async fn future_nbf(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let now = unix_now() as i64;
    signed_claim(lab, base, p, "nbf", |c| {
        c["nbf"] = json!(now + 3600);
        c["iat"] = json!(now);
        c["exp"] = json!(now + 7200);
    })
    .await
}

/// `exp-as-string`
pub(crate) async fn exp_as_string(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    signed_claim(lab, base, p, "exp", |c| c["exp"] = json!((unix_now() + 600).to_string())).await
}

/// `wrong-aud`
pub(crate) async fn wrong_aud(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    signed_claim(lab, base, p, "aud", |c| c["aud"] = json!("another-api")).await
}

/// `wrong-iss`
pub(crate) async fn wrong_iss(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    signed_claim(lab, base, p, "iss", |c| c["iss"] = json!("https://evil.example")).await
}

/// `wrong-typ`
pub(crate) async fn wrong_typ(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    signed_header(lab, base, p, "typ", |h| h["typ"] = json!("JWT")).await
}

/// `crit-unknown`
pub(crate) async fn crit_unknown(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    signed_header(lab, base, p, "crit", |h| {
        h["crit"] = json!(["urn:authlab:unknown"]);
        h["urn:authlab:unknown"] = json!(true);
    })
    .await
}

/// `future-iat`
pub(crate) async fn future_iat(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let now = unix_now() as i64;
    let year = 365 * 24 * 3600;
    signed_claim(lab, base, p, "iat", |c| {
        c["iat"] = json!(now + year);
        c["nbf"] = json!(now);
        c["exp"] = json!(now + year + 600);
    })
    .await
}

/// `duplicate-claims`
pub(crate) async fn duplicate_claims(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (issued, keys, kid) = node_signed_text(lab, base, p, "sub").await?;
    let key = keys.get(&kid).ok_or_else(|| Verdict::skipped(Note::new("no key", "키 없음")))?;
    let header = issued.parts.header.to_string();
    let now = unix_now() as i64;
    let mut expired_first = issued.parts.claims.clone();
    expired_first["exp"] = json!(now - 3600);
    let claim_sets = [
        (
            format!("sub twice: {} then {}", username(VICTIM), username(IMPERSONATED)),
            forge::with_member_twice(&issued.parts.claims, "sub", &json!(username(IMPERSONATED))),
        ),
        (
            "exp twice: an hour ago, then in an hour".to_owned(),
            forge::with_member_twice(&expired_first, "exp", &json!(now + 3600)),
        ),
    ];
    let mut tries = Vec::new();
    for (label, claims) in claim_sets {
        let token = forge::sign_text(&header, &claims, key).map_err(forge_failed)?;
        tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
    }
    Ok(p.judge(&tries, refused_401))
}

/// `duplicate-header`
pub(crate) async fn duplicate_header(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (issued, keys, kid) = node_signed_text(lab, base, p, "alg").await?;
    let key = keys.get(&kid).ok_or_else(|| Verdict::skipped(Note::new("no key", "키 없음")))?;
    let claims = issued.parts.claims.to_string();
    let alg = issued.parts.header["alg"].as_str().unwrap_or_default().to_owned();
    let headers = [
        (format!("alg twice: {alg} then none"), forge::with_member_twice(&issued.parts.header, "alg", &json!("none"))),
        (
            "kid twice: the node's, then ../../dev/null".to_owned(),
            forge::with_member_twice(&issued.parts.header, "kid", &json!("../../dev/null")),
        ),
    ];
    let mut tries = Vec::new();
    for (label, header) in headers {
        let token = forge::sign_text(&header, &claims, key).map_err(forge_failed)?;
        tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
    }
    Ok(p.judge(&tries, refused_401))
}

/// `oversized-token`
pub(crate) async fn oversized_token(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let mut claims = issued.parts.claims.clone();
    claims["perms"] = json!(vec!["doc:0000:read".to_owned(); 1100]);
    let token = forge::with_signature(&issued.parts.header, &claims, &issued.parts.signature);
    let i = p.send(profile(base).bearer(&token)).await;
    Ok(p.judge(&[i], |e| matches!(e.status, 400 | 401 | 413 | 431)))
}

/// A real token with one claim changed, re-signed with the node's own key: only that claim is wrong.
async fn signed_claim(
    lab: &Lab,
    base: &str,
    p: &mut Probe,
    field: &str,
    change: impl FnOnce(&mut Value),
) -> Step<Verdict> {
    resigned(lab, base, p, field, |_, claims| change(claims)).await
}

/// A real token with one header field changed, re-signed with the node's own key.
async fn signed_header(
    lab: &Lab,
    base: &str,
    p: &mut Probe,
    field: &str,
    change: impl FnOnce(&mut Value),
) -> Step<Verdict> {
    resigned(lab, base, p, field, |header, _| change(header)).await
}

/// A real token whose header or claims `change` edits, re-signed with the node's own key and
/// sent; `field` (the edited one) labels the request.
async fn resigned(
    lab: &Lab,
    base: &str,
    p: &mut Probe,
    field: &str,
    change: impl FnOnce(&mut Value, &mut Value),
) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let (keys, kid) = node_key(lab, &issued, field)?;
    let (mut header, mut claims) = (issued.parts.header.clone(), issued.parts.claims.clone());
    change(&mut header, &mut claims);
    let key = keys.get(&kid).ok_or_else(|| Verdict::skipped(Note::new("no key", "키 없음")))?;
    let token = forge::sign(&header, &claims, key).map_err(forge_failed)?;
    let edited = header.get(field).or_else(|| claims.get(field));
    let label = format!("{field}: {}", edited.map(Value::to_string).unwrap_or_default());
    let i = p.send(profile(base).bearer(&token).tag(label)).await;
    Ok(p.judge(&[i], refused_401))
}

/// The node's own key for a real token, to sign JSON text the lab wrote by hand.
async fn node_signed_text(lab: &Lab, base: &str, p: &mut Probe, field: &str) -> Step<(Issued, Arc<KeySet>, String)> {
    let issued = lab.token_login(base, p).await?;
    let (keys, kid) = node_key(lab, &issued, field)?;
    Ok((issued, keys, kid))
}

/// The node's own key for the issued token's `kid`, or a skip when the lab does not have it.
fn node_key(lab: &Lab, issued: &Issued, field: &str) -> Step<(Arc<KeySet>, String)> {
    let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
    let Some(keys) = &lab.token_keys else {
        return Err(Verdict::skipped(Note::new(
            format!(
                "skipped: a token whose only defect is its {field} must be signed with the node's own key; \
                 give --token-keys FILE (the node's --keys file)"
            ),
            format!(
                "건너뜀: {field}만 잘못된 토큰은 노드 자신의 키로 서명해야 합니다. \
                 --token-keys FILE(노드의 --keys 파일)을 주세요"
            ),
        )));
    };
    if keys.get(&kid).is_none() {
        return Err(Verdict::skipped(Note::new(
            format!("skipped: the key file given has no key with the node's kid {kid:?}"),
            format!("건너뜀: 주어진 키 파일에 노드의 kid {kid:?} 키가 없습니다"),
        )));
    }
    Ok((keys.clone(), kid))
}
