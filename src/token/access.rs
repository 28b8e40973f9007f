//! Access tokens: the claims they carry, issuing them, and the auth check that accepts or refuses one.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{hmac, signature as aws_sig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, Validation};
use serde::{Deserialize, Serialize};

use super::denylist::Denylist;
use super::keys::{Alg, KeyError, KeySet};
use super::subjects::RevokedSubjects;

/// The `typ` header of an access token (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// The longest `Authorization` header the auth check reads.
pub const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;

/// The `aud` claim: one audience, or several (RFC 7519 allows both forms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Reads a string or an array of strings directly (serde's `untagged` would buffer the value and
/// try each form in turn, on every auth check).
impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Audience;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience::One(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Audience, E> {
                Ok(Audience::One(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut many = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(audience) = seq.next_element::<String>()? {
                    many.push(audience);
                }
                Ok(Audience::Many(many))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Audience {
    /// Whether `audience` is one of the token's audiences.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub iss: String,
    pub aud: Audience,
    #[serde(deserialize_with = "numeric_date")]
    pub exp: u64,
    #[serde(deserialize_with = "numeric_date")]
    pub iat: u64,
    #[serde(deserialize_with = "numeric_date")]
    pub nbf: u64,
    pub jti: String,
    pub scope: String,
    /// Fine-grained permissions; `--claims-bytes` pads this list so token size can be studied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perms: Vec<String>,
}

/// The largest NumericDate a token may carry: `i64::MAX` seconds.
const MAX_NUMERIC_DATE: u64 = i64::MAX as u64;

/// Reads a NumericDate (RFC 7519 section 2): a JSON number of seconds since 1970, integer or not,
/// from 0 to `i64::MAX`; a fraction is dropped (so `exp` ends, and `iat` counts as issued, at the
/// start of its second). Strings, booleans, `null`, negative numbers and larger ones are refused.
fn numeric_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a NumericDate: a number of seconds from 0 to 2^63 - 1")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            if v <= MAX_NUMERIC_DATE { Ok(v) } else { Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)) }
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
            // 2^63 is exactly representable; every finite f64 below it floors to an i64.
            if v.is_finite() && v >= 0.0 && v < MAX_NUMERIC_DATE as f64 {
                Ok(v.floor() as u64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    deserializer.deserialize_any(Visitor)
}

impl AccessClaims {
    /// Whether the space-separated `scope` claim (RFC 9068) grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|granted| granted == scope)
    }
}

/// What a token node puts in its tokens and accepts from callers.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    pub issuer: String,
    /// The audience this node accepts; its tokens are always issued for it.
    pub audience: String,
    /// Other audiences the tokens are issued for too (resource services that accept them, such
    /// as `orders-api`); with any, `aud` is an array.
    pub extra_audiences: Vec<String>,
    /// Space-separated scopes every token grants.
    pub scope: String,
    pub access_ttl: Duration,
    pub leeway: Duration,
    /// Roughly how many bytes of `perms` each token carries.
    pub claims_bytes: usize,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            issuer: "authlab".into(),
            audience: "authlab-api".into(),
            extra_audiences: Vec::new(),
            scope: "profile:read".into(),
            access_ttl: Duration::from_secs(15 * 60),
            leeway: Duration::from_secs(5),
            claims_bytes: 0,
        }
    }
}

/// Why a caller was not accepted: one class of failure, with a short fixed description (what a
/// 401 says, in its body and its `WWW-Authenticate` challenge) and a label for `/metrics`. The
/// parser's own words never reach the caller; they go to the node's debug log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("malformed Authorization header")]
    Malformed,
    #[error("malformed token")]
    MalformedToken,
    #[error("the token is not an access token (typ must be at+jwt)")]
    WrongType,
    #[error("the token's key is not one of this service's keys")]
    UnknownKey,
    #[error("the token's algorithm is not allowed for its key")]
    WrongAlgorithm,
    #[error("the token names a critical header extension this service does not support")]
    UnsupportedExtension,
    #[error("bad signature")]
    BadSignature,
    #[error("the token's claims are malformed or missing")]
    BadClaims,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
    #[error("the token is for another audience")]
    WrongAudience,
    #[error("the token is from another issuer")]
    WrongIssuer,
    #[error("the token was revoked")]
    Revoked,
    #[error("this service accepts no bearer tokens")]
    NotAccepted,
}

impl AuthError {
    /// Every class, in the order `/metrics` lists them.
    pub const ALL: [AuthError; 16] = [
        AuthError::Missing,
        AuthError::Malformed,
        AuthError::MalformedToken,
        AuthError::WrongType,
        AuthError::UnknownKey,
        AuthError::WrongAlgorithm,
        AuthError::UnsupportedExtension,
        AuthError::BadSignature,
        AuthError::BadClaims,
        AuthError::Expired,
        AuthError::NotYetValid,
        AuthError::IssuedInFuture,
        AuthError::WrongAudience,
        AuthError::WrongIssuer,
        AuthError::Revoked,
        AuthError::NotAccepted,
    ];

