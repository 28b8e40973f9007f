//! What the benchmarks that need a database share: a private PostgreSQL server (or one named by
//! `AUTHLAB_BENCH_POSTGRES_URL`), a run schema of the bench's own on it, and a private
//! redis-server. Each bench binary includes this module and uses part of it.
//!
//! The private PostgreSQL is the one `tests/it/support/postgres.rs` starts, cut down: `initdb`
//! in a temp dir with trust authentication, `postgres` on a free 127.0.0.1 port, as the
//! `postgres` user (through `runuser`) when we are root, stopped (immediate shutdown) and its dir
//! removed on drop. Durability is off (`fsync`, `synchronous_commit`, `full_page_writes`), as in
//! the tests, unless `AUTHLAB_BENCH_PG_FSYNC=on`.
//!
//! A missing server is a loud SKIPPED line and `Ok(None)`; under `AUTHLAB_REQUIRE_POSTGRES=1`
//! (or `AUTHLAB_REQUIRE_REDIS=1`), as in CI, it is an error.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use authlab::session_store::PgSessionStore;
use authlab::session_store::postgres::{self, SchemaLock};

/// A server URL to use instead of a private PostgreSQL.
pub const POSTGRES_URL_VAR: &str = "AUTHLAB_BENCH_POSTGRES_URL";
/// `on` makes the private PostgreSQL durable (fsync, synchronous commit, full page writes).
pub const FSYNC_VAR: &str = "AUTHLAB_BENCH_PG_FSYNC";

