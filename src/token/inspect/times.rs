//! A token's NumericDates (`exp`, `iat`, `nbf`) as RFC 3339 dates and as time left or ago.

use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use super::check::numeric_date;

/// One of the token's dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenTime {
    /// Seconds since 1970, as the claim has it.
    pub unix: u64,
    /// The same instant, RFC 3339 in UTC.
    pub utc: String,
    /// Seconds from now: positive in the future, negative in the past.
    pub from_now_s: i64,
    /// "in 14m 59s" or "3m 12s ago".
    pub relative: String,
}

/// The token's `exp`, `iat` and `nbf` (each absent when the claim is, or is not a NumericDate),
/// and the clock they were read against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Times {
    /// When the inspection ran.
    pub now: TokenTime,
    /// Expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<TokenTime>,
    /// Issued at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<TokenTime>,
    /// Not before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<TokenTime>,
}

impl Times {
    /// The dates of `claims`, against `now` (Unix seconds).
    pub fn of(claims: &Map<String, Value>, now: u64) -> Self {
        let time = |name: &str| claims.get(name).and_then(numeric_date).map(|at| token_time(at, now));
        Times { now: token_time(now, now), exp: time("exp"), iat: time("iat"), nbf: time("nbf") }
    }
}

fn token_time(at: u64, now: u64) -> TokenTime {
    let from_now = i64::try_from(at).unwrap_or(i64::MAX).saturating_sub(i64::try_from(now).unwrap_or(i64::MAX));
    TokenTime { unix: at, utc: rfc3339(at), from_now_s: from_now, relative: span(at, now) }
}

/// `at` in RFC 3339, UTC; past year 9999 (which RFC 3339 cannot write) the seconds themselves.
pub fn rfc3339(at: u64) -> String {
    const YEAR_10000: u64 = 253_402_300_800;
    if at >= YEAR_10000 {
        return format!("{at} s after 1970 (past year 9999)");
    }
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(at)).to_string()
}

/// "in 14m 59s" or "3m 12s ago" or "now".
fn span(at: u64, now: u64) -> String {
    // The two largest units are enough: "56years 11months", "14m 59s".
    let text = |s: u64| {
        let full = humantime::format_duration(Duration::from_secs(s)).to_string();
        full.split(' ').take(2).collect::<Vec<_>>().join(" ")
    };
    match at.cmp(&now) {
        std::cmp::Ordering::Greater => format!("in {}", text(at - now)),
        std::cmp::Ordering::Less => format!("{} ago", text(now - at)),
        std::cmp::Ordering::Equal => "now".to_owned(),
    }
}

/// `at` relative to `now`, then its date: "in 14m 59s (2026-12-02T07:00:00Z)".
pub fn relative(at: u64, now: u64) -> String {
    format!("{} ({})", span(at, now), rfc3339(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_and_relative() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(relative(1_000, 1_000 - 899), "in 14m 59s (1970-01-01T00:16:40Z)");
        assert_eq!(span(100, 292), "3m 12s ago");
        assert_eq!(span(5, 5), "now");
        assert!(rfc3339(i64::MAX as u64).contains("past year 9999"));
        let claims: Map<String, Value> = serde_json::from_str(r#"{"exp": 160, "iat": "x"}"#).unwrap();
        let times = Times::of(&claims, 100);
        assert_eq!(times.exp.as_ref().map(|t| t.from_now_s), Some(60));
        assert_eq!(times.iat, None);
    }
}
