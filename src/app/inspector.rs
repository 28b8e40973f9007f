//! The token inspector: any pasted JWT decoded (header, claims, signature, coloured, with their
//! sizes and dates), verified against a JWKS or a pasted key check by check, its claims edited and
//! re-signed, a live token minted, and its size set against a session cookie's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use egui::text::LayoutJob;
use egui::{Color32, FontId, RichText, TextEdit, TextFormat, Ui};
use serde_json::{Map, Value};

use super::mint::{Minted, OwnTokenNode};
use crate::i18n::{Language, Text};
use crate::token::inspect::resign::{self, ResignError, Signer};
use crate::token::inspect::{
    self, Check, DecodeError, Expectations, Inspection, KeySource, KeySourceError, Outcome, key,
};

/// jwt.io's colours: the header red, the claims purple, the signature blue.
const HEADER_COLOUR: Color32 = Color32::from_rgb(0xfb, 0x01, 0x5b);
const CLAIMS_COLOUR: Color32 = Color32::from_rgb(0xd6, 0x3a, 0xff);
const SIGNATURE_COLOUR: Color32 = Color32::from_rgb(0x00, 0xb9, 0xf1);
const PASSED_COLOUR: Color32 = Color32::from_rgb(40, 160, 70);
const FAILED_COLOUR: Color32 = Color32::from_rgb(220, 60, 60);

/// `Cookie: sid=` and a tower-sessions id: 128 random bits, base64url without padding (22
/// characters), as the session node's `sid` cookie carries it.
pub const COMPUTED_COOKIE_BYTES: usize = "Cookie: sid=".len() + 22;
/// What `Authorization: Bearer ` adds to the token.
const BEARER_PREFIX_BYTES: usize = "Authorization: Bearer ".len();

/// What the user asked the inspector for.
pub(crate) enum InspectorAction {
    /// Fetch the JWKS at this URL.
    Fetch(String),
    /// Mint a token from the lab's own token node (the live run's, or one started for it).
    Mint,
}

/// The inspector's state: what is pasted and typed, the keys fetched, the node it minted from.
#[derive(Default)]
pub struct Inspector {
    /// The token, as pasted (or minted, edited, re-signed).
    pub token: String,
    /// The editable claims JSON.
    pub claims: String,
    /// The token the claims box was last filled from (the box is refilled when the token changes).
    claims_of: String,
    /// The JWKS URL to verify against.
    pub jwks_url: String,
    /// A pasted JWK, PEM public key or HMAC secret (used instead of the JWKS when present).
    pub key_text: String,
    /// The private key to re-sign with.
    pub sign_key: String,
    /// The expected `iss` (empty: not checked).
    pub issuer: String,
    /// The expected `aud` (empty: not checked).
    pub audience: String,
    /// The keys fetched from a JWKS URL, and the URL.
    jwks: Option<(String, Result<KeySource, KeySourceError>)>,
    /// A JWKS is being fetched.
    pub fetching: bool,
    /// A token is being minted.
    pub minting: bool,
    /// The node and user of the last minted token.
    minted: Option<(String, String)>,
    /// The session cookie's bytes measured from a live run's session node.
    measured_cookie: Option<usize>,
    /// The token node started for minting, killed when dropped.
    own_node: Option<OwnTokenNode>,
    /// Why the last re-signing failed.
    resign_error: Option<ResignError>,
    /// The clock the checks and dates read (Unix seconds); `None`: the system's. Tests fix it.
    pub fixed_now: Option<u64>,
}

impl Inspector {
    /// The node started for minting, if one is up.
    pub(crate) fn own_node(&self) -> Option<&OwnTokenNode> {
        self.own_node.as_ref()
    }

    /// The URL of the token node the inspector started, if one is up.
    pub fn own_node_url(&self) -> Option<&str> {
        self.own_node.as_ref().map(|n| n.url.as_str())
    }

    /// `Cookie: sid=<id>`'s bytes, measured on a live run's session node, if it has been.
    pub fn measured_cookie(&self) -> Option<usize> {
        self.measured_cookie
    }

    /// Kills the token node started for minting, if any (a run is starting).
    pub(crate) fn drop_own_node(&mut self) {
        self.own_node = None;
    }

