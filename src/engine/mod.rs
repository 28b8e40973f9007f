//! The run engine: scenario → cluster → load → ticks.
//!
//! It knows nothing of any user interface: the command line, the recorder and the app all consume
//! the same stream of [`tick::RunMessage`]s and send the same [`tick::Command`]s.

pub mod run;
pub mod scrape;
pub mod summary;
pub mod tick;

pub use run::{RunHandle, RunSetup, start_run};
