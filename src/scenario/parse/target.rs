//! `[target.session]` and `[target.token]`: the raw tables as serde reads them, and their
//! validation into [`TargetSpec`].

use reqwest::Method;
use reqwest::header::HeaderName;
use serde::Deserialize;

use super::raw::S;
use super::validate::{Check, at, nowhere};
use crate::scenario::model::StrategyName;
use crate::scenario::target::*;

/// The most base URLs one target lists.
const MAX_URLS: usize = 32;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTargets {
    pub(super) session: Option<S<RawTarget>>,
    pub(super) token: Option<S<RawTarget>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    base_url: Option<S<String>>,
    urls: Option<S<Vec<S<String>>>>,
    users_csv: Option<S<String>>,
    users_command: Option<S<Vec<String>>>,
    login: Option<S<RawCall>>,
    credential: Option<S<RawCredential>>,
    request: Option<S<RawCall>>,
    logout: Option<S<RawCall>>,
    refresh: Option<S<RawCall>>,
    health: Option<S<String>>,
    metrics: Option<S<OneOrMany>>,
    rss_metric: Option<S<String>>,
    cpu_metric: Option<S<String>>,
    pid: Option<S<i64>>,
    pid_file: Option<S<String>>,
    allow_remote: Option<bool>,
}

/// A string, or an array of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    method: Option<S<String>>,
    path: Option<S<String>>,
    json: Option<toml::Value>,
    form: Option<S<toml::Table>>,
    header: Option<S<String>>,
    scheme: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    cookie: Option<S<String>>,
    json: Option<S<String>>,
    header: Option<S<String>>,
    scheme: Option<String>,
    refresh_json: Option<S<String>>,
    expires_json: Option<S<String>>,
}

/// The keys of a target table, for "did you mean" messages.
pub(super) const TARGET_KEYS: &[&str] = &[
    "base_url",
    "urls",
    "users_csv",
    "users_command",
    "login",
    "credential",
    "request",
    "logout",
    "refresh",
    "health",
    "metrics",
    "rss_metric",
    "cpu_metric",
    "pid",
    "pid_file",
    "allow_remote",
];

/// `[target.session]` and `[target.token]`, validated.
pub(super) fn validate_targets(raw: Option<RawTargets>) -> Check<[Option<TargetSpec>; 2]> {
    let Some(raw) = raw else { return Ok([None, None]) };
    Ok([
        raw.session.map(|t| validate_target(StrategyName::Session, t)).transpose()?,
        raw.token.map(|t| validate_target(StrategyName::Token, t)).transpose()?,
    ])
}

fn validate_target(strategy: StrategyName, raw: S<RawTarget>) -> Check<TargetSpec> {
    let span = raw.span();
    let table = format!("[target.{}]", strategy.as_str());
    let missing = |key: &str, example: &str| at(&raw, format!("{table} needs {key} (for example {example})"));
    let t = raw.get_ref();
    let urls: Vec<S<String>> = match (&t.base_url, &t.urls) {
        (Some(_), Some(urls)) => return Err(at(urls, format!("{table}: give base_url or urls, not both"))),
        (Some(one), None) => vec![one.clone()],
        (None, Some(many)) if many.get_ref().is_empty() => {
            return Err(at(many, format!("{table}: urls lists no URL")));
        }
        (None, Some(many)) if many.get_ref().len() > MAX_URLS => {
            return Err(at(many, format!("{table}: at most {MAX_URLS} URLs")));
        }
        (None, Some(many)) => many.get_ref().clone(),
        (None, None) => return Err(missing("base_url", "base_url = \"http://127.0.0.1:5001\"")),
    };
    let urls = urls.iter().map(|url| base_url(&table, url)).collect::<Check<Vec<String>>>()?;
    let accounts = match (&t.users_csv, &t.users_command) {
        (Some(_), Some(command)) => {
            return Err(at(command, format!("{table}: give users_csv or users_command, not both")));
        }
        (Some(csv), None) => AccountSource::Csv(csv.get_ref().into()),
        (None, Some(command)) if command.get_ref().is_empty() => {
            return Err(at(command, "users_command needs a program, as in [\"python3\", \"app.py\", \"users\"]"));
        }
        (None, Some(command)) => AccountSource::Command(command.get_ref().clone()),
        (None, None) => return Err(missing("the app's accounts", "users_csv = \"users.csv\"")),
    };
    let login = call("login", t.login.as_ref())?
        .ok_or_else(|| missing("login", "login = { method = \"POST\", path = \"/login\", json = { ... } }"))?;
    let credential = match &t.credential {
        Some(credential) => validate_credential(credential)?,
        None => return Err(missing("credential", "credential = { cookie = \"session\" }")),
    };
    let request = call("request", t.request.as_ref())?
        .ok_or_else(|| missing("request", "request = { method = \"GET\", path = \"/me\" }"))?;
    let logout = call("logout", t.logout.as_ref())?;
    let refresh = call("refresh", t.refresh.as_ref())?;
    if let (Some(raw_refresh), CredentialSpec::Cookie { .. }) = (&t.refresh, &credential) {
        return Err(at(raw_refresh, "refresh needs a token credential (credential = { json = \"/access_token\" })"));
    }
    let health = t.health.as_ref().map(|h| path("health", h)).transpose()?;
    let measure = validate_measure(&table, t, urls.len())?;
    let target = TargetSpec {
        urls,
        accounts,
        login,
        credential,
        request,
        logout,
        refresh,
        health,
        measure,
        allow_remote: t.allow_remote.unwrap_or(false),
    };
    if !target.allow_remote
        && let Some(remote) = target.remote_urls().first()
    {
        return Err(crate::scenario::parse::validate::Problem {
            span: Some(span),
            message: format!(
                "{table}: {remote} is not on this machine; the lab sends load to loopback addresses \
                 (127.0.0.1, ::1, localhost) unless the table says allow_remote = true"
            ),
        });
    }
    Ok(target)
}