    /// Takes in a minted token: shows it, and points the JWKS URL at its node (returned, to fetch).
    pub(crate) fn minted(&mut self, minted: Minted) -> String {
        self.minting = false;
        self.token = minted.token;
        self.jwks_url = format!("{}/.well-known/jwks.json", minted.node);
        self.minted = Some((minted.node, minted.user));
        if minted.cookie_bytes.is_some() {
            self.measured_cookie = minted.cookie_bytes;
        }
        if minted.own.is_some() {
            self.own_node = minted.own;
        }
        self.jwks_url.clone()
    }

    /// Takes in a fetched JWKS.
    pub(crate) fn fetched(&mut self, url: String, keys: Result<KeySource, KeySourceError>) {
        self.fetching = false;
        self.jwks = Some((url, keys));
    }

    fn now(&self) -> u64 {
        self.fixed_now
            .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default())
    }

    /// The pasted key, read; else why the JWKS at the URL could not be fetched; else `None`.
    fn key(&self) -> Option<Result<KeySource, String>> {
        if !self.key_text.trim().is_empty() {
            return Some(key::key_from_bytes("pasted key", self.key_text.as_bytes()).map_err(|e| e.to_string()));
        }
        match &self.jwks {
            Some((url, Err(e))) if url == self.jwks_url.trim() => Some(Err(e.to_string())),
            _ => None,
        }
    }

    /// Draws the inspector; `live_tokens`: whether the live run has token nodes to mint from.
    pub(crate) fn show(&mut self, ui: &mut Ui, lang: Language, live_tokens: bool) -> Option<InspectorAction> {
        let mut action = None;
        ui.heading(lang.tr(Text::Inspector));
        ui.horizontal(|ui| {
            let label = match (live_tokens, self.own_node.is_some()) {
                (true, _) => Text::InspectMintLive,
                (false, true) => Text::InspectMintAgain,
                (false, false) => Text::InspectMintOwn,
            };
            if self.minting {
                ui.add(egui::Spinner::new());
            } else if ui.button(lang.tr(label)).clicked() {
                action = Some(InspectorAction::Mint);
            }
            if let Some((node, user)) = &self.minted {
                ui.label(lang.fill(Text::InspectMinted, &[node, user]));
            }
        });
        let paste = ui.label(lang.tr(Text::InspectPaste));
        let font = FontId::monospace(12.0);
        let edit = TextEdit::multiline(&mut self.token).font(font.clone()).desired_rows(3).desired_width(f32::INFINITY);
        ui.add(edit).labelled_by(paste.id);
        let decoded = inspect::decode(&self.token);
        let decoded = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                ui.label(RichText::new(decode_error(&e, lang)).color(FAILED_COLOUR).strong());
                return action;
            }
        };
        if self.claims_of != self.token {
            self.claims = serde_json::to_string_pretty(&decoded.claims).unwrap_or_default();
            self.claims_of = self.token.clone();
        }
        ui.label(coloured_token(&decoded.token, font.clone()));
        let key = self.key();
        // Taken out while the columns borrow the inspector, put back after.
        let jwks = self.jwks.take();
        let fetched = match (&jwks, &key) {
            (Some((url, Ok(keys))), None) if url == self.jwks_url.trim() => Some(keys),
            _ => None,
        };
        let usable = match &key {
            Some(Ok(k)) => Some(k),
            _ => fetched,
        };
        let expect = Expectations {
            issuer: Some(self.issuer.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
            audience: Some(self.audience.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
            leeway_s: 0,
        };
        let now = self.now();
        // Decoded once per frame: the checks take the decoded token.
        let inspection = Inspection::of(decoded, usable, &expect, now);
        egui::ScrollArea::vertical().id_salt("inspection").auto_shrink(false).show(ui, |ui| {
            ui.columns(2, |columns| {
                self.show_parts(&mut columns[0], lang, &inspection, &font);
                if let Some(fetch) = self.show_checks(&mut columns[1], lang, &inspection, key.as_ref(), fetched) {
                    action = Some(fetch);
                }
            });
        });
        if self.jwks.is_none() {
            self.jwks = jwks;
        }
        action
    }

    /// The left column: header, editable claims, signature, dates, and the wire sizes.
    fn show_parts(&mut self, ui: &mut Ui, lang: Language, inspection: &Inspection, font: &FontId) {
        let token = &inspection.token;
        let sizes = token.sizes;
        let bytes = |n: usize| lang.fill(Text::InspectBytes, &[&n.to_string()]);
        let title = |ui: &mut Ui, text: Text, n: usize, colour: Color32| {
            ui.label(RichText::new(format!("{} ({})", lang.tr(text), bytes(n))).strong().color(colour))
        };
        ui.label(lang.fill(Text::InspectTokenBytes, &[&sizes.token_bytes.to_string()]));
        let header_title = title(ui, Text::Header, sizes.header_bytes, HEADER_COLOUR);
        let header = pretty(&token.header);
        let mut header = header.as_str();
        // A read-only text box keeps the JSON's indentation (and lets it be selected and copied).
        let shown = TextEdit::multiline(&mut header).font(font.clone()).text_color(HEADER_COLOUR);
        ui.add(shown.desired_rows(1).desired_width(f32::INFINITY)).labelled_by(header_title.id);
        let claims_title = title(ui, Text::Payload, sizes.claims_bytes, CLAIMS_COLOUR);
        let edit = TextEdit::multiline(&mut self.claims)
            .font(font.clone())
            .text_color(CLAIMS_COLOUR)
            .desired_rows(6)
            .desired_width(f32::INFINITY);
        let edited = ui.add(edit).labelled_by(claims_title.id).changed();
        ui.label(RichText::new(lang.tr(Text::InspectClaimsHint)).small());
        let claims_ok = resign::parse_claims(&self.claims).is_ok();
        if !claims_ok {
            ui.label(RichText::new(lang.tr(Text::InspectClaimsNotJson)).color(FAILED_COLOUR));
        } else if edited {
            if let Ok(token) = resign::reencode(token, &self.claims) {
                self.claims_of = token.clone();
                self.token = token;
            }
        }
        title(ui, Text::Signature, sizes.signature_bytes, SIGNATURE_COLOUR);
        ui.label(RichText::new(token.signature_b64()).font(font.clone()).color(SIGNATURE_COLOUR));
        ui.add_space(6.0);
        ui.label(RichText::new(lang.tr(Text::InspectTimes)).strong());
        let times = &inspection.times;
        egui::Grid::new("token-times").striped(true).show(ui, |ui| {
            for (name, time) in [("exp", &times.exp), ("iat", &times.iat), ("nbf", &times.nbf)] {
                let Some(time) = time else { continue };
                ui.label(RichText::new(name).monospace());
                ui.label(&time.utc);
                ui.label(relative(time.from_now_s, lang));
                ui.end_row();
            }
        });
        ui.add_space(6.0);
        self.show_wire_size(ui, lang, sizes.token_bytes);
    }

    /// The bearer header against the session cookie, per request and per million requests.
    fn show_wire_size(&self, ui: &mut Ui, lang: Language, token_bytes: usize) {
        ui.label(RichText::new(lang.tr(Text::WireSize)).strong());
        let bearer = BEARER_PREFIX_BYTES + token_bytes;
        let (cookie, how) = match self.measured_cookie {
            Some(measured) => (measured, Text::WireCookieMeasured),
            None => (COMPUTED_COOKIE_BYTES, Text::WireCookieComputed),
        };
        egui::Grid::new("wire-sizes").striped(true).show(ui, |ui| {
            ui.label(lang.tr(Text::WireBearer));
            ui.label(format!("{bearer} B"));
            ui.end_row();
            ui.label(lang.tr(Text::WireCookie)).on_hover_text(lang.tr(how));
            ui.label(format!("{cookie} B  ({:.1}×)", bearer as f64 / cookie.max(1) as f64)).on_hover_text(lang.tr(how));
            ui.end_row();
        });
        let extra = bearer.saturating_sub(cookie);
        // A million requests of `extra` bytes each is `extra` MB (10^6 bytes).
        ui.label(lang.fill(Text::WireExtra, &[&extra.to_string(), &extra.to_string()]));
    }

    /// The right column: the key to verify with, the expectations, the checks, and re-signing.
    fn show_checks(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        inspection: &Inspection,
        key: Option<&Result<KeySource, String>>,
        fetched: Option<&KeySource>,
    ) -> Option<InspectorAction> {
        let mut action = None;
        ui.label(RichText::new(lang.tr(Text::InspectVerify)).strong());
        ui.horizontal(|ui| {
            let label = ui.label(lang.tr(Text::InspectJwksUrl));
            ui.add(TextEdit::singleline(&mut self.jwks_url).desired_width(320.0)).labelled_by(label.id);
            if self.fetching {
                ui.add(egui::Spinner::new());
            } else if ui.button(lang.tr(Text::InspectFetch)).clicked() && !self.jwks_url.trim().is_empty() {
                self.fetching = true;
                action = Some(InspectorAction::Fetch(self.jwks_url.trim().to_owned()));
            }
        });
        if let Some(keys) = fetched {
            let count = keys.candidates.len().to_string();
            ui.label(lang.fill(Text::InspectKeysFetched, &[&count, self.jwks_url.trim()]));
        }
        let label = ui.label(lang.tr(Text::InspectPastedKey));
        let edit = TextEdit::multiline(&mut self.key_text).font(FontId::monospace(11.0)).desired_rows(2);
        // A pasted PEM is long: the box scrolls rather than pushing the rest off the window.
        egui::ScrollArea::vertical().id_salt("pasted-key").max_height(64.0).show(ui, |ui| {
            ui.add(edit.desired_width(ui.available_width())).labelled_by(label.id);
        });
        if let Some(Err(e)) = key {
            ui.label(RichText::new(lang.fill(Text::InspectKeyUnusable, &[e])).color(FAILED_COLOUR));
        }
        egui::Grid::new("expectations").show(ui, |ui| {
            let label = ui.label(lang.tr(Text::InspectExpectIss));
            ui.add(TextEdit::singleline(&mut self.issuer).min_size(egui::vec2(240.0, 0.0))).labelled_by(label.id);
            ui.end_row();
            let label = ui.label(lang.tr(Text::InspectExpectAud));
            ui.add(TextEdit::singleline(&mut self.audience).min_size(egui::vec2(240.0, 0.0))).labelled_by(label.id);
            ui.end_row();
        });
        ui.add_space(4.0);
        egui::Grid::new("checks").striped(true).show(ui, |ui| {
            for check in &inspection.checks {
                let (word, colour) = match check.result {
                    Outcome::Passed => (Text::InspectPassed, PASSED_COLOUR),
                    Outcome::Failed => (Text::InspectFailed, FAILED_COLOUR),
                    Outcome::NotChecked => (Text::InspectNotChecked, Color32::GRAY),
                };
                ui.label(check_name(check.name, lang));
                ui.label(RichText::new(lang.tr(word)).strong().color(colour));
                let why = ui.label(reason(check, inspection, lang));
                if lang == Language::English {
                    why.on_hover_text(&check.detail);
                }
                ui.end_row();
            }
        });
        let (verdict, colour) = if inspection.verified() {
            (Text::InspectVerified, PASSED_COLOUR)
        } else {
            (Text::InspectNotVerified, FAILED_COLOUR)
        };
        ui.label(RichText::new(lang.tr(verdict)).strong().color(colour));
        ui.add_space(8.0);
        let label = ui.label(lang.tr(Text::InspectSignKey));
        let edit = TextEdit::multiline(&mut self.sign_key).font(FontId::monospace(11.0)).desired_rows(2);
        // A pasted PEM is long: the box scrolls rather than pushing the rest off the window.
        egui::ScrollArea::vertical().id_salt("sign-key").max_height(64.0).show(ui, |ui| {
            ui.add(edit.desired_width(ui.available_width())).labelled_by(label.id);
        });
        if ui.button(lang.tr(Text::InspectResign)).clicked() {
            let signed = Signer::from_text(&self.sign_key)
                .and_then(|signer| resign::resign(&inspection.token, &self.claims, &signer));
            match signed {
                Ok(token) => {
                    self.resign_error = None;
                    self.token = token;
                }
                Err(e) => self.resign_error = Some(e),
            }
        }
        if let Some(e) = &self.resign_error {
            let why = resign_error(e, lang);
            ui.label(RichText::new(lang.fill(Text::InspectCannotResign, &[&why])).color(FAILED_COLOUR));
        }
        action
    }
}

