//! A token's claims edited and re-encoded (its old signature kept, so it no longer verifies), or
//! re-signed with a pasted private key: what holding the key makes possible.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::EncodingKey;
use serde_json::{Map, Value};

use super::decode::Decoded;
use crate::token::keys::{Alg, KeySet};

/// Why claims could not be re-encoded or a token re-signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResignError {
    /// The edited claims are not JSON.
    #[error("the claims are not JSON: {0}")]
    ClaimsNotJson(String),
    /// The edited claims are JSON, but not an object.
    #[error("the claims must be a JSON object")]
    ClaimsNotObject,
    /// No signing key was given.
    #[error("no signing key given")]
    NoKey,
    /// What was given is not a private key (or secret) the lab can sign with.
    #[error("not a signing key: {0}")]
    Key(String),
    /// The signature could not be made.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A key to sign with, read from pasted text.
pub struct Signer {
    /// The algorithm it signs with (the header's new `alg`).
    pub alg: Alg,
    /// The `kid` the header gets (`None`: the header's `kid` is removed).
    pub kid: Option<String>,
    /// What kind of key it is, e.g. "EC private key (PEM)".
    pub kind: &'static str,
    key: SignerKey,
}

enum SignerKey {
    Jsonwebtoken(EncodingKey),
    /// A JWK, signed through the lab's own key code (which signs Ed25519 with aws-lc-rs).
    Lab(KeySet),
}

impl Signer {
    /// Reads `text`: a private JWK or JWK Set (the first key signs), a PEM private key (RSA, EC
    /// P-256 or Ed25519, PKCS#8 or PKCS#1), or else an HMAC secret's bytes (surrounding white
    /// space dropped).
    pub fn from_text(text: &str) -> Result<Self, ResignError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ResignError::NoKey);
        }
        if trimmed.starts_with('{') {
            return Self::from_jwk(trimmed);
        }
        if trimmed.starts_with("-----BEGIN") {
            return Self::from_pem(trimmed.as_bytes());
        }
        let key = EncodingKey::from_secret(trimmed.as_bytes()).map_err(|e| ResignError::Key(e.to_string()))?;
        Ok(Signer { alg: Alg::HS256, kid: None, kind: "HMAC secret", key: SignerKey::Jsonwebtoken(key) })
    }

    fn from_jwk(json: &str) -> Result<Self, ResignError> {
        let mut value: Value = serde_json::from_str(json).map_err(|e| ResignError::Key(e.to_string()))?;
        if value.get("keys").is_none() {
            if let Some(jwk) = value.as_object_mut() {
                jwk.entry("kid").or_insert_with(|| Value::String("pasted".into()));
            }
            value = serde_json::json!({ "keys": [value] });
        }
        let set = KeySet::from_jwks_json(&value.to_string()).map_err(|e| ResignError::Key(e.to_string()))?;
        let current = set.current();
        let (alg, kid) = (current.algorithm, Some(current.kid.clone()));
        Ok(Signer { alg, kid, kind: "private JWK", key: SignerKey::Lab(set) })
    }

    fn from_pem(pem: &[u8]) -> Result<Self, ResignError> {
        if !String::from_utf8_lossy(pem).contains("PRIVATE KEY") {
            return Err(ResignError::Key("a PEM, but not a private key: signing needs the private half".into()));
        }
        type Reader = fn(&[u8]) -> jsonwebtoken::errors::Result<EncodingKey>;
        let tries: [(Reader, Alg, &'static str); 3] = [
            (EncodingKey::from_rsa_pem, Alg::RS256, "RSA private key (PEM)"),
            (EncodingKey::from_ec_pem, Alg::ES256, "EC private key (PEM)"),
            (EncodingKey::from_ed_pem, Alg::EdDSA, "Ed25519 private key (PEM)"),
        ];
        for (read, alg, kind) in tries {
            if let Ok(key) = read(pem) {
                // jsonwebtoken reads any PKCS#8 with each reader: sign once to be sure it fits.
                if jsonwebtoken::crypto::sign(b"probe", &key, alg.primitive()).is_ok() {
                    return Ok(Signer { alg, kid: None, kind, key: SignerKey::Jsonwebtoken(key) });
                }
            }
        }
        Err(ResignError::Key("PEM, but not an RSA, EC P-256 or Ed25519 private key".into()))
    }

    /// The base64url signature of `signing_input`.
    fn sign(&self, signing_input: &str) -> Result<String, ResignError> {
        match &self.key {
            SignerKey::Jsonwebtoken(key) => {
                jsonwebtoken::crypto::sign(signing_input.as_bytes(), key, self.alg.primitive())
                    .map_err(|e| ResignError::Sign(e.to_string()))
            }
            SignerKey::Lab(set) => {
                set.current().sign(signing_input.as_bytes()).map_err(|e| ResignError::Sign(e.to_string()))
            }
        }
    }
}

/// Reads edited claims: a JSON object.
pub fn parse_claims(claims_json: &str) -> Result<Map<String, Value>, ResignError> {
    match serde_json::from_str::<Value>(claims_json).map_err(|e| ResignError::ClaimsNotJson(e.to_string()))? {
        Value::Object(map) => Ok(map),
        _ => Err(ResignError::ClaimsNotObject),
    }
}

