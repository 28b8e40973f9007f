//! The keys `inspect` verifies with: fetched from a JWKS URL, or read from a key file holding a
//! JWK, a JWK Set, a PEM public key or an HMAC secret.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::DecodingKey;
use serde_json::Value;

use crate::token::jwks::{PublicJwk, PublicJwkSet, public_decoding_key};
use crate::token::keys::{Alg, parse_algorithm};

/// How long fetching a JWKS may take, connection and body together.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest JWKS document or key file read, in bytes.
pub const MAX_KEY_BYTES: usize = 1024 * 1024;

/// Why no key could be had from what was given.
#[derive(Debug, thiserror::Error)]
pub enum KeySourceError {
    /// The key file could not be read.
    #[error("reading the key file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The key file or JWKS is larger than [`MAX_KEY_BYTES`].
    #[error("{0} is larger than {MAX_KEY_BYTES} bytes: not a key")]
    TooLarge(String),
    /// The JWKS URL could not be fetched.
    #[error("fetching the JWKS {url}: {what}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why (the HTTP status, a connection error, the timeout).
        what: String,
    },
    /// What was read is not a key `inspect` can use.
    #[error("{source_name}: {what}")]
    Unusable {
        /// The file or URL.
        source_name: String,
        /// What is wrong with it.
        what: String,
    },
}

/// One key to try: what it is, the algorithms it may verify, and the key itself (or why a key of
/// a set could not be used, told when a token selects it).
pub struct Candidate {
    /// Its `kid`, when it has one.
    pub kid: Option<String>,
    /// The algorithms it may verify: the one its JWK names, else those of its type.
    pub algorithms: Vec<Alg>,
    /// What kind of key it is, for the report (e.g. "RSA public key").
    pub kind: String,
    /// The key, as jsonwebtoken verifies with it; an error when this key of a set is unusable.
    pub key: Result<DecodingKey, String>,
}

/// The keys read from a `--jwks` URL or a `--key` file.
pub struct KeySource {
    /// Where they came from and how it was read, in one sentence.
    pub description: String,
    /// The keys, in their order.
    pub candidates: Vec<Candidate>,
}

/// Fetches a JWK Set (any issuer's `/.well-known/jwks.json`) and reads its public keys. An HMAC
/// (`oct`) key in it is unusable: a published set must never carry one.
pub fn fetch_jwks(url: &str) -> Result<KeySource, KeySourceError> {
    let fetch_error = |what: String| KeySourceError::Fetch { url: url.to_owned(), what };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fetch_error(format!("starting the runtime: {e}")))?;
    let body = runtime.block_on(async {
        let client =
            reqwest::Client::builder().timeout(FETCH_TIMEOUT).build().map_err(|e| fetch_error(e.to_string()))?;
        let mut response = client.get(url).send().await.map_err(|e| fetch_error(e.to_string()))?;
        if !response.status().is_success() {
            return Err(fetch_error(format!("HTTP {}", response.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| fetch_error(e.to_string()))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_KEY_BYTES {
                return Err(KeySourceError::TooLarge(url.to_owned()));
            }
        }
        Ok(body)
    })?;
    let unusable = |what: String| KeySourceError::Unusable { source_name: url.to_owned(), what };
    let set: PublicJwkSet = serde_json::from_slice(&body).map_err(|e| unusable(format!("not a JWK Set: {e}")))?;
    let candidates: Vec<Candidate> = set.keys.iter().filter(|k| is_for_signatures(k)).map(public_candidate).collect();
    let description = format!("JWKS {url}: {}", count(candidates.len()));
    Ok(KeySource { description, candidates })
}

/// Reads a key file. JSON is a JWK Set (`{"keys": [...]}`, private sets such as a node's key file
/// included: only the public half is used) or one JWK, `oct` keys being HMAC secrets; text that
/// starts with `-----BEGIN` is a PEM public key (RSA, EC P-256 or Ed25519); anything else is an
/// HMAC secret's raw bytes (one trailing newline dropped).
pub fn read_key_file(path: &Path) -> Result<KeySource, KeySourceError> {
    let name = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|source| KeySourceError::Read { path: name.clone(), source })?;
    if metadata.len() > MAX_KEY_BYTES as u64 {
        return Err(KeySourceError::TooLarge(name));
    }
    let bytes = std::fs::read(path).map_err(|source| KeySourceError::Read { path: name.clone(), source })?;
    key_from_bytes(&name, &bytes)
}

