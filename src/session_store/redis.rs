//! The shared session store: a real Redis, every key under the run's own prefix.
//!
//! This follows tower-sessions-redis-store 0.16 (same fred client, MessagePack records, `SET NX`
//! on create, `SET XX` on save, expiry as `EXAT`), adding what that crate lacks: a key prefix.
//! That crate stores each session under its bare id, so two runs, or a run and someone else's
//! data, would share one keyspace. authlab must only ever touch keys it created.
//!
//! The same store works on one server or on a Redis Cluster ([`RedisTarget`]). In a cluster each
//! key lives in one of 16384 slots, each slot on one primary, and a command naming several keys
//! must name keys of one slot. The store sends no such command: a session key and its user's
//! index set are different slots (no hash tags: a tag shared by the run's keys would put every
//! session on one primary, which is what a cluster is for not doing), so they go in separate
//! commands: one pipeline, not a MULTI, whose commands fred sends each to its own slot's primary.
//! Every multi-key operation (cleanup, logging a user out) is one command per key. Cross-slot
//! errors cannot happen, so nothing retries them.
//!
//! With [`RedisSessionStore::with_user_index`] (a node with an admin API), each user's sessions are
//! also listed in a set, `{prefix}user:{name}`, that lives at least as long as the sessions it
//! lists; logging out leaves a stale id in it, which is harmless (deleting a gone session deletes
//! nothing) and goes when the set expires.

use std::time::Duration;

use async_trait::async_trait;
use fred::clients::Client;
use fred::prelude::{ClientLike, KeysInterface, Pool, SetsInterface, TransactionInterface};
use fred::types::config::{ClusterDiscoveryPolicy, Config, ReconnectPolicy, ServerConfig};
use fred::types::{Builder, Expiration, ExpireOptions, InfoKind, Key, SetOptions};
use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::{UserSessions, user_of};

/// Where the Redis store is: one server, or a cluster known by some of its nodes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedisTarget {
    /// One server, by its `redis://` (or `rediss://`) URL.
    Server(String),
    /// A Redis Cluster, by the `redis://host:port` URLs of some of its nodes (the seeds): the
    /// client asks them for the rest, and for which primary holds which slot (CLUSTER SLOTS).
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// Whether this is a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, RedisTarget::Cluster(_))
    }
}

impl std::fmt::Display for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedisTarget::Server(url) => f.write_str(url),
            RedisTarget::Cluster(urls) => write!(f, "the Redis Cluster at {}", urls.join(", ")),
        }
    }
}

impl From<&str> for RedisTarget {
    fn from(url: &str) -> Self {
        RedisTarget::Server(url.to_owned())
    }
}

impl From<&String> for RedisTarget {
    fn from(url: &String) -> Self {
        RedisTarget::Server(url.clone())
    }
}

impl From<&RedisTarget> for RedisTarget {
    fn from(target: &RedisTarget) -> Self {
        target.clone()
    }
}

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
    /// A Redis Cluster named by no seed node.
    #[error("a Redis Cluster needs at least one seed node URL (redis://host:port)")]
    NoSeeds,
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
    /// A Redis Cluster: one key per command wherever keys of several slots could meet.
    cluster: bool,
    /// Cluster: one client per primary, made on first use (SCAN and INFO are per server). The
    /// cluster's topology is taken to stay as it was then: the lab does not reshard it.
    primaries: std::sync::Arc<OnceCell<Vec<Client>>>,
}

/// One server of the store (the only one, or a cluster's primary), as a tick reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrimaryReading {
    /// `host:port`, as the cluster announces it.
    pub address: String,
    /// The server's `used_memory`, in bytes (all of it, not only the run's keys).
    pub used_memory: Option<u64>,
    /// Keys under the store's prefix on this server, and of those the sessions (the rest are
    /// per-user index sets).
    pub keys: u64,
    /// The sessions among `keys`.
    pub sessions: u64,
    /// The server's `instantaneous_ops_per_sec` (every client's commands, the lab's own too).
    pub ops_per_sec: Option<u64>,
}

const POOL_SIZE: usize = 4;

impl RedisSessionStore {
    /// Connects to `target` (a URL, or a [`RedisTarget`]) and checks that Redis answers, within
    /// about three seconds.
    pub async fn connect(target: impl Into<RedisTarget>, prefix: &str) -> Result<Self, RedisStoreError> {
        if prefix.is_empty() {
            return Err(RedisStoreError::EmptyPrefix);
        }
        let target = target.into();
        Ok(Self {
            pool: connect_to(&target).await?,
            prefix: prefix.to_owned(),
            user_index: false,
            cluster: target.is_cluster(),
            primaries: Default::default(),
        })
    }

    /// Whether the store is a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.cluster
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

    /// The pattern of the keys under this store's prefix.
    fn own_pattern(&self) -> String {
        format!("{}*", glob_escape(&self.prefix))
    }

