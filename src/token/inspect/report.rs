//! An inspection written out: the text report (header, claims and signature with their sizes, the
//! dates, then the checks table) and the stable JSON document of `--json`.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

use super::{Inspection, Outcome};

/// The JSON document's version; fields may be added without changing it.
pub const JSON_VERSION: u32 = 1;

/// The `--json` document: `header`, `claims` (as the token has them), `parts` (byte sizes),
/// `times` (`now`, and `exp`, `iat`, `nbf` when present), `key` (where it came from, or null),
/// `checks` (each `name`, `result` passed|failed|not_checked, `detail`) and `verified`.
pub fn json_document(inspection: &Inspection) -> Value {
    json!({
        "version": JSON_VERSION,
        "header": inspection.token.header,
        "claims": inspection.token.claims,
        "signature": B64.encode(&inspection.token.signature),
        "parts": inspection.token.sizes,
        "times": inspection.times,
        "key": inspection.key,
        "checks": inspection.checks,
        "verified": inspection.verified(),
    })
}

/// The text report.
pub fn write_text(inspection: &Inspection, out: &mut impl Write) -> std::io::Result<()> {
    let token = &inspection.token;
    let sizes = token.sizes;
    let pretty = |v: &serde_json::Map<String, Value>| serde_json::to_string_pretty(v).unwrap_or_default();
    writeln!(out, "token: {} bytes", sizes.token_bytes)?;
    writeln!(out, "\nheader ({} bytes)\n{}", sizes.header_bytes, pretty(&token.header))?;
    writeln!(out, "\nclaims ({} bytes)\n{}", sizes.claims_bytes, pretty(&token.claims))?;
    let shown = B64.encode(&token.signature);
    let shown = if shown.len() > 64 { format!("{}...", &shown[..64]) } else { shown };
    writeln!(
        out,
        "\nsignature ({} bytes)\n{}",
        sizes.signature_bytes,
        if shown.is_empty() { "(empty)" } else { &shown }
    )?;
    let times = &inspection.times;
    writeln!(out, "\ntimes (now {})", times.now.utc)?;
    for (name, time) in [("exp", &times.exp), ("iat", &times.iat), ("nbf", &times.nbf)] {
        match time {
            Some(t) => writeln!(out, "  {name}  {}  {}", t.utc, t.relative)?,
            None => writeln!(out, "  {name}  -")?,
        }
    }
    writeln!(out, "\nkey: {}", inspection.key.as_deref().unwrap_or("none given"))?;
    writeln!(out, "\nchecks")?;
    for check in &inspection.checks {
        writeln!(out, "  {:<10} {:<12} {}", check.name, check.result.label(), check.detail)?;
    }
    let verdict = if inspection.verified() {
        "verified".to_owned()
    } else if inspection.key.is_none() {
        "not verified: no key given".to_owned()
    } else {
        let failed: Vec<&str> =
            inspection.checks.iter().filter(|c| c.result == Outcome::Failed).map(|c| c.name).collect();
        if failed.is_empty() {
            "not verified: the signature was not checked".to_owned()
        } else {
            format!("not verified: {} failed", failed.join(", "))
        }
    };
    writeln!(out, "\n{verdict}")
}
