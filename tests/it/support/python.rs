//! Python in the tests: probing for a library (a loud skip, or a failure in CI, when it is
//! missing), and the third-party fixture app `scripts/fixture_app.py` (Flask) as a process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::TempFile;

/// A Python library a test needs, and how to tell it is missing.
pub struct PythonLibrary {
    /// What to import (`jwt, cryptography`).
    pub import: &'static str,
    /// Its name in messages (`PyJWT and cryptography`).
    pub name: &'static str,
    /// The environment variable that turns a skip into a failure.
    pub require: &'static str,
    pub install: &'static str,
    /// The tests that skip without it.
    pub tests: &'static str,
}

/// Whether python3 with `library` is here; a loud skip (or a panic in CI) if not.
pub fn available(library: &PythonLibrary, probed: &OnceLock<Result<(), String>>) -> bool {
    let available = probed.get_or_init(|| {
        let probe =
            Command::new("python3").args(["-c", &format!("import {}", library.import)]).stdin(Stdio::null()).output();
        match probe {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
            Err(e) => Err(format!("python3: {e}")),
        }
    });
    match available {
        Ok(()) => true,
        Err(why) => {
            let PythonLibrary { name, require, install, tests, .. } = library;
            if std::env::var(require).as_deref() == Ok("1") {
                panic!("{name} is not usable and {require}=1: {why}");
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n==================================================================\n\
                 SKIPPED: python3 with {name} is not available ({why});\n\
                 {tests} did NOT run. Install with: {install}\n\
                 or set {require}=1 to make this a failure.\n\
                 =================================================================="
            );
            false
        }
    }
}

pub const FIXTURE_APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fixture_app.py");

/// `scripts/fixture_app.py MODE` on a free port of 127.0.0.1: a Flask app, with Flask-Login
/// sessions or flask-jwt-extended tokens. Killed on drop.
pub struct FixtureApp {
    child: Child,
    /// Its stdout, kept open: a closed pipe would kill it at its next line.
    _stdout: BufReader<std::process::ChildStdout>,
    pub url: String,
    pub pid: u32,
    /// The file its pid is written to (session mode).
    pub pid_file: TempFile,
}

impl FixtureApp {
    /// `None` (with a loud message) when python3 or the Flask packages are missing, unless
    /// `AUTHLAB_REQUIRE_FLASK=1`, which makes that a failure.
    pub fn start(mode: &str, users: u32) -> Option<FixtureApp> {
        static PROBED: OnceLock<Result<(), String>> = OnceLock::new();
        let flask = PythonLibrary {
            import: "flask, flask_login, flask_session, cachelib, flask_jwt_extended, prometheus_client",
            name: "Flask, Flask-Login, Flask-Session, flask-jwt-extended and prometheus-client",
            require: "AUTHLAB_REQUIRE_FLASK",
            install: "pip install flask flask-login flask-session cachelib flask-jwt-extended prometheus-client",
            tests: "the tests against a third-party app (foreign targets)",
        };
        if !available(&flask, &PROBED) {
            return None;
        }
        let port = super::free_port();
        let pid_file = TempFile::with_contents("fixture.pid", "");
        let mut child = Command::new("python3")
            .args([FIXTURE_APP, mode, "--port", &port.to_string(), "--users", &users.to_string()])
            .args(["--pid-file", pid_file.path_str()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 scripts/fixture_app.py starts");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        stdout.read_line(&mut first).expect("the fixture app prints its URL");
        let url = first.trim().to_owned();
        assert_eq!(url, format!("http://127.0.0.1:{port}"), "the fixture app's first line is its URL");
        let pid = child.id();
        let app = FixtureApp { child, _stdout: stdout, url, pid, pid_file };
        let deadline = Instant::now() + Duration::from_secs(20);
        while http_get(&app.url, "/healthz").is_none_or(|(status, _)| status != 200) {
            assert!(Instant::now() < deadline, "the fixture app did not answer /healthz within 20 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(app)
    }

    /// What the app itself counted (`GET /_counts`): logins, requests, unauthorized, ...
    pub fn counts(&self) -> serde_json::Value {
        let (status, body) = http_get(&self.url, "/_counts").expect("the fixture app answers /_counts");
        assert_eq!(status, 200, "/_counts: {body}");
        serde_json::from_str(&body).expect("the fixture app's counts are JSON")
    }

    /// Its resident memory now, as the kernel says (`/proc/PID/status`, VmRSS).
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).expect("/proc/PID/status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kib * 1024
    }
}

/// `GET path` on `base` (`http://127.0.0.1:PORT`) over HTTP/1.0: the status and the body; `None`
/// when nothing answers.
pub fn http_get(base: &str, path: &str) -> Option<(u16, String)> {
    use std::io::Read;
    let address = base.strip_prefix("http://")?;
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
    Some((status, body))
}

impl Drop for FixtureApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
