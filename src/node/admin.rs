//! The admin API the lab's supervisor drives: `POST /admin/...` behind `Authorization: Bearer
//! <--admin-token>`. Without an admin token the routes do not exist (404).

use std::fmt;
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
    /// The token the node accepts (`--admin-token`, `--introspect-token`); only its SHA-256 is kept.
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

/// Puts `routes` (the `/admin/...` routes) behind the admin token.
pub(super) fn guarded(routes: Router, token: &AdminToken) -> Router {
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

    #[test]
    fn only_the_exact_token_matches() {
        let token = AdminToken::new("s3cret");
        assert!(token.matches(b"s3cret"));
        assert!(!token.matches(b"s3cre") && !token.matches(b"s3crett") && !token.matches(b""));
        assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
    }
}
