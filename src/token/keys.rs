//! Signing keys: generated with aws-lc-rs, or read from a JWK Set (RFC 7517), one algorithm per key.
//!
//! The first key of a [`KeySet`] signs; every key verifies. `kid` only ever selects among these
//! keys: keys offered in a token's header (`jwk`, `jku`, `x5u`) are never trusted.

use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{self as sig, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::der;

/// A JWS algorithm a token node signs and verifies with (RFC 7518, RFC 8037, RFC 9864).
///
/// jsonwebtoken 12 has no `Ed25519` (its `Algorithm` is not ours to extend), so this type names
/// the lab's algorithms and [`Alg::primitive`] gives the jsonwebtoken algorithm of the same
/// signature scheme: `Ed25519` is EdDSA over the Ed25519 curve, the only curve this lab uses, so
/// its signatures are those of `EdDSA` byte for byte; only the name in the header and the JWKS
/// differs. An `Ed25519` key signs and verifies with aws-lc-rs directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Alg {
    /// HMAC with SHA-256: one shared secret signs and verifies, so every verifier can also sign.
    HS256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA keys of at least 2048 bits).
    RS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// The polymorphic EdDSA identifier (RFC 8037), deprecated by RFC 9864 but still accepted.
    EdDSA,
    /// The fully specified Ed25519 identifier (RFC 9864).
    Ed25519,
}

impl Alg {
    /// The algorithm's name, as `alg` in a JWS header and a JWK spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
            Alg::Ed25519 => "Ed25519",
        }
    }

    /// jsonwebtoken's algorithm for the same signature scheme (`Ed25519` is `EdDSA` on Ed25519).
    pub const fn primitive(self) -> Algorithm {
        match self {
            Alg::HS256 => Algorithm::HS256,
            Alg::RS256 => Algorithm::RS256,
            Alg::ES256 => Algorithm::ES256,
            Alg::EdDSA | Alg::Ed25519 => Algorithm::EdDSA,
        }
    }

    /// The algorithm a JWS header's `alg` names: exactly, case and all (RFC 7515 section 4.1.1).
    pub fn from_header(name: &str) -> Option<Alg> {
        SUPPORTED.into_iter().find(|a| a.name() == name)
    }
}

impl TryFrom<Algorithm> for Alg {
    type Error = KeyError;

