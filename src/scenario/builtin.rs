//! The scenarios compiled into the binary, so they work without the repository.

/// (name, TOML source) of every built-in scenario.
pub const BUILT_IN: &[(&str, &str)] = &[("example", include_str!("../../scenarios/example.toml"))];
