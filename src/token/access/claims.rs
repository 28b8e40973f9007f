//! What an access token says: its claims (with `aud` in either form and NumericDates checked on
//! the way in), and the policy a token node issues and accepts them under.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The `aud` claim: one audience, or several (RFC 7519 allows both forms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience (the JSON string form).
    One(String),
    /// Several audiences (the JSON array form).
    Many(Vec<String>),
}

/// Reads a string or an array of strings directly (serde's `untagged` would buffer the value and
/// try each form in turn, on every auth check).
impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Audience;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience::One(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Audience, E> {
                Ok(Audience::One(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut many = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(audience) = seq.next_element::<String>()? {
                    many.push(audience);
                }
                Ok(Audience::Many(many))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Audience {
    /// Whether `audience` is one of the token's audiences.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The subject: the user's name (`user0000042`).
    pub sub: String,
    /// The issuer: which service issued the token (the policy's `issuer`).
    pub iss: String,
    /// Whom the token is for: the issuing node's audience, and any extra ones.
    pub aud: Audience,
    /// Expiry, Unix seconds: refused after this (plus the leeway).
    #[serde(deserialize_with = "numeric_date")]
    pub exp: u64,
    /// Issued at, Unix seconds.
    #[serde(deserialize_with = "numeric_date")]
    pub iat: u64,
    /// Not before, Unix seconds: refused before this (minus the leeway).
    #[serde(deserialize_with = "numeric_date")]
    pub nbf: u64,
    /// The token's unique id: what the denylist names it by.
    pub jti: String,
    /// Space-separated scopes the token grants (RFC 9068).
    pub scope: String,
    /// Fine-grained permissions; `--claims-bytes` pads this list so token size can be studied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perms: Vec<String>,
}

/// The largest NumericDate a token may carry: `i64::MAX` seconds.
pub(super) const MAX_NUMERIC_DATE: u64 = i64::MAX as u64;

/// Reads a NumericDate (RFC 7519 section 2): a JSON number of seconds since 1970, integer or not,
/// from 0 to `i64::MAX`; a fraction is dropped (so `exp` ends, and `iat` counts as issued, at the
/// start of its second). Strings, booleans, `null`, negative numbers and larger ones are refused.
pub(super) fn numeric_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a NumericDate: a number of seconds from 0 to 2^63 - 1")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            if v <= MAX_NUMERIC_DATE { Ok(v) } else { Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)) }
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
            // 2^63 is exactly representable; every finite f64 below it floors to an i64.
            if v.is_finite() && v >= 0.0 && v < MAX_NUMERIC_DATE as f64 {
                Ok(v.floor() as u64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    deserializer.deserialize_any(Visitor)
}

impl AccessClaims {
    /// Whether the space-separated `scope` claim (RFC 9068) grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|granted| granted == scope)
    }
}

/// What a token node puts in its tokens and accepts from callers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TokenPolicy {
    /// The `iss` this node puts in its tokens and requires of callers (default `authlab`).
    pub issuer: String,
    /// The audience this node accepts; its tokens are always issued for it.
    pub audience: String,
    /// Other audiences the tokens are issued for too (resource services that accept them, such
    /// as `orders-api`); with any, `aud` is an array.
    pub extra_audiences: Vec<String>,
    /// Space-separated scopes every token grants.
    pub scope: String,
    /// How long an access token lives from its issue (default 15 min).
    pub access_ttl: Duration,
    /// Clock skew forgiven on `exp`, `nbf` and `iat` (default 5 s).
    pub leeway: Duration,
    /// Roughly how many bytes of `perms` each token carries.
    pub claims_bytes: usize,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            issuer: "authlab".into(),
            audience: "authlab-api".into(),
            extra_audiences: Vec::new(),
            scope: "profile:read".into(),
            access_ttl: Duration::from_secs(15 * 60),
            leeway: Duration::from_secs(5),
            claims_bytes: 0,
        }
    }
}