    fn try_from(alg: Algorithm) -> Result<Self, KeyError> {
        match alg {
            Algorithm::HS256 => Ok(Alg::HS256),
            Algorithm::RS256 => Ok(Alg::RS256),
            Algorithm::ES256 => Ok(Alg::ES256),
            Algorithm::EdDSA => Ok(Alg::EdDSA),
            other => Err(KeyError::Unsupported(format!("{other:?}"))),
        }
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The algorithms a token node can use.
pub const SUPPORTED: [Alg; 5] = [Alg::HS256, Alg::RS256, Alg::ES256, Alg::EdDSA, Alg::Ed25519];

/// The shortest HMAC key a node accepts, in bytes.
pub const MIN_HMAC_KEY_BYTES: usize = 32;
const MIN_RSA_BITS: usize = 2048;

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// An algorithm the lab does not sign with (the name as given).
    #[error("unsupported algorithm {0}; expected one of HS256, RS256, ES256, EdDSA, Ed25519")]
    Unsupported(String),
    /// An HMAC key shorter than [`MIN_HMAC_KEY_BYTES`].
    #[error("key {kid:?}: HMAC keys must be at least {MIN_HMAC_KEY_BYTES} bytes, this one has {len}")]
    WeakHmacKey {
        /// The key's `kid`.
        kid: String,
        /// Its length in bytes.
        len: usize,
    },
    /// An RSA key with a modulus under 2048 bits.
    #[error("key {kid:?}: RSA keys must be at least {MIN_RSA_BITS} bits")]
    WeakRsaKey {
        /// The key's `kid`.
        kid: String,
    },
    /// A JWK with a missing, malformed or mismatched parameter.
    #[error("key {kid:?}: {what}")]
    Invalid {
        /// The key's `kid` (empty when it has none).
        kid: String,
        /// What is wrong with it.
        what: String,
    },
    /// A JWK Set with no keys: nothing could sign.
    #[error("the key set is empty")]
    Empty,
    /// Two keys of the set have this `kid`, so it could not select one.
    #[error("two keys share the kid {0:?}")]
    DuplicateKid(String),
    /// The key file is not JSON shaped like a JWK Set.
    #[error("not a JWK Set: {0}")]
    Json(#[from] serde_json::Error),
    /// The system's random generator failed while generating a key.
    #[error("the system random generator failed")]
    Random,
    /// The signing library failed to sign a token.
    #[error("signing failed")]
    Sign,
}

/// A JWK with private parameters, as a key file holds it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(expecting = "a JWK")]
struct PrivateJwk {
    kty: String,
    #[serde(default)]
    kid: String,
    #[serde(default)]
    alg: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dq: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qi: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(expecting = "a JWK Set")]
struct PrivateJwkSet {
    keys: Vec<PrivateJwk>,
}

/// One signing key with its one algorithm.
pub struct SigningKey {
    /// Its key id: what a token's header `kid` names it by.
    pub kid: String,
    /// The one algorithm it signs and verifies with.
    pub algorithm: Alg,
    /// The key as jsonwebtoken signs with it (for [`Alg::primitive`]).
    pub encoding: EncodingKey,
    /// The key as jsonwebtoken verifies with it (the public half; the secret itself for HMAC).
    pub decoding: DecodingKey,
    /// An `Ed25519` key's pair, which signs with aws-lc-rs itself.
    ed25519: Option<sig::Ed25519KeyPair>,
    jwk: PrivateJwk,
}

/// The keys of a token node (or of a whole cluster, which shares one key file).
pub struct KeySet {
    keys: Vec<SigningKey>,
}

fn random_bytes(len: usize) -> Result<Vec<u8>, KeyError> {
    let mut bytes = vec![0; len];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| KeyError::Random)?;
    Ok(bytes)
}

/// The algorithm's name, as `alg` spells it (the same as [`Alg::name`]).
pub fn algorithm_name(alg: Alg) -> &'static str {
    alg.name()
}

/// Parses an algorithm name (any case, as the command line and scenarios take it), accepting
/// only those in [`SUPPORTED`].
pub fn parse_algorithm(name: &str) -> Result<Alg, KeyError> {
    SUPPORTED
        .into_iter()
        .find(|a| algorithm_name(*a).eq_ignore_ascii_case(name))
        .ok_or_else(|| KeyError::Unsupported(name.to_owned()))
}

fn b64(bytes: &[u8]) -> Option<String> {
    Some(B64.encode(bytes))
}

