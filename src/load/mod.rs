//! The load driver: virtual users on tokio with one shared reqwest client, a client-side load
//! balancer, and per-worker statistics merged once per tick.

pub mod balancer;
pub mod driver;
pub mod stats;
pub mod visit;

pub use driver::{LoadDriver, LoadOptions};
pub use stats::{StrategyStats, TickStats};
