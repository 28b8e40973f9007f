//! Scenarios: the human-written TOML files that say what a run does.
//!
//! [`model`] is the validated, typed scenario the engine runs, its events included
//! ([`EventAction`]: each action with what it needs). Parsing and validation (with `file:line:col`
//! errors) live in [`parse`]. Each scenario enum's names come from one table (`NAMES`, `name()`,
//! `from_name()`), declared at the end of `model.rs`. The user's own servers (`[target.*]`) are
//! described in [`target`].

pub mod builtin;
pub mod model;
#[cfg(test)]
mod name_tests;
pub mod parse;
pub mod target;

pub use model::*;
pub use parse::{ScenarioError, load_scenario, parse_scenario};
