//! What one virtual user does over HTTP: log in, call the protected resource, refresh, log out,
//! as its strategy's [`Protocol`] describes.
//!
//! Every call is recorded (outcome, latency, credential bytes) into the user's worker shard; a call
//! cut short by the end of the run counts as interrupted (see [`super::stats::Pending`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{COOKIE, HeaderName, HeaderValue, SET_COOKIE};
use serde_json::Value;

use super::http::{Answer, ConnectionPool, Request};
use super::protocol::{Fill, Protocol};
use super::stats::{Outcome, Pending, StrategyStats};
use crate::cluster::Endpoint;
use crate::measure::ConnectionFailure;
use crate::scenario::ClientKind;
use crate::scenario::target::{CallBody, CredentialSpec, HttpCall};

/// The second service's protected request (scenario `[resource]`).
static ORDERS: std::sync::LazyLock<HttpCall> = std::sync::LazyLock::new(|| HttpCall {
    method: http::Method::GET,
    path: "/api/orders".to_owned(),
    body: CallBody::Empty,
    token_header: None,
});

/// What a logged-in client holds.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The session cookie, as sent: `sid=...` (a header value, checked once at login and then
    /// shared, not copied, by every request).
    Cookie(HeaderValue),
    /// Logged in, with nothing kept to send back: an app without a cookie jar whose code never
    /// reads `Set-Cookie` (`client = "mobile_naive"`).
    Nothing,
    /// A token in a header (`Authorization: Bearer <jwt>`), the refresh token, and when the access
    /// token expires.
    Token {
        /// The header that carries it.
        header: HeaderName,
        /// The header's value, as sent: `Bearer <jwt>`.
        value: HeaderValue,
        /// The refresh token; `None` when the server issued none.
        refresh: Option<String>,
        /// When the access token expires, by this client's clock (from the login's `expires_in`);
        /// `None`: the server did not say, and the token is used until it is refused.
        expires_at: Option<Instant>,
    },
}

impl Credential {
    /// Whether an access token is (nearly) expired and should be refreshed before use.
    pub fn expiring(&self) -> bool {
        matches!(self, Credential::Token { expires_at: Some(at), .. } if Instant::now() + Duration::from_millis(500) >= *at)
    }

    fn header(&self) -> Option<(&HeaderName, &HeaderValue)> {
        match self {
            Credential::Cookie(cookie) => Some((&COOKIE, cookie)),
            Credential::Nothing => None,
            Credential::Token { header, value, .. } => Some((header, value)),
        }
    }

    /// `request` carrying the credential's header, if there is one to send.
    fn attach(&self, mut request: Request) -> Request {
        if let Some((name, value)) = self.header() {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        request
    }

    /// Bytes of the header that carries the credential (name, ": ", value); 0 without one.
    pub fn wire_bytes(&self) -> usize {
        self.header().map_or(0, |(name, value)| name.as_str().len() + 2 + value.len())
    }

    fn refresh_token(&self) -> Option<&str> {
        match self {
            Credential::Token { refresh: Some(token), .. } => Some(token),
            _ => None,
        }
    }
}

/// One virtual user's HTTP client for one strategy.
#[derive(Clone)]
pub struct Client {
    /// The driver's keep-alive connections to the nodes.
    pub(crate) connections: Arc<ConnectionPool>,
    /// What it sends, and where the credential comes from.
    pub(crate) protocol: Arc<Protocol>,
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

