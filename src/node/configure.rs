//! A node configured over its admin API: `POST /admin/configure` hands it its run's
//! [`Configuration`] (what the lab would have put on the command line of a node of its own), and
//! `POST /admin/crash` aborts the process, as a kill would. This is how the lab uses nodes it did
//! not start (a scenario's `endpoints`).
//!
//! Until it is configured, such a node answers `/healthz` with 503 `{"status": "unconfigured"}` and
//! every other route but the admin API with 503. A node started with `--configured` serves its
//! command line's configuration at once and can still be configured again.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;

use super::{KeySource, MAX_BODY_BYTES, Node, NodeConfig, NodeError, NodeSetup, Simulation, Strategy, json_error};

/// The longest run id a configuration may carry.
const MAX_RUN_ID_BYTES: usize = 128;

/// The private keys a token node is configured with: a JWK Set as `--keys` reads it. Never printed.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PrivateJwks(String);

impl PrivateJwks {
    /// Keys in the JWK Set text `text` (private keys; the first one signs).
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The JWK Set text.
    pub fn text(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateJwks(<redacted>)")
    }
}

/// The body of `POST /admin/configure`: the node a run wants, as the lab's own nodes are set up.
///
/// The node keeps what its own command line says of where it listens, its name, its admin and
/// introspection tokens and its CORS origins; `config.listen` and `config.name` are ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Configuration {
    /// The run configuring the node; configuring it again for the same run changes nothing.
    pub run_id: String,
    /// The user directory, the strategy and its options (store, key prefix, keys, TTLs, ...).
    pub config: NodeConfig,
    /// The simulated machine the node runs as, and the simulated store round trip.
    pub simulation: Simulation,
}

/// The configuration being served, and the router serving it.
struct Current {
    /// `None`: the command line's (`--configured`).
    run_id: Option<String>,
    router: Router,
}

/// What the admin API and the delegating routes share.
struct Shared {
    /// The node's own command line: what a configuration does not change.
    own: NodeSetup,
    /// Counted by the listener, whatever configuration is served.
    connections: Arc<AtomicU64>,
    current: RwLock<Option<Arc<Current>>>,
    /// The node serving now, to close when it is replaced; also makes configurations one at a time.
    node: tokio::sync::Mutex<Option<Node>>,
}

/// A node with an admin API, served by [`super::run`]: configured, or waiting to be.
pub struct Configurable {
    shared: Arc<Shared>,
}

impl Configurable {
    /// Builds the node its command line describes, unless it waits for its configuration.
    pub(super) async fn start(own: NodeSetup) -> Result<Self, NodeError> {
        let connections = Arc::new(AtomicU64::new(0));
        let mut node = None;
        let mut current = None;
        if !own.wait_for_configuration {
            let built = Node::build_counted(own.clone(), Some(connections.clone())).await?;
            current = Some(Arc::new(Current { run_id: None, router: built.router() }));
            node = Some(built);
        }
        let shared = Shared { own, connections, current: RwLock::new(current), node: tokio::sync::Mutex::new(node) };
        Ok(Self { shared: Arc::new(shared) })
    }

    /// Serves on `listener` until `shutdown` completes, then closes the node it was serving.
    pub(super) async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), NodeError> {
        let shared = self.shared;
        let [health, configure_path, crash_path] = OWN_ROUTES;
        let mut own: Router<Arc<Shared>> = Router::new().route(health, get(healthz));
        if let Some(token) = &shared.own.admin_token {
            let admin = Router::new().route(configure_path, post(configure)).route(crash_path, post(crash));
            own = own.merge(super::admin::guarded(admin, token));
        }
        let own = own
            .fallback(unconfigured)
            .with_state(shared.clone())
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(middleware::map_response(super::errors_as_json));
        let dispatch = Dispatch { own, shared: shared.clone() };
        let result = super::serve_router(dispatch, listener, shared.connections.clone(), shutdown).await;
        if let Some(node) = shared.node.lock().await.take() {
            node.close().await;
        }
        result
    }
}

fn current(shared: &Shared) -> Option<Arc<Current>> {
    shared.current.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// `GET /healthz`: 200 `{"status": "ok", "run": ...}` once configured, else 503 `{"status":
/// "unconfigured"}`; both with the node's strategy and name.
async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let (strategy, node) = (shared.own.config.strategy.name(), &shared.own.config.name);
    match current(&shared) {
        Some(current) => axum::Json(json!({"status": "ok", "strategy": strategy, "node": node, "run": current.run_id}))
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "unconfigured", "strategy": strategy, "node": node})),
        )
            .into_response(),
    }
}

/// The routes a configurable node answers itself, whatever it serves.
const OWN_ROUTES: [&str; 3] = ["/healthz", "/admin/configure", "/admin/crash"];

