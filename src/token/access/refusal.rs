//! Why a caller was refused: the fixed classes of failure an auth check reports, each with what a
//! 401 says and its `/metrics` label.

/// Why a caller was not accepted: one class of failure, with a short fixed description (what a
/// 401 says, in its body and its `WWW-Authenticate` challenge) and a label for `/metrics`. The
/// parser's own words never reach the caller; they go to the node's debug log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header at all: the bare challenge, with no error code.
    #[error("no bearer token")]
    Missing,
    /// An `Authorization` header that is not `Bearer <token>` (wrong scheme, bad characters, too long).
    #[error("malformed Authorization header")]
    Malformed,
    /// A bearer token that is not three base64url parts, whose header is not JSON, or whose `alg`
    /// is no JWS algorithm at all.
    #[error("malformed token")]
    MalformedToken,
    /// A JWT whose `typ` is not `at+jwt`: an ID token or another kind, not an access token.
    #[error("the token is not an access token (typ must be at+jwt)")]
    WrongType,
    /// A header with no `kid`, or one naming none of the keys this service verifies with.
    #[error("the token's key is not one of this service's keys")]
    UnknownKey,
    /// The header's `alg` is not the one algorithm of the key its `kid` names.
    #[error("the token's algorithm is not allowed for its key")]
    WrongAlgorithm,
    /// A `crit` or `b64` header parameter this service does not implement.
    #[error("the token names a critical header extension this service does not support")]
    UnsupportedExtension,
    /// The signature does not verify with the key its `kid` names.
    #[error("bad signature")]
    BadSignature,
    /// Claims that are not JSON, lack a claim the lab requires, or hold one of the wrong type.
    #[error("the token's claims are malformed or missing")]
    BadClaims,
    /// `exp` is past, beyond the leeway.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still ahead, beyond the leeway.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` is ahead of now by more than the leeway.
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
    /// `aud` does not name this service.
    #[error("the token is for another audience")]
    WrongAudience,
    /// `iss` is not this service's issuer.
    #[error("the token is from another issuer")]
    WrongIssuer,
    /// The token's `jti` is on the denylist, or its subject was revoked after it was issued.
    #[error("the token was revoked")]
    Revoked,
    /// A bearer token sent to a resource node started without `--jwks-url`.
    #[error("this service accepts no bearer tokens")]
    NotAccepted,
}

impl AuthError {
    /// Every class, in the order `/metrics` lists them.
    pub const ALL: [AuthError; 16] = [
        AuthError::Missing,
        AuthError::Malformed,
        AuthError::MalformedToken,
        AuthError::WrongType,
        AuthError::UnknownKey,
        AuthError::WrongAlgorithm,
        AuthError::UnsupportedExtension,
        AuthError::BadSignature,
        AuthError::BadClaims,
        AuthError::Expired,
        AuthError::NotYetValid,
        AuthError::IssuedInFuture,
        AuthError::WrongAudience,
        AuthError::WrongIssuer,
        AuthError::Revoked,
        AuthError::NotAccepted,
    ];

    /// The RFC 6750 error code: a request with no credentials gets a bare challenge.
    pub fn bearer_error(&self) -> Option<&'static str> {
        match self {
            AuthError::Missing => None,
            AuthError::Malformed => Some("invalid_request"),
            _ => Some("invalid_token"),
        }
    }

    /// The `reason` label of `authlab_auth_failures_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed => "malformed_header",
            AuthError::MalformedToken => "malformed_token",
            AuthError::WrongType => "wrong_type",
            AuthError::UnknownKey => "unknown_key",
            AuthError::WrongAlgorithm => "algorithm_not_allowed",
            AuthError::UnsupportedExtension => "unsupported_extension",
            AuthError::BadSignature => "bad_signature",
            AuthError::BadClaims => "malformed_claims",
            AuthError::Expired => "expired",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::IssuedInFuture => "issued_in_future",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::Revoked => "revoked",
            AuthError::NotAccepted => "bearer_not_accepted",
        }
    }
}

/// Logs why a token was refused, in the parser's own words, at debug level only.
pub(super) fn refused(class: AuthError, detail: impl std::fmt::Display) -> AuthError {
    tracing::debug!(reason = class.reason(), "token refused: {detail}");
    class
}
