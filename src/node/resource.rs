//! The resource strategy: a second service that never issues credentials. It serves
//! `GET /api/orders` to callers whose credentials the issuer vouches for: an access token checked
//! against the issuer's published keys (JWKS, fetched once, cached, refetched on an unknown `kid`
//! at most once per interval), or a session id the session side confirms on every request
//! (introspection).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::Shared;
use super::error::ApiError;
use super::metrics::Gauge;
use crate::token::access::{AccessClaims, AuthError, read_access_token, verify_access_token};
use crate::token::jwks::VerifyingKeys;
use crate::token::keys::KeyError;

/// Why one fetch of the issuer's JWK Set failed.
#[derive(Debug, thiserror::Error)]
enum JwksFetchError {
    #[error("{0}")]
    Request(reqwest::Error),
    /// The issuer answered with this status.
    #[error("{0}")]
    Status(reqwest::StatusCode),
    #[error("{0}")]
    Keys(#[from] KeyError),
}

/// How long a call to the issuer (JWKS fetch or introspection) may take.
const ISSUER_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest session id forwarded to the issuer (tower-sessions ids are 22 characters).
const MAX_SID_BYTES: usize = 64;

/// How a resource node checks its callers with the issuer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ResourceOptions {
    /// The token issuer's JWK Set (`http://.../.well-known/jwks.json`); without it, bearer tokens
    /// are refused.
    pub jwks_url: Option<String>,
    /// The session side's introspection endpoint (`http://.../introspect`); without it, session
    /// cookies are refused.
    pub introspect_url: Option<String>,
    /// What this node presents to the introspection endpoint (`Authorization: Bearer ...`).
    pub introspect_token: Option<String>,
    /// Tokens must come from this issuer (`iss`) ...
    pub issuer: String,
    /// ... name this service among their audiences (`aud`) ...
    pub audience: String,
    /// ... and grant this scope (`scope`, space-separated), else 403 `insufficient_scope`.
    pub required_scope: String,
    /// Clock leeway when checking a token's `exp` and `nbf` (`--leeway`).
    pub leeway: Duration,
    /// At most one JWKS refetch (for an unknown `kid`) per this interval.
    pub jwks_refetch_interval: Duration,
}

/// Why a resource node could not start.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// Neither `--jwks-url` nor `--introspect-url`: no caller could ever be accepted.
    #[error("a resource node needs --jwks-url, --introspect-url, or both")]
    NothingToTrust,
    /// `--introspect-url` without `--introspect-token`.
    #[error("--introspect-url needs --introspect-token (the introspection endpoint is never open)")]
    NoIntrospectToken,
    /// A URL flag whose value is not http:// or https://.
    #[error("{flag} {url:?}: expected an http:// or https:// URL")]
    BadUrl {
        /// `--jwks-url` or `--introspect-url`.
        flag: &'static str,
        /// The value as given.
        url: String,
    },
    /// The HTTP client for calls to the issuer could not be built (reqwest's message).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// The token issuer's keys as this node last fetched them, and how often it asked.
struct JwksCache {
    url: String,
    keys: RwLock<Arc<VerifyingKeys>>,
    /// When the last fetch started; held while a fetch is in flight, so concurrent callers with
    /// the same new `kid` wait for one fetch instead of each making their own.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    fetches: AtomicU64,
    fetch_failures: AtomicU64,
    refetches: AtomicU64,
    refetches_refused: AtomicU64,
}

/// Everything a resource node knows.
pub(super) struct ResourceState {
    shared: Arc<Shared>,
    options: ResourceOptions,
    http: reqwest::Client,
    jwks: Option<JwksCache>,
    introspections: AtomicU64,
    introspection_failures: AtomicU64,
}

/// Why a caller was refused.
enum Refusal {
    Token(AuthError),
    /// The token lacks this scope.
    InsufficientScope(String),
    NoSession(&'static str),
    IssuerUnavailable(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Token(e) => ApiError::Token(e).into_response(),
            Refusal::NoSession(why) => {
                (StatusCode::UNAUTHORIZED, Json(json!({"error": "unauthorized", "message": why}))).into_response()
            }
            Refusal::InsufficientScope(scope) => {
                let message = format!("the token does not grant the scope this service requires ({scope})");
                let body = json!({"error": "insufficient_scope", "message": message});
                let mut response = (StatusCode::FORBIDDEN, Json(body)).into_response();
                // RFC 6750 section 3.1: 403 with error="insufficient_scope", naming the scope needed.
                let challenge = format!("Bearer realm=\"authlab\", error=\"insufficient_scope\", scope=\"{scope}\"");
                let value = HeaderValue::from_str(&challenge)
                    .unwrap_or(HeaderValue::from_static("Bearer realm=\"authlab\", error=\"insufficient_scope\""));
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                response
            }
            Refusal::IssuerUnavailable(why) => {
                // The HTTP client's words stay in the log.
                tracing::warn!("the issuer did not answer: {why}");
                let body = json!({"error": "issuer_unavailable", "message": "the issuer did not answer"});
                (StatusCode::BAD_GATEWAY, Json(body)).into_response()
            }
        }
    }
}