/// How long a fresh server may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Says loudly that part of a bench did not run and returns `Ok(None)`, or fails when
/// `require_var=1`.
pub fn skip<T>(what: &str, reason: &str, require_var: &str) -> anyhow::Result<Option<T>> {
    if std::env::var(require_var).as_deref() == Ok("1") {
        bail!("{what}: {reason}, and {require_var}=1");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n==================================================================\n\
         SKIPPED: {what}: {reason}. It did NOT run.\n\
         Set {require_var}=1 to make this a failure.\n\
         =================================================================="
    );
    println!("SKIPPED: {what}: {reason}");
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

/// The PostgreSQL a bench runs against: a private one, or the one `AUTHLAB_BENCH_POSTGRES_URL`
/// names (where the bench touches only a schema of its own).
pub struct PostgresServer {
    url: String,
    private: Option<PrivatePostgres>,
}

impl PostgresServer {
    /// `AUTHLAB_BENCH_POSTGRES_URL`, else a private server; `None` (said loudly) when neither.
    pub fn start() -> anyhow::Result<Option<Self>> {
        if let Ok(url) = std::env::var(POSTGRES_URL_VAR) {
            return Ok(Some(Self { url, private: None }));
        }
        let durable = std::env::var(FSYNC_VAR).as_deref() == Ok("on");
        match PrivatePostgres::start(durable)? {
            Ok(private) => Ok(Some(Self { url: private.url(), private: Some(private) })),
            Err(reason) => skip("the PostgreSQL benchmark", &reason, "AUTHLAB_REQUIRE_POSTGRES"),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `pgbench` of the private server's install, else the one on PATH.
    pub fn pgbench(&self) -> Option<PathBuf> {
        let own = self.private.as_ref().map(|p| p.bin.join("pgbench")).filter(|p| p.is_file());
        own.or_else(|| find_on_path("pgbench"))
    }

    /// Host and port, for command-line clients.
    pub fn host_port(&self) -> anyhow::Result<(String, u16)> {
        let url = url::Url::parse(&self.url)?;
        Ok((url.host_str().unwrap_or("127.0.0.1").to_owned(), url.port().unwrap_or(5432)))
    }

    /// What the server is, in one line: version and the settings that move the figures.
    pub async fn describe(&self, pool: &sqlx::PgPool) -> anyhow::Result<String> {
        let mut shown = Vec::new();
        for setting in ["server_version", "fsync", "synchronous_commit", "full_page_writes", "shared_buffers"] {
            let value: String = sqlx::query_scalar(&format!("show {setting}")).fetch_one(pool).await?;
            shown.push(format!("{setting}={value}"));
        }
        let which = if self.private.is_some() { "private server" } else { POSTGRES_URL_VAR };
        Ok(format!("PostgreSQL ({which}): {}", shown.join(" ")))
    }
}

/// A throwaway cluster: stopped and deleted on drop.
struct PrivatePostgres {
    dir: PathBuf,
    bin: PathBuf,
    child: Option<Child>,
    port: u16,
}

impl PrivatePostgres {
    /// `Ok(Err(reason))` when there is no PostgreSQL to start; `Err` when one failed to start.
    fn start(durable: bool) -> anyhow::Result<Result<Self, String>> {
        let Some(bin) = find_install() else {
            return Ok(Err(
                "PostgreSQL not installed (no initdb and postgres on PATH or in /usr/lib/postgresql/*/bin/)".into(),
            ));
        };
        let as_postgres = if is_root()? {
            if find_on_path("runuser").is_none() {
                return Ok(Err("running as root, PostgreSQL refuses root, and runuser is not on PATH".into()));
            }
            match user_ids("postgres") {
                Some(ids) => Some(ids),
                None => {
                    return Ok(Err("running as root, PostgreSQL refuses root, and there is no postgres user".into()));
                }
            }
        } else {
            None
        };
        let dir =
            std::env::temp_dir().join(format!("authlab-bench-pg-{}-{:08x}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // From here on, dropping `pg` stops whatever runs and removes the dir.
        let mut pg = PrivatePostgres { dir, bin, child: None, port: 0 };
        if let Some((uid, gid)) = as_postgres {
            std::os::unix::fs::chown(&pg.dir, Some(uid), Some(gid))
                .with_context(|| format!("chown {} to the postgres user", pg.dir.display()))?;
        }
        let root = as_postgres.is_some();
        let data = pg.dir.join("data");
        let initdb = runner(root, pg.bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
            .current_dir(&pg.dir)
            .output()
            .context("running initdb")?;
        if !initdb.status.success() {
            bail!(
                "initdb failed ({}): {}{}",
                initdb.status,
                String::from_utf8_lossy(&initdb.stdout),
                String::from_utf8_lossy(&initdb.stderr)
            );
        }
        let durability = if durable { "on" } else { "off" };
        let log_path = pg.dir.join("server.log");
        for _ in 0..5 {
            let port = free_port()?;
            let log = File::create(&log_path)?;
            let child = runner(root, pg.bin.join("postgres"))
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string()])
                .arg("-k")
                .arg(&pg.dir)
                .args(["-c", "listen_addresses=127.0.0.1"])
                .args(["-c", &format!("fsync={durability}"), "-c", &format!("synchronous_commit={durability}")])
                .args(["-c", &format!("full_page_writes={durability}")])
                .current_dir(&pg.dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .context("starting postgres")?;
            pg.child = Some(child);
            pg.port = port;
            let deadline = Instant::now() + READY_TIMEOUT;
            loop {
                if let Some(status) = pg.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                    pg.child = None;
                    let log = read_log(&log_path);
                    if log.contains("could not bind") || log.contains("could not create any TCP/IP sockets") {
                        break; // another port
                    }
                    bail!("the private PostgreSQL exited early ({status}); its log:\n{log}");
                }
                // Ready once it accepts a connection and says so in its log.
                if TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && read_log(&log_path).contains("ready to accept connections")
                {
                    return Ok(Ok(pg));
                }
                if Instant::now() >= deadline {
                    bail!("the private PostgreSQL did not start within 30 s; its log:\n{}", read_log(&log_path));
                }
                thread::sleep(Duration::from_millis(50));
            }
        }
        bail!("the private PostgreSQL could not bind a free port in 5 tries; its log:\n{}", read_log(&log_path))
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Under runuser the child is not the postmaster: signal the postmaster itself.
            let postmaster = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
                .ok()
                .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
                .unwrap_or(child.id());
            signal("QUIT", postmaster);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && !matches!(child.try_wait(), Ok(Some(_))) {
                thread::sleep(Duration::from_millis(20));
            }
            if !matches!(child.try_wait(), Ok(Some(_))) {
                signal("KILL", postmaster);
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The bin dir of the install the `initdb` on PATH belongs to, else the newest
/// `/usr/lib/postgresql/*/bin/`.
fn find_install() -> Option<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(initdb) = find_on_path("initdb") {
        let initdb = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        dirs.extend(initdb.parent().map(Path::to_path_buf));
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name.split('.').map(|n| n.parse().unwrap_or(0)).collect(), e.path().join("bin"))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    dirs.extend(versions.into_iter().map(|(_, dir)| dir));
    dirs.into_iter().find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
}

fn runner(as_postgres: bool, program: PathBuf) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn is_root() -> anyhow::Result<bool> {
    let out = Command::new("id").arg("-u").output().context("running `id -u`")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn user_ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, user]).stderr(Stdio::null()).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().parse().ok())?
    };
    Some((id("-u")?, id("-g")?))
}

fn read_log(path: &Path) -> String {
    let mut log = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut log);
    }
    log
}

