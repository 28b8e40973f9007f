//! Shared helpers for the integration tests: node processes, the user CSV, a private Redis,
//! a tiny RESP client, Prometheus text parsing and a few HTTP helpers; synthetic ticks in [`ticks`],
//! a private PostgreSQL in [`postgres`], hosts in network namespaces in [`netns`].

pub mod netns;
pub mod postgres;
pub mod python;
pub mod ticks;

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use authlab::node::{NodeChild, NodeStderr, spawn_node};

pub const BIN: &str = env!("CARGO_BIN_EXE_authlab");

/// How long a node may take to exit after SIGTERM before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// Send SIGTERM to a process id (no libc: use the `kill` utility).
pub fn sigterm(pid: u32) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running `kill -TERM`");
    // A process that already exited makes `kill` fail; that is fine.
    let _ = status;
}

/// Poll `child` until it exits or `timeout` passes.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait().expect("try_wait on child process") {
            Some(status) => return Some(status),
            None if Instant::now() >= deadline => return None,
            None => thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// The runtime the helpers' nodes run on. The library's [`spawn_node`] is async, and the helpers
/// are blocking, called from plain tests and from inside `#[tokio::test]` runtimes alike; so a
/// node is started by a task on this runtime, which lives as long as the test process. (A task,
/// not `block_on` on the caller's thread: a node dies with the thread that started it.)
fn node_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("test-nodes")
            .enable_all()
            .build()
            .expect("the test nodes' runtime")
    })
}

/// Runs `work` on [`node_runtime`] and waits for it, from any thread, inside a runtime or not.
fn on_node_runtime<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    thread::scope(|scope| {
        scope
            .spawn(|| node_runtime().block_on(node_runtime().spawn(work)).expect("a node task panicked"))
            .join()
            .expect("the node runtime's caller panicked")
    })
}

/// One running `authlab node` process, started by the library's [`spawn_node`] (as the
/// supervisor and the attack lab start theirs). Dropping it sends SIGTERM, waits up to 5 s, then
/// kills.
pub struct Node {
    /// None only while [`Node::terminate`] waits for it on the node runtime.
    node: Option<NodeChild>,
    url: String,
}

