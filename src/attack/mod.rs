//! The attack lab: a catalogue of attacks on session and token authentication, fired over real
//! HTTP at real nodes, each with what was sent, what came back, and why it matters.
//!
//! - [`catalogue`]: the attacks, with their texts in English and Korean.
//! - [`forge`]: hand-built JWTs (the ones a JWT library refuses to build) and public-key encodings.
//! - [`runner`]: runs attacks against node URLs: picks each one's node, plays it, collects results.
//! - `playbook`: one small function per attack, by family (forgery, claims, revocation, session).
//! - `probe`: the requests attacks send, the probe that records them, and the verdicts.
//! - `exchange`: one request and its answer, and their one-line views.
//! - `bait`: the loopback server that catches a node following a token's `jku`.
//! - [`nodes`]: the lab's own nodes (one session, two token), started as child processes.
//! - [`report`]: the text and JSON renderings of `authlab attack`.
//! - [`command`]: `authlab attack` itself: targets, run, report.

mod bait;
pub mod catalogue;
pub mod command;
mod exchange;
pub mod forge;
pub mod nodes;
mod playbook;
mod probe;
pub mod report;
pub mod runner;

use serde::Serialize;

use crate::i18n::Language;

pub use catalogue::{Attack, CATALOGUE, select};
pub use nodes::OwnNodes;
pub use runner::{AttackResult, Exchange, Outcome, Targets, run_attacks};

/// Which kind of authentication an attack is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Session cookies and the session nodes.
    Session,
    /// Access and refresh tokens and the token nodes.
    Token,
}

impl Strategy {
    /// Its name, as `--only` takes it and the JSON report writes it: `session`, `token`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Session => "session",
            Strategy::Token => "token",
        }
    }
}

/// A fixed text in English and Korean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bilingual {
    /// The English text.
    pub en: &'static str,
    /// The Korean text.
    pub ko: &'static str,
}

impl Bilingual {
    /// The text in `lang`.
    pub fn get(self, lang: Language) -> &'static str {
        match lang {
            Language::English => self.en,
            Language::Korean => self.ko,
        }
    }
}

/// A text made while an attack ran (a remark on what came back, a reason to skip), in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The English text.
    pub en: String,
    /// The Korean text.
    pub ko: String,
}

impl Note {
    /// A note of these two texts.
    pub fn new(en: impl Into<String>, ko: impl Into<String>) -> Self {
        Self { en: en.into(), ko: ko.into() }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::English => &self.en,
            Language::Korean => &self.ko,
        }
    }
}

/// Why the attack lab could not run (as opposed to an attack that got through).
#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    /// `--only` names neither an attack nor a strategy.
    #[error("no attack or strategy named {name:?}; the attacks are: {known}")]
    UnknownAttack {
        /// The name given.
        name: String,
        /// Every attack's name, comma-separated.
        known: String,
    },
    /// One of the lab's own nodes did not start.
    #[error("cannot start the lab's {which} node: {reason}")]
    NodeStart {
        /// Which node: `session`, `token`, `token-denylist` or `session-short-ttl`.
        which: &'static str,
        /// Why it did not start.
        reason: String,
    },
    /// The key file for the lab's own token nodes could not be made or written (the reason).
    #[error("cannot prepare the lab's key file: {0}")]
    KeyFile(String),
    /// The `--token-keys` file of given token nodes could not be read as a key set.
    #[error("cannot read the token key file {path}: {reason}")]
    TokenKeys {
        /// The file given.
        path: String,
        /// Why it could not be read or used.
        reason: String,
    },
    /// A node URL given is not an http(s) base URL.
    #[error("{url:?} is not a base URL (expected e.g. http://127.0.0.1:40123)")]
    BadUrl {
        /// The URL as given.
        url: String,
    },
    /// The attacks' HTTP client could not be built (the reason).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}
