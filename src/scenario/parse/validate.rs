//! Validation: the raw scenario checked, table by table, into the typed [`Scenario`] with every
//! default filled in; each failure keeps the span of the value it is about.

use std::ops::Range;
use std::time::Duration;

use super::events::validate_events;
use super::raw::*;
use super::target::{both_present, validate_targets};
use super::{MAX_NODES, MAX_USERS};
use crate::scenario::model::*;
use crate::token::keys::{Alg, SUPPORTED, algorithm_name, parse_algorithm};
use crate::units::{parse_bytes, parse_duration};
use crate::users::PasswordHashKind;

const MIN_TICK: Duration = Duration::from_millis(10);
const MAX_TICK: Duration = Duration::from_secs(10);

/// A validation failure: a message and, when known, the span of the offending value.
pub(super) struct Problem {
    pub(super) span: Option<Range<usize>>,
    pub(super) message: String,
}

pub(super) type Check<T> = Result<T, Problem>;

pub(super) fn at<T>(value: &S<T>, message: impl Into<String>) -> Problem {
    Problem { span: Some(value.span()), message: message.into() }
}

pub(super) fn nowhere(message: impl Into<String>) -> Problem {
    Problem { span: None, message: message.into() }
}

/// Looks a spanned string up among `accepted` (value, name) pairs, such as an enum's `NAMES`.
pub(super) fn one_of<T: Copy>(what: &str, value: &S<String>, accepted: &[(T, &str)]) -> Check<T> {
    let text = value.get_ref().as_str();
    accepted.iter().find(|(_, name)| *name == text).map(|(v, _)| *v).ok_or_else(|| {
        let names: Vec<&str> = accepted.iter().map(|(_, n)| *n).collect();
        at(value, format!("unknown {what} {text:?}; expected one of {}", names.join(", ")))
    })
}

