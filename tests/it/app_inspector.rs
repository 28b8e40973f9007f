//! The app's token inspector, driven headless: a pasted token checked, its claims typed over,
//! re-signed with a PEM key, and a token minted from a node the inspector starts itself.

use std::time::{Duration, Instant};

use authlab::app::{AuthlabApp, View};
use base64::Engine;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable};

use crate::app::{app, gpu_harness, harness, vulkan_available};

/// The clock of these tests (2027-01-15), and the tokens' expiry 15 minutes after it.
const NOW: u64 = 1_800_000_000;
const SECRET: &str = "the issuer's HMAC secret, 32 bytes or more";

fn hs256_token(secret: &str) -> String {
    let claims = serde_json::json!({"sub": "user0000007", "iss": "authlab", "iat": NOW - 60, "exp": NOW + 900});
    let header =
        jsonwebtoken::Header { typ: Some("JWT".into()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) };
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap()).unwrap()
}

/// The app on the inspector, with `token` pasted and `key` pasted to verify with.
fn inspecting(mut app: AuthlabApp, token: &str, key: &str) -> AuthlabApp {
    app.view = View::Inspector;
    app.inspector.fixed_now = Some(NOW);
    app.inspector.token = token.to_owned();
    app.inspector.key_text = key.to_owned();
    app
}

/// The reason the signature check gives: each outcome has its own sentence.
const SIGNATURE_FAILED: &str = "the signature does not verify with the key given";
const SIGNATURE_PASSED: &str = "the signature verifies with the key given";

fn signature_reason(harness: &Harness<'_, AuthlabApp>) -> &'static str {
    if harness.query_by_label_contains(SIGNATURE_FAILED).is_some() {
        SIGNATURE_FAILED
    } else if harness.query_by_label_contains(SIGNATURE_PASSED).is_some() {
        SIGNATURE_PASSED
    } else {
        "neither"
    }
}

#[test]
fn a_pasted_token_with_a_bad_signature_shows_the_signature_check_failed() {
    let token = hs256_token("another secret, which the verifier does not hold");
    let app = inspecting(app(), &token, SECRET);
    let mut harness = if vulkan_available() { gpu_harness(app) } else { harness(app) };
    harness.run();
    assert_eq!(signature_reason(&harness), SIGNATURE_FAILED);
    assert_eq!(harness.query_all_by_label("FAILED").count(), 1, "only the signature fails");
    harness.get_by_label("HS256 is on the allowlist and fits the key");
    harness.get_by_label_contains("expires in 15m");
    harness.get_by_label("Not verified.");
    harness.get_by_label_contains("Payload (claims) (");
    if vulkan_available() {
        harness.snapshot("inspector_bad_signature_en");
    }
}

#[test]
fn typing_over_a_claim_breaks_a_verified_signature() {
    let mut harness = harness(inspecting(app(), &hs256_token(SECRET), SECRET));
    harness.run();
    harness.get_by_label_contains("Verified:");
    assert_eq!(signature_reason(&harness), SIGNATURE_PASSED);
    let claims =
        harness.get(By::new().predicate(|n| {
            n.role() == Role::MultilineTextInput && n.value().is_some_and(|v| v.contains("user0000007"))
        }));
    claims.focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run();
    let forged = format!(r#"{{"sub":"admin","iss":"authlab","exp":{}}}"#, NOW + 900);
    harness.get(By::new().predicate(|n| n.role() == Role::MultilineTextInput && n.is_focused())).type_text(&forged);
    harness.run();
    harness.run();
    assert_eq!(signature_reason(&harness), SIGNATURE_FAILED);
    harness.get_by_label("Not verified.");
    let token = harness.state().inspector.token.clone();
    let claims = token.split('.').nth(1).unwrap();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap();
    assert!(String::from_utf8(claims).unwrap().contains("\"admin\""), "the typed claims are in the token");
}

#[test]
fn re_signing_with_a_pem_private_key_verifies_against_its_public_key() {
    use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let pem = |label: &str, der: &[u8]| {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let public: PublicKeyX509Der<'_> = pair.public_key().as_der().unwrap();
    let private = pair.to_pkcs8v1().unwrap();
    let mut app = inspecting(app(), &hs256_token(SECRET), &pem("PUBLIC KEY", public.as_ref()));
    app.inspector.sign_key = pem("PRIVATE KEY", private.as_ref());
    let mut harness = harness(app);
    harness.run();
    assert_ne!(signature_reason(&harness), SIGNATURE_PASSED, "an HS256 token does not verify with an EC key");
    harness.get_by_label("Re-sign with this key").click();
    harness.run();
    harness.run();
    let header = harness.state().inspector.token.split('.').next().unwrap_or_default().to_owned();
    let header = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    let error = harness.query_by_label_contains("Cannot re-sign").map(|n| format!("{n:?}"));
    assert!(header.contains("ES256"), "re-signed with the EC key: {header} {error:?}");
    assert_eq!(signature_reason(&harness), SIGNATURE_PASSED);
    harness.get_by_label_contains("Verified:");
}

#[test]
fn minting_with_no_run_starts_a_token_node_whose_jwks_verifies_the_token() {
    let mut app = app();
    app.view = View::Inspector;
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Mint a token (starts a token node of the lab's own)").click();
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.query_by_label_contains("Verified:").is_none() {
        assert!(Instant::now() < deadline, "no verified token: {:?}", harness.state().notices);
        std::thread::sleep(Duration::from_millis(50));
        harness.step();
    }
    let url = harness.state().inspector.own_node_url().map(str::to_owned).unwrap();
    assert_eq!(harness.state().inspector.jwks_url, format!("{url}/.well-known/jwks.json"));
    assert_eq!(signature_reason(&harness), SIGNATURE_PASSED);
    harness.get_by_label_contains("key(s) fetched from");
}

#[test]
fn malformed_input_says_where_it_breaks_and_korean_names_the_checks_in_korean() {
    let mut app = inspecting(app(), "eyJhbGciOiJIUzI1NiJ9.e+30.c2ln", SECRET);
    let mut harness = harness(app);
    harness.run();
    harness.get_by_label("Part 2 (Payload (claims)) is not base64url at byte 1 of the part (byte 22 of the token).");
    harness.state_mut().inspector.token = hs256_token("another secret, which the verifier does not hold");
    harness.get_by_label("한국어").click();
    harness.run();
    harness.get_by_label("서명");
    harness.get_by_label("실패");
    harness.get_by_label_contains("주어진 키로 서명이 검증되지 않습니다");
    harness.get_by_label_contains("만료: ");
    app = harness.into_state();
    assert_eq!(app.prefs.language, authlab::i18n::Language::Korean);
}
