//! The session strategy: tower-sessions with an `sid` cookie, over the memory store or Redis.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router, routing::get};
use bytes::Bytes;
use serde_json::json;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer, SessionStore};

use super::admin::{self, AdminToken, parse_revoke_user};
use super::error::ApiError;
use super::login::parse_login;
use super::metrics::Gauge;
use super::{SessionOptions, Shared};
use crate::session_store::{MemoryStore, Metered, USER_DATA_KEY as USER_KEY, UserSessions};
const PAYLOAD_KEY: &str = "payload";

struct SessionState {
    shared: Arc<Shared>,
    /// The user data every session keeps (`--payload-bytes`).
    payload: String,
}

/// The session routes over `store`, behind tower-sessions' middleware; `store_rtt` delays every
/// store operation (simulated network); with an admin token, `/admin/revoke_user` too.
pub(super) fn router<S: SessionStore + UserSessions + Clone>(
    store: S,
    options: &SessionOptions,
    shared: Arc<Shared>,
    store_rtt: Option<std::time::Duration>,
    admin: Option<&AdminToken>,
) -> Router {
    let ttl = time::Duration::try_from(options.ttl).unwrap_or(time::Duration::MAX);
    let metered = Metered::new(store.clone(), shared.metrics.store_ops.clone()).with_round_trip(store_rtt);
    let layer = SessionManagerLayer::new(metered)
        .with_name("sid")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_secure(options.secure_cookie)
        .with_expiry(Expiry::OnInactivity(ttl));
    let state = Arc::new(SessionState { shared, payload: "x".repeat(options.payload_bytes) });
    let routes = Router::new()
        .route("/login", post(login))
        .route("/api/profile", get(profile))
        .route("/logout", post(logout))
        .layer(layer)
        .with_state(state);
    match admin {
        None => routes,
        Some(token) => {
            let admin_routes = Router::new().route("/admin/revoke_user", post(revoke_user::<S>)).with_state(store);
            routes.merge(admin::guarded(admin_routes, token))
        }
    }
}

/// `POST /admin/revoke_user`: deletes every session of the user, on whatever store holds them.
async fn revoke_user<S: UserSessions>(State(store): State<S>, body: Bytes) -> Result<Response, ApiError> {
    let request = parse_revoke_user(&body)?;
    let revoked = store.delete_user_sessions(&request.user).await.map_err(|e| ApiError::Store(e.to_string()))?;
    Ok(Json(json!({"revoked": revoked})).into_response())
}

async fn login(State(state): State<Arc<SessionState>>, session: Session, body: Bytes) -> Result<Response, ApiError> {
    let request = parse_login(&body)?;
    let checked = state.shared.passwords.check(&request).await;
    state.shared.metrics.count_login(checked.is_ok());
    checked?;
    // A fresh id at every login: whatever id the client had before is never adopted (fixation).
    // Without a cookie there is no id yet, and the store will create a fresh one.
    if session.id().is_some() {
        session.cycle_id().await?;
    }
    session.insert(USER_KEY, &request.username).await?;
    session.insert(PAYLOAD_KEY, &state.payload).await?;
    Ok(Json(json!({"user": request.username})).into_response())
}

async fn profile(State(state): State<Arc<SessionState>>, session: Session) -> Result<Response, ApiError> {
    let started = Instant::now();
    let user = session.get::<String>(USER_KEY).await;
    state.shared.metrics.auth_check.observe(started.elapsed());
    let user = user?.ok_or_else(|| {
        state.shared.metrics.count_no_session();
        ApiError::NoSession
    })?;
    Ok(Json(json!({"user": user, "strategy": "session", "node": state.shared.name})).into_response())
}

async fn logout(session: Session) -> Result<StatusCode, ApiError> {
    // Deletes the session on the server; the middleware then sends a removal cookie.
    session.flush().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a memory store holds, for `/metrics`; a Redis-backed node holds no sessions itself.
pub(super) fn gauges(memory: Option<&MemoryStore>) -> Vec<Gauge> {
    let stats = memory.map(MemoryStore::stats).unwrap_or_default();
    vec![
        Gauge::level("authlab_sessions", "Sessions held in this node's memory.", stats.sessions as f64),
        Gauge::level(
            "authlab_session_bytes",
            "Bytes the sessions in this node's memory take (encoded data plus entry).",
            stats.bytes as f64,
        ),
        Gauge::counter(
            "authlab_sessions_evicted_total",
            "Sessions evicted to stay within --max-memory.",
            stats.evicted as f64,
        ),
        Gauge::counter(
            "authlab_sessions_expired_total",
            "Sessions removed because they expired.",
            stats.expired as f64,
        ),
    ]
}
