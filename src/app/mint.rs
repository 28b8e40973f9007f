//! Minting a token for the inspector: a login on the live run's token nodes (and on a session
//! node, to measure its cookie), or on a token node of the app's own, started when no run is
//! going and killed when dropped.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Child;

use crate::node::{NodeOptions, NodeStderr, NodeStrategy, spawn_node};
use crate::users::PasswordHashKind;

/// The user directory's seed of the inspector's own token node.
const OWN_SEED: u64 = 1;
/// The user the inspector logs in as on its own node.
const OWN_USER: u32 = 1;

/// Who to log in as, and where.
pub(crate) struct Login {
    pub(crate) token_nodes: Vec<String>,
    pub(crate) session_nodes: Vec<String>,
    pub(crate) user: String,
    pub(crate) password: String,
}

/// Where a token is minted.
pub(crate) enum MintFrom {
    /// Token nodes already up: the live run's, or the inspector's own.
    Nodes(Login),
    /// A token node of the inspector's own, started from this executable.
    OwnNode(PathBuf),
}

/// The inspector's own RS256 token node (it makes its own keys); killed when dropped.
pub(crate) struct OwnTokenNode {
    _child: Child,
    /// Its base URL.
    pub(crate) url: String,
}

impl OwnTokenNode {
    /// The login of its user.
    pub(crate) fn login(&self) -> Login {
        Login {
            token_nodes: vec![self.url.clone()],
            session_nodes: Vec::new(),
            user: crate::users::username(OWN_USER),
            password: crate::users::password(OWN_SEED, OWN_USER),
        }
    }
}

/// A minted token and where it came from.
pub(crate) struct Minted {
    pub(crate) token: String,
    /// The token node that issued it.
    pub(crate) node: String,
    pub(crate) user: String,
    /// `Cookie: sid=<id>`'s bytes, measured from a session node's login, when the run has one.
    pub(crate) cookie_bytes: Option<usize>,
    /// The node started for it, to keep alive (none when the live run's nodes minted it).
    pub(crate) own: Option<OwnTokenNode>,
}

/// Why no token was minted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MintError {
    /// The HTTP client could not be built.
    #[error("{0}")]
    Client(reqwest::Error),
    /// There was no token node to log in on.
    #[error("no token node")]
    NoTokenNode,
    /// The own token node did not start.
    #[error("starting a token node: {0}")]
    Start(String),
    /// No token node answered the login, or its answer was not JSON.
    #[error("{0}")]
    Login(reqwest::Error),
    /// A token node's login answer carried no access token.
    #[error("{node} answered {answer}")]
    NoToken { node: String, answer: Value },
}

/// Mints a token from `from`.
pub(crate) async fn mint(from: MintFrom) -> Result<Minted, MintError> {
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build();
    let http = http.map_err(MintError::Client)?;
    match from {
        MintFrom::Nodes(login) => log_in(&http, login).await,
        MintFrom::OwnNode(exe) => {
            let mut options = NodeOptions::new(NodeStrategy::Token);
            options.node_name = "inspector-token".into();
            options.algorithm = "RS256".into();
            options.seed = OWN_SEED;
            options.users = OWN_USER + 1;
            options.password_hash = PasswordHashKind::Sha256;
            let node = spawn_node(&exe, &options.to_args(), NodeStderr::Capture)
                .await
                .map_err(|e| MintError::Start(e.to_string()))?;
            let (child, url) = node.into_parts();
            let own = OwnTokenNode { _child: child, url };
            let mut minted = log_in(&http, own.login()).await?;
            minted.own = Some(own);
            Ok(minted)
        }
    }
}

/// Logs the user in on the first token node that answers, and on a session node for its cookie.
async fn log_in(http: &reqwest::Client, login: Login) -> Result<Minted, MintError> {
    let Login { token_nodes, session_nodes, user, password } = login;
    let body = serde_json::json!({"username": user, "password": password});
    let mut last_error = MintError::NoTokenNode;
    for node in token_nodes {
        let answer = match http.post(format!("{node}/login")).json(&body).send().await {
            Ok(answer) => answer,
            Err(e) => {
                last_error = MintError::Login(e);
                continue;
            }
        };
        let json: Value = answer.json().await.map_err(MintError::Login)?;
        let Some(token) = json["access_token"].as_str().map(str::to_owned) else {
            return Err(MintError::NoToken { node, answer: json });
        };
        let mut cookie_bytes = None;
        for session_node in &session_nodes {
            if let Ok(answer) = http.post(format!("{session_node}/login")).json(&body).send().await {
                let cookie = answer.headers().get(reqwest::header::SET_COOKIE).and_then(|v| v.to_str().ok());
                if let Some(pair) = cookie.and_then(|c| c.split(';').next()) {
                    cookie_bytes = Some("Cookie: ".len() + pair.len());
                    break;
                }
            }
        }
        return Ok(Minted { token, node, user, cookie_bytes, own: None });
    }
    Err(last_error)
}
