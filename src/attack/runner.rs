//! Runs attacks against node URLs over HTTP, records every exchange, and judges each answer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::catalogue::{Attack, Kind};
use super::forge::{self, Parts};
use super::{AttackError, Note, Strategy};
use crate::i18n::{Language, Text};
use crate::token::access::unix_now;
use crate::token::keys::{Alg, KeySet, parse_algorithm};
use crate::users::{password, username};

/// The user whose credentials the attacks steal or replay.
const VICTIM: u32 = 1;
/// The user an attacker logs in as (session fixation).
const ATTACKER: u32 = 2;
/// The user a forged token claims to be.
const IMPERSONATED: u32 = 3;
/// What a cross-site request says it comes from.
const EVIL_ORIGIN: &str = "https://evil.example";
/// How much of a response body an exchange keeps.
const MAX_BODY_CHARS: usize = 4096;
/// The longest session idle timeout the lab waits out (`session-idle-timeout`).
const MAX_IDLE_WAIT_SECS: u64 = 10;

/// The nodes to attack, and what the lab knows about them.
#[derive(Clone, Default)]
pub struct Targets {
    /// Base URL of a session node.
    pub session: Option<String>,
    /// Base URL of a token node (the no-denylist replay runs here).
    pub token: Option<String>,
    /// Base URL of a token node started with `--revocation denylist`.
    pub token_denylist: Option<String>,
    /// Base URL of a session node with an idle timeout short enough to wait out (`--ttl 2s`);
    /// without it the idle-timeout attack uses `session` if its timeout is short enough.
    pub session_short_ttl: Option<String>,
    /// The token nodes' private keys (their `--keys` file): needed to sign tokens whose only
    /// defect is one claim or header field, so the node's check of that field is what is tested.
    pub token_keys: Option<Arc<KeySet>>,
    /// The user directory's seed (`--seed` of the nodes).
    pub seed: u64,
}

impl Targets {
    /// Checks that every URL is an http(s) base URL, and drops a trailing `/`.
    pub fn normalized(mut self) -> Result<Self, AttackError> {
        let urls = [&mut self.session, &mut self.token, &mut self.token_denylist, &mut self.session_short_ttl];
        for url in urls.into_iter().flatten() {
            let trimmed = url.trim().trim_end_matches('/').to_owned();
            let rest = trimmed.strip_prefix("http://").or_else(|| trimmed.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains('/')) {
                return Err(AttackError::BadUrl { url: url.clone() });
            }
            *url = trimmed;
        }
        Ok(self)
    }
}

/// One request and its answer.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// A step that prepares the attack (a login, a logout) rather than the attack itself.
    pub setup: bool,
    /// What distinguishes this try from the others of the same attack (e.g. `alg: NONE`).
    pub label: Option<Note>,
    pub method: String,
    pub url: String,
    /// The request headers the lab set (reqwest adds only its usual ones).
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// 0 when no answer came; `error` then says why.
    pub status: u16,
    /// The answer's headers that matter here (`Set-Cookie`, `WWW-Authenticate`, `Content-Type`).
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub error: Option<String>,
}

/// The first `n` characters of a secret-looking value, to tell two apart without printing them.
fn prefix(text: &str, n: usize) -> String {
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
    pub name: String,
    pub value: String,
    /// Attribute names lowercased, with their values (empty for flags).
    pub attributes: Vec<(String, String)>,
}

impl SetCookie {
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

    pub fn attribute(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.attributes.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    fn same_site(&self) -> String {
        self.attribute("samesite").unwrap_or("").to_ascii_lowercase()
    }
}

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
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "pass",
            Outcome::Failed => "fail",
            Outcome::Skipped => "skipped",
        }
    }
}

/// What one attack sent, got, and how it was judged.
#[derive(Debug, Clone)]
pub struct AttackResult {
    pub attack: &'static Attack,
    pub outcome: Outcome,
    /// The node attacked.
    pub target: Option<String>,
    pub exchanges: Vec<Exchange>,
    /// The exchange that decided the outcome.
    pub decisive: Option<usize>,
    pub note: Option<Note>,
    pub elapsed: Duration,
}

impl AttackResult {
    /// `Some(true)` passed, `Some(false)` got through, `None` skipped.
    pub fn passed(&self) -> Option<bool> {
        match self.outcome {
            Outcome::Passed => Some(true),
            Outcome::Failed => Some(false),
            Outcome::Skipped => None,
        }
    }

    pub fn decisive_exchange(&self) -> Option<&Exchange> {
        self.decisive.and_then(|i| self.exchanges.get(i))
    }

    /// The decisive request, on one line.
    pub fn sent(&self) -> String {
        self.decisive_exchange().map(Exchange::sent_line).unwrap_or_default()
    }

    /// The decisive answer, on one line.
    pub fn got(&self, lang: Language) -> String {
        self.decisive_exchange().map(|e| e.got_line(lang)).unwrap_or_default()
    }
}

/// How an attack came out, before it is wrapped into an [`AttackResult`].
struct Verdict {
    outcome: Outcome,
    decisive: Option<usize>,
    note: Option<Note>,
}

impl Verdict {
    fn skipped(note: Note) -> Self {
        Self { outcome: Outcome::Skipped, decisive: None, note: Some(note) }
    }

    fn with_note(mut self, note: Note) -> Self {
        self.note = Some(note);
        self
    }
}

/// A step either continues the attack or ends it early with a verdict.
type Step<T> = Result<T, Verdict>;

/// Records every exchange of one attack.
struct Probe<'a> {
    http: &'a reqwest::Client,
    exchanges: Vec<Exchange>,
}

/// A request to send.
struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    json: Option<Value>,
    label: Option<Note>,
    setup: bool,
}

