//! Reads a recording back: header, ticks and events, tolerating a damaged last line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use crate::measure::RunSummary;
use crate::measure::{EventRecord, Tick};
use crate::scenario::StrategyName;

use crate::measure::RangeStats;

use super::{FORMAT_NAME, Header, Line, RecordingError, SUPPORTED_VERSIONS};

/// A recording, read whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    header: Header,
    ticks: Vec<Tick>,
    events: Vec<EventRecord>,
    truncated: bool,
}

impl Recording {
    /// Reads the recording at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RecordingError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| RecordingError::Open { path: path.to_path_buf(), source })?;
        Self::read(BufReader::with_capacity(64 * 1024, file), &path.display().to_string())
    }

    /// Reads a recording from a stream; errors name it `<input>`.
    pub fn read_from(reader: impl BufRead) -> Result<Self, RecordingError> {
        Self::read(reader, "<input>")
    }

    fn read(mut reader: impl BufRead, origin: &str) -> Result<Self, RecordingError> {
        let mut lines = LineReader { buf: Vec::new(), number: 0, origin };

        // The header: the first non-blank line.
        let Some((_, first)) = lines.next(&mut reader)? else {
            return Err(RecordingError::Empty { origin: origin.to_owned() });
        };
        let header = parse_header(first, origin)?;

        let mut recording = Recording { header, ticks: Vec::new(), events: Vec::new(), truncated: false };
        // A line that did not parse: an error, unless it turns out to be the last one.
        let mut pending: Option<RecordingError> = None;
        while let Some((number, text)) = lines.next(&mut reader)? {
            if let Some(error) = pending.take() {
                return Err(error);
            }
            match parse_line(text) {
                Ok(Line::Tick(tick)) => recording.ticks.push(tick),
                Ok(Line::Event(event)) => recording.events.push(event),
                Ok(Line::Unknown) => {}
                Ok(Line::Header(_)) => {
                    return Err(RecordingError::BadLine {
                        origin: origin.to_owned(),
                        line: number,
                        message: "a second header line; recordings cannot be concatenated".to_owned(),
                    });
                }
                Err(error) => {
                    pending = Some(RecordingError::BadLine {
                        origin: origin.to_owned(),
                        line: number,
                        message: format!("not a valid recording line: {error}"),
                    });
                }
            }
        }
        recording.truncated = pending.is_some();
        Ok(recording)
    }

    /// The header line: format, scenario, authlab version, machine.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The ticks, in the order the run emitted them (by time).
    pub fn ticks(&self) -> &[Tick] {
        &self.ticks
    }

    /// The events, in the order the run recorded them.
    pub fn events(&self) -> &[EventRecord] {
        &self.events
    }

    /// Whether the last line was incomplete or damaged (a run killed mid-write, or a file still
    /// being written) and was left out.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Seconds from the start of the run to the end of its last tick (0 with no ticks).
    pub fn duration_s(&self) -> f64 {
        self.ticks.iter().map(|tick| tick.t).fold(0.0, f64::max)
    }

    /// The strategies that appear in any tick, session first.
    pub fn strategies(&self) -> Vec<StrategyName> {
        StrategyName::BOTH
            .into_iter()
            .filter(|strategy| self.ticks.iter().any(|tick| tick.strategies.contains_key(strategy)))
            .collect()
    }

    /// Re-aggregates `strategy` over the ticks that end in `(from_s, to_s]` (a tick covers the
    /// interval that ends at its `t`). `None` when no such tick ran the strategy.
    pub fn aggregate(&self, strategy: StrategyName, from_s: f64, to_s: f64) -> Option<RangeStats> {
        RangeStats::over(self.ticks.iter().filter(|tick| tick.t > from_s && tick.t <= to_s), strategy)
    }

    /// The run's totals, as `authlab run` reports them.
    pub fn summary(&self) -> RunSummary {
        RunSummary::from_run(&self.header.scenario.name, &self.ticks, &self.events)
    }
}

/// Reads non-blank lines, counting every line (from 1).
struct LineReader<'o> {
    buf: Vec<u8>,
    number: usize,
    origin: &'o str,
}

impl LineReader<'_> {
    /// The next non-blank line with its number (without its line ending; invalid UTF-8 replaced),
    /// or `None` at the end.
    fn next<'b>(&'b mut self, reader: &mut impl BufRead) -> Result<Option<(usize, &'b str)>, RecordingError> {
        loop {
            self.buf.clear();
            let read = reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| RecordingError::Read { origin: self.origin.to_owned(), source })?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        // Invalid UTF-8 cannot be valid JSON: let the JSON parser reject it, with a position.
        if std::str::from_utf8(&self.buf).is_err() {
            self.buf = String::from_utf8_lossy(&self.buf).into_owned().into_bytes();
        }
        Ok(Some((self.number, std::str::from_utf8(&self.buf).map_or("\u{fffd}", str::trim_end))))
    }
}

/// Parses a tick or event line. The writer puts `type` first, so the common lines go straight to
/// their struct (which ignores the `type` field), without the buffering an internally tagged enum
/// needs; anything else takes the general path.
fn parse_line(text: &str) -> Result<Line, serde_json::Error> {
    if text.starts_with(r#"{"type":"tick","#) {
        serde_json::from_str(text).map(Line::Tick)
    } else if text.starts_with(r#"{"type":"event","#) {
        serde_json::from_str(text).map(Line::Event)
    } else {
        serde_json::from_str(text)
    }
}

fn parse_header(text: &str, origin: &str) -> Result<Header, RecordingError> {
    let not_a_recording =
        |reason: &str| RecordingError::NotARecording { origin: origin.to_owned(), reason: reason.to_owned() };
    let value: Value =
        serde_json::from_str(text).map_err(|_| not_a_recording("the first line is not a complete JSON object"))?;
    let Some(object) = value.as_object() else {
        return Err(not_a_recording("the first line is not a JSON object"));
    };
    if object.get("format").and_then(Value::as_str) != Some(FORMAT_NAME) {
        return Err(not_a_recording(&format!("the first line has no \"format\":\"{FORMAT_NAME}\"")));
    }
    if object.get("type").and_then(Value::as_str) != Some("header") {
        return Err(not_a_recording("the first line is not a header line"));
    }
    let Some(version) = object.get("version").and_then(Value::as_u64) else {
        return Err(not_a_recording("the header has no numeric \"version\""));
    };
    if !SUPPORTED_VERSIONS.iter().any(|&supported| u64::from(supported) == version) {
        return Err(RecordingError::UnsupportedVersion { origin: origin.to_owned(), found: version });
    }
    match serde_json::from_value::<Line>(value) {
        Ok(Line::Header(header)) => Ok(header),
        Ok(_) => Err(not_a_recording("the first line is not a header line")),
        Err(error) => Err(RecordingError::BadLine {
            origin: origin.to_owned(),
            line: 1,
            message: format!("invalid recording header: {error}"),
        }),
    }
}
