//! The token strategy: JWT access tokens, rotating refresh tokens, JWKS, and an optional denylist.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use super::Shared;
use super::admin::{self, AdminToken, parse_revoke_user};
use super::error::ApiError;
use super::login::parse_login;
use super::metrics::Gauge;
use crate::token::access::{AccessClaims, TokenAuthority, unix_now};
use crate::token::keys::KeySet;
use crate::token::refresh::RefreshFamilies;

/// Everything a token node knows.
pub(super) struct TokenState {
    pub shared: Arc<Shared>,
    pub authority: TokenAuthority,
    pub refresh: RefreshFamilies,
    pub refresh_ttl: Duration,
    /// The `--keys` file, which `/admin/reload_keys` reads again; `None` when the node made its key.
    pub key_file: Option<PathBuf>,
}

/// The token routes; with an admin token, `/admin/revoke_user` and `/admin/reload_keys` too.
pub(super) fn router(state: Arc<TokenState>, admin: Option<&AdminToken>) -> Router {
    let routes = Router::new()
        .route("/login", post(login))
        .route("/api/profile", get(profile))
        .route("/logout", post(logout))
        .route("/refresh", post(refresh))
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(state.clone());
    match admin {
        None => routes,
        Some(token) => {
            let admin_routes = Router::new()
                .route("/admin/revoke_user", post(revoke_user))
                .route("/admin/reload_keys", post(reload_keys))
                .with_state(state);
            routes.merge(admin::guarded(admin_routes, token))
        }
    }
}

impl TokenState {
    /// A new access token and the given refresh token, as `/login` and `/refresh` answer
    /// (`/login` gives none when refresh tokens are off).
    fn token_pair(&self, subject: &str, refresh_token: Option<String>) -> Result<Response, ApiError> {
        let (access_token, claims) =
            self.authority.issue(subject).map_err(|e| ApiError::Internal(format!("signing failed: {e}")))?;
        let mut body = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": claims.exp - claims.iat,
        });
        if let Some(refresh_token) = refresh_token {
            body["refresh_token"] = refresh_token.into();
        }
        Ok(Json(body).into_response())
    }

    /// `--refresh-ttl 0` turns refresh tokens off: the node then keeps nothing per login.
    fn issues_refresh_tokens(&self) -> bool {
        !self.refresh_ttl.is_zero()
    }

    fn refresh_expiry(&self) -> u64 {
        unix_now() + self.refresh_ttl.as_secs()
    }

    /// The auth check, timed into `authlab_auth_check_seconds`.
    fn caller(&self, headers: &HeaderMap) -> Result<AccessClaims, ApiError> {
        let started = Instant::now();
        let result = self.authority.auth_check(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()));
        self.shared.metrics.auth_check.observe(started.elapsed());
        if let Err(why) = &result {
            self.shared.metrics.count_auth_failure(*why);
        }
        Ok(result?)
    }

    /// Forgets refresh tokens and denylist entries that expired.
    pub fn purge_expired(&self) {
        let now = unix_now();
        self.refresh.purge(now);
        let policy = self.authority.policy();
        if let Some(list) = self.authority.denylist() {
            list.purge(now, policy.leeway.as_secs());
        }
        // A token issued at the revocation second lives at most ttl (at least 1 s) plus the leeway.
        let lifetime = policy.access_ttl.as_secs().max(1) + policy.leeway.as_secs();
        self.authority.revoked_subjects().purge(now, lifetime);
    }

    pub fn gauges(&self) -> Vec<Gauge> {
        let refresh = self.refresh.stats();
        let denylist = self.authority.denylist().map_or(0, |d| d.len());
        let gauge = |name, help, value: usize| Gauge::level(name, help, value as f64);
        vec![
            gauge("authlab_sessions", "Sessions held in this node's memory (none: tokens are stateless).", 0),
            gauge("authlab_refresh_tokens", "Refresh tokens this node remembers (live and spent).", refresh.tokens),
            gauge(
                "authlab_refresh_families",
                "Refresh-token families (one per login) this node remembers.",
                refresh.families,
            ),
            gauge(
                "authlab_refresh_families_revoked",
                "Families revoked because a spent refresh token was reused.",
                refresh.revoked_families,
            ),
            gauge("authlab_denylist_entries", "Revoked access tokens kept until they expire.", denylist),
            gauge(
                "authlab_revoked_subjects",
                "Users revoked by /admin/revoke_user whose older tokens could still be unexpired.",
                self.authority.revoked_subjects().len(),
            ),
        ]
    }
}