/// [`read_key_file`] on bytes already read (`name`: the file, for messages).
pub fn key_from_bytes(name: &str, bytes: &[u8]) -> Result<KeySource, KeySourceError> {
    let unusable = |what: String| KeySourceError::Unusable { source_name: name.to_owned(), what };
    let text = std::str::from_utf8(bytes).ok().map(str::trim_start);
    if let Some(json) = text.filter(|t| t.starts_with('{')) {
        let value: Value = serde_json::from_str(json).map_err(|e| unusable(format!("JSON, but not valid: {e}")))?;
        let (shape, jwks) = match value.get("keys") {
            Some(Value::Array(keys)) => ("a JWK Set", keys.clone()),
            Some(_) => return Err(unusable("\"keys\" is not an array".into())),
            None if value.get("kty").is_some() => ("a JWK", vec![value]),
            None => return Err(unusable("JSON, but neither a JWK (no \"kty\") nor a JWK Set (no \"keys\")".into())),
        };
        let mut candidates = Vec::with_capacity(jwks.len());
        for jwk in jwks {
            candidates.push(jwk_candidate(jwk).map_err(unusable)?);
        }
        let candidates: Vec<Candidate> = candidates.into_iter().flatten().collect();
        let description = format!("key file {name}: {shape}, {}", count(candidates.len()));
        return Ok(KeySource { description, candidates });
    }
    if let Some(pem) = text.filter(|t| t.starts_with("-----BEGIN")) {
        let candidate = pem_candidate(pem.as_bytes()).map_err(unusable)?;
        let description = format!("key file {name}: PEM, {}", candidate.kind);
        return Ok(KeySource { description, candidates: vec![candidate] });
    }
    let secret = bytes.strip_suffix(b"\r\n").or_else(|| bytes.strip_suffix(b"\n")).unwrap_or(bytes);
    if secret.is_empty() {
        return Err(unusable("the file is empty: no HMAC secret in it".into()));
    }
    let candidate = hmac_candidate(secret, None);
    let description =
        format!("key file {name}: neither JSON nor PEM, so its bytes are the HMAC secret ({})", candidate.kind);
    Ok(KeySource { description, candidates: vec![candidate] })
}

fn count(keys: usize) -> String {
    format!("{keys} signature key{}", if keys == 1 { "" } else { "s" })
}

/// Whether a JWK is for signatures (`use` absent or `sig`).
fn is_for_signatures(jwk: &PublicJwk) -> bool {
    jwk.use_.as_deref().is_none_or(|u| u == "sig")
}

fn hmac_candidate(secret: &[u8], kid: Option<String>) -> Candidate {
    Candidate {
        kid,
        algorithms: vec![Alg::HS256],
        kind: format!("HMAC secret of {} bytes", secret.len()),
        key: DecodingKey::from_secret(secret).map_err(|e| e.to_string()),
    }
}

/// A JWK of a key file: `oct` is an HMAC secret; any other kind is read as a published key.
/// `None` for keys not meant for signatures.
fn jwk_candidate(jwk: Value) -> Result<Option<Candidate>, String> {
    if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
        let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
        let k = jwk.get("k").and_then(Value::as_str).ok_or("an oct JWK without \"k\"")?;
        let secret = B64.decode(k).map_err(|_| "the oct JWK's \"k\" is not base64url")?;
        return Ok(Some(hmac_candidate(&secret, kid)));
    }
    let jwk: PublicJwk = serde_json::from_value(jwk).map_err(|e| format!("not a JWK: {e}"))?;
    Ok(is_for_signatures(&jwk).then(|| public_candidate(&jwk)))
}

/// A published key, with the algorithm its `alg` names, or (when it names none, as some issuers'
/// sets do) the algorithms of its type; the key is converted as a resource node converts it.
fn public_candidate(jwk: &PublicJwk) -> Candidate {
    let kid = (!jwk.kid.is_empty()).then(|| jwk.kid.clone());
    let algorithms = if jwk.alg.is_empty() {
        match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("RSA", _) => vec![Alg::RS256],
            ("EC", Some("P-256")) => vec![Alg::ES256],
            ("OKP", Some("Ed25519")) => vec![Alg::EdDSA, Alg::Ed25519],
            _ => Vec::new(),
        }
    } else {
        parse_algorithm(&jwk.alg).map(|a| vec![a]).unwrap_or_default()
    };
    let curve = jwk.crv.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
    let kind = format!("{}{curve} key", jwk.kty);
    let key = match algorithms.first() {
        Some(alg) => public_decoding_key(jwk, *alg).map_err(|e| e.to_string()),
        None if jwk.alg.is_empty() => Err(format!("kty {}{curve} is not one the lab verifies", jwk.kty)),
        None => Err(format!("its alg {} is not one the lab verifies", jwk.alg)),
    };
    Candidate { kid, algorithms, kind, key }
}

