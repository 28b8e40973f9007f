//! The friendly-error tables: every table's keys, and the rewriting of toml's and serde's messages
//! into ones that name the table, the key or the duplicate they are about.
//!
//! serde says "unknown field `foo`, expected one of `a`, `b`"; we say which table.

use std::ops::Range;

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
    "headline",
    "resource",
    "target",
    "thresholds",
];
const NARRATIVE_KEYS: &[&str] = &["en", "ko", "name_ko"];
const USERS_KEYS: &[&str] = &["count", "password_hash"];
const LOAD_KEYS: &[&str] = &["model", "stages", "think_time", "requests_per_login", "logout_ratio", "client"];
const STAGE_KEYS: &[&str] = &["at", "target"];
const CLUSTER_KEYS: &[&str] = &["routing", "machine", "store_rtt", "store_machine", "health_check", "admin_token_file"];
const MACHINE_KEYS: &[&str] = &["workers", "service_time"];
const SESSION_KEYS: &[&str] = &[
    "nodes",
    "endpoints",
    "store",
    "redis_url",
    "redis_urls",
    "primaries",
    "postgres_url",
    "pool",
    "ttl",
    "payload_bytes",
    "max_memory",
];
const TOKEN_KEYS: &[&str] = &["nodes", "endpoints", "algorithm", "ttl", "refresh", "revocation", "claims_bytes"];
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
    ("in a [target.*] table", super::target::TARGET_KEYS),
];

/// Makes toml's and serde's messages name what they are about: the table of an unknown key, the
/// key of a value of the wrong type, the duplicated key. Other messages pass through.
pub(super) fn friendly_toml_message(message: &str, text: &str, span: Option<Range<usize>>) -> String {
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