fn part(value: &Map<String, Value>) -> String {
    B64.encode(Value::Object(value.clone()).to_string())
}

/// `token` with `claims_json` as its claims: the header and the old signature kept as they were,
/// so (unless the claims are unchanged) the signature no longer verifies.
pub fn reencode(token: &Decoded, claims_json: &str) -> Result<String, ResignError> {
    let claims = parse_claims(claims_json)?;
    let header = token.signing_input().split_once('.').map_or("", |(header, _)| header);
    Ok(format!("{header}.{}.{}", part(&claims), token.signature_b64()))
}

/// `token`'s header (its `alg` and `kid` set for `signer`) and `claims_json`, signed with `signer`.
pub fn resign(token: &Decoded, claims_json: &str, signer: &Signer) -> Result<String, ResignError> {
    let claims = parse_claims(claims_json)?;
    let mut header = token.header.clone();
    header.insert("alg".into(), Value::String(signer.alg.name().into()));
    match &signer.kid {
        Some(kid) => header.insert("kid".into(), Value::String(kid.clone())),
        None => header.remove("kid"),
    };
    let input = format!("{}.{}", part(&header), part(&claims));
    let signature = signer.sign(&input)?;
    Ok(format!("{input}.{signature}"))
}

#[cfg(test)]
mod tests {
    use super::super::check::{Expectations, Outcome, run_checks};
    use super::super::decode::decode;
    use super::super::key::key_from_bytes;
    use super::*;

    const NOW: u64 = 1_000_000;

    fn unsigned() -> Decoded {
        let header = B64.encode(r#"{"alg":"HS256","typ":"JWT","kid":"old"}"#);
        let claims = B64.encode(format!(r#"{{"sub":"user1","exp":{}}}"#, NOW + 600));
        decode(&format!("{header}.{claims}.c2ln")).unwrap()
    }

    fn signature_result(token: &str, verify_with: &[u8]) -> Outcome {
        let key = key_from_bytes("key", verify_with).unwrap();
        run_checks(&decode(token).unwrap(), Some(&key), &Expectations::default(), NOW)[0].result
    }

    fn round_trip(signer_text: &str, verify_with: &[u8]) {
        let signer = Signer::from_text(signer_text).unwrap();
        let claims = format!(r#"{{"sub":"admin","exp":{}}}"#, NOW + 600);
        let token = resign(&unsigned(), &claims, &signer).unwrap();
        assert_eq!(signature_result(&token, verify_with), Outcome::Passed, "{}", signer.kind);
        let decoded = decode(&token).unwrap();
        assert_eq!(decoded.claims["sub"], "admin");
        assert_eq!(decoded.header_str("alg"), Some(signer.alg.name()));
        let edited = reencode(&decoded, &format!(r#"{{"sub":"root","exp":{}}}"#, NOW + 600)).unwrap();
        assert_eq!(signature_result(&edited, verify_with), Outcome::Failed, "{}", signer.kind);
    }

    #[test]
    fn an_hmac_secret_signs_what_it_verifies() {
        round_trip("a secret of more than thirty-two bytes\n", b"a secret of more than thirty-two bytes");
    }

    #[test]
    fn private_jwks_sign_what_their_public_halves_verify() {
        for alg in [Alg::RS256, Alg::ES256, Alg::Ed25519] {
            let keys = KeySet::generate(alg).unwrap();
            let private: Value = serde_json::from_str(&keys.to_private_jwks_json()).unwrap();
            let one = private["keys"][0].to_string();
            round_trip(&one, keys.public_jwks().to_string().as_bytes());
        }
    }

    #[test]
    fn pem_private_keys_sign_what_their_public_pems_verify() {
        use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
        let pem = |label: &str, der: &[u8]| {
            let body = base64::engine::general_purpose::STANDARD.encode(der);
            format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
        };
        let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let ec_public: PublicKeyX509Der<'_> = ec.public_key().as_der().unwrap();
        let ec_private = ec.to_pkcs8v1().unwrap();
        round_trip(&pem("PRIVATE KEY", ec_private.as_ref()), pem("PUBLIC KEY", ec_public.as_ref()).as_bytes());
        let ed = Ed25519KeyPair::generate().unwrap();
        let ed_public: PublicKeyX509Der<'_> = ed.public_key().as_der().unwrap();
        let ed_private = ed.to_pkcs8v1().unwrap();
        round_trip(&pem("PRIVATE KEY", ed_private.as_ref()), pem("PUBLIC KEY", ed_public.as_ref()).as_bytes());
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let rsa_public: PublicKeyX509Der<'_> = rsa.public_key().as_der().unwrap();
        let rsa_private = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa).unwrap();
        round_trip(&pem("PRIVATE KEY", rsa_private.as_ref()), pem("PUBLIC KEY", rsa_public.as_ref()).as_bytes());
    }

    #[test]
    fn bad_claims_and_public_keys_are_refused() {
        assert!(matches!(reencode(&unsigned(), "{\"sub\":"), Err(ResignError::ClaimsNotJson(_))));
        assert_eq!(reencode(&unsigned(), "[1]"), Err(ResignError::ClaimsNotObject));
        assert!(matches!(Signer::from_text("  "), Err(ResignError::NoKey)));
        let public = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(matches!(Signer::from_text(public), Err(ResignError::Key(_))));
    }
}