/// Makes a fresh private JWK for `alg`, from the system's CSPRNG.
fn generate_jwk(alg: Alg) -> Result<PrivateJwk, KeyError> {
    let kid = format!("{}-{}", algorithm_name(alg).to_ascii_lowercase(), B64.encode(random_bytes(6)?));
    let invalid = |what: &str| KeyError::Invalid { kid: kid.clone(), what: what.to_owned() };
    let base = PrivateJwk {
        kid: kid.clone(),
        alg: algorithm_name(alg).into(),
        use_: Some("sig".into()),
        ..Default::default()
    };
    Ok(match alg {
        Alg::HS256 => PrivateJwk { kty: "oct".into(), k: b64(&random_bytes(MIN_HMAC_KEY_BYTES)?), ..base },
        Alg::RS256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| invalid("RSA key generation failed"))?;
            let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                .map_err(|_| invalid("RSA key export failed"))?;
            let [_, n, e, d, p, q, dp, dq, qi] = der::pkcs1_from_pkcs8(pkcs8.as_ref())
                .and_then(der::rsa_private_integers)
                .ok_or_else(|| invalid("unreadable RSA key export"))?;
            PrivateJwk {
                kty: "RSA".into(),
                n: b64(&n),
                e: b64(&e),
                d: b64(&d),
                p: b64(&p),
                q: b64(&q),
                dp: b64(&dp),
                dq: b64(&dq),
                qi: b64(&qi),
                ..base
            }
        }
        Alg::ES256 => {
            let pair = sig::EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING)
                .map_err(|_| invalid("P-256 key generation failed"))?;
            let d = AsBigEndian::<aws_lc_rs::encoding::EcPrivateKeyBin>::as_be_bytes(&pair.private_key())
                .map_err(|_| invalid("P-256 key export failed"))?;
            let point = pair.public_key().as_ref();
            PrivateJwk {
                kty: "EC".into(),
                crv: Some("P-256".into()),
                x: b64(&point[1..33]),
                y: b64(&point[33..65]),
                d: b64(d.as_ref()),
                ..base
            }
        }
        Alg::EdDSA | Alg::Ed25519 => {
            let pair = sig::Ed25519KeyPair::generate().map_err(|_| invalid("Ed25519 key generation failed"))?;
            let seed = pair.seed().map_err(|_| invalid("Ed25519 key export failed"))?;
            let seed = AsBigEndian::<aws_lc_rs::encoding::Curve25519SeedBin>::as_be_bytes(&seed)
                .map_err(|_| invalid("Ed25519 key export failed"))?;
            PrivateJwk {
                kty: "OKP".into(),
                crv: Some("Ed25519".into()),
                x: b64(pair.public_key().as_ref()),
                d: b64(seed.as_ref()),
                ..base
            }
        }
    })
}

