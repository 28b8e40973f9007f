//! Token attacks that forge the signature or let the attacker choose the key: a sound node
//! refuses every one of them with 401.

use reqwest::Method;
use serde_json::{Value, json};

use super::{IMPERSONATED, Issued, Lab, non_canonical_token};
use crate::attack::Note;
use crate::attack::bait::Bait;
use crate::attack::forge;
use crate::attack::probe::{Outcome, Probe, Request, Step, Verdict, forge_failed, profile, refused_401, setup_failed};
use crate::token::keys::{Alg, KeySet, parse_algorithm};
use crate::users::username;

/// `alg-none`
pub(crate) async fn alg_none(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let mut claims = issued.parts.claims.clone();
    claims["sub"] = json!(username(IMPERSONATED));
    let mut tries = Vec::new();
    for alg in ["none", "NONE"] {
        let mut header = issued.parts.header.clone();
        header["alg"] = json!(alg);
        let token = forge::with_signature(&header, &claims, "");
        tries.push(p.send(profile(base).bearer(&token).tag(format!("alg: {alg}"))).await);
    }
    Ok(p.judge(&tries, refused_401))
}

/// `key-confusion`
pub(crate) async fn key_confusion(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
    let jwks = p.send(Request::new(Method::GET, format!("{base}/.well-known/jwks.json")).setup()).await;
    if p.status(jwks) == 404 {
        return Ok(Verdict::skipped(Note::new(
            "skipped: the node publishes no public key (an HMAC node): key confusion needs an asymmetric key",
            "건너뜀: 노드가 공개 키를 내놓지 않습니다 (HMAC 노드). 키 혼동에는 비대칭 키가 필요합니다",
        )));
    }
    let body: Value = serde_json::from_str(&p.exchanges[jwks].response_body).unwrap_or(Value::Null);
    let jwk = body["keys"].as_array().and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str())).cloned();
    let Some(jwk) = jwk else { return Err(setup_failed(&p.exchanges[jwks], jwks)) };
    let secrets = forge::public_key_secrets(&jwk).map_err(forge_failed)?;
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let mut tries = Vec::new();
    for (name, secret) in secrets {
        let token = forge::hmac_sha256(&header, &issued.parts.claims, &secret).map_err(forge_failed)?;
        tries.push(p.send(profile(base).bearer(&token).tag(format!("HS256, secret = {name}"))).await);
    }
    Ok(p.judge(&tries, refused_401))
}

/// `tampered-signature`
pub(crate) async fn tampered_signature(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let (input, signature) = issued.access.rsplit_once('.').unwrap_or((&issued.access, ""));
    let token = format!("{input}.{}", forge::flip_first_char(signature));
    let i = p.send(profile(base).bearer(&token)).await;
    Ok(p.judge(&[i], refused_401))
}

/// `tampered-payload`
pub(crate) async fn tampered_payload(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let mut claims = issued.parts.claims.clone();
    claims["sub"] = json!(username(IMPERSONATED));
    let token = forge::with_signature(&issued.parts.header, &claims, &issued.parts.signature);
    let i = p.send(profile(base).bearer(&token).tag(format!("sub: {}", username(IMPERSONATED)))).await;
    Ok(p.judge(&[i], refused_401))
}

/// `foreign-key`
pub(crate) async fn foreign_key(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let alg = node_algorithm(&issued, p)?;
    let attacker = lab.attacker_key(alg).await?;
    let token = forge::sign(&issued.parts.header, &issued.parts.claims, attacker.current()).map_err(forge_failed)?;
    let i = p.send(profile(base).bearer(&token)).await;
    Ok(p.judge(&[i], refused_401))
}

/// `kid-path-traversal`
pub(crate) async fn kid_path_traversal(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let kid = "../../../../dev/null";
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let token = forge::hmac_sha256(&header, &issued.parts.claims, b"").map_err(forge_failed)?;
    let i = p.send(profile(base).bearer(&token).tag(format!("kid: {kid}, secret: \"\""))).await;
    Ok(p.judge(&[i], refused_401))
}

/// `kid-sql-injection`
pub(crate) async fn kid_sql_injection(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let mut tries = Vec::new();
    let attacker_secret = forge::b64url(&rand::random::<[u8; 32]>());
    for (kid, secret) in [("' OR 1=1 --", attacker_secret.as_str()), ("x' UNION SELECT 'lab-secret' --", "lab-secret")]
    {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
        let token = forge::hmac_sha256(&header, &issued.parts.claims, secret.as_bytes()).map_err(forge_failed)?;
        tries.push(p.send(profile(base).bearer(&token).tag(format!("kid: {kid}"))).await);
    }
    Ok(p.judge(&tries, refused_401))
}

/// `header-jku`
pub(crate) async fn header_jku(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let alg = node_algorithm(&issued, p)?;
    let attacker = lab.attacker_key(alg).await?;
    let jwks = json!({"keys": [attacker_jwk(&attacker)]});
    let bait = Bait::serve(jwks.to_string()).await.map_err(forge_failed)?;
    let mut header = issued.parts.header.clone();
    header["kid"] = json!(attacker.current_kid());
    header["jku"] = json!(bait.url);
    let token = forge::sign(&header, &issued.parts.claims, attacker.current()).map_err(forge_failed)?;
    let i = p.send(profile(base).bearer(&token).tag(format!("jku: {}", bait.url))).await;
    // A verifier that follows jku fetches it before it answers.
    let hits = bait.hits();
    let verdict = p.judge(&[i], refused_401);
    let note = Note::new(
        format!("the attacker's JWKS URL was fetched {hits} times"),
        format!("공격자의 JWKS URL이 {hits}번 요청되었습니다"),
    );
    if hits > 0 {
        return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(i), note: Some(note) });
    }
    Ok(verdict.with_note(note))
}