impl Request {
    fn new(method: Method, url: String) -> Self {
        Self { method, url, headers: Vec::new(), json: None, label: None, setup: false }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn bearer(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    fn sid(self, id: &str) -> Self {
        self.header("Cookie", format!("sid={id}"))
    }

    fn cross_site(self) -> Self {
        self.header("Origin", EVIL_ORIGIN).header("Sec-Fetch-Site", "cross-site")
    }

    fn json(mut self, body: Value) -> Self {
        self.json = Some(body);
        self
    }

    /// A label in words, in both languages.
    fn label(mut self, en: impl Into<String>, ko: impl Into<String>) -> Self {
        self.label = Some(Note::new(en, ko));
        self
    }

    /// A label that reads the same in every language (a header field, a claim, a URL).
    fn tag(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.label = Some(Note::new(text.clone(), text));
        self
    }

    fn setup(mut self) -> Self {
        self.setup = true;
        self
    }
}

/// A setup step did not answer as it must, so the attack could not be shown.
fn setup_failed(exchange: &Exchange, index: usize) -> Verdict {
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

impl Probe<'_> {
    async fn send(&mut self, request: Request) -> usize {
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
    async fn setup(&mut self, request: Request, status: u16) -> Step<usize> {
        let i = self.send(request.setup()).await;
        if self.exchanges[i].status == status { Ok(i) } else { Err(setup_failed(&self.exchanges[i], i)) }
    }

    fn status(&self, i: usize) -> u16 {
        self.exchanges[i].status
    }

    /// Passed when every try answered as `sound` says; the first unsound try decides otherwise.
    fn judge(&self, tries: &[usize], sound: impl Fn(&Exchange) -> bool) -> Verdict {
        match tries.iter().find(|&&i| !sound(&self.exchanges[i])) {
            Some(&bad) => Verdict { outcome: Outcome::Failed, decisive: Some(bad), note: None },
            None => Verdict { outcome: Outcome::Passed, decisive: tries.last().copied(), note: None },
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn refused_401(exchange: &Exchange) -> bool {
    exchange.status == 401
}

/// A token pair from a real login, with the access token taken apart.
struct Issued {
    access: String,
    refresh: String,
    parts: Parts,
}

/// An attacker's own key, made for the node's algorithm (generating RSA keys takes a moment).
type AttackerKey = Arc<KeySet>;

/// Runs attacks against one set of targets.
struct Lab<'a> {
    http: reqwest::Client,
    targets: &'a Targets,
    attacker: Mutex<Option<(Alg, AttackerKey)>>,
}

/// Runs `attacks` one after another against `targets`, calling `each` as each one ends.
pub async fn run_attacks(
    attacks: &[&'static Attack],
    targets: &Targets,
    mut each: impl FnMut(&AttackResult),
) -> Result<Vec<AttackResult>, AttackError> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AttackError::Client(e.to_string()))?;
    let lab = Lab { http, targets, attacker: Mutex::new(None) };
    let mut results = Vec::with_capacity(attacks.len());
    for &attack in attacks {
        let result = lab.run(attack).await;
        each(&result);
        results.push(result);
    }
    Ok(results)
}

fn no_target(strategy: Strategy) -> Note {
    Note::new(
        format!("skipped: no {} node to attack (give --{} URL)", strategy.as_str(), strategy.as_str()),
        format!("건너뜀: 공격할 {} 노드가 없습니다 (--{} URL을 주세요)", strategy.as_str(), strategy.as_str()),
    )
}

impl Lab<'_> {
    async fn run(&self, attack: &'static Attack) -> AttackResult {
        let started = Instant::now();
        let mut probe = Probe { http: &self.http, exchanges: Vec::new() };
        let target = self.target_of(attack);
        let verdict = match &target {
            None if matches!(attack.kind, Kind::ReplayAfterLogoutDenylist | Kind::NonCanonicalSignatureDenylist) => {
                Verdict::skipped(Note::new(
                    "skipped: no token node with --revocation denylist to attack (give --token-denylist URL)",
                    "건너뜀: 공격할 --revocation denylist 토큰 노드가 없습니다 (--token-denylist URL을 주세요)",
                ))
            }
            None => Verdict::skipped(no_target(attack.strategy)),
            Some(base) => match self.attack(attack.kind, base, &mut probe).await {
                Ok(verdict) | Err(verdict) => verdict,
            },
        };
        AttackResult {
            attack,
            outcome: verdict.outcome,
            target,
            exchanges: probe.exchanges,
            decisive: verdict.decisive,
            note: verdict.note,
            elapsed: started.elapsed(),
        }
    }

    fn target_of(&self, attack: &Attack) -> Option<String> {
        match attack.kind {
            Kind::ReplayAfterLogoutDenylist | Kind::NonCanonicalSignatureDenylist => {
                self.targets.token_denylist.clone()
            }
            Kind::SessionIdleTimeout => self.targets.session_short_ttl.clone().or_else(|| self.targets.session.clone()),
            // A forged logout matters most where logout really revokes.
            Kind::CsrfBearer => self.targets.token_denylist.clone().or_else(|| self.targets.token.clone()),
            _ => match attack.strategy {
                Strategy::Session => self.targets.session.clone(),
                Strategy::Token => self.targets.token.clone(),
            },
        }
    }

    async fn attack(&self, kind: Kind, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        match kind {
            Kind::AlgNone => self.alg_none(base, p).await,
            Kind::KeyConfusion => self.key_confusion(base, p).await,
            Kind::TamperedSignature => {
                let issued = self.token_login(base, p).await?;
                let (input, signature) = issued.access.rsplit_once('.').unwrap_or((&issued.access, ""));
                let token = format!("{input}.{}", forge::flip_first_char(signature));
                let i = p.send(profile(base).bearer(&token)).await;
                Ok(p.judge(&[i], refused_401))
            }
            Kind::TamperedPayload => {
                let issued = self.token_login(base, p).await?;
                let mut claims = issued.parts.claims.clone();
                claims["sub"] = json!(username(IMPERSONATED));
                let token = forge::with_signature(&issued.parts.header, &claims, &issued.parts.signature);
                let i = p.send(profile(base).bearer(&token).tag(format!("sub: {}", username(IMPERSONATED)))).await;
                Ok(p.judge(&[i], refused_401))
            }
            Kind::ForeignKey => {
                let issued = self.token_login(base, p).await?;
                let alg = node_algorithm(&issued, p)?;
                let attacker = self.attacker_key(alg).await?;
                let token = forge::sign(&issued.parts.header, &issued.parts.claims, attacker.current())
                    .map_err(forge_failed)?;
                let i = p.send(profile(base).bearer(&token)).await;
                Ok(p.judge(&[i], refused_401))
            }
            Kind::Expired => {
                let now = unix_now() as i64;
                self.signed_claim(base, p, "exp", |c| {
                    c["exp"] = json!(now - 3600);
                    c["iat"] = json!(now - 4500);
                    c["nbf"] = json!(now - 4500);
                })
                .await
            }
            Kind::FutureNbf => {
                let now = unix_now() as i64;
                self.signed_claim(base, p, "nbf", |c| {
                    c["nbf"] = json!(now + 3600);
                    c["iat"] = json!(now);
                    c["exp"] = json!(now + 7200);
                })
                .await
            }
            Kind::ExpAsString => {
                self.signed_claim(base, p, "exp", |c| c["exp"] = json!((unix_now() + 600).to_string())).await
            }
            Kind::WrongAud => self.signed_claim(base, p, "aud", |c| c["aud"] = json!("another-api")).await,
            Kind::WrongIss => self.signed_claim(base, p, "iss", |c| c["iss"] = json!("https://evil.example")).await,
            Kind::WrongTyp => self.signed_header(base, p, "typ", |h| h["typ"] = json!("JWT")).await,
            Kind::KidPathTraversal => {
                let issued = self.token_login(base, p).await?;
                let kid = "../../../../dev/null";
                let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
                let token = forge::hmac_sha256(&header, &issued.parts.claims, b"").map_err(forge_failed)?;
                let i = p.send(profile(base).bearer(&token).tag(format!("kid: {kid}, secret: \"\""))).await;
                Ok(p.judge(&[i], refused_401))
            }
            Kind::KidSqlInjection => {
                let issued = self.token_login(base, p).await?;
                let mut tries = Vec::new();
                let attacker_secret = forge::b64url(&rand::random::<[u8; 32]>());
                for (kid, secret) in
                    [("' OR 1=1 --", attacker_secret.as_str()), ("x' UNION SELECT 'lab-secret' --", "lab-secret")]
                {
                    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
                    let token =
                        forge::hmac_sha256(&header, &issued.parts.claims, secret.as_bytes()).map_err(forge_failed)?;
                    tries.push(p.send(profile(base).bearer(&token).tag(format!("kid: {kid}"))).await);
                }
                Ok(p.judge(&tries, refused_401))
            }
            Kind::HeaderJku => self.header_jku(base, p).await,
            Kind::HeaderJwk => self.header_jwk(base, p).await,
            Kind::OversizedToken => {
                let issued = self.token_login(base, p).await?;
                let mut claims = issued.parts.claims.clone();
                claims["perms"] = json!(vec!["doc:0000:read".to_owned(); 1100]);
                let token = forge::with_signature(&issued.parts.header, &claims, &issued.parts.signature);
                let i = p.send(profile(base).bearer(&token)).await;
                Ok(p.judge(&[i], |e| matches!(e.status, 400 | 401 | 413 | 431)))
            }
            Kind::ReplayAfterLogout => self.replay_after_logout(base, p, false).await,
            Kind::ReplayAfterLogoutDenylist => self.replay_after_logout(base, p, true).await,
            Kind::RefreshReuse => self.refresh_reuse(base, p).await,
            Kind::CsrfBearer => {
                let issued = self.token_login(base, p).await?;
                let forged = p.send(Request::new(Method::POST, format!("{base}/logout")).cross_site()).await;
                let after = p
                    .send(profile(base).bearer(&issued.access).label("the victim, afterwards", "이후 피해자의 요청"))
                    .await;
                let verdict = p.judge(&[forged], refused_401);
                if verdict.outcome == Outcome::Passed && p.status(after) != 200 {
                    return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(after), note: None });
                }
                Ok(verdict)
            }
            Kind::Fixation => self.fixation(base, p).await,
            Kind::ForgedSessionId => {
                let forged = forge::b64url(&rand::random::<[u8; 32]>());
                let a = p.send(profile(base).sid(&forged).label("a random 256-bit id", "무작위 256비트 ID")).await;
                let b = p.send(profile(base).sid("admin").label("a guessable id", "추측하기 쉬운 ID")).await;
                Ok(p.judge(&[a, b], refused_401))
            }
            Kind::SessionReuseAfterLogout => {
                let (_, cookie) = self.session_login(base, p, VICTIM, None).await?;
                p.setup(profile(base).sid(&cookie.value), 200).await?;
                p.setup(Request::new(Method::POST, format!("{base}/logout")).sid(&cookie.value), 204).await?;
                let i = p.send(profile(base).sid(&cookie.value)).await;
                Ok(p.judge(&[i], refused_401))
            }
            Kind::CookieFlags => {
                let (login, cookie) = self.session_login(base, p, VICTIM, None).await?;
                let mut missing = Vec::new();
                if cookie.attribute("httponly").is_none() {
                    missing.push("HttpOnly");
                }
                if cookie.same_site() != "strict" {
                    missing.push("SameSite=Strict");
                }
                if cookie.attribute("path") != Some("/") {
                    missing.push("Path=/");
                }
                Ok(flags_verdict(login, &missing))
            }
            Kind::CookieSecure => {
                let (login, cookie) = self.session_login(base, p, VICTIM, None).await?;
                let verdict =
                    flags_verdict(login, if cookie.attribute("secure").is_some() { &[] } else { &["Secure"] });
                if verdict.outcome == Outcome::Failed {
                    return Ok(verdict.with_note(Note::new(
                        "no Secure attribute: start the node with --secure-cookie and serve it over HTTPS",
                        "Secure 속성이 없습니다: 노드를 --secure-cookie로 시작하고 HTTPS로 제공하세요",
                    )));
                }
                Ok(verdict)
            }
            Kind::CsrfCrossSite => self.csrf_cross_site(base, p).await,
            Kind::CritUnknown => {
                self.signed_header(base, p, "crit", |h| {
                    h["crit"] = json!(["urn:authlab:unknown"]);
                    h["urn:authlab:unknown"] = json!(true);
                })
                .await
            }
            Kind::DuplicateClaims => self.duplicate_claims(base, p).await,
            Kind::DuplicateHeader => self.duplicate_header(base, p).await,
            Kind::NonCanonicalSignature => {
                let issued = self.token_login(base, p).await?;
                p.setup(profile(base).bearer(&issued.access).label("the token as issued", "발급된 그대로의 토큰"), 200)
                    .await?;
                let token = non_canonical_token(&issued.access).map_err(forge_failed)?;
                let i = p.send(profile(base).bearer(&token).label("re-encoded signature", "다시 인코딩한 서명")).await;
                Ok(p.judge(&[i], refused_401))
            }
            Kind::NonCanonicalSignatureDenylist => {
                let issued = self.token_login(base, p).await?;
                let token = non_canonical_token(&issued.access).map_err(forge_failed)?;
                p.setup(profile(base).bearer(&issued.access), 200).await?;
                p.setup(Request::new(Method::POST, format!("{base}/logout")).bearer(&issued.access), 204).await?;
                let same = p.send(profile(base).bearer(&issued.access).label("after logout", "로그아웃 뒤")).await;
                let re_encoded = p
                    .send(
                        profile(base)
                            .bearer(&token)
                            .label("after logout, signature re-encoded", "로그아웃 뒤, 서명을 다시 인코딩"),
                    )
                    .await;
                Ok(p.judge(&[same, re_encoded], refused_401))
            }
            Kind::HmacEmptyKey => self.hmac_empty_key(base, p).await,
            Kind::HmacPublicKeyJwk => self.hmac_public_key_jwk(base, p).await,
            Kind::FutureIat => {
                let now = unix_now() as i64;
                let year = 365 * 24 * 3600;
                self.signed_claim(base, p, "iat", |c| {
                    c["iat"] = json!(now + year);
                    c["nbf"] = json!(now);
                    c["exp"] = json!(now + year + 600);
                })
                .await
            }
            Kind::SessionIdInUrl => {
                let (_, cookie) = self.session_login(base, p, VICTIM, None).await?;
                p.setup(profile(base).sid(&cookie.value).label("the cookie", "쿠키로"), 200).await?;
                let url = Request::new(Method::GET, format!("{base}/api/profile?sid={}", cookie.value))
                    .label("the same id in the query, no cookie", "같은 ID를 쿼리에, 쿠키 없이");
                let i = p.send(url).await;
                Ok(p.judge(&[i], refused_401))
            }
            Kind::SessionIdleTimeout => self.session_idle_timeout(base, p).await,
        }
    }

    /// The node's own key for a real token, to sign JSON text the lab wrote by hand.
    async fn node_signed_text(
        &self,
        base: &str,
        p: &mut Probe<'_>,
        field: &str,
    ) -> Step<(Issued, Arc<KeySet>, String)> {
        let issued = self.token_login(base, p).await?;
        let (keys, kid) = self.node_key(&issued, field)?;
        Ok((issued, keys, kid))
    }

    async fn duplicate_claims(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let (issued, keys, kid) = self.node_signed_text(base, p, "sub").await?;
        let key = keys.get(&kid).ok_or_else(|| Verdict::skipped(Note::new("no key", "키 없음")))?;
        let header = issued.parts.header.to_string();
        let now = unix_now() as i64;
        let mut expired_first = issued.parts.claims.clone();
        expired_first["exp"] = json!(now - 3600);
        let claim_sets = [
            (
                format!("sub twice: {} then {}", username(VICTIM), username(IMPERSONATED)),
                forge::with_member_twice(&issued.parts.claims, "sub", &json!(username(IMPERSONATED))),
            ),
            (
                "exp twice: an hour ago, then in an hour".to_owned(),
                forge::with_member_twice(&expired_first, "exp", &json!(now + 3600)),
            ),
        ];
        let mut tries = Vec::new();
        for (label, claims) in claim_sets {
            let token = forge::sign_text(&header, &claims, key).map_err(forge_failed)?;
            tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
        }
        Ok(p.judge(&tries, refused_401))
    }

    async fn duplicate_header(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let (issued, keys, kid) = self.node_signed_text(base, p, "alg").await?;
        let key = keys.get(&kid).ok_or_else(|| Verdict::skipped(Note::new("no key", "키 없음")))?;
        let claims = issued.parts.claims.to_string();
        let alg = issued.parts.header["alg"].as_str().unwrap_or_default().to_owned();
        let headers = [
            (
                format!("alg twice: {alg} then none"),
                forge::with_member_twice(&issued.parts.header, "alg", &json!("none")),
            ),
            (
                "kid twice: the node's, then ../../dev/null".to_owned(),
                forge::with_member_twice(&issued.parts.header, "kid", &json!("../../dev/null")),
            ),
        ];
        let mut tries = Vec::new();
        for (label, header) in headers {
            let token = forge::sign_text(&header, &claims, key).map_err(forge_failed)?;
            tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
        }
        Ok(p.judge(&tries, refused_401))
    }

    async fn hmac_empty_key(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
        let mut claims = issued.parts.claims.clone();
        claims["sub"] = json!(username(IMPERSONATED));
        let empty_oct = json!({"kty": "oct", "k": ""});
        let headers = [
            (
                "jwk: empty oct key, the node's kid",
                json!({"alg": "HS256", "typ": "at+jwt", "kid": kid, "jwk": empty_oct}),
            ),
            (
                "jwk: empty oct key, its own kid",
                json!({"alg": "HS256", "typ": "at+jwt", "kid": "empty", "jwk": {"kty": "oct", "k": "", "kid": "empty"}}),
            ),
            ("kid: \"\" (empty)", json!({"alg": "HS256", "typ": "at+jwt", "kid": ""})),
            ("the node's kid, empty secret", json!({"alg": "HS256", "typ": "at+jwt", "kid": kid})),
        ];
        let mut tries = Vec::new();
        for (label, header) in headers {
            let token = forge::hmac_sha256(&header, &claims, b"").map_err(forge_failed)?;
            tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
        }
        Ok(p.judge(&tries, refused_401))
    }

    async fn hmac_public_key_jwk(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
        let jwks = p.send(Request::new(Method::GET, format!("{base}/.well-known/jwks.json")).setup()).await;
        if p.status(jwks) == 404 {
            return Ok(Verdict::skipped(Note::new(
                "skipped: the node publishes no public key (an HMAC node): there is no public key to misuse",
                "건너뜀: 노드가 공개 키를 내놓지 않습니다 (HMAC 노드). 오용할 공개 키가 없습니다",
            )));
        }
        let body: Value = serde_json::from_str(&p.exchanges[jwks].response_body).unwrap_or(Value::Null);
        let jwk = body["keys"].as_array().and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str())).cloned();
        let Some(jwk) = jwk else { return Err(setup_failed(&p.exchanges[jwks], jwks)) };
        let secrets = forge::public_key_secrets(&jwk).map_err(forge_failed)?;
        let mut claims = issued.parts.claims.clone();
        claims["sub"] = json!(username(IMPERSONATED));
        let mut tries = Vec::new();
        for (name, secret) in secrets {
            for with_kid in [true, false] {
                let mut header = json!({"alg": "HS256", "typ": "at+jwt", "jwk": jwk});
                if with_kid {
                    header["kid"] = json!(kid);
                }
                let token = forge::hmac_sha256(&header, &claims, &secret).map_err(forge_failed)?;
                let label =
                    format!("jwk: the node's key, secret = {name}{}", if with_kid { ", node's kid" } else { "" });
                tries.push(p.send(profile(base).bearer(&token).tag(label)).await);
            }
        }
        Ok(p.judge(&tries, refused_401))
    }

    async fn session_idle_timeout(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let (login, cookie) = self.session_login(base, p, VICTIM, None).await?;
        let max_age = cookie.attribute("max-age").and_then(|v| v.parse::<u64>().ok());
        let Some(idle) = max_age.filter(|&s| s <= MAX_IDLE_WAIT_SECS) else {
            let said = max_age.map_or_else(|| "no Max-Age".to_owned(), |s| format!("Max-Age={s}"));
            return Ok(Verdict {
                decisive: Some(login),
                ..Verdict::skipped(Note::new(
                    format!(
                        "skipped: the session cookie says {said}; the lab waits out at most {MAX_IDLE_WAIT_SECS} s \
                         (start a session node with --ttl 2s)"
                    ),
                    format!(
                        "건너뜀: 세션 쿠키가 {said}입니다. 실습은 최대 {MAX_IDLE_WAIT_SECS}초까지만 기다립니다 \
                         (--ttl 2s로 세션 노드를 시작하세요)"
                    ),
                ))
            });
        };
        p.setup(profile(base).sid(&cookie.value).label("while active", "활동 중"), 200).await?;
        // Idle from now on: wait past the timeout, with a margin for a busy machine.
        let waited = Duration::from_secs(idle) + Duration::from_millis(1500);
        tokio::time::sleep(waited).await;
        let after = format!("after {:.1} s idle", waited.as_secs_f64());
        let ko = format!("{:.1}초 동안 쓰지 않은 뒤", waited.as_secs_f64());
        let i = p.send(profile(base).sid(&cookie.value).label(after, ko)).await;
        Ok(p.judge(&[i], refused_401).with_note(Note::new(
            format!("idle timeout {idle} s (the node's --ttl); this lab's sessions have no absolute timeout"),
            format!("유휴 시간 제한 {idle}초 (노드의 --ttl). 이 실습의 세션에는 절대 시간 제한이 없습니다"),
        )))
    }

    /// Logs the victim in on a token node.
    async fn token_login(&self, base: &str, p: &mut Probe<'_>) -> Step<Issued> {
        let i = p.setup(login(base, self.targets.seed, VICTIM), 200).await?;
        let body: Value = serde_json::from_str(&p.exchanges[i].response_body).unwrap_or(Value::Null);
        let (Some(access), Some(refresh)) = (body["access_token"].as_str(), body["refresh_token"].as_str()) else {
            return Err(setup_failed(&p.exchanges[i], i));
        };
        let parts = forge::split(access).map_err(|_| setup_failed(&p.exchanges[i], i))?;
        Ok(Issued { access: access.to_owned(), refresh: refresh.to_owned(), parts })
    }

    /// Logs `user` in on a session node, optionally carrying a cookie; returns the new `sid` cookie.
    async fn session_login(
        &self,
        base: &str,
        p: &mut Probe<'_>,
        user: u32,
        carrying: Option<&str>,
    ) -> Step<(usize, SetCookie)> {
        let mut request = login(base, self.targets.seed, user);
        if let Some(id) = carrying {
            request = request.sid(id).label("carrying a planted sid", "심어 둔 sid를 가진 채");
        }
        let i = p.setup(request, 200).await?;
        let cookie = p.exchanges[i].sid_cookie().ok_or_else(|| setup_failed(&p.exchanges[i], i))?;
        Ok((i, cookie))
    }

    /// The node's own key for the issued token's `kid`, or a skip when the lab does not have it.
    fn node_key(&self, issued: &Issued, field: &str) -> Step<(Arc<KeySet>, String)> {
        let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
        let Some(keys) = &self.targets.token_keys else {
            return Err(Verdict::skipped(Note::new(
                format!(
                    "skipped: a token whose only defect is its {field} must be signed with the node's own key; \
                     give --token-keys FILE (the node's --keys file)"
                ),
                format!(
                    "건너뜀: {field}만 잘못된 토큰은 노드 자신의 키로 서명해야 합니다. \
                     --token-keys FILE(노드의 --keys 파일)을 주세요"
                ),
            )));
        };
        if keys.get(&kid).is_none() {
            return Err(Verdict::skipped(Note::new(
                format!("skipped: the key file given has no key with the node's kid {kid:?}"),
                format!("건너뜀: 주어진 키 파일에 노드의 kid {kid:?} 키가 없습니다"),
            )));
        }
        Ok((keys.clone(), kid))
    }

    /// A real token with one claim changed, re-signed with the node's own key: only that claim is wrong.
    async fn signed_claim(
        &self,
        base: &str,
        p: &mut Probe<'_>,
        field: &str,
        change: impl FnOnce(&mut Value),
    ) -> Step<Verdict> {
        self.resigned(base, p, field, |_, claims| change(claims)).await
    }

    /// A real token with one header field changed, re-signed with the node's own key.
    async fn signed_header(
        &self,
        base: &str,
        p: &mut Probe<'_>,
        field: &str,
        change: impl FnOnce(&mut Value),
    ) -> Step<Verdict> {
        self.resigned(base, p, field, |header, _| change(header)).await
    }

    /// A real token whose header or claims `change` edits, re-signed with the node's own key and
    /// sent; `field` (the edited one) labels the request.
    async fn resigned(
        &self,
        base: &str,
        p: &mut Probe<'_>,
        field: &str,
        change: impl FnOnce(&mut Value, &mut Value),
    ) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let (keys, kid) = self.node_key(&issued, field)?;
        let (mut header, mut claims) = (issued.parts.header.clone(), issued.parts.claims.clone());
        change(&mut header, &mut claims);
        let key = keys.get(&kid).ok_or_else(|| Verdict::skipped(Note::new("no key", "키 없음")))?;
        let token = forge::sign(&header, &claims, key).map_err(forge_failed)?;
        let edited = header.get(field).or_else(|| claims.get(field));
        let label = format!("{field}: {}", edited.map(Value::to_string).unwrap_or_default());
        let i = p.send(profile(base).bearer(&token).tag(label)).await;
        Ok(p.judge(&[i], refused_401))
    }

    async fn alg_none(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let mut claims = issued.parts.claims.clone();
        claims["sub"] = json!(username(IMPERSONATED));
        let mut tries = Vec::new();
        for alg in ["none", "NONE"] {
            let mut header = issued.parts.header.clone();
            header["alg"] = json!(alg);
            let token = forge::with_signature(&header, &claims, "");
            tries.push(p.send(profile(base).bearer(&token).tag(format!("alg: {alg}"))).await);
        }
        Ok(p.judge(&tries, refused_401))
    }

    async fn key_confusion(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let kid = issued.parts.header["kid"].as_str().unwrap_or_default().to_owned();
        let jwks = p.send(Request::new(Method::GET, format!("{base}/.well-known/jwks.json")).setup()).await;
        if p.status(jwks) == 404 {
            return Ok(Verdict::skipped(Note::new(
                "skipped: the node publishes no public key (an HMAC node): key confusion needs an asymmetric key",
                "건너뜀: 노드가 공개 키를 내놓지 않습니다 (HMAC 노드). 키 혼동에는 비대칭 키가 필요합니다",
            )));
        }
        let body: Value = serde_json::from_str(&p.exchanges[jwks].response_body).unwrap_or(Value::Null);
        let jwk = body["keys"].as_array().and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str())).cloned();
        let Some(jwk) = jwk else { return Err(setup_failed(&p.exchanges[jwks], jwks)) };
        let secrets = forge::public_key_secrets(&jwk).map_err(forge_failed)?;
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
        let mut tries = Vec::new();
        for (name, secret) in secrets {
            let token = forge::hmac_sha256(&header, &issued.parts.claims, &secret).map_err(forge_failed)?;
            tries.push(p.send(profile(base).bearer(&token).tag(format!("HS256, secret = {name}"))).await);
        }
        Ok(p.judge(&tries, refused_401))
    }

    async fn attacker_key(&self, alg: Alg) -> Step<AttackerKey> {
        if let Ok(guard) = self.attacker.lock() {
            if let Some((made_for, key)) = guard.as_ref() {
                if *made_for == alg {
                    return Ok(key.clone());
                }
            }
        }
        let made = tokio::task::spawn_blocking(move || KeySet::generate(alg)).await;
        let key = match made {
            Ok(Ok(key)) => Arc::new(key),
            Ok(Err(e)) => return Err(forge_failed(e)),
            Err(e) => return Err(forge_failed(e)),
        };
        if let Ok(mut guard) = self.attacker.lock() {
            *guard = Some((alg, key.clone()));
        }
        Ok(key)
    }

    /// The attacker's key as a JWK: its public half, or for HMAC the secret itself.
    fn attacker_jwk(attacker: &KeySet) -> Value {
        let public = attacker.public_jwks();
        match public["keys"].as_array().and_then(|keys| keys.first()) {
            Some(jwk) => jwk.clone(),
            None => serde_json::from_str::<Value>(&attacker.to_private_jwks_json())
                .map(|set| set["keys"][0].clone())
                .unwrap_or(Value::Null),
        }
    }

    async fn header_jku(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let alg = node_algorithm(&issued, p)?;
        let attacker = self.attacker_key(alg).await?;
        let jwks = json!({"keys": [Self::attacker_jwk(&attacker)]});
        let bait = Bait::serve(jwks.to_string()).await.map_err(forge_failed)?;
        let mut header = issued.parts.header.clone();
        header["kid"] = json!(attacker.current_kid());
        header["jku"] = json!(bait.url);
        let token = forge::sign(&header, &issued.parts.claims, attacker.current()).map_err(forge_failed)?;
        let i = p.send(profile(base).bearer(&token).tag(format!("jku: {}", bait.url))).await;
        // A verifier that follows jku fetches it before it answers.
        let hits = bait.hits();
        let verdict = p.judge(&[i], refused_401);
        let note = Note::new(
            format!("the attacker's JWKS URL was fetched {hits} times"),
            format!("공격자의 JWKS URL이 {hits}번 요청되었습니다"),
        );
        if hits > 0 {
            return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(i), note: Some(note) });
        }
        Ok(verdict.with_note(note))
    }

    async fn header_jwk(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let alg = node_algorithm(&issued, p)?;
        let attacker = self.attacker_key(alg).await?;
        let jwk = Self::attacker_jwk(&attacker);
        let mut tries = Vec::new();
        let tries_with = [
            (("jwk, the attacker's kid", "jwk, 공격자의 kid"), attacker.current_kid()),
            (("jwk, the node's kid", "jwk, 노드의 kid"), ""),
        ];
        for ((en, ko), kid) in tries_with {
            let mut header = issued.parts.header.clone();
            if !kid.is_empty() {
                header["kid"] = json!(kid);
            }
            header["jwk"] = jwk.clone();
            let token = forge::sign(&header, &issued.parts.claims, attacker.current()).map_err(forge_failed)?;
            tries.push(p.send(profile(base).bearer(&token).label(en, ko)).await);
        }
        Ok(p.judge(&tries, refused_401))
    }

    async fn replay_after_logout(&self, base: &str, p: &mut Probe<'_>, denylist: bool) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        p.setup(profile(base).bearer(&issued.access), 200).await?;
        p.setup(Request::new(Method::POST, format!("{base}/logout")).bearer(&issued.access), 204).await?;
        let i = p.send(profile(base).bearer(&issued.access).label("after logout", "로그아웃 뒤")).await;
        if denylist {
            return Ok(p.judge(&[i], refused_401));
        }
        let left = issued.parts.claims["exp"].as_u64().unwrap_or(0).saturating_sub(unix_now());
        match p.status(i) {
            200 => Ok(Verdict { outcome: Outcome::Passed, decisive: Some(i), note: None }.with_note(Note::new(
                format!("accepted after logout, as expected without a denylist: it keeps working for {left} s more"),
                format!("예상대로 거부 목록이 없어 로그아웃 뒤에도 허용됨: 앞으로 {left}초 더 통합니다"),
            ))),
            401 => Ok(Verdict { outcome: Outcome::Passed, decisive: Some(i), note: None }.with_note(Note::new(
                "refused after logout: this node keeps a denylist (stronger than the lesson expects)",
                "로그아웃 뒤 거부됨: 이 노드는 거부 목록을 둡니다 (실습이 예상한 것보다 강함)",
            ))),
            _ => Ok(Verdict { outcome: Outcome::Failed, decisive: Some(i), note: None }),
        }
    }

    async fn refresh_reuse(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let issued = self.token_login(base, p).await?;
        let refresh = |token: &str, en: &str, ko: &str| {
            Request::new(Method::POST, format!("{base}/refresh")).json(json!({"refresh_token": token})).label(en, ko)
        };
        let first = p.setup(refresh(&issued.refresh, "first use", "첫 사용"), 200).await?;
        let body: Value = serde_json::from_str(&p.exchanges[first].response_body).unwrap_or(Value::Null);
        let Some(rotated) = body["refresh_token"].as_str().map(str::to_owned) else {
            return Err(setup_failed(&p.exchanges[first], first));
        };
        let reuse = p.send(refresh(&issued.refresh, "reuse of the spent token", "이미 쓴 토큰 재사용")).await;
        let family = p.send(refresh(&rotated, "the rotated token, after the reuse", "재사용 뒤, 새로 받은 토큰")).await;
        Ok(p.judge(&[reuse, family], refused_401))
    }

    async fn fixation(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        // The attacker gets a real session id of their own, and plants it in the victim's browser.
        let (_, planted) = self.session_login(base, p, ATTACKER, None).await?;
        let (_, victims) = self.session_login(base, p, VICTIM, Some(&planted.value)).await?;
        // The attacker, still holding the planted id, tries the victim's profile.
        let check = p
            .send(
                profile(base)
                    .sid(&planted.value)
                    .label("the attacker's planted id, afterwards", "이후 공격자가 심어 둔 ID로"),
            )
            .await;
        // And an id the server never issued, planted the same way.
        let chosen = forge::b64url(&rand::random::<[u8; 32]>());
        let (_, after_chosen) = self.session_login(base, p, VICTIM, Some(&chosen)).await?;
        let victim = username(VICTIM);
        let exchange = &p.exchanges[check];
        let reached_victim = exchange.status == 200 && exchange.response_body.contains(&victim);
        let mut problems = Vec::new();
        if victims.value == planted.value {
            problems.push(("the planted id was kept at login", "로그인 때 심어 둔 ID가 유지됨"));
        }
        if after_chosen.value == chosen {
            problems.push(("an attacker-chosen id was adopted at login", "공격자가 고른 ID가 로그인 때 채택됨"));
        }
        if reached_victim {
            problems.push(("the planted id opens the victim's session", "심어 둔 ID로 피해자의 세션이 열림"));
        }
        if problems.is_empty() {
            Ok(Verdict { outcome: Outcome::Passed, decisive: Some(check), note: None }.with_note(Note::new(
                format!("login issued a fresh id ({} → {})", prefix(&planted.value, 8), prefix(&victims.value, 8)),
                format!("로그인 때 새 ID가 발급됨 ({} → {})", prefix(&planted.value, 8), prefix(&victims.value, 8)),
            )))
        } else {
            let en: Vec<&str> = problems.iter().map(|(en, _)| *en).collect();
            let ko: Vec<&str> = problems.iter().map(|(_, ko)| *ko).collect();
            Ok(Verdict { outcome: Outcome::Failed, decisive: Some(check), note: None }
                .with_note(Note::new(en.join("; "), ko.join("; "))))
        }
    }

    async fn csrf_cross_site(&self, base: &str, p: &mut Probe<'_>) -> Step<Verdict> {
        let (login, cookie) = self.session_login(base, p, VICTIM, None).await?;
        let same_site = cookie.same_site();
        let forged = p
            .send(
                Request::new(Method::POST, format!("{base}/logout"))
                    .sid(&cookie.value)
                    .cross_site()
                    .label("cross-site, with the victim's cookie", "교차 사이트, 피해자의 쿠키와 함께"),
            )
            .await;
        let after =
            p.send(profile(base).sid(&cookie.value).label("the victim, afterwards", "이후 피해자의 요청")).await;
        if same_site != "strict" && same_site != "lax" {
            return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(login), note: None }.with_note(Note::new(
                "the cookie has no SameSite=Strict or Lax: a browser would send it with the cross-site request",
                "쿠키에 SameSite=Strict나 Lax가 없습니다: 브라우저가 교차 사이트 요청에 쿠키를 실어 보냅니다",
            )));
        }
        if p.status(forged) != 403 {
            let note = if p.status(forged) == 204 {
                Note::new(
                    "the forged request logged the victim out: the node has no Origin check, so only SameSite in the browser protects this user",
                    "위조된 요청이 피해자를 로그아웃시켰습니다: 노드에 Origin 검사가 없어 브라우저의 SameSite만이 사용자를 지킵니다",
                )
            } else {
                Note::new("the forged request was not refused with 403", "위조된 요청이 403으로 거부되지 않았습니다")
            };
            return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(forged), note: Some(note) });
        }
        if p.status(after) != 200 {
            return Ok(Verdict { outcome: Outcome::Failed, decisive: Some(after), note: None });
        }
        Ok(Verdict { outcome: Outcome::Passed, decisive: Some(forged), note: None }.with_note(Note::new(
            format!("cookie SameSite={}; forged POST refused; the session still works", cookie_same_site_text(&cookie)),
            format!("쿠키 SameSite={}, 위조된 POST 거부, 세션은 계속 유효", cookie_same_site_text(&cookie)),
        )))
    }
}

