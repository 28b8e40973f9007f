//! The names ticks and events are keyed by: the strategies a run compares, and the kinds of event
//! that happen to a run.

use serde::{Deserialize, Serialize};

use crate::names::named;

/// The kind of an event, as recordings store it (`kill_node`, ...); the scenario's
/// `EventAction` is one of these with what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    KillNode,
    AddNode,
    RestartNode,
    RevokeUser,
    RotateKey,
    SetLoad,
    SetRouting,
    /// The run retiring the keys a rotation replaced, once their last tokens expired. The lab
    /// does this by itself: it is recorded, never scheduled.
    RetireKeys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    Session,
    Token,
}

impl StrategyName {
    pub const BOTH: [StrategyName; 2] = [StrategyName::Session, StrategyName::Token];

    /// Its name (the same as [`StrategyName::name`]).
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

named!(Action {
    KillNode => "kill_node",
    AddNode => "add_node",
    RestartNode => "restart_node",
    RevokeUser => "revoke_user",
    RotateKey => "rotate_key",
    SetLoad => "set_load",
    SetRouting => "set_routing",
    RetireKeys => "retire_keys",
});
named!(StrategyName { Session => "session", Token => "token" });