/// One of jsonwebtoken's PEM readers.
type PemReader = fn(&[u8]) -> jsonwebtoken::errors::Result<DecodingKey>;

/// A PEM public key: RSA (RS256), EC (ES256) or Ed25519 (EdDSA, Ed25519), as jsonwebtoken reads it.
fn pem_candidate(pem: &[u8]) -> Result<Candidate, String> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("PRIVATE KEY") {
        return Err("a PEM private key: give the public key (or a JWK) instead".into());
    }
    if text.contains("CERTIFICATE") {
        return Err("a PEM certificate: give its public key (`openssl x509 -pubkey -noout`)".into());
    }
    let tries: [(PemReader, &[Alg], &str); 3] = [
        (DecodingKey::from_rsa_pem, &[Alg::RS256], "RSA public key"),
        (DecodingKey::from_ec_pem, &[Alg::ES256], "EC public key"),
        (DecodingKey::from_ed_pem, &[Alg::EdDSA, Alg::Ed25519], "Ed25519 public key"),
    ];
    for (read, algorithms, kind) in tries {
        if let Ok(key) = read(pem) {
            return Ok(Candidate { kid: None, algorithms: algorithms.to_vec(), kind: kind.into(), key: Ok(key) });
        }
    }
    Err("PEM, but not an RSA, EC or Ed25519 public key".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::keys::KeySet;

    #[test]
    fn a_file_that_is_neither_json_nor_pem_is_an_hmac_secret() {
        let source = key_from_bytes("s.txt", b"correct horse battery staple\n").unwrap();
        assert_eq!(source.candidates.len(), 1);
        assert_eq!(source.candidates[0].algorithms, [Alg::HS256]);
        assert_eq!(source.candidates[0].kind, "HMAC secret of 28 bytes");
        assert!(source.description.contains("neither JSON nor PEM"), "{}", source.description);
        assert!(key_from_bytes("e", b"\n").is_err());
    }

    #[test]
    fn jwk_sets_private_and_public_and_single_jwks_are_read() {
        for alg in [Alg::HS256, Alg::RS256, Alg::ES256, Alg::Ed25519] {
            let keys = KeySet::generate(alg).unwrap();
            let private = key_from_bytes("k.json", keys.to_private_jwks_json().as_bytes()).unwrap();
            assert_eq!(private.candidates[0].algorithms[0], alg);
            assert!(private.candidates[0].key.is_ok());
            assert_eq!(private.candidates[0].kid.as_deref(), Some(keys.current_kid()));
            if alg != Alg::HS256 {
                let one = keys.public_jwks()["keys"][0].to_string();
                let single = key_from_bytes("k.json", one.as_bytes()).unwrap();
                assert!(single.description.contains("a JWK,"), "{}", single.description);
                assert!(single.candidates[0].key.is_ok());
            }
        }
        assert!(key_from_bytes("k.json", b"{\"a\":1}").is_err());
        assert!(key_from_bytes("k.json", b"{\"keys\":").is_err());
    }

    #[test]
    fn a_jwk_without_alg_takes_its_types_algorithm() {
        let keys = KeySet::generate(Alg::RS256).unwrap();
        let mut jwk = keys.public_jwks()["keys"][0].clone();
        jwk.as_object_mut().unwrap().remove("alg");
        let source = key_from_bytes("k.json", jwk.to_string().as_bytes()).unwrap();
        assert_eq!(source.candidates[0].algorithms, [Alg::RS256]);
        assert!(source.candidates[0].key.is_ok());
    }

    #[test]
    fn a_pem_public_key_is_read_by_its_type() {
        use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let der: PublicKeyX509Der<'_> = pair.public_key().as_der().unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n");
        let source = key_from_bytes("k.pem", pem.as_bytes()).unwrap();
        assert_eq!(source.candidates[0].algorithms, [Alg::ES256]);
        assert_eq!(source.description, "key file k.pem: PEM, EC public key");
    }

    #[test]
    fn pem_private_keys_and_garbage_are_refused() {
        let e = key_from_bytes("k.pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assert!(e.err().unwrap().to_string().contains("private key"));
        let e = key_from_bytes("k.pem", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        assert!(e.is_err());
    }
}
