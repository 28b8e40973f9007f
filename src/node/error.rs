//! Errors a node answers with: the right status and a JSON body, always.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::token::access::AuthError;

/// An error answer of a node.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("not logged in")]
    NoSession,
    #[error("{0}")]
    Token(#[from] AuthError),
    #[error("{0}")]
    Refresh(#[from] crate::token::refresh::RefreshError),
    #[error("not found")]
    NotFound,
    #[error("the admin API needs Authorization: Bearer <the node's --admin-token>")]
    AdminUnauthorized,
    #[error("{0}")]
    Conflict(String),
    #[error("the session store is unavailable: {0}")]
    Store(String),
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
        if status.is_server_error() {
            tracing::error!("{self}");
        }
        let mut response = json_error(status, &self.to_string());
        if let ApiError::Token(auth) = &self {
            // RFC 6750: a bare challenge when no credentials came, an error code otherwise.
            let challenge = match auth.bearer_error() {
                None => "Bearer realm=\"authlab\"".to_owned(),
                Some(code) => format!("Bearer realm=\"authlab\", error=\"{code}\""),
            };
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}