fn check_url(flag: &'static str, url: &Option<String>) -> Result<(), ResourceError> {
    match url {
        Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
            Err(ResourceError::BadUrl { flag, url: u.clone() })
        }
        _ => Ok(()),
    }
}

impl ResourceState {
    /// Checks the options, and fetches the issuer's JWKS once (a failure is logged: the node
    /// starts anyway and fetches again when a token arrives).
    pub(super) async fn start(shared: Arc<Shared>, options: ResourceOptions) -> Result<Arc<Self>, ResourceError> {
        if options.jwks_url.is_none() && options.introspect_url.is_none() {
            return Err(ResourceError::NothingToTrust);
        }
        if options.introspect_url.is_some() && options.introspect_token.as_deref().is_none_or(str::is_empty) {
            return Err(ResourceError::NoIntrospectToken);
        }
        check_url("--jwks-url", &options.jwks_url)?;
        check_url("--introspect-url", &options.introspect_url)?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .timeout(ISSUER_TIMEOUT)
            .pool_max_idle_per_host(1024)
            .build()
            .map_err(|e| ResourceError::Client(e.to_string()))?;
        let jwks = options.jwks_url.clone().map(|url| JwksCache {
            url,
            keys: RwLock::new(Arc::default()),
            last_fetch: tokio::sync::Mutex::new(None),
            fetches: AtomicU64::new(0),
            fetch_failures: AtomicU64::new(0),
            refetches: AtomicU64::new(0),
            refetches_refused: AtomicU64::new(0),
        });
        let state = Arc::new(Self {
            shared,
            options,
            http,
            jwks,
            introspections: AtomicU64::new(0),
            introspection_failures: AtomicU64::new(0),
        });
        if let Some(jwks) = &state.jwks {
            let mut last = jwks.last_fetch.lock().await;
            *last = Some(Instant::now());
            if let Err(e) = state.fetch_jwks(jwks).await {
                tracing::warn!("the first JWKS fetch from {} failed ({e}); it is retried when a token comes", jwks.url);
            }
        }
        Ok(state)
    }

