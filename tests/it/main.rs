//! The integration tests, as one binary: each module tests one facet of the lab (a node strategy,
//! a whole run, the app, a report...) and shares the helpers in [`support`]. One binary links the
//! crate once: twenty used to, each with its own copy of the crate and its debug info.

// A test helper's `unwrap` is an assertion: the library's `[lints]` forbid it outside tests only.
#![allow(clippy::unwrap_used)]

mod support;

mod app;
mod app_inspector;
mod app_start;
mod architecture;
mod attach;
mod attack;
mod attack_lab_app;
mod bad_input;
mod browser_cors;
mod compare;
mod cors;
mod deploy_kubernetes;
mod error_bodies;
mod foreign_target;
mod fuzz_regressions;
mod inspect;
mod interop;
mod mobile_client;
mod network_hosts;
mod node_admin;
mod node_simulation;
mod postgres_fixture;
mod projection;
mod projection_proof;
mod recording;
mod report;
mod resource_node;
mod run_engine;
mod scenario_check;
mod scenarios;
mod session_node;
mod session_postgres;
mod session_redis;
mod session_redis_cluster;
mod thresholds;
mod token_node;
mod users_cli;
