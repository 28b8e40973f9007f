//! Access tokens: the claims they carry, issuing them, and the auth check that accepts or refuses one.
//!
//! - [`claims`]: what a token says, and the node's policy;
//! - [`read`]: the bearer header and the token's parts, before any trust;
//! - [`verify`]: signature and claims;
//! - [`refusal`]: the classes a refusal falls in;
//! - [`authority`]: a node's keys, issuing, and the whole auth check.

mod authority;
mod claims;
mod read;
mod refusal;
#[cfg(test)]
mod tests;
mod verify;

pub use authority::{ActiveKeys, TokenAuthority};
pub use claims::{AccessClaims, Audience, TokenPolicy};
pub use read::{UnverifiedToken, parse_bearer, read_access_token};
pub use refusal::AuthError;
pub use verify::{unix_now, validation, verify_access_token};

/// The `typ` header of an access token (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// The longest `Authorization` header the auth check reads.
pub const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;
