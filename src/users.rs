//! The deterministic user directory: who may log in, with which password, and checking it for real.
//!
//! User `i` of a directory is `user{i:07}`, and its password and salt are derived from the seed,
//! so `authlab users` and every node given the same seed agree without sharing a file. A node
//! keeps nothing per user: building a directory costs nothing, even for millions of users, and a
//! login holds no state once it is answered, so a token node's memory stays flat however many
//! distinct users log in.
//!
//! A login costs what a real server's login costs: one computation of the password hash (argon2id
//! by default) over the candidate password with the user's salt, the same for unknown users. A
//! real server compares that hash with the one it stored; the lab derives the stored password
//! instead of storing hashes, so it compares the candidate with the derived password in constant
//! time. Computing the stored hash as well would double the cost of a login; caching it is the
//! per-user state a token server must not keep.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::names::named;

/// The most accounts a directory can have (usernames have seven digits).
pub const MAX_USERS: u32 = 10_000_000;

/// A user count (`--users`, `--count`) that cannot be a directory's size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserCountError {
    /// Not a whole number from 0 to 4294967295 (the text as given).
    #[error("{0:?} is not a number of users")]
    NotANumber(String),
    /// Zero, or more than [`MAX_USERS`].
    #[error("the user count must be between 1 and {MAX_USERS}")]
    OutOfRange,
}

/// Parses a user count, from 1 to [`MAX_USERS`].
pub fn parse_user_count(text: &str) -> Result<u32, UserCountError> {
    let n: u32 = text.parse().map_err(|_| UserCountError::NotANumber(text.to_owned()))?;
    if n == 0 || n > MAX_USERS {
        return Err(UserCountError::OutOfRange);
    }
    Ok(n)
}

/// How stored passwords are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordHashKind {
    /// argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1): what a real service uses.
    #[default]
    Argon2id,
    /// Salted SHA-256: fast and insecure, for labs where login cost would hide everything else.
    Sha256,
}

/// A password hash name that is none of [`PasswordHashKind`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown password hash {0:?}; expected argon2id or sha256")]
pub struct UnknownPasswordHash(pub String);

named!(PasswordHashKind { Argon2id => "argon2id", Sha256 => "sha256" });

impl FromStr for PasswordHashKind {
    type Err = UnknownPasswordHash;
    fn from_str(s: &str) -> Result<Self, UnknownPasswordHash> {
        let lower = s.to_ascii_lowercase();
        let name = if lower == "argon2" { "argon2id" } else { lower.as_str() };
        Self::from_name(name).ok_or_else(|| UnknownPasswordHash(s.to_owned()))
    }
}

impl fmt::Display for PasswordHashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Digits in a username's number (`user0000042`).
const NAME_DIGITS: usize = 7;
/// Bytes of argon2id output, as `argon2`'s PHC strings carry.
const ARGON2_OUTPUT: usize = 32;

/// The username of user `index`.
pub fn username(index: u32) -> String {
    format!("user{index:0NAME_DIGITS$}")
}

/// Derives each user's password and salt from the directory's seed (HMAC-SHA256 keyed by the seed).
#[derive(Clone)]
struct Secrets {
    keyed: Hmac<Sha256>,
}

impl Secrets {
    fn new(seed: u64) -> Self {
        let mut keyed =
            <Hmac<Sha256> as Mac>::new_from_slice(&seed.to_le_bytes()).expect("HMAC takes keys of any length");
        keyed.update(b"authlab-users-v1/");
        Self { keyed }
    }

    fn derive(&self, purpose: &[u8], index: u32) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(purpose);
        mac.update(&index.to_le_bytes());
        mac.finalize().into_bytes().into()
    }

    fn password(&self, index: u32) -> String {
        URL_SAFE_NO_PAD.encode(&self.derive(b"password", index)[..12])
    }
}

/// The password of user `index` in the directory of `seed`.
pub fn password(seed: u64, index: u32) -> String {
    Secrets::new(seed).password(index)
}

/// Writes the directory as CSV: a `username,password` header, then one line per user.
pub fn write_csv(seed: u64, count: u32, out: impl Write) -> io::Result<()> {
    let secrets = Secrets::new(seed);
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "username,password")?;
    for i in 0..count {
        writeln!(out, "user{i:0NAME_DIGITS$},{}", secrets.password(i))?;
    }
    out.flush()
}

/// The accounts a node accepts. It holds the seed's secrets and the hash parameters, nothing per user.
pub struct UserDirectory {
    secrets: Secrets,
    count: u32,
    kind: PasswordHashKind,
    argon2: Argon2<'static>,
}