    /// The clients that reach every server of the store: the pool's for one server, one per
    /// primary for a cluster.
    async fn servers(&self) -> Result<Vec<Client>, RedisStoreError> {
        if !self.cluster {
            return Ok(vec![self.pool.next().clone()]);
        }
        let primaries = self.primaries.get_or_try_init(|| each_primary(self.pool.next())).await?;
        Ok(primaries.clone())
    }

    /// How many keys carry this store's prefix: (all of them, those that are sessions). The rest
    /// are the per-user index sets.
    pub async fn count_own_keys(&self) -> Result<(u64, u64), RedisStoreError> {
        let (mut all, mut sessions) = (0, 0);
        for server in self.servers().await? {
            let (keys, of_sessions) = self.count_on(&server).await?;
            all += keys;
            sessions += of_sessions;
        }
        Ok((all, sessions))
    }

    /// [`Self::count_own_keys`] on one server.
    async fn count_on(&self, server: &Client) -> Result<(u64, u64), RedisStoreError> {
        let index_prefix = self.user_key("");
        let mut keys = server.scan_buffered(self.own_pattern(), Some(1000), None);
        let (mut all, mut sessions) = (0, 0);
        while let Some(key) = keys.next().await {
            all += 1;
            if !key?.as_bytes().starts_with(index_prefix.as_bytes()) {
                sessions += 1;
            }
        }
        Ok((all, sessions))
    }

    /// Redis's own `used_memory`, in bytes: the whole server's (a cluster's: every primary's),
    /// not only this prefix's.
    pub async fn used_memory(&self) -> Result<u64, RedisStoreError> {
        let mut total = 0;
        for server in self.servers().await? {
            let info: String = server.info(Some(InfoKind::Memory)).await?;
            total += info_field(&info, "used_memory").ok_or_else(|| no_field("used_memory"))?;
        }
        Ok(total)
    }

    /// Each primary of a cluster, as a tick shows it: memory, the run's keys and ops per second.
    /// One server: the list is empty (its figures are the store's).
    pub async fn primary_readings(&self) -> Result<Vec<PrimaryReading>, RedisStoreError> {
        if !self.cluster {
            return Ok(Vec::new());
        }
        let mut readings = Vec::new();
        for server in self.servers().await? {
            let memory: String = server.info(Some(InfoKind::Memory)).await?;
            let stats: String = server.info(Some(InfoKind::Stats)).await?;
            let (keys, sessions) = self.count_on(&server).await?;
            readings.push(PrimaryReading {
                address: server_address(&server),
                used_memory: info_field(&memory, "used_memory"),
                keys,
                sessions,
                ops_per_sec: info_field(&stats, "instantaneous_ops_per_sec"),
            });
        }
        Ok(readings)
    }

    /// Deletes every key under this store's prefix, and nothing else, on every server (a
    /// cluster's every primary); returns how many went.
    pub async fn delete_own_keys(&self) -> Result<u64, RedisStoreError> {
        let mut deleted = 0;
        for server in self.servers().await? {
            let mut keys = server.scan_buffered(self.own_pattern(), Some(1000), None).chunks(500);
            while let Some(batch) = keys.next().await {
                let batch = batch.into_iter().collect::<Result<Vec<_>, _>>()?;
                deleted += unlink(&server, batch, self.cluster).await?;
            }
        }
        Ok(deleted)
    }

    /// Closes the pool's connections (errors ignored: the store is being dropped anyway).
    pub(crate) async fn disconnect(&self) {
        if let Some(primaries) = self.primaries.get() {
            for primary in primaries {
                let _ = primary.quit().await;
            }
        }
        let _ = self.pool.quit().await;
    }
}

/// A pool of connections to `url`, once Redis has answered a PING (within about three seconds).
/// A `redis-cluster://` URL (fred's form: `redis-cluster://host:port?node=host:port`) makes a
/// cluster pool.
pub async fn connect_pool(url: &str) -> Result<Pool, RedisStoreError> {
    connect_to(&RedisTarget::Server(url.to_owned())).await
}

/// The client configuration of `target`: a cluster's credentials are its first seed's.
fn config_of(target: &RedisTarget) -> Result<Config, RedisStoreError> {
    let bad = |url: &str| {
        let url = url.to_owned();
        move |reason| RedisStoreError::Url { url, reason }
    };
    match target {
        RedisTarget::Server(url) => Config::from_url(url).map_err(bad(url)),
        RedisTarget::Cluster(urls) => {
            let first = urls.first().ok_or(RedisStoreError::NoSeeds)?;
            let mut config = Config::from_url_centralized(first).map_err(bad(first))?;
            let mut hosts = Vec::new();
            for url in urls {
                hosts.extend(Config::from_url_centralized(url).map_err(bad(url))?.server.hosts());
            }
            // The seeds are asked for the cluster's layout on every (re)connection: they are
            // what the user named, and a cached layout may point at a node that has gone.
            config.server = ServerConfig::Clustered { hosts, policy: ClusterDiscoveryPolicy::ConfigEndpoint };
            // A cluster has database 0 only.
            config.database = None;
            Ok(config)
        }
    }
}

