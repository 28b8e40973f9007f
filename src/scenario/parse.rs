//! Reading a scenario file: TOML into raw structs (unknown keys are errors), then validation into the
//! typed [`Scenario`] with every default filled in.
//!
//! Every error names the file and, when it can, the line and column of the offending value:
//! `scenarios/x.toml:12:11: unknown routing "stiky"; expected one of round_robin, random, sticky,
//! least_outstanding`.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::model::*;
use crate::token::keys::{Alg, SUPPORTED, algorithm_name, parse_algorithm};
use crate::units::{parse_bytes, parse_duration};
use crate::users::{MAX_USERS, PasswordHashKind};

/// The most nodes a strategy can have.
pub const MAX_NODES: u32 = 32;
/// The most users one revoke_user event revokes (each is one admin call per node).
const MAX_REVOKED_AT_ONCE: f64 = 1000.0;
const MIN_TICK: Duration = Duration::from_millis(10);
const MAX_TICK: Duration = Duration::from_secs(10);

/// Why a scenario could not be read. `Display` is `origin:line:col: message` when the position is
/// known, `origin: message` when it is not.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{origin}: cannot read: {error}")]
    Read { origin: String, error: std::io::Error },
    /// The file was read but is not a valid scenario.
    #[error("{origin}{}: {message}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Invalid {
        origin: String,
        /// 1-based line and column (in characters) of the offending value, when known.
        position: Option<(usize, usize)>,
        message: String,
    },
}

impl ScenarioError {
    /// The file name (or other origin) the error is about.
    pub fn origin(&self) -> &str {
        match self {
            Self::Read { origin, .. } | Self::Invalid { origin, .. } => origin,
        }
    }

    /// 1-based line and column of the offending value, when known.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid { position, .. } => *position,
        }
    }

    /// What is wrong, without the origin and position.
    pub fn message(&self) -> String {
        match self {
            Self::Read { error, .. } => format!("cannot read: {error}"),
            Self::Invalid { message, .. } => message.clone(),
        }
    }
}

/// Reads and validates the scenario file at `path`; errors name the path as given.
/// A path that is not a file but names a built-in scenario loads that scenario.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let (origin, text) = super::builtin::read_scenario_text(path)?;
    parse_scenario(&text, &origin)
}

/// Parses and validates a scenario; `origin` (usually the file name) starts every error message.
pub fn parse_scenario(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span();
        let message = friendly_toml_message(e.message(), text, span.clone());
        ScenarioError::Invalid { origin: origin.to_owned(), position: span.map(|s| line_col(text, s.start)), message }
    })?;
    raw.validate().map_err(|Problem { span, message }| ScenarioError::Invalid {
        origin: origin.to_owned(),
        position: span.map(|s| line_col(text, s.start)),
        message,
    })
}

/// 1-based line and column (counted in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

// ---------------------------------------------------------------------------------------------
// Unknown keys: serde says "unknown field `foo`, expected one of `a`, `b`"; we say which table.

const TOP_KEYS: &[&str] = &[
    "name",
    "duration",
    "seed",
    "mode",
    "tick",
    "narrative",
    "users",
    "load",
    "cluster",
    "session",
    "token",
    "events",
    "charts",
    "resource",
];
const NARRATIVE_KEYS: &[&str] = &["en", "ko", "name_ko"];
const USERS_KEYS: &[&str] = &["count", "password_hash"];
const LOAD_KEYS: &[&str] = &["model", "stages", "think_time", "requests_per_login", "logout_ratio", "client"];
const STAGE_KEYS: &[&str] = &["at", "target"];
const CLUSTER_KEYS: &[&str] = &["routing", "machine", "store_rtt", "store_machine", "health_check"];
const MACHINE_KEYS: &[&str] = &["workers", "service_time"];
const SESSION_KEYS: &[&str] = &["nodes", "store", "redis_url", "ttl", "payload_bytes", "max_memory"];
const TOKEN_KEYS: &[&str] = &["nodes", "algorithm", "ttl", "refresh", "revocation", "claims_bytes"];
const RESOURCE_KEYS: &[&str] = &["nodes"];
const EVENT_KEYS: &[&str] = &["at", "action", "target", "value", "user", "routing"];

const TABLES: &[(&str, &[&str])] = &[
    ("at the top level", TOP_KEYS),
    ("in [narrative]", NARRATIVE_KEYS),
    ("in [users]", USERS_KEYS),
    ("in [load]", LOAD_KEYS),
    ("in a stage of load.stages", STAGE_KEYS),
    ("in [cluster]", CLUSTER_KEYS),
    ("in cluster.machine", MACHINE_KEYS),
    ("in cluster.store_machine", MACHINE_KEYS),
    ("in [session]", SESSION_KEYS),
    ("in [token]", TOKEN_KEYS),
    ("in [resource]", RESOURCE_KEYS),
    ("in [[events]]", EVENT_KEYS),
];