impl SigningKey {
    /// Builds a key from a private JWK, checking that its parameters fit its algorithm.
    fn from_jwk(jwk: PrivateJwk) -> Result<Self, KeyError> {
        let kid = jwk.kid.clone();
        let invalid = |what: &str| KeyError::Invalid { kid: kid.clone(), what: what.to_owned() };
        if kid.is_empty() {
            return Err(invalid("every key needs a kid"));
        }
        let param = |value: &Option<String>, name: &str| -> Result<Vec<u8>, KeyError> {
            let text = value.as_deref().ok_or_else(|| invalid(&format!("missing parameter {name:?}")))?;
            B64.decode(text).map_err(|_| invalid(&format!("parameter {name:?} is not base64url")))
        };
        let text = |value: &Option<String>, name: &str| -> Result<String, KeyError> {
            value.clone().ok_or_else(|| invalid(&format!("missing parameter {name:?}")))
        };
        let algorithm = parse_algorithm(&jwk.alg)?;
        let fail = |_| invalid("the key does not fit its algorithm");
        let mut ed25519 = None;
        let (encoding, decoding) = match (algorithm, jwk.kty.as_str()) {
            (Alg::HS256, "oct") => {
                let secret = param(&jwk.k, "k")?;
                if secret.len() < MIN_HMAC_KEY_BYTES {
                    return Err(KeyError::WeakHmacKey { kid, len: secret.len() });
                }
                let bad = |_| invalid("unusable HMAC secret");
                (EncodingKey::from_secret(&secret).map_err(bad)?, DecodingKey::from_secret(&secret).map_err(bad)?)
            }
            (Alg::RS256, "RSA") => {
                let n = param(&jwk.n, "n")?;
                if n.len() * 8 < MIN_RSA_BITS {
                    return Err(KeyError::WeakRsaKey { kid });
                }
                let components = aws_lc_rs::rsa::KeyPairComponents {
                    public_key: aws_lc_rs::rsa::PublicKeyComponents { n: n.clone(), e: param(&jwk.e, "e")? },
                    d: param(&jwk.d, "d")?,
                    p: param(&jwk.p, "p")?,
                    q: param(&jwk.q, "q")?,
                    dP: param(&jwk.dp, "dp")?,
                    dQ: param(&jwk.dq, "dq")?,
                    qInv: param(&jwk.qi, "qi")?,
                };
                let pair = aws_lc_rs::rsa::KeyPair::from_components(&components)
                    .map_err(|_| invalid("inconsistent RSA parameters"))?;
                let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                    .map_err(|_| invalid("RSA key export failed"))?;
                let pkcs1 = der::pkcs1_from_pkcs8(pkcs8.as_ref()).ok_or_else(|| invalid("RSA key export failed"))?;
                let decoding = DecodingKey::from_rsa_components(&text(&jwk.n, "n")?, &text(&jwk.e, "e")?)
                    .map_err(|_| invalid("bad RSA public key"))?;
                (EncodingKey::from_rsa_der(pkcs1), decoding)
            }
            (Alg::ES256, "EC") => {
                if jwk.crv.as_deref() != Some("P-256") {
                    return Err(invalid("ES256 needs crv P-256"));
                }
                let (x, y) = (param(&jwk.x, "x")?, param(&jwk.y, "y")?);
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let pair = sig::EcdsaKeyPair::from_private_key_and_public_key(
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &param(&jwk.d, "d")?,
                    &point,
                )
                .map_err(fail)?;
                let pkcs8 = pair.to_pkcs8v1().map_err(|_| invalid("P-256 key export failed"))?;
                let decoding = DecodingKey::from_ec_components(&text(&jwk.x, "x")?, &text(&jwk.y, "y")?)
                    .map_err(|_| invalid("bad P-256 public key"))?;
                (EncodingKey::from_ec_der(pkcs8.as_ref()), decoding)
            }
            (Alg::EdDSA | Alg::Ed25519, "OKP") => {
                if jwk.crv.as_deref() != Some("Ed25519") {
                    return Err(invalid(&format!("{} needs crv Ed25519", algorithm.name())));
                }
                let pair = sig::Ed25519KeyPair::from_seed_and_public_key(&param(&jwk.d, "d")?, &param(&jwk.x, "x")?)
                    .map_err(fail)?;
                let pkcs8 = pair.to_pkcs8().map_err(|_| invalid("Ed25519 key export failed"))?;
                let decoding = DecodingKey::from_ed_components(&text(&jwk.x, "x")?)
                    .map_err(|_| invalid("bad Ed25519 public key"))?;
                let encoding = EncodingKey::from_ed_der(pkcs8.as_ref());
                if algorithm == Alg::Ed25519 {
                    ed25519 = Some(pair);
                }
                (encoding, decoding)
            }
            (alg, kty) => {
                return Err(invalid(&format!("kty {kty:?} cannot be used with {}", algorithm_name(alg))));
            }
        };
        Ok(Self { kid, algorithm, encoding, decoding, ed25519, jwk })
    }

    /// The base64url signature of `signing_input` (`header.claims`): `Ed25519` with aws-lc-rs,
    /// every other algorithm with jsonwebtoken.
    pub fn sign(&self, signing_input: &[u8]) -> Result<String, KeyError> {
        match &self.ed25519 {
            Some(pair) => Ok(B64.encode(pair.sign(signing_input).as_ref())),
            None => jsonwebtoken::crypto::sign(signing_input, &self.encoding, self.algorithm.primitive())
                .map_err(|_| KeyError::Sign),
        }
    }

    /// The public half as a JWK, or `None` for a symmetric key (which must never be published).
    pub fn public_jwk(&self) -> Option<Value> {
        let j = &self.jwk;
        let common = json!({"kid": j.kid, "alg": j.alg, "use": "sig"});
        let mut public = match j.kty.as_str() {
            "RSA" => json!({"kty": "RSA", "n": j.n, "e": j.e}),
            "EC" => json!({"kty": "EC", "crv": j.crv, "x": j.x, "y": j.y}),
            "OKP" => json!({"kty": "OKP", "crv": j.crv, "x": j.x}),
            _ => return None,
        };
        if let (Some(map), Value::Object(common)) = (public.as_object_mut(), common) {
            map.extend(common);
        }
        Some(public)
    }
}

