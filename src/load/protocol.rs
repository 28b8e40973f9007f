//! What a virtual user sends and reads: the lab's own HTTP contract (SPEC "HTTP contract of a
//! node"), or the one a `[target.*]` table describes for the user's server. The lab's nodes are
//! driven through the same description as any other server.

use std::borrow::Cow;

use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::cluster::Endpoint;
use crate::scenario::StrategyName;
use crate::scenario::target::{CallBody, CredentialSpec, HeaderSpec, HttpCall, TargetSpec};

/// The requests of a visit and where its credential comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// The login request.
    pub login: HttpCall,
    /// Where the login's answer carries the credential, and how requests carry it back.
    pub credential: CredentialSpec,
    /// The protected request of every visit.
    pub request: HttpCall,
    /// `None`: a visit that would log out walks away.
    pub logout: Option<HttpCall>,
    /// `None`: an expiring token means a new login.
    pub refresh: Option<HttpCall>,
}

fn call(method: reqwest::Method, path: &str, body: CallBody) -> HttpCall {
    HttpCall { method, path: path.to_owned(), body, token_header: None }
}

impl Protocol {
    /// The contract of the lab's own `authlab node` of `strategy`.
    pub fn lab(strategy: StrategyName) -> Protocol {
        let login = call(
            reqwest::Method::POST,
            "/login",
            CallBody::Json(json!({"username": "{username}", "password": "{password}"})),
        );
        let (credential, refresh) = match strategy {
            StrategyName::Session => (CredentialSpec::Cookie { name: "sid".to_owned() }, None),
            StrategyName::Token => (
                CredentialSpec::Json {
                    pointer: "/access_token".to_owned(),
                    header: HeaderSpec { name: AUTHORIZATION, scheme: Some("Bearer".to_owned()) },
                    refresh_pointer: "/refresh_token".to_owned(),
                    expires_pointer: "/expires_in".to_owned(),
                },
                Some(call(
                    reqwest::Method::POST,
                    "/refresh",
                    CallBody::Json(json!({"refresh_token": "{refresh_token}"})),
                )),
            ),
        };
        Protocol {
            login,
            credential,
            request: call(reqwest::Method::GET, "/api/profile", CallBody::Empty),
            logout: Some(call(reqwest::Method::POST, "/logout", CallBody::Empty)),
            refresh,
        }
    }

    /// The contract a `[target.*]` table describes.
    pub fn of_target(target: &TargetSpec) -> Protocol {
        Protocol {
            login: target.login.clone(),
            credential: target.credential.clone(),
            request: target.request.clone(),
            logout: target.logout.clone(),
            refresh: target.refresh.clone(),
        }
    }
}

/// The values a call's placeholders stand for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fill<'a> {
    /// `{username}`.
    pub username: &'a str,
    /// `{password}`.
    pub password: &'a str,
    /// `{refresh_token}`.
    pub refresh_token: &'a str,
}

impl Fill<'_> {
    fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !text.contains('{') {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.replace("{username}", self.username)
                .replace("{password}", self.password)
                .replace("{refresh_token}", self.refresh_token),
        )
    }

    fn apply_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.apply(s).into_owned()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.apply_json(v)).collect()),
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), self.apply_json(v))).collect()),
            other => other.clone(),
        }
    }
}

impl HttpCall {
    /// The request to `node`, its placeholders filled in.
    pub fn build(&self, http: &reqwest::Client, node: &Endpoint, fill: Fill<'_>) -> reqwest::RequestBuilder {
        let path = fill.apply(&self.path);
        let request = match path {
            // A fixed path: its URL is parsed once per node, not once per request.
            Cow::Borrowed(path) if let Some(url) = node.url_for(path) => http.request(self.method.clone(), url),
            path => http.request(self.method.clone(), format!("{}{path}", node.url)),
        };
        let request = match &self.token_header {
            Some(header) => request.header(header.name.clone(), header.value(fill.refresh_token)),
            None => request,
        };
        match &self.body {
            CallBody::Empty => request,
            CallBody::Json(template) => request.json(&fill.apply_json(template)),
            CallBody::Form(fields) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in fields {
                    form.append_pair(name, &fill.apply(value));
                }
                request.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(form.finish())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_the_path_the_json_and_the_form() {
        let fill = Fill { username: "ann", password: "pw", refresh_token: "r1" };
        assert_eq!(fill.apply("/users/{username}"), "/users/ann");
        let body = json!({"user": {"name": "{username}", "tags": ["{password}", 3]}, "n": 1});
        assert_eq!(fill.apply_json(&body), json!({"user": {"name": "ann", "tags": ["pw", 3]}, "n": 1}));
        let http = reqwest::Client::new();
        let form = call(reqwest::Method::POST, "/login", CallBody::Form(vec![("u".into(), "{username} x".into())]));
        let node = Endpoint::new("session/1".into(), "http://127.0.0.1:1".into());
        let request = form.build(&http, &node, fill).build().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.url().as_str(), "http://127.0.0.1:1/login");
        let sent = request.body().and_then(|b| b.as_bytes()).unwrap_or_default();
        assert_eq!(sent, b"u=ann+x");
    }

    #[test]
    fn a_refresh_can_send_its_token_in_a_header() {
        let mut refresh = call(reqwest::Method::POST, "/refresh", CallBody::Empty);
        refresh.token_header = Some(HeaderSpec { name: AUTHORIZATION, scheme: Some("Bearer".into()) });
        let fill = Fill { refresh_token: "r1", ..Fill::default() };
        let node = Endpoint::new("token/1".into(), "http://h".into());
        let request = refresh.build(&reqwest::Client::new(), &node, fill).build().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer r1");
        assert_eq!(request.url().as_str(), "http://h/refresh");
        let again = refresh.build(&reqwest::Client::new(), &node, fill).build().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.url(), request.url(), "the cached URL is the same");
    }
}
