//! The token inspector: logs in as a user of the live run, decodes the access token it gets
//! (header, claims, signature), sets its size on the wire against the session cookie's, and
//! shows what it found ([`show`]; the login itself runs as one of the app's jobs).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use egui::{RichText, Ui};
use serde_json::Value;

use crate::i18n::{Language, Text};

/// What one inspection found.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub user: String,
    pub node: String,
    pub header: String,
    pub payload: String,
    pub signature: String,
    pub signature_bytes: usize,
    /// `Authorization: Bearer <token>`
    pub authorization_bytes: usize,
    /// `Cookie: sid=<id>`, when the run has session nodes.
    pub cookie_bytes: Option<usize>,
}

/// Why a token could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("a JWT has three parts separated by dots")]
    NotThreeParts,
    /// The header or the payload.
    #[error("not base64url: {0}")]
    NotBase64(base64::DecodeError),
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("{0}")]
    Pretty(serde_json::Error),
    #[error("signature is not base64url: {0}")]
    Signature(base64::DecodeError),
    /// The inspector's HTTP client could not be built.
    #[error("{0}")]
    Client(reqwest::Error),
    /// The run has no token node.
    #[error("no token node")]
    NoTokenNode,
    /// No token node answered the login, or its answer was not JSON.
    #[error("{0}")]
    Login(reqwest::Error),
    /// A token node's login answer carried no access token.
    #[error("{node} answered {answer}")]
    NoToken { node: String, answer: Value },
}

fn pretty(part: &str) -> Result<String, InspectError> {
    let bytes = B64.decode(part).map_err(InspectError::NotBase64)?;
    let json: Value = serde_json::from_slice(&bytes).map_err(InspectError::NotJson)?;
    serde_json::to_string_pretty(&json).map_err(InspectError::Pretty)
}

/// Splits and decodes a compact JWS; the signature is shown, never trusted.
pub fn decode(token: &str) -> Result<(String, String, String, usize), InspectError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InspectError::NotThreeParts);
    };
    let signature_bytes = B64.decode(signature).map_err(InspectError::Signature)?.len();
    Ok((pretty(header)?, pretty(payload)?, signature.to_owned(), signature_bytes))
}

/// Logs `user` in on the first token node that answers (and on a session node, for the cookie).
pub async fn inspect(
    http: reqwest::Client,
    token_nodes: Vec<String>,
    session_nodes: Vec<String>,
    user: String,
    password: String,
) -> Result<Inspection, InspectError> {
    let body = serde_json::json!({"username": user, "password": password});
    let mut last_error = InspectError::NoTokenNode;
    for node in token_nodes {
        let answer = match http.post(format!("{node}/login")).json(&body).send().await {
            Ok(answer) => answer,
            Err(e) => {
                last_error = InspectError::Login(e);
                continue;
            }
        };
        let json: Value = answer.json().await.map_err(InspectError::Login)?;
        let Some(token) = json["access_token"].as_str().map(str::to_owned) else {
            return Err(InspectError::NoToken { node, answer: json });
        };
        let (header, payload, signature, signature_bytes) = decode(&token)?;
        let mut cookie_bytes = None;
        for session_node in &session_nodes {
            if let Ok(answer) = http.post(format!("{session_node}/login")).json(&body).send().await {
                let cookie =
                    answer.headers().get(reqwest::header::SET_COOKIE).and_then(|v| v.to_str().ok()).map(str::to_owned);
                if let Some(pair) = cookie.as_deref().and_then(|c| c.split(';').next()) {
                    cookie_bytes = Some("Cookie: ".len() + pair.len());
                    break;
                }
            }
        }
        return Ok(Inspection {
            user,
            node,
            header,
            payload,
            signature,
            signature_bytes,
            authorization_bytes: "Authorization: Bearer ".len() + token.len(),
            cookie_bytes,
        });
    }
    Err(last_error)
}

/// Draws the inspector: its login button (when the live run has token nodes and no inspection
/// is under way) and what the last inspection found. Returns whether the user asked to log in.
pub(crate) fn show(
    ui: &mut Ui,
    lang: Language,
    has_tokens: bool,
    inspecting: bool,
    found: Option<&Inspection>,
) -> bool {
    let mut login = false;
    ui.heading(lang.tr(Text::Inspector));
    ui.horizontal(|ui| {
        if !has_tokens {
            ui.label(lang.tr(Text::InspectNeedsRun));
        } else if inspecting {
            ui.add(egui::Spinner::new());
        } else if ui.button(lang.tr(Text::InspectLogin)).clicked() {
            login = true;
        }
    });
    let Some(found) = found else { return login };
    ui.label(format!("{} @ {}", found.user, found.node));
    ui.add_space(6.0);
    ui.label(RichText::new(lang.tr(Text::WireSize)).strong());
    egui::Grid::new("wire-sizes").striped(true).show(ui, |ui| {
        ui.label("Authorization: Bearer <token>");
        ui.label(format!("{} B", found.authorization_bytes));
        ui.end_row();
        if let Some(cookie) = found.cookie_bytes {
            ui.label("Cookie: sid=<id>");
            ui.label(format!("{cookie} B  ({:.1}×)", found.authorization_bytes as f64 / cookie.max(1) as f64));
            ui.end_row();
        }
    });
    egui::ScrollArea::vertical().show(ui, |ui| {
        for (title, text) in [(Text::Header, &found.header), (Text::Payload, &found.payload)] {
            ui.label(RichText::new(lang.tr(title)).strong());
            ui.label(RichText::new(text).monospace());
        }
        ui.label(RichText::new(format!("{} ({} B)", lang.tr(Text::Signature), found.signature_bytes)).strong());
        ui.label(RichText::new(&found.signature).monospace());
    });
    login
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_token_into_readable_parts() {
        let header = B64.encode(br#"{"alg":"HS256","typ":"at+jwt"}"#);
        let payload = B64.encode(br#"{"sub":"user0000001"}"#);
        let token = format!("{header}.{payload}.{}", B64.encode([7u8; 32]));
        let (h, p, _, signature_bytes) = decode(&token).unwrap();
        assert!(h.contains("at+jwt") && p.contains("user0000001"));
        assert_eq!(signature_bytes, 32);
        assert!(decode("a.b").is_err());
    }
}