/// The compact token, its three parts in their colours.
fn coloured_token(token: &str, font: FontId) -> LayoutJob {
    let mut job = LayoutJob::default();
    let colours = [HEADER_COLOUR, CLAIMS_COLOUR, SIGNATURE_COLOUR];
    for (i, part) in token.splitn(3, '.').enumerate() {
        if i > 0 {
            job.append(".", 0.0, TextFormat::simple(font.clone(), Color32::GRAY));
        }
        job.append(part, 0.0, TextFormat::simple(font.clone(), colours[i.min(2)]));
    }
    job.wrap.break_anywhere = true;
    job
}

/// Seconds from now as "in 14m 59s" or "3m 12s ago", in the user's language.
fn relative(from_now_s: i64, lang: Language) -> String {
    let span = humantime::format_duration(Duration::from_secs(from_now_s.unsigned_abs())).to_string();
    let span = span.split(' ').take(2).collect::<Vec<_>>().join(" ");
    match from_now_s {
        0 => lang.tr(Text::InspectNow).to_owned(),
        s if s > 0 => lang.fill(Text::InspectIn, &[&span]),
        _ => lang.fill(Text::InspectAgo, &[&span]),
    }
}

/// Where malformed input breaks, in the user's language.
fn decode_error(e: &DecodeError, lang: Language) -> String {
    let part_name = |name: &str| match name {
        "header" => lang.tr(Text::Header),
        "claims" => lang.tr(Text::Payload),
        _ => lang.tr(Text::Signature),
    };
    match e {
        DecodeError::Empty => lang.tr(Text::BadEmpty).to_owned(),
        DecodeError::TooLong(n) => lang.fill(Text::BadTooLong, &[&n.to_string()]),
        DecodeError::Parts { parts: 5 } => lang.tr(Text::BadJwe).to_owned(),
        DecodeError::Parts { parts } => lang.fill(Text::BadParts, &[&parts.to_string()]),
        DecodeError::Base64 { part, name, at, in_token, .. } => {
            lang.fill(Text::BadBase64, &[&part.to_string(), part_name(name), &at.to_string(), &in_token.to_string()])
        }
        DecodeError::NotJsonObject { part, name, .. } => {
            lang.fill(Text::BadJson, &[&part.to_string(), part_name(name)])
        }
    }
}