impl Node {
    /// `authlab node <args>`; waits for the first stdout line (the base URL).
    pub fn start(args: &[&str]) -> Node {
        Self::try_start(args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like `start`, but returns the failure text (including the node's stderr) instead of panicking.
    pub fn try_start(args: &[&str]) -> Result<Node, String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let shown = format!("{args:?}");
        match on_node_runtime(async move { spawn_node(Path::new(BIN), &args, NodeStderr::Capture).await }) {
            Ok(node) => Ok(Node { url: node.url().to_owned(), node: Some(node) }),
            Err(error) => Err(format!("authlab node {shown}: {error}")),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// `base + path`
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// What the node wrote to stderr (its first 16 KiB).
    pub fn stderr_text(&self) -> String {
        self.node.as_ref().map(NodeChild::stderr_text).unwrap_or_default()
    }

    /// SIGTERM, then wait up to `STOP_TIMEOUT`. Returns the exit status, or None if the node had
    /// to be killed (it did not stop in time). Once it has exited, its status again.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        let mut node = self.node.take()?;
        let (node, status) = on_node_runtime(async move {
            let child = node.child_mut();
            if let Ok(Some(status)) = child.try_wait() {
                return (node, Some(status));
            }
            if let Some(pid) = child.id() {
                sigterm(pid);
            }
            let status = tokio::time::timeout(STOP_TIMEOUT, child.wait()).await.ok().and_then(Result::ok);
            if status.is_none() {
                let _ = child.kill().await;
            }
            (node, status)
        });
        self.node = Some(node);
        status
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

/// `authlab users --seed S --count N`, parsed (header checked, then one pair per row).
pub fn users_csv(seed: u64, count: usize) -> Vec<(String, String)> {
    let out = Command::new(BIN)
        .args(["users", "--seed", &seed.to_string(), "--count", &count.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("running `authlab users`");
    assert!(
        out.status.success(),
        "`authlab users --seed {seed} --count {count}` failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("users CSV is UTF-8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("username,password"), "CSV header line");
    let rows: Vec<(String, String)> = lines
        .map(|l| {
            let (u, p) = l.split_once(',').unwrap_or_else(|| panic!("CSV row without a comma: {l:?}"));
            (u.to_string(), p.to_string())
        })
        .collect();
    assert_eq!(rows.len(), count, "CSV row count");
    rows
}

/// A unique path in the temp dir; the file is removed on drop.
pub struct TempFile {
    pub path: PathBuf,
}

impl TempFile {
    pub fn with_contents(stem: &str, contents: &str) -> TempFile {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "authlab-test-{}-{}-{}-{stem}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            nanos
        ));
        std::fs::write(&path, contents).expect("writing temp file");
        TempFile { path }
    }

    pub fn path_str(&self) -> &str {
        self.path.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A file holding `token`, for `authlab node --admin-token-file` (a node reads it when it starts).
pub fn admin_token_file(token: &str) -> TempFile {
    TempFile::with_contents("admin-token", &format!("{token}\n"))
}

/// A port where (very probably) nothing listens.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0 to find a free port");
    l.local_addr().expect("local_addr of probe listener").port()
}

// ---------------------------------------------------------------------------------------------
// Private Redis
// ---------------------------------------------------------------------------------------------

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// A redis-server of our own on a free port, with persistence off. Killed on drop.
pub struct PrivateRedis {
    child: Child,
    port: u16,
}

impl PrivateRedis {
    /// None (with a loud message) when redis-server is not installed, unless
    /// AUTHLAB_REQUIRE_REDIS=1, which turns that into a panic.
    pub fn start() -> Option<PrivateRedis> {
        let Some(server) = find_on_path("redis-server") else {
            if std::env::var("AUTHLAB_REQUIRE_REDIS").as_deref() == Ok("1") {
                panic!("redis-server not found on PATH and AUTHLAB_REQUIRE_REDIS=1");
            }
            // Write to the real stderr (not `eprintln!`, which the test harness captures), so the
            // skip shows even when the test "passes".
            let _ = writeln!(
                std::io::stderr(),
                "\n==================================================================\n\
                 SKIPPED: redis-server not installed (not on PATH); the Redis tests did NOT run.\n\
                 Install redis-server or set AUTHLAB_REQUIRE_REDIS=1 to make this a failure.\n\
                 =================================================================="
            );
            return None;
        };
        // The port could be taken between probe and bind; retry a few times.
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&server)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .arg("--save")
                .arg("")
                .args(["--appendonly", "no"])
                .arg("--dir")
                .arg(std::env::temp_dir())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawning redis-server");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    last_err = format!("redis-server exited early ({status}): {err}");
                    break;
                }
                if ping_raw(port) {
                    return Some(PrivateRedis { child, port });
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_err = "redis-server did not answer PING within 10 s".into();
                    break;
                }
                thread::sleep(Duration::from_millis(30));
            }
        }
        panic!("could not start a private redis-server: {last_err}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Run one command, return the reply.
    pub fn cmd(&self, args: &[&str]) -> Resp {
        resp_command(self.port, args)
    }

    pub fn keys(&self, pattern: &str) -> Vec<String> {
        match self.cmd(&["KEYS", pattern]) {
            Resp::Array(items) => {
                let mut keys: Vec<String> = items
                    .into_iter()
                    .map(|i| match i {
                        Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
                        other => panic!("KEYS returned a non-bulk item: {other:?}"),
                    })
                    .collect();
                keys.sort();
                keys
            }
            other => panic!("KEYS returned {other:?}"),
        }
    }

    pub fn all_keys(&self) -> Vec<String> {
        self.keys("*")
    }

    pub fn dbsize(&self) -> i64 {
        match self.cmd(&["DBSIZE"]) {
            Resp::Int(n) => n,
            other => panic!("DBSIZE returned {other:?}"),
        }
    }

    pub fn set(&self, key: &str, value: &str) {
        match self.cmd(&["SET", key, value]) {
            Resp::Simple(s) if s == "OK" => {}
            other => panic!("SET returned {other:?}"),
        }
    }

    pub fn exists(&self, key: &str) -> bool {
        match self.cmd(&["EXISTS", key]) {
            Resp::Int(n) => n > 0,
            other => panic!("EXISTS returned {other:?}"),
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Inline `PING` over raw TCP; true on `+PONG`.
pub fn ping_raw(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(n) => buf[..n].starts_with(b"+PONG"),
        Err(_) => false,
    }
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Resp>),
    NullArray,
}

/// One command as a RESP array of bulk strings, on a fresh connection.
pub fn resp_command(port: u16, args: &[&str]) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connecting to the private redis");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("set_read_timeout");
    let mut req = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        req.extend_from_slice(a.as_bytes());
        req.extend_from_slice(b"\r\n");
    }
    s.write_all(&req).expect("writing a RESP command");
    let mut r = BufReader::new(s);
    read_resp(&mut r)
}

fn read_resp<R: BufRead>(r: &mut R) -> Resp {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).expect("reading a RESP line");
    assert!(line.ends_with(b"\r\n"), "truncated RESP line: {:?}", String::from_utf8_lossy(&line));
    line.truncate(line.len() - 2);
    let (kind, rest) = line.split_first().expect("empty RESP line");
    let rest = String::from_utf8_lossy(rest).into_owned();
    match kind {
        b'+' => Resp::Simple(rest),
        b'-' => Resp::Error(rest),
        b':' => Resp::Int(rest.parse().expect("RESP integer")),
        b'$' => {
            let n: i64 = rest.parse().expect("RESP bulk length");
            if n < 0 {
                return Resp::Bulk(None);
            }
            let mut buf = vec![0u8; n as usize + 2];
            r.read_exact(&mut buf).expect("reading a RESP bulk string");
            buf.truncate(n as usize);
            Resp::Bulk(Some(buf))
        }
        b'*' => {
            let n: i64 = rest.parse().expect("RESP array length");
            if n < 0 {
                return Resp::NullArray;
            }
            Resp::Array((0..n).map(|_| read_resp(r)).collect())
        }
        other => panic!("unknown RESP type byte {:?}", *other as char),
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

/// A plain HTTP client: no proxy (127.0.0.1 must never go through one), no redirects, no cookie
/// jar (tests send the Cookie header themselves), 10 s timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("building the reqwest client")
}

pub async fn login(c: &reqwest::Client, node: &Node, user: &str, pass: &str) -> reqwest::Response {
    c.post(node.at("/login"))
        .json(&serde_json::json!({"username": user, "password": pass}))
        .send()
        .await
        .expect("POST /login")
}

/// Asserts `resp` has `status`, a JSON content-type and a JSON body with a string `error` field
/// (the code that goes with the status, when one is documented). Returns the body.
pub async fn expect_error(resp: reqwest::Response, status: u16, what: &str) -> serde_json::Value {
    let got = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("reading error body");
    assert_eq!(got, status, "{what}: status (body: {text:?})");
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    assert!(ct.starts_with("application/json"), "{what}: error content-type is {ct:?}, body {text:?}");
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: error body is not JSON ({e}): {text:?}"));
    let code = v
        .get("error")
        .and_then(|e| e.as_str())
        .unwrap_or_else(|| panic!("{what}: error body has no string \"error\" field: {text}"));
    let expected = match status {
        400 => Some("bad_request"),
        401 => Some("unauthorized"),
        404 => Some("not_found"),
        405 => Some("method_not_allowed"),
        413 => Some("payload_too_large"),
        500 => Some("internal"),
        503 => Some("store_unavailable"),
        _ => None,
    };
    if let Some(e) = expected {
        assert_eq!(code, e, "{what}: error code in body {text}");
    }
    v
}

pub async fn metrics_text(c: &reqwest::Client, node: &Node) -> String {
    let r = c.get(node.at("/metrics")).send().await.expect("GET /metrics");
    assert_eq!(r.status().as_u16(), 200, "GET /metrics status");
    r.text().await.expect("reading /metrics body")
}

/// One parsed Prometheus sample.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Parse the Prometheus text exposition format (samples only; comments skipped).
pub fn parse_metrics(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, labels, rest) = if let Some(open) = line.find('{') {
            let close = line.rfind('}').unwrap_or_else(|| panic!("unclosed label set: {line:?}"));
            (&line[..open], parse_labels(&line[open + 1..close]), line[close + 1..].trim())
        } else {
            let (n, r) =
                line.split_once(char::is_whitespace).unwrap_or_else(|| panic!("sample line without a value: {line:?}"));
            (n, Vec::new(), r.trim())
        };
        let value_str = rest.split_whitespace().next().unwrap_or_else(|| panic!("no value: {line:?}"));
        let value = match value_str {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("bad sample value in {line:?}")),
        };
        out.push(Sample { name: name.to_string(), labels, value });
    }
    out
}