    /// The RFC 6750 error code: a request with no credentials gets a bare challenge.
    pub fn bearer_error(&self) -> Option<&'static str> {
        match self {
            AuthError::Missing => None,
            AuthError::Malformed => Some("invalid_request"),
            _ => Some("invalid_token"),
        }
    }

    /// The `reason` label of `authlab_auth_failures_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed => "malformed_header",
            AuthError::MalformedToken => "malformed_token",
            AuthError::WrongType => "wrong_type",
            AuthError::UnknownKey => "unknown_key",
            AuthError::WrongAlgorithm => "algorithm_not_allowed",
            AuthError::UnsupportedExtension => "unsupported_extension",
            AuthError::BadSignature => "bad_signature",
            AuthError::BadClaims => "malformed_claims",
            AuthError::Expired => "expired",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::IssuedInFuture => "issued_in_future",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::Revoked => "revoked",
            AuthError::NotAccepted => "bearer_not_accepted",
        }
    }
}

/// Logs why a token was refused, in the parser's own words, at debug level only.
fn refused(class: AuthError, detail: impl std::fmt::Display) -> AuthError {
    tracing::debug!(reason = class.reason(), "token refused: {detail}");
    class
}

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
fn is_b64token_byte(b: u8) -> bool {
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

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The claim checks of an access token verified with a key of `algorithm` (and only that one):
/// `exp` required, `nbf` checked, this issuer, this audience among the token's, a subject. (An
/// `Ed25519` key's validation names jsonwebtoken's `EdDSA`, the same scheme.)
pub fn validation(algorithm: Alg, issuer: &str, audience: &str, leeway: Duration) -> Validation {
    let algorithm = algorithm.primitive();
    let mut v = Validation::new(algorithm);
    v.algorithms = vec![algorithm];
    v.leeway = leeway.as_secs();
    v.validate_exp = true;
    v.validate_nbf = true;
    v.set_audience(&[audience]);
    v.set_issuer(&[issuer]);
    v.required_spec_claims = HashSet::from(["exp", "iss", "aud", "sub"].map(String::from));
    v
}

/// An access token's header, read before its signature is checked: only enough to pick a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedToken<'a> {
    pub token: &'a str,
    pub kid: String,
    /// The algorithm the header claims (`None`: one jsonwebtoken knows but this lab does not use);
    /// never used to choose one, only compared with the key's.
    pub alg: Option<Alg>,
    /// The token's parts, split once: what the signature covers, the claims, the signature.
    signing_input: &'a str,
    claims: &'a str,
    signature: &'a str,
    /// Whether its `crit` and `b64` are ones jsonwebtoken accepts (checked where `decode` did).
    extensions_supported: bool,
}

/// A JSON string, borrowed from the input unless it has escapes.
struct Text<'a>(Cow<'a, str>);

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
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

/// A JOSE header, read in one pass: every parameter registered by RFC 7515 with the type
/// `jsonwebtoken::Header` gives it (so a malformed one is refused as it always was), strings
/// borrowed from the decoded header. Only `typ`, `alg` and `kid` are used; `crit` and `b64` are
/// checked as jsonwebtoken checks them; the key parameters (`jwk`, `jku`, `x5u`, `x5c`) are never
/// followed.
#[derive(Deserialize)]
#[allow(dead_code)]
struct JoseHeader<'a> {
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
fn unbase64(part: &str) -> Result<Vec<u8>, base64::DecodeError> {
    B64.decode(part)
}

