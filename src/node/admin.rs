//! The admin API the lab drives: `POST /admin/...` behind `Authorization: Bearer TOKEN`, the token
//! read from `--admin-token-file` (or `AUTHLAB_ADMIN_TOKEN`). Without a token the routes do not
//! exist (404).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::login::MAX_CREDENTIAL_BYTES;

/// The secret the supervisor presents to the admin API. Never printed.
#[derive(Clone)]
pub struct AdminToken {
    digest: [u8; 32],
}

impl AdminToken {
    /// The token the node accepts (the admin token, `--introspect-token`); only its SHA-256 is kept.
    pub fn new(token: &str) -> Self {
        Self { digest: Sha256::digest(token.as_bytes()).into() }
    }

    /// Whether `presented` is the token. Both sides are hashed first, so the comparison takes the
    /// same time whatever the presented token's length, and is constant-time over the digests.
    pub(super) fn matches(&self, presented: &[u8]) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented).into();
        aws_lc_rs::constant_time::verify_slices_are_equal(&self.digest, &presented).is_ok()
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// The most bytes an admin token file may hold.
const MAX_TOKEN_FILE_BYTES: u64 = 4096;

/// Why an admin token file gives no token.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// The file could not be read (missing, not readable by this user, ...).
    #[error("cannot read the admin token file {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// The file holds nothing but white space.
    #[error("the admin token file {path} is empty: put the token in it, on one line")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// More than one line, a control character or a non-ASCII one: no token travels in a header so.
    #[error(
        "the admin token file {path} must hold the token alone, on one line of printable ASCII (an `Authorization` header carries it)"
    )]
    NotOneLine {
        /// The file.
        path: PathBuf,
    },
    /// Larger than [`MAX_TOKEN_FILE_BYTES`].
    #[error("the admin token file {path} is larger than {MAX_TOKEN_FILE_BYTES} bytes: is it the right file?")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
}

/// Reads an admin token file (`authlab node --admin-token-file`, a scenario's `[cluster]
/// admin_token_file`, a Kubernetes Secret mounted as a file): the token is the file's text with the
/// white space around it trimmed (a trailing newline is fine), on one line of printable ASCII.
pub fn read_token_file(path: &Path) -> Result<String, TokenFileError> {
    let read = |reason| TokenFileError::Read { path: path.to_owned(), reason };
    let size = std::fs::metadata(path).map_err(read)?.len();
    if size > MAX_TOKEN_FILE_BYTES {
        return Err(TokenFileError::TooLarge { path: path.to_owned() });
    }
    let text = std::fs::read(path).map_err(read)?;
    check_token(&text).map_err(|empty| match empty {
        true => TokenFileError::Empty { path: path.to_owned() },
        false => TokenFileError::NotOneLine { path: path.to_owned() },
    })
}

/// The token in `text`, trimmed; `Err(true)` when there is none, `Err(false)` when it is not one
/// line of printable ASCII.
pub(super) fn check_token(text: &[u8]) -> Result<String, bool> {
    let token = text.trim_ascii();
    if token.is_empty() {
        return Err(true);
    }
    if !token.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Err(false);
    }
    Ok(String::from_utf8_lossy(token).into_owned())
}

/// Puts `routes` (the `/admin/...` routes) behind the admin token.
pub(super) fn guarded<S: Clone + Send + Sync + 'static>(routes: Router<S>, token: &AdminToken) -> Router<S> {
    routes.route_layer(middleware::from_fn_with_state(Arc::new(token.clone()), require_admin))
}

async fn require_admin(State(token): State<Arc<AdminToken>>, request: Request, next: Next) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|value| {
        let value = value.as_bytes();
        let scheme = value.get(..7)?;
        scheme.eq_ignore_ascii_case(b"bearer ").then(|| &value[7..])
    });
    if presented.is_some_and(|p| token.matches(p)) {
        next.run(request).await
    } else {
        ApiError::AdminUnauthorized.into_response()
    }
}

/// The body of `POST /admin/revoke_user`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RevokeUser {
    pub user: String,
}

/// Reads a revoke_user body; anything but `{"user": "..."}` is a 400.
pub(super) fn parse_revoke_user(body: &[u8]) -> Result<RevokeUser, ApiError> {
    let request: RevokeUser = serde_json::from_slice(body).map_err(|e| {
        tracing::debug!("admin body refused: {e}");
        ApiError::BadRequest("expected a JSON body {\"user\": \"...\"}".into())
    })?;
    if request.user.len() > MAX_CREDENTIAL_BYTES {
        return Err(ApiError::BadRequest(format!("a username is at most {MAX_CREDENTIAL_BYTES} bytes")));
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_file(stem: &str, contents: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("authlab-token-{}-{stem}", rand::random::<u32>()));
        std::fs::write(&path, contents).expect("test setup");
        path
    }

    #[test]
    fn a_token_file_holds_one_trimmed_line() {
        let path = token_file("ok", b"  s3cret-token\n");
        let read = read_token_file(&path);
        let _ = std::fs::remove_file(&path);
        assert_eq!(read.ok().as_deref(), Some("s3cret-token"));
    }

    #[test]
    fn a_bad_token_file_is_refused_with_its_path() {
        let cases: [(&str, &[u8], &str); 4] = [
            ("empty", b" \n\n", "is empty"),
            ("lines", b"one\ntwo\n", "on one line"),
            ("binary", b"tok\x00en", "on one line"),
            ("large", &[b'a'; 5000], "larger than 4096 bytes"),
        ];
        for (stem, contents, says) in cases {
            let path = token_file(stem, contents);
            let message = read_token_file(&path).err().map(|e| e.to_string()).unwrap_or_default();
            let _ = std::fs::remove_file(&path);
            assert!(message.contains(says) && message.contains(&path.display().to_string()), "{stem}: {message}");
        }
        let missing = std::env::temp_dir().join("authlab-token-that-does-not-exist");
        let message = read_token_file(&missing).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.starts_with("cannot read the admin token file"), "{message}");
    }

    #[test]
    fn only_the_exact_token_matches() {
        let token = AdminToken::new("s3cret");
        assert!(token.matches(b"s3cret"));
        assert!(!token.matches(b"s3cre") && !token.matches(b"s3crett") && !token.matches(b""));
        assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
    }
}
