//! The cluster supervisor: node processes started, watched, killed, added and restarted.
//!
//! Each node is a child process running `authlab node` from the same executable, so each node's
//! memory is its own and a kill is a real crash. [`Endpoints`] is the view of the cluster the load
//! balancer uses; the [`Supervisor`] owns the processes. Nodes the lab did not start (a scenario's
//! `endpoints`) are attached instead: configured, watched and crashed over their admin API.

mod attached;
mod database;
mod endpoints;
pub mod leftovers;
mod private_redis;
mod store_gate;
mod supervisor;

pub use database::RunDatabase;
pub use endpoints::{Address, Endpoint, Endpoints, Origin};
pub use private_redis::{PrivateCluster, PrivateClusterError};
pub use store_gate::{StoreGate, StoreGateError};
pub use supervisor::{ClusterError, NodeProcess, Supervisor, SupervisorConfig};
