//! Token attacks on logout and revocation: an access token replayed after logout (with and
//! without a denylist, and re-encoded), a refresh token reused, and a forged logout.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Lab, non_canonical_token};
use crate::attack::Note;
use crate::attack::probe::{Outcome, Probe, Request, Step, Verdict, forge_failed, profile, refused_401, setup_failed};
use crate::token::access::unix_now;

/// `replay-after-logout`: the lesson, on a node without a denylist.
pub(crate) async fn replay_after_logout(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    replay(lab, base, p, false).await
}

/// `replay-after-logout-denylist`
pub(crate) async fn replay_after_logout_denylist(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    replay(lab, base, p, true).await
}

/// Logs in, logs out, and sends the access token again; `denylist` says whether the node must refuse it.
async fn replay(lab: &Lab, base: &str, p: &mut Probe, denylist: bool) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    p.setup(profile(base).bearer(&issued.access), 200).await?;
    p.setup(Request::new(Method::POST, format!("{base}/logout")).bearer(&issued.access), 204).await?;
    let i = p.send(profile(base).bearer(&issued.access).label("after logout", "로그아웃 뒤")).await;
    if denylist {
        return Ok(p.judge(&[i], refused_401));
    }
    let left = issued.parts.claims["exp"].as_u64().unwrap_or(0).saturating_sub(unix_now());
    match p.status(i) {
        200 => Ok(Verdict { outcome: Outcome::Passed, decisive: Some(i), note: None }.with_note(Note::new(
            format!("accepted after logout, as expected without a denylist: it keeps working for {left} s more"),
            format!("예상대로 거부 목록이 없어 로그아웃 뒤에도 허용됨: 앞으로 {left}초 더 통합니다"),
        ))),
        401 => Ok(Verdict { outcome: Outcome::Passed, decisive: Some(i), note: None }.with_note(Note::new(
            "refused after logout: this node keeps a denylist (stronger than the lesson expects)",
            "로그아웃 뒤 거부됨: 이 노드는 거부 목록을 둡니다 (실습이 예상한 것보다 강함)",
        ))),
        _ => Ok(Verdict { outcome: Outcome::Failed, decisive: Some(i), note: None }),
    }
}

/// `non-canonical-signature-denylist`
pub(crate) async fn non_canonical_signature_denylist(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let token = non_canonical_token(&issued.access).map_err(forge_failed)?;
    p.setup(profile(base).bearer(&issued.access), 200).await?;
    p.setup(Request::new(Method::POST, format!("{base}/logout")).bearer(&issued.access), 204).await?;
    let same = p.send(profile(base).bearer(&issued.access).label("after logout", "로그아웃 뒤")).await;
    let re_encoded = p
        .send(
            profile(base).bearer(&token).label("after logout, signature re-encoded", "로그아웃 뒤, 서명을 다시 인코딩"),
        )
        .await;
    Ok(p.judge(&[same, re_encoded], refused_401))
}

/// `refresh-reuse`
pub(crate) async fn refresh_reuse(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let refresh = |token: &str, en: &str, ko: &str| {
        Request::new(Method::POST, format!("{base}/refresh")).json(json!({"refresh_token": token})).label(en, ko)
    };
    let first = p.setup(refresh(&issued.refresh, "first use", "첫 사용"), 200).await?;
    let body: Value = serde_json::from_str(&p.exchanges[first].response_body).unwrap_or(Value::Null);
    let Some(rotated) = body["refresh_token"].as_str().map(str::to_owned) else {
        return Err(setup_failed(&p.exchanges[first], first));
    };
    let reuse = p.send(refresh(&issued.refresh, "reuse of the spent token", "이미 쓴 토큰 재사용")).await;
    let family = p.send(refresh(&rotated, "the rotated token, after the reuse", "재사용 뒤, 새로 받은 토큰")).await;
    Ok(p.judge(&[reuse, family], refused_401))
}

/// `csrf-bearer`: a browser's cross-site logout carries no bearer token.
pub(crate) async fn csrf_bearer(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let issued = lab.token_login(base, p).await?;
    let forged = p.send(Request::new(Method::POST, format!("{base}/logout")).cross_site()).await;
    let after =
        p.send(profile(base).bearer(&issued.access).label("the victim, afterwards", "이후 피해자의 요청")).await;
    let verdict = p.judge(&[forged], refused_401);
    if verdict.outcome == Outcome::Passed && p.status(after) != 200 {
        return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(after), note: None });
    }
    Ok(verdict)
}