fn parse_labels(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            break;
        }
        assert_eq!(chars.next(), Some('='), "label without '=' in {s:?}");
        assert_eq!(chars.next(), Some('"'), "label value not quoted in {s:?}");
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(c) => value.push(c),
                    None => break,
                },
                Some('"') | None => break,
                Some(c) => value.push(c),
            }
        }
        out.push((name.trim().to_string(), value));
    }
    out
}

/// Sum of the samples named `name` whose labels include all of `labels`; None if there is none.
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for s in parse_metrics(text) {
        if s.name != name {
            continue;
        }
        if labels.iter().all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v)) {
            *found.get_or_insert(0.0) += s.value;
        }
    }
    found
}

/// Does any sample with this exact name exist?
pub fn has_metric(text: &str, name: &str) -> bool {
    parse_metrics(text).iter().any(|s| s.name == name)
}

/// Poll `cond` every 50 ms until true or `timeout`; returns whether it became true.
pub async fn eventually<F, Fut>(timeout: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if cond().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Cookies
// ---------------------------------------------------------------------------------------------

/// A parsed Set-Cookie header.
#[derive(Debug, Clone)]
pub struct SetCookie {
    pub raw: String,
    pub name: String,
    pub value: String,
    /// attribute name (lowercased) -> value (may be empty)
    pub attrs: Vec<(String, String)>,
}

impl SetCookie {
    pub fn parse(raw: &str) -> SetCookie {
        let mut parts = raw.split(';');
        let first = parts.next().unwrap_or("").trim();
        let (name, value) = first.split_once('=').unwrap_or((first, ""));
        let attrs = parts
            .map(|p| {
                let p = p.trim();
                match p.split_once('=') {
                    Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim().to_string()),
                    None => (p.to_ascii_lowercase(), String::new()),
                }
            })
            .filter(|(k, _)| !k.is_empty())
            .collect();
        SetCookie { raw: raw.to_string(), name: name.trim().to_string(), value: value.trim().to_string(), attrs }
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.attrs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }
}

