//! The names ticks and events are keyed by: the strategies a run compares, and the kinds of event
//! that happen to a run.

use serde::{Deserialize, Serialize};

use crate::names::named;

/// The kind of an event, as recordings store it (`kill_node`, ...); the scenario's
/// `EventAction` is one of these with what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `kill_node`: a node's process was killed.
    KillNode,
    /// `add_node`: a node was added to a strategy.
    AddNode,
    /// `restart_node`: a node was killed and started again at the same address.
    RestartNode,
    /// `revoke_user`: users' sessions or tokens were revoked.
    RevokeUser,
    /// `rotate_key`: the token nodes started signing with a new key.
    RotateKey,
    /// `set_load`: the load target changed.
    SetLoad,
    /// `set_routing`: the load balancer's routing policy changed.
    SetRouting,
    /// The run retiring the keys a rotation replaced, once their last tokens expired. The lab
    /// does this by itself: it is recorded, never scheduled.
    RetireKeys,
    /// A node the lab did not start was taken out of the run (the live view's endpoint list). It
    /// is recorded, never scheduled.
    RemoveNode,
}

/// One of the two ways of authenticating the lab compares; what ticks and summaries are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    /// Server-side sessions: an opaque `sid` cookie the nodes look up in a session store.
    Session,
    /// Signed access tokens (JWT) the nodes verify by themselves, with refresh tokens.
    Token,
}

impl StrategyName {
    /// Both strategies, session first: the order runs, charts and reports use.
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
    RemoveNode => "remove_node",
});
named!(StrategyName { Session => "session", Token => "token" });
