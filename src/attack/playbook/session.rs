//! Session attacks: ids planted, forged, replayed after logout or idleness, sent in the URL or
//! cross-site, and the session cookie's attributes.

use std::time::Duration;

use reqwest::Method;

use super::{ATTACKER, Lab, VICTIM};
use crate::attack::Note;
use crate::attack::exchange::{SetCookie, prefix};
use crate::attack::forge;
use crate::attack::probe::{Outcome, Probe, Request, Step, Verdict, profile, refused_401};
use crate::users::username;

/// The longest session idle timeout the lab waits out (`session-idle-timeout`).
const MAX_IDLE_WAIT_SECS: u64 = 10;

/// `fixation`
pub(crate) async fn fixation(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    // The attacker gets a real session id of their own, and plants it in the victim's browser.
    let (_, planted) = lab.session_login(base, p, ATTACKER, None).await?;
    let (_, victims) = lab.session_login(base, p, VICTIM, Some(&planted.value)).await?;
    // The attacker, still holding the planted id, tries the victim's profile.
    let check = p
        .send(
            profile(base)
                .sid(&planted.value)
                .label("the attacker's planted id, afterwards", "이후 공격자가 심어 둔 ID로"),
        )
        .await;
    // And an id the server never issued, planted the same way.
    let chosen = forge::b64url(&rand::random::<[u8; 32]>());
    let (_, after_chosen) = lab.session_login(base, p, VICTIM, Some(&chosen)).await?;
    let victim = username(VICTIM);
    let exchange = &p.exchanges[check];
    let reached_victim = exchange.status == 200 && exchange.response_body.contains(&victim);
    let mut problems = Vec::new();
    if victims.value == planted.value {
        problems.push(("the planted id was kept at login", "로그인 때 심어 둔 ID가 유지됨"));
    }
    if after_chosen.value == chosen {
        problems.push(("an attacker-chosen id was adopted at login", "공격자가 고른 ID가 로그인 때 채택됨"));
    }
    if reached_victim {
        problems.push(("the planted id opens the victim's session", "심어 둔 ID로 피해자의 세션이 열림"));
    }
    if problems.is_empty() {
        Ok(Verdict { outcome: Outcome::Passed, decisive: Some(check), note: None }.with_note(Note::new(
            format!("login issued a fresh id ({} → {})", prefix(&planted.value, 8), prefix(&victims.value, 8)),
            format!("로그인 때 새 ID가 발급됨 ({} → {})", prefix(&planted.value, 8), prefix(&victims.value, 8)),
        )))
    } else {
        let en: Vec<&str> = problems.iter().map(|(en, _)| *en).collect();
        let ko: Vec<&str> = problems.iter().map(|(_, ko)| *ko).collect();
        Ok(Verdict { outcome: Outcome::Failed, decisive: Some(check), note: None }
            .with_note(Note::new(en.join("; "), ko.join("; "))))
    }
}

/// `forged-session-id`
pub(crate) async fn forged_session_id(_lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let forged = forge::b64url(&rand::random::<[u8; 32]>());
    let a = p.send(profile(base).sid(&forged).label("a random 256-bit id", "무작위 256비트 ID")).await;
    let b = p.send(profile(base).sid("admin").label("a guessable id", "추측하기 쉬운 ID")).await;
    Ok(p.judge(&[a, b], refused_401))
}

/// `session-reuse-after-logout`
pub(crate) async fn session_reuse_after_logout(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (_, cookie) = lab.session_login(base, p, VICTIM, None).await?;
    p.setup(profile(base).sid(&cookie.value), 200).await?;
    p.setup(Request::new(Method::POST, format!("{base}/logout")).sid(&cookie.value), 204).await?;
    let i = p.send(profile(base).sid(&cookie.value)).await;
    Ok(p.judge(&[i], refused_401))
}

/// `cookie-flags`
pub(crate) async fn cookie_flags(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (login, cookie) = lab.session_login(base, p, VICTIM, None).await?;
    let mut missing = Vec::new();
    if cookie.attribute("httponly").is_none() {
        missing.push("HttpOnly");
    }
    if cookie.same_site() != "strict" {
        missing.push("SameSite=Strict");
    }
    if cookie.attribute("path") != Some("/") {
        missing.push("Path=/");
    }
    Ok(flags_verdict(login, &missing))
}

/// `cookie-secure`
pub(crate) async fn cookie_secure(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (login, cookie) = lab.session_login(base, p, VICTIM, None).await?;
    let verdict = flags_verdict(login, if cookie.attribute("secure").is_some() { &[] } else { &["Secure"] });
    if verdict.outcome == Outcome::Failed {
        return Ok(verdict.with_note(Note::new(
            "no Secure attribute: start the node with --secure-cookie and serve it over HTTPS",
            "Secure 속성이 없습니다: 노드를 --secure-cookie로 시작하고 HTTPS로 제공하세요",
        )));
    }
    Ok(verdict)
}

