//! Durations ("250ms", "30s", "5m") and byte sizes ("64MiB", "512KiB", "1000") as humans write them.

use std::time::Duration;

/// A duration or a size that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnitError {
    /// Not a duration humantime reads.
    #[error("invalid duration {text:?} ({error}); expected e.g. 250ms, 30s, 5m")]
    Duration {
        /// The text as given.
        text: String,
        /// What humantime found wrong with it.
        error: humantime::DurationError,
    },
    /// Not a number of bytes, with or without a known unit.
    #[error("invalid size {text:?}; expected e.g. 1000, 512KiB, 64MiB, 1GB")]
    Size {
        /// The text as given.
        text: String,
    },
}

/// Parses a duration such as `250ms`, `30s`, `5m`, `1h 30m` or `500us`.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    humantime::parse_duration(text.trim()).map_err(|error| UnitError::Duration { text: text.to_owned(), error })
}

/// Parses a byte size: a plain number of bytes, or a number with a unit among
/// B, KB, MB, GB (powers of 1000) and KiB, MiB, GiB (powers of 1024).
pub fn parse_bytes(text: &str) -> Result<u64, UnitError> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let bad = || UnitError::Size { text: text.to_owned() };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(bad()),
    };
    let bytes = value * scale as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_the_spec_writes_them() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("500us"), Ok(Duration::from_micros(500)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sizes_with_binary_and_decimal_units() {
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("512KiB"), Ok(512 << 10));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert_eq!(parse_bytes("2KB"), Ok(2000));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("12XB").is_err());
    }
}
