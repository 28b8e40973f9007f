//! `authlab inspect TOKEN [--jwks URL | --key FILE] [--json]`: its arguments, the work, and the
//! verdict the exit status is made from.

use std::io::{Read, Write};
use std::path::PathBuf;

use super::key::{fetch_jwks, read_key_file};
use super::report::{json_document, write_text};
use super::{DecodeError, Expectations, KeySourceError, inspect};
use crate::token::access::unix_now;

/// The arguments of `authlab inspect`.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectArgs {
    /// The token (a leading `Bearer ` is dropped); `-` reads it from stdin.
    pub token: String,
    /// Verify against the JWK Set at this URL (e.g. a node's /.well-known/jwks.json).
    #[arg(long, value_name = "URL", conflicts_with = "key")]
    pub jwks: Option<String>,
    /// Verify with the key in this file: a JWK or JWK Set (JSON), a PEM public key (RSA, EC P-256,
    /// Ed25519), or else the file's raw bytes as an HMAC secret (one trailing newline dropped).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The issuer the token must name (without it, `iss` is not checked).
    #[arg(long, value_name = "ISSUER")]
    pub iss: Option<String>,
    /// An audience the token's `aud` must include (without it, `aud` is not checked).
    #[arg(long, value_name = "AUDIENCE")]
    pub aud: Option<String>,
    /// Clock skew forgiven on `exp` and `nbf` (as a token node forgives it).
    #[arg(long, default_value = "5s", value_parser = crate::units::parse_duration)]
    pub leeway: std::time::Duration,
    /// Print the JSON document (documented in the README) instead of the text report.
    #[arg(long)]
    pub json: bool,
}

/// How an inspection ended: exit status 0 when verified, 1 when not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The signature passed and no check failed.
    Verified,
    /// A check failed, or no key was given.
    NotVerified,
}

/// Why there was nothing to check (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The token could not be decoded.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// The key could not be read or fetched.
    #[error("{0}")]
    Key(#[from] KeySourceError),
    /// The token could not be read from stdin.
    #[error("reading the token from stdin: {0}")]
    Stdin(std::io::Error),
    /// The report could not be written.
    #[error("writing the report: {0}")]
    Write(std::io::Error),
}

/// Decodes and checks the token, writes the report (text or JSON) to `out`.
pub fn run(args: &InspectArgs, out: &mut impl Write) -> Result<Verdict, InspectError> {
    let token = if args.token == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(super::decode::MAX_TOKEN_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(InspectError::Stdin)?;
        text
    } else {
        args.token.clone()
    };
    // The token first: a malformed one is told before any key is fetched.
    super::decode(&token)?;
    let key = match (&args.jwks, &args.key) {
        (Some(url), _) => Some(fetch_jwks(url)?),
        (None, Some(path)) => Some(read_key_file(path)?),
        (None, None) => None,
    };
    let expect = Expectations { issuer: args.iss.clone(), audience: args.aud.clone(), leeway_s: args.leeway.as_secs() };
    let inspection = inspect(&token, key.as_ref(), &expect, unix_now())?;
    let written = if args.json {
        serde_json::to_writer_pretty(&mut *out, &json_document(&inspection))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_text(&inspection, out)
    };
    written.map_err(InspectError::Write)?;
    Ok(if inspection.verified() { Verdict::Verified } else { Verdict::NotVerified })
}
