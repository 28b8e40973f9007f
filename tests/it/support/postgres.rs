//! A private PostgreSQL server for the integration tests: a throwaway cluster in a temp dir, on a
//! free 127.0.0.1 port, stopped and deleted on drop.
//!
//! [`PrivatePostgres::start`] finds the server binaries (`initdb` and `postgres`, from one
//! install: the one `initdb` on `PATH` belongs to, else the newest `/usr/lib/postgresql/*/bin/`),
//! runs `initdb` with trust authentication, and starts `postgres` as a child process with
//! durability off (`fsync`, `synchronous_commit` and `full_page_writes`), for speed. When they
//! are missing it skips loudly and returns `None`, unless `AUTHLAB_REQUIRE_POSTGRES=1` (CI),
//! which makes that a failure.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then `initdb` and the server run as
//! the `postgres` user through `runuser -u postgres --`. `runuser` forks and waits rather than
//! exec'ing, so killing the child we hold would orphan the server: drop signals the postmaster
//! itself, by the pid in its `postmaster.pid`.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::{find_on_path, free_port};

/// The variable that turns "PostgreSQL is missing" from a skip into a failure.
const REQUIRE: &str = "AUTHLAB_REQUIRE_POSTGRES";

/// How long the server may take to accept a query after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the server may take to exit after an immediate-shutdown request before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The lab's nodes each open a pool; leave room for a few of them at once.
const MAX_CONNECTIONS: u32 = 200;

/// A PostgreSQL server of our own: a fresh cluster in a temp dir, listening on a free
/// 127.0.0.1 port (and a unix socket in that dir), with trust authentication for the `postgres`
/// superuser and durability off. Stopped (immediate shutdown) and its dir removed on drop.
pub struct PrivatePostgres {
    /// The temp dir: the cluster in `data/`, the server's unix socket and its log, `server.log`.
    dir: PathBuf,
    /// The server process: `postgres` itself, or the `runuser` that waits on it when we are root.
    child: Option<Child>,
    /// The `psql` that [`PrivatePostgres::psql`] runs, from the server's install when it has one.
    psql: PathBuf,
    port: u16,
}

/// The server binaries of one PostgreSQL install.
struct Install {
    initdb: PathBuf,
    postgres: PathBuf,
    psql: PathBuf,
}

impl PrivatePostgres {
    /// Start a private server and wait until it answers a query (about a second).
    ///
    /// `None`, with a loud message, when PostgreSQL is not installed, or when we are root and
    /// there is no `postgres` user (or no `runuser`) to run it as; with
    /// `AUTHLAB_REQUIRE_POSTGRES=1` each of those is a panic instead. Panics, with the server's
    /// log, when an installed server fails to initialise or start.
    pub fn start() -> Option<PrivatePostgres> {
        let Some(install) = find_install() else {
            return skip("PostgreSQL not installed (no initdb and postgres on PATH or in /usr/lib/postgresql/*/bin/)");
        };
        let Some(install) = install.psql_or_path() else {
            return skip("psql not found (neither beside initdb nor on PATH)");
        };
        let as_postgres = if current_uid_is_root() {
            if find_on_path("runuser").is_none() {
                return skip("running as root, PostgreSQL refuses root, and runuser is not on PATH");
            }
            match user_ids("postgres") {
                Some(ids) => Some(ids),
                None => return skip("running as root, PostgreSQL refuses root, and there is no `postgres` user"),
            }
        } else {
            None
        };

        let dir = fresh_temp_dir();
        // From here on a panic drops `pg`, which stops whatever runs and removes the dir.
        let mut pg = PrivatePostgres { dir, child: None, psql: install.psql.clone(), port: 0 };
        if let Some((uid, gid)) = as_postgres {
            std::os::unix::fs::chown(&pg.dir, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown {} to the postgres user: {e}", pg.dir.display()));
            let writable =
                runner(true, "test").arg("-w").arg(&pg.dir).current_dir(&pg.dir).status().is_ok_and(|s| s.success());
            assert!(
                writable,
                "the postgres user cannot write {}: is every directory above it (TMPDIR) open to other users?",
                pg.dir.display()
            );
        }
        let root = as_postgres.is_some();
        let data = pg.dir.join("data");

        let out = output(
            runner(root, &install.initdb)
                .arg("-D")
                .arg(&data)
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
                .current_dir(&pg.dir),
            "initdb",
        );
        if !out.status.success() {
            panic!(
                "initdb ({}) failed ({}):\n{}{}",
                install.initdb.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }

        // The port could be taken between probe and bind; retry a few times.
        let log_path = pg.dir.join("server.log");
        for _ in 0..5 {
            let port = free_port();
            let log = File::create(&log_path).unwrap_or_else(|e| panic!("creating {}: {e}", log_path.display()));
            let child = runner(root, &install.postgres)
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string()])
                .arg("-k")
                .arg(&pg.dir)
                .args(["-c", "listen_addresses=127.0.0.1"])
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
                .args(["-c", &format!("max_connections={MAX_CONNECTIONS}")])
                .current_dir(&pg.dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("spawning {}: {e}", install.postgres.display()));
            pg.child = Some(child);
            pg.port = port;
            let deadline = Instant::now() + READY_TIMEOUT;
            loop {
                let exited = pg.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
                if let Some(status) = exited {
                    pg.child = None;
                    let log = read_log(&log_path);
                    if log.contains("could not bind") || log.contains("could not create any TCP/IP sockets") {
                        break; // try another port
                    }
                    panic!("the private PostgreSQL server exited early ({status}); its log:\n{log}");
                }
                if pg.try_psql("select 1").is_ok() {
                    return Some(pg);
                }
                if Instant::now() >= deadline {
                    panic!(
                        "the private PostgreSQL server did not answer `select 1` on port {port} within {} s; \
                         its log:\n{}",
                        READY_TIMEOUT.as_secs(),
                        read_log(&log_path)
                    );
                }
                thread::sleep(Duration::from_millis(50));
            }
        }
        panic!(
            "the private PostgreSQL server could not bind a free port in 5 tries; its log:\n{}",
            read_log(&log_path)
        );
    }

