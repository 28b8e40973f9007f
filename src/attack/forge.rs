//! Forging JWTs by hand: splitting a real token, re-encoding a changed header or claims, and
//! signing with whatever key an attacker holds, including the tokens no JWT library will build
//! (`alg: none`, `exp` as a string, a member named twice, a signature encoded non-canonically),
//! plus the encodings of a public key an attacker tries as an HMAC secret.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::token::keys::SigningKey;

/// Why a token could not be taken apart or put together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// The token is not three dot-separated parts.
    #[error("a JWT has three dot-separated parts")]
    NotThreeParts,
    /// This part (`header`, `claims`) is not base64url-encoded JSON.
    #[error("the {0} is not base64url-encoded JSON")]
    BadPart(&'static str),
    /// The key would not sign (the signing library's reason).
    #[error("signing failed: {0}")]
    Sign(String),
    /// The JWK lacks this member, or it is not a base64url string.
    #[error("the JWK has no usable {0}")]
    BadJwk(&'static str),
}

/// A compact JWS taken apart: its header and claims as JSON, and its signature as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    /// The header, decoded.
    pub header: Value,
    /// The claims, decoded.
    pub claims: Value,
    /// The signature, as the token carried it (base64url, not decoded).
    pub signature: String,
}

/// `bytes` in base64url without padding, as JWS encodes every part.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn b64json(value: &Value) -> String {
    b64url(value.to_string().as_bytes())
}

fn decode_part(part: &str, what: &'static str) -> Result<Value, ForgeError> {
    let bytes = B64.decode(part.trim_end_matches('=')).map_err(|_| ForgeError::BadPart(what))?;
    serde_json::from_slice(&bytes).map_err(|_| ForgeError::BadPart(what))
}

/// Splits a compact JWS into its decoded header and claims and its signature.
pub fn split(token: &str) -> Result<Parts, ForgeError> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(ForgeError::NotThreeParts);
    };
    Ok(Parts { header: decode_part(h, "header")?, claims: decode_part(c, "claims")?, signature: s.to_owned() })
}

/// `header.claims` exactly as given: the signing input.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64json(header), b64json(claims))
}

/// `header.claims.signature`, with the signature part given as is (empty for `alg: none`).
pub fn with_signature(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{signature}", signing_input(header, claims))
}

/// Signs `header.claims` with HMAC-SHA256 under any secret, however short or odd (what a
/// verifier that takes its HMAC key from the wrong place would check it with).
pub fn hmac_sha256(header: &Value, claims: &Value, secret: &[u8]) -> Result<String, ForgeError> {
    let input = signing_input(header, claims);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).map_err(|e| ForgeError::Sign(e.to_string()))?;
    mac.update(input.as_bytes());
    Ok(format!("{input}.{}", b64url(&mac.finalize().into_bytes())))
}

/// Signs `header.claims` with `key` (and its algorithm), leaving the header exactly as given.
pub fn sign(header: &Value, claims: &Value, key: &SigningKey) -> Result<String, ForgeError> {
    sign_text(&header.to_string(), &claims.to_string(), key)
}

/// Signs a header and claims given as JSON text, exactly as written: what a JSON value cannot
/// hold, such as a member named twice.
pub fn sign_text(header: &str, claims: &str, key: &SigningKey) -> Result<String, ForgeError> {
    let input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()));
    let signature = key.sign(input.as_bytes()).map_err(|e| ForgeError::Sign(e.to_string()))?;
    Ok(format!("{input}.{signature}"))
}

/// JSON text of `object` with `member` added a second time, with `value`, after the first.
pub fn with_member_twice(object: &Value, member: &str, value: &Value) -> String {
    let text = object.to_string();
    let extra = format!(",{}:{value}", Value::from(member));
    format!("{}{extra}}}", text.strip_suffix('}').unwrap_or(&text))
}

/// The same bytes as the base64url `part`, encoded differently: the unused low bits of its last
/// character set (RFC 4648 section 3.5 calls such an encoding non-canonical). `None` when the
/// part has no unused bits (a length that is a multiple of 3 bytes).
pub fn non_canonical(part: &str) -> Option<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if part.len() % 4 == 0 {
        return None;
    }
    let (rest, last) = part.split_at(part.len().checked_sub(1)?);
    let value = ALPHABET.iter().position(|&c| last.as_bytes().first() == Some(&c))?;
    Some(format!("{rest}{}", ALPHABET[value ^ 1] as char))
}

/// Changes the first character of a base64url signature (the last one may carry only padding bits).
pub fn flip_first_char(signature: &str) -> String {
    let mut chars: Vec<char> = signature.chars().collect();
    if let Some(first) = chars.first_mut() {
        *first = if *first == 'A' { 'B' } else { 'A' };
    }
    chars.into_iter().collect()
}

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = bytes.iter().copied().skip_while(|&x| x == 0).collect();
    if b.first().is_none_or(|&x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    der(0x02, &b)
}

fn spki(algorithm_id: &[u8], key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    let mut body = der(0x30, algorithm_id);
    body.extend(der(0x03, &bits));
    der(0x30, &body)
}