fn check_name(name: &str, lang: Language) -> &'static str {
    lang.tr(match name {
        "signature" => Text::CheckSignature,
        "alg" => Text::CheckAlg,
        "typ" => Text::CheckTyp,
        "exp" => Text::CheckExp,
        "nbf" => Text::CheckNbf,
        "iss" => Text::CheckIss,
        "aud" => Text::CheckAud,
        _ => Text::CheckCrit,
    })
}

/// Why a check came out as it did, in the user's language.
fn reason(check: &Check, inspection: &Inspection, lang: Language) -> String {
    let alg = inspection.token.header.get("alg").map(value_text).unwrap_or_else(|| "-".into());
    let exp = inspection.times.exp.as_ref().map(|t| format!("{} ({})", relative(t.from_now_s, lang), t.utc));
    let text = match (check.name, check.result) {
        ("signature", Outcome::Passed) => Text::WhySignatureOk,
        ("signature", Outcome::Failed) => Text::WhySignatureBad,
        ("signature", _) if inspection.key.is_none() => Text::WhyNoKey,
        ("signature", _) => Text::WhyAlgRefusedNoTry,
        ("alg", Outcome::Passed) => return lang.fill(Text::WhyAlgOk, &[&alg]),
        ("alg", _) => return lang.fill(Text::WhyAlgBad, &[&alg]),
        ("typ", Outcome::Passed) => Text::WhyTypOk,
        ("typ", _) => Text::WhyTypBad,
        ("exp", result) => match (result, exp) {
            (Outcome::Passed, Some(exp)) => return lang.fill(Text::WhyExpOk, &[&exp]),
            (_, Some(exp)) => return lang.fill(Text::WhyExpPast, &[&exp]),
            (_, None) => Text::WhyExpMissing,
        },
        ("nbf", Outcome::Passed) => Text::WhyNbfOk,
        ("nbf", _) => Text::WhyNbfBad,
        ("iss" | "aud", Outcome::Passed) => Text::WhyMatches,
        ("iss" | "aud", Outcome::NotChecked) => Text::WhyNotExpected,
        ("iss", _) => Text::WhyIssBad,
        ("aud", _) => Text::WhyAudBad,
        (_, Outcome::Passed) => Text::WhyCritOk,
        _ => Text::WhyCritBad,
    };
    lang.tr(text).to_owned()
}

fn value_text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

fn resign_error(e: &ResignError, lang: Language) -> String {
    match e {
        ResignError::ClaimsNotJson(_) | ResignError::ClaimsNotObject => lang.tr(Text::InspectClaimsNotJson).to_owned(),
        ResignError::NoKey => lang.tr(Text::InspectSignKey).to_owned(),
        ResignError::Key(what) | ResignError::Sign(what) => what.clone(),
    }
}

/// A token's header or claims, pretty-printed (the attack lab shows the tokens it sent this way).
pub(crate) fn pretty(map: &Map<String, Value>) -> String {
    serde_json::to_string_pretty(map).unwrap_or_default()
}
