//! Recordings: writing a run to a JSON Lines file as it happens, and reading it back for replay,
//! reports and comparison.
//!
//! # The format (version 1)
//!
//! A recording is UTF-8 [JSON Lines](https://jsonlines.org/): one JSON object per line, each with a
//! `type` field. The full description, with examples, is in `docs/recording-format.md`.
//!
//! - **Line 1, the header** (`"type":"header"`): `format` is always `"authlab-recording"`,
//!   `version` is the format version (this module reads [`SUPPORTED_VERSIONS`]), `authlab_version`
//!   the crate version that wrote it, `started_at` an RFC 3339 UTC timestamp, `scenario`
//!   (`name`, `source`: the scenario's TOML text, `origin`: its path or built-in name) and
//!   `machine` (`os`, `arch`, `cpus`, `memory_bytes`, `cpu_brand`, `hostname`). See [`Header`].
//! - **One line per tick** (`"type":"tick"`): the fields of [`Tick`] (`t`, `interval_s`,
//!   `strategies`). Latency histograms are base64-encoded HdrHistogram V2 blobs (see
//!   [`crate::measure::Latency`]), so any percentile over any range can be recomputed.
//! - **One line per event** (`"type":"event"`): the fields of [`EventRecord`].
//!
//! Ticks and events appear in the order the run emitted them. Every line is handed to the OS as
//! soon as it is complete ([`RecordingWriter`]), so a crash keeps every completed tick and the
//! file can be read while it is still being written.
//!
//! Reading ([`Recording`]) tolerates one damaged line at the very end (a run killed mid-write, or
//! a file still being written) and reports it with [`Recording::truncated`]; a damaged line
//! anywhere else is an error that names its line. Lines of a `type` this version does not know are
//! skipped, so later versions may add kinds of lines without breaking older readers; incompatible
//! changes bump `version`.
//!
//! [`crate::measure::RangeStats`] re-aggregates any time range of a recording (exact percentiles, by merging the
//! histograms), which is what the replay view and the reports use.

mod header;
mod reader;
mod writer;

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::measure::{EventRecord, Tick};

pub use header::{Header, MachineInfo, ScenarioInfo};
pub use reader::Recording;
pub use writer::RecordingWriter;

/// The value of the header's `format` field.
pub const FORMAT_NAME: &str = "authlab-recording";

/// The format version this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// The format versions this build reads.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];

/// What can go wrong writing or reading a recording. `origin` is the file's path, or `<input>`
/// when reading from a stream.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The recording file could not be created.
    #[error("cannot create recording {path}: {source}")]
    Create {
        /// The file it was to be.
        path: PathBuf,
        /// Why creating it failed.
        source: io::Error,
    },
    /// A line could not be written (or flushed) to the recording.
    #[error("cannot write recording {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// Why writing failed.
        source: io::Error,
    },
    /// A line could not be encoded as JSON.
    #[error("cannot encode a recording line: {0}")]
    Encode(#[from] serde_json::Error),
    /// The recording file could not be opened.
    #[error("cannot open recording {path}: {source}")]
    Open {
        /// The file asked for.
        path: PathBuf,
        /// Why opening it failed.
        source: io::Error,
    },
    /// Reading the recording failed part way.
    #[error("{origin}: cannot read: {source}")]
    Read {
        /// The file's path, or `<input>`.
        origin: String,
        /// Why reading failed.
        source: io::Error,
    },
    /// The input has nothing but blank lines.
    #[error("{origin}: the file is empty, not an authlab recording")]
    Empty {
        /// The file's path, or `<input>`.
        origin: String,
    },
    /// The first line is not an authlab recording header.
    #[error("{origin}:1: not an authlab recording: {reason}")]
    NotARecording {
        /// The file's path, or `<input>`.
        origin: String,
        /// What is wrong with the first line.
        reason: String,
    },
    /// The header names a format version this build cannot read (see [`SUPPORTED_VERSIONS`]).
    #[error(
        "{origin}:1: recording format version {found} is not supported; this authlab reads version {}",
        supported_list()
    )]
    UnsupportedVersion {
        /// The file's path, or `<input>`.
        origin: String,
        /// The version the header gives.
        found: u64,
    },
    /// A line after the header is damaged or out of place.
    #[error("{origin}:{line}: {message}")]
    BadLine {
        /// The file's path, or `<input>`.
        origin: String,
        /// Its line number in the file, from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

fn supported_list() -> String {
    SUPPORTED_VERSIONS.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// One line of a recording, as read.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Header(Header),
    Tick(Tick),
    Event(EventRecord),
    /// A kind of line this version does not know: skipped.
    #[serde(other)]
    Unknown,
}

/// One line of a recording, as written (borrowing, so writing a tick does not clone it).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum LineRef<'a> {
    Header(&'a Header),
    Tick(&'a Tick),
    Event(&'a EventRecord),
}

#[cfg(test)]
mod tests;