impl KeySet {
    /// A set with one freshly generated key for `alg`.
    pub fn generate(alg: Alg) -> Result<Self, KeyError> {
        Self::from_jwks(vec![generate_jwk(alg)?])
    }

    fn from_jwks(jwks: Vec<PrivateJwk>) -> Result<Self, KeyError> {
        if jwks.is_empty() {
            return Err(KeyError::Empty);
        }
        let keys = jwks.into_iter().map(SigningKey::from_jwk).collect::<Result<Vec<_>, _>>()?;
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(KeyError::DuplicateKid(key.kid.clone()));
            }
        }
        Ok(Self { keys })
    }

    /// Reads a JWK Set with private parameters (what `--keys` takes).
    pub fn from_jwks_json(json: &str) -> Result<Self, KeyError> {
        let set: PrivateJwkSet = serde_json::from_str(json)?;
        Self::from_jwks(set.keys)
    }

    /// The set as a JWK Set with private parameters, for a key file.
    pub fn to_private_jwks_json(&self) -> String {
        let set = PrivateJwkSet { keys: self.keys.iter().map(|k| k.jwk.clone()).collect() };
        serde_json::to_string_pretty(&set).unwrap_or_default()
    }

    /// The public keys, as `/.well-known/jwks.json` serves them (empty for HMAC keys).
    pub fn public_jwks(&self) -> Value {
        json!({"keys": self.keys.iter().filter_map(SigningKey::public_jwk).collect::<Vec<_>>()})
    }

    /// The key that signs new tokens.
    pub fn current(&self) -> &SigningKey {
        &self.keys[0]
    }

    /// The `kid` of the key that signs new tokens.
    pub fn current_kid(&self) -> &str {
        &self.current().kid
    }

    /// The node's own key with this `kid`, if any.
    pub fn get(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The jsonwebtoken signing key of the node's own key with this `kid`, if any.
    pub fn encoding_key(&self, kid: &str) -> Option<&EncodingKey> {
        self.get(kid).map(|k| &k.encoding)
    }

    /// Every key, the signing one first; all of them verify.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_survives_a_round_trip_through_a_key_file() {
        for alg in SUPPORTED {
            let set = KeySet::generate(alg).unwrap_or_else(|e| panic!("{alg:?}: {e}"));
            let again = KeySet::from_jwks_json(&set.to_private_jwks_json()).expect("reads its own file");
            assert_eq!(again.current_kid(), set.current_kid());
            assert_eq!(again.current().algorithm, alg);
            let published = set.public_jwks();
            let published = published["keys"].as_array().expect("keys array");
            if alg == Alg::HS256 {
                assert!(published.is_empty(), "an HMAC secret is never published");
            } else {
                assert_eq!(published.len(), 1);
                assert!(published[0].get("d").is_none(), "no private parameter is published");
                assert_eq!(published[0]["alg"], alg.name(), "the JWKS names the key's own algorithm");
            }
        }
    }

    #[test]
    fn short_hmac_keys_are_refused() {
        let file = json!({"keys": [{"kty": "oct", "kid": "k", "alg": "HS256", "k": B64.encode([1u8; 16])}]});
        assert!(matches!(KeySet::from_jwks_json(&file.to_string()), Err(KeyError::WeakHmacKey { len: 16, .. })));
    }

    #[test]
    fn a_key_cannot_change_its_family() {
        let set = KeySet::generate(Alg::HS256).unwrap();
        let mut file: Value = serde_json::from_str(&set.to_private_jwks_json()).unwrap();
        file["keys"][0]["alg"] = json!("RS256");
        assert!(KeySet::from_jwks_json(&file.to_string()).is_err());
    }
}
