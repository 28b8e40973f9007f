//! What one virtual user does over HTTP: log in, call the protected resource, refresh, log out.
//!
//! Every call is recorded (outcome, latency, credential bytes) into the user's worker shard; a call
//! cut short by the end of the run counts as interrupted (see [`super::stats::Pending`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use serde::Deserialize;
use serde_json::json;

use super::stats::{Outcome, Pending, StrategyStats};
use crate::cluster::Endpoint;
use crate::scenario::{ClientKind, StrategyName};

/// What a logged-in client holds.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The session cookie, as sent: `sid=...`.
    Cookie(String),
    /// Logged in, with nothing kept to send back: an app without a cookie jar whose code never
    /// reads `Set-Cookie` (`client = "mobile_naive"`).
    Nothing,
    /// `Bearer <jwt>`, the refresh token, and when the access token expires.
    Token {
        /// The `Authorization` header value, as sent: `Bearer <jwt>`.
        authorization: String,
        /// The refresh token; `None` when the node issued none.
        refresh: Option<String>,
        /// When the access token expires, by this client's clock (from the login's `expires_in`).
        expires_at: Instant,
    },
}

impl Credential {
    /// Whether an access token is (nearly) expired and should be refreshed before use.
    pub fn expiring(&self) -> bool {
        matches!(self, Credential::Token { expires_at, .. } if Instant::now() + Duration::from_millis(500) >= *expires_at)
    }

    fn header(&self) -> Option<(reqwest::header::HeaderName, &str)> {
        match self {
            Credential::Cookie(cookie) => Some((COOKIE, cookie)),
            Credential::Nothing => None,
            Credential::Token { authorization, .. } => Some((AUTHORIZATION, authorization)),
        }
    }

    /// `request` carrying the credential's header, if there is one to send.
    fn attach(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.header() {
            Some((name, value)) => request.header(name, value),
            None => request,
        }
    }

    /// Bytes of the header that carries the credential (name, ": ", value); 0 without one.
    pub fn wire_bytes(&self) -> usize {
        self.header().map_or(0, |(name, value)| name.as_str().len() + 2 + value.len())
    }
}

#[derive(Deserialize)]
struct TokenPair {
    access_token: String,
    expires_in: u64,
    refresh_token: Option<String>,
}

/// One worker's HTTP client for one strategy.
#[derive(Clone)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) strategy: StrategyName,
    pub(crate) stats: Arc<StrategyStats>,
    pub(crate) worker: usize,
    /// Whether the session cookie is kept and sent back (see [`ClientKind`]).
    pub kind: ClientKind,
}

impl Client {
    /// Opens a request, counted once: finished by [`record`], or interrupted if its task is cut.
    fn begin(&self) -> Pending<&StrategyStats> {
        self.stats.begin_request(self.worker)
    }

