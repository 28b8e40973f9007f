//! What another signing algorithm changes in a run's token costs: the auth check's time and the
//! token's bytes, measured now on this machine through the token node's own [`TokenAuthority`]
//! (one token issued, then checked many times, as a node checks it), so that a run made with one
//! algorithm projects to another by the difference.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::token::access::{TokenAuthority, TokenPolicy};
use crate::token::keys::{Alg, KeyError, KeySet};

/// One algorithm's auth check and token, measured here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlgorithmCost {
    /// µs of one auth check (`TokenAuthority::auth_check`), the mean over the timed checks.
    pub check_us: f64,
    /// Bytes of the token (the `Authorization: Bearer` header's value less `Bearer `).
    pub token_bytes: usize,
}

/// How long each algorithm is timed for.
const BUDGET: Duration = Duration::from_millis(30);

/// The cost of `alg` with `claims_bytes` of extra claims, measured once per process and kept.
pub fn measure(alg: Alg, claims_bytes: usize) -> Result<AlgorithmCost, KeyError> {
    static MEASURED: OnceLock<Mutex<HashMap<(Alg, usize), AlgorithmCost>>> = OnceLock::new();
    let measured = MEASURED.get_or_init(Default::default);
    if let Some(cost) = measured.lock().unwrap_or_else(|p| p.into_inner()).get(&(alg, claims_bytes)) {
        return Ok(*cost);
    }
    let authority =
        TokenAuthority::new(KeySet::generate(alg)?, TokenPolicy { claims_bytes, ..TokenPolicy::default() }, false);
    let (token, _) = authority.issue("user0000001")?;
    let header = format!("Bearer {token}");
    // A few checks to warm the key's caches, then as many as fit the budget (at least 20).
    for _ in 0..5 {
        let _ = authority.auth_check(Some(header.as_bytes()));
    }
    let started = Instant::now();
    let mut checks = 0u32;
    while checks < 20 || started.elapsed() < BUDGET {
        let _ = std::hint::black_box(authority.auth_check(Some(std::hint::black_box(header.as_bytes()))));
        checks += 1;
    }
    let cost =
        AlgorithmCost { check_us: started.elapsed().as_secs_f64() * 1e6 / f64::from(checks), token_bytes: token.len() };
    measured.lock().unwrap_or_else(|p| p.into_inner()).insert((alg, claims_bytes), cost);
    Ok(cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asymmetric_check_costs_more_than_an_hmac_and_its_token_is_bigger() {
        let (hs, es) = (measure(Alg::HS256, 0).unwrap(), measure(Alg::ES256, 0).unwrap());
        assert!(es.check_us > 2.0 * hs.check_us, "ES256 {es:?} against HS256 {hs:?}");
        // A 64-byte ECDSA signature against a 32-byte MAC: 43 more base64url characters.
        assert_eq!(es.token_bytes - hs.token_bytes, 43, "{es:?} {hs:?}");
        let rs = measure(Alg::RS256, 0).unwrap();
        assert_eq!(rs.token_bytes - hs.token_bytes, 342 - 43, "a 256-byte RSA signature");
    }
}