/// `csrf-cross-site`
pub(crate) async fn csrf_cross_site(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (login, cookie) = lab.session_login(base, p, VICTIM, None).await?;
    let same_site = cookie.same_site();
    let forged = p
        .send(
            Request::new(Method::POST, format!("{base}/logout"))
                .sid(&cookie.value)
                .cross_site()
                .label("cross-site, with the victim's cookie", "교차 사이트, 피해자의 쿠키와 함께"),
        )
        .await;
    let after = p.send(profile(base).sid(&cookie.value).label("the victim, afterwards", "이후 피해자의 요청")).await;
    if same_site != "strict" && same_site != "lax" {
        return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(login), note: None }.with_note(Note::new(
            "the cookie has no SameSite=Strict or Lax: a browser would send it with the cross-site request",
            "쿠키에 SameSite=Strict나 Lax가 없습니다: 브라우저가 교차 사이트 요청에 쿠키를 실어 보냅니다",
        )));
    }
    if p.status(forged) != 403 {
        let note = if p.status(forged) == 204 {
            Note::new(
                "the forged request logged the victim out: the node has no Origin check, so only SameSite in the browser protects this user",
                "위조된 요청이 피해자를 로그아웃시켰습니다: 노드에 Origin 검사가 없어 브라우저의 SameSite만이 사용자를 지킵니다",
            )
        } else {
            Note::new("the forged request was not refused with 403", "위조된 요청이 403으로 거부되지 않았습니다")
        };
        return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(forged), note: Some(note) });
    }
    if p.status(after) != 200 {
        return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(after), note: None });
    }
    Ok(Verdict { outcome: Outcome::Passed, decisive: Some(forged), note: None }.with_note(Note::new(
        format!("cookie SameSite={}; forged POST refused; the session still works", cookie_same_site_text(&cookie)),
        format!("쿠키 SameSite={}, 위조된 POST 거부, 세션은 계속 유효", cookie_same_site_text(&cookie)),
    )))
}

/// `session-id-in-url`
pub(crate) async fn session_id_in_url(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (_, cookie) = lab.session_login(base, p, VICTIM, None).await?;
    p.setup(profile(base).sid(&cookie.value).label("the cookie", "쿠키로"), 200).await?;
    let url = Request::new(Method::GET, format!("{base}/api/profile?sid={}", cookie.value))
        .label("the same id in the query, no cookie", "같은 ID를 쿼리에, 쿠키 없이");
    let i = p.send(url).await;
    Ok(p.judge(&[i], refused_401))
}

/// `session-idle-timeout`
pub(crate) async fn session_idle_timeout(lab: &Lab, base: &str, p: &mut Probe) -> Step<Verdict> {
    let (login, cookie) = lab.session_login(base, p, VICTIM, None).await?;
    let max_age = cookie.attribute("max-age").and_then(|v| v.parse::<u64>().ok());
    let Some(idle) = max_age.filter(|&s| s <= MAX_IDLE_WAIT_SECS) else {
        let said = max_age.map_or_else(|| "no Max-Age".to_owned(), |s| format!("Max-Age={s}"));
        return Ok(Verdict {
            decisive: Some(login),
            ..Verdict::skipped(Note::new(
                format!(
                    "skipped: the session cookie says {said}; the lab waits out at most {MAX_IDLE_WAIT_SECS} s \
                     (start a session node with --ttl 2s)"
                ),
                format!(
                    "건너뜀: 세션 쿠키가 {said}입니다. 실습은 최대 {MAX_IDLE_WAIT_SECS}초까지만 기다립니다 \
                     (--ttl 2s로 세션 노드를 시작하세요)"
                ),
            ))
        });
    };
    p.setup(profile(base).sid(&cookie.value).label("while active", "활동 중"), 200).await?;
    // Idle from now on: wait past the timeout, with a margin for a busy machine.
    let waited = Duration::from_secs(idle) + Duration::from_millis(1500);
    tokio::time::sleep(waited).await;
    let after = format!("after {:.1} s idle", waited.as_secs_f64());
    let ko = format!("{:.1}초 동안 쓰지 않은 뒤", waited.as_secs_f64());
    let i = p.send(profile(base).sid(&cookie.value).label(after, ko)).await;
    Ok(p.judge(&[i], refused_401).with_note(Note::new(
        format!("idle timeout {idle} s (the node's --ttl); this lab's sessions have no absolute timeout"),
        format!("유휴 시간 제한 {idle}초 (노드의 --ttl). 이 실습의 세션에는 절대 시간 제한이 없습니다"),
    )))
}

fn cookie_same_site_text(cookie: &SetCookie) -> String {
    cookie.attribute("samesite").unwrap_or("").to_owned()
}

/// Passed when no attribute is `missing`; the login that set the cookie decides either way.
fn flags_verdict(login: usize, missing: &[&str]) -> Verdict {
    if missing.is_empty() {
        return Verdict { outcome: Outcome::Passed, decisive: Some(login), note: None };
    }
    let list = missing.join(", ");
    Verdict {
        outcome: Outcome::Failed,
        decisive: Some(login),
        note: Some(Note::new(format!("missing: {list}"), format!("빠진 속성: {list}"))),
    }
}