/// `header-jwk`
pub(crate) async fn header_jwk(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let alg = node_algorithm(&issued, p)?;
    let attacker = lab.attacker_key(alg).await?;
    let jwk = attacker_jwk(&attacker);
    let mut tries = Vec::new();
    let tries_with = [
        (("jwk, the attacker's kid", "jwk, 공격자의 kid"), attacker.current_kid()),
        (("jwk, the node's kid", "jwk, 노드의 kid"), ""),
    ];
    for ((en, ko), kid) in tries_with {
        let mut header = issued.parts.header.clone();
        if !kid.is_empty() {
            header["kid"] = json!(kid);
        }
        header["jwk"] = jwk.clone();
        let token = forge::sign(&header, &issued.parts.claims, attacker.current()).map_err(forge_failed)?;
        tries.push(p.send(profile(base).bearer(&token).label(en, ko)).await);
    }
    Ok(p.judge(&tries, refused_401))
}

/// `hmac-empty-key`
pub(crate) async fn hmac_empty_key(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
    let mut claims = issued.parts.claims.clone();
    claims["sub"] = json!(username(IMPERSONATED));
    let empty_oct = json!({"kty": "oct", "k": ""});
    let headers = [
        ("jwk: empty oct key, the node's kid", json!({"alg": "HS256", "typ": "at+jwt", "kid": kid, "jwk": empty_oct})),
        (
            "jwk: empty oct key, its own kid",
            json!({"alg": "HS256", "typ": "at+jwt", "kid": "empty", "jwk": {"kty": "oct", "k": "", "kid": "empty"}}),
        ),
        ("kid: \"\" (empty)", json!({"alg": "HS256", "typ": "at+jwt", "kid": ""})),
        ("the node's kid, empty secret", json!({"alg": "HS256", "typ": "at+jwt", "kid": kid})),
    ];
    let mut tries = Vec::new();
    for (label, header) in headers {
        let token = forge::hmac_sha256(&header, &claims, b"").map_err(forge_failed)?;
        tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
    }
    Ok(p.judge(&tries, refused_401))
}

/// `hmac-public-key-jwk`
pub(crate) async fn hmac_public_key_jwk(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
    let jwks = p.send(Request::new(Method::GET, format!("{base}/.well-known/jwks.json")).setup()).await;
    if p.status(jwks) == 404 {
        return Ok(Verdict::skipped(Note::new(
            "skipped: the node publishes no public key (an HMAC node): there is no public key to misuse",
            "건너뜀: 노드가 공개 키를 내놓지 않습니다 (HMAC 노드). 오용할 공개 키가 없습니다",
        )));
    }
    let body: Value = serde_json::from_str(&p.exchanges[jwks].response_body).unwrap_or(Value::Null);
    let jwk = body["keys"].as_array().and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str())).cloned();
    let Some(jwk) = jwk else { return Err(setup_failed(&p.exchanges[jwks], jwks)) };
    let secrets = forge::public_key_secrets(&jwk).map_err(forge_failed)?;
    let mut claims = issued.parts.claims.clone();
    claims["sub"] = json!(username(IMPERSONATED));
    let mut tries = Vec::new();
    for (name, secret) in secrets {
        for with_kid in [true, false] {
            let mut header = json!({"alg": "HS256", "typ": "at+jwt", "jwk": jwk});
            if with_kid {
                header["kid"] = json!(kid);
            }
            let token = forge::hmac_sha256(&header, &claims, &secret).map_err(forge_failed)?;
            let label = format!("jwk: the node's key, secret = {name}{}", if with_kid { ", node's kid" } else { "" });
            tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
        }
    }
    Ok(p.judge(&tries, refused_401))
}

/// `non-canonical-signature`
pub(crate) async fn non_canonical_signature(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    p.setup(profile(base).bearer(&issued.access).label("the token as issued", "발급된 그대로의 토큰"), 200).await?;
    let token = non_canonical_token(&issued.access).map_err(forge_failed)?;
    let i = p.send(profile(base).bearer(&token).label("re-encoded signature", "다시 인코딩한 서명")).await;
    Ok(p.judge(&[i], refused_401))
}

/// The node's algorithm, read from the header of the token it issued.
fn node_algorithm(issued: &Issued, p: &Probe) -> Step<Alg> {
    let name = issued.parts.header["alg"].as_str().unwrap_or_default();
    parse_algorithm(name).map_err(|_| {
        let i = p.exchanges.len().saturating_sub(1);
        setup_failed(&p.exchanges[i], i)
    })
}

/// The attacker's key as a JWK: its public half, or for HMAC the secret itself.
fn attacker_jwk(attacker: &KeySet) -> Value {
    let public = attacker.public_jwks();
    match public["keys"].as_array().and_then(|keys| keys.first()) {
        Some(jwk) => jwk.clone(),
        None => serde_json::from_str::<Value>(&attacker.to_private_jwks_json())
            .map(|set| set["keys"][0].clone())
            .unwrap_or(Value::Null),
    }
}