impl UserDirectory {
    /// The directory of `seed`: `count` users, whose passwords are checked with `kind`.
    pub(crate) fn new(seed: u64, count: u32, kind: PasswordHashKind) -> Self {
        let params = Params::new(19_456, 2, 1, Some(ARGON2_OUTPUT)).expect("OWASP argon2id parameters are valid");
        Self {
            secrets: Secrets::new(seed),
            count,
            kind,
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        }
    }

    /// How many users it has (`user0000000` up to one less than this).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// How it stores and checks passwords.
    pub fn kind(&self) -> PasswordHashKind {
        self.kind
    }

    /// The index of `name`, if it is one of this directory's users.
    pub fn index_of(&self, name: &str) -> Option<u32> {
        let digits = name.strip_prefix("user")?;
        if digits.len() != NAME_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().filter(|&i| i < self.count)
    }

    /// The password hash of `password` with user `index`'s salt: the work of one login.
    fn hash(&self, index: u32, password: &str) -> [u8; 32] {
        let salt: [u8; 16] = self.secrets.derive(b"salt", index)[..16].try_into().expect("16 of 32 bytes");
        match self.kind {
            PasswordHashKind::Argon2id => {
                let mut out = [0u8; ARGON2_OUTPUT];
                // A 16-byte salt and a 32-byte output are within argon2's limits; a password
                // longer than 4 GiB cannot reach here (login bodies are capped far below that).
                if self.argon2.hash_password_into(password.as_bytes(), &salt, &mut out).is_err() {
                    return [0xff; 32];
                }
                out
            }
            PasswordHashKind::Sha256 => salted_sha256(&salt, password),
        }
    }

    /// Checks a login, paying the full cost of the password hash once. Unknown users cost the
    /// same as known ones, so response times do not reveal which accounts exist. Nothing is kept.
    ///
    /// This is CPU-bound (tens of milliseconds with argon2id): call it off the async runtime.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let index = self.index_of(name);
        // An unknown name is hashed with a real user's salt, and then refused.
        let hashed = self.hash(index.unwrap_or(0), password);
        std::hint::black_box(hashed);
        let expected = self.secrets.password(index.unwrap_or(0));
        constant_time_eq_str(password, &expected) && index.is_some()
    }
}

fn salted_sha256(salt: &[u8; 16], password: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(password.as_bytes());
    h.finalize().into()
}

/// Equal strings, in time that depends only on their lengths (a derived password's length is public).
fn constant_time_eq_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_names_read_back() {
        for &(kind, name) in PasswordHashKind::NAMES {
            assert_eq!(kind.name(), name);
            assert_eq!(kind.to_string(), name);
            assert_eq!(name.to_uppercase().parse::<PasswordHashKind>(), Ok(kind));
        }
        assert_eq!("argon2".parse::<PasswordHashKind>(), Ok(PasswordHashKind::Argon2id));
        assert_eq!(
            "md5".parse::<PasswordHashKind>().map_err(|e| e.to_string()),
            Err("unknown password hash \"md5\"; expected argon2id or sha256".to_owned())
        );
    }

    #[test]
    fn the_printed_passwords_log_in_and_others_do_not() {
        for kind in [PasswordHashKind::Sha256, PasswordHashKind::Argon2id] {
            let dir = UserDirectory::new(7, 100, kind);
            assert!(dir.verify(&username(3), &password(7, 3)), "{kind}");
            assert!(!dir.verify(&username(3), &password(7, 4)), "{kind}: another user's password");
            assert!(!dir.verify(&username(3), &password(8, 3)), "{kind}: another seed's password");
            assert!(!dir.verify(&username(100), &password(7, 100)), "{kind}: beyond the directory");
            assert!(!dir.verify("admin", &password(7, 0)), "{kind}: not a user name");
        }
    }

    #[test]
    fn usernames_parse_back_to_their_index() {
        let dir = UserDirectory::new(1, 2_000_000, PasswordHashKind::Sha256);
        assert_eq!(dir.index_of(&username(1_234_567)), Some(1_234_567));
        assert_eq!(dir.index_of("user123"), None);
        assert_eq!(dir.index_of("user+000001"), None);
    }

    #[test]
    fn the_csv_is_deterministic() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_csv(42, 3, &mut a).unwrap();
        write_csv(42, 3, &mut b).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert!(text.starts_with("username,password\nuser0000000,"));
        assert_eq!(text.lines().count(), 4);
    }
}
