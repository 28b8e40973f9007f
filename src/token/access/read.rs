//! Reading a token before trusting it: the `Authorization` header's bearer token, split and its
//! JOSE header decoded, only enough to pick a key.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Algorithm;
use jsonwebtoken::errors::ErrorKind;
use serde::Deserialize;

use super::{ACCESS_TOKEN_TYPE, MAX_AUTHORIZATION_BYTES, refusal::*};
use crate::token::keys::Alg;

/// Extracts the token from an `Authorization: Bearer <token>` header value.
pub fn parse_bearer(header: &[u8]) -> Result<&str, AuthError> {
    if header.len() > MAX_AUTHORIZATION_BYTES {
        return Err(AuthError::Malformed);
    }
    let text = std::str::from_utf8(header).map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = text.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed);
    }
    let token = token.trim_start_matches(' ');
    // RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then any "=".
    let body = token.trim_end_matches('=');
    // Every byte is looked at (no early exit), which lets the compiler check many at once.
    let valid = !body.is_empty() && body.bytes().fold(true, |valid, b| valid & is_b64token_byte(b));
    if valid { Ok(token) } else { Err(AuthError::Malformed) }
}

/// Whether `b` may appear in an RFC 6750 b64token before its trailing `=`s, without branches.
pub(super) fn is_b64token_byte(b: u8) -> bool {
    (b.wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'A') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+')
        | (b == b'/')
}

/// An access token's header, read before its signature is checked: only enough to pick a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedToken<'a> {
    /// The whole token, as the bearer header carried it.
    pub token: &'a str,
    /// The key id the header names: the only part of the header that chooses a key.
    pub kid: String,
    /// The algorithm the header claims (`None`: one jsonwebtoken knows but this lab does not use);
    /// never used to choose one, only compared with the key's.
    pub alg: Option<Alg>,
    /// The token's parts, split once: what the signature covers, the claims, the signature.
    pub(super) signing_input: &'a str,
    pub(super) claims: &'a str,
    pub(super) signature: &'a str,
    /// Whether its `crit` and `b64` are ones jsonwebtoken accepts (checked where `decode` did).
    pub(super) extensions_supported: bool,
}

/// A JSON string, borrowed from the input unless it has escapes.
pub(super) struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// Any JSON value, `null` included (an absent member is `None`).
pub(super) fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

/// A JOSE header, read in one pass: every parameter registered by RFC 7515 with the type
/// `jsonwebtoken::Header` gives it (so a malformed one is refused as it always was), strings
/// borrowed from the decoded header. Only `typ`, `alg` and `kid` are used; `crit` and `b64` are
/// checked as jsonwebtoken checks them; the key parameters (`jwk`, `jku`, `x5u`, `x5c`) are never
/// followed.
#[derive(Deserialize)]
#[allow(dead_code)]
pub(super) struct JoseHeader<'a> {
    #[serde(borrow)]
    typ: Option<Text<'a>>,
    #[serde(borrow)]
    alg: Text<'a>,
    #[serde(borrow)]
    kid: Option<Text<'a>>,
    #[serde(borrow)]
    cty: Option<Text<'a>>,
    #[serde(borrow)]
    jku: Option<Text<'a>>,
    jwk: Option<jsonwebtoken::jwk::Jwk>,
    #[serde(borrow)]
    x5u: Option<Text<'a>>,
    #[serde(borrow)]
    x5c: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    x5t: Option<Text<'a>>,
    #[serde(borrow, rename = "x5t#S256")]
    x5t_s256: Option<Text<'a>>,
    #[serde(borrow)]
    crit: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    enc: Option<Text<'a>>,
    #[serde(borrow)]
    zip: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    nonce: Option<Text<'a>>,
    #[serde(default, deserialize_with = "present")]
    b64: Option<serde_json::Value>,
}

impl JoseHeader<'_> {
    /// RFC 7515 `crit` and RFC 7797 `b64`, as jsonwebtoken accepts them: `b64` absent or `true`,
    /// and `crit` absent or exactly `["b64"]` with `b64` present.
    fn extensions_supported(&self) -> bool {
        let b64 = match &self.b64 {
            None => None,
            Some(serde_json::Value::Bool(true)) => Some(true),
            Some(_) => return false,
        };
        match &self.crit {
            None => true,
            Some(crit) => crit.len() == 1 && crit[0].0 == "b64" && b64.is_some(),
        }
    }
}

/// Decodes a base64url part of a token (no padding, as JWS requires).
pub(super) fn unbase64(part: &str) -> Result<Vec<u8>, base64::DecodeError> {
    B64.decode(part)
}

/// Splits a compact JWS into (header, claims, signature) as jsonwebtoken does: the last two dots.
pub(super) fn split_token(token: &str) -> Option<(&str, &str, &str)> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, claims) = signing_input.rsplit_once('.')?;
    Some((header, claims, signature))
}

/// Reads an `Authorization` header value up to the key choice: a bearer token whose header says
/// `typ: at+jwt` and names a `kid`. Nothing else of the header is trusted.
pub fn read_access_token(authorization: Option<&[u8]>) -> Result<UnverifiedToken<'_>, AuthError> {
    let token = parse_bearer(authorization.ok_or(AuthError::Missing)?)?;
    let (header, claims, signature) =
        split_token(token).ok_or_else(|| refused(AuthError::MalformedToken, "not three parts"))?;
    let json = unbase64(header).map_err(|e| refused(AuthError::MalformedToken, format_args!("header: {e}")))?;
    let header: JoseHeader<'_> =
        serde_json::from_slice(&json).map_err(|e| refused(AuthError::MalformedToken, format_args!("header: {e}")))?;
    // The header's alg, exactly as RFC 7515 spells it; one jsonwebtoken does not know is malformed.
    let alg = match Alg::from_header(&header.alg.0) {
        Some(alg) => Some(alg),
        None => match header.alg.0.parse::<Algorithm>() {
            Ok(_) => None,
            Err(_) => return Err(refused(AuthError::MalformedToken, format_args!("unknown alg {:?}", header.alg.0))),
        },
    };
    let typ_ok = header
        .typ
        .as_ref()
        .is_some_and(|t| t.0.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || t.0.eq_ignore_ascii_case("application/at+jwt"));
    if !typ_ok {
        let typ = header.typ.as_ref().map(|t| t.0.as_ref());
        return Err(refused(AuthError::WrongType, format_args!("typ {typ:?}")));
    }
    let extensions_supported = header.extensions_supported();
    // Only `kid` is read from the header, and only to choose among the verifier's own keys.
    let kid = header.kid.ok_or_else(|| refused(AuthError::UnknownKey, "no kid"))?.0.into_owned();
    let signing_input = &token[..token.len() - signature.len() - 1];
    Ok(UnverifiedToken { token, kid, alg, signing_input, claims, signature, extensions_supported })
}

/// A refusal for a part that is not (canonical) base64url.
pub(super) fn bad_base64(part: &str, e: base64::DecodeError) -> AuthError {
    refused(AuthError::MalformedToken, format_args!("{part}: {e}"))
}

/// The class of one of jsonwebtoken's reasons.
pub(super) fn invalid(kind: ErrorKind) -> AuthError {
    let class = match &kind {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => AuthError::WrongAlgorithm,
        ErrorKind::InvalidToken => AuthError::UnsupportedExtension,
        ErrorKind::Base64(_) | ErrorKind::Utf8(_) => AuthError::MalformedToken,
        ErrorKind::InvalidKeyFormat | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) => {
            AuthError::BadSignature
        }
        _ => AuthError::BadClaims,
    };
    refused(class, format_args!("{kind:?}"))
}
