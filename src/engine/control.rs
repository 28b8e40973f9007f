//! How a running engine is steered and what it reports: the [`Command`]s it takes and the
//! [`RunMessage`]s it sends, in order, to every consumer (the command line, the recorder, the app).

use std::collections::BTreeMap;

use crate::measure::{EventRecord, Tick};
use crate::scenario::{EventAction, NodeRef, StrategyName};

/// A command to a running engine (from the app's buttons or the scenario's schedule).
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Apply this event now.
    Event(EventAction),
    /// Add the node at this base URL to the strategy's `endpoints` (configured for the run, then
    /// sent its share of the load). Only for a strategy whose nodes are endpoints.
    AttachNode(StrategyName, String),
    /// Take this node out of the strategy's `endpoints`: no more load or scrapes; its process goes on.
    DetachNode(NodeRef),
    /// End the run now (as if its duration had passed).
    Stop,
}

/// What the engine sends to its consumers, in order.
#[derive(Debug, Clone)]
pub enum RunMessage {
    /// The cluster is up and the load is starting; the base URL of every node, by strategy.
    Started {
        /// The base URL of each node, in node order; in sequential mode, the first phase's nodes only.
        nodes: BTreeMap<StrategyName, Vec<String>>,
    },
    /// One sampling interval's measurements, as they are taken.
    Tick(Tick),
    /// An event applied to the run (scheduled or live), or one that failed.
    Event(EventRecord),
    /// The run is over (normally, by Stop, or by an error, given here).
    Finished {
        /// Why the run failed, in words; `None` when it ended normally or by Stop.
        error: Option<String>,
    },
}
