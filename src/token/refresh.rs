//! Refresh tokens: opaque, single-use, rotated at every use, and grouped in families so that the
//! reuse of a spent token (a sign of theft) revokes every token descended from the same login.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

/// Why a refresh was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// Not a token this node issued, or one it has already forgotten (after expiry, or a restart).
    #[error("unknown refresh token")]
    Unknown,
    /// The token is past its expiry.
    #[error("refresh token expired")]
    Expired,
    /// The token was already spent: it may be stolen, so its whole family is revoked.
    #[error("refresh token already used: its whole family is now revoked")]
    Reused,
    /// The token's family was revoked (reuse of one of its tokens, or the user's revocation).
    #[error("refresh token family revoked")]
    FamilyRevoked,
    /// The system's random generator failed while making the next token.
    #[error("the system random generator failed")]
    Random,
}

#[derive(Debug)]
struct Token {
    family: u64,
    expires_at: u64,
    spent: bool,
}

#[derive(Debug)]
struct Family {
    subject: String,
    revoked: bool,
    /// The latest expiry of any of its tokens: past that, the family can be forgotten.
    expires_at: u64,
}

#[derive(Debug, Default)]
struct State {
    tokens: HashMap<[u8; 32], Token>,
    families: HashMap<u64, Family>,
    next_family: u64,
}

/// What the refresh state holds, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Refresh tokens held, spent or not, until they expire.
    pub tokens: usize,
    /// Families held: one per login whose tokens have not all expired.
    pub families: usize,
    /// Those of the families that are revoked.
    pub revoked_families: usize,
}

/// All refresh tokens a node has issued and not yet forgotten.
#[derive(Debug, Default)]
pub struct RefreshFamilies {
    state: Mutex<State>,
}

fn new_secret() -> Result<[u8; 32], RefreshError> {
    let mut secret = [0u8; 32];
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| RefreshError::Random)?;
    Ok(secret)
}

impl RefreshFamilies {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a family for a fresh login; returns its first refresh token.
    pub fn start(&self, subject: &str, expires_at: u64) -> Result<String, RefreshError> {
        let secret = new_secret()?;
        let mut state = self.state();
        let family = state.next_family;
        state.next_family += 1;
        state.families.insert(family, Family { subject: subject.to_owned(), revoked: false, expires_at });
        state.tokens.insert(secret, Token { family, expires_at, spent: false });
        Ok(B64.encode(secret))
    }

    /// Spends `token` and returns the subject and the next refresh token of its family.
    pub fn rotate(&self, token: &str, now: u64, expires_at: u64) -> Result<(String, String), RefreshError> {
        let secret: [u8; 32] =
            B64.decode(token).ok().and_then(|bytes| bytes.try_into().ok()).ok_or(RefreshError::Unknown)?;
        let next = new_secret()?;
        let mut state = self.state();
        let (family_id, spent, token_expiry) = match state.tokens.get_mut(&secret) {
            None => return Err(RefreshError::Unknown),
            Some(t) => {
                let before = (t.family, t.spent, t.expires_at);
                t.spent = true;
                before
            }
        };
        let family = state.families.get_mut(&family_id).ok_or(RefreshError::Unknown)?;
        if family.revoked {
            return Err(RefreshError::FamilyRevoked);
        }
        if spent {
            family.revoked = true;
            return Err(RefreshError::Reused);
        }
        if token_expiry < now {
            return Err(RefreshError::Expired);
        }
        family.expires_at = family.expires_at.max(expires_at);
        let subject = family.subject.clone();
        state.tokens.insert(next, Token { family: family_id, expires_at, spent: false });
        Ok((subject, B64.encode(next)))
    }

    /// Revokes every family of `subject` (the admin API's revoke_user); returns how many were live.
    pub fn revoke_subject(&self, subject: &str) -> usize {
        let mut state = self.state();
        let mut revoked = 0;
        for family in state.families.values_mut().filter(|f| f.subject == subject && !f.revoked) {
            family.revoked = true;
            revoked += 1;
        }
        revoked
    }

    /// Forgets tokens and families that expired before `now`.
    pub fn purge(&self, now: u64) {
        let mut state = self.state();
        state.tokens.retain(|_, t| t.expires_at >= now);
        state.families.retain(|_, f| f.expires_at >= now);
    }

    /// What it holds now.
    pub fn stats(&self) -> RefreshStats {
        let state = self.state();
        RefreshStats {
            tokens: state.tokens.len(),
            families: state.families.len(),
            revoked_families: state.families.values().filter(|f| f.revoked).count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_is_single_use_and_reuse_revokes_the_family() {
        let families = RefreshFamilies::default();
        let first = families.start("alice", 1000).unwrap();
        let (subject, second) = families.rotate(&first, 10, 1000).unwrap();
        assert_eq!(subject, "alice");
        assert_eq!(families.rotate(&first, 11, 1000), Err(RefreshError::Reused));
        assert_eq!(families.rotate(&second, 12, 1000), Err(RefreshError::FamilyRevoked));
        assert_eq!(families.stats().revoked_families, 1);
        assert_eq!(families.rotate("not-a-token", 12, 1000), Err(RefreshError::Unknown));
    }

    #[test]
    fn revoking_a_subject_revokes_its_families_only() {
        let families = RefreshFamilies::default();
        let alice = families.start("alice", 1000).unwrap();
        let bob = families.start("bob", 1000).unwrap();
        assert_eq!(families.revoke_subject("alice"), 1);
        assert_eq!(families.rotate(&alice, 10, 1000), Err(RefreshError::FamilyRevoked));
        assert!(families.rotate(&bob, 10, 1000).is_ok());
    }

    #[test]
    fn expired_tokens_are_refused_and_forgotten() {
        let families = RefreshFamilies::default();
        let token = families.start("bob", 100).unwrap();
        assert_eq!(families.rotate(&token, 101, 200).map(|_| ()), Err(RefreshError::Expired));
        families.purge(300);
        assert_eq!(families.stats(), RefreshStats::default());
    }
}
