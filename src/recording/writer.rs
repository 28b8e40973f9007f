//! Writes a recording line by line, handing each complete line to the OS at once.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::measure::{EventRecord, Tick};

use super::{Header, LineRef, RecordingError};

/// Appends a run's lines to a recording file.
///
/// Each line is encoded into a buffer and written with a single `write_all` straight to the file
/// (no user-space buffering), so every completed tick is in the OS's hands as soon as
/// [`write_tick`](Self::write_tick) returns, and a reader sees whole lines, except perhaps the
/// last one.
#[derive(Debug)]
pub struct RecordingWriter {
    file: File,
    path: PathBuf,
    line: Vec<u8>,
}

impl RecordingWriter {
    /// Creates (or truncates) the file at `path` and writes the header line.
    pub fn create(path: impl AsRef<Path>, header: &Header) -> Result<Self, RecordingError> {
        let path = path.as_ref().to_path_buf();
        let file = match File::create(&path) {
            Ok(file) => file,
            Err(source) => return Err(RecordingError::Create { path, source }),
        };
        let mut writer = Self { file, path, line: Vec::with_capacity(16 * 1024) };
        writer.write_line(&LineRef::Header(header))?;
        Ok(writer)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a tick line and flushes it, so a reader (or a crash) sees every tick written so far.
    pub fn write_tick(&mut self, tick: &Tick) -> Result<(), RecordingError> {
        self.write_line(&LineRef::Tick(tick))
    }

    /// Appends an event line and flushes it.
    pub fn write_event(&mut self, event: &EventRecord) -> Result<(), RecordingError> {
        self.write_line(&LineRef::Event(event))
    }

    /// Flushes the file to disk and closes it.
    pub fn finish(self) -> Result<(), RecordingError> {
        let Self { mut file, path, .. } = self;
        if let Err(source) = file.flush().and_then(|()| file.sync_all()) {
            return Err(RecordingError::Write { path, source });
        }
        Ok(())
    }

    fn write_line(&mut self, line: &LineRef<'_>) -> Result<(), RecordingError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, line)?;
        self.line.push(b'\n');
        if let Err(source) = self.file.write_all(&self.line).and_then(|()| self.file.flush()) {
            return Err(RecordingError::Write { path: self.path.clone(), source });
        }
        Ok(())
    }
}
