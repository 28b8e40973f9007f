//! Scenarios: the human-written TOML files that say what a run does.
//!
//! [`model`] is the validated, typed scenario the engine runs. Parsing and validation (with
//! `file:line:col` errors) live in [`parse`].

pub mod builtin;
pub mod model;
mod names;
pub mod parse;

pub use model::*;
pub use parse::{ScenarioError, load_scenario, parse_scenario};