/// An `http://` URL with a host, without a trailing slash. The load driver speaks plain HTTP/1.1
/// (`load/http.rs`): a server behind TLS is measured through its plain-HTTP port, or a local
/// TLS-terminating proxy.
pub(super) fn base_url(table: &str, value: &S<String>) -> Check<String> {
    let text = value.get_ref().trim();
    let parsed = reqwest::Url::parse(text).map_err(|e| at(value, format!("{table}: {text:?} is not a URL: {e}")))?;
    if parsed.scheme() == "https" {
        return Err(at(
            value,
            format!(
                "{table}: {text:?}: https is not supported; the load driver speaks plain HTTP/1.1 (give the server's http:// port, or put a local TLS-terminating proxy in front)"
            ),
        ));
    }
    if parsed.scheme() != "http" || parsed.host().is_none() {
        return Err(at(value, format!("{table}: {text:?} must be an http:// URL with a host")));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

fn path(key: &str, value: &S<String>) -> Check<String> {
    let text = value.get_ref();
    if !text.starts_with('/') {
        return Err(at(value, format!("{key}: the path {text:?} must start with /")));
    }
    Ok(text.clone())
}

fn header_name(value: &S<String>) -> Check<HeaderName> {
    HeaderName::from_bytes(value.get_ref().as_bytes())
        .map_err(|_| at(value, format!("{:?} is not an HTTP header name", value.get_ref())))
}

/// The header a token travels in: `Authorization` with `Bearer` unless the table says otherwise;
/// `scheme = ""` sends the bare token.
fn header_spec(header: Option<&S<String>>, scheme: Option<&String>) -> Check<HeaderSpec> {
    let name = header.map(header_name).transpose()?.unwrap_or(reqwest::header::AUTHORIZATION);
    let scheme = match scheme {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s.trim().to_owned()),
        None if name == reqwest::header::AUTHORIZATION => Some("Bearer".to_owned()),
        None => None,
    };
    Ok(HeaderSpec { name, scheme })
}

fn call(key: &str, raw: Option<&S<RawCall>>) -> Check<Option<HttpCall>> {
    let Some(raw) = raw else { return Ok(None) };
    let c = raw.get_ref();
    let method = match &c.method {
        None => Method::GET,
        Some(m) => match m.get_ref().to_ascii_uppercase().as_str() {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            other => {
                return Err(at(
                    m,
                    format!("{key}: unknown method {other:?}; expected GET, POST, PUT, PATCH or DELETE"),
                ));
            }
        },
    };
    let Some(raw_path) = &c.path else { return Err(at(raw, format!("{key} needs a path, as in path = \"/login\""))) };
    let body = match (&c.json, &c.form) {
        (Some(_), Some(form)) => return Err(at(form, format!("{key}: give json or form, not both"))),
        (Some(json), None) => {
            CallBody::Json(serde_json::to_value(json).map_err(|e| at(raw, format!("{key}: json cannot be sent: {e}")))?)
        }
        (None, Some(form)) => CallBody::Form(
            form.get_ref()
                .iter()
                .map(|(name, value)| match value {
                    toml::Value::String(s) => Ok((name.clone(), s.clone())),
                    other => Ok((name.clone(), other.to_string())),
                })
                .collect::<Check<_>>()?,
        ),
        (None, None) => CallBody::Empty,
    };
    let token_header = match (&c.header, key) {
        (Some(header), "refresh") => Some(header_spec(Some(header), c.scheme.as_ref())?),
        (Some(header), _) => {
            return Err(at(header, format!("{key}: only refresh sends a token in a header of its own")));
        }
        (None, _) => None,
    };
    Ok(Some(HttpCall { method, path: path(key, raw_path)?, body, token_header }))
}

fn pointer(key: &str, value: &S<String>) -> Check<String> {
    let text = value.get_ref();
    if !text.starts_with('/') {
        return Err(at(
            value,
            format!("{key}: {text:?} is not a JSON pointer; it starts with /, as in \"/access_token\""),
        ));
    }
    Ok(text.clone())
}

fn validate_credential(raw: &S<RawCredential>) -> Check<CredentialSpec> {
    let c = raw.get_ref();
    match (&c.cookie, &c.json) {
        (Some(_), Some(json)) => Err(at(json, "credential: give cookie or json, not both")),
        (Some(cookie), None) => {
            if let Some(extra) = c.header.as_ref().or(c.refresh_json.as_ref()).or(c.expires_json.as_ref()) {
                return Err(at(
                    extra,
                    "credential: a cookie goes back as a cookie; header, refresh_json and expires_json are for json credentials",
                ));
            }
            let name = cookie.get_ref().trim();
            if name.is_empty() || name.contains(['=', ';', ' ']) {
                return Err(at(cookie, format!("credential: {name:?} is not a cookie name")));
            }
            Ok(CredentialSpec::Cookie { name: name.to_owned() })
        }
        (None, Some(json)) => Ok(CredentialSpec::Json {
            pointer: pointer("credential.json", json)?,
            header: header_spec(c.header.as_ref(), c.scheme.as_ref())?,
            refresh_pointer: c
                .refresh_json
                .as_ref()
                .map_or(Ok("/refresh_token".to_owned()), |p| pointer("refresh_json", p))?,
            expires_pointer: c
                .expires_json
                .as_ref()
                .map_or(Ok("/expires_in".to_owned()), |p| pointer("expires_json", p))?,
        }),
        (None, None) => {
            Err(at(raw, "credential needs cookie = \"<name>\" or json = \"/pointer/into/the/login/answer\""))
        }
    }
}

fn validate_measure(table: &str, t: &RawTarget, url_count: usize) -> Check<TargetMeasure> {
    let metric =
        |value: &Option<S<String>>, default: &str| value.as_ref().map_or(default.to_owned(), |v| v.get_ref().clone());
    let sources = [t.metrics.is_some(), t.pid.is_some(), t.pid_file.is_some()];
    if sources.iter().filter(|s| **s).count() > 1 {
        return Err(nowhere(format!("{table}: measure the app one way: metrics, pid or pid_file")));
    }
    if let Some(metrics) = &t.metrics {
        let urls = match metrics.get_ref() {
            OneOrMany::One(url) => vec![url.clone()],
            OneOrMany::Many(urls) => urls.clone(),
        };
        if urls.len() != 1 && urls.len() != url_count {
            return Err(at(metrics, format!("{table}: give one metrics URL, or one per base URL ({url_count})")));
        }
        let urls = urls
            .iter()
            .map(|url| base_url(table, &S::new(metrics.span(), url.clone())))
            .collect::<Check<Vec<String>>>()?;
        return Ok(TargetMeasure::Metrics {
            urls,
            rss_metric: metric(&t.rss_metric, "process_resident_memory_bytes"),
            cpu_metric: metric(&t.cpu_metric, "process_cpu_seconds_total"),
        });
    }
    if let Some(extra) = t.rss_metric.as_ref().or(t.cpu_metric.as_ref()) {
        return Err(at(extra, format!("{table}: rss_metric and cpu_metric name metrics of the metrics URL")));
    }
    let process = match (&t.pid, &t.pid_file) {
        (Some(pid), _) => PidSource::Pid(
            u32::try_from(*pid.get_ref())
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| at(pid, format!("pid {} is not a process id", pid.get_ref())))?,
        ),
        (None, Some(file)) => PidSource::File(file.get_ref().into()),
        (None, None) => return Ok(TargetMeasure::Nothing),
    };
    if url_count > 1 {
        return Err(nowhere(format!(
            "{table}: pid measures one process, but the table lists {url_count} URLs; use metrics = [one per URL]"
        )));
    }
    Ok(TargetMeasure::Process(process))
}

/// Names the strategy whose table and target table are both present, if one is.
pub(super) fn both_present(session: (bool, bool), token: (bool, bool)) -> Check<()> {
    for (name, (own, foreign)) in [("session", session), ("token", token)] {
        if own && foreign {
            return Err(nowhere(format!(
                "[{name}] and [target.{name}] both describe the {name} strategy: keep one (the lab's own nodes, or your server)"
            )));
        }
    }
    Ok(())
}
