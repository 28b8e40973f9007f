//! Starting `authlab node` as a child process: the one [`spawn_node`] the supervisor and the attack
//! lab use, the contract of the base-URL line a node prints first, and the private key files
//! handed to nodes.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a node may take to print its base URL.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a node's stderr kept when it is captured (the rest is read and dropped).
const MAX_STDERR: usize = 16 * 1024;

/// The first line a node prints on stdout once it listens on `addr`.
pub(crate) fn url_line(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The base URL in a node's first stdout line, if it is one: trimmed, `http://`, no trailing `/`.
pub(crate) fn base_url(first_line: &str) -> Option<&str> {
    let url = first_line.trim().trim_end_matches('/');
    url.starts_with("http://").then_some(url)
}

/// Where a started node's stderr goes.
#[derive(Debug, Clone)]
pub enum NodeStderr {
    /// Into this log file (created, or truncated).
    Log(PathBuf),
    /// Kept in memory, up to 16 KiB, to explain a failed start ([`NodeChild::stderr_text`]).
    Capture,
}

/// Why a node process did not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// [`NodeStderr::Log`]: the log file could not be created.
    #[error("log file {path}: {reason}")]
    Log {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// The executable could not be started.
    #[error("{exe}: {reason}")]
    Exec {
        /// The `authlab` executable.
        exe: PathBuf,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// The child came without a stdout pipe to read its base URL from.
    #[error("no stdout pipe")]
    NoStdout,
    /// No base URL as the first stdout line within [`START_TIMEOUT`] (the node exited, hung or
    /// printed something else); it was killed.
    #[error("it printed no base URL within {START_TIMEOUT:?} ({status}); {said}")]
    NoBaseUrl {
        /// How the process ended (`exit status: 2`, `signal: 9 (SIGKILL)`), or empty.
        status: String,
        /// Where to look: the log file's path, or its captured stderr.
        said: String,
    },
}

/// A started node process: its base URL and the child, killed when dropped.
#[derive(Debug)]
pub struct NodeChild {
    url: String,
    child: Child,
    stderr: Option<Arc<Mutex<String>>>,
}

impl NodeChild {
    /// The base URL it printed, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What it wrote to stderr so far, if that was [`NodeStderr::Capture`]d.
    pub fn stderr_text(&self) -> String {
        self.stderr.as_ref().and_then(|s| s.lock().ok().map(|t| t.clone())).unwrap_or_default()
    }

    /// The process, to signal or wait for (it is killed when the `NodeChild` is dropped).
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The process (killed when dropped) and its base URL.
    pub fn into_parts(self) -> (Child, String) {
        (self.child, self.url)
    }
}

/// Starts `exe node ARGS` and waits up to [`START_TIMEOUT`] for the base URL on its first stdout
/// line; the rest of its stdout is read and dropped. On Linux the node dies with this process. The
/// node does not inherit `AUTHLAB_ADMIN_TOKEN`.
pub async fn spawn_node(exe: &Path, args: &[OsString], stderr: NodeStderr) -> Result<NodeChild, SpawnError> {
    let (stderr_to, log) = match &stderr {
        NodeStderr::Log(path) => {
            let file = std::fs::File::create(path).map_err(|reason| SpawnError::Log { path: path.clone(), reason })?;
            (Stdio::from(file), Some(path))
        }
        NodeStderr::Capture => (Stdio::piped(), None),
    };
    let mut command = Command::new(exe);
    command.arg("node").args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(stderr_to).kill_on_drop(true);
    // A token meant for this process is not for every node it starts: those get theirs by file.
    command.env_remove(super::options::ADMIN_TOKEN_ENV);
    die_with_parent(&mut command);
    let mut child = command.spawn().map_err(|reason| SpawnError::Exec { exe: exe.to_owned(), reason })?;
    let captured = child.stderr.take().map(capture);
    let stdout = child.stdout.take().ok_or(SpawnError::NoStdout)?;
    let mut stdout = BufReader::new(stdout);
    let mut first_line = String::new();
    let read = tokio::time::timeout(START_TIMEOUT, stdout.read_line(&mut first_line)).await;
    if let (Ok(Ok(1..)), Some(url)) = (read, base_url(&first_line)) {
        let url = url.to_owned();
        // Nothing else on stdout matters, but a node must never block writing it.
        tokio::spawn(async move { tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await });
        return Ok(NodeChild { url, child, stderr: captured });
    }
    let _ = child.start_kill();
    let status = child.wait().await.map(|s| s.to_string()).unwrap_or_default();
    let said = match (log, &captured) {
        (Some(path), _) => format!("see its log {}", path.display()),
        (None, Some(text)) => {
            // Give the stderr reader a moment to collect the last words.
            tokio::time::sleep(Duration::from_millis(50)).await;
            format!("stderr: {}", text.lock().map(|t| t.trim().to_owned()).unwrap_or_default())
        }
        (None, None) => "no stderr".to_owned(),
    };
    Err(SpawnError::NoBaseUrl { status, said })
}

/// Reads a node's stderr to its end on a task, keeping the first [`MAX_STDERR`] bytes.
fn capture(mut pipe: tokio::process::ChildStderr) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let kept = text.clone();
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
    text
}

/// On Linux, a node dies with the process that started it, even if that one is SIGKILLed.
fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// Writes a file only this user can read (it holds private keys), replacing `path` atomically.
///
/// The text goes into a fresh file created with `create_new` and mode 0600, then renamed over
/// `path`. Opening an existing file instead (`create` + `truncate`) would keep that file's owner
/// and mode, which are applied only on creation: a file left with wider permissions, or one
/// another user placed there first (a symlink too: `create_new` never follows one), would then
/// hold the keys. The rename means a node reloading its keys never reads a half-written file.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{:08x}.tmp", rand::random::<u32>()));
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_is_the_first_line_trimmed() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().expect("test setup");
        assert_eq!(base_url(&format!("{}\n", url_line(addr))), Some("http://127.0.0.1:4000"));
        assert_eq!(base_url("  http://[::1]:80/ \r\n"), Some("http://[::1]:80"));
        assert_eq!(base_url("error: no\n"), None);
        assert_eq!(base_url(""), None);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600_and_replace_a_looser_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("authlab-private-{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).expect("test setup");
        let path = dir.join("keys.json");
        std::fs::write(&path, "old").expect("test setup");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("test setup");
        write_private(&path, "new").expect("test setup");
        let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let left: Vec<_> = std::fs::read_dir(&dir).map(|d| d.flatten().count()).into_iter().collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!((mode, text.as_str(), left), (0o600, "new", vec![1]));
    }
}