/// Where each request goes: [`OWN_ROUTES`] to the node's own routes, every other
/// path straight to the configured node's router (no second routing pass, no handler in
/// between: the node's CPU per request is the configured node's), or, until there is one, to
/// the 503 of [`unconfigured`].
#[derive(Clone)]
struct Dispatch {
    own: Router,
    shared: Arc<Shared>,
}

impl tower::Service<Request> for Dispatch {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = axum::routing::future::RouteFuture<std::convert::Infallible>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        // Both routers are always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let own_route = OWN_ROUTES.contains(&request.uri().path());
        match current(&self.shared) {
            Some(current) if !own_route => current.router.clone().call(request),
            _ => self.own.call(request),
        }
    }
}

/// Every route but the node's own, until it is configured: 503.
async fn unconfigured() -> Response {
    json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "this node is not configured yet: it waits for its run's POST /admin/configure",
    )
}

/// `POST /admin/crash`: aborts the process at once, with no goodbye to anyone (and no core file).
async fn crash() -> Response {
    tracing::warn!("crashing, as the admin API asked");
    #[cfg(unix)]
    // SAFETY: setrlimit only reads the struct it is given; no core file is wanted of this abort.
    unsafe {
        let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        libc::setrlimit(libc::RLIMIT_CORE, &none);
    }
    std::process::abort()
}

/// `POST /admin/configure`: reads a [`Configuration`], builds the node it describes and serves it
/// from the next request on (closing the one it replaces). 200 `{"configured": true, "run",
/// "changed"}`; 400 for a body that is no configuration, 409 for another strategy than the node's
/// `--strategy`, 422 when the node cannot be built (keys, store).
async fn configure(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    // The body holds keys: serde's message may quote it, so only its position is told.
    let configuration: Configuration = match serde_json::from_slice(&body) {
        Ok(configuration) => configuration,
        Err(e) => {
            let at = format!("line {} column {}", e.line(), e.column());
            return json_error(StatusCode::BAD_REQUEST, &format!("expected a run's configuration as JSON ({at})"));
        }
    };
    let Configuration { run_id, config, simulation } = configuration;
    if run_id.is_empty() || run_id.len() > MAX_RUN_ID_BYTES {
        return json_error(StatusCode::BAD_REQUEST, &format!("run_id must be 1 to {MAX_RUN_ID_BYTES} bytes"));
    }
    let own = &shared.own;
    if config.strategy.name() != own.config.strategy.name() {
        let message = format!(
            "this node was started as a {} node (--strategy), not a {} node",
            own.config.strategy.name(),
            config.strategy.name()
        );
        return json_error(StatusCode::CONFLICT, &message);
    }
    if matches!(&config.strategy, Strategy::Token(t) if matches!(t.keys, KeySource::File(_))) {
        return json_error(StatusCode::BAD_REQUEST, "a configured token node takes its keys inline (keys: {\"jwks\"})");
    }
    let mut held = shared.node.lock().await;
    if current(&shared).is_some_and(|c| c.run_id.as_deref() == Some(run_id.as_str())) {
        return axum::Json(json!({"configured": true, "run": run_id, "changed": false})).into_response();
    }
    let setup = NodeSetup {
        config: NodeConfig { listen: own.config.listen, name: own.config.name.clone(), ..config },
        simulation,
        admin_token: own.admin_token.clone(),
        wait_for_configuration: false,
        cors: own.cors.clone(),
        introspect_token: own.introspect_token.clone(),
    };
    let summary = format!(
        "{} node, {} users (seed {}), {}",
        setup.config.strategy.name(),
        setup.config.users,
        setup.config.seed,
        if setup.simulation.is_on() { "simulated capacity" } else { "raw speed" }
    );
    let node = match Node::build_counted(setup, Some(shared.connections.clone())).await {
        Ok(node) => node,
        Err(e) => {
            tracing::error!("run {run_id}: cannot serve this configuration: {e}");
            return json_error(StatusCode::UNPROCESSABLE_ENTITY, &format!("cannot serve this configuration: {e}"));
        }
    };
    let router = node.router();
    *shared.current.write().unwrap_or_else(|p| p.into_inner()) =
        Some(Arc::new(Current { run_id: Some(run_id.clone()), router }));
    if let Some(old) = held.replace(node) {
        old.close().await;
    }
    tracing::info!("configured for run {run_id}: {summary}");
    axum::Json(json!({"configured": true, "run": run_id, "changed": true})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_never_printed() {
        let keys = PrivateJwks::new(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#.into());
        assert_eq!(format!("{keys:?}"), "PrivateJwks(<redacted>)");
        let wire = serde_json::to_string(&KeySource::Jwks(keys)).unwrap_or_default();
        let back: Result<KeySource, _> = serde_json::from_str(&wire);
        assert!(matches!(back, Ok(KeySource::Jwks(k)) if k.text().contains("c2VjcmV0")), "{wire}");
    }
}