/// Splits a compact JWS into (header, claims, signature) as jsonwebtoken does: the last two dots.
fn split_token(token: &str) -> Option<(&str, &str, &str)> {
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
fn bad_base64(part: &str, e: base64::DecodeError) -> AuthError {
    refused(AuthError::MalformedToken, format_args!("{part}: {e}"))
}

/// The class of one of jsonwebtoken's reasons.
fn invalid(kind: ErrorKind) -> AuthError {
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

/// How a key checks a signature: parsed once, when the keys are loaded, rather than on every
/// request as `jsonwebtoken::decode` does.
enum SignatureCheck {
    /// Boxed: aws-lc's HMAC key holds its precomputed state (over a kilobyte).
    Hmac(Box<hmac::Key>),
    PublicKey(aws_sig::ParsedPublicKey),
    /// Any other key or algorithm: jsonwebtoken's own verification, key parsed on every call.
    PerCall,
}

impl SignatureCheck {
    /// The check for `key` under `algorithm`, with the algorithm parameters jsonwebtoken's aws-lc
    /// backend uses for it (so it accepts exactly the signatures jsonwebtoken accepts).
    fn new(key: &DecodingKey, algorithm: Alg) -> Self {
        use jsonwebtoken::AlgorithmFamily as Family;
        let parsed = |alg: &'static dyn aws_sig::VerificationAlgorithm, bytes: &[u8]| {
            aws_sig::ParsedPublicKey::new(alg, bytes).map_or(Self::PerCall, Self::PublicKey)
        };
        match (algorithm.primitive(), key.family(), key.kind()) {
            (Algorithm::HS256, Family::Hmac, DecodingKeyKind::SecretOrDer(secret)) => {
                Self::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret)))
            }
            (Algorithm::RS256, Family::Rsa, DecodingKeyKind::RsaModulusExponent { n, e }) => {
                aws_sig::RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(&aws_sig::RSA_PKCS1_2048_8192_SHA256)
                    .map_or(Self::PerCall, Self::PublicKey)
            }
            (Algorithm::RS256, Family::Rsa, DecodingKeyKind::SecretOrDer(der)) => {
                parsed(&aws_sig::RSA_PKCS1_2048_8192_SHA256, der)
            }
            (Algorithm::ES256, Family::Ec, DecodingKeyKind::SecretOrDer(point)) => {
                parsed(&aws_sig::ECDSA_P256_SHA256_FIXED, point)
            }
            (Algorithm::EdDSA, Family::Ed, DecodingKeyKind::SecretOrDer(x)) => parsed(&aws_sig::ED25519, x),
            _ => Self::PerCall,
        }
    }

    /// Whether `token`'s signature is `key`'s over its signing input.
    fn verify(&self, token: &UnverifiedToken<'_>, key: &DecodingKey, algorithm: Alg) -> Result<(), AuthError> {
        let signature = || unbase64(token.signature).map_err(|e| bad_base64("signature", e));
        let verified = match self {
            // RFC 9864's Ed25519 is checked by aws-lc-rs itself (jsonwebtoken has no such algorithm).
            Self::PerCall if algorithm == Alg::Ed25519 => match key.kind() {
                DecodingKeyKind::SecretOrDer(x) => aws_sig::UnparsedPublicKey::new(&aws_sig::ED25519, x)
                    .verify(token.signing_input.as_bytes(), &signature()?)
                    .is_ok(),
                DecodingKeyKind::RsaModulusExponent { .. } => false,
            },
            Self::PerCall => jsonwebtoken::crypto::verify(
                token.signature,
                token.signing_input.as_bytes(),
                key,
                algorithm.primitive(),
            )
            .map_err(|e| invalid(e.into_kind()))?,
            Self::Hmac(secret) => hmac::verify(secret, token.signing_input.as_bytes(), &signature()?).is_ok(),
            Self::PublicKey(public) => public.verify_sig(token.signing_input.as_bytes(), &signature()?).is_ok(),
        };
        if verified { Ok(()) } else { Err(refused(AuthError::BadSignature, "the signature does not verify")) }
    }
}

/// The claim checks of `jsonwebtoken::decode`, on claims already read into [`AccessClaims`] (whose
/// types already require `exp`, `nbf`, `iat`, `iss`, `sub` and `aud`, with `exp` a number), plus
/// one it lacks: `iat` no later than now plus the leeway. Every algorithm's tokens pass here.
fn validate_claims(claims: &AccessClaims, validation: &Validation) -> Result<(), AuthError> {
    if validation.validate_exp || validation.validate_nbf {
        let now = unix_now();
        // A token "issued" later than now was minted by a skewed or hostile clock: it would outlive
        // its ttl and escape a revocation of its subject (which refuses tokens issued up to then).
        if claims.iat > now.saturating_add(validation.leeway) {
            return Err(refused(AuthError::IssuedInFuture, format_args!("iat {} > now {now}", claims.iat)));
        }
        let reject_before = validation.reject_tokens_expiring_in_less_than;
        if claims.exp < reject_before {
            return Err(invalid(ErrorKind::InvalidToken));
        }
        if validation.validate_exp && claims.exp - reject_before < now.saturating_sub(validation.leeway) {
            return Err(invalid(ErrorKind::ExpiredSignature));
        }
        if validation.validate_nbf && claims.nbf > now + validation.leeway {
            return Err(invalid(ErrorKind::ImmatureSignature));
        }
    }
    if validation.sub.as_deref().is_some_and(|sub| sub != claims.sub) {
        return Err(invalid(ErrorKind::InvalidSubject));
    }
    if validation.iss.as_ref().is_some_and(|iss| !iss.contains(&claims.iss)) {
        return Err(invalid(ErrorKind::InvalidIssuer));
    }
    if validation.validate_aud {
        let accepted = validation.aud.as_ref().is_some_and(|ours| match &claims.aud {
            Audience::One(one) => ours.contains(one),
            Audience::Many(many) => many.iter().any(|a| ours.contains(a)),
        });
        if !accepted {
            return Err(invalid(ErrorKind::InvalidAudience));
        }
    }
    Ok(())
}

