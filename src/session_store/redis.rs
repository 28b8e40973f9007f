//! The shared session store: a real Redis, every key under the run's own prefix.
//!
//! This follows tower-sessions-redis-store 0.16 (same fred client, MessagePack records, `SET NX`
//! on create, `SET XX` on save, expiry as `EXAT`), adding what that crate lacks: a key prefix.
//! That crate stores each session under its bare id, so two runs, or a run and someone else's
//! data, would share one keyspace. authlab must only ever touch keys it created.
//!
//! With [`RedisSessionStore::with_user_index`] (a node with an admin API), each user's sessions are
//! also listed in a set, `{prefix}user:{name}`, that lives at least as long as the sessions it lists; logging out leaves a stale id in it, which is harmless (deleting
//! a gone session deletes nothing) and goes when the set expires.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{ClientLike, KeysInterface, Pool, SetsInterface, TransactionInterface};
use fred::types::config::{Config, ReconnectPolicy, TcpConfig};
use fred::types::{Builder, Expiration, ExpireOptions, SetOptions};
use futures_util::StreamExt;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::{UserSessions, user_of};

/// Why the Redis store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RedisStoreError {
    /// The Redis URL does not parse.
    #[error("invalid Redis URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What the Redis client found wrong with it.
        reason: fred::error::Error,
    },
    /// Redis did not answer a PING in time.
    #[error("cannot reach Redis at {url}: {reason}. Start one (e.g. `redis-server --port 6379`) or use --store memory")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// The connection or PING failure.
        reason: fred::error::Error,
    },
    /// A Redis command failed once connected.
    #[error(transparent)]
    Command(#[from] fred::error::Error),
    /// The key prefix is empty: the store would own, and could delete, every key of the server.
    #[error("the key prefix must not be empty: authlab only deletes keys under its own prefix")]
    EmptyPrefix,
}

/// Sessions in Redis, under `prefix`.
#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    pool: Pool,
    prefix: String,
    /// Whether each user's sessions are listed in a set (one more key per user, one more round
    /// trip per login).
    user_index: bool,
}

const POOL_SIZE: usize = 4;

impl RedisSessionStore {
    /// Connects to `url` and checks that Redis answers, within about two seconds.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, RedisStoreError> {
        if prefix.is_empty() {
            return Err(RedisStoreError::EmptyPrefix);
        }
        Ok(Self { pool: connect_pool(url).await?, prefix: prefix.to_owned(), user_index: false })
    }

    /// A client of this store's connection pool, for what the run keeps beside its sessions.
    pub fn client(&self) -> fred::clients::Client {
        self.pool.next().clone()
    }

    /// Lists each user's sessions in a set `{prefix}user:{name}`, so that
    /// [`UserSessions::delete_user_sessions`] can find them; without it, that finds none.
    pub fn with_user_index(mut self) -> Self {
        self.user_index = true;
        self
    }

    /// The prefix of every key this store owns: a session is `{prefix}{id}`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, id: &Id) -> String {
        format!("{}{}", self.prefix, id)
    }

    /// The key of the set listing `user`'s session ids. Session ids are base64url, so they never
    /// contain the `:` that keeps these keys apart from session keys.
    fn user_key(&self, user: &str) -> String {
        format!("{}user:{}", self.prefix, user)
    }

    /// Stores `record` and, with the user index, lists it in its user's set, in one round trip:
    /// the SET and the set's updates go in one pipeline. Should the SET not store (NX on an id
    /// taken, XX on a session gone), the set lists an id with no session, which is harmless: it
    /// deletes nothing, and goes when the set expires.
    async fn set(&self, record: &Record, options: SetOptions) -> session_store::Result<bool> {
        let value = rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let expires_at = OffsetDateTime::unix_timestamp(record.expiry_date);
        let expiration = Some(Expiration::EXAT(expires_at));
        let key = self.key(&record.id);
        let user = user_of(record).filter(|_| self.user_index);
        let Some(user) = user else {
            let stored: Option<String> =
                self.pool.set(key, value.as_slice(), expiration, Some(options), false).await.map_err(backend)?;
            return Ok(stored.is_some());
        };
        let index = self.user_key(user);
        let pipeline = self.pool.next().pipeline();
        let _: () = pipeline.set(key, value.as_slice(), expiration, Some(options), false).await.map_err(backend)?;
        let _: () = pipeline.sadd(index.as_str(), record.id.to_string()).await.map_err(backend)?;
        // A fresh set has no expiry (NX sets one); an older one only ever gets a later one (GT).
        let _: () = pipeline.expire_at(index.as_str(), expires_at, Some(ExpireOptions::NX)).await.map_err(backend)?;
        let _: () = pipeline.expire_at(index.as_str(), expires_at, Some(ExpireOptions::GT)).await.map_err(backend)?;
        // The SET's reply comes first: OK when it stored, nil when its condition kept it from it.
        let replies: Vec<fred::types::Value> = pipeline.all().await.map_err(backend)?;
        Ok(replies.first().is_some_and(|reply| !reply.is_null()))
    }

    /// The keys under this store's prefix, in batches.
    fn own_keys(&self) -> impl futures_util::Stream<Item = Vec<Result<fred::types::Key, fred::error::Error>>> + use<> {
        let pattern = format!("{}*", glob_escape(&self.prefix));
        self.pool.next().scan_buffered(pattern, Some(1000), None).chunks(500)
    }

    /// How many keys carry this store's prefix: (all of them, those that are sessions). The rest
    /// are the per-user index sets.
    pub async fn count_own_keys(&self) -> Result<(u64, u64), RedisStoreError> {
        let index_prefix = self.user_key("");
        let mut keys = self.own_keys();
        let (mut all, mut sessions) = (0, 0);
        while let Some(batch) = keys.next().await {
            for key in batch {
                all += 1;
                if !key?.as_bytes().starts_with(index_prefix.as_bytes()) {
                    sessions += 1;
                }
            }
        }
        Ok((all, sessions))
    }

    /// Redis's own `used_memory`, in bytes: the whole server's, not only this prefix's.
    pub async fn used_memory(&self) -> Result<u64, RedisStoreError> {
        let info: String = self.pool.next().info(Some(fred::types::InfoKind::Memory)).await?;
        let value = info.lines().find_map(|line| line.strip_prefix("used_memory:"));
        value.and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
            RedisStoreError::Command(fred::error::Error::new(
                fred::error::ErrorKind::Parse,
                "INFO memory has no used_memory line",
            ))
        })
    }

    /// Deletes every key under this store's prefix, and nothing else; returns how many went.
    pub async fn delete_own_keys(&self) -> Result<u64, RedisStoreError> {
        let client = self.pool.next().clone();
        let mut keys = self.own_keys();
        let mut deleted = 0;
        while let Some(batch) = keys.next().await {
            let batch = batch.into_iter().collect::<Result<Vec<_>, _>>()?;
            let n: u64 = client.unlink(batch).await?;
            deleted += n;
        }
        Ok(deleted)
    }

    /// Closes the pool's connections (errors ignored: the store is being dropped anyway).
    pub(crate) async fn disconnect(&self) {
        let _ = self.pool.quit().await;
    }
}

