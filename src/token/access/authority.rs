//! A token node's authority: the keys it signs and verifies with (rotated live), issuing tokens,
//! and the auth check against its denylist and revoked subjects.

use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Validation;

use super::{ACCESS_TOKEN_TYPE, claims::*, read::*, refusal::*, verify::*};
use crate::token::denylist::Denylist;
use crate::token::keys::{KeyError, KeySet};
use crate::token::subjects::RevokedSubjects;

/// The node's keys as the auth check uses them; replaced whole when the key file is reloaded.
pub struct ActiveKeys {
    pub(super) set: KeySet,
    /// One validation per key, in the order of `set`: each key verifies only its own algorithm.
    pub(super) validations: Vec<Validation>,
    /// One signature check per key, in the order of `set`, its key parsed once.
    pub(super) checks: Vec<SignatureCheck>,
}

impl ActiveKeys {
    fn new(set: KeySet, policy: &TokenPolicy) -> Self {
        let validations = set
            .keys()
            .iter()
            .map(|key| validation(key.algorithm, &policy.issuer, &policy.audience, policy.leeway))
            .collect();
        let checks = set.keys().iter().map(|key| SignatureCheck::new(&key.decoding, key.algorithm)).collect();
        Self { set, validations, checks }
    }

    /// The key set these keys were made from; its first key signs.
    pub fn set(&self) -> &KeySet {
        &self.set
    }
}

/// Issues access tokens and checks them: the whole of "who is the caller" for a token node.
pub struct TokenAuthority {
    pub(super) keys: RwLock<Arc<ActiveKeys>>,
    policy: TokenPolicy,
    perms: Vec<String>,
    denylist: Option<Denylist>,
    revoked_subjects: RevokedSubjects,
}

pub(super) fn permissions(bytes: usize) -> Vec<String> {
    // Each entry costs 16 bytes of JSON: 13 characters, two quotes and a comma.
    (0..bytes / 16).map(|i| format!("doc:{:04}:read", i % 10_000)).collect()
}

pub(super) fn random_id() -> String {
    let mut id = [0u8; 16];
    // A failing system RNG leaves zeros; aws-lc aborts rather than return weak bytes in practice.
    let _ = aws_lc_rs::rand::fill(&mut id);
    B64.encode(id)
}

impl TokenAuthority {
    /// `denylist`: whether logout revokes tokens (`--revocation denylist`).
    pub fn new(keys: KeySet, policy: TokenPolicy, denylist: bool) -> Self {
        Self {
            keys: RwLock::new(Arc::new(ActiveKeys::new(keys, &policy))),
            perms: permissions(policy.claims_bytes),
            policy,
            denylist: denylist.then(Denylist::default),
            revoked_subjects: RevokedSubjects::default(),
        }
    }

    /// The keys in use now (a later [`TokenAuthority::replace_keys`] does not change this value).
    pub fn keys(&self) -> Arc<ActiveKeys> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// From now on the first key of `keys` signs, and only the keys of `keys` verify.
    pub fn replace_keys(&self, keys: KeySet) {
        let active = Arc::new(ActiveKeys::new(keys, &self.policy));
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = active;
    }

    /// The subjects revoked by the admin API, and since when.
    pub fn revoked_subjects(&self) -> &RevokedSubjects {
        &self.revoked_subjects
    }

    /// Refuses every token of `subject` issued up to this second.
    pub fn revoke_subject(&self, subject: &str) {
        self.revoked_subjects.revoke(subject, unix_now());
    }

    /// What this authority issues and accepts.
    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// The denylist; `None` when the node keeps none (`--revocation none`): then logout and
    /// revoking a user leave access tokens working until they expire.
    pub fn denylist(&self) -> Option<&Denylist> {
        self.denylist.as_ref()
    }

    /// Signs a fresh access token for `subject` with the current key, its header naming the key's
    /// algorithm (`Ed25519` or `EdDSA` as the key file says).
    pub fn issue(&self, subject: &str) -> Result<(String, AccessClaims), KeyError> {
        let keys = self.keys();
        let key = keys.set.current();
        let now = unix_now();
        let aud = if self.policy.extra_audiences.is_empty() {
            Audience::One(self.policy.audience.clone())
        } else {
            Audience::Many(
                std::iter::once(&self.policy.audience).chain(&self.policy.extra_audiences).cloned().collect(),
            )
        };
        let claims = AccessClaims {
            sub: subject.to_owned(),
            iss: self.policy.issuer.clone(),
            aud,
            exp: now + self.policy.access_ttl.as_secs().max(1),
            iat: now,
            nbf: now,
            jti: random_id(),
            scope: self.policy.scope.clone(),
            perms: self.perms.clone(),
        };
        let header = serde_json::json!({"typ": ACCESS_TOKEN_TYPE, "alg": key.algorithm.name(), "kid": key.kid});
        let claims_json = serde_json::to_vec(&claims).map_err(KeyError::Json)?;
        let mut token = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims_json));
        let signature = key.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&signature);
        Ok((token, claims))
    }

    /// The auth check: accepts an `Authorization` header value only if it carries an access token
    /// signed by one of this node's keys, with that key's algorithm, valid now, for this audience
    /// and issuer, and not revoked.
    pub fn auth_check(&self, authorization: Option<&[u8]>) -> Result<AccessClaims, AuthError> {
        let token = read_access_token(authorization)?;
        let keys = self.keys();
        let index = keys
            .set
            .keys()
            .iter()
            .position(|k| k.kid == token.kid)
            .ok_or_else(|| refused(AuthError::UnknownKey, format_args!("kid {:?}", token.kid)))?;
        let (key, validation, check) = (&keys.set.keys()[index], &keys.validations[index], &keys.checks[index]);
        let claims = verify_with(&token, check, &key.decoding, key.algorithm, validation)?;
        if self.denylist.as_ref().is_some_and(|d| d.is_denied(&claims.jti)) {
            return Err(refused(AuthError::Revoked, format_args!("jti {} is on the denylist", claims.jti)));
        }
        if self.revoked_subjects.is_revoked(&claims.sub, claims.iat) {
            return Err(refused(
                AuthError::Revoked,
                format_args!("{}'s tokens issued by then are revoked", claims.sub),
            ));
        }
        Ok(claims)
    }

    /// Revokes a token until it expires, if this node keeps a denylist; returns whether it did.
    pub fn revoke(&self, claims: &AccessClaims) -> bool {
        match &self.denylist {
            Some(list) => {
                list.deny(&claims.jti, claims.exp);
                true
            }
            None => false,
        }
    }
}
