//! Errors a node answers with: the right status and a JSON body, always.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::token::access::AuthError;

/// An error answer of a node.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a body or form that is not what the route reads (the message says what was expected).
    #[error("{0}")]
    BadRequest(String),
    /// 401: a login with an unknown user or the wrong password (the caller is not told which).
    #[error("wrong username or password")]
    WrongCredentials,
    /// 401: a session route called without a cookie of a live session.
    #[error("not logged in")]
    NoSession,
    /// 401: a bearer token missing or refused, with its `WWW-Authenticate` challenge (RFC 6750).
    #[error("{0}")]
    Token(#[from] AuthError),
    /// 401: a refresh token refused (unknown, expired, reused or revoked).
    #[error("{0}")]
    Refresh(#[from] crate::token::refresh::RefreshError),
    /// 404: the JWKS of a node with no public keys (HMAC keys are never published).
    #[error("not found")]
    NotFound,
    /// 401: an admin request without the node's `--admin-token`.
    #[error("the admin API needs Authorization: Bearer <the node's --admin-token>")]
    AdminUnauthorized,
    /// 409: a request this node cannot honour as started (a key reload without `--keys`).
    #[error("{0}")]
    Conflict(String),
    /// 503: the session store failed; the details go to the log, not to the caller.
    #[error("the session store is unavailable: {0}")]
    Store(String),
    /// 500: anything else (signing, a password-check task); the details go to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<tower_sessions::session::Error> for ApiError {
    fn from(e: tower_sessions::session::Error) -> Self {
        ApiError::Store(e.to_string())
    }
}

/// The JSON error code for a status.
pub fn error_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        431 => "headers_too_large",
        503 => "store_unavailable",
        500..=599 => "internal",
        _ => "error",
    }
}

/// A JSON error response.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": error_code(status), "message": message});
    (status, axum::Json(body)).into_response()
}

impl ApiError {
    /// What the caller is told: fixed words for each kind of failure. The details of a store or
    /// internal failure (another library's error text) go to the node's log, never on the wire.
    fn public_message(&self) -> String {
        match self {
            ApiError::Store(_) => "the session store is unavailable".into(),
            ApiError::Internal(_) => "internal error".into(),
            other => other.to_string(),
        }
    }
}

/// The `WWW-Authenticate` challenge of a refused bearer token (RFC 6750 section 3): a bare one
/// when no credentials came, else the error code and the class's fixed description.
pub fn bearer_challenge(auth: &AuthError) -> HeaderValue {
    let challenge = match auth.bearer_error() {
        None => "Bearer realm=\"authlab\"".to_owned(),
        // The descriptions are fixed ASCII without quotes or backslashes (a test checks it).
        Some(code) => format!("Bearer realm=\"authlab\", error=\"{code}\", error_description=\"{auth}\""),
    };
    HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer realm=\"authlab\""))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::WrongCredentials
            | ApiError::NoSession
            | ApiError::Token(_)
            | ApiError::Refresh(_)
            | ApiError::AdminUnauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        match &self {
            ApiError::Internal(_) => tracing::error!("{self}"),
            ApiError::Store(_) => tracing::warn!("{self}"),
            _ => {}
        }
        let mut response = json_error(status, &self.public_message());
        if let ApiError::Token(auth) = &self {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, bearer_challenge(auth));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_refusal_has_a_plain_description_that_fits_a_challenge() {
        for auth in AuthError::ALL {
            let text = auth.to_string();
            assert!(text.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\'), "{auth:?}: {text:?}");
            // Nothing that reads like Debug output: no `Name(` and no `::`.
            let debug_like = text.as_bytes().windows(2).any(|w| w[0].is_ascii_alphanumeric() && w[1] == b'(');
            assert!(!text.contains("::") && !debug_like, "{auth:?}: {text:?}");
            let challenge = bearer_challenge(&auth);
            let challenge = challenge.to_str().unwrap();
            if auth != AuthError::Missing {
                assert!(challenge.contains(&format!("error_description=\"{text}\"")), "{challenge}");
            }
        }
    }

    #[test]
    fn store_and_internal_details_stay_off_the_wire() {
        let secret_detail = "Redis Error - kind: IO, details: fred::error::RedisError(...)";
        for error in [ApiError::Store(secret_detail.into()), ApiError::Internal(secret_detail.into())] {
            assert!(!error.public_message().contains("Redis"), "{}", error.public_message());
        }
    }
}
