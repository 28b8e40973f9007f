//! The exchange model: one request and its answer as the lab recorded it, and the one-line views
//! of it that reports show.

use serde_json::Value;

use super::Note;
use crate::i18n::{Language, Text};

/// One request and its answer.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// A step that prepares the attack (a login, a logout) rather than the attack itself.
    pub setup: bool,
    /// What distinguishes this try from the others of the same attack (e.g. `alg: NONE`).
    pub label: Option<Note>,
    /// The HTTP method (`GET`, `POST`, ...).
    pub method: String,
    /// The full URL the request went to.
    pub url: String,
    /// The request headers the lab set (reqwest adds only its usual ones).
    pub request_headers: Vec<(String, String)>,
    /// The request body, as sent; `None` without one.
    pub request_body: Option<String>,
    /// 0 when no answer came; `error` then says why.
    pub status: u16,
    /// The answer's headers that matter here (`Set-Cookie`, `WWW-Authenticate`, `Content-Type`).
    pub response_headers: Vec<(String, String)>,
    /// The answer's body (its first 4096 characters); empty when no answer came.
    pub response_body: String,
    /// Why no answer came (connection refused, timeout, ...), or why its body could not be read;
    /// `None` when the whole answer came.
    pub error: Option<String>,
}

/// The first `n` characters of a secret-looking value, to tell two apart without printing them.
pub(crate) fn prefix(text: &str, n: usize) -> String {
    let cut: String = text.chars().take(n).collect();
    if cut.len() < text.len() { format!("{cut}…") } else { cut }
}

/// `text` cut to `max` characters, with its full length when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…({} B)", text.len())
}

impl Exchange {
    /// The path (and query) of the request.
    pub fn path(&self) -> &str {
        let rest = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
        rest.find('/').map_or("/", |i| &rest[i..])
    }

    /// The first response header of this name.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The `sid` cookie this answer set, if any.
    pub fn sid_cookie(&self) -> Option<SetCookie> {
        self.response_headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| SetCookie::parse(v))
            .find(|c| c.name == "sid")
    }

    /// One line: the method, the path, the headers the lab set (shortened) and the body.
    pub fn sent_line(&self) -> String {
        let mut line = format!("{} {}", self.method, self.path());
        for (name, value) in &self.request_headers {
            line.push_str(&format!("  {name}: {}", shorten(value, 64)));
        }
        if let Some(body) = &self.request_body {
            line.push_str(&format!("  {}", shorten(body, 64)));
        }
        line
    }

    /// One line: the status and the gist of the answer (its cookie, its error message, or its body).
    pub fn got_line(&self, lang: Language) -> String {
        if let Some(error) = &self.error {
            return format!("{}: {error}", lang.tr(Text::AttackNoAnswer));
        }
        let mut line = self.status.to_string();
        // A successful answer's cookie is its news; an error's message says more than its removal cookie.
        let cookie = self.response_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("set-cookie"));
        if let (Some((_, cookie)), 200..=299) = (cookie, self.status) {
            line.push_str(&format!(" Set-Cookie: {}", shorten(cookie, 100)));
            return line;
        }
        let json: Option<Value> = serde_json::from_str(&self.response_body).ok();
        match json.as_ref().and_then(|j| j.get("message").and_then(Value::as_str)) {
            Some(message) => line.push_str(&format!(" {}", shorten(message, 100))),
            None if !self.response_body.is_empty() => line.push_str(&format!(" {}", shorten(&self.response_body, 80))),
            None => {}
        }
        line
    }
}

/// A `Set-Cookie` header taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// The cookie's name (`sid` for the session cookie).
    pub name: String,
    /// Its value, as set.
    pub value: String,
    /// Attribute names lowercased, with their values (empty for flags).
    pub attributes: Vec<(String, String)>,
}

impl SetCookie {
    /// Takes apart a `Set-Cookie` header value: `name=value; Attr=v; Flag`.
    pub fn parse(raw: &str) -> Self {
        let mut parts = raw.split(';');
        let first = parts.next().unwrap_or("").trim();
        let (name, value) = first.split_once('=').unwrap_or((first, ""));
        let attributes = parts
            .filter_map(|p| {
                let p = p.trim();
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (!k.is_empty()).then(|| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            })
            .collect();
        Self { name: name.trim().to_owned(), value: value.trim().to_owned(), attributes }
    }

    /// The value of attribute `name` (any case); `Some("")` for a flag such as `HttpOnly`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.attributes.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn same_site(&self) -> String {
        self.attribute("samesite").unwrap_or("").to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_lines_are_short_and_name_the_path() {
        let exchange = Exchange {
            method: "GET".into(),
            url: "http://127.0.0.1:1234/api/profile".into(),
            request_headers: vec![("Authorization".into(), format!("Bearer {}", "e".repeat(500)))],
            status: 401,
            response_body: r#"{"error":"unauthorized","message":"the token has expired"}"#.into(),
            ..Exchange::default()
        };
        let sent = exchange.sent_line();
        assert!(sent.starts_with("GET /api/profile  Authorization: Bearer eee"), "{sent}");
        assert!(sent.len() < 120 && sent.contains("(507 B)"), "{sent}");
        assert_eq!(exchange.got_line(Language::English), "401 the token has expired");
    }

    #[test]
    fn set_cookie_attributes() {
        let c = SetCookie::parse("sid=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=1800");
        assert_eq!((c.name.as_str(), c.value.as_str()), ("sid", "abc"));
        assert!(c.attribute("HttpOnly").is_some() && c.attribute("secure").is_none());
        assert_eq!(c.same_site(), "strict");
    }
}