    /// Logs in; on success returns the credential (and counts the login), else how it failed.
    pub async fn login(
        &self,
        node: &Arc<Endpoint>,
        user: &str,
        password: &str,
        started: Instant,
    ) -> Result<Credential, Outcome> {
        let pending = self.begin();
        let _in_flight = node.start_request();
        let sent =
            self.http.post(format!("{}/login", node.url)).json(&json!({"username": user, "password": password})).send();
        let response = match sent.await {
            Ok(r) => r,
            Err(_) => {
                record(pending, Outcome::Connection, started, None);
                return Err(Outcome::Connection);
            }
        };
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("sid="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let body = read_body(response).await;
        let outcome = if body.is_err() { Outcome::Connection } else { Outcome::from_status(status) };
        let credential = match (outcome, self.strategy) {
            // A browser's jar keeps the cookie; an app without a jar only if its own code reads it.
            (Outcome::Ok, StrategyName::Session) => match self.kind {
                ClientKind::Browser | ClientKind::Mobile => cookie.map(Credential::Cookie),
                ClientKind::MobileNaive => Some(Credential::Nothing),
            },
            (Outcome::Ok, StrategyName::Token) => body
                .ok()
                .and_then(|b| serde_json::from_slice::<TokenPair>(&b).ok())
                .map(|pair| token_credential(pair, started)),
            _ => None,
        };
        // A 200 without a usable credential is a broken server, not a login.
        let outcome = if outcome == Outcome::Ok && credential.is_none() { Outcome::ServerError } else { outcome };
        record(pending, outcome, started, None);
        match credential {
            Some(credential) => {
                self.stats.with(self.worker, |s| s.logins += 1);
                Ok(credential)
            }
            None => Err(outcome),
        }
    }

    /// Calls the protected resource.
    pub async fn profile(&self, node: &Arc<Endpoint>, credential: &Credential, started: Instant) -> Outcome {
        self.protected(node, "/api/profile", credential, started).await
    }

    /// Calls the second service (scenario `[resource]`) with the credential the issuer gave.
    pub async fn orders(&self, node: &Arc<Endpoint>, credential: &Credential, started: Instant) -> Outcome {
        self.protected(node, "/api/orders", credential, started).await
    }

    async fn protected(&self, node: &Arc<Endpoint>, path: &str, credential: &Credential, started: Instant) -> Outcome {
        let pending = self.begin();
        let _in_flight = node.start_request();
        let sent = credential.attach(self.http.get(format!("{}{path}", node.url))).send();
        let outcome = finish(sent.await).await;
        record(pending, outcome, started, Some(credential));
        outcome
    }

    /// Exchanges the refresh token for a new pair; `None` if that failed (then log in again).
    pub async fn refresh(&self, node: &Arc<Endpoint>, credential: &Credential) -> Option<Credential> {
        let Credential::Token { refresh: Some(refresh_token), .. } = credential else { return None };
        let started = Instant::now();
        let pending = self.begin();
        let _in_flight = node.start_request();
        let sent =
            self.http.post(format!("{}/refresh", node.url)).json(&json!({"refresh_token": refresh_token})).send();
        let (outcome, pair) = match sent.await {
            Err(_) => (Outcome::Connection, None),
            Ok(response) => {
                let status = response.status().as_u16();
                match read_body(response).await {
                    Err(_) => (Outcome::Connection, None),
                    Ok(body) => (Outcome::from_status(status), serde_json::from_slice::<TokenPair>(&body).ok()),
                }
            }
        };
        record(pending, outcome, started, None);
        let fresh = pair.filter(|_| outcome == Outcome::Ok).map(|pair| token_credential(pair, started));
        if fresh.is_some() {
            self.stats.with(self.worker, |s| s.refreshes += 1);
        }
        fresh
    }

    /// Logs out (the session is deleted; a token is denylisted if the nodes keep a denylist).
    pub async fn logout(&self, node: &Arc<Endpoint>, credential: &Credential) -> Outcome {
        let started = Instant::now();
        let pending = self.begin();
        let _in_flight = node.start_request();
        let sent = credential.attach(self.http.post(format!("{}/logout", node.url))).send();
        let outcome = finish(sent.await).await;
        record(pending, outcome, started, Some(credential));
        outcome
    }
}

/// Finishes a request: its outcome, its latency since `started` and the credential bytes it carried.
fn record(pending: Pending<&StrategyStats>, outcome: Outcome, started: Instant, credential: Option<&Credential>) {
    pending.request(outcome, started.elapsed(), credential.map_or(0, Credential::wire_bytes));
}

fn token_credential(pair: TokenPair, issued: Instant) -> Credential {
    Credential::Token {
        authorization: format!("Bearer {}", pair.access_token),
        refresh: pair.refresh_token,
        expires_at: issued + Duration::from_secs(pair.expires_in),
    }
}

/// Reads the whole answer, then lets the connection go back to the pool before the user's next
/// request. The client returns a connection from a task of its own, after the body ends; a user
/// that asked again at once (no think time, or a busy machine) would find none idle and open
/// another, so the nodes would hold more connections than there are users, each with some 32 KB
/// of buffers in their heap, and that heap would climb in steps that have nothing to do with auth.
async fn read_body(response: reqwest::Response) -> reqwest::Result<bytes::Bytes> {
    let body = response.bytes().await;
    tokio::task::yield_now().await;
    body
}

/// Reads the whole answer (so the connection can be reused) and classes it.
async fn finish(sent: reqwest::Result<reqwest::Response>) -> Outcome {
    match sent {
        Err(_) => Outcome::Connection,
        Ok(response) => {
            let status = response.status().as_u16();
            match read_body(response).await {
                Ok(_) => Outcome::from_status(status),
                Err(_) => Outcome::Connection,
            }
        }
    }
}
