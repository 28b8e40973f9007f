//! Refuses cross-site requests that would change state with a session cookie (CSRF): a server-side
//! defence beside the cookie's `SameSite=Strict`, for browsers that ignore it.
//!
//! On a session node, a `POST`, `PUT`, `PATCH` or `DELETE` that carries the `sid` cookie is refused
//! with 403 `forbidden` when its `Origin` is neither the node's own (compared with `Host`) nor one
//! of the `--cors-origin` origins, or, without `Origin`, when it says `Sec-Fetch-Site: cross-site`.
//! Requests without the cookie (a login, a non-browser client without a jar) and requests
//! without `Origin` or `Sec-Fetch-Site` (curl, the load driver) pass: CSRF rides a cookie that a
//! browser attaches on its own, and browsers send `Origin` on every cross-origin `POST`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::Strategy;
use super::cors::CorsOrigins;
use super::error::json_error;

/// The name of the session cookie the guard looks for.
const SESSION_COOKIE: &str = "sid";

/// Whether the guard is on (session nodes only) and which other origins it trusts.
#[derive(Debug, Clone, Default)]
pub(super) struct CrossSiteGuard {
    active: bool,
    /// Origins as browsers write them (lower case, no default port), from `--cors-origin`.
    allowed: Vec<String>,
}

impl CrossSiteGuard {
    /// On for a session node; it trusts the origins that its CORS policy allows credentials for.
    pub(super) fn new(strategy: &Strategy, cors: &CorsOrigins) -> Arc<Self> {
        let allowed = match cors {
            CorsOrigins::List(origins) => origins.clone(),
            CorsOrigins::StrategyDefault | CorsOrigins::Any => Vec::new(),
        };
        Arc::new(Self { active: matches!(strategy, Strategy::Session(_)), allowed })
    }

    /// Why the request must be refused, if it must.
    fn refusal(&self, method: &Method, headers: &HeaderMap) -> Option<String> {
        let changes_state = matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
        if !self.active || !changes_state || !carries_session_cookie(headers) {
            return None;
        }
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        match text(header::ORIGIN.as_str()) {
            Some(origin) => {
                let origin = normalize(origin);
                let own = text(header::HOST.as_str()).is_some_and(|host| same_authority(&origin, host));
                let trusted = self.allowed.contains(&origin);
                (!own && !trusted).then(|| {
                    format!("cross-site request refused: Origin {origin} is not this site and not an allowed origin")
                })
            }
            None => text("sec-fetch-site")
                .filter(|site| site.eq_ignore_ascii_case("cross-site"))
                .map(|_| "cross-site request refused: Sec-Fetch-Site is cross-site".to_owned()),
        }
    }
}

/// The middleware: 403 `forbidden` for a cross-site state-changing request with the session cookie.
pub(super) async fn refuse_cross_site(
    State(guard): State<Arc<CrossSiteGuard>>,
    request: Request,
    next: Next,
) -> Response {
    match guard.refusal(request.method(), request.headers()) {
        Some(reason) => json_error(StatusCode::FORBIDDEN, &reason),
        None => next.run(request).await,
    }
}

fn carries_session_cookie(headers: &HeaderMap) -> bool {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).any(|cookies| {
        cookies.split(';').any(|pair| pair.split_once('=').is_some_and(|(name, _)| name.trim() == SESSION_COOKIE))
    })
}

/// An `Origin` as the allowlist writes it: lower case, without the scheme's default port.
fn normalize(origin: &str) -> String {
    let lower = origin.to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if let Some(rest) = lower.strip_prefix(scheme) {
            return format!("{scheme}{}", rest.strip_suffix(port).unwrap_or(rest));
        }
    }
    lower
}

/// Whether a (normalized) origin names the host and port of this `Host` header.
fn same_authority(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let host = host.to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    let host = host.strip_suffix(default).unwrap_or(&host);
    authority == host
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn guard(allowed: &[&str]) -> CrossSiteGuard {
        CrossSiteGuard { active: true, allowed: allowed.iter().map(|s| s.to_string()).collect() }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_cross_site_state_changes_with_the_cookie_are_refused() {
        let g = guard(&["http://app.example:8080"]);
        let cookie = ("cookie", "theme=dark; sid=abc");
        let host = ("host", "127.0.0.1:4000");
        let refused = |method: Method, pairs: &[(&'static str, &'static str)]| g.refusal(&method, &headers(pairs));
        assert!(refused(Method::POST, &[cookie, host, ("origin", "https://evil.example")]).is_some());
        assert!(refused(Method::DELETE, &[cookie, host, ("origin", "null")]).is_some());
        assert!(refused(Method::POST, &[cookie, host, ("sec-fetch-site", "cross-site")]).is_some());
        // The node's own origin, an allowed one, a safe method, no cookie, no Origin at all: pass.
        assert!(refused(Method::POST, &[cookie, host, ("origin", "http://127.0.0.1:4000")]).is_none());
        assert!(refused(Method::POST, &[cookie, ("host", "h.example"), ("origin", "HTTP://H.example:80")]).is_none());
        assert!(refused(Method::POST, &[cookie, host, ("origin", "http://app.example:8080")]).is_none());
        assert!(refused(Method::GET, &[cookie, host, ("origin", "https://evil.example")]).is_none());
        assert!(refused(Method::POST, &[host, ("origin", "https://evil.example")]).is_none());
        assert!(refused(Method::POST, &[("cookie", "notsid=1"), host, ("origin", "https://evil.example")]).is_none());
        assert!(refused(Method::POST, &[cookie, host]).is_none());
        assert!(refused(Method::POST, &[cookie, host, ("sec-fetch-site", "same-origin")]).is_none());
        // Off on other strategies.
        let off = CrossSiteGuard::default();
        assert!(off.refusal(&Method::POST, &headers(&[cookie, host, ("origin", "https://evil.example")])).is_none());
    }
}