    /// Sends `request` to `node`; without an answer, why (no request could be built, the
    /// connection failed, or it timed out).
    async fn send(&self, node: &Arc<Endpoint>, request: Option<Request>) -> Result<Answer, ConnectionFailure> {
        let request = request.ok_or(ConnectionFailure::Other)?;
        self.connections.send(node, request).await.map_err(|e| e.reason())
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
        let fill = Fill { username: user, password, refresh_token: "" };
        let request = self.protocol.login.build(node, fill);
        let answer = match self.send(node, request).await {
            Ok(answer) => answer,
            Err(why) => {
                record(pending, Outcome::Connection(why), started, None);
                return Err(Outcome::Connection(why));
            }
        };
        let outcome = Outcome::from_status(answer.status);
        let cookie = match &self.protocol.credential {
            CredentialSpec::Cookie { name } => set_cookie(&answer, name),
            CredentialSpec::Json { .. } => None,
        };
        let credential = match (outcome, &self.protocol.credential) {
            // A browser's jar keeps the cookie; an app without a jar only if its own code reads it.
            (Outcome::Ok, CredentialSpec::Cookie { .. }) => match self.kind {
                ClientKind::Browser | ClientKind::Mobile => {
                    cookie.and_then(|c| HeaderValue::try_from(c).ok()).map(Credential::Cookie)
                }
                ClientKind::MobileNaive => Some(Credential::Nothing),
            },
            (Outcome::Ok, spec @ CredentialSpec::Json { .. }) => token_credential(spec, &answer.body, None, started),
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
        let request = self.protocol.request.build(node, Fill::default());
        self.protected(node, request, credential, started).await
    }

    /// Calls the second service (scenario `[resource]`) with the credential the issuer gave.
    pub async fn orders(&self, node: &Arc<Endpoint>, credential: &Credential, started: Instant) -> Outcome {
        let request = ORDERS.build(node, Fill::default());
        self.protected(node, request, credential, started).await
    }

    async fn protected(
        &self,
        node: &Arc<Endpoint>,
        request: Option<Request>,
        credential: &Credential,
        started: Instant,
    ) -> Outcome {
        let pending = self.begin();
        let _in_flight = node.start_request();
        let answer = self.send(node, request.map(|r| credential.attach(r))).await;
        let outcome = outcome_of(&answer);
        record(pending, outcome, started, Some(credential));
        outcome
    }

    /// Exchanges the refresh token for a new pair; `None` if that failed (then log in again).
    pub async fn refresh(&self, node: &Arc<Endpoint>, credential: &Credential) -> Option<Credential> {
        let (Some(call), Some(refresh_token)) = (&self.protocol.refresh, credential.refresh_token()) else {
            return None;
        };
        let started = Instant::now();
        let pending = self.begin();
        let _in_flight = node.start_request();
        let fill = Fill { refresh_token, ..Fill::default() };
        let request = call.build(node, fill);
        let answer = self.send(node, request).await;
        let outcome = outcome_of(&answer);
        record(pending, outcome, started, None);
        let fresh = answer
            .ok()
            .filter(|_| outcome == Outcome::Ok)
            .and_then(|a| token_credential(&self.protocol.credential, &a.body, Some(refresh_token), started));
        if fresh.is_some() {
            self.stats.with(self.worker, |s| s.refreshes += 1);
        }
        fresh
    }

    /// Logs out (the session is deleted; a token is denylisted if the nodes keep a denylist).
    /// Without a logout request, nothing is sent and the outcome is `None`.
    pub async fn logout(&self, node: &Arc<Endpoint>, credential: &Credential) -> Option<Outcome> {
        let request = self.protocol.logout.as_ref()?.build(node, Fill::default());
        Some(self.protected(node, request, credential, Instant::now()).await)
    }
}

/// The `name=value` pair of the `Set-Cookie` header that sets cookie `name`.
fn set_cookie(answer: &Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.split_once('=').is_some_and(|(n, _)| n.trim() == name))
        .map(|pair| pair.trim().to_owned())
}

/// How a request ended: the class of its answer's status, or why there was none.
fn outcome_of(answer: &Result<Answer, ConnectionFailure>) -> Outcome {
    answer.as_ref().map_or_else(|why| Outcome::Connection(*why), |a| Outcome::from_status(a.status))
}

/// Finishes a request: its outcome, its latency since `started` and the credential bytes it carried.
fn record(pending: Pending<&StrategyStats>, outcome: Outcome, started: Instant, credential: Option<&Credential>) {
    pending.request(outcome, started.elapsed(), credential.map_or(0, Credential::wire_bytes));
}

/// The token credential in a login's (or refresh's) JSON answer, read through `spec`'s pointers;
/// a refresh whose answer carries no new refresh token keeps `previous_refresh`.
fn token_credential(
    spec: &CredentialSpec,
    body: &[u8],
    previous_refresh: Option<&str>,
    issued: Instant,
) -> Option<Credential> {
    let CredentialSpec::Json { pointer, header, refresh_pointer, expires_pointer } = spec else { return None };
    let answer: Value = serde_json::from_slice(body).ok()?;
    let access = answer.pointer(pointer)?.as_str()?;
    let refresh = answer.pointer(refresh_pointer).and_then(Value::as_str).or(previous_refresh).map(str::to_owned);
    let expires_at = answer.pointer(expires_pointer).and_then(Value::as_u64).map(|s| issued + Duration::from_secs(s));
    let value = HeaderValue::try_from(header.value(access)).ok()?;
    Some(Credential::Token { header: header.name.clone(), value, refresh, expires_at })
}
