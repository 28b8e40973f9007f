//! The session node's introspection endpoint (RFC 7662): `POST /introspect` tells a resource
//! service whether a session id is live, and whose it is.
//!
//! The request is a form body `token=<sid>` with `Authorization: Bearer <--introspect-token>`;
//! the answer is `{"active":true,"sub":..,"exp":..,"token_type":"session"}` or `{"active":false}`.
//! Without `--introspect-token` the route does not exist (404).

use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, http::HeaderMap};
use bytes::Bytes;
use serde_json::json;
use tower_sessions::SessionStore;
use tower_sessions::session::Id;

use super::admin::AdminToken;
use super::error::{ApiError, json_error};
use crate::session_store::user_of;

/// The longest session id introspection looks up (tower-sessions ids are 22 characters).
const MAX_SID_BYTES: usize = 64;

/// `POST /introspect` over `store`, for callers presenting `token`.
pub(super) fn router<S: SessionStore + Clone>(store: S, token: &AdminToken) -> Router {
    Router::new()
        .route("/introspect", post(introspect::<S>))
        .with_state(store)
        .route_layer(middleware::from_fn_with_state(Arc::new(token.clone()), require_token))
}

async fn require_token(State(token): State<Arc<AdminToken>>, request: Request, next: Next) -> Response {
    if presented_bearer(request.headers()).is_some_and(|p| token.matches(p)) {
        next.run(request).await
    } else {
        json_error(
            StatusCode::UNAUTHORIZED,
            "introspection needs Authorization: Bearer <the node's --introspect-token>",
        )
    }
}

fn presented_bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    value.get(..7)?.eq_ignore_ascii_case(b"bearer ").then(|| &value[7..])
}

/// The `token` field of an `application/x-www-form-urlencoded` body.
pub fn form_token(body: &[u8]) -> Result<String, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::BadRequest("the form body is not UTF-8".into()))?;
    let mut token = None;
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "token" {
            if token.is_some() {
                return Err(ApiError::BadRequest("`token` given twice".into()));
            }
            token = Some(percent_decode(value)?);
        }
    }
    token.ok_or_else(|| ApiError::BadRequest("expected a form body token=<session id>".into()))
}

/// Decodes `+` and `%XX` of a form value.
fn percent_decode(value: &str) -> Result<String, ApiError> {
    let bad = || ApiError::BadRequest("bad percent-encoding in the form body".into());
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next().ok_or_else(bad)?, bytes.next().ok_or_else(bad)?];
                let hex = std::str::from_utf8(&hex).map_err(|_| bad())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

async fn introspect<S: SessionStore>(State(store): State<S>, body: Bytes) -> Result<Response, ApiError> {
    let sid = form_token(&body)?;
    let inactive = || Json(json!({"active": false})).into_response();
    if sid.len() > MAX_SID_BYTES {
        return Ok(inactive());
    }
    let Ok(id) = Id::from_str(&sid) else { return Ok(inactive()) };
    let record = store.load(&id).await.map_err(|e| ApiError::Store(e.to_string()))?;
    let Some(record) = record else { return Ok(inactive()) };
    let Some(user) = user_of(&record) else { return Ok(inactive()) };
    Ok(Json(json!({
        "active": true,
        "sub": user,
        "exp": record.expiry_date.unix_timestamp(),
        "token_type": "session",
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_are_read_as_rfc_7662_asks() {
        assert_eq!(form_token(b"token=abc_-9").unwrap(), "abc_-9");
        assert_eq!(form_token(b"token_type_hint=session&token=a%2Bb+c").unwrap(), "a+b c");
        assert!(form_token(b"tok=abc").is_err());
        assert!(form_token(b"token=a&token=b").is_err());
        assert!(form_token(b"token=%zz").is_err());
        assert!(form_token(&[0xff, 0xfe]).is_err());
    }
}