/// All Set-Cookie headers of a response, parsed.
pub fn set_cookies(resp: &reqwest::Response) -> Vec<SetCookie> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| SetCookie::parse(v.to_str().expect("Set-Cookie is ASCII")))
        .collect()
}

/// The `sid` Set-Cookie of a response (panics if there is none).
pub fn sid_cookie(resp: &reqwest::Response) -> SetCookie {
    let all = set_cookies(resp);
    let sids: Vec<_> = all.iter().filter(|c| c.name == "sid").cloned().collect();
    assert_eq!(sids.len(), 1, "expected exactly one `sid` Set-Cookie, got {all:?}");
    sids.into_iter().next().expect("one sid cookie")
}

// ---------------------------------------------------------------------------------------------
// Whole runs of `authlab run`
// ---------------------------------------------------------------------------------------------

/// A finished `authlab run`: its output, its summary JSON and its recording.
pub struct Finished {
    pub output: std::process::Output,
    pub summary: serde_json::Value,
    pub recording: authlab::recording::Recording,
    _files: Vec<TempFile>,
}

impl Finished {
    pub fn strategy(&self, name: &str) -> &serde_json::Value {
        &self.summary["strategies"][name]
    }

    /// The recording file, still on disk while `self` lives.
    pub fn recording_path(&self) -> &std::path::Path {
        &self._files[2].path
    }

    pub fn count(&self, name: &str, field: &str) -> u64 {
        self.strategy(name)["requests"][field]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}.requests.{field} in {}", self.summary))
    }
}

/// Runs `authlab run` on a scenario text and waits for it: it must succeed.
pub fn run_scenario(scenario: &str) -> Finished {
    let finished = run_scenario_whatever(scenario);
    let output = &finished.output;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "authlab run failed: {stderr}\n{}", String::from_utf8_lossy(&output.stdout));
    finished
}

/// Runs `authlab run` on a scenario text and waits for it, whatever its exit status (a failed
/// threshold exits 99): it must leave its summary and its recording.
pub fn run_scenario_whatever(scenario: &str) -> Finished {
    run_scenario_by(Command::new(BIN), scenario)
}

/// Runs a scenario text with `authlab`, the command given (`BIN`, or `BIN` inside a network
/// namespace), whatever its exit status.
pub fn run_scenario_by(mut authlab: Command, scenario: &str) -> Finished {
    let file = TempFile::with_contents("scenario.toml", scenario);
    let summary = TempFile::with_contents("summary.json", "");
    let recording = TempFile::with_contents("recording.jsonl", "");
    let output = authlab
        .args(["run", file.path_str(), "--summary-json", summary.path_str(), "--out", recording.path_str()])
        .output()
        .expect("authlab run starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text = std::fs::read_to_string(&summary.path).unwrap_or_default();
    let summary_json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("no summary JSON; stderr: {stderr}"));
    let recording_read = authlab::recording::Recording::open(&recording.path).expect("the recording reads");
    Finished { output, summary: summary_json, recording: recording_read, _files: vec![file, summary, recording] }
}

/// A JWK Set key file (as `authlab node --keys` reads it) holding `sets`' keys in order: the first
/// key signs.
pub fn key_file_text(sets: &[&authlab::token::keys::KeySet]) -> String {
    let keys: Vec<serde_json::Value> = sets
        .iter()
        .flat_map(|set| {
            let file: serde_json::Value =
                serde_json::from_str(&set.to_private_jwks_json()).expect("a key file is JSON");
            file["keys"].as_array().expect("a keys array").clone()
        })
        .collect();
    serde_json::json!({ "keys": keys }).to_string()
}
