//! Fuzzes the JOSE header and claims reader through the auth check (`TokenAuthority::auth_check`),
//! over node-like key sets (one generated key each, as `authlab node` makes them): the node of
//! `SUPPORTED[mode / 2 % SUPPORTED.len()]` (HS256, RS256, ES256, EdDSA, Ed25519 today).
//!
//! Input: one mode byte, then
//! - mode even: the whole `Authorization` header value, as a client sends it;
//! - mode odd: (except for the RS256 node, whose signing is too slow for a fuzz loop: raw there too)
//!   a header JSON and a claims JSON, separated by the first `\n`; the harness encodes
//!   them and signs them with the node's own key, so the fuzzer reaches the claims reader (which
//!   only runs on a good signature). `@kid@` in the header stands for the key's `kid`, and
//!   `@now@` in the claims for the current Unix time.
#![no_main]

use std::sync::OnceLock;

use authlab::token::access::{Audience, TokenAuthority, TokenPolicy, unix_now};
use authlab::token::keys::{Alg, KeySet, SUPPORTED};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use libfuzzer_sys::fuzz_target;

fn authorities() -> &'static Vec<TokenAuthority> {
    static AUTHORITIES: OnceLock<Vec<TokenAuthority>> = OnceLock::new();
    AUTHORITIES.get_or_init(|| {
        SUPPORTED
            .iter()
            .map(|&alg| {
                let keys = KeySet::generate(alg).expect("a generated key");
                TokenAuthority::new(keys, TokenPolicy::default(), true)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let authorities = authorities();
    let authority = &authorities[usize::from(mode / 2) % authorities.len()];
    let policy = authority.policy();
    let result = if mode % 2 == 0 || authority.keys().set().current().algorithm == Alg::RS256 {
        authority.auth_check(Some(rest))
    } else {
        let (header, claims) = match rest.iter().position(|&b| b == b'\n') {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &b""[..]),
        };
        let keys = authority.keys();
        let key = keys.set().current();
        let header = replace(header, b"@kid@", key.kid.as_bytes());
        let claims = replace(claims, b"@now@", unix_now().to_string().as_bytes());
        let signing_input = format!("{}.{}", B64.encode(header), B64.encode(claims));
        let Ok(signature) = key.sign(signing_input.as_bytes()) else { return };
        let authorization = format!("Bearer {signing_input}.{signature}");
        authority.auth_check(Some(authorization.as_bytes()))
    };
    if let Ok(claims) = result {
        // Whatever got through is what the node promises: its issuer, its audience, not expired.
        assert_eq!(claims.iss, policy.issuer);
        assert!(claims.aud.contains(&policy.audience), "{:?}", claims.aud);
        assert!(!matches!(&claims.aud, Audience::Many(many) if many.is_empty()));
        assert!(claims.exp.saturating_add(policy.leeway.as_secs()) >= unix_now(), "expired: {}", claims.exp);
        assert!(claims.nbf <= unix_now() + policy.leeway.as_secs(), "not yet valid: {}", claims.nbf);
    }
});

/// `bytes` with every `from` replaced by `to`.
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}
