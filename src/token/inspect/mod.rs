//! Token inspection without a GUI: any JWT decoded (header, claims, signature, the size of each),
//! its dates read, and each check (signature, `alg`, `typ`, `exp`, `nbf`, `iss`, `aud`, `crit`)
//! told apart, against a JWKS URL or a key file; `authlab inspect` and the app's inspector share it.
//!
//! - [`decode`](mod@decode): the three parts, decoded without trust, with where malformed input breaks;
//! - [`key`]: the keys, fetched from a JWKS or read from a file;
//! - [`check`]: the checks, the signature through jsonwebtoken;
//! - [`times`]: `exp`, `iat` and `nbf` as dates and as time left or ago;
//! - [`report`]: the text report and the JSON document;
//! - [`resign`]: edited claims re-encoded, or re-signed with a pasted private key;
//! - [`command`]: `authlab inspect`, its arguments and exit status.

pub mod check;
pub mod command;
pub mod decode;
pub mod key;
pub mod report;
pub mod resign;
pub mod times;

pub use check::{Check, Expectations, Outcome};
pub use decode::{DecodeError, Decoded, PartSizes, decode};
pub use key::{KeySource, KeySourceError};
pub use times::Times;

/// A token, decoded and checked.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Its parts, decoded.
    pub token: Decoded,
    /// Its dates.
    pub times: Times,
    /// Where the key came from (`None`: no key was given).
    pub key: Option<String>,
    /// Every check, in order: signature, alg, typ, exp, nbf, iss, aud, crit.
    pub checks: Vec<Check>,
}

impl Inspection {
    /// Checks a decoded `token` against `key` (if any) at `now` (Unix seconds).
    pub fn of(token: Decoded, key: Option<&KeySource>, expect: &Expectations, now: u64) -> Self {
        let checks = check::run_checks(&token, key, expect, now);
        let times = Times::of(&token.claims, now);
        Inspection { token, times, key: key.map(|k| k.description.clone()), checks }
    }

    /// Whether the token verifies: its signature passed and no check failed.
    pub fn verified(&self) -> bool {
        let signature = self.checks.iter().any(|c| c.name == "signature" && c.result == Outcome::Passed);
        signature && self.checks.iter().all(|c| c.result != Outcome::Failed)
    }
}

/// Decodes `input` and checks it against `key` (if any) at `now` (Unix seconds).
pub fn inspect(
    input: &str,
    key: Option<&KeySource>,
    expect: &Expectations,
    now: u64,
) -> Result<Inspection, DecodeError> {
    Ok(Inspection::of(decode(input)?, key, expect, now))
}
