//! Subjects revoked by the lab's admin API: every access token of theirs issued at or before the
//! revocation is refused, until the last such token would have expired anyway.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Revoked subjects (`sub`), each with the Unix second of its revocation.
#[derive(Debug, Default)]
pub struct RevokedSubjects {
    entries: RwLock<HashMap<String, u64>>,
    /// Whether any subject is revoked: lets the auth check skip the lock in the usual case.
    any: AtomicBool,
}

impl RevokedSubjects {
    /// Refuses `subject`'s tokens issued at or before `now`.
    pub fn revoke(&self, subject: &str, now: u64) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let at = entries.entry(subject.to_owned()).or_insert(now);
        *at = (*at).max(now);
        self.any.store(true, Ordering::Release);
    }

    /// Whether a token for `subject` issued at `issued_at` was revoked.
    pub fn is_revoked(&self, subject: &str, issued_at: u64) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.get(subject).is_some_and(|&revoked_at| issued_at <= revoked_at)
    }

    /// Subjects revoked (`authlab_revoked_subjects`).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no subject is revoked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets revocations that no token can outlive any more: those older than `now` minus the
    /// access-token lifetime and the leeway (`token_lifetime`, in seconds). Returns how many went.
    pub fn purge(&self, now: u64, token_lifetime: u64) -> usize {
        if !self.any.load(Ordering::Acquire) {
            return 0;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let before = entries.len();
        entries.retain(|_, &mut revoked_at| revoked_at.saturating_add(token_lifetime) >= now);
        self.any.store(!entries.is_empty(), Ordering::Release);
        before - entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_issued_up_to_the_revocation_second_are_refused() {
        let subjects = RevokedSubjects::default();
        assert!(!subjects.is_revoked("alice", 100));
        subjects.revoke("alice", 100);
        assert!(subjects.is_revoked("alice", 99) && subjects.is_revoked("alice", 100));
        assert!(!subjects.is_revoked("alice", 101), "a token issued after the revocation works");
        assert!(!subjects.is_revoked("bob", 100));
        assert_eq!(subjects.purge(150, 60), 0);
        assert_eq!(subjects.purge(161, 60), 1);
        assert!(subjects.is_empty() && !subjects.is_revoked("alice", 50));
    }
}
