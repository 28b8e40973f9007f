//! The login request: reading its body, and checking the password off the async runtime.

use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::Semaphore;

use super::error::ApiError;
use crate::users::UserDirectory;

/// The longest username or password a login may carry.
pub const MAX_CREDENTIAL_BYTES: usize = 256;

/// The body of `POST /login`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// At most [`MAX_CREDENTIAL_BYTES`] bytes; the directory's users are `user0000000` and up.
    pub username: String,
    /// At most [`MAX_CREDENTIAL_BYTES`] bytes.
    pub password: String,
}

/// Reads a login body; anything but `{"username": "...", "password": "..."}` is a 400.
pub fn parse_login(body: &[u8]) -> Result<LoginRequest, ApiError> {
    // The parser's words (which name Rust types) go to the debug log, not to the caller.
    let request: LoginRequest = serde_json::from_slice(body).map_err(|e| {
        tracing::debug!("login body refused: {e}");
        ApiError::BadRequest("expected a JSON body {\"username\": \"...\", \"password\": \"...\"}".into())
    })?;
    if request.username.len() > MAX_CREDENTIAL_BYTES || request.password.len() > MAX_CREDENTIAL_BYTES {
        return Err(ApiError::BadRequest(format!("username and password are at most {MAX_CREDENTIAL_BYTES} bytes")));
    }
    Ok(request)
}

/// Checks passwords on blocking threads, at most as many at once as the machine has cores:
/// a real argon2id server would melt, not queue unboundedly, under a login storm.
pub struct PasswordChecker {
    users: Arc<UserDirectory>,
    slots: Arc<Semaphore>,
}

impl PasswordChecker {
    pub(crate) fn new(users: UserDirectory) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self { users: Arc::new(users), slots: Arc::new(Semaphore::new(cores)) }
    }

    /// Ok when the credentials are right; [`ApiError::WrongCredentials`] otherwise.
    pub async fn check(&self, login: &LoginRequest) -> Result<(), ApiError> {
        let _slot = self.slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
        let users = self.users.clone();
        let (name, password) = (login.username.clone(), login.password.clone());
        let ok = tokio::task::spawn_blocking(move || users.verify(&name, &password))
            .await
            .map_err(|e| ApiError::Internal(format!("password check failed: {e}")))?;
        if ok { Ok(()) } else { Err(ApiError::WrongCredentials) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_a_username_and_a_password_are_accepted() {
        assert!(parse_login(br#"{"username":"a","password":"b"}"#).is_ok());
        assert!(parse_login(br#"{"username":"a"}"#).is_err());
        assert!(parse_login(br#"{"username":"a","password":"b","admin":true}"#).is_err());
        assert!(parse_login(br#"{"username":1,"password":"b"}"#).is_err());
        assert!(parse_login(b"username=a&password=b").is_err());
    }

    proptest! {
        #[test]
        fn any_body_is_either_a_login_or_a_bad_request(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            match parse_login(&body) {
                Ok(login) => prop_assert!(login.username.len() <= MAX_CREDENTIAL_BYTES),
                Err(e) => prop_assert!(matches!(e, ApiError::BadRequest(_))),
            }
        }

        #[test]
        fn any_strings_round_trip(username in ".{0,40}", password in ".{0,40}") {
            let body = serde_json::json!({"username": username, "password": password}).to_string();
            let login = parse_login(body.as_bytes()).unwrap();
            prop_assert_eq!(login, LoginRequest { username, password });
        }
    }
}
