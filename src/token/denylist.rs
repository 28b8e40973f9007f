//! The denylist: access tokens revoked before they expire, each entry kept only until its token would expire.
//!
//! This is the server state that token revocation brings back; its size shows in `/metrics`.

use std::collections::HashMap;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

use crate::names::named;

/// Whether the token nodes can refuse access tokens before they expire. Scenario files
/// (`revocation = "denylist"`) and the node's `--revocation` spell it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// None: an access token works until it expires, after logout or `revoke_user` too (the
    /// default; refresh families are revoked either way).
    #[default]
    None,
    /// A denylist on each token node: logout denies the token's `jti`, and `revoke_user` refuses
    /// the user's tokens issued up to then.
    Denylist,
}

named!(Revocation { None => "none", Denylist => "denylist" });

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

    #[test]
    fn the_command_line_and_scenario_files_spell_revocation_alike() {
        use clap::ValueEnum;
        for &(revocation, name) in Revocation::NAMES {
            assert_eq!(revocation.to_possible_value().map(|v| v.get_name().to_owned()), Some(name.to_owned()));
            assert_eq!(serde_json::to_value(revocation).ok(), Some(serde_json::json!(name)));
        }
    }
}