async fn login(State(state): State<Arc<TokenState>>, body: Bytes) -> Result<Response, ApiError> {
    let request = parse_login(&body)?;
    let checked = state.shared.passwords.check(&request).await;
    state.shared.metrics.count_login(checked.is_ok());
    checked?;
    let refresh_token = match state.issues_refresh_tokens() {
        true => Some(state.refresh.start(&request.username, state.refresh_expiry())?),
        false => None,
    };
    state.token_pair(&request.username, refresh_token)
}

async fn profile(State(state): State<Arc<TokenState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let claims = state.caller(&headers)?;
    Ok(Json(json!({
        "user": claims.sub,
        "strategy": "token",
        "scope": claims.scope,
        "expires_at": claims.exp,
        "node": state.shared.name,
    }))
    .into_response())
}

async fn logout(State(state): State<Arc<TokenState>>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let claims = state.caller(&headers)?;
    // Without a denylist nothing happens: the token stays valid until it expires.
    state.authority.revoke(&claims);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

async fn refresh(State(state): State<Arc<TokenState>>, body: Bytes) -> Result<Response, ApiError> {
    let request: RefreshRequest = serde_json::from_slice(&body).map_err(|e| {
        tracing::debug!("refresh body refused: {e}");
        ApiError::BadRequest("expected a JSON body {\"refresh_token\": \"...\"}".into())
    })?;
    let (subject, next) = state.refresh.rotate(&request.refresh_token, unix_now(), state.refresh_expiry())?;
    state.token_pair(&subject, Some(next))
}

async fn jwks(State(state): State<Arc<TokenState>>) -> Result<Response, ApiError> {
    let jwks = state.authority.keys().set().public_jwks();
    if jwks["keys"].as_array().is_none_or(|keys| keys.is_empty()) {
        return Err(ApiError::NotFound);
    }
    Ok(([(header::CACHE_CONTROL, "max-age=300")], Json(jwks)).into_response())
}

/// `POST /admin/revoke_user`: refuses the user's tokens issued up to now and revokes their refresh
/// families; answers how many live families were revoked.
async fn revoke_user(State(state): State<Arc<TokenState>>, body: Bytes) -> Result<Response, ApiError> {
    let request = parse_revoke_user(&body)?;
    // Without a denylist the node keeps no per-token state: access tokens already issued work
    // until they expire (the lesson of the revocation scenario). Refresh families are server
    // state either way, so they stop at once.
    let access_tokens_refused = state.authority.denylist().is_some();
    if access_tokens_refused {
        state.authority.revoke_subject(&request.user);
    }
    let revoked = state.refresh.revoke_subject(&request.user);
    Ok(Json(json!({"revoked": revoked, "access_tokens_refused": access_tokens_refused})).into_response())
}

/// Why a key file could not be reloaded.
#[derive(Debug, thiserror::Error)]
enum KeyReloadError {
    #[error("cannot read it: {0}")]
    Read(std::io::Error),
    #[error("{0}")]
    Keys(#[from] crate::token::keys::KeyError),
}

/// `POST /admin/reload_keys`: reads the key file again; its first key signs from now on and all of
/// its keys verify. A file that cannot be read or used leaves the node's keys as they were.
async fn reload_keys(State(state): State<Arc<TokenState>>) -> Result<Response, ApiError> {
    let Some(path) = state.key_file.clone() else {
        return Err(ApiError::Conflict("this node has no key file to reload (it was started without --keys)".into()));
    };
    // Reading the file and checking RSA keys block for milliseconds: keep them off the async workers.
    let reading = path.clone();
    let keys = tokio::task::spawn_blocking(move || -> Result<KeySet, KeyReloadError> {
        let text = std::fs::read_to_string(&reading).map_err(KeyReloadError::Read)?;
        Ok(KeySet::from_jwks_json(&text)?)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("key reload failed: {e}")))?
    .map_err(|e| ApiError::BadRequest(format!("key file {}: {e}; the old keys stay", path.display())))?;
    let current_kid = keys.current_kid().to_owned();
    let kids: Vec<String> = keys.keys().iter().map(|k| k.kid.clone()).collect();
    state.authority.replace_keys(keys);
    tracing::info!("reloaded keys from {}: {current_kid} signs; {} keys verify", path.display(), kids.len());
    Ok(Json(json!({"current_kid": current_kid, "kids": kids})).into_response())
}