/// Checks the signature with `check` (built for `key`, whose algorithm is `algorithm`, pinned by
/// the verifier), then reads the claims once and checks them with `validation`: what
/// `jsonwebtoken::decode` does, in its order, without reading the header a second time.
fn verify_with(
    token: &UnverifiedToken<'_>,
    check: &SignatureCheck,
    key: &DecodingKey,
    algorithm: Alg,
    validation: &Validation,
) -> Result<AccessClaims, AuthError> {
    if token.alg != Some(algorithm) {
        return Err(refused(AuthError::WrongAlgorithm, format_args!("the key's algorithm is {algorithm}")));
    }
    if !token.extensions_supported {
        return Err(refused(AuthError::UnsupportedExtension, "crit or b64"));
    }
    let primitive = algorithm.primitive();
    if !validation.algorithms.contains(&primitive)
        || validation.algorithms.iter().any(|alg| alg.family() != primitive.family())
    {
        return Err(invalid(ErrorKind::InvalidAlgorithm));
    }
    check.verify(token, key, algorithm)?;
    let json = unbase64(token.claims).map_err(|e| bad_base64("claims", e))?;
    let claims: AccessClaims =
        serde_json::from_slice(&json).map_err(|e| refused(AuthError::BadClaims, format_args!("claims: {e}")))?;
    validate_claims(&claims, validation)?;
    Ok(claims)
}

/// Checks the signature with `key` (whose algorithm is `algorithm`, pinned by the verifier) and
/// the claims with `validation`.
pub fn verify_access_token(
    token: &UnverifiedToken<'_>,
    key: &DecodingKey,
    algorithm: Alg,
    validation: &Validation,
) -> Result<AccessClaims, AuthError> {
    verify_with(token, &SignatureCheck::PerCall, key, algorithm, validation)
}

/// The node's keys as the auth check uses them; replaced whole when the key file is reloaded.
pub struct ActiveKeys {
    set: KeySet,
    /// One validation per key, in the order of `set`: each key verifies only its own algorithm.
    validations: Vec<Validation>,
    /// One signature check per key, in the order of `set`, its key parsed once.
    checks: Vec<SignatureCheck>,
}

impl ActiveKeys {
    fn new(set: KeySet, policy: &TokenPolicy) -> Self {
        let validations = set
            .keys()
            .iter()
            .map(|key| validation(key.algorithm, &policy.issuer, &policy.audience, policy.leeway))
            .collect();
        let checks = set.keys().iter().map(|key| SignatureCheck::new(&key.decoding, key.algorithm)).collect();
        Self { set, validations, checks }
    }

    pub fn set(&self) -> &KeySet {
        &self.set
    }
}

/// Issues access tokens and checks them: the whole of "who is the caller" for a token node.
pub struct TokenAuthority {
    keys: RwLock<Arc<ActiveKeys>>,
    policy: TokenPolicy,
    perms: Vec<String>,
    denylist: Option<Denylist>,
    revoked_subjects: RevokedSubjects,
}

fn permissions(bytes: usize) -> Vec<String> {
    // Each entry costs 16 bytes of JSON: 13 characters, two quotes and a comma.
    (0..bytes / 16).map(|i| format!("doc:{:04}:read", i % 10_000)).collect()
}

fn random_id() -> String {
    let mut id = [0u8; 16];
    // A failing system RNG leaves zeros; aws-lc aborts rather than return weak bytes in practice.
    let _ = aws_lc_rs::rand::fill(&mut id);
    B64.encode(id)
}

impl TokenAuthority {
    /// `denylist`: whether logout revokes tokens (`--revocation denylist`).
    pub fn new(keys: KeySet, policy: TokenPolicy, denylist: bool) -> Self {
        Self {
            keys: RwLock::new(Arc::new(ActiveKeys::new(keys, &policy))),
            perms: permissions(policy.claims_bytes),
            policy,
            denylist: denylist.then(Denylist::default),
            revoked_subjects: RevokedSubjects::default(),
        }
    }

    /// The keys in use now (a later [`TokenAuthority::replace_keys`] does not change this value).
    pub fn keys(&self) -> Arc<ActiveKeys> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// From now on the first key of `keys` signs, and only the keys of `keys` verify.
    pub fn replace_keys(&self, keys: KeySet) {
        let active = Arc::new(ActiveKeys::new(keys, &self.policy));
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = active;
    }

    pub fn revoked_subjects(&self) -> &RevokedSubjects {
        &self.revoked_subjects
    }

    /// Refuses every token of `subject` issued up to this second.
    pub fn revoke_subject(&self, subject: &str) {
        self.revoked_subjects.revoke(subject, unix_now());
    }

    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    pub fn denylist(&self) -> Option<&Denylist> {
        self.denylist.as_ref()
    }