pub(super) fn duration(key: &str, value: &S<DurationText>) -> Check<Duration> {
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

pub(super) fn non_negative_f64(key: &str, value: &S<f64>) -> Check<f64> {
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

/// The actions a scenario can schedule: all but retire_keys, which the lab does by itself, and
/// remove_node, which the live view's endpoint list does.
pub(super) fn scheduled_actions() -> Vec<(Action, &'static str)> {
    let recorded_only = [Action::RetireKeys, Action::RemoveNode];
    Action::NAMES.iter().copied().filter(|(action, _)| !recorded_only.contains(action)).collect()
}

impl RawScenario {
    pub(super) fn validate(self) -> Check<Scenario> {
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
        let mode = self.mode.as_ref().map_or(Ok(Mode::default()), |m| one_of("mode", m, Mode::NAMES))?;
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
        let cluster_span = self.cluster.as_ref().and_then(|c| c.admin_token_file.as_ref().map(|f| f.span()));
        let cluster = validate_cluster(self.cluster)?;
        let session = self.session.map(validate_session).transpose()?;
        let algorithm_span = self.token.as_ref().and_then(|t| t.get_ref().algorithm.as_ref().map(|a| a.span()));
        let token = self.token.map(validate_token).transpose()?;
        let [session_target, token_target] = validate_targets(self.target)?;
        both_present((session.is_some(), session_target.is_some()), (token.is_some(), token_target.is_some()))?;
        let targets = Targets { session: session_target, token: token_target };
        if session.is_none() && token.is_none() && !targets.any() {
            return Err(nowhere(
                "no strategy to run: add a [session] table, a [token] table, or both (or [target.session], [target.token] for your own servers)",
            ));
        }
        if let (Some(span), Some(s)) = (store_machine_span.clone(), &session)
            && !s.store.is_redis()
        {
            let message =
                "store_machine simulates the shared store: it needs [session] store = \"redis\" or \"redis-cluster\"";
            return Err(Problem { span: Some(span), message: message.into() });
        }
        if let (Some(span), Some(s)) = (store_machine_span, &session)
            && !s.redis_urls.is_empty()
        {
            let message = "store_machine on a Redis Cluster gates each primary of the private cluster the lab starts: leave out redis_urls";
            return Err(Problem { span: Some(span), message: message.into() });
        }
        super::attach::check(&cluster, cluster_span, session.as_ref(), token.as_ref(), self.resource.as_ref())?;
        let events =
            validate_events(self.events.unwrap_or_default(), duration, session.as_ref(), token.as_ref(), &targets)?;
        let charts = validate_charts(self.charts)?;
        let headline = validate_headline(self.headline)?;
        if let (Some(resource), true) = (&self.resource, targets.any()) {
            return Err(at(
                resource,
                "[resource] runs beside the lab's own nodes; it cannot check the credentials of your own server",
            ));
        }
        let resource = self
            .resource
            .map(|r| validate_resource(r, session.as_ref(), token.as_ref(), algorithm_span))
            .transpose()?;
        let thresholds = super::thresholds::validate_thresholds(self.thresholds)?;
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
            targets,
            events,
            charts,
            headline,
            resource,
            thresholds,
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
            .map_or(Ok(PasswordHashKind::default()), |p| one_of("password_hash", p, PasswordHashKind::NAMES))?,
    })
}

fn validate_load(load: S<RawLoad>) -> Check<LoadSpec> {
    let span = load.span();
    let load = load.into_inner();
    let model = load.model.as_ref().map_or(Ok(LoadModel::default()), |m| one_of("load model", m, LoadModel::NAMES))?;
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
    let client = load.client.as_ref().map_or(Ok(ClientKind::default()), |c| one_of("client", c, ClientKind::NAMES))?;
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
            admin_token_file: None,
        });
    };
    let routing = c.routing.as_ref().map_or(Ok(Routing::default()), |r| one_of("routing", r, Routing::NAMES))?;
    let machine = c.machine.as_ref().map(|m| validate_machine("machine", m)).transpose()?;
    let store_machine = c.store_machine.as_ref().map(|m| validate_machine("store_machine", m)).transpose()?;
    let store_rtt = c.store_rtt.as_ref().map(|v| duration("store_rtt", v)).transpose()?;
    let health_check = positive_duration("health_check", c.health_check.as_ref(), Duration::from_secs(1))?;
    let admin_token_file = c.admin_token_file.as_ref().map(super::attach::token_file).transpose()?;
    Ok(ClusterSpec { routing, machine, store_rtt, store_machine, health_check, admin_token_file })
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
        let chart = one_of("chart", name, Chart::NAMES)?;
        if out.contains(&chart) {
            return Err(at(name, format!("chart {:?} is listed twice", name.get_ref())));
        }
        out.push(chart);
    }
    Ok(out)
}

/// `headline = ["sessions_held", "latency_p99", ...]`: none (no row) or more, each once.
fn validate_headline(headline: Option<S<Vec<S<String>>>>) -> Check<Vec<Headline>> {
    let Some(list) = headline else { return Ok(Headline::DEFAULT.to_vec()) };
    let mut out = Vec::new();
    for name in list.get_ref() {
        let figure = one_of("headline figure", name, Headline::NAMES)?;
        if out.contains(&figure) {
            return Err(at(name, format!("headline figure {:?} is listed twice", name.get_ref())));
        }
        out.push(figure);
    }
    Ok(out)
}

