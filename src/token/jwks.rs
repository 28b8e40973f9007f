//! Verifying keys read from an issuer's published JWK Set (`/.well-known/jwks.json`): public keys
//! only, each pinned to the one algorithm its `alg` names.
//!
//! A resource service builds these from what it fetched. A symmetric (`oct`) key in a published
//! set is refused: an HMAC secret must never travel, and a JWKS cannot make one trusted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use std::time::Duration;

use super::access::validation;
use super::keys::{Alg, KeyError, algorithm_name, parse_algorithm};

/// The shortest RSA modulus a published key may have, in bits.
const MIN_RSA_BITS: usize = 2048;

/// One public JWK, as a JWK Set publishes it (private parameters, if any, are ignored).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PublicJwk {
    pub(crate) kty: String,
    #[serde(default)]
    pub(crate) kid: String,
    #[serde(default)]
    pub(crate) alg: String,
    #[serde(rename = "use", default)]
    pub(crate) use_: Option<String>,
    pub(crate) crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PublicJwkSet {
    pub(crate) keys: Vec<PublicJwk>,
}

/// A key that verifies tokens of one algorithm, with the claim checks that go with it.
pub struct VerifyingKey {
    /// Its key id, which a token's header `kid` names.
    pub kid: String,
    /// The one algorithm it accepts.
    pub algorithm: Alg,
    /// The public key, as jsonwebtoken verifies with it.
    pub decoding: DecodingKey,
    /// The algorithm, issuer, audience, expiry and not-before checks (with the leeway) a token must pass.
    pub validation: Validation,
}

/// The keys of a published JWK Set, with the claims a verifier requires (issuer, audience).
#[derive(Default)]
pub struct VerifyingKeys {
    keys: Vec<VerifyingKey>,
}

impl VerifyingKeys {
    /// Reads a public JWK Set. Every key needs a `kid` and an `alg` among RS256, ES256, EdDSA and Ed25519
    /// that fits its `kty` and curve; keys meant for something other than signatures (`use` other
    /// than `sig`) are skipped. Tokens must come from `issuer`, for `audience`.
    pub fn from_jwks_json(json: &str, issuer: &str, audience: &str, leeway: Duration) -> Result<Self, KeyError> {
        let set: PublicJwkSet = serde_json::from_str(json)?;
        let mut keys: Vec<VerifyingKey> = Vec::with_capacity(set.keys.len());
        for jwk in set.keys {
            if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
                continue;
            }
            let key = verifying_key(jwk, issuer, audience, leeway)?;
            if keys.iter().any(|k| k.kid == key.kid) {
                return Err(KeyError::DuplicateKid(key.kid));
            }
            keys.push(key);
        }
        Ok(Self { keys })
    }

    /// The key with this `kid`, if the set has it.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// How many signature keys the set has (keys for other uses are skipped).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it has no signature key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `kid` of every key, in the set's order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }
}

fn verifying_key(jwk: PublicJwk, issuer: &str, audience: &str, leeway: Duration) -> Result<VerifyingKey, KeyError> {
    let kid = jwk.kid.clone();
    let invalid = |what: &str| KeyError::Invalid { kid: kid.clone(), what: what.to_owned() };
    if kid.is_empty() {
        return Err(invalid("every published key needs a kid"));
    }
    if jwk.alg.is_empty() {
        return Err(invalid("every published key needs an alg (the verifier never takes it from a token)"));
    }
    let algorithm = parse_algorithm(&jwk.alg)?;
    let decoding = public_decoding_key(&jwk, algorithm)?;
    let validation = validation(algorithm, issuer, audience, leeway);
    Ok(VerifyingKey { kid, algorithm, decoding, validation })
}

