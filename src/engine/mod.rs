//! The run engine: scenario → cluster → load → ticks.
//!
//! It knows nothing of any user interface: the command line, the recorder and the app all consume
//! the same stream of [`RunMessage`]s and send the same [`Command`]s. What it measures is in
//! [`crate::measure`]. A strategy may run against the user's own server instead of the lab's nodes
//! ([`foreign`]).

pub mod control;
pub mod foreign;
pub mod run;
pub(crate) mod scrape;

pub use control::{Command, RunMessage};
pub use run::{RunHandle, RunSetup, start_run};
