//! Which web pages on other origins a browser lets call a node: each strategy's CORS policy.
//!
//! A bearer token travels in a header the page's own script sets, so a token node can answer any
//! origin with `Access-Control-Allow-Origin: *`. A session cookie travels only on credentialed
//! requests, and the Fetch standard lets a browser hand such an answer to a page only when the
//! server names the page's exact origin and adds `Access-Control-Allow-Credentials: true`; a
//! wildcard never qualifies. So a session node answers only the origins it is given.

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method};
use tower_http::cors::{AllowCredentials, AllowOrigin, Any, CorsLayer};

/// `--cors-origin`: which other origins' pages a browser lets call the node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No `--cors-origin`: the strategy's default. A token node answers any origin (`*`, bearer
    /// requests, no credentials); a session node answers none.
    #[default]
    StrategyDefault,
    /// `--cors-origin '*'`: `Access-Control-Allow-Origin: *`, never with credentials (the Fetch
    /// standard forbids the pair). On a session node this shows that a cookie request under a
    /// wildcard cannot work: browsers refuse every credentialed answer.
    Any,
    /// Only these exact origins, echoed back in `Access-Control-Allow-Origin`; a session node adds
    /// `Access-Control-Allow-Credentials: true` for them.
    List(Vec<String>),
}

/// A `--cors-origin` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorsError {
    /// A value that is not an http(s) origin (`null`, a path, a user name, ...).
    #[error("--cors-origin {value:?}: {reason}; expected an origin such as http://127.0.0.1:8080, or *")]
    BadOrigin {
        /// The value as given (trimmed).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `*` given together with explicit origins.
    #[error("--cors-origin '*' cannot be combined with other origins")]
    WildcardAmongOrigins,
}

impl CorsOrigins {
    /// The policy that the `--cors-origin` values (in order) ask for; none given is the default.
    pub fn from_args<S: AsRef<str>>(values: &[S]) -> Result<CorsOrigins, CorsError> {
        let values: Vec<&str> = values.iter().map(|v| v.as_ref().trim()).collect();
        if values.is_empty() {
            return Ok(CorsOrigins::StrategyDefault);
        }
        if values.contains(&"*") {
            return if values.iter().all(|v| *v == "*") {
                Ok(CorsOrigins::Any)
            } else {
                Err(CorsError::WildcardAmongOrigins)
            };
        }
        let mut origins: Vec<String> = Vec::with_capacity(values.len());
        for value in values {
            let origin = normalize_origin(value)?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(CorsOrigins::List(origins))
    }
}

/// How a node's callers prove who they are, which decides what CORS may allow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Credentials {
    /// A cookie the browser keeps and sends: the session strategy.
    Cookie,
    /// An `Authorization: Bearer` header the page's script sets.
    Bearer,
}

/// The CORS middleware for a node whose callers use `credentials`; `None` when no other origin is
/// allowed (a session node without `--cors-origin`): then a preflight gets no CORS headers at all.
pub(super) fn layer(credentials: Credentials, origins: &CorsOrigins) -> Option<CorsLayer> {
    let base = CorsLayer::new().allow_methods([Method::GET, Method::POST]);
    let allowed = |origins: &[String]| {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect::<Vec<_>>())
    };
    match credentials {
        Credentials::Bearer => {
            let base = base.allow_headers([AUTHORIZATION, CONTENT_TYPE]).expose_headers([WWW_AUTHENTICATE]);
            Some(match origins {
                CorsOrigins::StrategyDefault | CorsOrigins::Any => base.allow_origin(Any),
                CorsOrigins::List(list) => base.allow_origin(allowed(list)),
            })
        }
        Credentials::Cookie => {
            let base = base.allow_headers([CONTENT_TYPE]);
            match origins {
                CorsOrigins::StrategyDefault => None,
                CorsOrigins::Any => Some(base.allow_origin(Any)),
                CorsOrigins::List(list) => {
                    let allow_origin = allowed(list);
                    let list = list.clone();
                    // Only an allowed origin is told it may send credentials.
                    let credentials = AllowCredentials::predicate(move |origin, _| {
                        origin.to_str().is_ok_and(|o| list.iter().any(|allowed| allowed == o))
                    });
                    Some(base.allow_origin(allow_origin).allow_credentials(credentials))
                }
            }
        }
    }
}

/// An origin as a browser writes it in the `Origin` header: lower-case `scheme://host[:port]`,
/// without a path and without the scheme's default port.
fn normalize_origin(value: &str) -> Result<String, CorsError> {
    let bad = |reason| CorsError::BadOrigin { value: value.to_owned(), reason };
    if value.eq_ignore_ascii_case("null") {
        return Err(bad("\"null\" is the origin of sandboxed and file pages: allowing it allows them all"));
    }
    let lower = value.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else { return Err(bad("it has no scheme://")) };
    let default_port = match scheme {
        "http" => "80",
        "https" => "443",
        _ => return Err(bad("the scheme must be http or https")),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(bad("it has no host"));
    }
    if authority.contains(['/', '?', '#', '@']) || authority.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("an origin has no path, query, fragment or user name"));
    }
    // `[::1]:8080` or `host:8080`: the port is what follows the last colon outside brackets.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() || host == "[]" {
        return Err(bad("it has no host"));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad("the port must be a number from 1 to 65535")),
            Ok(_) if p == default_port => None,
            Ok(n) => Some(n),
        },
    };
    let origin = match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    };
    HeaderValue::from_str(&origin).map_err(|_| bad("it is not a valid header value"))?;
    Ok(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_written_as_browsers_send_them() {
        let list = |values: &[&str]| CorsOrigins::from_args(values);
        assert_eq!(list(&[]), Ok(CorsOrigins::StrategyDefault));
        assert_eq!(list(&["*"]), Ok(CorsOrigins::Any));
        assert_eq!(
            list(&["HTTP://LocalHost:8080/", "https://app.example:443", "http://[::1]:3000", "http://localhost:8080"]),
            Ok(CorsOrigins::List(vec![
                "http://localhost:8080".into(),
                "https://app.example".into(),
                "http://[::1]:3000".into()
            ]))
        );
        assert_eq!(list(&["*", "http://a.example"]), Err(CorsError::WildcardAmongOrigins));
        for bad in
            ["null", "a.example", "ftp://a.example", "http://a.example/path", "http://", "http://a:0", "http://a:x"]
        {
            assert!(matches!(list(&[bad]), Err(CorsError::BadOrigin { .. })), "{bad} must be refused");
        }
    }

    #[test]
    fn a_session_node_without_origins_has_no_cors_at_all() {
        assert!(layer(Credentials::Cookie, &CorsOrigins::StrategyDefault).is_none());
        assert!(layer(Credentials::Bearer, &CorsOrigins::StrategyDefault).is_some());
    }
}
