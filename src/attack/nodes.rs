//! The lab's own targets: two session nodes (one with a 2 s idle timeout), a token node without a
//! denylist and one with it, started as child processes of the authlab executable, and killed
//! when dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Child;

use super::AttackError;
use super::runner::Targets;
use crate::node::process::write_private;
use crate::node::{NodeOptions, NodeStderr, NodeStrategy, spawn_node};
use crate::token::Revocation;
use crate::token::keys::{Alg, KeySet};
use crate::users::PasswordHashKind;

/// Accounts in the lab nodes' user directory (the attacks use the first few).
pub const OWN_USERS: u32 = 16;
/// The idle timeout of the lab's short-lived session node (the idle-timeout attack waits it out).
const SHORT_SESSION_TTL: Duration = Duration::from_secs(2);

/// The directory holding the token nodes' key file; removed when dropped.
struct KeyDir(PathBuf);

impl Drop for KeyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The four nodes the lab attacks when it is given none: a session node (memory store,
/// `--secure-cookie`), the same with a 2 s idle timeout (`--ttl 2s`), and two RS256 token nodes
/// sharing one key file, the second with `--revocation denylist`. All use salted SHA-256
/// passwords, so logins cost nothing.
pub struct OwnNodes {
    children: Vec<Child>,
    targets: Targets,
    _keys: KeyDir,
}

impl OwnNodes {
    /// Starts the three nodes from `exe` (the authlab executable) with the user directory of `seed`.
    pub async fn start(exe: &Path, seed: u64) -> Result<Self, AttackError> {
        let keys = tokio::task::spawn_blocking(|| KeySet::generate(Alg::RS256))
            .await
            .map_err(|e| AttackError::KeyFile(e.to_string()))?
            .map_err(|e| AttackError::KeyFile(e.to_string()))?;
        let dir =
            std::env::temp_dir().join(format!("authlab-attack-{}-{:08x}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(&dir).map_err(|e| AttackError::KeyFile(format!("{}: {e}", dir.display())))?;
        let key_dir = KeyDir(dir);
        let key_file = key_dir.0.join("keys.json");
        write_private(&key_file, &keys.to_private_jwks_json())
            .map_err(|e| AttackError::KeyFile(format!("{}: {e}", key_file.display())))?;
        let common = |strategy| {
            let mut options = NodeOptions::new(strategy);
            options.seed = seed;
            options.users = OWN_USERS;
            options.password_hash = PasswordHashKind::Sha256;
            options
        };
        let mut session = common(NodeStrategy::Session);
        session.store = "memory".into();
        session.secure_cookie = true;
        let mut token = common(NodeStrategy::Token);
        token.keys = Some(key_file);
        let mut denylist = token.clone();
        denylist.revocation = Revocation::Denylist;
        let mut short_ttl = session.clone();
        short_ttl.ttl = Some(SHORT_SESSION_TTL);
        let (session, token, denylist, short_ttl) = tokio::join!(
            start_node(exe, "session", session),
            start_node(exe, "token", token),
            start_node(exe, "token-denylist", denylist),
            start_node(exe, "session-short-ttl", short_ttl),
        );
        // Whatever started is killed on drop if another one failed.
        let (session, token, denylist, short_ttl) = (session?, token?, denylist?, short_ttl?);
        let targets = Targets {
            session: Some(session.1),
            token: Some(token.1),
            token_denylist: Some(denylist.1),
            session_short_ttl: Some(short_ttl.1),
            token_keys: Some(Arc::new(keys)),
            seed,
        };
        Ok(Self { children: vec![session.0, token.0, denylist.0, short_ttl.0], targets, _keys: key_dir })
    }

    /// The nodes' URLs and keys, to attack them.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// Kills the nodes and waits for them to exit (dropping also kills them, without waiting).
    pub async fn stop(mut self) {
        for child in &mut self.children {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}

/// Starts `exe node` with `options`, named `attack-WHICH`, and waits for its base URL.
async fn start_node(exe: &Path, which: &'static str, mut options: NodeOptions) -> Result<(Child, String), AttackError> {
    options.node_name = format!("attack-{which}");
    let node = spawn_node(exe, &options.to_args(), NodeStderr::Capture)
        .await
        .map_err(|e| AttackError::NodeStart { which, reason: e.to_string() })?;
    Ok(node.into_parts())
}
