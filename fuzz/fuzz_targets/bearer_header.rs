//! Fuzzes the `Authorization: Bearer` parsers: the auth check's, and the introspection form body's.
#![no_main]

use authlab::token::access::{MAX_AUTHORIZATION_BYTES, parse_bearer, read_access_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = parse_bearer(data) {
        assert!(data.len() <= MAX_AUTHORIZATION_BYTES);
        assert!(!token.is_empty() && token.len() < data.len(), "the token is part of the header");
        assert!(data.ends_with(token.as_bytes()), "the token is the end of the header");
    }
    if let Ok(token) = read_access_token(Some(data)) {
        assert!(data.ends_with(token.token.as_bytes()));
    }
    let _ = authlab::node::form_token(data);
});