/// The public key of `jwk` for `algorithm`, if its `kty` (and curve) fit it: RSA keys of at least
/// 2048 bits for RS256, P-256 for ES256, Ed25519 for EdDSA and Ed25519. A symmetric (`oct`) key
/// is refused: a published set must never carry one.
pub(crate) fn public_decoding_key(jwk: &PublicJwk, algorithm: Alg) -> Result<DecodingKey, KeyError> {
    let kid = jwk.kid.clone();
    let invalid = |what: &str| KeyError::Invalid { kid: kid.clone(), what: what.to_owned() };
    let text = |value: &Option<String>, name: &str| -> Result<String, KeyError> {
        value.clone().ok_or_else(|| invalid(&format!("missing parameter {name:?}")))
    };
    let decoding = match (algorithm, jwk.kty.as_str()) {
        (Alg::RS256, "RSA") => {
            let n = text(&jwk.n, "n")?;
            let bits = B64.decode(&n).map_err(|_| invalid("parameter \"n\" is not base64url"))?.len() * 8;
            if bits < MIN_RSA_BITS {
                return Err(KeyError::WeakRsaKey { kid });
            }
            DecodingKey::from_rsa_components(&n, &text(&jwk.e, "e")?).map_err(|_| invalid("bad RSA public key"))?
        }
        (Alg::ES256, "EC") if jwk.crv.as_deref() == Some("P-256") => {
            DecodingKey::from_ec_components(&text(&jwk.x, "x")?, &text(&jwk.y, "y")?)
                .map_err(|_| invalid("bad P-256 public key"))?
        }
        (Alg::EdDSA | Alg::Ed25519, "OKP") if jwk.crv.as_deref() == Some("Ed25519") => {
            DecodingKey::from_ed_components(&text(&jwk.x, "x")?).map_err(|_| invalid("bad Ed25519 public key"))?
        }
        (Alg::HS256, _) | (_, "oct") => {
            return Err(invalid("a published key set must not carry a symmetric (HMAC) key"));
        }
        (alg, kty) => {
            let curve = jwk.crv.as_deref().map(|c| format!(" on curve {c}")).unwrap_or_default();
            return Err(invalid(&format!("kty {kty:?}{curve} cannot be used with {}", algorithm_name(alg))));
        }
    };
    Ok(decoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::access::{TokenAuthority, TokenPolicy, read_access_token, verify_access_token};
    use crate::token::keys::{KeySet, SUPPORTED};

    const LEEWAY: Duration = Duration::from_secs(5);

    #[test]
    fn published_keys_verify_the_issuers_tokens_for_an_extra_audience() {
        for alg in SUPPORTED.into_iter().filter(|a| *a != Alg::HS256) {
            let keys = KeySet::generate(alg).unwrap();
            let jwks = keys.public_jwks().to_string();
            let policy = TokenPolicy { extra_audiences: vec!["orders-api".into()], ..TokenPolicy::default() };
            let issuer = TokenAuthority::new(keys, policy, false);
            let (token, claims) = issuer.issue("user0000001").unwrap();
            let header = format!("Bearer {token}");

            let ours = VerifyingKeys::from_jwks_json(&jwks, "authlab", "orders-api", LEEWAY).unwrap();
            let read = read_access_token(Some(header.as_bytes())).unwrap();
            let key = ours.get(&read.kid).expect("the published kid");
            assert_eq!(
                verify_access_token(&read, &key.decoding, key.algorithm, &key.validation),
                Ok(claims),
                "{alg:?}"
            );

            // The same token, checked for an audience it was not issued for, is refused.
            let other = VerifyingKeys::from_jwks_json(&jwks, "authlab", "billing-api", LEEWAY).unwrap();
            let key = other.get(&read.kid).unwrap();
            assert!(verify_access_token(&read, &key.decoding, key.algorithm, &key.validation).is_err());
        }
    }

    #[test]
    fn symmetric_keys_and_keys_without_alg_are_refused() {
        let oct = r#"{"keys":[{"kty":"oct","kid":"h","alg":"HS256","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}"#;
        assert!(VerifyingKeys::from_jwks_json(oct, "i", "a", LEEWAY).is_err());
        let keys = KeySet::generate(Alg::ES256).unwrap();
        let mut jwks = keys.public_jwks();
        jwks["keys"][0].as_object_mut().unwrap().remove("alg");
        assert!(VerifyingKeys::from_jwks_json(&jwks.to_string(), "i", "a", LEEWAY).is_err());
        // An EC key that claims EdDSA does not fit.
        let mut jwks = keys.public_jwks();
        jwks["keys"][0]["alg"] = "EdDSA".into();
        assert!(VerifyingKeys::from_jwks_json(&jwks.to_string(), "i", "a", LEEWAY).is_err());
    }
}