/// A pool of connections to `url`, once Redis has answered a PING (within about three seconds).
pub async fn connect_pool(url: &str) -> Result<Pool, RedisStoreError> {
    let config = Config::from_url(url).map_err(|reason| RedisStoreError::Url { url: url.into(), reason })?;
    let mut builder = Builder::from_config(config);
    builder
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(2);
            // Without TCP_NODELAY, a command written while the one before it on the same connection
            // is still unacknowledged waits for that ACK (Nagle): over a real network, with the
            // pool's connections shared by concurrent requests, that doubled every store round
            // trip (measured in tests/it/network_hosts.rs). On loopback it cannot be seen.
            c.tcp = TcpConfig { nodelay: Some(true), ..TcpConfig::default() };
        })
        .set_policy(ReconnectPolicy::new_constant(0, 200));
    let pool = builder.build_pool(POOL_SIZE).map_err(|reason| RedisStoreError::Url { url: url.into(), reason })?;
    let unreachable = |reason| RedisStoreError::Unreachable { url: url.into(), reason };
    match tokio::time::timeout(Duration::from_secs(3), pool.init()).await {
        Ok(Ok(_)) => {}
        Ok(Err(reason)) => return Err(unreachable(reason)),
        Err(_) => {
            let _ = pool.quit().await;
            return Err(unreachable(fred::error::Error::new(fred::error::ErrorKind::Timeout, "no answer within 3 s")));
        }
    }
    let _: String = pool.ping(None).await.map_err(unreachable)?;
    Ok(pool)
}

/// Escapes Redis glob characters so a prefix matches only itself.
pub(crate) fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn backend(e: fred::error::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.set(record, SetOptions::NX).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.set(record, SetOptions::XX).await.map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let data: Option<Vec<u8>> = self.pool.get(self.key(id)).await.map_err(backend)?;
        data.map(|bytes| rmp_serde::from_slice(&bytes).map_err(|e| session_store::Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let _: i64 = self.pool.del(self.key(id)).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl UserSessions for RedisSessionStore {
    async fn delete_user_sessions(&self, user: &str) -> session_store::Result<u64> {
        let set = self.user_key(user);
        // Read and drop the set atomically: a session listed after this starts a new set.
        let transaction = self.pool.next().multi();
        let _: () = transaction.smembers(set.as_str()).await.map_err(backend)?;
        let _: () = transaction.del(set.as_str()).await.map_err(backend)?;
        let (ids, _): (Vec<String>, i64) = transaction.exec(true).await.map_err(backend)?;
        let keys: Vec<String> = ids.iter().map(|id| format!("{}{}", self.prefix, id)).collect();
        if keys.is_empty() {
            return Ok(0);
        }
        self.pool.del(keys).await.map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::glob_escape;

    #[test]
    fn prefixes_with_glob_characters_match_only_themselves() {
        assert_eq!(glob_escape("authlab:run-1:"), "authlab:run-1:");
        assert_eq!(glob_escape("a*b?[c]"), "a\\*b\\?\\[c\\]");
    }
}