fn cookie_same_site_text(cookie: &SetCookie) -> String {
    cookie.attribute("samesite").unwrap_or("").to_owned()
}

fn flags_verdict(login: usize, missing: &[&str]) -> Verdict {
    if missing.is_empty() {
        return Verdict { outcome: Outcome::Passed, decisive: Some(login), note: None };
    }
    let list = missing.join(", ");
    Verdict {
        outcome: Outcome::Failed,
        decisive: Some(login),
        note: Some(Note::new(format!("missing: {list}"), format!("빠진 속성: {list}"))),
    }
}

fn login(base: &str, seed: u64, user: u32) -> Request {
    let body = json!({"username": username(user), "password": password(seed, user)});
    Request::new(Method::POST, format!("{base}/login"))
        .json(body)
        .label(format!("log in as {}", username(user)), format!("{}로 로그인", username(user)))
}

fn profile(base: &str) -> Request {
    Request::new(Method::GET, format!("{base}/api/profile"))
}

/// The node's algorithm, read from the header of the token it issued.
fn node_algorithm(issued: &Issued, p: &Probe<'_>) -> Step<Alg> {
    let name = issued.parts.header["alg"].as_str().unwrap_or_default();
    parse_algorithm(name).map_err(|_| {
        let i = p.exchanges.len().saturating_sub(1);
        setup_failed(&p.exchanges[i], i)
    })
}

