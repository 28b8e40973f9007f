//! `[[events]]`: each event checked on its own, then all of them in time order against the nodes
//! the strategies have at that moment.

use std::time::Duration;

use super::MAX_NODES;
use super::raw::{RawEvent, S};
use super::validate::{self, Check, at, non_negative_f64, one_of, scheduled_actions};
use crate::scenario::model::*;

/// The most users one revoke_user event revokes (each is one admin call per node).
const MAX_REVOKED_AT_ONCE: f64 = 1000.0;

/// An event's `target` as written: `session`, `token`, `session/2`, `token/1`, or none.
enum TargetText {
    All,
    Strategy(StrategyName),
    Node(NodeRef),
}

/// `session`, `token`, `session/2`, `token/1`.
fn parse_target(value: &S<String>) -> Check<TargetText> {
    let text = value.get_ref().as_str();
    let bad = || at(value, format!("unknown target {text:?}; expected session, token, session/N or token/N"));
    let strategy = StrategyName::from_name;
    match text.split_once('/') {
        None => strategy(text).map(TargetText::Strategy).ok_or_else(bad),
        Some((name, number)) => {
            let strategy = strategy(name).ok_or_else(bad)?;
            match number.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(TargetText::Node(NodeRef { strategy, number: n })),
                _ => Err(at(value, format!("target {text:?}: nodes are numbered from 1, as in \"{name}/1\""))),
            }
        }
    }
}

/// An event with its payload checked, waiting for its target to be checked in time order.
enum Pending {
    /// kill_node, restart_node: a node target.
    Node(fn(NodeRef) -> EventAction),
    /// add_node: a strategy target.
    AddNode,
    /// rotate_key: the token strategy, or no target.
    RotateKey,
    /// revoke_user, set_load, set_routing: a strategy target or none.
    Scoped(Scoped),
}

enum Scoped {
    RevokeUser(Revokee),
    SetLoad(f64),
    SetRouting(Routing),
}

impl Scoped {
    fn on(self, scope: Scope) -> EventAction {
        match self {
            Scoped::RevokeUser(who) => EventAction::RevokeUser(scope, who),
            Scoped::SetLoad(value) => EventAction::SetLoad(scope, value),
            Scoped::SetRouting(routing) => EventAction::SetRouting(scope, routing),
        }
    }
}

/// The keys an event's action takes besides `at`, `action` and `target`, checked in the order
/// `value`, `user`, `routing`: the ones it needs must be there, the others must not.
fn payload(action: Action, r: &S<RawEvent>) -> Check<Pending> {
    let e = r.get_ref();
    let name = action.name();
    let no_value = || match &e.value {
        Some(v) => Err(at(v, format!("`value` applies to set_load and revoke_user only, not {name}"))),
        None => Ok(()),
    };
    let no_user = || match &e.user {
        Some(u) => Err(at(u, format!("`user` applies to revoke_user only, not {name}"))),
        None => Ok(()),
    };
    let no_routing = || match &e.routing {
        Some(v) => Err(at(v, format!("`routing` applies to set_routing only, not {name}"))),
        None => Ok(()),
    };
    let no_payload = || no_value().and_then(|()| no_user()).and_then(|()| no_routing());
    match action {
        Action::KillNode => no_payload().map(|()| Pending::Node(EventAction::KillNode)),
        Action::RestartNode => no_payload().map(|()| Pending::Node(EventAction::RestartNode)),
        Action::AddNode => no_payload().map(|()| Pending::AddNode),
        Action::RotateKey => no_payload().map(|()| Pending::RotateKey),
        Action::SetLoad => {
            let Some(v) = &e.value else { return Err(at(r, "set_load needs a `value` (the new load target)")) };
            let value = non_negative_f64("value", v)?;
            no_user()?;
            no_routing()?;
            Ok(Pending::Scoped(Scoped::SetLoad(value)))
        }
        Action::RevokeUser => {
            let count = match &e.value {
                None => 1,
                Some(v) => {
                    let count = *v.get_ref();
                    if count.fract() != 0.0 || !(1.0..=MAX_REVOKED_AT_ONCE).contains(&count) {
                        return Err(at(
                            v,
                            format!("revoke_user: `value` is how many users, 1 to {MAX_REVOKED_AT_ONCE}"),
                        ));
                    }
                    if e.user.is_some() {
                        return Err(at(v, "revoke_user takes either `user` or `value` (how many users), not both"));
                    }
                    count as usize
                }
            };
            let who = match &e.user {
                Some(u) => Revokee::User(u.get_ref().clone()),
                None => Revokee::Recent(count),
            };
            no_routing()?;
            Ok(Pending::Scoped(Scoped::RevokeUser(who)))
        }
        Action::SetRouting => {
            no_value()?;
            no_user()?;
            let Some(routing) = &e.routing else {
                return Err(at(r, "set_routing needs a `routing`, such as \"sticky\""));
            };
            Ok(Pending::Scoped(Scoped::SetRouting(one_of("routing", routing, Routing::NAMES)?)))
        }
        // Not among the actions a scenario names: the lab retires keys by itself.
        Action::RetireKeys => Err(at(r, format!("{name} is done by the lab itself and cannot be scheduled"))),
        Action::RemoveNode => Err(at(r, format!("{name} is done from the live view's endpoint list"))),
    }
}

