//! The scenarios compiled into the binary, so they work without the repository.

use std::path::Path;

use super::ScenarioError;

/// (name, TOML source) of every built-in scenario, in the order a trainer would show them.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("memory-growth", include_str!("../../scenarios/memory-growth.toml")),
    ("shared-store", include_str!("../../scenarios/shared-store.toml")),
    ("database-store", include_str!("../../scenarios/database-store.toml")),
    ("store-compare-memory", include_str!("../../scenarios/store-compare-memory.toml")),
    ("store-compare-redis", include_str!("../../scenarios/store-compare-redis.toml")),
    ("store-compare-postgres", include_str!("../../scenarios/store-compare-postgres.toml")),
    ("memory-limit", include_str!("../../scenarios/memory-limit.toml")),
    ("round-robin-vs-sticky", include_str!("../../scenarios/round-robin-vs-sticky.toml")),
    ("node-crash", include_str!("../../scenarios/node-crash.toml")),
    ("scale-out", include_str!("../../scenarios/scale-out.toml")),
    ("store-scale-out", include_str!("../../scenarios/store-scale-out.toml")),
    ("revocation", include_str!("../../scenarios/revocation.toml")),
    ("revocation-denylist", include_str!("../../scenarios/revocation-denylist.toml")),
    ("algorithm-cost-hs256", include_str!("../../scenarios/algorithm-cost-hs256.toml")),
    ("algorithm-cost-rs256", include_str!("../../scenarios/algorithm-cost-rs256.toml")),
    ("algorithm-cost-es256", include_str!("../../scenarios/algorithm-cost-es256.toml")),
    ("algorithm-cost-eddsa", include_str!("../../scenarios/algorithm-cost-eddsa.toml")),
    ("token-size", include_str!("../../scenarios/token-size.toml")),
    ("key-rotation", include_str!("../../scenarios/key-rotation.toml")),
    ("second-service", include_str!("../../scenarios/second-service.toml")),
    ("mobile-client", include_str!("../../scenarios/mobile-client.toml")),
    ("your-own-app", include_str!("../../scenarios/your-own-app.toml")),
];

/// The TOML source of the built-in scenario called `name`.
pub fn source(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The text of a scenario named on the command line, and its origin for messages: the file at
/// `path`, or, when there is no such file, the built-in scenario of that name.
pub fn read_scenario_text(path: &Path) -> Result<(String, String), ScenarioError> {
    let origin = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((origin, text)),
        Err(error) => match path.to_str().and_then(source) {
            Some(text) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok((format!("built-in: {origin}"), text.into()))
            }
            _ => Err(ScenarioError::Read { origin, error }),
        },
    }
}

/// A built-in scenario's one-line summary: the first comment line of its file.
pub fn summary(source: &str) -> &str {
    source.lines().find_map(|line| line.strip_prefix("# ")).unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;

    #[test]
    fn every_built_in_parses_and_tells_its_story_in_both_languages() {
        for (name, text) in BUILT_IN {
            let scenario = parse_scenario(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert!(scenario.narrative.en.len() > 200, "{name}: an English narrative of a few sentences");
            assert!(scenario.narrative.ko.len() > 200, "{name}: a Korean narrative of a few sentences");
            assert!(!scenario.narrative.name_ko.is_empty(), "{name}: a Korean name (narrative.name_ko)");
            assert!(!summary(text).is_empty(), "{name}: a one-line summary");
            assert_eq!(source(name), Some(*text));
        }
        let mut names: Vec<_> = BUILT_IN.iter().map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), BUILT_IN.len(), "names are unique");
    }
}