/// `token` with its signature re-encoded non-canonically (same bytes, other trailing bits).
fn non_canonical_token(token: &str) -> Result<String, &'static str> {
    let (input, signature) = token.rsplit_once('.').ok_or("not a JWS")?;
    let changed = forge::non_canonical(signature).ok_or("the signature has no unused bits to change")?;
    Ok(format!("{input}.{changed}"))
}

fn forge_failed(error: impl std::fmt::Display) -> Verdict {
    Verdict {
        outcome: Outcome::Failed,
        decisive: None,
        note: Some(Note::new(
            format!("the lab could not forge the token: {error}"),
            format!("실습이 토큰을 위조하지 못했습니다: {error}"),
        )),
    }
}

/// A loopback HTTP server that serves the attacker's JWKS to anyone and counts who came (to see
/// whether a node follows a `jku` header). Stops when dropped.
struct Bait {
    url: String,
    hits: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Bait {
    async fn serve(body: String) -> std::io::Result<Bait> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr()?);
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_millis(500), conn.read(&mut buf)).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            }
        });
        Ok(Bait { url, hits, task })
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Bait {
    fn drop(&mut self) {
        self.task.abort();
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

    #[test]
    fn targets_must_be_base_urls() {
        let ok = Targets { token: Some("http://127.0.0.1:1/".into()), ..Targets::default() }.normalized();
        assert_eq!(ok.ok().and_then(|t| t.token).as_deref(), Some("http://127.0.0.1:1"));
        for bad in ["127.0.0.1:1", "http://", "http://h/x", "ftp://h"] {
            let t = Targets { session: Some(bad.into()), ..Targets::default() };
            assert!(t.normalized().is_err(), "{bad}");
        }
    }
}
