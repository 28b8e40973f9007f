//! authlab: server-side session authentication and token (JWT) authentication, side by side under load.
//!
//! The library holds everything; the `authlab` binary is a thin command-line shell over it.
//! - [`node`]: one auth server (axum), strategy `session` or `token`, run as its own OS process.
//! - [`session_store`]: where a session node keeps its sessions (metered memory store, or Redis).
//! - [`token`]: JWT keys, issuing and checking access tokens, refresh families and the denylist.
//! - [`users`]: the deterministic user directory and password verification.
//! - [`heap`], [`process_stats`]: how a node measures its own memory and CPU.
//! - [`units`]: durations and byte sizes as humans write them.
//! - [`recording`]: runs written to and read back from JSON Lines recordings.

pub mod app;
pub mod attack;
pub mod cluster;
pub mod engine;
pub mod headless;
pub mod heap;
pub mod i18n;
pub mod load;
pub mod node;
pub mod process_stats;
pub mod recording;
pub mod report;
pub mod scenario;
pub mod session_store;
pub mod token;
pub mod units;
pub mod users;