fn validate_session(session: S<RawSession>) -> Check<SessionSpec> {
    let s = session.into_inner();
    let endpoints = super::attach::endpoints("session", s.endpoints.as_ref(), s.nodes.as_ref())?;
    let store = s.store.as_ref().map_or(Ok(StoreKind::default()), |v| one_of("store", v, StoreKind::NAMES))?;
    let cluster = store == StoreKind::RedisCluster;
    if let (Some(v), true) = (&s.redis_url, cluster) {
        return Err(at(v, "a Redis Cluster is named by its seed nodes: use redis_urls = [\"redis://host:port\", ...]"));
    }
    let redis_url = match s.redis_url {
        None => crate::session_store::DEFAULT_REDIS_URL.to_owned(),
        Some(u) => {
            let url = u.get_ref();
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(at(&u, format!("redis_url {url:?} must start with redis:// (or rediss://)")));
            }
            u.into_inner()
        }
    };
    let mut redis_urls = Vec::new();
    if let Some(list) = s.redis_urls {
        if !cluster {
            return Err(at(&list, "redis_urls names a Redis Cluster's seed nodes: it needs store = \"redis-cluster\""));
        }
        if list.get_ref().is_empty() {
            return Err(at(&list, "redis_urls is empty: name a seed node, or leave it out for a private cluster"));
        }
        for u in list.into_inner() {
            if !(u.get_ref().starts_with("redis://") || u.get_ref().starts_with("rediss://")) {
                return Err(at(&u, format!("redis_urls: {:?} must start with redis:// (or rediss://)", u.get_ref())));
            }
            redis_urls.push(u.into_inner());
        }
    }
    if let (Some(v), false) = (&s.primaries, cluster && redis_urls.is_empty()) {
        return Err(at(
            v,
            "primaries sizes the private Redis Cluster the lab starts: it needs store = \"redis-cluster\" and no redis_urls",
        ));
    }
    let primaries = int_in("primaries", s.primaries.as_ref(), 3u32, 1, 16)?;
    let postgres_url = match s.postgres_url {
        None => crate::session_store::DEFAULT_POSTGRES_URL.to_owned(),
        Some(u) => {
            let url = u.get_ref();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(at(&u, format!("postgres_url {url:?} must start with postgres:// (or postgresql://)")));
            }
            u.into_inner()
        }
    };
    if let (Some(v), false) = (&s.pool, store == StoreKind::Postgres) {
        return Err(at(v, "pool sizes the PostgreSQL store's connections: it needs store = \"postgres\""));
    }
    let max_memory = s.max_memory.as_ref().map(|v| bytes("max_memory", v)).transpose()?;
    if let (Some(v), false) = (&s.max_memory, store == StoreKind::Memory) {
        return Err(at(v, "max_memory applies to the memory store only (store = \"memory\")"));
    }
    if let (Some(v), Some(0)) = (&s.max_memory, max_memory) {
        return Err(at(v, "max_memory must be more than 0"));
    }
    Ok(SessionSpec {
        nodes: match endpoints.len() {
            0 => int_in("session.nodes", s.nodes.as_ref(), 1u32, 1, i64::from(MAX_NODES))?,
            n => n as u32,
        },
        endpoints,
        store,
        redis_url,
        redis_urls,
        primaries,
        postgres_url,
        pool: int_in("pool", s.pool.as_ref(), 8u32, 1, 1000)?,
        ttl: positive_duration("ttl", s.ttl.as_ref(), Duration::from_secs(30 * 60))?,
        payload_bytes: int_in("payload_bytes", s.payload_bytes.as_ref(), 200usize, 0, i64::MAX)?,
        max_memory,
    })
}

fn validate_token(token: S<RawToken>) -> Check<TokenSpec> {
    let t = token.into_inner();
    let endpoints = super::attach::endpoints("token", t.endpoints.as_ref(), t.nodes.as_ref())?;
    let algorithm = match &t.algorithm {
        None => Alg::HS256,
        Some(a) => parse_algorithm(a.get_ref()).map_err(|_| {
            let names: Vec<&str> = SUPPORTED.iter().map(|a| algorithm_name(*a)).collect();
            at(a, format!("unknown algorithm {:?}; expected one of {}", a.get_ref(), names.join(", ")))
        })?,
    };
    Ok(TokenSpec {
        nodes: match endpoints.len() {
            0 => int_in("token.nodes", t.nodes.as_ref(), 1u32, 1, i64::from(MAX_NODES))?,
            n => n as u32,
        },
        endpoints,
        algorithm,
        ttl: positive_duration("ttl", t.ttl.as_ref(), Duration::from_secs(15 * 60))?,
        refresh: t.refresh.unwrap_or(true),
        revocation: t
            .revocation
            .as_ref()
            .map_or(Ok(Revocation::default()), |r| one_of("revocation", r, Revocation::NAMES))?,
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
                      nodes' sessions are not there: use [session] nodes = 1, or store = \"redis\" or \"postgres\""
                .into(),
        });
    }
    Ok(ResourceSpec { nodes })
}