    fn current_keys(jwks: &JwksCache) -> Arc<VerifyingKeys> {
        jwks.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// One GET of the JWK Set; on success it replaces the cached keys whole.
    async fn fetch_jwks(&self, jwks: &JwksCache) -> Result<(), JwksFetchError> {
        jwks.fetches.fetch_add(1, Relaxed);
        let result = async {
            let response = self.http.get(&jwks.url).send().await.map_err(JwksFetchError::Request)?;
            let status = response.status();
            if !status.is_success() {
                return Err(JwksFetchError::Status(status));
            }
            let text = response.text().await.map_err(JwksFetchError::Request)?;
            let o = &self.options;
            Ok(VerifyingKeys::from_jwks_json(&text, &o.issuer, &o.audience, o.leeway)?)
        }
        .await;
        match result {
            Ok(keys) => {
                *jwks.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
                Ok(())
            }
            Err(e) => {
                jwks.fetch_failures.fetch_add(1, Relaxed);
                Err(e)
            }
        }
    }

    /// The cached keys if they have `kid`; otherwise one refetch, unless the last fetch was less
    /// than `jwks_refetch_interval` ago (a flood of made-up kids cannot hammer the issuer).
    async fn keys_with(&self, jwks: &JwksCache, kid: &str) -> Option<Arc<VerifyingKeys>> {
        let keys = Self::current_keys(jwks);
        if keys.get(kid).is_some() {
            return Some(keys);
        }
        let mut last = jwks.last_fetch.lock().await;
        // Someone else may have fetched it while this caller waited.
        let keys = Self::current_keys(jwks);
        if keys.get(kid).is_some() {
            return Some(keys);
        }
        if last.is_some_and(|at| at.elapsed() < self.options.jwks_refetch_interval) {
            jwks.refetches_refused.fetch_add(1, Relaxed);
            return None;
        }
        *last = Some(Instant::now());
        jwks.refetches.fetch_add(1, Relaxed);
        if let Err(e) = self.fetch_jwks(jwks).await {
            tracing::warn!("JWKS refetch from {} failed: {e}", jwks.url);
        }
        let keys = Self::current_keys(jwks);
        keys.get(kid).is_some().then_some(keys)
    }

    /// A bearer token: its signature against the issuer's published key for its `kid`, then
    /// issuer, audience, expiry, and the scope this service requires.
    async fn check_token(&self, authorization: &[u8]) -> Result<AccessClaims, Refusal> {
        let Some(jwks) = &self.jwks else {
            tracing::debug!("a bearer token came, and this node was started without --jwks-url");
            return Err(Refusal::Token(AuthError::NotAccepted));
        };
        let token = read_access_token(Some(authorization)).map_err(Refusal::Token)?;
        let keys = self.keys_with(jwks, &token.kid).await.ok_or_else(|| {
            tracing::debug!(reason = "unknown_key", "token refused: kid {:?} is not in the issuer's JWKS", token.kid);
            Refusal::Token(AuthError::UnknownKey)
        })?;
        let key = keys.get(&token.kid).ok_or(Refusal::Token(AuthError::UnknownKey))?;
        let claims =
            verify_access_token(&token, &key.decoding, key.algorithm, &key.validation).map_err(Refusal::Token)?;
        if !claims.has_scope(&self.options.required_scope) {
            return Err(Refusal::InsufficientScope(self.options.required_scope.clone()));
        }
        Ok(claims)
    }

    /// A session cookie: the session side says, on every request, whether it is live and whose.
    async fn check_session(&self, sid: &str) -> Result<String, Refusal> {
        let (Some(url), Some(secret)) = (&self.options.introspect_url, &self.options.introspect_token) else {
            return Err(Refusal::NoSession("this service accepts no session cookies (no --introspect-url)"));
        };
        if sid.is_empty()
            || sid.len() > MAX_SID_BYTES
            || !sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Refusal::NoSession("not logged in"));
        }
        self.introspections.fetch_add(1, Relaxed);
        let failed = |why: String| {
            self.introspection_failures.fetch_add(1, Relaxed);
            Refusal::IssuerUnavailable(why)
        };
        let response = self
            .http
            .post(url)
            .bearer_auth(secret)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("token={sid}"))
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("introspection answered {status}")));
        }
        #[derive(Deserialize)]
        struct Introspection {
            active: bool,
            sub: Option<String>,
        }
        let answer: Introspection = response.json().await.map_err(|e| failed(format!("introspection: {e}")))?;
        match (answer.active, answer.sub) {
            (true, Some(user)) => Ok(user),
            _ => Err(Refusal::NoSession("not logged in (the session side says the session is not live)")),
        }
    }

    pub(super) fn gauges(&self) -> Vec<Gauge> {
        let jwks = self.jwks.as_ref();
        let count = |f: fn(&JwksCache) -> &AtomicU64| jwks.map_or(0, |j| f(j).load(Relaxed)) as f64;
        let fetches = count(|j| &j.fetches);
        let introspections = self.introspections.load(Relaxed) as f64;
        vec![
            Gauge::level(
                "authlab_sessions",
                "Sessions held in this node's memory (none: it only asks the issuer).",
                0.0,
            ),
            Gauge::counter(
                "authlab_issuer_calls_total",
                "Calls this resource node made to the issuer: introspections plus JWKS fetches.",
                introspections + fetches,
            ),
            Gauge::counter(
                "authlab_introspections_total",
                "Session ids this node asked the session side about (one per request with a cookie).",
                introspections,
            ),
            Gauge::counter(
                "authlab_introspection_failures_total",
                "Introspection calls that got no usable answer.",
                self.introspection_failures.load(Relaxed) as f64,
            ),
            Gauge::counter("authlab_jwks_fetches_total", "JWKS fetches: the first one, then refetches.", fetches),
            Gauge::counter(
                "authlab_jwks_fetch_failures_total",
                "JWKS fetches that failed (the cached keys stay).",
                count(|j| &j.fetch_failures),
            ),
            Gauge::counter(
                "authlab_jwks_refetches_total",
                "JWKS refetches caused by a token with an unknown kid.",
                count(|j| &j.refetches),
            ),
            Gauge::counter(
                "authlab_jwks_refetches_refused_total",
                "Unknown kids that did not cause a refetch, because one was made less than the interval ago.",
                count(|j| &j.refetches_refused),
            ),
            Gauge::level(
                "authlab_jwks_keys",
                "Keys in the cached JWK Set.",
                jwks.map_or(0, |j| Self::current_keys(j).len()) as f64,
            ),
        ]
    }
}

/// The resource routes.
pub(super) fn router(state: Arc<ResourceState>) -> Router {
    Router::new().route("/api/orders", get(orders)).with_state(state)
}

/// The `sid` cookie of a request, if any.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix("sid="))
}

async fn orders(State(state): State<Arc<ResourceState>>, headers: HeaderMap) -> Result<Response, Refusal> {
    let started = Instant::now();
    let checked = match (headers.get(header::AUTHORIZATION), session_cookie(&headers)) {
        (Some(authorization), _) => state.check_token(authorization.as_bytes()).await.map(|c| (c.sub, "jwks")),
        (None, Some(sid)) => state.check_session(sid).await.map(|user| (user, "introspection")),
        (None, None) => Err(Refusal::Token(AuthError::Missing)),
    };
    state.shared.metrics.auth_check.observe(started.elapsed());
    match &checked {
        Err(Refusal::Token(why)) => state.shared.metrics.count_auth_failure(*why),
        Err(Refusal::NoSession(_)) => state.shared.metrics.count_no_session(),
        _ => {}
    }
    let (user, checked_by) = checked?;
    Ok(Json(json!({
        "user": user,
        "service": "resource",
        "audience": state.options.audience,
        "checked_by": checked_by,
        "orders": [],
        "node": state.shared.name,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sid_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; sid=abc_-1; x=y"));
        assert_eq!(session_cookie(&headers), Some("abc_-1"));
        headers.insert(header::COOKIE, HeaderValue::from_static("sidx=1"));
        assert_eq!(session_cookie(&headers), None);
    }
}
