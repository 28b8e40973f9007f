//! The denylist: access tokens revoked before they expire, each entry kept only until its token would expire.
//!
//! This is the server state that token revocation brings back; its size shows in `/metrics`.

use std::collections::HashMap;
use std::sync::RwLock;

/// Revoked token ids (`jti`), each with the expiry of its token (Unix seconds).
#[derive(Debug, Default)]
pub struct Denylist {
    entries: RwLock<HashMap<String, u64>>,
}

impl Denylist {
    /// Denies the token `jti` until `expires_at` (Unix seconds), when its entry can be purged.
    pub(crate) fn deny(&self, jti: &str, expires_at: u64) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).insert(jti.to_owned(), expires_at);
    }

    /// Whether the token `jti` is on the list.
    pub fn is_denied(&self, jti: &str) -> bool {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).contains_key(jti)
    }

    /// Entries on the list (`authlab_denylist_entries`).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no token is denied.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops entries whose tokens can no longer be accepted anyway (expired before `now - leeway`).
    pub fn purge(&self, now: u64, leeway: u64) -> usize {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let before = entries.len();
        entries.retain(|_, &mut expires_at| expires_at.saturating_add(leeway) >= now);
        before - entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_as_long_as_their_tokens() {
        let list = Denylist::default();
        list.deny("a", 100);
        list.deny("b", 200);
        assert!(list.is_denied("a") && list.is_denied("b") && !list.is_denied("c"));
        assert_eq!(list.purge(150, 5), 1);
        assert!(!list.is_denied("a") && list.is_denied("b"));
    }
}
