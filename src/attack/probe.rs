//! Request building and judging: the requests an attack sends, the probe that sends and records
//! them, and the verdicts drawn from the answers.

use reqwest::Method;
use serde_json::{Value, json};

use super::Note;
use super::exchange::Exchange;
use crate::i18n::Language;
use crate::users::{password, username};

/// What a cross-site request says it comes from.
const EVIL_ORIGIN: &str = "https://evil.example";
/// How much of a response body an exchange keeps.
const MAX_BODY_CHARS: usize = 4096;

/// How an attack ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The node answered as a sound node does (or, for a lesson, as expected).
    Passed,
    /// The attack got through, or the node answered in a way that is not sound.
    Failed,
    /// It could not be tried against these targets (the note says why).
    Skipped,
}

impl Outcome {
    /// Its name in the JSON report: `pass`, `fail` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "pass",
            Outcome::Failed => "fail",
            Outcome::Skipped => "skipped",
        }
    }
}

/// How an attack came out, before it is wrapped into an [`AttackResult`](super::runner::AttackResult).
pub(crate) struct Verdict {
    pub(crate) outcome: Outcome,
    pub(crate) decisive: Option<usize>,
    pub(crate) note: Option<Note>,
}

impl Verdict {
    pub(crate) fn skipped(note: Note) -> Self {
        Self { outcome: Outcome::Skipped, decisive: None, note: Some(note) }
    }

    pub(crate) fn with_note(mut self, note: Note) -> Self {
        self.note = Some(note);
        self
    }
}

/// A step either continues the attack or ends it early with a verdict.
pub(crate) type Step<T> = Result<T, Verdict>;

/// Records every exchange of one attack.
pub(crate) struct Probe {
    http: reqwest::Client,
    pub(crate) exchanges: Vec<Exchange>,
}

/// A request to send.
pub(crate) struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    json: Option<Value>,
    label: Option<Note>,
    setup: bool,
}

impl Request {
    pub(crate) fn new(method: Method, url: String) -> Self {
        Self { method, url, headers: Vec::new(), json: None, label: None, setup: false }
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn bearer(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    pub(crate) fn sid(self, id: &str) -> Self {
        self.header("Cookie", format!("sid={id}"))
    }

    pub(crate) fn cross_site(self) -> Self {
        self.header("Origin", EVIL_ORIGIN).header("Sec-Fetch-Site", "cross-site")
    }

    pub(crate) fn json(mut self, body: Value) -> Self {
        self.json = Some(body);
        self
    }

    /// A label in words, in both languages.
    pub(crate) fn label(mut self, en: impl Into<String>, ko: impl Into<String>) -> Self {
        self.label = Some(Note::new(en, ko));
        self
    }

    /// A label that reads the same in every language (a header field, a claim, a URL).
    pub(crate) fn tag(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.label = Some(Note::new(text.clone(), text));
        self
    }

    pub(crate) fn setup(mut self) -> Self {
        self.setup = true;
        self
    }
}

/// A setup step did not answer as it must, so the attack could not be shown.
pub(crate) fn setup_failed(exchange: &Exchange, index: usize) -> Verdict {
    let what = format!("{} {}", exchange.method, exchange.path());
    let (got_en, got_ko) = (exchange.got_line(Language::English), exchange.got_line(Language::Korean));
    Verdict {
        outcome: Outcome::Failed,
        decisive: Some(index),
        note: Some(Note::new(
            format!("the setup step {what} answered {got_en}, so the attack could not be shown"),
            format!("준비 단계 {what}의 응답이 {got_ko}여서 공격을 보여 줄 수 없었습니다"),
        )),
    }
}

impl Probe {
    /// A probe that sends with `http` and has recorded nothing yet.
    pub(crate) fn new(http: reqwest::Client) -> Self {
        Self { http, exchanges: Vec::new() }
    }

    /// Sends `request` and records it with its answer; returns the exchange's index.
    pub(crate) async fn send(&mut self, request: Request) -> usize {
        let mut exchange = Exchange {
            setup: request.setup,
            label: request.label,
            method: request.method.to_string(),
            url: request.url.clone(),
            request_headers: request.headers.clone(),
            request_body: request.json.as_ref().map(Value::to_string),
            ..Exchange::default()
        };
        let mut builder = self.http.request(request.method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.json {
            builder = builder.json(body);
        }
        match builder.send().await {
            Ok(answer) => {
                exchange.status = answer.status().as_u16();
                for (name, value) in answer.headers() {
                    if matches!(name.as_str(), "set-cookie" | "www-authenticate" | "content-type") {
                        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                        exchange.response_headers.push((name.as_str().to_owned(), value));
                    }
                }
                match answer.text().await {
                    Ok(text) => exchange.response_body = text.chars().take(MAX_BODY_CHARS).collect(),
                    Err(e) => exchange.error = Some(format!("reading the body: {e}")),
                }
            }
            Err(e) => exchange.error = Some(error_chain(&e)),
        }
        self.exchanges.push(exchange);
        self.exchanges.len() - 1
    }

    /// Sends a setup step and insists on `status`.
    pub(crate) async fn setup(&mut self, request: Request, status: u16) -> Step<usize> {
        let i = self.send(request.setup()).await;
        if self.exchanges[i].status == status { Ok(i) } else { Err(setup_failed(&self.exchanges[i], i)) }
    }

    pub(crate) fn status(&self, i: usize) -> u16 {
        self.exchanges[i].status
    }

    /// Passed when every try answered as `sound` says; the first unsound try decides otherwise.
    pub(crate) fn judge(&self, tries: &[usize], sound: impl Fn(&Exchange) -> bool) -> Verdict {
        match tries.iter().find(|&&i| !sound(&self.exchanges[i])) {
            Some(&bad) => Verdict { outcome: Outcome::Failed, decisive: Some(bad), note: None },
            None => Verdict { outcome: Outcome::Passed, decisive: tries.last().copied(), note: None },
        }
    }
}

/// An error with its causes, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The sound answer to a forged credential.
pub(crate) fn refused_401(exchange: &Exchange) -> bool {
    exchange.status == 401
}

/// The victim's (or `user`'s) login, with the password the directory's `seed` gives.
pub(crate) fn login(base: &str, seed: u64, user: u32) -> Request {
    let body = json!({"username": username(user), "password": password(seed, user)});
    Request::new(Method::POST, format!("{base}/login"))
        .json(body)
        .label(format!("log in as {}", username(user)), format!("{}로 로그인", username(user)))
}

/// The request every attack aims at: the caller's profile.
pub(crate) fn profile(base: &str) -> Request {
    Request::new(Method::GET, format!("{base}/api/profile"))
}

/// The lab could not build its forgery (a bug or a key it cannot use): the attack is not shown.
pub(crate) fn forge_failed(error: impl std::fmt::Display) -> Verdict {
    Verdict {
        outcome: Outcome::Failed,
        decisive: None,
        note: Some(Note::new(
            format!("the lab could not forge the token: {error}"),
            format!("실습이 토큰을 위조하지 못했습니다: {error}"),
        )),
    }
}
