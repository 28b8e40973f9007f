//! Fuzzes the login body: any body is a login within the size limits, or a 400.
#![no_main]

use authlab::node::ApiError;
use authlab::node::login::{MAX_CREDENTIAL_BYTES, parse_login};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_login(data) {
        Ok(login) => {
            assert!(login.username.len() <= MAX_CREDENTIAL_BYTES);
            assert!(login.password.len() <= MAX_CREDENTIAL_BYTES);
        }
        Err(error) => assert!(matches!(error, ApiError::BadRequest(_)), "{error:?}"),
    }
});
