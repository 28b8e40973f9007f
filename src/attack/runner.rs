//! Runs attacks against node URLs: picks each attack's node, plays it, and wraps the verdict with
//! every exchange into an [`AttackResult`].
//!
//! The exchange model lives in [`exchange`](super::exchange), request building and judging in
//! [`probe`](super::probe), each attack's function in [`playbook`](super::playbook), and the
//! `jku` bait server in [`bait`](super::bait); the public types are re-exported here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::catalogue::Attack;
use super::playbook::{Aim, Lab};
use super::probe::{Probe, Verdict};
use super::{AttackError, Note, Strategy};
use crate::i18n::Language;
use crate::token::keys::KeySet;

pub use super::exchange::{Exchange, SetCookie, shorten};
pub use super::probe::Outcome;

/// The nodes to attack, and what the lab knows about them.
#[derive(Clone, Default)]
pub struct Targets {
    /// Base URL of a session node.
    pub session: Option<String>,
    /// Base URL of a token node (the no-denylist replay runs here).
    pub token: Option<String>,
    /// Base URL of a token node started with `--revocation denylist`.
    pub token_denylist: Option<String>,
    /// Base URL of a session node with an idle timeout short enough to wait out (`--ttl 2s`);
    /// without it the idle-timeout attack uses `session` if its timeout is short enough.
    pub session_short_ttl: Option<String>,
    /// The token nodes' private keys (their `--keys` file): needed to sign tokens whose only
    /// defect is one claim or header field, so the node's check of that field is what is tested.
    pub token_keys: Option<Arc<KeySet>>,
    /// The user directory's seed (`--seed` of the nodes).
    pub seed: u64,
}

impl Targets {
    /// Checks that every URL is an http(s) base URL, and drops a trailing `/`.
    pub fn normalized(mut self) -> Result<Self, AttackError> {
        let urls = [&mut self.session, &mut self.token, &mut self.token_denylist, &mut self.session_short_ttl];
        for url in urls.into_iter().flatten() {
            let trimmed = url.trim().trim_end_matches('/').to_owned();
            let rest = trimmed.strip_prefix("http://").or_else(|| trimmed.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains('/')) {
                return Err(AttackError::BadUrl { url: url.clone() });
            }
            *url = trimmed;
        }
        Ok(self)
    }
}

/// What one attack sent, got, and how it was judged.
#[derive(Debug, Clone)]
pub struct AttackResult {
    /// The attack of the catalogue that ran.
    pub attack: &'static Attack,
    /// Whether the node stood up to it, let it through, or it was skipped.
    pub outcome: Outcome,
    /// The node attacked.
    pub target: Option<String>,
    /// Every request sent and its answer, setup steps included, in order.
    pub exchanges: Vec<Exchange>,
    /// The exchange that decided the outcome.
    pub decisive: Option<usize>,
    /// A remark on what came back, or why it was skipped.
    pub note: Option<Note>,
    /// How long the attack took, setup included.
    pub elapsed: Duration,
}

impl AttackResult {
    /// `Some(true)` passed, `Some(false)` got through, `None` skipped.
    pub fn passed(&self) -> Option<bool> {
        match self.outcome {
            Outcome::Passed => Some(true),
            Outcome::Failed => Some(false),
            Outcome::Skipped => None,
        }
    }

    /// The exchange that decided the outcome, if one did.
    pub(crate) fn decisive_exchange(&self) -> Option<&Exchange> {
        self.decisive.and_then(|i| self.exchanges.get(i))
    }

    /// The decisive request, on one line.
    pub fn sent(&self) -> String {
        self.decisive_exchange().map(Exchange::sent_line).unwrap_or_default()
    }

    /// The decisive answer, on one line.
    pub fn got(&self, lang: Language) -> String {
        self.decisive_exchange().map(|e| e.got_line(lang)).unwrap_or_default()
    }
}

/// Runs `attacks` one after another against `targets`, calling `each` as each one ends.
pub async fn run_attacks(
    attacks: &[&'static Attack],
    targets: &Targets,
    mut each: impl FnMut(&AttackResult),
) -> Result<Vec<AttackResult>, AttackError> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AttackError::Client(e.to_string()))?;
    let lab = Lab::new(http, targets.seed, targets.token_keys.clone());
    let mut results = Vec::with_capacity(attacks.len());
    for &attack in attacks {
        let result = run(&lab, targets, attack).await;
        each(&result);
        results.push(result);
    }
    Ok(results)
}

/// Plays one attack against its node, or skips it when there is none.
async fn run(lab: &Lab, targets: &Targets, attack: &'static Attack) -> AttackResult {
    let started = Instant::now();
    let mut probe = Probe::new(lab.http.clone());
    let target = target_of(targets, attack);
    let verdict = match &target {
        None if attack.play.aim == Aim::TokenDenylist => Verdict::skipped(Note::new(
            "skipped: no token node with --revocation denylist to attack (give --token-denylist URL)",
            "건너뜀: 공격할 --revocation denylist 토큰 노드가 없습니다 (--token-denylist URL을 주세요)",
        )),
        None => Verdict::skipped(no_target(attack.strategy)),
        Some(base) => match (attack.play.run)(lab, base, &mut probe).await {
            Ok(verdict) | Err(verdict) => verdict,
        },
    };
    AttackResult {
        attack,
        outcome: verdict.outcome,
        target,
        exchanges: probe.exchanges,
        decisive: verdict.decisive,
        note: verdict.note,
        elapsed: started.elapsed(),
    }
}

/// The base URL of the node `attack` needs, if the targets have one.
fn target_of(targets: &Targets, attack: &Attack) -> Option<String> {
    let strategy_node = || match attack.strategy {
        Strategy::Session => targets.session.clone(),
        Strategy::Token => targets.token.clone(),
    };
    match attack.play.aim {
        Aim::Strategy => strategy_node(),
        Aim::TokenDenylist => targets.token_denylist.clone(),
        Aim::TokenDenylistFirst => targets.token_denylist.clone().or_else(|| targets.token.clone()),
        Aim::ShortTtlSessionFirst => targets.session_short_ttl.clone().or_else(|| targets.session.clone()),
    }
}

fn no_target(strategy: Strategy) -> Note {
    Note::new(
        format!("skipped: no {} node to attack (give --{} URL)", strategy.as_str(), strategy.as_str()),
        format!("건너뜀: 공격할 {} 노드가 없습니다 (--{} URL을 주세요)", strategy.as_str(), strategy.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_be_base_urls() {
        let ok = Targets { token: Some("http://127.0.0.1:1/".into()), ..Targets::default() }.normalized();
        assert_eq!(ok.ok().and_then(|t| t.token).as_deref(), Some("http://127.0.0.1:1"));
        for bad in ["127.0.0.1:1", "http://", "http://h/x", "ftp://h"] {
            let t = Targets { session: Some(bad.into()), ..Targets::default() };
            assert!(t.normalized().is_err(), "{bad}");
        }
    }
}
