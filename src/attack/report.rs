//! Renders attack results for `authlab attack`: a text block per attack, a closing tally, or one
//! JSON array, in English or Korean.

use std::time::Duration;

use serde_json::{Value, json};

use super::runner::{AttackResult, Outcome, Targets};
use super::{Bilingual, Strategy};
use crate::i18n::{Language, Text};

const fn b(en: &'static str, ko: &'static str) -> Bilingual {
    Bilingual { en, ko }
}

pub(crate) const SENT: Bilingual = b("sent", "보냄");
pub(crate) const EXPECTED: Bilingual = b("expected", "기대");
pub(crate) const GOT: Bilingual = b("got", "결과");
pub(crate) const WHY: Bilingual = b("why", "이유");
pub(crate) const NOTE: Bilingual = b("note", "참고");
pub(crate) const PASS: Bilingual = b("PASS", "통과");
pub(crate) const FAIL: Bilingual = b("FAIL", "실패");
pub(crate) const SKIP: Bilingual = b("SKIP", "건너뜀");
pub(crate) const SESSION: Bilingual = b("session", "세션");
pub(crate) const TOKEN: Bilingual = b("token", "토큰");

/// The word for an outcome.
pub fn outcome_word(outcome: Outcome) -> Bilingual {
    match outcome {
        Outcome::Passed => PASS,
        Outcome::Failed => FAIL,
        Outcome::Skipped => SKIP,
    }
}

/// The word for a strategy.
pub(crate) fn strategy_word(strategy: Strategy) -> Bilingual {
    match strategy {
        Strategy::Session => SESSION,
        Strategy::Token => TOKEN,
    }
}

/// The first line: what is attacked.
pub fn text_header(targets: &Targets, count: usize, own: bool, lang: Language) -> String {
    let url = |u: &Option<String>| u.clone().unwrap_or_else(|| "-".into());
    let (session, token, denylist) = (url(&targets.session), url(&targets.token), url(&targets.token_denylist));
    match lang {
        Language::English => format!(
            "authlab attack: {count} attacks on {} nodes: session {session}, token {token}, token with denylist {denylist}",
            if own { "its own" } else { "the given" }
        ),
        Language::Korean => format!(
            "authlab attack: {} 노드에 공격 {count}개: 세션 {session}, 토큰 {token}, 거부 목록 토큰 {denylist}",
            if own { "직접 띄운" } else { "주어진" }
        ),
    }
}

/// One attack: a title line, then what was sent, expected, got, and why it matters.
pub fn text_block(result: &AttackResult, lang: Language) -> String {
    let attack = result.attack;
    let word = outcome_word(result.outcome).get(lang);
    let mut out = format!(
        "{word:<5} {:<7} {:<29} {}\n",
        strategy_word(attack.strategy).get(lang),
        attack.name,
        attack.title.get(lang)
    );
    let mut line = |label: Bilingual, text: &str| {
        if !text.is_empty() {
            out.push_str(&format!("      {:<9} {text}\n", format!("{}:", label.get(lang))));
        }
    };
    line(SENT, &result.sent());
    line(EXPECTED, attack.expected.get(lang));
    line(GOT, &result.got(lang));
    if let Some(note) = &result.note {
        line(NOTE, note.get(lang));
    }
    line(WHY, attack.why.get(lang));
    out
}

/// The closing line: how many passed, failed and were skipped, and how long it took.
pub fn text_summary(results: &[AttackResult], elapsed: Duration, lang: Language) -> String {
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
    let (passed, failed, skipped) = (count(Outcome::Passed), count(Outcome::Failed), count(Outcome::Skipped));
    let seconds = elapsed.as_secs_f64();
    let failed_names: Vec<&str> =
        results.iter().filter(|r| r.outcome == Outcome::Failed).map(|r| r.attack.name).collect();
    let mut text = match lang {
        Language::English => {
            format!("{} attacks: {passed} passed, {failed} failed, {skipped} skipped ({seconds:.1} s)", results.len())
        }
        Language::Korean => {
            format!("공격 {}개: 통과 {passed}, 실패 {failed}, 건너뜀 {skipped} ({seconds:.1}초)", results.len())
        }
    };
    if !failed_names.is_empty() {
        let label = match lang {
            Language::English => "got through or went wrong",
            Language::Korean => "뚫렸거나 잘못된 공격",
        };
        text.push_str(&format!("\n{label}: {}", failed_names.join(", ")));
    }
    text
}

/// One attack as JSON: `{name, strategy, title, target, sent, expected, got, status, passed,
/// outcome, why, note, steps, elapsed_ms}`; `passed` is null when the attack was skipped.
pub fn json_result(result: &AttackResult, lang: Language) -> Value {
    let attack = result.attack;
    let steps: Vec<String> = result
        .exchanges
        .iter()
        .map(|e| {
            let answer =
                if e.error.is_some() { lang.tr(Text::AttackNoAnswer).to_owned() } else { e.status.to_string() };
            let label = e.label.as_ref().map(|l| format!(" ({})", l.get(lang))).unwrap_or_default();
            format!("{} {} -> {answer}{label}", e.method, e.path())
        })
        .collect();
    json!({
        "name": attack.name,
        "strategy": attack.strategy.as_str(),
        "title": attack.title.get(lang),
        "target": result.target,
        "sent": result.sent(),
        "expected": attack.expected.get(lang),
        "got": result.got(lang),
        "status": result.decisive_exchange().map(|e| e.status),
        "passed": result.passed(),
        "outcome": result.outcome.as_str(),
        "why": attack.why.get(lang),
        "note": result.note.as_ref().map(|n| n.get(lang)),
        "steps": steps,
        "elapsed_ms": result.elapsed.as_millis() as u64,
    })
}

/// Every result as one JSON array.
pub fn json_results(results: &[AttackResult], lang: Language) -> Value {
    Value::Array(results.iter().map(|r| json_result(r, lang)).collect())
}
