//! `[[events]]`: each event checked on its own, then all of them in time order against the nodes
//! the strategies have at that moment.

use std::time::Duration;

use super::MAX_NODES;
use super::raw::{RawEvent, S};
use super::validate::{self, ACTIONS, Check, ROUTINGS, at, non_negative_f64, one_of};
use crate::scenario::model::*;

/// The most users one revoke_user event revokes (each is one admin call per node).
const MAX_REVOKED_AT_ONCE: f64 = 1000.0;

/// `session`, `token`, `session/2`, `token/1`.
fn parse_target(value: &S<String>) -> Check<Target> {
    let text = value.get_ref().as_str();
    let bad = || at(value, format!("unknown target {text:?}; expected session, token, session/N or token/N"));
    let strategy = |name: &str| match name {
        "session" => Some(StrategyName::Session),
        "token" => Some(StrategyName::Token),
        _ => None,
    };
    match text.split_once('/') {
        None => strategy(text).map(Target::Strategy).ok_or_else(bad),
        Some((name, number)) => {
            let strategy = strategy(name).ok_or_else(bad)?;
            match number.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Target::Node(strategy, n)),
                _ => Err(at(value, format!("target {text:?}: nodes are numbered from 1, as in \"{name}/1\""))),
            }
        }
    }
}

pub(super) fn validate_events(
    raw: Vec<S<RawEvent>>,
    duration: Duration,
    session: Option<&SessionSpec>,
    token: Option<&TokenSpec>,
) -> Check<Vec<EventSpec>> {
    // Parse each event on its own first, keeping the spans for the checks that need time order.
    struct Parsed<'a> {
        event: EventSpec,
        raw: &'a S<RawEvent>,
    }
    let mut parsed = Vec::with_capacity(raw.len());
    for r in &raw {
        let e = r.get_ref();
        let Some(at_value) = &e.at else { return Err(at(r, "missing key \"at\" in [[events]]")) };
        let Some(action_value) = &e.action else { return Err(at(r, "missing key \"action\" in [[events]]")) };
        let event_at = validate::duration("at", at_value)?;
        if event_at > duration {
            return Err(at(
                at_value,
                format!(
                    "event at {:?} is after the end of the run ({})",
                    at_value.get_ref().0,
                    humantime::format_duration(duration)
                ),
            ));
        }
        let action = one_of("action", action_value, ACTIONS)?;
        let target = e.target.as_ref().map_or(Ok(Target::All), parse_target)?;
        let value = match (&e.value, action) {
            (None, Action::SetLoad) => return Err(at(r, "set_load needs a `value` (the new load target)")),
            (Some(v), Action::SetLoad) => Some(non_negative_f64("value", v)?),
            (Some(v), Action::RevokeUser) => {
                let count = *v.get_ref();
                if count.fract() != 0.0 || !(1.0..=MAX_REVOKED_AT_ONCE).contains(&count) {
                    return Err(at(v, format!("revoke_user: `value` is how many users, 1 to {MAX_REVOKED_AT_ONCE}")));
                }
                if e.user.is_some() {
                    return Err(at(v, "revoke_user takes either `user` or `value` (how many users), not both"));
                }
                Some(count)
            }
            (Some(v), _) => {
                return Err(at(v, format!("`value` applies to set_load and revoke_user only, not {}", action.name())));
            }
            (None, _) => None,
        };
        let user = match (&e.user, action) {
            (Some(u), Action::RevokeUser) => Some(u.get_ref().clone()),
            (Some(u), _) => return Err(at(u, format!("`user` applies to revoke_user only, not {}", action.name()))),
            (None, _) => None,
        };
        let routing = match (&e.routing, action) {
            (Some(r), Action::SetRouting) => Some(one_of("routing", r, ROUTINGS)?),
            (None, Action::SetRouting) => return Err(at(r, "set_routing needs a `routing`, such as \"sticky\"")),
            (Some(r), _) => {
                return Err(at(r, format!("`routing` applies to set_routing only, not {}", action.name())));
            }
            (None, _) => None,
        };
        parsed.push(Parsed { event: EventSpec { at: event_at, action, target, value, user, routing }, raw: r });
    }
    parsed.sort_by_key(|p| p.event.at);

    // Then in time order: node numbers count the nodes added so far.
    let mut nodes = [session.map(|s| s.nodes), token.map(|t| t.nodes)];
    let index = |s: StrategyName| match s {
        StrategyName::Session => 0,
        StrategyName::Token => 1,
    };
    for p in &parsed {
        let e = &p.event;
        let r = p.raw.get_ref();
        let target_at = |message: String| match &r.target {
            Some(t) => at(t, message),
            None => at(p.raw, message),
        };
        let name = e.action.name();
        let present = |s: StrategyName| {
            nodes[index(s)].ok_or_else(|| {
                target_at(format!("{name} targets {}, but the scenario has no [{}] table", s.as_str(), s.as_str()))
            })
        };
        match (e.action, &e.target) {
            (Action::KillNode | Action::RestartNode, Target::Node(s, n)) => {
                let count = present(*s)?;
                if *n > count {
                    return Err(target_at(format!(
                        "{name} targets {}/{n}, but {} has {count} node{} at that time",
                        s.as_str(),
                        s.as_str(),
                        if count == 1 { "" } else { "s" }
                    )));
                }
            }
            (Action::KillNode | Action::RestartNode, _) => {
                return Err(target_at(format!("{name} needs a node target, such as \"session/1\"")));
            }
            (Action::AddNode, Target::Strategy(s)) => {
                let count = present(*s)?;
                if count >= MAX_NODES {
                    return Err(target_at(format!("add_node: {} would have more than {MAX_NODES} nodes", s.as_str())));
                }
                nodes[index(*s)] = Some(count + 1);
            }
            (Action::AddNode, _) => {
                return Err(target_at("add_node needs a strategy target: \"session\" or \"token\"".into()));
            }
            (Action::RotateKey, Target::Strategy(StrategyName::Session)) => {
                return Err(target_at(
                    "rotate_key applies to the token strategy only; sessions have no signing key".into(),
                ));
            }
            (Action::RotateKey, Target::All) => {
                present(StrategyName::Token)?;
            }
            (Action::RevokeUser | Action::RotateKey | Action::SetLoad | Action::SetRouting, Target::Strategy(s)) => {
                present(*s)?;
            }
            (Action::RevokeUser | Action::RotateKey | Action::SetLoad | Action::SetRouting, Target::Node(..)) => {
                return Err(target_at(format!("{name} takes a strategy target (\"session\" or \"token\") or none")));
            }
            (Action::RevokeUser | Action::SetLoad | Action::SetRouting, Target::All) => {}
            // Not in ACTIONS: a scenario cannot schedule it.
            (Action::RetireKeys, _) => {}
        }
    }
    Ok(parsed.into_iter().map(|p| p.event).collect())
}