    /// The TCP port the server listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for the `postgres` superuser and database:
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Run `sql` through `psql` (as the `postgres` superuser, stopping at the first error) and
    /// return its output, unaligned and without headers (`-A -t`), trimmed: one row a line,
    /// columns split by `|`. Panics with psql's stderr when it fails.
    pub fn psql(&self, sql: &str) -> String {
        self.try_psql(sql).unwrap_or_else(|e| panic!("psql failed on {sql:?}:\n{e}"))
    }

    fn try_psql(&self, sql: &str) -> Result<String, String> {
        let port = self.port.to_string();
        let out = output(
            Command::new(&self.psql)
                .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &port])
                .args(["-U", "postgres", "-d", "postgres", "-c", sql])
                .env("PGCONNECT_TIMEOUT", "5")
                .stdin(Stdio::null()),
            "psql",
        );
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(format!("{}\n{}", out.status, String::from_utf8_lossy(&out.stderr).trim_end()))
        }
    }

    /// Stop the server: an immediate shutdown (SIGQUIT to the postmaster), then SIGKILL if it
    /// lingers.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        // Under `runuser` the child is not the postmaster: signal the postmaster itself.
        let postmaster = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
            .unwrap_or(child.id());
        signal("QUIT", postmaster);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        signal("KILL", postmaster);
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Install {
    /// The install's own `psql`, else the one on PATH; `None` when there is neither.
    fn psql_or_path(self) -> Option<Install> {
        if self.psql.is_file() {
            return Some(self);
        }
        let psql = find_on_path("psql")?;
        Some(Install { psql, ..self })
    }
}

/// The install that the `initdb` on PATH belongs to, else the newest `/usr/lib/postgresql/*/bin/`
/// that has both `initdb` and `postgres`.
fn find_install() -> Option<Install> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    // `/usr/local/bin/initdb` may be a symlink into an install: its siblings are that install's.
    if let Some(initdb) = find_on_path("initdb") {
        let initdb = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        if let Some(dir) = initdb.parent() {
            dirs.push(dir.to_path_buf());
        }
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = name.split('.').map(|n| n.parse::<u32>().unwrap_or(0)).collect();
            (version, e.path().join("bin"))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    dirs.extend(versions.into_iter().map(|(_, dir)| dir));
    dirs.into_iter().find(|d| d.join("initdb").is_file() && d.join("postgres").is_file()).map(|d| Install {
        initdb: d.join("initdb"),
        postgres: d.join("postgres"),
        psql: d.join("psql"),
    })
}

/// Say loudly that the PostgreSQL tests did not run, and return `None`; or panic, under
/// `AUTHLAB_REQUIRE_POSTGRES=1`.
fn skip(reason: &str) -> Option<PrivatePostgres> {
    if std::env::var(REQUIRE).as_deref() == Ok("1") {
        panic!("{reason}, and {REQUIRE}=1");
    }
    // Write to the real stderr (not `eprintln!`, which the test harness captures), so the skip
    // shows even when the test "passes".
    let _ = writeln!(
        std::io::stderr(),
        "\n==================================================================\n\
         SKIPPED: {reason}; the PostgreSQL tests did NOT run.\n\
         Install PostgreSQL (Debian: apt-get install postgresql) or set {REQUIRE}=1 to make this a failure.\n\
         =================================================================="
    );
    None
}

/// A command that runs `program` as the `postgres` user (through runuser) when `as_postgres`,
/// else as ourselves.
fn runner(as_postgres: bool, program: impl AsRef<std::ffi::OsStr>) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Run a command to completion, panicking with `what` when it cannot start.
fn output(cmd: &mut Command, what: &str) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("running {what}: {e}"))
}

fn current_uid_is_root() -> bool {
    let out = output(Command::new("id").arg("-u"), "`id -u`");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// The uid and gid of `user`, or `None` when there is no such user.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, user]).stderr(Stdio::null()).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// A new, empty directory in the temp dir, with a short name (the server's unix socket lives in
/// it, and socket paths are limited to about 100 bytes).
fn fresh_temp_dir() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "authlab-pg-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

fn read_log(path: &Path) -> String {
    let mut log = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut log);
    }
    log
}

/// Send `SIG<name>` to a process id (no libc: use the `kill` utility). A process that already
/// exited makes `kill` fail; that is fine.
fn signal(name: &str, pid: u32) {
    let _ =
        Command::new("kill").args(["-s", name, &pid.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).status();
}