fn signal(name: &str, pid: u32) {
    let _ =
        Command::new("kill").args(["-s", name, &pid.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).status();
}

/// A run schema of the bench's own (`authlab_run_<hex>_session`), made as a run makes its own:
/// its advisory lock taken first, then [`postgres::prepare_schema`]. [`BenchSchema::drop`] drops it.
pub struct BenchSchema {
    store: PgSessionStore,
    lock: SchemaLock,
}

impl BenchSchema {
    /// The schema, with a pool of `pool` connections named `application_name`.
    pub async fn create(url: &str, pool: u32, application_name: &str) -> anyhow::Result<Self> {
        let schema = postgres::run_schema(&format!("{:012x}-session", rand::random::<u64>() >> 16));
        let lock = SchemaLock::take(url, &schema).await?;
        let made = async {
            let connections = postgres::connect_pool(url, pool, application_name).await?;
            if let Err(e) = postgres::prepare_schema(&connections, &schema).await {
                // Whatever part of it was made goes.
                let _ = postgres::drop_schema(&connections, &schema).await;
                return Err(e.into());
            }
            anyhow::Ok(PgSessionStore::open(connections, &schema)?)
        }
        .await;
        match made {
            Ok(store) => Ok(Self { store, lock }),
            Err(e) => {
                lock.release().await;
                Err(e)
            }
        }
    }

    /// The store, as a node opens it (with the user index a lab run's nodes keep).
    pub fn store(&self) -> &PgSessionStore {
        &self.store
    }

    pub fn schema(&self) -> &str {
        self.store.schema()
    }

    pub fn pool(&self) -> &sqlx::PgPool {
        self.store.pool()
    }

    /// Drops the schema, closes the pool and lets go of the lock.
    pub async fn drop(self) -> anyhow::Result<()> {
        let dropped = postgres::drop_schema(self.store.pool(), self.store.schema()).await;
        self.store.close().await;
        self.lock.release().await;
        dropped?;
        println!("dropped the bench's schema");
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

/// A redis-server of our own on a free port, persistence off; killed on drop.
pub struct PrivateRedis {
    child: Child,
    port: u16,
}

impl PrivateRedis {
    /// `None` (said loudly) when redis-server is not installed, an error under
    /// `AUTHLAB_REQUIRE_REDIS=1`.
    pub fn start() -> anyhow::Result<Option<Self>> {
        let Some(server) = find_on_path("redis-server") else {
            return skip("the Redis measurement", "redis-server not installed (not on PATH)", "AUTHLAB_REQUIRE_REDIS");
        };
        for _ in 0..5 {
            let port = free_port()?;
            let mut child = Command::new(&server)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(std::env::temp_dir())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting redis-server")?;
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break; // another port
                }
                if ping(port) {
                    return Ok(Some(Self { child, port }));
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("redis-server did not answer PING within 10 s");
                }
                thread::sleep(Duration::from_millis(30));
            }
        }
        bail!("could not start a private redis-server in 5 tries")
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 16];
    s.write_all(b"PING\r\n").is_ok() && s.read(&mut buf).is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
}
