//! The run engine: scenario → cluster → load → ticks.
//!
//! It knows nothing of any user interface: the command line, the recorder and the app all consume
//! the same stream of [`RunMessage`]s and send the same [`Command`]s. What it measures is in
//! [`crate::measure`]. A strategy may run against the user's own server instead of the lab's nodes
//! ([`foreign`]).

pub mod control;
mod driver_cost;
pub mod foreign;
pub mod run;
pub(crate) mod scrape;

pub use control::{Command, RunMessage};
pub use run::{RunHandle, RunSetup, start_run};

/// The runtime the engine and its load driver run on, with every thread named
/// [`crate::process_stats::ENGINE_THREAD`] so that the driver's own CPU can be told apart from the
/// app's; `workers` worker threads (`None`: one per core).
pub fn runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        builder.worker_threads(workers);
    }
    builder.thread_name(crate::process_stats::ENGINE_THREAD).enable_all().build()
}