fn pem(label: &str, der_bytes: &[u8]) -> String {
    let body = STANDARD.encode(der_bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn jwk_bytes(jwk: &Value, field: &'static str) -> Result<Vec<u8>, ForgeError> {
    let text = jwk[field].as_str().ok_or(ForgeError::BadJwk(field))?;
    B64.decode(text.trim_end_matches('=')).map_err(|_| ForgeError::BadJwk(field))
}

/// The byte strings an attacker would try as the HMAC secret when a server publishes `jwk`: its
/// SPKI PEM (the classic), that PEM without its final newline, the SPKI DER, the PKCS#1 PEM of an
/// RSA key, and the JWK's JSON text. Each comes with a short name.
pub fn public_key_secrets(jwk: &Value) -> Result<Vec<(&'static str, Vec<u8>)>, ForgeError> {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let spki_der = match jwk["kty"].as_str() {
        Some("RSA") => {
            let (n, e) = (jwk_bytes(jwk, "n")?, jwk_bytes(jwk, "e")?);
            let pkcs1 = der(0x30, &[der_uint(&n), der_uint(&e)].concat());
            out.push(("PKCS#1 PEM", pem("RSA PUBLIC KEY", &pkcs1).into_bytes()));
            let rsa_encryption = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
            spki(&[der(0x06, &rsa_encryption), vec![0x05, 0x00]].concat(), &pkcs1)
        }
        Some("EC") => {
            let point = [vec![0x04], jwk_bytes(jwk, "x")?, jwk_bytes(jwk, "y")?].concat();
            let ec_public_key = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
            let p256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
            spki(&[der(0x06, &ec_public_key), der(0x06, &p256)].concat(), &point)
        }
        Some("OKP") => spki(&der(0x06, &[0x2b, 0x65, 0x70]), &jwk_bytes(jwk, "x")?),
        _ => return Err(ForgeError::BadJwk("kty")),
    };
    let spki_pem = pem("PUBLIC KEY", &spki_der);
    out.insert(0, ("SPKI PEM", spki_pem.clone().into_bytes()));
    out.insert(1, ("SPKI PEM without the final newline", spki_pem.trim_end().as_bytes().to_vec()));
    out.insert(2, ("SPKI DER", spki_der));
    out.push(("JWK JSON text", jwk.to_string().into_bytes()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::keys::{Alg, KeySet};
    use serde_json::json;

    #[test]
    fn a_non_canonical_part_decodes_to_nothing_and_a_repeated_member_is_written_twice() {
        let signature = b64url(&[0xab; 32]);
        let changed = non_canonical(&signature).expect("32 bytes leave two unused bits");
        assert_ne!(changed, signature);
        assert_eq!(changed.len(), signature.len());
        // A lenient decoder that ignores the unused bits reads the same bytes.
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            base64::engine::GeneralPurposeConfig::new()
                .with_encode_padding(false)
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone)
                .with_decode_allow_trailing_bits(true),
        );
        assert_eq!(lenient.decode(&changed).unwrap(), vec![0xab; 32]);
        assert!(B64.decode(&changed).is_err(), "a strict decoder refuses it");
        assert_eq!(non_canonical(&b64url(&[1, 2, 3])), None);
        let twice = with_member_twice(&json!({"sub": "a"}), "sub", &json!("b"));
        assert_eq!(twice, r#"{"sub":"a","sub":"b"}"#);
    }

    #[test]
    fn split_and_rebuild_round_trip() {
        let header = json!({"alg": "none", "typ": "at+jwt"});
        let claims = json!({"sub": "u", "exp": "tomorrow"});
        let token = with_signature(&header, &claims, "");
        assert!(token.ends_with('.'));
        let parts = split(&token).expect("three parts");
        assert_eq!((parts.header, parts.claims, parts.signature.as_str()), (header, claims, ""));
        assert_eq!(split("a.b"), Err(ForgeError::NotThreeParts));
        assert_eq!(split("a.b.c"), Err(ForgeError::BadPart("header")));
    }

    #[test]
    fn the_spki_pem_built_from_a_jwk_is_the_real_public_key() {
        for alg in [Alg::RS256, Alg::ES256, Alg::EdDSA, Alg::Ed25519] {
            let keys = KeySet::generate(alg).expect("a key");
            let jwk = keys.public_jwks()["keys"][0].clone();
            let secrets = public_key_secrets(&jwk).expect("secrets");
            let (name, pem) = &secrets[0];
            assert_eq!(*name, "SPKI PEM");
            let parsed = match alg {
                Alg::RS256 => jsonwebtoken::DecodingKey::from_rsa_pem(pem).is_ok(),
                Alg::ES256 => jsonwebtoken::DecodingKey::from_ec_pem(pem).is_ok(),
                _ => jsonwebtoken::DecodingKey::from_ed_pem(pem).is_ok(),
            };
            assert!(parsed, "{alg:?}: {}", String::from_utf8_lossy(pem));
        }
    }

    #[test]
    fn hmac_with_an_empty_secret_still_signs() {
        let token = hmac_sha256(&json!({"alg": "HS256"}), &json!({}), b"").expect("signed");
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(flip_first_char("AbC"), "BbC");
        assert_eq!(flip_first_char("xbC"), "AbC");
    }
}
