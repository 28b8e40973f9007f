//! The load driver: virtual users on tokio sharing a keep-alive pool per node, a client-side load
//! balancer, and per-worker statistics merged once per tick.

pub mod accounts;
pub mod balancer;
pub mod driver;
pub mod http;
pub mod protocol;
pub mod stats;
pub mod visit;

pub use accounts::Accounts;
pub use driver::{LoadDriver, LoadOptions};
pub use protocol::Protocol;
pub use stats::{StrategyStats, TickStats};
