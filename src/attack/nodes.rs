//! The lab's own targets: two session nodes (one with a 2 s idle timeout), a token node without a
//! denylist and one with it, started as child processes of the authlab executable, and killed
//! when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use super::AttackError;
use super::runner::Targets;
use crate::cluster::die_with_parent;
use crate::scenario::Revocation;
use crate::token::keys::{Alg, KeySet};

/// How long a node may take to print its base URL.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Accounts in the lab nodes' user directory (the attacks use the first few).
pub const OWN_USERS: u32 = 16;
/// The idle timeout of the lab's short-lived session node (the idle-timeout attack waits it out).
const SHORT_SESSION_TTL: &str = "2s";
/// The most of a node's stderr kept to explain a failed start.
const MAX_STDERR: usize = 16 * 1024;

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
        let key_path = key_file.display().to_string();
        let seed_arg = seed.to_string();
        let users = OWN_USERS.to_string();
        let common = ["--seed", seed_arg.as_str(), "--users", users.as_str(), "--password-hash", "sha256"];
        let session: Vec<&str> =
            [&["--strategy", "session", "--store", "memory", "--secure-cookie"][..], &common].concat();
        let token: Vec<&str> = [&["--strategy", "token", "--keys", key_path.as_str()][..], &common].concat();
        let denylist: Vec<&str> = [&token[..], &["--revocation", Revocation::Denylist.name()]].concat();
        let short_ttl: Vec<&str> = [&session[..], &["--ttl", SHORT_SESSION_TTL]].concat();
        let (session, token, denylist, short_ttl) = tokio::join!(
            start_node(exe, "session", &session),
            start_node(exe, "token", &token),
            start_node(exe, "token-denylist", &denylist),
            start_node(exe, "session-short-ttl", &short_ttl),
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

/// Writes a file only its owner can read (it holds private keys).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Starts `exe node <args>` and waits for its base URL.
async fn start_node(exe: &Path, which: &'static str, args: &[&str]) -> Result<(Child, String), AttackError> {
    let fail = |reason: String| AttackError::NodeStart { which, reason };
    let mut command = Command::new(exe);
    command
        .arg("node")
        .args(args)
        .args(["--node-name", &format!("attack-{which}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    die_with_parent(&mut command);
    let mut child = command.spawn().map_err(|e| fail(format!("{}: {e}", exe.display())))?;
    let stderr = Arc::new(Mutex::new(String::new()));
    if let Some(mut pipe) = child.stderr.take() {
        let kept = stderr.clone();
        tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk).await {
                if let Ok(mut text) = kept.lock() {
                    if text.len() < MAX_STDERR {
                        text.push_str(&String::from_utf8_lossy(&chunk[..n]));
                    }
                }
            }
        });
    }
    let stdout = child.stdout.take().ok_or_else(|| fail("no stdout pipe".into()))?;
    let mut first_line = String::new();
    let read = tokio::time::timeout(START_TIMEOUT, BufReader::new(stdout).read_line(&mut first_line)).await;
    let url = first_line.trim().trim_end_matches('/').to_owned();
    if matches!(read, Ok(Ok(n)) if n > 0) && url.starts_with("http://") {
        return Ok((child, url));
    }
    let _ = child.start_kill();
    let status = child.wait().await.map(|s| s.to_string()).unwrap_or_default();
    // Give the stderr reader a moment to collect the last words.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let said = stderr.lock().map(|t| t.trim().to_owned()).unwrap_or_default();
    Err(fail(format!("it printed no base URL within {START_TIMEOUT:?} ({status}); stderr: {said}")))
}
