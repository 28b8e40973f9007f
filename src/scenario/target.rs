//! `[target.session]` and `[target.token]`: an application the user runs, which the lab drives and
//! measures like its own nodes but does not start (SPEC "Your own servers").

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::model::{EventAction, LoadModel, Scenario, StrategyName};

/// One strategy's foreign target: where it listens, how a user logs in there, where the credential
/// comes from and how it goes back, and how the lab measures the application's process.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    /// Base URLs (`base_url`, or `urls` for a cluster), routed as `[cluster] routing` says.
    pub urls: Vec<String>,
    /// The application's accounts.
    pub accounts: AccountSource,
    /// The login request.
    pub login: HttpCall,
    /// Where the login's answer carries the credential, and how requests carry it back.
    pub credential: CredentialSpec,
    /// The protected request of every visit.
    pub request: HttpCall,
    /// The logout request; `None`: visits that would log out walk away instead.
    pub logout: Option<HttpCall>,
    /// The refresh request (token targets); `None`: an expiring token means a new login.
    pub refresh: Option<HttpCall>,
    /// A path whose 2xx answer means the application is up; `None`: any HTTP answer at `/` does.
    pub health: Option<String>,
    /// How the lab reads the application's memory and CPU.
    pub measure: TargetMeasure,
    /// Whether the URLs may leave this machine (`allow_remote = true`); else loopback only.
    pub allow_remote: bool,
}

impl TargetSpec {
    /// The URLs that are not loopback addresses (empty when every one is on this machine).
    pub fn remote_urls(&self) -> Vec<&str> {
        let metrics = match &self.measure {
            TargetMeasure::Metrics { urls, .. } => urls.as_slice(),
            _ => &[],
        };
        self.urls.iter().chain(metrics).map(String::as_str).filter(|url| !is_loopback_url(url)).collect()
    }

    /// Resolves the relative file paths it names (the accounts CSV, the pid file) against `dir`,
    /// the scenario file's directory. A `users_command` runs where the lab runs, as a command
    /// typed there would.
    pub fn resolve_paths(&mut self, dir: &Path) {
        let resolve = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = dir.join(&*path);
            }
        };
        if let AccountSource::Csv(path) = &mut self.accounts {
            resolve(path);
        }
        if let TargetMeasure::Process(PidSource::File(path)) = &mut self.measure {
            resolve(path);
        }
    }
}

/// What a run will send where, one line per foreign target, for the user to read before it
/// starts: the requests, the URLs (remote ones marked) and the most load the scenario asks for.
pub fn send_plan(scenario: &Scenario) -> Vec<String> {
    let most = scenario
        .load
        .stages
        .iter()
        .map(|stage| stage.target)
        .chain(scenario.events.iter().filter_map(|event| match event.action {
            EventAction::SetLoad(_, value) => Some(value),
            _ => None,
        }))
        .fold(0.0, f64::max);
    let load = match scenario.load.model {
        LoadModel::Closed => format!("at most {most:.0} virtual users"),
        LoadModel::Open => format!("at most {most:.0} requests/s"),
    };
    StrategyName::BOTH
        .into_iter()
        .filter_map(|strategy| Some((strategy, scenario.targets.get(strategy)?)))
        .map(|(strategy, target)| {
            let calls: Vec<String> =
                [Some(&target.login), Some(&target.request), target.refresh.as_ref(), target.logout.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|call| format!("{} {}", call.method, call.path))
                    .collect();
            let remote = target.remote_urls();
            let urls: Vec<String> = target
                .urls
                .iter()
                .map(|url| if remote.contains(&url.as_str()) { format!("{url} (REMOTE)") } else { url.clone() })
                .collect();
            format!(
                "{}: your server at {}: {}, {load}{}",
                strategy.as_str(),
                urls.join(", "),
                calls.join(", "),
                if remote.is_empty() {
                    String::new()
                } else {
                    "; allow_remote = true lets this load leave the machine".into()
                }
            )
        })
        .collect()
}

/// Whether `url`'s host is this machine: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else { return false };
    match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Where a target's accounts come from: CSV text with a `username,password` header line.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountSource {
    /// `users_csv = "users.csv"` (relative to the scenario file).
    Csv(PathBuf),
    /// `users_command = ["python3", "app.py", "users"]`: a command that prints the CSV, run in
    /// the lab's working directory.
    Command(Vec<String>),
}

/// One HTTP request of a visit. `{username}`, `{password}` and (in a refresh)
/// `{refresh_token}` in its path or body are replaced by the user's values.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCall {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: reqwest::Method,
    /// The path, from `/`.
    pub path: String,
    /// What it sends.
    pub body: CallBody,
    /// A refresh that sends the refresh token in a header (`header`, `scheme`) rather than in
    /// its body: flask-jwt-extended's way. `None` elsewhere.
    pub token_header: Option<HeaderSpec>,
}

/// The body of an [`HttpCall`].
#[derive(Debug, Clone, PartialEq)]
pub enum CallBody {
    /// Nothing.
    Empty,
    /// `json = { ... }`: a JSON document whose string values may hold placeholders.
    Json(Value),
    /// `form = { ... }`: `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, String)>),
}

/// A header that carries a token: `Authorization: Bearer <token>`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderSpec {
    /// The header's name (default `Authorization`).
    pub name: reqwest::header::HeaderName,
    /// What comes before the token, with a space (default `Bearer`); `None`: the bare token.
    pub scheme: Option<String>,
}

impl HeaderSpec {
    /// The header's value for `token`.
    pub fn value(&self, token: &str) -> String {
        match &self.scheme {
            Some(scheme) => format!("{scheme} {token}"),
            None => token.to_owned(),
        }
    }
}

/// Where the credential comes from and how it goes back.
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialSpec {
    /// `credential = { cookie = "session" }`: the cookie the login sets, sent back as `Cookie`.
    Cookie {
        /// The cookie's name.
        name: String,
    },
    /// `credential = { json = "/access_token", header = "Authorization", scheme = "Bearer" }`:
    /// a JSON pointer into the login's answer, sent back in a header.
    Json {
        /// The access token's JSON pointer (RFC 6901).
        pointer: String,
        /// How requests carry it.
        header: HeaderSpec,
        /// The refresh token's pointer (`refresh_json`, default `/refresh_token`; absent from an
        /// answer: no refresh token).
        refresh_pointer: String,
        /// The lifetime's pointer, in seconds (`expires_json`, default `/expires_in`; absent from
        /// an answer: the token is used until it is refused).
        expires_pointer: String,
    },
}

/// How the lab reads a target's memory and CPU.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetMeasure {
    /// Not at all: the memory and CPU charts say "not measured".
    Nothing,
    /// `metrics = URL` (or one per base URL): the application's Prometheus endpoint.
    Metrics {
        /// One per base URL, or one for the whole application.
        urls: Vec<String>,
        /// The resident memory gauge (default `process_resident_memory_bytes`).
        rss_metric: String,
        /// The CPU seconds counter (default `process_cpu_seconds_total`).
        cpu_metric: String,
    },
    /// `pid = N` or `pid_file = "app.pid"`: a process on this machine, read through the OS.
    Process(PidSource),
}

/// Which local process a target is.
#[derive(Debug, Clone, PartialEq)]
pub enum PidSource {
    /// `pid = N`.
    Pid(u32),
    /// `pid_file = "app.pid"`: read when the run starts (relative to the scenario file).
    File(PathBuf),
}