    /// Signs a fresh access token for `subject` with the current key, its header naming the key's
    /// algorithm (`Ed25519` or `EdDSA` as the key file says).
    pub fn issue(&self, subject: &str) -> Result<(String, AccessClaims), KeyError> {
        let keys = self.keys();
        let key = keys.set.current();
        let now = unix_now();
        let aud = if self.policy.extra_audiences.is_empty() {
            Audience::One(self.policy.audience.clone())
        } else {
            Audience::Many(
                std::iter::once(&self.policy.audience).chain(&self.policy.extra_audiences).cloned().collect(),
            )
        };
        let claims = AccessClaims {
            sub: subject.to_owned(),
            iss: self.policy.issuer.clone(),
            aud,
            exp: now + self.policy.access_ttl.as_secs().max(1),
            iat: now,
            nbf: now,
            jti: random_id(),
            scope: self.policy.scope.clone(),
            perms: self.perms.clone(),
        };
        let header = serde_json::json!({"typ": ACCESS_TOKEN_TYPE, "alg": key.algorithm.name(), "kid": key.kid});
        let claims_json = serde_json::to_vec(&claims).map_err(KeyError::Json)?;
        let mut token = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims_json));
        let signature = key.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&signature);
        Ok((token, claims))
    }

    /// The auth check: accepts an `Authorization` header value only if it carries an access token
    /// signed by one of this node's keys, with that key's algorithm, valid now, for this audience
    /// and issuer, and not revoked.
    pub fn auth_check(&self, authorization: Option<&[u8]>) -> Result<AccessClaims, AuthError> {
        let token = read_access_token(authorization)?;
        let keys = self.keys();
        let index = keys
            .set
            .keys()
            .iter()
            .position(|k| k.kid == token.kid)
            .ok_or_else(|| refused(AuthError::UnknownKey, format_args!("kid {:?}", token.kid)))?;
        let (key, validation, check) = (&keys.set.keys()[index], &keys.validations[index], &keys.checks[index]);
        let claims = verify_with(&token, check, &key.decoding, key.algorithm, validation)?;
        if self.denylist.as_ref().is_some_and(|d| d.is_denied(&claims.jti)) {
            return Err(refused(AuthError::Revoked, format_args!("jti {} is on the denylist", claims.jti)));
        }
        if self.revoked_subjects.is_revoked(&claims.sub, claims.iat) {
            return Err(refused(
                AuthError::Revoked,
                format_args!("{}'s tokens issued by then are revoked", claims.sub),
            ));
        }
        Ok(claims)
    }

    /// Revokes a token until it expires, if this node keeps a denylist; returns whether it did.
    pub fn revoke(&self, claims: &AccessClaims) -> bool {
        match &self.denylist {
            Some(list) => {
                list.deny(&claims.jti, claims.exp);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::keys::SUPPORTED;

    #[test]
    fn every_algorithm_signs_and_verifies() {
        for alg in SUPPORTED {
            let authority = TokenAuthority::new(KeySet::generate(alg).unwrap(), TokenPolicy::default(), false);
            let (token, claims) = authority.issue("user0000001").unwrap();
            let header = format!("Bearer {token}");
            assert_eq!(authority.auth_check(Some(header.as_bytes())), Ok(claims), "{alg:?}");
            let mut tampered = header.clone().into_bytes();
            let last = tampered.len() - 3;
            tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
            assert!(authority.auth_check(Some(&tampered)).is_err(), "{alg:?}: tampered signature");
        }
    }

    #[test]
    fn another_nodes_key_is_refused_even_with_the_same_algorithm() {
        let ours = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
        let theirs = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
        let (token, _) = theirs.issue("mallory").unwrap();
        assert_eq!(ours.auth_check(Some(format!("Bearer {token}").as_bytes())), Err(AuthError::UnknownKey));
    }

    #[test]
    fn the_denylist_refuses_a_revoked_token() {
        let authority = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), true);
        let (token, claims) = authority.issue("user0000001").unwrap();
        let header = format!("Bearer {token}");
        assert!(authority.revoke(&claims));
        assert_eq!(authority.auth_check(Some(header.as_bytes())), Err(AuthError::Revoked));
    }

    #[test]
    fn a_revoked_subject_is_refused_and_others_are_not() {
        let authority = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
        let (alice, _) = authority.issue("alice").unwrap();
        let (bob, _) = authority.issue("bob").unwrap();
        authority.revoke_subject("alice");
        assert_eq!(authority.auth_check(Some(format!("Bearer {alice}").as_bytes())), Err(AuthError::Revoked));
        assert!(authority.auth_check(Some(format!("Bearer {bob}").as_bytes())).is_ok());
    }

    #[test]
    fn replaced_keys_sign_and_only_they_verify() {
        let authority = TokenAuthority::new(KeySet::generate(Alg::HS256).unwrap(), TokenPolicy::default(), false);
        let (old, _) = authority.issue("u").unwrap();
        let fresh = KeySet::generate(Alg::ES256).unwrap();
        let fresh_kid = fresh.current_kid().to_owned();
        authority.replace_keys(fresh);
        assert_eq!(authority.auth_check(Some(format!("Bearer {old}").as_bytes())), Err(AuthError::UnknownKey));
        let (new, _) = authority.issue("u").unwrap();
        assert_eq!(jsonwebtoken::decode_header(&new).unwrap().kid.as_deref(), Some(fresh_kid.as_str()));
        assert!(authority.auth_check(Some(format!("Bearer {new}").as_bytes())).is_ok());
    }

    #[test]
    fn claims_bytes_pads_the_token() {
        let keys = || KeySet::generate(Alg::HS256).unwrap();
        let small = TokenAuthority::new(keys(), TokenPolicy::default(), false).issue("u").unwrap().0;
        let policy = TokenPolicy { claims_bytes: 1000, ..TokenPolicy::default() };
        let large = TokenAuthority::new(keys(), policy, false).issue("u").unwrap().0;
        // base64url makes 1000 bytes of JSON about 1333 bytes of token.
        assert!(large.len() >= small.len() + 1300, "{} vs {}", large.len(), small.len());
    }

    #[test]
    fn b64token_bytes_are_exactly_rfc_6750s() {
        for b in 0..=255u8 {
            let rfc = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
            assert_eq!(is_b64token_byte(b), rfc, "byte {b}");
        }
    }

    /// The auth check as it was built on `jsonwebtoken::decode_header` and `jsonwebtoken::decode`:
    /// the reference the one-pass check must agree with.
    fn reference_check(authority: &TokenAuthority, authorization: &[u8]) -> Result<AccessClaims, AuthError> {
        let token = parse_bearer(authorization)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::MalformedToken)?;
        let typ_ok = header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt"));
        if !typ_ok {
            return Err(AuthError::WrongType);
        }
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        let keys = authority.keys();
        let index = keys.set.keys().iter().position(|k| k.kid == kid).ok_or(AuthError::UnknownKey)?;
        let key = &keys.set.keys()[index];
        if header.alg != key.algorithm.primitive() {
            return Err(AuthError::WrongAlgorithm);
        }
        jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &keys.validations[index])
            .map(|data| data.claims)
            .map_err(|e| invalid(e.into_kind()))
    }

    /// Signature parts to try with a signing input and its real signature: the real one, one with
    /// a character changed, none, an extra part, and the same bytes encoded non-canonically.
    fn signature_variants(input: &str, signature: &str) -> Vec<String> {
        vec![
            format!("Bearer {input}.{signature}"),
            format!("Bearer {input}.{}", signature.replacen(|c: char| c != 'A', "A", 1)),
            format!("Bearer {input}."),
            format!("Bearer {input}.{signature}.x"),
            format!("Bearer {input}.{}", non_canonical(signature)),
        ]
    }

    /// The same bytes with a padding bit of the last base64url character set.
    fn non_canonical(signature: &str) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let (rest, last) = signature.split_at(signature.len() - 1);
        let value = ALPHABET.iter().position(|&c| c == last.as_bytes()[0]).unwrap();
        let changed = format!("{rest}{}", ALPHABET[value ^ 1] as char);
        assert!(B64.decode(&changed).is_err(), "base64 refuses set padding bits");
        changed
    }

    /// Header variants, `ALG` and `KID` standing for the key's algorithm name and kid.
    fn header_corpus() -> Vec<String> {
        let good_header = r#"{"alg":"ALG","typ":"at+jwt","kid":"KID"}"#.to_owned();
        let mut headers: Vec<String> = vec![good_header.clone()];
        for extra in [
            r#""typ":"AT+JWT""#,
            r#""typ":"application/at+jwt""#,
            r#""typ":"at+jwt""#,
            r#""typ":"JWT""#,
            r#""typ":null"#,
            r#""typ":5"#,
            r#""kid":"nope""#,
            r#""kid":null"#,
            r#""kid":7"#,
            r#""alg":"HS384""#,
            r#""alg":"none""#,
            r#""alg":"XX""#,
            r#""crit":[]"#,
            r#""crit":["b64"]"#,
            r#""crit":["b64"],"b64":true"#,
            r#""crit":["b64"],"b64":false"#,
            r#""crit":["exp"],"b64":true"#,
            r#""crit":["urn:example:unknown"]"#,
            r#""crit":["b64","b64"],"b64":true"#,
            r#""b64":true"#,
            r#""b64":false"#,
            r#""b64":null"#,
            r#""b64":"yes""#,
            r#""jwk":{"kty":"oct","k":"AAAA"}"#,
            r#""jwk":"not a key""#,
            r#""jku":"http://127.0.0.1:1/jwks""#,
            r#""jku":1"#,
            r#""x5c":"not a list""#,
            r#""x5c":["a","b"]"#,
            r#""x5t#S256":false"#,
            r#""cty":[]"#,
            r#""enc":"A128GCM""#,
            r#""zip":3"#,
            r#""nonce":"n","url":"u""#,
            r#""something":{"else":[1,2,3]}"#,
        ] {
            // Each member once: the one under test replaces the good header's.
            let field = extra.split('"').nth(1).unwrap();
            let mut header: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&good_header).unwrap();
            header.remove(field);
            let mut text = serde_json::Value::Object(header).to_string();
            text.insert_str(text.len() - 1, &format!(",{extra}"));
            headers.push(text);
        }
        for missing in ["typ", "kid", "alg"] {
            let mut header: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&good_header).unwrap();
            header.remove(missing);
            headers.push(serde_json::Value::Object(header).to_string());
        }
        // Several things wrong at once: the same refusal comes first.
        for two in [
            r#"{"alg":"ALG","crit":["exp"]}"#,
            r#"{"alg":"ALG","typ":"JWT","crit":["exp"],"kid":"KID"}"#,
            r#"{"alg":"HS384","typ":"at+jwt","b64":false,"kid":"KID"}"#,
            r#"{"alg":"ALG","typ":"at+jwt","b64":false,"kid":"other"}"#,
            r#"{"alg":"ALG","typ":"at+jwt","crit":[],"kid":"KID","x5c":"no"}"#,
            // Repeated members: refused, never "the last one wins".
            r#"{"alg":"ALG","typ":"at+jwt","kid":"KID","kid":"KID"}"#,
            r#"{"alg":"none","alg":"ALG","typ":"at+jwt","kid":"KID"}"#,
        ] {
            headers.push(two.to_owned());
        }
        headers.push("not json".into());
        headers
    }

    /// Claim sets: a good one, then one defect at a time.
    fn claims_corpus(now: u64) -> Vec<String> {
        let good_claims = format!(
            r#"{{"sub":"u","iss":"authlab","aud":"authlab-api","exp":{},"iat":{now},"nbf":{now},"jti":"j","scope":"profile:read"}}"#,
            now + 600
        );
        let claims_with = |field: &str, value: &str| {
            let mut claims: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&good_claims).unwrap();
            match serde_json::from_str(value) {
                Ok(v) => claims.insert(field.into(), v),
                Err(_) => claims.remove(field),
            };
            serde_json::Value::Object(claims).to_string()
        };
        let mut claim_sets = vec![good_claims.clone()];
        for (field, value) in [
            ("exp", (now - 3600).to_string()),
            ("exp", (now - 2).to_string()),
            ("exp", format!("\"{}\"", now + 600)),
            ("exp", format!("{}.5", now + 600)),
            ("exp", format!("{}.25", now - 3600)),
            ("exp", "null".into()),
            ("exp", "true".into()),
            ("exp", "-".into()),
            ("iat", format!("{}.75", now - 10)),
            ("nbf", (now + 3600).to_string()),
            ("nbf", format!("{}.5", now - 10)),
            ("nbf", "-".into()),
            ("aud", r#"["other","authlab-api"]"#.into()),
            ("aud", r#"["other"]"#.into()),
            ("aud", "[]".into()),
            ("aud", r#""other""#.into()),
            ("aud", "-".into()),
            ("iss", r#""evil""#.into()),
            ("iss", r#"["authlab"]"#.into()),
            ("iss", "-".into()),
            ("sub", "5".into()),
            ("sub", "-".into()),
            ("perms", r#"["a","b"]"#.into()),
            ("extra", r#"{"x":1}"#.into()),
        ] {
            claim_sets.push(claims_with(field, &value));
        }
        // Repeated claims: refused, whichever copy would have been read.
        let mut twice = good_claims.clone();
        twice.insert_str(twice.len() - 1, r#","sub":"someone-else""#);
        claim_sets.push(twice);
        claim_sets
    }

    /// Every token of the corpus for `key` (header × claims × signature variant), signed with
    /// `sign`; `alg_name` replaces `ALG` in the headers.
    fn corpus(key: &crate::token::keys::SigningKey, alg_name: &str, sign: impl Fn(&str) -> String) -> Vec<String> {
        let mut cases = Vec::new();
        let now = unix_now();
        for header in header_corpus() {
            let header = header.replace("ALG", alg_name).replace("KID", &key.kid);
            for claims in claims_corpus(now) {
                let input = format!("{}.{}", B64.encode(&header), B64.encode(&claims));
                cases.extend(signature_variants(&input, &sign(&input)));
            }
        }
        cases
    }

    #[test]
    fn the_one_pass_check_accepts_and_refuses_exactly_what_jsonwebtoken_decode_does() {
        for alg in SUPPORTED.into_iter().filter(|a| *a != Alg::Ed25519) {
            let authority = TokenAuthority::new(KeySet::generate(alg).unwrap(), TokenPolicy::default(), false);
            let keys = authority.keys();
            let key = keys.set.current();
            let name = alg.name();
            let cases = corpus(key, name, |input| {
                jsonwebtoken::crypto::sign(input.as_bytes(), &key.encoding, alg.primitive()).unwrap()
            });
            let mut accepted = 0;
            for case in &cases {
                let ours = authority.auth_check(Some(case.as_bytes()));
                let reference = reference_check(&authority, case.as_bytes());
                assert_eq!(ours, reference, "{name}: {case}");
                accepted += usize::from(ours.is_ok());
            }
            assert!(accepted >= 10, "{name}: the cases include accepted tokens ({accepted} of {})", cases.len());
        }
    }

    /// The same Ed25519 key as an `EdDSA` key (verified by jsonwebtoken) and as an `Ed25519` key
    /// (signed and verified by aws-lc-rs): both accept and refuse the same tokens, for the same
    /// reasons, and neither takes the other's name in the header.
    #[test]
    fn ed25519_via_aws_lc_accepts_and_refuses_exactly_what_eddsa_via_jsonwebtoken_does() {
        let ed25519_set = KeySet::generate(Alg::Ed25519).unwrap();
        let mut file: serde_json::Value = serde_json::from_str(&ed25519_set.to_private_jwks_json()).unwrap();
        file["keys"][0]["alg"] = "EdDSA".into();
        let eddsa_set = KeySet::from_jwks_json(&file.to_string()).unwrap();
        assert_eq!(eddsa_set.current().algorithm, Alg::EdDSA);
        let ed25519 = TokenAuthority::new(ed25519_set, TokenPolicy::default(), false);
        let eddsa = TokenAuthority::new(eddsa_set, TokenPolicy::default(), false);
        let (ed_keys, eddsa_keys) = (ed25519.keys(), eddsa.keys());
        let (ed_key, eddsa_key) = (ed_keys.set.current(), eddsa_keys.set.current());
        let via_aws_lc = corpus(ed_key, "Ed25519", |input| ed_key.sign(input.as_bytes()).unwrap());
        let via_jsonwebtoken = corpus(eddsa_key, "EdDSA", |input| {
            jsonwebtoken::crypto::sign(input.as_bytes(), &eddsa_key.encoding, Algorithm::EdDSA).unwrap()
        });
        assert_eq!(via_aws_lc.len(), via_jsonwebtoken.len());
        let mut accepted = 0;
        for (ed_case, eddsa_case) in via_aws_lc.iter().zip(&via_jsonwebtoken) {
            let ours = ed25519.auth_check(Some(ed_case.as_bytes()));
            let reference = reference_check(&eddsa, eddsa_case.as_bytes());
            assert_eq!(ours, reference, "Ed25519 {ed_case}\nEdDSA {eddsa_case}");
            accepted += usize::from(ours.is_ok());
            // Neither node takes the other's tokens: the header must name the key's own algorithm.
            assert!(ed25519.auth_check(Some(eddsa_case.as_bytes())).is_err(), "{eddsa_case}");
            assert!(eddsa.auth_check(Some(ed_case.as_bytes())).is_err(), "{ed_case}");
        }
        assert!(accepted >= 10, "the cases include accepted tokens ({accepted} of {})", via_aws_lc.len());
    }

    #[test]
    fn numeric_dates_may_be_fractional_but_not_strings_or_out_of_range() {
        let read = |value: &str| {
            let json =
                format!(r#"{{"sub":"u","iss":"i","aud":"a","exp":{value},"iat":0,"nbf":0,"jti":"j","scope":"s"}}"#);
            serde_json::from_str::<AccessClaims>(&json).map(|c| c.exp)
        };
        assert_eq!(read("1796152477.5").ok(), Some(1796152477));
        assert_eq!(read("1796152477").ok(), Some(1796152477));
        assert_eq!(read("1.7961524775e9").ok(), Some(1796152477));
        assert_eq!(read("0").ok(), Some(0));
        assert_eq!(read("9223372036854775807").ok(), Some(i64::MAX as u64));
        for bad in [
            "\"1796152477\"",
            "true",
            "null",
            "[1796152477]",
            "{}",
            "-1",
            "-0.5",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "9.3e18",
            "1e400",
        ] {
            assert!(read(bad).is_err(), "exp {bad} must be refused");
        }
    }

    #[test]
    fn a_fractional_exp_signed_by_the_node_is_accepted_and_a_future_iat_is_not() {
        for alg in SUPPORTED {
            let authority = TokenAuthority::new(KeySet::generate(alg).unwrap(), TokenPolicy::default(), false);
            let keys = authority.keys();
            let key = keys.set.current();
            let now = unix_now();
            let token = |claims: String| {
                let header = format!(r#"{{"alg":"{}","typ":"at+jwt","kid":"{}"}}"#, alg.name(), key.kid);
                let input = format!("{}.{}", B64.encode(header), B64.encode(claims));
                format!("Bearer {input}.{}", key.sign(input.as_bytes()).unwrap())
            };
            let claims = |exp: &str, iat: &str| {
                format!(
                    r#"{{"sub":"u","iss":"authlab","aud":"authlab-api","exp":{exp},"iat":{iat},"nbf":{iat},"jti":"j","scope":"s"}}"#
                )
            };
            let fractional = token(claims(&format!("{}.5", now + 600), &format!("{now}.25")));
            let accepted = authority.auth_check(Some(fractional.as_bytes())).unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!((accepted.exp, accepted.iat), (now + 600, now), "{alg}");
            let future = token(claims(&(now + 7200).to_string(), &(now + 3600).to_string()));
            assert_eq!(authority.auth_check(Some(future.as_bytes())), Err(AuthError::IssuedInFuture), "{alg}");
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parse_bearer_never_panics_and_accepts_only_bearer_tokens(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
                if let Ok(token) = parse_bearer(&bytes) {
                    let text = std::str::from_utf8(&bytes).unwrap();
                    prop_assert!(text.to_ascii_lowercase().starts_with("bearer "));
                    prop_assert!(!token.is_empty() && !token.contains(' '));
                }
            }

            #[test]
            fn well_formed_bearer_headers_parse(token in "[A-Za-z0-9_.~+/-]{1,100}=*") {
                let header = format!("Bearer {token}");
                prop_assert_eq!(parse_bearer(header.as_bytes()), Ok(token.as_str()));
            }
        }
    }
}
