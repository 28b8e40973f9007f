//! Reading a scenario file: TOML into raw structs (unknown keys are errors), then validation into the
//! typed [`Scenario`] with every default filled in.
//!
//! Every error names the file and, when it can, the line and column of the offending value:
//! `scenarios/x.toml:12:11: unknown routing "stiky"; expected one of round_robin, random, sticky,
//! least_outstanding`.
//!
//! The work is done in three files, as ripgrep's `flags/{lowargs,hiargs}` do: `raw.rs` is what serde
//! reads, `validate.rs` (with `events.rs`) turns it into the model, and `friendly.rs` holds the
//! tables that make toml's and serde's messages say which table and key they are about.

use std::path::Path;

use super::model::Scenario;
use friendly::friendly_toml_message;
use raw::RawScenario;
use validate::Problem;

mod attach;
mod events;
mod friendly;
mod raw;
mod target;
#[cfg(test)]
mod tests;
mod thresholds;
mod validate;

/// The most nodes a strategy can have.
pub const MAX_NODES: u32 = 32;
pub use crate::users::MAX_USERS;

/// Why a scenario could not be read. `Display` is `origin:line:col: message` when the position is
/// known, `origin: message` when it is not.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{origin}: cannot read: {error}")]
    Read {
        /// The path as given on the command line or in the library.
        origin: String,
        /// Why reading it failed.
        error: std::io::Error,
    },
    /// The file was read but is not a valid scenario.
    #[error("{origin}{}: {message}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Invalid {
        /// The file name, or what else the text came from (`built-in: <name>` for a built-in).
        origin: String,
        /// 1-based line and column (in characters) of the offending value, when known.
        position: Option<(usize, usize)>,
        /// What is wrong with the value (in English).
        message: String,
    },
}

impl ScenarioError {
    /// The file name (or other origin) the error is about.
    pub fn origin(&self) -> &str {
        match self {
            Self::Read { origin, .. } | Self::Invalid { origin, .. } => origin,
        }
    }

    /// 1-based line and column of the offending value, when known.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid { position, .. } => *position,
        }
    }

    /// What is wrong, without the origin and position.
    pub fn message(&self) -> String {
        match self {
            Self::Read { error, .. } => format!("cannot read: {error}"),
            Self::Invalid { message, .. } => message.clone(),
        }
    }
}

/// Reads and validates the scenario file at `path`; errors name the path as given.
/// A path that is not a file but names a built-in scenario loads that scenario.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let (origin, text) = super::builtin::read_scenario_text(path)?;
    parse_scenario(&text, &origin)
}

/// Parses and validates a scenario; `origin` (usually the file name) starts every error message.
pub fn parse_scenario(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span();
        let message = friendly_toml_message(e.message(), text, span.clone());
        ScenarioError::Invalid { origin: origin.to_owned(), position: span.map(|s| line_col(text, s.start)), message }
    })?;
    let mut scenario = raw.validate().map_err(|Problem { span, message }| ScenarioError::Invalid {
        origin: origin.to_owned(),
        position: span.map(|s| line_col(text, s.start)),
        message,
    })?;
    // A target's files are named relative to the scenario file (a built-in: to the working directory).
    if let Some(dir) = Path::new(origin).parent().filter(|_| Path::new(origin).is_file()) {
        for target in [&mut scenario.targets.session, &mut scenario.targets.token].into_iter().flatten() {
            target.resolve_paths(dir);
        }
        if let Some(file) = scenario.cluster.admin_token_file.as_mut().filter(|f| f.is_relative()) {
            *file = dir.join(&*file);
        }
    }
    Ok(scenario)
}

/// 1-based line and column (counted in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}