/// Makes toml's and serde's messages name what they are about: the table of an unknown key, the
/// key of a value of the wrong type, the duplicated key. Other messages pass through.
fn friendly_toml_message(message: &str, text: &str, span: Option<Range<usize>>) -> String {
    let message = message.trim_end();
    let spanned = span.clone().and_then(|s| text.get(s)).map(str::trim).filter(|t| !t.is_empty());
    if message == "duplicate key"
        && let Some(key) = spanned
    {
        return format!("duplicate key {key}");
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        // `key = value` or `{ key = value }`: the key is what precedes the `=` before the value.
        let before = span.map_or("", |s| text.get(..s.start).unwrap_or(""));
        let line = before.rsplit('\n').next().unwrap_or("").trim_end();
        if let Some(lhs) = line.strip_suffix('=') {
            let key = lhs.trim_end().rsplit(['{', ',', ' ', '\t']).next().unwrap_or("");
            if !key.is_empty() {
                return format!("{key}: {message}");
            }
        }
    }
    let Some(rest) = message.strip_prefix("unknown field `") else { return message.to_owned() };
    let Some((key, expected)) = rest.split_once('`') else { return message.to_owned() };
    // "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, `c`": the names are quoted.
    let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match TABLES.iter().find(|(_, keys)| *keys == expected.as_slice()) {
        Some((place, keys)) => format!("unknown key {key:?} {place}; expected one of {}", keys.join(", ")),
        None => format!("unknown key {key:?}; expected one of {}", expected.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// Raw structs: what the TOML says, with spans, before validation.

/// A duration string; the type exists for its error message on a non-string value.
#[derive(Debug)]
struct DurationText(String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DurationText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration string such as \"250ms\", \"30s\" or \"5m\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationText, E> {
                Ok(DurationText(v.to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A byte size: a string such as "64MiB", or a plain number of bytes.
#[derive(Debug)]
enum SizeText {
    Text(String),
    Bytes(i64),
}

impl<'de> Deserialize<'de> for SizeText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SizeText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as \"64MiB\" or a number of bytes")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SizeText, E> {
                Ok(SizeText::Text(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SizeText, E> {
                Ok(SizeText::Bytes(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SizeText, E> {
                Ok(SizeText::Bytes(i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }
        d.deserialize_any(V)
    }
}

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<S<String>>,
    duration: Option<S<DurationText>>,
    seed: Option<S<i64>>,
    mode: Option<S<String>>,
    tick: Option<S<DurationText>>,
    narrative: Option<RawNarrative>,
    users: Option<RawUsers>,
    load: Option<S<RawLoad>>,
    cluster: Option<RawCluster>,
    session: Option<S<RawSession>>,
    token: Option<S<RawToken>>,
    events: Option<Vec<S<RawEvent>>>,
    charts: Option<S<Vec<S<String>>>>,
    resource: Option<S<RawResource>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNarrative {
    en: Option<String>,
    ko: Option<String>,
    name_ko: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsers {
    count: Option<S<i64>>,
    password_hash: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoad {
    model: Option<S<String>>,
    stages: Option<S<Vec<S<RawStage>>>>,
    think_time: Option<S<DurationText>>,
    requests_per_login: Option<S<i64>>,
    logout_ratio: Option<S<f64>>,
    client: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    at: Option<S<DurationText>>,
    target: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    routing: Option<S<String>>,
    machine: Option<S<RawMachine>>,
    store_rtt: Option<S<DurationText>>,
    store_machine: Option<S<RawMachine>>,
    health_check: Option<S<DurationText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMachine {
    workers: Option<S<i64>>,
    service_time: Option<S<DurationText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    nodes: Option<S<i64>>,
    store: Option<S<String>>,
    redis_url: Option<S<String>>,
    ttl: Option<S<DurationText>>,
    payload_bytes: Option<S<i64>>,
    max_memory: Option<S<SizeText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    nodes: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToken {
    nodes: Option<S<i64>>,
    algorithm: Option<S<String>>,
    ttl: Option<S<DurationText>>,
    refresh: Option<bool>,
    revocation: Option<S<String>>,
    claims_bytes: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    at: Option<S<DurationText>>,
    action: Option<S<String>>,
    target: Option<S<String>>,
    value: Option<S<f64>>,
    user: Option<S<String>>,
    routing: Option<S<String>>,
}

// ---------------------------------------------------------------------------------------------
// Validation.

/// A validation failure: a message and, when known, the span of the offending value.
struct Problem {
    span: Option<Range<usize>>,
    message: String,
}

type Check<T> = Result<T, Problem>;

fn at<T>(value: &S<T>, message: impl Into<String>) -> Problem {
    Problem { span: Some(value.span()), message: message.into() }
}

fn nowhere(message: impl Into<String>) -> Problem {
    Problem { span: None, message: message.into() }
}

/// Looks a spanned string up among `accepted` (name, value) pairs.
fn one_of<T: Copy>(what: &str, value: &S<String>, accepted: &[(&str, T)]) -> Check<T> {
    let text = value.get_ref().as_str();
    accepted.iter().find(|(name, _)| *name == text).map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = accepted.iter().map(|(n, _)| *n).collect();
        at(value, format!("unknown {what} {text:?}; expected one of {}", names.join(", ")))
    })
}

fn duration(key: &str, value: &S<DurationText>) -> Check<Duration> {
    parse_duration(&value.get_ref().0).map_err(|e| at(value, format!("{key}: {e}")))
}

fn opt_duration(key: &str, value: Option<&S<DurationText>>, default: Duration) -> Check<Duration> {
    value.map_or(Ok(default), |v| duration(key, v))
}

fn positive_duration(key: &str, value: Option<&S<DurationText>>, default: Duration) -> Check<Duration> {
    let d = opt_duration(key, value, default)?;
    match value {
        Some(v) if d.is_zero() => Err(at(v, format!("{key} must be more than 0"))),
        _ => Ok(d),
    }
}

/// An integer in `min..=max`, or `default` when absent.
fn int_in<T: TryFrom<i64>>(key: &str, value: Option<&S<i64>>, default: T, min: i64, max: i64) -> Check<T> {
    let Some(v) = value else { return Ok(default) };
    let n = *v.get_ref();
    if n < min || n > max {
        let range = if max == i64::MAX { format!("at least {min}") } else { format!("between {min} and {max}") };
        return Err(at(v, format!("{key} must be {range}, not {n}")));
    }
    T::try_from(n).map_err(|_| at(v, format!("{key} is out of range: {n}")))
}

fn non_negative_f64(key: &str, value: &S<f64>) -> Check<f64> {
    let x = *value.get_ref();
    if !x.is_finite() || x < 0.0 {
        return Err(at(value, format!("{key} must be a number ≥ 0, not {x}")));
    }
    Ok(x)
}

/// `"50ms..200ms"` (uniform between the two) or `"100ms"` (always that long).
fn think_time(value: &S<DurationText>) -> Check<(Duration, Duration)> {
    let text = value.get_ref().0.as_str();
    let parse = |part: &str| {
        parse_duration(part).map_err(|e| at(value, format!("think_time: {e}; or a range such as \"50ms..200ms\"")))
    };
    let (min, max) = match text.split_once("..") {
        Some((a, b)) => (parse(a)?, parse(b)?),
        None => {
            let d = parse(text)?;
            (d, d)
        }
    };
    if min > max {
        return Err(at(value, format!("think_time {text:?}: the minimum is more than the maximum")));
    }
    Ok((min, max))
}

fn bytes(key: &str, value: &S<SizeText>) -> Check<u64> {
    match value.get_ref() {
        SizeText::Text(t) => parse_bytes(t).map_err(|e| at(value, format!("{key}: {e}"))),
        SizeText::Bytes(n) => u64::try_from(*n).map_err(|_| at(value, format!("{key} must be ≥ 0, not {n}"))),
    }
}

const MODES: &[(&str, Mode)] = &[("concurrent", Mode::Concurrent), ("sequential", Mode::Sequential)];
const PASSWORD_HASHES: &[(&str, PasswordHashKind)] =
    &[("argon2id", PasswordHashKind::Argon2id), ("sha256", PasswordHashKind::Sha256)];
const LOAD_MODELS: &[(&str, LoadModel)] = &[("closed", LoadModel::Closed), ("open", LoadModel::Open)];
const CLIENTS: &[(&str, ClientKind)] =
    &[("browser", ClientKind::Browser), ("mobile", ClientKind::Mobile), ("mobile_naive", ClientKind::MobileNaive)];
const ROUTINGS: &[(&str, Routing)] = &[
    ("round_robin", Routing::RoundRobin),
    ("random", Routing::Random),
    ("sticky", Routing::Sticky),
    ("least_outstanding", Routing::LeastOutstanding),
];
const STORES: &[(&str, StoreKind)] = &[("memory", StoreKind::Memory), ("redis", StoreKind::Redis)];
const REVOCATIONS: &[(&str, Revocation)] = &[("none", Revocation::None), ("denylist", Revocation::Denylist)];
const ACTIONS: &[(&str, Action)] = &[
    ("kill_node", Action::KillNode),
    ("add_node", Action::AddNode),
    ("restart_node", Action::RestartNode),
    ("revoke_user", Action::RevokeUser),
    ("rotate_key", Action::RotateKey),
    ("set_load", Action::SetLoad),
    ("set_routing", Action::SetRouting),
];

impl RawScenario {
    fn validate(self) -> Check<Scenario> {
        let name = match self.name {
            Some(n) if n.get_ref().trim().is_empty() => return Err(at(&n, "name must not be empty")),
            Some(n) => n.into_inner(),
            None => return Err(nowhere("missing key \"name\" at the top level")),
        };
        let Some(duration_value) = &self.duration else {
            return Err(nowhere("missing key \"duration\" at the top level (e.g. duration = \"60s\")"));
        };
        let duration = duration("duration", duration_value)?;
        if duration.is_zero() {
            return Err(at(duration_value, "duration must be more than 0"));
        }
        let seed = int_in("seed", self.seed.as_ref(), 42u64, 0, i64::MAX)?;
        let mode = self.mode.as_ref().map_or(Ok(Mode::default()), |m| one_of("mode", m, MODES))?;
        let tick = opt_duration("tick", self.tick.as_ref(), Duration::from_millis(250))?;
        if let Some(t) = &self.tick
            && !(MIN_TICK..=MAX_TICK).contains(&tick)
        {
            return Err(at(t, format!("tick must be between 10ms and 10s, not {:?}", t.get_ref().0)));
        }
        let narrative = self
            .narrative
            .map(|n| Narrative {
                en: n.en.unwrap_or_default(),
                ko: n.ko.unwrap_or_default(),
                name_ko: n.name_ko.map(|name| name.trim().to_owned()).unwrap_or_default(),
            })
            .unwrap_or_default();
        let users = validate_users(self.users)?;
        let Some(load) = self.load else {
            return Err(nowhere("missing table [load] (it needs at least `stages`)"));
        };
        let load = validate_load(load)?;
        let store_machine_span = self.cluster.as_ref().and_then(|c| c.store_machine.as_ref().map(|m| m.span()));
        let cluster = validate_cluster(self.cluster)?;
        let session = self.session.map(validate_session).transpose()?;
        let algorithm_span = self.token.as_ref().and_then(|t| t.get_ref().algorithm.as_ref().map(|a| a.span()));
        let token = self.token.map(validate_token).transpose()?;
        if session.is_none() && token.is_none() {
            return Err(nowhere("no strategy to run: add a [session] table, a [token] table, or both"));
        }
        if let (Some(span), Some(s)) = (store_machine_span, &session)
            && s.store != StoreKind::Redis
        {
            let message = "store_machine simulates the shared store: it needs [session] store = \"redis\"";
            return Err(Problem { span: Some(span), message: message.into() });
        }
        let events = validate_events(self.events.unwrap_or_default(), duration, session.as_ref(), token.as_ref())?;
        let charts = validate_charts(self.charts)?;
        let resource = self
            .resource
            .map(|r| validate_resource(r, session.as_ref(), token.as_ref(), algorithm_span))
            .transpose()?;
        Ok(Scenario {
            name,
            duration,
            seed,
            mode,
            tick,
            narrative,
            users,
            load,
            cluster,
            session,
            token,
            events,
            charts,
            resource,
        })
    }
}

fn validate_users(users: Option<RawUsers>) -> Check<UsersSpec> {
    let Some(u) = users else { return Ok(UsersSpec { count: 10_000, password_hash: PasswordHashKind::default() }) };
    Ok(UsersSpec {
        count: int_in("users.count", u.count.as_ref(), 10_000u32, 1, i64::from(MAX_USERS))?,
        password_hash: u
            .password_hash
            .as_ref()
            .map_or(Ok(PasswordHashKind::default()), |p| one_of("password_hash", p, PASSWORD_HASHES))?,
    })
}

fn validate_load(load: S<RawLoad>) -> Check<LoadSpec> {
    let span = load.span();
    let load = load.into_inner();
    let model = load.model.as_ref().map_or(Ok(LoadModel::default()), |m| one_of("load model", m, LOAD_MODELS))?;
    let Some(raw_stages) = load.stages else {
        return Err(Problem {
            span: Some(span),
            message: "missing key \"stages\" in [load] (e.g. stages = [ { at = \"0s\", target = 100 } ])".into(),
        });
    };
    if raw_stages.get_ref().is_empty() {
        return Err(at(&raw_stages, "load.stages needs at least one stage"));
    }
    let mut stages: Vec<Stage> = Vec::with_capacity(raw_stages.get_ref().len());
    for raw in raw_stages.get_ref() {
        let s = raw.get_ref();
        let Some(at_value) = &s.at else { return Err(at(raw, "missing key \"at\" in a stage of load.stages")) };
        let Some(target_value) = &s.target else {
            return Err(at(raw, "missing key \"target\" in a stage of load.stages"));
        };
        let stage_at = duration("at", at_value)?;
        if let Some(prev) = stages.last()
            && stage_at <= prev.at
        {
            return Err(at(
                at_value,
                format!(
                    "stage times must strictly increase: {:?} is not after {}",
                    at_value.get_ref().0,
                    humantime::format_duration(prev.at)
                ),
            ));
        }
        stages.push(Stage { at: stage_at, target: non_negative_f64("target", target_value)? });
    }
    let think_time = load.think_time.as_ref().map_or(Ok((Duration::ZERO, Duration::ZERO)), think_time)?;
    let requests_per_login =
        int_in("requests_per_login", load.requests_per_login.as_ref(), 50u32, 0, i64::from(u32::MAX))?;
    let logout_ratio = match &load.logout_ratio {
        None => 0.3,
        Some(v) => {
            let x = *v.get_ref();
            if !(0.0..=1.0).contains(&x) {
                return Err(at(v, format!("logout_ratio must be between 0 and 1, not {x}")));
            }
            x
        }
    };
    let client = load.client.as_ref().map_or(Ok(ClientKind::default()), |c| one_of("client", c, CLIENTS))?;
    Ok(LoadSpec { model, stages, think_time, requests_per_login, logout_ratio, client })
}

fn validate_cluster(cluster: Option<RawCluster>) -> Check<ClusterSpec> {
    let Some(c) = cluster else {
        return Ok(ClusterSpec {
            routing: Routing::default(),
            machine: None,
            store_rtt: None,
            store_machine: None,
            health_check: Duration::from_secs(1),
        });
    };
    let routing = c.routing.as_ref().map_or(Ok(Routing::default()), |r| one_of("routing", r, ROUTINGS))?;
    let machine = c.machine.as_ref().map(|m| validate_machine("machine", m)).transpose()?;
    let store_machine = c.store_machine.as_ref().map(|m| validate_machine("store_machine", m)).transpose()?;
    let store_rtt = c.store_rtt.as_ref().map(|v| duration("store_rtt", v)).transpose()?;
    let health_check = positive_duration("health_check", c.health_check.as_ref(), Duration::from_secs(1))?;
    Ok(ClusterSpec { routing, machine, store_rtt, store_machine, health_check })
}

/// `machine` or `store_machine`: `{ workers, service_time }`, both required.
fn validate_machine(key: &str, m: &S<RawMachine>) -> Check<MachineSpec> {
    let inner = m.get_ref();
    let Some(workers) = &inner.workers else {
        return Err(at(m, format!("missing key \"workers\" in cluster.{key}")));
    };
    let Some(service_time) = &inner.service_time else {
        return Err(at(m, format!("missing key \"service_time\" in cluster.{key}")));
    };
    Ok(MachineSpec {
        workers: int_in(&format!("{key}.workers"), Some(workers), 1u32, 1, i64::from(u32::MAX))?,
        service_time: duration(&format!("{key}.service_time"), service_time)?,
    })
}

/// `charts = ["throughput", "cpu_per_request", ...]`: at least one, each once.
fn validate_charts(charts: Option<S<Vec<S<String>>>>) -> Check<Vec<Chart>> {
    let Some(list) = charts else { return Ok(Chart::STANDARD.to_vec()) };
    if list.get_ref().is_empty() {
        return Err(at(&list, "charts must name at least one chart"));
    }
    let mut out = Vec::new();
    for name in list.get_ref() {
        let chart = one_of("chart", name, &Chart::ALL)?;
        if out.contains(&chart) {
            return Err(at(name, format!("chart {:?} is listed twice", name.get_ref())));
        }
        out.push(chart);
    }
    Ok(out)
}

fn validate_session(session: S<RawSession>) -> Check<SessionSpec> {
    let s = session.into_inner();
    let store = s.store.as_ref().map_or(Ok(StoreKind::default()), |v| one_of("store", v, STORES))?;
    let redis_url = match s.redis_url {
        None => "redis://127.0.0.1:6379/".to_owned(),
        Some(u) => {
            let url = u.get_ref();
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(at(&u, format!("redis_url {url:?} must start with redis:// (or rediss://)")));
            }
            u.into_inner()
        }
    };
    let max_memory = s.max_memory.as_ref().map(|v| bytes("max_memory", v)).transpose()?;
    if let (Some(v), StoreKind::Redis) = (&s.max_memory, store) {
        return Err(at(v, "max_memory applies to the memory store only (store = \"memory\")"));
    }
    if let (Some(v), Some(0)) = (&s.max_memory, max_memory) {
        return Err(at(v, "max_memory must be more than 0"));
    }
    Ok(SessionSpec {
        nodes: int_in("session.nodes", s.nodes.as_ref(), 1u32, 1, i64::from(MAX_NODES))?,
        store,
        redis_url,
        ttl: positive_duration("ttl", s.ttl.as_ref(), Duration::from_secs(30 * 60))?,
        payload_bytes: int_in("payload_bytes", s.payload_bytes.as_ref(), 200usize, 0, i64::MAX)?,
        max_memory,
    })
}

fn validate_token(token: S<RawToken>) -> Check<TokenSpec> {
    let t = token.into_inner();
    let algorithm = match &t.algorithm {
        None => Alg::HS256,
        Some(a) => parse_algorithm(a.get_ref()).map_err(|_| {
            let names: Vec<&str> = SUPPORTED.iter().map(|a| algorithm_name(*a)).collect();
            at(a, format!("unknown algorithm {:?}; expected one of {}", a.get_ref(), names.join(", ")))
        })?,
    };
    Ok(TokenSpec {
        nodes: int_in("token.nodes", t.nodes.as_ref(), 1u32, 1, i64::from(MAX_NODES))?,
        algorithm,
        ttl: positive_duration("ttl", t.ttl.as_ref(), Duration::from_secs(15 * 60))?,
        refresh: t.refresh.unwrap_or(true),
        revocation: t
            .revocation
            .as_ref()
            .map_or(Ok(Revocation::default()), |r| one_of("revocation", r, REVOCATIONS))?,
        claims_bytes: int_in("claims_bytes", t.claims_bytes.as_ref(), 0usize, 0, i64::MAX)?,
    })
}

/// `[resource]`: its node count, and whether the strategies can back it: the resource service needs
/// the token nodes' published keys (none for HS256), and asks session/1 about every session (so
/// with several memory-store session nodes, most sessions would be elsewhere).
fn validate_resource(
    resource: S<RawResource>,
    session: Option<&SessionSpec>,
    token: Option<&TokenSpec>,
    algorithm_span: Option<Range<usize>>,
) -> Check<ResourceSpec> {
    let span = resource.span();
    let r = resource.into_inner();
    let nodes = int_in("resource.nodes", r.nodes.as_ref(), 1u32, 1, i64::from(MAX_NODES))?;
    if token.is_some_and(|t| t.algorithm == Alg::HS256) {
        return Err(Problem {
            span: Some(algorithm_span.unwrap_or(span)),
            message: "[resource] checks tokens against the token nodes' published keys (JWKS), and an HS256 secret \
                      is never published: use algorithm RS256, ES256, EdDSA or Ed25519"
                .into(),
        });
    }
    if session.is_some_and(|s| s.store == StoreKind::Memory && s.nodes > 1) {
        return Err(Problem {
            span: Some(span),
            message: "[resource] asks session/1 about every session, and with store = \"memory\" the other session \
                      nodes' sessions are not there: use [session] nodes = 1, or store = \"redis\""
                .into(),
        });
    }
    Ok(ResourceSpec { nodes })
}

/// `session`, `token`, `session/2`, `token/1`.
fn parse_target(value: &S<String>) -> Check<Target> {
    let text = value.get_ref().as_str();
    let bad = || at(value, format!("unknown target {text:?}; expected session, token, session/N or token/N"));
    let strategy = |name: &str| match name {
        "session" => Some(StrategyName::Session),
        "token" => Some(StrategyName::Token),
        _ => None,
    };
    match text.split_once('/') {
        None => strategy(text).map(Target::Strategy).ok_or_else(bad),
        Some((name, number)) => {
            let strategy = strategy(name).ok_or_else(bad)?;
            match number.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Target::Node(strategy, n)),
                _ => Err(at(value, format!("target {text:?}: nodes are numbered from 1, as in \"{name}/1\""))),
            }
        }
    }
}

fn validate_events(
    raw: Vec<S<RawEvent>>,
    duration: Duration,
    session: Option<&SessionSpec>,
    token: Option<&TokenSpec>,
) -> Check<Vec<EventSpec>> {
    // Parse each event on its own first, keeping the spans for the checks that need time order.
    struct Parsed<'a> {
        event: EventSpec,
        raw: &'a S<RawEvent>,
    }
    let mut parsed = Vec::with_capacity(raw.len());
    for r in &raw {
        let e = r.get_ref();
        let Some(at_value) = &e.at else { return Err(at(r, "missing key \"at\" in [[events]]")) };
        let Some(action_value) = &e.action else { return Err(at(r, "missing key \"action\" in [[events]]")) };
        let event_at = self::duration("at", at_value)?;
        if event_at > duration {
            return Err(at(
                at_value,
                format!(
                    "event at {:?} is after the end of the run ({})",
                    at_value.get_ref().0,
                    humantime::format_duration(duration)
                ),
            ));
        }
        let action = one_of("action", action_value, ACTIONS)?;
        let target = e.target.as_ref().map_or(Ok(Target::All), parse_target)?;
        let value = match (&e.value, action) {
            (None, Action::SetLoad) => return Err(at(r, "set_load needs a `value` (the new load target)")),
            (Some(v), Action::SetLoad) => Some(non_negative_f64("value", v)?),
            (Some(v), Action::RevokeUser) => {
                let count = *v.get_ref();
                if count.fract() != 0.0 || !(1.0..=MAX_REVOKED_AT_ONCE).contains(&count) {
                    return Err(at(v, format!("revoke_user: `value` is how many users, 1 to {MAX_REVOKED_AT_ONCE}")));
                }
                if e.user.is_some() {
                    return Err(at(v, "revoke_user takes either `user` or `value` (how many users), not both"));
                }
                Some(count)
            }
            (Some(v), _) => {
                return Err(at(v, format!("`value` applies to set_load and revoke_user only, not {}", action.name())));
            }
            (None, _) => None,
        };
        let user = match (&e.user, action) {
            (Some(u), Action::RevokeUser) => Some(u.get_ref().clone()),
            (Some(u), _) => return Err(at(u, format!("`user` applies to revoke_user only, not {}", action.name()))),
            (None, _) => None,
        };
        let routing = match (&e.routing, action) {
            (Some(r), Action::SetRouting) => Some(one_of("routing", r, ROUTINGS)?),
            (None, Action::SetRouting) => return Err(at(r, "set_routing needs a `routing`, such as \"sticky\"")),
            (Some(r), _) => {
                return Err(at(r, format!("`routing` applies to set_routing only, not {}", action.name())));
            }
            (None, _) => None,
        };
        parsed.push(Parsed { event: EventSpec { at: event_at, action, target, value, user, routing }, raw: r });
    }
    parsed.sort_by_key(|p| p.event.at);

    // Then in time order: node numbers count the nodes added so far.
    let mut nodes = [session.map(|s| s.nodes), token.map(|t| t.nodes)];
    let index = |s: StrategyName| match s {
        StrategyName::Session => 0,
        StrategyName::Token => 1,
    };
    for p in &parsed {
        let e = &p.event;
        let r = p.raw.get_ref();
        let target_at = |message: String| match &r.target {
            Some(t) => at(t, message),
            None => at(p.raw, message),
        };
        let name = e.action.name();
        let present = |s: StrategyName| {
            nodes[index(s)].ok_or_else(|| {
                target_at(format!("{name} targets {}, but the scenario has no [{}] table", s.as_str(), s.as_str()))
            })
        };
        match (e.action, &e.target) {
            (Action::KillNode | Action::RestartNode, Target::Node(s, n)) => {
                let count = present(*s)?;
                if *n > count {
                    return Err(target_at(format!(
                        "{name} targets {}/{n}, but {} has {count} node{} at that time",
                        s.as_str(),
                        s.as_str(),
                        if count == 1 { "" } else { "s" }
                    )));
                }
            }
            (Action::KillNode | Action::RestartNode, _) => {
                return Err(target_at(format!("{name} needs a node target, such as \"session/1\"")));
            }
            (Action::AddNode, Target::Strategy(s)) => {
                let count = present(*s)?;
                if count >= MAX_NODES {
                    return Err(target_at(format!("add_node: {} would have more than {MAX_NODES} nodes", s.as_str())));
                }
                nodes[index(*s)] = Some(count + 1);
            }
            (Action::AddNode, _) => {
                return Err(target_at("add_node needs a strategy target: \"session\" or \"token\"".into()));
            }
            (Action::RotateKey, Target::Strategy(StrategyName::Session)) => {
                return Err(target_at(
                    "rotate_key applies to the token strategy only; sessions have no signing key".into(),
                ));
            }
            (Action::RotateKey, Target::All) => {
                present(StrategyName::Token)?;
            }
            (Action::RevokeUser | Action::RotateKey | Action::SetLoad | Action::SetRouting, Target::Strategy(s)) => {
                present(*s)?;
            }
            (Action::RevokeUser | Action::RotateKey | Action::SetLoad | Action::SetRouting, Target::Node(..)) => {
                return Err(target_at(format!("{name} takes a strategy target (\"session\" or \"token\") or none")));
            }
            (Action::RevokeUser | Action::SetLoad | Action::SetRouting, Target::All) => {}
            // Not in ACTIONS: a scenario cannot schedule it.
            (Action::RetireKeys, _) => {}
        }
    }
    Ok(parsed.into_iter().map(|p| p.event).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

    /// The example of SPEC.md "Scenario files (TOML)", verbatim.
    const SPEC_EXAMPLE: &str = r#"name = "Memory grows with logged-in users"
duration = "60s"
seed = 42
mode = "concurrent"            # concurrent: both strategies at once; sequential: one after the other

[narrative]
en = "Each logged-in user costs a session on the server ..."
ko = "로그인한 사용자마다 서버에 세션이 하나씩 ..."

[users]
count = 20000                  # distinct accounts in the user directory
password_hash = "argon2id"     # argon2id (default, OWASP parameters) | sha256 (fast, insecure: for labs
                               # where login cost would hide everything else)

[load]
model = "closed"               # closed: virtual users; open: arrival rate in requests/s
stages = [ { at = "0s", target = 50 }, { at = "40s", target = 2000 } ]  # linear ramp between stages
think_time = "50ms..200ms"
requests_per_login = 50        # a visit: log in, make this many requests (0 = endless visit)
logout_ratio = 0.3             # share of visits that end with an explicit logout; the rest abandon
                               # their session, which lives on until its TTL, as real users do

[cluster]
routing = "sticky"             # round_robin | random | sticky | least_outstanding
machine = { workers = 16, service_time = "2ms" }   # optional simulated capacity per node
store_rtt = "500us"                                 # optional simulated store round trip

[session]
nodes = 3
store = "memory"               # memory | redis
redis_url = "redis://127.0.0.1:6379/"
ttl = "30m"
payload_bytes = 200            # data kept per session
max_memory = "64MiB"           # optional: evict beyond this

[token]
nodes = 3
algorithm = "HS256"            # HS256 | RS256 | ES256 | EdDSA | Ed25519
ttl = "15m"
refresh = true
revocation = "none"            # none | denylist
claims_bytes = 200

# A strategy whose table is absent does not run.

[[events]]
at = "30s"
action = "kill_node"           # kill_node | add_node | revoke_user | rotate_key | set_load
target = "session/1"
"#;

    const MINIMAL: &str = "name = \"m\"\nduration = \"10s\"\n[load]\nstages = [{ at = \"0s\", target = 5 }]\n[token]\n";

    fn err(text: &str) -> String {
        match parse_scenario(text, "x.toml") {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn spec_example_parses_with_its_values() {
        let s = parse_scenario(SPEC_EXAMPLE, "spec.toml").unwrap();
        assert_eq!(s.name, "Memory grows with logged-in users");
        assert_eq!(s.duration, Duration::from_secs(60));
        assert_eq!(s.seed, 42);
        assert_eq!(s.mode, Mode::Concurrent);
        assert_eq!(s.tick, ms(250));
        assert!(s.narrative.en.starts_with("Each logged-in user"));
        assert!(s.narrative.ko.starts_with("로그인한"));
        // Without a name_ko, the name is shown in both languages.
        assert_eq!(s.title(Language::Korean), "Memory grows with logged-in users");
        assert_eq!(s.users, UsersSpec { count: 20000, password_hash: PasswordHashKind::Argon2id });
        assert_eq!(s.load.model, LoadModel::Closed);
        assert_eq!(
            s.load.stages,
            vec![Stage { at: Duration::ZERO, target: 50.0 }, Stage { at: Duration::from_secs(40), target: 2000.0 }]
        );
        assert_eq!(s.load.think_time, (ms(50), ms(200)));
        assert_eq!(s.load.requests_per_login, 50);
        assert_eq!(s.load.logout_ratio, 0.3);
        assert_eq!(s.cluster.routing, Routing::Sticky);
        assert_eq!(s.cluster.machine, Some(MachineSpec { workers: 16, service_time: ms(2) }));
        assert_eq!(s.cluster.store_rtt, Some(Duration::from_micros(500)));
        assert_eq!(s.cluster.health_check, Duration::from_secs(1));
        assert_eq!(
            s.session,
            Some(SessionSpec {
                nodes: 3,
                store: StoreKind::Memory,
                redis_url: "redis://127.0.0.1:6379/".into(),
                ttl: Duration::from_secs(1800),
                payload_bytes: 200,
                max_memory: Some(64 << 20),
            })
        );
        assert_eq!(
            s.token,
            Some(TokenSpec {
                nodes: 3,
                algorithm: Alg::HS256,
                ttl: Duration::from_secs(900),
                refresh: true,
                revocation: Revocation::None,
                claims_bytes: 200,
            })
        );
        assert_eq!(
            s.events,
            vec![EventSpec {
                at: Duration::from_secs(30),
                action: Action::KillNode,
                target: Target::Node(StrategyName::Session, 1),
                value: None,
                user: None,
                routing: None,
            }]
        );
    }

    #[test]
    fn defaults_fill_every_absent_key() {
        let s = parse_scenario(MINIMAL, "m.toml").unwrap();
        assert_eq!(s.seed, 42);
        assert_eq!(s.mode, Mode::Concurrent);
        assert_eq!(s.tick, ms(250));
        assert_eq!(s.narrative, Narrative::default());
        assert_eq!(s.users, UsersSpec { count: 10_000, password_hash: PasswordHashKind::Argon2id });
        assert_eq!(s.load.model, LoadModel::Closed);
        assert_eq!(s.load.think_time, (Duration::ZERO, Duration::ZERO));
        assert_eq!(s.load.requests_per_login, 50);
        assert_eq!(s.load.logout_ratio, 0.3);
        assert_eq!(
            s.cluster,
            ClusterSpec {
                routing: Routing::RoundRobin,
                machine: None,
                store_rtt: None,
                store_machine: None,
                health_check: Duration::from_secs(1)
            }
        );
        assert_eq!(s.session, None);
        assert_eq!(
            s.token,
            Some(TokenSpec {
                nodes: 1,
                algorithm: Alg::HS256,
                ttl: Duration::from_secs(900),
                refresh: true,
                revocation: Revocation::None,
                claims_bytes: 0,
            })
        );
        assert!(s.events.is_empty());

        let s = parse_scenario(&MINIMAL.replace("[token]\n", "[session]\n"), "m.toml").unwrap();
        assert_eq!(
            s.session,
            Some(SessionSpec {
                nodes: 1,
                store: StoreKind::Memory,
                redis_url: "redis://127.0.0.1:6379/".into(),
                ttl: Duration::from_secs(1800),
                payload_bytes: 200,
                max_memory: None,
            })
        );
        assert_eq!(s.token, None);
    }

    #[test]
    fn single_think_time_and_tick() {
        let text = MINIMAL.replace("[load]\n", "tick = \"1s\"\n[load]\nthink_time = \"100ms\"\n");
        let s = parse_scenario(&text, "m.toml").unwrap();
        assert_eq!(s.load.think_time, (ms(100), ms(100)));
        assert_eq!(s.tick, Duration::from_secs(1));
        let bad = MINIMAL.replace("[load]\n", "tick = \"5ms\"\n[load]\n");
        assert_eq!(err(&bad), "x.toml:3:8: tick must be between 10ms and 10s, not \"5ms\"");
        let bad = MINIMAL.replace("[load]\n", "[load]\nthink_time = \"200ms..50ms\"\n");
        assert!(err(&bad).contains("minimum is more than the maximum"), "{}", err(&bad));
    }

    #[test]
    fn unknown_routing_names_value_and_position() {
        let text = SPEC_EXAMPLE.replace("routing = \"sticky\"", "routing = \"stiky\"");
        assert_eq!(
            err(&text),
            "x.toml:24:11: unknown routing \"stiky\"; expected one of round_robin, random, sticky, least_outstanding"
        );
    }

    #[test]
    fn unknown_keys_are_errors_that_name_key_and_table() {
        let e = err(&MINIMAL.replace("[load]\n", "[load]\nfoo = 1\n"));
        assert_eq!(
            e,
            "x.toml:4:1: unknown key \"foo\" in [load]; expected one of model, stages, think_time, \
             requests_per_login, logout_ratio, client"
        );
        // Every table is recognised by its keys.
        let cases = [
            ("nme = \"x\"\n", "at the top level"),
            ("[narrative]\nfr = \"x\"\n", "in [narrative]"),
            ("[users]\ncounts = 3\n", "in [users]"),
            ("[cluster]\nrouting = \"random\"\nmachine = { workers = 1, service = \"1ms\" }\n", "in cluster.machine"),
            ("[cluster]\nrouter = \"random\"\n", "in [cluster]"),
            ("[session]\nnode = 2\n", "in [session]"),
            ("alg = \"HS256\"\n", "in [token]"),
            ("[[events]]\nat = \"1s\"\nactoin = \"add_node\"\n", "in [[events]]"),
        ];
        for (extra, place) in cases {
            // MINIMAL ends in [token]: a top-level key goes first, the rest after.
            let text =
                if place == "at the top level" { format!("{extra}{MINIMAL}") } else { format!("{MINIMAL}{extra}") };
            let e = err(&text);
            assert!(e.contains(place) && e.contains("unknown key"), "{extra:?}: {e}");
        }
        let e = err(&MINIMAL.replace("target = 5", "target = 5, tagret = 3"));
        assert!(e.contains("unknown key \"tagret\" in a stage of load.stages"), "{e}");
    }

    #[test]
    fn bad_duration_names_the_value() {
        let e = err(&MINIMAL.replace("\"10s\"", "\"10 seconds please\""));
        assert!(e.starts_with("x.toml:2:12: duration: invalid duration \"10 seconds please\""), "{e}");
        let e = err(&MINIMAL.replace("\"10s\"", "10"));
        assert!(e.starts_with("x.toml:2:12: duration: invalid type: integer `10`, expected a duration string"), "{e}");
        let e = err(&MINIMAL.replace("at = \"0s\"", "at = 0"));
        assert!(e.starts_with("x.toml:4:18: at: invalid type: integer `0`"), "{e}");
    }

    #[test]
    fn bad_enums_and_numbers() {
        let e = err(&MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"HS512\"\n"));
        assert_eq!(e, "x.toml:6:13: unknown algorithm \"HS512\"; expected one of HS256, RS256, ES256, EdDSA, Ed25519");
        let e = err(&MINIMAL.replace("[token]\n", "[token]\nnodes = 33\n"));
        assert_eq!(e, "x.toml:6:9: token.nodes must be between 1 and 32, not 33");
        let e = err(&MINIMAL.replace("[load]\n", "[load]\nlogout_ratio = 1.5\n"));
        assert!(e.starts_with("x.toml:4:16: logout_ratio must be between 0 and 1"), "{e}");
        let e = err(&MINIMAL.replace("[load]\n", "[load]\nclient = \"app\"\n"));
        assert_eq!(e, "x.toml:4:10: unknown client \"app\"; expected one of browser, mobile, mobile_naive");
        let s = parse_scenario(&MINIMAL.replace("[load]\n", "[load]\nclient = \"mobile_naive\"\n"), "m").unwrap();
        assert_eq!(s.load.client, ClientKind::MobileNaive);
        assert_eq!(parse_scenario(MINIMAL, "m").unwrap().load.client, ClientKind::Browser, "the default");
        let e = err(&MINIMAL.replace("[token]\n", "[session]\nredis_url = \"http://x\"\n[token]\n"));
        assert!(e.starts_with("x.toml:6:13: redis_url \"http://x\" must start with redis://"), "{e}");
        // Algorithm names are case-insensitive, as on the command line.
        let s = parse_scenario(&MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"eddsa\"\n"), "m").unwrap();
        assert_eq!(s.token.map(|t| t.algorithm), Some(Alg::EdDSA));
        let s = parse_scenario(&MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"Ed25519\"\n"), "m").unwrap();
        assert_eq!(s.token.map(|t| t.algorithm), Some(Alg::Ed25519), "RFC 9864");
    }

    #[test]
    fn events_are_checked_against_the_strategies() {
        let kill4 = SPEC_EXAMPLE.replace("target = \"session/1\"", "target = \"session/4\"");
        assert_eq!(err(&kill4), "x.toml:49:10: kill_node targets session/4, but session has 3 nodes at that time");
        // After an add_node, node 4 exists.
        let added = format!("{kill4}\n[[events]]\nat = \"10s\"\naction = \"add_node\"\ntarget = \"session\"\n");
        let s = parse_scenario(&added, "x.toml").unwrap();
        assert_eq!(s.events.iter().map(|e| e.action).collect::<Vec<_>>(), vec![Action::AddNode, Action::KillNode]);

        let rotate = SPEC_EXAMPLE.replace("\"kill_node\"", "\"rotate_key\"").replace("\"session/1\"", "\"session\"");
        assert!(err(&rotate).contains("rotate_key applies to the token strategy only"), "{}", err(&rotate));
        let no_target = SPEC_EXAMPLE.replace("target = \"session/1\"\n", "");
        assert!(err(&no_target).starts_with("x.toml:46:1: kill_node needs a node target"), "{}", err(&no_target));
        let add_node = SPEC_EXAMPLE.replace("\"kill_node\"", "\"add_node\"");
        assert!(err(&add_node).contains("add_node needs a strategy target"));
        let late = SPEC_EXAMPLE.replace("at = \"30s\"", "at = \"61s\"");
        assert!(err(&late).contains("after the end of the run (1m)"), "{}", err(&late));
        let set_load = SPEC_EXAMPLE.replace("\"kill_node\"", "\"set_load\"").replace("\"session/1\"", "\"token\"");
        assert!(err(&set_load).contains("set_load needs a `value`"));
        let s = parse_scenario(&format!("{set_load}value = 10\n"), "x").unwrap();
        assert_eq!(s.events[0].value, Some(10.0));
        let bad_target = SPEC_EXAMPLE.replace("\"session/1\"", "\"sesion/1\"");
        assert!(err(&bad_target).contains("unknown target \"sesion/1\""));
        let zero = SPEC_EXAMPLE.replace("\"session/1\"", "\"session/0\"");
        assert!(err(&zero).contains("numbered from 1"));
        // The targeted strategy's table must be present.
        let only_token = format!("{MINIMAL}[[events]]\nat = \"1s\"\naction = \"kill_node\"\ntarget = \"session/1\"\n");
        assert!(err(&only_token).contains("no [session] table"), "{}", err(&only_token));
        let rotate_all = format!(
            "{}[[events]]\nat = \"1s\"\naction = \"rotate_key\"\n",
            MINIMAL.replace("[token]\n", "[session]\n")
        );
        assert!(err(&rotate_all).contains("no [token] table"), "{}", err(&rotate_all));
    }

    #[test]
    fn resource_needs_published_keys_and_one_place_to_ask_about_sessions() {
        assert_eq!(parse_scenario(MINIMAL, "m").unwrap().resource, None);
        let es256 = MINIMAL.replace("[token]\n", "[token]\nalgorithm = \"ES256\"\n[session]\n[resource]\n");
        assert_eq!(parse_scenario(&es256, "m").unwrap().resource, Some(ResourceSpec { nodes: 1 }));
        let two = es256.replace("[resource]\n", "[resource]\nnodes = 2\n");
        assert_eq!(parse_scenario(&two, "m").unwrap().resource, Some(ResourceSpec { nodes: 2 }));
        let hs256 = es256.replace("\"ES256\"", "\"HS256\"");
        let e = err(&hs256);
        assert!(e.starts_with("x.toml:6:13: [resource] checks tokens against the token nodes' published keys"), "{e}");
        let e = err(&MINIMAL.replace("[token]\n", "[token]\n[resource]\n"));
        assert!(e.starts_with("x.toml:6:1: [resource] checks tokens"), "{e}");
        let spread = es256.replace("[session]\n", "[session]\nnodes = 2\n");
        assert!(err(&spread).contains("use [session] nodes = 1, or store = \"redis\""), "{}", err(&spread));
        let shared = spread.replace("nodes = 2\n", "nodes = 2\nstore = \"redis\"\n");
        assert!(parse_scenario(&shared, "m").is_ok());
        let e = err(&es256.replace("[resource]\n", "[resource]\nnode = 1\n"));
        assert!(e.contains("unknown key \"node\" in [resource]; expected one of nodes"), "{e}");
        let e = err(&es256.replace("[resource]\n", "[resource]\nnodes = 0\n"));
        assert!(e.contains("resource.nodes must be between 1 and 32, not 0"), "{e}");
    }

    #[test]
    fn a_strategy_table_is_required() {
        let text = MINIMAL.replace("[token]\n", "");
        assert_eq!(err(&text), "x.toml: no strategy to run: add a [session] table, a [token] table, or both");
    }

    #[test]
    fn stages_must_increase() {
        let text =
            MINIMAL.replace("{ at = \"0s\", target = 5 }", "{ at = \"5s\", target = 5 }, { at = \"5s\", target = 9 }");
        assert_eq!(err(&text), "x.toml:4:45: stage times must strictly increase: \"5s\" is not after 5s");
        let empty = MINIMAL.replace("{ at = \"0s\", target = 5 }", "");
        assert!(err(&empty).contains("at least one stage"));
        let missing = MINIMAL.replace("stages = [{ at = \"0s\", target = 5 }]\n", "");
        assert!(err(&missing).contains("missing key \"stages\" in [load]"), "{}", err(&missing));
    }

    #[test]
    fn syntax_errors_have_a_position_and_missing_files_say_so() {
        let e = err("name = \"x\"\nduration = \n");
        assert!(e.starts_with("x.toml:2:"), "{e}");
        assert_eq!(err(&format!("{MINIMAL}nodes = 2\nnodes = 3\n")), "x.toml:7:1: duplicate key nodes");
        let e = load_scenario(Path::new("/nonexistent/authlab.toml")).unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/authlab.toml: cannot read: "), "{e}");
    }
    #[test]
    fn charts_are_named_checked_and_default_to_the_standard_five() {
        assert_eq!(parse_scenario(MINIMAL, "m").unwrap().charts, Chart::STANDARD.to_vec());
        let text = format!("charts = [\"throughput\", \"cpu_per_request\"]\n{MINIMAL}");
        assert_eq!(parse_scenario(&text, "m").unwrap().charts, vec![Chart::Throughput, Chart::CpuPerRequest]);
        let bad = format!("charts = [\"cpu\"]\n{MINIMAL}");
        assert!(
            err(&bad).starts_with("x.toml:1:11: unknown chart \"cpu\"; expected one of throughput,"),
            "{}",
            err(&bad)
        );
        let twice = format!("charts = [\"latency\", \"latency\"]\n{MINIMAL}");
        assert!(err(&twice).contains("chart \"latency\" is listed twice"), "{}", err(&twice));
        assert!(err(&format!("charts = []\n{MINIMAL}")).contains("at least one chart"));
    }

    #[test]
    fn store_machine_needs_a_shared_store() {
        let redis = MINIMAL.replace("[token]\n", "[session]\nstore = \"redis\"\n");
        let text = format!("{redis}[cluster]\nstore_machine = {{ workers = 2, service_time = \"1ms\" }}\n");
        let s = parse_scenario(&text, "x").unwrap();
        assert_eq!(s.cluster.store_machine, Some(MachineSpec { workers: 2, service_time: ms(1) }));
        let memory = text.replace("store = \"redis\"", "store = \"memory\"");
        assert!(err(&memory).contains("store_machine simulates the shared store"), "{}", err(&memory));
        let partial = text.replace(", service_time = \"1ms\"", "");
        assert!(err(&partial).contains("missing key \"service_time\" in cluster.store_machine"), "{}", err(&partial));
    }
    #[test]
    fn set_routing_and_revoking_several_users() {
        let base = MINIMAL.replace("[token]\n", "[session]\n");
        let switch = format!("{base}[[events]]\nat = \"5s\"\naction = \"set_routing\"\nrouting = \"sticky\"\n");
        let s = parse_scenario(&switch, "x").unwrap();
        assert_eq!((s.events[0].action, s.events[0].routing), (Action::SetRouting, Some(Routing::Sticky)));
        assert!(err(&switch.replace("sticky", "stiky")).contains("unknown routing \"stiky\""));
        assert!(err(&switch.replace("routing = \"sticky\"\n", "")).contains("set_routing needs a `routing`"));
        let revoke = format!("{base}[[events]]\nat = \"5s\"\naction = \"revoke_user\"\nvalue = 50\n");
        assert_eq!(parse_scenario(&revoke, "x").unwrap().events[0].value, Some(50.0));
        assert!(err(&revoke.replace("50", "0.5")).contains("how many users"));
        assert!(err(&format!("{revoke}user = \"user0000001\"\n")).contains("not both"));
        let misplaced =
            format!("{base}[[events]]\nat = \"5s\"\naction = \"set_load\"\nvalue = 5\nrouting = \"sticky\"\n");
        assert!(err(&misplaced).contains("`routing` applies to set_routing only"));
    }

    #[test]
    fn a_korean_name_is_shown_in_korean_only() {
        let text = MINIMAL.replace("[load]", "[narrative]\nname_ko = \" 메모리 \"\n[load]");
        let s = parse_scenario(&text, "t.toml").unwrap();
        assert_eq!(s.title(Language::Korean), "메모리");
        assert_eq!(s.title(Language::English), "m");
    }
}