pub(super) fn validate_events(
    raw: Vec<S<RawEvent>>,
    duration: Duration,
    session: Option<&SessionSpec>,
    token: Option<&TokenSpec>,
    targets: &Targets,
) -> Check<Vec<EventSpec>> {
    // Parse each event on its own first, keeping the spans for the checks that need time order.
    struct Parsed<'a> {
        at: Duration,
        action: Action,
        target: TargetText,
        pending: Pending,
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
        let action = one_of("action", action_value, &scheduled_actions())?;
        let target = e.target.as_ref().map_or(Ok(TargetText::All), parse_target)?;
        let pending = payload(action, r)?;
        parsed.push(Parsed { at: event_at, action, target, pending, raw: r });
    }
    parsed.sort_by_key(|p| p.at);

    // Then in time order: node numbers count the nodes added so far.
    let urls = |s: StrategyName| targets.get(s).map(|t| t.urls.len() as u32);
    let mut nodes = [
        session.map(|s| s.nodes).or(urls(StrategyName::Session)),
        token.map(|t| t.nodes).or(urls(StrategyName::Token)),
    ];
    let index = |s: StrategyName| match s {
        StrategyName::Session => 0,
        StrategyName::Token => 1,
    };
    let mut events = Vec::with_capacity(parsed.len());
    for p in parsed {
        let r = p.raw.get_ref();
        let target_at = |message: String| match &r.target {
            Some(t) => at(t, message),
            None => at(p.raw, message),
        };
        let name = p.action.name();
        let present = |s: StrategyName| {
            nodes[index(s)].ok_or_else(|| {
                target_at(format!("{name} targets {}, but the scenario has no [{}] table", s.as_str(), s.as_str()))
            })
        };
        let action = match (p.pending, p.target) {
            (Pending::Node(make), TargetText::Node(node)) => {
                let count = present(node.strategy)?;
                if node.number > count {
                    let s = node.strategy.as_str();
                    return Err(target_at(format!(
                        "{name} targets {node}, but {s} has {count} node{} at that time",
                        if count == 1 { "" } else { "s" }
                    )));
                }
                make(node)
            }
            (Pending::Node(_), _) => {
                return Err(target_at(format!("{name} needs a node target, such as \"session/1\"")));
            }
            (Pending::AddNode, TargetText::Strategy(s)) => {
                let count = present(s)?;
                if count >= MAX_NODES {
                    return Err(target_at(format!("add_node: {} would have more than {MAX_NODES} nodes", s.as_str())));
                }
                nodes[index(s)] = Some(count + 1);
                EventAction::AddNode(s)
            }
            (Pending::AddNode, _) => {
                return Err(target_at("add_node needs a strategy target: \"session\" or \"token\"".into()));
            }
            (Pending::RotateKey, TargetText::Strategy(StrategyName::Session)) => {
                return Err(target_at(
                    "rotate_key applies to the token strategy only; sessions have no signing key".into(),
                ));
            }
            (Pending::RotateKey, TargetText::All) => {
                present(StrategyName::Token)?;
                EventAction::RotateKey(Scope::All)
            }
            (Pending::RotateKey, TargetText::Strategy(s)) => {
                present(s)?;
                EventAction::RotateKey(Scope::Strategy(s))
            }
            (Pending::Scoped(scoped), TargetText::Strategy(s)) => {
                present(s)?;
                scoped.on(Scope::Strategy(s))
            }
            (Pending::RotateKey | Pending::Scoped(_), TargetText::Node(_)) => {
                return Err(target_at(format!("{name} takes a strategy target (\"session\" or \"token\") or none")));
            }
            (Pending::Scoped(scoped), TargetText::All) => scoped.on(Scope::All),
        };
        if !matches!(action, EventAction::SetLoad(..) | EventAction::SetRouting(..)) {
            let acts_on = |s: StrategyName| match action.scope() {
                Scope::All => true,
                Scope::Strategy(one) => one == s,
            };
            let foreign = StrategyName::BOTH.into_iter().find(|s| targets.get(*s).is_some() && acts_on(*s));
            if let Some(s) = foreign {
                let s = s.as_str();
                return Err(target_at(format!(
                    "{name} needs the lab's own nodes, and [target.{s}] is your own server, which the lab does not \
                     start or administer; set_load and set_routing work against it"
                )));
            }
        }
        let attached = |s: StrategyName| match s {
            StrategyName::Session => session.is_some_and(|s| !s.endpoints.is_empty()),
            StrategyName::Token => token.is_some_and(|t| !t.endpoints.is_empty()),
        };
        let refused = match &action {
            EventAction::RestartNode(node) if attached(node.strategy) => Some(format!(
                "restart_node needs the lab to start a process, and [{s}] endpoints are your own nodes: use kill_node \
                 (the node crashes, and the supervisor that runs it starts it again)",
                s = node.strategy.as_str()
            )),
            EventAction::AddNode(s) if attached(*s) => Some(format!(
                "add_node needs the lab to start a process, and [{s}] endpoints are your own nodes: add one's URL in \
                 the live view while the run goes",
                s = s.as_str()
            )),
            EventAction::RotateKey(_) if attached(StrategyName::Token) => {
                Some("rotate_key rewrites the lab's key file, which your own token nodes do not read".into())
            }
            _ => None,
        };
        if let Some(message) = refused {
            return Err(target_at(message));
        }
        events.push(EventSpec { at: p.at, action });
    }
    Ok(events)
}
