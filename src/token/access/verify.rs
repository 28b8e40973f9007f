//! The auth check proper: the signature checked with the chosen key (aws-lc-rs, as jsonwebtoken
//! would), then the claims, as jsonwebtoken's `Validation` says.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{hmac, signature as aws_sig};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, Validation};

use super::{claims::*, read::*, refusal::*};
use crate::token::keys::Alg;

/// The current time in Unix seconds, as `exp`, `iat` and `nbf` count it (0 if the clock is before 1970).
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

/// How a key checks a signature: parsed once, when the keys are loaded, rather than on every
/// request as `jsonwebtoken::decode` does.
pub(super) enum SignatureCheck {
    /// Boxed: aws-lc's HMAC key holds its precomputed state (over a kilobyte).
    Hmac(Box<hmac::Key>),
    PublicKey(aws_sig::ParsedPublicKey),
    /// Any other key or algorithm: jsonwebtoken's own verification, key parsed on every call.
    PerCall,
}

impl SignatureCheck {
    /// The check for `key` under `algorithm`, with the algorithm parameters jsonwebtoken's aws-lc
    /// backend uses for it (so it accepts exactly the signatures jsonwebtoken accepts).
    pub(super) fn new(key: &DecodingKey, algorithm: Alg) -> Self {
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
pub(super) fn validate_claims(claims: &AccessClaims, validation: &Validation) -> Result<(), AuthError> {
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
pub(super) fn verify_with(
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
