//! What a virtual user sends and reads: the lab's own HTTP contract (SPEC "HTTP contract of a
//! node"), or the one a `[target.*]` table describes for the user's server. The lab's nodes are
//! driven through the same description as any other server.

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use http_body_util::Full;
use serde_json::{Value, json};

use super::http::Request;

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
    /// The request to `node`, its placeholders filled in; `None` if its path is not a valid
    /// request target or `node` is not an `http://` URL.
    pub fn build(&self, node: &Endpoint, fill: Fill<'_>) -> Option<Request> {
        let uri = match fill.apply(&self.path) {
            // A fixed path: its target is parsed once per node, not once per request.
            Cow::Borrowed(path) => node.uri_for(path)?,
            Cow::Owned(path) => node.uri_of(&path)?,
        };
        let mut request = http::Request::builder().method(self.method.clone()).uri(uri);
        request = request.header(HOST, node.origin()?.host.clone());
        if let Some(header) = &self.token_header {
            request = request.header(header.name.clone(), header.value(fill.refresh_token));
        }
        let body = match &self.body {
            CallBody::Empty => Bytes::new(),
            CallBody::Json(template) => {
                request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                serde_json::to_vec(&fill.apply_json(template)).ok()?.into()
            }
            CallBody::Form(fields) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in fields {
                    form.append_pair(name, &fill.apply(value));
                }
                request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
                form.finish().into()
            }
        };
        request.body(Full::new(body)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(request: Request) -> String {
        use http_body_util::BodyExt;
        let body = futures_util::FutureExt::now_or_never(request.into_body().collect());
        body.and_then(Result::ok).map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned()).unwrap_or_default()
    }

    #[test]
    fn placeholders_fill_the_path_the_json_and_the_form() {
        let fill = Fill { username: "ann", password: "pw", refresh_token: "r1" };
        assert_eq!(fill.apply("/users/{username}"), "/users/ann");
        let body = json!({"user": {"name": "{username}", "tags": ["{password}", 3]}, "n": 1});
        assert_eq!(fill.apply_json(&body), json!({"user": {"name": "ann", "tags": ["pw", 3]}, "n": 1}));
        let form = call(reqwest::Method::POST, "/login", CallBody::Form(vec![("u".into(), "{username} x".into())]));
        let node = Endpoint::new("session/1".into(), "http://127.0.0.1:1/app".into());
        let request = form.build(&node, fill).unwrap_or_else(|| panic!("a request"));
        assert_eq!(request.uri(), "/app/login");
        assert_eq!(request.headers()[HOST], "127.0.0.1:1");
        assert_eq!(request.headers()[CONTENT_TYPE], "application/x-www-form-urlencoded");
        assert_eq!(body_of(request), "u=ann+x");
        let user_path = call(reqwest::Method::GET, "/users/{username}", CallBody::Empty);
        assert_eq!(user_path.build(&node, fill).map(|r| r.uri().clone()).unwrap_or_default(), "/app/users/ann");
        let json = call(reqwest::Method::POST, "/login", CallBody::Json(json!({"user": "{username}"})));
        assert_eq!(body_of(json.build(&node, fill).unwrap_or_else(|| panic!("a request"))), r#"{"user":"ann"}"#);
        let elsewhere = Endpoint::new("session/2".into(), "https://127.0.0.1:1".into());
        assert!(form.build(&elsewhere, fill).is_none(), "https is not spoken");
    }

    #[test]
    fn a_refresh_can_send_its_token_in_a_header() {
        let mut refresh = call(reqwest::Method::POST, "/refresh", CallBody::Empty);
        refresh.token_header = Some(HeaderSpec { name: AUTHORIZATION, scheme: Some("Bearer".into()) });
        let fill = Fill { refresh_token: "r1", ..Fill::default() };
        let node = Endpoint::new("token/1".into(), "http://h".into());
        let request = refresh.build(&node, fill).unwrap_or_else(|| panic!("a request"));
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer r1");
        assert_eq!(request.uri(), "/refresh");
        assert_eq!(request.headers()[HOST], "h");
        let again = refresh.build(&node, fill).unwrap_or_else(|| panic!("a request"));
        assert_eq!(again.uri(), request.uri(), "the cached target is the same");
    }
}
