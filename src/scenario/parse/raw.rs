//! The raw scenario: what the TOML says, as serde reads it (unknown keys are errors), with the span
//! of every value, before any validation.

use std::fmt;

use serde::Deserialize;
use toml::Spanned;

/// A duration string; the type exists for its error message on a non-string value.
#[derive(Debug)]
pub(super) struct DurationText(pub(super) String);

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
pub(super) enum SizeText {
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

pub(super) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) name: Option<S<String>>,
    pub(super) duration: Option<S<DurationText>>,
    pub(super) seed: Option<S<i64>>,
    pub(super) mode: Option<S<String>>,
    pub(super) tick: Option<S<DurationText>>,
    pub(super) narrative: Option<RawNarrative>,
    pub(super) users: Option<RawUsers>,
    pub(super) load: Option<S<RawLoad>>,
    pub(super) cluster: Option<RawCluster>,
    pub(super) session: Option<S<RawSession>>,
    pub(super) token: Option<S<RawToken>>,
    pub(super) events: Option<Vec<S<RawEvent>>>,
    pub(super) charts: Option<S<Vec<S<String>>>>,
    pub(super) headline: Option<S<Vec<S<String>>>>,
    pub(super) resource: Option<S<RawResource>>,
    pub(super) target: Option<super::target::RawTargets>,
    pub(super) thresholds: Option<std::collections::BTreeMap<S<String>, S<toml::Value>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNarrative {
    pub(super) en: Option<String>,
    pub(super) ko: Option<String>,
    pub(super) name_ko: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUsers {
    pub(super) count: Option<S<i64>>,
    pub(super) password_hash: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLoad {
    pub(super) model: Option<S<String>>,
    pub(super) stages: Option<S<Vec<S<RawStage>>>>,
    pub(super) think_time: Option<S<DurationText>>,
    pub(super) requests_per_login: Option<S<i64>>,
    pub(super) logout_ratio: Option<S<f64>>,
    pub(super) client: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStage {
    pub(super) at: Option<S<DurationText>>,
    pub(super) target: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCluster {
    pub(super) routing: Option<S<String>>,
    pub(super) machine: Option<S<RawMachine>>,
    pub(super) store_rtt: Option<S<DurationText>>,
    pub(super) store_machine: Option<S<RawMachine>>,
    pub(super) health_check: Option<S<DurationText>>,
    pub(super) admin_token_file: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMachine {
    pub(super) workers: Option<S<i64>>,
    pub(super) service_time: Option<S<DurationText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSession {
    pub(super) nodes: Option<S<i64>>,
    pub(super) endpoints: Option<S<Vec<S<String>>>>,
    pub(super) store: Option<S<String>>,
    pub(super) redis_url: Option<S<String>>,
    pub(super) redis_urls: Option<S<Vec<S<String>>>>,
    pub(super) primaries: Option<S<i64>>,
    pub(super) postgres_url: Option<S<String>>,
    pub(super) pool: Option<S<i64>>,
    pub(super) ttl: Option<S<DurationText>>,
    pub(super) payload_bytes: Option<S<i64>>,
    pub(super) max_memory: Option<S<SizeText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResource {
    pub(super) nodes: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawToken {
    pub(super) nodes: Option<S<i64>>,
    pub(super) endpoints: Option<S<Vec<S<String>>>>,
    pub(super) algorithm: Option<S<String>>,
    pub(super) ttl: Option<S<DurationText>>,
    pub(super) refresh: Option<bool>,
    pub(super) revocation: Option<S<String>>,
    pub(super) claims_bytes: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvent {
    pub(super) at: Option<S<DurationText>>,
    pub(super) action: Option<S<String>>,
    pub(super) target: Option<S<String>>,
    pub(super) value: Option<S<f64>>,
    pub(super) user: Option<S<String>>,
    pub(super) routing: Option<S<String>>,
}
