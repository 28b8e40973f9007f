//! The playbooks: how each attack of the catalogue is carried out, one small function per attack,
//! and the moves they share (logging in, finding keys).
//!
//! - [`forgery`]: tokens with a forged signature or an attacker-chosen key.
//! - [`claims`]: correctly signed tokens whose only defect is one claim or header field.
//! - [`revocation`]: tokens replayed, reused or re-encoded after logout, and a forged logout.
//! - [`session`]: session ids planted, forged, replayed, leaked, and the cookie's attributes.
//!
//! Each attack's [`Play`] sits in its catalogue entry, written with [`play!`]: adding an attack is
//! one entry there plus its function here.

pub(crate) mod claims;
pub(crate) mod forgery;
pub(crate) mod revocation;
pub(crate) mod session;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::exchange::SetCookie;
use super::forge::{self, Parts};
use super::probe::{Probe, Step, Verdict, forge_failed, login, setup_failed};
use crate::token::keys::{Alg, KeySet};

/// The user whose credentials the attacks steal or replay.
const VICTIM: u32 = 1;
/// The user an attacker logs in as (session fixation).
const ATTACKER: u32 = 2;
/// The user a forged token claims to be.
const IMPERSONATED: u32 = 3;

/// A play's run: it ends with a verdict, early or late.
pub(crate) type Played<'a> = Pin<Box<dyn Future<Output = Step<Verdict>> + Send + 'a>>;

/// An attack's function: the lab, the attacked node's base URL, and the probe that records what
/// was sent.
pub(crate) type PlayFn = for<'a> fn(&'a Lab, &'a str, &'a mut Probe) -> Played<'a>;

/// Which node an attack needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aim {
    /// The node of the attack's strategy (`--session` or `--token`).
    Strategy,
    /// Only a token node with `--revocation denylist`.
    TokenDenylist,
    /// A token node with a denylist if there is one, else the token node: a forged logout matters
    /// most where logout really revokes.
    TokenDenylistFirst,
    /// A session node with an idle timeout short enough to wait out if there is one, else the
    /// session node.
    ShortTtlSessionFirst,
}

/// How an attack is carried out: the node it needs and its function.
#[derive(Clone, Copy)]
pub(crate) struct Play {
    pub(crate) aim: Aim,
    pub(crate) run: PlayFn,
}

impl fmt::Debug for Play {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Play").field("aim", &self.aim).finish_non_exhaustive()
    }
}

/// The [`Play`] of `async fn(&Lab, &str, &mut Probe) -> Step<Verdict>`, aimed at the attack's
/// strategy's node, or at the [`Aim`] given second.
macro_rules! play {
    ($run:path) => {
        $crate::attack::playbook::play!($run, $crate::attack::playbook::Aim::Strategy)
    };
    ($run:path, $aim:expr) => {
        $crate::attack::playbook::Play { aim: $aim, run: |lab, base, p| Box::pin($run(lab, base, p)) }
    };
}
pub(crate) use play;

/// A token pair from a real login, with the access token taken apart.
struct Issued {
    access: String,
    refresh: String,
    parts: Parts,
}

/// An attacker's own key, made for the node's algorithm (generating RSA keys takes a moment).
type AttackerKey = Arc<KeySet>;

/// What every attack of one run shares: the HTTP client, what the lab knows about the nodes, and
/// the attacker's key once made.
pub(crate) struct Lab {
    pub(crate) http: reqwest::Client,
    /// The user directory's seed (`--seed` of the nodes).
    seed: u64,
    /// The token nodes' private keys, to sign tokens whose only defect is one field.
    token_keys: Option<Arc<KeySet>>,
    attacker: Mutex<Option<(Alg, AttackerKey)>>,
}

impl Lab {
    pub(crate) fn new(http: reqwest::Client, seed: u64, token_keys: Option<Arc<KeySet>>) -> Self {
        Self { http, seed, token_keys, attacker: Mutex::new(None) }
    }

    /// Logs the victim in on a token node.
    async fn token_login(&self, base: &str, p: &mut Probe) -> Step<Issued> {
        let i = p.setup(login(base, self.seed, VICTIM), 200).await?;
        let body: Value = serde_json::from_str(&p.exchanges[i].response_body).unwrap_or(Value::Null);
        let (Some(access), Some(refresh)) = (body["access_token"].as_str(), body["refresh_token"].as_str()) else {
            return Err(setup_failed(&p.exchanges[i], i));
        };
        let parts = forge::split(access).map_err(|_| setup_failed(&p.exchanges[i], i))?;
        Ok(Issued { access: access.to_owned(), refresh: refresh.to_owned(), parts })
    }

    /// Logs `user` in on a session node, optionally carrying a cookie; returns the new `sid` cookie.
    async fn session_login(
        &self,
        base: &str,
        p: &mut Probe,
        user: u32,
        carrying: Option<&str>,
    ) -> Step<(usize, SetCookie)> {
        let mut request = login(base, self.seed, user);
        if let Some(id) = carrying {
            request = request.sid(id).label("carrying a planted sid", "심어 둔 sid를 가진 채");
        }
        let i = p.setup(request, 200).await?;
        let cookie = p.exchanges[i].sid_cookie().ok_or_else(|| setup_failed(&p.exchanges[i], i))?;
        Ok((i, cookie))
    }

    /// The attacker's own key for `alg`, made once per run.
    async fn attacker_key(&self, alg: Alg) -> Step<AttackerKey> {
        if let Ok(guard) = self.attacker.lock() {
            if let Some((made_for, key)) = guard.as_ref() {
                if *made_for == alg {
                    return Ok(key.clone());
                }
            }
        }
        let made = tokio::task::spawn_blocking(move || KeySet::generate(alg)).await;
        let key = match made {
            Ok(Ok(key)) => Arc::new(key),
            Ok(Err(e)) => return Err(forge_failed(e)),
            Err(e) => return Err(forge_failed(e)),
        };
        if let Ok(mut guard) = self.attacker.lock() {
            *guard = Some((alg, key.clone()));
        }
        Ok(key)
    }
}

/// `token` with its signature re-encoded non-canonically (same bytes, other trailing bits).
fn non_canonical_token(token: &str) -> Result<String, &'static str> {
    let (input, signature) = token.rsplit_once('.').ok_or("not a JWS")?;
    let changed = forge::non_canonical(signature).ok_or("the signature has no unused bits to change")?;
    Ok(format!("{input}.{changed}"))
}