/// A pool of connections to `target`, once Redis has answered a PING (within about three
/// seconds). Every connection has TCP_NODELAY: a store round trip is one small write, and Nagle
/// would hold it back behind the previous one's acknowledgement.
async fn connect_to(target: &RedisTarget) -> Result<Pool, RedisStoreError> {
    let config = config_of(target)?;
    let url = target.to_string();
    let mut builder = Builder::from_config(config);
    builder
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(2);
            // Without TCP_NODELAY, a command written while the one before it on the same connection
            // is still unacknowledged waits for that ACK (Nagle): over a real network, with the
            // pool's connections shared by concurrent requests, that doubled every store round
            // trip (measured in tests/it/network_hosts.rs). On loopback it cannot be seen.
            c.tcp.nodelay = Some(true);
        })
        .set_policy(ReconnectPolicy::new_constant(0, 200));
    let pool = builder.build_pool(POOL_SIZE).map_err(|reason| RedisStoreError::Url { url: url.clone(), reason })?;
    let unreachable = |reason| RedisStoreError::Unreachable { url: url.clone(), reason };
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

/// The clients that reach every server `client` talks to: itself for one server, a connected
/// client per primary for a cluster (SCAN and INFO answer for one server only).
pub(crate) async fn each_primary(client: &Client) -> Result<Vec<Client>, RedisStoreError> {
    if !client.is_clustered() {
        return Ok(vec![client.clone()]);
    }
    let primaries = client.split_cluster()?;
    for primary in &primaries {
        match tokio::time::timeout(Duration::from_secs(3), primary.init()).await {
            Ok(result) => drop(result?),
            Err(_) => {
                let address = server_address(primary);
                let reason = fred::error::Error::new(fred::error::ErrorKind::Timeout, "no answer within 3 s");
                return Err(RedisStoreError::Unreachable { url: address, reason });
            }
        }
    }
    Ok(primaries)
}

/// Deletes `keys`, all on the one server `client` talks to; returns how many were there. On a
/// cluster's primary, keys of one server still lie in different slots, and a command naming
/// several keys must keep to one slot: there it is one UNLINK per key, pipelined (one round trip
/// all the same).
pub(crate) async fn unlink(client: &Client, keys: Vec<Key>, cluster: bool) -> Result<u64, RedisStoreError> {
    if keys.is_empty() {
        return Ok(0);
    }
    if !cluster {
        return Ok(client.unlink(keys).await?);
    }
    let pipeline = client.pipeline();
    for key in keys {
        let _: () = pipeline.unlink(key).await?;
    }
    let counts: Vec<u64> = pipeline.all().await?;
    Ok(counts.iter().sum())
}

/// `host:port` of the server a (non-cluster) client talks to.
fn server_address(client: &Client) -> String {
    client.client_config().server.hosts().first().map(ToString::to_string).unwrap_or_default()
}

/// A number field of an INFO reply (`used_memory:1234`).
fn info_field(info: &str, name: &str) -> Option<u64> {
    info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok())
}

fn no_field(name: &str) -> RedisStoreError {
    RedisStoreError::Command(fred::error::Error::new(fred::error::ErrorKind::Parse, format!("INFO has no {name} line")))
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
        if !self.cluster {
            return self.pool.del(keys).await.map_err(backend);
        }
        // The sessions lie in many slots: one DEL each, sent at once (the client routes each to
        // its primary).
        let deletes = keys.iter().map(|key| self.pool.del::<u64, _>(key.as_str()));
        let counts = futures_util::future::try_join_all(deletes).await.map_err(backend)?;
        Ok(counts.iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::{RedisTarget, config_of, glob_escape, info_field};

    #[test]
    fn prefixes_with_glob_characters_match_only_themselves() {
        assert_eq!(glob_escape("authlab:run-1:"), "authlab:run-1:");
        assert_eq!(glob_escape("a*b?[c]"), "a\\*b\\?\\[c\\]");
    }

    #[test]
    fn a_cluster_is_reached_through_all_its_seeds() {
        let seeds = RedisTarget::Cluster(vec!["redis://127.0.0.1:7001".into(), "redis://127.0.0.1:7002/".into()]);
        let config = config_of(&seeds).expect("seeds parse");
        assert!(config.server.is_clustered());
        let ports: Vec<u16> = config.server.hosts().iter().map(|h| h.port).collect();
        assert_eq!(ports, [7001, 7002]);
        assert!(matches!(config_of(&RedisTarget::Cluster(Vec::new())), Err(super::RedisStoreError::NoSeeds)));
        assert!(!config_of(&"redis://127.0.0.1:6379/".into()).expect("url parses").server.is_clustered());
    }

    #[test]
    fn info_fields_are_read_by_their_whole_name() {
        let info = "# Memory\r\nused_memory:1024\r\nused_memory_human:1.00K\r\ninstantaneous_ops_per_sec:7\r\n";
        assert_eq!(info_field(info, "used_memory"), Some(1024));
        assert_eq!(info_field(info, "instantaneous_ops_per_sec"), Some(7));
        assert_eq!(info_field(info, "used"), None);
    }
}
