//! authlab: server-side session authentication and token (JWT) authentication, side by side under load.
//!
//! The library holds everything; the `authlab` binary is a thin command-line shell over it. The
//! modules, from the leaves up (`docs/architecture.md` draws how a tick flows through them):
//! - [`names`]: the one table of names an enum's values are spelt by in files and messages.
//! - [`units`]: durations and byte sizes as humans write them.
//! - [`i18n`]: every user-visible string, in English and Korean.
//! - [`users`]: the deterministic user directory and password verification.
//! - [`heap`], [`process_stats`]: how a node measures its own memory and CPU.
//! - [`token`]: JWT keys, issuing and checking access tokens, refresh families, the denylist, and
//!   the inspection of any JWT (`authlab inspect`).
//! - [`session_store`]: where a session node keeps its sessions (metered memory store, Redis or
//!   PostgreSQL).
//! - [`scenario`]: the TOML scenarios, parsed and validated into the model a run follows.
//! - [`measure`]: the measurement vocabulary every consumer shares: ticks, latency, request
//!   counts, range aggregation, the run summary and its number formatting.
//! - [`thresholds`]: k6-style pass/fail checks on a run's summary figures, and their verdicts.
//! - [`projection`]: capacity projection: a run's measured unit costs multiplied out to a
//!   population the user gives.
//! - [`chart`]: the chart catalogue: each chart's titles, axis and lines (colour, how a tick is
//!   read), drawn by the app (egui_plot) and the reports (plotters).
//! - [`node`]: one auth server (axum), strategy `session`, `token` or `resource`, run as its own
//!   OS process.
//! - [`cluster`]: the supervisor that starts, kills, adds and restarts node processes.
//! - [`load`]: the load driver: virtual users, the client-side balancer, per-worker statistics.
//! - [`engine`]: a run: scenario → cluster → load → ticks, with events applied on the way.
//! - [`recording`]: runs written to and read back from JSON Lines recordings.
//! - [`report`]: charts (PNG, SVG), CSV and summary.md of a recording.
//! - [`attack`]: the attack lab: attacks on both strategies fired at real nodes, and their report.
//! - [`headless`]: `authlab run`: a run on the terminal, with progress, recording and summary.
//! - [`compare`]: `authlab compare`: two recordings' summary figures, their changes and regressions.
//! - [`commands`]: the small terminal subcommands' work (`check`, `scenarios`, `report`, `clean`).
//! - [`app`]: the desktop app (egui): library, live view, replay, inspector, attack lab.

pub mod app;
pub mod attack;
pub mod chart;
pub mod cluster;
pub mod commands;
pub mod compare;
pub mod engine;
pub mod headless;
pub mod heap;
pub mod i18n;
pub mod load;
pub mod measure;
mod names;
pub mod node;
pub mod process_stats;
pub mod projection;
pub mod recording;
pub mod report;
pub mod scenario;
pub mod session_store;
pub mod thresholds;
pub mod token;
pub mod units;
pub mod users;
